"""The outcome of a SET VAR or INSTCMD, from NUT's TRACKING (upsd 2.8.0 and newer).

``OK`` to SET VAR or INSTCMD only means upsd passed the request to the driver. After
``SET TRACKING ON`` the reply is ``OK TRACKING <id>`` and ``GET TRACKING <id>`` answers
``PENDING`` until the driver reports ``SUCCESS`` or ``FAILURE`` (docs/net-protocol.txt).
"""

import asyncio
from enum import StrEnum

from .connection import NUTConnection
from .exceptions import NUTProtocolError

POLL_INTERVAL = 0.1
"""Seconds between ``GET TRACKING`` requests while the outcome is pending."""


class Outcome(StrEnum):
    """What became of a command or a write."""

    SUCCESS = "success"
    """The driver carried it out."""
    FAILURE = "failure"
    """The driver refused it or failed."""
    SENT = "sent"
    """upsd has no TRACKING (before NUT 2.8.0): passed to the driver, outcome unknown."""


async def outcome_of(conn: NUTConnection, tracking_id: str | None) -> Outcome:
    """Poll ``GET TRACKING <tracking_id>`` on ``conn`` until the driver has answered.

    Args:
        conn: the open connection that sent the command with tracking on.
        tracking_id: the ID from ``OK TRACKING <id>``, or None (no tracking: ``SENT``).

    Returns:
        The outcome. The caller bounds the wait (the client's timeout).

    Raises:
        NUTProtocolError: upsd answered something other than PENDING/SUCCESS/FAILURE.
        NUTResponseError: upsd forgot the ID (``ERR UNKNOWN``).
    """
    if tracking_id is None:
        return Outcome.SENT
    while True:
        state = await conn.get_tracking(tracking_id)
        if state == "SUCCESS":
            return Outcome.SUCCESS
        if state == "FAILURE":
            return Outcome.FAILURE
        if state != "PENDING":
            raise NUTProtocolError(f"unexpected GET TRACKING reply {state[:40]!r}")
        await asyncio.sleep(POLL_INTERVAL)

"""An asyncio client for NUT's upsd network protocol (docs/net-protocol.txt).

Bundled with the nut_ups integration; it has no Home Assistant imports. Typical use::

    client = NUTClient("nas.local")
    status = await client.get_var("ups", "ups.status")
    async with client.connect() as conn:
        names = await conn.list_ups()
        values = await conn.list_vars("ups")
"""

from .client import NUTClient
from .connection import NUTConnection
from .exceptions import (
    NUTAuthError,
    NUTConnectionError,
    NUTDataUnavailableError,
    NUTError,
    NUTInvalidArgumentError,
    NUTOutcomeUnknownError,
    NUTProtocolError,
    NUTResponseError,
    NUTTimeoutError,
    NUTTLSError,
    NUTUnknownUPSError,
)
from .settings import DEFAULT_PORT, DEFAULT_TIMEOUT, ServerSettings
from .tls import TLSMode
from .tracking import Outcome

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "NUTAuthError",
    "NUTClient",
    "NUTConnection",
    "NUTConnectionError",
    "NUTDataUnavailableError",
    "NUTError",
    "NUTInvalidArgumentError",
    "NUTOutcomeUnknownError",
    "NUTProtocolError",
    "NUTResponseError",
    "NUTTLSError",
    "NUTTimeoutError",
    "NUTUnknownUPSError",
    "Outcome",
    "ServerSettings",
    "TLSMode",
]

"""Helpers for integration tests: a config entry against a real upsd, entity look-ups."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nut_ups.const import CONF_UPS, DOMAIN
from custom_components.nut_ups.status_watch import WATCHES

ENTRY_ID = "01JNUTUPS0SNAPSH0T0ENTRY00"
"""A fixed config entry ID for snapshot tests: unique IDs are made from it."""


class Endpoint(Protocol):
    """Where a UPS is served: a real upsd (tests.support.upsd.Upsd) or a fake server."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def ups(self) -> str: ...


SAVED_OPTIONS: dict[str, Any] = {
    "status_interval": 0.4,
    "scan_interval": 30,
    "battery_age": 4,
    "peukert_exponent": 1.15,
    "health_threshold": 80,
    "self_test_interval": 0,
    "self_test_time": "03:00:00",
    "self_test_overdue": 0,
}
"""What the options form saves when every field keeps its default."""


async def setup_entry(
    hass: HomeAssistant,
    server: Endpoint,
    ups: str | None = None,
    *,
    entry_id: str | None = None,
    credentials: tuple[str, str] | None = None,
    **options: Any,
) -> MockConfigEntry:
    """Add and set up a nut_ups entry for ``ups`` (default: the server's first) on ``server``.

    ``entry_id`` fixes the entry's ID (snapshots hold unique IDs made from it);
    ``credentials`` (username, password) turn control on.
    """
    ups = ups or server.ups
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title=f"{ups}@{server.host}",
        unique_id=f"{server.host}:{server.port}/{ups}",
        data={
            CONF_HOST: server.host,
            CONF_PORT: server.port,
            CONF_UPS: ups,
            **(
                {CONF_USERNAME: credentials[0], CONF_PASSWORD: credentials[1]}
                if credentials
                else {}
            ),
        },
        options=options,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def entity_id(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> str:
    """The entity ID of the entity with description ``key`` of ``entry``."""
    registry = er.async_get(hass)
    found = registry.async_get_entity_id(platform, DOMAIN, f"{entry.entry_id}_{key}")
    assert found is not None, f"no {platform} entity {key}"
    return found


def state(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> State:
    """The current state of the entity with description ``key``."""
    current = hass.states.get(entity_id(hass, entry, platform, key))
    assert current is not None
    return current


async def refresh(hass: HomeAssistant, entry: MockConfigEntry, attempts: int = 3) -> None:
    """Run one poll of the entry's coordinator that upsd answered, and let listeners finish.

    On a loaded machine an exchange can outlast the client timeout; the coordinator then keeps
    its last data (the dead time), so the poll is run again, up to ``attempts`` times.
    """
    for _ in range(attempts):
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done()
        if entry.runtime_data.last_poll_answered:
            return


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the event loop run until ``condition()`` holds; AssertionError after ``timeout`` s.

    For what happens unasked (a status check noticing a change), where no call can be awaited.
    """
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def settle(hass: HomeAssistant) -> None:
    """``async_block_till_done``, also waiting for background tasks, but not for the status
    watches: they run until their entries unload (``wait_background_tasks=True`` would wait
    for ever)."""
    await hass.async_block_till_done()
    watches = {running.task for running in hass.data.get(WATCHES, {}).values()}
    tasks = [task for task in hass._background_tasks if task not in watches]
    if tasks:
        await asyncio.wait(tasks)
    await hass.async_block_till_done()

"""upsd going away and coming back; stale data; a UPS that disappears; refused reads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
import logging
import signal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.nut_ups.const import DOMAIN
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server
from tests.support.ha import refresh, setup_entry, state
from tests.support.upsd import Upsd, fixture_path

LOGGER = "custom_components.nut_ups"


def log_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name.startswith(LOGGER) and r.levelno == level
    ]


async def test_upsd_restart_dead_time_and_one_line_each_way(
    hass: HomeAssistant,
    upsd: Upsd,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await setup_entry(hass, upsd)
    caplog.clear()
    caplog.set_level(logging.INFO, logger=LOGGER)

    await hass.async_add_executor_job(upsd.stop_server)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=10))
    await refresh(hass, entry)
    # Within the dead time: one missed answer does not flap entities, nothing logged.
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    assert log_lines(caplog, logging.ERROR) == []

    freezer.tick(timedelta(seconds=6))
    for _ in range(3):
        await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
    assert state(hass, entry, "binary_sensor", "on_battery").state == STATE_UNAVAILABLE
    errors = log_lines(caplog, logging.ERROR)
    assert len(errors) == 1, errors
    assert "No successful answer from upsd at 127.0.0.1" in errors[0]
    assert "for 15 seconds" in errors[0]

    await hass.async_add_executor_job(upsd.start_server)
    await hass.async_add_executor_job(upsd.wait_ready)
    await refresh(hass, entry)
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    assert len(log_lines(caplog, logging.ERROR)) == 1
    recovered = [line for line in log_lines(caplog, logging.INFO) if "recovered" in line]
    assert len(recovered) == 1, recovered


@pytest.mark.slow
async def test_data_stale_makes_entities_unavailable(
    hass: HomeAssistant, upsd_factory: UpsdFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = upsd_factory(fixture_path("smart-ups.dev"), maxage=3)
    entry = await setup_entry(hass, server)
    caplog.clear()
    driver = server.drivers["test"]
    driver.send_signal(signal.SIGSTOP)
    try:
        for _ in range(60):
            await asyncio.sleep(0.5)
            await refresh(hass, entry)
            if state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE:
                break
        assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
        errors = log_lines(caplog, logging.ERROR)
        assert len(errors) == 1 and "no fresh data" in errors[0], errors
    finally:
        driver.send_signal(signal.SIGCONT)
    for _ in range(60):
        await asyncio.sleep(0.5)
        await refresh(hass, entry)
        if state(hass, entry, "sensor", "battery_charge").state != STATE_UNAVAILABLE:
            break
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    assert len(log_lines(caplog, logging.ERROR)) == 1


async def test_unknown_ups_raises_and_clears_a_repair_issue(
    hass: HomeAssistant, upsd_factory: UpsdFactory
) -> None:
    dev = fixture_path("smart-ups.dev")
    server = upsd_factory(dev)
    entry = await setup_entry(hass, server)
    issue_id = f"{entry.entry_id}_unknown_ups"

    # upsd restarted on the same port with another ups.conf: our UPS is gone.
    await hass.async_add_executor_job(server.stop)
    other = await hass.async_add_executor_job(
        lambda: upsd_factory(dev, name="other", port=server.port)
    )
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_placeholders == {
        "name": "test@127.0.0.1",
        "ups": "test",
    }

    # ups.conf fixed, upsd restarted again: the issue clears itself.
    await hass.async_add_executor_job(other.stop)
    await hass.async_add_executor_job(lambda: upsd_factory(dev, port=server.port))
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


@dataclass
class FakeEndpoint:
    host: str
    port: int
    ups: str = "ups"


async def test_access_denied_is_an_issue_not_a_reauth(hass: HomeAssistant) -> None:
    """Polling is anonymous: upsd refusing it is a repair issue, never a reauth that cannot help.

    A real upsd never refuses LIST/GET; a socket server that does stands in for it.
    """
    allowed = True
    ok_list = b'BEGIN LIST VAR ups\nVAR ups ups.status "OL"\nEND LIST VAR ups\n'

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if request := await reader.readline():
            if not allowed:
                writer.write(b"ERR ACCESS-DENIED\n")
            elif request.startswith(b"GET VAR"):
                writer.write(b'VAR ups ups.status "OL"\n')
            else:
                writer.write(ok_list)

    async with fake_server(handler) as port:
        entry = await setup_entry(hass, FakeEndpoint("127.0.0.1", port))
        issue_id = f"{entry.entry_id}_access_denied"
        allowed = False
        await refresh(hass, entry)
        coordinator = entry.runtime_data
        assert not coordinator.last_update_success
        assert isinstance(coordinator.last_exception, UpdateFailed)
        assert coordinator.last_exception.translation_key == "access_denied"
        assert state(hass, entry, "binary_sensor", "online").state == STATE_UNAVAILABLE
        issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
        assert issue is not None and issue.translation_placeholders == {
            "name": "ups@127.0.0.1",
            "ups": "ups",
            "error": "ACCESS-DENIED",
        }
        assert issue.severity is ir.IssueSeverity.ERROR
        assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

        allowed = True
        await refresh(hass, entry)
        assert state(hass, entry, "binary_sensor", "online").state == STATE_ON
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
        await hass.config_entries.async_unload(entry.entry_id)

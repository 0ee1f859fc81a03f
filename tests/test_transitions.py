"""A power failure played on a real upsd: OL → OB → OB LB → OL, and the repair issues."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.nut_ups import issues as repair_issues
from custom_components.nut_ups.const import DOMAIN
from tests.support.ha import refresh, setup_entry, state
from tests.support.upsd import Upsd


def issues_of(hass: HomeAssistant, entry_id: str) -> dict[str, ir.IssueEntry]:
    registry = ir.async_get(hass)
    return {
        str(issue.translation_key): issue
        for (domain, issue_id), issue in registry.issues.items()
        if domain == DOMAIN and issue_id.startswith(entry_id)
    }


async def test_outage_drill(
    hass: HomeAssistant, upsd: Upsd, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = await setup_entry(hass, upsd)
    assert issues_of(hass, entry.entry_id) == {}

    await upsd.set_var("battery.charge", "80")
    await upsd.set_var("battery.runtime", "1830")
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    assert state(hass, entry, "binary_sensor", "on_battery").state == STATE_ON
    assert state(hass, entry, "binary_sensor", "online").state == STATE_OFF
    assert state(hass, entry, "sensor", "alert_level").state == "warning"
    assert state(hass, entry, "sensor", "status").state == "on_battery"
    issues = issues_of(hass, entry.entry_id)
    assert set(issues) == {"on_battery"}
    assert issues["on_battery"].severity is ir.IssueSeverity.WARNING
    assert issues["on_battery"].translation_placeholders == {
        "name": "test@127.0.0.1",
        "charge": "80 %",
        "runtime": "30m",
    }

    # The charge falls while on battery: every check re-reads it; the issue is not rewritten
    # at every check, but its placeholders follow within a minute.
    writes = entry.runtime_data.issues.writes
    for charge in ("79", "78", "35"):
        await upsd.set_var("battery.charge", charge)
        await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == "35"
    assert entry.runtime_data.issues.writes == writes
    placeholders = issues_of(hass, entry.entry_id)["on_battery"].translation_placeholders
    assert placeholders is not None and placeholders["charge"] == "80 %"
    monkeypatch.setattr(repair_issues, "PLACEHOLDER_REFRESH", 0.0)  # a minute later
    await refresh(hass, entry)
    assert entry.runtime_data.issues.writes == writes + 1
    placeholders = issues_of(hass, entry.entry_id)["on_battery"].translation_placeholders
    assert placeholders is not None and placeholders["charge"] == "35 %"

    await upsd.set_var("ups.status", "OB DISCHRG LB")
    await refresh(hass, entry)
    assert state(hass, entry, "binary_sensor", "low_battery").state == STATE_ON
    assert state(hass, entry, "sensor", "alert_level").state == "critical"
    assert state(hass, entry, "sensor", "status").state == "low_battery"
    issues = issues_of(hass, entry.entry_id)
    assert set(issues) == {"on_battery", "low_battery"}
    assert issues["low_battery"].severity is ir.IssueSeverity.CRITICAL

    await upsd.set_var("ups.status", "OL CHRG")
    await refresh(hass, entry)
    assert state(hass, entry, "binary_sensor", "on_battery").state == STATE_OFF
    assert state(hass, entry, "binary_sensor", "low_battery").state == STATE_OFF
    assert state(hass, entry, "binary_sensor", "charging").state == STATE_ON
    assert state(hass, entry, "sensor", "alert_level").state == "ok"
    assert issues_of(hass, entry.entry_id) == {}


async def test_replace_battery_issue(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    await upsd.set_var("ups.status", "OL RB")
    await refresh(hass, entry)
    assert state(hass, entry, "binary_sensor", "replace_battery").state == STATE_ON
    assert state(hass, entry, "sensor", "alert_level").state == "warning"
    assert set(issues_of(hass, entry.entry_id)) == {"replace_battery"}
    await upsd.set_var("ups.status", "OL")
    await refresh(hass, entry)
    assert issues_of(hass, entry.entry_id) == {}


async def test_unknown_tokens_and_wait(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    await upsd.set_var("ups.status", "OL ECO COMM")
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "status").state == "online"
    assert state(hass, entry, "sensor", "status").attributes["flags"] == ["OL", "ECO", "COMM"]
    assert state(hass, entry, "sensor", "alert_level").state == "ok"
    await upsd.set_var("ups.status", "ALARM OL")
    await refresh(hass, entry)
    assert state(hass, entry, "binary_sensor", "alarm").state == STATE_ON
    assert state(hass, entry, "sensor", "alert_level").state == "warning"

    # WAIT is "no data yet": never on battery, no issues raised or cleared.
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    await upsd.set_var("ups.status", "WAIT")
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "status").state == "waiting"
    assert state(hass, entry, "binary_sensor", "on_battery").state == "unknown"
    assert state(hass, entry, "sensor", "alert_level").state == "unknown"
    assert set(issues_of(hass, entry.entry_id)) == {"on_battery"}


async def test_issues_follow_unload_reload_and_removal(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    assert set(issues_of(hass, entry.entry_id)) == {"on_battery"}

    await hass.config_entries.async_unload(entry.entry_id)
    assert issues_of(hass, entry.entry_id) == {}
    # Back after a restart: the first poll raises the issue again.
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert set(issues_of(hass, entry.entry_id)) == {"on_battery"}

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issues_of(hass, entry.entry_id) == {}


async def test_stale_issue_cleared_at_startup(hass: HomeAssistant, upsd: Upsd) -> None:
    """The power came back while Home Assistant was down: the stored issue goes at setup."""
    entry = await setup_entry(hass, upsd)
    await hass.config_entries.async_unload(entry.entry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{entry.entry_id}_on_battery",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="on_battery",
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert issues_of(hass, entry.entry_id) == {}

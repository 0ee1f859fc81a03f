"""Diagnostics: a snapshot of the download, and private data redacted from it."""

from types import MappingProxyType

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from homeassistant.helpers.discovery_flow import DiscoveryKey
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.nut_ups.diagnostics import (
    async_get_config_entry_diagnostics,
    redact_values,
)
from tests.support.ha import ENTRY_ID, setup_entry
from tests.support.upsd import Upsd


async def test_diagnostics_snapshot(
    hass: HomeAssistant, upsd: Upsd, snapshot: SnapshotAssertion
) -> None:
    """The whole download, with Home Assistant's snapshot extension (volatile fields left out)."""
    entry = await setup_entry(hass, upsd, entry_id=ENTRY_ID)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics == snapshot(exclude=props("created_at", "modified_at", "port", "first_seen"))


async def test_diagnostics_redact_private_data(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    announced = DiscoveryKey(
        domain="zeroconf", key=("_nut._tcp.local.", "mynas._nut._tcp.local."), version=1
    )
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, "username": "admin", "password": "secret"},
        discovery_keys=MappingProxyType({"zeroconf": (announced,)}),
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    dumped = repr(diagnostics)
    for private in ("secret", "AS1234567890", "127.0.0.1", "admin", "mynas"):
        assert private not in dumped, private
    assert diagnostics["entry"]["data"]["host"] == REDACTED
    assert diagnostics["entry"]["title"] == REDACTED
    assert diagnostics["variables"]["device.serial"] == REDACTED
    assert diagnostics["variables"]["battery.charge"] == "100"
    assert diagnostics["status"] == {
        "raw": "OL",
        "flags": ["OL"],
        "state": "online",
        "alert_level": "ok",
    }
    assert diagnostics["poll"]["last_update_success"] is True


def test_redact_values() -> None:
    values = {
        "device.macaddr": "00:11:22:33:44:55",
        "driver.parameter.port": "10.0.0.5",
        "ups.contacts": "Jane",
        "device.location": "Basement",
        "ups.id": "aa-bb-cc-dd-ee-ff",
        "ups.load": "10",
        "battery.charge": "90",
    }
    assert redact_values(values) == {
        "device.macaddr": REDACTED,
        "driver.parameter.port": REDACTED,
        "ups.contacts": REDACTED,
        "device.location": REDACTED,
        "ups.id": REDACTED,
        "ups.load": "10",
        "battery.charge": "90",
    }

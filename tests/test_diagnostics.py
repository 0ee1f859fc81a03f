"""Entity snapshot (syrupy) for the rich fixture, and diagnostics with private data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from custom_components.nut_ups.diagnostics import (
    async_get_config_entry_diagnostics,
    redact_values,
)
from tests.support.ha import setup_entry
from tests.support.upsd import Upsd


async def test_entities_snapshot(
    hass: HomeAssistant, upsd: Upsd, snapshot: SnapshotAssertion
) -> None:
    """Keys, names, units, classes and states of every entity: the integration's public API."""
    entry = await setup_entry(hass, upsd)
    registry = er.async_get(hass)
    entities: dict[str, Any] = {}
    for item in sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id), key=lambda e: e.entity_id
    ):
        current = hass.states.get(item.entity_id)
        entities[item.entity_id] = {
            "key": item.unique_id.removeprefix(f"{entry.entry_id}_"),
            "translation_key": item.translation_key,
            "original_name": item.original_name,
            "device_class": item.original_device_class,
            "unit": item.unit_of_measurement,
            "category": item.entity_category,
            "enabled": item.disabled_by is None,
            "state": current.state if current else None,
            "attributes": dict(current.attributes) if current else None,
        }
    assert entities == snapshot


async def test_diagnostics_redact_private_data(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "username": "admin", "password": "secret"}
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    dumped = repr(diagnostics)
    for private in ("secret", "AS1234567890", "127.0.0.1", "admin"):
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

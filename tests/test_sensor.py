"""The sensor platform against a real upsd, as Home Assistant's snapshot_platform sees it."""

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.support.ha import ENTRY_ID, setup_entry
from tests.support.upsd import Upsd


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensor_entities(
    hass: HomeAssistant,
    upsd: Upsd,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Keys, names, units, classes, states and attributes of every sensor: public API."""
    with patch("custom_components.nut_ups.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, upsd, entry_id=ENTRY_ID)
    await snapshot_platform(hass, entity_registry, snapshot, ENTRY_ID)

"""Base entity of nut_ups: one device per config entry, unique IDs from the entry ID."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import NutUpsCoordinator
from .device import device_info


class NutUpsEntity(CoordinatorEntity[NutUpsCoordinator]):
    """An entity of one UPS; ``unique_id`` is ``<entry_id>_<description key>``."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: NutUpsCoordinator, description: EntityDescription) -> None:
        """Bind ``description`` to the UPS of ``coordinator``."""
        super().__init__(coordinator)
        self.entity_description = description
        entry_id = coordinator.config_entry.entry_id
        self._attr_unique_id = f"{entry_id}_{description.key}"
        self._attr_device_info = device_info(entry_id, coordinator.ups, coordinator.data.values)


def registered_keys(
    hass: HomeAssistant, entry: ConfigEntry, domain: str
) -> dict[str, er.RegistryEntry]:
    """Return ``entry``'s entities of ``domain`` in the entity registry, by description key.

    Platforms create these at setup even when the UPS does not report their variable right now
    (one seen only on battery, say), so after a restart they show *unknown*, not "unavailable
    (restored)".
    """
    prefix = f"{entry.entry_id}_"
    return {
        item.unique_id.removeprefix(prefix): item
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if item.domain == domain and item.unique_id.startswith(prefix)
    }

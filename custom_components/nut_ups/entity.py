"""Base entity of nut_ups: one device per config entry, unique IDs from the entry ID."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import NutUpsCoordinator


def _first(values: dict[str, str], *names: str) -> str | None:
    for name in names:
        if value := values.get(name, "").strip():
            return value
    return None


def device_info(coordinator: NutUpsCoordinator) -> DeviceInfo:
    """Describe the UPS as a device: manufacturer, model, serial and firmware from ``device.*``/``ups.*``.

    Identified by the config entry ID, never by the serial: identical UPS models, blank or
    garbled USB serials and a new host address all keep their device.
    """
    values = coordinator.data.values if coordinator.data else {}
    entry = coordinator.config_entry
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=coordinator.ups,
        manufacturer=_first(values, "device.mfr", "ups.mfr"),
        model=_first(values, "device.model", "ups.model"),
        serial_number=_first(values, "device.serial", "ups.serial"),
        sw_version=_first(values, "ups.firmware", "device.firmware"),
        hw_version=_first(values, "ups.firmware.aux"),
    )


class NutUpsEntity(CoordinatorEntity[NutUpsCoordinator]):
    """An entity of one UPS; ``unique_id`` is ``<entry_id>_<description key>``."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: NutUpsCoordinator, description: EntityDescription) -> None:
        """Bind ``description`` to the UPS of ``coordinator``."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}"
        self._attr_device_info = device_info(coordinator)

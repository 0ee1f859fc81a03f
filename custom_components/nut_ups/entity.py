"""Base entity of nut_ups: one device per config entry, unique IDs from the entry ID."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    PERCENTAGE,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .control import UpsControl
from .coordinator import NutUpsCoordinator
from .device import device_info
from .variables import DEFAULT_ENABLED_SETTINGS, variable_kind

HA_UNITS: dict[str, str] = {
    "V": UnitOfElectricPotential.VOLT,
    "A": UnitOfElectricCurrent.AMPERE,
    "Hz": UnitOfFrequency.HERTZ,
    "W": UnitOfPower.WATT,
    "VA": UnitOfApparentPower.VOLT_AMPERE,
    "°C": UnitOfTemperature.CELSIUS,
    "%": PERCENTAGE,
    "s": UnitOfTime.SECONDS,
    "Ah": "Ah",
}
"""Home Assistant's units for the unit names of :mod:`.variables` (docs/nut-names.txt)."""


def variable_label(name: str) -> str:
    """Name an entity after its NUT variable or command: ``input.voltage`` → ``Input voltage``."""
    return name.replace(".", " ").capitalize()


def variable_unit(name: str) -> str | None:
    """Home Assistant's unit of NUT variable ``name``, or None."""
    unit = variable_kind(name).unit
    return HA_UNITS.get(unit) if unit else None


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


class NutUpsControlEntity(NutUpsEntity):
    """An entity that acts on the UPS; it exists only when the entry has control."""

    @property
    def control(self) -> UpsControl:
        """The UPS's control (platforms create these entities only when it exists)."""
        control = self.coordinator.control
        assert control is not None
        return control


TRANSLATED_SETTINGS: tuple[tuple[str, str], ...] = tuple(
    (name, name.replace(".", "_")) for name in sorted(DEFAULT_ENABLED_SETTINGS)
)
"""(variable, translation key) of the common settings; the others are named after the variable."""

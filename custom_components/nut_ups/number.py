"""Number entities for numeric writable settings (``LIST RW`` + ``GET TYPE``/``LIST RANGE``)."""

from dataclasses import dataclass, replace
from typing import override

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .capabilities import Setting, SettingKind
from .coordinator import NutUpsConfigEntry
from .entity import TRANSLATED_SETTINGS, NutUpsControlEntity, variable_label, variable_unit
from .variables import DEFAULT_ENABLED_SETTINGS, variable_kind

PARALLEL_UPDATES = 1

# Bounds when upsd gives no LIST RANGE, by unit: what a UPS setting in that unit can hold.
_BOUNDS: dict[str | None, tuple[float, float]] = {
    "%": (0, 100),
    "s": (-1, 86400),
    "V": (0, 500),
    "Hz": (0, 100),
}


@dataclass(frozen=True, kw_only=True)
class NutUpsNumberEntityDescription(NumberEntityDescription):
    """A numeric setting: the NUT ``variable`` it writes."""

    variable: str


NUMBERS: dict[str, NutUpsNumberEntityDescription] = {
    name: NutUpsNumberEntityDescription(
        key=f"setting_{name}",
        translation_key=key,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
        variable=name,
    )
    for name, key in TRANSLATED_SETTINGS
}
"""The common numeric settings (translated, enabled by default)."""


def describe_number(setting: Setting, value: str | None) -> NutUpsNumberEntityDescription:
    """Describe the number entity of ``setting``; ``value`` (its text now) decides the step."""
    low, high = _BOUNDS.get(variable_kind(setting.name).unit, (-1_000_000, 1_000_000))
    base = NUMBERS.get(setting.name) or NutUpsNumberEntityDescription(
        key=f"setting_{setting.name}",
        name=variable_label(setting.name),
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
        variable=setting.name,
    )
    return replace(
        base,
        entity_registry_enabled_default=setting.name in DEFAULT_ENABLED_SETTINGS,
        native_unit_of_measurement=variable_unit(setting.name),
        native_min_value=setting.minimum if setting.minimum is not None else low,
        native_max_value=setting.maximum if setting.maximum is not None else high,
        native_step=0.1 if value is not None and "." in value else 1,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a number per numeric setting (none without credentials)."""
    coordinator = entry.runtime_data
    if coordinator.control is None:
        return
    values = coordinator.data.values
    async_add_entities(
        NutUpsNumber(coordinator, describe_number(setting, values.get(name)))
        for name, setting in coordinator.capabilities.settings.items()
        if setting.kind is SettingKind.NUMBER
    )


class NutUpsNumber(NutUpsControlEntity, NumberEntity):
    """A numeric setting: the UPS's value; writing waits for the UPS to confirm it."""

    entity_description: NutUpsNumberEntityDescription

    @property
    @override
    def native_value(self) -> float | None:
        """The value the UPS reports now."""
        return self.coordinator.data.number(self.entity_description.variable)

    @override
    async def async_set_native_value(self, value: float) -> None:
        """Write the value (as ``20``, not ``20.0``, when it is whole)."""
        text = str(int(value)) if float(value).is_integer() else f"{value:g}"
        await self.control.set_variable(self.entity_description.variable, text)

"""Select entities for enumerated writable settings (``GET TYPE`` ENUM + ``LIST ENUM``)."""

from dataclasses import dataclass, replace
from typing import override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .capabilities import Setting, SettingKind
from .coordinator import NutUpsConfigEntry
from .entity import TRANSLATED_SETTINGS, NutUpsControlEntity, variable_label
from .variables import DEFAULT_ENABLED_SETTINGS

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class NutUpsSelectEntityDescription(SelectEntityDescription):
    """An enumerated setting: the NUT ``variable`` it writes."""

    variable: str


SELECTS: dict[str, NutUpsSelectEntityDescription] = {
    name: NutUpsSelectEntityDescription(
        key=f"setting_{name}",
        translation_key=key,
        entity_category=EntityCategory.CONFIG,
        variable=name,
    )
    for name, key in TRANSLATED_SETTINGS
}
"""The common enumerated settings (translated, enabled by default)."""


def describe_select(setting: Setting) -> NutUpsSelectEntityDescription:
    """Describe the select entity of ``setting``, its options from ``LIST ENUM``."""
    base = SELECTS.get(setting.name) or NutUpsSelectEntityDescription(
        key=f"setting_{setting.name}",
        name=variable_label(setting.name),
        entity_category=EntityCategory.CONFIG,
        variable=setting.name,
    )
    return replace(
        base,
        options=list(setting.options),
        entity_registry_enabled_default=setting.name in DEFAULT_ENABLED_SETTINGS,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a select per enumerated setting (none without credentials)."""
    coordinator = entry.runtime_data
    if coordinator.control is None:
        return
    async_add_entities(
        NutUpsSelect(coordinator, describe_select(setting))
        for setting in coordinator.capabilities.settings.values()
        if setting.kind is SettingKind.ENUM
    )


class NutUpsSelect(NutUpsControlEntity, SelectEntity):
    """An enumerated setting: the UPS's value; writing waits for the UPS to confirm it."""

    entity_description: NutUpsSelectEntityDescription

    @property
    @override
    def current_option(self) -> str | None:
        """The value the UPS reports now, or None when it is not one of the options."""
        value = self.coordinator.data.values.get(self.entity_description.variable)
        return value if value in self.options else None

    @override
    async def async_select_option(self, option: str) -> None:
        """Write the chosen option."""
        await self.control.set_variable(self.entity_description.variable, option)

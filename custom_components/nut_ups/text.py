"""Text entities for string writable settings (``GET TYPE`` ``STRING:n``)."""

from dataclasses import dataclass, replace
from typing import override

from homeassistant.components.text import TextEntity, TextEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .capabilities import Setting, SettingKind
from .coordinator import NutUpsConfigEntry
from .entity import TRANSLATED_SETTINGS, NutUpsControlEntity, variable_label
from .nut.protocol import MAX_ARGUMENT
from .variables import DEFAULT_ENABLED_SETTINGS

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class NutUpsTextEntityDescription(TextEntityDescription):
    """A string setting: the NUT ``variable`` it writes."""

    variable: str


TEXTS: dict[str, NutUpsTextEntityDescription] = {
    name: NutUpsTextEntityDescription(
        key=f"setting_{name}",
        translation_key=key,
        entity_category=EntityCategory.CONFIG,
        variable=name,
    )
    for name, key in TRANSLATED_SETTINGS
}
"""The common string settings (translated, enabled by default)."""


def describe_text(setting: Setting) -> NutUpsTextEntityDescription:
    """Describe the text entity of ``setting``, at most ``STRING:n`` characters."""
    base = TEXTS.get(setting.name) or NutUpsTextEntityDescription(
        key=f"setting_{setting.name}",
        name=variable_label(setting.name),
        entity_category=EntityCategory.CONFIG,
        variable=setting.name,
    )
    return replace(
        base,
        native_max=min(setting.max_length or MAX_ARGUMENT, MAX_ARGUMENT),
        entity_registry_enabled_default=setting.name in DEFAULT_ENABLED_SETTINGS,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a text per string setting (none without credentials)."""
    coordinator = entry.runtime_data
    if coordinator.control is None:
        return
    async_add_entities(
        NutUpsText(coordinator, describe_text(setting))
        for setting in coordinator.capabilities.settings.values()
        if setting.kind is SettingKind.STRING
    )


class NutUpsText(NutUpsControlEntity, TextEntity):
    """A string setting: the UPS's value; writing waits for the UPS to confirm it."""

    entity_description: NutUpsTextEntityDescription

    @property
    @override
    def native_value(self) -> str | None:
        """The value the UPS reports now."""
        return self.coordinator.data.values.get(self.entity_description.variable)

    @property
    @override
    def native_max(self) -> int:
        """``STRING:n``, or the current value's length when a driver reports a longer one.

        dummy-ups declares ``input.sensitivity`` as ``STRING:1`` holding ``normal``; Home
        Assistant refuses a text entity whose state is longer than its maximum.
        """
        declared = self.entity_description.native_max
        return max(declared, min(len(self.native_value or ""), MAX_ARGUMENT))

    @override
    async def async_set_value(self, value: str) -> None:
        """Write the text."""
        await self.control.set_variable(self.entity_description.variable, value)

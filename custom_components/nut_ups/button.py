"""Buttons for the UPS's instant commands (``LIST CMD``), with the entry's credentials.

The battery tests and muting the beeper are enabled by default; every other command the UPS
lists gets a button that starts disabled, and no button that can cut power is ever enabled by
default (``shutdown.*``, ``load.*``, ``outlet.N.load.*``, ``driver.killpower``).
"""

from dataclasses import dataclass, replace
import re
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.button.const import ButtonDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import NutUpsConfigEntry, NutUpsCoordinator
from .entity import NutUpsControlEntity, variable_label
from .switch import outlet_switches

PARALLEL_UPDATES = 1

# Command → translation key.
_NAMED: tuple[tuple[str, str], ...] = (
    ("test.battery.start.quick", "battery_test_quick"),
    ("test.battery.start.deep", "battery_test_deep"),
    ("test.battery.stop", "battery_test_stop"),
    ("test.panel.start", "panel_test"),
    ("test.panel.stop", "panel_test_stop"),
    ("beeper.mute", "beeper_mute"),
    ("beeper.enable", "beeper_enable"),
    ("beeper.disable", "beeper_disable"),
    ("calibrate.start", "calibrate_start"),
    ("calibrate.stop", "calibrate_stop"),
    ("reset.input.minmax", "reset_input_minmax"),
    ("shutdown.stop", "shutdown_stop"),
    ("shutdown.return", "shutdown_return"),
    ("shutdown.stayoff", "shutdown_stayoff"),
    ("shutdown.reboot", "shutdown_reboot"),
    ("load.off", "load_off"),
    ("load.on", "load_on"),
)
ENABLED_BY_DEFAULT = frozenset(
    {"test.battery.start.quick", "test.battery.start.deep", "beeper.mute"}
)
_OUTLET_CYCLE = re.compile(r"^outlet\.(\d+)\.load\.cycle$")
_CUTS_POWER = re.compile(r"^(shutdown\.|load\.|outlet\.|driver\.killpower)")


@dataclass(frozen=True, kw_only=True)
class NutUpsButtonEntityDescription(ButtonEntityDescription):
    """A button that runs ``command``."""

    command: str


def _category(command: str) -> EntityCategory | None:
    return EntityCategory.CONFIG if _CUTS_POWER.match(command) else None


BUTTONS: dict[str, NutUpsButtonEntityDescription] = {
    command: NutUpsButtonEntityDescription(
        key=f"command_{command}",
        translation_key=key,
        command=command,
        entity_category=_category(command),
        entity_registry_enabled_default=command in ENABLED_BY_DEFAULT,
        device_class=ButtonDeviceClass.RESTART if command == "shutdown.reboot" else None,
    )
    for command, key in _NAMED
}
"""The buttons of the commands nut_ups knows by name (translated)."""

OUTLET_CYCLE = NutUpsButtonEntityDescription(
    key="command_outlet.N.load.cycle",
    translation_key="outlet_power_cycle",
    command="outlet.N.load.cycle",
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
    device_class=ButtonDeviceClass.RESTART,
)
"""The template of an outlet's power-cycle button."""


def describe_command(command: str) -> NutUpsButtonEntityDescription:
    """Describe the button of an instant command (translated where nut_ups knows it)."""
    if known := BUTTONS.get(command):
        return known
    if _OUTLET_CYCLE.match(command):
        return replace(OUTLET_CYCLE, key=f"command_{command}", command=command)
    return NutUpsButtonEntityDescription(
        key=f"command_{command}",
        name=variable_label(command),
        command=command,
        entity_category=_category(command) or EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a button per command the UPS lists (none without credentials).

    ``outlet.N.load.on``/``off`` belong to the outlet's switch when there is one.
    """
    coordinator = entry.runtime_data
    if coordinator.control is None:
        return
    switched = {cmd for switch in outlet_switches(coordinator) for cmd in switch.commands}
    async_add_entities(
        NutUpsButton(coordinator, describe_command(command))
        for command in coordinator.capabilities.commands
        if command not in switched
    )


class NutUpsButton(NutUpsControlEntity, ButtonEntity):
    """Runs one instant command, once, and reports its outcome."""

    entity_description: NutUpsButtonEntityDescription

    def __init__(
        self, coordinator: NutUpsCoordinator, description: NutUpsButtonEntityDescription
    ) -> None:
        """Bind the command; outlet buttons name their outlet."""
        super().__init__(coordinator, description)
        if match := _OUTLET_CYCLE.match(description.command):
            number = match.group(1)
            desc = coordinator.data.values.get(f"outlet.{number}.desc", "").strip()
            self._attr_translation_placeholders = {"outlet": desc or f"outlet.{number}"}

    @override
    async def async_press(self) -> None:
        """Run the command; raises a translated error when it is refused or fails."""
        await self.control.run_command(self.entity_description.command)

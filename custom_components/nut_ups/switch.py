"""A switch per switchable outlet (``outlet.N.status`` with ``outlet.N.load.on``/``off``).

Switching an outlet off cuts power, so the switches start disabled.
"""

from dataclasses import dataclass
import re
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.components.switch.const import SwitchDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import NutUpsConfigEntry, NutUpsCoordinator
from .entity import NutUpsControlEntity

PARALLEL_UPDATES = 1

_OUTLET_STATUS = re.compile(r"^outlet\.(\d+)\.status$")


@dataclass(frozen=True, kw_only=True)
class NutUpsSwitchEntityDescription(SwitchEntityDescription):
    """The switch of outlet ``number``."""

    number: str

    @property
    def commands(self) -> tuple[str, str]:
        """The commands that switch the outlet on and off."""
        return (f"outlet.{self.number}.load.on", f"outlet.{self.number}.load.off")


def outlet_switches(coordinator: NutUpsCoordinator) -> list[NutUpsSwitchEntityDescription]:
    """Describe a switch for each outlet the UPS reports a status for and can switch."""
    commands = coordinator.capabilities.commands
    found = []
    for name in coordinator.data.values:
        if (match := _OUTLET_STATUS.match(name)) is None:
            continue
        description = NutUpsSwitchEntityDescription(
            key=f"outlet_{match.group(1)}",
            translation_key="outlet",
            device_class=SwitchDeviceClass.OUTLET,
            entity_registry_enabled_default=False,
            number=match.group(1),
        )
        if all(command in commands for command in description.commands):
            found.append(description)
    return found


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the outlet switches (none without credentials)."""
    coordinator = entry.runtime_data
    if coordinator.control is None:
        return
    async_add_entities(
        NutUpsOutletSwitch(coordinator, description) for description in outlet_switches(coordinator)
    )


class NutUpsOutletSwitch(NutUpsControlEntity, SwitchEntity):
    """An outlet: on/off from ``outlet.N.status``, switched with its load commands."""

    entity_description: NutUpsSwitchEntityDescription

    def __init__(
        self, coordinator: NutUpsCoordinator, description: NutUpsSwitchEntityDescription
    ) -> None:
        """Name the switch after ``outlet.N.desc`` when the UPS gives one."""
        super().__init__(coordinator, description)
        desc = coordinator.data.values.get(f"outlet.{description.number}.desc", "").strip()
        self._attr_translation_placeholders = {"outlet": desc or f"outlet.{description.number}"}

    @property
    @override
    def is_on(self) -> bool | None:
        """On when ``outlet.N.status`` is ``on``; None when not reported."""
        status = self.coordinator.data.values.get(f"outlet.{self.entity_description.number}.status")
        return None if status is None else status.strip().lower() == "on"

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the outlet on (``outlet.N.load.on``)."""
        await self.control.run_command(self.entity_description.commands[0])

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the outlet off (``outlet.N.load.off``): this cuts its power."""
        await self.control.run_command(self.entity_description.commands[1])

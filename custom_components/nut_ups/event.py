"""The power event entity: one event per transition the coordinator decided (transitions.py).

Automations use Home Assistant's *Event received* trigger (``event.received``, 2026.7+) on it,
filtered by event type. Each event carries ``battery_charge`` (%), ``battery_runtime`` (s) and
``input_voltage`` (V) at that moment.
"""

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import NutUpsConfigEntry
from .entity import NutUpsEntity
from .transitions import PowerEvent, Transition

PARALLEL_UPDATES = 0

POWER_EVENT = EventEntityDescription(
    key="power_event",
    translation_key="power_event",
    event_types=[event.value for event in PowerEvent],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the power event entity of the entry's UPS."""
    async_add_entities([NutUpsPowerEvent(entry.runtime_data, POWER_EVENT)])


class NutUpsPowerEvent(NutUpsEntity, EventEntity):
    """Fires the UPS's power events: on battery, online, low battery, communication lost.

    Always available: ``communication_lost`` is itself an event, and the *Event received*
    trigger ignores an entity coming back from unavailable.
    """

    @property
    @override
    def available(self) -> bool:
        """Always: the entity reports contact being lost and regained too."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator's transitions."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_transition_listener(self._on_transitions))

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Nothing to write: the state changes only with an event."""

    @callback
    def _on_transitions(self, transitions: tuple[Transition, ...]) -> None:
        """Fire each transition as its own event (one state change each, in order)."""
        for transition in transitions:
            self._trigger_event(transition.event, transition.attributes())
            self.async_write_ha_state()

"""The logbook's sentence for each power event: "demo switched to battery, 97 %, 45 min left".

The coordinator fires ``nut_ups_power_event`` on the bus once per transition; this describes
it, next to the power event entity's own state change. Loaded by the logbook integration.
"""

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .coordinator import EVENT_POWER
from .transitions import PowerEvent, sentence

type Describe = Callable[[Event[Any]], dict[str, str]]


def describe(data: dict[str, Any], entity_id: str | None) -> dict[str, str]:
    """Return the logbook entry of one ``nut_ups_power_event`` with event data ``data``."""
    entry = {
        LOGBOOK_ENTRY_NAME: str(data.get("name") or "UPS"),
        LOGBOOK_ENTRY_MESSAGE: sentence(
            PowerEvent(data["event_type"]),
            data.get("battery_charge"),
            data.get("battery_runtime"),
            data.get("input_voltage"),
            data.get("outage_duration"),
        ),
    }
    if entity_id is not None:
        entry[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
    return entry


@callback
def async_describe_events(
    hass: HomeAssistant, async_describe_event: Callable[[str, str, Describe], None]
) -> None:
    """Describe ``nut_ups_power_event`` for the logbook."""
    registry = er.async_get(hass)

    @callback
    def describe_power_event(event: Event[Any]) -> dict[str, str]:
        entity_id = registry.async_get_entity_id(
            Platform.EVENT, DOMAIN, f"{event.data.get('entry_id')}_power_event"
        )
        return describe(dict(event.data), entity_id)

    async_describe_event(DOMAIN, EVENT_POWER, describe_power_event)

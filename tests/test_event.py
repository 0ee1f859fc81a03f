"""The power event entity against a real upsd: each transition fired once, with its data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.nut_ups.coordinator import EVENT_POWER
from custom_components.nut_ups.logbook import async_describe_events
from custom_components.nut_ups.nut import NUTDataUnavailableError
from tests.support.ha import ENTRY_ID, entity_id, refresh, setup_entry, state, wait_for
from tests.support.upsd import Upsd


class Recorder:
    """The power events of one entry, as the event entity's state changes and as bus events."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        self.entity_id = entity_id(hass, entry, "event", "power_event")
        self.states: list[dict[str, Any]] = []
        self.bus: list[dict[str, Any]] = []

        @callback
        def on_state(event: Event[EventStateChangedData]) -> None:
            """What the *Event received* trigger counts: a new timestamp, not from unavailable."""
            old, new = event.data["old_state"], event.data["new_state"]
            if (
                event.data["entity_id"] == self.entity_id
                and old is not None
                and new is not None
                and STATE_UNAVAILABLE not in {old.state, new.state}
                and old.state != new.state
            ):
                self.states.append({"state": new.state, **new.attributes})

        hass.bus.async_listen(EVENT_STATE_CHANGED, on_state)
        hass.bus.async_listen(
            EVENT_POWER, callback(lambda event: self.bus.append(dict(event.data)))
        )

    @property
    def types(self) -> list[str]:
        """Event types fired so far, in order."""
        types = [state["event_type"] for state in self.states]
        assert types == [data["event_type"] for data in self.bus]
        return types

    def clear(self) -> None:
        self.states.clear()
        self.bus.clear()


async def test_event_entity(
    hass: HomeAssistant,
    upsd: Upsd,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Key, name, event types and state of the power event entity: public API."""
    with patch("custom_components.nut_ups.PLATFORMS", [Platform.EVENT]):
        await setup_entry(hass, upsd, entry_id=ENTRY_ID)
    await snapshot_platform(hass, entity_registry, snapshot, ENTRY_ID)


async def test_outage_drill_fires_each_event_once(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    power_event = state(hass, entry, "event", "power_event")
    assert power_event.state == STATE_UNKNOWN  # nothing at start
    events = Recorder(hass, entry)

    await upsd.set_var("battery.charge", "97")
    await upsd.set_var("battery.runtime", "2700")
    await upsd.set_var("input.voltage", "0")
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    assert events.types == ["on_battery"]
    fired = events.states[0]
    assert (fired["battery_charge"], fired["battery_runtime"], fired["input_voltage"]) == (
        97.0,
        2700.0,
        0.0,
    )
    assert events.bus[0] == {
        "entry_id": entry.entry_id,
        "name": "test@127.0.0.1",
        "event_type": "on_battery",
        "battery_charge": 97.0,
        "battery_runtime": 2700.0,
        "input_voltage": 0.0,
    }
    for _ in range(3):  # still on battery: every check a full poll, no new event
        await upsd.set_var("battery.charge", "96")
        await refresh(hass, entry)
    assert events.types == ["on_battery"]

    await upsd.set_var("ups.status", "OB DISCHRG LB")
    await refresh(hass, entry)
    await refresh(hass, entry)
    await upsd.set_var("input.voltage", "229.5")
    await upsd.set_var("ups.status", "OL CHRG")
    await refresh(hass, entry)
    await refresh(hass, entry)
    assert events.types == ["on_battery", "low_battery", "online"]
    assert events.states[-1]["input_voltage"] == 229.5
    # online says how long the outage lasted (from the history); the others do not have it.
    assert events.states[-1]["outage_duration"] >= 0
    assert "outage_duration" not in events.states[0]

    # Two events of one poll are two state changes, in order.
    events.clear()
    await upsd.set_var("ups.status", "OB LB")
    await refresh(hass, entry)
    assert events.types == ["on_battery", "low_battery"]
    assert len({fired["state"] for fired in events.states}) == 2


async def test_a_flap_seen_within_one_check_is_two_events(hass: HomeAssistant, upsd: Upsd) -> None:
    """The status check sees OB, and the full list read right after already says OL."""
    entry = await setup_entry(hass, upsd)
    events = Recorder(hass, entry)
    coordinator = entry.runtime_data
    assert coordinator.session is not None  # full polls go over the status watch's connection
    list_vars = coordinator.session.list_vars

    async def back_on_mains_first(ups: str) -> dict[str, str]:
        await upsd.set_var("ups.status", "OL")
        values: dict[str, str] = await list_vars(ups)
        return values

    with patch.object(coordinator.session, "list_vars", back_on_mains_first):
        await upsd.set_var("ups.status", "OB")  # the next status check sees it
        await wait_for(lambda: events.types == ["on_battery", "online"])
    assert coordinator.data.status.raw == "OL"
    await refresh(hass, entry)
    assert events.types == ["on_battery", "online"]


async def test_no_events_at_start_or_reload(hass: HomeAssistant, upsd: Upsd) -> None:
    """Booting on battery is a state; a reload keeps the last event and fires none."""
    await upsd.set_var("ups.status", "OB DISCHRG LB")
    entry = await setup_entry(hass, upsd)
    assert state(hass, entry, "event", "power_event").state == STATE_UNKNOWN
    events = Recorder(hass, entry)
    await refresh(hass, entry)
    await upsd.set_var("ups.status", "OL")
    await refresh(hass, entry)
    assert events.types == ["online"]
    last = state(hass, entry, "event", "power_event")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await refresh(hass, entry)
    after = state(hass, entry, "event", "power_event")
    assert (after.state, after.attributes["event_type"]) == (last.state, "online")
    assert events.types == ["online"]


async def test_communication_lost_and_restored_follow_availability(
    hass: HomeAssistant, upsd: Upsd, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, upsd)
    events = Recorder(hass, entry)

    await hass.async_add_executor_job(upsd.stop_server)
    await refresh(hass, entry)
    freezer.tick(timedelta(seconds=10))
    await refresh(hass, entry)
    assert events.types == []  # within the dead time: nothing, entities still available
    assert state(hass, entry, "sensor", "battery_charge").state == "100"

    freezer.tick(timedelta(seconds=6))
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
    assert events.types == ["communication_lost"]
    # The event entity itself stays available, so the event is a state change triggers see.
    assert state(hass, entry, "event", "power_event").attributes["event_type"] == (
        "communication_lost"
    )
    await refresh(hass, entry)
    assert events.types == ["communication_lost"]

    # Back, and the UPS went on battery meanwhile: restored first, then the change.
    await hass.async_add_executor_job(upsd.start_server)
    await hass.async_add_executor_job(upsd.wait_ready)
    await upsd.set_var("ups.status", "OB")
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    assert events.types == ["communication_lost", "communication_restored", "on_battery"]


async def test_stale_data_is_communication_lost_after_the_dead_time(
    hass: HomeAssistant, upsd: Upsd, freezer: FrozenDateTimeFactory
) -> None:
    """upsd saying its data is stale (a driver it is reconnecting to) is a missed answer:
    entities stay for the dead time, then go unavailable, and the event says so once."""
    entry = await setup_entry(hass, upsd, status_interval=60)  # checks would answer "OL"
    events = Recorder(hass, entry)
    coordinator = entry.runtime_data

    async def stale(*args: str) -> str:
        raise NUTDataUnavailableError("DATA-STALE")

    assert coordinator.session is not None  # full polls go over the status watch's connection
    with patch.object(coordinator.session, "list_vars", stale):
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done()
        assert state(hass, entry, "sensor", "battery_charge").state == "100"
        assert events.types == []
        freezer.tick(timedelta(seconds=16))
        await entry.runtime_data.async_refresh()
        await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
    assert events.types == ["communication_lost"]
    await refresh(hass, entry)
    assert events.types == ["communication_lost", "communication_restored"]


async def test_shutdown_scheduled_and_cancelled(hass: HomeAssistant, upsd: Upsd) -> None:
    """From ups.timer.shutdown, whoever scheduled it; a running timer is re-read at every check."""
    entry = await setup_entry(hass, upsd)
    events = Recorder(hass, entry)
    coordinator = entry.runtime_data
    await upsd.set_var("ups.timer.shutdown", "120")
    await coordinator.async_full_refresh()
    await hass.async_block_till_done()
    assert events.types == ["shutdown_scheduled"]

    full = coordinator.full_polls
    await upsd.set_var("ups.timer.shutdown", "-1")
    await refresh(hass, entry)  # a status check would not see the timer: a full poll runs
    assert coordinator.full_polls == full + 1
    assert events.types == ["shutdown_scheduled", "shutdown_cancelled"]


async def test_logbook_sentence(hass: HomeAssistant, upsd: Upsd) -> None:
    """logbook.py turns each bus event into a sentence naming the UPS, linked to the entity."""
    entry = await setup_entry(hass, upsd)
    events = Recorder(hass, entry)
    await upsd.set_var("battery.charge", "97")
    await upsd.set_var("battery.runtime", "2700")
    await upsd.set_var("ups.status", "OB")
    await refresh(hass, entry)

    described: dict[str, Any] = {}

    def describe_event(domain: str, event_type: str, describe: Any) -> None:
        described[event_type] = (domain, describe)

    async_describe_events(hass, describe_event)
    domain, describe = described[EVENT_POWER]
    assert domain == "nut_ups"
    entry_data = describe(Event(EVENT_POWER, events.bus[0]))
    assert entry_data == {
        "name": "test@127.0.0.1",
        "message": "switched to battery, 97 %, 45 min left",
        "entity_id": events.entity_id,
    }

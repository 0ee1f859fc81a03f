"""Outage history and energy against a real upsd: sensors, restarts, the Energy dashboard's sum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.nut_ups.const import DOMAIN
from custom_components.nut_ups.history import ENERGY_SAVE_DELAY, storage_key
from tests.conftest import UpsdFactory
from tests.support.ha import refresh, setup_entry, state
from tests.support.upsd import Upsd

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def history(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    keys = ("last_power_outage", "last_outage_duration", "power_outages", "time_on_battery")
    return {key: state(hass, entry, "sensor", key).state for key in keys}


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry (as Home Assistant stopping would) and set it up again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    freezer.move_to(T0)
    return freezer


async def test_an_outage_in_the_history(
    hass: HomeAssistant, upsd: Upsd, clock: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, upsd)
    assert history(hass, entry) == {
        "last_power_outage": STATE_UNKNOWN,
        "last_outage_duration": STATE_UNKNOWN,
        "power_outages": "0",
        "time_on_battery": "0",
    }
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    for _ in range(30):
        clock.tick(2)
        await refresh(hass, entry)
    assert history(hass, entry) == {
        "last_power_outage": "2026-12-01T12:00:00+00:00",
        "last_outage_duration": STATE_UNKNOWN,
        "power_outages": "1",
        "time_on_battery": "60",
    }
    await upsd.set_var("ups.status", "OL CHRG")
    clock.tick(1)
    await refresh(hass, entry)
    clock.tick(100)
    await refresh(hass, entry)
    assert history(hass, entry) == {
        "last_power_outage": "2026-12-01T12:00:00+00:00",
        "last_outage_duration": "61",
        "power_outages": "1",
        "time_on_battery": "61",
    }

    # Without contact the history stays available, and no time on battery is counted.
    await upsd.set_var("ups.status", "OB")
    await refresh(hass, entry)
    await hass.async_add_executor_job(upsd.stop_server)
    clock.tick(16)
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
    assert history(hass, entry)["power_outages"] == "2"
    clock.tick(100)
    await refresh(hass, entry)
    assert history(hass, entry)["time_on_battery"] == "77"  # 61 + 16 until contact was lost


async def test_an_outage_in_progress_at_restart_continues(
    hass: HomeAssistant, upsd: Upsd, clock: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, upsd)
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    clock.tick(20)
    await refresh(hass, entry)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    clock.tick(300)  # Home Assistant down for 5 minutes, the UPS still on battery
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert history(hass, entry) == {
        "last_power_outage": "2026-12-01T12:00:00+00:00",
        "last_outage_duration": STATE_UNKNOWN,
        "power_outages": "1",  # not counted again
        "time_on_battery": "20",  # the downtime is not counted
    }
    clock.tick(10)
    await upsd.set_var("ups.status", "OL")
    await refresh(hass, entry)
    assert history(hass, entry) == {
        "last_power_outage": "2026-12-01T12:00:00+00:00",
        "last_outage_duration": "330",  # from the switch to battery to mains back, as seen
        "power_outages": "1",
        "time_on_battery": "30",
    }


async def test_an_outage_that_ended_while_down_is_closed(
    hass: HomeAssistant, upsd: Upsd, clock: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, upsd)
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    clock.tick(40)
    await refresh(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await upsd.set_var("ups.status", "OL")
    clock.tick(300)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert history(hass, entry) == {
        "last_power_outage": "2026-12-01T12:00:00+00:00",
        "last_outage_duration": "40",  # until it was last seen on battery
        "power_outages": "1",
        "time_on_battery": "40",
    }
    # No `online` event either: the event entity still shows the switch to battery.
    power_event = state(hass, entry, "event", "power_event")
    assert power_event.state == "2026-12-01T12:00:00.000+00:00"
    assert power_event.attributes["event_type"] == "on_battery"


async def test_history_is_stored_and_removed_with_the_entry(
    hass: HomeAssistant, upsd: Upsd, hass_storage: dict[str, Any]
) -> None:
    entry = await setup_entry(hass, upsd)
    await upsd.set_var("ups.status", "OB")
    await refresh(hass, entry)
    await restart(hass, entry)
    stored = hass_storage[storage_key(entry.entry_id)]["data"]
    assert stored["outages"]["outages"] == 1
    assert stored["energy"]["source"] == "estimated"
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(entry.entry_id) not in hass_storage


async def test_energy_matches_home_assistant_s_riemann_sum(
    hass: HomeAssistant, upsd: Upsd, clock: FrozenDateTimeFactory
) -> None:
    """The energy sensor against the core `integration` helper fed the same power samples."""
    assert await async_setup_component(
        hass,
        "sensor",
        {
            "sensor": [
                {
                    "platform": "integration",
                    "name": "reference",
                    "source": "sensor.test_estimated_power",
                    "method": "left",
                    "unit_prefix": "k",
                    "round": 6,
                }
            ]
        },
    )
    entry = await setup_entry(hass, upsd, scan_interval=0)  # every poll reads ups.load
    await hass.async_block_till_done()
    energy = entry.runtime_data.history.energy
    start = energy.kwh
    loads = [23, 23, 40, 90, 90, 90, 10, 55, 55, 70] * 6
    for load in loads:
        await upsd.set_var("ups.load", str(load))
        clock.tick(10)
        await refresh(hass, entry)
    # The helper adds an interval when the next state comes: end on a change.
    await upsd.set_var("ups.load", "1")
    clock.tick(10)
    await refresh(hass, entry)

    reference = float(hass.states.get("sensor.reference").state)  # type: ignore[union-attr]
    ours = energy.kwh - start
    assert reference > 0.05
    assert abs(ours - reference) <= 0.01 * reference, (ours, reference)
    print(f"energy {ours:.6f} kWh, integration helper {reference:.6f} kWh")
    shown = state(hass, entry, "sensor", "energy")
    assert float(shown.state) == round(energy.kwh, 3)
    assert shown.attributes["source"] == "estimated"
    assert shown.attributes["unit_of_measurement"] == "kWh"
    assert shown.attributes["state_class"] == "total_increasing"


async def test_energy_counts_between_full_polls_and_skips_missed_ones(
    hass: HomeAssistant, upsd: Upsd, clock: FrozenDateTimeFactory
) -> None:
    """On mains the full poll comes every 30 s (defaults): energy adds up across that interval,
    but not across a gap longer than one and a half of it (a poll missed)."""
    entry = await setup_entry(hass, upsd)
    energy = entry.runtime_data.history.energy
    clock.tick(30)
    await refresh(hass, entry)
    after_one = energy.kwh
    assert after_one == pytest.approx(230 * 30 / 3_600_000)
    await hass.async_add_executor_job(upsd.stop_server)
    clock.tick(30)
    await refresh(hass, entry)  # no answer: nothing integrated
    clock.tick(30)
    await refresh(hass, entry)
    await hass.async_add_executor_job(upsd.start_server)
    await hass.async_add_executor_job(upsd.wait_ready)
    await refresh(hass, entry)  # 60 s since the last answer: a gap, not integrated
    assert energy.kwh == after_one
    clock.tick(30)
    await refresh(hass, entry)
    assert energy.kwh == pytest.approx(2 * after_one)
    await restart(hass, entry)
    assert entry.runtime_data.history.energy.kwh == pytest.approx(2 * after_one)
    # A restart is a gap too: the first poll after it adds nothing.
    assert float(state(hass, entry, "sensor", "energy").state) == round(2 * after_one, 3)


async def test_a_poll_writes_only_the_history_sensors_it_changed(
    hass: HomeAssistant, upsd: Upsd, clock: FrozenDateTimeFactory
) -> None:
    """Energy changes at every full poll on mains; the other history sensors are not written
    again for it (Home Assistant would only bump their last_reported, at a cost per sensor)."""
    entry = await setup_entry(hass, upsd)
    clock.tick(30)
    await refresh(hass, entry)
    energy = state(hass, entry, "sensor", "energy").state
    reported = state(hass, entry, "sensor", "power_outages").last_reported  # a new object if so
    clock.tick(30)
    await refresh(hass, entry)
    assert float(state(hass, entry, "sensor", "energy").state) > float(energy)
    assert state(hass, entry, "sensor", "power_outages").last_reported == reported
    await upsd.set_var("ups.status", "OB")
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "power_outages").state == "1"


async def test_energy_alone_is_written_every_few_minutes_not_after_each_poll(
    hass: HomeAssistant,
    upsd: Upsd,
    clock: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Energy grows at every full poll on mains. Written 10 s after each, 100 UPSes made three
    file writes a second; it waits up to ENERGY_SAVE_DELAY instead (the Store's timers run on
    the loop's clock, which only async_fire_time_changed moves here)."""
    assert ENERGY_SAVE_DELAY == 300
    entry = await setup_entry(hass, upsd)
    energy = entry.runtime_data.history.energy
    key = storage_key(entry.entry_id)

    def later(seconds: float) -> None:
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))

    def stored_kwh() -> float | None:
        kwh = hass_storage.get(key, {}).get("data", {}).get("energy", {}).get("kwh")
        return None if kwh is None else float(kwh)

    later(11)  # whatever the setup changed is written
    await hass.async_block_till_done()
    for _ in range(10):  # five minutes of full polls, 30 s apart
        clock.tick(30)
        await refresh(hass, entry)
        later(15)
        await hass.async_block_till_done()
    assert energy.kwh > 0
    assert stored_kwh() != energy.kwh  # not written 10 s after each poll
    later(ENERGY_SAVE_DELAY + 1)
    await hass.async_block_till_done()
    assert stored_kwh() == energy.kwh

    clock.tick(30)
    await refresh(hass, entry)  # the next energy change waits again, as long
    later(15)
    await hass.async_block_till_done()
    assert stored_kwh() != energy.kwh
    await upsd.set_var("ups.status", "OB")  # anything but energy is written within 10 s
    await refresh(hass, entry)
    later(11)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"]["outages"]["outages"] == 1
    assert stored_kwh() == energy.kwh  # and takes the energy with it


async def test_no_energy_sensor_without_a_power_figure(
    hass: HomeAssistant, upsd_factory: UpsdFactory, tmp_path: Path
) -> None:
    dev = tmp_path / "small.dev"
    dev.write_text("battery.charge: 100\nups.load: 20\nups.status: OL\n")
    entry = await setup_entry(hass, upsd_factory(dev))
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_energy") is None
    assert state(hass, entry, "sensor", "power_outages").state == "0"

"""Setting up an entry against a real upsd: entities, device, unload, reload, options."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nut_ups.const import (
    CONF_SCAN_INTERVAL,
    CONF_STATUS_INTERVAL,
    DOMAIN,
)
from custom_components.nut_ups.coordinator import ACTIVE_FULL_INTERVAL
from custom_components.nut_ups.status_watch import WATCHES
from tests.conftest import UpsdFactory
from tests.support.ha import SAVED_OPTIONS, entity_id, refresh, setup_entry, state, wait_for
from tests.support.upsd import Upsd, fixture_path


async def test_setup_creates_entities_and_device(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    assert entry.state is ConfigEntryState.LOADED

    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    charge = state(hass, entry, "sensor", "battery_charge")
    assert charge.attributes["unit_of_measurement"] == "%"
    assert charge.attributes["device_class"] == "battery"
    assert state(hass, entry, "sensor", "load").state == "23"
    runtime = state(hass, entry, "sensor", "battery_runtime")
    assert runtime.attributes["unit_of_measurement"] == "min"
    assert float(runtime.state) == 65.0  # 3900 s shown in minutes
    assert runtime.attributes["formatted"] == "1h 5m"
    assert state(hass, entry, "sensor", "alert_level").state == "ok"
    status = state(hass, entry, "sensor", "status")
    assert status.state == "online"
    assert status.attributes["flags"] == ["OL"]
    assert state(hass, entry, "sensor", "input_voltage").state == "230.4"
    assert state(hass, entry, "sensor", "estimated_power").state == "230.0"  # 1000 W x 23 %
    assert state(hass, entry, "sensor", "ups_temperature").state == "31.0"
    assert state(hass, entry, "binary_sensor", "online").state == STATE_ON
    assert state(hass, entry, "binary_sensor", "on_battery").state == STATE_OFF
    assert state(hass, entry, "binary_sensor", "low_battery").state == STATE_OFF
    assert state(hass, entry, "binary_sensor", "charging").state == STATE_OFF

    # Every other variable is a disabled diagnostic sensor with its unit.
    registry = er.async_get(hass)
    nominal = registry.async_get(entity_id(hass, entry, "sensor", "input.voltage.nominal"))
    assert nominal is not None and nominal.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert nominal.entity_category == "diagnostic"
    assert nominal.unit_of_measurement == "V"
    assert registry.async_get(entity_id(hass, entry, "sensor", "ups.id")) is not None
    assert (
        registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_battery.charge") is None
    )

    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.identifiers == {(DOMAIN, entry.entry_id)}
    assert device.manufacturer == "American Power Conversion"
    assert device.model == "Smart-UPS 1500"
    assert device.serial_number == "AS1234567890"
    assert device.sw_version == "UPS 15.5 (ID18)"
    assert state(hass, entry, "sensor", "battery_charge").entity_id == "sensor.test_battery_charge"


async def test_unload_and_reload(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    charge = entity_id(hass, entry, "sensor", "battery_charge")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert state(hass, entry, "sensor", "battery_charge").state == STATE_UNAVAILABLE
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    assert hass.states.get(charge) is not None


async def test_setup_retries_when_upsd_is_down(hass: HomeAssistant, upsd: Upsd) -> None:
    await hass.async_add_executor_job(upsd.stop_server)
    entry = await setup_entry(hass, upsd)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_options_change_the_intervals(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STATUS_INTERVAL: 5, CONF_SCAN_INTERVAL: 120}
    )
    await hass.async_block_till_done()
    assert entry.options == {**SAVED_OPTIONS, CONF_STATUS_INTERVAL: 5, CONF_SCAN_INTERVAL: 120}
    coordinator = entry.runtime_data
    assert coordinator.status_interval == 5
    assert coordinator.update_interval == timedelta(seconds=120)  # full polls, the UPS online
    assert coordinator.scan_interval == 120


async def test_status_checks_between_full_polls_and_a_full_poll_on_change(
    hass: HomeAssistant, upsd: Upsd
) -> None:
    """Status checks alone read no list; a changed status is read in full at once, unasked."""
    entry = await setup_entry(hass, upsd)
    coordinator = entry.runtime_data
    full = coordinator.full_polls
    (running,) = hass.data[WATCHES].values()
    assert running.watch.ups_names == ["test"]
    await upsd.set_var("battery.charge", "55")
    checks = running.watch.checks
    await wait_for(lambda: running.watch.checks >= checks + 3)
    assert coordinator.full_polls == full  # only GET VAR ups.status
    assert state(hass, entry, "sensor", "battery_charge").state == "100"  # not re-read yet

    await upsd.set_var("ups.status", "OB DISCHRG")
    on_battery = entity_id(hass, entry, "binary_sensor", "on_battery")
    await wait_for(lambda: hass.states.is_state(on_battery, STATE_ON))
    assert coordinator.full_polls == full + 1
    assert state(hass, entry, "sensor", "battery_charge").state == "55"
    # On battery, full polls every ACTIVE_FULL_INTERVAL (charge and runtime move).
    assert coordinator.update_interval == timedelta(seconds=ACTIVE_FULL_INTERVAL)
    await upsd.set_var("ups.status", "OL")
    await wait_for(lambda: hass.states.is_state(on_battery, STATE_OFF))
    assert coordinator.update_interval == timedelta(seconds=30)


async def test_no_state_writes_while_nothing_changes(hass: HomeAssistant, upsd: Upsd) -> None:
    """Polls that find nothing new write no state: the recorder is not flooded."""
    entry = await setup_entry(hass, upsd, scan_interval=0)  # every poll a full LIST VAR
    coordinator = entry.runtime_data
    changes: list[Event[EventStateChangedData]] = []
    hass.bus.async_listen(EVENT_STATE_CHANGED, changes.append)
    full = coordinator.full_polls
    for _ in range(3):
        await refresh(hass, entry)
    assert coordinator.full_polls >= full + 3  # more if a loaded machine made one time out
    assert changes == []
    await upsd.set_var("ups.load", "24")
    await refresh(hass, entry)
    assert sorted(event.data["entity_id"] for event in changes) == [
        "sensor.test_estimated_power",  # load x nominal power: the two change together
        "sensor.test_load",
    ]


async def test_full_poll_after_scan_interval(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd, scan_interval=0)
    coordinator = entry.runtime_data
    full = coordinator.full_polls
    await upsd.set_var("ups.load", "42")
    await refresh(hass, entry)
    assert coordinator.full_polls == full + 1
    assert state(hass, entry, "sensor", "load").state == "42"


async def test_variable_appearing_later_gets_an_entity(
    hass: HomeAssistant, upsd_factory: UpsdFactory, tmp_path: Path
) -> None:
    """A sensor appears only after a driver reconnect: it gets its entity without a reload."""
    server = upsd_factory(fixture_path("smart-ups.dev"))
    entry = await setup_entry(hass, server, scan_interval=0)
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_ambient_temperature")
        is None
    )
    changed = tmp_path / "alarm.dev"
    changed.write_text(fixture_path("smart-ups.dev").read_text() + "ambient.temperature: 24.5\n")
    await hass.async_add_executor_job(server.replace_device, "test", changed)
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "ambient_temperature").state == "24.5"


async def test_two_identical_ups_never_collide(
    hass: HomeAssistant, upsd_factory: UpsdFactory
) -> None:
    """Same model, same serial number: two devices, two sets of entities."""
    dev = fixture_path("smart-ups.dev")
    server = upsd_factory({"left": dev, "right": dev})
    first = await setup_entry(hass, server, "left")
    second = await setup_entry(hass, server, "right")
    assert entity_id(hass, first, "sensor", "battery_charge") == "sensor.left_battery_charge"
    assert entity_id(hass, second, "sensor", "battery_charge") == "sensor.right_battery_charge"
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), first.entry_id)
    devices += dr.async_entries_for_config_entry(dr.async_get(hass), second.entry_id)
    assert len({device.id for device in devices}) == 2


async def test_entities_seen_before_come_back_after_a_restart(
    hass: HomeAssistant, upsd_factory: UpsdFactory, tmp_path: Path
) -> None:
    """A variable reported only on battery: after a restart on mains its entity is unknown."""
    base = fixture_path("smart-ups.dev").read_text()
    with_extra = tmp_path / "on-battery.dev"
    with_extra.write_text(base + "ambient.temperature: 24.5\nbattery.current: 3.2\n")
    server = upsd_factory(with_extra)
    entry = await setup_entry(hass, server)
    registry = er.async_get(hass)
    current = entity_id(hass, entry, "sensor", "battery.current")
    registry.async_update_entity(current, disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery.current").state == "3.2"

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_add_executor_job(server.replace_device, "test", fixture_path("smart-ups.dev"))
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "ambient_temperature").state == "unknown"
    battery_current = state(hass, entry, "sensor", "battery.current")
    assert battery_current.state == "unknown"
    assert battery_current.attributes["unit_of_measurement"] == "A"


async def test_device_follows_the_ups(hass: HomeAssistant, upsd: Upsd) -> None:
    """A firmware update or another UPS behind the same name shows without a reload."""
    entry = await setup_entry(hass, upsd, scan_interval=0)
    await upsd.set_var("ups.firmware", "UPS 16.1 (ID18)")
    await upsd.set_var("device.model", "Smart-UPS 1500 RM")
    await refresh(hass, entry)
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.sw_version == "UPS 16.1 (ID18)"
    assert device.model == "Smart-UPS 1500 RM"
    assert device.serial_number == "AS1234567890"


async def test_sentinel_readings_are_unknown(hass: HomeAssistant, upsd: Upsd) -> None:
    """-1 and a Socomec's -60.0 runtime mean "not available", never a negative duration."""
    entry = await setup_entry(hass, upsd, scan_interval=0)
    await upsd.set_var("battery.runtime", "-60.0")
    await upsd.set_var("battery.charge", "-1")
    await upsd.set_var("ups.load", "-1")
    await upsd.set_var("input.voltage", "-1")
    await upsd.set_var("ups.temperature", "-5")
    await refresh(hass, entry)
    runtime = state(hass, entry, "sensor", "battery_runtime")
    assert runtime.state == "unknown"
    assert runtime.attributes["formatted"] is None
    assert state(hass, entry, "sensor", "battery_charge").state == "unknown"
    assert state(hass, entry, "sensor", "load").state == "unknown"
    assert state(hass, entry, "sensor", "estimated_power").state == "unknown"
    assert state(hass, entry, "sensor", "input_voltage").state == "unknown"
    assert state(hass, entry, "sensor", "ups_temperature").state == "-5"  # may be negative
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{entry.entry_id}_on_battery")
    assert issue is not None and issue.translation_placeholders == {
        "name": "test@127.0.0.1",
        "charge": "—",
        "runtime": "—",
    }


@pytest.mark.parametrize(
    ("saved", "migrated"), [(2, 0.4), (2.0, 0.4), (5, 5), (0.4, 0.4), (None, None)]
)
async def test_migration_to_1_2_brings_the_old_default_interval_to_the_new_one(
    hass: HomeAssistant, upsd: Upsd, saved: float | None, migrated: float | None
) -> None:
    """A 2 s status interval saved by a 1.1 entry was the default: it becomes 0.4 s."""
    options = {} if saved is None else {CONF_STATUS_INTERVAL: saved, CONF_SCAN_INTERVAL: 30}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="test@127.0.0.1",
        data={"host": upsd.host, "port": upsd.port, "ups": upsd.ups},
        options=options,
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 2
    assert entry.options.get(CONF_STATUS_INTERVAL) == migrated
    assert entry.runtime_data.status_interval == (migrated or 0.4)


async def test_an_entry_from_a_newer_version_is_not_set_up(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"host": upsd.host, "port": upsd.port, "ups": upsd.ups},
        version=2,
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR

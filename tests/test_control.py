"""Acting on the UPS: buttons, settings, outlets and actions, against a simulated upsd with a
real command catalogue (tests/support/sim_upsd.py) and, where dummy-ups can, a real upsd."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nut_ups.const import DOMAIN
from custom_components.nut_ups.nut import NUTClient
from tests.support.ha import entity_id, refresh, setup_entry, state
from tests.support.sim_upsd import SimUpsd
from tests.support.upsd import Upsd

ADMIN = ("admin", "s3cret")


@dataclass
class SimEndpoint:
    host: str
    port: int
    ups: str = "ups"


@pytest.fixture
async def sim() -> AsyncIterator[tuple[SimUpsd, SimEndpoint]]:
    server = SimUpsd()
    async with server.serve() as port:
        yield server, SimEndpoint("127.0.0.1", port)


def device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return device.id


async def call(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {"device_id": device_id(hass, entry), **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


def enabled(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> bool:
    item = er.async_get(hass).async_get(entity_id(hass, entry, platform, key))
    assert item is not None
    return item.disabled_by is None


async def test_control_entities_and_their_defaults(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]
) -> None:
    _, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    # The battery tests and muting the beeper are on; nothing that can cut power is.
    for command in ("test.battery.start.quick", "test.battery.start.deep", "beeper.mute"):
        assert enabled(hass, entry, "button", f"command_{command}"), command
    for command in (
        "shutdown.return",
        "shutdown.stayoff",
        "load.off",
        "load.off.delay",
        "outlet.1.load.cycle",
        "beeper.disable",
        "vendor.special.thing",
    ):
        assert not enabled(hass, entry, "button", f"command_{command}"), command
    assert not enabled(hass, entry, "switch", "outlet_1")
    # outlet.N.load.on/off belong to the switch, not to buttons.
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id(
            "button", DOMAIN, f"{entry.entry_id}_command_outlet.1.load.off"
        )
        is None
    )
    # Settings: number (range), select (enum), text (string); measurements never.
    charge_low = state(hass, entry, "number", "setting_battery.charge.low")
    assert charge_low.state == "10"
    assert charge_low.attributes["min"] == 5 and charge_low.attributes["max"] == 50
    assert charge_low.attributes["unit_of_measurement"] == "%"
    sensitivity = state(hass, entry, "select", "setting_input.sensitivity")
    assert sensitivity.state == "medium"
    assert sensitivity.attributes["options"] == ["low", "medium", "high"]
    assert state(hass, entry, "select", "setting_ups.beeper.status").state == "enabled"
    assert not enabled(hass, entry, "text", "setting_ups.id")
    assert (
        registry.async_get_entity_id("number", DOMAIN, f"{entry.entry_id}_setting_ups.load") is None
    )
    assert state(hass, entry, "sensor", "shutdown_at").state == STATE_UNKNOWN
    assert (
        state(hass, entry, "button", "command_test.battery.start.quick").entity_id
        == "button.ups_quick_battery_test"
    )


async def test_without_credentials_there_is_no_control(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint)
    domains = {
        item.domain
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    assert domains == {"sensor", "binary_sensor", "event"}  # monitoring only
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, entry, "run_command", command="beeper.mute")
    assert err.value.translation_key == "no_credentials"
    assert not any(line.startswith("LIST CMD") for _, line in server.received)  # not even read


async def test_press_a_button_once_and_see_the_result(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": entity_id(hass, entry, "button", "command_test.battery.start.quick")},
        blocking=True,
    )
    assert server.commands_received() == ['INSTCMD "ups" "test.battery.start.quick"']
    # Confirmed by TRACKING, then one full poll shows what the UPS says now.
    assert any(line.startswith("GET TRACKING") for _, line in server.received)
    test_result = entity_id(hass, entry, "sensor", "ups.test.result")
    er.async_get(hass).async_update_entity(test_result, disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(test_result).state == "In progress"  # type: ignore[union-attr]


async def test_run_command_action_returns_the_outcome(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    assert await call(hass, entry, "run_command", command="beeper.mute") == {
        "command": "beeper.mute",
        "result": "success",
    }
    assert state(hass, entry, "select", "setting_ups.beeper.status").state == "muted"
    server.outcomes["beeper.disable"] = "FAILURE"
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, entry, "run_command", command="beeper.disable")
    assert err.value.translation_key == "failed"
    server.tracking = False
    assert (await call(hass, entry, "run_command", command="beeper.enable"))["result"] == "sent"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"command": "beeper.mutte"}, "command_not_supported"),
        ({"command": "beeper.mute\nLOGOUT"}, "invalid_characters"),
        ({"command": "beeper.mute", "value": "a\x00b"}, "invalid_characters"),
        ({"command": "beeper.mute", "value": "x" * 256}, "text_too_long"),
    ],
)
async def test_run_command_refuses_before_sending(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint], data: dict[str, str], key: str
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, entry, "run_command", **data)
    assert err.value.translation_key == key
    placeholders = err.value.translation_placeholders or {}
    if key == "command_not_supported":
        assert "beeper.mute" in placeholders["closest"]
    if key == "invalid_characters":  # shown escaped, so the message needs no translation of it
        assert "\\n" in placeholders["text"] or "\\x00" in placeholders["text"]
    if key == "text_too_long":
        assert (placeholders["length"], placeholders["maximum"]) == ("256", "255")
        assert len(placeholders["text"]) == 40
    assert server.commands_received() == []


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("battery.charge.low", "80", "out_of_range"),
        ("battery.charge.low", "ten", "not_a_number"),
        ("input.sensitivity", "extreme", "not_an_option"),
        ("ups.id", "much too long", "too_long"),
        ("ups.id", "two\nlines", "invalid_characters"),
        ("ups.load", "5", "not_a_setting"),
    ],
)
async def test_set_variable_refuses_before_sending(
    hass: HomeAssistant,
    sim: tuple[SimUpsd, SimEndpoint],
    variable: str,
    value: str,
    key: str,
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, entry, "set_variable", variable=variable, value=value)
    assert err.value.translation_key == key
    assert server.commands_received() == []


async def test_settings_write_and_show_the_ups_value(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": entity_id(hass, entry, "number", "setting_battery.charge.low"), "value": 25},
        blocking=True,
    )
    assert state(hass, entry, "number", "setting_battery.charge.low").state == "25"
    await hass.services.async_call(
        "select",
        "select_option",
        {
            "entity_id": entity_id(hass, entry, "select", "setting_input.sensitivity"),
            "option": "high",
        },
        blocking=True,
    )
    assert state(hass, entry, "select", "setting_input.sensitivity").state == "high"
    # Quotes, backslashes and # are escaped and sent, not refused.
    response = await call(hass, entry, "set_variable", variable="ups.id", value='A"\\#1')
    assert response == {"variable": "ups.id", "value": 'A"\\#1', "result": "success"}
    assert server.commands_received() == [
        'SET VAR "ups" "battery.charge.low" "25"',
        'SET VAR "ups" "input.sensitivity" "high"',
        'SET VAR "ups" "ups.id" "A\\"\\\\\\#1"',
    ]
    assert server.values["ups.id"] == 'A"\\#1'
    # A write the UPS refuses is an error; the entity keeps showing the UPS's value.
    server.outcomes["battery.charge.low"] = "FAILURE"
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "number",
            "set_value",
            {
                "entity_id": entity_id(hass, entry, "number", "setting_battery.charge.low"),
                "value": 30,
            },
            blocking=True,
        )
    assert state(hass, entry, "number", "setting_battery.charge.low").state == "25"


async def test_outlet_switch(hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    outlet = entity_id(hass, entry, "switch", "outlet_1")
    er.async_get(hass).async_update_entity(outlet, disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(outlet).state == STATE_ON  # type: ignore[union-attr]
    assert hass.states.get(outlet).attributes["friendly_name"] == "ups NAS"  # type: ignore[union-attr]
    await hass.services.async_call("switch", "turn_off", {"entity_id": outlet}, blocking=True)
    assert hass.states.get(outlet).state == STATE_OFF  # type: ignore[union-attr]
    assert server.commands_received()[-1] == 'INSTCMD "ups" "outlet.1.load.off"'


async def test_outlet_sensors(hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]) -> None:
    """Per-outlet readings are enabled measurements named after the outlet, without credentials."""
    server, endpoint = sim
    server.values.update(
        {"outlet.1.current": "0.35", "outlet.2.power": "18", "outlet.0.current": "1"}
    )
    entry = await setup_entry(hass, endpoint)
    power = state(hass, entry, "sensor", "outlet.1.realpower")
    assert (power.state, power.attributes["friendly_name"]) == ("41", "ups NAS power")
    assert power.attributes["unit_of_measurement"] == "W"
    current = state(hass, entry, "sensor", "outlet.1.current")
    assert (current.state, current.attributes["device_class"]) == ("0.35", "current")
    apparent = state(hass, entry, "sensor", "outlet.2.power")
    assert (apparent.attributes["friendly_name"], apparent.attributes["unit_of_measurement"]) == (
        "ups Router apparent power",
        "VA",
    )
    # outlet.0 is the whole UPS: a generic diagnostic sensor, disabled.
    whole = er.async_get(hass).async_get(entity_id(hass, entry, "sensor", "outlet.0.current"))
    assert whole is not None and whole.disabled_by is not None


async def test_shutdown_and_cancel(hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    response = await call(hass, entry, "shutdown", delay=300)
    assert response["command"] == "shutdown.return" and response["result"] == "success"
    assert server.commands_received() == [
        'SET VAR "ups" "ups.delay.shutdown" "300"',
        'INSTCMD "ups" "shutdown.return"',
    ]
    shutdown_at = state(hass, entry, "sensor", "shutdown_at")
    assert shutdown_at.state not in (STATE_UNKNOWN, "unavailable")
    # A driver reads the UPS every few seconds: between its reads the timer stands still while
    # the clock moves on, so now + timer drifts; within 2 s it is the same moment.
    server.hold_timer(300)
    await refresh(hass, entry)
    shown = state(hass, entry, "sensor", "shutdown_at").state
    for timer in (299, 301, 298):
        server.hold_timer(timer)
        await refresh(hass, entry)
        assert state(hass, entry, "sensor", "shutdown_at").state == shown
    server.hold_timer(290)  # ten seconds sooner: a new moment
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "shutdown_at").state != shown
    assert (await call(hass, entry, "cancel_shutdown"))["result"] == "success"
    assert state(hass, entry, "sensor", "shutdown_at").state == STATE_UNKNOWN
    # Stay off, with the UPS's own delay.
    await call(hass, entry, "shutdown", return_on_power=False)
    assert server.commands_received()[-1] == 'INSTCMD "ups" "shutdown.stayoff"'


async def test_shutdown_falls_back_to_load_off_delay_only_to_stay_off(
    hass: HomeAssistant,
) -> None:
    """load.off.delay leaves the output off: it never stands in for shutdown.return."""
    server = SimUpsd()
    del server.commands["shutdown.stayoff"]
    del server.rw["ups.delay.shutdown"]
    async with server.serve() as port:
        entry = await setup_entry(hass, SimEndpoint("127.0.0.1", port), credentials=ADMIN)
        response = await call(hass, entry, "shutdown", delay=120, return_on_power=False)
        assert response["command"] == "load.off.delay"
        assert server.commands_received() == ['INSTCMD "ups" "load.off.delay" "120"']
        # To come back with the mains, the UPS's own delay is the only one it can take.
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, entry, "shutdown", delay=120)
        assert err.value.translation_key == "shutdown_delay_fixed"
        assert err.value.translation_placeholders == {
            "command": "shutdown.return",
            "current": server.values["ups.delay.shutdown"],
        }
        assert len(server.commands_received()) == 1
        del server.commands["load.off.delay"]
        del server.commands["shutdown.return"]
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        for return_on_power in (True, False):
            with pytest.raises(ServiceValidationError) as err:
                await call(hass, entry, "shutdown", delay=120, return_on_power=return_on_power)
            assert err.value.translation_key == "shutdown_not_supported"
        assert len(server.commands_received()) == 1
        await hass.config_entries.async_unload(entry.entry_id)


async def test_no_outcome_in_time_is_said_and_not_retried(
    hass: HomeAssistant, sim: tuple[SimUpsd, SimEndpoint]
) -> None:
    server, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=ADMIN)
    server.outcomes["shutdown.return"] = "PENDING"
    control = entry.runtime_data.control
    assert control is not None
    control.client = NUTClient(
        endpoint.host, endpoint.port, username="admin", password="s3cret", timeout=0.5
    )
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, entry, "shutdown")
    assert err.value.translation_key == "outcome_unknown"
    assert server.commands_received() == ['INSTCMD "ups" "shutdown.return"']


@pytest.mark.parametrize(
    "case",
    [
        (("setter", "s3t"), "run_command", {"command": "beeper.mute"}, "missing_instcmds"),
        (
            ("admin", "wrong"),
            "set_variable",
            {"variable": "ups.delay.start", "value": "10"},
            "credentials_refused",
        ),
    ],
)
async def test_refusals_say_which_right_is_missing(
    hass: HomeAssistant,
    sim: tuple[SimUpsd, SimEndpoint],
    case: tuple[tuple[str, str], str, dict[str, str], str],
) -> None:
    user, action, data, key = case
    _, endpoint = sim
    entry = await setup_entry(hass, endpoint, credentials=user)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, entry, action, **data)
    assert err.value.translation_key == key
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    sources = [flow["context"]["source"] for flow in flows]
    assert sources == ([SOURCE_REAUTH] if key == "credentials_refused" else [])


async def test_upsd_gone_mid_command(hass: HomeAssistant) -> None:
    server = SimUpsd()
    async with server.serve() as port:
        entry = await setup_entry(hass, SimEndpoint("127.0.0.1", port), credentials=ADMIN)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, entry, "run_command", command="beeper.mute")
    assert err.value.translation_key == "command_cannot_connect"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_against_a_real_upsd(hass: HomeAssistant, upsd: Upsd) -> None:
    """dummy-ups: LIST RW, SET VAR and TRACKING for real; its few commands as buttons."""
    entry = await setup_entry(hass, upsd, credentials=(upsd.username, upsd.password))
    delay = entity_id(hass, entry, "number", "setting_ups.delay.shutdown")
    assert hass.states.get(delay).state == "20"  # type: ignore[union-attr]
    await hass.services.async_call(
        "number", "set_value", {"entity_id": delay, "value": 90}, blocking=True
    )
    assert hass.states.get(delay).state == "90"  # type: ignore[union-attr]
    assert await upsd_value(upsd, "ups.delay.shutdown") == "90"
    assert (await call(hass, entry, "run_command", command="driver.reload-or-error"))[
        "result"
    ] == "success"
    # A measurement listed as writable by dummy-ups is never a setting.
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("number", DOMAIN, f"{entry.entry_id}_setting_ups.load") is None
    )
    assert not enabled(hass, entry, "button", "command_load.off")
    await refresh(hass, entry)


async def upsd_value(upsd: Upsd, name: str) -> str:
    return await NUTClient(upsd.host, upsd.port).get_var("test", name)

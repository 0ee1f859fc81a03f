"""End to end in the real Home Assistant 2026.11: acting on a UPS, and power events driving the
shipped blueprints (marker ``e2e``).

Control (issue "Act on the UPS") runs against the simulated upsd of tests/support/sim_upsd.py,
served from a thread of this process on 127.0.0.1 so that the ``hass`` process reaches it like
any upsd. It lists a real APC command catalogue and checks credentials and rights and answers
TRACKING like upsd 2.8, where a real upsd with dummy-ups lists only ``driver.*``, ``load.off``
and ``shutdown.default``. What it received is what the tests assert on.

Power events (issue "Power events") run against a real upsd with dummy-ups: both blueprints
(installed in the config folder by tests/support/hass.py) become automations through the
automation editor's REST API, and an outage is played on ``ups.status``, ``battery.charge`` and
``battery.runtime``. One WebSocket subscription records, in the order Home Assistant fired them,
the power event entity's state changes, every action call and the event that the shutdown
actions fire.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import re
import time
from typing import Any

import pytest
import pytest_socket

from demo.__main__ import DEVICE as EATON_DEV
from tests.support.hass import Hass, WebSocket
from tests.support.sim_upsd import SimUpsd, SimUpsdThread
from tests.support.upsd import Upsd, fixture_path

pytestmark = pytest.mark.e2e

SIM_UPS = "rack"
SIM_ADMIN = ("admin", "s3cret")  # SimUpsd's user with SET and every instant command
UPS = "demo"
EATON = "eaton"
"""demo/ups.dev on the real upsd: dummy-ups types its input.sensitivity as STRING:1."""
SHUTDOWN_EVENT = "nut_ups_e2e_shut_down_nas"
"""Fired by the graceful shutdown's shutdown actions, with the runtime and charge it saw."""

type Event = dict[str, Any]


@dataclass
class Stack:
    hass: Hass
    upsd: Upsd
    sim: SimUpsdThread
    entries: dict[str, str] = field(default_factory=dict)
    """UPS name → config entry ID."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """hass + a real upsd (dummy-ups) + the simulated upsd, for the module; stopped by PID."""
    pytest_socket.enable_socket()  # module fixtures run before the per-test socket_enabled
    upsd = Upsd({UPS: fixture_path("smart-ups.dev"), EATON: EATON_DEV})
    hass = Hass(tmp_path_factory.mktemp("hass") / "config")
    with SimUpsdThread(SimUpsd(ups=SIM_UPS)) as sim:
        try:
            upsd.start()
            hass.start()
            asyncio.run(hass.onboard())
            yield Stack(hass, upsd, sim)
        finally:
            hass.stop()
            left = upsd.stop() if hasattr(upsd, "tmpdir") else []
            assert hass.process is None or hass.process.poll() is not None, "hass still running"
            assert not left, f"NUT processes left running: {left}"


# -- helpers ------------------------------------------------------------------------------------


class Recorder:
    """Bus events of chosen types, in the order Home Assistant fired them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    async def read(self, ws: WebSocket) -> None:
        """Append every event message of the connection's subscriptions."""
        while True:
            message = await ws.receive()
            if message.get("type") == "event":
                self.events.append(message["event"])
                self._changed.set()

    async def wait_for[T](
        self, find: Callable[[list[Event]], T | None], what: str, timeout: float = 30.0
    ) -> T:
        """Wait until ``find(events)`` returns something other than None; return it."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self._changed.clear()
                    if (found := find(self.events)) is not None:
                        return found
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"{what}: not seen within {timeout} s") from None


@contextlib.asynccontextmanager
async def recording(hass: Hass, *event_types: str) -> AsyncIterator[Recorder]:
    """Record the bus events of ``event_types`` over a WebSocket of their own."""
    recorder = Recorder()
    async with hass.websocket() as ws:
        for event_type in event_types:
            await ws.call({"type": "subscribe_events", "event_type": event_type})
        task = asyncio.create_task(recorder.read(ws))
        try:
            yield recorder
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def fired(events: list[Event], entity_id: str) -> list[dict[str, Any]]:
    """The attributes of each event the event entity ``entity_id`` fired (a new state each)."""
    return [
        event["data"]["new_state"]["attributes"]
        for event in events
        if event["event_type"] == "state_changed"
        and event["data"]["entity_id"] == entity_id
        and event["data"]["new_state"] is not None
        and event["data"]["old_state"] is not None
        and event["data"]["new_state"]["state"] != event["data"]["old_state"]["state"]
    ]


def fired_types(events: list[Event], entity_id: str) -> list[str]:
    """The event types the event entity ``entity_id`` fired, in order."""
    return [attributes["event_type"] for attributes in fired(events, entity_id)]


def states_of(events: list[Event], entity_id: str) -> list[str]:
    """The states ``entity_id`` took, in order."""
    return [
        event["data"]["new_state"]["state"]
        for event in events
        if event["event_type"] == "state_changed"
        and event["data"]["entity_id"] == entity_id
        and event["data"]["new_state"] is not None
    ]


def notify_calls(events: list[Event]) -> list[dict[str, Any]]:
    """The data of every ``notify.*`` action call."""
    return [
        event["data"]["service_data"]
        for event in events
        if event["event_type"] == "call_service" and event["data"]["domain"] == "notify"
    ]


def of_type(events: list[Event], event_type: str) -> list[Event]:
    return [event for event in events if event["event_type"] == event_type]


async def entity_ids(hass: Hass, entry_id: str) -> dict[str, str]:
    """The entry's entities: description key (unique ID without the entry ID) → entity ID."""
    async with hass.websocket() as ws:
        entries = await ws.call({"type": "config/entity_registry/list"})
    prefix = f"{entry_id}_"
    return {
        item["unique_id"].removeprefix(prefix): item["entity_id"]
        for item in entries
        if item["config_entry_id"] == entry_id
    }


async def device_id(hass: Hass, entry_id: str) -> str:
    async with hass.websocket() as ws:
        devices = await ws.call({"type": "config/device_registry/list"})
    (device,) = [d for d in devices if entry_id in d["config_entries"]]
    return str(device["id"])


async def call_action(hass: Hass, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call ``nut_ups.<action>`` over the WebSocket API with ``return_response``; return the
    WebSocket result message (``success``, and ``result.response`` or ``error``)."""
    async with hass.websocket() as ws:
        command_id = await ws.send(
            {
                "type": "call_service",
                "domain": "nut_ups",
                "service": action,
                "service_data": data,
                "return_response": True,
            }
        )
        while True:
            message = await ws.receive()
            if message.get("id") == command_id and message["type"] == "result":
                return message


async def response_of(hass: Hass, action: str, data: dict[str, Any]) -> Any:
    message = await call_action(hass, action, data)
    assert message["success"], message
    return message["result"]["response"]


async def until[T](
    check: Callable[[], T | None], what: str, timeout: float = 30.0, every: float = 0.1
) -> T:
    """Poll ``check`` (run in a thread) until it returns something other than None."""
    deadline = time.monotonic() + timeout
    while (found := await asyncio.to_thread(check)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(every)
    return found


async def state_when(
    hass: Hass, entity_id: str, accept: Callable[[str], bool], timeout: float = 30.0
) -> str:
    """Wait until ``entity_id``'s state passes ``accept``; return it."""
    deadline = time.monotonic() + timeout
    while True:
        current = await hass.state(entity_id)
        if current is not None and accept(current["state"]):
            return str(current["state"])
        if time.monotonic() > deadline:
            raise AssertionError(f"{entity_id} stayed {current and current['state']!r}")
        await asyncio.sleep(0.1)


def equals(number: float) -> Callable[[str], bool]:
    """Whether a state is ``number`` ("15" and "15.0" alike)."""

    def check(state: str) -> bool:
        try:
            return float(state) == number
        except ValueError:
            return False

    return check


def sim_commands(stack: Stack) -> list[str]:
    return stack.sim.call(SimUpsd.commands_received)


def full_polls(stack: Stack) -> int:
    """How many ``LIST VAR`` the simulated upsd answered (the integration's full polls)."""
    return stack.sim.call(lambda sim: sum(line.startswith("LIST VAR") for _, line in sim.received))


# -- the entries ----------------------------------------------------------------------------------


async def test_add_the_upses(stack: Stack) -> None:
    """The simulated UPS with credentials (control), the real one without (monitoring)."""
    hass = stack.hass
    username, password = SIM_ADMIN
    created = await hass.config_flow(
        "nut_ups",
        {
            "host": "127.0.0.1",
            "port": stack.sim.port,
            "ups": SIM_UPS,
            "username": username,
            "password": password,
        },
    )
    assert created["type"] == "create_entry", created
    stack.entries[SIM_UPS] = created["result"]["entry_id"]
    created = await hass.config_flow(
        "nut_ups", {"host": "127.0.0.1", "port": stack.upsd.port, "ups": UPS}
    )
    assert created["type"] == "create_entry", created
    stack.entries[UPS] = created["result"]["entry_id"]
    await hass.wait_state(f"sensor.{UPS}_battery_charge", "100")
    ids = await entity_ids(hass, stack.entries[SIM_UPS])
    await hass.wait_state(ids["battery_charge"], "100")
    assert "command_test.battery.start.quick" in ids and "shutdown_at" in ids
    # The flow checked the credentials with a SET that changes nothing, and sent nothing else.
    assert sim_commands(stack) == [f'SET VAR "{SIM_UPS}" "nut_ups.credential.probe" "0"']
    assert not [key for key in await entity_ids(hass, stack.entries[UPS]) if "command" in key]


# -- A: control ---------------------------------------------------------------------------------


async def test_press_a_button(stack: Stack) -> None:
    hass = stack.hass
    button = (await entity_ids(hass, stack.entries[SIM_UPS]))["command_test.battery.start.quick"]
    assert (await hass.state(button) or {}).get("state") == "unknown"  # never pressed
    before = len(stack.sim.call(lambda sim: sim.received))
    status, _ = await hass.request("POST", "/api/services/button/press", {"entity_id": button})
    assert status == 200
    # Sent once, as the entry's user, and its outcome asked for with TRACKING.
    received = stack.sim.call(lambda sim: sim.received[before:])
    sent = [(user, line) for user, line in received if line.startswith(("INSTCMD", "SET VAR"))]
    assert sent == [(SIM_ADMIN[0], f'INSTCMD "{SIM_UPS}" "test.battery.start.quick"')]
    assert any(line.startswith("GET TRACKING") for _, line in received)
    pressed = await state_when(hass, button, lambda state: state != "unknown")
    assert abs(datetime.fromisoformat(pressed) - datetime.now(UTC)) < timedelta(seconds=30)


async def test_run_command_returns_its_outcome(stack: Stack) -> None:
    hass = stack.hass
    entry_id = stack.entries[SIM_UPS]
    device = await device_id(hass, entry_id)
    beeper = (await entity_ids(hass, entry_id))["setting_ups.beeper.status"]
    assert (await hass.state(beeper) or {}).get("state") == "enabled"
    response = await response_of(
        hass, "run_command", {"device_id": device, "command": "beeper.mute"}
    )
    assert response == {"command": "beeper.mute", "result": "success"}
    assert sim_commands(stack)[-1] == f'INSTCMD "{SIM_UPS}" "beeper.mute"'
    await hass.wait_state(beeper, "muted")  # what the UPS says now, read after the command

    # A command the UPS does not list is refused in Home Assistant, and never sent.
    before = sim_commands(stack)
    refused = await call_action(
        hass, "run_command", {"device_id": device, "command": "beeper.mutte"}
    )
    assert not refused["success"]
    assert refused["error"]["translation_key"] == "command_not_supported", refused
    assert "beeper.mute" in refused["error"]["message"], refused
    assert sim_commands(stack) == before


async def test_shutdown_then_cancel(stack: Stack) -> None:
    hass = stack.hass
    entry_id = stack.entries[SIM_UPS]
    device = await device_id(hass, entry_id)
    ids = await entity_ids(hass, entry_id)
    shutdown_at, power_event = ids["shutdown_at"], ids["power_event"]
    assert (await hass.state(shutdown_at) or {}).get("state") == "unknown"

    async with recording(hass, "state_changed") as recorder:
        asked = datetime.now(UTC)
        response = await response_of(hass, "shutdown", {"device_id": device, "delay": 300})
        assert response == {
            "command": "shutdown.return",
            "result": "success",
            "steps": [
                {"variable": "ups.delay.shutdown", "value": "300", "result": "success"},
                {"command": "shutdown.return", "result": "success"},
            ],
        }
        assert sim_commands(stack)[-2:] == [
            f'SET VAR "{SIM_UPS}" "ups.delay.shutdown" "300"',
            f'INSTCMD "{SIM_UPS}" "shutdown.return"',
        ]
        # The UPS counts down; the sensor says when its output goes off.
        shown = await state_when(hass, shutdown_at, lambda state: state != "unknown")
        off_at = datetime.fromisoformat(shown)
        assert abs(off_at - (asked + timedelta(seconds=300))) < timedelta(seconds=3), shown
        timer = int(stack.sim.call(lambda sim: sim.value("ups.timer.shutdown")) or "-1")
        assert 280 < timer <= 300
        await recorder.wait_for(
            lambda events: "shutdown_scheduled" in fired_types(events, power_event) or None,
            "the shutdown_scheduled power event",
        )
        # While the timer runs, every status check is a full poll with a new timer value: the
        # time stays where it was, give or take the second the UPS counts in.
        polls = full_polls(stack)
        await until(lambda: full_polls(stack) >= polls + 4 or None, "four more polls")
        times = {
            datetime.fromisoformat(state)
            for state in states_of(recorder.events, shutdown_at)
            if state != "unknown"
        }
        assert max(times) - min(times) <= timedelta(seconds=1), sorted(times)

        response = await response_of(hass, "cancel_shutdown", {"device_id": device})
        assert response == {"command": "shutdown.stop", "result": "success"}
        assert sim_commands(stack)[-1] == f'INSTCMD "{SIM_UPS}" "shutdown.stop"'
        assert stack.sim.call(lambda sim: sim.value("ups.timer.shutdown")) == "-1"
        await hass.wait_state(shutdown_at, "unknown")
        await recorder.wait_for(
            lambda events: "shutdown_cancelled" in fired_types(events, power_event) or None,
            "the shutdown_cancelled power event",
        )
        assert fired_types(recorder.events, power_event) == [
            "shutdown_scheduled",
            "shutdown_cancelled",
        ]


# -- B: power events and the blueprints ---------------------------------------------------------


def automations(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Both blueprints as automations of UPS ``demo``: automation ID → configuration."""
    runtime, charge = ids["battery_runtime"], ids["battery_charge"]
    return {
        "nut_ups_power_alert": {
            "alias": "UPS power alert",
            "use_blueprint": {
                "path": "nut_ups/power_alert.yaml",
                # notify.persistent_notification (the default) sends what the UI shows.
                "input": {"power_event": ids["power_event"]},
            },
        },
        "nut_ups_graceful_shutdown": {
            "alias": "UPS graceful shutdown",
            "use_blueprint": {
                "path": "nut_ups/graceful_shutdown.yaml",
                "input": {
                    "power_event": ids["power_event"],
                    "battery_runtime": runtime,
                    "runtime_below": 10,
                    "battery_charge": charge,
                    "charge_below": 20,
                    "shutdown_actions": [
                        {
                            "event": SHUTDOWN_EVENT,
                            "event_data": {
                                "runtime": f"{{{{ states('{runtime}') }}}}",
                                "charge": f"{{{{ states('{charge}') }}}}",
                            },
                        }
                    ],
                },
            },
        },
    }


async def test_blueprints_become_automations(stack: Stack) -> None:
    hass = stack.hass
    ids = await entity_ids(hass, stack.entries[UPS])
    for key, config in automations(ids).items():
        status, reply = await hass.request("POST", f"/api/config/automation/config/{key}", config)
        assert status == 200, reply
    status, reply = await hass.request("POST", "/api/services/automation/reload", {})
    assert status == 200, reply
    async with hass.websocket() as ws:
        registry = await ws.call({"type": "config/entity_registry/list"})
    found = {
        item["unique_id"]: item["entity_id"]
        for item in registry
        if item["platform"] == "automation"
    }
    assert set(found) == set(automations(ids)), found
    for entity_id in found.values():
        await hass.wait_state(entity_id, "on")
    for key, config in automations(ids).items():
        status, stored = await hass.request("GET", f"/api/config/automation/config/{key}")
        assert status == 200 and stored == {"id": key, **config}, stored
    errors = [
        line
        for line in hass.log_file.read_text().splitlines()
        if " ERROR " in line and ("automation" in line or "blueprint" in line)
    ]
    assert not errors, errors


async def test_outage_drill_runs_the_blueprints(stack: Stack) -> None:
    hass, server = stack.hass, stack.upsd
    ids = await entity_ids(hass, stack.entries[UPS])
    power_event, runtime = ids["power_event"], ids["battery_runtime"]

    async def step(**values: str) -> None:
        """Battery readings first, ups.status last: the status change brings a full poll."""
        for name, value in sorted(values.items(), key=lambda item: item[0] == "ups_status"):
            await server.set_var(name.replace("_", "."), value)

    async with recording(hass, "state_changed", "call_service", SHUTDOWN_EVENT) as recorder:

        def power(kind: str) -> Callable[[list[Event]], Event | None]:
            return lambda events: next(
                (a for a in fired(events, power_event) if a["event_type"] == kind), None
            )

        # The power fails: one on_battery, one notification with charge and runtime.
        await step(battery_charge="97", battery_runtime="2700", ups_status="OB DISCHRG")
        on_battery = await recorder.wait_for(power("on_battery"), "on_battery")
        assert (on_battery["battery_charge"], on_battery["battery_runtime"]) == (97, 2700)
        await recorder.wait_for(lambda events: notify_calls(events) or None, "a notification")

        # Above both thresholds (10 min, 20 %): nothing shuts down.
        await step(battery_charge="60", battery_runtime="900")
        await state_when(hass, runtime, equals(15))
        # Under 10 min left: the shutdown actions run, once, seeing the threshold's runtime.
        await step(battery_charge="45", battery_runtime="540")
        shutdown = await recorder.wait_for(
            lambda events: of_type(events, SHUTDOWN_EVENT) or None, "the shutdown actions"
        )
        assert float(shutdown[0]["data"]["runtime"]) == 9, shutdown
        assert float(shutdown[0]["data"]["charge"]) == 45, shutdown

        # The battery runs low: one low_battery, one notification.
        await step(battery_charge="15", battery_runtime="240", ups_status="OB DISCHRG LB")
        await recorder.wait_for(power("low_battery"), "low_battery")
        await recorder.wait_for(
            lambda events: notify_calls(events)[1:] or None, "the low battery notification"
        )

        # The power comes back: one online, one notification with the outage's length.
        await step(battery_charge="20", battery_runtime="300", ups_status="OL CHRG")
        online = await recorder.wait_for(power("online"), "online")
        assert online["outage_duration"] > 0
        await recorder.wait_for(
            lambda events: notify_calls(events)[2:] or None, "the power back notification"
        )
        # Low on mains (the charger stops: a new status, so a full poll at once): no power
        # event, so nothing runs.
        await step(battery_charge="5", battery_runtime="60", ups_status="OL")
        await state_when(hass, ids["battery_charge"], equals(5), timeout=40)  # a full poll
        events = list(recorder.events)

    assert fired_types(events, power_event) == ["on_battery", "low_battery", "online"]
    messages = [call["message"] for call in notify_calls(events)]
    assert messages[:2] == [
        f"Power failure: {UPS} is running on battery (97 %, 45 min left).",
        f"Battery low: {UPS} has 15 %, 4 min left.",
    ]
    assert re.fullmatch(
        rf"Power is back: {UPS} is on mains again after \d+ s \(20 %, 5 min left\)\.",
        messages[2],
    ), messages
    assert len(messages) == 3, messages
    assert {call["title"] for call in notify_calls(events)} == {"UPS"}
    assert len(of_type(events, SHUTDOWN_EVENT)) == 1

    # The shutdown ran after the runtime went 15 -> 9 min and before the low battery.
    def index(test: Callable[[Event], bool]) -> int:
        return next(i for i, event in enumerate(events) if test(event))

    def became(entity_id: str, accept: Callable[[str], bool]) -> Callable[[Event], bool]:
        return lambda event: (
            event["event_type"] == "state_changed"
            and event["data"]["entity_id"] == entity_id
            and event["data"]["new_state"] is not None
            and accept(event["data"]["new_state"]["state"])
        )

    def low_battery(event: Event) -> bool:
        return became(power_event, lambda _: True)(event) and (
            event["data"]["new_state"]["attributes"]["event_type"] == "low_battery"
        )

    shut = index(lambda event: event["event_type"] == SHUTDOWN_EVENT)
    assert index(became(runtime, equals(15))) < index(became(runtime, equals(9))) < shut
    assert shut < index(low_battery)

    # What a person sees: the three notifications, once each.
    async with hass.websocket() as ws:
        shown = await ws.call({"type": "persistent_notification/get"})
    assert sorted(n["message"] for n in shown if n["title"] == "UPS") == sorted(messages)

    # The graceful shutdown ran once, from on_battery, and that run ended when the power came
    # back (its last step waits for online); low_battery passed the not-a-self-test condition
    # and found it running (mode: single).
    async with hass.websocket() as ws:
        traces = await ws.call(
            {"type": "trace/list", "domain": "automation", "item_id": "nut_ups_graceful_shutdown"}
        )
    runs = sorted(traces, key=lambda trace: trace["timestamp"]["start"])
    assert [(run["script_execution"], run["last_step"]) for run in runs] == [
        ("finished", "action/4"),
        ("failed_single", "condition/0"),
    ], runs
    automation = await hass.state("automation.ups_graceful_shutdown")
    assert automation is not None and automation["attributes"]["current"] == 0, automation

    # The outage is in the history.
    assert (await hass.state(ids["power_outages"]) or {}).get("state") == "1"


async def test_settings_of_a_real_upsd_with_credentials(stack: Stack) -> None:
    """Credentials on a real upsd (dummy-ups, admin with SET and every command): every setting
    it lists becomes an entity that Home Assistant accepts."""
    hass, server = stack.hass, stack.upsd
    assert server.command(f"GET TYPE {EATON} input.sensitivity") == (
        f"TYPE {EATON} input.sensitivity RW STRING:1"
    )
    created = await hass.config_flow(
        "nut_ups",
        {
            "host": "127.0.0.1",
            "port": server.port,
            "ups": EATON,
            "username": server.username,
            "password": server.password,
        },
    )
    assert created["type"] == "create_entry", created
    ids = await entity_ids(hass, created["result"]["entry_id"])
    await hass.wait_state(ids["battery_charge"], "100")
    beeper = ids["setting_ups.beeper.status"]
    await hass.wait_state(beeper, "enabled")  # a STRING:32: fine
    refused = [
        line
        for line in hass.log_file.read_text().splitlines()
        if "Error adding entity" in line and "nut_ups" in line
    ]
    assert not refused, refused
    await hass.wait_state(ids["setting_input.sensitivity"], "normal", timeout=5)

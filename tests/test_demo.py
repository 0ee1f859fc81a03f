"""The demo's simulated UPS and its power failure, on a real upsd (no Home Assistant).

``scripts/demo outage`` must look like a real Eaton on battery: no mains on the input, the charger
discharging, the inverter still feeding the output, LB only below ``battery.charge.low``, and
everything back when the mains return. Its driver (tests/support/sim_driver.py) lists an Eaton's
instant commands, and the real upsd in front of it runs them for the demo's user. A battery test
(``scripts/demo selftest`` or the dashboard's button) must look like an Eaton's: on battery with
the mains still there, "In progress" while it is, then "Done and passed" and charged again.
"""

from __future__ import annotations

import socket
import time

from custom_components.nut_ups.selftest import SelfTestResult, normalise, self_test_running
from demo.__main__ import (
    COMMANDS,
    DEVICE,
    OUTAGE,
    SELF_TEST,
    UPS,
    apply,
    battery_tests_played,
    shown_value,
)
from tests.conftest import UpsdFactory
from tests.support.upsd import Upsd, quote


def demo_upsd(upsd_factory: UpsdFactory) -> Upsd:
    return upsd_factory(DEVICE, name=UPS, commands=COMMANDS)


def test_every_outage_step_shows_on_upsd(upsd_factory: UpsdFactory) -> None:
    server = demo_upsd(upsd_factory)
    assert shown_value(server, "ups.status") == "OL"
    assert shown_value(server, "device.model") == "Eaton 5PX 1500"
    low = float(shown_value(server, "battery.charge.low") or "nan")
    for label, values in OUTAGE:
        apply(server, values)
        state = {name: shown_value(server, name) for name in values} | {
            name: shown_value(server, name)
            for name in ("ups.status", "input.voltage", "input.frequency", "battery.charge")
        }
        status = set((state["ups.status"] or "").split())
        on_battery = "OB" in status
        assert on_battery is (state["input.voltage"] == "0.0"), (label, state)
        assert on_battery is (state["input.frequency"] == "0.0"), (label, state)
        assert on_battery is (shown_value(server, "battery.charger.status") == "discharging")
        assert float(shown_value(server, "output.voltage") or 0) > 220, "the inverter feeds it"
        assert ("LB" in status) is (float(state["battery.charge"] or "nan") < low), label
    assert shown_value(server, "ups.status") == "OL"
    assert shown_value(server, "battery.charger.status") == "floating"


def wait_shown(server: Upsd, name: str, value: str, timeout: float = 10.0) -> None:
    """Wait until upsd shows ``name`` as ``value`` (a command goes upsd → driver → upsd)."""
    deadline = time.monotonic() + timeout
    while (shown := shown_value(server, name)) != value:
        assert time.monotonic() < deadline, f"{name} is {shown!r}, not {value!r}"
        time.sleep(0.05)


def listed(server: Upsd, what: str) -> list[str]:
    """The names of ``LIST <what> demo`` (CMD, RW), over a plain socket."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        reader = sock.makefile("rb")
        sock.sendall(f"LIST {what} {UPS}\n".encode())
        names = []
        while not (line := reader.readline().decode()).startswith("END"):
            assert not line.startswith("ERR"), line
            if not line.startswith("BEGIN"):
                names.append(line.split()[2])
        return names


def test_the_demo_user_runs_the_ups_commands(upsd_factory: UpsdFactory) -> None:
    server = demo_upsd(upsd_factory)
    assert {"test.battery.start.quick", "beeper.mute", "shutdown.return", "shutdown.stop"} <= set(
        listed(server, "CMD")
    )
    assert server.command(f"INSTCMD {UPS} beeper.mute", login=True) == "OK"
    wait_shown(server, "ups.beeper.status", "muted")  # the driver applies it, then tells upsd
    assert server.command(f"INSTCMD {UPS} beeper.mutte", login=True) == "ERR CMD-NOT-SUPPORTED"
    # Anonymous: upsd refuses, the driver never hears of it.
    assert server.command(f"INSTCMD {UPS} beeper.enable") == "ERR USERNAME-REQUIRED"
    assert shown_value(server, "ups.beeper.status") == "muted"

    # A shutdown counts down in whole seconds from ups.delay.shutdown; shutdown.stop ends it.
    assert server.command(f'SET VAR {UPS} ups.delay.shutdown "120"', login=True) == "OK"
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        reader = sock.makefile("rb")

        def ask(line: str) -> str:
            sock.sendall(f"{line}\n".encode())
            return reader.readline().decode().strip()

        for line in (f"USERNAME {server.username}", f"PASSWORD {quote(server.password)}"):
            assert ask(line) == "OK"
        assert ask("SET TRACKING ON") == "OK"
        reply = ask(f"INSTCMD {UPS} shutdown.return")
        assert reply.startswith("OK TRACKING "), reply
        deadline = time.monotonic() + 5
        while (outcome := ask(f"GET TRACKING {reply.split()[-1]}")) == "PENDING":
            assert time.monotonic() < deadline, "no outcome"
            time.sleep(0.05)
        assert outcome == "SUCCESS"
    first = int(shown_value(server, "ups.timer.shutdown") or "0")
    assert 118 <= first <= 120
    while int(shown_value(server, "ups.timer.shutdown") or "0") == first:
        assert time.monotonic() < deadline, "the timer does not count"
        time.sleep(0.05)
    assert server.command(f"INSTCMD {UPS} shutdown.stop", login=True) == "OK"
    deadline = time.monotonic() + 5
    while shown_value(server, "ups.timer.shutdown") != "0":  # the Eaton's idle value
        assert time.monotonic() < deadline, "the shutdown was not stopped"
        time.sleep(0.05)


def test_a_battery_test_plays_like_an_eaton(upsd_factory: UpsdFactory) -> None:
    """INSTCMD test.battery.start.quick, as the dashboard's button sends it: the demo plays it."""
    server = demo_upsd(upsd_factory)
    names = (
        "ups.status",
        "ups.test.result",
        "input.voltage",
        "input.frequency",
        "battery.charger.status",
        "battery.charge",
    )
    mains = {name: shown_value(server, name) for name in ("input.voltage", "input.frequency")}
    low = float(shown_value(server, "battery.charge.low") or "nan")
    steps: list[tuple[str, dict[str, str | None]]] = []

    def step(label: str) -> None:
        steps.append((label, {name: shown_value(server, name) for name in names}))

    with battery_tests_played(server, step):
        assert server.command(f"INSTCMD {UPS} test.battery.start.quick", login=True) == "OK"
        deadline = time.monotonic() + 30
        while not steps or steps[-1][0] != "charged":
            assert time.monotonic() < deadline, f"the test did not end: {steps}"
            time.sleep(0.1)

    testing = [label for label, _ in SELF_TEST]
    assert [label for label, _ in steps] == [*testing, "test done", "charged"]
    for label, state in steps:
        status = set((state["ups.status"] or "").split())
        assert {name: state[name] for name in mains} == mains, f"{label}: the mains stay"
        assert "LB" not in status and float(state["battery.charge"] or "nan") > low, label
        if label in testing:
            assert state["ups.test.result"] == "In progress", label
            assert self_test_running(state["ups.status"], state["ups.test.result"]), label
        else:
            assert normalise(state["ups.test.result"]) is SelfTestResult.PASSED, label
            assert "OB" not in status, f"{label}: the result comes once back on mains"
    on_battery = [state for _, state in steps if "OB" in (state["ups.status"] or "").split()]
    assert on_battery, "the inverter runs from the battery during the test"
    for state in on_battery:
        assert state["battery.charger.status"] == "discharging"
        assert 90 < float(state["battery.charge"] or "nan") < 100, "the charge dips a few points"
    assert steps[-1][1] == {
        "ups.status": "OL",
        "ups.test.result": "Done and passed",
        "battery.charger.status": "floating",
        "battery.charge": "100",
        **mains,
    }

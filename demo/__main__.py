"""The nut_ups demo: a real upsd with a simulated UPS and a real Home Assistant using nut_ups.

``scripts/demo`` starts both, adds the integration through the config flow over Home
Assistant's REST API with the upsd user that may SET and run every command, makes automations
of both shipped blueprints (power alert, graceful shutdown), prints where to look, and runs until
Ctrl-C. ``scripts/demo outage`` plays a power failure on the running demo; ``scripts/demo
selftest`` runs a quick battery test on it (as the dashboard's button does); ``scripts/demo
screenshot FILE`` photographs its dashboard in headless Chromium; ``scripts/demo docs`` runs its
own demo and takes docs/dashboard.png and docs/dashboard-outage.png.

The UPS's driver is tests/support/sim_driver.py behind the real upsd: dummy-ups's variables,
plus the instant commands of an Eaton 5PX (battery test, beeper, shutdown with its countdown),
which dummy-ups cannot list. The driver only turns ``ups.test.result`` to "In progress" and, 8 s
later, to "Done and passed"; the demo plays the rest of an Eaton's battery test around it
(:data:`SELF_TEST`, :func:`watch_battery_tests`).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterator
import contextlib
import json
from pathlib import Path
import shutil
import signal
import threading
import time
from typing import Any

from tests.support.hass import OWNER, Hass
from tests.support.sim_driver import EATON_COMMANDS, TEST_SECONDS
from tests.support.upsd import REPO_ROOT, Upsd, running_upsd

DEMO_DIR = REPO_ROOT / ".demo"
STATE_FILE = DEMO_DIR / "state.json"
DEVICE = Path(__file__).with_name("ups.dev")
"""An Eaton 5PX 1500 as usbhid-ups reports it (see the file's header)."""
UPS = "demo"
ENTITIES = (
    "sensor.demo_battery_charge",
    "sensor.demo_load",
    "sensor.demo_battery_runtime",
    "sensor.demo_status",
    "sensor.demo_alert_level",
    "sensor.demo_input_voltage",
    "sensor.demo_power",
    "binary_sensor.demo_online",
    "binary_sensor.demo_on_battery",
    "binary_sensor.demo_low_battery",
)
# Entities disabled by default that the dashboard shows: the demo enables them.
ENABLED = {
    "sensor.demo_input_frequency": "50.0",
    "sensor.demo_battery_charger_status": "floating",
    "button.demo_cancel_shutdown": "unknown",
}
# The dashboard's Battery card: health from real discharges, the self-test, lifetime counters.
BATTERY = (
    "sensor.demo_battery_health",
    "sensor.demo_runtime_accuracy",
    "sensor.demo_battery_replacement_due",
    "sensor.demo_self_test_result",
    "sensor.demo_last_self_test",
    "binary_sensor.demo_self_test_failed",
    "sensor.demo_transfers_to_battery",
    "sensor.demo_equivalent_full_cycles",
)
COMMANDS = {UPS: EATON_COMMANDS}
"""The demo UPS's instant commands (served by tests/support/sim_driver.py)."""


def automations() -> dict[str, dict[str, Any]]:
    """Both shipped blueprints as automations of the demo UPS: automation ID → configuration.

    The power alert notifies with notify.persistent_notification (the bell in the sidebar). The
    graceful shutdown "shuts down the NAS" (a notification) under 5 minutes of runtime or at a
    low battery, waits 10 s for it, then asks the UPS to cut its output 5 minutes later; when the
    mains are back within those 10 s (as in ``scripts/demo outage``), the UPS is left alone.
    """
    event = "event.demo_power_event"
    return {
        "demo_power_alert": {
            "alias": "UPS power alert",
            "use_blueprint": {"path": "nut_ups/power_alert.yaml", "input": {"power_event": event}},
        },
        "demo_graceful_shutdown": {
            "alias": "UPS graceful shutdown",
            "use_blueprint": {
                "path": "nut_ups/graceful_shutdown.yaml",
                "input": {
                    "power_event": event,
                    "battery_runtime": "sensor.demo_battery_runtime",
                    "runtime_below": 5,
                    "battery_charge": "sensor.demo_battery_charge",
                    "charge_below": 15,
                    "shutdown_actions": [
                        {
                            "action": "persistent_notification.create",
                            "data": {"title": "NAS", "message": "Shutting down the NAS."},
                        }
                    ],
                    "ups_shutdown": True,
                    "hosts_wait": 10,
                    "ups_delay": 300,
                },
            },
        },
    }


async def add_automations(hass: Hass) -> None:
    """Create the automations as the automation editor does (REST), then reload them."""
    for key, config in automations().items():
        status, reply = await hass.request("POST", f"/api/config/automation/config/{key}", config)
        if status != 200:
            raise RuntimeError(f"automation {key} refused: {status} {reply}")
    await hass.request("POST", "/api/services/automation/reload", {})
    for alias in ("ups_power_alert", "ups_graceful_shutdown"):
        await hass.wait_state(f"automation.{alias}", "on")


async def wait_exists(hass: Hass, entity_id: str) -> None:
    """Wait up to 30 s until ``entity_id`` exists (its state may be unknown)."""
    deadline = time.monotonic() + 30
    while await hass.state(entity_id) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{entity_id} does not exist: see the dashboard's entity IDs")
        await asyncio.sleep(0.5)


async def add_integration(hass: Hass, server: Upsd) -> dict[str, object]:
    """Onboard Home Assistant and add nut_ups through its config flow, as a user would."""
    await hass.onboard()
    result = await hass.config_flow(
        "nut_ups",
        {
            "host": server.host,
            "port": server.port,
            "ups": UPS,
            "username": server.username,
            "password": server.password,
        },
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"config flow did not create an entry: {result}")
    await hass.wait_state("sensor.demo_battery_charge", "100")
    # Enabling an entity reloads the entry after 30 s (Home Assistant's own delay).
    async with hass.websocket() as ws:
        for entity_id in ENABLED:
            await ws.call(
                {
                    "type": "config/entity_registry/update",
                    "entity_id": entity_id,
                    "disabled_by": None,
                }
            )
    for entity_id, value in ENABLED.items():
        await hass.wait_state(entity_id, value, timeout=90)
    for entity_id in BATTERY:
        await wait_exists(hass, entity_id)
    await add_automations(hass)
    return result


@contextlib.contextmanager
def demo_stack() -> Iterator[tuple[Upsd, Hass]]:
    """Start upsd and Home Assistant, add nut_ups and the automations; stop both by PID."""
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    with running_upsd({UPS: DEVICE}, commands=COMMANDS) as server:
        print(f"upsd serves UPS '{UPS}' on {server.host}:{server.port}")
        hass = Hass(DEMO_DIR / "config")
        try:
            print("starting Home Assistant (first start takes a minute)...")
            hass.start()
            asyncio.run(add_integration(hass, server))
            yield server, hass
        finally:
            hass.stop()


def run() -> None:
    """Run the demo until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with demo_stack() as (server, hass), battery_tests_played(server):
        try:
            STATE_FILE.write_text(
                json.dumps(
                    {
                        "upsd": {"host": server.host, "port": server.port, "ups": UPS},
                        "hass": {"url": hass.url, "token": hass.token},
                    }
                )
            )
            print(f"\nHome Assistant: {hass.url}/nut-ups/ups   (dashboard)")
            print(f"  login: {OWNER['username']} / {OWNER['password']}")
            print("  entities: " + ", ".join((*ENTITIES, *ENABLED, *BATTERY)))
            print("  automations: " + ", ".join(automations()))
            print("  play a power failure:  scripts/demo outage")
            print("  run a battery test:    scripts/demo selftest   (or the dashboard's button)")
            print(f"  log: {hass.log_file}")
            print("Ctrl-C stops everything.")
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        finally:
            STATE_FILE.unlink(missing_ok=True)
    print("stopped")


def _demo_upsd() -> Upsd:
    state = json.loads(STATE_FILE.read_text())["upsd"]
    return Upsd({state["ups"]: Path()}, host=state["host"], port=state["port"])


# What a real line-interactive Eaton (usbhid-ups) reports through a power failure, after the dumps
# of ../shared/nut-ddl taken on battery: no mains, so input.voltage and input.frequency read 0
# (MGE/Eaton HID, Zigor and blazer dumps; APC's snmp-ups and apcsmart keep the last frequency and
# add input.transfer.reason); the charger turns to discharging (Eaton/Dell); the inverter holds the
# output at 230 V / 50 Hz; the load and real power move a little; charge and runtime fall until
# LB at battery.charge.low (20 %). When the mains return, the charger charges, then floats.
NO_MAINS = {"input.voltage": "0.0", "input.frequency": "0.0"}
OUTAGE: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "power fails",
        {
            **NO_MAINS,
            "battery.charger.status": "discharging",
            "output.voltage": "229.8",
            "ups.load": "25",
            "ups.realpower": "337",
            "ups.power": "388",
            "output.current": "1.70",
            "battery.charge": "97",
            "battery.runtime": "1860",
            "ups.status": "OB DISCHRG",
        },
    ),
    ("on battery", {"battery.charge": "82", "battery.runtime": "1500", "ups.load": "26"}),
    ("on battery", {"battery.charge": "61", "battery.runtime": "1080"}),
    ("on battery", {"battery.charge": "38", "battery.runtime": "600"}),
    (
        "battery low",
        {"battery.charge": "18", "battery.runtime": "240", "ups.status": "OB DISCHRG LB"},
    ),
    (
        "power back",
        {
            "input.voltage": "229.6",
            "input.frequency": "50.0",
            "battery.charger.status": "charging",
            "output.voltage": "229.9",
            "ups.load": "23",
            "ups.realpower": "310",
            "ups.power": "356",
            "output.current": "1.60",
            "battery.charge": "22",
            "battery.runtime": "420",
            "ups.status": "OL CHRG",
        },
    ),
    ("charging", {"battery.charge": "55", "battery.runtime": "1200"}),
    (
        "charged",
        {
            "battery.charge": "100",
            "battery.runtime": "2040",
            "battery.charger.status": "floating",
            "input.voltage": "230.4",
            "output.voltage": "230.1",
            "ups.status": "OL",
        },
    ),
)


def shown_value(server: Upsd, name: str) -> str | None:
    """Return the value upsd shows for ``name`` now, without its quotes (None if it has none)."""
    reply = server.command(f"GET VAR {UPS} {name}")
    prefix = f"VAR {UPS} {name} "
    return reply.removeprefix(prefix)[1:-1] if reply.startswith(prefix) else None


def apply(server: Upsd, values: dict[str, str], timeout: float = 10.0) -> None:
    """Set every value at once (as one driver update would), then wait until upsd shows them.

    dummy-ups adds CHRG/DISCHRG to ``ups.status`` by itself, so the status only needs to hold
    the requested tokens.
    """
    for name, value in values.items():
        server.set_var_sync(name, value, wait=False)
    deadline = time.monotonic() + timeout
    pending = dict(values)
    while pending:
        for name, value in list(pending.items()):
            shown = shown_value(server, name)
            if shown == value or (
                name == "ups.status" and shown and set(value.split()) <= set(shown.split())
            ):
                del pending[name]
        if pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"upsd does not show {pending} after {timeout} s")
            time.sleep(0.05)


SHOWN = (
    "ups.status",
    "input.voltage",
    "input.frequency",
    "battery.charger.status",
    "battery.charge",
)


def outage(step_seconds: float) -> None:
    """Play OL → OB DISCHRG → OB LB → OL CHRG → OL on the running demo's upsd."""
    if not STATE_FILE.exists():
        raise SystemExit("no demo is running: start `scripts/demo` first")
    server = _demo_upsd()
    for label, values in OUTAGE:
        apply(server, values)
        shown = {name: shown_value(server, name) for name in SHOWN}
        print(f"{label:12} " + "  ".join(f"{name}={value}" for name, value in shown.items()))
        time.sleep(step_seconds)


# What an Eaton does on test.battery.start.quick, as usbhid-ups (mge-hid) reports it. The UPS runs
# its inverter from the battery for a few seconds with the mains still there: input.voltage and
# input.frequency stay, the charger reads discharging (ABM), the charge dips a few points, then the
# UPS returns to the mains, charges, and reports "Done and passed". No Eaton driver sets TEST, and
# CAL only for a runtime calibration: usbhid-ups 2.8 reports OB DISCHRG, because mge-hid reads the
# battery converter input in use as not online (mge_onbatt_info); the shared dump of an Eaton-made
# Dell (MGE HID 1.39, usbhid-ups 2.7.4) caught mid-test shows OL DISCHRG, "discharging" and "In
# progress". Either way ups.test.result "In progress" is what says it is a test, not an outage.
# The driver sets "In progress" at the command and "Done and passed" TEST_SECONDS later (after
# the UPS is back on mains, as usbhid-ups reads the result only at its full polls).
SELF_TEST: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "test starts",
        {
            "battery.charger.status": "discharging",
            "ups.load": "24",
            "battery.charge": "99",
            "battery.runtime": "1980",
            "ups.status": "OB DISCHRG",
        },
    ),
    ("testing", {"battery.charge": "97", "battery.runtime": "1920"}),
    (
        "test ends",
        {
            "battery.charger.status": "charging",
            "ups.load": "23",
            "battery.charge": "96",
            "battery.runtime": "1890",
            "ups.status": "OL CHRG",
        },
    ),
)
SELF_TEST_STEP = 2.0
"""Seconds between the steps of :data:`SELF_TEST` (all of them within the driver's test)."""
SELF_TEST_CHARGED = {
    "battery.charge": "100",
    "battery.runtime": "2040",
    "battery.charger.status": "floating",
    "ups.status": "OL",
}
"""After "Done and passed": charged again (the charger floats)."""
IN_PROGRESS = "In progress"
TEST_SHOWN = ("ups.test.result", *SHOWN)


def play_self_test(server: Upsd, step: Callable[[str], None] = lambda label: None) -> None:
    """Play an Eaton's quick battery test around the driver's own (started with INSTCMD).

    Call it once upsd shows ``ups.test.result`` "In progress"; ``step`` is called with each
    step's label once upsd shows it.
    """
    for index, (label, values) in enumerate(SELF_TEST):
        if index:
            time.sleep(SELF_TEST_STEP)
        apply(server, values)
        step(label)
    deadline = time.monotonic() + TEST_SECONDS + 5
    while shown_value(server, "ups.test.result") == IN_PROGRESS:
        if time.monotonic() > deadline:
            raise RuntimeError("the driver did not finish the battery test")
        time.sleep(0.1)
    step("test done")
    time.sleep(SELF_TEST_STEP)
    apply(server, SELF_TEST_CHARGED)
    step("charged")


def watch_battery_tests(
    server: Upsd,
    stop: threading.Event,
    step: Callable[[str], None] = lambda label: None,
    last: str | None = None,
) -> None:
    """Play :func:`play_self_test` whenever a battery test starts on mains, until ``stop``.

    Whoever starts it (the dashboard's button, ``scripts/demo selftest``, upscmd), upsd shows
    "In progress" first: the driver's answer to the command. ``last`` is the result read before
    the watch began (read by the caller, so a test started right after is not missed).
    """
    while not stop.wait(0.2):
        try:
            result = shown_value(server, "ups.test.result")
            status = set((shown_value(server, "ups.status") or "").split())
            if result == IN_PROGRESS and last != IN_PROGRESS and "OL" in status:
                play_self_test(server, step)
                result = shown_value(server, "ups.test.result")
        except (OSError, RuntimeError) as err:  # upsd stopping, or a step that did not show
            print(f"battery test scene: {err}")
        last = result


@contextlib.contextmanager
def battery_tests_played(
    server: Upsd, step: Callable[[str], None] = lambda label: None
) -> Iterator[None]:
    """Run :func:`watch_battery_tests` in a thread while the block runs."""
    stop = threading.Event()
    before = shown_value(server, "ups.test.result")  # here, not in the thread: no race
    watcher = threading.Thread(
        target=watch_battery_tests,
        args=(server, stop, step, before),
        name="battery tests",
        daemon=True,
    )
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=TEST_SECONDS + 10)


def selftest(timeout: float = 30.0) -> None:
    """Start a quick battery test on the running demo (as upscmd would) and show its steps."""
    if not STATE_FILE.exists():
        raise SystemExit("no demo is running: start `scripts/demo` first")
    server = _demo_upsd()
    reply = server.command(f"INSTCMD {UPS} test.battery.start.quick", login=True)
    if reply != "OK":
        raise SystemExit(f"upsd refused the battery test: {reply}")
    printed: dict[str, str | None] = {}
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        shown = {name: shown_value(server, name) for name in TEST_SHOWN}
        if shown != printed:
            print(
                f"{time.monotonic() - started:5.1f} s  "
                + "  ".join(f"{name}={value}" for name, value in shown.items())
            )
            printed = shown
        if (
            shown["ups.test.result"] != IN_PROGRESS
            and shown["ups.status"] == "OL"
            and shown["battery.charger.status"] == "floating"
            and time.monotonic() - started > TEST_SECONDS
        ):
            return
        time.sleep(0.2)
    raise SystemExit(f"the battery test did not end within {timeout:.0f} s")


async def wait_until_shown(hass: Hass, values: dict[str, str]) -> None:
    """Wait until Home Assistant shows an outage step's battery charge."""
    if "battery.charge" in values:
        await hass.wait_state("sensor.demo_battery_charge", values["battery.charge"])


async def press(hass: Hass, button: str) -> None:
    """Press a button entity over the REST API."""
    status, reply = await hass.request("POST", "/api/services/button/press", {"entity_id": button})
    if status != 200:
        raise RuntimeError(f"{button}: {status} {reply}")


async def take_docs_screenshots(server: Upsd, hass: Hass, docs: Path) -> None:
    """Photograph the dashboard at a power failure's low battery, then after it (README.md).

    At the low battery, the graceful shutdown has "shut down the NAS" and, 10 s later, asked the
    UPS to cut its output in 5 minutes: the outage image shows that countdown. The mains return,
    the shutdown is cancelled with the dashboard's button, a battery test runs from the other
    button (:data:`SELF_TEST`), the battery is full again: the other image shows the history of
    that one outage and the test's result (which counts as a transfer to battery, not an outage).
    """
    from demo.screenshot import check_dashboard

    low = next(i for i, (label, _) in enumerate(OUTAGE) if label == "battery low")
    for _, values in OUTAGE[: low + 1]:
        await asyncio.to_thread(apply, server, values)
        await wait_until_shown(hass, values)
    deadline = time.monotonic() + 60
    while (await hass.state("sensor.demo_output_off_at") or {}).get("state") in {None, "unknown"}:
        if time.monotonic() > deadline:
            raise RuntimeError("the graceful shutdown did not schedule the UPS's shutdown")
        await asyncio.sleep(0.5)
    await check_dashboard(
        hass.url, docs / "dashboard-outage.png", expect=["Critical", "Shutdown scheduled"]
    )
    for _, values in OUTAGE[low + 1 :]:
        await asyncio.to_thread(apply, server, values)
        await wait_until_shown(hass, values)
    await press(hass, "button.demo_cancel_shutdown")
    await hass.wait_state("sensor.demo_output_off_at", "unknown")
    await press(hass, "button.demo_quick_battery_test")  # the watcher plays SELF_TEST
    await hass.wait_state("sensor.demo_transfers_to_battery", "2", timeout=60)
    deadline = time.monotonic() + 60
    while (await hass.state("sensor.demo_last_self_test") or {}).get("state") in {None, "unknown"}:
        if time.monotonic() > deadline:
            raise RuntimeError("the battery test did not finish on the dashboard")
        await asyncio.sleep(0.5)
    await hass.wait_state("sensor.demo_self_test_result", "passed")
    await hass.wait_state("sensor.demo_battery_charge", "100", timeout=60)
    await hass.wait_state("sensor.demo_power_outages", "1")  # the test is no outage
    await check_dashboard(
        hass.url, docs / "dashboard.png", expect=["Online", "Power back", "Passed"]
    )


def main() -> None:
    """Parse the command line: run the demo, or act on a running one."""
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    play = sub.add_parser("outage", help="play a power failure on the running demo")
    play.add_argument("--step", type=float, default=4.0, help="seconds per step (default 4)")
    sub.add_parser("selftest", help="run a quick battery test on the running demo")
    shot = sub.add_parser("screenshot", help="photograph the running demo's dashboard")
    shot.add_argument("file", type=Path)
    sub.add_parser("docs", help="run a demo, take docs/dashboard.png and docs/dashboard-outage.png")
    args = parser.parse_args()
    if args.command == "outage":
        outage(args.step)
    elif args.command == "selftest":
        selftest()
    elif args.command == "screenshot":
        from demo.screenshot import screenshot

        state = json.loads(STATE_FILE.read_text())["hass"]
        asyncio.run(screenshot(state["url"], args.file))
    elif args.command == "docs":
        with demo_stack() as (server, hass), battery_tests_played(server):
            asyncio.run(take_docs_screenshots(server, hass, REPO_ROOT / "docs"))
    else:
        run()


if __name__ == "__main__":
    main()

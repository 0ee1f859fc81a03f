"""The nut_ups demo: a real upsd with a simulated UPS and a real Home Assistant using nut_ups.

``scripts/demo`` starts both, adds the integration through the config flow over Home
Assistant's REST API, prints where to look, and runs until Ctrl-C. ``scripts/demo outage``
plays a power failure on the running demo; ``scripts/demo screenshot FILE`` photographs its
dashboard in headless Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import shutil
import signal
import threading
import time

from tests.support.hass import OWNER, Hass
from tests.support.upsd import REPO_ROOT, Upsd, fixture_path, running_upsd

DEMO_DIR = REPO_ROOT / ".demo"
STATE_FILE = DEMO_DIR / "state.json"
UPS = "demo"
ENTITIES = (
    "sensor.demo_battery_charge",
    "sensor.demo_load",
    "sensor.demo_battery_runtime",
    "sensor.demo_status",
    "sensor.demo_alert_level",
    "binary_sensor.demo_online",
    "binary_sensor.demo_on_battery",
    "binary_sensor.demo_low_battery",
)


async def add_integration(hass: Hass, server: Upsd) -> dict[str, object]:
    """Onboard Home Assistant and add nut_ups through its config flow, as a user would."""
    await hass.onboard()
    result = await hass.config_flow(
        "nut_ups", {"host": server.host, "port": server.port, "ups": UPS}
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"config flow did not create an entry: {result}")
    await hass.wait_state("sensor.demo_battery_charge", "100")
    return result


def run() -> None:
    """Start upsd and Home Assistant, add nut_ups, and wait for Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    with running_upsd({UPS: fixture_path("smart-ups.dev")}) as server:
        print(f"upsd serves UPS '{UPS}' on {server.host}:{server.port}")
        hass = Hass(DEMO_DIR / "config")
        try:
            print("starting Home Assistant (first start takes a minute)...")
            hass.start()
            asyncio.run(add_integration(hass, server))
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
            print("  entities: " + ", ".join(ENTITIES))
            print("  play a power failure:  scripts/demo outage")
            print(f"  log: {hass.log_file}")
            print("Ctrl-C stops everything.")
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
        finally:
            hass.stop()
            STATE_FILE.unlink(missing_ok=True)
    print("stopped")


def _demo_upsd() -> Upsd:
    state = json.loads(STATE_FILE.read_text())["upsd"]
    return Upsd({state["ups"]: Path()}, host=state["host"], port=state["port"])


OUTAGE: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "power fails",
        {
            "battery.charge": "97",
            "battery.runtime": "3600",
            "ups.load": "31",
            "ups.status": "OB DISCHRG",
        },
    ),
    ("on battery", {"battery.charge": "82", "battery.runtime": "2700"}),
    ("on battery", {"battery.charge": "61", "battery.runtime": "1800"}),
    ("on battery", {"battery.charge": "38", "battery.runtime": "900"}),
    (
        "battery low",
        {"battery.charge": "18", "battery.runtime": "240", "ups.status": "OB DISCHRG LB"},
    ),
    (
        "power back",
        {
            "battery.charge": "22",
            "battery.runtime": "600",
            "ups.load": "23",
            "ups.status": "OL CHRG",
        },
    ),
    ("charging", {"battery.charge": "55", "battery.runtime": "1900"}),
    ("charged", {"battery.charge": "100", "battery.runtime": "3900", "ups.status": "OL"}),
)


def outage(step_seconds: float) -> None:
    """Play OL → OB DISCHRG → OB LB → OL CHRG → OL on the running demo's upsd."""
    if not STATE_FILE.exists():
        raise SystemExit("no demo is running: start `scripts/demo` first")
    server = _demo_upsd()
    for label, values in OUTAGE:
        for name, value in values.items():
            server.set_var_sync(name, value)
        print(
            f"{label:12} status={server.command(f'GET VAR {UPS} ups.status').split(' ', 3)[-1]}"
            f" charge={values.get('battery.charge', '-')}%"
        )
        time.sleep(step_seconds)


def main() -> None:
    """Parse the command line: run the demo, or act on a running one."""
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    play = sub.add_parser("outage", help="play a power failure on the running demo")
    play.add_argument("--step", type=float, default=4.0, help="seconds per step (default 4)")
    shot = sub.add_parser("screenshot", help="photograph the running demo's dashboard")
    shot.add_argument("file", type=Path)
    args = parser.parse_args()
    if args.command == "outage":
        outage(args.step)
    elif args.command == "screenshot":
        from demo.screenshot import screenshot

        state = json.loads(STATE_FILE.read_text())["hass"]
        asyncio.run(screenshot(state["url"], args.file))
    else:
        run()


if __name__ == "__main__":
    main()

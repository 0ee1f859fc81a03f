"""How long until Home Assistant knows: nut_ups vs Home Assistant's core `nut`, in one run.

One Home Assistant (the newest release) runs both integrations, at their defaults, against the
same real upsd. ``ups.status`` flips OL ↔ OB at random moments. For each flip, t0 is when a
separate 50 ms ``GET VAR`` poller first sees the new status on upsd, and t1 the time of each
integration's ``state_changed`` event (WebSocket subscription). Prints p50/p95/max for both
and the ratio, then nut_ups' CPU cost of polling: the hass process's CPU time (/proc) with both
entries disabled vs with nut_ups alone. Run: ``scripts/bench latency [--flips 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
import os
from pathlib import Path
import random
import signal
import statistics
import tempfile
import time
from typing import Any

from custom_components.nut_ups.nut import NUTClient
from tests.support.hass import Hass, WebSocket
from tests.support.upsd import fixture_path, running_upsd

UPS = "bench"
NUT_UPS_ENTITY = f"binary_sensor.{UPS}_on_battery"


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked) + 0.5) - 1))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def core_nut_status_entity(ws: WebSocket) -> str:
    """The entity of core nut's (enabled) status sensor."""
    entities = await ws.call({"type": "config/entity_registry/list"})
    for entity in entities:
        if entity["platform"] == "nut" and entity["unique_id"].endswith("ups.status.display"):
            return str(entity["entity_id"])
    raise RuntimeError("core nut has no status sensor")


async def watch_upsd(client: NUTClient, seen: dict[str, float], stop: asyncio.Event) -> None:
    """Poll ups.status every 50 ms; remember when each new value was first seen."""
    last = None
    while not stop.is_set():
        value = await client.get_var(UPS, "ups.status")
        if value != last:
            seen[value] = time.time()
            last = value
        await asyncio.sleep(0.05)


async def measure(hass: Hass, host: str, port: int, flips: int) -> None:
    """Add both integrations, flip the status, and print latencies and CPU."""
    await hass.onboard()
    ours = await hass.config_flow("nut_ups", {"host": host, "port": port, "ups": UPS})
    core = await hass.config_flow("nut", {"host": host, "port": port})
    assert ours["type"] == "create_entry" and core["type"] == "create_entry", (ours, core)
    await hass.wait_state(NUT_UPS_ENTITY, "off")
    client = NUTClient(host, port)
    seen: dict[str, float] = {}
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_upsd(client, seen, stop))
    latencies: dict[str, list[float]] = {"nut_ups": [], "core nut": []}
    async with hass.websocket() as ws:
        core_entity = await core_nut_status_entity(ws)
        await ws.send({"type": "subscribe_events", "event_type": "state_changed"})
        admin = NUTClient(host, port, username="admin", password="s3cret pass#1")
        for flip in range(flips):
            # Uniform over core nut's 60 s poll cycle, so neither integration is favoured.
            await asyncio.sleep(random.uniform(0, 60))
            status = "OB DISCHRG" if flip % 2 == 0 else "OL"
            await admin.set_var(UPS, "ups.status", status)
            fired: dict[str, float] = {}
            deadline = time.monotonic() + 120
            while len(fired) < 2 and time.monotonic() < deadline:
                try:
                    message = await asyncio.wait_for(ws.receive(), timeout=1)
                except TimeoutError:
                    continue
                event = message.get("event", {})
                data = event.get("data", {})
                entity = data.get("entity_id")
                new = (data.get("new_state") or {}).get("state")
                when = datetime.fromisoformat(
                    event.get("time_fired", "1970-01-01T00:00:00+00:00")
                ).timestamp()
                if entity == NUT_UPS_ENTITY and new == ("on" if status != "OL" else "off"):
                    fired.setdefault("nut_ups", when)
                elif entity == core_entity and new not in (None, "unavailable"):
                    fired.setdefault("core nut", when)
            t0 = seen.get(status)
            for name, when in fired.items():
                if t0 is not None:
                    latencies[name].append(when - t0)
            print(
                f"flip {flip + 1:2}: {status:10} "
                + "  ".join(
                    f"{name} {when - t0:6.2f} s" for name, when in fired.items() if t0 is not None
                ),
                flush=True,
            )
            seen.pop(status, None)
        stop.set()
        await watcher
        if flips:
            print_latencies(latencies)
    # A fresh connection: the subscription above was not read between flips, and Home Assistant
    # drops clients whose unread messages pile up.
    async with hass.websocket() as ws:
        await cpu_cost(hass, ws, ours, core)


def print_latencies(latencies: dict[str, list[float]]) -> None:
    """Print p50/p95/max per integration and the ratio of p95s."""
    print(f"\n{'integration':<12}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'n':>5}")
    for name, values in latencies.items():
        if values:
            print(
                f"{name:<12}{statistics.median(values):9.2f}{percentile(values, 0.95):9.2f}"
                f"{max(values):9.2f}{len(values):5}"
            )
    if latencies["nut_ups"] and latencies["core nut"]:
        ratio = percentile(latencies["core nut"], 0.95) / percentile(latencies["nut_ups"], 0.95)
        print(
            f"core nut p95 / nut_ups p95 = {ratio:.1f}x  (goal >= 10x; nut_ups p95 goal <= 2.5 s)"
        )


async def cpu_cost(
    hass: Hass, ws: WebSocket, ours: dict[str, Any], core: dict[str, Any], seconds: float = 120
) -> None:
    """CPU of the hass process with both entries disabled, then with nut_ups alone."""
    assert hass.process is not None
    ids = {"nut_ups": ours["result"]["entry_id"], "core": core["result"]["entry_id"]}

    async def set_disabled(entry_id: str, disabled: bool) -> None:
        await ws.call(
            {
                "type": "config_entries/disable",
                "entry_id": entry_id,
                "disabled_by": "user" if disabled else None,
            }
        )

    async def sample() -> float:
        await asyncio.sleep(5)  # let setup/unload settle
        start = cpu_seconds(hass.process.pid)  # type: ignore[union-attr]
        await asyncio.sleep(seconds)
        return cpu_seconds(hass.process.pid) - start  # type: ignore[union-attr]

    await set_disabled(ids["core"], True)
    await set_disabled(ids["nut_ups"], True)
    idle = await sample()
    await set_disabled(ids["nut_ups"], False)
    ours_cpu = await sample()
    per_hour = (ours_cpu - idle) / seconds * 3600
    print(
        f"\nhass CPU over {seconds:.0f} s: both disabled {idle:.2f} s, nut_ups alone {ours_cpu:.2f} s"
    )
    print(
        f"nut_ups polling: {per_hour:.1f} CPU s per hour = {per_hour / 3600 * 100:.3f} % of one core"
        " (goal <= 0.5 %)"
    )


def main() -> None:
    """Parse arguments, start upsd and Home Assistant, measure, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flips", type=int, default=20, help="0 measures only the CPU cost")
    args = parser.parse_args()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # so that SIGTERM also stops hass and upsd below

    signal.signal(signal.SIGTERM, interrupted)
    with running_upsd({UPS: fixture_path("smart-ups.dev")}) as server:
        hass = Hass(Path(tempfile.mkdtemp(prefix="nut_ups-bench-")) / "config")
        try:
            hass.start()
            asyncio.run(measure(hass, server.host, server.port, args.flips))
        finally:
            hass.stop()


if __name__ == "__main__":
    main()

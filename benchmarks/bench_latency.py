"""How long until Home Assistant knows: nut_ups vs Home Assistant's core `nut`, in one run.

One Home Assistant (the newest release) runs both integrations, at their defaults, against the
same real upsd. ``ups.status`` flips OL ↔ OB at random moments. For each flip, t0 is when a
separate 50 ms ``GET VAR`` poller first sees the new status on upsd, and t1 the time of each
integration's ``state_changed`` event (WebSocket subscription). Prints p50/p95/max for both
and the ratio. First, nut_ups' CPU cost of polling: the hass process's CPU time (/proc) with no
UPS integration vs with nut_ups alone (an idle UPS), before core nut is added. Run: ``scripts/bench latency [--flips 20]``.
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

from custom_components.nut_ups.nut import NUTClient
from tests.support.hass import Hass, WebSocket
from tests.support.upsd import fixture_path, running_upsd

UPS = "bench"
NUT_UPS_ENTITY = f"binary_sensor.{UPS}_on_battery"
CPU_SECONDS = 120.0


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
    """CPU cost of nut_ups first, then both integrations and the status flips."""
    await hass.onboard()
    idle = await cpu_sample(hass)
    ours = await hass.config_flow("nut_ups", {"host": host, "port": port, "ups": UPS})
    assert ours["type"] == "create_entry", ours
    await hass.wait_state(NUT_UPS_ENTITY, "off")
    with_ours = await cpu_sample(hass)
    per_hour = (with_ours - idle) / CPU_SECONDS * 3600
    print(
        f"hass CPU over {CPU_SECONDS:.0f} s: no UPS integration {idle:.2f} s, nut_ups {with_ours:.2f} s"
    )
    print(
        f"nut_ups polling: {per_hour:.1f} CPU s per hour = {per_hour / 36:.3f} % of one core"
        " (goal <= 0.5 %)\n",
        flush=True,
    )
    if not flips:
        return
    core = await hass.config_flow("nut", {"host": host, "port": port})
    assert core["type"] == "create_entry", core
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
            fired = await wait_for_both(ws, core_entity, status)
            t0 = seen.pop(status, None)
            if t0 is not None:
                for name, when in fired.items():
                    latencies[name].append(when - t0)
                print(
                    f"flip {flip + 1:2}: {status:10} "
                    + "  ".join(f"{name} {when - t0:6.2f} s" for name, when in fired.items()),
                    flush=True,
                )
    stop.set()
    await watcher
    print_latencies(latencies)


async def wait_for_both(ws: WebSocket, core_entity: str, status: str) -> dict[str, float]:
    """Return each integration's state_changed time (epoch s) for ``status``, 120 s at most."""
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
    return fired


async def cpu_sample(hass: Hass) -> float:
    """CPU seconds the hass process used over CPU_SECONDS, after 10 s to settle."""
    assert hass.process is not None
    await asyncio.sleep(10)
    start = cpu_seconds(hass.process.pid)
    await asyncio.sleep(CPU_SECONDS)
    return cpu_seconds(hass.process.pid) - start


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

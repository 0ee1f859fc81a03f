"""How long until Home Assistant knows: nut_ups vs Home Assistant's core `nut`, in one run.

One Home Assistant (the newest release) runs both integrations, at their defaults, against the
same real upsd serving ``--ups`` UPSes (10 by default; each gets one entry of each integration).
Each UPS's ``ups.status`` flips OL <-> OB at moments uniform over core nut's 60 s poll cycle (and
so over nut_ups's 0.4 s one), the UPSes in parallel so that ``--flips`` flips take minutes, not
an hour. t0 is when upsd first reports the new status to a 5 ms poller of the bench's (dummy-ups
applies a SET VAR up to a second after it is sent), t1 the time of each integration's ``state_changed`` event (WebSocket
subscription). Prints p50/p95/max for both and the ratio. First, nut_ups's CPU cost: the hass
process's CPU time (summed over its threads from /proc/<pid>/task/*/schedstat, in nanoseconds)
with no UPS integration vs with nut_ups's entries alone, per UPS; and upsd's own CPU beside it.
Run: ``scripts/bench latency [--flips 60] [--ups 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
import random
import signal
import statistics
import tempfile
import time

from custom_components.nut_ups.nut import NUTClient, ServerSettings
from custom_components.nut_ups.nut.session import NUTSession
from tests.support.hass import Hass, WebSocket
from tests.support.upsd import Upsd, fixture_path, running_upsd

CPU_SECONDS = 120.0
CORE_CYCLE = 60.0
"""Core nut's poll interval in seconds (its default)."""
GOAL_P95 = 0.5
GOAL_CPU_PER_UPS = 0.05  # % of one core


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked) + 0.5) - 1))]


def cpu_seconds(pid: int) -> float:
    """CPU seconds of process ``pid``, all its threads, at nanosecond resolution (schedstat).

    Threads that ended are missed; hass's threads live as long as it does.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except FileNotFoundError, ProcessLookupError:
            continue
    return total / 1e9


async def seen_on_upsd(
    session: NUTSession, ups: str, status: str, poll: float = 0.005, timeout: float = 10.0
) -> float:
    """Poll ``ups.status`` every ``poll`` seconds until upsd reports ``status``.

    dummy-ups applies a SET VAR on its own schedule (up to about 1 s later, measured), so the
    moment the bench sent the flip is not when upsd has it; this is.

    Returns:
        The epoch time (s) the new status was first seen, at most ``poll`` + one loopback round
        trip after upsd had it.

    Raises:
        TimeoutError: upsd did not report ``status`` within ``timeout`` seconds.
    """
    async with asyncio.timeout(timeout):
        while True:
            (value,) = await session.get_vars([(ups, "ups.status")])
            if value == status:
                return time.time()
            await asyncio.sleep(poll)


def ups_names(count: int) -> list[str]:
    """``bench00``, ``bench01``…"""
    return [f"bench{index:02}" for index in range(count)]


def device_files(directory: Path, names: list[str]) -> dict[str, Path]:
    """One dummy-ups file per UPS, each with its own serial number (core nut's unique ID)."""
    text = fixture_path("smart-ups.dev").read_text()
    files = {}
    for index, name in enumerate(names):
        path = directory / f"{name}.dev"
        path.write_text(text.replace("AS1234567890", f"BE{index:010}"))
        files[name] = path
    return files


async def core_nut_status_entities(ws: WebSocket) -> dict[str, str]:
    """Core nut's status sensor per UPS: ``{ups name: entity_id}``."""
    entries = {
        entry["entry_id"]: entry["title"]
        for entry in await ws.call({"type": "config_entries/get", "domain": "nut"})
    }
    found = {}
    for entity in await ws.call({"type": "config/entity_registry/list"}):
        if entity["platform"] == "nut" and entity["unique_id"].endswith("ups.status.display"):
            title = entries[entity["config_entry_id"]]  # "bench03@127.0.0.1:port"
            found[title.split("@", 1)[0]] = str(entity["entity_id"])
    return found


async def measure(
    hass: Hass, server: Upsd, names: list[str], flips: int, cpu_window: float
) -> None:
    """CPU cost of nut_ups first, then both integrations and the status flips."""
    host, port = server.host, server.port
    await hass.onboard()
    idle = await cpu_sample(hass, server, cpu_window)
    for name in names:
        ours = await hass.config_flow("nut_ups", {"host": host, "port": port, "ups": name})
        assert ours["type"] == "create_entry", ours
    for name in names:
        await hass.wait_state(f"binary_sensor.{name}_on_battery", "off")
    with_ours = await cpu_sample(hass, server, cpu_window)
    print_cpu(idle, with_ours, len(names), cpu_window)
    if not flips:
        return
    for name in names:
        core = await hass.config_flow("nut", {"host": host, "port": port}, {"alias": name})
        assert core["type"] == "create_entry", core
    latencies: dict[str, list[float]] = {"nut_ups": [], "core nut": []}
    admin = NUTClient(host, port, username=server.username, password=server.password)
    async with hass.websocket() as ws:
        core_entities = await core_nut_status_entities(ws)
        await ws.send({"type": "subscribe_events", "event_type": "state_changed"})
        watched = {f"binary_sensor.{name}_on_battery": ("nut_ups", name) for name in names}
        watched |= {entity: ("core nut", name) for name, entity in core_entities.items()}
        pending: dict[str, Pending] = {}
        reader = asyncio.create_task(read_events(ws, watched, pending))
        per_ups = -(-flips // len(names))
        try:
            await asyncio.gather(
                *(
                    flip_ups(
                        admin,
                        name,
                        index * per_ups,
                        per_ups,
                        pending=pending,
                        latencies=latencies,
                    )
                    for index, name in enumerate(names)
                )
            )
        finally:
            reader.cancel()
    print_latencies(latencies)


@dataclass
class Pending:
    """A flip in progress: the status set, and each integration's first state_changed time."""

    status: str
    seen: dict[str, float] = field(default_factory=dict)


async def flip_ups(
    admin: NUTClient,
    ups: str,
    first: int,
    count: int,
    *,
    pending: dict[str, Pending],
    latencies: dict[str, list[float]],
) -> None:
    """Flip ``ups`` ``count`` times, each at a moment uniform over core nut's cycle, waiting
    until both integrations saw a flip (or 2 cycles passed) before the next."""
    settings = admin.settings
    session = NUTSession(ServerSettings(settings.host, settings.port))
    try:
        for flip in range(first, first + count):
            await asyncio.sleep(random.uniform(0, CORE_CYCLE))
            status = "OB DISCHRG" if flip % 2 == 0 else "OL"
            pending[ups] = current = Pending(status)
            await admin.set_var(ups, "ups.status", status)
            t0 = await seen_on_upsd(session, ups, status)
            deadline = time.monotonic() + 2 * CORE_CYCLE + 10
            while len(current.seen) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            del pending[ups]
            for integration, when in current.seen.items():
                latencies[integration].append(when - t0)
                print(f"{ups} {status:10} {integration:8} {when - t0:6.3f} s", flush=True)
    finally:
        session.close()


async def read_events(
    ws: WebSocket, watched: dict[str, tuple[str, str]], pending: dict[str, Pending]
) -> None:
    """Note each integration's first matching state_changed for each UPS's pending flip."""
    while True:
        event = (await ws.receive()).get("event", {})
        data = event.get("data", {})
        who = watched.get(data.get("entity_id", ""))
        new = (data.get("new_state") or {}).get("state")
        if who is None or new in (None, "unavailable", "unknown"):
            continue
        integration, ups = who
        current = pending.get(ups)
        if current is None or integration in current.seen:
            continue
        on_battery = current.status != "OL"
        if integration == "nut_ups" and new != ("on" if on_battery else "off"):
            continue
        if integration == "core nut" and ("battery" in new.lower()) != on_battery:
            continue
        current.seen[integration] = datetime.fromisoformat(event["time_fired"]).timestamp()


async def cpu_sample(hass: Hass, server: Upsd, window: float) -> tuple[float, float]:
    """CPU seconds hass and upsd used over ``window`` seconds, after 10 s to settle."""
    assert hass.process is not None
    await asyncio.sleep(10)
    assert server.server is not None
    pids = (hass.process.pid, server.server.pid)
    start = [cpu_seconds(pid) for pid in pids]
    await asyncio.sleep(window)
    hass_cpu, upsd_cpu = (
        cpu_seconds(pid) - before for pid, before in zip(pids, start, strict=True)
    )
    return hass_cpu, upsd_cpu


def print_cpu(
    idle: tuple[float, float], ours: tuple[float, float], count: int, window: float
) -> None:
    """Print hass's and upsd's CPU without and with nut_ups, in % of one core, per UPS."""
    share = 100 / window
    hass_added = (ours[0] - idle[0]) * share
    upsd_added = (ours[1] - idle[1]) * share
    print(
        f"CPU over {CPU_SECONDS:.0f} s, % of one core: no UPS integration / nut_ups ({count} UPSes)"
    )
    print(f"  hass  {idle[0] * share:7.3f} / {ours[0] * share:7.3f}")
    print(f"  upsd  {idle[1] * share:7.3f} / {ours[1] * share:7.3f}")
    print(
        f"nut_ups per UPS: hass {hass_added / count:.4f} % of one core"
        f" (goal <= {GOAL_CPU_PER_UPS} %), upsd {upsd_added / count:.4f} %\n",
        flush=True,
    )


def print_latencies(latencies: dict[str, list[float]]) -> None:
    """Print p50/p95/max per integration and the ratio of p95s."""
    print(f"\n{'integration':<12}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'n':>5}")
    for name, values in latencies.items():
        if values:
            print(
                f"{name:<12}{statistics.median(values):9.3f}{percentile(values, 0.95):9.3f}"
                f"{max(values):9.3f}{len(values):5}"
            )
    if latencies["nut_ups"] and latencies["core nut"]:
        ours = percentile(latencies["nut_ups"], 0.95)
        ratio = percentile(latencies["core nut"], 0.95) / ours
        print(f"core nut p95 / nut_ups p95 = {ratio:.0f}x; nut_ups p95 goal <= {GOAL_P95} s")


def main() -> None:
    """Parse arguments, start upsd and Home Assistant, measure, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flips", type=int, default=60, help="0 measures only the CPU cost")
    parser.add_argument("--ups", type=int, default=10, help="UPSes on the upsd (in parallel)")
    parser.add_argument("--cpu-seconds", type=float, default=CPU_SECONDS, help="each CPU sample")
    args = parser.parse_args()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # so that SIGTERM also stops hass and upsd below

    signal.signal(signal.SIGTERM, interrupted)
    names = ups_names(args.ups)
    work = Path(tempfile.mkdtemp(prefix="nut_ups-bench-"))
    with running_upsd(device_files(work, names)) as server:
        hass = Hass(work / "config")
        try:
            hass.start()
            asyncio.run(measure(hass, server, names, args.flips, args.cpu_seconds))
        finally:
            hass.stop()


if __name__ == "__main__":
    main()

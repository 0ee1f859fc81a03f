"""A rack: 100 UPSes in one real Home Assistant, nut_ups vs Home Assistant's core ``nut`` (#13).

Each run has its own fresh Home Assistant (2026.11, its own venv) and fresh upsd(s) on free
ports of 127.0.0.1, in one of two layouts:

- A: one upsd serving 100 dummy-ups drivers; B: 10 upsd serving 10 each.
- UPS names ``ups000``..``ups099``, each on a copy of tests/fixtures/smart-ups.dev whose serial
  number is made unique (core ``nut`` takes the serial as the entry's unique ID, so identical
  copies would stop its config flow at the second UPS).

Home Assistant runs the probe integration ``nut_ups_probe`` (benchmarks/probe/): a 50 ms
``loop.call_at`` timer whose lateness is the event-loop lag, the process's CPU time
(``time.process_time``: all threads, ns resolution) and when config entries were set up, read
over the WebSocket with the action ``nut_ups_probe.sample`` (response only).

Per run (nut_ups in A and B; core ``nut`` in A unless ``--no-core``):

1. hass starts with no UPS entries: after SETTLE seconds, the idle window (``--cpu-seconds``)
   gives the idle CPU and lag.
2. 100 entries are added through config flows over REST (host, port, UPS; core nut: host and
   port, then its UPS choice step), four at a time.
3. hass restarts. Setup = from the probe's setup to the last of the 100 entries LOADED (wall
   clock inside hass; the probe is set up in the same bootstrap stage as the entries). Also
   shown: from starting the ``hass`` process, and ``integration/setup_info``'s figure (the
   integration's own setup plus its slowest entry, as Home Assistant counts it).
4. After SETTLE seconds, the loaded window of the same length: hass CPU (% of one core) above
   the idle one and per UPS, the lag p50/p99/max, and upsd's own CPU (/proc/<pid>/stat) and the
   drivers' total over the same window.
5. Detection: ``--flips`` flips of ``ups.status`` OL ↔ OB (a random UPS goes on battery, then
   back on mains; ``set_var`` of an admin NUTClient on its upsd). t0 = when ``set_var``
   returned, t1 = ``time_fired`` of the UPS's entity ``state_changed`` event over the WebSocket
   (nut_ups: ``binary_sensor.<ups>_on_battery``; core nut: its status sensor). nut_ups: one flip
   at a time, 2 to 6 s apart (uniform). Core nut polls every 60 s, so CORE_LANES UPSes flip in
   parallel, each flip 0 to 60 s (uniform) after that UPS's previous one was seen.
   dummy-ups applies a SET VAR of ``ups.status`` at its next update, 0 to 1 s later, so the bench
   also polls upsd itself (GET VAR every POLL_UPSD s, from t0 on) and reports t1 measured from
   when upsd first showed the new status: what an integration can be held to.
6. hass stops; the WARNING/ERROR lines of home-assistant.log are counted by logger.

Everything started is stopped by PID at the end, on Ctrl-C and on SIGTERM.
Run: ``scripts/bench scale [--flips N] [--cpu-seconds S] [--layouts a,b] [--no-core]``;
a smoke run: ``--flips 10 --cpu-seconds 20``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
import os
from pathlib import Path
import random
import re
import shutil
import signal
import statistics
import tempfile
import time
import traceback
from typing import Any

from custom_components.nut_ups.nut import NUTClient
from tests.support.hass import Hass, WebSocket
from tests.support.upsd import ADMIN_PASSWORD, ADMIN_USER, REPO_ROOT, Upsd, fixture_path

UPS_COUNT = 100
PROBE = REPO_ROOT / "benchmarks" / "probe" / "nut_ups_probe"
SETTLE = 15.0
"""Seconds between the end of setup (or of adding nothing) and a CPU window."""
ADD_AT_ONCE = 4
"""Config flows run at the same time while adding the entries."""
LOAD_TIMEOUT = 600.0
"""Seconds the restarted hass gets to load every entry."""
NUT_UPS_GAP = (2.0, 6.0)
CORE_GAP = (0.0, 60.0)
CORE_LANES = 12
FLIP_TIMEOUT = {"nut_ups": 30.0, "nut": 150.0}
"""Seconds after a flip before it counts as missed."""
ON_BATTERY, ON_MAINS = "OB DISCHRG", "OL"
POLL_UPSD = 0.005
"""Seconds between the bench's own GET VARs that find when upsd shows a flip."""

GOAL_CPU = 1.0  # % of one core for 100 UPSes, above idle
GOAL_LAG_P99 = 10.0  # ms
GOAL_SETUP = 15.0  # s
GOAL_DETECTION_P95 = 0.5  # s

NAMES = {"nut_ups": "nut_ups", "nut": "core nut"}
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (WARNING|ERROR|CRITICAL) \(([^)]*)\) \[([^\]]+)\] (.*)"
)
_START = time.monotonic()


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile of ``values``, nearest rank."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked) + 0.5) - 1))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (/proc/<pid>/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def say(text: str) -> None:
    """Print a progress line with the time since the benchmark started."""
    elapsed = time.monotonic() - _START
    print(f"[{int(elapsed // 60):3d}:{elapsed % 60:04.1f}] {text}", flush=True)


# -- the rack --------------------------------------------------------------------------------


def device_files(folder: Path) -> dict[str, Path]:
    """Write UPS_COUNT copies of smart-ups.dev with unique serials; return {name: file}."""
    text = fixture_path("smart-ups.dev").read_text()
    files = {}
    for index in range(UPS_COUNT):
        name = f"ups{index:03d}"
        serial = f"AS1234567{index:03d}"
        path = folder / f"{name}.dev"
        path.write_text(text.replace("AS1234567890", serial))
        files[name] = path
    return files


class Rack:
    """The upsd(s) of one layout: ``servers`` upsd, the UPSes spread evenly over them."""

    def __init__(self, devices: Mapping[str, Path], servers: int) -> None:
        """Describe the rack; :meth:`start` starts it."""
        names = list(devices)
        size = len(names) // servers
        self.upsds = [
            Upsd({name: devices[name] for name in names[i * size : (i + 1) * size]})
            for i in range(servers)
        ]
        self.server_of: dict[str, Upsd] = {}

    def start(self) -> None:
        """Start every upsd and its drivers (running_upsd's timeouts)."""
        for upsd in self.upsds:
            upsd.start()
            self.server_of.update(dict.fromkeys(upsd.devices, upsd))

    def stop(self) -> None:
        """Stop every upsd and driver started, by PID."""
        for upsd in self.upsds:
            if hasattr(upsd, "tmpdir"):
                left = upsd.stop()
                if left:
                    say(f"upsd on port {upsd.port}: PIDs {left} would not stop")

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of (every upsd, every driver), from /proc."""
        servers = sum(cpu_seconds(u.server.pid) for u in self.upsds if u.server is not None)
        drivers = sum(cpu_seconds(p.pid) for u in self.upsds for p in u.drivers.values())
        return servers, drivers

    async def shown_at(self, ups: str, status: str, timeout: float) -> float | None:
        """Poll upsd every POLL_UPSD s until ``ups.status`` of ``ups`` has (or, for OL, lacks)
        OB as ``status`` has; return time.time() then, or None after ``timeout`` s."""
        upsd = self.server_of[ups]
        want_ob = "OB" in status.split()
        reader, writer = await asyncio.open_connection(upsd.host, upsd.port)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                writer.write(f"GET VAR {ups} ups.status\n".encode())
                line = (await reader.readline()).decode()
                parts = line.split('"')
                tokens = parts[1].split() if len(parts) > 2 else []
                if tokens and ("OB" in tokens) == want_ob:
                    return time.time()
                await asyncio.sleep(POLL_UPSD)
            return None
        finally:
            writer.close()

    async def set_status(self, ups: str, status: str) -> None:
        """SET VAR ups.status as upsd's admin user, one connection (NUTClient.set_var)."""
        upsd = self.server_of[ups]
        admin = NUTClient(upsd.host, upsd.port, username=ADMIN_USER, password=ADMIN_PASSWORD)
        await admin.set_var(ups, "ups.status", status)


@contextlib.contextmanager
def running(rack: Rack, hass: Hass) -> Iterator[None]:
    """Start the rack, and stop hass and the rack whatever happens."""
    try:
        rack.start()
        yield
    finally:
        hass.stop()
        rack.stop()


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Window:
    """One CPU window. CPU in % of one core; lag in ms."""

    seconds: float
    hass_cpu: float
    lag_p50: float
    lag_p99: float
    lag_max: float
    samples: int
    upsd_cpu: float
    drivers_cpu: float


@dataclass
class Setup:
    """Setup after the restart, in seconds (None: not seen)."""

    loaded: int
    probe_to_loaded: float | None
    start_to_loaded: float | None
    setup_info: float | None
    probe_lead: float | None
    """From the probe's setup to the first entry's (< 0: the probe came late, and the setup
    figure is understated by that much)."""


@dataclass
class Run:
    """Figures of one integration in one layout."""

    layout: str
    domain: str
    idle: Window | None = None
    loaded: Window | None = None
    adding: float | None = None
    added: int = 0
    setup: Setup | None = None
    flips: list[Flip] = field(default_factory=list)
    log_own: Counter[str] = field(default_factory=Counter)
    log_other: Counter[str] = field(default_factory=Counter)
    log_own_count: int = 0
    log_other_count: int = 0


async def call(ws: WebSocket, command: dict[str, Any]) -> dict[str, Any]:
    """Send a WebSocket command; return its result message (success or not)."""
    command_id = await ws.send(command)
    while True:
        message = await ws.receive()
        if message.get("id") == command_id and message.get("type") == "result":
            return message


async def probe_sample(ws: WebSocket) -> dict[str, Any] | None:
    """``nut_ups_probe.sample``'s response, or None when the action is not there yet."""
    reply = await call(
        ws,
        {
            "type": "call_service",
            "domain": "nut_ups_probe",
            "service": "sample",
            "return_response": True,
        },
    )
    if not reply.get("success"):
        return None
    return dict(reply["result"]["response"])


async def window(hass: Hass, rack: Rack, seconds: float) -> Window:
    """Settle, then measure hass (probe), upsd and the drivers over ``seconds``."""
    # A WebSocket per sample: one left unread through a long window misses Home Assistant's
    # heartbeat pings (aiohttp answers them only while reading) and is closed.
    await asyncio.sleep(SETTLE)
    async with hass.websocket() as ws:
        first = await probe_sample(ws)  # also starts a new lag window
    upsd0, drivers0 = rack.cpu()
    started = time.monotonic()
    await asyncio.sleep(seconds)
    async with hass.websocket() as ws:
        last = await probe_sample(ws)
    upsd1, drivers1 = rack.cpu()
    elapsed = time.monotonic() - started
    assert first is not None and last is not None, "the probe does not answer"
    hass_elapsed = last["monotonic_s"] - first["monotonic_s"]
    return Window(
        seconds=hass_elapsed,
        hass_cpu=100 * (last["cpu_s"] - first["cpu_s"]) / hass_elapsed,
        lag_p50=last["lag_p50_ms"],
        lag_p99=last["lag_p99_ms"],
        lag_max=last["lag_max_ms"],
        samples=last["samples"],
        upsd_cpu=100 * (upsd1 - upsd0) / elapsed,
        drivers_cpu=100 * (drivers1 - drivers0) / elapsed,
    )


async def long_lived_token(hass: Hass) -> None:
    """Onboard, then swap the 30-minute access token for a long-lived one (survives restarts)."""
    await hass.onboard()
    async with hass.websocket() as ws:
        token = await ws.call(
            {"type": "auth/long_lived_access_token", "client_name": "bench_scale", "lifespan": 1}
        )
    hass.token = str(token)


async def add_entries(hass: Hass, rack: Rack, domain: str) -> int:
    """Add one entry per UPS through the config flow, ADD_AT_ONCE at a time; return how many."""
    gate = asyncio.Semaphore(ADD_AT_ONCE)

    async def add(ups: str) -> bool:
        upsd = rack.server_of[ups]
        async with gate:
            if domain == "nut_ups":
                steps = [{"host": upsd.host, "port": upsd.port, "ups": ups}]
            else:  # core nut: host and port, then its UPS choice (upsd has several)
                steps = [{"host": upsd.host, "port": upsd.port}, {"alias": ups}]
            result = await hass.config_flow(domain, *steps)
        if result.get("type") != "create_entry":
            say(f"  {ups}: the config flow ended with {result}")
            return False
        return True

    done = await asyncio.gather(*(add(ups) for ups in rack.server_of))
    return sum(done)


async def before_restart(hass: Hass, rack: Rack, run: Run, seconds: float) -> None:
    """Idle window, then add the entries."""
    await long_lived_token(hass)
    say(f"  idle window: {SETTLE:.0f} s to settle + {seconds:.0f} s")
    run.idle = await window(hass, rack, seconds)
    say(f"  adding {UPS_COUNT} {NAMES[run.domain]} entries")
    started = time.monotonic()
    run.added = await add_entries(hass, rack, run.domain)
    run.adding = time.monotonic() - started
    say(f"  {run.added} added in {run.adding:.1f} s; restarting hass")


async def wait_loaded(hass: Hass, domain: str, count: int, popen_wall: float) -> Setup:
    """Poll the probe until ``count`` entries of ``domain`` are loaded; return the setup times."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    async with hass.websocket() as ws:
        while True:
            sample = await probe_sample(ws)
            figures = (sample or {}).get("entries", {}).get(domain, {})
            if sample is not None and figures.get("loaded", 0) >= count:
                break
            if time.monotonic() > deadline:
                say(f"  only {figures.get('loaded', 0)} of {count} entries loaded")
                break
            await asyncio.sleep(0.5)
        timings = await ws.call({"type": "integration/setup_info"})
    setup_info = next((t["seconds"] for t in timings if t["domain"] == domain), None)
    last_loaded = figures.get("last_loaded_wall_s")
    first_setup = figures.get("first_setup_wall_s")
    probe_setup = sample["setup_wall_s"] if sample else None
    return Setup(
        loaded=int(figures.get("loaded", 0)),
        probe_to_loaded=last_loaded - probe_setup if last_loaded and probe_setup else None,
        start_to_loaded=last_loaded - popen_wall if last_loaded else None,
        setup_info=setup_info,
        probe_lead=first_setup - probe_setup if probe_setup and first_setup else None,
    )


async def after_restart(
    hass: Hass, rack: Rack, run: Run, *, popen_wall: float, seconds: float, flips: int
) -> None:
    """Setup time, loaded window, detection."""
    run.setup = await wait_loaded(hass, run.domain, run.added, popen_wall)
    say(
        f"  {run.setup.loaded} entries loaded, {_num(run.setup.probe_to_loaded, 's')} after the "
        f"probe's setup; loaded window: {SETTLE:.0f} s to settle + {seconds:.0f} s"
    )
    run.loaded = await window(hass, rack, seconds)
    if flips:
        say(f"  {flips} flips")
        await detect(hass, rack, run, flips)


# -- detection -------------------------------------------------------------------------------


type Seen = Callable[[str], bool]


class Router:
    """Reads state_changed events; resolves the one waiter of an entity when its test passes."""

    def __init__(self, ws: WebSocket) -> None:
        """Route the events of ``ws`` (subscribed to state_changed)."""
        self._ws = ws
        self._waiting: dict[str, tuple[Seen, asyncio.Future[float]]] = {}

    def expect(self, entity: str, test: Seen) -> asyncio.Future[float]:
        """A future set to ``time_fired`` (epoch s) of the first new state passing ``test``."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[entity] = (test, future)
        return future

    def forget(self, entity: str) -> None:
        """Stop waiting for ``entity``."""
        self._waiting.pop(entity, None)

    async def run(self) -> None:
        """Route events until cancelled."""
        while True:
            message = await self._ws.receive()
            event = message.get("event") or {}
            data = event.get("data") or {}
            waiting = self._waiting.get(data.get("entity_id", ""))
            new = (data.get("new_state") or {}).get("state")
            if waiting is None or new is None:
                continue
            test, future = waiting
            if test(new) and not future.done():
                future.set_result(datetime.fromisoformat(event["time_fired"]).timestamp())
                self.forget(data["entity_id"])


WATCHED_KEY = {"nut_ups": "on_battery", "nut": "ups_status_display"}
"""Translation key of the entity whose state_changed marks a flip, per integration."""


async def watched_entities(ws: WebSocket, domain: str) -> dict[str, str]:
    """{UPS name: the entity whose state_changed marks the flip} for ``domain``'s entries.

    The registry's display list (the full one exceeds the WebSocket's 4 MB with 100 UPSes):
    entity → device → config entry, whose title starts with the UPS name.
    """
    entries = await ws.call({"type": "config_entries/get", "domain": domain})
    ups_of = {entry["entry_id"]: entry["title"].split("@")[0] for entry in entries}
    devices = await ws.call({"type": "config/device_registry/list"})
    ups_of_device = {
        device["id"]: ups_of[entry]
        for device in devices
        for entry in device["config_entries"]
        if entry in ups_of
    }
    listed = await ws.call({"type": "config/entity_registry/list_for_display"})
    return {
        ups_of_device[entity["di"]]: entity["ei"]
        for entity in listed["entities"]
        if entity["pl"] == domain
        and entity.get("tk") == WATCHED_KEY[domain]
        and entity.get("di") in ups_of_device
    }


def shows(domain: str, status: str) -> Seen:
    """Test for the new state that says ``status`` was seen."""
    if domain == "nut_ups":
        expected = "on" if status == ON_BATTERY else "off"
        return lambda state: state == expected
    prefix = "On Battery" if status == ON_BATTERY else "Online"
    return lambda state: state.startswith(prefix)


@dataclass
class Flip:
    """One flip; times in seconds from t0 (``set_var`` returned), None when not seen."""

    ups: str
    status: str
    applied: float | None
    """When upsd first showed the new status (its own GET VAR, polled every POLL_UPSD s)."""
    seen: float | None
    """t1: ``time_fired`` of the entity's state_changed."""

    @property
    def after_upsd(self) -> float | None:
        """t1 measured from when upsd showed the new status."""
        if self.seen is None or self.applied is None:
            return None
        return self.seen - self.applied


async def detect(hass: Hass, rack: Rack, run: Run, flips: int) -> None:
    """Flip random UPSes OL → OB → OL; collect each flip in ``run.flips``."""
    domain = run.domain
    lanes = 1 if domain == "nut_ups" else min(CORE_LANES, flips)
    gap = NUT_UPS_GAP if domain == "nut_ups" else CORE_GAP
    timeout = FLIP_TIMEOUT[domain]
    async with hass.websocket() as calls, hass.websocket() as events:
        entities = await watched_entities(calls, domain)
        assert len(entities) == run.added, f"{len(entities)} entities for {run.added} entries"
        await events.call({"type": "subscribe_events", "event_type": "state_changed"})
        router = Router(events)
        routing = asyncio.create_task(router.run())
        busy: set[str] = set()
        claimed = 0

        def claim() -> bool:
            nonlocal claimed
            if claimed >= flips:
                return False
            claimed += 1
            return True

        async def flip(ups: str, status: str) -> None:
            await asyncio.sleep(random.uniform(*gap))
            seen = router.expect(entities[ups], shows(domain, status))
            await rack.set_status(ups, status)
            t0 = time.time()
            applied = asyncio.create_task(rack.shown_at(ups, status, timeout))
            try:
                t1: float | None = await asyncio.wait_for(seen, timeout)
            except TimeoutError:
                router.forget(entities[ups])
                t1 = None
            t_upsd = await applied
            done = Flip(
                ups,
                status,
                None if t_upsd is None else t_upsd - t0,
                None if t1 is None else t1 - t0,
            )
            run.flips.append(done)
            if done.seen is None:
                say(f"    {ups} {status}: not seen within {timeout:.0f} s")
            elif domain == "nut_ups" and done.seen > GOAL_DETECTION_P95:
                say(
                    f"    {ups} {status}: seen {done.seen:.3f} s after set_var, "
                    f"{_num(done.after_upsd, 's', 3)} after upsd showed it"
                )
            if len(run.flips) % 10 == 0 or len(run.flips) == flips:
                seen_so_far = [f.seen for f in run.flips if f.seen is not None]
                median = statistics.median(seen_so_far) if seen_so_far else None
                say(f"    {len(run.flips)} flips, p50 so far {_num(median, 's', 3)}")

        async def lane() -> None:
            while claim():
                ups = random.choice([name for name in entities if name not in busy])
                busy.add(ups)
                await flip(ups, ON_BATTERY)
                if claim():
                    await flip(ups, ON_MAINS)
                busy.discard(ups)

        try:
            await asyncio.gather(*(lane() for _ in range(lanes)))
        finally:
            routing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await routing


# -- one run ---------------------------------------------------------------------------------


def count_log(hass: Hass, run: Run) -> None:
    """Count WARNING/ERROR/CRITICAL lines of both hass processes' logs, by logger."""
    own = (
        ("custom_components.nut_ups", "custom_components.nut_ups.")
        if run.domain == "nut_ups"
        else ("homeassistant.components.nut", "homeassistant.components.nut.")
    )
    for path in (hass.log_file.with_name(hass.log_file.name + ".1"), hass.log_file):
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            match = LOG_LINE.match(line)
            if match is None:
                continue
            level, _, logger, message = match.groups()
            key = f"{level} [{logger}] {message[:150]}"
            if logger == own[0] or logger.startswith(own[1]):
                run.log_own_count += 1
                run.log_own[key] += 1
            else:
                run.log_other_count += 1
                run.log_other[key] += 1


def one_run(layout: str, domain: str, devices: Mapping[str, Path], args: argparse.Namespace) -> Run:
    """Run the steps of the module docstring for ``domain`` in ``layout``; return the figures."""
    run = Run(layout, domain)
    rack = Rack(devices, 1 if layout == "a" else 10)
    config = Path(tempfile.mkdtemp(prefix=f"nut_ups-scale-{layout}-{domain}-"))
    hass = Hass(
        config / "config",
        extra_config="nut_ups_probe:\n",
        extra_components={"nut_ups_probe": PROBE},
    )
    say(f"layout {layout.upper()}, {NAMES[domain]}: starting {len(rack.upsds)} upsd and hass")
    try:
        with running(rack, hass):
            hass.start()
            asyncio.run(before_restart(hass, rack, run, args.cpu_seconds))
            hass.stop()
            popen_wall = time.time()
            hass.start(timeout=LOAD_TIMEOUT)
            asyncio.run(
                after_restart(
                    hass,
                    rack,
                    run,
                    popen_wall=popen_wall,
                    seconds=args.cpu_seconds,
                    flips=args.flips,
                )
            )
            say("  stopping hass and upsd")
        count_log(hass, run)
    finally:
        shutil.rmtree(config, ignore_errors=True)
    return run


# -- report ----------------------------------------------------------------------------------


def _num(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}{(' ' + unit) if unit else ''}"


def _ok(value: float | None, goal: float) -> str:
    return "" if value is None else ("ok" if value <= goal else "MISSED")


def above_idle(run: Run) -> float | None:
    """hass CPU of the loaded window above the idle one, % of one core."""
    if run.idle is None or run.loaded is None:
        return None
    return run.loaded.hass_cpu - run.idle.hass_cpu


def seen(run: Run, after_upsd: bool = False) -> list[float]:
    """Detection latencies (s) of the flips seen: from set_var, or from upsd showing them."""
    values = [flip.after_upsd if after_upsd else flip.seen for flip in run.flips]
    return [value for value in values if value is not None]


def p95(run: Run, after_upsd: bool = False) -> float | None:
    """Detection p95 (s), None without flips seen."""
    values = seen(run, after_upsd)
    return percentile(values, 0.95) if values else None


def spread(values: list[float]) -> str:
    """``p50 / p95 / max`` of ``values`` (s), or a dash."""
    if not values:
        return "—"
    return f"{statistics.median(values):.3f} / {percentile(values, 0.95):.3f} / {max(values):.3f}"


def entries_span(setup: Setup) -> float | None:
    """From the first entry's setup to the last one LOADED (s)."""
    if setup.probe_to_loaded is None or setup.probe_lead is None:
        return None
    return setup.probe_to_loaded - setup.probe_lead


def rows(run: Run) -> list[tuple[str, str, str]]:
    """(figure, value, goal) lines of one run."""
    setup, idle, loaded = run.setup, run.idle, run.loaded
    extra = above_idle(run)
    lines: list[tuple[str, str, str]] = [
        ("entries added / loaded", f"{run.added} / {setup.loaded if setup else '—'}", ""),
        ("adding them (100 config flows)", _num(run.adding, "s", 1), ""),
    ]
    if setup is not None:
        lines += [
            (
                "setup: probe setup → all LOADED",
                _num(setup.probe_to_loaded, "s"),
                f"<= {GOAL_SETUP:.0f} s {_ok(setup.probe_to_loaded, GOAL_SETUP)}",
            ),
            ("  hass process start → all LOADED", _num(setup.start_to_loaded, "s"), ""),
            ("  integration/setup_info", _num(setup.setup_info, "s"), ""),
            ("  probe setup → first entry's setup", _num(setup.probe_lead, "s"), ""),
            ("  first entry's setup → all LOADED", _num(entries_span(setup), "s"), ""),
        ]
    if idle is not None and loaded is not None:
        per_ups = None if extra is None else extra / UPS_COUNT
        lines += [
            ("hass CPU idle (% of one core)", _num(idle.hass_cpu, "%", 3), ""),
            ("hass CPU with the entries", _num(loaded.hass_cpu, "%", 3), ""),
            (
                "hass CPU above idle",
                _num(extra, "%", 3),
                f"<= {GOAL_CPU:.0f} % {_ok(extra, GOAL_CPU)}",
            ),
            ("  per UPS", _num(per_ups, "%", 5), ""),
            (
                "loop lag p50 / p99 / max (ms)",
                f"{loaded.lag_p50:.2f} / {loaded.lag_p99:.2f} / {loaded.lag_max:.1f}",
                f"p99 <= {GOAL_LAG_P99:.0f} ms {_ok(loaded.lag_p99, GOAL_LAG_P99)}",
            ),
            (
                "  idle lag p50 / p99 / max (ms)",
                f"{idle.lag_p50:.2f} / {idle.lag_p99:.2f} / {idle.lag_max:.1f}",
                "",
            ),
            ("  lag samples (idle, loaded)", f"{idle.samples}, {loaded.samples}", ""),
            (
                "upsd CPU (% of one core)",
                f"{loaded.upsd_cpu:.3f} % (idle {idle.upsd_cpu:.3f})",
                "",
            ),
            (
                "dummy-ups drivers, total",
                f"{loaded.drivers_cpu:.3f} % (idle {idle.drivers_cpu:.3f})",
                "",
            ),
            ("window length (s)", f"{loaded.seconds:.1f}", ""),
        ]
    if run.flips:
        applied = [f.applied for f in run.flips if f.applied is not None]
        went = [f.seen for f in run.flips if f.status == ON_BATTERY and f.seen is not None]
        back = [f.seen for f in run.flips if f.status == ON_MAINS and f.seen is not None]
        goal = f"p95 <= {GOAL_DETECTION_P95} s"
        lines += [
            (
                "detection from set_var p50/p95/max",
                spread(seen(run)),
                f"{goal} {_ok(p95(run), GOAL_DETECTION_P95)}",
            ),
            (
                "  from upsd showing it p50/p95/max",
                spread(seen(run, after_upsd=True)),
                f"{goal} {_ok(p95(run, after_upsd=True), GOAL_DETECTION_P95)}",
            ),
            ("  upsd showed the SET after", spread(applied), ""),
            (
                "  p50 to OB / back to OL (from set)",
                " / ".join(
                    _num(statistics.median(part) if part else None, digits=3)
                    for part in (went, back)
                ),
                "",
            ),
            (
                "  flips seen / not seen",
                f"{len(seen(run))} / {len(run.flips) - len(seen(run))}",
                "",
            ),
        ]
    lines.append((f"WARNING/ERROR lines from {NAMES[run.domain]}", str(run.log_own_count), "0"))
    lines.append(("  from other loggers", str(run.log_other_count), ""))
    return lines


def print_layout(layout: str, runs: list[Run]) -> None:
    """One table: a column per integration, and the goal."""
    servers = "one upsd x 100 UPSes" if layout == "a" else "10 upsd x 10 UPSes"
    print(f"\n=== layout {layout.upper()}: {servers}, 100 entries in one Home Assistant ===")
    tables = [rows(run) for run in runs]
    header = f"{'figure':<38}" + "".join(f"{NAMES[run.domain]:>30}" for run in runs)
    print(header + f"   {'goal (nut_ups)'}")
    labels: list[str] = []
    for table in tables:
        labels += [label for label, _, _ in table if label not in labels]
    for label in labels:
        cells = []
        goal = ""
        for run, table in zip(runs, tables, strict=True):
            found = next(((v, g) for lab, v, g in table if lab == label), ("", ""))
            cells.append(f"{found[0]:>30}")
            if run.domain == "nut_ups":
                goal = found[1]
        print(f"{label:<38}" + "".join(cells) + f"   {goal}")
    for run in runs:
        for title, counts in (
            (f"{NAMES[run.domain]}'s", run.log_own),
            ("other loggers'", run.log_other),
        ):
            if counts:
                print(
                    f"  {title} log lines in the {NAMES[run.domain]} run (count, first 150 chars):"
                )
                for key, count in counts.most_common(6):
                    print(f"    {count:4} x {key}")
    ours = next((run for run in runs if run.domain == "nut_ups"), None)
    core = next((run for run in runs if run.domain == "nut"), None)
    if ours is not None and core is not None:
        print("ratios, nut_ups / core nut (below 1: nut_ups is better):")
        for after_upsd, label in ((False, "set_var"), (True, "upsd showing it")):
            ours_p95, core_p95 = p95(ours, after_upsd), p95(core, after_upsd)
            if ours_p95 and core_p95:
                print(
                    f"  detection p95 from {label}: {ours_p95 / core_p95:.4f}"
                    f"  (core nut takes {core_p95 / ours_p95:.0f}x as long)"
                )
        ours_cpu, core_cpu = above_idle(ours), above_idle(core)
        if ours_cpu is not None and core_cpu is not None and core_cpu > 0 and ours_cpu > 0:
            print(
                f"  hass CPU above idle: {ours_cpu / core_cpu:.2f}"
                f"  ({ours_cpu:.3f} % vs {core_cpu:.3f} % of one core)"
            )
        elif ours_cpu is not None and core_cpu is not None:
            print(
                f"  hass CPU above idle: no ratio ({ours_cpu:.3f} % vs {core_cpu:.3f} % of one"
                " core; one is within the noise of the idle window)"
            )
        if ours.setup and core.setup and ours.setup.probe_to_loaded and core.setup.probe_to_loaded:
            print(f"  setup: {ours.setup.probe_to_loaded / core.setup.probe_to_loaded:.2f}")
        if ours.loaded and core.loaded and core.loaded.lag_p99:
            print(f"  loop lag p99: {ours.loaded.lag_p99 / core.loaded.lag_p99:.2f}")


def print_summary(runs: list[Run]) -> None:
    """One line per run against the goals."""
    print(
        "\n=== summary (goals: setup <= 15 s, CPU <= 1 % of a core, lag p99 <= 10 ms, "
        "detection p95 <= 0.5 s) ==="
    )
    print(
        f"{'layout':<8}{'integration':<12}{'setup s':>9}{'CPU %':>9}{'per UPS %':>11}"
        f"{'lag p99':>9}{'det p95 s':>11}{'(upsd) s':>10}{'upsd %':>9}{'drivers %':>11}{'log W/E':>9}"
    )
    for run in runs:
        extra = above_idle(run)
        print(
            f"{run.layout.upper():<8}{NAMES[run.domain]:<12}"
            f"{_num(run.setup.probe_to_loaded if run.setup else None):>9}"
            f"{_num(extra, digits=3):>9}"
            f"{_num(None if extra is None else extra / UPS_COUNT, digits=5):>11}"
            f"{_num(run.loaded.lag_p99 if run.loaded else None):>9}"
            f"{_num(p95(run), digits=3):>11}"
            f"{_num(p95(run, after_upsd=True), digits=3):>10}"
            f"{_num(run.loaded.upsd_cpu if run.loaded else None, digits=3):>9}"
            f"{_num(run.loaded.drivers_cpu if run.loaded else None, digits=3):>11}"
            f"{run.log_own_count:>9}"
        )


def main() -> None:
    """Parse arguments, run every layout (and core nut in A), print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flips", type=int, default=60, help="flips per run (0: none)")
    parser.add_argument(
        "--cpu-seconds", type=float, default=120.0, help="length of each CPU window (s)"
    )
    parser.add_argument("--layouts", default="a,b", help="a, b or a,b")
    parser.add_argument("--no-core", action="store_true", help="skip core nut (layout A)")
    args = parser.parse_args()
    layouts = [name.strip().lower() for name in args.layouts.split(",") if name.strip()]
    if not set(layouts) <= {"a", "b"}:
        parser.error("--layouts takes a, b or a,b")

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # so that SIGTERM also stops hass and upsd (finally blocks)

    signal.signal(signal.SIGTERM, interrupted)
    if args.cpu_seconds < 120:
        say(
            f"note: {args.cpu_seconds:.0f} s CPU windows hold few of nut_ups' 30 s full-poll "
            "cycles (its 100 entries start them within seconds): CPU figures are rough"
        )
    folder = Path(tempfile.mkdtemp(prefix="nut_ups-scale-devices-"))
    runs: list[Run] = []
    try:
        devices = device_files(folder)
        for layout in layouts:
            domains = ["nut_ups"] if layout == "b" or args.no_core else ["nut_ups", "nut"]
            done = []
            for domain in domains:
                try:
                    done.append(one_run(layout, domain, devices, args))
                except Exception:
                    say(f"layout {layout.upper()}, {NAMES[domain]} failed:")
                    traceback.print_exc()
            runs += done
            print_layout(layout, done)
        print_summary(runs)
        say("done")
    except KeyboardInterrupt:
        say("interrupted: hass, upsd and the drivers were stopped")
        raise SystemExit(130) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Soak: thousands of OL <-> OB flips through a fault-injecting proxy, in a real Home Assistant.

nut_ups polls a real upsd (dummy-ups) through tests/support/fault_proxy.py, which resets new
connections, stalls reply chunks past the client's 5 s timeout and cuts replies (a ``LIST`` in
the middle) at random; every ``--restart-every`` flips the soak restarts upsd, or the drivers.
``--ups`` UPSes on that upsd (4 by default, one config entry each) flip together, as the UPSes of
one site do when the mains fail: the flips go straight to upsd (an admin SET VAR of
``ups.status``), each held for a random time of at least two status intervals from the moment
upsd reports it (a 5 ms poller of the soak's: dummy-ups applies a SET up to a second after it is
sent, which is most of a flip's time: flipping several UPSes at once keeps 10,000 flips under an
hour). Home Assistant's ``state_changed`` events of each UPS's ``on_battery`` binary sensor and
nut_ups's power events are read over a WebSocket.

A flip counts as *eligible* when no fault was injected, nothing restarted and the soak had hass
collect no garbage (below), from one client timeout before it until the next flip: upsd held it
for two status intervals with the link up.
Printed as a table: flips, eligible, missed among them, phantom and duplicate events,
unavailable periods, log lines and tracebacks, hass's open file descriptors, RSS and the Python
memory blocks it keeps after a full garbage collection at the start and end (the start taken
after the first tenth of the flips, once caches settled).

While flipping, the soak has hass run a full garbage collection every
:data:`COLLECT_SECONDS` (the probe's ``memory`` action) and counts what they found, and how
much of it was nut_ups's; each holds hass's event loop for about half a second, so the flips
around it are not eligible. Home Assistant's own state writes leave Event/Context cycles that
CPython otherwise frees only once its old generation has grown by a quarter (about 90,000
objects in this hass): left to that, RSS rose by about 2.6 KiB a flip over 10,000 flips
(measured 2026-12-03; what the collections find is Home Assistant's); with the collections, RSS says what is
really kept. Run:
``scripts/bench soak [--flips 10000] [--ups 4] [--interval 0.1]``; ``run_soak`` is also the
short CI soak's engine (tests/e2e/test_soak.py).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime
import itertools
import math
from pathlib import Path
import random
import signal
import tempfile
import time
from typing import Any

from benchmarks.bench_scale import PROBE
from custom_components.nut_ups.nut import (
    DEFAULT_TIMEOUT,
    NUTClient,
    NUTResponseError,
    ServerSettings,
)
from custom_components.nut_ups.nut.session import NUTSession
from tests.support.fault_proxy import FaultProxy, Faults
from tests.support.hass import Hass, WebSocket
from tests.support.upsd import Upsd, fixture_path, running_upsd

COLLECT_SECONDS = 30.0
"""Seconds between the full garbage collections the soak has hass run while flipping."""
UPS = "soak"
EVENT = "nut_ups_power_event"
DEFAULT_FAULTS = Faults(reset=0.02, stall=0.0015, cut=0.003, stall_seconds=DEFAULT_TIMEOUT + 1)


def soak_ups_names(count: int) -> list[str]:
    """The soak's UPS names on upsd: ``soak``, ``soak2``, ``soak3``…"""
    return [UPS, *(f"{UPS}{number}" for number in range(2, count + 1))]


def soak_devices(count: int) -> dict[str, Path]:
    """dummy-ups files for :func:`soak_ups_names` (a Smart-UPS dump each), for :class:`Upsd`."""
    return dict.fromkeys(soak_ups_names(count), fixture_path("smart-ups.dev"))


def on_battery_entity(ups: str) -> str:
    """The entity ID of ``ups``'s on_battery binary sensor."""
    return f"binary_sensor.{ups}_on_battery"


def _shown(status: str) -> str:
    """The on_battery state that ``ups.status`` ``status`` should show."""
    return "off" if status == "OL" else "on"


@dataclass
class Flip:
    """One flip of one UPS: its status, kept until the UPS's next flip."""

    status: str
    at: float
    """When upsd first showed the status to the soak's 5 ms poller (epoch s)."""
    faults_before: int
    """Faults injected so far, one client timeout before the flip was sent."""
    sent: float
    """When the SET VAR went out, or the restart before it began (epoch s): from then on no
    state the entity shows can be an earlier flip's (they alternate), while ``at`` is late by
    however long the soak's own process waited to be scheduled."""
    restarted: bool = False
    """upsd or the driver restarted during this flip's hold."""


@dataclass
class Track:
    """What one UPS went through and what Home Assistant showed of it."""

    ups: str
    flips: list[Flip] = field(default_factory=list)
    states: list[tuple[float, str]] = field(default_factory=list)
    """(epoch s, state) of the on_battery entity, in order."""
    events: list[tuple[float, str]] = field(default_factory=list)
    """(epoch s, event_type) of nut_ups's power events for this UPS, in order."""
    faults_after: list[int] = field(default_factory=list)
    """Faults injected so far at the end of each flip's hold."""

    def eligible(self) -> list[int]:
        """Indexes of the flips held with the link up (see the module docstring)."""
        return [
            index
            for index, flip in enumerate(self.flips[:-1])
            if not flip.restarted
            and not self.flips[index + 1].restarted
            and self.faults_after[index] == flip.faults_before
        ]

    def detected(self, index: int) -> bool:
        """Whether the entity showed flip ``index``'s state from its SET VAR to the end of its hold
        (+1 s of lag)."""
        flip = self.flips[index]
        start = flip.sent
        end = self.flips[index + 1].at + 1.0 if index + 1 < len(self.flips) else float("inf")
        wanted = _shown(flip.status)
        before = bisect.bisect_left(self.states, (start, ""))
        for at, value in itertools.islice(self.states, before, None):
            if at > end:
                break
            if value == wanted:
                return True
        previous = self.states[before - 1][1] if before else None
        # Already showing it (a flip that repeated the state, e.g. after a driver restart).
        return previous == wanted and index > 0 and self.flips[index - 1].status == flip.status

    def missed(self) -> list[int]:
        """Eligible flips the entity never showed."""
        return [index for index in self.eligible() if not self.detected(index)]

    def duplicates(self) -> int:
        """Power events repeating the previous one (two on_battery in a row…)."""
        kinds = [kind for _, kind in self.events if kind in {"on_battery", "online"}]
        return sum(1 for first, second in itertools.pairwise(kinds) if first == second)

    def phantoms(self) -> list[int]:
        """For each state change to a state that no flip sent by then had while upsd showed it
        within the last timeout + 1 s (nor the last flip sent before it), the index of the flip
        last sent before it (-1: none).

        A flip is shown by upsd until the next one is: a stall past the timeout may delay its
        state by that long from then, however long before it was sent.
        """
        times = [flip.sent for flip in self.flips]
        # When upsd stopped showing each flip: when it showed the next one.
        ended = [flip.at for flip in self.flips[1:]] + [math.inf]
        found: list[int] = []
        for at, value in self.states:
            if value not in {"on", "off"}:
                continue
            last = bisect.bisect_right(times, at)  # flips[:last] were sent by then
            first = bisect.bisect_left(ended, at - DEFAULT_TIMEOUT - 1)
            window = self.flips[min(first, max(0, last - 1)) : last]
            if not any(_shown(flip.status) == value for flip in window):
                found.append(last - 1)
        return found

    def unavailable_periods(self) -> int:
        """How often the entity became unavailable."""
        return sum(1 for _, value in self.states if value == "unavailable")

    def explain(self, index: int, log: list[str]) -> str:
        """Flip ``index`` and its neighbours, what the entity and the power events did around it,
        and ``log``'s lines of that time (and nut_ups's WARNING+ lines from anywhere): why a flip
        was missed, readable in a failed CI run."""
        index = max(0, index)
        first, last = max(0, index - 2), min(len(self.flips), index + 3)
        zero = self.flips[index].at
        begin = self.flips[first].at - 1.0
        end = self.flips[last - 1].at + 2.0
        lines = [f"{self.ups} flip {index}, times in s from when upsd showed it:"]
        for number in range(first, last):
            flip = self.flips[number]
            after = self.faults_after[number] if number < len(self.faults_after) else None
            lines.append(
                f"  flip {number} {flip.status!r} sent {flip.sent - zero:+.3f}"
                f" seen on upsd {flip.at - zero:+.3f}"
                f" faults {flip.faults_before}->{after} restarted={flip.restarted}"
            )
        moments = [(at, f"state {value}") for at, value in self.states]
        moments += [(at, f"event {kind}") for at, kind in self.events]
        lines += [
            f"  {what} at {at - zero:+.3f}" for at, what in sorted(moments) if begin <= at <= end
        ]
        for line in log:
            when = _log_time(line)
            if (when is not None and begin <= when <= end) or warning_lines([line]):
                lines.append(f"  log: {line[:300]}")
        return "\n".join(lines)


@dataclass
class SoakResult:
    """What a soak saw, per UPS and for hass as a whole; :meth:`rows` for the table."""

    tracks: dict[str, Track] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fds: tuple[int, int] = (0, 0)
    rss_kib: tuple[int, int] = (0, 0)
    """hass's RSS at the start and end (KiB). A collection frees objects, not the allocator's
    pages: RSS keeps its highest level."""
    blocks: tuple[int, int] = (0, 0)
    """Memory blocks Python had allocated right after a full garbage collection, at the start
    and end: the objects really kept."""
    collected: tuple[int, int] = (0, 0)
    """Objects the full collections while flipping found unreachable: all, and nut_ups's."""
    log_lines: int = 0
    tracebacks: int = 0
    log: list[str] = field(default_factory=list)
    """hass's log from the first flip on."""
    seconds: float = 0.0

    def flip_count(self) -> int:
        """Flips of all UPSes."""
        return sum(len(track.flips) for track in self.tracks.values())

    def eligible_count(self) -> int:
        """Eligible flips of all UPSes."""
        return sum(len(track.eligible()) for track in self.tracks.values())

    def missed(self) -> list[tuple[str, int]]:
        """(UPS, flip index) of every eligible flip its entity never showed."""
        return [(ups, index) for ups, track in self.tracks.items() for index in track.missed()]

    def phantoms(self) -> list[tuple[str, int]]:
        """(UPS, flip sent last before it) of every phantom state change (:meth:`Track.phantoms`)."""
        return [(ups, index) for ups, track in self.tracks.items() for index in track.phantoms()]

    def duplicates(self) -> int:
        """Duplicate power events of all UPSes (:meth:`Track.duplicates`)."""
        return sum(track.duplicates() for track in self.tracks.values())

    def unavailable_periods(self) -> int:
        """Unavailable periods of all UPSes' entities."""
        return sum(track.unavailable_periods() for track in self.tracks.values())

    def explain(self, ups: str, index: int) -> str:
        """:meth:`Track.explain` of ``ups``'s flip ``index`` with hass's log."""
        return self.tracks[ups].explain(index, self.log)

    def rows(self) -> list[tuple[str, str, str]]:
        """(what, value, pass rule) rows of the result table."""
        return [
            ("UPSes flipped together", str(len(self.tracks)), ""),
            ("flips", str(self.flip_count()), ""),
            ("eligible (held >= 2 checks, link up)", str(self.eligible_count()), ""),
            ("missed among eligible", str(len(self.missed())), "0"),
            ("phantom state changes", str(len(self.phantoms())), "0"),
            ("duplicate power events", str(self.duplicates()), "0"),
            ("unavailable periods", str(self.unavailable_periods()), "0 (no 15 s without answer)"),
            ("nut_ups log lines (WARNING+)", str(self.log_lines), "0"),
            ("tracebacks in the log", str(self.tracebacks), "0"),
            ("hass open fds start -> end", f"{self.fds[0]} -> {self.fds[1]}", "flat"),
            (
                "hass RSS MiB start -> end",
                f"{self.rss_kib[0] / 1024:.1f} -> {self.rss_kib[1] / 1024:.1f}",
                "growth <= 5 MiB",
            ),
            (
                "Python blocks kept (after a full GC)",
                f"{self.blocks[0]} -> {self.blocks[1]}",
                "flat",
            ),
            (
                f"garbage found (full GC every {COLLECT_SECONDS:.0f} s)",
                f"{self.collected[0]} objects",
                "",
            ),
            ("… of it nut_ups's", str(self.collected[1]), ""),
            *((name, str(value), "") for name, value in self.counts.items()),
            ("duration", f"{self.seconds:.0f} s", ""),
        ]


def warning_lines(lines: list[str]) -> list[str]:
    """The lines of hass's log at WARNING or above that name nut_ups."""
    levels = (" WARNING ", " ERROR ", " CRITICAL ")
    return [line for line in lines if "nut_ups" in line and any(lvl in line for lvl in levels)]


def _log_time(line: str) -> float | None:
    """Epoch seconds of a hass log line (``2026-12-03 13:50:01.123 LEVEL …``, UTC), or None."""
    try:
        when = datetime.fromisoformat(line[:23])
    except ValueError:
        return None
    return when.replace(tzinfo=UTC).timestamp()


def soak_hass(config_dir: Path) -> Hass:
    """A Home Assistant for the soak: nut_ups logging at debug (the stories of missed flips) and
    the probe linked (benchmarks/probe/: its ``memory`` action collects garbage before counting
    Python's live blocks, which Home Assistant's Event and Context cycles otherwise saw-tooth)."""
    return Hass(
        config_dir,
        extra_config="nut_ups_probe:\n",
        extra_components={"nut_ups_probe": PROBE},
        nut_ups_log_level="debug",
    )


async def collect(hass: Hass) -> dict[str, int]:
    """Have hass run a full garbage collection; the probe's answer (its ``memory`` action):
    ``rss_kib``, ``blocks`` (Python's allocated blocks after it), ``collected`` and
    ``collected_nut_ups`` (objects found unreachable: all, and nut_ups's)."""
    status, reply = await hass.request(
        "POST", "/api/services/nut_ups_probe/memory?return_response", {}
    )
    assert status == 200, reply
    return {key: int(value) for key, value in reply["service_response"].items()}


async def kept_blocks(hass: Hass) -> int:
    """Python's allocated memory blocks in hass right after a full garbage collection."""
    return (await collect(hass))["blocks"]


@dataclass
class Collections:
    """The full garbage collections the soak had hass run while flipping."""

    runs: int = 0
    found: int = 0
    """Objects they found unreachable."""
    nut_ups: int = 0
    """… of which nut_ups's."""


async def collect_every(hass: Hass, seconds: float, collections: Collections) -> None:
    """Have hass collect its garbage every ``seconds`` until cancelled, counted in
    ``collections``. A collection holds hass's event loop for about half a second, so it
    counts as injected, like a fault: the flips around it are not eligible."""
    while True:
        await asyncio.sleep(seconds)
        collections.runs += 1  # before: a flip during the collection sees it
        reply = await collect(hass)
        collections.found += reply["collected"]
        collections.nut_ups += reply["collected_nut_ups"]


def process_figures(pid: int) -> tuple[int, int]:
    """(open file descriptors, RSS in KiB) of process ``pid``."""
    fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return fds, int(line.split()[1])
    return fds, 0


async def read_events(ws: WebSocket, tracks: dict[str, Track], entries: dict[str, str]) -> None:
    """Append the entities' states and nut_ups's power events to their tracks as they arrive.

    Args:
        ws: a WebSocket subscribed to the on_battery entities (``subscribe_entities``: only
            their changes, in Home Assistant's compressed form) and to :data:`EVENT`.
        tracks: the tracks, by UPS name.
        entries: UPS name by config entry ID (power events carry the entry's ID).
    """
    by_entity = {on_battery_entity(ups): track for ups, track in tracks.items()}
    while True:
        event = (await ws.receive()).get("event", {})
        if "event_type" in event:
            data: dict[str, Any] = event.get("data", {})
            when = datetime.fromisoformat(event.get("time_fired", "1970-01-01T00:00:00+00:00"))
            if (ups := entries.get(str(data.get("entry_id")))) is not None:
                tracks[ups].events.append((when.timestamp(), str(data.get("event_type"))))
            continue
        # {"a": {entity: {"s": state, "lc": changed, …}}} at first, then
        # {"c": {entity: {"+": {"s": state, "lc": changed, …}}}} for each change.
        changes = [(entity, new) for entity, new in event.get("a", {}).items()]
        changes += [(entity, diff.get("+", {})) for entity, diff in event.get("c", {}).items()]
        for entity, new in changes:
            if (track := by_entity.get(entity)) is not None and "s" in new:
                when = new.get("lc", new.get("lu", time.time()))
                track.states.append((float(when), str(new["s"])))


async def set_status(admin: NUTClient, ups: str, status: str, timeout: float = 20.0) -> None:
    """SET VAR ``ups.status`` of ``ups``; right after a restart upsd answers READONLY or
    DATA-STALE until the driver's dump arrives, so an ERR reply is retried for up to
    ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                await admin.set_var(ups, "ups.status", status)
            except NUTResponseError:
                await asyncio.sleep(0.1)
            else:
                return


async def seen_all(
    session: NUTSession, names: list[str], status: str, poll: float = 0.005, timeout: float = 10.0
) -> dict[str, float]:
    """Poll every UPS's ``ups.status`` in one pipelined exchange every ``poll`` seconds until
    each has shown ``status``.

    Returns:
        The epoch time (s) each UPS was first seen with ``status``, by name.

    Raises:
        TimeoutError: some UPS did not show ``status`` within ``timeout`` seconds.
    """
    seen: dict[str, float] = {}
    async with asyncio.timeout(timeout):
        while len(seen) < len(names):
            values = await session.get_vars([(ups, "ups.status") for ups in names])
            now = time.time()
            for ups, value in zip(names, values, strict=True):
                if value == status:
                    seen.setdefault(ups, now)
            await asyncio.sleep(poll)
    return seen


async def set_options(hass: Hass, entry_id: str, interval: float) -> None:
    """Set the status check interval through the options flow, as a user would."""
    status, flow = await hass.request(
        "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
    )
    assert status == 200, flow
    status, done = await hass.request(
        "POST",
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {"status_interval": interval, "scan_interval": 30},
    )
    assert status == 200 and done["type"] == "create_entry", done


async def run_soak(
    hass: Hass,
    server: Upsd,
    *,
    flips: int,
    interval: float,
    ups_count: int = 1,
    hold: tuple[float, float] | None = None,
    faults: Faults = DEFAULT_FAULTS,
    restart_every: int = 1000,
    seed: int = 1,
    max_seconds: float = 3300.0,
    progress: bool = False,
) -> SoakResult:
    """Run the soak against a started ``hass`` and ``server``; see the module docstring.

    Args:
        hass: a started, onboarded Home Assistant without nut_ups entries.
        server: a running upsd serving :func:`soak_ups_names` (``ups_count``) with an admin user
            (:func:`soak_devices`).
        flips: how many flips at most, all UPSes together.
        interval: the status check interval set for the soak, in seconds.
        ups_count: how many UPSes flip together (as the UPSes of one site do when the mains
            fail), each with its own config entry; the status checks of all of them share
            one connection.
        hold: (shortest, longest) time a flip is held, in seconds; by default two intervals
            plus 0.05 to 0.25 s.
        faults: the proxy's fault probabilities while flipping.
        restart_every: restart upsd, or the drivers, every so many flips (0: never).
        seed: seed of the proxy's draws and of the hold times.
        max_seconds: stop flipping after this many seconds, whatever ``flips`` says.
        progress: print a line every 500 flips.

    Returns:
        The :class:`SoakResult`.
    """
    rng = random.Random(seed)
    shortest, longest = hold or (2 * interval + 0.05, 2 * interval + 0.25)
    names = soak_ups_names(ups_count)
    result = SoakResult(tracks={ups: Track(ups) for ups in names})
    tracks = list(result.tracks.values())
    admin = NUTClient(server.host, server.port, username=server.username, password=server.password)
    poller = NUTSession(ServerSettings(server.host, server.port))  # straight to upsd
    started = time.monotonic()
    async with FaultProxy(server.port, seed=seed) as proxy:
        entries: dict[str, str] = {}
        for ups in names:
            created = await hass.config_flow(
                "nut_ups", {"host": "127.0.0.1", "port": proxy.port, "ups": ups}
            )
            assert created["type"] == "create_entry", created
            entries[created["result"]["entry_id"]] = ups
            await set_options(hass, created["result"]["entry_id"], interval)
        for ups in names:
            await hass.wait_state(on_battery_entity(ups), "off")
        assert hass.process is not None
        pid = hass.process.pid
        log_start = hass.log_file.stat().st_size
        steps = -(-flips // ups_count)
        warmup = max(20, steps // 10)  # RSS and fds from here: caches and the recorder settle
        start_figures = process_figures(pid)
        start_blocks = await kept_blocks(hass)
        timeline: list[tuple[float, int]] = []  # (monotonic, faults injected so far)
        restart_steps = max(1, restart_every // ups_count) if restart_every else 0
        next_restart = restart_steps  # at the first OL step from there on
        restarts = 0

        collections = Collections()

        def injected() -> int:
            counts = proxy.counts
            # A restart is a fault too: flips within a timeout after it are not eligible; so is
            # a garbage collection the soak asked for (it holds hass's loop).
            faults = counts.resets + counts.stalls + counts.cuts + counts.upstream_errors
            return faults + restarts + collections.runs

        def injected_at(moment: float) -> int:
            before = bisect.bisect_right(timeline, (moment, float("inf")))
            return timeline[before - 1][1] if before else 0

        async def restart() -> None:
            if restarts % 2:
                await asyncio.to_thread(server.stop_server)
                await asyncio.to_thread(server.start_server)
            else:  # the drivers restart from their files: OL, as this step sets
                for ups in names:
                    await asyncio.to_thread(server.replace_device, ups, server.devices[ups])
            for track in tracks:
                if track.flips:
                    track.flips[-1].restarted = True
            await asyncio.to_thread(server.wait_ready)

        async with hass.websocket() as ws:
            # Only the entities the soak reads: an unfiltered state_changed subscription would
            # make every state write build an Event, and the garbage it leaves, in hass.
            await ws.call(
                {"type": "subscribe_entities", "entity_ids": sorted(map(on_battery_entity, names))}
            )
            await ws.call({"type": "subscribe_events", "event_type": EVENT})
            reader = asyncio.create_task(read_events(ws, result.tracks, entries))
            collector = asyncio.create_task(collect_every(hass, COLLECT_SECONDS, collections))
            proxy.configure(reset=faults.reset, stall=faults.stall, cut=faults.cut)
            proxy.configure(stall_seconds=faults.stall_seconds)
            try:
                for step in range(steps):
                    if time.monotonic() - started > max_seconds:
                        break
                    now = time.monotonic()
                    timeline.append((now, injected()))
                    status = "OB DISCHRG" if step % 2 == 0 else "OL"
                    restarted = bool(restart_steps and step >= next_restart and status == "OL")
                    # A driver restarting shows its file's OL before the SET: this flip's status
                    # can appear from the restart on.
                    sent = time.time()
                    if restarted:
                        next_restart += restart_steps
                        restarts += 1
                        await restart()
                    await asyncio.gather(*(set_status(admin, ups, status) for ups in names))
                    seen = await seen_all(poller, names, status)
                    before = injected_at(now - DEFAULT_TIMEOUT - 0.5)
                    for track in tracks:
                        track.flips.append(Flip(status, seen[track.ups], before, sent, restarted))
                    await asyncio.sleep(rng.uniform(shortest, longest))
                    after = injected()
                    for track in tracks:
                        track.faults_after.append(after)
                    if step + 1 == warmup:
                        start_figures = process_figures(pid)
                        start_blocks = await kept_blocks(hass)
                    done = (step + 1) * ups_count
                    if progress and done // 500 > step * ups_count // 500:
                        fds, rss = process_figures(pid)
                        print(
                            f"  {done} flips, {len(result.missed())} missed so far;"
                            f" hass: {fds} fds, RSS {rss / 1024:.1f} MiB",
                            flush=True,
                        )
                proxy.configure(reset=0, stall=0, cut=0)
                await asyncio.sleep(DEFAULT_TIMEOUT + 2)  # the last flip's events arrive
            finally:
                reader.cancel()
                collector.cancel()
                poller.close()
        end_figures = process_figures(pid)
        end_blocks = await kept_blocks(hass)
        result.counts = {
            "upsd and driver restarts": restarts,
            "connections through the proxy": proxy.counts.connections,
            "resets": proxy.counts.resets,
            "stalls past the timeout": proxy.counts.stalls,
            "replies cut": proxy.counts.cuts,
        }
    with hass.log_file.open(encoding="utf-8", errors="replace") as log:
        log.seek(log_start)
        lines = log.read().splitlines()
    result.log_lines = len(warning_lines(lines))
    result.tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
    result.log = lines
    result.fds = (start_figures[0], end_figures[0])
    result.rss_kib = (start_figures[1], end_figures[1])
    result.blocks = (start_blocks, end_blocks)
    result.collected = (collections.found, collections.nut_ups)
    result.seconds = time.monotonic() - started
    return result


def print_table(result: SoakResult) -> None:
    """Print the result table."""
    rows = result.rows()
    width = max(len(what) for what, _, _ in rows)
    print(f"\n{'':<{width}}  {'value':>14}  pass rule")
    for what, value, rule in rows:
        print(f"{what:<{width}}  {value:>14}  {rule}")


def main() -> None:
    """Parse arguments, start upsd and Home Assistant, soak, print, stop everything."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flips", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=0.1, help="status check interval, s")
    parser.add_argument("--ups", type=int, default=4, help="UPSes flipped together")
    parser.add_argument("--restart-every", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=55.0)
    args = parser.parse_args()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # so that SIGTERM also stops hass and upsd below

    signal.signal(signal.SIGTERM, interrupted)
    with running_upsd(soak_devices(args.ups)) as server:
        hass = soak_hass(Path(tempfile.mkdtemp(prefix="nut_ups-soak-")) / "config")
        try:
            hass.start()

            async def soak() -> SoakResult:
                await hass.onboard()
                return await run_soak(
                    hass,
                    server,
                    flips=args.flips,
                    interval=args.interval,
                    ups_count=args.ups,
                    restart_every=args.restart_every,
                    seed=args.seed,
                    max_seconds=args.max_minutes * 60,
                    progress=True,
                )

            result = asyncio.run(soak())
        finally:
            hass.stop()
    print_table(result)
    for ups, index in result.missed()[:5] + result.phantoms()[:5]:
        print(result.explain(ups, index))


if __name__ == "__main__":
    main()

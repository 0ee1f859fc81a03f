"""nut_ups_probe: measures Home Assistant from inside, for benchmarks/bench_scale.py.

Enabled by a ``nut_ups_probe:`` line in configuration.yaml (the folder is linked into the config
folder's custom_components). From its setup on it:

- times the event loop: a ``loop.call_at`` timer due every 50 ms records how late it ran
  (lateness in seconds, 0 when on time), which is how long something else held the loop;
- notes when config entries change state (wall-clock time of each entry's first
  ``setup_in_progress`` and of its latest ``loaded``), per integration domain.

The action ``nut_ups_probe.sample`` (response only) returns, and starts a new lag window::

    {
      "cpu_s": CPU seconds of the hass process so far (time.process_time: all threads, user +
               system, ns resolution),
      "monotonic_s": time.monotonic() in hass when sampled (for the window's length),
      "wall_s": time.time() in hass when sampled,
      "lag_p50_ms", "lag_p99_ms", "lag_max_ms": the timer's lateness since the last sample (ms),
      "samples": number of timer runs since the last sample,
      "setup_wall_s": time.time() when the probe was set up,
      "started_wall_s": time.time() of homeassistant_started, or null,
      "entries": {domain: {"count": entries, "loaded": entries loaded now,
                           "first_setup_wall_s": earliest setup_in_progress seen or null,
                           "last_loaded_wall_s": latest change to loaded seen or null}},
    }

The action ``nut_ups_probe.memory`` (response only) runs a full garbage collection and returns
RSS, Python's allocated blocks and what the collection found (see :func:`memory`), for
benchmarks/bench_soak.py.

The action ``nut_ups_probe.profile`` (response only; ``seconds``, ``path``, optional ``clock``:
``wall`` or ``cpu``) runs cProfile for ``seconds`` seconds and writes the pstats file ``path``
(see :func:`profile`), to find where hass spends its CPU (read the file with :mod:`pstats`).
"""

import asyncio
from collections import Counter
import cProfile
import gc
from pathlib import Path
import pstats
import sys
import time
from types import FrameType

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import (
    Event,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType
import probatio

DOMAIN = "nut_ups_probe"
PERIOD = 0.05
"""Seconds between the lag timer's due times."""
NUT_UPS_CODE = "/custom_components/nut_ups/"
"""What the path of every nut_ups source file contains."""

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)
PROFILE_SCHEMA = probatio.Schema(
    {
        probatio.Required("seconds"): probatio.All(probatio.Coerce(float), probatio.Range(min=0)),
        probatio.Required("path"): cv.string,
        probatio.Optional("clock", default="wall"): probatio.In(["wall", "cpu"]),
    }
)


def nearest_rank(ranked: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile of the sorted list ``ranked`` (nearest rank; 0 if empty)."""
    if not ranked:
        return 0.0
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked) + 0.5) - 1))]


class LagTimer:
    """A timer due every PERIOD seconds that records how late the event loop ran it (s)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start ticking on ``loop`` (the event loop of Home Assistant)."""
        self._loop = loop
        self.samples: list[float] = []
        self._due = loop.time() + PERIOD
        self._handle = loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        now = self._loop.time()
        # asyncio runs handles due within its clock resolution, so "early" is on time.
        self.samples.append(max(0.0, now - self._due))
        self._due += PERIOD
        if self._due <= now:  # overran whole periods: count the lateness once, then go on
            self._due = now + PERIOD
        self._handle = self._loop.call_at(self._due, self._tick)

    def take(self) -> dict[str, float | int]:
        """Return p50/p99/max lateness (ms) and the count since the last take; start anew."""
        ranked = sorted(self.samples)
        self.samples = []
        return {
            "lag_p50_ms": nearest_rank(ranked, 0.50) * 1000,
            "lag_p99_ms": nearest_rank(ranked, 0.99) * 1000,
            "lag_max_ms": (ranked[-1] if ranked else 0.0) * 1000,
            "samples": len(ranked),
        }

    def cancel(self) -> None:
        """Stop the timer."""
        self._handle.cancel()


class EntryTimes:
    """Wall-clock times of config entries' state changes, per domain."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self._states: dict[str, ConfigEntryState] = {}
        self.first_setup: dict[str, float] = {}
        self.last_loaded: dict[str, float] = {}

    @callback
    def changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """Note ``entry``'s state when it moved (SIGNAL_CONFIG_ENTRY_CHANGED)."""
        state = entry.state
        if self._states.get(entry.entry_id) is state:
            return
        self._states[entry.entry_id] = state
        now = time.time()
        if state is ConfigEntryState.SETUP_IN_PROGRESS:
            self.first_setup.setdefault(entry.domain, now)
        elif state is ConfigEntryState.LOADED:
            self.last_loaded[entry.domain] = now

    def report(self, hass: HomeAssistant) -> dict[str, dict[str, float | int | None]]:
        """Per domain with entries: counts now, and the times seen."""
        report: dict[str, dict[str, float | int | None]] = {}
        for entry in hass.config_entries.async_entries():
            figures = report.setdefault(
                entry.domain,
                {
                    "count": 0,
                    "loaded": 0,
                    "first_setup_wall_s": self.first_setup.get(entry.domain),
                    "last_loaded_wall_s": self.last_loaded.get(entry.domain),
                },
            )
            figures["count"] = int(figures["count"] or 0) + 1
            if entry.state is ConfigEntryState.LOADED:
                figures["loaded"] = int(figures["loaded"] or 0) + 1
        return report


def memory(timer: LagTimer) -> ServiceResponse:
    """Empty the lag timer's samples, run a full garbage collection, return what hass holds.

    The timer's samples pile up between two ``sample`` calls (20 a second): a caller that only
    reads memory would otherwise count them as growth.

    Home Assistant's state writes leave reference cycles (an Event and its Context point at each
    other). Those that outlive the young generation's collections wait for a full one, which
    CPython runs only once the old generation has grown by a quarter (about 90,000 objects in
    this hass): RSS read at a random moment holds that much garbage, and the allocator keeps
    the pages it grew to. The collection here is run saving what it finds
    (``gc.DEBUG_SAVEALL``), so that the objects can be told apart before they are freed.

    Returns:
        ``{"rss_kib": resident set size (KiB, /proc/self/status), "blocks": memory blocks
        Python has allocated (sys.getallocatedblocks), "collected": unreachable objects the
        collection found, "collected_nut_ups": those of them that are nut_ups's (an instance
        of a nut_ups class, or a frame of nut_ups's code)}``.
    """
    timer.take()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        collected = gc.collect()
        ours = sum(1 for found in gc.garbage if _is_nut_ups(found))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    gc.collect()  # the saved objects, unreferenced now
    rss = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return {
        "rss_kib": rss,
        "blocks": sys.getallocatedblocks(),
        "collected": collected,
        "collected_nut_ups": ours,
    }


def _is_nut_ups(found: object) -> bool:
    """Whether ``found`` is an instance of a nut_ups class or a frame running nut_ups code."""
    if isinstance(found, FrameType):
        return NUT_UPS_CODE in found.f_code.co_filename
    return type(found).__module__.startswith("custom_components.nut_ups")


class GcClock:
    """CPU time spent in garbage collections, and their count per generation (gc.callbacks).

    A collection runs inside whatever allocation triggered it, so a profile charges its time to
    that function: this says how much of the window was collections.
    """

    def __init__(self) -> None:
        """Start at zero; add the instance to ``gc.callbacks`` to count."""
        self.seconds = 0.0
        self.collections: Counter[int] = Counter()
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """Note the start or the end of a collection (``gc.callbacks`` protocol)."""
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.collections[info["generation"]] += 1


async def profile(
    hass: HomeAssistant, seconds: float, path: str, clock: str = "wall"
) -> ServiceResponse:
    """Profile hass for ``seconds`` seconds; write the pstats to ``path``.

    Called from the event loop, as actions are. On Python 3.12+ cProfile hooks
    ``sys.monitoring``, which is process-wide: the Python calls of the executor's and other
    threads are recorded too, on the same stack as the loop's. The profiler itself slows every
    call (compare the window's CPU with ``sample``'s ``cpu_s`` without it). The pstats file is
    written in the executor (no blocking I/O in the loop).

    Args:
        hass: Home Assistant.
        seconds: how long to profile.
        path: the pstats file to write.
        clock: ``wall`` (the default timer): the loop's wait shows as the own time of
            ``select.epoll.poll``, and a system call's time includes any other process the
            kernel ran meanwhile (upsd woken by a send, on a busy machine). ``cpu``:
            ``time.process_time`` (every thread of hass, user + system): only hass's CPU is
            counted, at a higher cost per call (a system call per event).

    Returns:
        ``{"path": path, "calls": function calls recorded (pstats' total_calls), "gc_s": CPU
        seconds spent in garbage collections meanwhile, "gc_collections": {generation:
        count}}``.
    """
    profiler = cProfile.Profile(time.process_time) if clock == "cpu" else cProfile.Profile()
    collections = GcClock()
    gc.callbacks.append(collections)
    profiler.enable()
    try:
        await asyncio.sleep(seconds)
    finally:
        profiler.disable()
        gc.callbacks.remove(collections)
    stats = pstats.Stats(profiler)
    await hass.async_add_executor_job(stats.dump_stats, path)
    return {
        "path": path,
        "calls": int(stats.total_calls),  # type: ignore[attr-defined]
        "gc_s": collections.seconds,
        "gc_collections": {
            str(gen): count for gen, count in sorted(collections.collections.items())
        },
    }


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start the lag timer and the entry watch; register the probe's actions."""
    setup_wall = time.time()
    timer = LagTimer(asyncio.get_running_loop())
    times = EntryTimes()
    started: list[float] = []
    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, times.changed)

    @callback
    def on_started(_: Event) -> None:
        started.append(time.time())

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, on_started)

    @callback
    def on_stop(_: Event) -> None:
        timer.cancel()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, on_stop)

    @callback
    def sample(call: ServiceCall) -> ServiceResponse:
        return {
            "cpu_s": time.process_time_ns() / 1e9,
            "monotonic_s": time.monotonic(),
            "wall_s": time.time(),
            **timer.take(),
            "setup_wall_s": setup_wall,
            "started_wall_s": started[0] if started else None,
            "entries": times.report(hass),  # type: ignore[dict-item]
        }

    hass.services.async_register(DOMAIN, "sample", sample, supports_response=SupportsResponse.ONLY)
    hass.services.async_register(
        DOMAIN,
        "memory",
        callback(lambda _: memory(timer)),
        supports_response=SupportsResponse.ONLY,
    )

    async def profile_call(call: ServiceCall) -> ServiceResponse:
        return await profile(hass, call.data["seconds"], call.data["path"], call.data["clock"])

    hass.services.async_register(
        DOMAIN,
        "profile",
        profile_call,
        schema=PROFILE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    return True

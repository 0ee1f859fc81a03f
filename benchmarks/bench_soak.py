"""Soak: thousands of OL <-> OB flips through a fault-injecting proxy, in a real Home Assistant.

nut_ups polls a real upsd (dummy-ups) through tests/support/fault_proxy.py, which resets new
connections, stalls reply chunks past the client's 5 s timeout and cuts replies (a ``LIST`` in
the middle) at random; every ``--restart-every`` flips the soak restarts upsd, or the driver.
The flips go straight to upsd (an admin SET VAR of ``ups.status``), each held for a random time of
at least two status intervals from the moment upsd reports it (a 5 ms poller of the soak's: dummy-ups
applies a SET up to a second after it is sent). Home Assistant's ``state_changed`` events of the UPS's
``on_battery`` binary sensor and nut_ups's power events are read over a WebSocket.

A flip counts as *eligible* when no fault was injected, and nothing restarted, from one client
timeout before it until the next flip: upsd held it for two status intervals with the link up.
Printed as a table: flips, eligible, missed among them, phantom and duplicate events,
unavailable periods, log lines and tracebacks, hass's open file descriptors and RSS at the start
and end (the start taken after the first tenth of the flips, once caches settled). Run:
``scripts/bench soak [--flips 10000] [--interval 0.1]``; ``run_soak`` is also the
short CI soak's engine (tests/e2e/test_soak.py).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from datetime import datetime
import itertools
from pathlib import Path
import random
import signal
import tempfile
import time
from typing import Any

from benchmarks.bench_latency import seen_on_upsd
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

UPS = "soak"
ENTITY = f"binary_sensor.{UPS}_on_battery"
EVENT = "nut_ups_power_event"
DEFAULT_FAULTS = Faults(reset=0.02, stall=0.0015, cut=0.003, stall_seconds=DEFAULT_TIMEOUT + 1)


@dataclass
class Flip:
    """One flip: the status set at ``at`` (epoch seconds) and kept until the next flip."""

    status: str
    at: float
    faults_before: int
    """Faults injected so far, one client timeout before ``at``."""
    restarted: bool = False
    """upsd or the driver restarted during this flip's hold."""


@dataclass
class SoakResult:
    """What a soak saw; :meth:`rows` for the table."""

    flips: list[Flip] = field(default_factory=list)
    states: list[tuple[float, str]] = field(default_factory=list)
    """(epoch s, state) of the on_battery entity, in order."""
    events: list[tuple[float, str]] = field(default_factory=list)
    """(epoch s, event_type) of nut_ups's power events, in order."""
    faults_after: list[int] = field(default_factory=list)
    """Faults injected so far at the end of each flip's hold."""
    counts: dict[str, int] = field(default_factory=dict)
    fds: tuple[int, int] = (0, 0)
    rss_kib: tuple[int, int] = (0, 0)
    log_lines: int = 0
    tracebacks: int = 0
    seconds: float = 0.0

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
        """Whether the entity showed flip ``index``'s state during its hold (+1 s of lag)."""
        flip = self.flips[index]
        end = self.flips[index + 1].at + 1.0 if index + 1 < len(self.flips) else float("inf")
        wanted = "on" if flip.status != "OL" else "off"
        previous = None
        for at, value in self.states:
            if at > end:
                break
            if at >= flip.at and value == wanted:
                return True
            previous = value
        # Already showing it (a flip that repeated the state, e.g. after a driver restart).
        return previous == wanted and index > 0 and self.flips[index - 1].status == flip.status

    def missed(self) -> list[int]:
        """Eligible flips the entity never showed."""
        return [index for index in self.eligible() if not self.detected(index)]

    def duplicates(self) -> int:
        """Power events repeating the previous one (two on_battery in a row…)."""
        kinds = [kind for _, kind in self.events if kind in {"on_battery", "online"}]
        return sum(1 for first, second in itertools.pairwise(kinds) if first == second)

    def phantoms(self) -> int:
        """State changes to a state upsd did not have at any moment of the last timeout + 1 s."""
        count = 0
        for at, value in self.states:
            if value not in {"on", "off"}:
                continue
            recent = [flip for flip in self.flips if flip.at <= at]
            window = [flip for flip in recent if flip.at >= at - DEFAULT_TIMEOUT - 1] + recent[-1:]
            if not any(("on" if flip.status != "OL" else "off") == value for flip in window):
                count += 1
        return count

    def unavailable_periods(self) -> int:
        """How often the entity became unavailable."""
        return sum(1 for _, value in self.states if value == "unavailable")

    def rows(self) -> list[tuple[str, str, str]]:
        """(what, value, pass rule) rows of the result table."""
        eligible = len(self.eligible())
        return [
            ("flips", str(len(self.flips)), ""),
            ("eligible (held >= 2 checks, link up)", str(eligible), ""),
            ("missed among eligible", str(len(self.missed())), "0"),
            ("phantom state changes", str(self.phantoms()), "0"),
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
            *((name, str(value), "") for name, value in self.counts.items()),
            ("duration", f"{self.seconds:.0f} s", ""),
        ]


def process_figures(pid: int) -> tuple[int, int]:
    """(open file descriptors, RSS in KiB) of process ``pid``."""
    fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return fds, int(line.split()[1])
    return fds, 0


async def read_events(ws: WebSocket, result: SoakResult) -> None:
    """Append the entity's states and nut_ups's power events as they arrive."""
    while True:
        event = (await ws.receive()).get("event", {})
        data: dict[str, Any] = event.get("data", {})
        when = datetime.fromisoformat(event.get("time_fired", "1970-01-01T00:00:00+00:00"))
        if event.get("event_type") == EVENT:
            result.events.append((when.timestamp(), str(data.get("event_type"))))
        elif data.get("entity_id") == ENTITY:
            new = (data.get("new_state") or {}).get("state")
            if new is not None:
                result.states.append((when.timestamp(), str(new)))


async def set_status(admin: NUTClient, status: str, timeout: float = 20.0) -> None:
    """SET VAR ``ups.status``; right after a restart upsd answers READONLY or DATA-STALE until
    the driver's dump arrives, so an ERR reply is retried for up to ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                await admin.set_var(UPS, "ups.status", status)
            except NUTResponseError:
                await asyncio.sleep(0.1)
            else:
                return


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
    hold: tuple[float, float] | None = None,
    faults: Faults = DEFAULT_FAULTS,
    restart_every: int = 1000,
    seed: int = 1,
    max_seconds: float = 3300.0,
    progress: bool = False,
) -> SoakResult:
    """Run the soak against a started ``hass`` and ``server``; see the module docstring.

    Args:
        hass: a started, onboarded Home Assistant without a nut_ups entry for ``UPS``.
        server: a running upsd serving ``UPS`` with an admin user.
        flips: how many flips at most.
        interval: the status check interval set for the soak, in seconds.
        hold: (shortest, longest) time a flip is held, in seconds; by default two intervals
            plus 0.05 to 0.25 s.
        faults: the proxy's fault probabilities while flipping.
        restart_every: restart upsd, then the driver, every so many flips (0: never).
        seed: seed of the proxy's draws and of the hold times.
        max_seconds: stop flipping after this many seconds, whatever ``flips`` says.
        progress: print a line every 500 flips.

    Returns:
        The :class:`SoakResult`.
    """
    rng = random.Random(seed)
    shortest, longest = hold or (2 * interval + 0.05, 2 * interval + 0.25)
    result = SoakResult()
    admin = NUTClient(server.host, server.port, username=server.username, password=server.password)
    poller = NUTSession(ServerSettings(server.host, server.port))  # straight to upsd
    started = time.monotonic()
    async with FaultProxy(server.port, seed=seed) as proxy:
        created = await hass.config_flow(
            "nut_ups", {"host": "127.0.0.1", "port": proxy.port, "ups": UPS}
        )
        assert created["type"] == "create_entry", created
        await set_options(hass, created["result"]["entry_id"], interval)
        await hass.wait_state(ENTITY, "off")
        assert hass.process is not None
        pid = hass.process.pid
        log_start = hass.log_file.stat().st_size
        warmup = max(20, flips // 10)  # RSS and fds from here: caches and the recorder settle
        start_figures = process_figures(pid)
        timeline: list[tuple[float, int]] = []  # (monotonic, faults injected so far)
        next_restart = restart_every  # at the first OL flip from there on
        restarts = 0

        def injected() -> int:
            counts = proxy.counts
            # A restart is a fault too: flips within a timeout after it are not eligible.
            return counts.resets + counts.stalls + counts.cuts + counts.upstream_errors + restarts

        def injected_at(moment: float) -> int:
            before = [total for at, total in timeline if at <= moment]
            return before[-1] if before else 0

        async with hass.websocket() as ws:
            await ws.call({"type": "subscribe_events", "event_type": "state_changed"})
            await ws.call({"type": "subscribe_events", "event_type": EVENT})
            reader = asyncio.create_task(read_events(ws, result))
            proxy.configure(reset=faults.reset, stall=faults.stall, cut=faults.cut)
            proxy.configure(stall_seconds=faults.stall_seconds)
            try:
                for index in range(flips):
                    if time.monotonic() - started > max_seconds:
                        break
                    now = time.monotonic()
                    timeline.append((now, injected()))
                    restarted = False
                    status = "OB DISCHRG" if index % 2 == 0 else "OL"
                    if restart_every and index >= next_restart and status == "OL":
                        restarted = True
                        next_restart += restart_every
                        restarts += 1
                        if restarts % 2:
                            await asyncio.to_thread(server.stop_server)
                            await asyncio.to_thread(server.start_server)
                        else:  # the driver restarts from its file: OL, as this flip sets
                            await asyncio.to_thread(server.replace_device, UPS, server.devices[UPS])
                        if result.flips:
                            result.flips[-1].restarted = True
                        await asyncio.to_thread(server.wait_ready)
                    await set_status(admin, status)
                    seen = await seen_on_upsd(poller, UPS, status)
                    flip = Flip(status, seen, injected_at(now - DEFAULT_TIMEOUT - 0.5))
                    flip.restarted = restarted
                    result.flips.append(flip)
                    await asyncio.sleep(rng.uniform(shortest, longest))
                    result.faults_after.append(injected())
                    if index + 1 == warmup:
                        start_figures = process_figures(pid)
                    if progress and (index + 1) % 500 == 0:
                        missed = len(result.missed())
                        fds, rss = process_figures(pid)
                        print(
                            f"  {index + 1} flips, {missed} missed so far;"
                            f" hass: {fds} fds, RSS {rss / 1024:.1f} MiB",
                            flush=True,
                        )
                proxy.configure(reset=0, stall=0, cut=0)
                await asyncio.sleep(DEFAULT_TIMEOUT + 2)  # the last flip's events arrive
            finally:
                reader.cancel()
                poller.close()
        end_figures = process_figures(pid)
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
    result.log_lines = sum(
        1
        for line in lines
        if "nut_ups" in line and (" WARNING " in line or " ERROR " in line or " CRITICAL " in line)
    )
    result.tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
    result.fds = (start_figures[0], end_figures[0])
    result.rss_kib = (start_figures[1], end_figures[1])
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
    parser.add_argument("--restart-every", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=55.0)
    args = parser.parse_args()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt  # so that SIGTERM also stops hass and upsd below

    signal.signal(signal.SIGTERM, interrupted)
    with running_upsd({UPS: fixture_path("smart-ups.dev")}) as server:
        hass = Hass(Path(tempfile.mkdtemp(prefix="nut_ups-soak-")) / "config")
        try:
            hass.start()

            async def soak() -> SoakResult:
                await hass.onboard()
                return await run_soak(
                    hass,
                    server,
                    flips=args.flips,
                    interval=args.interval,
                    restart_every=args.restart_every,
                    seed=args.seed,
                    max_seconds=args.max_minutes * 60,
                    progress=True,
                )

            result = asyncio.run(soak())
        finally:
            hass.stop()
    print_table(result)
    missed = result.missed()
    if missed:
        print("missed flips:", [(i, result.flips[i].status) for i in missed[:20]])


if __name__ == "__main__":
    main()

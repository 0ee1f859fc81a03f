"""Poll cost of our client vs a blocking-socket floor, aionut 4.3.4 and asyncio streams, in one run.

Against one real upsd (a DDL dump with >= 30 variables, or tests/fixtures/smart-ups.dev), each
client polls ``LIST VAR`` N times, interleaved in rounds so that machine noise hits all alike.
Prints wall and CPU (process time) per poll and the ratios between clients measured in this run.

The floor is a plain blocking socket doing the same exchange as nut_ups (connect, ``LIST VAR``
with ``LOGOUT`` in the same write, read to ``END LIST``, close) with no event loop, no deadline
and naive parsing: no asyncio client can be cheaper, so ``nut_ups / floor`` is the overhead of
being an asyncio client with deadlines and careful parsing, comparable across machines.

Run: ``scripts/bench client [--polls N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
import os
from pathlib import Path
import platform
import socket
import statistics
import time

from aionut import AIONUTClient

from custom_components.nut_ups.nut import NUTClient
from tests.support.upsd import NUT_DDL, fixture_path, running_upsd

type Poll = Callable[[], Awaitable[object]]

DUMP = NUT_DDL / "APC" / "APC__Smart-UPS_X_750__usbhid-ups__2.7.4__01.dev"
OURS = "nut_ups (one-shot)"
FLOOR = "blocking socket (floor)"
AIONUT = "aionut per-poll"
STREAMS = "asyncio streams"


def blocking_poll(host: str, port: int, ups: str) -> dict[str, str]:
    """Floor: a plain blocking socket, the same exchange as nut_ups, naive parsing."""
    end = f"\nEND LIST VAR {ups}\n".encode()
    data = b""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((host, port))
        sock.sendall(f"LIST VAR {ups}\nLOGOUT\n".encode())
        while end not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("upsd closed the connection before END LIST")
            data += chunk
    values: dict[str, str] = {}
    for line in data[: data.index(end)].split(b"\n")[1:]:
        _, _, name, value = line.decode().split(" ", 3)
        values[name] = value[1:-1]
    return values


async def blocking_floor(host: str, port: int, ups: str) -> dict[str, str]:
    """The floor, called from the loop like the others (it blocks it: nothing else runs)."""
    return blocking_poll(host, port, ups)


async def streams_poll(host: str, port: int, ups: str) -> dict[str, str]:
    """Baseline: asyncio streams, a connection per poll, no deadline, naive parsing."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"LIST VAR {ups}\n".encode())
    values: dict[str, str] = {}
    await reader.readline()
    while not (line := await reader.readline()).startswith(b"END"):
        _, _, name, value = line.decode().rstrip("\n").split(" ", 3)
        values[name] = value.strip('"')
    writer.write(b"LOGOUT\n")
    writer.close()
    await writer.wait_closed()
    return values


async def measure(poll: Poll, n: int) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) for ``n`` sequential polls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await poll()
    return time.perf_counter() - wall, time.process_time() - cpu


def machine() -> str:
    """CPU model, cores, kernel and Python, for the record."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


async def run(polls: int, rounds: int, persistent_polls: int) -> None:
    """Start upsd, check every client reads the same values, then measure them interleaved."""
    dump = DUMP if DUMP.exists() else fixture_path("smart-ups.dev")
    with running_upsd({"bench": dump}) as server:
        host, port, ups = server.host, server.port, server.ups
        ours = NUTClient(host, port)
        per_poll = AIONUTClient(host, port, persistent=False)
        persistent = AIONUTClient(host, port, persistent=True)
        clients: dict[str, Poll] = {
            FLOOR: lambda: blocking_floor(host, port, ups),
            OURS: lambda: ours.list_vars(ups),
            AIONUT: lambda: per_poll.list_vars(ups),
            STREAMS: lambda: streams_poll(host, port, ups),
        }
        reference = await ours.list_vars(ups)
        for name, poll in clients.items():
            assert await poll() == reference, f"{name} read other values than nut_ups"
        version = server.command("VER")
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
        print(f"{version}; dump {dump.name}: {len(reference)} variables")

        per_round = polls // rounds
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
        for _ in range(rounds):
            for name, poll in clients.items():
                samples[name].append(await measure(poll, per_round))
        # aionut's persistent mode stalls ~40 ms a poll (Nagle + delayed ACK): fewer polls.
        persistent_wall = [
            (await measure(lambda: persistent.list_vars(ups), 1))[0]
            for _ in range(persistent_polls)
        ]
        persistent.disconnect()

    n = per_round * rounds
    per = {
        name: (sum(w for w, _ in runs) / n * 1e3, sum(c for _, c in runs) / n * 1e3)
        for name, runs in samples.items()
    }
    print(f"\n{n} polls each, {rounds} interleaved rounds of {per_round}")
    print(f"{'client':<26}{'wall ms/poll':>14}{'CPU ms/poll':>14}   wall per round (min-max)")
    for name, (wall_ms, cpu_ms) in per.items():
        walls = [w / per_round * 1e3 for w, _ in samples[name]]
        spread = f"{min(walls):.3f}-{max(walls):.3f}"
        print(f"{name:<26}{wall_ms:>14.3f}{cpu_ms:>14.3f}   {spread}")
    persistent_ms = statistics.mean(persistent_wall) * 1e3
    print(f"{'aionut persistent':<26}{persistent_ms:>14.3f}{'':>14}   ({persistent_polls} polls)")

    ours_wall, ours_cpu = per[OURS]
    print("\nratios (nut_ups / other; lower is better)")
    for name in (FLOOR, AIONUT, STREAMS):
        wall, cpu = per[name]
        print(f"  vs {name:<24}: wall {ours_wall / wall:.2f}  CPU {ours_cpu / cpu:.2f}")
    print(f"  aionut persistent / nut_ups wall: {persistent_ms / ours_wall:.0f}x")


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=4000, help="polls per client (default 4000)")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    parser.add_argument("--persistent-polls", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.polls, args.rounds, args.persistent_polls))


if __name__ == "__main__":
    main()

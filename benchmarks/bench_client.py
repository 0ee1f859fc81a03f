"""Poll cost of our client vs aionut 4.3.4 and a plain asyncio-streams baseline, in one run.

Against one real upsd (a DDL dump with >= 30 variables, or tests/fixtures/smart-ups.dev), each
client polls ``LIST VAR`` N times, interleaved in rounds so that machine noise hits all alike.
Prints wall and CPU (process time) per poll, and our ratio to each. Run: ``scripts/bench client``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import statistics
import time

from aionut import AIONUTClient

from custom_components.nut_ups.nut import NUTClient
from tests.support.upsd import NUT_DDL, fixture_path, running_upsd

type Poll = Callable[[], Awaitable[object]]

DUMP = NUT_DDL / "APC" / "APC__Smart-UPS_X_750__usbhid-ups__2.7.4__01.dev"


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


async def run(polls: int, rounds: int, persistent_polls: int) -> None:
    """Start upsd, check every client reads the same values, then measure them interleaved."""
    dump = DUMP if DUMP.exists() else fixture_path("smart-ups.dev")
    with running_upsd({"bench": dump}) as server:
        host, port, ups = server.host, server.port, server.ups
        ours = NUTClient(host, port)
        per_poll = AIONUTClient(host, port, persistent=False)
        persistent = AIONUTClient(host, port, persistent=True)
        clients: dict[str, Poll] = {
            "nut_ups (one-shot)": lambda: ours.list_vars(ups),
            "aionut per-poll": lambda: per_poll.list_vars(ups),
            "asyncio streams": lambda: streams_poll(host, port, ups),
        }
        reference = await ours.list_vars(ups)
        print(f"upsd {server.port}, dump {dump.name}: {len(reference)} variables")
        assert len(await per_poll.list_vars(ups)) == len(reference)
        assert len(await streams_poll(host, port, ups)) == len(reference)

        totals = {name: [0.0, 0.0] for name in clients}
        for _ in range(rounds):
            for name, poll in clients.items():
                wall, cpu = await measure(poll, polls // rounds)
                totals[name][0] += wall
                totals[name][1] += cpu
        # aionut's persistent mode stalls ~40 ms a poll (Nagle + delayed ACK): fewer polls.
        persistent_wall = [
            (await measure(lambda: persistent.list_vars(ups), 1))[0]
            for _ in range(persistent_polls)
        ]
        persistent.disconnect()

    n = (polls // rounds) * rounds
    per = {name: (w / n * 1e3, c / n * 1e3) for name, (w, c) in totals.items()}
    print(f"\n{n} polls each, {rounds} interleaved rounds")
    print(f"{'client':<24}{'wall ms/poll':>14}{'CPU ms/poll':>14}")
    for name, (wall_ms, cpu_ms) in per.items():
        print(f"{name:<24}{wall_ms:>14.3f}{cpu_ms:>14.3f}")
    persistent_ms = statistics.mean(persistent_wall) * 1e3
    print(f"{'aionut persistent':<24}{persistent_ms:>14.3f}{'':>14}  ({persistent_polls} polls)")

    ours_wall, ours_cpu = per["nut_ups (one-shot)"]
    aio_wall, aio_cpu = per["aionut per-poll"]
    base_wall, base_cpu = per["asyncio streams"]
    print("\nratios (nut_ups / other; lower is better)")
    print(
        f"  vs aionut per-poll : wall {ours_wall / aio_wall:.2f}  CPU {ours_cpu / aio_cpu:.2f}  (goal <= 0.70)"
    )
    print(f"  vs asyncio streams : wall {ours_wall / base_wall:.2f}  CPU {ours_cpu / base_cpu:.2f}")
    print(f"  aionut persistent / nut_ups wall: {persistent_ms / ours_wall:.0f}x  (goal >= 100x)")


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=3000, help="polls per client (default 3000)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--persistent-polls", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.polls, args.rounds, args.persistent_polls))


if __name__ == "__main__":
    main()

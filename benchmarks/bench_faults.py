"""The client's fault matrix: every way a server can misbehave, N operations each, and four rules.

Each fault is a real TCP server on 127.0.0.1 (tests/support/fake_nut.py), served from a thread
with its own event loop so that the server's work never delays the client's timers; "connection
refused" is a free port with nothing listening. Against each, the operation under test runs N
times (default 1,000; ten at a time where every operation waits out its deadline), and per fault
the matrix records:

1. exceptions that are not :class:`NUTError` subclasses — must be 0;
2. file descriptors leaked (``/proc/self/fd`` counted before and after, once the servers' ends
   closed), and sockets the client left for the garbage collector (``ResourceWarning``) — must be 0;
3. the slowest operation against its deadline — must end within ``timeout + slack``
   (50 ms here; tests/nut/test_fault_matrix.py allows 0.5 s);
4. the outcomes seen: ``ok`` and the NUTError classes — each must be one the fault allows (its
   ``expected`` set, e.g. ``NUTAuthError`` for ``ERR ACCESS-DENIED``, as NUT's
   docs/net-protocol.txt and the client's documentation say).

The operation is a parameter (:class:`ClientUnderTest`: a callable taking the port and returning
an awaitable), so another client API can run the same matrix.

Run: ``scripts/run python -m benchmarks.bench_faults [--ops 1000] [--timeout 0.2]``
(or ``scripts/bench faults``). Prints one row per fault and a summary line; the exit status is 1
when a fault breaks a rule.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import gc
import os
import sys
import time
import traceback
import warnings

from custom_components.nut_ups.nut import NUTClient, NUTError, ServerSettings
from custom_components.nut_ups.nut.session import NUTSession
from tests.support.fake_nut import (
    Handler,
    banner,
    closes_after,
    drip,
    fake_server_thread,
    replies,
    silent,
)
from tests.support.upsd import free_port

type Operation = Callable[[int], Awaitable[object]]
"""One operation against a server on 127.0.0.1: takes its port, returns what to await."""

UPS = "ups"
OK = "ok"
"""The outcome of an operation that returned."""
DEFAULT_TIMEOUT = 0.2
"""Seconds: the client's deadline in the matrix, short so that 1,000 timeouts take little."""
STRICT_SLACK = 0.05
"""Seconds an operation may run past its deadline in the benchmark (the event loop's wake-up)."""
PARALLEL = 10
"""Operations run at once against faults where each waits out its deadline."""

# -- the client under test -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientUnderTest:
    """An operation of a client API, as the matrix runs it.

    Attributes:
        name: shown in the summary, e.g. ``"NUTClient.list_vars (one-shot)"``.
        operation: one operation against ``127.0.0.1:port``; it should raise only NUTError.
        timeout: its deadline in seconds, as the client was told.
        close: releases what the client keeps between operations (a persistent session's
            socket), awaited after each fault's operations and before descriptors are counted;
            None when nothing is kept.
    """

    name: str
    operation: Operation
    timeout: float
    close: Callable[[], Awaitable[None]] | None = None


def one_shot_list_vars(timeout: float = DEFAULT_TIMEOUT) -> ClientUnderTest:
    """``NUTClient(...).list_vars("ups")``: a fresh client and connection per operation.

    Args:
        timeout: the client's deadline in seconds.
    """

    def operation(port: int) -> Awaitable[dict[str, str]]:
        return NUTClient("127.0.0.1", port, timeout=timeout).list_vars(UPS)

    return ClientUnderTest("NUTClient.list_vars (one-shot)", operation, timeout)


def session_list_vars(timeout: float = DEFAULT_TIMEOUT) -> ClientUnderTest:
    """``NUTSession.list_vars("ups")``: one persistent session per server, as status checks use.

    Operations run at once share the session and wait for each other, inside their deadline.

    Args:
        timeout: the session's deadline in seconds.
    """
    sessions: dict[int, NUTSession] = {}

    def operation(port: int) -> Awaitable[dict[str, str]]:
        session = sessions.get(port)
        if session is None:
            session = sessions[port] = NUTSession(
                ServerSettings("127.0.0.1", port, timeout=timeout)
            )
        return session.list_vars(UPS)

    async def close() -> None:
        for session in sessions.values():
            session.close()
        sessions.clear()

    return ClientUnderTest("NUTSession.list_vars (persistent)", operation, timeout, close)


CLIENTS: dict[str, Callable[[float], ClientUnderTest]] = {
    "one-shot": one_shot_list_vars,
    "session": session_list_vars,
}
"""The client APIs the command line can pick (``--client``), by name."""

# -- the faults ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One misbehaving server.

    Attributes:
        name: a row of the table.
        handler: what the server does with each connection; None: nothing listens (refused).
        expected: the outcomes allowed: ``"ok"`` and NUTError class names.
        parallel: how many operations run at once (more than 1 only where each operation waits
            out its deadline, so that 1,000 of them take seconds, not minutes).
    """

    name: str
    handler: Handler | None
    expected: frozenset[str]
    parallel: int = 1


# NUT's docs/net-protocol.txt, "Error responses", and the class the client's documentation
# (nut/exceptions.py) gives each: authentication, unknown UPS, driver silent, or the base class.
ERR_CLASSES: dict[str, str] = {
    "ACCESS-DENIED": "NUTAuthError",
    "UNKNOWN-UPS": "NUTUnknownUPSError",
    "VAR-NOT-SUPPORTED": "NUTResponseError",
    "CMD-NOT-SUPPORTED": "NUTResponseError",
    "INVALID-ARGUMENT": "NUTResponseError",
    "INSTCMD-FAILED": "NUTResponseError",
    "SET-FAILED": "NUTResponseError",
    "READONLY": "NUTResponseError",
    "TOO-LONG": "NUTResponseError",
    "FEATURE-NOT-SUPPORTED": "NUTResponseError",
    "FEATURE-NOT-CONFIGURED": "NUTResponseError",
    "ALREADY-SSL-MODE": "NUTResponseError",
    "DRIVER-NOT-CONNECTED": "NUTDataUnavailableError",
    "DATA-STALE": "NUTDataUnavailableError",
    "ALREADY-LOGGED-IN": "NUTResponseError",
    "INVALID-PASSWORD": "NUTAuthError",
    "ALREADY-SET-PASSWORD": "NUTResponseError",
    "INVALID-USERNAME": "NUTAuthError",
    "ALREADY-SET-USERNAME": "NUTResponseError",
    "USERNAME-REQUIRED": "NUTAuthError",
    "PASSWORD-REQUIRED": "NUTAuthError",
    "UNKNOWN-COMMAND": "NUTResponseError",
    "INVALID-VALUE": "NUTResponseError",
}

HTTP_400 = (
    b"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.26.3\r\nContent-Type: text/html\r\n"
    b"Content-Length: 157\r\nConnection: close\r\n\r\n"
    b"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n"
    b"<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.26.3</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
MID_LIST = b'BEGIN LIST VAR ups\nVAR ups battery.charge "100"\nVAR ups battery.runtime "12'
NON_UTF8 = (
    b'BEGIN LIST VAR ups\nVAR ups ambient.temperature "25\xb0C"\nVAR ups device.mfr "caf\xc3\xa9"\n'
    b'VAR ups ups.id "\xff\xfe\x80\x00\x7f"\nEND LIST VAR ups\n'
)


def _huge_list(count: int) -> bytes:
    body = b"".join(b'VAR ups v.%d "%d"\n' % (i, i) for i in range(count))
    return b"BEGIN LIST VAR ups\n" + body + b"END LIST VAR ups\n"


def _one(name: str) -> frozenset[str]:
    return frozenset({name})


def faults() -> list[Fault]:
    """Every fault of the matrix, in table order (builds a 2.4 MB reply for the 100k list)."""
    return [
        Fault("connection refused", None, _one("NUTConnectionError")),
        Fault("blackhole (accepts, silent)", silent, _one("NUTTimeoutError"), PARALLEL),
        Fault(
            "slowloris (1 byte / 10 ms)",
            drip(b"BEGIN LIST VAR ups\n", b'VAR ups a "1"\n', 0.01),
            _one("NUTTimeoutError"),
            PARALLEL,
        ),
        Fault("close in the middle of a LIST", closes_after(MID_LIST), _one("NUTConnectionError")),
        Fault("HTTP server on the port", closes_after(HTTP_400), _one("NUTProtocolError")),
        Fault(
            "SSH banner on the port",
            banner(
                b"SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n", b"Invalid SSH identification string.\r\n"
            ),
            _one("NUTProtocolError"),
        ),
        Fault(
            "1 MiB line without LF",
            replies({b"LIST": b"BEGIN LIST VAR ups\n" + b"x" * (1 << 20)}),
            _one("NUTProtocolError"),
        ),
        Fault(
            "LIST VAR of 100k variables",
            replies({b"LIST": _huge_list(100_000)}),
            frozenset({OK, "NUTTimeoutError"}),  # parsing 2.4 MB may take longer than 0.2 s
        ),
        Fault("non-UTF-8 bytes in values", replies({b"LIST": NON_UTF8}), _one(OK)),
        *(
            Fault(f"ERR {code}", replies({b"": f"ERR {code}\n".encode()}), _one(name))
            for code, name in ERR_CLASSES.items()
        ),
    ]


# -- running -------------------------------------------------------------------------------------


@dataclass
class FaultResult:
    """What the operations against one fault did.

    Attributes:
        fault: the fault.
        deadline: the client's timeout, in seconds.
        outcomes: ``"ok"`` / NUTError class name → count.
        foreign: type names of exceptions that are not NUTError → count.
        foreign_traceback: the first such exception's traceback, for the report.
        fds_leaked: descriptors open after the operations (and the servers' ends closing) beyond
            those open before.
        unclosed: sockets the client never closed, reclaimed by the garbage collector
            (``ResourceWarning``).
        slowest: the longest operation, in seconds.
    """

    fault: Fault
    deadline: float
    outcomes: Counter[str] = field(default_factory=Counter)
    foreign: Counter[str] = field(default_factory=Counter)
    foreign_traceback: str | None = None
    fds_leaked: int = 0
    unclosed: int = 0
    slowest: float = 0.0

    @property
    def ops(self) -> int:
        """How many operations ran."""
        return self.outcomes.total() + self.foreign.total()

    def broken_rules(self, slack: float) -> list[str]:
        """The rules this fault broke, in words; empty when it kept them all.

        Args:
            slack: seconds an operation may run past its deadline.
        """
        broken = []
        if self.foreign:
            broken.append(f"non-NUTError {dict(self.foreign)}")
        if self.fds_leaked or self.unclosed:
            broken.append(f"{self.fds_leaked} fds leaked, {self.unclosed} left to the GC")
        if self.slowest > self.deadline + slack:
            broken.append(f"{self.slowest:.3f} s > {self.deadline} + {slack} s")
        if unexpected := sorted(set(self.outcomes) - self.fault.expected):
            broken.append(f"unexpected {', '.join(unexpected)}")
        return broken


def open_fds() -> int:
    """The number of descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


async def settle(baseline: int, wait: float = 2.0) -> int:
    """Descriptors open beyond ``baseline`` once the servers' ends had ``wait`` s to close.

    A socket the client leaked never closes, so the wait cannot hide a leak.
    """
    deadline = time.monotonic() + wait
    while open_fds() > baseline and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return max(0, open_fds() - baseline)


@contextlib.contextmanager
def serving(fault: Fault) -> Iterator[int]:
    """Run ``fault``'s server in a thread; yield its port (a free one when nothing listens)."""
    if fault.handler is None:
        yield free_port()
        return
    with fake_server_thread(fault.handler) as port:
        yield port


async def _one_operation(client: ClientUnderTest, port: int, result: FaultResult) -> None:
    start = time.monotonic()
    try:
        await client.operation(port)
    except NUTError as err:
        result.outcomes[type(err).__name__] += 1
    except KeyboardInterrupt, SystemExit:
        raise
    except BaseException as err:
        task = asyncio.current_task()
        if isinstance(err, asyncio.CancelledError) and task is not None and task.cancelling():
            raise  # the matrix itself is being cancelled
        result.foreign[type(err).__name__] += 1
        if result.foreign_traceback is None:
            result.foreign_traceback = "".join(traceback.format_exception(err))
    else:
        result.outcomes[OK] += 1
    result.slowest = max(result.slowest, time.monotonic() - start)


async def run_fault(
    fault: Fault, client: ClientUnderTest, ops: int, *, fd_wait: float = 2.0
) -> FaultResult:
    """Run ``ops`` operations of ``client`` against ``fault``'s server; return what happened.

    Args:
        fault: the misbehaving server.
        client: the operation under test.
        ops: how many operations, ``fault.parallel`` at a time.
        fd_wait: seconds the servers' ends of the connections get to close before descriptors
            are counted (a socket the client leaked keeps the server's end open too, so one
            leaked socket counts as 2).
    """
    result = FaultResult(fault, client.timeout)
    with serving(fault) as port:
        before = open_fds()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            for first in range(0, ops, fault.parallel):
                batch = min(fault.parallel, ops - first)
                await asyncio.gather(*(_one_operation(client, port, result) for _ in range(batch)))
            if client.close is not None:
                await client.close()
            result.fds_leaked = await settle(before, fd_wait)
            gc.collect()  # sockets only a reference cycle still held warn now
        result.unclosed = sum(issubclass(w.category, ResourceWarning) for w in caught)
    return result


async def run_matrix(
    client: ClientUnderTest,
    ops: int,
    matrix: Sequence[Fault] | None = None,
    progress: Callable[[FaultResult], None] | None = None,
) -> list[FaultResult]:
    """Run ``ops`` operations of ``client`` against every fault in turn.

    Args:
        client: the operation under test.
        ops: operations per fault.
        matrix: the faults; all of :func:`faults` by default.
        progress: called with each fault's result as soon as it is known.

    Returns:
        One :class:`FaultResult` per fault, in order.
    """
    results = []
    for fault in matrix if matrix is not None else faults():
        results.append(await run_fault(fault, client, ops))
        if progress is not None:
            progress(results[-1])
    return results


# -- reporting -----------------------------------------------------------------------------------

HEADER = (
    f"{'fault':<32}{'ops':>6}{'non-NUT':>9}{'fds':>5}{'GC':>4}"
    f"{'slowest ms':>12}{'limit ms':>10}  outcomes"
)


def row(result: FaultResult, slack: float) -> str:
    """One line of the table for ``result``; broken rules are named at its end."""
    seen = " ".join(f"{name}:{count}" for name, count in result.outcomes.most_common())
    broken = result.broken_rules(slack)
    verdict = f"  BROKEN: {'; '.join(broken)}" if broken else ""
    return (
        f"{result.fault.name:<32}{result.ops:>6}{result.foreign.total():>9}"
        f"{result.fds_leaked:>5}{result.unclosed:>4}{result.slowest * 1e3:>12.1f}"
        f"{(result.deadline + slack) * 1e3:>10.1f}  {seen}{verdict}"
    )


def summary(client: ClientUnderTest, results: Sequence[FaultResult], slack: float) -> str:
    """The last line: totals over every fault and how many broke a rule."""
    slowest = max(results, key=lambda r: r.slowest - r.deadline)
    broken = [r.fault.name for r in results if r.broken_rules(slack)]
    return (
        f"{len(results)} faults x {results[0].ops} ops, {client.name}, timeout {client.timeout} s: "
        f"{sum(r.foreign.total() for r in results)} non-NUTError, "
        f"{sum(r.fds_leaked for r in results)} fds leaked, "
        f"{sum(r.unclosed for r in results)} left to the GC, slowest {slowest.slowest * 1e3:.1f} ms "
        f"vs {(slowest.deadline + slack) * 1e3:.0f} ms allowed ({slowest.fault.name}); "
        + (f"{len(broken)} broke a rule: {', '.join(broken)}" if broken else "every rule kept")
    )


async def run(client: ClientUnderTest, ops: int, slack: float) -> int:
    """Run the matrix, print the table as it fills and the summary; return the exit status."""
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}")
    print(f"{client.name}, timeout {client.timeout} s, {ops} ops per fault, slack {slack} s\n")
    print(HEADER)
    start = time.monotonic()
    results = await run_matrix(client, ops, progress=lambda r: print(row(r, slack), flush=True))
    print(f"\n{summary(client, results, slack)} ({time.monotonic() - start:.0f} s)")
    for result in results:
        if result.foreign_traceback is not None:
            print(f"\nfirst non-NUTError against {result.fault.name}:\n{result.foreign_traceback}")
    return 1 if any(r.broken_rules(slack) for r in results) else 0


def main() -> None:
    """Parse arguments, run the matrix and exit with its status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=1000, help="operations per fault (1000)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds (0.2)")
    parser.add_argument("--slack", type=float, default=STRICT_SLACK, help="seconds (0.05)")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="one-shot")
    args = parser.parse_args()
    client = CLIENTS[args.client](args.timeout)
    sys.exit(asyncio.run(run(client, args.ops, args.slack)))


if __name__ == "__main__":
    main()

"""The fault matrix of benchmarks/bench_faults.py at CI size: every fault, ~20 operations.

Per fault the one-shot client and the persistent session must raise nothing but NUTError, leak no descriptor and leave no
socket to the garbage collector, end every operation within its deadline + 0.5 s (the benchmark
holds it to + 50 ms), and end only as the fault allows (e.g. NUTAuthError for ERR ACCESS-DENIED).
The matrix's own rules are checked first against clients built to break each of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import socket

import pytest

from benchmarks.bench_faults import (
    OK,
    ClientUnderTest,
    Fault,
    faults,
    one_shot_list_vars,
    run_fault,
    session_list_vars,
)
from custom_components.nut_ups.nut import NUTDataUnavailableError
from tests.support.fake_nut import replies

OPS = 20
HEAVY_OPS = 5  # the 2.4 MB list: ~0.3 s an operation
SLACK = 0.5
FAULTS = faults()
STALE = Fault(
    "ERR DATA-STALE", replies({b"": b"ERR DATA-STALE\n"}), frozenset({"NUTResponseError"})
)


@pytest.mark.parametrize("client", [one_shot_list_vars, session_list_vars])
@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
async def test_client_keeps_every_rule(
    fault: Fault, client: Callable[[float], ClientUnderTest]
) -> None:
    """The one-shot client and the persistent session, each against every fault."""
    heavy = "100k" in fault.name
    result = await run_fault(fault, client(0.2), HEAVY_OPS if heavy else OPS)
    assert result.ops == (HEAVY_OPS if heavy else OPS)
    assert result.broken_rules(SLACK) == [], result.foreign_traceback


def test_matrix_covers_every_error_code_of_the_protocol() -> None:
    codes = {fault.name.removeprefix("ERR ") for fault in FAULTS if fault.name.startswith("ERR ")}
    assert len(codes) == 23
    assert {"ACCESS-DENIED", "DATA-STALE", "INVALID-VALUE", "ALREADY-SSL-MODE"} <= codes


async def test_rules_catch_a_foreign_exception_and_a_late_operation() -> None:
    async def raises(port: int) -> None:
        raise KeyError(port)

    async def late(port: int) -> None:
        await asyncio.sleep(0.15)

    result = await run_fault(STALE, ClientUnderTest("raises", raises, 0.1), 3)
    assert dict(result.foreign) == {"KeyError": 3}
    assert result.foreign_traceback is not None and "KeyError" in result.foreign_traceback
    assert result.broken_rules(SLACK) == ["non-NUTError {'KeyError': 3}"]

    result = await run_fault(STALE, ClientUnderTest("late", late, 0.1), 2)
    assert result.slowest >= 0.15
    assert result.broken_rules(0.02) == [
        f"{result.slowest:.3f} s > 0.1 + 0.02 s",
        f"unexpected {OK}",  # ERR DATA-STALE must not end well
    ]


async def test_rules_catch_leaked_and_forgotten_sockets() -> None:
    kept: list[socket.socket] = []

    async def leaks(port: int) -> None:
        kept.append(socket.create_connection(("127.0.0.1", port)))
        raise NUTDataUnavailableError("DATA-STALE")

    async def forgets(port: int) -> None:
        socket.socket()  # never closed: only the garbage collector does
        raise NUTDataUnavailableError("DATA-STALE")

    stale = Fault(STALE.name, STALE.handler, frozenset({"NUTDataUnavailableError"}))
    try:
        result = await run_fault(stale, ClientUnderTest("leaks", leaks, 0.1), 3, fd_wait=0.3)
    finally:
        for sock in kept:
            sock.close()
    assert result.fds_leaked == 6  # the 3 sockets, and the 3 server ends they hold open
    assert result.broken_rules(SLACK) == ["6 fds leaked, 0 left to the GC"]

    result = await run_fault(stale, ClientUnderTest("forgets", forgets, 0.1), 2)
    assert (result.fds_leaked, result.unclosed) == (0, 2)
    assert result.broken_rules(SLACK) == ["0 fds leaked, 2 left to the GC"]

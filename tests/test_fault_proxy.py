"""The fault-injecting proxy (tests/support/fault_proxy.py) against a real upsd.

Each fault is shown to really happen on the wire (raw sockets see the RST, the silence, the cut
prefix) and to reach NUTClient as the NUTError it should; with every probability at 0 the proxy
is byte-transparent. One upsd serves the whole module: starting one costs about 2 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import pytest_socket

from custom_components.nut_ups.nut import (
    NUTClient,
    NUTConnectionError,
    NUTError,
    NUTTimeoutError,
)
from tests.support.fault_proxy import FaultCounts, FaultProxy, FaultProxyThread, Faults
from tests.support.upsd import Upsd, fixture_path, running_upsd

UPS = "test"
# Requests whose replies do not depend on the connection or the time (no LIST CLIENT).
SESSION = (
    b"VER\nNETVER\nLIST UPS\nLIST VAR test\nLIST RW test\nLIST CMD test\n"
    b"GET VAR test ups.status\nGET VAR test no.such.var\nGET UPSDESC test\nLOGOUT\n"
)
LIST_VAR = b"LIST VAR test\n"
# dummy-ups flips driver.state between "quiet" and "updateinfo" whenever it re-reads its file.
VOLATILE = re.compile(rb'^((?:VAR|RW) test driver\.state) "[a-z.]*"$', re.MULTILINE)


def steady(data: bytes) -> bytes:
    """``data`` with the one value upsd changes by itself (driver.state) replaced by ``*``."""
    return VOLATILE.sub(rb'\1 "*"', data)


@pytest.fixture(scope="module")
def real_upsd() -> Iterator[Upsd]:
    """One real upsd (dummy-ups, tests/fixtures/smart-ups.dev) for the module; stopped by PID."""
    pytest_socket.enable_socket()  # module fixtures run before the per-test socket_enabled
    with running_upsd({UPS: fixture_path("smart-ups.dev")}) as server:
        yield server


async def exchange(port: int, request: bytes, *, half_close: bool = False) -> bytes:
    """Send ``request`` in one write and return every byte received until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        if half_close:
            writer.write_eof()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


def blocking_exchange(port: int, request: bytes) -> bytes:
    """:func:`exchange` with a blocking socket (for a proxy that runs in another thread)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def injected(counts: FaultCounts) -> tuple[int, int, int]:
    return counts.resets, counts.stalls, counts.cuts


async def outcomes(port: int, n: int) -> list[str]:
    """``ok`` or the NUTError class name of ``n`` one-shot LIST VARs through the proxy."""
    seen = []
    for _ in range(n):
        try:
            await NUTClient("127.0.0.1", port, timeout=1).list_vars(UPS)
        except NUTError as err:
            seen.append(type(err).__name__)
        else:
            seen.append("ok")
    return seen


def test_probabilities_are_checked() -> None:
    with pytest.raises(ValueError, match="probability"):
        Faults(reset=1.5)
    with pytest.raises(ValueError, match="stall \\+ cut"):
        Faults(stall=0.6, cut=0.6)
    with pytest.raises(TypeError):
        FaultProxy(1).configure(drop=1)


async def test_all_zero_passes_replies_byte_for_byte(real_upsd: Upsd) -> None:
    big = LIST_VAR * 200 + b"LOGOUT\n"  # ~350 KB of replies: several chunks
    direct = [await exchange(real_upsd.port, req) for req in (SESSION, big)]
    assert direct[0].startswith(b"Network UPS Tools upsd 2.8")
    assert direct[0].endswith(b"OK Goodbye\n") and len(direct[1]) > 300_000

    lags: list[float] = []

    async def ticker() -> None:  # the proxy must never hold its (here: our) loop
        while True:
            start = time.monotonic()
            await asyncio.sleep(0.005)
            lags.append(time.monotonic() - start)

    ticking = asyncio.create_task(ticker())
    async with FaultProxy(real_upsd.port) as proxy:
        proxied = [await exchange(proxy.port, req) for req in (SESSION, big)]
        values = await NUTClient("127.0.0.1", proxy.port).list_vars(UPS)
        counts = proxy.counts.copy()
    ticking.cancel()

    assert list(map(steady, proxied)) == list(map(steady, direct))
    assert b'VAR test driver.state "*"\n' in steady(direct[0])  # the only difference allowed
    expected = await NUTClient("127.0.0.1", real_upsd.port).list_vars(UPS)
    assert values | {"driver.state": ""} == expected | {"driver.state": ""}
    assert counts.connections == counts.passed == 3
    assert injected(counts) == (0, 0, 0) and counts.blackholed == counts.upstream_errors == 0
    assert counts.replies == 10 + 201 + 2  # each forwarded whole
    assert counts.request_bytes == len(SESSION) + len(big) + len(b'LIST VAR "test"\nLOGOUT\n')
    assert counts.reply_bytes > sum(map(len, direct))
    assert max(lags) < 0.1


async def test_reset_resets_each_new_connection(real_upsd: Upsd) -> None:
    async with FaultProxy(real_upsd.port, faults=Faults(reset=1)) as proxy:
        for _ in range(5):
            with pytest.raises(NUTConnectionError, match="reset"):
                await NUTClient("127.0.0.1", proxy.port).list_vars(UPS)
        # On the wire: an RST, not a close (which would read as b"").
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), 2)
        writer.close()
        counts = proxy.counts.copy()
    assert counts.connections == counts.resets == 6
    assert counts.request_bytes == counts.reply_bytes == counts.passed == 0  # upsd never asked


async def test_stall_holds_a_reply_past_the_timeout_then_drops(real_upsd: Upsd) -> None:
    async with FaultProxy(real_upsd.port, faults=Faults(stall=1, stall_seconds=0.5)) as proxy:
        start = time.monotonic()
        with pytest.raises(NUTTimeoutError):
            await NUTClient("127.0.0.1", proxy.port, timeout=0.2).list_vars(UPS)
        assert time.monotonic() - start < 0.45

        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"VER\n")
        start = time.monotonic()
        with pytest.raises(TimeoutError):  # nothing within 0.3 s: the reply is held...
            await asyncio.wait_for(reader.read(1), 0.3)
        with contextlib.suppress(ConnectionResetError):  # ...then the connection is dropped
            assert await asyncio.wait_for(reader.read(), 2) == b""
        assert 0.45 < time.monotonic() - start < 1.5
        writer.close()
        counts = proxy.counts.copy()
    assert counts.stalls == 2 and counts.replies == counts.passed == counts.reply_bytes == 0


async def test_cut_breaks_a_list_reply_in_the_middle(real_upsd: Upsd) -> None:
    direct = await exchange(real_upsd.port, LIST_VAR, half_close=True)
    assert direct.startswith(b"BEGIN LIST VAR test\n") and direct.endswith(b"END LIST VAR test\n")
    async with FaultProxy(real_upsd.port, faults=Faults(cut=1), seed=5) as proxy:
        for _ in range(3):
            with pytest.raises(NUTConnectionError, match="closed by the server"):
                await NUTClient("127.0.0.1", proxy.port).list_vars(UPS)
        prefixes = [await exchange(proxy.port, LIST_VAR) for _ in range(10)]
        counts = proxy.counts.copy()
    for prefix in prefixes:  # a strict prefix of upsd's reply, then a clean close
        lines = prefix[: prefix.rfind(b"\n") + 1]
        assert steady(direct).startswith(steady(lines)) and b"END LIST" not in prefix
    assert any(prefix.count(b"\nVAR ") > 3 for prefix in prefixes)  # cut deep inside the LIST
    assert len(set(prefixes)) > 5  # at varying places
    assert counts.cuts == 13 and counts.passed == counts.replies == 0


async def test_faults_follow_the_seed_and_runtime_changes(real_upsd: Upsd) -> None:
    runs = []
    for seed in (11, 11, 12):
        async with FaultProxy(
            real_upsd.port, faults=Faults(reset=0.3, cut=0.3), seed=seed
        ) as proxy:
            seen = await outcomes(proxy.port, 30)
            proxy.configure(reset=0, cut=0)  # from now on, everything passes
            seen += await outcomes(proxy.port, 5)
            runs.append((seen, proxy.counts.resets))
    (first, resets), (again, resets_again), (other, _) = runs
    assert first == again and resets == resets_again  # same seed: the same faults
    assert first != other
    assert first[30:] == ["ok"] * 5
    assert {"ok", "NUTConnectionError"} <= set(first[:30])
    assert first[:30].count("ok") <= 30 - resets  # every reset connection failed


async def test_pause_refuses_or_blackholes_until_resume(real_upsd: Upsd) -> None:
    async with FaultProxy(real_upsd.port) as proxy:
        port = proxy.port
        await proxy.pause("refuse")
        assert proxy.paused == "refuse"
        with pytest.raises(NUTConnectionError, match="Errno 111"):
            await NUTClient("127.0.0.1", port).list_vars(UPS)
        await proxy.resume()
        assert proxy.port == port and await NUTClient("127.0.0.1", port).get_var(UPS, "ups.status")

        await proxy.pause("blackhole")
        with pytest.raises(NUTTimeoutError):
            await NUTClient("127.0.0.1", port, timeout=0.2).list_vars(UPS)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"VER\n")
        with pytest.raises(TimeoutError):  # accepted, and silence
            await asyncio.wait_for(reader.readline(), 0.3)
        await proxy.resume()  # the held connection goes on to upsd
        reply = await asyncio.wait_for(reader.readline(), 2)
        assert reply.startswith(b"Network UPS Tools upsd")
        writer.close()
        counts = proxy.counts.copy()
    assert counts.blackholed == 2 and counts.connections == 3  # the refused one never came in


def test_thread_serves_other_threads_and_processes(real_upsd: Upsd) -> None:
    direct = blocking_exchange(real_upsd.port, SESSION)
    script = (
        "import socket, sys\n"
        "with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as s:\n"
        "    s.sendall(b'GET VAR test ups.status\\nLOGOUT\\n')\n"
        # read to upsd's close: a client gone before "OK Goodbye" would turn it into a reset
        "    print(s.makefile('rb').read().decode().splitlines()[0])\n"
    )
    with FaultProxyThread(real_upsd.port, seed=2) as proxy:
        assert steady(blocking_exchange(proxy.port, SESSION)) == steady(direct)  # blocking
        other = subprocess.run(
            [sys.executable, "-c", script, str(proxy.port)],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        assert other.stdout.strip() == 'VAR test ups.status "OL"'
        assert proxy.configure(reset=1) == Faults(reset=1)
        with pytest.raises(ConnectionResetError):
            blocking_exchange(proxy.port, SESSION)
        proxy.pause()
        with pytest.raises(ConnectionRefusedError):
            blocking_exchange(proxy.port, SESSION)
        proxy.resume()
        proxy.configure(reset=0)
        assert steady(blocking_exchange(proxy.port, SESSION)) == steady(direct)
        counts = proxy.counts()
    assert (counts.connections, counts.passed, counts.resets) == (4, 3, 1)


async def test_exit_closes_every_socket_it_opened(real_upsd: Upsd) -> None:
    before = open_fds()
    clients = []
    async with FaultProxy(real_upsd.port, faults=Faults(stall=1, stall_seconds=30)) as proxy:
        stalled = await asyncio.open_connection("127.0.0.1", proxy.port)
        stalled[1].write(b"VER\n")
        idle = await asyncio.open_connection("127.0.0.1", proxy.port)  # piped to upsd
        await proxy.pause("blackhole")
        held = await asyncio.open_connection("127.0.0.1", proxy.port)
        clients = [stalled, idle, held]
        while proxy.counts.stalls < 1 or proxy.counts.blackholed < 1:
            await asyncio.sleep(0.01)
        assert open_fds() >= before + 3 + 3 + 1  # ours, the proxy's accepted ones, upstreams
    for reader, _ in clients:  # each connection ended from the proxy's side
        with contextlib.suppress(ConnectionResetError):
            assert await asyncio.wait_for(reader.read(), 2) == b""
    for _, writer in clients:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()
    assert open_fds() == before

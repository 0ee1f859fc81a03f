"""NUTSession and StatusWatch: one persistent connection per upsd, checks pipelined on it.

Against a real upsd with several dummy-ups drivers, and against servers that misbehave in ways
upsd cannot (tests/support/fake_nut.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import socket
import weakref

import pytest

from custom_components.nut_ups.nut import (
    NUTConnectionError,
    NUTError,
    NUTProtocolError,
    NUTResponseError,
    NUTTimeoutError,
    NUTUnknownUPSError,
    ServerSettings,
)
from custom_components.nut_ups.nut.connection import NUTConnection
from custom_components.nut_ups.nut.session import NUTSession
from custom_components.nut_ups.nut.watch import CheckResult, StatusWatch
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server, replies, silent
from tests.support.upsd import Upsd, fixture_path, free_port


def session_for(port: int, timeout: float = 5.0) -> NUTSession:
    return NUTSession(ServerSettings("127.0.0.1", port, timeout=timeout))


@pytest.fixture
def rack(upsd_factory: UpsdFactory) -> Upsd:
    """One upsd serving three UPSes."""
    dev = fixture_path("smart-ups.dev")
    return upsd_factory({"a": dev, "b": dev, "c": dev})


async def test_pipelined_checks_share_one_connection(rack: Upsd) -> None:
    """Many UPSes, many rounds: one connection, every answer in request order."""
    await rack.set_var("ups.status", "OB DISCHRG", ups="b")
    session = session_for(rack.port)
    try:
        for _ in range(5):
            results = await session.get_vars(
                [("a", "ups.status"), ("b", "ups.status"), ("c", "battery.charge")]
            )
            assert results == ["OL", "OB DISCHRG", "100"]
        assert (await session.list_vars("c"))["ups.status"] == "OL"
        assert session.connects == 1
        assert session.connected
        sock = session._conn._channel._sock  # type: ignore[union-attr]
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        session.close()
    assert not session.connected


@pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="Linux only")
async def test_a_kept_connection_acknowledges_at_once(rack: Upsd) -> None:
    """upsd writes each pipelined reply on its own with Nagle on: a session's connection must
    not delay its ACKs (else a round of checks waits 40 ms per ACK); a one-shot one need not."""
    session = NUTSession(ServerSettings(rack.host, rack.port))
    try:
        await session.get_vars([(ups, "ups.status") for ups in ("a", "b", "c")])
        conn = session._conn
        assert conn is not None
        assert conn._channel._quickack  # type: ignore[union-attr]
    finally:
        session.close()
    async with NUTConnection(ServerSettings(rack.host, rack.port), one_shot=True) as one_shot:
        assert not one_shot._channel._quickack  # type: ignore[union-attr]


async def test_repeated_checks_read_each_answer_anew() -> None:
    """A line read as it was last time is that value again; a changed line, a repeated ERR and a
    line that answers another request are each read for what they say now."""
    answers = [
        [b'VAR a ups.status "OL"', b"ERR DATA-STALE"],
        [b'VAR a ups.status "OL"', b"ERR DATA-STALE"],
        [b'VAR a ups.status "OB"', b'VAR b ups.status "OL"'],
        [b'VAR b ups.status "OL"', b'VAR b ups.status "OL"'],  # a's place answered by b
    ]

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for lines in answers:
            await reader.readline()
            await reader.readline()
            writer.write(b"".join(line + b"\n" for line in lines))
            await writer.drain()
        await reader.read()

    requests = [("a", "ups.status"), ("b", "ups.status")]
    async with fake_server(handler) as port:
        session = session_for(port)
        try:
            first = await session.get_vars(requests)
            second = await session.get_vars(requests)
            assert first[0] == second[0] == "OL"
            assert isinstance(first[1], NUTResponseError) and isinstance(
                second[1], NUTResponseError
            )
            assert first[1] is not second[1]  # a new error each time, never one raised before
            assert await session.get_vars(requests) == ["OB", "OL"]
            with pytest.raises(NUTProtocolError):
                await session.get_vars(requests)
        finally:
            session.close()


async def test_an_error_answers_its_own_request_only(rack: Upsd) -> None:
    """An ERR reply is returned for its request; the others still get their values."""
    session = session_for(rack.port)
    try:
        results = await session.get_vars(
            [("a", "ups.status"), ("nosuch", "ups.status"), ("c", "no.such.var")]
        )
        assert results[0] == "OL"
        assert isinstance(results[1], NUTUnknownUPSError)
        assert isinstance(results[2], NUTResponseError)
        assert results[2].code == "VAR-NOT-SUPPORTED"
        assert await session.get_vars([("a", "ups.status")]) == ["OL"]
        assert session.connects == 1  # an ERR reply keeps the connection in step
    finally:
        session.close()


async def test_reconnects_after_upsd_restarts(rack: Upsd) -> None:
    """upsd restarted under an open connection: the next call retries once on a new one."""
    session = session_for(rack.port)
    try:
        assert await session.get_vars([("a", "ups.status")]) == ["OL"]
        await asyncio.to_thread(rack.stop_server)
        with pytest.raises(NUTConnectionError):
            await session.get_vars([("a", "ups.status")])
        assert not session.connected
        await asyncio.to_thread(rack.start_server)
        for _ in range(50):  # upsd reconnects to its drivers: DATA-STALE for a moment
            results = await session.get_vars([("a", "ups.status")])
            if results == ["OL"]:
                break
            await asyncio.sleep(0.1)
        assert results == ["OL"]
        assert session.connects == 2
    finally:
        session.close()


async def test_a_closed_idle_connection_is_retried_once() -> None:
    """A server that closes after each answer: every call succeeds on a fresh connection."""
    answer = b'VAR ups ups.status "OL"\n'

    async def one_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(answer)
        await writer.drain()

    async with fake_server(one_answer) as port:
        session = session_for(port)
        try:
            assert await session.get_vars([("ups", "ups.status")]) == ["OL"]
            await asyncio.sleep(0.05)  # the server has closed its end by now
            assert await session.get_vars([("ups", "ups.status")]) == ["OL"]
            assert session.connects == 2
        finally:
            session.close()


async def test_a_stalled_server_times_out_and_is_dropped() -> None:
    async with fake_server(silent) as port:
        session = session_for(port, timeout=0.3)
        with pytest.raises(NUTTimeoutError):
            await session.get_vars([("ups", "ups.status")])
        assert not session.connected


async def test_a_reply_for_another_variable_is_a_protocol_error() -> None:
    """Replies out of step with the requests break the connection, never mislabel a value."""
    async with fake_server(replies({b"GET VAR": b'VAR ups battery.charge "90"\n'})) as port:
        session = session_for(port)
        with pytest.raises(NUTProtocolError):
            await session.get_vars([("ups", "ups.status")])
        assert not session.connected


async def test_refused_is_a_connection_error() -> None:
    session = session_for(free_port())
    with pytest.raises(NUTConnectionError):
        await session.get_vars([("ups", "ups.status")])
    assert await session.get_vars([]) == []  # nothing asked: nothing sent


async def test_cancelled_mid_exchange_drops_the_connection() -> None:
    async with fake_server(silent) as port:
        session = session_for(port)
        task = asyncio.create_task(session.get_vars([("ups", "ups.status")]))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not session.connected


# -- StatusWatch ---------------------------------------------------------------------------------


async def test_watch_hands_each_subscriber_its_ups_status(rack: Upsd) -> None:
    watch = StatusWatch(session_for(rack.port), interval=0.05)
    seen: dict[str, list[CheckResult]] = {"a": [], "b": [], "b2": []}
    watch.subscribe("a", seen["a"].append)
    remove_b = watch.subscribe("b", seen["b"].append)
    watch.subscribe("b", seen["b2"].append)
    await rack.set_var("ups.status", "OB LB", ups="b")
    await watch.check()
    assert seen == {"a": ["OL"], "b": ["OB LB"], "b2": ["OB LB"]}
    remove_b()
    assert watch.ups_names == ["a", "b"]  # another subscriber still checks b
    await rack.set_var("ups.status", "OL CHRG", ups="b")
    await watch.check()
    assert seen["b"] == ["OB LB"] and seen["b2"] == ["OB LB", "OL CHRG"]
    assert watch.session.connects == 1
    watch.session.close()


async def test_watch_hands_over_changes_only_and_notes_every_answer(rack: Upsd) -> None:
    """An unchanged status is not handed over again, but its answer still counts as upsd's
    latest; repeat() hands the next one over anyway, and a new subscriber gets the current."""
    watch = StatusWatch(session_for(rack.port), interval=0.05)
    seen: list[CheckResult] = []
    watch.subscribe("a", seen.append)
    assert watch.answered_at("a") == -math.inf
    await watch.check()
    first = watch.answered_at("a")
    for _ in range(3):
        await watch.check()
    assert seen == ["OL"]
    assert watch.answered_at("a") > first
    await rack.set_var("ups.status", "OB DISCHRG", ups="a")
    await watch.check()
    await watch.check()
    assert seen == ["OL", "OB DISCHRG"]
    watch.repeat("a")
    await watch.check()
    await watch.check()
    assert seen == ["OL", "OB DISCHRG", "OB DISCHRG"]
    late: list[CheckResult] = []
    remove_late = watch.subscribe("a", late.append)
    await watch.check()
    assert late == ["OB DISCHRG"]
    remove_late()
    watch.session.close()


async def test_watch_hands_over_every_failure(rack: Upsd) -> None:
    """Failures are news each time (the dead time counts from the last answer); the first
    answer after them is handed over even when the status is the one from before."""
    watch = StatusWatch(session_for(rack.port, timeout=0.5), interval=0.05)
    seen: list[CheckResult] = []
    watch.subscribe("a", seen.append)
    await watch.check()
    answered = watch.answered_at("a")
    await asyncio.to_thread(rack.stop_server)
    await watch.check()
    await watch.check()
    assert seen[0] == "OL" and len(seen) == 3
    assert all(isinstance(result, NUTError) for result in seen[1:])
    assert watch.answered_at("a") == answered
    await asyncio.to_thread(rack.start_server)
    await asyncio.to_thread(rack.wait_ready)
    for _ in range(50):  # the driver may be stale for a moment after upsd's restart
        if seen[-1] == "OL":
            break
        await watch.check()
        await asyncio.sleep(0.05)
    assert seen[-1] == "OL"
    watch.session.close()


async def test_watches_tick_together_on_multiples_of_their_interval(rack: Upsd) -> None:
    """Two watches (two upsd in real life) started at different moments check on the same
    ticks, whole multiples of the interval on the loop's clock: one wake-up for both."""
    loop = asyncio.get_running_loop()
    interval = 0.4
    times: dict[str, list[float]] = {"first": [], "second": []}
    tasks = []
    for seen in times.values():
        watch = StatusWatch(session_for(rack.port), interval=interval)

        def note(_: CheckResult, seen: list[float] = seen, watch: StatusWatch = watch) -> None:
            seen.append(loop.time())
            watch.repeat("a")  # every round's result, not only changes

        watch.subscribe("a", note)
        tasks.append(asyncio.create_task(watch.run()))
        await asyncio.sleep(0.13)  # out of step on purpose
    while min(len(seen) for seen in times.values()) < 4:
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for seen in times.values():
        ticks = seen[1:]  # the first check runs at once, off the grid
        # Each tick just after a multiple of the interval (a loaded machine may run it late,
        # but not by half an interval), and one tick per multiple.
        assert all(moment % interval < interval / 2 for moment in ticks), ticks
        assert len({round(moment / interval) for moment in ticks}) == len(ticks), ticks
    assert {round(m / interval) for m in times["first"][1:]} & {
        round(m / interval) for m in times["second"][1:]
    }


async def test_watch_survives_a_failing_callback_and_a_dead_server(rack: Upsd) -> None:
    """A callback that raises does not stop the others; a dead upsd reaches everyone as a
    NUTError; the loop runs on and closes its connection when cancelled."""
    watch = StatusWatch(session_for(rack.port, timeout=0.5), interval=0.05)
    results: list[CheckResult] = []

    def broken(_: CheckResult) -> None:
        raise RuntimeError("a subscriber's bug")

    watch.subscribe("a", broken)
    watch.subscribe("a", results.append)
    task = asyncio.create_task(watch.run())
    try:
        while watch.checks < 3:
            await asyncio.sleep(0.02)
        assert results == ["OL"]  # the broken callback did not stop the next one
        await asyncio.to_thread(rack.stop_server)
        while not isinstance(results[-1], NUTError):
            await asyncio.sleep(0.02)
        assert all(result == "OL" or isinstance(result, NUTError) for result in results)
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not watch.session.connected
    assert watch.checks >= 4


@pytest.mark.parametrize("server", ["refused", "silent"])
async def test_a_failed_round_leaves_no_garbage_cycle(server: str) -> None:
    """The error a failed round hands over is freed by reference counting once nothing holds
    it: no cycle through the round's frames waits for the garbage collector (collector off)."""
    held: list[weakref.ref[NUTError]] = []

    def note(result: CheckResult) -> None:
        if isinstance(result, NUTError):
            held.append(weakref.ref(result))

    async with contextlib.AsyncExitStack() as stack:
        port = (
            free_port()
            if server == "refused"
            else await stack.enter_async_context(fake_server(silent))
        )
        watch = StatusWatch(session_for(port, timeout=0.2), interval=0.05)
        watch.subscribe("a", note)
        gc.collect()
        gc.disable()
        try:
            await watch.check()
            assert len(held) == 1 and held[0]() is not None  # the watch holds what it handed
            watch.repeat("a")
            assert held[0]() is None
        finally:
            gc.enable()
            watch.session.close()


async def test_watch_without_subscribers_sends_nothing(rack: Upsd) -> None:
    watch = StatusWatch(session_for(rack.port), interval=0.05)
    await watch.check()
    assert watch.checks == 0 and watch.session.connects == 0


async def test_watch_leaks_no_descriptor(rack: Upsd) -> None:
    """Hundreds of rounds with upsd restarts in between: descriptors back to where they were."""

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    baseline = open_fds()
    watch = StatusWatch(session_for(rack.port, timeout=0.5), interval=0)
    watch.subscribe("a", lambda _: None)
    for round_ in range(300):
        if round_ in {100, 200}:
            await asyncio.to_thread(rack.stop_server)
            await watch.check()
            await asyncio.to_thread(rack.start_server)
        await watch.check()
    watch.session.close()
    assert open_fds() <= baseline

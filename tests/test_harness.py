"""The real-upsd test harness itself (tests/support/upsd.py), over plain sockets."""

from __future__ import annotations

import asyncio
import socket

import pytest

from benchmarks.bench_soak import Flip, Track
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server
from tests.support.sim_upsd import SimUpsd
from tests.support.upsd import Upsd, fixture_path, nut_ddl_dumps


def test_list_ups_over_a_plain_socket(upsd: Upsd) -> None:
    with socket.create_connection((upsd.host, upsd.port), timeout=5) as sock:
        sock.sendall(b"LIST UPS\n")
        reply = b""
        while b"END LIST UPS\n" not in reply:
            chunk = sock.recv(4096)
            assert chunk, "upsd closed the connection"
            reply += chunk
    assert reply == b'BEGIN LIST UPS\nUPS test "Test UPS test"\nEND LIST UPS\n'
    assert upsd.host == "127.0.0.1" and upsd.ups == "test"


def test_set_var_changes_status(upsd: Upsd) -> None:
    upsd.set_var_sync("ups.status", "OB DISCHRG")
    assert upsd.command("GET VAR test ups.status") == 'VAR test ups.status "OB DISCHRG"'


def test_factory_serves_several_ups_and_stops_them(upsd_factory: UpsdFactory) -> None:
    dev = fixture_path("smart-ups.dev")
    server = upsd_factory({"a": dev, "b": dev})
    assert len(server.pids()) == 3  # two drivers and upsd
    assert server.command("GET UPSDESC b") == 'UPSDESC b "Test UPS b"'
    assert server.stop() == []
    assert server.pids() == []


def test_nut_ddl_dumps_are_listed() -> None:
    dumps = nut_ddl_dumps()
    if not dumps:
        pytest.skip("../shared/nut-ddl is not beside the repository")
    assert len(dumps) >= 500
    assert all(path.suffix == ".dev" for path in dumps)


async def _keep_reconnecting(port: int, held: list[asyncio.StreamWriter]) -> None:
    """Connect again and again, closing nothing: a status watch whose server goes away."""
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0)
        else:
            held.append(writer)


@pytest.mark.parametrize("kind", ["sim_upsd", "fake_server"])
async def test_test_servers_close_while_a_client_keeps_reconnecting(kind: str) -> None:
    """A server that a persistent client reconnects to right up to its end still closes: it
    stops accepting before it waits for its connections (else wait_closed() waited on the
    connection made meanwhile, for ever: a hung teardown, seen once in a full run)."""
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read()

    server = SimUpsd().serve() if kind == "sim_upsd" else fake_server(silent)
    client: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(10):
            async with server as port:
                client = asyncio.create_task(_keep_reconnecting(port, held))
                while len(held) < 20:
                    await asyncio.sleep(0.001)
    finally:
        if client is not None:
            client.cancel()
            await asyncio.gather(client, return_exceptions=True)
        for writer in held:
            writer.close()


def test_soak_phantom_rule_counts_what_upsd_showed_not_what_was_sent() -> None:
    """The soak's phantom rule, on the 10,000-flip run's case (2026-12-03): a flip's SET took
    0.9 s to show on upsd and a stall past the timeout delayed its state 5.2 s more, 6.1 s
    after it was sent but while upsd still showed it: not a phantom. A state no flip had, is."""
    track = Track("soak4")
    track.flips = [
        Flip("OL", at=90.196, faults_before=0, sent=90.187),
        Flip("OB DISCHRG", at=91.447, faults_before=0, sent=90.516),
        Flip("OL", at=100.000, faults_before=0, sent=91.806),
    ]
    track.states = [(96.663, "on"), (100.059, "off")]
    assert track.phantoms() == []
    track.states.append((107.0, "on"))  # upsd has shown only OL for the last 7 s
    assert track.phantoms() == [2]

"""The real-upsd test harness itself (tests/support/upsd.py), over plain sockets."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import UpsdFactory
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

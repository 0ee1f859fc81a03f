"""The client against servers that misbehave in ways a real upsd cannot (tests/support/fake_nut.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
import socket
import time

import pytest

from custom_components.nut_ups.nut import (
    NUTClient,
    NUTConnection,
    NUTConnectionError,
    NUTError,
    NUTInvalidArgumentError,
    NUTProtocolError,
    NUTResponseError,
    NUTTimeoutError,
    NUTTLSError,
    TLSMode,
)
from custom_components.nut_ups.nut.connection import MAX_LIST_ITEMS
from custom_components.nut_ups.nut.protocol import MAX_LINE
from tests.support.fake_nut import closes_after, fake_server, replies, silent
from tests.support.tls import make_nss_server_cert
from tests.support.upsd import free_port


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def fds_back_to(baseline: int) -> int:
    """Open descriptors once the loop has settled (the fake server's ends close a bit later).

    A leaked client socket never closes, so this still fails on a leak.
    """
    for _ in range(200):
        if open_fds() <= baseline:
            break
        await asyncio.sleep(0.01)
    return open_fds()


async def test_connection_refused() -> None:
    with pytest.raises(NUTConnectionError, match="cannot talk to"):
        await NUTClient("127.0.0.1", free_port()).list_ups()


async def test_stalled_server_times_out_within_deadline() -> None:
    async with fake_server(silent) as port:
        start = time.monotonic()
        with pytest.raises(NUTTimeoutError):
            await NUTClient("127.0.0.1", port, timeout=0.3).list_vars("ups")
        assert time.monotonic() - start < 1.0


async def test_slowloris_cannot_stretch_the_deadline() -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"BEGIN LIST VAR ups\n")
        while True:  # one byte every 50 ms, each line valid, forever
            for byte in b'VAR ups a "1"\n':
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)

    async with fake_server(drip) as port:
        start = time.monotonic()
        with pytest.raises(NUTTimeoutError):
            await NUTClient("127.0.0.1", port, timeout=0.5).list_vars("ups")
        assert time.monotonic() - start < 1.2


async def test_server_closes_mid_list() -> None:
    data = b'BEGIN LIST VAR ups\nVAR ups a "1"\nVAR ups b "'
    async with fake_server(closes_after(data)) as port:
        with pytest.raises(NUTConnectionError, match="closed by the server"):
            await NUTClient("127.0.0.1", port).list_vars("ups")


async def test_http_server_on_the_port() -> None:
    http = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    async with fake_server(closes_after(http)) as port:
        with pytest.raises(NUTProtocolError):
            await NUTClient("127.0.0.1", port).list_vars("ups")
        with pytest.raises(NUTProtocolError):
            await NUTClient("127.0.0.1", port).get_var("ups", "x")


async def test_ssh_banner_on_the_port() -> None:
    async def ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        await reader.read()

    async with fake_server(ssh) as port:
        with pytest.raises(NUTProtocolError):
            await NUTClient("127.0.0.1", port).list_ups()


async def test_one_mebibyte_line() -> None:
    async with fake_server(closes_after(b"BEGIN LIST UPS\n" + b"x" * (1 << 20))) as port:
        with pytest.raises(NUTProtocolError):
            await NUTClient("127.0.0.1", port).list_ups()


async def test_list_of_100000_variables() -> None:
    body = b"".join(b'VAR ups v.%d "%d"\n' % (i, i) for i in range(100_000))
    data = b"BEGIN LIST VAR ups\n" + body + b"END LIST VAR ups\n"
    async with fake_server(replies({b"LIST VAR": data})) as port:
        values = await NUTClient("127.0.0.1", port, timeout=10).list_vars("ups")
    assert len(values) == 100_000
    assert values["v.99999"] == "99999"


async def test_list_over_the_item_cap() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"BEGIN LIST VAR ups\n")
        chunk = b'VAR ups v "1"\n' * 10_000
        for _ in range(MAX_LIST_ITEMS // 10_000 + 2):
            writer.write(chunk)
            await writer.drain()

    async with fake_server(endless) as port:
        with pytest.raises(NUTProtocolError, match="items"):
            await NUTClient("127.0.0.1", port, timeout=20).list_vars("ups")


async def test_non_utf8_bytes_are_decoded() -> None:
    data = b'BEGIN LIST VAR ups\nVAR ups t "25\xb0C"\nVAR ups u "caf\xc3\xa9"\nEND LIST VAR ups\n'
    async with fake_server(replies({b"LIST VAR": data})) as port:
        values = await NUTClient("127.0.0.1", port).list_vars("ups")
    assert values == {"t": "25°C", "u": "café"}


async def test_malformed_item_and_unknown_error() -> None:
    script = {
        b"LIST VAR": b"BEGIN LIST VAR ups\nVAR ups only-two\nEND LIST VAR ups\n",
        b"LIST UPS": b"ERR SOMETHING-NEW extra words\n",
        b"GET VAR": b'VAR ups x "unterminated\n',
        b"GET NUMLOGINS": b"NUMLOGINS ups many\n",
        b"GET UPSDESC": b'UPSDESC ups "a" "b"\n',
        b"SET VAR": b"WHAT\n",
        b"USERNAME": b"NO\n",
    }
    async with fake_server(replies(script)) as port:
        client = NUTClient("127.0.0.1", port)
        with pytest.raises(NUTProtocolError, match="unexpected reply"):
            await client.list_vars("ups")
        with pytest.raises(NUTResponseError) as err:
            await client.list_ups()
        assert type(err.value) is NUTResponseError
        assert (err.value.code, err.value.detail) == ("SOMETHING-NEW", "extra words")
        with pytest.raises(NUTProtocolError, match="unterminated"):
            await client.get_var("ups", "x")
        with pytest.raises(NUTProtocolError, match="not a number"):
            await client.get_num_logins("ups")
        with pytest.raises(NUTProtocolError):
            await client.get_ups_description("ups")
        with pytest.raises(NUTProtocolError):
            await client.set_var("ups", "x", "1")
        with pytest.raises(NUTProtocolError, match="USERNAME"):
            await NUTClient("127.0.0.1", port, username="u").server_version()


async def test_broken_connection_cannot_be_reused() -> None:
    script = replies({b"GET VAR": b"garbage\n", b"VER": b"v\n"})
    async with fake_server(script) as port, NUTClient("127.0.0.1", port).connect() as conn:
        with pytest.raises(NUTProtocolError):
            await conn.get_var("ups", "x")
        with pytest.raises(NUTConnectionError, match="earlier failure"):
            await conn.server_version()


async def test_arguments_are_quoted_and_escaped_on_the_wire() -> None:
    """upsd itself mangles a SET value holding '"' on its way to the driver; check our bytes."""
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            received.append(line)
            writer.write(b"OK\n")

    async with fake_server(record) as port:
        client = NUTClient("127.0.0.1", port, username="me", password='p w="#\\')
        await client.set_var("ups", "ups.id", 'a "b" #c \\ d')
        await client.run_command("ups", "load.off.delay", "10")
    assert received[:4] == [
        b'USERNAME "me"\n',
        b'PASSWORD "p w=\\"\\#\\\\"\n',
        b'SET VAR "ups" "ups.id" "a \\"b\\" \\#c \\\\ d"\n',
        b"LOGOUT\n",
    ]
    assert received[6] == b'INSTCMD "ups" "load.off.delay" "10"\n'


async def test_error_reply_keeps_connection_usable() -> None:
    script = {b"GET VAR": b"ERR VAR-NOT-SUPPORTED\n", b"VER": b"Network UPS Tools upsd 9\n"}
    async with fake_server(replies(script)) as port, NUTClient("127.0.0.1", port).connect() as conn:
        with pytest.raises(NUTResponseError):
            await conn.get_var("ups", "x")
        assert await conn.server_version() == "Network UPS Tools upsd 9"


async def test_connection_not_open() -> None:
    conn = NUTClient("127.0.0.1", 1).connect()
    with pytest.raises(NUTConnectionError, match="not open"):
        await conn.server_version()
    conn.close()  # closing a never-opened connection is harmless


async def test_starttls_unexpected_reply_and_refusal() -> None:
    async with fake_server(replies({b"STARTTLS": b"OK\n"})) as port:
        with pytest.raises(NUTProtocolError):
            await NUTClient("127.0.0.1", port, tls="require").list_ups()  # type: ignore[arg-type]
    async with fake_server(replies({b"STARTTLS": b"ERR ACCESS-DENIED\n"})) as port:
        with pytest.raises(NUTTLSError):
            await NUTClient("127.0.0.1", port, tls="try").list_ups()  # type: ignore[arg-type]


async def test_tls_handshake_failure() -> None:
    """A server that says OK STARTTLS and then sends plain text fails the handshake cleanly."""
    script = {b"STARTTLS": b"OK STARTTLS\n", b"\x16": b"this is not TLS\n" * 10}

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(script[b"STARTTLS"])
        await reader.read(1)
        writer.write(script[b"\x16"])
        await writer.drain()
        await reader.read()

    async with fake_server(handler) as port:
        with pytest.raises(NUTTLSError):
            await NUTClient("127.0.0.1", port, tls="require", timeout=2).list_ups()  # type: ignore[arg-type]


def test_invalid_settings() -> None:
    with pytest.raises(NUTInvalidArgumentError):
        NUTClient("h", 0)
    with pytest.raises(NUTInvalidArgumentError):
        NUTClient("h", timeout=0)
    client = NUTClient("h", username="monitor-user", password="s3cret-pw")
    assert "s3cret-pw" not in repr(client)
    assert "monitor-user" not in repr(client)


async def test_exceptions_in_body_abort_the_socket() -> None:
    async with fake_server(replies({b"VER": b"v\n"})) as port:
        before = open_fds()
        conn = NUTClient("127.0.0.1", port).connect()

        async def fail_inside() -> None:
            async with conn:
                await conn.server_version()
                raise KeyError("boom")

        with pytest.raises(KeyError):
            await fail_inside()
        assert await fds_back_to(before) == before


async def test_no_descriptor_leak_after_1000_failing_operations() -> None:
    """Refusing, stalling and misbehaving servers: the fd count comes back to where it was."""
    closed_port = free_port()
    async with (
        fake_server(silent) as stalling,
        fake_server(closes_after(b"BEGIN LIST VAR ups\nVAR ups")) as closing,
        fake_server(replies({b"LIST": b"garbage\n", b"USERNAME": b"OK\n"})) as garbage,
    ):
        await asyncio.sleep(0)
        before = open_fds()
        targets = [
            NUTClient("127.0.0.1", closed_port),
            NUTClient("127.0.0.1", stalling, timeout=0.01),
            NUTClient("127.0.0.1", closing),
            NUTClient("127.0.0.1", garbage, username="u"),
        ]
        failures = 0
        for i in range(1000):
            try:
                await targets[i % 4].list_vars("ups")
            except NUTError:
                failures += 1
        assert failures == 1000
        assert await fds_back_to(before) == before


async def test_check_credentials_on_odd_replies() -> None:
    async with fake_server(replies({b"SET VAR": b"OK\n"})) as port:
        with pytest.raises(NUTProtocolError, match="does not exist"):
            await NUTClient("127.0.0.1", port).check_credentials("ups")
    async with fake_server(replies({b"SET VAR": b"ERR READONLY\n"})) as port:
        with pytest.raises(NUTResponseError) as err:
            await NUTClient("127.0.0.1", port).check_credentials("ups")
        assert err.value.code == "READONLY"


async def test_line_cut_before_its_value() -> None:
    """A line cut at 512 bytes inside the variable name: the value is empty, the list ends."""
    cut = b"VAR ups " + b"v" * (MAX_LINE - 8)
    data = b"BEGIN LIST VAR ups\n" + cut + b"END LIST VAR ups\n"
    async with fake_server(replies({b"LIST VAR": data})) as port:
        values = await NUTClient("127.0.0.1", port).list_vars("ups")
    assert values == {"v" * (MAX_LINE - 8): ""}


async def test_one_shot_connection_carries_one_command() -> None:
    async with fake_server(replies({b"VER": b"v\n"})) as port:
        client = NUTClient("127.0.0.1", port)
        async with NUTConnection(client.settings, one_shot=True) as conn:
            assert await conn.server_version() == "v"
            with pytest.raises(NUTConnectionError, match="single command"):
                await conn.server_version()


async def test_cancelled_poll_closes_its_socket() -> None:
    """Home Assistant cancels polls on unload: the socket must close, nothing may linger."""
    async with fake_server(silent) as port:
        before = open_fds()
        task = asyncio.create_task(NUTClient("127.0.0.1", port).list_vars("ups"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await fds_back_to(before) == before


async def test_connect_that_never_completes() -> None:
    """A listener whose backlog is full drops SYNs: connect() hangs until the deadline."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):  # fill the accept queue
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        try:
            before = open_fds()
            start = time.monotonic()
            with pytest.raises(NUTTimeoutError):
                await NUTClient("127.0.0.1", port, timeout=0.3).list_ups()
            assert time.monotonic() - start < 1.0
            assert await fds_back_to(before) == before
        finally:
            for filler in fillers:
                filler.close()


async def test_server_closes_after_ok_starttls() -> None:
    async with fake_server(closes_after(b"OK STARTTLS\n")) as port:
        with pytest.raises(NUTConnectionError, match="TLS handshake"):
            await NUTClient("127.0.0.1", port, tls=TLSMode.REQUIRE).list_ups()


@pytest.mark.parametrize("close_notify", [True, False])
async def test_tls_server_closing_mid_list(tmp_path: Path, close_notify: bool) -> None:
    """Over TLS, a server that closes mid-list (with close_notify or without) ends cleanly."""
    ca = make_nss_server_cert(tmp_path)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"OK STARTTLS\n")
        await writer.drain()
        await writer.start_tls(ca.server_context())
        await reader.readline()
        writer.write(b'BEGIN LIST VAR ups\nVAR ups a "1"\n')
        await writer.drain()
        if close_notify:
            writer.close()
        else:  # drop TCP under TLS: no close_notify
            sock = writer.transport.get_extra_info("socket")
            sock.shutdown(socket.SHUT_WR)
            await reader.read()

    async with fake_server(handler) as port:
        client = NUTClient("127.0.0.1", port, tls=TLSMode.REQUIRE, ssl_context=ca.context())
        with pytest.raises(NUTConnectionError, match="closed by the server"):
            await client.list_vars("ups")


async def test_timeout_on_a_long_lived_connection() -> None:
    async with (
        fake_server(silent) as port,
        NUTClient("127.0.0.1", port, timeout=0.2).connect() as conn,
    ):
        with pytest.raises(NUTTimeoutError):
            await conn.list_vars("ups")

"""SET VAR and INSTCMD with NUT's TRACKING: against a real upsd, and servers that differ."""

import asyncio

import pytest

from custom_components.nut_ups.nut import (
    NUTAuthError,
    NUTClient,
    NUTOutcomeUnknownError,
    NUTProtocolError,
    NUTResponseError,
    NUTTimeoutError,
    Outcome,
)
from tests.support.fake_nut import fake_server
from tests.support.upsd import MONITOR_PASSWORD, MONITOR_USER, Upsd


def admin(server: Upsd) -> NUTClient:
    return NUTClient(server.host, server.port, username=server.username, password=server.password)


async def test_set_var_tracked_succeeds_and_takes_effect(upsd: Upsd) -> None:
    client = admin(upsd)
    assert await client.set_var_tracked("test", "ups.delay.shutdown", "45") is Outcome.SUCCESS
    assert await client.get_var("test", "ups.delay.shutdown") == "45"


async def test_command_tracked_succeeds(upsd: Upsd) -> None:
    assert (
        await admin(upsd).run_command_tracked("test", "driver.reload-or-error") is Outcome.SUCCESS
    )


async def test_command_errors_from_a_real_upsd(upsd: Upsd) -> None:
    with pytest.raises(NUTResponseError) as err:
        await admin(upsd).run_command_tracked("test", "beeper.mute")
    assert err.value.code == "CMD-NOT-SUPPORTED"
    monitor = NUTClient(upsd.host, upsd.port, username=MONITOR_USER, password=MONITOR_PASSWORD)
    with pytest.raises(NUTAuthError):
        await monitor.run_command_tracked("test", "load.off")
    with pytest.raises(NUTAuthError):
        await monitor.set_var_tracked("test", "ups.delay.shutdown", "30")


def tracking_server(tracking: bytes | None, states: list[bytes]) -> object:
    """A server whose SET TRACKING answers ``tracking`` (None: unknown command) and whose
    GET TRACKING answers ``states`` in turn (the last one forever)."""
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = 0
        while line := await reader.readline():
            seen.append(line)
            if line.startswith(b"SET TRACKING"):
                writer.write(tracking or b"ERR UNKNOWN-COMMAND\n")
            elif line.startswith((b"USERNAME", b"PASSWORD", b"LOGOUT")):
                writer.write(b"OK\n")
            elif line.startswith((b"INSTCMD", b"SET VAR")):
                writer.write(b"OK TRACKING 1234\n" if tracking else b"OK\n")
            elif line.startswith(b"GET TRACKING"):
                writer.write(states[min(index, len(states) - 1)])
                index += 1
            await writer.drain()

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


@pytest.mark.parametrize(
    ("tracking", "states", "outcome"),
    [
        (b"OK\n", [b"PENDING\n", b"PENDING\n", b"SUCCESS\n"], Outcome.SUCCESS),
        (b"OK\n", [b"FAILURE\n"], Outcome.FAILURE),
        (None, [], Outcome.SENT),
    ],
)
async def test_outcomes(tracking: bytes | None, states: list[bytes], outcome: Outcome) -> None:
    handler = tracking_server(tracking, states)
    async with fake_server(handler) as port:  # type: ignore[arg-type]
        client = NUTClient("127.0.0.1", port, username="u", password="p")
        assert await client.run_command_tracked("ups", "beeper.mute") is outcome
    sent = [line for line in handler.seen if line.startswith(b"INSTCMD")]  # type: ignore[attr-defined]
    assert sent == [b'INSTCMD "ups" "beeper.mute"\n']  # exactly once


async def test_no_outcome_in_time_is_not_a_plain_timeout() -> None:
    """Sent but pending past the deadline: the caller learns it may still take effect."""
    handler = tracking_server(b"OK\n", [b"PENDING\n"])
    async with fake_server(handler) as port:  # type: ignore[arg-type]
        client = NUTClient("127.0.0.1", port, username="u", password="p", timeout=0.5)
        with pytest.raises(NUTOutcomeUnknownError):
            await client.run_command_tracked("ups", "shutdown.return")
    sent = [line for line in handler.seen if line.startswith(b"INSTCMD")]  # type: ignore[attr-defined]
    assert len(sent) == 1


async def test_a_silent_server_is_a_plain_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with fake_server(silent) as port:
        client = NUTClient("127.0.0.1", port, timeout=0.3)
        with pytest.raises(NUTTimeoutError) as err:
            await client.set_var_tracked("ups", "ups.delay.shutdown", "30")
    assert not isinstance(err.value, NUTOutcomeUnknownError)


async def test_a_strange_tracking_state_is_a_protocol_error() -> None:
    handler = tracking_server(b"OK\n", [b"MAYBE\n"])
    async with fake_server(handler) as port:  # type: ignore[arg-type]
        client = NUTClient("127.0.0.1", port)
        with pytest.raises(NUTProtocolError):
            await client.run_command_tracked("ups", "beeper.mute")

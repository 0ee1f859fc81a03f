"""The client against a real upsd running dummy-ups (tests/support/upsd.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
import weakref

import pytest

from custom_components.nut_ups.nut import (
    NUTAuthError,
    NUTClient,
    NUTDataUnavailableError,
    NUTInvalidArgumentError,
    NUTResponseError,
    NUTTLSError,
    NUTUnknownUPSError,
    TLSMode,
)
from tests.conftest import UpsdFactory
from tests.support.upsd import MONITOR_PASSWORD, MONITOR_USER, Upsd, fixture_path


def client_for(server: Upsd, **kwargs: object) -> NUTClient:
    return NUTClient(server.host, server.port, **kwargs)  # type: ignore[arg-type]


def admin_for(server: Upsd) -> NUTClient:
    return client_for(server, username=server.username, password=server.password)


async def test_list_ups_and_vars(upsd: Upsd) -> None:
    client = client_for(upsd)
    assert await client.list_ups() == {"test": "Test UPS test"}
    values = await client.list_vars("test")
    assert values["ups.status"] == "OL"
    assert values["battery.charge"] == "100"
    assert values["device.model"] == "Smart-UPS 1500"
    # `"`, `\` and `#` arrive escaped on the wire and leave the client unescaped.
    assert values["ups.id"] == 'Rack "A" \\ shelf #2'
    assert len(values) >= 40


async def test_a_connection_is_freed_without_the_garbage_collector(upsd: Upsd) -> None:
    """No reference cycle keeps a used connection alive: with the cyclic GC off, dropping the
    last reference frees it (a poll's connection is garbage the GC would otherwise collect)."""
    gc.collect()
    gc.disable()
    try:
        conn = client_for(upsd).connect()
        async with conn:
            assert await conn.get_var("test", "ups.status") == "OL"
        freed = weakref.ref(conn)
        del conn
        assert freed() is None
    finally:
        gc.enable()


async def test_one_connection_many_commands(upsd: Upsd) -> None:
    async with client_for(upsd).connect() as conn:
        assert await conn.get_var("test", "ups.id") == 'Rack "A" \\ shelf #2'
        assert await conn.get_var("test", "battery.runtime") == "3900"
        assert await conn.get_ups_description("test") == "Test UPS test"
        kind, string = await conn.get_type("test", "ups.id")
        assert kind == "RW" and string.startswith("STRING:")
        assert await conn.get_num_logins("test") == 0
        assert (await conn.server_version()).startswith("Network UPS Tools upsd 2.8")
        assert await conn.protocol_version() == "1.3"
        rw = await conn.list_rw("test")
        assert rw["ups.status"] == "OL"
        commands = await conn.list_commands("test")
        assert "driver.reload" in commands
        description = await conn.get_command_description("test", "driver.reload")
        assert "reload" in description.lower()
        assert await conn.get_var_description("test", "battery.charge")
        assert await conn.list_enum("test", "ups.status") == []
        assert await conn.list_range("test", "battery.charge") == []
        assert await conn.list_clients("test") == []


async def test_get_var_missing(upsd: Upsd) -> None:
    with pytest.raises(NUTResponseError) as err:
        await client_for(upsd).get_var("test", "no.such.var")
    assert err.value.code == "VAR-NOT-SUPPORTED"


async def test_unknown_ups(upsd: Upsd) -> None:
    with pytest.raises(NUTUnknownUPSError):
        await client_for(upsd).list_vars("nope")


async def test_set_var_and_instcmd_as_admin(upsd: Upsd) -> None:
    client = admin_for(upsd)
    # upsd forwards SET values to the driver without escaping '"', so keep them out here;
    # test_faults checks the bytes we send for such values.
    await client.set_var("test", "ups.id", "new id 3")
    # OK means upsd passed the SET to the driver; the new value comes back from it a bit later.
    for _ in range(100):
        if (value := await client.get_var("test", "ups.id")) == "new id 3":
            break
        await asyncio.sleep(0.05)
    assert value == "new id 3"
    await client.run_command("test", "driver.reload")
    await client.check_credentials("test")


async def test_access_denied(upsd: Upsd) -> None:
    wrong = client_for(upsd, username=upsd.username, password="wrong")
    with pytest.raises(NUTAuthError) as err:
        await wrong.set_var("test", "ups.id", "x")
    assert err.value.code == "ACCESS-DENIED"
    with pytest.raises(NUTAuthError):
        await wrong.check_credentials("test")
    # A valid user without SET rights (Synology's monuser) is refused the same way.
    with pytest.raises(NUTAuthError):
        await client_for(upsd, username=MONITOR_USER, password=MONITOR_PASSWORD).check_credentials(
            "test"
        )
    # No credentials at all.
    with pytest.raises(NUTAuthError) as err:
        await client_for(upsd).run_command("test", "driver.reload")
    assert err.value.code == "USERNAME-REQUIRED"


async def test_check_credentials_unknown_ups(upsd: Upsd) -> None:
    with pytest.raises(NUTUnknownUPSError):
        await admin_for(upsd).check_credentials("nope")


async def test_refuses_bad_arguments_before_sending(upsd: Upsd) -> None:
    client = client_for(upsd)
    for bad in ("a\nb", "a\rb", "a\0b", "é", "x" * 256):
        with pytest.raises(NUTInvalidArgumentError):
            await client.get_var("test", bad)
    # The connection pool is not poisoned: the next call works.
    assert await client.get_var("test", "ups.status") == "OL"


async def test_long_description_glued_line(upsd_factory: UpsdFactory) -> None:
    """upsd cuts a reply at 512 bytes and glues END LIST onto it: the list must still end."""
    dev = fixture_path("smart-ups.dev")
    server = upsd_factory({"long": dev, "short": dev}, descriptions={"long": "d" * 700})
    client = client_for(server)
    async with client.connect() as conn:
        names = await conn.list_ups()
        assert set(names) == {"long", "short"}
        assert names["long"].startswith("ddd") and len(names["long"]) < 700
        # The next reply on the same connection is intact.
        assert await conn.get_var("short", "ups.status") == "OL"


@pytest.mark.usefixtures("_allow_ipv6_loopback")
async def test_host_name_is_resolved(upsd: Upsd) -> None:
    """'localhost' may resolve to ::1 first; upsd listens on 127.0.0.1 only: the next one works."""
    assert (await NUTClient("localhost", upsd.port).list_ups()) == {"test": "Test UPS test"}


async def test_tls_try_falls_back_without_certificate(upsd: Upsd) -> None:
    client = client_for(upsd, tls=TLSMode.TRY)
    assert (await client.list_vars("test"))["ups.status"] == "OL"


async def test_tls_require_fails_without_certificate(upsd: Upsd) -> None:
    with pytest.raises(NUTTLSError, match="FEATURE-NOT-CONFIGURED"):
        await client_for(upsd, tls=TLSMode.REQUIRE).list_vars("test")


async def test_status_change_seen(upsd: Upsd) -> None:
    client = client_for(upsd)
    await upsd.set_var("ups.status", "OB DISCHRG")
    assert await client.get_var("test", "ups.status") == "OB DISCHRG"


@pytest.mark.slow
async def test_data_stale_when_driver_stops(upsd_factory: UpsdFactory) -> None:
    server = upsd_factory(fixture_path("smart-ups.dev"), maxage=3)
    client = client_for(server)
    driver = server.drivers["test"]
    driver.send_signal(signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 30
        error: NUTDataUnavailableError | None = None
        while error is None:
            try:
                await client.get_var("test", "ups.status")
            except NUTDataUnavailableError as err:
                error = err
            assert time.monotonic() < deadline, "upsd never reported stale data"
            await asyncio.sleep(0.5)
        assert error.code in {"DATA-STALE", "DRIVER-NOT-CONNECTED"}
        # LIST UPS still works while the data is stale.
        assert "test" in await client.list_ups()
    finally:
        driver.send_signal(signal.SIGCONT)


async def test_every_one_shot_twin(upsd: Upsd) -> None:
    """Each connection method has a one-shot twin on the client that gives the same answer."""
    client = client_for(upsd)
    assert (await client.list_rw("test"))["ups.status"] == "OL"
    assert "driver.reload" in await client.list_commands("test")
    assert await client.list_enum("test", "ups.status") == []
    assert await client.list_range("test", "battery.charge") == []
    assert await client.list_clients("test") == []
    assert await client.get_ups_description("test") == "Test UPS test"
    assert await client.get_var_description("test", "battery.charge")
    assert await client.get_command_description("test", "driver.reload")
    assert (await client.get_type("test", "ups.status"))[0] == "RW"
    assert await client.get_num_logins("test") == 0
    assert (await client.server_version()).startswith("Network UPS Tools")
    assert await client.protocol_version() == "1.3"


async def test_debug_log_shows_requests_and_replies_without_credentials(
    upsd: Upsd, caplog: pytest.LogCaptureFixture
) -> None:
    """ "Enable debug logging" shows the conversation; credentials are hidden."""
    caplog.set_level(logging.DEBUG, logger="custom_components.nut_ups.nut")
    client = admin_for(upsd)
    await client.check_credentials("test")
    await client.list_vars("test")
    text = caplog.text
    assert f"127.0.0.1:{upsd.port} <- USERNAME *** | PASSWORD ***" in text
    assert 'SET VAR "test" "nut_ups.credential.probe" "0" | LOGOUT' in text
    assert "-> ERR VAR-NOT-SUPPORTED" in text
    assert 'LIST VAR "test"' in text and "END LIST VAR" in text and "items" in text
    assert upsd.password not in text and upsd.username not in text

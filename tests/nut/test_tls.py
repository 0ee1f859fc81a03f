"""STARTTLS against a real upsd that has a certificate (Debian's upsd: an NSS database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.nut_ups.nut import NUTClient, NUTTLSError, TLSMode
from tests.conftest import UpsdFactory
from tests.support.tls import ThrowawayCA, make_nss_server_cert
from tests.support.upsd import Upsd, fixture_path


@pytest.fixture
def tls_upsd(upsd_factory: UpsdFactory, tmp_path: Path) -> tuple[Upsd, ThrowawayCA]:
    ca = make_nss_server_cert(tmp_path / "tls")
    return upsd_factory(fixture_path("smart-ups.dev"), extra_conf=ca.upsd_conf), ca


async def test_require_verifies_and_encrypts(tls_upsd: tuple[Upsd, ThrowawayCA]) -> None:
    server, ca = tls_upsd
    client = NUTClient(
        server.host,
        server.port,
        username=server.username,
        password=server.password,
        tls=TLSMode.REQUIRE,
        ssl_context=ca.context(),
    )
    async with client.connect() as conn:
        assert conn.tls_version in {"TLSv1.2", "TLSv1.3"}
        assert (await conn.list_vars("test"))["ups.id"] == 'Rack "A" \\ shelf #2'
        await conn.check_credentials("test")  # credentials travel inside TLS
    assert (await client.get_var("test", "ups.status")) == "OL"


async def test_try_uses_tls_when_offered(tls_upsd: tuple[Upsd, ThrowawayCA]) -> None:
    server, ca = tls_upsd
    client = NUTClient(server.host, server.port, tls=TLSMode.TRY, ssl_context=ca.context())
    async with client.connect() as conn:
        assert conn.tls_version is not None
        assert await conn.get_var("test", "battery.charge") == "100"


async def test_plain_connection_reports_no_tls(tls_upsd: tuple[Upsd, ThrowawayCA]) -> None:
    server, _ = tls_upsd
    async with NUTClient(server.host, server.port).connect() as conn:
        assert conn.tls_version is None
        assert await conn.get_var("test", "ups.status") == "OL"


async def test_require_fails_on_unknown_ca(tls_upsd: tuple[Upsd, ThrowawayCA]) -> None:
    server, _ = tls_upsd
    with pytest.raises(NUTTLSError, match="CERTIFICATE_VERIFY_FAILED"):
        await NUTClient(server.host, server.port, tls=TLSMode.REQUIRE).list_vars("test")


@pytest.mark.usefixtures("_allow_ipv6_loopback")
async def test_require_fails_on_wrong_host_name(tls_upsd: tuple[Upsd, ThrowawayCA]) -> None:
    """The certificate names 127.0.0.1 only; reached as 'localhost' it must be refused."""
    server, ca = tls_upsd
    client = NUTClient("localhost", server.port, tls=TLSMode.REQUIRE, ssl_context=ca.context())
    with pytest.raises(NUTTLSError, match="localhost"):
        await client.list_vars("test")

"""STARTTLS in the user step, reconfigure, reauth and options, against a real upsd with an NSS
certificate (tests/support/tls.py), and the polling client that follows the entry's setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nut_ups import config_flow
from custom_components.nut_ups.connect import TlsSetting, async_ssl_context, client_for
from custom_components.nut_ups.const import (
    CONF_CA_FILE,
    CONF_ENCRYPTION,
    CONF_TLS,
    CONF_UPS,
    DOMAIN,
)
from custom_components.nut_ups.nut import NUTInvalidArgumentError, TLSMode
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server
from tests.support.ha import SAVED_OPTIONS, setup_entry, state
from tests.support.tls import ThrowawayCA, make_nss_server_cert
from tests.support.upsd import Upsd, fixture_path

HOST = "127.0.0.1"


@pytest.fixture
def tls_upsd(upsd_factory: UpsdFactory, tmp_path: Path) -> tuple[Upsd, ThrowawayCA]:
    """A real upsd with a certificate for 127.0.0.1 signed by a throwaway CA."""
    ca = make_nss_server_cert(tmp_path / "tls")
    return upsd_factory(fixture_path("smart-ups.dev"), extra_conf=ca.upsd_conf), ca


def encryption(setting: TlsSetting, ca_file: str | None = None) -> dict[str, Any]:
    """The form's encryption section as the frontend sends it."""
    values: dict[str, Any] = {CONF_TLS: setting.value}
    if ca_file is not None:
        values[CONF_CA_FILE] = ca_file
    return {CONF_ENCRYPTION: values}


def form_section(result: Any) -> Any:
    """The encryption section of a form result."""
    schema = result["data_schema"]
    assert schema is not None
    return schema.schema[CONF_ENCRYPTION]


def polling_tls(entry: MockConfigEntry) -> TLSMode:
    """The STARTTLS mode of the entry's (current) polling client."""
    mode: TLSMode = entry.runtime_data.client.tls
    return mode


async def submit(hass: HomeAssistant, port: int, **fields: Any) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: port, **fields}
    )
    return dict(result)


async def test_user_step_shows_encryption_collapsed_and_off(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    section = form_section(result)
    assert section.options == {"collapsed": True}
    assert section({}) == {CONF_TLS: "off"}
    options = section.schema.schema[CONF_TLS].config["options"]
    assert options == ["off", "verify", "no_verify"]


async def test_verify_with_a_ca_file_then_poll_over_tls(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA]
) -> None:
    server, ca = tls_upsd
    result = await submit(
        hass,
        server.port,
        **{CONF_USERNAME: server.username, CONF_PASSWORD: server.password},
        **encryption(TlsSetting.VERIFY, f"  {ca.ca_pem}  "),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_HOST: HOST,
        CONF_PORT: server.port,
        CONF_UPS: "test",
        CONF_USERNAME: server.username,
        CONF_PASSWORD: server.password,
        CONF_TLS: "verify",
        CONF_CA_FILE: str(ca.ca_pem),
    }
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    client = entry.runtime_data.client
    assert client.tls is TLSMode.REQUIRE and client.settings.ssl_context is not None
    async with client.connect() as conn:  # the polling client's own settings: TLS 1.2+
        assert conn.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    # Further clients of the entry (commands) reuse the context its setup made.
    commands = client_for(entry.data, credentials=True)
    assert commands.settings.ssl_context is client.settings.ssl_context
    await commands.check_credentials("test")


async def test_verify_against_the_system_cas_refuses_a_private_ca(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA]
) -> None:
    server, _ = tls_upsd
    result = await submit(hass, server.port, **encryption(TlsSetting.VERIFY))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tls_untrusted"}
    # upsd sends its CA along: OpenSSL names the untrusted root.
    assert "self-signed certificate" in result["description_placeholders"]["error"]


async def test_without_verification_for_a_self_signed_server(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA]
) -> None:
    server, _ = tls_upsd
    result = await submit(
        hass, server.port, **encryption(TlsSetting.NO_VERIFY, "/ignored/without/verification")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TLS] == "no_verify"
    assert CONF_CA_FILE not in result["data"]
    await hass.async_block_till_done()
    assert state(hass, result["result"], "sensor", "battery_charge").state == "100"


@pytest.mark.parametrize("setting", [TlsSetting.VERIFY, TlsSetting.NO_VERIFY])
async def test_required_tls_on_a_server_without_it_is_an_error(
    hass: HomeAssistant, upsd: Upsd, setting: TlsSetting
) -> None:
    """A real upsd without a certificate answers ERR FEATURE-NOT-CONFIGURED: no downgrade."""
    result = await submit(hass, upsd.port, **encryption(setting))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tls_not_offered"}


async def test_refused_starttls_sends_nothing_else(hass: HomeAssistant) -> None:
    """After the refusal nothing follows in plain text: no LIST UPS, no credentials."""
    requests: list[bytes] = []

    async def refusing(reader: Any, writer: Any) -> None:
        while line := await reader.readline():
            requests.append(line)
            if line.startswith(b"STARTTLS"):
                writer.write(b"ERR FEATURE-NOT-SUPPORTED\n")
            elif line.startswith(b"LIST UPS"):
                writer.write(b'BEGIN LIST UPS\nUPS ups "x"\nEND LIST UPS\n')
            await writer.drain()

    async with fake_server(refusing) as port:
        result = await submit(
            hass,
            port,
            **{CONF_USERNAME: "u", CONF_PASSWORD: "secret-7731"},
            **encryption(TlsSetting.NO_VERIFY),
        )
    assert result["errors"] == {"base": "tls_not_offered"}
    assert requests and all(line == b"STARTTLS\n" for line in requests)


async def test_a_server_that_breaks_the_handshake(hass: HomeAssistant) -> None:
    async def garbage(reader: Any, writer: Any) -> None:
        await reader.readline()
        writer.write(b"OK STARTTLS\n")
        await writer.drain()
        await reader.read(1)  # the ClientHello
        writer.write(b"this is not TLS at all\n" * 8)
        await writer.drain()
        await reader.read()

    async with fake_server(garbage) as port:
        result = await submit(hass, port, **encryption(TlsSetting.NO_VERIFY))
    assert result["errors"] == {"base": "tls_failed"}
    assert result["description_placeholders"]["error"]


@pytest.mark.parametrize("content", [None, b"not a certificate\n"])
async def test_unusable_ca_file(
    hass: HomeAssistant, upsd: Upsd, tmp_path: Path, content: bytes | None
) -> None:
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_bytes(content)
    result = await submit(hass, upsd.port, **encryption(TlsSetting.VERIFY, str(ca_file)))
    assert result["errors"] == {"base": "invalid_ca_file"}
    assert result["description_placeholders"]["error"]


async def test_a_relative_ca_file_is_read_from_the_config_folder(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA], tmp_path: Path
) -> None:
    server, ca = tls_upsd
    config = tmp_path / "config"
    (config / "certs").mkdir(parents=True)
    (config / "certs" / "nut-ca.pem").write_bytes(ca.ca_pem.read_bytes())
    hass.config.config_dir = str(config)
    result = await submit(hass, server.port, **encryption(TlsSetting.VERIFY, "certs/nut-ca.pem"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_CA_FILE] == "certs/nut-ca.pem"


async def test_errors_keep_what_was_entered(hass: HomeAssistant, upsd: Upsd) -> None:
    result = await submit(hass, upsd.port, **encryption(TlsSetting.VERIFY, "/no/such/ca.pem"))
    section = form_section(result)
    assert section.options == {"collapsed": False}
    assert section({}) == {CONF_TLS: "verify"}
    ca_marker = next(m for m in section.schema.schema if m == CONF_CA_FILE)
    assert ca_marker.description == {"suggested_value": "/no/such/ca.pem"}


async def test_reconfigure_turns_tls_on(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA]
) -> None:
    server, ca = tls_upsd
    entry = await setup_entry(hass, server)
    assert polling_tls(entry) is TLSMode.OFF
    result = await entry.start_reconfigure_flow(hass)
    assert form_section(result).options == {"collapsed": True}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: HOST, CONF_PORT: server.port, **encryption(TlsSetting.VERIFY, "/nope.pem")},
    )
    assert result["errors"] == {"base": "invalid_ca_file"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: HOST,
            CONF_PORT: server.port,
            **encryption(TlsSetting.VERIFY, str(ca.ca_pem)),
        },
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_TLS] == "verify" and entry.data[CONF_CA_FILE] == str(ca.ca_pem)
    assert polling_tls(entry) is TLSMode.REQUIRE
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    # Shown again, the section is open and holds the setting.
    result = await entry.start_reconfigure_flow(hass)
    section = form_section(result)
    assert section.options == {"collapsed": False} and section({}) == {CONF_TLS: "verify"}


async def test_reauth_checks_credentials_over_tls(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA]
) -> None:
    server, _ = tls_upsd
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"test@{HOST}",
        unique_id=f"{HOST}:{server.port}/test",
        data={CONF_HOST: HOST, CONF_PORT: server.port, CONF_UPS: "test", CONF_TLS: "no_verify"},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: server.username, CONF_PASSWORD: server.password}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reauth_successful"
    assert entry.data[CONF_TLS] == "no_verify"
    assert entry.data[CONF_PASSWORD] == server.password
    # The reauth reloads the entry in a task of its own: let it finish, then unload, so no
    # setup is cut short (and no history write left pending) when the test's hass stops.
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def options(hass: HomeAssistant, entry: MockConfigEntry, **fields: Any) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"status_interval": 0.4, "scan_interval": 30, **fields}
    )
    return dict(result)


async def test_options_turn_tls_on_and_reload(
    hass: HomeAssistant, tls_upsd: tuple[Upsd, ThrowawayCA]
) -> None:
    server, ca = tls_upsd
    saved = SAVED_OPTIONS
    entry = await setup_entry(hass, server, **saved)
    result = await options(hass, entry, **encryption(TlsSetting.VERIFY, str(ca.ca_pem)))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == saved  # unchanged…
    assert entry.data[CONF_TLS] == "verify"
    assert polling_tls(entry) is TLSMode.REQUIRE  # …and reloaded all the same
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    # Back off: plain text again, nothing left of the CA file.
    result = await options(hass, entry, **encryption(TlsSetting.OFF, str(ca.ca_pem)))
    await hass.async_block_till_done()
    assert CONF_TLS not in entry.data and CONF_CA_FILE not in entry.data
    assert polling_tls(entry) is TLSMode.OFF


async def test_options_refuse_tls_the_server_does_not_offer(
    hass: HomeAssistant, upsd: Upsd
) -> None:
    entry = await setup_entry(hass, upsd)
    result = await options(hass, entry, **encryption(TlsSetting.NO_VERIFY))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tls_not_offered"}
    assert CONF_TLS not in entry.data
    section = form_section(result)
    assert section({}) == {CONF_TLS: "no_verify"}  # what was entered stays in the form


async def test_options_unexpected_error_is_shown_not_a_500(
    hass: HomeAssistant,
    upsd: Upsd,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No server produces an unforeseen bug on demand: the one place a patch stands in."""
    entry = await setup_entry(hass, upsd)

    async def broken(*args: Any) -> dict[str, str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(config_flow, "fetch_ups_list", broken)
    result = await options(hass, entry, **encryption(TlsSetting.NO_VERIFY))
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "unknown"}
    assert caplog.text.count("Traceback") == 1


async def test_setup_with_an_unreadable_ca_file_is_an_error(
    hass: HomeAssistant, upsd: Upsd, tmp_path: Path
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"test@{HOST}",
        unique_id=f"{HOST}:{upsd.port}/test",
        data={
            CONF_HOST: HOST,
            CONF_PORT: upsd.port,
            CONF_UPS: "test",
            CONF_TLS: "verify",
            CONF_CA_FILE: str(tmp_path / "gone.pem"),
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None and "gone.pem" in entry.reason


async def test_client_for_needs_a_context_made_first(hass: HomeAssistant, tmp_path: Path) -> None:
    data = {
        CONF_HOST: HOST,
        CONF_PORT: 3493,
        CONF_TLS: "verify",
        CONF_CA_FILE: str(tmp_path / "never-prepared.pem"),
    }
    with pytest.raises(NUTInvalidArgumentError):
        client_for(data, credentials=False)
    assert await async_ssl_context(hass, {CONF_TLS: "off"}) is None
    insecure = client_for({**data, CONF_TLS: "no_verify"}, credentials=False)
    assert insecure.tls is TLSMode.REQUIRE and insecure.settings.ssl_context is not None
    plain = client_for({CONF_HOST: HOST, CONF_PORT: 3493}, credentials=False)
    assert plain.tls is TLSMode.OFF and plain.settings.ssl_context is None

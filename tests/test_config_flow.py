"""The config flow against real upsd instances, and socket servers for what upsd cannot do."""

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest

from custom_components.nut_ups import config_flow
from custom_components.nut_ups.const import CONF_UPS, DOMAIN
from custom_components.nut_ups.nut import NUTInvalidArgumentError
from custom_components.nut_ups.nut.protocol import encode_request
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server, replies, silent
from tests.support.ha import SAVED_OPTIONS, entity_id, setup_entry, state
from tests.support.upsd import MONITOR_PASSWORD, MONITOR_USER, Upsd, fixture_path, free_port

HOST = "127.0.0.1"


def placeholders(result: Any) -> dict[str, str]:
    found = result["description_placeholders"]
    assert found is not None
    return dict(found)


async def start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "user"
    assert result["errors"] == {}
    return str(result["flow_id"])


async def submit(hass: HomeAssistant, port: int, **fields: Any) -> dict[str, Any]:
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: port, **fields}
    )
    return dict(result)


@pytest.fixture
def two_ups(upsd_factory: UpsdFactory) -> Upsd:
    dev = fixture_path("smart-ups.dev")
    return upsd_factory({"rack": dev, "desk": dev}, descriptions={"rack": "Rack UPS", "desk": ""})


async def test_single_ups_is_picked(hass: HomeAssistant, upsd: Upsd) -> None:
    result = await submit(hass, upsd.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "test@127.0.0.1"
    assert result["data"] == {CONF_HOST: HOST, CONF_PORT: upsd.port, CONF_UPS: "test"}
    assert result["result"].unique_id == f"127.0.0.1:{upsd.port}/test"
    await hass.async_block_till_done()
    assert hass.states.get("sensor.test_battery_charge") is not None


async def test_named_ups_any_case_with_credentials(hass: HomeAssistant, upsd: Upsd) -> None:
    result = await submit(
        hass,
        upsd.port,
        **{CONF_UPS: " TEST ", CONF_USERNAME: upsd.username, CONF_PASSWORD: upsd.password},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_UPS] == "test"  # the server's spelling
    assert result["data"][CONF_PASSWORD] == upsd.password


async def test_several_ups_pick_step(hass: HomeAssistant, two_ups: Upsd) -> None:
    result = await submit(hass, two_ups.port)
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_ups"
    options = result["data_schema"].schema[CONF_UPS].config["options"]
    assert {o["value"]: o["label"] for o in options} == {"rack": "rack — Rack UPS", "desk": "desk"}
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_UPS: "desk"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "desk@127.0.0.1"


async def test_pick_step_checks_credentials(hass: HomeAssistant, two_ups: Upsd) -> None:
    result = await submit(hass, two_ups.port, **{CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"})
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_UPS: "rack"})
    )
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "invalid_auth"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"}, {"base": "invalid_auth"}),
        ({CONF_USERNAME: MONITOR_USER, CONF_PASSWORD: MONITOR_PASSWORD}, {"base": "invalid_auth"}),
        ({CONF_PASSWORD: "only a password"}, {"base": "invalid_auth"}),
        ({CONF_UPS: "nope"}, {CONF_UPS: "unknown_ups"}),
        ({CONF_UPS: "two words"}, {CONF_UPS: "unknown_ups"}),
        ({CONF_UPS: "ünï"}, {CONF_UPS: "invalid_ups_name"}),
    ],
)
async def test_errors_from_a_real_upsd(
    hass: HomeAssistant, upsd: Upsd, fields: dict[str, str], error: dict[str, str]
) -> None:
    result = await submit(hass, upsd.port, **fields)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    if error.get(CONF_UPS) == "unknown_ups":
        assert result["description_placeholders"]["available"] == "test"


async def test_cannot_connect_then_recover(hass: HomeAssistant, upsd: Upsd) -> None:
    flow_id = await start(hass)
    closed = free_port()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: closed}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert str(closed) in placeholders(result)["error"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, CONF_PORT: upsd.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_already_configured(hass: HomeAssistant, upsd: Upsd) -> None:
    await setup_entry(hass, upsd)
    result = await submit(hass, upsd.port)
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ({b"LIST UPS": b"BEGIN LIST UPS\nEND LIST UPS\n"}, "no_ups"),
        ({b"LIST UPS": b"HTTP/1.1 400 Bad Request\r\n\r\n"}, "invalid_response"),
        ({b"LIST UPS": b"ERR ACCESS-DENIED\n"}, "invalid_auth"),
        ({b"LIST UPS": b"ERR UNKNOWN-COMMAND\n"}, "cannot_connect"),
    ],
)
async def test_errors_only_a_fake_server_gives(
    hass: HomeAssistant, script: dict[bytes, bytes], error: str
) -> None:
    async with fake_server(replies(script)) as port:
        result = await submit(hass, port)
    assert result["errors"] == {"base": error}


LIST_ONE = b'BEGIN LIST UPS\nUPS ups "x"\nEND LIST UPS\n'


@pytest.mark.parametrize(
    ("set_reply", "error"),
    [
        (b"ERR UNKNOWN-UPS\n", {"base": "ups_gone"}),
        (b"ERR SOMETHING-ELSE\n", {"base": "cannot_connect"}),
        (None, {"base": "timeout"}),
    ],
)
async def test_credential_check_failures(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    set_reply: bytes | None,
    error: dict[str, str],
) -> None:
    monkeypatch.setattr(config_flow, "CLIENT_TIMEOUT", 0.3)
    script = {b"LIST UPS": LIST_ONE, b"USERNAME": b"OK\n", b"PASSWORD": b"OK\n"}
    if set_reply is not None:
        script[b"SET VAR"] = set_reply
    async with fake_server(replies(script)) as port:
        result = await submit(hass, port, **{CONF_USERNAME: "u", CONF_PASSWORD: "p"})
    assert result["errors"] == error


async def test_timeout(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_flow, "CLIENT_TIMEOUT", 0.3)
    async with fake_server(silent) as port:
        result = await submit(hass, port)
    assert result["errors"] == {"base": "timeout"}


async def test_reauth(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: upsd.username, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: upsd.username, CONF_PASSWORD: upsd.password}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == upsd.password


async def test_reauth_left_empty_monitors_without_credentials(
    hass: HomeAssistant, upsd: Upsd
) -> None:
    entry = await setup_entry(hass, upsd, credentials=(upsd.username, "old"))
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: " ", CONF_PASSWORD: ""}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reauth_successful"
    assert CONF_USERNAME not in entry.data and CONF_PASSWORD not in entry.data


async def test_reconfigure_keeps_entities(hass: HomeAssistant, upsd_factory: UpsdFactory) -> None:
    """A new address (upsd moved): same entry, same entity IDs and unique IDs."""
    dev = fixture_path("smart-ups.dev")
    old = upsd_factory(dev)
    entry = await setup_entry(hass, old)
    entry_id = entity_id(hass, entry, "sensor", "battery_charge")
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_USERNAME: old.username, CONF_PASSWORD: old.password}
    )
    new = upsd_factory(dev)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: HOST, CONF_PORT: new.port, CONF_UPS: "test", CONF_USERNAME: old.username},
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_PORT] == new.port
    assert entry.data[CONF_PASSWORD] == old.password  # left empty: kept
    assert entry.unique_id == f"127.0.0.1:{new.port}/test"
    assert entity_id(hass, entry, "sensor", "battery_charge") == entry_id
    assert state(hass, entry, "sensor", "battery_charge").state == "100"


async def test_reconfigure_errors_and_duplicates(hass: HomeAssistant, two_ups: Upsd) -> None:
    rack = await setup_entry(hass, two_ups, "rack")
    await setup_entry(hass, two_ups, "desk")
    result = await rack.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: free_port()}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: two_ups.port, CONF_UPS: "gone"}
    )
    assert result["errors"] == {CONF_UPS: "unknown_ups"}
    assert placeholders(result)["available"] == "rack, desk"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: HOST, CONF_PORT: two_ups.port, CONF_UPS: "bäd", CONF_USERNAME: " "},
    )
    assert result["errors"] == {CONF_UPS: "invalid_ups_name"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: two_ups.port, CONF_UPS: "desk"}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("field", "secret"),
    [
        (CONF_PASSWORD, "pässwörd-7731"),
        (CONF_PASSWORD, "line\nbreak-7731"),
        (CONF_USERNAME, "admïn-7731"),
        (CONF_USERNAME, "tab\tuser-7731"),
    ],
)
async def test_credentials_the_protocol_cannot_carry(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, field: str, secret: str
) -> None:
    """Refused before anything is sent, with their own error, and never echoed anywhere."""
    connections = 0

    async def counting(reader: Any, writer: Any) -> None:
        nonlocal connections
        connections += 1
        await replies({b"LIST UPS": LIST_ONE})(reader, writer)

    other = CONF_USERNAME if field == CONF_PASSWORD else CONF_PASSWORD
    async with fake_server(counting) as port:
        result = await submit(hass, port, **{field: secret, other: "plain"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "invalid_credential_text"}
    assert connections == 0
    shown = repr(result) + caplog.text
    assert "7731" not in shown


def test_client_errors_never_echo_an_argument() -> None:
    """The client's own refusal of an argument does not carry the argument (a password)."""
    with pytest.raises(NUTInvalidArgumentError) as err:
        encode_request("PASSWORD", ["sécret-7731"])
    assert "7731" not in str(err.value)


async def test_a_listed_name_with_a_space_is_carried(hass: HomeAssistant) -> None:
    """One rule everywhere: what upsd lists can be polled, quoted on the wire."""
    requests: list[bytes] = []
    script = {
        b"LIST UPS": b'BEGIN LIST UPS\nUPS "a b" "Rack"\nEND LIST UPS\n',
        b'LIST VAR "a b"': (
            b'BEGIN LIST VAR "a b"\nVAR "a b" ups.status "OL"\n'
            b'VAR "a b" battery.charge "97"\nEND LIST VAR "a b"\n'
        ),
    }

    async def recording(reader: Any, writer: Any) -> None:
        while line := await reader.readline():
            requests.append(line)
            for prefix, answer in script.items():
                if line.startswith(prefix):
                    writer.write(answer)
                    await writer.drain()
                    break

    async with fake_server(recording) as port:
        result = await submit(hass, port)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_UPS] == "a b"
        await hass.async_block_till_done()
        assert hass.states.get("sensor.a_b_battery_charge").state == "97"  # type: ignore[union-attr]
        typed = await submit(hass, port, **{CONF_UPS: "A B"})
        assert typed["type"] is FlowResultType.ABORT
        assert typed["reason"] == "already_configured"
        await hass.config_entries.async_unload(result["result"].entry_id)
    assert b'LIST VAR "a b"\n' in requests


async def test_a_listed_name_the_protocol_cannot_carry(hass: HomeAssistant) -> None:
    script = {b"LIST UPS": 'BEGIN LIST UPS\nUPS "ünï" "x"\nEND LIST UPS\n'.encode()}
    async with fake_server(replies(script)) as port:
        listed = await submit(hass, port)
        typed = await submit(hass, port, **{CONF_UPS: "ünï"})
    assert listed["errors"] == {CONF_UPS: "invalid_ups_name"}
    assert typed["errors"] == {CONF_UPS: "invalid_ups_name"}


async def test_pick_list_leaves_out_added_ups(hass: HomeAssistant, two_ups: Upsd) -> None:
    await setup_entry(hass, two_ups, "rack")
    result = await submit(hass, two_ups.port)
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_ups"
    options = result["data_schema"].schema[CONF_UPS].config["options"]
    assert [o["value"] for o in options] == ["desk"]
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_UPS: "desk"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    result = await submit(hass, two_ups.port)
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "all_configured"


async def test_pick_step_refuses_a_name_not_offered(hass: HomeAssistant, two_ups: Upsd) -> None:
    result = await submit(hass, two_ups.port)
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_UPS: "other"})


async def test_unexpected_error_is_shown_not_a_500(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No server produces an unforeseen bug on demand: the one place a patch stands in."""

    async def broken(*args: Any) -> dict[str, str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(config_flow, "fetch_ups_list", broken)
    result = await submit(hass, free_port())
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "unknown"}
    assert caplog.text.count("Traceback") == 1


async def test_options_keep_what_was_entered(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"status_interval": 2.5, "scan_interval": 30.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {**SAVED_OPTIONS, "status_interval": 2.5, "scan_interval": 30}
    assert entry.runtime_data.status_interval == 2.5


def test_match_ups_refuses_a_name_the_protocol_cannot_carry() -> None:
    """The forms check names before connecting; match_ups keeps the rule for every caller."""
    with pytest.raises(config_flow.FlowError) as err:
        config_flow.match_ups("ünï", {"ünï": ""})
    assert (err.value.error, err.value.field) == ("invalid_ups_name", CONF_UPS)

"""Zeroconf discovery (``_nut._tcp.local.``) against real upsd instances.

What NUT's Avahi service file (scripts/avahi/nut.service.in) announces: instance name = the host
name (``%h``), type ``_nut._tcp``, upsd's port, no TXT records. Home Assistant resolves it into
the ZeroconfServiceInfo built by :func:`announcement`.
"""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nut_ups.const import (
    CONF_CA_FILE,
    CONF_ENCRYPTION,
    CONF_TLS,
    CONF_UPS,
    CONF_ZEROCONF_HOSTNAME,
    DOMAIN,
)
from tests.conftest import UpsdFactory
from tests.support.fake_nut import fake_server, replies
from tests.support.ha import setup_entry, state
from tests.support.tls import make_nss_server_cert
from tests.support.upsd import Upsd, fixture_path, free_port

HOST = "127.0.0.1"
MDNS_HOST = "nas.local"
TYPE = "_nut._tcp.local."


def announcement(
    port: int, *, hostname: str = "NAS.local.", addresses: tuple[str, ...] = (HOST,)
) -> ZeroconfServiceInfo:
    """What Home Assistant's zeroconf hands the flow for NUT's Avahi service on ``hostname``."""
    ips = [ip_address(address) for address in addresses]
    return ZeroconfServiceInfo(
        ip_address=ips[0],
        ip_addresses=ips,
        port=port,
        hostname=hostname,
        type=TYPE,
        name=f"{hostname.split('.', maxsplit=1)[0]}.{TYPE}",
        properties={},
    )


async def discover(hass: HomeAssistant, info: ZeroconfServiceInfo) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    return dict(result)


def offered(result: dict[str, Any]) -> dict[str, str]:
    """The UPS choices of the confirmation form: value → label."""
    schema = result["data_schema"]
    assert schema is not None
    options = schema.schema[CONF_UPS].config["options"]
    return {option["value"]: option["label"] for option in options}


def stored(
    hass: HomeAssistant, port: int, ups: str, host: str = HOST, **data: Any
) -> MockConfigEntry:
    """An entry added earlier and not set up (its server is elsewhere, or not started)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{ups}@{host}",
        unique_id=f"{host}:{port}/{ups}",
        data={CONF_HOST: host, CONF_PORT: port, CONF_UPS: ups, **data},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def two_ups(upsd_factory: UpsdFactory) -> Upsd:
    dev = fixture_path("smart-ups.dev")
    return upsd_factory({"rack": dev, "desk": dev}, descriptions={"rack": "Rack UPS", "desk": ""})


async def test_discovered_server_offers_its_ups_in_a_confirmation(
    hass: HomeAssistant, two_ups: Upsd
) -> None:
    result = await discover(hass, announcement(two_ups.port))
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "zeroconf_confirm"
    assert offered(result) == {"rack": "rack — Rack UPS", "desk": "desk"}
    assert result["description_placeholders"] == {
        "name": "NAS",
        "host": HOST,
        "port": str(two_ups.port),
        "available": "",
        "error": "",
    }
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["title_placeholders"] for flow in flows] == [
        {"name": "NAS", "host": HOST}
    ]
    assert flows[0]["context"]["unique_id"] == f"{MDNS_HOST}:{two_ups.port}"

    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_UPS: "desk"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "desk@127.0.0.1"
    assert result["data"] == {
        CONF_HOST: HOST,
        CONF_PORT: two_ups.port,
        CONF_UPS: "desk",
        CONF_ZEROCONF_HOSTNAME: MDNS_HOST,
    }
    assert result["result"].unique_id == f"127.0.0.1:{two_ups.port}/desk"
    await hass.async_block_till_done()
    assert state(hass, result["result"], "sensor", "battery_charge").state == "100"

    # Announced again: only the UPS not added yet.
    again = await discover(hass, announcement(two_ups.port))
    assert offered(again) == {"rack": "rack — Rack UPS"}


async def test_confirmation_with_credentials_and_tls(
    hass: HomeAssistant, upsd_factory: UpsdFactory, tmp_path: Path
) -> None:
    ca = make_nss_server_cert(tmp_path / "tls")
    server = upsd_factory(fixture_path("smart-ups.dev"), extra_conf=ca.upsd_conf)
    result = await discover(hass, announcement(server.port))
    assert result["step_id"] == "zeroconf_confirm"
    form = {
        CONF_UPS: "test",
        CONF_USERNAME: server.username,
        CONF_PASSWORD: server.password,
        CONF_ENCRYPTION: {CONF_TLS: "verify", CONF_CA_FILE: "/no/such/ca.pem"},
    }
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], form))
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "invalid_ca_file"}
    form[CONF_ENCRYPTION] = {CONF_TLS: "verify", CONF_CA_FILE: str(ca.ca_pem)}
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], form))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TLS] == "verify"
    assert result["data"][CONF_ZEROCONF_HOSTNAME] == MDNS_HOST
    assert result["data"][CONF_USERNAME] == server.username
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_tls_the_server_does_not_offer_is_refused_in_the_confirmation(
    hass: HomeAssistant, upsd: Upsd
) -> None:
    result = await discover(hass, announcement(upsd.port))
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_UPS: "test", CONF_ENCRYPTION: {CONF_TLS: "no_verify"}}
        )
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tls_not_offered"}


async def test_an_entry_at_an_announced_address_learns_the_host_name(
    hass: HomeAssistant, two_ups: Upsd
) -> None:
    rack = await setup_entry(hass, two_ups, "rack")
    assert CONF_ZEROCONF_HOSTNAME not in rack.data
    result = await discover(hass, announcement(two_ups.port))
    assert offered(result) == {"desk": "desk"}  # rack is added already
    assert rack.data[CONF_ZEROCONF_HOSTNAME] == MDNS_HOST
    assert rack.state is ConfigEntryState.LOADED


async def test_every_ups_added_aborts(hass: HomeAssistant, upsd: Upsd) -> None:
    await setup_entry(hass, upsd)
    result = await discover(hass, announcement(upsd.port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"


async def test_a_moved_server_updates_its_entries_in_place(
    hass: HomeAssistant, two_ups: Upsd, recwarn: pytest.WarningsRecorder
) -> None:
    """DHCP gave the NAS a new address: same mDNS host name and port, new address."""
    old = "192.0.2.10"  # TEST-NET: never reached, the entry is not set up there
    rack = stored(hass, two_ups.port, "rack", old, **{CONF_ZEROCONF_HOSTNAME: MDNS_HOST})
    desk = stored(hass, two_ups.port, "desk", old, **{CONF_ZEROCONF_HOSTNAME: MDNS_HOST})
    hass.config_entries.async_update_entry(desk, title="Desk UPS")  # renamed by the user

    result = await discover(hass, announcement(two_ups.port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    await hass.async_block_till_done()
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2  # updated, not duplicated
    assert rack.data[CONF_HOST] == HOST and desk.data[CONF_HOST] == HOST
    assert rack.unique_id == f"127.0.0.1:{two_ups.port}/rack"
    assert desk.unique_id == f"127.0.0.1:{two_ups.port}/desk"
    assert rack.title == "rack@127.0.0.1" and desk.title == "Desk UPS"
    # Reloaded at the new address.
    assert rack.state is ConfigEntryState.LOADED and desk.state is ConfigEntryState.LOADED
    assert state(hass, rack, "sensor", "battery_charge").state == "100"
    # No entry was set up at the old address meanwhile (pytest-socket warns on such a connect).
    assert not [w for w in recwarn if old in str(w.message)]


async def test_a_host_typed_as_a_name_is_left_alone(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = stored(hass, upsd.port, "test", "NAS.local", **{CONF_ZEROCONF_HOSTNAME: MDNS_HOST})
    result = await discover(hass, announcement(upsd.port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "NAS.local"
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_another_server_is_not_taken_for_a_moved_one(hass: HomeAssistant, upsd: Upsd) -> None:
    """Same port and UPS name, but another mDNS host name: a new server, offered as such."""
    other = stored(hass, upsd.port, "test", "192.0.2.20", **{CONF_ZEROCONF_HOSTNAME: "pi.local"})
    result = await discover(hass, announcement(upsd.port))
    assert result["step_id"] == "zeroconf_confirm"
    assert offered(result) == {"test": "test — Test UPS test"}
    assert other.data[CONF_HOST] == "192.0.2.20"


async def test_no_move_onto_an_entry_already_there(hass: HomeAssistant, upsd: Upsd) -> None:
    """The UPS was added again at the new address by hand: the old entry is not moved onto it."""
    old = stored(hass, upsd.port, "test", "192.0.2.10", **{CONF_ZEROCONF_HOSTNAME: MDNS_HOST})
    stored(hass, upsd.port, "test")
    result = await discover(hass, announcement(upsd.port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert old.data[CONF_HOST] == "192.0.2.10"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_an_announcement_retries_a_waiting_entry(hass: HomeAssistant, upsd: Upsd) -> None:
    upsd.stop_server()
    entry = await setup_entry(hass, upsd)
    states = [entry.state]
    upsd.start_server()
    upsd.wait_ready()
    result = await discover(hass, announcement(upsd.port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    await hass.async_block_till_done()
    states.append(entry.state)
    assert states == [ConfigEntryState.SETUP_RETRY, ConfigEntryState.LOADED]


async def test_an_ignored_server_stays_ignored(hass: HomeAssistant, upsd: Upsd) -> None:
    result = await discover(hass, announcement(upsd.port))
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": f"{MDNS_HOST}:{upsd.port}", "title": "NAS"},
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await discover(hass, announcement(upsd.port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    # Adding its UPS by hand still works.
    user = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    user = await hass.config_entries.flow.async_configure(
        user["flow_id"], {CONF_HOST: HOST, CONF_PORT: upsd.port}
    )
    assert user["type"] is FlowResultType.CREATE_ENTRY


async def test_one_flow_per_server(hass: HomeAssistant, upsd: Upsd) -> None:
    first = await discover(hass, announcement(upsd.port))
    assert first["type"] is FlowResultType.FORM
    second = await discover(hass, announcement(upsd.port, addresses=(HOST, "fe80::1")))
    assert second["type"] is FlowResultType.ABORT and second["reason"] == "already_in_progress"


async def test_an_unreachable_announcement_aborts(hass: HomeAssistant) -> None:
    result = await discover(hass, announcement(free_port()))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "cannot_connect"


async def test_reconfigure_keeps_the_host_name_only_for_the_same_place(
    hass: HomeAssistant, upsd_factory: UpsdFactory
) -> None:
    dev = fixture_path("smart-ups.dev")
    first, second = upsd_factory(dev), upsd_factory(dev)
    entry = await setup_entry(hass, first)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_ZEROCONF_HOSTNAME: MDNS_HOST}
    )
    for port, kept in ((first.port, True), (second.port, False)):
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: HOST, CONF_PORT: port, CONF_UPS: "test"}
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert (CONF_ZEROCONF_HOSTNAME in entry.data) is kept


async def test_an_announced_server_without_ups_aborts(hass: HomeAssistant) -> None:
    async with fake_server(replies({b"LIST UPS": b"BEGIN LIST UPS\nEND LIST UPS\n"})) as port:
        result = await discover(hass, announcement(port))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "no_ups"


async def test_an_entry_on_another_port_is_another_server(hass: HomeAssistant, upsd: Upsd) -> None:
    other = stored(hass, free_port(), "test", "192.0.2.30", **{CONF_ZEROCONF_HOSTNAME: MDNS_HOST})
    result = await discover(hass, announcement(upsd.port))
    assert result["step_id"] == "zeroconf_confirm"
    assert offered(result) == {"test": "test — Test UPS test"}
    assert other.data[CONF_HOST] == "192.0.2.30"

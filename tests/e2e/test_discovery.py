"""End to end: a upsd announced over mDNS, added from the Discovered card with STARTTLS (``e2e``).

Home Assistant 2026.11 runs with its own ``zeroconf`` integration; the upsd (a certificate from
a throwaway CA) is announced as NUT's Avahi service file does, with python-zeroconf on this
machine (demo/flow_screenshots.py, which photographs the same path in headless Chromium). The
confirmation is then submitted over the REST API, as the frontend's *Add* and *Submit* do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import pytest_socket

from custom_components.nut_ups.const import DOMAIN
from demo.flow_screenshots import ZeroconfHass, announced, discovered_flows
from tests.support.hass import Hass
from tests.support.tls import ThrowawayCA, make_nss_server_cert
from tests.support.upsd import Upsd, fixture_path, running_upsd

pytestmark = pytest.mark.e2e

UPS = "rack"
SERVER = "nut-ups-e2e"
"""Not the screenshots' name: both may run at once on one machine."""


@dataclass
class Stack:
    hass: Hass
    server: Upsd
    ca: ThrowawayCA


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """hass with zeroconf and a upsd that offers STARTTLS, for the module; stopped by PID."""
    pytest_socket.enable_socket()  # module fixtures run before the per-test socket_enabled
    work = tmp_path_factory.mktemp("discovery")
    ca = make_nss_server_cert(work / "tls")
    with running_upsd(
        {UPS: fixture_path("smart-ups.dev")}, extra_conf=ca.upsd_conf, descriptions={UPS: "Rack"}
    ) as server:
        hass = ZeroconfHass(work / "config")
        try:
            hass.start()
            asyncio.run(hass.onboard())
            yield Stack(hass, server, ca)
        finally:
            hass.stop()
            assert hass.process is None or hass.process.poll() is not None, "hass still running"


async def test_announced_upsd_is_added_with_starttls(stack: Stack) -> None:
    hass, server = stack.hass, stack.server
    async with announced(server, SERVER):
        flow, _ = await discovered_flows(hass, server, SERVER)
        assert flow["handler"] == DOMAIN and flow["step_id"] == "zeroconf_confirm"
        # What the Discovered card shows: "<name> (<host>)".
        assert flow["context"]["title_placeholders"] == {"name": SERVER, "host": "127.0.0.1"}
        status, result = await hass.request(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {"ups": UPS, "encryption": {"tls": "verify", "ca_file": str(stack.ca.ca_pem)}},
        )
    assert status == 200 and result["type"] == "create_entry", result
    assert result["title"] == f"{UPS}@127.0.0.1"
    await hass.wait_state(f"sensor.{UPS}_battery_charge", "100", timeout=60)

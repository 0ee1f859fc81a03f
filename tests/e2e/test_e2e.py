"""End to end: a real Home Assistant process (newest release) and a real upsd, over REST/WebSocket.

Run alone with ``scripts/test tests/e2e`` (marker ``e2e``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import re
import time
from typing import Any

import pytest
import pytest_socket

from demo.screenshot import check_dashboard
from tests.support.hass import Hass
from tests.support.upsd import Upsd, fixture_path, free_port

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    hass: Hass
    single: Upsd
    double: Upsd
    entry_id: str = ""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """hass + a one-UPS upsd + a two-UPS upsd, for the whole module; all stopped by PID."""
    pytest_socket.enable_socket()  # module fixtures run before the per-test socket_enabled
    dev = fixture_path("smart-ups.dev")
    single = Upsd({"demo": dev})
    double = Upsd({"rack": dev, "desk": dev}, descriptions={"rack": "Rack", "desk": "Desk"})
    hass = Hass(tmp_path_factory.mktemp("hass") / "config")
    try:
        single.start()
        double.start()
        hass.start()
        asyncio.run(hass.onboard())
        yield Stack(hass, single, double)
    finally:
        hass.stop()
        left = [*single.stop(), *double.stop()] if hasattr(double, "tmpdir") else single.stop()
        assert hass.process is None or hass.process.poll() is not None, "hass still running"
        assert not left, f"NUT processes left running: {left}"


async def issues(stack: Stack) -> dict[str, dict[str, Any]]:
    async with stack.hass.websocket() as ws:
        result = await ws.call({"type": "repairs/list_issues"})
    return {
        issue["translation_key"]: issue
        for issue in result["issues"]
        if issue["domain"] == "nut_ups" and issue["issue_id"].startswith(stack.entry_id)
    }


async def test_config_flow_over_rest(stack: Stack) -> None:
    hass = stack.hass
    refused = await hass.config_flow("nut_ups", {"host": "127.0.0.1", "port": free_port()})
    assert refused["type"] == "form" and refused["errors"] == {"base": "cannot_connect"}

    picked = await hass.config_flow("nut_ups", {"host": "127.0.0.1", "port": stack.double.port})
    assert picked["type"] == "form" and picked["step_id"] == "pick_ups"
    status, picked = await hass.request(
        "POST", f"/api/config/config_entries/flow/{picked['flow_id']}", {"ups": "desk"}
    )
    assert status == 200 and picked["type"] == "create_entry", picked
    assert picked["title"] == "desk@127.0.0.1"
    await hass.wait_state("sensor.desk_battery_charge", "100")
    status, _ = await hass.request(
        "DELETE", f"/api/config/config_entries/entry/{picked['result']['entry_id']}"
    )
    assert status == 200

    created = await hass.config_flow(
        "nut_ups", {"host": "127.0.0.1", "port": stack.single.port, "ups": "demo"}
    )
    assert created["type"] == "create_entry", created
    stack.entry_id = created["result"]["entry_id"]


async def test_states_match_the_dump(stack: Stack) -> None:
    hass = stack.hass
    await hass.wait_state("sensor.demo_battery_charge", "100")
    expected = {
        "sensor.demo_load": "23",
        "sensor.demo_status": "online",
        "sensor.demo_alert_level": "ok",
        "sensor.demo_input_voltage": "230.4",
        "binary_sensor.demo_online": "on",
        "binary_sensor.demo_on_battery": "off",
        "binary_sensor.demo_low_battery": "off",
    }
    for entity_id, value in expected.items():
        current = await hass.state(entity_id)
        assert current is not None and current["state"] == value, (entity_id, current)
    runtime = await hass.state("sensor.demo_battery_runtime")
    assert runtime is not None
    assert float(runtime["state"]) == 65.0 and runtime["attributes"]["unit_of_measurement"] == "min"
    assert runtime["attributes"]["formatted"] == "1h 5m"


async def test_dashboard_in_a_browser(stack: Stack, tmp_path: Path) -> None:
    """Where a person looks: the demo dashboard in headless Chromium, after logging in."""
    await check_dashboard(stack.hass.url, tmp_path / "dashboard.png", expect=["Online"])
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


async def test_outage_drill(stack: Stack, tmp_path: Path) -> None:
    hass, server = stack.hass, stack.single
    await server.set_var("ups.status", "OB DISCHRG")
    took = await hass.wait_state("binary_sensor.demo_on_battery", "on", timeout=10)
    assert took < 5, f"on battery took {took:.1f} s to show"
    await hass.wait_state("sensor.demo_alert_level", "warning")
    found = await issues(stack)
    assert set(found) == {"on_battery"} and found["on_battery"]["severity"] == "warning"

    await server.set_var("ups.status", "OB DISCHRG LB")
    await hass.wait_state("sensor.demo_alert_level", "critical")
    await hass.wait_state("binary_sensor.demo_low_battery", "on")
    found = await issues(stack)
    assert set(found) == {"on_battery", "low_battery"}
    assert found["low_battery"]["severity"] == "critical"
    await check_dashboard(
        stack.hass.url, tmp_path / "low.png", expect=["Battery 100 %, about 1h 5m left", "Critical"]
    )

    await server.set_var("ups.status", "OL")
    await hass.wait_state("sensor.demo_alert_level", "ok")
    await hass.wait_state("binary_sensor.demo_on_battery", "off")
    assert await issues(stack) == {}


async def test_upsd_restart(stack: Stack) -> None:
    hass, server = stack.hass, stack.single
    start = time.monotonic()
    await asyncio.to_thread(server.stop_server)
    await hass.wait_state("sensor.demo_battery_charge", "unavailable", timeout=40)
    assert time.monotonic() - start >= 14, "entities went unavailable before the dead time"
    await asyncio.to_thread(server.start_server)
    await hass.wait_state("sensor.demo_battery_charge", "100", timeout=30)

    log = hass.log_file.read_text()
    lost = re.findall(r"ERROR .*nut_ups.*Error fetching nut_ups demo@127\.0\.0\.1 data", log)
    back = re.findall(r"INFO .*nut_ups.*Fetching nut_ups demo@127\.0\.0\.1 data recovered", log)
    assert (len(lost), len(back)) == (1, 1), log[-3000:]
    assert "Traceback" not in log, log


async def test_remove_entry(stack: Stack) -> None:
    hass = stack.hass
    status, _ = await hass.request("DELETE", f"/api/config/config_entries/entry/{stack.entry_id}")
    assert status == 200
    assert await hass.state("sensor.demo_battery_charge") is None
    async with hass.websocket() as ws:
        devices = await ws.call({"type": "config/device_registry/list"})
    assert not [d for d in devices if stack.entry_id in d["config_entries"]]
    assert await issues(stack) == {}

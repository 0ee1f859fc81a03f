"""The shipped blueprints: valid for Home Assistant, and doing what they say on a power failure.

Loaded with Home Assistant's own blueprint schema, then instantiated as automations against a
simulated upsd with a real command catalogue (tests/support/sim_upsd.py), so the graceful
shutdown's ``nut_ups.shutdown`` runs for real and comes back as a ``shutdown_scheduled`` event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from tests.support.ha import entity_id, setup_entry
from tests.support.sim_upsd import SimUpsd
from tests.support.upsd import REPO_ROOT

BLUEPRINTS = REPO_ROOT / "blueprints" / "automation" / "nut_ups"
SOURCE = "https://github.com/nut-ups/nut_ups/blob/main/blueprints/automation/nut_ups/"


def selectors(tree: Any) -> Iterator[dict[str, Any]]:
    """Every selector of a blueprint's inputs."""
    if isinstance(tree, dict):
        if "selector" in tree:
            yield tree["selector"]
        for value in tree.values():
            yield from selectors(value)


@pytest.mark.parametrize("name", ["power_alert.yaml", "graceful_shutdown.yaml"])
def test_blueprint_is_valid(name: str) -> None:
    path = BLUEPRINTS / name
    data = load_yaml_dict(path)
    blueprint = Blueprint(
        data, path=str(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["homeassistant"]["min_version"] == "2026.7.0"  # event.received
    assert metadata["source_url"] == SOURCE + name
    entity_selectors = [s["entity"] for s in selectors(metadata["input"]) if "entity" in s]
    assert entity_selectors
    for selector in entity_selectors:
        assert all(f["integration"] == "nut_ups" for f in selector["filter"])
        assert not any("device" in f for f in selector["filter"])  # not device: (2026.11)
    assert not [s for s in selectors(metadata["input"]) if "device" in s or "target" in s]


@dataclass
class Endpoint:
    host: str
    port: int
    ups: str = "ups"


@dataclass
class Setup:
    entry: MockConfigEntry
    server: SimUpsd
    notified: list[ServiceCall]
    shutdowns: list[Event]

    def messages(self) -> list[str]:
        return [str(call.data["message"]) for call in self.notified]


@pytest.fixture
async def blueprinted(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Setup]:
    """A UPS with control (the simulated upsd) and both blueprints as automations."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "nut_ups")
    server = SimUpsd()
    async with server.serve() as port:
        entry = await setup_entry(
            hass, Endpoint("127.0.0.1", port), credentials=("admin", "s3cret")
        )
        notified = async_mock_service(hass, "notify", "phone")
        shutdowns: list[Event] = []

        @callback
        def shut_down_nas(event: Event) -> None:
            shutdowns.append(event)

        hass.bus.async_listen("test_shutdown_nas", shut_down_nas)
        event = entity_id(hass, entry, "event", "power_event")
        assert await async_setup_component(
            hass,
            "automation",
            {
                "automation": [
                    {
                        "id": "alert",
                        "use_blueprint": {
                            "path": "nut_ups/power_alert.yaml",
                            "input": {"power_event": event, "notify_action": "notify.phone"},
                        },
                    },
                    {
                        "id": "shutdown",
                        "use_blueprint": {
                            "path": "nut_ups/graceful_shutdown.yaml",
                            "input": {
                                "power_event": event,
                                "battery_runtime": entity_id(
                                    hass, entry, "sensor", "battery_runtime"
                                ),
                                "battery_charge": entity_id(
                                    hass, entry, "sensor", "battery_charge"
                                ),
                                "runtime_below": 10,
                                "charge_below": 20,
                                "shutdown_actions": [{"event": "test_shutdown_nas"}],
                                "ups_shutdown": True,
                                "hosts_wait": 1,
                                "ups_delay": 90,
                            },
                        },
                    },
                ]
            },
        )
        await settle()
        yield Setup(entry, server, notified, shutdowns)
        await hass.config_entries.async_unload(entry.entry_id)


async def settle(seconds: float = 0.2) -> None:
    """Let automations run. Not hass.async_block_till_done(): it would wait for the graceful
    shutdown's wait_template, which waits for the next outage by design."""
    await asyncio.sleep(seconds)


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let automations run until ``condition`` holds (a loaded machine may take a while)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def poll(hass: HomeAssistant, setup: Setup, **values: str) -> None:
    setup.server.values.update({name.replace("_", "."): value for name, value in values.items()})
    await setup.entry.runtime_data.async_refresh()
    await settle()


async def test_outage_to_shutdown(hass: HomeAssistant, blueprinted: Setup) -> None:
    setup = blueprinted
    await poll(hass, setup, battery_charge="97", battery_runtime="2700", ups_status="OB DISCHRG")
    assert setup.messages() == ["Power failure: ups is running on battery (97 %, 45 min left)."]
    assert setup.notified[0].data["title"] == "UPS"

    # Above both thresholds: nothing shuts down.
    await poll(hass, setup, battery_charge="60", battery_runtime="660")
    await poll(hass, setup, battery_charge="50", battery_runtime="601")
    assert setup.shutdowns == []
    await poll(hass, setup, battery_charge="45", battery_runtime="540")  # 9 min left
    assert len(setup.shutdowns) == 1
    assert setup.server.commands_received() == []  # waiting for the machines first
    await wait_for(lambda: len(setup.server.commands_received()) >= 2)  # after hosts_wait: 1 s
    assert setup.server.commands_received() == [
        'SET VAR "ups" "ups.delay.shutdown" "90"',
        'INSTCMD "ups" "shutdown.return"',
    ]
    await poll(hass, setup, battery_charge="40")
    await poll(hass, setup, battery_charge="10", ups_status="OB DISCHRG LB")
    await poll(hass, setup, ups_status="OL CHRG", battery_runtime="500")
    assert len(setup.shutdowns) == 1
    assert setup.messages()[1:] == [
        "Battery low: ups has 10 %, 9 min left.",
        setup.messages()[-1],
    ]
    assert setup.messages()[-1].startswith("Power is back: ups is on mains again after ")


async def test_power_back_first_runs_nothing(hass: HomeAssistant, blueprinted: Setup) -> None:
    setup = blueprinted
    await poll(hass, setup, ups_status="OB DISCHRG", battery_runtime="1200")
    await poll(hass, setup, battery_runtime="900")
    await poll(hass, setup, ups_status="OL", battery_runtime="2400")
    await poll(hass, setup, battery_runtime="300", battery_charge="5")  # low, but on mains
    assert setup.shutdowns == []
    assert setup.server.commands_received() == []
    assert [message.split(":")[0] for message in setup.messages()] == [
        "Power failure",
        "Power is back",
    ]

    # Again, and the mains return while the machines shut down: no UPS shutdown.
    await poll(hass, setup, ups_status="OB", battery_runtime="300")
    assert len(setup.shutdowns) == 1
    await poll(hass, setup, ups_status="OL")
    await settle(1.5)
    assert setup.server.commands_received() == []

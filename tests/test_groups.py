"""README's "Several UPSes as one site": Home Assistant's group helpers over two nut_ups UPSes."""

import re

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import parse_yaml

from tests.conftest import UpsdFactory
from tests.support.ha import refresh, setup_entry
from tests.support.upsd import REPO_ROOT, fixture_path

EXAMPLE = re.compile(r"<!-- site-example: [^>]*-->\n```yaml\n(.*?)```", re.DOTALL)


def site_example() -> dict[str, list[dict[str, object]]]:
    """The YAML block README marks as the site example."""
    found = EXAMPLE.search((REPO_ROOT / "README.md").read_text())
    assert found is not None, "README has no site example"
    config = parse_yaml(found.group(1))
    assert isinstance(config, dict)
    return config


async def test_site_of_two_upses(hass: HomeAssistant, upsd_factory: UpsdFactory) -> None:
    config = site_example()
    assert await async_setup_component(hass, "sensor", {"sensor": config["sensor"]})
    assert await async_setup_component(
        hass, "binary_sensor", {"binary_sensor": config["binary_sensor"]}
    )
    server = upsd_factory(
        {"rack_a": fixture_path("smart-ups.dev"), "rack_b": fixture_path("smart-ups.dev")}
    )
    entry_a = await setup_entry(hass, server, "rack_a")
    entry_b = await setup_entry(hass, server, "rack_b")
    await server.set_var("ups.load", "40", ups="rack_b")
    await refresh(hass, entry_b)
    await entry_b.runtime_data.async_full_refresh()
    await hass.async_block_till_done()

    power = hass.states.get("sensor.site_power")
    assert power is not None
    assert float(power.state) == 230 + 400  # 1000 W nominal x 23 % and x 40 %
    assert power.attributes["unit_of_measurement"] == "W"
    assert power.attributes["device_class"] == "power"
    runtime = hass.states.get("sensor.site_lowest_runtime")
    assert runtime is not None and runtime.attributes["device_class"] == "duration"
    energy = hass.states.get("sensor.site_energy")
    assert energy is not None
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert hass.states.get("binary_sensor.any_ups_on_battery").state == STATE_OFF  # type: ignore[union-attr]

    # One UPS on battery, with less runtime left: the site says so.
    await server.set_var("ups.status", "OB DISCHRG", ups="rack_a")
    await server.set_var("battery.runtime", "600", ups="rack_a")
    await refresh(hass, entry_a)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.any_ups_on_battery").state == STATE_ON  # type: ignore[union-attr]
    runtime = hass.states.get("sensor.site_lowest_runtime")
    assert runtime is not None
    assert float(runtime.state) == 10  # minutes, as the members show it

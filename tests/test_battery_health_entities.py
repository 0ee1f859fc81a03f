"""Battery health on the real upsd: discharges recorded, health and its issue, across a restart.

The estimator itself is proven on synthetic histories in tests/test_battery_health.py; here the
wiring: polls become episodes, episodes become sensors and a repair issue, and the stored
episodes give the same figures after Home Assistant restarts.
"""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_LOGBOOK_ENTRY, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
import pytest

from tests.support.ha import refresh, setup_entry, state
from tests.support.upsd import Upsd
from tests.test_transitions import issues_of


async def discharge(
    hass: HomeAssistant, upsd: Upsd, entry: object, freezer: FrozenDateTimeFactory, step: float
) -> None:
    """An outage: 100 % down to 70 % in 5-point steps, ``step`` seconds apart, at 230 W.

    Polled every 10 s, as on battery (further apart than the dead time would end the episode).
    """
    for charge in range(100, 65, -5):
        await upsd.set_var("battery.charge", str(charge))
        if charge == 100:
            await upsd.set_var("ups.status", "OB DISCHRG")
        for _ in range(int(step // 10)):
            await refresh(hass, entry)  # type: ignore[arg-type]
            freezer.tick(10)
    await upsd.set_var("ups.status", "OL CHRG")
    await upsd.set_var("battery.charge", "100")
    await refresh(hass, entry)  # type: ignore[arg-type]


async def test_health_from_discharges(
    hass: HomeAssistant, upsd: Upsd, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, upsd)  # 1000 W nominal x 23 % load: 230 W on battery
    assert state(hass, entry, "sensor", "battery_health").state == STATE_UNKNOWN
    await discharge(hass, upsd, entry, freezer, step=60)
    health = state(hass, entry, "sensor", "battery_health")
    assert health.state == STATE_UNKNOWN  # one episode is no trend
    assert health.attributes["episodes"] == 1
    freezer.tick(timedelta(days=30))
    await discharge(hass, upsd, entry, freezer, step=60)
    health = state(hass, entry, "sensor", "battery_health")
    assert float(health.state) == pytest.approx(100, abs=2)
    assert health.attributes["episodes"] == 2
    accuracy = state(hass, entry, "sensor", "runtime_accuracy")
    assert accuracy.state != STATE_UNKNOWN  # the UPS said 3900 s; the battery delivers less
    assert "battery_worn" not in issues_of(hass, entry.entry_id)

    # Months later the same load drains it twice as fast: half the capacity, a repair issue.
    freezer.tick(timedelta(days=120))
    await discharge(hass, upsd, entry, freezer, step=30)
    health = state(hass, entry, "sensor", "battery_health")
    assert float(health.state) < 80
    issue = issues_of(hass, entry.entry_id)["battery_worn"]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["threshold"] == "80 %"

    counters = {
        "transfers_to_battery": "3",
        "deep_discharges": "0",
        "equivalent_full_cycles": "0.9",
    }
    for key, value in counters.items():
        assert state(hass, entry, "sensor", key).state == value, key

    # After a restart the stored episodes give the same figures.
    before = health.state
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_health").state == before
    assert "battery_worn" in issues_of(hass, entry.entry_id)
    for key, value in counters.items():
        assert state(hass, entry, "sensor", key).state == value, key

    # A new battery (its date changes): the history starts again, the issue goes, the logbook
    # says so.
    logged: list[Event] = []
    hass.bus.async_listen(EVENT_LOGBOOK_ENTRY, logged.append)
    await upsd.set_var("battery.date", "2026/12/01")
    await entry.runtime_data.async_full_refresh()
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_health").state == STATE_UNKNOWN
    assert "battery_worn" not in issues_of(hass, entry.entry_id)
    for key in counters:
        assert float(state(hass, entry, "sensor", key).state) == 0, key
    assert [event.data["message"] for event in logged] == [
        "got a new battery: its health, counters and history start again"
    ]

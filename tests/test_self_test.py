"""Self-tests on the real upsd: result, last test, failure sensor and issue, and a test is no outage."""

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.nut_ups.selftest import SelfTestMemory, SelfTestResult
from tests.support.ha import refresh, settle, setup_entry, state
from tests.support.sim_upsd import SimUpsd
from tests.support.upsd import Upsd
from tests.test_control import ADMIN, SimEndpoint
from tests.test_event import Recorder
from tests.test_transitions import issues_of

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_memory_keeps_a_finished_result_past_no_result() -> None:
    memory = SelfTestMemory()
    assert memory.observe("Done and passed", None, T0)  # the reading at start-up…
    assert (memory.result, memory.seen_at) == (SelfTestResult.PASSED, None)  # …is no new test
    assert not memory.observe("Done and passed", None, T1)
    assert memory.observe("In progress", None, T1)
    assert memory.observe("Done and error", None, T1)
    assert (memory.result, memory.seen_at) == (SelfTestResult.FAILED, T1)
    assert not memory.observe("NO", None, T1)  # APC, five minutes later: no result any more
    assert memory.result is SelfTestResult.FAILED
    restored = SelfTestMemory.from_dict(memory.as_dict())
    assert (restored.result, restored.raw, restored.seen_at) == (
        SelfTestResult.FAILED,
        "Done and error",
        T1,
    )
    assert not restored.observe("NO", None, T1)  # the same text after a restart is nothing new
    fresh = SelfTestMemory()
    fresh.observe("No test initiated", None, T0)
    assert fresh.result is SelfTestResult.UNKNOWN


async def test_self_test_lifecycle(hass: HomeAssistant, upsd: Upsd) -> None:
    entry = await setup_entry(hass, upsd)
    assert state(hass, entry, "sensor", "self_test_result").state == STATE_UNKNOWN
    assert state(hass, entry, "sensor", "last_self_test").state == STATE_UNKNOWN
    assert state(hass, entry, "binary_sensor", "self_test_failed").state == STATE_UNKNOWN
    events = Recorder(hass, entry)

    # A battery test: on battery with TEST, the result in progress. Not an outage.
    await upsd.set_var("ups.test.result", "In progress")
    await upsd.set_var("ups.status", "OB DISCHRG TEST")
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "self_test_result").state == "in_progress"
    assert events.types == ["on_battery"]
    assert events.states[0]["self_test"] is True
    assert "on_battery" not in issues_of(hass, entry.entry_id)
    assert state(hass, entry, "sensor", "power_outages").state == "0"

    # It fails: a problem, a repair issue, and when it ran.
    await upsd.set_var("ups.test.result", "Done and error")
    await upsd.set_var("ups.status", "OL CHRG")
    await refresh(hass, entry)
    result = state(hass, entry, "sensor", "self_test_result")
    assert (result.state, result.attributes["raw"]) == ("failed", "Done and error")
    assert state(hass, entry, "binary_sensor", "self_test_failed").state == STATE_ON
    assert state(hass, entry, "sensor", "last_self_test").state != STATE_UNKNOWN
    issue = issues_of(hass, entry.entry_id)["self_test_failed"]
    assert issue.translation_placeholders == {"name": "test@127.0.0.1", "result": "Done and error"}
    assert state(hass, entry, "sensor", "power_outages").state == "0"
    assert events.types == ["on_battery", "online"]
    assert "outage_duration" not in events.states[-1]  # no outage was open…
    assert events.states[-1]["self_test"] is True  # …so this online ends a test

    # The UPS forgets it (APC says NO), Home Assistant restarts: the failure stays known.
    await upsd.set_var("ups.test.result", "NO")
    await entry.runtime_data.async_full_refresh()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "self_test_result").state == "failed"
    assert state(hass, entry, "binary_sensor", "self_test_failed").state == STATE_ON
    assert "self_test_failed" in issues_of(hass, entry.entry_id)

    # A later test passes: all clear.
    await upsd.set_var("ups.test.result", "Done and passed")
    await entry.runtime_data.async_full_refresh()
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "self_test_result").state == "passed"
    assert state(hass, entry, "binary_sensor", "self_test_failed").state == STATE_OFF
    assert "self_test_failed" not in issues_of(hass, entry.entry_id)

    # A real power failure is still one.
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    assert "self_test" not in events.states[-1]
    assert "on_battery" in issues_of(hass, entry.entry_id)
    assert state(hass, entry, "sensor", "power_outages").state == "1"


async def test_a_test_nut_ups_started_is_no_outage(hass: HomeAssistant, upsd: Upsd) -> None:
    """A UPS that reports neither TEST nor a result in progress: nut_ups's own test window."""
    entry = await setup_entry(hass, upsd)
    events = Recorder(hass, entry)
    entry.runtime_data.open_test_window()  # what pressing the battery test button does
    await upsd.set_var("ups.status", "OB DISCHRG")
    await refresh(hass, entry)
    assert events.states[-1]["self_test"] is True
    assert "on_battery" not in issues_of(hass, entry.entry_id)
    assert state(hass, entry, "sensor", "power_outages").state == "0"


async def test_scheduled_quick_test(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    server = SimUpsd()
    async with server.serve() as port:
        freezer.move_to(datetime(2026, 12, 3, 2, 59, 50, tzinfo=dt_util.get_default_time_zone()))
        entry = await setup_entry(
            hass,
            SimEndpoint("127.0.0.1", port),
            credentials=ADMIN,
            self_test_interval=7,
            self_test_time="03:00:00",
        )
        for _ in range(2):  # due at 03:00 once; the next day a test ran one day ago: not due
            freezer.tick(timedelta(seconds=10))
            async_fire_time_changed(hass)
            await settle(hass)
            freezer.tick(timedelta(days=1) - timedelta(seconds=10))
        assert server.commands_received() == ['INSTCMD "ups" "test.battery.start.quick"']
        memory = entry.runtime_data.history.self_test
        assert memory.started_at is not None
        # A week after that start the next one is due.
        freezer.move_to(memory.started_at + timedelta(days=7, seconds=-5))
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await settle(hass)
        await hass.config_entries.async_unload(entry.entry_id)
    assert server.commands_received() == ['INSTCMD "ups" "test.battery.start.quick"'] * 2


async def test_scheduled_test_without_credentials_says_so_once(
    hass: HomeAssistant,
    upsd: Upsd,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(datetime(2026, 12, 3, 2, 59, 50, tzinfo=dt_util.get_default_time_zone()))
    await setup_entry(hass, upsd, self_test_interval=1)
    for _ in range(2):
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        await settle(hass)
        freezer.tick(timedelta(days=1) - timedelta(seconds=10))
    warnings = [r.message for r in caplog.records if "Scheduled self-test" in r.message]
    assert warnings == ["Scheduled self-test of test skipped: no credentials for commands"]


async def test_overdue_issue(
    hass: HomeAssistant, upsd: Upsd, freezer: FrozenDateTimeFactory
) -> None:
    entry = await setup_entry(hass, upsd, self_test_overdue=30)
    freezer.tick(timedelta(days=20))
    await entry.runtime_data.async_full_refresh()
    assert "self_test_overdue" not in issues_of(hass, entry.entry_id)
    freezer.tick(timedelta(days=11))
    await entry.runtime_data.async_full_refresh()
    issue = issues_of(hass, entry.entry_id)["self_test_overdue"]
    assert issue.translation_placeholders == {"name": "test@127.0.0.1", "days": "31", "limit": "30"}
    await upsd.set_var("ups.test.result", "Done and passed")  # a test ran
    await entry.runtime_data.async_full_refresh()
    assert "self_test_overdue" not in issues_of(hass, entry.entry_id)

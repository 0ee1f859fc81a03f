"""Battery date: parsed from what real devices report, shown as a sensor, old batteries raise an issue."""

from datetime import date
import re

from homeassistant.core import HomeAssistant
import pytest

from custom_components.nut_ups.battery import (
    BatteryDate,
    battery_date,
    parse_battery_date,
    too_old,
)
from custom_components.nut_ups.const import CONF_BATTERY_AGE
from tests.support.ha import setup_entry, state
from tests.support.upsd import Upsd, nut_ddl_dumps
from tests.test_transitions import issues_of

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019/03/12", date(2019, 3, 12)),  # HID drivers
        ("2022-10-25", date(2022, 10, 25)),
        ("2014.01.15", date(2014, 1, 15)),
        ("03/31/07", date(2007, 3, 31)),  # APC: month/day/two-digit year
        ("11/6/03", date(2003, 11, 6)),
        ("10/25/93", date(1993, 10, 25)),
        ("12/01/2022", date(2022, 12, 1)),
        (" 2024/01/15 ", date(2024, 1, 15)),
        ("2026/12/04", date(2026, 12, 4)),  # tomorrow: a clock a few hours ahead
        # Junk seen in real dumps, and the impossible:
        ("CPS", None),
        ("not set", None),
        ("Mini-Box.Com", None),
        ("1 ", None),
        ("2065/165/165", None),
        ("4158/00/03", None),
        ("2052/00/36", None),
        ("3150/08/01", None),  # the future
        ("01012014", None),  # day, month or year first? not guessed
        ("1985/01/01", None),  # before UPS batteries nut_ups could meet
        ("13/25/20", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_battery_date(text: str | None, expected: date | None) -> None:
    assert parse_battery_date(text, TODAY) == expected


@pytest.mark.skipif(not nut_ddl_dumps(), reason="../shared/nut-ddl is not beside the repository")
def test_every_real_dump_date_reads_or_is_refused() -> None:
    """Every battery date in the shared device dumps parses without error; well-formed ones read."""
    pattern = re.compile(r"^battery\.(?:mfr\.)?date:\s*(.*?)\s*(?:#.*)?$", re.MULTILINE)
    seen = 0
    for dump in nut_ddl_dumps():
        for text in pattern.findall(dump.read_text(errors="replace")):
            seen += 1
            found = parse_battery_date(text, TODAY)
            if re.fullmatch(r"(19|20)\d\d/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])", text):
                assert found is not None, text
    assert seen > 50


def test_battery_date_prefers_the_installation_date() -> None:
    values = {"battery.date": "not set", "battery.mfr.date": "2020/05/01"}
    assert battery_date(values, TODAY) == BatteryDate(date(2020, 5, 1), "battery.mfr.date")
    values["battery.date"] = "2023/02/01"
    found = battery_date(values, TODAY)
    assert found == BatteryDate(date(2023, 2, 1), "battery.date")
    assert found.kind == "installation"
    assert battery_date({}, TODAY) is None


def test_too_old() -> None:
    def at(day: date) -> BatteryDate:
        return BatteryDate(day, "battery.date")

    assert not too_old(None, TODAY, 4)
    assert not too_old(at(date(2023, 1, 1)), TODAY, 4)  # 3.9 years
    assert too_old(at(date(2022, 11, 1)), TODAY, 4)  # 4.1 years
    assert not too_old(at(date(2022, 11, 1)), TODAY, 5)
    # APC's firmware default 2001/09/25 is not a 25-year-old battery still in service.
    assert not too_old(at(date(2001, 9, 25)), TODAY, 4)


async def test_battery_installed_sensor_and_old_battery_issue(
    hass: HomeAssistant, upsd: Upsd
) -> None:
    entry = await setup_entry(hass, upsd)
    installed = state(hass, entry, "sensor", "battery_installed")
    assert installed.state == "2024-01-15"
    assert installed.attributes["source"] == "installation"
    assert issues_of(hass, entry.entry_id) == {}

    await upsd.set_var("battery.date", "2019/06/30")
    await entry.runtime_data.async_full_refresh()
    assert state(hass, entry, "sensor", "battery_installed").state == "2019-06-30"
    issue = issues_of(hass, entry.entry_id)["battery_old"]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["installed"] == "2019-06-30"
    assert issue.translation_placeholders["limit"] == "4"

    # Junk in battery.date: the manufacturing date stands in, and it is recent: no issue.
    await upsd.set_var("battery.date", "not set")
    await entry.runtime_data.async_full_refresh()
    installed = state(hass, entry, "sensor", "battery_installed")
    assert (installed.state, installed.attributes["source"]) == ("2023-11-02", "manufacture")
    assert issues_of(hass, entry.entry_id) == {}
    await upsd.set_var("battery.mfr.date", "CPS")
    await entry.runtime_data.async_full_refresh()
    assert state(hass, entry, "sensor", "battery_installed").state == "unknown"


async def test_battery_age_limit_is_an_option(hass: HomeAssistant, upsd: Upsd) -> None:
    await upsd.set_var("battery.date", "2021/06/30")
    entry = await setup_entry(hass, upsd)
    assert set(issues_of(hass, entry.entry_id)) == {"battery_old"}
    hass.config_entries.async_update_entry(entry, options={CONF_BATTERY_AGE: 6})
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issues_of(hass, entry.entry_id) == {}

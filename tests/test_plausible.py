"""Readings no UPS can have: the rule, its verdict on every NUT DDL dump, and the real upsd."""

from __future__ import annotations

import logging
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest

from custom_components.nut_ups.diagnostics import async_get_config_entry_diagnostics
from custom_components.nut_ups.plausible import (
    ImplausibleReadings,
    implausible_readings,
    plausible,
)
from custom_components.nut_ups.state import NutUpsState
from tests.support.ha import setup_entry, state
from tests.support.sim_driver import split_words
from tests.support.upsd import NUT_DDL, Upsd, nut_ddl_dumps

WEEK = 7 * 24 * 3600

# (variable, value, the UPS's other values, plausible?)
TABLE: list[tuple[str, float, dict[str, str], bool]] = [
    ("battery.charge", 0, {}, True),
    ("battery.charge", 100, {}, True),
    ("battery.charge", 100.5, {}, False),
    ("battery.charge", 120, {}, False),
    ("battery.charge", -1, {}, False),
    ("battery.charge.low", 345.6, {}, True),  # a setting: not judged
    ("ups.load", 0, {}, True),
    ("ups.load", 150, {}, True),  # an overload
    ("ups.load", 200, {}, True),
    ("ups.load", 255, {}, False),
    ("ups.load", -5, {}, False),
    ("ups.L2.load", 660, {}, False),
    ("outlet.group.1.load", 201, {}, False),
    ("ups.load.high", 255, {}, True),  # a setting
    ("ups.temperature", 31, {}, True),
    ("ups.temperature", -40, {}, True),
    ("ups.temperature", 100, {}, True),
    ("ups.temperature", 255, {}, False),
    ("battery.temperature", 302, {}, False),  # kelvin
    ("battery.temperature", -232, {}, False),
    ("ambient.temperature", -273, {}, False),
    ("ambient.1.temperature", 6553.5, {}, False),
    ("ambient.temperature.high", 221, {}, True),  # a threshold
    ("ambient.humidity", 45, {}, True),
    ("ambient.humidity", -1, {}, False),
    ("ambient.humidity", 101, {}, False),
    ("battery.runtime", 0, {}, True),
    ("battery.runtime", WEEK, {}, True),
    ("battery.runtime", WEEK + 1, {}, False),
    ("battery.runtime", WEEK + 1, {"battery.packs.external": "0"}, False),
    ("battery.runtime", 10 * WEEK, {"battery.packs.external": "2"}, True),
    ("battery.runtime", -60, {}, False),
    ("battery.runtime.low", 59940, {}, True),
    ("input.frequency", 0, {}, True),  # no power
    ("input.frequency", 49.9, {}, True),
    ("output.frequency", 60, {}, True),
    ("input.frequency", 5.0, {}, False),  # a tenth
    ("input.bypass.frequency", 409.5, {}, False),
    ("output.frequency", 5990, {}, False),
    ("input.frequency.nominal", 5.0, {}, True),  # a nominal
    ("input.voltage", 0, {"input.voltage.nominal": "230"}, True),  # an outage
    ("input.voltage", 253, {"input.voltage.nominal": "230"}, True),
    ("input.voltage", 575, {"input.voltage.nominal": "230"}, True),
    ("input.voltage", 576, {"input.voltage.nominal": "230"}, False),
    ("input.voltage", 405.4, {"input.voltage.nominal": "120"}, False),
    ("input.voltage", 230, {"input.voltage.nominal": "100"}, True),  # the nominal is wrong
    ("input.voltage", -6437, {"input.voltage.nominal": "120"}, False),
    ("input.voltage", 700, {}, True),  # no nominal: no reference
    ("input.voltage", 700, {"input.voltage.nominal": "0"}, True),
    ("input.voltage", 4095, {}, False),  # above the low-voltage limit
    ("input.L1-N.voltage", 1200, {"input.voltage.nominal": "400"}, False),
    ("input.L1-L2.voltage", 400, {"input.voltage.nominal": "230"}, True),
    ("output.voltage", 9812, {"output.voltage.nominal": "230"}, False),
    ("output.voltage", 226, {"output.voltage.nominal": "24"}, True),  # a battery figure
    ("outlet.1.voltage", 230, {}, True),
    ("battery.voltage", 27.3, {"battery.voltage.nominal": "24.0"}, True),
    ("battery.voltage", 54.8, {"battery.voltage.nominal": "24.0"}, True),  # a 48 V string
    ("battery.voltage", 92.7, {"battery.voltage.nominal": "12"}, False),
    ("battery.voltage", 135, {"battery.voltage.nominal": "12.0"}, False),
    ("battery.voltage", 12.5, {"battery.voltage.nominal": "-1"}, True),
    ("battery.voltage", 1600, {}, False),
    ("battery.voltage.nominal", 240, {}, True),
    ("battery.current", -1.9, {}, True),  # discharging: not this rule's business
    ("ups.realpower", 1e9, {}, True),  # not judged
    ("ups.timer.shutdown", -1, {}, True),  # NUT's "no countdown": not this rule's business
]


@pytest.mark.parametrize(("name", "number", "values", "expected"), TABLE)
def test_plausible(name: str, number: float, values: dict[str, str], expected: bool) -> None:
    assert plausible(name, number, values) is expected


def test_state_number_applies_the_rule() -> None:
    state = NutUpsState.from_values(
        {"battery.charge": "120", "ups.load": "23", "ups.temperature": "302.0", "ups.status": "OL"}
    )
    assert state.number("battery.charge") is None
    assert state.number("ups.temperature") is None
    assert state.number("ups.load") == 23


def test_tally_counts_and_says_once() -> None:
    tally = ImplausibleReadings()
    assert tally.observe({"battery.charge": "120", "ups.load": "20"}) == [("battery.charge", "120")]
    assert tally.observe({"battery.charge": "121", "ups.load": "300"}) == [("ups.load", "300")]
    assert tally.observe({"battery.charge": "100", "ups.load": "20"}) == []
    assert tally.observe({"battery.charge": "130"}) == []  # back again: counted, not said again
    assert tally.as_dict() == {
        "battery.charge": {"count": 3, "last_raw": "130"},
        "ups.load": {"count": 1, "last_raw": "300"},
    }


# Every (dump, variable) of ../shared/nut-ddl the rule flags, reviewed: each is a value the
# device cannot have had. Most are confirmed by the dump's own "#BAD" note or by the same
# model's other readings; the report of the change lists the reasoning per dump.
REVIEWED: dict[str, dict[str, str]] = {
    "APC/APC__Back-UPS_BR_800__newhidups__2.0.3__01.dev": {
        "battery.temperature": "302.0: kelvin shown as °C (#BAD)",
        "ups.temperature": "302.0: kelvin shown as °C (#BAD)",
        "input.voltage": "-6437.0 (#BAD)",
    },
    "APC/APC__Back-UPS_CS_350__hidups__2.0.0__01.dev": {"ups.load": "660 %"},
    "APC/APC__Back-UPS_RS_800__hidups__2.0.2__01.dev": {"ups.load": "410 %"},
    "APC/APC__Back-UPS_RS_800__newhidups__2.0.2__02.dev": {
        "battery.temperature": "302.0: kelvin",
        "ups.temperature": "302.0: kelvin",
        "input.voltage": "-159357104.0: an overflow",
    },
    "APC/APC__Back-UPS_RS_800__usbhid-ups__2.2.2__02.dev": {
        "battery.temperature": "3.0e18 (#BAD: clearly bogus)",
        "ups.load": "4.6e255 %",
    },
    "APC/APC__Back-UPS_RS_900__usbhid-ups__2.4.1__01.dev": {
        "battery.temperature": "3.0e18 (#BAD: clearly bogus)",
        "ups.load": "2.3e255 %",
    },
    "APC/APC__Smart-UPS_1500_XLM__snmp-ups__2.4.1__02.dev": {
        "ambient.humidity": "-1.00: no sensor"
    },
    "Cyber_Power_Systems/Cyber_Power_Systems__CP685AVR__usbhid-ups__2.0.4__01.dev": {
        "battery.charge": "120 %"
    },
    "Cyber_Power_Systems/Cyber_Power_Systems__CP850PFCLCD__usbhid-ups__2.4.3__01.dev": {
        "battery.charge": "120 %"
    },
    "Cyber_Power_Systems/Cyber_Power_Systems__CPS685AVR__newhidups__2.1.0__01.dev": {
        "battery.charge": "120 %"
    },
    "Cyber_Power_Systems/Cyber_Power_Systems__RT650EI__usbhid-ups__2.7.4__01.dev": {
        "battery.voltage": "92.7 V on one 12 V battery (the dump's note says so)"
    },
    "Eaton/Eaton__9135_6000__usbhid-ups__2.4.1__01.dev": {"ups.temperature": "294.0: kelvin"},
    "Eaton/Eaton__Powerware_5130__usbhid-ups__2.4.3__01.dev": {
        "output.voltage": "9812 V, input 233 V"
    },
    "Eaton/Eaton__Powerware_5130__usbhid-ups__2.4.3__02.dev": {"output.voltage": "3946 V"},
    "Eaton/Eaton__Powerware_5130__usbhid-ups__2.4.3__03.dev": {"output.voltage": "3946 V"},
    "Eaton/Eaton__Powerware_9130__usbhid-ups__2.4.1__03.dev": {"ups.temperature": "302.0: K"},
    "Liebert/Liebert__GXT2-1000RT230__liebert-esp2__2.4.3__01.dev": {
        "input.frequency": "5.0 Hz: a tenth",
        "input.bypass.frequency": "5.0 Hz",
        "output.frequency": "5.0 Hz",
    },
    "Liebert/Liebert__GXT2-1000RT230__liebert-esp2__2.4.3__05.dev": {
        "input.frequency": "5.0 Hz: a tenth",
        "input.bypass.frequency": "5.0 Hz",
        "output.frequency": "5.0 Hz",
    },
    "MGE_UPS_SYSTEMS/MGE_UPS_SYSTEMS__Comet_S31__mge-utalk__2.0.1__01.dev": {
        "input.frequency": "2000.00 Hz"
    },
    "MGE_UPS_SYSTEMS/MGE_UPS_SYSTEMS__Pulsar_1500__usbhid-ups__2.4.3__01.dev": {
        "output.voltage": "41216 V"
    },
    "NetVision/NetVision__U4BC02CB00NY100__snmp-ups__2.7.4__01.dev": {
        "input.bypass.frequency": "4.90 Hz beside an input of 49.90 Hz"
    },
    "PiSupply/PiSupply__PiJuice_HAT__pijuice__2.8.0__03.dev": {
        "battery.temperature": "251 (#BAD: a 10x factor error)"
    },
    "PiSupply/PiSupply__PiJuice_HAT__pijuice__2.8.0__04.dev": {"battery.temperature": "-232"},
    "PiSupply/PiSupply__PiJuice_HAT__pijuice__2.8.3__02.dev": {"battery.temperature": "-215"},
    "Powercom/Powercom__KIN-1500AP_RM__powercom__2.0.3__01.dev": {
        "battery.charge": "102.3 %, from voltages the dump says are scaled wrongly"
    },
    "Riello/Riello__IPG_600__riello_usb__2.7.4__01.dev": {
        "battery.charge": "255 (#BAD)",
        "battery.runtime": "3932100 = 0xFFFF * 60 (#BAD)",
        "input.bypass.frequency": "409.50 = 0xFFF / 10 (#BAD)",
        "input.bypass.voltage": "4095 = 0xFFF (#BAD)",
        "ups.temperature": "255 (#BAD)",
    },
    "Riello/Riello__iDialog_800_IDG_800__riello_usb__2.7.1__01.dev": {
        "battery.charge": "255 (#BAD)",
        "battery.runtime": "3932100 (#BAD)",
        "input.bypass.frequency": "409.50",
        "input.bypass.voltage": "4095",
        "ups.temperature": "255 (#BAD)",
    },
    "Socomec_Sicon/Socomec_Sicon__Masterys_MC_330__snmp-ups__2.0.2__01.dev": {
        "battery.runtime": "-60.0: not available"
    },
    "Tripp_Lite/Tripp_Lite__G1010USB__usbhid-ups__2.4.3__01.dev": {
        "battery.voltage": "135.0 V on 12 V: ten times"
    },
    "Tripp_Lite/Tripp_Lite__OMNI1000LCD__usbhid-ups__2.1.0__02.dev": {
        "input.voltage": "405.4 V on 120 V (#BAD)"
    },
    "Tripp_Lite/Tripp_Lite__OMNIPLUS1000LCD__usbhid-ups__2.2.2__01.dev": {
        "output.voltage": "1190 V, input 119 V: ten times"
    },
    "Tripp_Lite/Tripp_Lite__SMART1000LCD__usbhid-ups__2.4.3__02.dev": {
        "battery.voltage": "135.0 V on 12 V: ten times"
    },
    "Tripp_Lite/Tripp_Lite__SMART1300LCDT__usbhid-ups__2.6.4__01.dev": {
        "input.frequency": "5990 Hz: a hundred times",
        "output.frequency": "5990 Hz",
    },
    "Tripp_Lite/Tripp_Lite__SMART1500LCDT__usbhid-ups__2.6.3__01.dev": {
        "input.frequency": "5990 Hz: a hundred times",
        "output.frequency": "5990 Hz",
    },
    "Tripp_Lite/Tripp_Lite__UPS__usbhid-ups__2.6.5__01.dev": {"ups.load": "255: 0xFF"},
    "UPSonic/UPSonic__IRT1000__snmp-ups__2.2.1__01.dev": {
        "output.voltage": "-29733682.0",
        "ups.load": "562020 %",
    },
    "Ultra/Ultra__ULT33046_2000_VA_1200_W_Backup_UPS_with_AVR_B000GC98H8__powercom__2.4.1__01.dev": {
        "input.frequency": "80.12 Hz (#BAD: should be 60)",
        "output.frequency": "80.12 Hz (#BAD)",
    },
    "Ultra/Ultra__ULT33046_2000_VA_1200_W_Backup_UPS_with_AVR_B000GC98H8__powercom__2.4.1__02.dev": {
        "input.frequency": "80.12 Hz (#BAD: should be 60)",
        "output.frequency": "80.12 Hz (#BAD)",
    },
}


def served_values(path: Path) -> dict[str, str]:
    """The variables of a dump as dummy-ups serves them: words joined, ``#`` comments dropped."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, rest = line.partition(":")
        if not sep or line.lstrip().startswith("#") or " " in name.strip():
            continue
        words: list[str] = []
        for word in split_words(rest.strip()):
            if word.startswith("#"):
                break
            words.append(word)
        values[name.strip()] = " ".join(words)
    return values


def test_served_values_drop_comments() -> None:
    dump = NUT_DDL / "APC/APC__Back-UPS_BR_800__newhidups__2.0.3__01.dev"
    if not dump.is_file():
        pytest.skip("../shared/nut-ddl is not beside the repository")
    # As upsd serves it (checked with dummy-ups 2.8): the "#BAD" note is not part of the value.
    assert served_values(dump)["input.voltage"] == "-6437.0"


@pytest.mark.skipif(not nut_ddl_dumps(), reason="../shared/nut-ddl is not beside the repository")
def test_ddl_dumps_flagged_are_the_reviewed_ones() -> None:
    dumps = nut_ddl_dumps()
    assert len(dumps) == 504
    flagged: dict[str, dict[str, str]] = {}
    for path in dumps:
        if found := implausible_readings(served_values(path)):
            flagged[path.relative_to(NUT_DDL).as_posix()] = found
    for dump, found in flagged.items():  # pytest -s shows the list
        for name, raw in found.items():
            print(f"{dump}: {name} = {raw[:40]}")
    assert {d: set(f) for d, f in flagged.items()} == {d: set(f) for d, f in REVIEWED.items()}


async def test_implausible_reading_is_unknown_logged_once_and_counted(
    hass: HomeAssistant, upsd: Upsd, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.nut_ups")
    entry = await setup_entry(hass, upsd)
    assert state(hass, entry, "sensor", "battery_charge").state == "100"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["implausible"] == {}

    await upsd.set_var("battery.charge", "120")
    await entry.runtime_data.async_full_refresh()
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_charge").state == "unknown"
    await upsd.set_var("battery.charge", "130")
    await entry.runtime_data.async_full_refresh()
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_charge").state == "unknown"

    said = [r for r in caplog.records if "a value no UPS can have" in r.getMessage()]
    assert len(said) == 1
    assert said[0].levelno == logging.INFO
    assert "battery.charge" in said[0].getMessage()
    assert "'120'" in said[0].getMessage()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["implausible"] == {"battery.charge": {"count": 2, "last_raw": "130"}}
    assert diagnostics["variables"]["battery.charge"] == "130"  # the raw list stays raw

    await upsd.set_var("battery.charge", "97")
    await entry.runtime_data.async_full_refresh()
    await hass.async_block_till_done()
    assert state(hass, entry, "sensor", "battery_charge").state == "97"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["implausible"] == {"battery.charge": {"count": 2, "last_raw": "130"}}
    assert not [
        r
        for r in caplog.records
        if r.name.startswith("custom_components.nut_ups") and r.levelno >= logging.WARNING
    ]

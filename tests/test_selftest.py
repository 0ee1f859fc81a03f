"""Self-test result and date: every text the shared dumps and NUT's drivers use (pure functions)."""

from __future__ import annotations

import ast
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
import re
import time

import pytest

from custom_components.nut_ups.selftest import (
    FINISHED,
    KNOWN_TEXTS,
    TEST_STATUS_TOKENS,
    KnownText,
    SelfTestResult,
    _key,
    last_test_time,
    normalise,
    parse_test_date,
    recognised,
    self_test_running,
)
from custom_components.nut_ups.status import UpsState, UpsStatus
from tests.support.upsd import nut_ddl_dumps
from tests.test_structure import PACKAGE, ROOT, import_graph

TODAY = date(2026, 12, 3)
P, W, F = SelfTestResult.PASSED, SelfTestResult.WARNING, SelfTestResult.FAILED
RUN, A, N = SelfTestResult.IN_PROGRESS, SelfTestResult.ABORTED, SelfTestResult.NOT_SUPPORTED
U = SelfTestResult.UNKNOWN

DUMPS = nut_ddl_dumps()
needs_dumps = pytest.mark.skipif(not DUMPS, reason="../shared/nut-ddl is not beside the repository")

# Every ups.test.result of the 504 shared dumps: text → (result, how many dumps say it).
# A new dump with a new wording fails here: decide what it means, add it to KNOWN_TEXTS.
DUMP_RESULTS: dict[str, tuple[SelfTestResult, int]] = {
    "Done and passed": (P, 60),  # usbhid-ups (APC, Belkin, CPS, Eaton, Liebert…), bcmxcp, snmp
    "No test initiated": (U, 59),  # usbhid-ups (APC, CPS, Belkin, Dell, HP, PPC…), bcmxcp
    "NO": (U, 13),  # apcsmart, apcsmart-old
    "Ok": (P, 7),  # snmp-ups, APC
    "In progress": (RUN, 3),  # usbhid-ups (APC, CPS, Dell)
    "done and passed": (P, 2),  # snmp-ups (Eaton), netxml-ups
    "aborted": (A, 2),  # snmp-ups (Eaton)
    "Unknown": (U, 2),  # snmp-ups (HP)
    "Done and warning": (W, 2),  # usbhid-ups (CPS)
    "Aborted": (A, 2),  # usbhid-ups (Dell, Eaton Powerware)
    "no test initiated": (U, 1),  # snmp-ups (Dell)
    "No test performed": (U, 1),  # tripplitesu
    "InvalidTest": (A, 1),  # snmp-ups (APC)
    "Done and error": (F, 1),  # snmp-ups (HP)
    "0": (U, 1),  # usbhid-ups (old Tripp Lite)
}


def _fullwidth(text: str) -> str:
    """The full-width form of ASCII text (as East Asian firmware may send it)."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in text)


def _dump_values(name: str) -> list[str]:
    pattern = re.compile(rf"^{re.escape(name)}:[ \t]*(.*?)[ \t]*(?:#.*)?$", re.MULTILINE)
    return [text for dump in DUMPS for text in pattern.findall(dump.read_text(errors="replace"))]


def test_results_are_the_issues_seven() -> None:
    assert [r.value for r in SelfTestResult] == [
        "passed",
        "warning",
        "failed",
        "in_progress",
        "aborted",
        "not_supported",
        "unknown",
    ]
    assert {P, W, F, A} == FINISHED


@needs_dumps
def test_every_dump_value_has_a_deliberate_meaning() -> None:
    """The full mapping of the dumps' values: a new value, or a changed meaning, fails here."""
    seen = Counter(_dump_values("ups.test.result"))
    assert {text: (normalise(text), count) for text, count in seen.items()} == DUMP_RESULTS
    assert sum(seen.values()) == 157
    known = {_key(item.text) for item in KNOWN_TEXTS}
    for text in seen:
        assert recognised(text), text
        assert _key(text) in known, f"{text!r} reads by a rule only: add it to KNOWN_TEXTS"


@needs_dumps
def test_every_dump_test_date_reads() -> None:
    """ups.test.date: only APC's SNMP cards report it, as MM/DD/YYYY."""
    texts = _dump_values("ups.test.date")
    assert {text: parse_test_date(text, TODAY) for text in texts} == {
        "07/03/2014": date(2014, 7, 3),
        "07/21/2022": date(2022, 7, 21),
        "05/18/2020": date(2020, 5, 18),
        "12/11/2022": date(2022, 12, 11),
        "01/02/2021": date(2021, 1, 2),
    }


@pytest.mark.parametrize("item", KNOWN_TEXTS, ids=lambda item: item.text)
def test_every_known_text_reads_as_its_table_says(item: KnownText) -> None:
    text, result, source = item
    assert source
    assert recognised(text)
    assert normalise(text) is result
    assert normalise(text.upper()) is result
    assert normalise(text.lower()) is result
    assert normalise(f"  {text}\t") is result


def test_known_texts_are_distinct() -> None:
    """No two entries fold to the same text (one row per wording, sources merged)."""
    keys = Counter(_key(item.text) for item in KNOWN_TEXTS)
    assert [key for key, count in keys.items() if count > 1 or not key] == []


# What NUT's drivers set (drivers/*.c at networkupstools/nut 6c63f77), by driver.
DRIVER_TEXTS: dict[str, dict[str, SelfTestResult]] = {
    "usbhid-ups test_read_info (apc, cps, delta, liebert, mge, powercom, salicru, tripplite)": {
        "Done and passed": P,
        "Done and warning": W,
        "Done and error": F,
        "Aborted": A,
        "In progress": RUN,
        "No test initiated": U,
        "Test scheduled": U,
    },
    "bcmxcp batt_test_info": {
        "No test initiated": U,
        "In progress": RUN,
        "Done and passed": P,
        "Aborted": A,
        "Done and error": F,
        "Test scheduled": U,
    },
    "snmp-ups ietf, mge, huawei, eaton-ats16 MIBs; netxml-ups": {
        "done and passed": P,
        "done and warning": W,
        "done and error": F,
        "aborted": A,
        "in progress": RUN,
        "no test initiated": U,
        "test scheduled": U,
    },
    "snmp-ups compaq, eaton pw/pxg MIBs": {
        "Unknown": U,
        "Done and passed": P,
        "Done and error": F,
        "In progress": RUN,
        "Not supported": N,
        "Inhibited": A,
        "Scheduled": U,
    },
    "snmp-ups apc, cyberpower MIBs": {
        "Ok": P,
        "Failed": F,
        "InvalidTest": A,
        "TestInProgress": RUN,
    },
    "apcsmart, apcupsd-ups": {"OK": P, "BT": F, "NG": F, "NO": U, "WN": W, "IP": RUN},
    "apc_modbus": {
        "None": U,
        "Pending, Source: Protocol": U,
        "InProgress, Source: Protocol": RUN,
        "Passed, Source: Protocol": P,
        "Passed, Source: Internal": P,
        "Failed, Source: LocalUI, Modifier: InternalFault": F,
        "Refused, Source: Protocol, Modifier: StateOfChargeNotAcceptable": A,
        "Aborted, Source: Internal, Modifier: InvalidState": A,
    },
    "apcmicrolink (bitfield words joined by spaces)": {
        "None": U,
        "Pending LocalUser": U,
        "InProgress Internal": RUN,
        "Passed LocalUser": P,
        "Failed Internal InternalFault": F,
        "Refused StateOfChargeNotAcceptable": A,
        "Aborted LocalUser": A,
    },
    "belkin": {
        "No test performed": U,
        "Passed": P,
        "In progress": RUN,
        "10s test failed": F,
        "deep test failed": F,
        "Aborted": A,
    },
    "belkinunv": {
        "no test performed": U,
        "test passed": P,
        "test failed": F,
        "test aborted": A,
        "test in progress": RUN,
        "?": U,  # a code belkinunv does not know: not recognised, rightly
    },
    "tripplitesu": {
        "No test performed": U,
        "Passed": P,
        "In progress": RUN,
        "General test failed": F,
        "Battery failed": F,
        "Deep battery test failed": F,
        "Aborted": A,
    },
    "tripplite": {
        "OK": P,
        "Battery Bad (Replace)": F,
        "In Progress": RUN,
        "Bad Inverter": F,
        "Unknown (7)": U,
    },
    "nutdrv_qx masterguard": {
        "no test in progress": U,
        "in progress": RUN,
        "OK": P,
        "failed": F,
        "not possible": N,
        "aborted": A,
        "autonomy time calibration in progress": RUN,
        "unknown": U,
    },
    "al175": {"OK": P, "FAIL": F},
    "liebert-gxe": {"In progress": RUN, "Idle": U},
    "metasys": {
        "not yet done...": U,
        "OK": P,
        "Battery charge: 20%": U,
        "Battery charge: 100%": U,
        "Bad battery pack: replace": F,
        "Impossible to test": N,
    },
    "oneac": {"Normal": P, "UPS Internal Failure": F},
    "powervar_cx": {"Normal": P, "Change Battery": F},
    "nutdrv_qx voltronic-axpert (experimental.device.test.result)": {
        "running": RUN,
        "passed": P,
        "failed": F,
    },
}


@pytest.mark.parametrize("driver", DRIVER_TEXTS)
def test_driver_texts(driver: str) -> None:
    texts = DRIVER_TEXTS[driver]
    assert {text: normalise(text) for text in texts} == texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Prefixes, suffixes, case, punctuation: the word rules.
        ("Done and passed (quick test)", P),
        ("Self-test: Done and error", F),
        ("DONE AND WARNING", W),
        ("Done_and-passed", P),
        ("Done and passed\x00", P),
        ("Test OK", P),
        ("Battery test passed at 12:00", P),
        ("Battery test NOT OK", F),
        ("quick test failed: replace battery", F),
        ("Test aborted by user", A),
        ("Test cancelled", A),
        ("Battery test in progress...", RUN),
        ("Deep test running", RUN),
        ("No test in progress", U),
        ("Not tested yet", U),
        ("Self test not supported", N),
        ("UPS cannot test the battery", N),
        ("Unknown (12)", U),
        ("Test pending", U),
        ("warning: low capacity", W),
        ("error 12", F),
        ("Done, no errors", P),
        ("Passed (no warnings)", P),
        ("Done and passed with warnings", W),
        # Non-ASCII: full-width letters read as ASCII (NFKC); other scripts are unknown.
        (_fullwidth("Passed"), P),
        (_fullwidth("DONE AND ERROR"), F),
        ("Prüfung bestanden", U),
        ("自检通过", U),
        ("🔋✅", U),
        ("\u202edessap", U),
    ],
)
def test_variants(text: str, expected: SelfTestResult) -> None:
    assert normalise(text) is expected


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "\t\n", "?", "-", "---", "\x00\xff", "NA?!", "42", "garbage"],
)
def test_garbage_is_unknown_and_unrecognised(text: str | None) -> None:
    assert normalise(text) is U
    assert not recognised(text)


def test_no_result_is_recognised_unknown() -> None:
    """A UPS holding no result is unknown, but a known wording (no "new wording" log)."""
    for text in ("No test initiated", "NO", "no", "No test performed", "Idle", "0", "None"):
        assert normalise(text) is U
        assert recognised(text), text
    assert normalise("nonsense") is U
    assert not recognised("nonsense")


def test_short_codes_match_only_whole() -> None:
    """APC's two-letter codes are whole texts, never words inside others."""
    assert normalise("NG") is F
    assert normalise("BTX") is U
    assert normalise("IPv6") is U
    assert normalise("ok") is P
    assert normalise("token") is U


def test_huge_and_hostile_texts_are_quick() -> None:
    started = time.perf_counter()
    assert normalise("a" * 100_000) is U
    assert normalise("in " * 50_000) is U
    assert normalise("passed " * 20_000) is P
    assert normalise("\u0301" * 10_000) is U
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07/21/2022", date(2022, 7, 21)),  # APC's SNMP cards
        ("07/17/12", date(2012, 7, 17)),  # docs/nut-names.txt's example
        ("2024/01/15", date(2024, 1, 15)),
        ("2026/12/04", date(2026, 12, 4)),  # tomorrow: a clock a little ahead
        ("12/31/2030", None),  # the future
        ("00/00/00", None),  # what a card says before its first test
        ("Unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_test_date(text: str | None, expected: date | None) -> None:
    assert parse_test_date(text, TODAY) == expected


def test_last_test_time() -> None:
    zone = timezone(timedelta(hours=1))
    seen = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 2026-12-02 23:30 local
    # Only one of the two known:
    assert last_test_time(None, None, zone, TODAY) is None
    assert last_test_time("garbage", None, zone, TODAY) is None
    assert last_test_time(None, seen, zone, TODAY) == seen
    assert last_test_time("07/21/2022", None, zone, TODAY) == datetime(2022, 7, 21, tzinfo=zone)
    # nut_ups saw the test, the UPS dates it the same day or earlier: the seen moment.
    assert last_test_time("12/02/2026", seen, zone, TODAY) == seen
    assert last_test_time("07/21/2022", seen, zone, TODAY) == seen
    # The UPS dates a later test than the one nut_ups saw (run while it was not watching).
    assert last_test_time("12/03/2026", seen, zone, TODAY) == datetime(2026, 12, 3, tzinfo=zone)
    # Local day, not UTC day: 2026-12-03 00:30 local is 2026-12-02 23:30 UTC.
    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert last_test_time("12/03/2026", late, zone, TODAY) == late


def test_test_status_tokens_are_known_states() -> None:
    """TEST and CAL mark a test under way; status.py knows both."""
    assert {"TEST", "CAL"} == TEST_STATUS_TOKENS
    assert UpsStatus.parse("OL TEST").dominant is UpsState.TESTING
    assert UpsStatus.parse("OL CAL").dominant is UpsState.CALIBRATING
    assert UpsStatus.parse("OB DISCHRG CAL").on_battery
    assert TEST_STATUS_TOKENS & set(UpsStatus.parse("OB DISCHRG CAL").flags)


def test_the_module_is_pure() -> None:
    """No Home Assistant imports; of the package, battery.py (its date parser) and status.py."""
    path = PACKAGE / "selftest.py"
    assert import_graph()[f"{ROOT}.selftest"] == {f"{ROOT}.battery", f"{ROOT}.status"}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith("homeassistant"), node.module
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("homeassistant") for alias in node.names)


@pytest.mark.parametrize(
    ("status", "result", "expected"),
    [
        ("OB DISCHRG", "Done and passed", False),  # an outage
        ("OB DISCHRG", None, False),
        ("OB DISCHRG TEST", "Done and passed", True),  # apc_modbus, ietf-mib, powercom…
        ("OL CAL", None, True),  # the Eaton 5E (nutdrv_qx) dump, after test.battery.start.quick
        ("OB DISCHRG CAL", "No test initiated", True),
        ("OB DISCHRG", "In progress", True),  # usbhid-ups: the HID test field says so
        ("OB", "TestInProgress", True),
        ("OB", "Test scheduled", False),  # a standing schedule must not hide an outage
        ("OB", "Pending", False),
        ("ob dischrg cal", None, True),
        (None, None, False),
        ("", "garbage", False),
    ],
)
def test_self_test_running(status: str | None, result: str | None, expected: bool) -> None:
    assert self_test_running(status, result) is expected

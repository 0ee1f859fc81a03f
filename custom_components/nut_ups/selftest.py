"""What the UPS says of its last self-test, read from NUT's variables (no Home Assistant imports).

NUT names ``ups.test.result`` "Results of last self test (opaque string)" and ``ups.test.date``
"Date of last self test (opaque string)" (docs/nut-names.txt): every driver words the result its
own way. :data:`KNOWN_TEXTS` lists each text seen in the 504 shared device dumps and each text a
NUT driver sets, with its meaning; :func:`normalise` reads them case-insensitively, and reads the
texts it does not know word by word (:data:`_RULES`), so a driver's prefix or suffix
(``Passed, Source: Protocol``, ``Unknown (9)``) still reads. A text it cannot read is
:attr:`SelfTestResult.UNKNOWN`, never an error: the caller shows the raw text beside it.

"No result" texts (``No test initiated``, APC's ``NO``, ``No test performed``, ``Test
scheduled``, ``Idle``…) are :attr:`SelfTestResult.UNKNOWN` too: the UPS holds no result, which
says nothing of the battery. "No test initiated" (the HID Power Device class of usbhid-ups, and
the UPS-MIB) means no test was started as far as the UPS remembers: 60 of the 157 dumps that
report a result say it. APC Smart-UPS answer ``NO`` ("no results available") once their last
test is more than five minutes old. None of them is ``not_supported``: that is for a UPS that
says it cannot test (``Not supported``, ``Impossible to test``). :func:`recognised` tells a
known "no result" text from one nut_ups cannot read, and :data:`FINISHED` names the results of a
test that ran, the ones worth keeping while the UPS has fallen back to "no result".
"""

from datetime import date, datetime, time, tzinfo
from enum import StrEnum
import re
from typing import NamedTuple
import unicodedata

from .battery import parse_battery_date
from .status import UpsStatus

TEST_RESULT_VAR = "ups.test.result"
TEST_DATE_VAR = "ups.test.date"
TEST_STATUS_TOKENS = frozenset({"TEST", "CAL"})
"""``ups.status`` tokens of a test under way: ``TEST`` (al175, apc_modbus, ietf-mib, powercom,
powerpanel) and ``CAL`` (runtime calibration, and the battery test of blazer/nutdrv_qx,
netxml-ups, huawei-ups2000, victronups…): a switch to battery while one is set is a test, not an
outage (see :func:`self_test_running`)."""


class SelfTestResult(StrEnum):
    """The outcome of the UPS's last self-test."""

    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    ABORTED = "aborted"
    NOT_SUPPORTED = "not_supported"
    UNKNOWN = "unknown"


FINISHED = frozenset(
    {SelfTestResult.PASSED, SelfTestResult.WARNING, SelfTestResult.FAILED, SelfTestResult.ABORTED}
)
"""Results of a test that ran (and stopped): what ``last_self_test`` dates."""


class KnownText(NamedTuple):
    """One ``ups.test.result`` text, what it means and who says it.

    Attributes:
        text: the text as the driver sets it (matched case-insensitively).
        result: what it means.
        source: the NUT drivers (and subdrivers or MIBs) that set it.
    """

    text: str
    result: SelfTestResult
    source: str


_P = SelfTestResult.PASSED
_W = SelfTestResult.WARNING
_F = SelfTestResult.FAILED
_I = SelfTestResult.IN_PROGRESS
_A = SelfTestResult.ABORTED
_N = SelfTestResult.NOT_SUPPORTED
_U = SelfTestResult.UNKNOWN

_HID = "usbhid-ups (apc, belkin, cps, delta, liebert, mge, powercom, salicru, tripplite)"
_IETF = "snmp-ups (ietf, mge, huawei, eaton-ats16 MIBs), netxml-ups"
_XUPS = "snmp-ups (compaq, eaton pw/pxg MIBs)"
_APC_SNMP = "snmp-ups (apc, cyberpower MIBs)"
_APC_BITS = "apc_modbus, apcmicrolink (with Source:/Modifier: words after it)"
_APCSMART = "apcsmart, apcsmart-old, apcupsd-ups (APC's self-test code)"

KNOWN_TEXTS: tuple[KnownText, ...] = (
    # The HID Power Device class (usbhid-ups's test_read_info, belkin-hid), bcmxcp, and the
    # UPS-MIB (RFC 1628) wording of snmp-ups and netxml-ups, lower-case there.
    KnownText("Done and passed", _P, f"{_HID}, mge-shut, bcmxcp, {_IETF}, {_XUPS}"),
    KnownText("Done and warning", _W, f"{_HID}, {_IETF}"),
    KnownText("Done and error", _F, f"{_HID}, bcmxcp, {_IETF}, {_XUPS}"),
    KnownText(
        "Aborted", _A, f"{_HID}, bcmxcp, {_IETF}, {_APC_BITS}, belkin, tripplitesu, masterguard"
    ),
    KnownText(
        "In progress",
        _I,
        f"{_HID}, bcmxcp, {_IETF}, {_XUPS}, {_APC_BITS} (InProgress), belkin, tripplitesu, "
        "tripplite, liebert-gxe, masterguard",
    ),
    KnownText("No test initiated", _U, f"{_HID}, mge-shut, bcmxcp, {_IETF}"),
    KnownText("Test scheduled", _U, f"{_HID}, bcmxcp, netxml-ups"),
    # Eaton's XUPS-MIB and HP's CPQPOWER-MIB (xupsTestBatteryStatus).
    KnownText("Unknown", _U, f"{_XUPS}, masterguard"),
    KnownText("Not supported", _N, _XUPS),
    KnownText("Inhibited", _A, _XUPS),  # the UPS would not start the test
    KnownText("Scheduled", _U, _XUPS),
    # APC's PowerNet MIB and CyberPower's (upsAdvTestDiagnosticsResults), APC's Smart protocol
    # 'X' answer as apcsmart passes it on (apcupsd's SELFTEST adds WN and IP), and the rest.
    KnownText("OK", _P, f"{_APC_SNMP} (Ok), {_APCSMART}, al175, tripplite, metasys, masterguard"),
    KnownText("Failed", _F, f"{_APC_SNMP}, {_APC_BITS}, masterguard, voltronic-axpert"),
    KnownText("InvalidTest", _A, _APC_SNMP),  # the test could not be run
    KnownText("TestInProgress", _I, f"{_APC_SNMP}, belkinunv (test in progress)"),
    KnownText("BT", _F, _APCSMART),  # failed: battery capacity too low
    KnownText("NG", _F, _APCSMART),  # failed: overload (apcupsd: also error or aborted)
    KnownText("NO", _U, _APCSMART),  # no result: no test in the last five minutes
    KnownText("WN", _W, "apcupsd-ups (apcupsd's USB driver)"),
    KnownText("IP", _I, "apcupsd-ups (apcupsd's USB driver)"),
    # APC's newer bitfields (apc_common.c apc_test_status_map).
    KnownText("None", _U, _APC_BITS),
    KnownText("Pending", _U, _APC_BITS),
    KnownText("Passed", _P, f"{_APC_BITS}, belkin, tripplitesu, voltronic-axpert"),
    KnownText("Refused", _A, _APC_BITS),
    # Belkin's serial protocols (belkin, belkinunv) and Tripp Lite's (tripplitesu, tripplite).
    KnownText("No test performed", _U, "belkin, belkinunv, tripplitesu"),
    KnownText("10s test failed", _F, "belkin"),
    KnownText("deep test failed", _F, "belkin"),
    KnownText("test passed", _P, "belkinunv"),
    KnownText("test failed", _F, "belkinunv"),
    KnownText("test aborted", _A, "belkinunv"),
    KnownText("General test failed", _F, "tripplitesu"),
    KnownText("Battery failed", _F, "tripplitesu"),
    KnownText("Deep battery test failed", _F, "tripplitesu"),
    KnownText("Battery Bad (Replace)", _F, "tripplite"),
    KnownText("Bad Inverter", _F, "tripplite"),
    KnownText("Unknown (%s)", _U, "tripplite (with the UPS's code)"),
    # nutdrv_qx's masterguard subdriver (the T210 bits of Q3).
    KnownText("no test in progress", _U, "nutdrv_qx (masterguard)"),
    KnownText("not possible", _N, "nutdrv_qx (masterguard)"),
    KnownText("autonomy time calibration in progress", _I, "nutdrv_qx (masterguard)"),
    # The rest, one driver each.
    KnownText("FAIL", _F, "al175"),
    KnownText("Idle", _U, "liebert-gxe"),
    KnownText("not yet done...", _U, "metasys"),
    KnownText("Battery charge: 20%", _U, "metasys (a charge level, not a verdict)"),
    KnownText("Battery charge: 40%", _U, "metasys"),
    KnownText("Battery charge: 60%", _U, "metasys"),
    KnownText("Battery charge: 80%", _U, "metasys"),
    KnownText("Battery charge: 100%", _U, "metasys"),
    KnownText("Bad battery pack: replace", _F, "metasys; docs/nut-names.txt's example"),
    KnownText("Impossible to test", _N, "metasys"),
    KnownText("Normal", _P, "oneac, powervar_cx (no general fault, no failed battery test)"),
    KnownText("UPS Internal Failure", _F, "oneac (its general-fault flag)"),
    KnownText("Change Battery", _F, "powervar_cx (battery life test failed)"),
    # voltronic-axpert sets experimental.device.test.result, should it become this one.
    KnownText("running", _I, "nutdrv_qx (voltronic-axpert, experimental.device.test.result)"),
    # Seen in a shared dump only: an old Tripp Lite usbhid-ups giving the raw HID value.
    KnownText("0", _U, "usbhid-ups (an old Tripp Lite: the HID code, 0 = no test)"),
)
"""Every known ``ups.test.result`` text, with what it means and which drivers set it."""

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_WORD = re.compile(r"[\W_]+")
_MAX_TEXT = 200


def _words(text: str) -> str:
    """Fold a text for matching: NFKC, CamelCase split, case-folded, words joined by one space.

    ``"TestInProgress"`` → ``"test in progress"``, ``"Battery Bad (Replace)"`` → ``"battery bad
    replace"``; full-width letters read as ASCII ones.
    """
    text = unicodedata.normalize("NFKC", text[:_MAX_TEXT])
    return _NOT_WORD.sub(" ", _CAMEL.sub(" ", text).casefold()).strip()


def _key(text: str) -> str:
    """Return the table's key for a text, its words run together (``INVALIDTEST``)."""
    return _words(text).replace(" ", "")


_BY_KEY: dict[str, SelfTestResult] = {_key(item.text): item.result for item in KNOWN_TEXTS}

_RULES: tuple[tuple[re.Pattern[str], SelfTestResult], ...] = tuple(
    (re.compile(pattern), result)
    for pattern, result in (
        # Order matters: "no test in progress" is no result, "no errors" a pass, "not ok" a failure.
        (r"\b(not supported|unsupported|not possible|impossible|cannot|can t|not capable)\b", _N),
        (r"\b(no (self )?test|no result|not (yet|tested|performed|initiated|run)|never)\b", _U),
        (r"\b(in progress|running|testing|ongoing|under way)\b", _I),
        (r"\bno (errors?|faults?|failures?|problems?|warnings?)\b", _P),
        (r"\b(fail\w*|error\w*|bad|replace\w*|not (ok|passed|good)|change battery)\b", _F),
        (r"\bwarn\w*\b", _W),
        (r"\b(abort\w*|cancel\w*|refused|inhibit\w*|invalid|interrupt\w*)\b", _A),
        (r"\b(pass\w*|ok|good|normal|success\w*)\b", _P),
        (r"\b(unknown|none|idle|scheduled|pending)\b", _U),
    )
)
"""How a text not in :data:`KNOWN_TEXTS` reads, first match wins."""


def _lookup(text: str | None) -> SelfTestResult | None:
    """Return the result of ``text``, or None when nut_ups cannot read it."""
    if not text:
        return None
    words = _words(text)
    if not words:
        return None
    if (found := _BY_KEY.get(words.replace(" ", ""))) is not None:
        return found
    for pattern, result in _RULES:
        if pattern.search(words):
            return result
    return None


def normalise(text: str | None) -> SelfTestResult:
    """Read ``ups.test.result``: what the UPS says of its last self-test.

    Args:
        text: the variable's value as upsd sent it, or None when the UPS does not report it.

    Returns:
        The result; :attr:`SelfTestResult.UNKNOWN` when the UPS holds no result (``No test
        initiated``) and for anything nut_ups cannot read (never an exception).
    """
    return _lookup(text) or SelfTestResult.UNKNOWN


def recognised(text: str | None) -> bool:
    """Whether nut_ups knows what ``text`` means (False for None, empty and unreadable text).

    An ``unknown`` result from a recognised text is a UPS saying "no result"; from an
    unrecognised one, a wording to add to :data:`KNOWN_TEXTS` (log it once).
    """
    return _lookup(text) is not None


def parse_test_date(text: str | None, today: date) -> date | None:
    """Read ``ups.test.date``; None when it is not a plausible date.

    Only snmp-ups sets it (APC's and CyberPower's MIBs: ``upsAdvTestLastDiagnosticsDate``);
    the shared dumps show ``MM/DD/YYYY`` (``07/21/2022``), NUT's docs ``MM/DD/YY``
    (``07/17/12``). The formats and limits are the battery date's
    (:func:`~custom_components.nut_ups.battery.parse_battery_date`): 1990 to tomorrow.
    """
    return parse_battery_date(text, today)


def last_test_time(
    date_text: str | None, seen_at: datetime | None, zone: tzinfo, today: date
) -> datetime | None:
    """When the last self-test ran, for a timestamp entity.

    Args:
        date_text: ``ups.test.date`` (a day, no time), or None.
        seen_at: when nut_ups saw the result turn into a :data:`FINISHED` one (timezone-aware),
            or None.
        zone: the local time zone, in which ``ups.test.date`` is a day.
        today: the local date (later dates are refused).

    Returns:
        ``seen_at`` unless the UPS dates a later test (one nut_ups did not see): then the start
        of that day; None when neither is known.
    """
    day = parse_test_date(date_text, today)
    if seen_at is not None and (day is None or seen_at.astimezone(zone).date() >= day):
        return seen_at
    if day is None:
        return None
    return datetime.combine(day, time(), zone)


def self_test_running(status: str | None, result_text: str | None) -> bool:
    """Whether the UPS itself says a self-test (or a calibration) is running.

    Args:
        status: ``ups.status`` (``TEST`` or ``CAL`` among its tokens says so).
        result_text: ``ups.test.result`` (:attr:`SelfTestResult.IN_PROGRESS` says so).

    Returns:
        True while either says so. A scheduled or pending test is not under way: a UPS that
        keeps saying ``Scheduled`` must not hide a real outage. A test nut_ups started itself
        is the caller's to add (its own test window).
    """
    flags = UpsStatus.parse(status).flags
    return bool(TEST_STATUS_TOKENS.intersection(flags)) or (
        normalise(result_text) is SelfTestResult.IN_PROGRESS
    )


class SelfTestMemory:
    """The last self-test as nut_ups keeps it: what the UPS said, kept past its "no result".

    APC Smart-UPS fall back to ``NO`` five minutes after a test, and many UPSes forget a result
    at a restart: a finished result is kept until the UPS reports another real one. Stored with
    the entry's history, so it survives Home Assistant restarts.

    Attributes:
        result: the result shown (None until the UPS said anything readable).
        raw: the text that gave it.
        seen_at: when nut_ups saw a finished result appear (UTC), None before one did; the
            reading at start-up is not a new test.
        date_text: the last ``ups.test.date`` (opaque text), for :func:`last_test_time`.
        started_at: when nut_ups last started a test itself (scheduled), UTC.
        first_seen: when nut_ups first read this UPS's test result (UTC): the start of the
            wait for a first test, for the overdue issue.
    """

    def __init__(self) -> None:
        """Start knowing nothing."""
        self.result: SelfTestResult | None = None
        self.raw: str | None = None
        self.seen_at: datetime | None = None
        self.date_text: str | None = None
        self.started_at: datetime | None = None
        self.first_seen: datetime | None = None
        self._last_raw: str | None = None

    def observe(self, raw: str | None, date_text: str | None, at: datetime) -> bool:
        """Take one poll's ``ups.test.result`` and ``ups.test.date``; return whether it changed.

        Args:
            raw: ``ups.test.result``, None when not reported (nothing changes).
            date_text: ``ups.test.date``, None when not reported.
            at: when the poll ended (UTC).
        """
        changed = date_text != self.date_text
        self.date_text = date_text
        if raw is not None and self.first_seen is None:
            self.first_seen = at
            changed = True
        if raw is None or raw == self._last_raw:
            return changed
        first = self._last_raw is None
        self._last_raw = raw
        current = normalise(raw)
        if current is SelfTestResult.UNKNOWN and self.result in FINISHED:
            return changed  # "no result (any more)": the last finished one stands
        if current in FINISHED and not first:
            self.seen_at = at
        self.result, self.raw = current, raw
        return True

    def as_dict(self) -> dict[str, str | None]:
        """Return the memory as JSON-safe data (for the Store)."""
        return {
            "result": self.result.value if self.result is not None else None,
            "raw": self.raw,
            "seen_at": self.seen_at.isoformat() if self.seen_at is not None else None,
            "date_text": self.date_text,
            "last_raw": self._last_raw,
            "started_at": self.started_at.isoformat() if self.started_at is not None else None,
            "first_seen": self.first_seen.isoformat() if self.first_seen is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> SelfTestMemory:
        """Rebuild a memory from :meth:`as_dict`'s data.

        Raises:
            ValueError: a result or a time that does not read.
        """
        memory = cls()
        result = data.get("result")
        memory.result = SelfTestResult(result) if result is not None else None
        memory.raw = data.get("raw")
        seen_at = data.get("seen_at")
        memory.seen_at = datetime.fromisoformat(seen_at) if seen_at is not None else None
        memory.date_text = data.get("date_text")
        for name in ("started_at", "first_seen"):
            text = data.get(name)
            setattr(memory, name, datetime.fromisoformat(text) if text is not None else None)
        memory._last_raw = data.get("last_raw")
        return memory


def last_test(memory: SelfTestMemory) -> datetime | None:
    """Return the most recent test known: one seen to finish, or one nut_ups started (UTC)."""
    known = [moment for moment in (memory.seen_at, memory.started_at) if moment is not None]
    return max(known) if known else None


def days_without_test(memory: SelfTestMemory, now: datetime) -> float | None:
    """Days since the last test known, else since nut_ups first read the result; None before."""
    since = last_test(memory) or memory.first_seen
    return (now - since).total_seconds() / 86400 if since is not None else None

"""Repair issues of a UPS: the only code that creates or deletes them.

State issues (on battery, low battery, replace battery, battery too old) follow each poll's
snapshot; poll
problems (upsd no longer knows the UPS, upsd refuses anonymous reads) follow the poll's outcome.
Each issue is per config entry (``<entry_id>_<kind>``), created when its condition starts,
deleted when it ends, and synced again by the first poll after a restart. While an issue stays
active its changing placeholders (charge, runtime) are rewritten at most once a minute, so an
outage does not write the issue registry at every status check.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import time

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .battery import DEFAULT_BATTERY_AGE_YEARS, battery_date, too_old
from .battery_log import BatteryFigures
from .const import DOMAIN
from .selftest import TEST_RESULT_VAR, SelfTestResult, self_test_running
from .state import NutUpsState
from .status import UpsStatus, format_runtime

WORN_NOTICE_DAYS = 30
"""Days before the projected replacement date when the battery_worn issue is raised."""

PLACEHOLDER_REFRESH = 60.0
"""Seconds an active issue keeps its placeholders before changed ones are written again."""


class IssueKind(StrEnum):
    """The repair issues nut_ups raises; values are translation keys (``issues.<kind>``)."""

    ON_BATTERY = "on_battery"
    LOW_BATTERY = "low_battery"
    REPLACE_BATTERY = "replace_battery"
    BATTERY_OLD = "battery_old"
    SELF_TEST_FAILED = "self_test_failed"
    BATTERY_WORN = "battery_worn"
    SELF_TEST_OVERDUE = "self_test_overdue"
    UNKNOWN_UPS = "unknown_ups"
    ACCESS_DENIED = "access_denied"


class PollProblem(StrEnum):
    """Why upsd answered a poll without data, when the user has to act on it."""

    UNKNOWN_UPS = IssueKind.UNKNOWN_UPS.value
    ACCESS_DENIED = IssueKind.ACCESS_DENIED.value


@dataclass(frozen=True, slots=True)
class _StateIssue:
    kind: IssueKind
    severity: ir.IssueSeverity
    active: Callable[[UpsStatus], bool]


_STATE_ISSUES: tuple[_StateIssue, ...] = (
    _StateIssue(IssueKind.ON_BATTERY, ir.IssueSeverity.WARNING, lambda s: s.on_battery),
    _StateIssue(IssueKind.LOW_BATTERY, ir.IssueSeverity.CRITICAL, lambda s: s.low_battery),
    _StateIssue(IssueKind.REPLACE_BATTERY, ir.IssueSeverity.WARNING, lambda s: s.has("RB")),
)


def issue_id(entry_id: str, kind: IssueKind) -> str:
    """Return the issue registry ID of issue ``kind`` for the config entry ``entry_id``."""
    return f"{entry_id}_{kind}"


def delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of the config entry ``entry_id`` (unload, removal)."""
    for kind in IssueKind:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry_id, kind))


class RepairIssues:
    """The repair issues of one config entry, fed by its coordinator after every poll.

    Args:
        hass: Home Assistant.
        entry_id: the config entry's ID (scopes the issue IDs).
        name: the entry's title, shown in the issues (``{name}``).
        ups: the UPS name on upsd (``{ups}``).
        battery_age_limit: years after the battery's date (``battery.date``, else
            ``battery.mfr.date``) when the battery_old issue is raised.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        name: str,
        ups: str,
        battery_age_limit: float = DEFAULT_BATTERY_AGE_YEARS,
    ) -> None:
        """Start knowing nothing: the first update writes or deletes every issue."""
        self._hass = hass
        self._battery_age_limit = battery_age_limit
        self._entry_id = entry_id
        self._name = name
        self._ups = ups
        self._synced = False  # state issues matched to a snapshot at least once
        self._problem_synced = False  # problem issues matched to a poll outcome at least once
        self._synced_kinds: set[IssueKind] = set()  # issues of _sync matched at least once
        self._last: NutUpsState | None = None
        self._problem: PollProblem | None = None
        # Active issues: kind → (placeholders written, monotonic time written).
        self._active: dict[IssueKind, tuple[dict[str, str], float]] = {}
        self.writes = 0
        """How many times an issue was created or rewritten (for diagnostics and tests)."""

    def update_state(self, state: NutUpsState, *, testing: bool = False) -> None:
        """Sync after a poll that succeeded with ``state``: match the state issues and clear any poll problem."""
        self._set_problem(None, "")
        if state is self._last and self._synced:
            return  # the status check found nothing new
        self._last = state
        status = state.status
        if status.waiting:
            return  # no data yet: neither raise nor clear anything
        placeholders = self._state_placeholders(state)
        # A self-test runs on battery: that is not a power failure (its own issue if it fails).
        testing = testing or self_test_running(status.raw, state.values.get(TEST_RESULT_VAR))
        for issue in _STATE_ISSUES:
            excused = testing and issue.kind is IssueKind.ON_BATTERY
            if status.known and issue.active(status) and not excused:
                self._create(issue.kind, issue.severity, placeholders)
            else:
                self._delete(issue.kind, force=not self._synced)
        self._update_battery_age(state)
        self._synced = True

    def _update_battery_age(self, state: NutUpsState) -> None:
        today = dt_util.now().date()
        found = battery_date(state.values, today)
        placeholders = None
        if found is not None and too_old(found, today, self._battery_age_limit):
            placeholders = {
                "name": self._name,
                "installed": found.day.isoformat(),
                "source": found.source,
                "age": f"{found.age_years(today):.1f}",
                "limit": f"{self._battery_age_limit:g}",
            }
        self._sync(IssueKind.BATTERY_OLD, placeholders)

    def update_self_test(self, result: SelfTestResult | None, raw: str | None) -> None:
        """Raise the self_test_failed issue while the last self-test (stored) failed."""
        failed = result is SelfTestResult.FAILED
        self._sync(
            IssueKind.SELF_TEST_FAILED,
            {"name": self._name, "result": raw or ""} if failed else None,
        )

    def update_self_test_overdue(self, days: float | None, limit: float) -> None:
        """Raise self_test_overdue while ``days`` without a test exceed ``limit`` (0: off)."""
        overdue = bool(limit) and days is not None and days > limit
        self._sync(
            IssueKind.SELF_TEST_OVERDUE,
            {"name": self._name, "days": f"{days:.0f}", "limit": f"{limit:g}"}
            if overdue and days is not None
            else None,
        )

    def update_battery_health(self, figures: BatteryFigures, threshold: float) -> None:
        """Raise battery_worn while health is below ``threshold`` (%) or due within 30 days."""
        health = figures.health.health if figures.health is not None else None
        due = figures.replacement.due if figures.replacement is not None else None
        soon = due is not None and (due - dt_util.now().date()).days <= WORN_NOTICE_DAYS
        placeholders = None
        if (health is not None and health < threshold) or soon:
            placeholders = {
                "name": self._name,
                "health": f"{health:.0f} %" if health is not None else "—",
                "threshold": f"{threshold:g} %",
                "due": due.isoformat() if due is not None else "—",
            }
        self._sync(IssueKind.BATTERY_WORN, placeholders)

    def update_problem(self, problem: PollProblem, error: str) -> None:
        """Raise the issue of ``problem``, why a poll failed (``error``: upsd's code)."""
        self._set_problem(problem, error)

    def _set_problem(self, problem: PollProblem | None, error: str) -> None:
        if problem == self._problem and self._problem_synced:
            return
        force = not self._problem_synced
        self._problem = problem
        self._problem_synced = True
        for candidate in PollProblem:
            kind = IssueKind(candidate.value)
            if candidate is problem:
                placeholders = {"name": self._name, "ups": self._ups}
                if problem is PollProblem.ACCESS_DENIED:
                    placeholders["error"] = error
                self._create(kind, ir.IssueSeverity.ERROR, placeholders)
            else:
                self._delete(kind, force=force)

    def _state_placeholders(self, state: NutUpsState) -> dict[str, str]:
        charge = state.number("battery.charge")
        runtime = format_runtime(state.number("battery.runtime"))
        return {
            "name": self._name,
            "charge": f"{charge:.0f} %" if charge is not None else "—",
            "runtime": runtime or "—",
        }

    def _sync(self, kind: IssueKind, placeholders: dict[str, str] | None) -> None:
        """Raise the warning ``kind`` with ``placeholders``, or delete it when they are None.

        The first time, whatever the registry holds from before a restart is deleted too.
        """
        if placeholders is not None:
            self._create(kind, ir.IssueSeverity.WARNING, placeholders)
        else:
            self._delete(kind, force=kind not in self._synced_kinds)
        self._synced_kinds.add(kind)

    def _create(
        self, kind: IssueKind, severity: ir.IssueSeverity, placeholders: dict[str, str]
    ) -> None:
        now = time.monotonic()
        written = self._active.get(kind)
        if written is not None and (
            written[0] == placeholders or now - written[1] < PLACEHOLDER_REFRESH
        ):
            return
        self._active[kind] = (placeholders, now)
        self.writes += 1
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(self._entry_id, kind),
            is_fixable=False,
            severity=severity,
            translation_key=kind,
            translation_placeholders=placeholders,
        )

    def _delete(self, kind: IssueKind, *, force: bool) -> None:
        """Delete the issue if we raised it, or whatever the registry holds when ``force``."""
        if self._active.pop(kind, None) is not None or force:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id(self._entry_id, kind))

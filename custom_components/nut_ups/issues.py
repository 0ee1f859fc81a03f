"""Repair issues: on battery, low battery, replace battery, and a UPS upsd no longer knows.

Each issue is per config entry (``<entry_id>_<kind>``), raised when the UPS enters the state and
deleted when it leaves it, and synced again from the first poll after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_LOW_BATTERY,
    ISSUE_ON_BATTERY,
    ISSUE_REPLACE_BATTERY,
    ISSUE_UNKNOWN_UPS,
)
from .status import UpsStatus, format_runtime, parse_number

if TYPE_CHECKING:
    from .coordinator import NutUpsConfigEntry, NutUpsState

# Issue kind, severity, and when it is raised.
_STATE_ISSUES: tuple[tuple[str, ir.IssueSeverity, Callable[[UpsStatus], bool]], ...] = (
    (ISSUE_ON_BATTERY, ir.IssueSeverity.WARNING, lambda status: status.on_battery),
    (ISSUE_LOW_BATTERY, ir.IssueSeverity.CRITICAL, lambda status: status.low_battery),
    (ISSUE_REPLACE_BATTERY, ir.IssueSeverity.WARNING, lambda status: status.has("RB")),
)
ALL_ISSUES = (*(kind for kind, _, _ in _STATE_ISSUES), ISSUE_UNKNOWN_UPS)


def issue_id(entry: NutUpsConfigEntry, kind: str) -> str:
    """Return the issue registry ID of issue ``kind`` for ``entry``."""
    return f"{entry.entry_id}_{kind}"


def _placeholders(entry: NutUpsConfigEntry, state: NutUpsState) -> dict[str, str]:
    charge = parse_number(state.values.get("battery.charge"))
    runtime = format_runtime(parse_number(state.values.get("battery.runtime")))
    return {
        "name": entry.title,
        "charge": f"{charge:.0f} %" if charge is not None else "unknown",
        "runtime": runtime or "unknown",
    }


def sync_state_issues(hass: HomeAssistant, entry: NutUpsConfigEntry, state: NutUpsState) -> None:
    """Raise or delete the on/low/replace battery issues to match ``state``."""
    status = state.status
    if status.waiting:
        return  # no data yet: neither raise nor clear anything
    placeholders = _placeholders(entry, state)
    for kind, severity, active in _STATE_ISSUES:
        if active(status) and status.known:
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id(entry, kind),
                is_fixable=False,
                severity=severity,
                translation_key=kind,
                translation_placeholders=placeholders,
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, issue_id(entry, kind))


def set_unknown_ups_issue(
    hass: HomeAssistant, entry: NutUpsConfigEntry, ups: str, present: bool
) -> None:
    """Raise (``present``) or delete the issue saying upsd does not know ``ups`` any more."""
    if present:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id(entry, ISSUE_UNKNOWN_UPS),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_UNKNOWN_UPS,
            translation_placeholders={"name": entry.title, "ups": ups},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, ISSUE_UNKNOWN_UPS))


def delete_all_issues(hass: HomeAssistant, entry: NutUpsConfigEntry) -> None:
    """Delete every issue of ``entry`` (unload, removal)."""
    for kind in ALL_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry, kind))

"""When the battery was installed, read from the UPS's own variables (no Home Assistant imports).

NUT names two dates (docs/nut-names.txt): ``battery.date``, "battery installation or last
change date", and ``battery.mfr.date``, "battery manufacturing date"; both are opaque strings.
Real devices report ``2019/03/12`` (most HID drivers), ``03/12/19`` (APC's month/day/year),
``2019-03-12``, and junk (``CPS``, ``not set``, ``2065/165/165``, ``4158/00/03``): whatever does
not read as a real date between 1990 and tomorrow is no date.
"""

from dataclasses import dataclass
from datetime import date, timedelta
import re

BATTERY_DATE_VARS = {"battery.date": "installation", "battery.mfr.date": "manufacture"}
"""Where the installation date is read from, best first, with what the date means."""

DEFAULT_BATTERY_AGE_YEARS = 4.0
"""Age (years) after which a battery gets a repair issue: a VRLA battery lasts 3 to 5 years."""

IMPLAUSIBLE_AGE_YEARS = 15.0
"""Older than this is a firmware default (APC's ``2001/09/25``), not a battery still in use."""

_DAYS_PER_YEAR = 365.25
_ISO = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")


@dataclass(frozen=True, slots=True)
class BatteryDate:
    """A battery's installation (or manufacturing) date and the variable it came from.

    Attributes:
        day: the date.
        source: ``battery.date`` or ``battery.mfr.date``.
    """

    day: date
    source: str

    @property
    def kind(self) -> str:
        """What the date means: ``installation`` (battery.date) or ``manufacture``."""
        return BATTERY_DATE_VARS[self.source]

    def age_years(self, today: date) -> float:
        """Return the battery's age on ``today``, in years (365.25 days)."""
        return (today - self.day).days / _DAYS_PER_YEAR


def parse_battery_date(text: str | None, today: date) -> date | None:
    """Read a NUT battery date; None when it is not a plausible date.

    Args:
        text: the variable's value: ``YYYY/MM/DD`` (also ``-`` or ``.``), or ``MM/DD/YY`` and
            ``MM/DD/YYYY`` (APC, with a two-digit year meaning 19xx from 90 on, else 20xx).
        today: the local date; a date after tomorrow is refused (a clock or a firmware error).

    Returns:
        The date, or None for anything else (empty, ``not set``, month 0, day 36, year 4158…).
    """
    text = (text or "").strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _US.fullmatch(text):
        month, day, year = (int(part) for part in match.groups())
        if year < 100:
            year += 1900 if year >= 90 else 2000
    else:
        return None
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if found.year < 1990 or found > today + timedelta(days=1):
        return None
    return found


def battery_date(values: dict[str, str], today: date) -> BatteryDate | None:
    """Return the battery's installation date from ``battery.date``, else ``battery.mfr.date``.

    Args:
        values: the UPS's variables (``LIST VAR``).
        today: the local date (dates in the future are refused).

    Returns:
        The first plausible date of :data:`BATTERY_DATE_VARS`, or None.
    """
    for name in BATTERY_DATE_VARS:
        found = parse_battery_date(values.get(name), today)
        if found is not None:
            return BatteryDate(found, name)
    return None


def too_old(found: BatteryDate | None, today: date, limit_years: float) -> bool:
    """Whether the battery is older than ``limit_years`` (and not implausibly old).

    A date older than :data:`IMPLAUSIBLE_AGE_YEARS` is a firmware default, never a reason
    to raise an issue.
    """
    if found is None:
        return False
    age = found.age_years(today)
    return limit_years < age <= IMPLAUSIBLE_AGE_YEARS

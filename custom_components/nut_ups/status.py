"""Meaning of NUT's ``ups.status``: flags, the dominant state, the alert level; runtime text.

Tokens from NUT's docs/nut-names.txt ("ups.status"); unknown tokens are kept as flags and never
change the state or the alert level. Pure functions: no Home Assistant imports.
"""

from dataclasses import dataclass
from enum import StrEnum
import re

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)")


class AlertLevel(StrEnum):
    """How urgent the UPS's state is: OL = ok, OB = warning, LB = critical."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


class UpsState(StrEnum):
    """The one state that best describes ``ups.status``, most urgent first."""

    FORCED_SHUTDOWN = "forced_shutdown"
    LOW_BATTERY = "low_battery"
    ON_BATTERY = "on_battery"
    OVERLOAD = "overload"
    BYPASS = "bypass"
    OFF = "off"
    CALIBRATING = "calibrating"
    TESTING = "testing"
    ONLINE = "online"
    WAITING = "waiting"


# Token → state, in order of precedence (first match wins).
_STATE_BY_TOKEN: tuple[tuple[str, UpsState], ...] = (
    ("FSD", UpsState.FORCED_SHUTDOWN),
    ("LB", UpsState.LOW_BATTERY),
    ("OB", UpsState.ON_BATTERY),
    ("OVER", UpsState.OVERLOAD),
    ("BYPASS", UpsState.BYPASS),
    ("OFF", UpsState.OFF),
    ("CAL", UpsState.CALIBRATING),
    ("TEST", UpsState.TESTING),
    ("OL", UpsState.ONLINE),
    ("WAIT", UpsState.WAITING),
)
_CRITICAL = frozenset({"LB", "FSD"})
_WARNING = frozenset({"OB", "RB", "OVER", "BYPASS", "OFF", "ALARM"})


@dataclass(frozen=True, slots=True)
class UpsStatus:
    """A parsed ``ups.status``.

    Attributes:
        raw: the text as upsd sent it, e.g. ``"OL CHRG"``.
        flags: its tokens, upper-cased, in order, duplicates removed.
    """

    raw: str
    flags: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str | None) -> UpsStatus:
        """Parse a ``ups.status`` value; None (not reported) gives an empty status."""
        flags = tuple(dict.fromkeys((raw or "").upper().split()))
        return cls(raw or "", flags)

    def has(self, token: str) -> bool:
        """Whether the status holds ``token`` (e.g. ``"OB"``)."""
        return token in self.flags

    @property
    def waiting(self) -> bool:
        """No data yet: upsd answers WAIT until the driver has reported (never 'on battery')."""
        return self.has("WAIT") and not (self.has("OL") or self.has("OB"))

    @property
    def known(self) -> bool:
        """Whether the status says anything about power at all (not empty, not only WAIT)."""
        return self.dominant is not None and not self.waiting

    @property
    def dominant(self) -> UpsState | None:
        """The dominant state, or None when no token is one we know."""
        for token, state in _STATE_BY_TOKEN:
            if token in self.flags:
                return state
        return None

    @property
    def on_battery(self) -> bool:
        """OB, or FSD (upsd sets FSD when the primary decides to shut down: treat as OB LB)."""
        return self.has("OB") or self.has("FSD")

    @property
    def low_battery(self) -> bool:
        """LB or FSD."""
        return self.has("LB") or self.has("FSD")

    @property
    def alert_level(self) -> AlertLevel | None:
        """Critical = LB/FSD; warning = OB, RB, OVER, BYPASS, OFF, ALARM; ok otherwise.

        None while there is nothing to judge (no status, or WAIT).
        """
        if not self.flags or self.waiting:
            return None
        if _CRITICAL.intersection(self.flags):
            return AlertLevel.CRITICAL
        if _WARNING.intersection(self.flags):
            return AlertLevel.WARNING
        return AlertLevel.OK


def format_runtime(seconds: float | None) -> str | None:
    """Format a runtime as ``"1h 5m"``, or ``"45m"`` under an hour (minutes rounded down).

    Args:
        seconds: ``battery.runtime`` in seconds; None or negative gives None.

    Returns:
        ``"0m"`` under a minute, ``"Xm"`` under an hour, ``"Xh Ym"`` otherwise.
    """
    if seconds is None or seconds < 0:
        return None
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def parse_number(value: str | None) -> int | float | None:
    """Parse a NUT number (``.`` decimals, maybe leading zeros, never exponents); None if not one.

    Returns an ``int`` when the text has no decimal point, so ``"100"`` stays ``100``.
    """
    if value is None:
        return None
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        return None
    return float(text) if "." in text else int(text)

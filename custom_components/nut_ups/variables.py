"""What NUT's variables mean: units and device classes by name (docs/nut-names.txt).

Pure data and functions without Home Assistant imports; sensor.py maps them onto Home
Assistant's units and device classes.
"""

from dataclasses import dataclass
import re


@dataclass(frozen=True, slots=True)
class VariableKind:
    """How to show a numeric NUT variable.

    Attributes:
        unit: ``"V"``, ``"A"``, ``"Hz"``, ``"W"``, ``"VA"``, ``"°C"``, ``"%"``, ``"s"``, ``"Ah"``,
            or None (a plain number).
        device_class: Home Assistant sensor device class name, or None.
        measurement: whether the value is a measurement (gets long-term statistics); settings
            such as thresholds and nominal values are not.
    """

    unit: str | None
    device_class: str | None
    measurement: bool


# (pattern on the variable name, unit, device class); first match wins.
_RULES: tuple[tuple[re.Pattern[str], str | None, str | None], ...] = tuple(
    (re.compile(pattern), unit, device_class)
    for pattern, unit, device_class in (
        (r"(^|\.)temperature(\.|$)", "°C", "temperature"),
        (r"(^|\.)humidity(\.|$)", "%", "humidity"),
        (r"(^|\.)realpower(\.|$)", "W", "power"),
        (r"(^|\.)power(\.|$)", "VA", "apparent_power"),
        (r"(^|\.)voltage(\.|$)|\.transfer\.(low|high)|\.(boost|trim)\.(low|high)", "V", "voltage"),
        (r"(^|\.)current(\.|$)", "A", "current"),
        (r"(^|\.)frequency(\.|$)", "Hz", "frequency"),
        (r"^battery\.charge(\.|$)|(^|\.)load(\.|$)|(^|\.)efficiency$", "%", None),
        (r"(^|\.)runtime(\.|$)|\.delay\.|\.timer\.|(^|\.)uptime$|\.interval$", "s", "duration"),
        (r"^battery\.capacity", "Ah", None),
    )
)

# Settings, limits and nominal ratings: numbers, but not measurements.
_NOT_MEASUREMENT = re.compile(
    r"\.nominal$|\.low$|\.high$|\.warning$|\.restart$|\.delay\.|\.(min|max)imum$|\.count$|"
    r"\.transfer\.|\.sensitivity$|^driver\.|\.id$|\.interval$|\.capacity$"
)

# Numeric-looking values that are identifiers, dates or versions, not quantities.
_NOT_A_NUMBER = re.compile(
    r"(vendorid|productid|serial|firmware|version|\.date$|\.id$|\.type$|\.model$|\.mfr$|"
    r"macaddr|\.status$|^driver\.parameter\.|^driver\.flag\.|\.name$|\.desc$|\.cmd$)"
)


# Units of quantities that cannot be negative: a negative reading is a driver's "not available".
_NON_NEGATIVE_UNITS = frozenset({"%", "V", "A", "Hz", "W", "VA", "s", "Ah"})


def valid_quantity(name: str, number: float | None) -> float | None:
    """Return ``number`` unless it is a sentinel for ``name``; None when it is.

    Args:
        name: the NUT variable, e.g. ``"battery.runtime"``.
        number: its parsed value (finite: :func:`.status.parse_number` accepts no inf/nan).

    Returns:
        None for a negative value of a quantity in %, V, A, Hz, W, VA, s or Ah (``-1`` and a
        Socomec's ``-60.0`` runtime mean "not available"); ``number`` otherwise. Temperatures
        may be negative and are kept.
    """
    if number is None or number >= 0:
        return number
    return None if variable_kind(name).unit in _NON_NEGATIVE_UNITS else number


def is_numeric_variable(name: str, value: str, parsed: float | None) -> bool:
    """Whether a variable with this value is a quantity (a number sensor), not an identifier."""
    return parsed is not None and not _NOT_A_NUMBER.search(name) and value.strip() != ""


def variable_kind(name: str) -> VariableKind:
    """Return the unit, device class and measurement flag of a numeric NUT variable."""
    measurement = not _NOT_MEASUREMENT.search(name)
    for pattern, unit, device_class in _RULES:
        if pattern.search(name):
            return VariableKind(unit, device_class, measurement)
    return VariableKind(None, None, measurement)


# Writable variables that are settings (docs/nut-names.txt): thresholds, delays, transfer points,
# beeper, sensitivity, start behaviour, test interval, identity. Real upsd's dummy-ups lists every
# variable in LIST RW, so "RW" alone never makes a measurement (ups.load) a setting.
_SETTING = re.compile(
    r"^battery\.(charge|runtime)\.(low|warning|restart)$|^battery\.(date|packs|type|mfr\.date)$|"
    r"^(ups|outlet\.\d+|outlet\.group\.\d+)\.delay\.(shutdown|start|reboot)$|"
    r"^input\.transfer\.(low|high|boost\.low|boost\.high|trim\.low|trim\.high|delay)$|"
    r"^input\.(sensitivity|voltage\.extended|frequency\.extended)$|"
    r"^ups\.(beeper\.status|start\.(auto|battery|reboot)|test\.interval|id|contacts)$|"
    r"^device\.(location|contact|description)$|^outlet\.\d+\.(desc|autoswitch\.charge\.low)$|"
    r"^output\.(voltage|frequency)\.nominal$"
)

DEFAULT_ENABLED_SETTINGS = frozenset(
    {
        "battery.charge.low",
        "battery.runtime.low",
        "ups.delay.shutdown",
        "ups.delay.start",
        "input.transfer.low",
        "input.transfer.high",
        "input.sensitivity",
        "ups.beeper.status",
    }
)
"""The settings whose entities are enabled by default; the others start disabled."""


def is_setting(name: str) -> bool:
    """Whether a writable variable is a setting a user may change (never a measurement)."""
    return bool(_SETTING.match(name))

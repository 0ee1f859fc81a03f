"""Readings no UPS can have: the rule, and a per-entry tally of the readings it rejected.

Drivers sometimes report a value no UPS can have: a charge of 120 %, a load of 562020 %, a
temperature in kelvin (302) or a sentinel (-232), a frequency off by a factor of ten or a hundred,
an output of 9812 V (home-assistant/core#79703, #95157). Shown as it is, such a value spoils
long-term statistics and dashboards; nut_ups shows ``unknown`` instead
(:meth:`.state.NutUpsState.number` applies :func:`plausible`), and the coordinator keeps an
:class:`ImplausibleReadings` tally for the diagnostics.

What is plausible (checked against the 504 dumps of the NUT Devices Dumps Library,
tests/test_plausible.py):

* ``battery.charge``: 0 to 100 %.
* loads (``ups.load``, per phase, per outlet): 0 to 200 % (an overload exceeds 100 %).
* temperatures: -40 to 100 °C; humidities: 0 to 100 %.
* ``battery.runtime``: 0 to 7 days, or any non-negative time when ``battery.packs.external``
  says external battery packs are attached.
* frequencies of the input, output, bypass and outlets: 0 (no power) or 40 to 70 Hz.
* voltages of the input, output, bypass, outlets and battery: not negative, and at most
  :data:`VOLTAGE_FACTOR` times the nominal of the same line (``input.L1-N.voltage`` against
  ``input.voltage.nominal``) when a credible nominal is known; never above the low-voltage
  limits (1000 V AC, 1500 V DC) that every UPS is built within. ``input.voltage: 0`` during an
  outage is real and stays.

Only measurements are judged: settings, thresholds and nominal values are not. Pure: no Home
Assistant imports.
"""

from collections.abc import Mapping
from dataclasses import dataclass
import re

from .status import parse_number

MAX_RUNTIME_WITHOUT_PACKS = 7 * 24 * 3600
"""Seconds of runtime no UPS without external battery packs reaches."""

VOLTAGE_FACTOR = 2.5
"""How far above its nominal a voltage may read.

Twice the nominal would do for a correct nominal, but real dumps report nominals that are half
the truth: a 48 V string as 24 V (APC Smart-UPS 3000: 54.8 V on "24 V"), two 12 V batteries as
12 V, a 230 V Back-UPS as 100 V. Their healthy readings reach 2.3 times that nominal; no charger
pushes a lead-acid battery past 1.25 times its true nominal, so 2.5 keeps those and still rejects
the broken readings (7.7 times and more in the dumps).
"""

MIN_AC_NOMINAL = 100.0
"""The lowest mains nominal in use (Japan). An AC line's "nominal" below it is a battery figure
put in the wrong variable by old drivers (MGE: ``output.voltage.nominal: 24`` beside
``output.voltage: 226``) and is no reference; so is a DC output's, left unjudged."""

MAX_AC_VOLTAGE = 1000.0
"""The IEC low-voltage limit for AC: no UPS input, output or outlet carries more."""

MAX_DC_VOLTAGE = 1500.0
"""The IEC low-voltage limit for DC: no UPS battery string reaches it."""

_CHARGE = re.compile(r"^battery\.charge$")
_LOAD = re.compile(r"^(ups|input|output|outlet(\.group)?(\.\d+)?)(\.L\d)?\.load$")
_TEMPERATURE = re.compile(r"^(ups|battery|ambient|input|output|outlet)(\.[^.]+)*\.temperature$")
_HUMIDITY = re.compile(r"^ambient(\.\d+)?\.humidity$")
_RUNTIME = re.compile(r"^battery\.runtime$")
_FREQUENCY = re.compile(r"^(input|output|outlet)(\.[^.]+)*\.frequency$")
_VOLTAGE = re.compile(
    r"^(?P<line>input|output|input\.bypass|battery|outlet(\.group)?(\.\d+)?)"
    r"(\.L\d(-N|-L\d)?)?\.voltage$"
)

# (pattern, lowest, highest) of the quantities with fixed bounds.
_RANGES: tuple[tuple[re.Pattern[str], float, float], ...] = (
    (_CHARGE, 0.0, 100.0),
    (_LOAD, 0.0, 200.0),
    (_TEMPERATURE, -40.0, 100.0),
    (_HUMIDITY, 0.0, 100.0),
)


def _number(values: Mapping[str, str], name: str) -> float | None:
    return parse_number(values.get(name))


def plausible(name: str, number: float, values: Mapping[str, str]) -> bool:
    """Whether a UPS can report ``number`` as variable ``name``.

    Args:
        name: the NUT variable, e.g. ``"battery.charge"``.
        number: its parsed value.
        values: every variable of the UPS (for nominal voltages and ``battery.packs.external``).

    Returns:
        False for a value no UPS can have (see the module docstring); True otherwise, and for
        every variable the rule does not judge.
    """
    for pattern, low, high in _RANGES:
        if pattern.match(name):
            return low <= number <= high
    if _RUNTIME.match(name):
        if number < 0:
            return False
        packs = _number(values, "battery.packs.external")
        return number <= MAX_RUNTIME_WITHOUT_PACKS or (packs is not None and packs > 0)
    if _FREQUENCY.match(name):
        return number == 0 or 40.0 <= number <= 70.0
    if match := _VOLTAGE.match(name):
        line = match.group("line")
        battery = line == "battery"
        if not 0 <= number <= (MAX_DC_VOLTAGE if battery else MAX_AC_VOLTAGE):
            return False
        nominal = _number(values, f"{line}.voltage.nominal")
        floor = 0.0 if battery else MIN_AC_NOMINAL
        if nominal is None or nominal <= 0 or nominal < floor:
            return True
        return number <= VOLTAGE_FACTOR * nominal
    return True


def implausible_readings(values: Mapping[str, str]) -> dict[str, str]:
    """Return the variables of a ``LIST VAR`` whose value no UPS can have, with their raw text."""
    found: dict[str, str] = {}
    for name, raw in values.items():
        number = parse_number(raw)
        if number is not None and not plausible(name, number, values):
            found[name] = raw
    return found


@dataclass(slots=True)
class Tally:
    """How often one variable read implausibly, and its last such value as upsd sent it."""

    count: int
    last_raw: str


class ImplausibleReadings:
    """The implausible readings of one UPS since setup: a tally per variable (diagnostics).

    Attributes:
        tallies: variable → its tally, in the order first seen.
    """

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.tallies: dict[str, Tally] = {}
        self._values: dict[str, str] = {}  # the last list's values, and what was found in them
        self._found: dict[str, str] = {}

    def observe(self, values: Mapping[str, str]) -> list[tuple[str, str]]:
        """Count the implausible readings of one ``LIST VAR``.

        Returns:
            The variables read implausibly for the first time, with their raw text, for the
            caller to log once.
        """
        if values != self._values:  # most lists repeat the last: compare, don't re-check
            self._values = dict(values)
            self._found = implausible_readings(values)
        first: list[tuple[str, str]] = []
        for name, raw in self._found.items():
            if tally := self.tallies.get(name):
                tally.count += 1
                tally.last_raw = raw
            else:
                self.tallies[name] = Tally(1, raw)
                first.append((name, raw))
        return first

    def as_dict(self) -> dict[str, dict[str, int | str]]:
        """Return the tallies for the diagnostics: ``{variable: {"count": n, "last_raw": text}}``."""
        return {
            name: {"count": tally.count, "last_raw": tally.last_raw}
            for name, tally in self.tallies.items()
        }

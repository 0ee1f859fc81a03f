"""Runtime left on battery, from the discharge observed in this outage (no Home Assistant imports).

A UPS computes ``battery.runtime`` from a model of a new battery; on an aged one it is often
wrong by a factor of two. During an outage nut_ups watches ``battery.charge`` (or, without
it, ``battery.voltage``) fall, fits a straight line to the last :data:`WINDOW` seconds of it by
least squares, and extrapolates: to 0 % for the charge, to ``battery.voltage.low`` for the
voltage. Before the battery has fallen enough to tell (:data:`MIN_CHARGE_DROP` points over at
least :data:`MIN_SPAN` seconds), and off battery, the estimate is the UPS's own figure.

The line fits a constant load well; after a load change the window forgets the old slope in
:data:`WINDOW` seconds. A voltage falls faster near the end (the knee of a lead-acid curve), so
the voltage method errs long late in the discharge; the charge method is preferred.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

WINDOW = 600.0
"""Seconds of samples the slope is fitted to."""
MIN_SPAN = 60.0
"""Seconds of samples needed before the observed slope is used."""
MIN_CHARGE_DROP = 3.0
"""Percentage points the charge must have fallen within the window (1 % steps are the norm)."""
MIN_VOLTAGE_DROP = 0.015
"""Share of the voltage it must have fallen within the window (0.36 V of a 24 V battery)."""


class RuntimeSource(StrEnum):
    """Where an estimate comes from (the sensor's ``source`` attribute)."""

    CHARGE = "charge"
    VOLTAGE = "voltage"
    UPS = "ups"


@dataclass(frozen=True, slots=True)
class RuntimeEstimate:
    """Seconds left on battery and how they were found.

    Attributes:
        seconds: the runtime (s), None when neither the observation nor the UPS tells.
        source: which method gave it.
        rate: for an observed estimate, how fast the battery falls (% or V per minute).
    """

    seconds: float | None
    source: RuntimeSource
    rate: float | None = None


def fit_slope(samples: deque[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares line through ``(t, y)`` samples.

    Returns:
        ``(slope per second, fitted y at the newest t)``, or None for fewer than two distinct t.
    """
    count = len(samples)
    if count < 2:
        return None
    mean_t = sum(t for t, _ in samples) / count
    mean_y = sum(y for _, y in samples) / count
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return None
    slope = sum((t - mean_t) * (y - mean_y) for t, y in samples) / spread
    return slope, mean_y + slope * (samples[-1][0] - mean_t)


class RuntimeEstimator:
    """Watches one UPS's battery during an outage and estimates the runtime left.

    Feed it every answered poll with :meth:`observe`; read :meth:`estimate`.
    """

    def __init__(self) -> None:
        """Start off battery, with no samples."""
        self._charge: deque[tuple[float, float]] = deque()
        self._voltage: deque[tuple[float, float]] = deque()
        self._voltage_low: float | None = None
        self._ups_runtime: float | None = None

    def observe(
        self,
        at: float,
        *,
        on_battery: bool,
        charge: float | None,
        voltage: float | None,
        voltage_low: float | None,
        ups_runtime: float | None,
    ) -> None:
        """Take one poll's readings.

        Args:
            at: monotonic time of the poll (s).
            on_battery: whether the UPS runs on battery; off battery the samples are dropped.
            charge: ``battery.charge`` (%), None when not reported.
            voltage: ``battery.voltage`` (V), None when not reported.
            voltage_low: ``battery.voltage.low`` (V), where the voltage method ends.
            ups_runtime: ``battery.runtime`` (s), the UPS's own figure.
        """
        self._ups_runtime = ups_runtime
        self._voltage_low = voltage_low
        if not on_battery:
            self._charge.clear()
            self._voltage.clear()
            return
        for samples, value in ((self._charge, charge), (self._voltage, voltage)):
            if value is None:
                continue
            if samples and samples[-1][0] >= at:
                samples.pop()  # the same moment again: the newest reading stands
            samples.append((at, value))
            while samples[0][0] < at - WINDOW:
                samples.popleft()

    def estimate(self) -> RuntimeEstimate:
        """Return the runtime left: observed when there is enough of it, else the UPS's."""
        by_charge = self._extrapolate(self._charge, 0.0, lambda first: MIN_CHARGE_DROP)
        if by_charge is not None:
            return RuntimeEstimate(by_charge[0], RuntimeSource.CHARGE, by_charge[1])
        if not self._charge and self._voltage_low is not None:
            by_voltage = self._extrapolate(
                self._voltage, self._voltage_low, lambda first: first * MIN_VOLTAGE_DROP
            )
            if by_voltage is not None:
                return RuntimeEstimate(by_voltage[0], RuntimeSource.VOLTAGE, by_voltage[1])
        return RuntimeEstimate(self._ups_runtime, RuntimeSource.UPS)

    @staticmethod
    def _extrapolate(
        samples: deque[tuple[float, float]], end: float, min_drop: Callable[[float], float]
    ) -> tuple[float, float] | None:
        """Seconds until the fitted line reaches ``end``, and its rate per minute; or None."""
        if len(samples) < 3 or samples[-1][0] - samples[0][0] < MIN_SPAN:
            return None
        values = [y for _, y in samples]
        if max(values) - min(values) < min_drop(samples[0][1]):
            return None
        fitted = fit_slope(samples)
        if fitted is None or fitted[0] >= 0:
            return None
        slope, now = fitted
        return max(now - end, 0.0) / -slope, -slope * 60

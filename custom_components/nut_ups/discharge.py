"""Discharge episodes: what the battery delivered each time it fed the load (no Home Assistant imports).

A :class:`DischargeRecorder` is fed every answered poll. While the battery feeds the load (an
outage, or a self-test) it integrates the output power into energy like the energy sensor
(:class:`.ledger.EnergyMeter`: a left Riemann sum, never across a gap longer than ``max_gap``),
and fits ``battery.charge`` against that energy by least squares. When the battery stops
discharging it closes a :class:`DischargeEpisode`, kept when the charge fell by at least
:data:`MIN_DROP` points; the last :data:`MAX_EPISODES` are kept, for storage as plain dicts.

Why a fit rather than the two end readings: ``battery.charge`` comes in whole percent (399 of
the 419 values in the shared NUT device dumps are whole; a few drivers step by 0.1 or 2.5), so
the two ends of a 10-point drop may each be off by up to one point: ±20 % on the capacity. The slope of the charge
against the energy delivered uses every reading; a 1-point quantisation (a sawtooth uncorrelated
with the energy over whole steps) biases it by only ``1/D²`` for a drop of ``D`` points (1 % at
10 points), and a step of charge right at the switch to battery (a voltage-based gauge sagging
under load) moves the intercept, not the slope.

Pure code, no Home Assistant imports.
"""

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
import math
from typing import Any

MIN_DROP = 5.0
"""Percentage points the charge must fall for an episode to be kept.

A charge reading comes in 1-point steps, so each end of a drop may be off by up to a point: a
5-point drop is still known within ±40 % (worst case), enough to compare the runtime the UPS
predicted with what the battery gave; a smaller one is mostly quantisation. A quick self-test
or a brief transfer lasts seconds, a few points at most on a UPS with minutes of runtime (10 s
of a 10-minute runtime is under 2 points): they tell nothing, and keeping them would crowd the
:data:`MAX_EPISODES` kept.
"""

MAX_EPISODES = 100
"""Episodes kept per UPS (the oldest are dropped first)."""

DEFAULT_MAX_GAP = 15.0
"""Seconds between answered polls beyond which the episode in progress is closed: the energy
delivered in between is unknown, so the fit ends there (a new episode starts after the gap)."""


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"not a time: {value!r}")
    return datetime.fromisoformat(value)


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class DischargeEpisode:
    """One discharge of the battery into the load, from the switch to battery to its end.

    Attributes:
        start: the first poll on battery (UTC).
        end: the last poll on battery (UTC).
        charge_start: ``battery.charge`` at the first reading on battery (%).
        charge_end: ``battery.charge`` at the last reading on battery (%).
        mean_load: time-weighted mean of ``ups.load`` (% of the UPS's rating); None when a poll
            lacked it.
        mean_power: time-weighted mean output power (W, ``ups.realpower`` or
            ``ups.realpower.nominal * ups.load``); None when a poll lacked it.
        energy_wh: energy delivered to the load (Wh, left Riemann sum over the polls); None when
            the power was unknown.
        predicted_runtime: ``battery.runtime`` at the first poll on battery (s): what the UPS
            promised; None when not reported.
        voltage_start: ``battery.voltage`` at the first reading on battery (V).
        voltage_end: ``battery.voltage`` at the last reading on battery (V).
        self_test: whether the discharge was a battery test (flagged by the caller at any poll:
            status ``TEST``/``CAL``, or within a test nut_ups started).
        capacity_wh: the energy a full charge would deliver at this episode's load (Wh): minus
            100 over the least-squares slope of the charge (%) against the energy delivered
            (Wh); None without power, or when the charge did not fall with the energy.
        full_load_hours: the same against ``∫ load/100 dt`` (h): hours a full charge would
            last at 100 % load, for UPSes that report a load but no power; None without load.
        capacity_error: relative standard error of ``capacity_wh`` (else of
            ``full_load_hours``), from the fit's residuals (a share: 0.02 is ±2 %).
    """

    start: datetime
    end: datetime
    charge_start: float
    charge_end: float
    mean_load: float | None
    mean_power: float | None
    energy_wh: float | None
    predicted_runtime: float | None
    voltage_start: float | None
    voltage_end: float | None
    self_test: bool
    capacity_wh: float | None = None
    full_load_hours: float | None = None
    capacity_error: float | None = None

    @property
    def duration(self) -> float:
        """Seconds on battery, from the first to the last poll."""
        return (self.end - self.start).total_seconds()

    @property
    def drop(self) -> float:
        """Percentage points the charge fell (first reading minus last)."""
        return self.charge_start - self.charge_end

    def as_dict(self) -> dict[str, Any]:
        """Return the episode as JSON-able data (times as ISO 8601 strings)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "charge_start": self.charge_start,
            "charge_end": self.charge_end,
            "mean_load": self.mean_load,
            "mean_power": self.mean_power,
            "energy_wh": self.energy_wh,
            "predicted_runtime": self.predicted_runtime,
            "voltage_start": self.voltage_start,
            "voltage_end": self.voltage_end,
            "self_test": self.self_test,
            "capacity_wh": self.capacity_wh,
            "full_load_hours": self.full_load_hours,
            "capacity_error": self.capacity_error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DischargeEpisode:
        """Return the episode stored by :meth:`as_dict`.

        Raises:
            TypeError, ValueError: a time or a charge is missing or malformed.
        """
        return cls(
            start=_time(data.get("start")),
            end=_time(data.get("end")),
            charge_start=float(data["charge_start"]),
            charge_end=float(data["charge_end"]),
            mean_load=_float(data.get("mean_load")),
            mean_power=_float(data.get("mean_power")),
            energy_wh=_float(data.get("energy_wh")),
            predicted_runtime=_float(data.get("predicted_runtime")),
            voltage_start=_float(data.get("voltage_start")),
            voltage_end=_float(data.get("voltage_end")),
            self_test=bool(data.get("self_test")),
            capacity_wh=_float(data.get("capacity_wh")),
            full_load_hours=_float(data.get("full_load_hours")),
            capacity_error=_float(data.get("capacity_error")),
        )


@dataclass(slots=True)
class _Fit:
    """Running sums for the least-squares slope of the charge (y) against a quantity (x)."""

    n: int = 0
    sx: float = 0.0
    sy: float = 0.0
    sxx: float = 0.0
    sxy: float = 0.0
    syy: float = 0.0

    def add(self, x: float, y: float) -> None:
        self.n += 1
        self.sx += x
        self.sy += y
        self.sxx += x * x
        self.sxy += x * y
        self.syy += y * y

    def full(self, readings: int) -> tuple[float, float] | None:
        """Return x per full charge (minus 100 over the slope) and its relative standard error.

        Args:
            readings: distinct readings the fit saw (changes of the charge, plus one). A UPS
                may refresh its gauge less often than nut_ups polls, so the polls repeat
                readings: the slope's standard error ``s / sqrt(Σ(x - x̄)²)``
                (``s`` the residual standard deviation) is widened by ``sqrt(n / readings)``.

        Returns:
            None unless the charge falls with x over at least 3 polls.
        """
        if self.n < 3:
            return None
        spread = self.sxx - self.sx * self.sx / self.n
        if spread <= 0:
            return None
        covariance = self.sxy - self.sx * self.sy / self.n
        slope = covariance / spread
        if slope >= 0:
            return None
        squares = max(self.syy - self.sy * self.sy / self.n - covariance * slope, 0.0)
        residual = math.sqrt(squares / (self.n - 2))
        error = residual / math.sqrt(spread) * math.sqrt(self.n / min(max(readings, 3), self.n))
        return -100 / slope, error / -slope


@dataclass(slots=True)
class _Open:
    """The episode in progress."""

    start: datetime
    last: datetime
    predicted_runtime: float | None
    self_test: bool
    charge_start: float | None = None
    charge_end: float | None = None
    voltage_start: float | None = None
    voltage_end: float | None = None
    readings: int = 0
    energy_wh: float | None = 0.0
    load_hours: float | None = 0.0
    power: float | None = None
    load: float | None = None
    by_energy: _Fit = field(default_factory=_Fit)
    by_load: _Fit = field(default_factory=_Fit)

    def add(
        self,
        at: datetime,
        *,
        charge: float | None,
        load: float | None,
        power: float | None,
        voltage: float | None,
        self_test: bool,
    ) -> None:
        """Integrate up to ``at`` with the previous poll's power and load; take this poll's."""
        hours = (at - self.last).total_seconds() / 3600
        if hours > 0:
            self.energy_wh = _integrate(self.energy_wh, self.power, hours)
            self.load_hours = _integrate(self.load_hours, self.load, hours / 100)
        self.last = at
        self.self_test |= self_test
        if power is None:
            self.energy_wh = None
        if load is None:
            self.load_hours = None
        self.power = max(power, 0.0) if power is not None else None
        self.load = max(load, 0.0) if load is not None else None
        if voltage is not None:
            self.voltage_end = voltage
            if self.voltage_start is None:
                self.voltage_start = voltage
        if charge is None:
            return
        if charge != self.charge_end:
            self.readings += 1
        self.charge_end = charge
        if self.charge_start is None:
            self.charge_start = charge
        if self.energy_wh is not None:
            self.by_energy.add(self.energy_wh, charge)
        if self.load_hours is not None:
            self.by_load.add(self.load_hours, charge)

    def close(self) -> DischargeEpisode | None:
        """Return the episode, or None when the charge did not fall :data:`MIN_DROP` points."""
        if self.charge_start is None or self.charge_end is None:
            return None
        if self.charge_start - self.charge_end < MIN_DROP:
            return None
        hours = (self.last - self.start).total_seconds() / 3600
        by_energy = self.by_energy.full(self.readings) if self.energy_wh is not None else None
        by_load = self.by_load.full(self.readings) if self.load_hours is not None else None
        return DischargeEpisode(
            start=self.start,
            end=self.last,
            charge_start=self.charge_start,
            charge_end=self.charge_end,
            mean_load=self.load_hours * 100 / hours
            if self.load_hours is not None and hours
            else None,
            mean_power=self.energy_wh / hours if self.energy_wh is not None and hours else None,
            energy_wh=self.energy_wh,
            predicted_runtime=self.predicted_runtime,
            voltage_start=self.voltage_start,
            voltage_end=self.voltage_end,
            self_test=self.self_test,
            capacity_wh=by_energy[0] if by_energy else None,
            full_load_hours=by_load[0] if by_load else None,
            capacity_error=by_energy[1] if by_energy else by_load[1] if by_load else None,
        )


def _integrate(total: float | None, rate: float | None, hours: float) -> float | None:
    return total + rate * hours if total is not None and rate is not None else None


class DischargeRecorder:
    """Records the discharge episodes of one UPS, poll by poll.

    Args:
        episodes: episodes recorded before (oldest first), e.g. from :meth:`from_dict`.
        max_gap: seconds; answered polls further apart close the episode in progress.

    Attributes:
        episodes: the last :data:`MAX_EPISODES` kept episodes, oldest first.
    """

    def __init__(
        self, episodes: Iterable[DischargeEpisode] = (), *, max_gap: float = DEFAULT_MAX_GAP
    ) -> None:
        """Start with ``episodes`` and no episode in progress."""
        self.episodes: deque[DischargeEpisode] = deque(episodes, maxlen=MAX_EPISODES)
        self._max_gap = max_gap
        self._open: _Open | None = None

    @property
    def discharging(self) -> bool:
        """Whether an episode is in progress."""
        return self._open is not None

    def observe(
        self,
        at: datetime,
        *,
        on_battery: bool | None,
        charge: float | None,
        load: float | None,
        power: float | None,
        runtime: float | None,
        voltage: float | None,
        self_test: bool = False,
    ) -> DischargeEpisode | None:
        """Take one answered poll; return the episode it closed and kept, if any.

        Args:
            at: when the poll ended (UTC).
            on_battery: True while the battery feeds the load (status ``OB``, or ``DISCHRG``
                during a test), False on mains; None when unknown (the poll is skipped, and a
                gap longer than ``max_gap`` closes the episode at the next poll).
            charge: ``battery.charge`` (%).
            load: ``ups.load`` (%).
            power: output power (W): ``ups.realpower``, else ``ups.realpower.nominal *
                ups.load / 100`` (:func:`.ledger.output_power`).
            runtime: ``battery.runtime`` (s).
            voltage: ``battery.voltage`` (V).
            self_test: whether this discharge is a battery test.
        """
        if on_battery is None:
            return None
        closed = None
        if self._open is not None and (
            not on_battery or (at - self._open.last).total_seconds() > self._max_gap
        ):
            closed = self.close()
        if on_battery:
            if self._open is None:
                self._open = _Open(start=at, last=at, predicted_runtime=runtime, self_test=False)
            self._open.add(
                at, charge=charge, load=load, power=power, voltage=voltage, self_test=self_test
            )
        return closed

    def close(self) -> DischargeEpisode | None:
        """Close the episode in progress at its last poll; return it when it is kept.

        For when the entry unloads or Home Assistant stops (a UPS whose low battery shuts Home
        Assistant down ends its deepest episode this way).
        """
        if self._open is None:
            return None
        episode = self._open.close()
        self._open = None
        if episode is not None:
            self.episodes.append(episode)
        return episode

    def as_dict(self) -> dict[str, Any]:
        """Return the kept episodes as JSON-able data (the episode in progress is not stored)."""
        return {"episodes": [episode.as_dict() for episode in self.episodes]}

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, max_gap: float = DEFAULT_MAX_GAP
    ) -> DischargeRecorder:
        """Return a recorder with the episodes stored by :meth:`as_dict` (malformed ones skipped)."""
        episodes = []
        for item in data.get("episodes") or []:
            try:
                episodes.append(DischargeEpisode.from_dict(item))
            except TypeError, ValueError, KeyError, AttributeError:
                continue
        return cls(episodes, max_gap=max_gap)

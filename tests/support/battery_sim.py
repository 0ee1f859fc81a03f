"""Synthetic discharge histories for the battery health estimator (tests and benchmarks).

A Peukert battery loses capacity linearly with age. Outages come every 30 to 120 days, each at
its own load (20 to 80 % of a 540 W UPS) and ending after its own true charge drop (15 to 60
points). nut_ups polls every 2 s (± a jitter); the UPS refreshes its charge gauge every
``update`` s (the reading nut_ups sees lags the truth), rounds it down to whole percent after
adding Gaussian noise, and reads its power with 1 % noise. The UPS's ``battery.runtime`` is
computed for a new battery, as firmware does until a calibration: on an aged battery it is too
long by 1 / health.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
import random

from custom_components.nut_ups.discharge import DischargeRecorder

INSTALLED = datetime(2024, 1, 1, tzinfo=UTC)
NOMINAL_POWER = 540.0
"""W: ``ups.realpower.nominal`` of the simulated UPS (a 900 VA model)."""
RATED_AH = 9.0
NOMINAL_VOLTAGE = 24.0
POLL = 2.0
YEAR = 365.25


@dataclass(frozen=True)
class Battery:
    """A lead-acid battery: rated 20-hour energy, Peukert exponent, linear loss of capacity.

    Attributes:
        rated_wh: energy at the 20-hour rate when new (Wh, battery side).
        exponent: Peukert's ``k``.
        efficiency: share of the battery's energy reaching the output.
        fade_per_year: capacity lost per year (share of new); 0.1 reaches 80 % at 2 years and
            70 % at 3.
    """

    rated_wh: float = RATED_AH * NOMINAL_VOLTAGE
    exponent: float = 1.15
    efficiency: float = 0.85
    fade_per_year: float = 0.10

    def health(self, years: float) -> float:
        """Capacity relative to new (share)."""
        return max(1 - self.fade_per_year * years, 0.05)

    def available_wh(self, power: float, years: float) -> float:
        """Output energy (Wh) a full charge delivers at a constant output ``power`` (W)."""
        battery_power = power / self.efficiency
        rated_power = self.rated_wh / 20
        at_rate = self.rated_wh * (rated_power / battery_power) ** (self.exponent - 1)
        return float(at_rate * self.health(years) * self.efficiency)

    def years_at(self, health: float) -> float:
        """Age (years) at which the battery reaches ``health`` (share)."""
        return (1 - health) / self.fade_per_year


@dataclass(frozen=True)
class Noise:
    """How the UPS and the polls stray from the truth.

    Attributes:
        charge_sigma: Gaussian noise on each charge reading before it is rounded down (points).
        scatter: relative standard deviation of the capacity from one outage to the next
            (temperature).
        jitter: poll times vary uniformly by this much (s).
        update: seconds between the UPS's refreshes of its charge reading.
        power_sigma: relative noise on each power reading.
    """

    charge_sigma: float = 0.0
    scatter: float = 0.0
    jitter: float = 0.3
    update: float = 10.0
    power_sigma: float = 0.01


NOISE_LEVELS = {
    "quantised": Noise(),
    "noisy": Noise(charge_sigma=1.0, scatter=0.02, update=20.0),
    "rough": Noise(charge_sigma=2.0, scatter=0.04, update=30.0),
}
"""The benchmark's noise levels; the issue's (1 % quantisation, timing) is ``quantised``."""


@dataclass(frozen=True)
class Poll:
    """One answered poll, as the coordinator would feed the recorder."""

    at: datetime
    on_battery: bool
    charge: float
    load: float
    power: float | None
    runtime: float
    voltage: float
    self_test: bool


@dataclass(frozen=True)
class Outage:
    """One simulated discharge: when, how old the battery was, at what load, how deep."""

    start: datetime
    years: float
    load: float
    drop: float
    polls: tuple[Poll, ...]


def discharge(
    battery: Battery,
    start: datetime,
    *,
    load: float,
    drop: float,
    noise: Noise,
    rng: random.Random,
    years: float | None = None,
    power_reading: bool = True,
    self_test: bool = False,
) -> Outage:
    """Simulate one discharge from full at ``load`` (share of nominal) until ``drop`` points.

    Args:
        battery: the battery.
        start: when the UPS switches to battery.
        load: output load as a share of :data:`NOMINAL_POWER`.
        drop: true charge points the discharge lasts for.
        noise: the noise.
        rng: the random source.
        years: battery age; by default from :data:`INSTALLED` to ``start``.
        power_reading: whether the UPS reports its output power (else only ``ups.load``).
        self_test: whether the polls are flagged as a battery test.
    """
    age = years if years is not None else (start - INSTALLED).total_seconds() / 86400 / YEAR
    power = load * NOMINAL_POWER
    energy = battery.available_wh(power, age) * (1 + rng.gauss(0, noise.scatter))
    promised = battery.available_wh(power, 0.0)
    soc = 100.0
    reading = 100.0
    next_update = rng.uniform(0, noise.update)
    polls = [
        Poll(start - timedelta(seconds=4), False, 100, round(load * 100), power, 0, 27.0, False)
    ]
    elapsed = 0.0
    while True:
        if elapsed >= next_update:
            reading = min(100.0, max(0.0, math.floor(soc + rng.gauss(0, noise.charge_sigma))))
            next_update += noise.update
        measured = round(power * (1 + rng.gauss(0, noise.power_sigma)))
        voltage = NOMINAL_VOLTAGE * (0.92 + 0.14 * soc / 100) - 1.5 * load
        polls.append(
            Poll(
                start + timedelta(seconds=elapsed),
                True,
                reading,
                round(load * 100),
                measured if power_reading else None,
                reading / 100 * promised / power * 3600,
                round(voltage, 1),
                self_test,
            )
        )
        if soc <= 100 - drop:
            break
        step = POLL + rng.uniform(-noise.jitter, noise.jitter)
        soc -= power * step / 3600 / energy * 100
        elapsed += step
    polls.append(
        Poll(start + timedelta(seconds=elapsed + POLL), False, reading, 10, 50, 0, 27.0, False)
    )
    return Outage(start, age, load, drop, tuple(polls))


def history(
    battery: Battery,
    noise: Noise,
    seed: int,
    count: int,
    *,
    power_reading: bool = True,
) -> list[Outage]:
    """Simulate ``count`` outages of a battery installed at :data:`INSTALLED`."""
    rng = random.Random(seed)
    at = INSTALLED
    outages = []
    for _ in range(count):
        at += timedelta(days=rng.uniform(30, 120), seconds=rng.uniform(0, 86400))
        outages.append(
            discharge(
                battery,
                at,
                load=rng.uniform(0.2, 0.8),
                drop=rng.uniform(15, 60),
                noise=noise,
                rng=rng,
                power_reading=power_reading,
            )
        )
    return outages


def feed_outage(recorder: DischargeRecorder, outage: Outage) -> None:
    """Give every poll of ``outage`` to ``recorder``, as the coordinator would."""
    for poll in outage.polls:
        recorder.observe(
            poll.at,
            on_battery=poll.on_battery,
            charge=poll.charge,
            load=poll.load,
            power=poll.power,
            runtime=poll.runtime,
            voltage=poll.voltage,
            self_test=poll.self_test,
        )

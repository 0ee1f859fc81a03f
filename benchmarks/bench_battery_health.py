"""How well battery health and its replacement date are recovered from discharges, on synthetic histories.

Each history (tests/support/battery_sim.py) is a Peukert battery losing 10 % of its capacity a
year (80 % at 2 years, 70 % at 3), outages every 30 to 120 days at loads of 20 to 80 % of a
540 W UPS, each ending after a true drop of 15 to 60 points, polled every 2 s. For every noise
level and true Peukert exponent (1.10 to 1.25), ``--seeds`` histories run through the recorder
and the estimator three ways: ``fit`` (the default: the option 1.15 refined by the
episodes), ``1.15`` (the option fixed) and ``=k`` (the true exponent, fixed: the best case). Printed: the health error after ``--health-after`` episodes (relative to the first two
episodes, the default reference) and the replacement-date error after ``--date-after``, as the
median / 90th percentile / worst absolute error, the share within the issue's targets (±5
points, ±60 days), how often the truth lay within the reported margin, and how often the date
was still unknown (trend not significant). Last, the rated reference (``battery.capacity`` times
``battery.voltage.nominal``) against the true absolute health.

Noise levels: ``quantised`` is the issue's (charge in whole %, refreshed every 10 s; polls ±0.3 s;
power ±1 %); ``noisy`` adds 1 point of Gaussian noise to each charge reading, a refresh every
20 s and 2 % capacity scatter between outages (temperature); ``rough`` 2 points, 30 s, 4 %.

Run: ``scripts/run python -m benchmarks.bench_battery_health [--seeds N]`` (pure Python, no
upsd or Home Assistant; about 10 s with the default 20 seeds).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import timedelta
import statistics
import time

from custom_components.nut_ups.battery_health import (
    DEFAULT_PEUKERT,
    BatteryModel,
    estimate_health,
    rated_energy,
    replacement_due,
)
from custom_components.nut_ups.discharge import DischargeEpisode, DischargeRecorder
from tests.support.battery_sim import (
    INSTALLED,
    NOISE_LEVELS,
    NOMINAL_VOLTAGE,
    RATED_AH,
    YEAR,
    Battery,
    Outage,
    feed_outage,
    history,
)

EXPONENTS = (1.10, 1.15, 1.20, 1.25)
HEALTH_TARGET = 5.0
DATE_TARGET = 60


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked) + 0.5) - 1))]


def episodes_of(outages: list[Outage]) -> list[list[DischargeEpisode]]:
    """The recorder's episodes after each outage (one list per outage, growing)."""
    recorder = DischargeRecorder()
    after = []
    for outage in outages:
        feed_outage(recorder, outage)
        after.append(list(recorder.episodes))
    return after


@dataclass
class Tally:
    """Errors collected over the seeds of one row."""

    health: list[float]
    health_covered: int = 0
    dates: list[float] | None = None
    dates_covered: int = 0
    unknown: int = 0
    runs: int = 0

    def row(self) -> str:
        """The row's figures, formatted."""
        health = [abs(error) for error in self.health]
        dates = [abs(error) for error in self.dates or []]
        text = (
            f"{statistics.median(health):6.1f}{percentile(health, 0.9):6.1f}{max(health):6.1f}"
            f"{share(sum(e <= HEALTH_TARGET for e in health), self.runs):>6}"
            f"{share(self.health_covered, self.runs):>6}"
        )
        if self.dates is None:
            return text
        if dates:
            text += (
                f"{statistics.median(dates):7.0f}{percentile(dates, 0.9):6.0f}{max(dates):6.0f}"
                f"{share(sum(e <= DATE_TARGET for e in dates), self.runs):>6}"
                f"{share(self.dates_covered, len(dates)):>6}"
            )
        else:
            text += f"{'-':>7}{'-':>6}{'-':>6}{'0%':>6}{'-':>6}"
        return text + f"{share(self.unknown, self.runs):>6}"


def share(count: int, total: int) -> str:
    """``count / total`` as a whole percentage."""
    return f"{100 * count / total:.0f}%" if total else "-"


def relative_run(
    *,
    battery: Battery,
    outages: list[Outage],
    after: list[list[DischargeEpisode]],
    model: BatteryModel,
    health_after: int,
    date_after: int,
    tally: Tally,
) -> None:
    """Score one history against the episodes reference."""
    reference = (battery.health(outages[0].years) + battery.health(outages[1].years)) / 2
    tally.runs += 1
    estimate = estimate_health(after[health_after - 1], model)
    assert estimate is not None
    truth = 100 * battery.health(outages[health_after - 1].years) / reference
    tally.health.append(estimate.health - truth)
    tally.health_covered += abs(estimate.health - truth) <= estimate.margin
    due = replacement_due(after[date_after - 1], model)
    assert tally.dates is not None
    if due is None:
        tally.unknown += 1
        return
    true_due = INSTALLED + timedelta(days=battery.years_at(0.8 * reference) * YEAR)
    error = (due.due - true_due.date()).days
    tally.dates.append(error)
    tally.dates_covered += abs(error) <= due.margin_days


def main() -> None:
    """Parse arguments, run the histories, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20, help="histories per row")
    parser.add_argument("--health-after", type=int, default=4, help="episodes before health")
    parser.add_argument("--date-after", type=int, default=8, help="episodes before the date")
    args = parser.parse_args()
    count = max(args.health_after, args.date_after)
    began = time.monotonic()
    header = (
        f"{'noise':<10}{'k':>5}{'option':>7}  |h err|: {'med':>4}{'p90':>6}{'max':>6}"
        f"{'≤5':>6}{'in±':>6}  |date err| d: {'med':>3}{'p90':>6}{'max':>6}{'≤60':>6}"
        f"{'in±':>6}{'unkn':>6}"
    )
    print(
        f"Episodes reference: health after {args.health_after} episodes, replacement date after"
        f" {args.date_after}; {args.seeds} seeds per row; threshold 80 %\n"
    )
    print(header)
    rated_rows: list[tuple[str, float, Tally]] = []
    rated = rated_energy(RATED_AH, NOMINAL_VOLTAGE)
    for name, noise in NOISE_LEVELS.items():
        for k in EXPONENTS:
            battery = Battery(exponent=k)
            models = {
                "fit": BatteryModel(),
                f"{DEFAULT_PEUKERT}": BatteryModel(exponent_sd=0),
                "=k": BatteryModel(exponent=k, exponent_sd=0),
            }
            tallies = {label: Tally([], dates=[]) for label in models}
            rated_tally = Tally([])
            for seed in range(args.seeds):
                outages = history(battery, noise, seed, count)
                after = episodes_of(outages)
                for label, model in models.items():
                    relative_run(
                        battery=battery,
                        outages=outages,
                        after=after,
                        model=model,
                        health_after=args.health_after,
                        date_after=args.date_after,
                        tally=tallies[label],
                    )
                estimate = estimate_health(
                    after[args.health_after - 1], BatteryModel(rated_wh=rated)
                )
                assert estimate is not None
                truth = 100 * battery.health(outages[args.health_after - 1].years)
                rated_tally.runs += 1
                rated_tally.health.append(estimate.health - truth)
                rated_tally.health_covered += abs(estimate.health - truth) <= estimate.margin
            for label, tally in tallies.items():
                print(f"{name:<10}{k:>5.2f}{label:>7}{'':11}{tally.row()}")
            rated_rows.append((name, k, rated_tally))
    print(
        f"\nRated reference (absolute health), k fitted from {DEFAULT_PEUKERT}, health after"
        f" {args.health_after} episodes\n"
    )
    print(f"{'noise':<10}{'k':>5}{'':18}{'med':>4}{'p90':>6}{'max':>6}{'≤5':>6}{'in±':>6}")
    for name, k, tally in rated_rows:
        print(f"{name:<10}{k:>5.2f}{'':18}{tally.row()}")
    print(f"\n{args.seeds * len(NOISE_LEVELS) * len(EXPONENTS)} histories in"
          f" {time.monotonic() - began:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()

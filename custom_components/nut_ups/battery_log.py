"""The battery's discharges and what they say of its health, fed poll by poll (no Home Assistant).

One :class:`BatteryLog` per UPS, kept in the entry's stored history (history.py). Every answered
poll goes to the :class:`~.discharge.DischargeRecorder`; when an episode closes, or the battery's
date changes, health, replacement date and runtime accuracy are computed again
(battery_health.py: the fits are too costly for every poll, and change only then). A battery
swap (a new ``battery.date``, or health jumping back) starts the battery's history anew.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .battery import battery_date
from .battery_health import (
    DEFAULT_PEUKERT,
    DEFAULT_THRESHOLD,
    BatteryModel,
    HealthEstimate,
    Replacement,
    RuntimeAccuracy,
    battery_swapped,
    estimate_health,
    replacement_due,
    runtime_accuracy,
    since,
)
from .discharge import DischargeEpisode, DischargeRecorder
from .ledger import output_power
from .selftest import TEST_RESULT_VAR, self_test_running
from .state import NutUpsState


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """The options the estimates follow.

    Attributes:
        exponent: Peukert's exponent assumed before the episodes tell (1.1 to 1.25 for
            lead-acid batteries).
        threshold: health (%) below which the battery is due for replacement (80 % is the
            common rule for VRLA batteries).
    """

    exponent: float = DEFAULT_PEUKERT
    threshold: float = DEFAULT_THRESHOLD


@dataclass(slots=True)
class BatteryFigures:
    """The latest estimates; None while they cannot be told.

    Attributes:
        health: battery health (battery_health.estimate_health).
        replacement: when health reaches the threshold (battery_health.replacement_due).
        accuracy: the UPS's runtime against what the battery delivered.
    """

    health: HealthEstimate | None = None
    replacement: Replacement | None = None
    accuracy: RuntimeAccuracy | None = None


@dataclass(slots=True)
class LifetimeCounters:
    """What the battery now installed went through; they start at 0 with a new battery.

    Attributes:
        transfers: switches to battery (outages and self-tests alike).
        deep_discharges: kept episodes that ended below :data:`DEEP_DISCHARGE` % charge.
        cycles: equivalent full cycles: the charge drops of the kept episodes, summed, / 100.
    """

    transfers: int = 0
    deep_discharges: int = 0
    cycles: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """Return the counters as JSON-safe data."""
        return {
            "transfers": self.transfers,
            "deep_discharges": self.deep_discharges,
            "cycles": self.cycles,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LifetimeCounters:
        """Rebuild the counters from :meth:`as_dict`'s data (missing ones are 0)."""
        return cls(
            int(data.get("transfers", 0)),
            int(data.get("deep_discharges", 0)),
            float(data.get("cycles", 0.0)),
        )


DEEP_DISCHARGE = 50.0
"""Charge (%) below which a discharge counts as deep (lead-acid life falls fast past it)."""


@dataclass(slots=True)
class BatteryLog:
    """Discharge episodes of one UPS and the estimates made from them.

    Attributes:
        recorder: the episodes (the last 100) and the one in progress.
        swapped_at: when the battery now installed was first seen (UTC); None before a swap.
        battery_day: the battery's date last seen (``battery.date``/``battery.mfr.date``).
        figures: the latest estimates.
        settings: the options they follow.
        counters: lifetime counters of the battery now installed.
    """

    recorder: DischargeRecorder = field(default_factory=DischargeRecorder)
    swapped_at: datetime | None = None
    battery_day: date | None = None
    figures: BatteryFigures = field(default_factory=BatteryFigures)
    settings: HealthSettings = field(default_factory=HealthSettings)
    counters: LifetimeCounters = field(default_factory=LifetimeCounters)
    _model: BatteryModel = field(default_factory=BatteryModel)

    def observe(self, state: NutUpsState, at: datetime, *, testing: bool = False) -> bool:
        """Take one answered poll (``at``: UTC); return whether there is something new to store.

        The battery feeds the load on ``OB``, and on ``DISCHRG`` during a self-test (many
        UPSes test on ``OL DISCHRG``: selftest.py).
        """
        status = state.status
        testing = testing or self_test_running(status.raw, state.values.get(TEST_RESULT_VAR))
        on_battery = (
            (status.on_battery or (testing and status.has("DISCHRG"))) if status.known else None
        )
        power, _ = output_power(state)
        was_discharging = self.recorder.discharging
        closed = self.recorder.observe(
            at,
            on_battery=on_battery,
            charge=_float(state.number("battery.charge")),
            load=_float(state.number("ups.load")),
            power=power,
            runtime=_float(state.number("battery.runtime")),
            voltage=_float(state.number("battery.voltage")),
            self_test=testing,
        )
        # Health is relative to the first well-measured episodes: the rated reference (Ah x V)
        # stretches Peukert's law to a 20-hour rating and errs by 10 to 20 points when the
        # exponent is off (benchmarks/bench_battery_health.py).
        self._model = BatteryModel(
            exponent=self.settings.exponent,
            nominal_power=_float(state.number("ups.realpower.nominal")),
        )
        new_transfer = self.recorder.discharging and (not was_discharging or closed is not None)
        if new_transfer:
            self.counters.transfers += 1
        if closed is not None:
            self.counters.cycles += closed.drop / 100
            if closed.charge_end < DEEP_DISCHARGE:
                self.counters.deep_discharges += 1
        found = battery_date(state.values, at.date())
        day = found.day if found is not None else None
        changed_day = day is not None and day != self.battery_day
        swapped = (
            battery_swapped(
                self.episodes(), self._model, date_before=self.battery_day, date_now=day
            )
            if (closed is not None or changed_day)
            else False
        )
        if day is not None:
            self.battery_day = day
        if swapped:
            from_episode = closed is not None and not changed_day
            self.swapped_at = closed.start if closed is not None and from_episode else at
            # Counters start again; an episode that revealed the new battery is its first.
            self.counters = (
                LifetimeCounters(1, int(closed.charge_end < DEEP_DISCHARGE), closed.drop / 100)
                if closed is not None and from_episode
                else LifetimeCounters()
            )
        if closed is not None or changed_day or swapped or new_transfer:
            self.recompute()
            return True  # a new episode or date to store, whether or not the figures moved
        return False

    def episodes(self) -> list[DischargeEpisode]:
        """Return the episodes of the battery now installed (since the last swap), oldest first."""
        return since(list(self.recorder.episodes), self.swapped_at)

    def recompute(self) -> bool:
        """Compute the estimates again; return whether they changed."""
        episodes = self.episodes()
        figures = BatteryFigures(
            estimate_health(episodes, self._model),
            replacement_due(episodes, self._model, threshold=self.settings.threshold),
            runtime_accuracy(episodes, nominal_power=self._model.nominal_power),
        )
        changed = figures != self.figures
        self.figures = figures
        return changed

    def close(self) -> None:
        """Close the episode in progress (unload, stop): the deepest one is not lost."""
        if self.recorder.close() is not None:
            self.recompute()

    def as_dict(self) -> dict[str, Any]:
        """Return the log as JSON-safe data (for the Store)."""
        return {
            **self.recorder.as_dict(),
            "swapped_at": self.swapped_at.isoformat() if self.swapped_at else None,
            "battery_day": self.battery_day.isoformat() if self.battery_day else None,
            "counters": self.counters.as_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], settings: HealthSettings, *, max_gap: float
    ) -> BatteryLog:
        """Rebuild a log from :meth:`as_dict`'s data, with the estimates computed again.

        Raises:
            ValueError: a date that does not read.
        """
        swapped_at = data.get("swapped_at")
        battery_day = data.get("battery_day")
        log = cls(
            recorder=DischargeRecorder.from_dict(data, max_gap=max_gap),
            swapped_at=datetime.fromisoformat(swapped_at) if swapped_at else None,
            battery_day=date.fromisoformat(battery_day) if battery_day else None,
            settings=settings,
            counters=LifetimeCounters.from_dict(data.get("counters") or {}),
        )
        log.recompute()
        return log


def _float(value: float | None) -> float | None:
    return float(value) if value is not None else None

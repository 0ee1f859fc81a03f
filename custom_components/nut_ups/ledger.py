"""The UPS's history: power outages and energy, kept across restarts.

Two accounts, both fed by the coordinator (its transitions, and the time of each answered poll)
and stored as plain dicts by :mod:`.history`:

* :class:`OutageLedger`: outages counted from ``on_battery``/``online`` transitions, time on
  battery accrued while nut_ups is in contact with a UPS on battery, the last outage's start and
  duration. An outage open at a restart is continued (not counted again); one that ended while
  Home Assistant was down is closed at the last moment it was seen on battery.
* :class:`EnergyMeter`: energy in kWh, a left Riemann sum of the UPS's output power (``ups.realpower``,
  or ``ups.realpower.nominal * ups.load`` when that is all the UPS reports) over the time between
  answered polls; never across a gap longer than ``max_gap`` seconds.

Pure code, no Home Assistant imports.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .state import NutUpsState
from .transitions import PowerEvent, Transition


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class OutageLedger:
    """Power outages and time on battery of one UPS.

    Attributes:
        outages: outages seen (count; only grows).
        accrued: seconds on battery up to ``mark`` (only grows).
        last_outage_start: when the last (or current) outage began (UTC).
        last_outage_duration: seconds the last finished outage lasted, from the switch to
            battery to the return of mains power as nut_ups saw them.
        outage_start: when the outage in progress began; None on mains.
        mark: up to when ``accrued`` counts; None while not accruing (on mains, or while nut_ups
            has no contact with the UPS, or before the first status after a restart).
        last_seen: the last time the outage in progress was seen (an answered poll).
        resumed: whether the ledger met the first known status since it was loaded.
    """

    outages: int = 0
    accrued: float = 0.0
    last_outage_start: datetime | None = None
    last_outage_duration: float | None = None
    outage_start: datetime | None = None
    mark: datetime | None = None
    last_seen: datetime | None = None
    resumed: bool = field(default=False, compare=False)

    def time_on_battery(self, at: datetime) -> float:
        """Seconds on battery in total, up to ``at`` (the outage in progress included)."""
        if self.mark is None:
            return self.accrued
        return self.accrued + max((at - self.mark).total_seconds(), 0.0)

    def _accrue(self, at: datetime) -> None:
        if self.mark is not None:
            self.accrued += max((at - self.mark).total_seconds(), 0.0)
            self.mark = at

    def _begin(self, at: datetime) -> None:
        self.outages += 1
        self.last_outage_start = self.outage_start = self.mark = self.last_seen = at

    def _end(self, at: datetime) -> None:
        assert self.outage_start is not None
        self._accrue(at)
        self.last_outage_duration = max((at - self.outage_start).total_seconds(), 0.0)
        self.outage_start = self.mark = self.last_seen = None

    def apply(self, transition: Transition) -> bool:
        """Account for one transition; return whether anything changed.

        ``on_battery`` opens an outage (unless a self-test caused it: that is no power failure),
        ``online`` closes it; ``communication_lost`` pauses the accrual of time on battery and
        ``communication_restored`` resumes it. Others are ignored.
        """
        at = transition.at
        match transition.event:
            case PowerEvent.ON_BATTERY if self.outage_start is None and not transition.self_test:
                self._begin(at)
            case PowerEvent.ONLINE if self.outage_start is not None:
                self._end(at)
            case PowerEvent.COMMUNICATION_LOST if self.mark is not None:
                self._accrue(at)
                self.mark = None
            case PowerEvent.COMMUNICATION_RESTORED if self.outage_start is not None:
                self.mark = self.last_seen = at
            case _:
                return False
        return True

    def tick(self, at: datetime) -> None:
        """Note an answered poll at ``at``: time on battery accrues up to it."""
        if self.mark is not None:
            self._accrue(at)
            self.last_seen = at

    def resume(self, on_battery: bool | None, at: datetime) -> bool:
        """Meet the first known power source after loading; return whether anything changed.

        Args:
            on_battery: True on battery, False on mains, None unknown (nothing is decided then,
                and the next call decides).
            at: when that status was seen (UTC).

        An outage open in the stored ledger continues when the UPS is still on battery (the
        time Home Assistant was down is not counted as time on battery); it is closed at the
        last time it was seen when the UPS is on mains. A UPS found on battery with no outage
        open starts one now: it is counted, although no ``on_battery`` event was fired.
        """
        if self.resumed or on_battery is None:
            return False
        self.resumed = True
        if self.outage_start is not None and on_battery:
            self.mark = self.last_seen = at
        elif self.outage_start is not None:
            self.mark = None
            self._end(self.last_seen or self.outage_start)
        elif on_battery:
            self._begin(at)
        else:
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        """Return the ledger as JSON-able data (times as ISO 8601 strings)."""
        return {
            "outages": self.outages,
            "accrued": self.accrued,
            "last_outage_start": _iso(self.last_outage_start),
            "last_outage_duration": self.last_outage_duration,
            "outage_start": _iso(self.outage_start),
            "last_seen": _iso(self.last_seen or self.mark),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutageLedger:
        """Return the ledger stored by :meth:`as_dict`; missing or malformed fields start empty.

        It is not accruing until :meth:`resume` meets the first known status.
        """
        duration = data.get("last_outage_duration")
        return cls(
            outages=int(data.get("outages") or 0),
            accrued=float(data.get("accrued") or 0.0),
            last_outage_start=_time(data.get("last_outage_start")),
            last_outage_duration=float(duration) if duration is not None else None,
            outage_start=_time(data.get("outage_start")),
            last_seen=_time(data.get("last_seen")),
        )


class PowerSource(StrEnum):
    """Where the power figure integrated into energy comes from."""

    REALPOWER = "realpower"
    """``ups.realpower`` (W), measured by the UPS."""
    ESTIMATED = "estimated"
    """``ups.realpower.nominal * ups.load / 100`` (W), for UPSes that do not measure power."""


def output_power(state: NutUpsState) -> tuple[float | None, PowerSource | None]:
    """Return the UPS's output power (W) and where it comes from; (None, None) when unknown."""
    power = state.number("ups.realpower")
    if power is not None:
        return float(power), PowerSource.REALPOWER
    if "ups.realpower" in state.values:
        return None, None
    nominal = state.number("ups.realpower.nominal")
    load = state.number("ups.load")
    if nominal is None or load is None:
        return None, None
    return nominal * load / 100, PowerSource.ESTIMATED


def reports_power(values: dict[str, str]) -> bool:
    """Whether a UPS with these variables has a power figure to integrate."""
    return "ups.realpower" in values or ("ups.realpower.nominal" in values and "ups.load" in values)


@dataclass
class EnergyMeter:
    """Energy (kWh) delivered by the UPS's output: a left Riemann sum over answered polls.

    Attributes:
        kwh: the total (only grows).
        source: where the last integrated power came from; None before any.
        max_gap: seconds; two answered polls further apart than this are not integrated across.
    """

    kwh: float = 0.0
    source: PowerSource | None = None
    max_gap: float = 15.0
    _last_at: float | None = field(default=None, repr=False)
    _last_power: float | None = field(default=None, repr=False)

    def sample(self, at: float, power: float | None, source: PowerSource | None) -> bool:
        """Add the energy since the previous sample; return whether the total changed.

        Args:
            at: monotonic time of an answered poll (s).
            power: output power at that poll (W, >= 0), None when unknown.
            source: where ``power`` comes from.

        The power of the previous sample is taken to hold until ``at``: a poll that only
        checked ``ups.status`` still counts, with the power of the last full read.
        """
        added = 0.0
        if self._last_at is not None and self._last_power is not None:
            elapsed = at - self._last_at
            if 0 < elapsed <= self.max_gap:
                added = self._last_power * elapsed / 3_600_000
        self._last_at = at
        self._last_power = max(power, 0.0) if power is not None else None
        if power is not None:
            self.source = source
        self.kwh += added
        return added > 0

    def as_dict(self) -> dict[str, Any]:
        """Return the meter as JSON-able data (the last sample is not kept: a restart is a gap)."""
        return {"kwh": self.kwh, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, max_gap: float) -> EnergyMeter:
        """Return the meter stored by :meth:`as_dict`; a missing or unknown source is None."""
        try:
            source: PowerSource | None = PowerSource(str(data.get("source")))
        except ValueError:
            source = None
        return cls(kwh=float(data.get("kwh") or 0.0), source=source, max_gap=max_gap)

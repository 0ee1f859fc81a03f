"""The outage ledger and the energy meter, as plain functions (no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

from hypothesis import given, strategies as st
import pytest

from custom_components.nut_ups.ledger import (
    EnergyMeter,
    OutageLedger,
    PowerSource,
    output_power,
    reports_power,
)
from custom_components.nut_ups.state import NutUpsState
from custom_components.nut_ups.transitions import PowerEvent, Transition

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(kind: PowerEvent, seconds: float) -> Transition:
    return Transition(kind, at(seconds), None, None, None)


def stored(ledger: OutageLedger) -> OutageLedger:
    """The ledger after a trip through JSON, as after a restart."""
    return OutageLedger.from_dict(json.loads(json.dumps(ledger.as_dict())))


def test_an_outage() -> None:
    ledger = OutageLedger()
    assert ledger.apply(event(PowerEvent.ON_BATTERY, 0))
    ledger.tick(at(2))
    assert ledger.time_on_battery(at(3)) == 3
    assert ledger.outages == 1 and ledger.last_outage_start == at(0)
    assert not ledger.apply(event(PowerEvent.ON_BATTERY, 4))  # already open
    assert not ledger.apply(event(PowerEvent.LOW_BATTERY, 5))
    assert ledger.apply(event(PowerEvent.ONLINE, 90))
    assert ledger.last_outage_duration == 90
    assert ledger.time_on_battery(at(500)) == 90
    assert not ledger.apply(event(PowerEvent.ONLINE, 91))
    ledger.apply(event(PowerEvent.ON_BATTERY, 1000))
    ledger.apply(event(PowerEvent.ONLINE, 1010))
    assert (ledger.outages, ledger.last_outage_duration) == (2, 10)
    assert ledger.last_outage_start == at(1000)
    assert ledger.time_on_battery(at(2000)) == 100


def test_no_contact_pauses_time_on_battery_not_the_outage() -> None:
    ledger = OutageLedger()
    ledger.apply(event(PowerEvent.ON_BATTERY, 0))
    assert ledger.apply(event(PowerEvent.COMMUNICATION_LOST, 30))
    ledger.tick(at(60))  # nothing accrues without contact
    assert ledger.time_on_battery(at(100)) == 30
    assert ledger.apply(event(PowerEvent.COMMUNICATION_RESTORED, 100))
    ledger.apply(event(PowerEvent.ONLINE, 110))
    assert ledger.time_on_battery(at(200)) == 40
    assert ledger.last_outage_duration == 110  # as seen: switch to battery → mains back
    assert not ledger.apply(event(PowerEvent.COMMUNICATION_RESTORED, 300))


def test_restart_during_an_outage_continues_it() -> None:
    ledger = OutageLedger()
    ledger.apply(event(PowerEvent.ON_BATTERY, 0))
    ledger.tick(at(50))
    after = stored(ledger)
    assert after.time_on_battery(at(1000)) == 50  # not accruing until the first status
    assert after.resume(True, at(120))
    assert not after.resume(True, at(121))  # once
    after.tick(at(130))
    after.apply(event(PowerEvent.ONLINE, 150))
    assert after.outages == 1  # not counted twice
    assert after.time_on_battery(at(999)) == 50 + 30  # downtime not counted
    assert after.last_outage_duration == 150


def test_restart_after_the_power_came_back() -> None:
    ledger = OutageLedger()
    ledger.apply(event(PowerEvent.ON_BATTERY, 0))
    ledger.tick(at(40))
    after = stored(ledger)
    assert not after.resume(None, at(100))  # unknown: decide later
    assert after.resume(False, at(120))
    assert after.outage_start is None and after.mark is None
    assert after.last_outage_duration == 40  # closed when last seen on battery
    assert (after.outages, after.time_on_battery(at(999))) == (1, 40)


def test_restart_on_battery_without_an_open_outage_starts_one() -> None:
    ledger = stored(OutageLedger())
    assert ledger.resume(True, at(10))
    assert ledger.outages == 1 and ledger.last_outage_start == at(10)
    assert not stored(OutageLedger()).resume(False, at(10))


def test_from_dict_tolerates_nothing_and_garbage() -> None:
    assert OutageLedger.from_dict({}) == OutageLedger()
    assert OutageLedger.from_dict({"outages": None, "last_seen": 5}) == OutageLedger()
    assert EnergyMeter.from_dict({"source": "solar"}, max_gap=15) == EnergyMeter()
    meter = EnergyMeter.from_dict({"kwh": 1.5, "source": "estimated"}, max_gap=15)
    assert (meter.kwh, meter.source) == (1.5, PowerSource.ESTIMATED)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([PowerEvent.ON_BATTERY, PowerEvent.ONLINE, None]),
            st.floats(min_value=0.1, max_value=100),
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=30),
)
def test_restart_anywhere_neither_loses_nor_double_counts(
    steps: list[tuple[PowerEvent | None, float]], restart: int
) -> None:
    """A restart between two polls, on battery, changes no count and loses no outage."""
    clock = 0.0

    def play(ledger: OutageLedger, part: list[tuple[PowerEvent | None, float]]) -> OutageLedger:
        nonlocal clock
        for kind, elapsed in part:
            clock += elapsed
            if kind is not None:
                ledger.apply(event(kind, clock))
            ledger.tick(at(clock))
        return ledger

    straight = play(OutageLedger(), steps)
    clock = 0.0
    before = play(OutageLedger(), steps[:restart])
    after = stored(before)
    after.resume(before.outage_start is not None, at(clock))
    after = play(after, steps[restart:])
    assert after.outages == straight.outages
    assert after.time_on_battery(at(clock)) == pytest.approx(straight.time_on_battery(at(clock)))
    assert after.last_outage_duration == straight.last_outage_duration


def state(**values: str) -> NutUpsState:
    return NutUpsState.from_values({name.replace("_", "."): v for name, v in values.items()})


def test_output_power() -> None:
    assert output_power(state(ups_realpower="250")) == (250.0, PowerSource.REALPOWER)
    estimated = state(ups_realpower_nominal="1000", ups_load="23")
    assert output_power(estimated) == (230.0, PowerSource.ESTIMATED)
    # A UPS that reports ups.realpower but not now: no estimate behind its back.
    assert output_power(state(ups_realpower="", ups_realpower_nominal="1000", ups_load="1")) == (
        None,
        None,
    )
    assert output_power(state(ups_load="23")) == (None, None)
    assert reports_power({"ups.realpower": "1"})
    assert reports_power({"ups.realpower.nominal": "1", "ups.load": "1"})
    assert not reports_power({"ups.load": "1", "ups.power.nominal": "1"})


def test_energy_is_a_left_riemann_sum_without_gaps() -> None:
    meter = EnergyMeter(max_gap=15)
    assert not meter.sample(0, 360, PowerSource.REALPOWER)
    assert meter.sample(10, 720, PowerSource.REALPOWER)  # 360 W for 10 s
    assert meter.kwh == pytest.approx(0.001)
    assert not meter.sample(40, 720, PowerSource.REALPOWER)  # a 30 s gap: not integrated
    assert meter.sample(50, None, None)  # 720 W for 10 s
    assert meter.kwh == pytest.approx(0.003)
    assert not meter.sample(52, 100, PowerSource.ESTIMATED)  # unknown power: nothing
    assert meter.source is PowerSource.ESTIMATED
    assert not meter.sample(52, 100, PowerSource.ESTIMATED)  # no time passed
    assert meter.as_dict() == {"kwh": pytest.approx(0.003), "source": "estimated"}

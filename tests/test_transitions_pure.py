"""The transition function and the logbook sentences, as plain functions (no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, datetime
import itertools

from hypothesis import given, strategies as st
import pytest

from custom_components.nut_ups.state import NutUpsState
from custom_components.nut_ups.transitions import (
    UPSMON_NAMES,
    PowerEvent,
    Transition,
    events_of,
    format_minutes,
    sentence,
    step,
)

E = PowerEvent


def snap(status: str | None, **values: str) -> NutUpsState:
    """A snapshot with ``ups.status`` ``status`` (None: not reported) and other variables."""
    base = {"battery.charge": "100", "battery.runtime": "3900", "input.voltage": "230"}
    base |= {name.replace("_", "."): value for name, value in values.items()}
    if status is not None:
        base["ups.status"] = status
    return NutUpsState.from_values(base)


def run(*statuses: str | None) -> list[PowerEvent]:
    return events_of(snap(status) for status in statuses)


def test_event_types_are_the_issue_s_and_upsmon_s() -> None:
    assert [event.value for event in PowerEvent] == [
        "online",
        "on_battery",
        "low_battery",
        "forced_shutdown",
        "replace_battery",
        "overload",
        "bypass_on",
        "bypass_off",
        "output_off",
        "output_on",
        "calibration_started",
        "calibration_finished",
        "communication_lost",
        "communication_restored",
        "shutdown_scheduled",
        "shutdown_cancelled",
    ]
    assert UPSMON_NAMES[E.ON_BATTERY] == "ONBATT"
    assert UPSMON_NAMES[E.COMMUNICATION_LOST] == "COMMBAD"
    assert set(PowerEvent) - set(UPSMON_NAMES) == {E.SHUTDOWN_SCHEDULED, E.SHUTDOWN_CANCELLED}


@pytest.mark.parametrize(
    ("statuses", "events"),
    [
        # The first known status is a state, not an event (booting on battery).
        (("OB DISCHRG",), []),
        (("OB DISCHRG LB", "OB DISCHRG LB"), []),
        (("OL", "OB DISCHRG"), [E.ON_BATTERY]),
        (("OL", "OB DISCHRG", "OB DISCHRG LB", "OL CHRG"), [E.ON_BATTERY, E.LOW_BATTERY, E.ONLINE]),
        # Straight to low battery: both, source first.
        (("OL", "OB LB"), [E.ON_BATTERY, E.LOW_BATTERY]),
        (("OB LB", "OL"), [E.ONLINE]),
        # WAIT and empty statuses are skipped: compared with the last known one.
        (("OL", "WAIT", "OB"), [E.ON_BATTERY]),
        (("OB", "WAIT", "OB"), []),
        (("OB", "", "OL"), [E.ONLINE]),
        ((None, "OL", "OB"), [E.ON_BATTERY]),
        (("WAIT", "OB", "OL"), [E.ONLINE]),
        # A status with neither OL nor OB keeps the last source.
        (("OB", "OFF", "OL"), [E.OUTPUT_OFF, E.ONLINE, E.OUTPUT_ON]),
        (("OL", "OB OL"), [E.ON_BATTERY]),
        (("OL", "FSD"), [E.FORCED_SHUTDOWN]),
        (("OB LB", "OB LB FSD"), [E.FORCED_SHUTDOWN]),
        (("OL", "OL RB", "OL", "OL RB"), [E.REPLACE_BATTERY, E.REPLACE_BATTERY]),
        (("OL", "OL OVER", "OL"), [E.OVERLOAD]),
        (("OL", "OL BYPASS", "OL"), [E.BYPASS_ON, E.BYPASS_OFF]),
        (("OL", "OL OFF", "OL"), [E.OUTPUT_OFF, E.OUTPUT_ON]),
        (("OL", "OL CAL", "OL"), [E.CALIBRATION_STARTED, E.CALIBRATION_FINISHED]),
        # Unknown tokens, order, duplicates, case: no events.
        (("OL", "ECO OL COMM", "ol chrg", "OL OL"), []),
    ],
)
def test_statuses(statuses: tuple[str | None, ...], events: list[PowerEvent]) -> None:
    assert run(*statuses) == events


def test_shutdown_timer() -> None:
    def timer(status: str, seconds: str) -> NutUpsState:
        return snap(status, ups_timer_shutdown=seconds)

    idle, counting = timer("OB", "-1"), timer("OB", "120")
    assert events_of([idle, counting]) == [E.SHUTDOWN_SCHEDULED]
    assert events_of([idle, counting, timer("OB", "100"), idle]) == [
        E.SHUTDOWN_SCHEDULED,
        E.SHUTDOWN_CANCELLED,
    ]
    # Stopped at its end (within the margin), or with the output off: done, not cancelled.
    assert events_of([idle, counting, timer("OB", "4"), idle]) == [E.SHUTDOWN_SCHEDULED]
    assert events_of([idle, counting, timer("OB", "4"), idle], margin=3) == [
        E.SHUTDOWN_SCHEDULED,
        E.SHUTDOWN_CANCELLED,
    ]
    assert events_of([idle, counting, timer("OB OFF", "-1")]) == [
        E.SHUTDOWN_SCHEDULED,
        E.OUTPUT_OFF,
    ]
    # Counting at start is a state; a UPS without the variable has no timer events.
    assert events_of([counting, idle]) == [E.SHUTDOWN_CANCELLED]
    assert events_of([timer("OB", "30"), counting]) == []
    assert run("OL", "OB") == [E.ON_BATTERY]


def test_step_keeps_the_reference_across_unknown_statuses() -> None:
    observed, events = step(None, snap("OL"))
    assert events == () and observed is not None and observed.on_battery is False
    same, events = step(observed, snap("WAIT"))
    assert same is observed and events == ()
    _, events = step(observed, snap("OB"))
    assert events == (E.ON_BATTERY,)


KNOWN = ["OL", "OB", "LB", "FSD", "RB", "OVER", "BYPASS", "OFF", "CAL", "CHRG", "DISCHRG", "ECO"]
statuses = st.one_of(
    st.lists(st.sampled_from(KNOWN), max_size=5).map(" ".join),
    st.sampled_from(["WAIT", "", "COMM", "ALARM"]),
)


@given(st.lists(statuses, max_size=12))
def test_properties(sequence: list[str]) -> None:
    """Exactly once per change, nothing from repeats or unknown statuses, sources alternate."""
    events = run(*sequence)
    # Repeating every snapshot changes nothing (a status check that found no change).
    assert run(*(status for status in sequence for _ in range(2))) == events
    # Inserting WAIT anywhere changes nothing.
    assert run(*(x for status in sequence for x in (status, "WAIT"))) == events
    # on_battery and online alternate, and match the changes of the known power source.
    sources = [event for event in events if event in {E.ON_BATTERY, E.ONLINE}]
    assert all(a != b for a, b in itertools.pairwise(sources))
    known = ["OB" in status.split() for status in sequence if {"OB", "OL"} & set(status.split())]
    assert len(sources) == sum(a != b for a, b in itertools.pairwise(known))


def test_transition_payload() -> None:
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    transition = Transition.of(E.ON_BATTERY, snap("OB", battery_charge="97", input_voltage="0"), at)
    assert transition.attributes() == {
        "battery_charge": 97.0,
        "battery_runtime": 3900.0,
        "input_voltage": 0.0,
    }
    bare = Transition.of(E.COMMUNICATION_LOST, None, at)
    assert bare.attributes() == {
        "battery_charge": None,
        "battery_runtime": None,
        "input_voltage": None,
    }
    # -1 (not available) is no value.
    assert Transition.of(E.ONLINE, snap("OL", battery_runtime="-1"), at).battery_runtime is None


def test_online_sentence_says_how_long_the_outage_lasted() -> None:
    assert sentence(E.ONLINE, 80, 1800, 230, 725) == (
        "is back on mains power after 12 min, 80 %, 30 min left, input 230 V"
    )
    assert sentence(E.ONLINE, None, None, None, 42.4) == "is back on mains power after 42 s"
    assert sentence(E.ON_BATTERY, None, None, None, 42) == "switched to battery"


@pytest.mark.parametrize(
    ("event", "charge", "runtime", "voltage", "text"),
    [
        (E.ON_BATTERY, 97, 2700, 0, "switched to battery, 97 %, 45 min left"),
        (E.ON_BATTERY, 97.4, 3959, None, "switched to battery, 97 %, 1 h 5 min left"),
        (E.LOW_BATTERY, 9, 59, None, "reports a low battery, 9 %, 0 min left"),
        (E.ONLINE, 80, None, 229.6, "is back on mains power, 80 %, input 230 V"),
        (E.COMMUNICATION_LOST, 80, 600, 230, "stopped answering"),
        (E.COMMUNICATION_RESTORED, None, None, None, "answers again"),
        (E.SHUTDOWN_SCHEDULED, 50, None, None, "scheduled a shutdown of its output, 50 %"),
    ],
)
def test_sentences(
    event: PowerEvent, charge: float | None, runtime: float | None, voltage: float | None, text: str
) -> None:
    assert sentence(event, charge, runtime, voltage) == text


def test_every_event_has_a_sentence() -> None:
    for event in PowerEvent:
        assert sentence(event, None, None, None)


def test_format_minutes() -> None:
    assert format_minutes(-5) == "0 min"
    assert format_minutes(3600) == "1 h 0 min"

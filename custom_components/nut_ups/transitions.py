"""Power events: what changed between two successive snapshots of a UPS, decided once.

The coordinator feeds every snapshot it sees to :func:`step`, which remembers what it needs in an
:class:`Observed` and returns the events since the previous one. Every consumer (the event
entity, the outage history, the logbook) reads that one stream; none compares statuses itself,
so "exactly once per transition" holds by construction.

The event types mirror NUT's ``upsmon`` notifications (``UPSMON_NAMES``). Rules:

* The first snapshot with a known status only sets the reference: booting on battery is a
  state, not an event. Snapshots without a known status (``WAIT``, empty) are skipped: events
  compare against the last *known* status, so ``OB → WAIT → OL`` is one ``online``.
* ``on_battery``/``online`` follow the power source: ``OB`` is battery, ``OL`` without ``OB`` is
  mains; a status with neither (``OFF`` alone, say) keeps the last source.
* ``LB``, ``FSD``, ``RB`` and ``OVER`` give an event when they appear; ``BYPASS``, ``OFF`` and
  ``CAL`` when they appear and when they go.
* ``ups.timer.shutdown`` (seconds, ``-1`` when idle) starting to count is
  ``shutdown_scheduled``, whoever scheduled it (nut_ups' ``shutdown`` action, ``upsmon``, the
  front panel); stopping while more than ``margin`` seconds were left and the output is not
  off is ``shutdown_cancelled``.
* ``communication_lost``/``communication_restored`` are not in snapshots: the coordinator adds
  them when its updates start or stop failing, so they agree with entity availability.

Pure functions, no Home Assistant imports.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .selftest import TEST_RESULT_VAR, self_test_running
from .state import NutUpsState

SHUTDOWN_TIMER_VAR = "ups.timer.shutdown"
"""Seconds until the UPS switches its output off; ``-1`` (or absent) when none is scheduled."""

DEFAULT_SHUTDOWN_MARGIN = 5.0
"""Seconds left on the shutdown timer under which its stopping means "done", not "cancelled"."""


class PowerEvent(StrEnum):
    """The event types of the ``power_event`` entity: public API, used by automations."""

    ONLINE = "online"
    ON_BATTERY = "on_battery"
    LOW_BATTERY = "low_battery"
    FORCED_SHUTDOWN = "forced_shutdown"
    REPLACE_BATTERY = "replace_battery"
    OVERLOAD = "overload"
    BYPASS_ON = "bypass_on"
    BYPASS_OFF = "bypass_off"
    OUTPUT_OFF = "output_off"
    OUTPUT_ON = "output_on"
    CALIBRATION_STARTED = "calibration_started"
    CALIBRATION_FINISHED = "calibration_finished"
    COMMUNICATION_LOST = "communication_lost"
    COMMUNICATION_RESTORED = "communication_restored"
    SHUTDOWN_SCHEDULED = "shutdown_scheduled"
    SHUTDOWN_CANCELLED = "shutdown_cancelled"


UPSMON_NAMES: Mapping[PowerEvent, str] = {
    PowerEvent.ONLINE: "ONLINE",
    PowerEvent.ON_BATTERY: "ONBATT",
    PowerEvent.LOW_BATTERY: "LOWBATT",
    PowerEvent.FORCED_SHUTDOWN: "FSD",
    PowerEvent.REPLACE_BATTERY: "REPLBATT",
    PowerEvent.OVERLOAD: "OVER",
    PowerEvent.BYPASS_ON: "BYPASS",
    PowerEvent.BYPASS_OFF: "NOTBYPASS",
    PowerEvent.OUTPUT_OFF: "OFF",
    PowerEvent.OUTPUT_ON: "NOTOFF",
    PowerEvent.CALIBRATION_STARTED: "CAL",
    PowerEvent.CALIBRATION_FINISHED: "NOTCAL",
    PowerEvent.COMMUNICATION_LOST: "COMMBAD",
    PowerEvent.COMMUNICATION_RESTORED: "COMMOK",
}
"""The ``upsmon`` notification each event corresponds to (the shutdown timer events have none)."""

# ups.status token → (event when it appears, event when it goes), in the order events are listed.
_FLAG_EVENTS: tuple[tuple[str, PowerEvent, PowerEvent | None], ...] = (
    ("LB", PowerEvent.LOW_BATTERY, None),
    ("FSD", PowerEvent.FORCED_SHUTDOWN, None),
    ("RB", PowerEvent.REPLACE_BATTERY, None),
    ("OVER", PowerEvent.OVERLOAD, None),
    ("BYPASS", PowerEvent.BYPASS_ON, PowerEvent.BYPASS_OFF),
    ("OFF", PowerEvent.OUTPUT_OFF, PowerEvent.OUTPUT_ON),
    ("CAL", PowerEvent.CALIBRATION_STARTED, PowerEvent.CALIBRATION_FINISHED),
)


@dataclass(frozen=True, slots=True)
class Observed:
    """What :func:`step` remembers of the last snapshot with a known status.

    Attributes:
        on_battery: True on battery (``OB``), False on mains (``OL``), None while neither was
            ever seen.
        flags: the ``ups.status`` tokens.
        shutdown_timer: seconds left on ``ups.timer.shutdown`` at that snapshot, or None when
            no shutdown is counting down.
    """

    on_battery: bool | None
    flags: frozenset[str]
    shutdown_timer: float | None


def shutdown_timer(state: NutUpsState) -> float | None:
    """Seconds left until the UPS cuts its output, or None when nothing counts down."""
    seconds = state.number(SHUTDOWN_TIMER_VAR)
    return float(seconds) if seconds is not None and seconds > 0 else None


def step(
    previous: Observed | None,
    state: NutUpsState,
    *,
    margin: float = DEFAULT_SHUTDOWN_MARGIN,
) -> tuple[Observed | None, tuple[PowerEvent, ...]]:
    """Compare snapshot ``state`` with what was observed before it.

    Args:
        previous: what the last call returned; None before the first snapshot with a known
            status.
        state: the next snapshot.
        margin: seconds (> 0); a shutdown timer last read at or under this and then stopped is
            taken as done, not cancelled.

    Returns:
        What to pass as ``previous`` next time, and the events, in a stable order: power source
        first, then ``ups.status`` tokens (``_FLAG_EVENTS`` order), then the shutdown timer.
        No events when ``previous`` is None or ``state`` has no known status.
    """
    status = state.status
    if not status.known:
        return previous, ()
    if status.has("OB"):
        on_battery: bool | None = True
    elif status.has("OL"):
        on_battery = False
    else:
        on_battery = previous.on_battery if previous is not None else None
    current = Observed(on_battery, frozenset(status.flags), shutdown_timer(state))
    if previous is None:
        return current, ()

    events: list[PowerEvent] = []
    if previous.on_battery is not None and on_battery is not previous.on_battery:
        events.append(PowerEvent.ON_BATTERY if on_battery else PowerEvent.ONLINE)
    for token, appears, goes in _FLAG_EVENTS:
        was, now = token in previous.flags, token in current.flags
        if now and not was:
            events.append(appears)
        elif was and not now and goes is not None:
            events.append(goes)
    before, after = previous.shutdown_timer, current.shutdown_timer
    if before is None and after is not None:
        events.append(PowerEvent.SHUTDOWN_SCHEDULED)
    elif before is not None and after is None and before > margin and "OFF" not in current.flags:
        events.append(PowerEvent.SHUTDOWN_CANCELLED)
    return current, tuple(events)


def events_of(
    states: Iterable[NutUpsState], *, margin: float = DEFAULT_SHUTDOWN_MARGIN
) -> list[PowerEvent]:
    """Every event of a sequence of snapshots, the first one only setting the reference."""
    observed: Observed | None = None
    found: list[PowerEvent] = []
    for state in states:
        observed, events = step(observed, state, margin=margin)
        found.extend(events)
    return found


@dataclass(frozen=True, slots=True)
class Transition:
    """One power event as consumers receive it.

    Attributes:
        event: the event type.
        at: when nut_ups saw it (UTC).
        battery_charge: ``battery.charge`` at that moment (%), None when not reported.
        battery_runtime: ``battery.runtime`` at that moment (s), None when not reported.
        input_voltage: ``input.voltage`` at that moment (V), None when not reported.
        outage_duration: for ``online`` that ended an outage: how long it lasted (s), from the
            stored history; None otherwise.
        self_test: for ``on_battery``: the UPS runs a self-test (``TEST``/``CAL`` in
            ``ups.status``, or ``ups.test.result`` in progress), not a power failure; for
            ``online``: it ended such a test (set by the history, which knows no outage was open).
    """

    event: PowerEvent
    at: datetime
    battery_charge: float | None
    battery_runtime: float | None
    input_voltage: float | None
    outage_duration: float | None = None
    self_test: bool = False

    @classmethod
    def of(
        cls,
        event: PowerEvent,
        state: NutUpsState | None,
        at: datetime,
        *,
        testing: bool = False,
    ) -> Transition:
        """Return the transition ``event`` seen at ``at`` in snapshot ``state`` (None: no data).

        ``testing``: a battery test nut_ups started may be running, so an ``on_battery`` is that
        test even when the UPS shows neither ``TEST``/``CAL`` nor a result in progress.
        """

        def number(name: str) -> float | None:
            value = state.number(name) if state is not None else None
            return float(value) if value is not None else None

        testing = event is PowerEvent.ON_BATTERY and (
            testing
            or (
                state is not None
                and self_test_running(state.status.raw, state.values.get(TEST_RESULT_VAR))
            )
        )
        return cls(
            event,
            at,
            number("battery.charge"),
            number("battery.runtime"),
            number("input.voltage"),
            self_test=testing,
        )

    def attributes(self) -> dict[str, float | bool | None]:
        """Return the event's data, as the event entity's attributes (units: %, s, V, s).

        ``outage_duration`` is there only when known (``online`` ending an outage);
        ``self_test`` (True) only on an ``on_battery`` caused by a self-test, or the ``online``
        that ended one.
        """
        attributes: dict[str, float | bool | None] = {
            "battery_charge": self.battery_charge,
            "battery_runtime": self.battery_runtime,
            "input_voltage": self.input_voltage,
        }
        if self.outage_duration is not None:
            attributes["outage_duration"] = self.outage_duration
        if self.self_test:
            attributes["self_test"] = True
        return attributes


_SENTENCES: Mapping[PowerEvent, str] = {
    PowerEvent.ONLINE: "is back on mains power",
    PowerEvent.ON_BATTERY: "switched to battery",
    PowerEvent.LOW_BATTERY: "reports a low battery",
    PowerEvent.FORCED_SHUTDOWN: "is being shut down (forced shutdown)",
    PowerEvent.REPLACE_BATTERY: "asks for its battery to be replaced",
    PowerEvent.OVERLOAD: "is overloaded",
    PowerEvent.BYPASS_ON: "switched to bypass",
    PowerEvent.BYPASS_OFF: "left bypass",
    PowerEvent.OUTPUT_OFF: "switched its output off",
    PowerEvent.OUTPUT_ON: "switched its output on",
    PowerEvent.CALIBRATION_STARTED: "started a battery calibration",
    PowerEvent.CALIBRATION_FINISHED: "finished a battery calibration",
    PowerEvent.COMMUNICATION_LOST: "stopped answering",
    PowerEvent.COMMUNICATION_RESTORED: "answers again",
    PowerEvent.SHUTDOWN_SCHEDULED: "scheduled a shutdown of its output",
    PowerEvent.SHUTDOWN_CANCELLED: "cancelled the scheduled shutdown",
}
_WITH_INPUT = frozenset({PowerEvent.ONLINE})
_WITHOUT_BATTERY = frozenset({PowerEvent.COMMUNICATION_LOST})


def format_duration(seconds: float) -> str:
    """Format a duration for a sentence: ``"42 s"`` under a minute, else :func:`format_minutes`."""
    return f"{max(seconds, 0):.0f} s" if seconds < 60 else format_minutes(seconds)


def format_minutes(seconds: float) -> str:
    """Format a runtime for a sentence: ``"45 min"``, ``"1 h 5 min"`` (minutes rounded down)."""
    minutes = int(max(seconds, 0) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def sentence(
    event: PowerEvent,
    charge: float | None,
    runtime: float | None,
    voltage: float | None,
    outage_duration: float | None = None,
) -> str:
    """Describe an event for the logbook, after the UPS's name.

    Example: ``sentence(ON_BATTERY, 97, 2700, 0)`` → ``"switched to battery, 97 %, 45 min left"``.
    Charge (%) and runtime (s) are added when known, except to ``communication_lost`` (they are
    the last values read, not current ones); ``online`` adds how long the outage lasted (s) and
    the input voltage (V): ``"is back on mains power after 12 min, 80 %, input 230 V"``.
    """
    parts = [_SENTENCES[event]]
    if event is PowerEvent.ONLINE and outage_duration is not None:
        parts[0] += f" after {format_duration(outage_duration)}"
    if event not in _WITHOUT_BATTERY:
        if charge is not None:
            parts.append(f"{charge:.0f} %")
        if runtime is not None:
            parts.append(f"{format_minutes(runtime)} left")
    if event in _WITH_INPUT and voltage is not None:
        parts.append(f"input {voltage:.0f} V")
    return ", ".join(parts)

"""Polling upsd at two rates, with upsmon-like dead time.

Every ``status_interval`` seconds (default 0.4) a status check reads ``ups.status``: one
pipelined ``GET VAR`` round trip on a persistent connection shared by every UPS of the same
upsd (:mod:`.status_watch`). A full ``LIST VAR <ups>`` (the coordinator's own update, on that
same connection once the checks run) runs every ``scan_interval`` seconds (default 30), at once when a check
saw a new status or a failure, and every ACTIVE_FULL_INTERVAL seconds while the UPS is on battery
or a shutdown timer runs. A new status a check saw counts even when the list right after it
fails. Polling is anonymous: no credentials are sent every few seconds.

After every update the coordinator decides, once, what happened (:mod:`.transitions`): the power
events of every snapshot it saw (a status check's new ``ups.status`` and the full list read
right after it both count), plus ``communication_lost``/``communication_restored`` when updates
start or stop failing, which is exactly when entities become unavailable or available again.
Nothing fires at Home Assistant start or on reload. Those transitions feed the stored history,
the logbook (bus event ``nut_ups_power_event``) and the listeners of
:meth:`NutUpsCoordinator.async_add_transition_listener` (the event entity).
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging
import time
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .battery import DEFAULT_BATTERY_AGE_YEARS
from .battery_health import DEFAULT_PEUKERT, DEFAULT_THRESHOLD
from .battery_log import HealthSettings
from .capabilities import Capabilities
from .const import (
    CONF_BATTERY_AGE,
    CONF_HEALTH_THRESHOLD,
    CONF_PEUKERT,
    CONF_SCAN_INTERVAL,
    CONF_SELF_TEST_OVERDUE,
    CONF_STATUS_INTERVAL,
    CONF_UPS,
    DEAD_TIME,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_STATUS_INTERVAL,
    DOMAIN,
)
from .control import UpsControl
from .device import identity, update_device
from .history import UpsHistory
from .issues import PollProblem, RepairIssues
from .nut import (
    NUTAuthError,
    NUTClient,
    NUTConnectionError,
    NUTDataUnavailableError,
    NUTError,
    NUTProtocolError,
    NUTResponseError,
    NUTTimeoutError,
    NUTUnknownUPSError,
)
from .nut.session import NUTSession
from .nut.watch import CheckResult
from .plausible import ImplausibleReadings
from .runtime_estimate import RuntimeEstimator
from .selftest import TEST_RESULT_VAR, days_without_test
from .state import STATUS_VAR, NutUpsState
from .status_watch import Subscription, async_watch_status
from .transitions import Observed, PowerEvent, Transition, shutdown_timer, step

_LOGGER = logging.getLogger(__name__)

TEST_WINDOW = 600.0
"""Seconds after nut_ups starts a battery test during which a switch to battery is that test
(a deep test of a small load can run several minutes; NUT's drivers give no end signal)."""


ACTIVE_FULL_INTERVAL = 2.0
"""Seconds between full polls while the UPS is on battery, waits for the mains, has a shutdown
timer running, or reports no ``ups.status`` (at least the status interval)."""
_NO_STATUS = frozenset({"VAR-NOT-SUPPORTED", "VAR-UNKNOWN"})


type NutUpsConfigEntry = ConfigEntry[NutUpsCoordinator]
type TransitionListener = Callable[[tuple[Transition, ...]], None]

EVENT_POWER = f"{DOMAIN}_power_event"
"""Bus event fired once per transition, for the logbook (logbook.py describes it). Data:
``entry_id``, ``name`` (the entry's title), ``event_type`` and the transition's attributes."""


def _failed(key: str, **placeholders: str) -> UpdateFailed:
    """Return a translated UpdateFailed (translations/en.json, "exceptions")."""
    return UpdateFailed(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _poll_failure(err: NUTError, where: str) -> UpdateFailed:
    """Say what went wrong with a poll, as it happened (no waiting is claimed when none was)."""
    if isinstance(err, NUTTimeoutError):
        return _failed("timeout", where=where, error=str(err))
    if isinstance(err, NUTProtocolError):
        return _failed("invalid_response", where=where, error=str(err))
    if isinstance(err, NUTResponseError):
        return _failed("upsd_error", where=where, error=str(err))
    if isinstance(err, NUTConnectionError):
        return _failed("cannot_connect", where=where, error=str(err))
    return _failed("poll_failed", where=where, error=str(err))


class NutUpsCoordinator(DataUpdateCoordinator[NutUpsState]):
    """Polls one UPS; listeners are called only when a value changed.

    Attributes:
        client: the NUT client (anonymous).
        ups: the UPS name on upsd.
        scan_interval: seconds between full ``LIST VAR`` polls while nothing changes.
        issues: the entry's repair issues, fed after every poll.
        full_polls: how many ``LIST VAR`` polls ran (diagnostics).
        transitions: the power events the last update found, in order (empty most of the time).
        observed: what the transition function remembers of the last known status; None until
            a status is known.
        history: the stored outage history and energy, fed after every update.
    """

    config_entry: NutUpsConfigEntry

    def __init__(self, hass: HomeAssistant, entry: NutUpsConfigEntry, client: NUTClient) -> None:
        """Create the coordinator for ``entry``, polling through ``client`` (no credentials)."""
        status_interval = entry.options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL)
        scan_interval: float = entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(seconds=scan_interval),
            always_update=False,
        )
        self.client = client
        self.ups: str = entry.data[CONF_UPS]
        self.status_interval: float = status_interval
        self.scan_interval = scan_interval
        self._active_interval = timedelta(seconds=max(ACTIVE_FULL_INTERVAL, status_interval))
        self._status_seen: str | None = None  # a status a check saw that data does not have yet
        self._refresh_task: asyncio.Task[None] | None = None
        self._watching: Subscription | None = None  # the status checks, once they run
        self.issues = RepairIssues(
            hass,
            entry.entry_id,
            entry.title,
            self.ups,
            battery_age_limit=entry.options.get(CONF_BATTERY_AGE, DEFAULT_BATTERY_AGE_YEARS),
        )
        self._test_window_until = -float("inf")  # monotonic end of a test nut_ups started
        self.runtime = RuntimeEstimator()
        """Runtime left on battery as observed in this outage (the estimated_runtime sensor)."""
        self.full_polls = 0
        self.implausible = ImplausibleReadings()
        """Readings no UPS can have, counted per variable at every LIST VAR (diagnostics)."""
        self._last_success = -float("inf")
        self._identity: dict[str, str | None] | None = None
        self.transitions: tuple[Transition, ...] = ()
        self.observed: Observed | None = None
        self.history = UpsHistory(
            hass,
            entry.entry_id,
            max(DEAD_TIME, 1.5 * status_interval),
            HealthSettings(
                exponent=entry.options.get(CONF_PEUKERT, DEFAULT_PEUKERT),
                threshold=entry.options.get(CONF_HEALTH_THRESHOLD, DEFAULT_THRESHOLD),
            ),
            # Energy is sampled by full polls, every scan interval on mains: a gap is a poll
            # that did not come, not the 30 s between two that did.
            energy_gap=max(DEAD_TIME, 1.5 * scan_interval),
        )
        self._shutdown_margin = max(5.0, 2.0 * status_interval)
        self._seen: list[NutUpsState] = []  # snapshots seen within this update, before data
        self._answered = False  # upsd answered this update (not the dead time's kept data)
        self._communicating: bool | None = None  # None until the first data
        self._transition_listeners: list[TransitionListener] = []
        self.capabilities = Capabilities()
        """What the UPS can do (LIST CMD, LIST RW…), read at setup when credentials are set."""
        self.control: UpsControl | None = None
        """Commands and settings; None without credentials (monitoring only)."""

    @override
    async def _async_setup(self) -> None:
        """Load the stored history before the first poll."""
        await self.history.async_load()

    @callback
    def async_start_status_checks(self) -> None:
        """Start the status checks (after the first refresh); :meth:`async_shutdown` stops them."""
        if self._watching is None:
            self._watching = async_watch_status(
                self.hass, self.client.settings, self.status_interval, self.ups, self._on_check
            )

    @property
    def session(self) -> NUTSession | None:
        """The status watch's connection, which full polls share once the checks run."""
        return self._watching.session if self._watching is not None else None

    def _answered_at(self) -> float:
        """``time.monotonic()`` of upsd's last answer for this UPS, to a poll or a check."""
        if self._watching is None:
            return self._last_success
        return max(self._last_success, self._watching.answered_at())

    @override
    async def async_shutdown(self) -> None:
        """Stop polling and status checks (unload) and write the history at once."""
        if self._watching is not None:
            self._watching.unsubscribe()
            self._watching = None
        await super().async_shutdown()
        await self.history.async_save()

    @override
    async def _async_update_data(self) -> NutUpsState:
        """Read every variable once (``LIST VAR``), with the status a check saw before it.

        Raises:
            UpdateFailed: upsd refused the anonymous read (with a repair issue), has no UPS of
                that name (with a repair issue), or had no answer or no fresh data (DATA-STALE,
                DRIVER-NOT-CONNECTED) for DEAD_TIME seconds; the message says which.
        """
        now = time.monotonic()
        where = f"{self.client.host}:{self.client.port}"
        seen = self._status_seen
        try:
            state, before = await self._poll(seen)
        except NUTAuthError as err:
            self.issues.update_problem(PollProblem.ACCESS_DENIED, err.code)
            raise _failed("access_denied", ups=self.ups, error=err.code) from err
        except NUTUnknownUPSError as err:
            self.issues.update_problem(PollProblem.UNKNOWN_UPS, err.code)
            raise _failed("unknown_ups", ups=self.ups) from err
        except NUTError as err:
            if self.data is None:
                raise _poll_failure(err, where) from err
            self._seen, self._answered = [], False
            if seen is not None and seen != self.data.values.get(STATUS_VAR):
                # The check answered and the list did not: the new status alone is news.
                _LOGGER.debug(
                    "%s: list failed, status %r kept from the check: %s", self.ups, seen, err
                )
                self._forget_seen(seen)
                return self._schedule_for(
                    NutUpsState.from_values({**self.data.values, STATUS_VAR: seen})
                )
            if now - self._answered_at() < DEAD_TIME:
                # One missed answer does not flap entities (upsmon's DEADTIME); nor does a
                # driver that upsd is reconnecting to (DATA-STALE, DRIVER-NOT-CONNECTED).
                _LOGGER.debug("Poll of %s failed, keeping last data: %s", self.ups, err)
                return self.data
            if isinstance(err, NUTDataUnavailableError):
                raise _failed("data_unavailable", error=err.code) from err
            raise _failed(
                "no_answer", where=where, seconds=f"{DEAD_TIME:.0f}", error=str(err)
            ) from err
        self._last_success = now
        self._forget_seen(seen)
        # Set after the last await, so a concurrent refresh cannot mix up its snapshots with ours.
        self._seen, self._answered = before, True
        self.issues.update_state(state, testing=self.test_window_open)
        return self._schedule_for(state)

    async def _poll(self, seen: str | None) -> tuple[NutUpsState, list[NutUpsState]]:
        """List every variable; return the snapshot, and the snapshots seen before it."""
        # On the status watch's connection once it runs; the first poll on a connection of its own.
        session = self.session
        values = await (
            session.list_vars(self.ups) if session is not None else self.client.list_vars(self.ups)
        )
        self.full_polls += 1
        for name, raw in self.implausible.observe(values):
            # INFO, once per variable: a driver quirk that persists, not something to act on.
            _LOGGER.info(
                "%s: %s reads %r, a value no UPS can have; shown as unknown (logged once)",
                self.ups,
                name,
                raw,
            )
        self._follow_device(values)
        before: list[NutUpsState] = []
        if seen is not None and values.get(STATUS_VAR) != seen:
            # The status flapped back between the check and the list: both were seen, both count.
            before.append(NutUpsState.from_values({**values, STATUS_VAR: seen}))
        return NutUpsState.from_values(values), before

    def _forget_seen(self, seen: str | None) -> None:
        """Clear the check's status once a poll used it (unless a newer check replaced it)."""
        if self._status_seen == seen:
            self._status_seen = None

    def _schedule_for(self, state: NutUpsState) -> NutUpsState:
        """Set when the next full poll runs (read by DataUpdateCoordinator after this update)."""
        active = (
            STATUS_VAR not in state.values  # this UPS does not report ups.status
            or state.status.on_battery
            or state.status.waiting
            or shutdown_timer(state) is not None  # to tell a cancel from the output going off
        )
        self.update_interval = (
            self._active_interval if active else timedelta(seconds=self.scan_interval)
        )
        return state

    @callback
    def _on_check(self, result: CheckResult) -> None:
        """Take a status check's result: refresh at once when it says something changed.

        The watch hands over a status only when it differs from the one this entry holds
        (each update tells it which, :meth:`_async_refresh_finished`), and every failure.
        """
        data: NutUpsState | None = self.data  # None until the first refresh
        if isinstance(result, str):
            if data is None:
                self._repeat_check()
                return
            if result != data.values.get(STATUS_VAR):
                self._status_seen = result
                self._refresh_now()
            elif not self.last_update_success:
                self._refresh_now()  # answering again: recover now, not at the next full poll
            return
        if data is None or not self.last_update_success:
            return
        if isinstance(result, NUTResponseError) and not isinstance(result, NUTDataUnavailableError):
            if result.code not in _NO_STATUS:
                self._refresh_now()  # unknown UPS, access denied…: the full poll says which
        elif time.monotonic() - self._answered_at() >= DEAD_TIME:
            self._refresh_now()  # no answer, or no fresh data, for the dead time

    def _repeat_check(self) -> None:
        """Have the next status check's result handed over even if it did not change."""
        if self._watching is not None:
            self._watching.repeat()

    @callback
    def _refresh_now(self) -> None:
        """Run a full poll now, unless one is already running."""
        if self._refresh_task is not None and not self._refresh_task.done():
            return
        self._refresh_task = self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), name=f"{self.name} status change", eager_start=True
        )

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Decide the update's transitions, once, and hand them to every consumer.

        Called by DataUpdateCoordinator after every update, successful or not, before its
        listeners.
        """
        at = dt_util.utcnow()
        found: list[Transition] = []
        success = self.last_update_success
        status = self.data.values.get(STATUS_VAR) if self.data is not None else None
        if success and status is not None and self._watching is not None:
            # A check that reads anything else (a refresh still to do: a change this one
            # missed) is handed over.
            self._watching.expect(status)
        else:
            self._repeat_check()  # failing: the next answer retries at once
        if self.data is not None and self._communicating is not None:
            if success and not self._communicating:
                found.append(Transition.of(PowerEvent.COMMUNICATION_RESTORED, self.data, at))
            elif self._communicating and not success:
                found.append(Transition.of(PowerEvent.COMMUNICATION_LOST, self.data, at))
        if success and self.data is not None:
            self._communicating = True
            for state in (*self._seen, self.data):
                self.observed, events = step(self.observed, state, margin=self._shutdown_margin)
                testing = self.test_window_open
                found.extend(Transition.of(event, state, at, testing=testing) for event in events)
        elif self.data is not None:
            self._communicating = False
        self._seen = []
        if success and self._answered and self.data is not None:
            self._observe_runtime(self.data)
        swapped_before = self.history.battery.swapped_at
        self.transitions = self.history.update(
            found,
            at=at,
            monotonic=self._answered_at(),
            state=self.data if success and self._answered else None,
            on_battery=self.observed.on_battery if self.observed is not None else None,
            testing=self.test_window_open,
        )
        if self.history.battery.swapped_at != swapped_before:
            self.hass.bus.async_fire(
                EVENT_LOGBOOK_ENTRY,
                {
                    "name": self.config_entry.title,
                    "message": "got a new battery: its health, counters and history start again",
                    "domain": DOMAIN,
                },
            )
        if success and self._answered:
            memory = self.history.self_test
            self.issues.update_self_test(memory.result, memory.raw)
            self.issues.update_self_test_overdue(
                days_without_test(memory, at) if TEST_RESULT_VAR in self.data.values else None,
                self.config_entry.options.get(CONF_SELF_TEST_OVERDUE, 0),
            )
            self.issues.update_battery_health(
                self.history.battery.figures, self.history.battery.settings.threshold
            )
        for transition in self.transitions:
            _LOGGER.debug("%s: %s", self.ups, transition)
            self.hass.bus.async_fire(
                EVENT_POWER,
                {
                    "entry_id": self.config_entry.entry_id,
                    "name": self.config_entry.title,
                    "event_type": transition.event.value,
                    **transition.attributes(),
                },
            )
        if self.transitions:
            for listener in list(self._transition_listeners):
                listener(self.transitions)

    def _observe_runtime(self, state: NutUpsState) -> None:
        """Feed the runtime estimator this update's battery readings."""
        self.runtime.observe(
            self._answered_at(),
            on_battery=self.observed is not None and self.observed.on_battery is True,
            charge=state.number("battery.charge"),
            voltage=state.number("battery.voltage"),
            voltage_low=state.number("battery.voltage.low"),
            ups_runtime=state.number("battery.runtime"),
        )

    def open_test_window(self) -> None:
        """Note that nut_ups started a battery test.

        For TEST_WINDOW seconds a switch to battery is that test, for UPSes that report no
        TEST/CAL flag during one.
        """
        self._test_window_until = time.monotonic() + TEST_WINDOW

    @property
    def test_window_open(self) -> bool:
        """Whether a battery test nut_ups started may still be running."""
        return time.monotonic() < self._test_window_until

    @property
    def last_poll_answered(self) -> bool:
        """Whether upsd answered the last update (False while the dead time keeps old data)."""
        return self._answered

    @callback
    def async_add_transition_listener(self, listener: TransitionListener) -> Callable[[], None]:
        """Call ``listener`` with the transitions of every update that has some.

        Returns:
            A function that removes the listener.
        """
        self._transition_listeners.append(listener)
        return lambda: self._transition_listeners.remove(listener)

    async def async_full_refresh(self) -> None:
        """Read every variable now (after a command or a write)."""
        await self.async_refresh()

    def _follow_device(self, values: dict[str, str]) -> None:
        """Update the device registry when the UPS's model, serial or firmware changed."""
        fields = identity(values)
        if self._identity is not None and fields != self._identity:
            update_device(self.hass, self.config_entry.entry_id, values)
        self._identity = fields

"""The scheduled quick battery test: every N days at a time of day (an option, off by default).

It needs control (credentials with ``instcmds``) and a UPS that lists ``test.battery.start.quick``;
otherwise it says so once in the log and does nothing. A test is started at most once per due
day, and not when one ran (or was started) within the interval.
"""

from datetime import datetime, time, timedelta
import logging

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .control import UpsControl
from .coordinator import NutUpsCoordinator
from .selftest import last_test

_LOGGER = logging.getLogger(__name__)

QUICK_TEST = "test.battery.start.quick"
"""NUT's instant command for a quick battery test (docs/nut-names.txt)."""

SLACK = timedelta(hours=1)
"""A test that ran this much less than the interval ago still counts as on time."""


class SelfTestSchedule:
    """Starts a quick battery test every ``days`` days at ``at`` (local time).

    Args:
        hass: Home Assistant.
        coordinator: the UPS's coordinator (its control, and the stored last test).
        days: the interval (days, at least 1).
        at: the local time of day.
    """

    def __init__(
        self, hass: HomeAssistant, coordinator: NutUpsCoordinator, days: float, at: time
    ) -> None:
        """Keep the schedule; :meth:`async_start` arms it."""
        self._hass = hass
        self._coordinator = coordinator
        self._interval = timedelta(days=days)
        self._at = at
        self._told = False

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Arm the daily check; return the function that disarms it."""
        return async_track_time_change(
            self._hass, self._check, hour=self._at.hour, minute=self._at.minute, second=0
        )

    def due(self, now: datetime) -> bool:
        """Whether a test is due at ``now``: none known, or the last is an interval old."""
        last = last_test(self._coordinator.history.self_test)
        return last is None or now - last >= self._interval - SLACK

    @callback
    def _check(self, now: datetime) -> None:
        if not self.due(now):
            return
        control = self._coordinator.control
        if control is None or not control.has_command(QUICK_TEST):
            if not self._told:
                self._told = True
                _LOGGER.warning(
                    "Scheduled self-test of %s skipped: %s",
                    self._coordinator.ups,
                    "no credentials for commands"
                    if control is None
                    else f"the UPS does not list {QUICK_TEST}",
                )
            return
        self._hass.async_create_background_task(
            self.async_run(control), f"nut_ups scheduled self-test {self._coordinator.ups}"
        )

    async def async_run(self, control: UpsControl) -> None:
        """Start the quick test now and note when (a refused or failed start is logged)."""
        self._coordinator.history.self_test.started_at = dt_util.utcnow()
        try:
            await control.run_command(QUICK_TEST)
        except HomeAssistantError as err:
            _LOGGER.warning("Scheduled self-test of %s not started: %s", self._coordinator.ups, err)

"""Polling upsd at two rates, with upsmon-like dead time, on short-lived connections.

Every ``status_interval`` seconds (default 2): ``GET VAR <ups> ups.status``. A full
``LIST VAR <ups>`` every ``scan_interval`` seconds (default 30), at once when the status changed,
and at every status check while the UPS is on battery (then it replaces the status check).
Polling is anonymous: no credentials are sent every few seconds.
"""

from datetime import timedelta
import logging
import time
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .capabilities import Capabilities
from .const import (
    CONF_SCAN_INTERVAL,
    CONF_STATUS_INTERVAL,
    CONF_UPS,
    DEAD_TIME,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_STATUS_INTERVAL,
    DOMAIN,
)
from .control import UpsControl
from .device import identity, update_device
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
from .state import STATUS_VAR, NutUpsState

_LOGGER = logging.getLogger(__name__)

type NutUpsConfigEntry = ConfigEntry[NutUpsCoordinator]


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
    """

    config_entry: NutUpsConfigEntry

    def __init__(self, hass: HomeAssistant, entry: NutUpsConfigEntry, client: NUTClient) -> None:
        """Create the coordinator for ``entry``, polling through ``client`` (no credentials)."""
        status_interval = entry.options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL)
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(seconds=status_interval),
            always_update=False,
        )
        self.client = client
        self.ups: str = entry.data[CONF_UPS]
        self.scan_interval: float = entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        self.issues = RepairIssues(hass, entry.entry_id, entry.title, self.ups)
        self.full_polls = 0
        self._last_full = -float("inf")
        self._last_success = -float("inf")
        self._identity: dict[str, str | None] | None = None
        self.capabilities = Capabilities()
        """What the UPS can do (LIST CMD, LIST RW…), read at setup when credentials are set."""
        self.control: UpsControl | None = None
        """Commands and settings; None without credentials (monitoring only)."""

    @override
    async def _async_update_data(self) -> NutUpsState:
        """Poll upsd once; see the module docstring for which command runs when.

        Raises:
            UpdateFailed: upsd refused the anonymous read (with a repair issue), has no UPS of
                that name (with a repair issue), has stale data, or did not answer for
                DEAD_TIME seconds; the message says which.
        """
        now = time.monotonic()
        where = f"{self.client.host}:{self.client.port}"
        try:
            state = await self._poll(now)
        except NUTAuthError as err:
            self.issues.update_problem(PollProblem.ACCESS_DENIED, err.code)
            raise _failed("access_denied", ups=self.ups, error=err.code) from err
        except NUTUnknownUPSError as err:
            self.issues.update_problem(PollProblem.UNKNOWN_UPS, err.code)
            raise _failed("unknown_ups", ups=self.ups) from err
        except NUTDataUnavailableError as err:
            raise _failed("data_unavailable", error=err.code) from err
        except NUTError as err:
            if self.data is None:
                raise _poll_failure(err, where) from err
            if now - self._last_success < DEAD_TIME:
                # One missed answer does not flap entities (upsmon's DEADTIME).
                _LOGGER.debug("Poll of %s failed, keeping last data: %s", self.ups, err)
                return self.data
            raise _failed(
                "no_answer", where=where, seconds=f"{DEAD_TIME:.0f}", error=str(err)
            ) from err
        self._last_success = now
        self.issues.update_state(state)
        return state

    async def _poll(self, now: float) -> NutUpsState:
        previous = self.data
        full_due = (
            previous is None
            or STATUS_VAR not in previous.values  # this UPS does not report ups.status
            or now - self._last_full >= self.scan_interval
            or previous.status.on_battery
            or previous.status.waiting
        )
        if not full_due:
            try:
                text = await self.client.get_var(self.ups, STATUS_VAR)
            except NUTResponseError as err:
                if err.code not in {"VAR-NOT-SUPPORTED", "VAR-UNKNOWN"}:
                    raise
                # ups.status went away: the full list below says what the UPS reports now.
            else:
                assert previous is not None
                if text == previous.values.get(STATUS_VAR):
                    return previous
                _LOGGER.debug("%s: ups.status %r -> %r", self.ups, previous.status.raw, text)
        values = await self.client.list_vars(self.ups)
        self._last_full = now
        self.full_polls += 1
        self._follow_device(values)
        return NutUpsState.from_values(values)

    async def async_full_refresh(self) -> None:
        """Read every variable now (after a command or a write), not only ``ups.status``."""
        self._last_full = -float("inf")
        await self.async_refresh()

    def _follow_device(self, values: dict[str, str]) -> None:
        """Update the device registry when the UPS's model, serial or firmware changed."""
        fields = identity(values)
        if self._identity is not None and fields != self._identity:
            update_device(self.hass, self.config_entry.entry_id, values)
        self._identity = fields

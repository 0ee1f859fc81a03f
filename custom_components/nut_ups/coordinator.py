"""Polling upsd at two rates, with upsmon-like dead time, on short-lived connections.

Every ``status_interval`` seconds (default 2): ``GET VAR <ups> ups.status``. A full
``LIST VAR <ups>`` every ``scan_interval`` seconds (default 30), at once when the status changed,
and at every status check while the UPS is on battery (then it replaces the status check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
import logging
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_SCAN_INTERVAL,
    CONF_STATUS_INTERVAL,
    CONF_UPS,
    DEAD_TIME,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_STATUS_INTERVAL,
    DOMAIN,
)
from .issues import set_unknown_ups_issue
from .nut import (
    NUTAuthError,
    NUTClient,
    NUTDataUnavailableError,
    NUTError,
    NUTResponseError,
    NUTUnknownUPSError,
)
from .status import UpsStatus

_LOGGER = logging.getLogger(__name__)

STATUS_VAR = "ups.status"


@dataclass(frozen=True, slots=True)
class NutUpsState:
    """What the coordinator knows of the UPS after a poll.

    Attributes:
        values: the last ``LIST VAR`` (variable → text), with ``ups.status`` from the newest check.
        status: ``ups.status`` parsed.
    """

    values: dict[str, str]
    status: UpsStatus = field(compare=False)

    @classmethod
    def from_values(cls, values: dict[str, str]) -> NutUpsState:
        """Build the state from a full variable list."""
        return cls(values, UpsStatus.parse(values.get(STATUS_VAR)))


@dataclass(slots=True)
class NutUpsData:
    """Runtime data of a config entry (``entry.runtime_data``)."""

    coordinator: NutUpsCoordinator


type NutUpsConfigEntry = ConfigEntry[NutUpsData]


def _failed(key: str, **placeholders: str) -> UpdateFailed:
    """Return a translated UpdateFailed (translations/en.json, "exceptions")."""
    return UpdateFailed(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


class NutUpsCoordinator(DataUpdateCoordinator[NutUpsState]):
    """Polls one UPS; listeners are called only when a value changed."""

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
        self.full_polls = 0
        self._last_full = -float("inf")
        self._last_success = -float("inf")
        self._unknown_ups = False

    async def _async_update_data(self) -> NutUpsState:
        """Poll upsd once; see the module docstring for which command runs when.

        Raises:
            ConfigEntryAuthFailed: upsd refused our credentials (starts reauth).
            UpdateFailed: no answer for DEAD_TIME seconds, the data is stale, or the UPS is gone.
        """
        now = time.monotonic()
        try:
            state = await self._poll(now)
        except NUTAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except NUTUnknownUPSError as err:
            self._set_unknown_ups(True)
            raise _failed("unknown_ups", ups=self.ups) from err
        except NUTDataUnavailableError as err:
            raise _failed("data_unavailable", error=err.code) from err
        except NUTError as err:
            if self.data is not None and now - self._last_success < DEAD_TIME:
                # One missed answer does not flap entities (upsmon's DEADTIME).
                _LOGGER.debug("Poll of %s failed, keeping last data: %s", self.ups, err)
                return self.data
            raise _failed("no_answer", error=str(err)) from err
        self._last_success = now
        self._set_unknown_ups(False)
        return state

    def _set_unknown_ups(self, unknown: bool) -> None:
        if unknown != self._unknown_ups:
            self._unknown_ups = unknown
            set_unknown_ups_issue(self.hass, self.config_entry, self.ups, unknown)

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
        return NutUpsState.from_values(values)

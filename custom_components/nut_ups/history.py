"""The stored history of a UPS: its outage ledger and energy meter, kept in Home Assistant's Store.

One :class:`UpsHistory` per config entry, owned and fed by the coordinator after every poll
(the transitions of that poll, and whether upsd answered), so the history keeps counting while
its sensors are disabled. It is saved ``SAVE_DELAY`` seconds after a change (at most
``ENERGY_SAVE_DELAY`` after a change of energy alone), when the entry unloads, and when Home
Assistant stops; removed with the entry.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .battery_log import BatteryLog, HealthSettings
from .const import DOMAIN
from .discharge import DischargeRecorder
from .ledger import EnergyMeter, OutageLedger, output_power
from .selftest import TEST_DATE_VAR, TEST_RESULT_VAR, SelfTestMemory
from .state import NutUpsState
from .transitions import PowerEvent, Transition

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
"""Seconds between a change and its write to ``.storage`` (a stop or an unload writes at once)."""
ENERGY_SAVE_DELAY = 300.0
"""Seconds an energy-only change may wait for its write. Energy changes at every full poll on
mains; written 10 s after each, 100 UPSes made 3 writes a second. A crash loses at most this
much energy (Home Assistant restores its own sensors' states from a 15 min snapshot)."""


def storage_key(entry_id: str) -> str:
    """Return the Store key (file under ``.storage``) of config entry ``entry_id``'s history."""
    return f"{DOMAIN}.history.{entry_id}"


async def async_remove_history(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored history of config entry ``entry_id`` (when the entry is removed)."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()


class UpsHistory:
    """The outage ledger and energy meter of one UPS, and their storage.

    Args:
        hass: Home Assistant.
        entry_id: the config entry's ID (names the Store).
        max_gap: seconds; answered polls further apart are not integrated across (discharges,
            polled every few seconds on battery).
        settings: battery health settings (defaults if None).
        energy_gap: seconds; the same for energy, which full polls on mains sample only every
            scan interval (``max_gap`` if None).

    Attributes:
        ledger: outages and time on battery.
        energy: energy delivered (kWh).
        self_test: the last self-test (kept past the UPS's "no result").
        battery: discharge episodes and the battery health they show.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        max_gap: float,
        settings: HealthSettings | None = None,
        energy_gap: float | None = None,
    ) -> None:
        """Start empty; :meth:`async_load` reads what was stored."""
        self._hass = hass
        self._store = Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id))
        self._save_due: float | None = None  # loop time of the pending delayed write
        self._max_gap = max_gap
        self._energy_gap = max_gap if energy_gap is None else energy_gap
        self.ledger = OutageLedger()
        self.energy = EnergyMeter(max_gap=self._energy_gap)
        self.self_test = SelfTestMemory()
        self._settings = settings or HealthSettings()
        self.battery = BatteryLog(
            recorder=DischargeRecorder(max_gap=max_gap), settings=self._settings
        )
        self._listeners: list[CALLBACK_TYPE] = []
        self._loaded = False

    async def async_load(self) -> None:
        """Read the stored history; an unreadable store starts empty (and says so in the log)."""
        data = await self._store.async_load() or {}
        try:
            self.ledger = OutageLedger.from_dict(data.get("outages") or {})
            self.energy = EnergyMeter.from_dict(data.get("energy") or {}, max_gap=self._energy_gap)
            self.self_test = SelfTestMemory.from_dict(data.get("self_test") or {})
            self.battery = BatteryLog.from_dict(
                data.get("battery") or {}, self._settings, max_gap=self._max_gap
            )
        except (TypeError, ValueError) as err:
            _LOGGER.warning("Stored history %s unreadable, starting anew: %s", self._store.key, err)
        self._loaded = True

    def _data(self) -> dict[str, Any]:
        return {
            "outages": self.ledger.as_dict(),
            "energy": self.energy.as_dict(),
            "self_test": self.self_test.as_dict(),
            "battery": self.battery.as_dict(),
        }

    async def async_save(self) -> None:
        """Write the history now (unload, stop); nothing before it was loaded, so nothing is lost.

        A discharge in progress is closed first: when a low battery shuts Home Assistant down,
        that deepest episode is kept.
        """
        if self._loaded:
            self.battery.close()
            self._save_due = None
            await self._store.async_save(self._data())

    def _schedule_save(self, delay: float) -> None:
        """Have the history written within ``delay`` seconds.

        A write already due sooner is left alone: it reads the data when it runs, so it takes
        this change too (calling the Store again would push it back, and a change at every poll
        would then never be written).
        """
        due = self._hass.loop.time() + delay
        if self._save_due is not None and self._save_due <= due:
            return
        self._save_due = due
        self._store.async_delay_save(self._data_to_write, delay)

    def _data_to_write(self) -> dict[str, Any]:
        """Return the data for the Store as it writes; no write is pending after this."""
        self._save_due = None
        return self._data()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call ``listener`` after every poll that changed the history; return the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def update(
        self,
        transitions: Sequence[Transition],
        *,
        at: datetime,
        monotonic: float,
        state: NutUpsState | None,
        on_battery: bool | None,
        testing: bool = False,
    ) -> tuple[Transition, ...]:
        """Account for one poll; return its transitions, completed from the history.

        ``online`` gets ``outage_duration``, or ``self_test`` when it ended a self-test rather
        than an outage.

        Args:
            transitions: the poll's transitions, in order.
            at: when the poll ended (UTC).
            monotonic: the same moment on the monotonic clock (s), for energy.
            state: the snapshot when upsd answered this poll; None when it did not.
            on_battery: the power source last observed (True battery, False mains, None unknown).
            testing: a battery test nut_ups started may be running (its discharge is a test).
        """
        changed = False  # anything but energy
        told: list[Transition] = []
        for transition in transitions:
            applied = self.ledger.apply(transition)
            changed |= applied
            if applied and transition.event is PowerEvent.ONLINE:
                duration = self.ledger.last_outage_duration
                transition = replace(transition, outage_duration=duration)  # noqa: PLW2901
            elif transition.event is PowerEvent.ONLINE:
                # No outage was open: the time on battery was a self-test.
                transition = replace(transition, self_test=True)  # noqa: PLW2901
            told.append(transition)
        if state is not None:
            changed |= self.ledger.resume(on_battery, at)
            if self.ledger.mark is not None:
                self.ledger.tick(at)
                changed = True
            power, source = output_power(state)
            energy = self.energy.sample(monotonic, power, source)
            changed |= self.self_test.observe(
                state.values.get(TEST_RESULT_VAR), state.values.get(TEST_DATE_VAR), at
            )
            changed |= self.battery.observe(state, at, testing=testing)
        else:
            energy = False
        if changed or energy:
            self._schedule_save(SAVE_DELAY if changed else ENERGY_SAVE_DELAY)
            for listener in list(self._listeners):
                listener()
        return tuple(told)

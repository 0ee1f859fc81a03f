"""NUT UPS: watch uninterruptible power supplies through Network UPS Tools' upsd."""

from datetime import time
import logging

from homeassistant.const import CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .capabilities import read_capabilities
from .connect import async_ssl_context, client_for
from .const import (
    CONF_SELF_TEST_DAYS,
    CONF_SELF_TEST_TIME,
    CONF_STATUS_INTERVAL,
    DEFAULT_SELF_TEST_TIME,
    DEFAULT_STATUS_INTERVAL,
    DOMAIN,
)
from .control import UpsControl
from .coordinator import NutUpsConfigEntry, NutUpsCoordinator
from .history import async_remove_history
from .issues import delete_issues
from .nut import NUTError
from .selftest_schedule import SelfTestSchedule
from .services import async_setup_services

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TEXT,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (run_command, set_variable, shutdown, cancel_shutdown) once."""
    async_setup_services(hass)
    return True


OLD_DEFAULT_STATUS_INTERVAL = 2
"""The status check interval's default up to config entry version 1.1, in seconds."""


async def async_migrate_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Bring an entry of an older version to 1.2.

    1.1 → 1.2: the options form saved every field, so an entry whose options were ever saved
    holds the old 2 s default for ``status_interval`` whether or not its user chose it; it
    becomes the new default (0.4 s, which costs less than 2 s did, on a shared connection).
    Another value, chosen on purpose, stays.

    Returns:
        False for a version this code does not know (a downgrade), True otherwise.
    """
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        options = dict(entry.options)
        if options.get(CONF_STATUS_INTERVAL) == OLD_DEFAULT_STATUS_INTERVAL:
            options[CONF_STATUS_INTERVAL] = DEFAULT_STATUS_INTERVAL
        hass.config_entries.async_update_entry(entry, options=options, minor_version=2)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Poll the UPS once (ConfigEntryNotReady if upsd does not answer), then set up entities.

    Polling is anonymous: credentials, when given, are for commands and are never sent by it.
    """
    client = client_for(
        entry.data, credentials=False, ssl_context=await async_ssl_context(hass, entry.data)
    )
    coordinator = NutUpsCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    coordinator.async_start_status_checks()
    if entry.data.get(CONF_USERNAME):
        await _async_setup_control(hass, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    days = entry.options.get(CONF_SELF_TEST_DAYS, 0)
    if days:
        at = dt_util.parse_time(entry.options.get(CONF_SELF_TEST_TIME, DEFAULT_SELF_TEST_TIME))
        schedule = SelfTestSchedule(hass, coordinator, days, at or time(3))
        entry.async_on_unload(schedule.async_start())
    return True


async def _async_setup_control(
    hass: HomeAssistant, entry: NutUpsConfigEntry, coordinator: NutUpsCoordinator
) -> None:
    """Read what the UPS can do and enable control with the entry's credentials.

    Without credentials there is no control: no control entities, and the actions say why.
    """
    try:
        coordinator.capabilities = await read_capabilities(coordinator.client, coordinator.ups)
    except NUTError as err:
        _LOGGER.warning(
            "Cannot read the commands and settings of %s, control is off until reload: %s",
            coordinator.ups,
            err,
        )
        return
    coordinator.control = UpsControl(
        client_for(entry.data, credentials=True),
        coordinator.ups,
        coordinator.capabilities,
        on_done=coordinator.async_full_refresh,
        on_refused=lambda: entry.async_start_reauth(hass),
        on_test=coordinator.open_test_window,
    )


async def async_unload_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Unload the platforms; an unloaded UPS is not watched, so its issues go too."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        delete_issues(hass, entry.entry_id)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> None:
    """Delete the entry's repair issues and stored history when it is removed."""
    delete_issues(hass, entry.entry_id)
    await async_remove_history(hass, entry.entry_id)

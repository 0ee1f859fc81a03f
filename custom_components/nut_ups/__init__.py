"""NUT UPS: watch uninterruptible power supplies through Network UPS Tools' upsd."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant, callback

from .const import CLIENT_TIMEOUT
from .coordinator import NutUpsConfigEntry, NutUpsCoordinator, NutUpsData
from .issues import delete_all_issues, sync_state_issues
from .nut import NUTClient

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Poll the UPS once (ConfigEntryNotReady if upsd does not answer), then set up entities.

    Polling needs no credentials, so none are sent every few seconds; they are only checked by
    the config flow, for commands.
    """
    client = NUTClient(entry.data[CONF_HOST], entry.data[CONF_PORT], timeout=CLIENT_TIMEOUT)
    coordinator = NutUpsCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = NutUpsData(coordinator)

    @callback
    def sync_issues() -> None:
        sync_state_issues(hass, entry, coordinator.data)

    sync_issues()  # after a restart, issues match the UPS again from the first poll
    entry.async_on_unload(coordinator.async_add_listener(sync_issues))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Unload the platforms; an unloaded UPS is not watched, so its issues go too."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        delete_all_issues(hass, entry)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> None:
    """Delete the entry's repair issues when it is removed."""
    delete_all_issues(hass, entry)

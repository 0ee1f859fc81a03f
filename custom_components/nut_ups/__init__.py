"""NUT UPS: watch uninterruptible power supplies through Network UPS Tools' upsd."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .connect import client_for
from .coordinator import NutUpsConfigEntry, NutUpsCoordinator
from .issues import delete_issues

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Poll the UPS once (ConfigEntryNotReady if upsd does not answer), then set up entities.

    Polling is anonymous: credentials, when given, are for commands and are never sent by it.
    """
    client = client_for(entry.data, credentials=False)
    coordinator = NutUpsCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> bool:
    """Unload the platforms; an unloaded UPS is not watched, so its issues go too."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        delete_issues(hass, entry.entry_id)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: NutUpsConfigEntry) -> None:
    """Delete the entry's repair issues when it is removed."""
    delete_issues(hass, entry.entry_id)

"""Diagnostics: the entry, its options, the last LIST VAR and the implausible readings.

Private data is redacted from the entry and the variables.
"""

from dataclasses import asdict
import re
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import NutUpsConfigEntry
from .history import UpsHistory

TO_REDACT_ENTRY = {
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
    "title",
    "unique_id",
    "zeroconf_hostname",
    "ca_file",
    "discovery_keys",  # zeroconf's announced service name is usually the server's host name
}

# Variables naming a person, place, network address or a serial number (docs/nut-names.txt).
_PRIVATE_VARIABLE = re.compile(
    r"serial|macaddr|mac_address|location|contact|^driver\.parameter\.(port|host|snmp|community|"
    r"authpassword|privpassword|secname|username|password)|\.ip(addr)?$|\.host(name)?$"
)
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.IGNORECASE)


def redact_values(values: dict[str, str]) -> dict[str, str]:
    """Redact serial numbers, MAC and IP addresses, locations and contacts from a LIST VAR."""
    return {
        name: REDACTED if _PRIVATE_VARIABLE.search(name) or _MAC.match(value.strip()) else value
        for name, value in values.items()
    }


def _battery(history: UpsHistory) -> dict[str, Any]:
    """Return the discharge episodes (the last 100), the estimates and the last self-test."""
    figures = history.battery.figures
    return {
        **history.battery.as_dict(),
        "health": asdict(figures.health) if figures.health is not None else None,
        "replacement": asdict(figures.replacement) if figures.replacement is not None else None,
        "runtime_accuracy": asdict(figures.accuracy) if figures.accuracy is not None else None,
        "self_test": history.self_test.as_dict(),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: NutUpsConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data
    data = coordinator.data
    estimate = coordinator.runtime.estimate()
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT_ENTRY),
        "options": dict(entry.options),
        "poll": {
            "last_update_success": coordinator.last_update_success,
            "full_polls": coordinator.full_polls,
            "status_interval_s": coordinator.status_interval,
            "scan_interval_s": coordinator.scan_interval,
            "next_full_poll_in_s": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
            "issue_writes": coordinator.issues.writes,
        },
        "status": {
            "raw": data.status.raw,
            "flags": list(data.status.flags),
            "state": data.status.dominant,
            "alert_level": data.status.alert_level,
        },
        "runtime_estimate": {
            "seconds": estimate.seconds,
            "source": estimate.source.value,
            "rate_per_minute": estimate.rate,
        },
        "implausible": coordinator.implausible.as_dict(),
        "battery": _battery(coordinator.history),
        "variables": redact_values(data.values),
    }

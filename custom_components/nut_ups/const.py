"""Constants of the nut_ups integration."""

from typing import Final

DOMAIN: Final = "nut_ups"

CONF_UPS: Final = "ups"
CONF_STATUS_INTERVAL: Final = "status_interval"
CONF_SCAN_INTERVAL: Final = "scan_interval"

DEFAULT_HOST: Final = "localhost"
DEFAULT_PORT: Final = 3493
DEFAULT_STATUS_INTERVAL: Final = 2  # seconds between `GET VAR <ups> ups.status` checks
DEFAULT_SCAN_INTERVAL: Final = 30  # seconds between full `LIST VAR <ups>` polls
CLIENT_TIMEOUT: Final = 5.0  # seconds for one operation (connect + command + reply)

DEAD_TIME: Final = 15.0
"""Seconds without a successful answer before entities go unavailable (upsmon's DEADTIME)."""

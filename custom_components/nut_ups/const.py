"""Constants of the nut_ups integration."""

from typing import Final

DOMAIN: Final = "nut_ups"

CONF_UPS: Final = "ups"
CONF_STATUS_INTERVAL: Final = "status_interval"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_BATTERY_AGE: Final = "battery_age"
"""Option: years after the battery's date when a battery_old repair issue is raised."""
CONF_SELF_TEST_DAYS: Final = "self_test_interval"
"""Option: days between scheduled quick battery tests; 0 is off (the default)."""
CONF_SELF_TEST_TIME: Final = "self_test_time"
"""Option: local time of day (HH:MM:SS) of the scheduled quick battery test."""
CONF_SELF_TEST_OVERDUE: Final = "self_test_overdue"
"""Option: days without a self-test before a repair issue says so; 0 is off (the default)."""
DEFAULT_SELF_TEST_TIME: Final = "03:00:00"
CONF_PEUKERT: Final = "peukert_exponent"
"""Option: Peukert's exponent assumed for battery health (1.1 to 1.25 for lead-acid)."""
CONF_HEALTH_THRESHOLD: Final = "health_threshold"
"""Option: battery health (%) below which the battery is due for replacement."""

DEFAULT_HOST: Final = "localhost"
DEFAULT_PORT: Final = 3493
DEFAULT_STATUS_INTERVAL: Final = 0.4  # seconds between `GET VAR <ups> ups.status` checks
DEFAULT_SCAN_INTERVAL: Final = 30  # seconds between full `LIST VAR <ups>` polls
CLIENT_TIMEOUT: Final = 5.0  # seconds for one operation (connect + command + reply)

DEAD_TIME: Final = 15.0
"""Seconds without a successful answer before entities go unavailable (upsmon's DEADTIME)."""

CONF_TLS: Final = "tls"
"""Entry data: the STARTTLS setting (connect.TlsSetting: off, verify, no_verify)."""
CONF_CA_FILE: Final = "ca_file"
"""Entry data: CA certificate file (PEM) to verify upsd's certificate with; relative paths are
read from the configuration folder. Only with ``tls: verify``; absent means the system CAs."""
CONF_ENCRYPTION: Final = "encryption"
"""Form section holding ``tls`` and ``ca_file`` (never stored: its fields are)."""
CONF_ZEROCONF_HOSTNAME: Final = "zeroconf_hostname"
"""Entry data: the mDNS host name (``nas.local``) upsd was announced from, lower case. Lets a
later announcement from a new address update the entry in place."""

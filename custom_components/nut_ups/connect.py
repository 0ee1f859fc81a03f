"""NUT clients built from a config entry's data: the one place that knows how to reach upsd."""

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME

from .const import CLIENT_TIMEOUT
from .nut import NUTClient


def client_for(
    data: Mapping[str, Any], *, credentials: bool, timeout: float = CLIENT_TIMEOUT
) -> NUTClient:
    """Return a client for the upsd that ``data`` (a config entry's data or a form) names.

    Args:
        data: ``host``, ``port`` and optional ``username``/``password``.
        credentials: send the username and password (commands, settings, the flow's check);
            polling passes False and stays anonymous.
        timeout: seconds one operation may take as a whole.
    """
    return NUTClient(
        data[CONF_HOST],
        int(data[CONF_PORT]),
        username=(data.get(CONF_USERNAME) or None) if credentials else None,
        password=(data.get(CONF_PASSWORD) or None) if credentials else None,
        timeout=timeout,
    )

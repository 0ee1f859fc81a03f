"""The client tests open real sockets on 127.0.0.1."""

import pytest


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Allow sockets (pytest-homeassistant-custom-component blocks them by default)."""

"""The client tests open real sockets on 127.0.0.1."""

import pytest
import pytest_socket


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Allow sockets (pytest-homeassistant-custom-component blocks them by default)."""


@pytest.fixture
def _allow_ipv6_loopback() -> None:
    """Let the test reach ::1 too (pytest-homeassistant allows 127.0.0.1 only)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"], allow_unix_socket=True)

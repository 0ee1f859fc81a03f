"""Fixtures of the client tests."""

import pytest
import pytest_socket


@pytest.fixture
def _allow_ipv6_loopback() -> None:
    """Let the test reach ::1 too (pytest-homeassistant allows 127.0.0.1 only)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"], allow_unix_socket=True)

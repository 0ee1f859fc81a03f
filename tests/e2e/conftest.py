"""End-to-end tests: each module's tests stay on one xdist worker, with sockets never blocked.

Their Home Assistant and upsd are module fixtures (started once per module, tens of seconds);
``scripts/test`` runs with ``--dist loadgroup``, so other tests spread one by one over the
workers (the 504-dump sweep's twelve batches included) while these keep their module together.
"""

from collections.abc import Generator
from unittest.mock import patch

import pytest
import pytest_socket


def _e2e(item: pytest.Item) -> bool:
    return "e2e/" in item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group every e2e test with the others of its module (``xdist_group``)."""
    for item in items:
        if _e2e(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None]:
    """Keep sockets open from one e2e test to the next.

    pytest-homeassistant-custom-component blocks sockets at every test's setup, until the
    ``socket_enabled`` fixture opens them again. A module's simulated upsd serves the real
    ``hass`` from a thread of this process, so a poll accepted in that window failed with
    HASocketBlockedError, and the next teardown blamed the test for opening a socket (seen in
    CI). Here the block is skipped for e2e tests: nothing in them runs in the test's own loop.
    """
    if not _e2e(item):
        return (yield)
    with patch.object(pytest_socket, "disable_socket", lambda **_: None):
        return (yield)

"""End-to-end tests: each module's tests stay on one xdist worker.

Their Home Assistant and upsd are module fixtures (started once per module, tens of seconds);
``scripts/test`` runs with ``--dist loadgroup``, so other tests spread one by one over the
workers (the 504-dump sweep's twelve batches included) while these keep their module together.
"""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group every e2e test with the others of its module (``xdist_group``)."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if "e2e/" in path:
            item.add_marker(pytest.mark.xdist_group(path))

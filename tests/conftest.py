"""Shared fixtures: a real, private upsd running dummy-ups drivers (tests/support/upsd.py)."""

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from tests.support.upsd import Upsd, fixture_path

pytest_plugins = ["pytest_homeassistant_custom_component"]

type UpsdFactory = Callable[..., Upsd]


@pytest.fixture
def upsd_factory(socket_enabled: None) -> Iterator[UpsdFactory]:
    """Start real upsd instances: ``upsd_factory(dev_file, *, name="test", ...)``.

    ``dev_file`` is a path, or a ``{ups name: path}`` mapping for several UPSes on one upsd.
    Other keyword arguments go to :class:`~tests.support.upsd.Upsd` (``maxage``,
    ``users``, ``descriptions``, ``extra_conf``). Every process is stopped by PID at teardown, and the test
    fails if one is left running.
    """
    started: list[Upsd] = []

    def factory(dev_file: Path | Mapping[str, Path], *, name: str = "test", **kwargs: Any) -> Upsd:
        devices = dict(dev_file) if isinstance(dev_file, Mapping) else {name: Path(dev_file)}
        server = Upsd(devices, **kwargs)
        started.append(server)
        server.start()
        return server

    yield factory
    left = [pid for server in started for pid in server.stop()]
    assert not left, f"processes left running: {left}"


@pytest.fixture
def upsd(upsd_factory: UpsdFactory) -> Upsd:
    """A real upsd serving the UPS ``test`` from tests/fixtures/smart-ups.dev."""
    return upsd_factory(fixture_path("smart-ups.dev"))


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Allow sockets: every test here talks to servers on 127.0.0.1 (the only allowed host)."""


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/nut_ups in every test."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable every entity, the disabled-by-default diagnostic ones included (as HA core's)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's extension (states, registry entries, flow results)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)

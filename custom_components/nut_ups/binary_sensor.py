"""Binary sensors from ``ups.status``: online, on battery, low battery, replace battery and more."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import NutUpsConfigEntry
from .entity import NutUpsEntity, registered_keys
from .selftest import TEST_RESULT_VAR, SelfTestResult
from .state import STATUS_VAR, NutUpsState

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class NutUpsBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor; ``is_on_fn`` reads it from the state (None = unknown)."""

    is_on_fn: Callable[[NutUpsState], bool]


def _flag(*tokens: str) -> Callable[[NutUpsState], bool]:
    return lambda state: any(state.status.has(token) for token in tokens)


def _charging(state: NutUpsState) -> bool:
    charger = state.values.get("battery.charger.status", "").strip().lower()
    return state.status.has("CHRG") or charger == "charging"


def _alarm(state: NutUpsState) -> bool:
    return state.status.has("ALARM") or bool(state.values.get("ups.alarm", "").strip())


BINARY_SENSORS: tuple[NutUpsBinarySensorEntityDescription, ...] = (
    NutUpsBinarySensorEntityDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.POWER,
        is_on_fn=_flag("OL"),
    ),
    NutUpsBinarySensorEntityDescription(
        key="on_battery",
        translation_key="on_battery",
        is_on_fn=lambda state: state.status.on_battery,
    ),
    NutUpsBinarySensorEntityDescription(
        key="low_battery",
        translation_key="low_battery",
        device_class=BinarySensorDeviceClass.BATTERY,
        is_on_fn=lambda state: state.status.low_battery,
    ),
    NutUpsBinarySensorEntityDescription(
        key="replace_battery",
        translation_key="replace_battery",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_flag("RB"),
    ),
    NutUpsBinarySensorEntityDescription(
        key="overload",
        translation_key="overload",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_flag("OVER"),
    ),
    NutUpsBinarySensorEntityDescription(
        key="charging",
        translation_key="charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=_charging,
    ),
    NutUpsBinarySensorEntityDescription(
        key="alarm",
        translation_key="alarm",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_alarm,
    ),
)


SELF_TEST_FAILED = NutUpsBinarySensorEntityDescription(
    key="self_test_failed",
    translation_key="self_test_failed",
    device_class=BinarySensorDeviceClass.PROBLEM,
    is_on_fn=lambda state: False,  # read from the stored self-test instead (below)
)
"""On when the last self-test the UPS reported failed, until a later one does not."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors once the UPS reports ``ups.status`` (now, later, or before)."""
    coordinator = entry.runtime_data
    added = False
    seen_before = bool(registered_keys(hass, entry, Platform.BINARY_SENSOR))

    @callback
    def add_when_reported() -> None:
        nonlocal added
        if not added and (seen_before or STATUS_VAR in coordinator.data.values):
            added = True
            async_add_entities(
                NutUpsBinarySensor(coordinator, description) for description in BINARY_SENSORS
            )

    self_test_added = False
    self_test_seen = SELF_TEST_FAILED.key in registered_keys(hass, entry, Platform.BINARY_SENSOR)

    @callback
    def add_self_test() -> None:
        nonlocal self_test_added
        if not self_test_added and (self_test_seen or TEST_RESULT_VAR in coordinator.data.values):
            self_test_added = True
            async_add_entities([NutUpsSelfTestBinarySensor(coordinator, SELF_TEST_FAILED)])

    add_when_reported()
    add_self_test()
    entry.async_on_unload(coordinator.async_add_listener(add_when_reported))
    entry.async_on_unload(coordinator.async_add_listener(add_self_test))


class NutUpsBinarySensor(NutUpsEntity, BinarySensorEntity):
    """A binary sensor of the UPS."""

    entity_description: NutUpsBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """On/off; None (unknown) while upsd has no status yet (WAIT) or none at all."""
        data = self.coordinator.data
        if not data.status.known:
            return None
        return self.entity_description.is_on_fn(data)


class NutUpsSelfTestBinarySensor(NutUpsBinarySensor):
    """Self-test failed: from the stored last self-test, so APC's later "NO" does not clear it."""

    @property
    @override
    def is_on(self) -> bool | None:
        """On after a failed test; unknown before the UPS reported any result."""
        result = self.coordinator.history.self_test.result
        if result is None or result is SelfTestResult.UNKNOWN:
            return None
        return result is SelfTestResult.FAILED

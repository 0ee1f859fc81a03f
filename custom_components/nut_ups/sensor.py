"""Sensors: battery charge, load, runtime, status, alert level, power and every other variable."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
import re
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    Platform,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .battery import BATTERY_DATE_VARS, battery_date
from .coordinator import NutUpsConfigEntry, NutUpsCoordinator
from .entity import HA_UNITS, NutUpsEntity, registered_keys, variable_label
from .history import UpsHistory
from .ledger import reports_power
from .runtime_estimate import RuntimeEstimate
from .selftest import TEST_RESULT_VAR, SelfTestResult, last_test_time
from .state import STATUS_VAR, NutUpsState
from .status import AlertLevel, UpsState, format_runtime, parse_number
from .variables import is_numeric_variable, variable_kind

PARALLEL_UPDATES = 0

type StateValue = str | float | date | datetime | None

SHUTDOWN_AT_TOLERANCE = 2.0
"""Seconds a recomputed shutdown moment may differ from the shown one and still be the same."""


@dataclass(frozen=True, kw_only=True)
class NutUpsSensorEntityDescription(SensorEntityDescription):
    """A sensor of the UPS: ``value_fn`` reads the state, ``exists_fn`` says if it applies."""

    value_fn: Callable[[NutUpsState], StateValue]
    exists_fn: Callable[[dict[str, str]], bool] = lambda values: True
    attributes_fn: Callable[[NutUpsState], dict[str, Any]] | None = None
    variables: tuple[str, ...] = ()
    """NUT variables this sensor shows, so they get no generic sensor of their own."""


def _number(name: str) -> Callable[[NutUpsState], float | None]:
    return lambda state: state.number(name)


def _has(name: str) -> Callable[[dict[str, str]], bool]:
    return lambda values: name in values


def _estimated_power(state: NutUpsState) -> float | None:
    nominal = state.number("ups.realpower.nominal")
    load = state.number("ups.load")
    if nominal is None or load is None:
        return None
    return round(nominal * load / 100, 1)


def _shutdown_at(state: NutUpsState) -> datetime | None:
    """When the output goes off: now + ``ups.timer.shutdown`` while it counts down, else None."""
    timer = state.number("ups.timer.shutdown")
    if timer is None or timer <= 0:
        return None
    return (dt_util.utcnow() + timedelta(seconds=timer)).replace(microsecond=0)


def _battery_installed(state: NutUpsState) -> date | None:
    found = battery_date(state.values, dt_util.now().date())
    return found.day if found is not None else None


def _battery_installed_attributes(state: NutUpsState) -> dict[str, Any]:
    found = battery_date(state.values, dt_util.now().date())
    return {"source": found.kind if found is not None else None}


def _runtime_attributes(state: NutUpsState) -> dict[str, Any]:
    return {"formatted": format_runtime(state.number("battery.runtime"))}


def _status_attributes(state: NutUpsState) -> dict[str, Any]:
    return {"flags": list(state.status.flags), "raw": state.status.raw}


def _measurement(
    key: str,
    variable: str,
    unit: str,
    device_class: SensorDeviceClass | None,
    *,
    precision: int | None = None,
) -> NutUpsSensorEntityDescription:
    return NutUpsSensorEntityDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=unit,
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=precision,
        value_fn=_number(variable),
        exists_fn=_has(variable),
        variables=(variable,),
    )


SENSORS: tuple[NutUpsSensorEntityDescription, ...] = (
    _measurement(
        "battery_charge", "battery.charge", PERCENTAGE, SensorDeviceClass.BATTERY, precision=0
    ),
    _measurement("load", "ups.load", PERCENTAGE, None, precision=0),
    NutUpsSensorEntityDescription(
        key="battery_runtime",
        translation_key="battery_runtime",
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_number("battery.runtime"),
        exists_fn=_has("battery.runtime"),
        attributes_fn=_runtime_attributes,
        variables=("battery.runtime",),
    ),
    NutUpsSensorEntityDescription(
        key="battery_installed",
        translation_key="battery_installed",
        device_class=SensorDeviceClass.DATE,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_battery_installed,
        exists_fn=lambda values: any(name in values for name in BATTERY_DATE_VARS),
        attributes_fn=_battery_installed_attributes,
    ),
    NutUpsSensorEntityDescription(
        key="shutdown_at",
        translation_key="shutdown_at",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_shutdown_at,
        exists_fn=_has("ups.timer.shutdown"),
    ),
    NutUpsSensorEntityDescription(
        key="alert_level",
        translation_key="alert_level",
        device_class=SensorDeviceClass.ENUM,
        options=[level.value for level in AlertLevel],
        value_fn=lambda state: state.status.alert_level,
        exists_fn=_has(STATUS_VAR),
    ),
    NutUpsSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in UpsState],
        value_fn=lambda state: state.status.dominant,
        exists_fn=_has(STATUS_VAR),
        attributes_fn=_status_attributes,
        variables=(STATUS_VAR,),
    ),
    _measurement(
        "input_voltage",
        "input.voltage",
        UnitOfElectricPotential.VOLT,
        SensorDeviceClass.VOLTAGE,
        precision=0,
    ),
    _measurement(
        "output_voltage",
        "output.voltage",
        UnitOfElectricPotential.VOLT,
        SensorDeviceClass.VOLTAGE,
        precision=0,
    ),
    _measurement(
        "battery_voltage",
        "battery.voltage",
        UnitOfElectricPotential.VOLT,
        SensorDeviceClass.VOLTAGE,
        precision=1,
    ),
    _measurement("power", "ups.realpower", UnitOfPower.WATT, SensorDeviceClass.POWER, precision=0),
    NutUpsSensorEntityDescription(
        key="estimated_power",
        translation_key="estimated_power",
        native_unit_of_measurement=UnitOfPower.WATT,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_estimated_power,
        exists_fn=lambda values: (
            "ups.realpower" not in values
            and "ups.realpower.nominal" in values
            and "ups.load" in values
        ),
    ),
    _measurement(
        "ups_temperature",
        "ups.temperature",
        UnitOfTemperature.CELSIUS,
        SensorDeviceClass.TEMPERATURE,
        precision=1,
    ),
    _measurement(
        "battery_temperature",
        "battery.temperature",
        UnitOfTemperature.CELSIUS,
        SensorDeviceClass.TEMPERATURE,
        precision=1,
    ),
    _measurement(
        "ambient_temperature",
        "ambient.temperature",
        UnitOfTemperature.CELSIUS,
        SensorDeviceClass.TEMPERATURE,
        precision=1,
    ),
)

_COVERED = frozenset(name for description in SENSORS for name in description.variables)

OUTLET_MEASUREMENT = re.compile(
    r"^outlet\.(?P<number>[1-9]\d*)\.(?P<kind>realpower|power|current)$"
)
"""Per-outlet readings (docs/nut-names.txt): real power (W), apparent power (VA), current (A)."""


def _outlet_template(
    translation_key: str, unit: str, device_class: SensorDeviceClass, precision: int
) -> NutUpsSensorEntityDescription:
    return NutUpsSensorEntityDescription(
        key=translation_key,
        translation_key=translation_key,
        native_unit_of_measurement=unit,
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=precision,
        value_fn=lambda state: None,
    )


_OUTLET_KINDS: dict[str, NutUpsSensorEntityDescription] = {
    "realpower": _outlet_template("outlet_power", UnitOfPower.WATT, SensorDeviceClass.POWER, 0),
    "power": _outlet_template(
        "outlet_apparent_power",
        UnitOfApparentPower.VOLT_AMPERE,
        SensorDeviceClass.APPARENT_POWER,
        0,
    ),
    "current": _outlet_template(
        "outlet_current", UnitOfElectricCurrent.AMPERE, SensorDeviceClass.CURRENT, 1
    ),
}


def outlet_description(name: str) -> NutUpsSensorEntityDescription | None:
    """Describe the sensor of a per-outlet reading (``outlet.N.realpower|power|current``).

    Returns:
        An enabled measurement named after the outlet (``{outlet} power``), or None when
        ``name`` is not such a reading. ``outlet.0`` is the whole UPS, left to the generic sensors.
    """
    match = OUTLET_MEASUREMENT.match(name)
    if match is None:
        return None
    return replace(
        _OUTLET_KINDS[match["kind"]], key=name, value_fn=_number(name), variables=(name,)
    )


def variable_description(name: str, value: str) -> NutUpsSensorEntityDescription:
    """Describe a disabled diagnostic sensor for any other NUT variable, keyed by its name.

    Numbers get the unit and device class of docs/nut-names.txt; text stays plain text (no
    enum), so values nobody foresaw never break the entity.
    """
    label = variable_label(name)
    if is_numeric_variable(name, value, parse_number(value)):
        kind = variable_kind(name)
        return NutUpsSensorEntityDescription(
            key=name,
            name=label,
            native_unit_of_measurement=HA_UNITS.get(kind.unit) if kind.unit else None,
            device_class=SensorDeviceClass(kind.device_class) if kind.device_class else None,
            state_class=SensorStateClass.MEASUREMENT if kind.measurement else None,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
            value_fn=_number(name),
        )
    return NutUpsSensorEntityDescription(
        key=name,
        name=label,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.values.get(name),
    )


def _seen_variable_description(name: str, item: er.RegistryEntry) -> NutUpsSensorEntityDescription:
    """Describe a variable sensor from its registry entry while the UPS does not report it.

    A unit, device class or state class in the registry means it was a number.
    """
    numeric = bool(
        item.unit_of_measurement
        or item.original_device_class
        or (item.capabilities or {}).get("state_class")
    )
    return variable_description(name, "0" if numeric else "")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NutUpsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the variables reported now, seen before, or appearing later.

    "Seen before" comes from the entity registry: a variable reported only on battery gets its
    entity after a restart on mains too, showing unknown rather than unavailable.
    """
    coordinator = entry.runtime_data
    added: set[str] = set()
    fixed_keys = {description.key for description in SENSORS}

    def add(new: Sequence[NutUpsEntity]) -> None:
        added.update(sensor.entity_description.key for sensor in new)
        if new:
            async_add_entities(new)

    @callback
    def add_new() -> None:
        values = coordinator.data.values
        new: list[NutUpsSensor] = [
            _sensor(coordinator, description)
            for description in SENSORS
            if description.key not in added and description.exists_fn(values)
        ]
        new += [
            _variable_sensor(coordinator, name, value)
            for name, value in values.items()
            if name not in _COVERED and name not in added
        ]
        add(new)

    add_new()
    seen_before = registered_keys(hass, entry, Platform.SENSOR)
    add(
        [
            NutUpsEstimateSensor(coordinator, description)
            for description in ESTIMATE_SENSORS
            if description.exists_fn(coordinator.data.values) or description.key in seen_before
        ]
    )
    add(
        [
            NutUpsHistorySensor(coordinator, description)
            for description in HISTORY_SENSORS
            if description.exists_fn(coordinator.data.values) or description.key in seen_before
        ]
    )
    add(
        [
            _sensor(coordinator, description)
            for description in SENSORS
            if description.key in seen_before and description.key not in added
        ]
        + [
            _variable_sensor(coordinator, key, "0")
            if OUTLET_MEASUREMENT.match(key)
            else NutUpsSensor(coordinator, _seen_variable_description(key, item))
            for key, item in seen_before.items()
            if key not in fixed_keys and key not in _COVERED and key not in added
        ]
    )
    entry.async_on_unload(coordinator.async_add_listener(add_new))


def _sensor(
    coordinator: NutUpsCoordinator, description: NutUpsSensorEntityDescription
) -> NutUpsSensor:
    if description.key == "shutdown_at":
        return NutUpsShutdownAtSensor(coordinator, description)
    if OUTLET_MEASUREMENT.match(description.key):
        return NutUpsOutletSensor(coordinator, description)
    return NutUpsSensor(coordinator, description)


def _variable_sensor(coordinator: NutUpsCoordinator, name: str, value: str) -> NutUpsSensor:
    """Return the sensor of a variable no fixed description covers: per-outlet, or generic."""
    description = outlet_description(name)
    if description is not None:
        return _sensor(coordinator, description)
    return NutUpsSensor(coordinator, variable_description(name, value))


class NutUpsSensor(NutUpsEntity, SensorEntity):
    """A sensor of the UPS."""

    entity_description: NutUpsSensorEntityDescription

    @property
    @override
    def native_value(self) -> StateValue:
        """The state; None (unknown) when the UPS does not report it right now."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Extra attributes (status flags, runtime as text)."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.data)


class NutUpsOutletSensor(NutUpsSensor):
    """A per-outlet reading, named after ``outlet.N.desc`` (or ``outlet.N``)."""

    def __init__(
        self, coordinator: NutUpsCoordinator, description: NutUpsSensorEntityDescription
    ) -> None:
        """Name the sensor after its outlet."""
        super().__init__(coordinator, description)
        number = description.key.split(".")[1]
        desc = coordinator.data.values.get(f"outlet.{number}.desc", "").strip()
        self._attr_translation_placeholders = {"outlet": desc or f"outlet.{number}"}


class NutUpsShutdownAtSensor(NutUpsSensor):
    """When the output goes off; steady while ``ups.timer.shutdown`` counts down.

    now + a whole-second timer moves by a second from poll to poll; a moment within
    ``SHUTDOWN_AT_TOLERANCE`` seconds of the one shown is the same moment, so the state (and
    the recorder, and automations on it) changes only when the countdown really does.
    """

    _shown: datetime | None = None

    @property
    @override
    def native_value(self) -> StateValue:
        """The moment the output goes off, or None (unknown) when nothing counts down."""
        moment = _shutdown_at(self.coordinator.data)
        shown = self._shown
        if (
            moment is not None
            and shown is not None
            and abs((moment - shown).total_seconds()) <= SHUTDOWN_AT_TOLERANCE
        ):
            return shown
        self._shown = moment
        return moment


# -- the stored history (history.py): outages, time on battery, energy ---------------------------
@dataclass(frozen=True, kw_only=True)
class NutUpsHistorySensorEntityDescription(SensorEntityDescription):
    """A sensor of the UPS's stored history; ``value_fn`` reads it at a moment (UTC)."""

    value_fn: Callable[[UpsHistory, datetime], StateValue]
    exists_fn: Callable[[dict[str, str]], bool] = lambda values: STATUS_VAR in values
    attributes_fn: Callable[[UpsHistory], dict[str, Any]] | None = None


def _energy_attributes(history: UpsHistory) -> dict[str, Any]:
    return {"source": history.energy.source}


def _self_test_result(history: UpsHistory, at: datetime) -> str | None:
    result = history.self_test.result
    return result.value if result is not None and result is not SelfTestResult.UNKNOWN else None


def _self_test_attributes(history: UpsHistory) -> dict[str, Any]:
    return {"raw": history.self_test.raw}


def _last_self_test(history: UpsHistory, at: datetime) -> datetime | None:
    memory = history.self_test
    return last_test_time(
        memory.date_text, memory.seen_at, dt_util.get_default_time_zone(), dt_util.now().date()
    )


def _reports_self_test(values: dict[str, str]) -> bool:
    return TEST_RESULT_VAR in values


def _reports_charge(values: dict[str, str]) -> bool:
    return "battery.charge" in values


def _battery_health(history: UpsHistory, at: datetime) -> float | None:
    health = history.battery.figures.health
    return round(health.health, 1) if health is not None else None


def _battery_health_attributes(history: UpsHistory) -> dict[str, Any]:
    health = history.battery.figures.health
    if health is None:
        return {"episodes": len(history.battery.episodes())}
    return {
        "episodes": health.episodes,
        "confidence": health.confidence.value,
        "margin": round(health.margin, 1),
        "exponent": round(health.exponent, 3),
        "measured_at": health.measured_at.isoformat(),
    }


def _runtime_accuracy(history: UpsHistory, at: datetime) -> float | None:
    accuracy = history.battery.figures.accuracy
    return round(accuracy.ratio) if accuracy is not None else None


def _runtime_accuracy_attributes(history: UpsHistory) -> dict[str, Any]:
    accuracy = history.battery.figures.accuracy
    if accuracy is None:
        return {}
    return {
        "predicted": round(accuracy.predicted),
        "delivered": round(accuracy.delivered),
        "extrapolated": accuracy.extrapolated,
    }


def _replacement_due(history: UpsHistory, at: datetime) -> date | None:
    replacement = history.battery.figures.replacement
    return replacement.due if replacement is not None else None


def _replacement_attributes(history: UpsHistory) -> dict[str, Any]:
    replacement = history.battery.figures.replacement
    if replacement is None:
        return {}
    return {
        "margin_days": round(replacement.margin_days),
        "slope": round(replacement.slope, 1),
        "episodes": replacement.episodes,
    }


HISTORY_SENSORS: tuple[NutUpsHistorySensorEntityDescription, ...] = (
    NutUpsHistorySensorEntityDescription(
        key="last_power_outage",
        translation_key="last_power_outage",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda history, at: history.ledger.last_outage_start,
    ),
    NutUpsHistorySensorEntityDescription(
        key="last_outage_duration",
        translation_key="last_outage_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=lambda history, at: (
            round(history.ledger.last_outage_duration)
            if history.ledger.last_outage_duration is not None
            else None
        ),
    ),
    NutUpsHistorySensorEntityDescription(
        key="power_outages",
        translation_key="power_outages",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda history, at: history.ledger.outages,
    ),
    NutUpsHistorySensorEntityDescription(
        key="time_on_battery",
        translation_key="time_on_battery",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=lambda history, at: round(history.ledger.time_on_battery(at)),
    ),
    NutUpsHistorySensorEntityDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=lambda history, at: round(history.energy.kwh, 3),  # whole Wh: few writes
        exists_fn=reports_power,
        attributes_fn=_energy_attributes,
    ),
    NutUpsHistorySensorEntityDescription(
        key="self_test_result",
        translation_key="self_test_result",
        device_class=SensorDeviceClass.ENUM,
        options=[result.value for result in SelfTestResult if result is not SelfTestResult.UNKNOWN],
        value_fn=_self_test_result,
        exists_fn=_reports_self_test,
        attributes_fn=_self_test_attributes,
    ),
    NutUpsHistorySensorEntityDescription(
        key="battery_health",
        translation_key="battery_health",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_battery_health,
        exists_fn=_reports_charge,
        attributes_fn=_battery_health_attributes,
    ),
    NutUpsHistorySensorEntityDescription(
        key="runtime_accuracy",
        translation_key="runtime_accuracy",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_runtime_accuracy,
        exists_fn=_reports_charge,
        attributes_fn=_runtime_accuracy_attributes,
    ),
    NutUpsHistorySensorEntityDescription(
        key="battery_replacement_due",
        translation_key="battery_replacement_due",
        device_class=SensorDeviceClass.DATE,
        value_fn=_replacement_due,
        exists_fn=_reports_charge,
        attributes_fn=_replacement_attributes,
    ),
    NutUpsHistorySensorEntityDescription(
        key="transfers_to_battery",
        translation_key="transfers_to_battery",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda history, at: history.battery.counters.transfers,
        exists_fn=_reports_charge,
    ),
    NutUpsHistorySensorEntityDescription(
        key="deep_discharges",
        translation_key="deep_discharges",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda history, at: history.battery.counters.deep_discharges,
        exists_fn=_reports_charge,
    ),
    NutUpsHistorySensorEntityDescription(
        key="equivalent_full_cycles",
        translation_key="equivalent_full_cycles",
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda history, at: round(history.battery.counters.cycles, 3),
        exists_fn=_reports_charge,
    ),
    NutUpsHistorySensorEntityDescription(
        key="last_self_test",
        translation_key="last_self_test",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_last_self_test,
        exists_fn=_reports_self_test,
    ),
)


class NutUpsHistorySensor(NutUpsEntity, SensorEntity):
    """A sensor of the UPS's stored history; it stays available without contact with upsd."""

    entity_description: NutUpsHistorySensorEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Always: the history is known even while upsd does not answer."""
        return True

    _shown: tuple[StateValue, dict[str, Any] | None] | None = None

    @override
    async def async_added_to_hass(self) -> None:
        """Write the state whenever the history changed what it shows."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.history.async_add_listener(self._history_changed))

    @callback
    def _history_changed(self) -> None:
        """Write the state if this sensor's value or attributes changed.

        Energy changes at every full poll, and each sensor of the history listens: writing
        them all would cost a dozen state writes per poll for one changed value.
        """
        shown = (self.native_value, self.extra_state_attributes)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Nothing to write: the history says when it changed."""

    @property
    @override
    def native_value(self) -> StateValue:
        """The state, from the history now."""
        return self.entity_description.value_fn(self.coordinator.history, dt_util.utcnow())

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Extra attributes (where the energy's power figure comes from)."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.coordinator.history)


# -- the runtime observed in this outage (runtime_estimate.py) -----------------------------------
@dataclass(frozen=True, kw_only=True)
class NutUpsEstimateSensorEntityDescription(SensorEntityDescription):
    """A sensor of the coordinator's runtime estimate; ``value_fn`` reads it."""

    value_fn: Callable[[RuntimeEstimate], StateValue]
    exists_fn: Callable[[dict[str, str]], bool]
    attributes_fn: Callable[[RuntimeEstimate], dict[str, Any]]


def _rounded(value: float | None) -> float | None:
    return round(value) if value is not None else None


def _estimate_attributes(estimate: RuntimeEstimate) -> dict[str, Any]:
    return {
        "source": estimate.source.value,
        "rate": round(estimate.rate, 3) if estimate.rate is not None else None,
        "formatted": format_runtime(estimate.seconds),
    }


ESTIMATE_SENSORS: tuple[NutUpsEstimateSensorEntityDescription, ...] = (
    NutUpsEstimateSensorEntityDescription(
        key="estimated_runtime",
        translation_key="estimated_runtime",
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda estimate: _rounded(estimate.seconds),
        exists_fn=lambda values: "battery.charge" in values or "battery.runtime" in values,
        attributes_fn=_estimate_attributes,
    ),
)


class NutUpsEstimateSensor(NutUpsEntity, SensorEntity):
    """Runtime left: observed during this outage once the battery fell enough, else the UPS's."""

    entity_description: NutUpsEstimateSensorEntityDescription

    @property
    @override
    def native_value(self) -> StateValue:
        """The runtime left (s)."""
        return self.entity_description.value_fn(self.coordinator.runtime.estimate())

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """``source`` (charge, voltage or ups), ``rate`` (% or V per minute), ``formatted``."""
        return self.entity_description.attributes_fn(self.coordinator.runtime.estimate())

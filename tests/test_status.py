"""ups.status meaning, runtime text, numbers and variable kinds (pure functions)."""

from __future__ import annotations

import pytest

from custom_components.nut_ups.status import (
    AlertLevel,
    UpsState,
    UpsStatus,
    format_runtime,
    parse_number,
)
from custom_components.nut_ups.variables import is_numeric_variable, variable_kind


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, None),
        (-1, None),
        (0, "0m"),
        (59, "0m"),
        (60, "1m"),
        (45 * 60, "45m"),
        (3599, "59m"),
        (3600, "1h 0m"),
        (3900, "1h 5m"),
        (3960.9, "1h 6m"),
        (86400 + 61, "24h 1m"),
    ],
)
def test_format_runtime(seconds: float | None, text: str | None) -> None:
    assert format_runtime(seconds) == text


@pytest.mark.parametrize(
    ("raw", "state", "level"),
    [
        ("OL", UpsState.ONLINE, AlertLevel.OK),
        ("OL CHRG", UpsState.ONLINE, AlertLevel.OK),
        ("OL DISCHRG TRIM BOOST HB HE ECO", UpsState.ONLINE, AlertLevel.OK),
        ("OB DISCHRG", UpsState.ON_BATTERY, AlertLevel.WARNING),
        ("OB LB", UpsState.LOW_BATTERY, AlertLevel.CRITICAL),
        ("OL LB", UpsState.LOW_BATTERY, AlertLevel.CRITICAL),
        ("FSD OL", UpsState.FORCED_SHUTDOWN, AlertLevel.CRITICAL),
        ("OL RB", UpsState.ONLINE, AlertLevel.WARNING),
        ("OL OVER", UpsState.OVERLOAD, AlertLevel.WARNING),
        ("OL BYPASS", UpsState.BYPASS, AlertLevel.WARNING),
        ("OL OFF", UpsState.OFF, AlertLevel.WARNING),
        ("ALARM OL", UpsState.ONLINE, AlertLevel.WARNING),
        ("OL CAL", UpsState.CALIBRATING, AlertLevel.OK),
        ("OL TEST", UpsState.TESTING, AlertLevel.OK),
        ("OL OB", UpsState.ON_BATTERY, AlertLevel.WARNING),
        ("ol chrg", UpsState.ONLINE, AlertLevel.OK),
        ("OL COMM NEWTOKEN", UpsState.ONLINE, AlertLevel.OK),
        ("WAIT", UpsState.WAITING, None),
        ("NEWTOKEN", None, AlertLevel.OK),
        ("", None, None),
    ],
)
def test_status(raw: str, state: UpsState | None, level: AlertLevel | None) -> None:
    status = UpsStatus.parse(raw)
    assert status.dominant == state
    assert status.alert_level == level


def test_status_flags_and_battery() -> None:
    status = UpsStatus.parse("  OB  LB OB ")
    assert status.flags == ("OB", "LB")
    assert status.on_battery and status.low_battery and status.known
    fsd = UpsStatus.parse("FSD")
    assert fsd.on_battery and fsd.low_battery
    wait = UpsStatus.parse("WAIT")
    assert wait.waiting and not wait.on_battery and not wait.known
    assert not UpsStatus.parse("OL WAIT").waiting
    assert UpsStatus.parse(None) == UpsStatus("", ())


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("230.4", 230.4),
        ("0100", 100),
        (" 7 ", 7),
        ("-1", -1),
        ("1e3", None),
        ("nan", None),
        ("", None),
        (None, None),
        ("N/A", None),
        ("inf", None),
        ("1_000", None),
        ("5.", 5.0),
        (".5", 0.5),
        ("1.2.3", None),
    ],
)
def test_parse_number(text: str | None, number: float | None) -> None:
    parsed = parse_number(text)
    assert parsed == number
    assert type(parsed) is type(number)


@pytest.mark.parametrize(
    ("name", "unit", "device_class", "measurement"),
    [
        ("input.voltage", "V", "voltage", True),
        ("input.voltage.nominal", "V", "voltage", False),
        ("input.transfer.low", "V", "voltage", False),
        ("output.current", "A", "current", True),
        ("input.frequency", "Hz", "frequency", True),
        ("ups.realpower.nominal", "W", "power", False),
        ("ups.power", "VA", "apparent_power", True),
        ("ambient.temperature", "°C", "temperature", True),
        ("ambient.humidity", "%", "humidity", True),
        ("battery.charge.low", "%", None, False),
        ("ups.load", "%", None, True),
        ("battery.runtime.low", "s", "duration", False),
        ("ups.delay.shutdown", "s", "duration", False),
        ("ups.timer.reboot", "s", "duration", True),
        ("device.uptime", "s", "duration", True),
        ("battery.capacity", "Ah", None, False),
        ("outlet.1.current", "A", "current", True),
        ("input.phases", None, None, True),
    ],
)
def test_variable_kind(
    name: str, unit: str | None, device_class: str | None, measurement: bool
) -> None:
    kind = variable_kind(name)
    assert (kind.unit, kind.device_class, kind.measurement) == (unit, device_class, measurement)


@pytest.mark.parametrize(
    ("name", "value", "numeric"),
    [
        ("battery.voltage", "27.3", True),
        ("ups.vendorid", "0463", False),
        ("ups.productid", "0003", False),
        ("device.serial", "123456", False),
        ("ups.firmware", "15.5", False),
        ("driver.parameter.pollinterval", "2", False),
        ("battery.date", "2024", False),
        ("ups.beeper.status", "enabled", False),
        ("ups.test.result", "No test", False),
    ],
)
def test_numeric_variable(name: str, value: str, numeric: bool) -> None:
    assert is_numeric_variable(name, value, parse_number(value)) is numeric

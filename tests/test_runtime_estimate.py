"""The runtime estimated from the discharge observed in an outage, on recorded discharge curves.

Two curves, sampled as nut_ups sees them on battery (a full poll every 2 s, charge in whole %):
- a constant-power model of an aged battery: it holds half its rated energy, the UPS's charge
  reading follows the real state of charge, and the UPS's runtime (rated energy / load) is twice
  too long, as the apcupsd manual warns;
- the demo's outage drill (demo/__main__.py): 97 → 82 → 61 → 38 → 18 %, the UPS saying 45, 25,
  18, 10 and 4 min, stretched over a real time scale, with the truth continuing its last slope.

The errors reached are printed (``pytest -s``) and bounded here; README quotes them.
"""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
import math
import random

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.nut_ups.runtime_estimate import (
    RuntimeEstimator,
    RuntimeSource,
    fit_slope,
)
from tests.support.ha import refresh, setup_entry, state
from tests.support.upsd import Upsd

POLL = 2.0


@dataclass(frozen=True)
class Sample:
    """One poll on battery: time (s), charge (%), UPS runtime (s), true runtime left (s)."""

    at: float
    charge: float
    ups_runtime: float
    truth: float


def aged_battery(
    load_w: float = 300.0, rated_wh: float = 200.0, health: float = 0.5
) -> Iterator[Sample]:
    """Constant power from a battery holding ``health`` times its rated energy; jittered polls."""
    rng = random.Random(7)
    real_wh = rated_wh * health
    total = real_wh * 3600 / load_w  # seconds to empty
    at = 0.0
    while at < total:
        left = 1 - at / total
        yield Sample(at, math.floor(100 * left), left * rated_wh * 3600 / load_w, total - at)
        at += POLL + rng.uniform(-0.2, 0.2)


DRILL = [(97, 2700), (82, 1500), (61, 1080), (38, 600), (18, 240)]
"""The demo's outage drill: (charge %, UPS runtime s) at each step."""


def drill(step: float = 240.0) -> Iterator[Sample]:
    """The drill's points ``step`` seconds apart, charge falling linearly between them."""
    last_slope = (DRILL[-1][0] - DRILL[-2][0]) / step
    end = (len(DRILL) - 1) * step + DRILL[-1][0] / -last_slope  # the last slope reaches 0 %
    at = 0.0
    while at <= (len(DRILL) - 1) * step:
        index = min(int(at // step), len(DRILL) - 2)
        share = at / step - index
        (c0, r0), (c1, r1) = DRILL[index], DRILL[index + 1]
        charge = c0 + (c1 - c0) * share
        yield Sample(at, math.floor(charge), r0 + (r1 - r0) * share, end - at)
        at += POLL


def play(curve: Iterator[Sample]) -> list[tuple[Sample, float | None, RuntimeSource]]:
    """Feed a curve to a fresh estimator; return each sample with the estimate after it."""
    estimator = RuntimeEstimator()
    played = []
    for sample in curve:
        estimator.observe(
            1000 + sample.at,
            on_battery=True,
            charge=sample.charge,
            voltage=None,
            voltage_low=None,
            ups_runtime=sample.ups_runtime,
        )
        estimate = estimator.estimate()
        played.append((sample, estimate.seconds, estimate.source))
    return played


def worst_error(played: list[tuple[Sample, float | None, RuntimeSource]], after: float) -> float:
    """Largest relative error of observed estimates from ``after`` s on, until 5 min are left."""
    errors = [
        abs(estimate - sample.truth) / sample.truth
        for sample, estimate, source in played
        if source is RuntimeSource.CHARGE
        and estimate is not None
        and sample.at >= after
        and sample.truth >= 300
    ]
    assert errors
    return max(errors)


def test_aged_battery_estimate_beats_the_ups_figure() -> None:
    played = play(aged_battery())
    # Until the charge has fallen 3 points the estimate is the UPS's own figure.
    assert played[0][2] is RuntimeSource.UPS
    assert played[0][1] == played[0][0].ups_runtime
    first = next(sample.at for sample, _, source in played if source is RuntimeSource.CHARGE)
    assert 60 <= first <= 180
    ups_error = max(abs(s.ups_runtime - s.truth) / s.truth for s, _, _ in played if s.truth >= 300)
    ours = worst_error(played, after=first)
    settled = worst_error(played, after=first + 300)
    print(
        f"aged battery: UPS runtime off by up to {ups_error:.0%}; estimate {ours:.1%}, "
        f"{settled:.1%} after 5 more minutes"
    )
    assert ups_error > 0.95  # the UPS says twice what is left
    assert ours < 0.10
    assert settled < 0.04


def test_drill_curve() -> None:
    """At the drill's low battery, the estimate follows the last 10 min, the UPS its model."""
    step = 600.0
    played = play(drill(step))
    first = next(sample.at for sample, _, source in played if source is RuntimeSource.CHARGE)
    sample, estimate, source = played[-1]
    assert source is RuntimeSource.CHARGE
    assert estimate is not None
    error = abs(estimate - sample.truth) / sample.truth
    ups_error = abs(sample.ups_runtime - sample.truth) / sample.truth
    print(
        f"drill: observed from {first:.0f} s; at low battery {estimate:.0f} s left "
        f"(truth {sample.truth:.0f} s, error {error:.1%}; the UPS said {sample.ups_runtime:.0f} s)"
    )
    assert first <= 180
    assert error < 0.05
    assert ups_error > 0.5


def test_load_change_is_followed_within_the_window() -> None:
    """The load doubles after 10 min: the estimate halves within the 10-min window."""
    estimator = RuntimeEstimator()
    charge = 100.0
    at = 0.0
    for rate in (0.05, 0.10):  # % per second
        for _ in range(300):
            at += POLL
            charge -= rate * POLL
            estimator.observe(
                at,
                on_battery=True,
                charge=math.floor(charge),
                voltage=None,
                voltage_low=None,
                ups_runtime=None,
            )
    estimate = estimator.estimate()
    assert estimate.source is RuntimeSource.CHARGE
    assert estimate.seconds == pytest.approx(charge / 0.10, rel=0.05)
    assert estimate.rate == pytest.approx(6.0, rel=0.05)  # % per minute


def test_voltage_when_there_is_no_charge() -> None:
    estimator = RuntimeEstimator()
    for step in range(100):
        estimator.observe(
            step * POLL,
            on_battery=True,
            charge=None,
            voltage=27.0 - 0.01 * step,
            voltage_low=23.0,
            ups_runtime=3000,
        )
    estimate = estimator.estimate()
    assert estimate.source is RuntimeSource.VOLTAGE
    # 26.01 V now, falling 0.3 V a minute to 23 V: about 10 minutes.
    assert estimate.seconds == pytest.approx((26.01 - 23.0) / 0.005, rel=0.02)
    # Without battery.voltage.low there is nowhere to extrapolate to: the UPS's figure.
    estimator.observe(
        200 * POLL, on_battery=True, charge=None, voltage=26.0, voltage_low=None, ups_runtime=3000
    )
    assert estimator.estimate().source is RuntimeSource.UPS


def test_back_on_mains_forgets_the_outage() -> None:
    estimator = RuntimeEstimator()
    for step in range(100):
        estimator.observe(
            step * POLL,
            on_battery=True,
            charge=100 - step / 5,
            voltage=None,
            voltage_low=None,
            ups_runtime=900,
        )
    assert estimator.estimate().source is RuntimeSource.CHARGE
    estimator.observe(
        1000, on_battery=False, charge=80, voltage=None, voltage_low=None, ups_runtime=1800
    )
    assert estimator.estimate().seconds == 1800
    assert estimator.estimate().source is RuntimeSource.UPS
    # A charge that rises (a charger on battery?) or stays flat is never extrapolated.
    for step in range(100):
        estimator.observe(
            2000 + step * POLL,
            on_battery=True,
            charge=50 + step / 5,
            voltage=None,
            voltage_low=None,
            ups_runtime=None,
        )
    assert estimator.estimate().source is RuntimeSource.UPS


def test_fit_slope() -> None:
    assert fit_slope(deque([(0.0, 1.0)])) is None
    assert fit_slope(deque([(1.0, 1.0), (1.0, 2.0)])) is None
    slope, now = fit_slope(deque([(0.0, 10.0), (1.0, 8.0), (2.0, 6.0)])) or (0.0, 0.0)
    assert slope == pytest.approx(-2.0)
    assert now == pytest.approx(6.0)


async def test_estimated_runtime_sensor(
    hass: HomeAssistant, upsd: Upsd, freezer: FrozenDateTimeFactory
) -> None:
    """On the real upsd: the UPS's figure, then the observed one once the charge fell 3 points."""
    entry = await setup_entry(hass, upsd)
    sensor = state(hass, entry, "sensor", "estimated_runtime")
    assert sensor.attributes["source"] == "ups"
    assert sensor.state == state(hass, entry, "sensor", "battery_runtime").state
    await upsd.set_var("ups.status", "OB DISCHRG")
    for charge in (100, 99, 98, 97, 96):  # 1 % every 30 s: 96 % lasts 48 min
        await upsd.set_var("battery.charge", str(charge))
        await refresh(hass, entry)
        freezer.tick(30)
    sensor = state(hass, entry, "sensor", "estimated_runtime")
    assert sensor.attributes["source"] == "charge"
    assert sensor.attributes["rate"] == pytest.approx(2.0, rel=0.15)  # % per minute
    assert float(sensor.state) == pytest.approx(48, rel=0.15)  # shown in minutes

    await upsd.set_var("ups.status", "OL CHRG")
    await refresh(hass, entry)
    assert state(hass, entry, "sensor", "estimated_runtime").attributes["source"] == "ups"

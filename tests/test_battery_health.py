"""Battery health from real discharges, on synthetic discharge histories (no Home Assistant).

The histories (tests/support/battery_sim.py) are a Peukert battery losing capacity linearly, 10 %
of new a year (80 % at 2 years, 70 % at 3), outages every 30 to 120 days at loads of 20 to 80 %,
each ending after its own drop of 15 to 60 points; the charge in whole percent, refreshed every
10 s, polls every 2 s ± 0.3 s, power read with 1 % noise. Seeds are fixed. The errors reached
are printed (``pytest -s``); benchmarks/bench_battery_health.py sweeps exponents and noise.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
import random

import pytest

from custom_components.nut_ups.battery_health import (
    DEFAULT_PEUKERT,
    BatteryModel,
    Confidence,
    Reference,
    battery_swapped,
    estimate_health,
    fitted_exponent,
    measurements,
    peukert,
    rated_energy,
    replacement_due,
    runtime_accuracy,
    since,
)
from custom_components.nut_ups.discharge import (
    MAX_EPISODES,
    MIN_DROP,
    DischargeEpisode,
    DischargeRecorder,
)
from tests.support.battery_sim import (
    INSTALLED,
    NOISE_LEVELS,
    NOMINAL_POWER,
    YEAR,
    Battery,
    Outage,
    discharge,
    feed_outage,
    history,
)

PACKAGE = Path(__file__).parent.parent / "custom_components" / "nut_ups"
SEEDS = range(10)
ISSUE_NOISE = NOISE_LEVELS["quantised"]
"""The issue's noise: 1 % quantisation of the charge, jittered polls, a lagging gauge."""


def record(outages: list[Outage], recorder: DischargeRecorder | None = None) -> DischargeRecorder:
    """Feed every poll of ``outages`` to a recorder; return it."""
    recorder = recorder or DischargeRecorder()
    for outage in outages:
        feed_outage(recorder, outage)
    return recorder


def relative_truth(battery: Battery, outages: list[Outage]) -> float:
    """The reference of the episodes method: the true health at the first two episodes."""
    return (battery.health(outages[0].years) + battery.health(outages[1].years)) / 2


def test_health_within_5_points_after_4_episodes() -> None:
    battery = Battery()
    errors = []
    for seed in SEEDS:
        outages = history(battery, ISSUE_NOISE, seed, 4)
        estimate = estimate_health(list(record(outages).episodes))
        assert estimate is not None
        assert estimate.episodes == 4
        assert estimate.reference is Reference.EPISODES
        truth = 100 * battery.health(outages[-1].years) / relative_truth(battery, outages)
        errors.append(estimate.health - truth)
        assert abs(estimate.health - truth) <= estimate.margin
    worst = max(abs(error) for error in errors)
    print(f"health after 4 episodes: worst error {worst:.1f} points over {len(SEEDS)} seeds")
    assert worst <= 5.0


def test_replacement_date_within_60_days_after_8_episodes() -> None:
    battery = Battery()
    errors = []
    for seed in SEEDS:
        outages = history(battery, ISSUE_NOISE, seed, 8)
        due = replacement_due(list(record(outages).episodes))
        assert due is not None
        assert due.episodes == 8
        truth = INSTALLED + timedelta(
            days=battery.years_at(0.8 * relative_truth(battery, outages)) * YEAR
        )
        errors.append((due.due - truth.date()).days)
        assert abs(errors[-1]) <= due.margin_days
        assert due.slope == pytest.approx(-10, abs=2.5)  # points per year
    worst = max(abs(error) for error in errors)
    print(f"replacement date after 8 episodes: errors {errors} days; worst {worst}")
    assert worst <= 60


def test_rated_reference_reads_absolute_health_with_a_wide_margin() -> None:
    """With the battery's rating and the right model, health is absolute; the margin carries
    the 20-hour extrapolation, so it is never of high confidence."""
    battery = Battery()
    rated = rated_energy(9.0, 24.0)
    assert rated == battery.rated_wh
    for seed in range(3):
        outages = history(battery, ISSUE_NOISE, seed, 6)
        estimate = estimate_health(list(record(outages).episodes), BatteryModel(rated_wh=rated))
        assert estimate is not None
        assert estimate.reference is Reference.RATED
        assert estimate.health == pytest.approx(100 * battery.health(outages[-1].years), abs=2)
        assert 15 <= estimate.margin <= 40
        assert estimate.confidence is Confidence.LOW
    assert rated_energy(None, 24.0) is None
    assert rated_energy(9.0, 0) is None


def test_unknown_until_two_qualifying_episodes() -> None:
    outages = history(Battery(), ISSUE_NOISE, 1, 3)
    recorder = record(outages[:1])
    assert estimate_health(list(recorder.episodes)) is None
    assert replacement_due(list(recorder.episodes)) is None
    record(outages[1:2], recorder)
    estimate = estimate_health(list(recorder.episodes))
    assert estimate is not None
    assert estimate.episodes == 2
    assert estimate.confidence is not Confidence.HIGH  # two episodes never claim high
    assert replacement_due(list(recorder.episodes)) is None  # a trend needs three
    # An episode that fell less than 10 points does not count.
    shallow = discharge(
        Battery(), outages[2].start, load=0.5, drop=7, noise=ISSUE_NOISE, rng=random.Random(1)
    )
    record([shallow], recorder)
    assert len(recorder.episodes) == 3
    estimate = estimate_health(list(recorder.episodes))
    assert estimate is not None
    assert estimate.episodes == 2


def test_no_trend_while_health_holds() -> None:
    """A battery that does not age gives no replacement date, whatever the noise."""
    battery = Battery(fade_per_year=0.0)
    for name, noise in NOISE_LEVELS.items():
        for seed in SEEDS:
            episodes = list(record(history(battery, noise, seed, 8)).episodes)
            assert replacement_due(episodes) is None, (name, seed)
            estimate = estimate_health(episodes)
            assert estimate is not None
            assert abs(estimate.health - 100) <= max(estimate.margin, 5)


def test_peukert_normalisation() -> None:
    """Capacity scales as (I_ref / I)^(k - 1): twice the load gives 2^-0.15 of the capacity,
    and bringing both to one reference load makes them equal."""
    k = DEFAULT_PEUKERT
    assert peukert(100.0, 200.0, 200.0, k) == 100.0
    at_double = 100.0 * 0.5 ** (k - 1)
    assert peukert(at_double, 400.0, 200.0, k) == pytest.approx(100.0)
    battery = Battery()
    assert battery.available_wh(400, 0) / battery.available_wh(200, 0) == pytest.approx(
        0.5 ** (k - 1)
    )


def test_without_a_power_reading_load_times_nominal_gives_the_same_health() -> None:
    battery = Battery()
    with_power = list(record(history(battery, ISSUE_NOISE, 3, 5)).episodes)
    load_only = list(record(history(battery, ISSUE_NOISE, 3, 5, power_reading=False)).episodes)
    assert all(e.energy_wh is None and e.capacity_wh is None for e in load_only)
    assert all(e.mean_power is None and e.full_load_hours is not None for e in load_only)
    measured = estimate_health(with_power)
    nominal = estimate_health(load_only, BatteryModel(nominal_power=NOMINAL_POWER))
    relative = estimate_health(load_only)  # no power at all: full-load hours
    assert measured is not None
    assert nominal is not None
    assert relative is not None
    assert nominal.health == pytest.approx(measured.health, abs=1.5)
    assert relative.health == pytest.approx(measured.health, abs=1.5)
    # The rating needs energy: with load alone health stays relative to the first episodes.
    relative_only = estimate_health(load_only, BatteryModel(rated_wh=216.0))
    assert relative_only is not None
    assert relative_only.reference is Reference.EPISODES
    rated = estimate_health(load_only, BatteryModel(rated_wh=216.0, nominal_power=NOMINAL_POWER))
    assert rated is not None
    assert rated.reference is Reference.RATED


def test_a_self_test_is_recorded_as_such_and_counts() -> None:
    """A quick test (a few points) is not kept; a deep one (a calibration) is, flagged."""
    battery = Battery()
    rng = random.Random(5)
    start = INSTALLED + timedelta(days=100)
    quick = discharge(battery, start, load=0.4, drop=2, noise=ISSUE_NOISE, rng=rng, self_test=True)
    recorder = record([quick])
    assert not recorder.episodes
    deep = discharge(
        battery, start + timedelta(days=1), load=0.4, drop=40, noise=ISSUE_NOISE, rng=rng,
        self_test=True,
    )  # fmt: skip
    outage = discharge(
        battery, start + timedelta(days=60), load=0.6, drop=30, noise=ISSUE_NOISE, rng=rng
    )
    record([deep, outage], recorder)
    assert [episode.self_test for episode in recorder.episodes] == [True, False]
    estimate = estimate_health(list(recorder.episodes))
    assert estimate is not None
    assert estimate.episodes == 2


def test_a_swap_restarts_the_history() -> None:
    """An old battery's 6 episodes, then a new battery: the jump is a swap, the history restarts."""
    old = Battery()
    outages = [
        discharge(
            old,
            INSTALLED + timedelta(days=700 + 40 * i),
            load=0.3 + 0.08 * i,
            drop=40,
            noise=ISSUE_NOISE,
            rng=random.Random(i),
        )
        for i in range(6)
    ]
    recorder = record(outages)
    episodes = list(recorder.episodes)
    assert not battery_swapped(episodes)
    aged = estimate_health(episodes)
    assert aged is not None
    swapped_at = INSTALLED + timedelta(days=1000)
    new = discharge(
        old, swapped_at, load=0.5, drop=35, noise=ISSUE_NOISE, rng=random.Random(9), years=0.0
    )
    record([new], recorder)
    episodes = list(recorder.episodes)
    assert battery_swapped(episodes)
    fresh = since(episodes, episodes[-1].start)
    assert len(fresh) == 1
    assert estimate_health(fresh) is None  # unknown again until two episodes of the new one
    # battery.date: a change is a swap; a date appearing is not.
    assert battery_swapped(episodes[:3], date_before=date(2024, 1, 1), date_now=date(2026, 9, 1))
    assert not battery_swapped(episodes[:3], date_before=None, date_now=date(2026, 9, 1))
    assert not battery_swapped([])
    assert since(episodes, None) == episodes


def test_runtime_accuracy_shows_the_ups_promising_a_new_battery() -> None:
    """The UPS computes runtime for a new battery; the battery delivers health times that."""
    battery = Battery()
    outages = history(battery, ISSUE_NOISE, 4, 6)
    episodes = list(record(outages).episodes)
    accuracy = runtime_accuracy(episodes)
    assert accuracy is not None
    assert accuracy.at == episodes[-1].start
    assert accuracy.extrapolated
    truth = 100 * battery.health(outages[-1].years)
    print(f"runtime accuracy {accuracy.ratio:.1f} % (truth {truth:.1f} %)")
    assert accuracy.ratio == pytest.approx(truth, abs=2)
    # Without power, the load-based capacity gives the same.
    load_only = [replace(e, capacity_wh=None, mean_power=None) for e in episodes]
    by_load = runtime_accuracy(load_only)
    assert by_load is not None
    assert by_load.ratio == pytest.approx(accuracy.ratio, rel=0.02)
    assert runtime_accuracy([replace(e, predicted_runtime=None) for e in episodes]) is None


def test_measurements_follow_the_exponent_option() -> None:
    battery = Battery(exponent=1.25)
    episodes = list(record(history(battery, ISSUE_NOISE, 2, 6)).episodes)
    spread = {}
    for k in (1.0, 1.15, 1.25):
        measured = measurements(episodes, BatteryModel(exponent=k, exponent_sd=0))
        assert measured.exponent == k
        points = measured.points
        spread[k] = max(p.health for p in points) - min(p.health for p in points)
    assert spread[1.25] < spread[1.0]  # the battery's own exponent explains the loads best


@pytest.mark.parametrize("k", [1.10, 1.25])
def test_the_exponent_is_fitted_from_episodes_at_different_loads(k: float) -> None:
    """The option (1.15) is where the fit starts; 8 episodes at 20-80 % load move it most of
    the way to the battery's own exponent."""
    battery = Battery(exponent=k)
    found = []
    for seed in range(5):
        episodes = list(record(history(battery, ISSUE_NOISE, seed, 8)).episodes)
        exponent, error = fitted_exponent(episodes, BatteryModel())
        assert 0 < error <= 0.05
        found.append(exponent)
        assert abs(exponent - k) < abs(DEFAULT_PEUKERT - k)
    print(f"k = {k}: fitted {[round(e, 3) for e in found]}")
    # Too few episodes, or the option fixed: the option.
    assert fitted_exponent(episodes[:2], BatteryModel()) == (DEFAULT_PEUKERT, 0.05)
    assert fitted_exponent(episodes, BatteryModel(exponent_sd=0)) == (DEFAULT_PEUKERT, 0.0)


# The recorder.

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def discharging(recorder: DischargeRecorder) -> bool:
    """Whether an episode is in progress (a call, so that mypy does not narrow it)."""
    return recorder.discharging


def feed(
    recorder: DischargeRecorder,
    seconds: float,
    charge: float | None,
    *,
    on_battery: bool | None = True,
    power: float | None = 300.0,
    load: float | None = 50.0,
    self_test: bool = False,
) -> DischargeEpisode | None:
    return recorder.observe(
        T0 + timedelta(seconds=seconds),
        on_battery=on_battery,
        charge=charge,
        load=load,
        power=power,
        runtime=1800.0,
        voltage=26.0,
        self_test=self_test,
    )


def test_recorder_closes_an_episode_when_mains_return() -> None:
    recorder = DischargeRecorder()
    assert feed(recorder, 0, 100, on_battery=False) is None
    for i in range(61):  # 2 s polls, 1 point per 12 s: 10 points in 2 min
        assert feed(recorder, 2 * i, 100 - (2 * i) // 12) is None
    assert discharging(recorder)
    episode = feed(recorder, 124, 90, on_battery=False)
    assert episode is not None
    assert not discharging(recorder)
    assert episode.start == T0
    assert episode.end == T0 + timedelta(seconds=120)
    assert (episode.charge_start, episode.charge_end, episode.drop) == (100, 90, 10)
    assert episode.duration == 120
    assert episode.mean_power == pytest.approx(300)
    assert episode.mean_load == pytest.approx(50)
    assert episode.energy_wh == pytest.approx(10)  # 300 W for 2 min
    assert episode.predicted_runtime == 1800
    assert (episode.voltage_start, episode.voltage_end) == (26.0, 26.0)
    assert not episode.self_test
    # 1 point per Wh: 100 Wh per full charge, quantisation bias about 1 / 10².
    assert episode.capacity_wh == pytest.approx(100, rel=0.02)
    assert episode.full_load_hours == pytest.approx(100 / 600, rel=0.02)
    assert episode.capacity_error is not None
    assert episode.capacity_error < 0.05
    assert list(recorder.episodes) == [episode]


def test_recorder_keeps_drops_of_at_least_min_drop() -> None:
    recorder = DischargeRecorder()
    for i in range(10):
        feed(recorder, 2 * i, 100 - min(i, int(MIN_DROP) - 1))
    assert feed(recorder, 20, 96, on_battery=False) is None  # 4 points
    for i in range(10):
        feed(recorder, 100 + 2 * i, 100 - min(i, int(MIN_DROP)))
    assert feed(recorder, 120, 95, on_battery=False) is not None  # 5 points


def test_recorder_gap_unknown_status_and_close() -> None:
    recorder = DischargeRecorder(max_gap=15)
    for i in range(10):
        feed(recorder, 2 * i, 100 - i)
    assert feed(recorder, 20, None, on_battery=None) is None  # unknown: skipped
    assert discharging(recorder)
    # 30 s without an answer: the energy in between is unknown, the episode ends at 18 s.
    closed = feed(recorder, 48, 80)
    assert closed is not None
    assert closed.end == T0 + timedelta(seconds=18)
    assert discharging(recorder)  # a new one started after the gap
    for i in range(1, 10):
        feed(recorder, 48 + 2 * i, 80 - i)
    last = recorder.close()  # the entry unloads mid-outage
    assert last is not None
    assert last.charge_start == 80
    assert not discharging(recorder)
    assert recorder.close() is None
    assert len(recorder.episodes) == 2


def test_recorder_without_power_or_load() -> None:
    recorder = DischargeRecorder()
    for i in range(20):
        feed(recorder, 2 * i, 100 - i, power=None if i == 5 else 300.0, load=None)
    episode = recorder.close()
    assert episode is not None
    assert episode.energy_wh is None
    assert episode.mean_power is None
    assert episode.capacity_wh is None
    assert episode.mean_load is None
    assert episode.full_load_hours is None
    assert episode.capacity_error is None


def test_recorder_flags_a_test_and_keeps_the_last_100() -> None:
    recorder = DischargeRecorder()
    for n in range(MAX_EPISODES + 5):
        base = 1000 * n
        for i in range(8):
            feed(recorder, base + 2 * i, 100 - i, self_test=(n % 2 == 0 and i == 3))
        feed(recorder, base + 16, 93, on_battery=False)
    assert len(recorder.episodes) == MAX_EPISODES
    assert recorder.episodes[0].start == T0 + timedelta(seconds=5000)
    assert [e.self_test for e in list(recorder.episodes)[:4]] == [False, True, False, True]


def test_recorder_storage_round_trip() -> None:
    recorder = DischargeRecorder()
    for i in range(20):
        feed(recorder, 2 * i, 100 - i)
    recorder.close()
    feed(recorder, 100, 80)  # in progress: not stored
    data = json.loads(json.dumps(recorder.as_dict()))
    loaded = DischargeRecorder.from_dict(data)
    assert list(loaded.episodes) == list(recorder.episodes)
    assert not discharging(loaded)
    broken = {"episodes": [data["episodes"][0], {"start": 5}, {"charge_start": 1}, None]}
    assert len(DischargeRecorder.from_dict(broken).episodes) == 1
    assert not DischargeRecorder.from_dict({}).episodes


@pytest.mark.parametrize("module", ["discharge", "battery_health"])
def test_pure_modules(module: str) -> None:
    """No Home Assistant, and of the package only the discharge record."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 or node.module == "discharge", node.module
            assert not (node.module or "").startswith("homeassistant")
        if isinstance(node, ast.Import):
            assert not any(alias.name.startswith("homeassistant") for alias in node.names)


def made(day: float, health: float, power: float = 300.0) -> DischargeEpisode:
    """An episode ``day`` days after installation whose battery holds ``health`` % of 100 Wh."""
    start = INSTALLED + timedelta(days=day)
    capacity = health * (200.0 / power) ** (DEFAULT_PEUKERT - 1)
    return DischargeEpisode(
        start=start,
        end=start + timedelta(minutes=10),
        charge_start=100,
        charge_end=60,
        mean_load=power / NOMINAL_POWER * 100,
        mean_power=power,
        energy_wh=0.4 * capacity,
        predicted_runtime=None,
        voltage_start=27.0,
        voltage_end=24.0,
        self_test=False,
        capacity_wh=capacity,
        full_load_hours=capacity / NOMINAL_POWER,
        capacity_error=0.005,
    )


def test_trend_dates_past_exact_and_too_far() -> None:
    # An exact line of -10 % of new a year, at loads from 200 to 320 W.
    exact = [
        made(day, 100 - 10 * day / 365.25, 200 + 20 * i) for i, day in enumerate(range(0, 400, 60))
    ]
    due = replacement_due(exact)
    assert due is not None
    reference = (100 + 100 - 10 * 60 / 365.25) / 2  # the first two episodes
    crossing = (100 - 0.8 * reference) * 365.25 / 10
    assert due.due == (INSTALLED + timedelta(days=crossing)).date()
    assert due.slope == pytest.approx(-10 * 100 / reference)
    estimate = estimate_health(exact)
    assert estimate is not None
    assert estimate.confidence is Confidence.HIGH
    assert estimate.exponent == pytest.approx(DEFAULT_PEUKERT)
    # Already below the threshold: the date is in the past.
    worn = [made(day, 100 - 30 * day / 365.25) for day in range(0, 400, 60)]
    due = replacement_due(worn)
    assert due is not None
    assert due.due < worn[-1].start.date()
    # A slight decline seen over a month is not extended years ahead.
    short = [made(day, 100 - day / 300) for day in (0, 10, 20, 30)]
    assert replacement_due(short) is None
    # Noise without a significant decline: no date.
    flat = [made(day, 100 + (3 if i % 2 else -3)) for i, day in enumerate(range(0, 400, 60))]
    assert replacement_due(flat) is None

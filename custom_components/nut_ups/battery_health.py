"""Battery health from real discharges, its trend and the runtime the UPS promised (no HA imports).

Each kept :class:`.discharge.DischargeEpisode` that fell at least :data:`QUALIFY_MIN_DROP` points
gives an observed full-charge capacity ``C``: the energy a full charge delivers at that episode's
load (the recorder's fit; for the two end readings alone it is ``energy / (drop / 100)``). A
battery gives less at a higher load; Peukert's law, ``t = H (C_H / (I H))^k`` for a constant
current ``I``, says the capacity scales as ``C_I = C_ref (I_ref / I)^(k - 1)``. A UPS draws a
roughly constant power ``P`` from a battery whose voltage moves little, so ``I ∝ P`` and each
capacity is brought to a reference load with

    C_ref = C (P / P_ref)^(k - 1)

``k`` is the Peukert exponent: the option (:data:`DEFAULT_PEUKERT`; lead-acid runs 1.1 to
1.25) is where it starts, and episodes at different loads refine it (:func:`fitted_exponent`).

Health (%) is ``C_ref`` relative to a reference:

* :attr:`Reference.EPISODES` (default): the mean of the first :data:`REFERENCE_EPISODES`
  qualifying episodes, ``P_ref`` their mean load. ``P_ref`` then cancels out of every ratio, so
  the exponent only matters through the spread of loads between episodes.
* :attr:`Reference.RATED`: the rated energy ``battery.capacity`` (Ah) times
  ``battery.voltage.nominal`` (V), a 20-hour rating (the VRLA convention), at ``P_ref`` = rated
  energy / 20 h on the battery side; the output power is brought to the battery side with
  :data:`INVERTER_EFFICIENCY`. This extrapolates Peukert's law from a discharge of minutes to
  one of 20 hours: an exponent wrong by 0.05 moves the result by ``(P / P_ref)^0.05``, about
  20 % at a 15-minute load, which the margin (below) carries.

The health reported is a weighted least-squares line through the health of the last
:data:`TREND_EPISODES` qualifying episodes against time, read at the newest one (two episodes:
the newest itself). Each episode weighs ``1 / (e² + PRIOR_SCATTER²)``, ``e`` its own fit's
standard error (:attr:`.discharge.DischargeEpisode.capacity_error`): a short episode with a
coarse gauge counts little. Its ``margin`` (percentage points, about 95 %) is twice the
standard error of that reading: the weighted residual variance about the line, pooled with the
weights' own expectation worth :data:`PRIOR_DOF` episodes (so two or three episodes never
claim a precision they cannot show), plus the reference's error, plus (rated) the model's.
``confidence`` is ``high`` when the margin is within :data:`HIGH_MARGIN` points with at least 4
episodes, ``medium`` within :data:`MEDIUM_MARGIN`, else ``low``.

Assumptions: ``battery.charge`` follows the share of what the battery can still deliver (a
gauge that counts down from a fixed nominal capacity would hide the ageing); the battery starts
each discharge from about the same temperature; the load is steady within an episode.

Pure code, no Home Assistant imports.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
import math

from .discharge import DischargeEpisode

DEFAULT_PEUKERT = 1.15
"""Peukert exponent option: lead-acid batteries run 1.1 to 1.25."""

DEFAULT_THRESHOLD = 80.0
"""Health (%) at which a battery is due for replacement: the common end-of-life rule for VRLA
batteries (IEEE 1188: replace at 80 % of rated capacity)."""

QUALIFY_MIN_DROP = 10.0
"""Percentage points an episode must fall to count towards health: the fit's quantisation bias
is ``1/D²`` (1 % at 10 points), and the gauge's own wobble weighs less on a longer drop."""

MIN_EPISODES = 2
"""Qualifying episodes needed before health is known."""

REFERENCE_EPISODES = 2
"""Qualifying episodes averaged into the reference capacity (episodes reference)."""

TREND_EPISODES = 10
"""Most recent qualifying episodes the health line and the replacement trend are fitted to."""

INVERTER_EFFICIENCY = 0.85
"""Share of the battery's energy that reaches the output (rated reference only): an assumption,
the middle of the 80 to 90 % commonly quoted for small UPS inverters on battery."""

RATED_HOURS = 20.0
"""Hours of the discharge ``battery.capacity`` is rated at (the VRLA datasheet convention)."""

EXPONENT_SD = 0.05
"""How far a battery's Peukert exponent may be from the option (a standard deviation): the
range for lead-acid, 1.1 to 1.25, is the option ± 2 of them."""

EFFICIENCY_UNCERTAINTY = 0.05
"""Relative uncertainty of :data:`INVERTER_EFFICIENCY` (rated reference margin)."""

PRIOR_SCATTER = 3.0
"""Percentage points an episode's health strays from the trend beyond its own fit's error (an
assumption the residuals then correct): a lead-acid battery's capacity moves by about 0.5 to 1 %
per °C, and a room's temperature by several degrees over a year."""

PRIOR_DOF = 2
"""How many episodes' worth of weight the weights' own expectation of the scatter has against
the scatter observed about the trend (margins only)."""

HIGH_MARGIN = 5.0
"""Margin (points) within which health with at least 4 episodes is of ``high`` confidence."""

MEDIUM_MARGIN = 10.0
"""Margin (points) within which health is of ``medium`` confidence."""

SWAP_JUMP = 15.0
"""Points by which one episode's health must exceed the health before it to mean a new battery:
five times :data:`PRIOR_SCATTER`, and less than the 20 points between a battery due for
replacement and a new one."""

EXTRAPOLATION = 3.0
"""A trend is not extended further ahead of the newest episode than this many times the span of
the episodes it was fitted to."""

_DAY = 86400.0

_T95 = (
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
    1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725,
    1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
)  # fmt: skip
"""One-sided 95 % quantiles of Student's t for 1 to 30 degrees of freedom (any statistics
table); beyond 30 the last is used (conservative)."""


class Reference(StrEnum):
    """What health is relative to (the sensor's ``reference`` attribute)."""

    EPISODES = "episodes"
    RATED = "rated"


class Confidence(StrEnum):
    """How far to trust a health figure (the sensor's ``confidence`` attribute)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Measurement:
    """The health one qualifying episode shows.

    Attributes:
        at: when the episode started (UTC).
        health: its capacity at the reference load relative to the reference (%).
        rate: the load it was measured at (W on the energy basis, % on the load basis).
        error: the standard error of ``health`` from the episode's own fit (points).
    """

    at: datetime
    health: float
    rate: float
    error: float = 0.0


@dataclass(frozen=True, slots=True)
class HealthEstimate:
    """The battery's health now.

    Attributes:
        health: capacity relative to the reference (%), read off the trend at ``measured_at``.
        episodes: qualifying episodes the figure rests on (the trend's).
        confidence: low / medium / high (module docstring).
        margin: about 95 % half-width of ``health`` (percentage points).
        reference: what 100 % is.
        measured_at: the newest qualifying episode's start (UTC).
        exponent: the Peukert exponent used (:func:`fitted_exponent`).
    """

    health: float
    episodes: int
    confidence: Confidence
    margin: float
    reference: Reference
    measured_at: datetime
    exponent: float


@dataclass(frozen=True, slots=True)
class Replacement:
    """When the health trend reaches the replacement threshold.

    Attributes:
        due: the day the fitted line crosses the threshold (UTC; past when already below).
        margin_days: about 95 % half-width of ``due`` (days).
        slope: the trend (percentage points per year, negative).
        episodes: qualifying episodes the trend is fitted to.
    """

    due: date
    margin_days: float
    slope: float
    episodes: int


@dataclass(frozen=True, slots=True)
class RuntimeAccuracy:
    """What the battery delivered against what the UPS predicted, in one episode.

    Attributes:
        ratio: delivered / predicted (%): 100 is exact, 50 means the battery ran half as
            long as the UPS said.
        predicted: ``battery.runtime`` at the episode's start (s).
        delivered: seconds the battery would have run from the episode's starting charge to
            0 % at the episode's mean load (s), extrapolated when it ended above 0 %.
        extrapolated: whether the episode ended above 0 % (then ``delivered`` is extrapolated).
        at: the episode's start (UTC).
    """

    ratio: float
    predicted: float
    delivered: float
    extrapolated: bool
    at: datetime


def rated_energy(capacity_ah: float | None, voltage_nominal: float | None) -> float | None:
    """Return the rated energy (Wh): ``battery.capacity`` (Ah) times ``battery.voltage.nominal`` (V).

    None when either is missing or not positive.
    """
    if capacity_ah is None or voltage_nominal is None or capacity_ah <= 0 or voltage_nominal <= 0:
        return None
    return capacity_ah * voltage_nominal


def peukert(capacity: float, rate: float, reference_rate: float, exponent: float) -> float:
    """Bring a capacity measured at ``rate`` to ``reference_rate``: ``C (rate/ref)^(k - 1)``.

    Args:
        capacity: the capacity observed at ``rate`` (any unit).
        rate: the load it was observed at (W, A or %; only the ratio counts).
        reference_rate: the load to bring it to (same unit).
        exponent: Peukert's ``k``.
    """
    return float(capacity * (rate / reference_rate) ** (exponent - 1))


def qualifies(episode: DischargeEpisode) -> bool:
    """Whether an episode counts towards health.

    It must have fallen :data:`QUALIFY_MIN_DROP` points, with a capacity fitted on energy or load.
    """
    return episode.drop >= QUALIFY_MIN_DROP and (
        episode.capacity_wh is not None or episode.full_load_hours is not None
    )


def _energy_basis(
    episode: DischargeEpisode, nominal_power: float | None
) -> tuple[float, float] | None:
    """``(capacity Wh, mean power W)``: measured, else full-load hours times ``nominal_power``."""
    if episode.capacity_wh is not None and episode.mean_power:
        return episode.capacity_wh, episode.mean_power
    if nominal_power and episode.full_load_hours is not None and episode.mean_load:
        return episode.full_load_hours * nominal_power, episode.mean_load * nominal_power / 100
    return None


def _load_basis(episode: DischargeEpisode) -> tuple[float, float] | None:
    """``(capacity in load-percent hours, mean load %)``: the unit when no power is known."""
    if episode.full_load_hours is not None and episode.mean_load:
        return episode.full_load_hours * 100, episode.mean_load
    return None


@dataclass(frozen=True, slots=True)
class BatteryModel:
    """What the estimator takes as given: the options and the UPS's ratings.

    Attributes:
        exponent: the Peukert exponent option: the value assumed before the episodes tell.
        exponent_sd: how far the battery's own exponent may be from the option (standard
            deviation of the prior); 0 uses the option as it is (:func:`fitted_exponent`).
        rated_wh: the rated energy (:func:`rated_energy`); None for the episodes reference.
        nominal_power: ``ups.realpower.nominal`` (W), to turn load into power when an episode
            has no power reading; None when unknown.
        efficiency: share of the battery's energy reaching the output (rated reference).
    """

    exponent: float = DEFAULT_PEUKERT
    exponent_sd: float = EXPONENT_SD
    rated_wh: float | None = None
    nominal_power: float | None = None
    efficiency: float = INVERTER_EFFICIENCY


@dataclass(frozen=True, slots=True)
class Measured:
    """The health the qualifying episodes show.

    Attributes:
        points: one per qualifying episode, oldest first.
        reference: what 100 % is.
        exponent: the Peukert exponent they were normalised with (:func:`fitted_exponent`).
        exponent_error: its standard error (the prior's when the episodes do not tell).
    """

    points: list[Measurement]
    reference: Reference
    exponent: float
    exponent_error: float


type _Basis = list[tuple[DischargeEpisode, tuple[float, float]]]


def _bases(episodes: Sequence[DischargeEpisode], model: BatteryModel) -> tuple[_Basis, bool]:
    """Return the qualifying episodes in one unit, and whether that unit is energy (Wh)."""
    qualifying = [episode for episode in episodes if qualifies(episode)]
    by_energy = [(e, b) for e in qualifying if (b := _energy_basis(e, model.nominal_power))]
    by_load = [(e, b) for e in qualifying if (b := _load_basis(e))]
    if len(by_energy) >= len(by_load):
        return by_energy, True
    return by_load, False


def _points(
    chosen: _Basis, exponent: float, rated_wh: float | None, efficiency: float
) -> list[Measurement]:
    """Health of each episode with ``exponent``: against ``rated_wh`` when given, else the first."""
    if rated_wh is not None:
        rated_power = rated_wh / RATED_HOURS
        normalised = [
            peukert(capacity / efficiency, power / efficiency, rated_power, exponent)
            for _, (capacity, power) in chosen
        ]
        reference = rated_wh
    else:
        first = chosen[:REFERENCE_EPISODES]
        reference_rate = sum(rate for _, (_, rate) in first) / len(first)
        normalised = [peukert(c, rate, reference_rate, exponent) for _, (c, rate) in chosen]
        weights = [_weight(100 * (episode.capacity_error or 0.0)) for episode, _ in first]
        reference = sum(w * c for w, c in zip(weights, normalised, strict=False)) / sum(weights)
    return [
        Measurement(
            episode.start,
            100 * capacity / reference,
            rate,
            100 * capacity / reference * (episode.capacity_error or 0.0),
        )
        for (episode, (_, rate)), capacity in zip(chosen, normalised, strict=True)
    ]


def _misfit(chosen: _Basis, exponent: float, model: BatteryModel) -> float:
    """Weighted squared residuals about the health trend plus the prior's penalty (a χ²)."""
    prior = ((exponent - model.exponent) / model.exponent_sd) ** 2
    window = _points(chosen, exponent, None, model.efficiency)[-TREND_EPISODES:]
    if len(window) < 3:
        return prior
    line = _Line.fit(window)
    return (line.scale or 0.0) * (len(window) - 2) + prior


def fitted_exponent(
    episodes: Sequence[DischargeEpisode], model: BatteryModel
) -> tuple[float, float]:
    """Return the Peukert exponent the episodes support, and its standard error.

    Episodes at different loads show the exponent: with the wrong one, the health of heavy and
    light discharges strays from the trend in opposite directions. The exponent chosen
    minimises the weighted squared residuals about the trend (:func:`_weight`) plus
    ``((k - option) / exponent_sd)²``: a maximum a posteriori estimate, on a grid of steps of
    ``exponent_sd / 10`` within 3 ``exponent_sd`` of the option (and never below 1). With
    episodes at one load, or fewer than 3, it stays at the option. Its standard error is from
    the curvature of that sum at the minimum (for a χ², ``sqrt(2 h² / Δ²)``).
    """
    if model.exponent_sd <= 0:
        return model.exponent, 0.0
    chosen, _ = _bases(episodes, model)
    if len(chosen) < 3:
        return model.exponent, model.exponent_sd
    step = model.exponent_sd / 10
    grid = [model.exponent + step * i for i in range(-30, 31) if model.exponent + step * i >= 1]
    misfits = [_misfit(chosen, k, model) for k in grid]
    best = min(range(len(grid)), key=misfits.__getitem__)
    if 0 < best < len(grid) - 1:
        curvature = misfits[best - 1] - 2 * misfits[best] + misfits[best + 1]
        error = math.sqrt(2 * step**2 / curvature) if curvature > 0 else model.exponent_sd
    else:
        error = model.exponent_sd
    return grid[best], min(error, model.exponent_sd)


def measurements(
    episodes: Sequence[DischargeEpisode], model: BatteryModel | None = None
) -> Measured:
    """Return the health each qualifying episode shows, oldest first, and its reference.

    Args:
        episodes: the battery's episodes (since it was installed), oldest first.
        model: the options and ratings (defaults when None).

    Episodes are compared in one unit: Wh (measured, or load times ``nominal_power``) or, when
    more episodes have only a load, full-load hours; those without it are left out. The rated
    reference needs Wh; without them health is relative to the first episodes, whose mean is
    weighted by their precision (:func:`_weight`). The exponent is :func:`fitted_exponent`.
    """
    model = model or BatteryModel()
    chosen, energy = _bases(episodes, model)
    if not chosen:
        return Measured([], Reference.EPISODES, model.exponent, model.exponent_sd)
    exponent, error = fitted_exponent(episodes, model)
    rated = model.rated_wh if energy else None
    points = _points(chosen, exponent, rated, model.efficiency)
    reference = Reference.RATED if rated is not None else Reference.EPISODES
    return Measured(points, reference, exponent, error)


def _weight(error: float) -> float:
    """Return the weight of a health figure whose own fit errs by ``error`` points.

    ``1 / (error² + PRIOR_SCATTER²)``: a discharge's health strays from the trend by the fit's
    error and by :data:`PRIOR_SCATTER` more (temperature), so a short, noisy episode counts
    little and no episode counts for more than the temperature lets it.
    """
    return 1 / (error**2 + PRIOR_SCATTER**2)


@dataclass(frozen=True, slots=True)
class _Line:
    """A weighted least-squares line ``health = mean + slope (t - mean_t)``, t in days.

    Weights are :func:`_weight` of each point's fit error; ``scale`` is the weighted residual
    sum of squares over ``n - 2`` (1 when the points scatter as the weights expect), None below
    3 points.
    """

    origin: datetime
    days: tuple[float, ...]
    total: float
    mean_t: float
    mean: float
    slope: float
    spread: float
    scale: float | None

    @classmethod
    def fit(cls, points: Sequence[Measurement]) -> _Line:
        origin = points[0].at
        days = tuple((point.at - origin).total_seconds() / _DAY for point in points)
        weights = [_weight(point.error) for point in points]
        pairs = list(zip(days, points, weights, strict=True))
        total = sum(weights)
        mean_t = sum(w * t for t, _, w in pairs) / total
        mean = sum(w * p.health for _, p, w in pairs) / total
        spread = sum(w * (t - mean_t) ** 2 for t, _, w in pairs)
        covariance = sum(w * (t - mean_t) * (p.health - mean) for t, p, w in pairs)
        slope = covariance / spread if spread > 0 else 0.0
        scale = None
        if len(points) > 2:
            squares = sum(w * (p.health - mean - slope * (t - mean_t)) ** 2 for t, p, w in pairs)
            scale = squares / (len(points) - 2)
        return cls(origin, days, total, mean_t, mean, slope, spread, scale)

    @property
    def count(self) -> int:
        return len(self.days)

    def at(self, day: float) -> float:
        return self.mean + self.slope * (day - self.mean_t)

    def pooled_scale(self) -> float:
        """Return the scale pooled with the prior's 1 at :data:`PRIOR_DOF` episodes."""
        dof = self.count - 2
        return ((self.scale or 0.0) * dof + PRIOR_DOF) / (dof + PRIOR_DOF)

    def error_at(self, day: float) -> float:
        """Return the standard error (points) of the line read at ``day`` (pooled scale)."""
        lever = (day - self.mean_t) ** 2 / self.spread if self.spread > 0 else 0.0
        return math.sqrt(self.pooled_scale() * (1 / self.total + lever))


def estimate_health(
    episodes: Sequence[DischargeEpisode], model: BatteryModel | None = None
) -> HealthEstimate | None:
    """Return the battery's health, or None before :data:`MIN_EPISODES` qualifying episodes.

    Arguments as for :func:`measurements`.
    """
    model = model or BatteryModel()
    measured = measurements(episodes, model)
    points = measured.points
    if len(points) < MIN_EPISODES:
        return None
    window = points[-TREND_EPISODES:]
    line = _Line.fit(window)
    health = line.at(line.days[-1])
    variance = line.error_at(line.days[-1]) ** 2
    if measured.reference is Reference.EPISODES:
        first = sum(_weight(point.error) for point in points[:REFERENCE_EPISODES])
        variance += (health / 100) ** 2 * line.pooled_scale() / first
    else:
        rated_power = (model.rated_wh or 1) / RATED_HOURS
        lever = abs(math.log(window[-1].rate / model.efficiency / rated_power))
        # Discharges of minutes do not measure the exponent down to the 20-hour rate: the
        # margin keeps the prior's uncertainty, whatever the fit found.
        relative = math.hypot(EXPONENT_SD * lever, EFFICIENCY_UNCERTAINTY)
        variance += (health * relative) ** 2
    margin = 2 * math.sqrt(variance)
    if margin <= HIGH_MARGIN and line.count >= 4:
        confidence = Confidence.HIGH
    elif margin <= MEDIUM_MARGIN:
        confidence = Confidence.MEDIUM
    else:
        confidence = Confidence.LOW
    return HealthEstimate(
        health,
        line.count,
        confidence,
        margin,
        measured.reference,
        window[-1].at,
        measured.exponent,
    )


def _t95(dof: int) -> float:
    return _T95[min(dof, len(_T95)) - 1]


def replacement_due(
    episodes: Sequence[DischargeEpisode],
    model: BatteryModel | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Replacement | None:
    """Return when the health trend reaches ``threshold`` (%); None while it is not significant.

    The trend is the weighted least-squares line through the health of the last
    :data:`TREND_EPISODES` qualifying episodes against time. It is significant when at least 3
    episodes give a negative slope whose t-statistic (slope over its standard error,
    ``sqrt(scale / Σw(t - t̄)²)`` with ``scale`` the weighted residual variance) is below minus
    the one-sided 95 % quantile of Student's t with ``n - 2`` degrees of freedom: a decline
    that noise would show by chance less than once in 20. The date is where the line crosses
    ``threshold``, None when that is further ahead than :data:`EXTRAPOLATION` times the span of
    the episodes. Its margin is the line's error at that day over the slope (delta method,
    pooled scale).

    Other arguments as for :func:`measurements`.
    """
    points = measurements(episodes, model).points
    window = points[-TREND_EPISODES:]
    if len(window) < 3:
        return None
    line = _Line.fit(window)
    if line.slope >= 0 or line.spread <= 0:
        return None
    assert line.scale is not None
    if line.scale > 0:
        t_statistic = line.slope / math.sqrt(line.scale / line.spread)
        if t_statistic > -_t95(line.count - 2):
            return None
    crossing = line.mean_t + (threshold - line.mean) / line.slope
    span = line.days[-1] - line.days[0]
    if crossing - line.days[-1] > EXTRAPOLATION * span:
        return None
    margin = 2 * line.error_at(crossing) / -line.slope
    due = (line.origin + timedelta(days=crossing)).date()
    return Replacement(due, margin, line.slope * 365.25, line.count)


def runtime_accuracy(
    episodes: Sequence[DischargeEpisode], *, nominal_power: float | None = None
) -> RuntimeAccuracy | None:
    """Compare the UPS's predicted runtime with what the battery delivered.

    Returns:
        The comparison for the newest qualifying episode with a prediction; None when none has.

    The UPS's ``battery.runtime`` at the start predicts how long the charge then held would
    last (to 0 %). Unless the episode ran to 0 %, the battery did not show that whole range, so
    the delivered runtime is extrapolated from what it did show: the episode's fitted capacity
    (energy per 100 points) times its starting charge, over its mean power (or the same in
    full-load hours over the mean load). This assumes the gauge stays linear to 0 % and the load
    holds; the end of a lead-acid discharge (its knee) often comes sooner, so a shallow
    episode's figure is an upper bound, flagged ``extrapolated``.
    """
    for episode in reversed(episodes):
        if not qualifies(episode) or not episode.predicted_runtime:
            continue
        basis = _energy_basis(episode, nominal_power) or _load_basis(episode)
        if basis is None:
            continue
        capacity, rate = basis
        delivered = episode.charge_start / 100 * capacity / rate * 3600
        return RuntimeAccuracy(
            100 * delivered / episode.predicted_runtime,
            episode.predicted_runtime,
            delivered,
            episode.charge_end > 0,
            episode.start,
        )
    return None


def battery_swapped(
    episodes: Sequence[DischargeEpisode],
    model: BatteryModel | None = None,
    *,
    date_before: date | None = None,
    date_now: date | None = None,
) -> bool:
    """Whether the battery was replaced since the episodes before the newest one.

    Replaced means ``battery.date`` changed, or the newest episode shows a health more than
    :data:`SWAP_JUMP` points above the health before it. The caller then restarts the history:
    health is computed from the newest episode on (:func:`since`).

    Args:
        episodes: the episodes since the last swap, the newest last.
        model: as for :func:`measurements`.
        date_before: the installation date (:func:`.battery.battery_date`) last seen; None
            when none was known (a date appearing is not a swap).
        date_now: the installation date now.
    """
    if date_before is not None and date_now is not None and date_before != date_now:
        return True
    if not episodes or not qualifies(episodes[-1]):
        return False
    before = estimate_health(episodes[:-1], model)
    if before is None:
        return False
    # The newest episode against the reference and exponent of those before it.
    model = replace(model or BatteryModel(), exponent=before.exponent, exponent_sd=0.0)
    points = measurements(episodes, model).points
    if not points or points[-1].at != episodes[-1].start:
        return False
    return points[-1].health - before.health > SWAP_JUMP


def since(episodes: Sequence[DischargeEpisode], moment: datetime | None) -> list[DischargeEpisode]:
    """Return the episodes that started at or after ``moment`` (all when None).

    That is the history of the battery installed at ``moment``.
    """
    return [episode for episode in episodes if moment is None or episode.start >= moment]

"""Detection as a hazard along a track (docs/simulator.md, Detection), sampled by inverting the cumulative hazard.

Sensor k detects platform class c at range r with hazard λ_k(r) = λ_k0 · m_k · g(r / R_kc) inside
R_kc and zero beyond. Independent sensors fuse by adding hazards, so one cumulative hazard Λ(t) per
sortie group holds the whole sensor layout. Each sortie draws E ~ Exp(1) once and is detected at
T = Λ⁻¹(E), or never if E exceeds Λ at the end of its track: one draw per sortie instead of one coin
per second, and adding a sensor can only bring T forward for the same E (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sahelsim.sim.capacity import first_come as capacity_first_come
from sahelsim.sim.catalogue import Platform, SensorType
from sahelsim.sim.tracks import Track

GRID_POINTS = 2049
LOGISTIC_MIDPOINT, LOGISTIC_STEEPNESS = 0.7, 12.0


@dataclass(frozen=True)
class SensorAgainst:
    """One sensor resolved against one platform in given conditions."""

    range_m: float
    rate_per_s: float
    shape: str


def resolve(sensor: SensorType, platform: Platform, *, emits: bool, night: bool, noisy: bool,
            low_altitude: bool, range_m: float | None = None, rate_per_s: float | None = None,
            shape: str | None = None) -> SensorAgainst:
    """Range and rate of a sensor against a platform: RCS scaling, RF blindness, condition factors."""
    reach = range_m if range_m is not None else sensor.range_m
    if sensor.kind == "radar":
        reach *= (platform.rcs_m2 / sensor.rcs_ref_m2) ** 0.25
    if sensor.kind == "rf" and not emits:
        reach = 0.0
    factor = 1.0
    if night and sensor.kind in ("eo_ir", "observer"):
        factor *= sensor.night_factor
    if low_altitude and sensor.kind == "radar":
        factor *= sensor.low_altitude_factor
    if noisy and sensor.kind in ("acoustic", "observer"):
        factor *= sensor.noise_factor
    rate = (rate_per_s if rate_per_s is not None else sensor.rate_per_s) * factor
    return SensorAgainst(range_m=reach, rate_per_s=rate, shape=shape or sensor.shape)


def hazard(r: np.ndarray, sensor: SensorAgainst) -> np.ndarray:
    """λ(r): the rate at close range shaped by g(r / R), zero at and beyond R."""
    if sensor.range_m <= 0:
        return np.zeros_like(r)
    x = r / sensor.range_m
    if sensor.shape == "fourth_power":
        g = 1.0 - x**4
    elif sensor.shape == "logistic":
        g = (1.0 + np.exp(-LOGISTIC_STEEPNESS * LOGISTIC_MIDPOINT)) / (
            1.0 + np.exp(LOGISTIC_STEEPNESS * (x - LOGISTIC_MIDPOINT)))
    else:
        g = np.ones_like(x)
    return np.where(x < 1.0, sensor.rate_per_s * g, 0.0)


@dataclass(frozen=True)
class HazardTable:
    """Λ(t) tabulated on a time grid over a track, for inversion by interpolation."""

    times: np.ndarray
    cumulative: np.ndarray

    def detection_times(self, exp_draws: np.ndarray) -> np.ndarray:
        """T = Λ⁻¹(E) since launch; +inf where E exceeds the hazard the whole track accumulates."""
        if self.cumulative[-1] <= 0.0:  # no sensor reaches the track: skip the interpolation
            return np.full_like(exp_draws, np.inf)
        times = np.interp(exp_draws, self.cumulative, self.times)
        return np.where(exp_draws < self.cumulative[-1], times, np.inf)


def tabulate(track: Track, sensors: list[SensorAgainst], points: int = GRID_POINTS) -> HazardTable:
    """Fused cumulative hazard Σ_k Λ_k(t) by the trapezoid rule on an even grid over the track."""
    times = np.linspace(0.0, track.end_s, points)
    ranges = track.range_at(times)
    rate = sum((hazard(ranges, sensor) for sensor in sensors), np.zeros(points))
    steps = 0.5 * (rate[1:] + rate[:-1]) * np.diff(times)
    return HazardTable(times=times, cumulative=np.concatenate(([0.0], np.cumsum(steps))))


def held(detected_at: np.ndarray, track_end: np.ndarray, capacity: int) -> np.ndarray:
    """Detection times once the fused picture's track capacity is respected (docs/simulator.md,
    Saturation): a sortie seen while every track is held waits for the first to be released, when
    its sortie's track ends (not when it falls: a stated simplification), and is never held if that
    comes only after its own track ended. Absolute times, (R, D)."""
    last_start = np.nextafter(track_end, -np.inf)  # detected strictly before its track ends
    return capacity_first_come(detected_at, last_start, track_end, 0.0, capacity)


def false_alarm_times(exp_draws: np.ndarray, rate_per_s: float, horizon_s: float) -> np.ndarray:
    """A Poisson process of false tracks over [0, horizon] from (R, M) Exp(1) gaps: the arrival
    times, +inf past the horizon. M slots are enough when the horizon's expected count is far below M
    (`false_alarm_slots`)."""
    times = np.cumsum(exp_draws, axis=1)
    times /= rate_per_s
    times[times > horizon_s] = np.inf
    return times


def false_alarm_slots(rate_per_s: float, horizon_s: float) -> int:
    """Slots for the false tracks of one replication: the mean plus eight standard deviations and
    ten, so a count above it has probability far below 1e-12."""
    mean = rate_per_s * horizon_s
    return 0 if mean <= 0 else int(np.ceil(mean + 8 * np.sqrt(mean) + 10))

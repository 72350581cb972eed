"""The simulator against closed forms (docs/simulator.md, Validation, rungs 1-3), not against itself.

Tolerances: with n independent replications an estimated probability p has standard error
sqrt(p(1-p)/n); each check allows 5 standard errors (plus the grid's own error where there is one),
so a correct engine fails by chance far less than once in a million runs of the suite.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sahelsim.sim.assault import AssaultPlan, Outcome, fight
from sahelsim.sim.engine import run
from sahelsim.sim.scenario import parse_scenario

SITE = """
name = "test"
title = "test"
[site]
kind = "post"
name = "test post"
personnel = 10
[threat]
actor = "unknown"
"""


def _tolerance(p: float, n: int) -> float:
    return 5 * math.sqrt(max(p * (1 - p), 1e-4) / n)


@pytest.mark.parametrize("launch_s", [0, 900])  # the time counts from the launch, whenever it is
def test_detection_time_follows_one_minus_exp_minus_lambda_t(launch_s: int) -> None:
    rate = 1 / 300
    scenario = parse_scenario(SITE + f"""
[[threat.sorties]]
name = "loiterer"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = 2000
standoff_m = 1000
launch_window_s = [{launch_s}, {launch_s}]
[[defence.sensors]]
name = "cookie cutter"
type = "rf_detector"
shape = "constant"
range_m = 100000
rate_per_s = {rate}
""")
    n = 100_000
    times = run(scenario, n, seed=11).table.column("first_detection_s").to_numpy(zero_copy_only=False)
    for t in (10, 60, 150, 300, 600, 1200):
        expected = 1 - math.exp(-rate * t)
        observed = np.mean(np.nan_to_num(times, nan=np.inf) <= t)
        assert abs(observed - expected) < _tolerance(expected, n), (t, observed, expected)


def test_rf_detector_is_blind_to_a_drone_that_does_not_emit() -> None:
    scenario = parse_scenario(SITE + """
[[threat.sorties]]
name = "pre-programmed"
platform = "mavic_3"
count = 3
role = "strike"
start_range_m = 2000
emits = false
[[defence.sensors]]
name = "rf"
type = "rf_detector"
""")
    table = run(scenario, 2000, seed=1).table
    assert table.column("detected").to_numpy().sum() == 0


def _layered(layers: list[tuple[float, float, float]]) -> str:
    """One strike sortie at 14 m/s, seen at once; each layer gets exactly one try in its window."""
    effectors = "".join(f"""
[[defence.effectors]]
name = "layer {i}"
type = "gun"
range_min_m = {r_min}
range_max_m = {r_max}
engage_s = {0.75 * (r_max - r_min) / 14.0}
p_kill = {p}
""" for i, (r_min, r_max, p) in enumerate(layers))
    return SITE + """
[[threat.sorties]]
name = "strike"
platform = "mavic_3"
count = 1
role = "strike"
start_range_m = 3000
[[defence.sensors]]
name = "instant"
type = "rf_detector"
shape = "constant"
range_m = 100000
rate_per_s = 50
classify_s = 0
[defence.command_delay]
median_s = 0.001
sigma = 0
""" + effectors


@pytest.mark.parametrize("layers", [
    [(2000, 2500, 0.3), (1000, 1500, 0.5), (0, 500, 0.2)],  # one after the other
    [(0, 500, 0.3), (0, 500, 0.5), (0, 500, 0.2)],  # all at once
])
def test_independent_layers_leak_with_the_product_of_miss_probabilities(layers) -> None:
    n = 100_000
    table = run(parse_scenario(_layered(layers)), n, seed=5).table
    expected = math.prod(1 - p for *_, p in layers)
    observed = table.column("leakers").to_numpy().mean()
    assert abs(observed - expected) < _tolerance(expected, n)


def _plan(attackers: int, alpha: float, beta: float, **changes) -> AssaultPlan:
    values = dict(attackers=attackers, alpha_per_min=alpha, beta_per_min=beta, attacker_break=0.0,
                  defender_break=0.0, probability_without_isr=1.0, probability_with_isr=1.0,
                  isr_gain=0.0, surprise_factor=1.0, surprise_min=0.0, max_minutes=600)
    return AssaultPlan(**{**values, **changes})


def _square_law(a0: float, d0: float, alpha: float, beta: float) -> tuple[float, float]:
    """Survivors (attackers, defenders) of dA/dt = -βD, dD/dt = -αA fought to the end."""
    if beta * d0**2 > alpha * a0**2:
        return 0.0, math.sqrt(d0**2 - alpha / beta * a0**2)
    return math.sqrt(a0**2 - beta / alpha * d0**2), 0.0


@pytest.mark.parametrize("a0, d0, alpha, beta", [(100, 80, 0.01, 0.02), (100, 80, 0.02, 0.02),
                                                  (60, 90, 0.03, 0.01)])
def test_deterministic_assault_matches_lanchester_square_law(a0, d0, alpha, beta) -> None:
    plan = _plan(a0, alpha, beta, step_min=0.002, max_minutes=2000)
    result = fight(plan, np.array([True]), np.array([d0]), d0, np.zeros(1), uniforms=None)
    attackers, defenders = _square_law(a0, d0, alpha, beta)
    assert result.outcome[0] == (Outcome.REPELLED if attackers == 0 else Outcome.OVERRUN)
    assert a0 - result.attacker_losses[0] == pytest.approx(attackers, abs=0.5)
    assert d0 - result.defender_losses[0] == pytest.approx(defenders, abs=0.5)


def test_stochastic_assault_with_large_forces_approaches_the_square_law() -> None:
    """One-minute binomial steps as in the engine: the mean tends to the deterministic limit."""
    a0, d0, alpha, beta, reps = 10_000, 8_000, 0.01, 0.02, 500
    plan = _plan(a0, alpha, beta)
    rng = np.random.default_rng(3)
    result = fight(plan, np.ones(reps, bool), np.full(reps, float(d0)), d0, np.zeros(reps),
                   uniforms=lambda: rng.random((2, reps)))
    _, defenders = _square_law(a0, d0, alpha, beta)
    survivors = d0 - result.defender_losses
    assert survivors.mean() == pytest.approx(defenders, rel=0.02)
    assert (result.outcome == Outcome.REPELLED).all()


def test_convoy_isr_quality_follows_the_exponential_find_time() -> None:
    """Undefended convoy: Q = min(1, (dwell − F)/needed) with F ~ Exp(mean m), so
    P(Q ≥ q) = 1 − exp(−(dwell − q·needed)/m) for one ISR sortie."""
    mean_find, dwell, needed = 600.0, 1500.0, 1000.0
    scenario = parse_scenario(f"""
name = "convoy"
title = "convoy"
[site]
kind = "convoy"
name = "convoy"
personnel = 10
find_time_s = {mean_find}
[threat]
actor = "unknown"
[[threat.sorties]]
name = "watch"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = 2000
standoff_m = 1000
dwell_s = {dwell}
dwell_needed_s = {needed}
""")
    n = 50_000
    quality = run(scenario, n, seed=3).table.column("isr_quality").to_numpy()
    for q in (0.25, 0.5, 1.0):
        expected = 1 - math.exp(-(dwell - q * needed) / mean_find)
        observed = np.mean(quality >= q - 1e-12)
        assert abs(observed - expected) < _tolerance(expected, n), (q, observed, expected)


def test_tabulated_radar_hazard_integrates_like_the_closed_form() -> None:
    """Λ(t) for g = 1 − (r/R)⁴ along r = r0 − v·t against its integral done by hand."""
    from sahelsim.sim.sensors import SensorAgainst, tabulate
    from sahelsim.sim.tracks import Track

    r0, v, big_r, rate = 1500.0, 15.0, 2000.0, 0.4
    table = tabulate(Track(r0, v), [SensorAgainst(range_m=big_r, rate_per_s=rate, shape="fourth_power")])

    def exact(t: float) -> float:  # ∫0^t rate·(1 − ((r0 − v s)/R)⁴) ds
        return rate * (t - (r0**5 - (r0 - v * t) ** 5) / (5 * v * big_r**4))

    for t in (10.0, 50.0, 99.0):
        assert np.interp(t, table.times, table.cumulative) == pytest.approx(exact(t), rel=1e-4)


def test_two_sensors_at_night_against_low_drones_detect_as_their_integrated_hazards() -> None:
    """Radar (clutter at low altitude, range scaled by the fourth root of the RCS) and a camera
    (night) fuse by adding hazards: P(detected by t) = 1 − exp(−∫ λ_radar + λ_camera), with each
    hazard written out here from its equation and integrated by quadrature."""
    from scipy.integrate import quad

    from sahelsim.sim.catalogue import load_catalogue

    catalogue = load_catalogue()
    mavic, radar, camera = (catalogue.platforms["mavic_3"], catalogue.sensors["drone_radar"],
                            catalogue.sensors["eo_ir_camera"])
    scenario = parse_scenario(SITE.replace('personnel = 10', 'personnel = 10\nnight = true') + """
[[threat.sorties]]
name = "low"
platform = "mavic_3"
count = 1
role = "strike"
start_range_m = 3000
low_altitude = true
[[defence.sensors]]
name = "radar"
type = "drone_radar"
[[defence.sensors]]
name = "camera"
type = "eo_ir_camera"
""")
    radar_range = radar.range_m * (mavic.rcs_m2 / radar.rcs_ref_m2) ** 0.25
    radar_rate = radar.rate_per_s * radar.low_altitude_factor
    camera_rate = camera.rate_per_s * camera.night_factor

    def hazard(t: float) -> float:
        r = 3000 - mavic.speed_mps * t
        total = radar_rate * (1 - (r / radar_range) ** 4) if r < radar_range else 0.0
        if r < camera.range_m:
            x = r / camera.range_m
            total += camera_rate * (1 + math.exp(-12 * 0.7)) / (1 + math.exp(12 * (x - 0.7)))
        return total

    n = 100_000
    times = run(scenario, n, seed=12).table.column("first_detection_s").to_numpy(zero_copy_only=False)
    times = np.where(np.isnan(times), np.inf, times)
    for t in (60.0, 90.0, 120.0, 150.0, 3000 / mavic.speed_mps):
        expected = 1 - math.exp(-quad(hazard, 0, t, limit=200, points=[90.0, 128.0])[0])
        observed = np.mean(times <= t)
        assert abs(observed - expected) < _tolerance(expected, n) + 2e-3, (t, observed, expected)


def test_one_gun_against_two_drones_serves_them_in_turn() -> None:
    """Capacity by exact enumeration: two drones enter the gun's reach together and its window
    holds n tries. The gun stays on the first until it falls (after K1 ~ Geometric(p) tries) and
    then has n − K1 tries left for the second, so E[defeated] = P(K1 ≤ n) + P(K1 + K2 ≤ n)."""
    p, n_tries, reach = 0.3, 4, 1000.0
    engage_s = reach / 14.0 / (n_tries + 0.5)
    scenario = parse_scenario(SITE + f"""
[[threat.sorties]]
name = "pair"
platform = "mavic_3"
count = 2
role = "strike"
start_range_m = 3000
[[defence.sensors]]
name = "instant"
type = "drone_radar"
shape = "constant"
range_m = 100000
rate_per_s = 50
false_alarms_per_h = 0
[[defence.effectors]]
name = "gun"
type = "gun"
range_max_m = {reach}
engage_s = {engage_s}
p_kill = {p}
[defence.command_delay]
median_s = 0.001
sigma = 0
""")
    first = 1 - (1 - p) ** n_tries
    both = sum((k - 1) * p**2 * (1 - p) ** (k - 2) for k in range(2, n_tries + 1))  # NegBin(2, p) ≤ n
    n = 100_000
    defeated = run(scenario, n, seed=13).table.column("defeated").to_numpy()
    assert np.mean(defeated == 2) == pytest.approx(both, abs=_tolerance(both, n))
    assert defeated.mean() == pytest.approx(first + both, abs=2 * _tolerance(0.5, n))

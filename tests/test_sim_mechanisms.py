"""Each mechanism of the model against its closed form, where the other simulator tests leave it loose.

Written to kill the domain mutants that survived them (mutants/domain.toml, docs/validation.md): a
condition factor ignored or squared, hazards fused by their maximum, the command delay doubled, an
effector held after its kill, shelters and dispersion ignored, the caps on damage and casualties,
camouflage, the best ISR sortie, route variation, the assault's odds and κ, the binomial spread of
losses, the amortised acquisition and the engagements' cost, the Wilson interval. Each test states
what a planner relies on, with the figure worked out by hand from the catalogue.

Tolerances as in test_sim_closed_forms: 5 standard errors of the estimate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from test_sim_closed_forms import _plan, _square_law, _tolerance

from sahelsim.sim.assault import Outcome, fight
from sahelsim.sim.catalogue import load_catalogue
from sahelsim.sim.engine import run
from sahelsim.sim.outcomes import Z95
from sahelsim.sim.scenario import parse_scenario
from sahelsim.sim.sensors import LOGISTIC_MIDPOINT, hazard, resolve

CATALOGUE = load_catalogue()
MAVIC = CATALOGUE.platforms["mavic_3"]
FPV = CATALOGUE.platforms["fpv_strike"]
START_M, IN_RANGE_M = 3000.0, 1400.0
# a Mavic 3 strike from START_M: inside IN_RANGE_M of the site from T_IN to its delivery at T_END
T_IN, T_END = (START_M - IN_RANGE_M) / MAVIC.speed_mps, START_M / MAVIC.speed_mps

INSTANT = """
[[defence.sensors]]
name = "instant"
type = "rf_detector"
shape = "constant"
range_m = 100000
rate_per_s = 50
classify_s = 0
"""
NO_DELAY = """
[defence.command_delay]
median_s = 0.001
sigma = 0
"""


def _scenario(body: str, *, site: str = "", kind: str = "post", personnel: int = 10) -> str:
    return f"""
name = "mechanism"
title = "mechanism"
[site]
kind = "{kind}"
name = "site"
personnel = {personnel}
{site}
[threat]
actor = "unknown"
{body}"""


def _strike(name: str = "strike", *, platform: str = "mavic_3", count: int = 1, launch_s: float = 0,
            start_m: float = START_M, target: str = "personnel", extra: str = "") -> str:
    return f"""
[[threat.sorties]]
name = "{name}"
platform = "{platform}"
count = {count}
role = "strike"
start_range_m = {start_m}
launch_window_s = [{launch_s}, {launch_s}]
target = "{target}"
{extra}"""


def _isr(name: str = "watch", *, start_m: float = 2000, standoff_m: float = 1000, dwell: str = "",
         needed_s: float = 1000) -> str:
    return f"""
[[threat.sorties]]
name = "{name}"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = {start_m}
standoff_m = {standoff_m}
dwell_needed_s = {needed_s}
{dwell}"""


def _gun(name: str = "gun", *, type_: str = "gun", engage_s: float, p_kill: float) -> str:
    return f"""
[[defence.effectors]]
name = "{name}"
type = "{type_}"
range_min_m = 0
range_max_m = {IN_RANGE_M}
engage_s = {engage_s}
p_kill = {p_kill}
"""


def _columns(text: str, runs: int, seed: int = 1) -> dict[str, np.ndarray]:
    table = run(parse_scenario(text), runs, seed=seed).table
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def _assert_share(observed: np.ndarray, expected: float) -> None:
    share = float(np.mean(observed))
    assert abs(share - expected) < _tolerance(expected, len(observed)), (share, expected)


def _assert_mean(values: np.ndarray, expected: float, variance: float) -> None:
    bound = 5 * math.sqrt(max(variance, 1e-4) / len(values))
    assert abs(values.mean() - expected) < bound, (values.mean(), expected)


# --- detection ------------------------------------------------------------------------------------

def _case(sensor: str, conditions: dict, factors: list[str]) -> object:
    """A named case: the sensor and the conditions it works in ("camera-day", "radar-low-night")."""
    return pytest.param(sensor, conditions, factors, id="-".join([sensor, *conditions]))


@pytest.mark.parametrize("sensor, conditions, factors", [
    _case("eo_ir_camera", {}, []),
    _case("eo_ir_camera", {"night": True}, ["night_factor"]),
    _case("eo_ir_camera", {"noisy": True, "low": True}, []),
    _case("observers", {"night": True}, ["night_factor"]),
    _case("observers", {"noisy": True}, ["noise_factor"]),
    _case("observers", {"night": True, "noisy": True}, ["night_factor", "noise_factor"]),
    _case("acoustic_array", {"noisy": True}, ["noise_factor"]),
    _case("acoustic_array", {"night": True}, []),
    _case("drone_radar", {"low": True}, ["low_altitude_factor"]),
    _case("drone_radar", {"night": True, "noisy": True}, []),
    _case("rf_detector", {"night": True, "noisy": True, "low": True}, []),
])
def test_night_noise_and_low_altitude_scale_the_detection_rate_of_the_sensors_they_degrade(
        sensor: str, conditions: dict, factors: list[str]) -> None:
    """A constant hazard λ·m, m the product of the factors that apply to that kind of sensor (night
    to cameras and observers, noise to acoustic arrays and observers, low flight to radars): the
    sortie is seen within 300 s with 1 − exp(−300·λ·m), λ = 1/300."""
    kind = CATALOGUE.sensors[sensor]
    m = math.prod(getattr(kind, factor) for factor in factors)
    assert all(getattr(kind, factor) < 1 for factor in factors)  # else the case shows nothing
    site = f"night = {str(conditions.get('night', False)).lower()}\n" \
           f"noisy = {str(conditions.get('noisy', False)).lower()}"
    low = f"low_altitude = {str(conditions.get('low', False)).lower()}"
    text = _scenario(_isr(dwell=f"dwell_s = 1500\n{low}") + f"""
[[defence.sensors]]
name = "sensor"
type = "{sensor}"
shape = "constant"
range_m = 100000
rate_per_s = {1 / 300}
""", site=site)
    first = _columns(text, 20_000)["first_detection_s"]
    _assert_share(np.nan_to_num(first, nan=np.inf) <= 300, 1 - math.exp(-m))


@pytest.mark.parametrize("platform", ["matrice_30t", "mavic_3"])
def test_a_radar_first_sees_a_drone_at_its_reference_range_times_the_fourth_root_of_its_rcs(
        platform: str) -> None:
    """With a cookie-cutter radar of reference range R and a near-infinite rate, a drone flying in
    from START_M is seen when it crosses R·(σ/σ_ref)^¼: a Matrice (0.05 m²) half as far again as a
    0.01 m² drone."""
    kind, drone = CATALOGUE.sensors["drone_radar"], CATALOGUE.platforms[platform]
    reach = 1000 * (drone.rcs_m2 / kind.rcs_ref_m2) ** 0.25
    text = _scenario(_strike(platform=platform) + """
[[defence.sensors]]
name = "radar"
type = "drone_radar"
shape = "constant"
range_m = 1000
rate_per_s = 50
""")
    first = _columns(text, 200)["first_detection_s"]
    assert first == pytest.approx((START_M - reach) / drone.speed_mps, abs=0.5)


def test_the_logistic_hazard_is_the_full_rate_at_the_site_half_at_seven_tenths_and_none_at_range() -> None:
    """Cameras, acoustic arrays, RF detectors and observers: g(r/R) is a logistic with its midpoint
    at 0.7 R, scaled to 1 at the site."""
    camera = resolve(CATALOGUE.sensors["eo_ir_camera"], MAVIC, emits=True, night=False, noisy=False,
                     low_altitude=False)
    r = camera.range_m * np.array([0.0, LOGISTIC_MIDPOINT, 1.0, 1.5])
    assert camera.shape == "logistic"
    assert hazard(r, camera) == pytest.approx(
        [camera.rate_per_s, camera.rate_per_s / 2, 0.0, 0.0], abs=1e-3 * camera.rate_per_s)


def test_two_sensors_detect_with_the_sum_of_their_hazards_and_may_never_detect() -> None:
    """Independent sensors of constant hazards λ₁ and λ₂ over a whole strike track of T_END
    seconds: seen by t with 1 − exp(−(λ₁ + λ₂)t), and never with exp(−(λ₁ + λ₂)·T_END)."""
    rates = (1 / 300, 1 / 200)
    sensors = "".join(f"""
[[defence.sensors]]
name = "sensor {i}"
type = "{kind}"
shape = "constant"
range_m = 100000
rate_per_s = {rate}
""" for i, (kind, rate) in enumerate(zip(("rf_detector", "eo_ir_camera"), rates, strict=True)))
    rows = _columns(_scenario(_strike() + sensors), 20_000)
    total = sum(rates)
    _assert_share(rows["detected"] == 1, 1 - math.exp(-total * T_END))
    _assert_share(np.nan_to_num(rows["first_detection_s"], nan=np.inf) <= 60, 1 - math.exp(-total * 60))


# --- engagement -----------------------------------------------------------------------------------

def _delayed(median_s: float, sigma: float, engage_s: float, p_kill: float) -> str:
    """A strike seen at once, a gun covering its last IN_RANGE_M, and a command delay between."""
    return _scenario(_strike() + INSTANT + _gun(engage_s=engage_s, p_kill=p_kill) + f"""
[defence.command_delay]
median_s = {median_s}
sigma = {sigma}
""")


def test_a_fixed_command_delay_takes_its_time_out_of_the_guns_window() -> None:
    """Alert at 150 s, gun window [T_IN ≈ 114 s, T_END ≈ 214 s]: 64 s left, two 30 s bursts, so the
    drone leaks with (1 − p)²; with no delay it would get three bursts, with twice the delay none."""
    leakers = _columns(_delayed(150, 0, engage_s=30, p_kill=0.5), 20_000)["leakers"]
    _assert_share(leakers, 0.5**2)


def test_a_lognormal_command_delay_leaks_with_the_tries_each_delay_leaves() -> None:
    """Delay d ~ LogNormal(median 150 s, σ 0.5): the gun starts at max(d, T_IN) and fits
    ⌊(T_END − start)/30⌋ bursts, so P(leak) = Σ_n P(n bursts)·(1 − p)ⁿ over the delay's CDF."""
    median, sigma, engage, p = 150.0, 0.5, 30.0, 0.5
    leakers = _columns(_delayed(median, sigma, engage_s=engage, p_kill=p), 20_000)["leakers"]
    cdf = [0.0] + [norm.cdf(math.log((T_END - n * engage) / median) / sigma) for n in (3, 2, 1)] + [1.0]
    # delays up to T_END − 3τ leave three bursts (those before T_IN too: the gun waits), and so on
    chance = {3: cdf[1], 2: cdf[2] - cdf[1], 1: cdf[3] - cdf[2], 0: 1 - cdf[3]}
    _assert_share(leakers, sum(share * (1 - p) ** n for n, share in chance.items()))


def test_a_gun_fires_only_once_the_drone_is_detected() -> None:
    """A constant hazard λ and no delay: one sure burst fits only if the gun starts by T_END − 99 s,
    that is if the drone was seen by then, so it leaks with exp(−λ·(T_END − 99))."""
    rate = 1 / 100
    text = _scenario(_strike() + f"""
[[defence.sensors]]
name = "slow"
type = "rf_detector"
shape = "constant"
range_m = 100000
rate_per_s = {rate}
""" + NO_DELAY + _gun(engage_s=99, p_kill=1.0))
    _assert_share(_columns(text, 20_000)["leakers"], math.exp(-rate * (T_END - 99)))


def test_an_effector_that_downs_its_target_turns_to_the_next_at_once() -> None:
    """One sure 30 s burst downs the first drone at T_IN + 30; the second, 20 s behind, is then in
    range for 90 s more: three bursts, so nothing leaks. Held until the first drone's delivery
    time, the gun would have 20 s for the second, too short for a burst."""
    text = _scenario(_strike("first") + _strike("second", launch_s=20) + INSTANT + NO_DELAY
                     + _gun(engage_s=30, p_kill=1.0))
    rows = _columns(text, 500)
    assert rows["defeated"].min() == 2 and rows["leakers"].max() == 0


def test_a_gun_downs_two_drones_only_when_they_come_far_enough_apart() -> None:
    """Launches uniform over [0, W]: a gun needing 60 s for a sure kill downs the first drone at
    T_IN + 60 and has the second's last 100 − 60 − gap seconds for it, enough for a burst only when
    the gap is at least 20 s: both fall with P(|U₁ − U₂|·W ≥ 20) = (1 − 20/W)²."""
    spread = 100
    text = _scenario(_strike(count=2).replace("[0, 0]", f"[0, {spread}]") + INSTANT + NO_DELAY
                     + _gun(engage_s=60, p_kill=1.0))
    _assert_share(_columns(text, 20_000)["defeated"] == 2, (1 - 20 / spread) ** 2)


def test_each_engagement_until_the_drone_falls_costs_what_it_expends() -> None:
    """An interceptor downs the drone with its first 30 s sortie; a gun that cannot hit it was on it
    from the same moment and fired one 40 s burst, cut short by the kill (its window held two). The defender pays a day
    of its items' acquisition, one interceptor and one burst."""
    interceptor, gun = CATALOGUE.effectors["interceptor_drone"], CATALOGUE.effectors["gun"]
    assert interceptor.cost_per_engagement_usd > 0 and gun.cost_per_engagement_usd > 0
    items = [CATALOGUE.sensors["rf_detector"], interceptor, gun]
    text = _scenario(_strike() + INSTANT + NO_DELAY + _gun("interceptor", type_="interceptor_drone",
                                                           engage_s=30, p_kill=1.0)
                     + _gun(engage_s=40, p_kill=0.0))
    cost = _columns(text, 500)["defender_cost_usd"]
    expected = (sum(i.acquisition_usd / i.lifetime_days for i in items)
                + interceptor.cost_per_engagement_usd + gun.cost_per_engagement_usd)
    assert cost == pytest.approx(np.full(500, expected))


def test_the_acquisition_of_every_item_is_amortised_over_its_service_life_for_the_days_borne() -> None:
    """An ISR drone seen at once but loitering beyond every effector's reach: nothing is engaged and
    nothing is hit, so the defender's cost is the days borne times the sum of acquisition / service
    life over its sensors and effectors."""
    days = 30
    items = [CATALOGUE.sensors["rf_detector"], CATALOGUE.sensors["drone_radar"],
             CATALOGUE.sensors["observers"], CATALOGUE.effectors["interceptor_drone"],
             CATALOGUE.effectors["gun"]]
    text = _scenario(_isr(start_m=8000, standoff_m=6000) + INSTANT + f"""
[defence]
days_amortised = {days}
[[defence.sensors]]
name = "radar"
type = "drone_radar"
[[defence.sensors]]
name = "sentries"
type = "observers"
[[defence.effectors]]
name = "interceptor"
type = "interceptor_drone"
[[defence.effectors]]
name = "gun"
type = "gun"
""")
    cost = _columns(text, 200)["defender_cost_usd"]
    assert cost == pytest.approx(np.full(200, days * sum(i.acquisition_usd / i.lifetime_days for i in items)))


# --- effects --------------------------------------------------------------------------------------

def _asset_scenario(*, count: int, reach: int, deliveries: int, passive: str = "") -> str:
    return _scenario(_strike(platform="fpv_strike", count=deliveries, target="aircraft")
                     + ("\n[defence.passive]\n" + passive if passive else ""), kind="air_base", site=f"""
[[site.assets]]
name = "aircraft"
count = {count}
reach = {reach}
""")


@pytest.mark.parametrize("hardening, dispersed", [(None, None), (0.5, None), (None, 2), (0.4, 2)])
def test_shelters_and_dispersion_lower_the_damage_each_delivery_does(hardening, dispersed) -> None:
    """Three FPV deliveries on plenty of aircraft, each reaching r of them (4 as parked, fewer
    dispersed): each damages Binomial(r, p_damage·(1 − h)), each damage destroys with p_destroy."""
    passive = "".join([f"shelters = {{ aircraft = {hardening} }}\n" if hardening is not None else "",
                       f"dispersion = {{ aircraft = {dispersed} }}\n" if dispersed is not None else ""])
    rows = _columns(_asset_scenario(count=100, reach=4, deliveries=3, passive=passive), 20_000)
    trials, p = 3 * (dispersed or 4), FPV.p_damage * (1 - (hardening or 0.0))
    _assert_mean(rows["assets_damaged"], trials * p, trials * p * (1 - p))
    q = p * FPV.p_destroy
    _assert_mean(rows["assets_destroyed"], trials * q, trials * q * (1 - q))


def test_no_more_assets_are_damaged_or_destroyed_than_there_are() -> None:
    """Six deliveries on a single aircraft: it is damaged with 1 − (1 − p_damage)⁶, destroyed with
    1 − (1 − p_damage·p_destroy)⁶, and never counted twice."""
    rows = _columns(_asset_scenario(count=1, reach=1, deliveries=6), 20_000)
    assert rows["assets_damaged"].max() == 1 and rows["assets_destroyed"].max() == 1
    _assert_share(rows["assets_damaged"], 1 - (1 - FPV.p_damage) ** 6)
    _assert_share(rows["assets_destroyed"], 1 - (1 - FPV.p_damage * FPV.p_destroy) ** 6)


def _people(*, personnel: int, exposed: int, deliveries: int) -> str:
    return _scenario(_strike(platform="fpv_strike", count=deliveries), personnel=personnel,
                     site=f"exposed_per_delivery = {exposed}")


def test_each_delivery_hurts_each_exposed_person_with_the_platforms_casualty_probability() -> None:
    """Four FPV deliveries, ten people exposed to each, no warning: N·E·p_casualty expected in every
    replication, and the drawn count is Binomial(N·E, p_casualty)."""
    rows = _columns(_people(personnel=100, exposed=10, deliveries=4), 20_000)
    mean = 4 * 10 * FPV.p_casualty
    assert rows["casualties_expected"] == pytest.approx(np.full(20_000, mean))
    _assert_mean(rows["casualties"], mean, mean * (1 - FPV.p_casualty))


def test_no_more_people_are_hurt_than_are_on_the_site() -> None:
    rows = _columns(_people(personnel=2, exposed=50, deliveries=4), 2000)
    assert rows["casualties"].max() == 2


# --- ISR ------------------------------------------------------------------------------------------

def test_isr_quality_is_the_best_sorties_dwell_share_less_camouflage() -> None:
    """Two undefended ISR drones dwelling 500 s and 800 s of the 1000 s needed, camouflage 0.25:
    Q = 0.8 · (1 − 0.25) in every replication. They only watch: nothing leaks, nobody is hurt."""
    text = _scenario(_isr("short", dwell="dwell_s = 500") + _isr("long", dwell="dwell_s = 800") + """
[defence.passive]
camouflage = 0.25
""", site="exposed_per_delivery = 10")
    rows = _columns(text, 200)
    assert rows["isr_quality"] == pytest.approx(np.full(200, 0.6))
    assert rows["leakers"].max() == 0 and rows["casualties_expected"].max() == 0


def test_an_isr_drone_dwells_its_endurance_less_the_flight_out_and_back() -> None:
    transit = 1000 / MAVIC.speed_mps
    text = _scenario(_isr(needed_s=3000))
    expected = (MAVIC.endurance_s - 2 * transit) / 3000
    assert _columns(text, 200)["isr_quality"] == pytest.approx(np.full(200, expected))


def test_an_isr_drone_shot_down_on_station_brings_back_the_share_it_flew() -> None:
    """Seen at once; the gun takes it up as it enters 1,400 m and downs it with one sure 200 s
    engagement, at (2000 − 1400)/v + 200 s; on station from (2000 − 1000)/v, it flew that long."""
    text = _scenario(_isr(dwell="dwell_s = 1500") + INSTANT + NO_DELAY + _gun(engage_s=200, p_kill=1.0))
    flown = (2000 - IN_RANGE_M) / MAVIC.speed_mps + 200 - 1000 / MAVIC.speed_mps
    assert _columns(text, 200)["isr_quality"] == pytest.approx(np.full(200, flown / 1000), abs=1e-3)


def test_route_variation_stretches_a_convoys_find_time() -> None:
    """Mean find time m/(1 − v): P(Q ≥ q) = 1 − exp(−(dwell − q·needed)·(1 − v)/m)."""
    mean_find, variation, dwell, needed = 600.0, 0.5, 1500.0, 1000.0
    text = _scenario(_isr(dwell=f"dwell_s = {dwell}", needed_s=needed) + f"""
[defence.passive]
route_variation = {variation}
""", kind="convoy", site=f"find_time_s = {mean_find}")
    quality = _columns(text, 20_000, seed=3)["isr_quality"]
    for q in (0.25, 1.0):
        _assert_share(quality >= q - 1e-12, 1 - math.exp(-(dwell - q * needed) * (1 - variation) / mean_find))


# --- the assault ----------------------------------------------------------------------------------

ASSAULT = """
[threat.assault]
attackers = 10
alpha_per_min = 0.01
probability_without_isr = 0.2
probability_with_isr = 0.9
[defence.ground]
beta_per_min = 0.03
"""


@pytest.mark.parametrize("isr, chance", [("", 0.2), (_isr(dwell="dwell_s = 1200"), 0.9)])
def test_the_assault_comes_with_its_odds_without_and_with_a_full_isr_picture(isr: str, chance: float) -> None:
    outcome = _columns(_scenario(isr + ASSAULT), 4000)["assault_outcome"]
    _assert_share(outcome != Outcome.NO_ASSAULT, chance)


def test_isr_quality_raises_the_attackers_effectiveness_by_one_plus_kappa_q() -> None:
    """κ = 2 and Q = 0.5 double α: the fight ends as the square law with 2α says."""
    a0, d0, alpha, beta = 100, 80, 0.01, 0.02
    plan = _plan(a0, alpha, beta, isr_gain=2.0, step_min=0.002, max_minutes=2000)
    result = fight(plan, np.array([True]), np.array([d0]), d0, np.array([0.5]), uniforms=None)
    attackers, _ = _square_law(a0, d0, 2 * alpha, beta)
    assert result.outcome[0] == Outcome.OVERRUN
    assert a0 - result.attacker_losses[0] == pytest.approx(attackers, abs=0.5)


def test_a_minutes_losses_are_binomial_in_the_fighters_exposed() -> None:
    """One minute of fire from 500 defenders at β = 0.5 on 1,000 attackers: Binomial(1000, 0.25)
    losses, mean 250 and variance 187.5, not the mean every time."""
    reps = 20_000
    plan = _plan(1000, 1e-4, 0.5, max_minutes=1)
    rng = np.random.default_rng(7)
    losses = fight(plan, np.ones(reps, bool), np.full(reps, 500.0), 500, np.zeros(reps),
                   uniforms=lambda: rng.random((2, reps))).attacker_losses
    assert losses.mean() == pytest.approx(250, abs=5 * math.sqrt(187.5 / reps))
    assert losses.var() == pytest.approx(187.5, abs=5 * 187.5 * math.sqrt(2 / reps))


# --- summaries ------------------------------------------------------------------------------------

def test_a_share_never_seen_still_has_a_wilson_upper_bound() -> None:
    """None of n replications detects anything: the interval is [0, z²/(n + z²)], not [0, 0]."""
    text = _scenario(_strike(extra="emits = false") + """
[[defence.sensors]]
name = "rf"
type = "rf_detector"
""")
    n = 2000
    share = run(parse_scenario(text), n, seed=1, keep_table=False).summary["proportions"]["any_detected"]
    assert share["p"] == 0
    assert share["ci95"] == pytest.approx([0.0, Z95**2 / (n + Z95**2)])

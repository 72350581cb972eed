"""The ground assault of the 0.3.0 model (docs/simulator.md, Ground assault): early warning, air
sorties with munitions and guidance, break points drawn per fight, killed and wounded.

Two levels: `fight` on a hand-made plan, where a mechanism can be isolated (no ground fire, no
breaking) and counted exactly; and whole scenario files through `run`, for what the engine wires
in (the warning lead from the first alert, the columns). Statistical checks allow 5 standard errors,
so a correct model fails by chance far less than once in a million runs.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sahelsim.errors import UserError
from sahelsim.sim.assault import AirPlan, AssaultPlan, Outcome, fight, warning_lead_s
from sahelsim.sim import engine
from sahelsim.sim.engine import compare, run
from sahelsim.sim.scenario import load_scenario, parse_scenario, with_figures


def _plan(attackers: int = 100, alpha: float = 0.0, beta: float = 0.0, **changes) -> AssaultPlan:
    """No fire and no break point unless asked: a mechanism can be looked at alone."""
    values = dict(attackers=attackers, alpha_per_min=alpha, beta_per_min=beta, attacker_break=0.0,
                  defender_break=0.0, probability_without_isr=1.0, probability_with_isr=1.0,
                  isr_gain=0.0, surprise_factor=1.0, surprise_min=0.0, max_minutes=120)
    return AssaultPlan(**{**values, **changes})


def _air(**changes) -> AirPlan:
    values = dict(arrival_min=0.0, authorisation_min=0.0, armed=True, sorties=1, on_station_min=60.0,
                  turnaround_min=60.0, munitions_per_sortie=4, munitions_per_min=0.5, p_effect=0.5,
                  guidance_gain=0.0)
    return AirPlan(**{**values, **changes})


def _fight(plan: AssaultPlan, reps: int, defenders: float = 50.0, lead_s=None, breaks: bool = True):
    """`reps` fights with drawn losses, air hits and (with `breaks`) break points, each from its
    own generator, so that plans that draw no air hits see the same losses."""
    losses, air, points = (np.random.default_rng(seed) for seed in (1, 2, 3))
    return fight(plan, np.ones(reps, bool), np.full(reps, defenders), defenders, np.zeros(reps),
                 uniforms=lambda: losses.random((2, reps)), lead_s=lead_s,
                 break_uniforms=points.random((2, reps)) if breaks else None,
                 air_uniforms=lambda: air.random(reps))


# --- G: air support ----------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(sorties=st.integers(1, 4), munitions=st.integers(0, 12),
       rate=st.floats(0.05, 5.0), p_effect=st.floats(0.0, 1.0), on_station=st.floats(1.0, 90.0),
       turnaround=st.floats(0.0, 60.0), arrival=st.floats(0.0, 60.0),
       authorisation=st.floats(0.0, 30.0), attackers=st.integers(1, 200),
       beta=st.floats(0.0, 0.05), lead_min=st.floats(0.0, 120.0))
def test_air_hits_never_exceed_the_munitions_carried(sorties, munitions, rate, p_effect, on_station,
                                                     turnaround, arrival, authorisation, attackers,
                                                     beta, lead_min) -> None:
    air = _air(sorties=sorties, munitions_per_sortie=munitions, munitions_per_min=rate,
               p_effect=p_effect, on_station_min=on_station, turnaround_min=turnaround,
               arrival_min=arrival, authorisation_min=authorisation)
    plan = _plan(attackers, alpha=0.01, beta=beta, air=air, max_minutes=300, attacker_break=0.2,
                 defender_break=0.2)
    result = _fight(plan, 200, lead_s=np.full(200, lead_min * 60))
    assert (result.air_hits <= sorties * munitions).all()
    assert (result.air_hits <= result.attacker_losses).all()
    assert (result.attacker_losses <= attackers).all()


@pytest.mark.parametrize("authorisation, released", [(0.0, 5), (3.0, 3), (9.5, 0)])
def test_an_armed_sortie_releases_floor_rate_times_its_firing_minutes(authorisation, released) -> None:
    """p_effect 1, no ground fire: each munition released is one hit. 0.5 a minute over 10 minutes
    on station is 5; authorised at minute 3, it fires 7 minutes: ⌊3.5⌋ = 3; at 9.5, never."""
    air = _air(sorties=2, on_station_min=10.0, turnaround_min=20.0, munitions_per_sortie=100,
               munitions_per_min=0.5, p_effect=1.0, authorisation_min=authorisation)
    result = _fight(_plan(1000, air=air), 50)
    # the second sortie (minutes 30-40) is past the authorisation: it fires its whole 10 minutes
    assert (result.air_hits == released + 5).all()


def test_the_next_sortie_comes_only_after_the_turnaround() -> None:
    """Two sorties of 10 minutes, 200 minutes apart, in a fight of 120: only the first fires."""
    air = _air(sorties=2, on_station_min=10.0, turnaround_min=200.0, munitions_per_sortie=100,
               munitions_per_min=0.5, p_effect=1.0)
    assert (_fight(_plan(1000, air=air), 50).air_hits == 5).all()


def test_a_sortie_stops_when_its_munitions_are_spent_and_the_next_comes_loaded() -> None:
    air = _air(sorties=3, on_station_min=30.0, turnaround_min=10.0, munitions_per_sortie=4,
               munitions_per_min=1.0, p_effect=1.0)
    result = _fight(_plan(1000, air=air), 50)
    assert (result.air_hits == 12).all()


def test_each_munition_puts_one_attacker_out_of_action_with_p_effect() -> None:
    """Two sorties release all 10 munitions each; the hits are Binomial(20, 0.3)."""
    air = _air(sorties=2, on_station_min=20.0, turnaround_min=0.0, munitions_per_sortie=10,
               munitions_per_min=1.0, p_effect=0.3)
    hits = _fight(_plan(1000, air=air), 4000).air_hits
    assert abs(hits.mean() - 6.0) < 5 * math.sqrt(20 * 0.3 * 0.7 / 4000)
    assert hits.var() == pytest.approx(20 * 0.3 * 0.7, rel=0.1)


def test_air_hits_come_after_the_minutes_ground_losses() -> None:
    """Deterministic: 10 attackers lose 5 to the defenders' fire in minute 0, then the 10
    munitions released that minute can hit only the 5 left."""
    air = _air(munitions_per_sortie=10, munitions_per_min=10.0, p_effect=1.0)
    result = fight(_plan(10, beta=0.1, air=air), np.ones(1, bool), np.array([50.0]), 50.0,
                   np.zeros(1), uniforms=None)
    assert result.air_hits[0] == 5 and result.attacker_losses[0] == 10
    assert result.outcome[0] == Outcome.REPELLED


def test_air_hits_come_from_the_attackers_standing_and_never_more() -> None:
    air = _air(munitions_per_sortie=50, munitions_per_min=10.0, p_effect=1.0)
    result = _fight(_plan(7, air=air), 50)
    assert (result.air_hits == 7).all() and (result.attacker_losses == 7).all()
    assert (result.outcome == Outcome.REPELLED).all()


def _air_scenario(air: str) -> str:
    return f"""
name = "air"
title = "air"
[site]
kind = "post"
name = "post"
personnel = 60
[threat]
actor = "unknown"
[threat.assault]
attackers = 150
alpha_per_min = 0.01
break_fraction = 0.5
max_minutes = 360
[defence.ground]
beta_per_min = 0.02
{air}
"""


AIR = """[defence.air_support]
armed = true
call_delay_s = 300
arrival_s = 600
on_station_min = 120
munitions_per_min = 1
guidance_gain = 0
"""


@pytest.mark.parametrize("more", [(12, 0.3), (4, 0.9)])
def test_more_munitions_or_a_higher_p_effect_cost_the_attackers_more(more) -> None:
    base, better = (parse_scenario(_air_scenario(AIR + f"munitions_per_sortie = {munitions}\n"
                                                 f"p_effect = {p}\n"))
                    for munitions, p in ((4, 0.3), more))
    metrics = compare(base, better, runs=4000, seed=3).metrics
    assert metrics["air_hits"]["ci95"][0] > 0
    assert metrics["attacker_losses"]["ci95"][0] > 0


def test_air_support_that_never_arrives_draws_nothing_else_differently() -> None:
    """Armed air support whose sortie comes after the fight: every other number the same as with
    no air support (its hits draw from their own stream)."""
    late = AIR.replace("arrival_s = 600", "arrival_s = 86400") + "p_effect = 0.9\n"
    without, never = (run(parse_scenario(_air_scenario(air)), 3000, seed=3).table for air in ("", late))
    assert never.drop(["air_hits"]).equals(without.drop(["air_hits"]))
    assert never.column("air_hits").to_numpy().sum() == 0


def test_guidance_gain_multiplies_the_defenders_fire_while_on_station() -> None:
    """Deterministic, no attackers' fire: the attackers lose β·(1 + g)·D a minute on station,
    β·D off it (20 of 60 minutes on station here)."""
    beta, d, g = 0.01, 50.0, 0.3
    air = _air(armed=False, arrival_min=10.0, on_station_min=20.0, guidance_gain=g)
    result = fight(_plan(1000, beta=beta, air=air, max_minutes=60), np.ones(1, bool),
                   np.array([d]), d, np.zeros(1), uniforms=None)
    assert result.attacker_losses[0] == pytest.approx(beta * d * (40 + 20 * (1 + g)))
    assert result.air_hits[0] == 0


def test_unarmed_overwatch_on_station_costs_the_attackers_more_and_takes_the_surprise() -> None:
    plan = _plan(120, alpha=0.01, beta=0.02, attacker_break=0.5, defender_break=0.3,
                 surprise_factor=3.0, surprise_min=15.0, max_minutes=240)
    overwatch = _air(armed=False, arrival_min=0.0, on_station_min=240.0, guidance_gain=0.3)
    none, watched = _fight(plan, 4000), _fight(replace(plan, air=overwatch), 4000)
    assert watched.attacker_losses.mean() > none.attacker_losses.mean()
    assert watched.defender_losses.mean() < none.defender_losses.mean()
    # without the gain, only the surprise is lost: the first minutes cost the defenders less
    first = replace(plan, max_minutes=15)
    blind = replace(first, air=_air(armed=False, guidance_gain=0.0))
    surprised, warned = (_fight(p, 4000, breaks=False) for p in (first, blind))
    assert warned.defender_losses.mean() < surprised.defender_losses.mean() / 2
    # arriving after the first shot takes no surprise: with no gain it changes nothing at all
    later = replace(plan, air=_air(armed=False, arrival_min=5.0))
    assert np.array_equal(_fight(later, 500).defender_losses, _fight(plan, 500).defender_losses)


# --- F: early warning ----------------------------------------------------------------------------

def _warned(early_warning: bool, start: str = "start_s = 3600", late_launch_s: float = 0) -> str:
    """A drone launched at 0 and seen at once, its alert 0.001 s later; another launched at
    `late_launch_s`; the assault at `start`; a QRF an hour out."""
    return f"""
name = "warning"
title = "warning"
[site]
kind = "post"
name = "post"
personnel = 60
[threat]
actor = "unknown"
[[threat.sorties]]
name = "scout"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = 2000
standoff_m = 1000
[[threat.sorties]]
name = "late scout"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = 2000
standoff_m = 1000
launch_window_s = [{late_launch_s}, {late_launch_s}]
[threat.assault]
attackers = 150
alpha_per_min = 0.01
surprise_factor = 2
surprise_min = 10
max_minutes = 360
{start}
[defence]
early_warning = {str(early_warning).lower()}
[[defence.sensors]]
name = "instant"
type = "drone_radar"  # it identifies nothing: weapons free, and the alert, on detection
shape = "constant"
range_m = 100000
rate_per_s = 50
[defence.command_delay]
median_s = 0.001
sigma = 0
[defence.ground]
beta_per_min = 0.02
[defence.qrf]
size = 150
call_delay_s = 600
travel_s = 3000
"""


@pytest.mark.parametrize("start, start_s, late_launch_s", [("start_s = 3600", 3600, 0),
                                                          ("", 900, 900)])
def test_assault_warning_is_the_time_from_the_first_alert_to_the_first_shot(start, start_s,
                                                                          late_launch_s) -> None:
    """The first shot at start_s, or by default when the last sortie has launched."""
    table = run(parse_scenario(_warned(True, start, late_launch_s)), 2000, seed=4).table
    alert = table.column("first_detection_s").to_numpy() + 0.001  # the first launch is at 0
    warning = table.column("assault_warning_min").to_numpy()
    assert warning == pytest.approx((start_s - alert) / 60, abs=1e-9)
    unwarned = run(parse_scenario(_warned(False, start, late_launch_s)), 2000, seed=4).table
    assert (unwarned.column("assault_warning_min").to_numpy() == 0).all()


def test_an_alert_after_the_first_shot_gives_no_warning() -> None:
    table = run(parse_scenario(_warned(True, "start_s = 0")), 500, seed=4).table
    assert (table.column("assault_warning_min").to_numpy() == 0).all()


def test_early_warning_brings_the_relief_sooner_and_costs_fewer_defenders() -> None:
    unwarned, warned = parse_scenario(_warned(False)), parse_scenario(_warned(True))
    metrics = compare(unwarned, warned, runs=4000, seed=6).metrics
    assert metrics["defender_losses"]["ci95"][1] < 0
    assert metrics["attacker_losses"]["ci95"][0] > 0


def test_warning_lead_moves_the_relief_and_the_air_per_replication() -> None:
    """Deterministic, only the defenders fire: a QRF of 40 due at minute 60 joins at minute
    60 − lead, so 50 defenders fire until then and 90 after (30 steps, minutes 0-29); air
    overwatch due at minute 60 with guidance gain 1 doubles their fire from 60 − lead."""
    lead = np.array([0.0, 3600.0, 1800.0, 1860.0])  # relief at minutes 60, 0, 30 (never), 29

    def losses(**changes) -> np.ndarray:
        plan = _plan(100, beta=0.01, max_minutes=30, **changes)
        return fight(plan, np.ones(4, bool), np.full(4, 50.0), 50.0, np.zeros(4), uniforms=None,
                     lead_s=lead).attacker_losses

    relieved = losses(qrf_size=40, qrf_arrival_min=60.0)
    assert relieved == pytest.approx([0.5 * 30, 0.9 * 30, 0.5 * 30, 0.5 * 29 + 0.9])
    guided = losses(air=_air(armed=False, arrival_min=60.0, on_station_min=100.0, guidance_gain=1.0))
    assert guided == pytest.approx([0.5 * 30, 1.0 * 30, 0.5 * 30, 0.5 * 29 + 1.0])


def test_a_warning_takes_the_surprise_away() -> None:
    """Deterministic, only the attackers fire: α·A a minute, three times that in the first 10
    minutes unless an alert came before the first shot."""
    plan = _plan(100, alpha=0.01, surprise_factor=3.0, surprise_min=10.0, max_minutes=30)
    lead = np.array([0.0, 1.0, 600.0])
    result = fight(plan, np.ones(3, bool), np.full(3, 200.0), 200.0, np.zeros(3), uniforms=None,
                   lead_s=lead)
    assert result.defender_losses == pytest.approx([1.0 * (3 * 10 + 20), 1.0 * 30, 1.0 * 30])


def test_the_lead_counts_only_alerts_before_the_first_shot_and_only_with_early_warning() -> None:
    plan = _plan(start_s=600.0)
    first_alert = np.array([np.inf, 100.0, 600.0, 700.0])
    assert warning_lead_s(plan, first_alert).tolist() == [0.0, 500.0, 0.0, 0.0]
    assert warning_lead_s(replace(plan, early_warning=False), first_alert).tolist() == [0.0] * 4


def test_warned_armed_fights_give_the_same_table_for_any_chunk_size() -> None:
    """Every new draw (break points, air hits, killed) is laid out by replication."""
    text = _warned(True).replace("[defence.qrf]", AIR + "p_effect = 0.5\n[defence.qrf]")
    scenario = parse_scenario(text)
    reference = run(scenario, 2500, seed=7, chunk_size=4096).table
    assert reference.column("air_hits").to_numpy().sum() > 0
    assert run(scenario, 2500, seed=7, chunk_size=700).table.equals(reference)


# --- H: break points, killed and wounded --------------------------------------------------------

@pytest.mark.parametrize("side", ["attackers", "defenders"])
@pytest.mark.parametrize("mean", [0.3, 0.6])
def test_the_losing_side_breaks_at_a_drawn_point_around_its_break_fraction(side, mean) -> None:
    """Slow attrition (well under one loss a minute), so the losses at the break are the drawn
    point's: mean (1 − m)·N and spread N·√(m(1 − m)/(κ + 1)) of the Beta(κm, κ(1 − m))."""
    n, kappa, reps = 100, 20.0, 4000
    if side == "attackers":
        plan = _plan(n, alpha=1e-4, beta=0.005, attacker_break=mean, defender_break=0.0,
                     attacker_break_concentration=kappa, max_minutes=1440)
        losses = _fight(plan, reps, defenders=100.0).attacker_losses
    else:
        plan = _plan(n, alpha=0.005, beta=1e-4, defender_break=mean, attacker_break=0.0,
                     defender_break_concentration=kappa, max_minutes=1440)
        losses = _fight(plan, reps, defenders=100.0).defender_losses
    sd = n * math.sqrt(mean * (1 - mean) / (kappa + 1))
    assert losses.mean() == pytest.approx((1 - mean) * n, abs=5 * sd / math.sqrt(reps) + 1.0)
    assert losses.std() == pytest.approx(sd, rel=0.15)


def test_break_points_without_draws_are_their_means() -> None:
    plan = _plan(100, alpha=1e-4, beta=0.005, attacker_break=0.4, max_minutes=1440)
    losses = _fight(plan, 500, defenders=100.0, breaks=False).attacker_losses
    assert losses.min() >= 60 and losses.std() < 1.0


def _killed_scenario(share: float) -> str:
    return f"""
name = "losses"
title = "losses"
[site]
kind = "post"
name = "post"
personnel = 80
killed_share = {share}
[threat]
actor = "unknown"
[threat.assault]
attackers = 150
alpha_per_min = 0.01
max_minutes = 360
[defence.ground]
beta_per_min = 0.02
"""


@pytest.mark.parametrize("share", [0.25, 0.55])
def test_killed_and_wounded_split_the_defenders_losses_at_the_killed_share(share) -> None:
    table = run(parse_scenario(_killed_scenario(share)), 3000, seed=2).table
    losses = table.column("defender_losses").to_numpy()
    killed, wounded = (table.column(c).to_numpy() for c in ("defender_killed", "defender_wounded"))
    assert np.array_equal(killed + wounded, losses) and (killed >= 0).all() and (wounded >= 0).all()
    total = losses.sum()
    assert abs(killed.sum() / total - share) < 5 * math.sqrt(share * (1 - share) / total)


# --- I: the long fight, and the deterministic limit against an ODE -------------------------------

def _long_fight(qrf: str) -> str:
    return f"""
name = "long"
title = "long"
[site]
kind = "post"
name = "post"
personnel = 40
[threat]
actor = "unknown"
[threat.assault]
attackers = 60
alpha_per_min = 0.002
break_fraction = 0.3
max_minutes = 1440
[defence.ground]
beta_per_min = 0.002
break_fraction = 0.3
{qrf}
"""


def test_a_relief_at_minute_120_of_a_long_fight_turns_it() -> None:
    alone = parse_scenario(_long_fight(""))
    relieved = parse_scenario(_long_fight("[defence.qrf]\nsize = 60\ncall_delay_s = 0\ntravel_s = 7200"))
    base = run(alone, 3000, seed=1).table.column("assault_outcome").to_numpy()
    helped = run(relieved, 3000, seed=1).table.column("assault_outcome").to_numpy()
    assert (base == Outcome.OVERRUN).mean() > 0.8
    assert (helped == Outcome.REPELLED).mean() > 0.8


def test_deterministic_assault_with_relief_and_air_fire_matches_the_ode() -> None:
    """dA/dt = −β(1 + g·on)D − p·rate·firing, dD/dt = −αA, D += Q at the relief: Euler steps of
    0.002 minutes against scipy's solution, piece by piece between the switches."""
    a0, d0, alpha, beta, g, p, rate, munitions, q = 200.0, 60.0, 0.004, 0.01, 0.3, 0.6, 0.5, 6, 30
    arrive, authorise, on_station, relief, end = 12.0, 5.0, 40.0, 25.0, 60.0
    air = _air(arrival_min=arrive, authorisation_min=authorise, on_station_min=on_station,
               munitions_per_sortie=munitions, munitions_per_min=rate, p_effect=p, guidance_gain=g)
    plan = _plan(int(a0), alpha=alpha, beta=beta, qrf_size=q, qrf_arrival_min=relief, air=air,
                 max_minutes=end, step_min=0.002)
    result = fight(plan, np.ones(1, bool), np.array([d0]), d0, np.zeros(1), uniforms=None)

    fire_from = arrive + authorise
    switches = [0.0, arrive, fire_from, relief, fire_from + munitions / rate, arrive + on_station, end]

    def slope(t: float, y: np.ndarray) -> list[float]:
        on = arrive <= t < arrive + on_station
        firing = fire_from <= t < fire_from + munitions / rate
        return [-beta * (1 + g * on) * y[1] - p * rate * firing, -alpha * y[0]]

    y = np.array([a0, d0])
    for start, stop in zip(switches[:-1], switches[1:]):
        if start == relief:
            y[1] += q
        middle = (start + stop) / 2
        y = solve_ivp(lambda t, v: slope(middle, v), (start, stop), y, rtol=1e-10,
                      atol=1e-10).y[:, -1]
    assert a0 - result.attacker_losses[0] == pytest.approx(y[0], abs=0.05)
    assert d0 + q - result.defender_losses[0] == pytest.approx(y[1], abs=0.05)
    assert result.air_hits[0] == pytest.approx(p * munitions, abs=1e-6)


# --- the files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, field, expected", [
    ("max_minutes = 360", "max_minutes = 1441", "threat.assault.max_minutes", "a day"),
    ("p_effect = 0.3", "fire_per_min = 1.5", "defence.air_support.fire_per_min", "unknown key"),
    ("p_effect = 0.3", "sorties = 0", "defence.air_support.sorties", "greater than or equal to 1"),
    ("p_effect = 0.3", "p_effect = 1.5", "defence.air_support.p_effect", "less than or equal to 1"),
])
def test_a_mistake_in_the_assault_fields_names_the_field(old, new, field, expected) -> None:
    text = _air_scenario(AIR + "p_effect = 0.3\n")
    assert old in text
    with pytest.raises(UserError) as caught:
        parse_scenario(text.replace(old, new, 1), file="air.toml")
    assert caught.value.field == field and expected in str(caught.value)


def test_a_day_long_assault_is_accepted_and_the_library_runs_six_hours() -> None:
    assert parse_scenario(_long_fight("")).threat.assault.max_minutes == 1440
    for name in ("post-drone-assault", "tongo-tongo-patrol-ambush", "borno-drone-raid"):
        assert load_scenario(name).threat.assault.max_minutes == 360


def test_an_overrun_post_counts_more_of_its_losses_dead() -> None:
    """Where the post falls its wounded cannot be evacuated: the killed share is the overrun one
    there, and the held one elsewhere, each a binomial share of the same losses."""
    scenario = load_scenario("post-drone-assault", "improved")  # posts that fall and posts that hold
    table = run(scenario, 6000, seed=12).table
    outcome = table.column("assault_outcome").to_numpy()
    losses = table.column("defender_losses").to_numpy()
    killed = table.column("defender_killed").to_numpy()
    fell, held = outcome == 2, outcome == 1
    assert fell.sum() > 300 and held.sum() > 300
    site = scenario.site
    assert killed[fell].sum() / losses[fell].sum() == pytest.approx(site.killed_share_overrun, abs=0.01)
    assert killed[held].sum() / losses[held].sum() == pytest.approx(site.killed_share, abs=0.03)
    fewer = run(with_figures(scenario, {"site.killed_share_overrun": 0.5}), 6000, seed=12).table
    assert fewer.column("defender_losses").equals(table.column("defender_losses"))
    dead = fewer.column("defender_killed").to_numpy()
    assert dead[fell].sum() / losses[fell].sum() == pytest.approx(0.5, abs=0.01)
    assert np.array_equal(dead[~fell], killed[~fell])


def _destruction(held: float, overrun: float, runs: int = 6000) -> dict[str, np.ndarray]:
    """The post's replications with the attackers' shares of destruction set for every one."""
    plan = engine.compile_plan(load_scenario("post-drone-assault", "improved"))  # falls and holds
    return engine.simulate_chunk(plan, 21, 0, runs, {"threat.assault.destroys_held": np.full(runs, held),
                                                     "threat.assault.destroys_overrun": np.full(runs, overrun)})


def test_the_attackers_destroy_the_untouched_assets_by_how_the_assault_ended() -> None:
    """Eknewan 2025: nine vehicles burned when the post fell. Each asset the drones did not destroy
    is destroyed with the share for the assault's ending; none without an assault."""
    none, everything, half, raid = (_destruction(0.0, 0.0), _destruction(0.0, 1.0), _destruction(0.0, 0.5),
                                    _destruction(0.3, 0.0))
    outcome = none["assault_outcome"]
    fell, held, quiet = outcome == 2, np.isin(outcome, (1, 3)), outcome == 0
    assert fell.sum() > 300 and held.sum() > 300 and quiet.sum() > 50
    vehicles = load_scenario("post-drone-assault").site.assets[0]
    for name in ("assets_damaged", "assets_destroyed", "value_lost_usd"):
        assert np.array_equal(everything[name][~fell], none[name][~fell]), name
    burned = everything["assets_destroyed"][fell] - none["assets_destroyed"][fell]
    np.testing.assert_array_equal(burned, vehicles.count - none["assets_destroyed"][fell])
    assert (everything["assets_damaged"][fell] == vehicles.count).all()
    np.testing.assert_allclose(everything["value_lost_usd"][fell], vehicles.unit_value_usd * vehicles.count)
    some = half["assets_destroyed"][fell] - none["assets_destroyed"][fell]
    assert some.sum() / burned.sum() == pytest.approx(0.5, abs=0.03)  # Binomial(untouched, 0.5)
    extra = raid["assets_destroyed"] - none["assets_destroyed"]
    assert extra[held].sum() > 0.2 * (vehicles.count - none["assets_destroyed"][held]).sum()
    assert (extra[quiet] == 0).all() and (extra[fell] == 0).all()

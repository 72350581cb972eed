"""Saturation, identification, false alarms, engagement policy and cover (docs/simulator.md,
Identification and Saturation): each mechanism changes what a planner reads, and each test here
fails when the mechanism is removed, reversed or doubled.

The scenarios are small and built in the test: strike sorties flying straight in at a Mavic's
14 m/s, and sensors whose figures are set so each quantity has a value worked out by hand.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sahelsim.sim.capacity import first_come
from sahelsim.sim.catalogue import load_catalogue
from sahelsim.sim.effects import cover_minutes, latest_before
from sahelsim.sim.engine import compare, run
from sahelsim.sim.scenario import parse_scenario

SPEED = 14.0  # the Mavic 3's transit speed in the catalogue


def _scenario(*, sorties: str, sensors: str, effectors: str = "", passive: str = "",
              policy: str = "strike_first", personnel: int = 10) -> str:
    return f"""
name = "saturation"
title = "saturation"
[site]
kind = "post"
name = "post"
personnel = {personnel}
exposed_per_delivery = 5
[threat]
actor = "unknown"
{sorties}
[defence]
engagement_policy = "{policy}"
{sensors}
{effectors}
[defence.command_delay]
median_s = 0.001
sigma = 0
{passive}
"""


def _strikes(count: int, start_m: float = 2800, window: tuple[float, float] = (0, 0),
             name: str = "strikes") -> str:
    return f"""
[[threat.sorties]]
name = "{name}"
platform = "mavic_3"
count = {count}
role = "strike"
start_range_m = {start_m}
launch_window_s = [{window[0]}, {window[1]}]
"""


def _sensor(name: str, kind: str, **figures: object) -> str:
    lines = [f"[[defence.sensors]]", f'name = "{name}"', f'type = "{kind}"']
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in figures.items()]
    return "\n".join(lines) + "\n"


INSTANT = {"shape": "constant", "range_m": 100000, "rate_per_s": 50}


def _effector(name: str, kind: str, **figures: object) -> str:
    lines = [f"[[defence.effectors]]", f'name = "{name}"', f'type = "{kind}"']
    lines += [f"{key} = {value!r}" for key, value in figures.items()]
    return "\n".join(lines) + "\n"


def _mean(text: str, column: str, runs: int = 4000, seed: int = 5) -> float:
    table = run(parse_scenario(text), runs, seed=seed).table
    return float(np.nanmean(table.column(column).to_numpy(zero_copy_only=False)))


# --- first come, first served: against an exact, one-job-at-a-time queue -------------------------

def _queue_by_hand(ready, last_start, release, service, servers):
    """The queue written the plainest way: jobs in order of readiness, each to the server free
    first, dropped when it could only start too late."""
    free = [-math.inf] * servers
    start = [math.inf] * len(ready)
    for job in sorted(range(len(ready)), key=lambda i: (ready[i], i)):
        if math.isinf(ready[job]):
            continue
        server = min(range(servers), key=lambda s: (free[s], s))
        begins = max(ready[job], free[server])
        if begins <= last_start[job]:
            start[job] = begins
            free[server] = max(release[job], begins + service)
    return start


times = st.one_of(st.floats(0, 100, allow_nan=False), st.just(math.inf))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(times, st.floats(0, 120), st.floats(-1, 150)), min_size=1, max_size=7),
       st.integers(1, 4), st.sampled_from([0.0, 3.0, 25.0]))
def test_first_come_matches_an_exact_queue(jobs, servers, service) -> None:
    ready, last, release = (np.array([[job[i] for job in jobs]]) for i in range(3))
    expected = _queue_by_hand(ready[0], last[0], release[0], service, servers)
    assert first_come(ready, last, release, service, servers)[0].tolist() == expected


def test_one_camera_operator_identifies_one_drone_at_a_time() -> None:
    """Four drones arrive together; one operator takes 10 s for each: 0, 10, 20, 30 s late."""
    ready = np.zeros((1, 4))
    starts = first_come(ready, np.full((1, 4), 100.0), np.full((1, 4), -np.inf), 10.0, 1)
    assert sorted(starts[0]) == [0.0, 10.0, 20.0, 30.0]
    # with four operators nobody waits
    assert first_come(ready, np.full((1, 4), 100.0), np.full((1, 4), -np.inf), 10.0, 4)[0].tolist() == [0.0] * 4


# --- track capacity ----------------------------------------------------------------------------

def test_a_full_track_picture_misses_simultaneous_drones() -> None:
    """Three drones launched together, a radar holding one track: the first is held until it
    delivers, so the other two are never seen; with three tracks all three are."""
    def detected(capacity: int) -> float:
        return _mean(_scenario(sorties=_strikes(3), sensors=_sensor(
            "radar", "drone_radar", track_capacity=capacity, false_alarms_per_h=0, **INSTANT)),
            "detected", runs=500)
    assert detected(1) == 1.0
    assert detected(3) == 3.0


def test_a_released_track_lets_the_next_drone_in() -> None:
    """Two drones 300 s apart, one track: the first's track ends (delivery at 200 s) before the
    second is launched, so both are seen."""
    text = _scenario(sorties=_strikes(1, name="first") + _strikes(1, window=(300, 300), name="second"),
                     sensors=_sensor("radar", "drone_radar", track_capacity=1, false_alarms_per_h=0,
                                     **INSTANT))
    assert _mean(text, "detected", runs=200) == 2.0


# --- identification ----------------------------------------------------------------------------

def _gun_kill_time_scenario(classify_s: float, capacity: int = 1, count: int = 1) -> str:
    """A camera that identifies everywhere after `classify_s`, a certain gun with 1 s engagements
    reaching 1,400 m: the drone falls at its identification plus 1 s after entering range."""
    return _scenario(
        sorties=_strikes(count),
        sensors=_sensor("camera", "eo_ir_camera", classify_range_m=100000, classify_s=classify_s,
                        track_capacity=capacity, **INSTANT)
        + _sensor("radar", "drone_radar", track_capacity=64, false_alarms_per_h=0, **INSTANT),
        effectors=_effector("gun", "gun", range_max_m=100000.0, engage_s=1.0, p_kill=1.0))


def test_identification_takes_its_stated_time() -> None:
    """Detected at once, identified after classify_s, killed one engagement later; with a longer
    classification the sortie flies that much further in."""
    quick = run(parse_scenario(_gun_kill_time_scenario(5.0)), 50, seed=1).table
    slow = run(parse_scenario(_gun_kill_time_scenario(150.0)), 50, seed=1).table
    assert quick.column("identified").to_numpy().tolist() == [1] * 50
    assert quick.column("defeated").to_numpy().tolist() == [1] * 50
    # 2,800 m at 14 m/s is 200 s: 150 s of classifying still leaves time, 250 s would not
    assert slow.column("defeated").to_numpy().tolist() == [1] * 50
    never = run(parse_scenario(_gun_kill_time_scenario(250.0)), 50, seed=1).table
    assert never.column("identified").to_numpy().sum() == 0
    assert never.column("leakers").to_numpy().tolist() == [1] * 50


def test_identification_time_comes_out_of_the_guns_window() -> None:
    """The camera identifies only within the gun's 300 m, which the drone crosses in 21.4 s: 15 s
    of identifying leave the gun one 5 s burst (defeat 1/2), where an instant identification
    would leave four (15/16)."""
    text = _scenario(
        sorties=_strikes(1),
        sensors=_sensor("camera", "eo_ir_camera", classify_range_m=300, classify_s=15.0,
                        **INSTANT),
        effectors=_effector("gun", "gun", range_max_m=300.0, engage_s=5.0, p_kill=0.5))
    defeated = run(parse_scenario(text), 20_000, seed=14).table.column("defeated").to_numpy()
    assert abs(defeated.mean() - 0.5) < 5 * math.sqrt(0.25 / len(defeated))


def test_an_overloaded_operator_lets_a_swarm_through() -> None:
    """Six drones at once and a 60 s identification: one operator gets three identified in the 200
    s they fly (at 60, 120 and 180 s), six operators get all six."""
    one = _mean(_gun_kill_time_scenario(60.0, capacity=1, count=6), "identified", runs=200)
    six = _mean(_gun_kill_time_scenario(60.0, capacity=6, count=6), "identified", runs=200)
    assert one == 3.0 and six == 6.0


def test_a_camera_changes_what_a_radar_defence_does() -> None:
    """With a radar alone the gun answers every false track; adding a camera screens them out at
    the cost of identification time: cameras are no longer worthless beside a radar."""
    sorties = _strikes(2, start_m=2800, window=(0, 3600))
    radar = _sensor("radar", "drone_radar", false_alarms_per_h=240, **INSTANT)  # birds at dawn
    camera = _sensor("camera", "eo_ir_camera", classify_range_m=100000, classify_s=2.0,
                     track_capacity=4, **INSTANT)
    gun = _effector("gun", "gun", range_max_m=3000.0, engage_s=30.0, p_kill=0.3)
    alone = parse_scenario(_scenario(sorties=sorties, sensors=radar, effectors=gun))
    layered = parse_scenario(_scenario(sorties=sorties, sensors=radar + camera, effectors=gun))
    a, b = run(alone, 3000, seed=2).table, run(layered, 3000, seed=2).table
    assert a.column("false_alarms").to_numpy().mean() > 200  # about 240 an hour over ~1 h
    assert b.column("false_alarms").to_numpy().sum() == 0
    assert b.column("defeated").to_numpy().mean() > a.column("defeated").to_numpy().mean() + 0.1


def test_false_alarms_follow_their_rate() -> None:
    """No classifier: false tracks are a Poisson process over the scenario's span (launch window
    end plus the track, 3,600 + 200 s here): mean and variance both rate × span."""
    rate, span = 30.0, 3600 + 2800 / SPEED
    text = _scenario(sorties=_strikes(1, window=(0, 3600)),
                     sensors=_sensor("radar", "drone_radar", false_alarms_per_h=rate, **INSTANT))
    counts = run(parse_scenario(text), 4000, seed=3).table.column("false_alarms").to_numpy()
    expected = rate * span / 3600
    assert abs(counts.mean() - expected) < 5 * math.sqrt(expected / len(counts))
    assert abs(counts.var() / expected - 1) < 0.1


def test_false_alarms_cost_the_effectors_their_shots() -> None:
    """Each false track a gun takes up costs it one burst: the defender's cost rises by the
    ammunition, paired under common random numbers."""
    sorties = _strikes(1, window=(0, 3600))
    gun = _effector("gun", "gun", range_max_m=300.0)
    quiet = parse_scenario(_scenario(sorties=sorties, effectors=gun, sensors=_sensor(
        "radar", "drone_radar", false_alarms_per_h=0, **INSTANT)))
    noisy = parse_scenario(_scenario(sorties=sorties, effectors=gun, sensors=_sensor(
        "radar", "drone_radar", false_alarms_per_h=20, **INSTANT)))
    change = compare(quiet, noisy, 2000, seed=4).metrics["defender_cost_usd"]
    per_burst = 20.0  # the gun's ammunition per engagement in the catalogue
    expected = 20 * (3600 + 200) / 3600 * per_burst
    assert change["difference"] == pytest.approx(expected, rel=0.1)


# --- inventory and policy -----------------------------------------------------------------------

def _interceptors(inventory: int) -> str:
    return _scenario(
        sorties=_strikes(6, window=(0, 1200)),
        sensors=_sensor("radar", "drone_radar", false_alarms_per_h=0, **INSTANT),
        effectors=_effector("interceptors", "interceptor_drone", inventory=inventory, p_kill=0.9,
                            engage_s=20.0))


def test_an_interceptor_launcher_runs_empty() -> None:
    """Two interceptors cannot stop more than two of six drones, nor be paid for more than twice;
    four stop more."""
    def spent(inventory: int) -> np.ndarray:
        table = run(parse_scenario(_interceptors(inventory)), 2000, seed=6).table
        assert table.column("defeated").to_numpy().max() <= inventory
        return table.column("defender_cost_usd").to_numpy() - table.column("value_lost_usd").to_numpy()
    assert (spent(2) - spent(0)).max() == pytest.approx(2 * 1500)  # at 1,500 each, never a third
    assert _mean(_interceptors(4), "defeated", 2000) > _mean(_interceptors(2), "defeated", 2000) + 0.5


def _isr_then_strike(policy: str) -> str:
    """A jammer held by a fibre-optic drone it cannot touch until that one delivers (107 s); by
    then a fibre-optic ISR drone (in range since 36 s) and a radio-linked strike drone (since 56
    s) both wait. By arrival it takes the loiterer and stays on it while the strike drone delivers
    (127 s); strike first, it gets two tries at the strike drone."""
    sorties = """
[[threat.sorties]]
name = "decoy"
platform = "mavic_3"
count = 1
role = "strike"
start_range_m = 1500
emits = false
[[threat.sorties]]
name = "watcher"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = 1500
standoff_m = 200
dwell_s = 600
emits = false
""" + _strikes(1, start_m=1500, window=(20, 20))
    return _scenario(sorties=sorties, policy=policy,
                     sensors=_sensor("radar", "drone_radar", false_alarms_per_h=0, **INSTANT),
                     effectors=_effector("jammer", "rf_jammer", range_max_m=1000.0, engage_s=10.0,
                                         p_kill=0.5))


def test_strike_drones_are_served_before_isr_drones() -> None:
    first = parse_scenario(_isr_then_strike("arrival"))
    strike_first = parse_scenario(_isr_then_strike("strike_first"))
    change = compare(first, strike_first, 3000, seed=7).metrics["leakers"]
    assert change["difference"] < -0.5 and change["ci95"][1] < 0


# --- cover and its duration ---------------------------------------------------------------------

def test_latest_before_finds_the_latest_alert_at_or_before_each_time() -> None:
    rng = np.random.default_rng(8)
    alerts = np.where(rng.random((50, 6)) < 0.2, np.inf, rng.uniform(0, 100, (50, 6)))
    times = rng.uniform(0, 100, (50, 3))
    times[0, 0] = alerts[0, 0] = 40.0  # an alert at the moment of a delivery counts
    expected = [[max((a for a in row_a if a <= t), default=-np.inf) for t in row_t]
                for row_a, row_t in zip(alerts, times, strict=True)]
    assert latest_before(alerts, times).tolist() == expected


def test_cover_minutes_are_the_union_of_cover_periods() -> None:
    alerts = np.array([[0.0, 600.0, np.inf], [0.0, 3000.0, 5000.0], [np.inf, np.inf, np.inf]])
    # 1,800 s of cover each: overlapping periods count once
    assert cover_minutes(alerts, 1800.0).tolist() == [40.0, 90.0, 0.0]


def _early_alert_then_strike(duration_s: float, strike_at_s: float) -> str:
    """A watcher seen at once at the start; a strike that the radar cannot see (fibre-optic, RF
    only) arrives `strike_at_s` later: people are in cover only while the first alert lasts."""
    sorties = """
[[threat.sorties]]
name = "watcher"
platform = "mavic_3"
count = 1
role = "isr"
start_range_m = 1000
standoff_m = 900
dwell_s = 60
""" + f"""
[[threat.sorties]]
name = "strike"
platform = "fpv_fibre"
count = 1
role = "strike"
start_range_m = 1000
launch_window_s = [{strike_at_s}, {strike_at_s}]
"""
    passive = f"""[defence.passive]
warning = true
cover_time_s = 30
cover_share = 1.0
cover_duration_s = {duration_s}
"""
    return _scenario(sorties=sorties, passive=passive, personnel=100,
                     sensors=_sensor("rf", "rf_detector", classify_s=0, false_alarms_per_h=0, **INSTANT))


def test_an_old_alert_does_not_cover_a_late_strike() -> None:
    """Cover for 30 minutes: a strike 10 minutes after the alert finds everyone covered, one
    45 minutes later finds them in the open (and covered again if cover lasted two hours)."""
    early = _mean(_early_alert_then_strike(1800, 600), "casualties_expected", 200)
    late = _mean(_early_alert_then_strike(1800, 2700), "casualties_expected", 200)
    held_all_night = _mean(_early_alert_then_strike(7200, 2700), "casualties_expected", 200)
    assert early == 0.0 and held_all_night == 0.0
    in_the_open = 5 * load_catalogue().platforms["fpv_fibre"].p_casualty  # five exposed
    assert late == pytest.approx(in_the_open) and in_the_open > 0
    assert _mean(_early_alert_then_strike(1800, 600), "cover_min", 50) == 30.0


SENSOR_TYPES = ["drone_radar", "rf_detector", "eo_ir_camera", "observers", "acoustic_array"]


def _layout(sensors: list[str], effectors: str = "") -> str:
    """Six drops and an ISR pair at night (the post-assault threat), seen by `sensors`."""
    sorties = _strikes(6, start_m=2500, window=(3600, 5400)) + """
[[threat.sorties]]
name = "watchers"
platform = "matrice_30t"
count = 2
role = "isr"
start_range_m = 4000
standoff_m = 800
launch_window_s = [0, 3600]
"""
    return _scenario(sorties=sorties, effectors=effectors,
                     sensors="".join(_sensor(kind, kind) for kind in sensors))


@pytest.mark.parametrize("first, second", list(itertools.permutations(SENSOR_TYPES, 2)))
def test_adding_a_sensor_never_delays_the_first_detection(first, second) -> None:
    """Pathwise under common random numbers (the same seed): each replication's first detection
    with a second sensor is no later than with the first alone, track capacity included."""
    def first_detection(sensors: list[str]) -> np.ndarray:
        table = run(parse_scenario(_layout(sensors)), 3000, seed=9).table
        times = table.column("first_detection_s").to_numpy(zero_copy_only=False)
        return np.where(np.isnan(times), np.inf, times)
    alone, both = first_detection([first]), first_detection([first, second])
    assert (both <= alone + 1e-9).all()


def test_a_sensor_without_classification_can_divert_the_gun() -> None:
    """Adding a sensor is not always better: an acoustic array's false tracks keep a gun busy when
    nothing on the site can screen them, and some drops that the gun stopped before now land. The
    model reports this (it is real) rather than forbid it."""
    gun = _effector("gun", "gun", range_max_m=600.0, engage_s=20.0, p_kill=0.3)
    radar = parse_scenario(_layout(["drone_radar"], gun))
    noisy = parse_scenario(_layout(["drone_radar", "acoustic_array"], gun))
    a, b = run(radar, 4000, seed=10).table, run(noisy, 4000, seed=10).table
    leak_a, leak_b = a.column("leakers").to_numpy(), b.column("leakers").to_numpy()
    assert (leak_b > leak_a).any()
    assert b.column("false_alarms").to_numpy().mean() > a.column("false_alarms").to_numpy().mean()


def test_weapons_free_trades_identification_time_for_false_tracks() -> None:
    """The same radar and camera: identifying first screens the radar's false tracks out; weapons
    free engages sooner and lets them through to the gun."""
    sorties = _strikes(2, start_m=2800, window=(0, 3600))
    sensors = (_sensor("radar", "drone_radar", false_alarms_per_h=30, **INSTANT)
               + _sensor("camera", "eo_ir_camera", classify_range_m=600, classify_s=20.0))
    gun = _effector("gun", "gun", range_max_m=1000.0, engage_s=10.0, p_kill=0.3)
    careful = parse_scenario(_scenario(sorties=sorties, sensors=sensors, effectors=gun))
    free = parse_scenario(_scenario(sorties=sorties, sensors=sensors, effectors=gun).replace(
        'engagement_policy = "strike_first"', 'engagement_policy = "strike_first"\nidentify_first = false'))
    a, b = run(careful, 2000, seed=11).table, run(free, 2000, seed=11).table
    assert a.column("false_alarms").to_numpy().sum() == 0
    assert b.column("false_alarms").to_numpy().mean() > 20
    assert b.column("defeated").to_numpy().mean() > a.column("defeated").to_numpy().mean()


def test_an_effector_added_can_divert_another() -> None:
    """A one-round gun downs the decoy at 37 s; freed that early, the jammer takes up the only
    target it can engage, the loitering fibre-optic drone it cannot touch, and is still on it when
    the strike drone comes. Without the gun it would have waited on the decoy until 107 s and then
    taken the strike drone: adding an effector lets strikes through, and the model says so."""
    jammer_only = parse_scenario(_isr_then_strike("strike_first"))
    with_gun = parse_scenario(_isr_then_strike("strike_first") + _effector(
        "one round", "gun", range_max_m=1000.0, engage_s=1.0, p_kill=1.0, inventory=1))
    a, b = run(jammer_only, 3000, seed=15).table, run(with_gun, 3000, seed=15).table
    # the jammer's only possible kill is the strike drone: it stops it two times in three alone,
    # never once the gun has freed it early
    assert a.column("defeated_by_jammer").to_numpy().mean() > 0.5
    assert b.column("defeated_by_jammer").to_numpy().sum() == 0
    assert b.column("defeated_by_one round").to_numpy().min() == 1  # the decoy, every time

"""Jammers against the sorties that listen (docs/simulator.md, Engagement): a class that does not emit is immune, and
whether a sortie flies through jamming on its own is drawn once per sortie, not per try.

Tolerances as in test_sim_closed_forms: 5 binomial standard errors at R = 100,000.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sahelsim.runtime.local import LocalExecutor
from sahelsim.sim.catalogue import load_catalogue
from sahelsim.sim.engine import run
from sahelsim.sim.scenario import load_scenario, parse_scenario

RUNS = 100_000
SPEED = 14.0  # m/s, the Mavic 3's transit speed in the catalogue
WINDOW_M = 1400.0  # the jammers reach; 100 s of flight at SPEED


def _tolerance(p: float, n: int) -> float:
    return 5 * math.sqrt(max(p * (1 - p), 1e-4) / n)


def _scenario(*, platform: str = "mavic_3", sortie: str = "", jammers: int = 1, tries: int = 1,
              p_kill: float = 0.5, sensor: str = "", engage_s: float | None = None) -> str:
    """One strike sortie seen at once; each jammer gets exactly `tries` tries in its window (unless
    `engage_s` says how long one try takes)."""
    effectors = "".join(f"""
[[defence.effectors]]
name = "jammer {i}"
type = "rf_jammer"
range_min_m = 0
range_max_m = {WINDOW_M}
engage_s = {engage_s or WINDOW_M / SPEED / (tries + 0.5)}
p_kill = {p_kill}
""" for i in range(jammers))
    return f"""
name = "jamming"
title = "jamming"
[site]
kind = "post"
name = "post"
personnel = 10
[threat]
actor = "unknown"
[[threat.sorties]]
name = "strike"
platform = "{platform}"
count = 1
role = "strike"
start_range_m = 3000
{sortie}
[[defence.sensors]]
name = "instant"
type = "{sensor or 'eo_ir_camera'}"
shape = "constant"
range_m = 100000
rate_per_s = 50
classify_range_m = 100000
classify_s = 0
[defence.command_delay]
median_s = 0.001
sigma = 0
""" + effectors


def _leak_share(text: str, runs: int = RUNS, seed: int = 3) -> float:
    return float(run(parse_scenario(text), runs, seed=seed).table.column("leakers").to_numpy().mean())


@pytest.mark.parametrize("jammers", [1, 2])
@pytest.mark.parametrize("tries", [1, 4, 12])
def test_the_share_surviving_jamming_tends_to_the_autonomy_share_not_to_zero(tries, jammers) -> None:
    """An autonomous sortie is immune to every try of every jammer; a jammable one survives
    all of them with (1 − p)^(tries · jammers). Per-try autonomy would leak (1 − (1 − a)p)^n → 0."""
    a, p = load_catalogue().platforms["mavic_3"].autonomy_share, 0.5
    assert 0 < a < 1
    expected = a + (1 - a) * (1 - p) ** (tries * jammers)
    observed = _leak_share(_scenario(jammers=jammers, tries=tries, p_kill=p))
    assert abs(observed - expected) < _tolerance(expected, RUNS), (observed, expected)


def test_a_sortie_that_does_not_emit_is_immune_to_jammers() -> None:
    listening = _leak_share(_scenario(tries=12, p_kill=1.0), runs=2000)
    deaf = _leak_share(_scenario(tries=12, p_kill=1.0, sortie="emits = false"), runs=2000)
    assert listening < 0.5 and deaf == 1.0


def test_fibre_optic_fpv_is_in_the_catalogue_and_does_not_emit() -> None:
    catalogue = load_catalogue()
    fibre = catalogue.platforms["fpv_fibre"]
    assert fibre.platform_class == "fpv" and not fibre.emits and fibre.expendable
    assert all(figure.source for path, figure in catalogue.figures.items()
               if path.startswith("platforms.fpv_fibre."))


def test_fibre_optic_fpv_in_a_scenario_file_is_neither_heard_nor_jammed() -> None:
    jammed = run(parse_scenario(_scenario(platform="fpv_fibre", tries=12, p_kill=1.0)), 2000, seed=1)
    assert jammed.table.column("leakers").to_numpy().min() == 1
    unheard = run(parse_scenario(_scenario(platform="fpv_fibre", sensor="rf_detector", p_kill=1.0)),
                  2000, seed=1)
    assert unheard.table.column("detected").to_numpy().max() == 0


def test_a_gun_still_defeats_a_fibre_optic_fpv() -> None:
    text = _scenario(platform="fpv_fibre", jammers=0) + """
[[defence.effectors]]
name = "gun"
type = "gun"
p_kill = 0.5
"""
    assert _leak_share(text, runs=2000) < 1.0


def test_jammed_runs_are_the_same_for_any_chunk_size_or_worker_count() -> None:
    scenario = load_scenario("post-drone-assault@improved")
    assert any(e.type == "rf_jammer" for e in scenario.defence.effectors)
    reference = run(scenario, 4000, seed=9, chunk_size=4096).table
    assert run(scenario, 4000, seed=9, chunk_size=1000).table.equals(reference)
    assert run(scenario, 4000, seed=9, chunk_size=1500, executor=LocalExecutor(2)).table.equals(reference)


def test_a_jammer_added_leaves_every_other_number_of_a_replication_alone() -> None:
    """The autonomy draw comes after every other draw of its stream: a defence without a jammer
    draws the same numbers for everything else (common random numbers)."""
    base = parse_scenario(_scenario(jammers=0))
    with_jammer = parse_scenario(_scenario(jammers=1, p_kill=0.0))
    a, b = (run(s, 3000, seed=4).table for s in (base, with_jammer))
    for column in ("first_detection_s", "leakers", "casualties", "defender_losses"):
        assert np.array_equal(a.column(column).to_numpy(zero_copy_only=False),
                              b.column(column).to_numpy(zero_copy_only=False), equal_nan=True)


def test_a_jammer_spends_its_time_on_a_sortie_it_cannot_touch() -> None:
    """Its crew cannot tell a deaf drone from a listening one: a drone without a radio link that
    arrives first holds the jammer until it delivers, and the listening drone 50 s behind it then
    has 50 s in the jammer's reach, too short for one 60 s try. Alone, it would get one try."""
    follower = """
[[threat.sorties]]
name = "follower"
platform = "mavic_3"
count = 1
role = "strike"
start_range_m = 3000
launch_window_s = [50, 50]
"""
    alone = _scenario(engage_s=60, p_kill=1.0, sortie="launch_window_s = [50, 50]")
    behind_a_deaf_one = _scenario(engage_s=60, p_kill=1.0, sortie="emits = false\n" + follower)
    a = load_catalogue().platforms["mavic_3"].autonomy_share
    assert abs(_leak_share(alone, runs=20_000) - a) < _tolerance(a, 20_000)
    assert _leak_share(behind_a_deaf_one, runs=2000) == 2.0

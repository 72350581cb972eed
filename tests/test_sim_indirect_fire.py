"""Indirect fire: rockets and mortars on one kind of asset, a threat layer beside the drones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sahelsim.analysis.calibration import declared_text
from sahelsim.errors import UserError
from sahelsim.sim import engine
from sahelsim.sim.effects import AssetLosses
from sahelsim.sim.indirect_fire import IndirectFirePlan, fire
from sahelsim.sim.scenario import load_scenario, parse_scenario, scenario_file

SCENARIO = "niamey-airbase-raid"
RUNS = 20_000


def _untouched(count: int, runs: int = RUNS) -> AssetLosses:
    zeros = np.zeros((1, runs), dtype=np.int64)
    return AssetLosses(zeros, zeros.copy())


def test_rounds_are_poisson_and_each_hits_and_destroys_by_its_chance() -> None:
    u = np.random.default_rng(1).random((RUNS, 3))
    plan = IndirectFirePlan(target=0, rounds=40.0, p_hit=0.25, p_destroy=0.5)
    after = fire(plan, _untouched(10_000), np.array([10_000]), u)
    hits, kills = after.damaged_by_kind[0], after.destroyed_by_kind[0]
    # Binomial thinning of a Poisson is Poisson: hits ~ Poisson(10), kills ~ Poisson(5)
    assert hits.mean() == pytest.approx(10.0, rel=0.02) and hits.var() == pytest.approx(10.0, rel=0.05)
    assert kills.mean() == pytest.approx(5.0, rel=0.03)
    shares = np.bincount(kills, minlength=12)[:12] / RUNS
    np.testing.assert_allclose(shares, stats.poisson.pmf(np.arange(12), 5.0), atol=0.006)
    sheltered = fire(IndirectFirePlan(0, 40.0, 0.25, 0.5, shelter=0.6), _untouched(10_000), np.array([10_000]), u)
    assert sheltered.damaged_by_kind[0].mean() == pytest.approx(10.0 * 0.4, rel=0.03)


def test_rounds_fall_only_on_what_is_still_standing() -> None:
    u = np.random.default_rng(2).random((RUNS, 3))
    drones = AssetLosses(np.full((1, RUNS), 5, dtype=np.int64), np.full((1, RUNS), 3, dtype=np.int64))
    after = fire(IndirectFirePlan(0, 60.0, 1.0, 1.0), drones, np.array([8]), u)
    assert (after.destroyed_by_kind[0] == 8).all() and (after.damaged_by_kind[0] == 8).all()
    none = fire(IndirectFirePlan(0, 0.0, 1.0, 1.0), drones, np.array([8]), u)
    assert np.array_equal(none.damaged_by_kind, drones.damaged_by_kind)
    assert np.array_equal(none.destroyed_by_kind, drones.destroyed_by_kind)


def _without_fire() -> str:
    text = declared_text(SCENARIO)
    start = text.index("[threat.indirect_fire]")
    return text[:start] + text[text.index("[defence]", start):]


def test_the_layer_adds_damage_and_moves_no_other_number() -> None:
    with_fire = engine.run(parse_scenario(declared_text(SCENARIO), file="niamey.toml"), 4000, seed=3).table
    without = engine.run(parse_scenario(_without_fire(), file="niamey.toml"), 4000, seed=3).table
    assert with_fire.column("assets_damaged").to_numpy().mean() > \
        without.column("assets_damaged").to_numpy().mean() + 1
    assert (with_fire.column("assets_damaged").to_numpy() >= without.column("assets_damaged").to_numpy()).all()
    for column in ("leakers", "defeated", "casualties", "attacker_losses", "defender_losses"):
        assert with_fire.column(column).equals(without.column(column)), column


def test_shelters_lower_what_the_rounds_hit() -> None:
    scenario = load_scenario(SCENARIO)
    plan = engine.compile_plan(scenario)
    hardened = engine.compile_plan(load_scenario(SCENARIO, "improved")).indirect_fire
    assert plan.indirect_fire.shelter == 0.0 and hardened.shelter > 0.5
    assert hardened.rounds == plan.indirect_fire.rounds  # the threat never varies between defences


def test_a_target_that_is_not_an_asset_is_one_line_naming_the_field() -> None:
    text = scenario_file(SCENARIO).read_text("utf-8").replace(
        'target = "military aircraft in the drone hangar"\nrounds', 'target = "fuel depot"\nrounds', 1)
    with pytest.raises(UserError, match="expected an asset of the site") as caught:
        parse_scenario(text, file="mine.toml")
    assert caught.value.field == "threat.indirect_fire.target"

"""`--uncertain`: uncertain figures drawn per replication, reproducibly, and said so in the summary."""

from __future__ import annotations

import numpy as np
import pytest

from sahelsim.runtime.local import LocalExecutor
from sahelsim.runtime.seeds import BLOCK
from sahelsim.sim import engine
from sahelsim.sim.scenario import load_scenario
from sahelsim.sim.uncertainty import ROW_FIGURES, uncertainty

SCENARIO = "post-drone-assault"


def test_the_uncertain_figures_are_those_with_a_range_and_those_that_shape_the_plan_are_kept() -> None:
    scenario = load_scenario(SCENARIO)
    inputs = uncertainty(scenario)
    ranged = {p for p, f in scenario.figures.items() if f.low is not None and f.high is not None and f.high > f.low}
    assert set(inputs.ranges) | set(inputs.kept) | set(inputs.posterior) == ranged
    assert set(inputs.ranges) | set(inputs.posterior) <= set(ROW_FIGURES) and not set(inputs.kept) & set(ROW_FIGURES)
    assert "threat.assault.attackers" in inputs.ranges and "threat.sorties[1].count" in inputs.kept
    assert inputs.ranges["threat.assault.attackers"] == (100, 400)
    # the calibrated figures come from the posterior, not their ranges
    assert set(inputs.posterior) == set(scenario.calibration.figures)
    assert "defence.ground.beta_per_min" in inputs.posterior


def test_each_block_draws_one_value_in_each_stratum_of_each_range() -> None:
    inputs = uncertainty(load_scenario(SCENARIO))
    draws = inputs.draw(seed=3, start=BLOCK, stop=3 * BLOCK)
    for path, (low, high) in inputs.ranges.items():
        for block in (draws[path][:BLOCK], draws[path][BLOCK:]):
            assert ((block >= low) & (block <= high)).all()
            strata = np.floor((block - low) / (high - low) * BLOCK).astype(int)
            assert sorted(strata) == list(range(BLOCK)), path
    first, second = draws["threat.assault.attackers"], draws["site.personnel"]
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.1  # each figure is its own column


def test_a_figures_draws_depend_on_its_path_and_the_seed_not_on_the_chunk_or_the_others() -> None:
    scenario = load_scenario(SCENARIO)
    inputs = uncertainty(scenario)
    whole = inputs.draw(seed=1, start=0, stop=2000)
    pieces = [inputs.draw(seed=1, start=a, stop=b) for a, b in ((0, 700), (700, 1500), (1500, 2000))]
    for path in inputs.ranges:
        assert np.array_equal(whole[path], np.concatenate([p[path] for p in pieces]))
    alone = type(inputs)(ranges={"site.personnel": inputs.ranges["site.personnel"]}, kept=())
    assert np.array_equal(alone.draw(1, 0, 2000)["site.personnel"], whole["site.personnel"])
    assert not np.array_equal(inputs.draw(2, 0, 2000)["threat.assault.attackers"], whole["threat.assault.attackers"])
    # a variant shares the threat's figures: the same values, replication by replication
    improved = uncertainty(load_scenario(SCENARIO, "improved")).draw(1, 0, 2000)
    assert np.array_equal(improved["threat.assault.attackers"], whole["threat.assault.attackers"])


def test_an_uncertain_run_is_the_same_for_any_chunk_size_or_executor() -> None:
    scenario = load_scenario(SCENARIO)
    reference = engine.run(scenario, 3000, seed=4, uncertain=True).table
    assert engine.run(scenario, 3000, seed=4, uncertain=True, chunk_size=700,
                      executor=LocalExecutor(2)).table.equals(reference)
    assert not engine.run(scenario, 3000, seed=4).table.equals(reference)


def test_drawing_the_figures_widens_the_spread_of_outcomes_and_the_summary_says_so() -> None:
    scenario = load_scenario(SCENARIO)
    fixed = engine.run(scenario, 4000, seed=6, keep_table=False).summary
    drawn = engine.run(scenario, 4000, seed=6, keep_table=False, uncertain=True).summary
    assert fixed["inputs"]["figures"] == "at their values" and not fixed["inputs"]["drawn"]
    assert drawn["inputs"]["figures"] == "drawn per replication"
    assert set(drawn["inputs"]["drawn"]) == set(uncertainty(scenario).ranges)
    for name in ("assault_defender_losses", "attacker_losses"):
        assert drawn["means"][name]["sd"] > 1.5 * fixed["means"][name]["sd"], name


def test_an_uncertain_run_is_the_plan_simulated_with_the_drawn_figures() -> None:
    scenario = load_scenario("tessalit-fpv-helicopter")  # no assault: delay and personnel drawn
    inputs = uncertainty(scenario)
    assert set(inputs.ranges) | set(inputs.posterior) == {"defence.command_delay.median_s",
                                                           "defence.command_delay.sigma", "site.personnel"}
    table = engine.run(scenario, 1500, seed=2, uncertain=True).table
    rows = engine.simulate_chunk(engine.compile_plan(scenario), 2, 0, 1500, inputs.draw(2, 0, 1500))
    for column, numbers in rows.items():
        assert np.array_equal(table.column(column).to_numpy(zero_copy_only=False), numbers, equal_nan=True)


def test_a_comparison_under_uncertainty_keeps_common_draws(tmp_path) -> None:
    base, improved = load_scenario(SCENARIO), load_scenario(SCENARIO, "improved")
    paired = engine.compare(base, improved, 3000, seed=8, uncertain=True)
    assert [i["figures"] for i in paired.inputs] == ["drawn per replication"] * 2
    change = paired.metrics["attacker_losses"]
    separate = [engine.run(s, 3000, seed=8, uncertain=True).table.column("attacker_losses").to_numpy()
                for s in (base, improved)]
    unpaired = 1.96 * np.sqrt(sum(np.var(x, ddof=1) for x in separate) / 3000)
    assert change["difference"] == pytest.approx(separate[1].mean() - separate[0].mean())
    assert change["halfwidth"] < unpaired  # common random numbers and common figure draws pay off


def test_fitted_figures_are_drawn_jointly_from_the_posterior_draws() -> None:
    """One draw index for all fitted figures: the posterior's dependence between them survives."""
    scenario = load_scenario(SCENARIO)
    inputs = uncertainty(scenario)
    fitted = scenario.calibration.figures
    draws = inputs.draw(seed=5, start=0, stop=2 * BLOCK)
    table = np.array([fit.draws for fit in fitted.values()]).T  # (draws, figures)
    drawn = np.array([draws[path] for path in fitted]).T
    kept = {}
    for row in map(tuple, table):
        kept[row] = kept.get(row, 0) + 1  # a joint draw the resampling kept m times
    found, counts = np.unique(drawn, axis=0, return_counts=True)
    assert all(tuple(row) in kept for row in found)  # whole joint draws, never mixed
    per_draw = 2 * BLOCK / len(table)  # two blocks, each spread evenly over the draws' indices
    for row, count in zip(map(tuple, found), counts):
        assert abs(count - kept[row] * per_draw) <= 4 * kept[row], row  # ±2 per block at the bins' ends
    fixed = engine.run(scenario, 2000, seed=5, keep_table=False).summary
    assert fixed["inputs"]["posterior"] == []
    summary = engine.run(scenario, 2000, seed=5, keep_table=False, uncertain=True).summary
    assert summary["inputs"]["posterior"] == sorted(fitted)

"""Figures that take one value per replication: what uncertainty runs and calibration rest on.

Replication i with a figure set per replication must be exactly replication i of the scenario
with that figure set once for all (`with_figures`): the random numbers do not move, only the figure.
"""

from __future__ import annotations

import numpy as np
import pytest

from sahelsim.sim import engine
from sahelsim.sim.scenario import load_scenario, with_figures

SCENARIO = "post-drone-assault"  # an assault that often overruns the post, with a relief column
START, STOP, SEED = 200, 224, 11


def _values(path: str, scenario, rng: np.random.Generator) -> np.ndarray:
    figure = scenario.figures.get(path)
    low, high = (figure.low, figure.high) if figure is not None and figure.low is not None else (0.1, 0.9)
    values = rng.uniform(low, high, STOP - START)
    return np.rint(values) if path in engine.WHOLE_FIGURES else values


@pytest.mark.parametrize("path", sorted(engine.ROW_FIGURES))
def test_a_figure_per_replication_is_the_figure_set_for_that_replication(path: str) -> None:
    changed = False
    name = "niamey-airbase-raid" if path.startswith("threat.indirect_fire") else SCENARIO
    for scenario in (load_scenario(name), load_scenario(name, "improved")):
        values = _values(path, scenario, np.random.default_rng(len(path)))
        plan = engine.compile_plan(scenario)
        rows = engine.simulate_chunk(plan, SEED, START, STOP, figures={path: values})
        base = engine.simulate_chunk(plan, SEED, START, STOP)
        for i, value in enumerate(values):
            alone = with_figures(scenario, {path: float(value)})
            one = engine.simulate_chunk(engine.compile_plan(alone), SEED, START, STOP)
            for column, numbers in one.items():
                assert np.array_equal(numbers[i], rows[column][i], equal_nan=True), (path, value, column)
            changed |= any(not np.array_equal(base[c], one[c], equal_nan=True) for c in one)
    assert changed, f"{path}: no value changed any replication; the test would not see a mistake"


def test_several_figures_per_replication_at_once_match_the_scenario_with_all_of_them() -> None:
    scenario = load_scenario(SCENARIO)
    rng = np.random.default_rng(5)
    paths = ["threat.assault.attackers", "defence.ground.beta_per_min", "site.personnel",
             "defence.command_delay.median_s"]
    values = {path: _values(path, scenario, rng) for path in paths}
    rows = engine.simulate_chunk(engine.compile_plan(scenario), SEED, START, STOP, figures=values)
    for i in range(STOP - START):
        alone = with_figures(scenario, {path: float(v[i]) for path, v in values.items()})
        one = engine.simulate_chunk(engine.compile_plan(alone), SEED, START, STOP)
        for column, numbers in one.items():
            assert np.array_equal(numbers[i], rows[column][i], equal_nan=True), column


def test_whole_figures_are_rounded_to_whole_fighters() -> None:
    plan = engine.with_rows(engine.compile_plan(load_scenario(SCENARIO)),
                            {"threat.assault.attackers": np.array([150.4, 150.6])})
    assert plan.assault.attackers.tolist() == [150.0, 151.0]


@pytest.mark.parametrize(("scenario", "path", "message"), [
    (SCENARIO, "threat.sorties[0].count", "cannot vary per replication"),
    (SCENARIO, "site.perimeter_m", "cannot vary per replication"),
    ("tessalit-fpv-helicopter", "threat.assault.attackers", "no assault"),
])
def test_a_figure_that_shapes_the_plan_is_refused(scenario: str, path: str, message: str) -> None:
    plan = engine.compile_plan(load_scenario(scenario))
    with pytest.raises(ValueError, match=message):
        engine.simulate_chunk(plan, SEED, START, STOP, figures={path: np.ones(STOP - START)})

"""Sensitivity screens and the sweeps under them: the numbers a planner ranks uncertainties by."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sahelsim.analysis.sensitivity import sensitivity
from sahelsim.analysis.sweep import factors, sweep
from sahelsim.runtime.local import LocalExecutor
from sahelsim.sim import engine
from sahelsim.sim.measures import MEASURES, measures
from sahelsim.sim.scenario import load_scenario, with_figures

POST = "post-drone-assault"
ROW = ["threat.assault.attackers", "defence.ground.beta_per_min"]  # taken per replication
SHAPING = ["threat.sorties[1].count", "site.assets[0].count"]  # each value needs its own plan


@pytest.fixture(scope="module")
def post():
    return load_scenario(POST)


def _points(chosen, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(f.low, f.high, n) for f in chosen])


@pytest.mark.parametrize("paths", [ROW, ROW + SHAPING], ids=["per-replication", "plan-shaping"])
def test_a_sweep_point_is_the_run_of_the_scenario_at_that_point(post, paths):
    """Each point's replications are those of a plain run of the scenario with the point's figures,
    same seed: the sweep packs points into engine calls without changing a number."""
    chosen = factors(post, paths)
    points = _points(chosen, 3)
    wanted = measures(["defender_losses", "overrun", "value_lost_usd"])
    result = sweep(post, chosen, points, wanted, replications=300, seed=5)
    for p, point in enumerate(result.points):
        alone = engine.run(with_figures(post, dict(zip(paths, point))), runs=300, seed=5)
        columns = {c: alone.table.column(c).to_numpy(zero_copy_only=False) for c in alone.table.column_names}
        for m in wanted:
            assert result.samples[m.name][p] == pytest.approx(m.value(columns).astype(float)), m.name


def test_a_sweep_does_not_depend_on_its_split_or_workers(post):
    chosen = factors(post, ROW + SHAPING[:1])
    points = _points(chosen, 5)
    wanted = measures(["defender_losses", "cost_exchange"])
    one = sweep(post, chosen, points, wanted, replications=2000, seed=3)
    two = sweep(post, chosen, points, wanted, replications=2000, seed=3, executor=LocalExecutor(2))
    small = sweep(post, chosen, points, wanted, replications=2000, seed=3, task_rows=700)
    batched = factors(post, ROW)
    wide = sweep(post, batched, points[:, :2], wanted, replications=2000, seed=3)
    narrow = sweep(post, batched, points[:, :2], wanted, replications=2000, seed=3, task_rows=4500)
    for name in one.samples:
        assert np.array_equal(one.samples[name], two.samples[name])
        assert np.array_equal(one.samples[name], small.samples[name])
        assert np.array_equal(wide.samples[name], narrow.samples[name])
    # the same points in another order: each point keeps its own numbers
    shuffled = sweep(post, chosen, points[::-1], wanted, replications=2000, seed=3)
    assert np.array_equal(shuffled.samples["defender_losses"], one.samples["defender_losses"][::-1])


def test_points_share_their_random_numbers(post):
    """Common random numbers: two points that differ in a figure with no effect on a measure give
    exactly the same per-replication values of it."""
    chosen = factors(post, ["site.assets[0].unit_value_usd", "threat.assault.attackers"])
    points = np.array([[60_000.0, 200.0], [400_000.0, 200.0]])
    result = sweep(post, chosen, points, measures(["defender_losses", "value_lost_usd"]), replications=500)
    assert np.array_equal(result.samples["defender_losses"][0], result.samples["defender_losses"][1])
    assert result.per_point(MEASURES["value_lost_usd"])[1] > result.per_point(MEASURES["value_lost_usd"])[0]


def test_morris_ranks_what_moves_each_measure_and_which_way(post):
    result = sensitivity(post, method="morris", samples=6, replications=200,
                     figures=["threat.assault.attackers", "defence.ground.beta_per_min",
                              "site.assets[0].unit_value_usd"],
                     measure_names=("overrun", "defender_losses", "value_lost_usd"))
    by = {(i.measure, i.figure): i for rows in result.indices.values() for i in rows}
    # a vehicle's price moves what is lost in dollars, and nothing else
    assert by[("defender_losses", "site.assets[0].unit_value_usd")].mu_star == 0
    assert by[("overrun", "site.assets[0].unit_value_usd")].mu_star == 0
    assert result.indices["value_lost_usd"][0].figure == "site.assets[0].unit_value_usd"
    # more attackers make an overrun likelier; a deadlier defence makes it rarer
    assert by[("overrun", "threat.assault.attackers")].mu > 0
    assert by[("overrun", "defence.ground.beta_per_min")].mu < 0
    assert result.indices["overrun"][-1].figure == "site.assets[0].unit_value_usd"
    assert "depends mostly on threat.assault" in result.finding("overrun") or \
        "depends mostly on defence.ground" in result.finding("overrun")


def test_sobol_indices_split_the_variance(post):
    result = sensitivity(post, method="sobol", samples=128, replications=100,
                     figures=["threat.assault.attackers", "site.assets[0].unit_value_usd"],
                     measure_names=("defender_losses", "value_lost_usd"))
    by = {(i.measure, i.figure): i for rows in result.indices.values() for i in rows}
    assert by[("defender_losses", "site.assets[0].unit_value_usd")].st == pytest.approx(0, abs=1e-9)
    assert by[("defender_losses", "threat.assault.attackers")].st > 0.5
    assert by[("value_lost_usd", "site.assets[0].unit_value_usd")].s1 > 0.1
    assert result.points == 128 * 4


def test_a_measure_without_a_value_is_said_not_ranked(post):
    result = sensitivity(post, samples=2, replications=20, figures=ROW, measure_names=("cost_exchange",))
    assert "cost_exchange" not in result.indices
    assert "divisor is zero" in result.finding("cost_exchange")


def test_levers_add_the_defence_own_figures(post):
    plain = {f.path for f in factors(post)}
    with_levers = {f.path for f in factors(post, levers=True)}
    assert "defence.qrf.travel_s" in with_levers - plain
    assert "threat.assault.attackers" in plain
    fitted = {f.path for f in factors(post) if f.fitted}
    assert "defence.ground.beta_per_min" in fitted  # fitted figures vary over their posterior
    beta = next(f for f in factors(post) if f.path == "defence.ground.beta_per_min")
    assert [beta.low, beta.high] == post.calibration.figures["defence.ground.beta_per_min"].interval90


def test_cli_screens_and_writes_its_chart(sahelsim, tmp_path):
    chart = tmp_path / "screen.html"
    done = sahelsim("sensitivity", POST, "-N", "2", "-r", "20", "-f", ROW[0], "-f", ROW[1],
                        "-m", "overrun", "--out", str(chart), "--json")
    assert done.code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["method"] == "morris" and data["points"] == 2 * 3
    assert {i["figure"] for i in data["measures"]["overrun"]["indices"]} == set(ROW)
    assert chart.exists() and "plotly" in chart.read_text()[:20_000].lower()


@pytest.mark.parametrize("args, said", [
    (["--method", "fast"], "unknown method 'fast'"),
    (["--method", "sobol", "-N", "30"], "power of two"),
    (["-f", "threat.assault.nope", "-f", ROW[0]], "no uncertain figure 'threat.assault.nope'"),
    (["-m", "happiness"], "unknown measure 'happiness'"),
    (["-f", ROW[0]], "at least two uncertain figures"),
])
def test_cli_mistakes_are_one_line(sahelsim, args, said):
    done = sahelsim("sensitivity", POST, "-r", "10", *args)
    assert done.code == 2
    assert said in done.stderr and done.stderr.count("\n") == 1

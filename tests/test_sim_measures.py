"""The named measures that sweeps, optimisation and campaigns judge a defence by."""

import numpy as np
import pytest

from sahelsim.errors import UserError
from sahelsim.sim.assault import Outcome
from sahelsim.sim.engine import compile_plan, simulate_chunk
from sahelsim.sim.measures import MEASURES, measure
from sahelsim.sim.scenario import load_scenario


def columns(**values):
    rows = len(next(iter(values.values())))
    return {"replication": np.arange(rows), **{k: np.asarray(v) for k, v in values.items()}}


def test_a_measure_is_the_mean_of_each_groups_rows():
    c = columns(defender_losses=[1, 3, 10, 20, 0])
    by = measure("defender_losses").by_group(c, np.array([0, 0, 1, 1, 1]), 3)
    assert by[:2] == pytest.approx([2.0, 10.0])
    assert np.isnan(by[2])  # a group without rows has no value, not zero


def test_overrun_counts_only_overrun_posts():
    c = columns(assault_outcome=np.array([Outcome.OVERRUN, Outcome.REPELLED, Outcome.NO_ASSAULT,
                                          Outcome.OVERRUN], dtype=np.int8))
    assert measure("overrun").of(c) == pytest.approx(0.5)


def test_cost_exchange_is_a_ratio_of_means_not_a_mean_of_ratios():
    c = columns(defender_cost_usd=[100.0, 0.0], attacker_cost_usd=[1.0, 99.0])
    assert measure("cost_exchange").of(c) == pytest.approx(1.0)  # 100 / 100, not (100 + 0) / 2
    assert np.isnan(measure("cost_exchange").of(columns(defender_cost_usd=[5.0], attacker_cost_usd=[0.0])))


def test_every_measure_reads_real_engine_columns():
    plan = compile_plan(load_scenario("post-drone-assault"))
    c = simulate_chunk(plan, 3, 0, 2000)
    for m in MEASURES.values():
        if m.ratio is None:
            assert np.isfinite(m.of(c)), m.name
    assert measure("defender_losses").of(c) == pytest.approx(c["defender_losses"].mean())
    assert measure("value_lost_usd").of(c) == pytest.approx(c["value_lost_usd"].mean())
    fpv = simulate_chunk(compile_plan(load_scenario("tessalit-fpv-helicopter")), 3, 0, 2000)
    assert measure("cost_exchange").of(fpv) == pytest.approx(
        fpv["defender_cost_usd"].sum() / fpv["attacker_cost_usd"].sum())


def test_an_unknown_measure_is_a_user_error_listing_the_names():
    with pytest.raises(UserError, match="defender_losses"):
        measure("losses")

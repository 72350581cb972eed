"""Costs (see docs/simulator.md): the value of assets lost, what each side pays, and the exchange ratio."""

from __future__ import annotations

import numpy as np
import pytest

from sahelsim.errors import UserError
from sahelsim.sim.catalogue import load_catalogue
from sahelsim.sim.engine import run
from sahelsim.sim.outcomes import RatioOfMeans
from sahelsim.sim.scenario import parse_scenario


def _scenario(*, value: float = 1_000_000, share: str = "", count: int = 1, platform: str = "fpv_strike",
              target: str = "helicopter", defence: str = "") -> str:
    """`count` strike sorties on one helicopter of `value`, with no defence unless given."""
    return f"""
name = "costs"
title = "costs"
[site]
kind = "landing_zone"
name = "LZ"
personnel = 10
[[site.assets]]
name = "helicopter"
count = 1
unit_value_usd = {value}
{share}
[threat]
actor = "fla"
[[threat.sorties]]
name = "strike"
platform = "{platform}"
count = {count}
role = "strike"
start_range_m = 3000
target = "{target}"
{defence}
"""


def _columns(text: str, runs: int = 4000, seed: int = 6) -> dict[str, np.ndarray]:
    table = run(parse_scenario(text), runs, seed=seed).table
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def test_a_destroyed_asset_costs_its_value_and_a_damaged_one_the_stated_share() -> None:
    rows = _columns(_scenario(value=1_000_000, share="damaged_value_share = 0.2"))
    destroyed, damaged = rows["assets_destroyed"] == 1, rows["assets_damaged"] == 1
    assert destroyed.any() and (damaged & ~destroyed).any() and (~damaged).any()
    assert np.all(rows["value_lost_usd"][destroyed] == 1_000_000)
    assert np.allclose(rows["value_lost_usd"][damaged & ~destroyed], 200_000)
    assert np.all(rows["value_lost_usd"][~damaged] == 0)


def test_the_value_lost_is_part_of_the_defenders_cost() -> None:
    rows = _columns(_scenario())  # no defence: nothing bought, nothing expended
    assert np.array_equal(rows["defender_cost_usd"], rows["value_lost_usd"])


def test_doubling_an_assets_value_doubles_the_value_lost() -> None:
    once = _columns(_scenario(value=3_000_000))["value_lost_usd"]
    twice = _columns(_scenario(value=6_000_000))["value_lost_usd"]
    assert once.sum() > 0 and np.allclose(twice, 2 * once)


def test_attacker_cost_counts_expended_one_way_drones() -> None:
    catalogue = load_catalogue().platforms
    fpv = _columns(_scenario(count=3, target="personnel"))
    assert np.all(fpv["attacker_cost_usd"] == 3 * catalogue["fpv_strike"].unit_cost_usd)
    returning = _columns(_scenario(count=3, platform="mavic_3", target="personnel"))
    assert np.all(returning["attacker_cost_usd"] == 0)  # nothing shot down, nothing expended


def test_the_cost_exchange_ratio_weighs_value_lost_against_drones_lost() -> None:
    result = run(parse_scenario(_scenario(count=2)), 4000, seed=2, keep_table=False)
    means = result.summary["means"]
    expected = means["value_lost_usd"]["mean"] / (2 * load_catalogue().platforms["fpv_strike"].unit_cost_usd)
    assert means["value_lost_usd"]["mean"] > 0
    assert result.summary["cost_exchange_ratio"] == pytest.approx(expected)


def test_a_damaged_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(UserError, match="damaged_value_share"):
        parse_scenario(_scenario(share="damaged_value_share = 1.5"))


GUNNED = """
[[defence.sensors]]
name = "eyes"
type = "eo_ir_camera"
[[defence.effectors]]
name = "gun"
type = "gun"
p_kill = 0.1
"""


def test_the_cost_exchange_ratio_interval_covers_the_true_ratio_about_95_times_in_100() -> None:
    """End to end: both costs vary here, the defender's with what leaks, the attacker's with what
    the gun shoots down."""
    text = _scenario(count=3, platform="mavic_3", defence=GUNNED)
    truth = run(parse_scenario(text), 200_000, seed=99, keep_table=False).summary
    assert truth["means"]["attacker_cost_usd"]["sd"] > 0 and truth["means"]["value_lost_usd"]["sd"] > 0
    scenario, trials = parse_scenario(text), 300
    covered = 0
    for seed in range(trials):
        low, high = run(scenario, 400, seed=seed, keep_table=False).summary["cost_exchange_ratio_ci95"]
        covered += low <= truth["cost_exchange_ratio"] <= high
    assert 0.90 * trials <= covered <= 0.99 * trials, covered


def test_no_cost_exchange_interval_when_the_attacker_lost_nothing() -> None:
    summary = run(parse_scenario(_scenario(platform="mavic_3")), 500, seed=1, keep_table=False).summary
    assert summary["cost_exchange_ratio"] is None and summary["cost_exchange_ratio_ci95"] is None


def test_the_ratio_interval_holds_the_covariance_of_the_two_costs() -> None:
    """Costs that move against each other, as a drone shot down costs the attacker and spares the
    defender: x = 3 − 2k + noise, y = 1 + k, k a fair coin, so the ratio of means is 2 / 1.5.
    Treating the means as independent would cover the truth about 84 times in 100. Chunks of
    uneven size check the merging."""
    rng = np.random.default_rng(5)
    trials, covered = 2000, 0
    for _ in range(trials):
        k = rng.integers(0, 2, 200).astype(float)
        x, y = 3 - 2 * k + rng.normal(0, 0.1, 200), 1 + k
        ratio = RatioOfMeans()
        for lo, hi in ((0, 64), (64, 65), (65, 200)):
            ratio.add(x[lo:hi], y[lo:hi])
        assert ratio.ratio == pytest.approx(x.mean() / y.mean())
        low, high = ratio.ci95()
        covered += low <= 2 / 1.5 <= high
    assert 0.93 * trials <= covered <= 0.97 * trials, covered

"""Scenario discovery: the boxes of conditions under which a defence fails, by PRIM and by CART."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sahelsim.analysis.discovery import (Box, Limit, cart_boxes, choose, discover, parse_condition, prim,
                                         pruned, quasi_p)
from sahelsim.errors import UserError

NAMES = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def known():
    """Failures exactly where a > 0.6 and b < 0.3: a box to find, two figures that do nothing."""
    x = np.random.default_rng(7).uniform(0, 1, (3000, 4))
    return x, (x[:, 0] > 0.6) & (x[:, 1] < 0.3)


def _limits(box: Box) -> dict[str, Limit]:
    return {lim.figure: lim for lim in box.limits}


def test_prim_peels_down_to_the_failing_box(known):
    x, fails = known
    trajectory = prim(x, fails, NAMES)
    densities = [b.density for b in trajectory]
    assert densities == sorted(densities) and densities[0] == pytest.approx(fails.mean())
    box = pruned(x, fails, NAMES, choose(trajectory, 0.5))
    limits = _limits(box)
    assert set(limits) == {"a", "b"}  # the idle figures are not in the box
    assert limits["a"].low == pytest.approx(0.6, abs=0.05) and limits["a"].high is None
    assert limits["b"].high == pytest.approx(0.3, abs=0.05) and limits["b"].low is None
    assert box.density > 0.9 and box.coverage > 0.8


def test_a_restriction_that_rides_the_noise_is_dropped(known):
    x, fails = known
    box = Box((Limit("a", 0.6, None), Limit("b", None, 0.3), Limit("c", 0.1, None)), 0, 0, 0)
    assert quasi_p(x, fails, NAMES, box, box.limits[2]) > 0.05
    assert quasi_p(x, fails, NAMES, box, box.limits[0]) < 1e-6
    assert set(_limits(pruned(x, fails, NAMES, box))) == {"a", "b"}


def test_cart_leaf_agrees_with_prim(known):
    x, fails = known
    best = cart_boxes(x, fails, NAMES, seed=0)[0]
    limits = _limits(best)
    assert set(limits) == {"a", "b"}
    assert limits["a"].low == pytest.approx(0.6, abs=0.02) and limits["b"].high == pytest.approx(0.3, abs=0.02)
    assert best.density > 0.95 and best.coverage > 0.95


@pytest.mark.parametrize("text, name, op, threshold", [
    ("P(overrun) > 0.3", "overrun", ">", 0.3),
    ("defender_losses>=20", "defender_losses", ">=", 20),
    ("E(value_lost_usd) < 1e6", "value_lost_usd", "<", 1e6),
])
def test_conditions_read_as_written(text, name, op, threshold):
    condition = parse_condition(text)
    assert (condition.measure.name, condition.op, condition.threshold) == (name, op, threshold)
    assert list(condition.holds(np.array([threshold - 1, threshold, threshold + 1]))) == \
        {">": [False, False, True], ">=": [False, True, True], "<": [True, False, False]}[op]


@pytest.mark.parametrize("text, said", [
    ("overrun is bad", "cannot read the condition"),
    ("P(defender_losses) > 3", "is not a probability"),
    ("P(leakers) > 0.3", "unknown measure 'leakers'"),
])
def test_unreadable_conditions_say_why(text, said):
    with pytest.raises(UserError, match=said) as caught:
        parse_condition(text)
    assert caught.value.field == "fails"


FIGHT = dict(samples=200, replications=200, figures=["threat.assault.attackers", "site.assets[0].unit_value_usd"])


def test_the_garrison_dies_of_numbers_not_of_prices():
    """The defenders killed grow with the attackers' numbers; a vehicle's price kills no one."""
    found = discover("post-drone-assault", "defender_killed > 57", **FIGHT)
    limits = _limits(found.box)
    assert set(limits) == {"threat.assault.attackers"}
    assert limits["threat.assault.attackers"].low is not None and limits["threat.assault.attackers"].high is None
    assert found.box.density > 0.8 and found.box.coverage > 0.8
    assert 0 < found.failures < found.points
    assert "mostly when threat.assault.attackers ≥" in found.finding
    assert {lim.figure for box in found.cart for lim in box.limits} == {"threat.assault.attackers"}
    assert discover("post-drone-assault", "defender_killed > 57", **FIGHT).to_dict() == found.to_dict()
    fewer = discover("post-drone-assault", "defender_killed < 57", **FIGHT)
    assert _limits(fewer.box)["threat.assault.attackers"].high is not None  # the other side of the line


def test_cli_discovers_as_json(sahelsim):
    done = sahelsim("discover", "post-drone-assault", "--fails", "P(overrun) > 0.5", "-N", "100", "-r", "30",
                    "-f", "threat.assault.attackers", "-f", "defence.ground.beta_per_min", "--json")
    assert done.code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["condition"] == "P(overrun) > 0.5" and data["points"] == 100
    assert {"box", "coverage", "density", "limits"} <= set(data["box"])
    assert data["trajectory"][0]["coverage"] == 1.0


def test_cli_refuses_an_unreadable_condition(sahelsim):
    done = sahelsim("discover", "post-drone-assault", "--fails", "P(leakers) > 0.3")
    assert done.code == 2 and done.stderr.count("\n") == 1
    assert "field 'fails'" in done.stderr and "unknown measure 'leakers'" in done.stderr

"""The assault's outcome is a class, not a number: summaries give the share of each class with its
Wilson interval, comparisons the change in each share with its paired interval, and no mean of the
codes appears anywhere."""

from __future__ import annotations

import numpy as np
import pytest

from sahelsim.sim.assault import Outcome
from sahelsim.sim.engine import compare, run
from sahelsim.sim.scenario import load_scenario

CLASSES = {outcome.name.lower(): int(outcome) for outcome in Outcome}
SCENARIO = "post-drone-assault"  # its assault ends in more than one way


def test_the_summary_gives_one_share_per_class_summing_to_one() -> None:
    result = run(load_scenario(SCENARIO, "improved"), 3000, seed=5)
    codes = result.table.column("assault_outcome").to_numpy()
    shares = result.summary["outcome_classes"]["assault_outcome"]
    assert set(shares) == set(CLASSES)
    assert sum(share["p"] for share in shares.values()) == pytest.approx(1.0)
    for name, share in shares.items():
        assert share["p"] == pytest.approx(np.mean(codes == CLASSES[name]))
        low, high = share["ci95"]
        assert low <= share["p"] <= high and share["n"] == 3000
    assert sum(share["p"] > 0 for share in shares.values()) >= 2


def test_no_mean_or_quantile_of_outcome_codes_is_reported() -> None:
    summary = run(load_scenario(SCENARIO, "improved"), 2000, seed=5, keep_table=False).summary
    assert "assault_outcome" not in summary["means"]
    assert "assault_outcome" not in summary["distributions"]
    assert "assault_outcome" not in compare(load_scenario(SCENARIO), load_scenario(SCENARIO, "improved"),
                                            runs=2000, seed=5).metrics


def test_a_comparison_gives_the_change_in_each_share_with_a_paired_interval() -> None:
    base, improved = load_scenario(SCENARIO), load_scenario(SCENARIO, "improved")
    result = compare(base, improved, runs=3000, seed=5)
    changes = result.outcome_classes["assault_outcome"]
    assert set(changes) == set(CLASSES)
    assert sum(change["difference"] for change in changes.values()) == pytest.approx(0.0, abs=1e-12)
    separate = [run(s, 3000, seed=5, keep_table=False).summary["outcome_classes"]["assault_outcome"]
                for s in (base, improved)]
    for name, change in changes.items():
        assert change["first"] == pytest.approx(separate[0][name]["p"])
        assert change["second"] == pytest.approx(separate[1][name]["p"])
        assert change["difference"] == pytest.approx(change["second"] - change["first"])
        if change["difference"] != 0:
            low, high = change["ci95"]
            assert low <= change["difference"] <= high and change["pairs"] == 3000

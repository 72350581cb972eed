"""Calibration against documented outcomes, the [calibration] table of a scenario file, validation."""

from __future__ import annotations

import csv
import math
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sahelsim.analysis.calibration import (INCIDENT_LEVEL, MARKER, calibrate, declared_text, fitted_figures,
                                           incident_figures, observations)
from sahelsim.analysis.outcomes import COLUMNS, load_outcomes
from sahelsim.analysis.validation import predictive_checks, randomised_pit, validate
from sahelsim.errors import UserError
from sahelsim.sim import engine
from sahelsim.sim.scenario import load_scenario, parse_scenario

TRUE_SHARE = 0.85  # killed_share_overrun in the synthetic record below


def _one_free_figure(tmp_path: Path) -> Path:
    """The post scenario with every range removed but the overrun killed share's: a fit with one
    unknown, whose true value the synthetic record below was drawn with."""
    text = re.sub(r",\s*low = [-0-9.e]+, high = [-0-9.e]+", "", declared_text("post-drone-assault"))
    text = text.replace('killed_share_overrun = { value = 0.8,',
                        'killed_share_overrun = { value = 0.8, low = 0.5, high = 0.95,')
    path = tmp_path / "post.toml"
    path.write_text(text, "utf-8")
    return path


def _synthetic_record(tmp_path: Path, scenario_path: Path, incidents: int = 40) -> Path:
    """Documented outcomes drawn from the scenario itself at the true share: the overrun posts'
    killed, as exact counts, one replication per incident."""
    scenario = load_scenario(scenario_path)
    columns = engine.simulate_chunk(engine.compile_plan(scenario), 99, 0, 400,
                                    {"site.killed_share_overrun": np.full(400, TRUE_SHARE)})
    fell = np.flatnonzero(columns["assault_outcome"] == 2)[:incidents]
    path = tmp_path / "outcomes.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for i, row in enumerate(fell):
            killed = int(columns["defender_killed"][row])
            writer.writerow({"incident": f"synthetic-{i}", "date": "2025-01-01", "place": "x", "country": "Mali",
                             "actor": "jnim", "scenario": "post-drone-assault", "metric": "defender_killed",
                             "reported": str(killed), "censoring": "exact", "low": killed, "high": killed,
                             "claimed_by": "", "source_publisher": "this test", "source_date": "",
                             "source_title": "", "note": ""})
    return path


def test_a_fit_recovers_the_figure_a_record_was_drawn_with(tmp_path) -> None:
    scenario_path = _one_free_figure(tmp_path)
    assert list(fitted_figures(load_scenario(scenario_path))) == ["site.killed_share_overrun"]
    outcomes = load_outcomes(_synthetic_record(tmp_path, scenario_path))
    fit = calibrate(scenario_path, budget=4000, particles=300, seed=1, outcomes=outcomes)
    figure = fit.figures()["site.killed_share_overrun"]
    low, high = figure["interval90"]
    assert low <= TRUE_SHARE <= high
    assert high - low < 0.5 * (0.95 - 0.5)  # the record taught it something
    assert abs(figure["median"] - TRUE_SHARE) < 0.08
    assert fit.simulations <= 4000 and len(figure["draws"]) == 200


def test_the_same_seed_gives_the_same_fit_and_another_seed_another(tmp_path) -> None:
    scenario_path = _one_free_figure(tmp_path)
    outcomes = load_outcomes(_synthetic_record(tmp_path, scenario_path, incidents=10))
    first, again, other = (calibrate(scenario_path, budget=1500, particles=100, seed=s, outcomes=outcomes)
                           for s in (3, 3, 4))
    assert first.to_toml() == again.to_toml() and first.to_toml() != other.to_toml()


def test_a_calibrated_file_loads_with_its_medians_and_replaces_an_earlier_fit(tmp_path) -> None:
    scenario_path = _one_free_figure(tmp_path)
    outcomes = load_outcomes(_synthetic_record(tmp_path, scenario_path, incidents=10))
    out = tmp_path / "fitted.toml"
    fit = calibrate(scenario_path, budget=1500, particles=100, seed=2, outcomes=outcomes)
    fit.write(out)
    loaded = load_scenario(out)
    median = fit.figures()["site.killed_share_overrun"]["median"]
    assert loaded.site.killed_share_overrun == median
    assert loaded.calibration.incidents == list(fit.observations.incidents)
    assert loaded.figures["site.killed_share_overrun"].source.startswith("calibrated (")
    assert (loaded.figures["site.killed_share_overrun"].low, loaded.figures["site.killed_share_overrun"].high) \
        == (0.5, 0.95)  # the prior stays the declared range
    assert load_scenario(f"{out}@improved").calibration.figures.keys() == {"site.killed_share_overrun"}
    again = calibrate(out, budget=1500, particles=100, seed=5, outcomes=outcomes)
    again.write(out)
    assert out.read_text("utf-8").count("[calibration]") == 1


@pytest.mark.parametrize(("table", "field", "message"), [
    ('median = 0.7\ninterval90 = [0.6, 0.8]\ndraws = [0.7, "x"]', "draws", "number"),
    ('median = 0.99\ninterval90 = [0.6, 0.8]\ndraws = [0.7]', "site.killed_share_overrun", "declared range"),
    ('median = 0.7\ninterval90 = [0.6]\ndraws = [0.7]', "interval90", "at least 2"),
])
def test_a_broken_calibration_table_is_one_line_naming_its_field(tmp_path, table, field, message) -> None:
    text = declared_text("post-drone-assault") + (
        f'\n{MARKER}\n[calibration]\nmethod = "m"\ndistance = "d"\nincidents = ["a"]\nsimulations = 1\nseed = 0\n\n'
        f'[calibration.figures."site.killed_share_overrun"]\n{table}\n')
    with pytest.raises(UserError, match=message) as caught:
        parse_scenario(text, file="mine.toml")
    assert field in caught.value.field and caught.value.file == "mine.toml"


def test_a_figure_not_in_the_file_or_without_a_range_cannot_be_fitted() -> None:
    text = declared_text("post-drone-assault") + (
        f'\n{MARKER}\n[calibration]\nmethod = "m"\ndistance = "d"\nincidents = ["a"]\nsimulations = 1\nseed = 0\n\n'
        '[calibration.figures."threat.assault.max_minutes"]\nmedian = 300\ninterval90 = [1, 2]\ndraws = [300]\n')
    with pytest.raises(UserError, match="declared range"):
        parse_scenario(text, file="mine.toml")


def test_the_sizes_of_each_incident_are_drawn_not_fitted() -> None:
    scenario = load_scenario("post-drone-assault")
    fitted, sizes = fitted_figures(scenario), incident_figures(scenario)
    assert set(sizes.ranges) == set(INCIDENT_LEVEL) and not set(fitted) & set(INCIDENT_LEVEL)
    assert "site.killed_share_overrun" in fitted and "threat.assault.destroys_overrun" in fitted


def test_a_report_that_allows_every_count_constrains_nothing_and_is_left_out() -> None:
    seen = observations(load_scenario("niamey-airbase-raid"))
    everything = [o for o in load_outcomes() if o.scenario == "niamey-airbase-raid"]
    assert any(o.bounds() == (0.0, float("inf")) for o in everything)
    assert len(seen.rows) == len([o for o in everything if o.bounds() != (0.0, float("inf"))])
    with pytest.raises(UserError, match="no documented outcome"):
        observations(load_scenario("convoy-isr-blockade"))
    with pytest.raises(UserError, match="without @variant"):
        calibrate("post-drone-assault@improved")


def test_every_library_scenario_with_documented_outcomes_is_calibrated_and_reproduces_them() -> None:
    result = validate(leave_one_out=False)
    documented = {o.scenario for o in load_outcomes() if o.bounds() != (0.0, float("inf"))}
    for scenario in result.scenarios:
        assert scenario.calibrated == (scenario.name in documented), scenario.name
        assert all(check.inside for check in scenario.outcomes), scenario.name


def test_an_outcome_outside_the_predictive_interval_is_reported_outside() -> None:
    scenario = load_scenario("tongo-tongo-patrol-ambush")
    rows = [o for o in load_outcomes() if o.scenario == scenario.name]
    far = [type(rows[0])(**{**vars(rows[0]), "low": 500.0, "high": 500.0, "censoring": "exact"})]
    (check,) = predictive_checks(scenario, far, runs=1000)
    assert not check.inside and check.interval90[1] < 500
    assert all(c.inside for c in predictive_checks(scenario, rows, runs=1000))


def test_the_cli_fits_and_validates(tmp_path) -> None:
    out = tmp_path / "tongo.toml"
    done = subprocess.run([sys.executable, "-m", "sahelsim", "calibrate", "tongo-tongo-patrol-ambush",
                           "--budget", "1500", "--particles", "100", "--out", str(out), "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    fit = json.loads(done.stdout)
    assert fit["out"] == str(out) and fit["simulations"] <= 1500
    assert set(fit["figures"]) == set(load_scenario(out).calibration.figures)
    done = subprocess.run([sys.executable, "-m", "sahelsim", "validate", "tongo-tongo-patrol-ambush", "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (scenario,) = report["scenarios"]
    assert {"name", "outcomes"} <= set(scenario) and scenario["outcomes"]
    assert {"incident", "metric", "reported", "interval90", "inside"} <= set(scenario["outcomes"][0])
    assert 0 <= report["coverage"] <= 1
    wrong = subprocess.run([sys.executable, "-m", "sahelsim", "calibrate", "atlantis"],
                           capture_output=True, text=True, check=False)
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1


def test_the_randomised_pit_is_uniform_for_a_calibrated_count_where_intervals_over_cover() -> None:
    """Reports drawn from the predictive distribution itself: their randomised PITs are uniform, so
    90% fall between 0.05 and 0.95, while the 90% interval of a count covers more."""
    rng = np.random.default_rng(5)
    predictive = rng.poisson(2.0, 20_000)
    reports = rng.poisson(2.0, 4000)
    pits = np.array([randomised_pit(predictive, (y, y), v) for y, v in zip(reports, rng.uniform(size=4000))])
    assert stats.kstest(pits, "uniform").pvalue > 0.01
    assert np.mean((pits >= 0.05) & (pits <= 0.95)) == pytest.approx(0.9, abs=0.02)
    low, high = np.quantile(predictive, [0.05, 0.95])
    assert np.mean((reports >= low) & (reports <= high)) > 0.95


def test_a_censored_report_takes_its_pit_from_the_whole_range_it_allows() -> None:
    predictive = np.arange(100.0)  # 0..99, each a hundredth
    assert randomised_pit(predictive, (90.0, math.inf), 0.0) == pytest.approx(0.90)
    assert randomised_pit(predictive, (90.0, math.inf), 1.0) == pytest.approx(1.0)
    assert randomised_pit(predictive, (500.0, 500.0), 0.5) == pytest.approx(1.0)  # beyond every draw

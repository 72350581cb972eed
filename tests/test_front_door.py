"""`import sahelsim`: the user-level API, figures set without files, executors as objects."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import sahelsim
from sahelsim.sim import engine
from sahelsim.sim.catalogue import load_catalogue

SCENARIO = "post-drone-assault"
FRONT_DOOR = {"CompareResult", "LocalExecutor", "RunResult", "Scenario", "UserError", "calibrate", "compare",
              "drone_trends", "fit_rates", "ingest", "list_library", "load_catalogue", "load_outcomes",
              "load_scenario", "run", "save_run", "select_events", "tag_text", "validate", "with_figures", "sensitivity", "discover"}


def test_the_namespace_holds_the_user_level_verbs_and_nothing_else() -> None:
    assert set(sahelsim.__all__) == FRONT_DOOR
    assert set(dir(sahelsim)) >= FRONT_DOOR
    for name in FRONT_DOOR:
        assert getattr(sahelsim, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'simulate'"):
        sahelsim.simulate  # noqa: B018


def test_importing_the_front_door_loads_no_engine_or_store() -> None:
    """Every CLI command imports `sahelsim`; the numerical stack comes only when a verb is used."""
    code = "import sys, sahelsim; print(sorted(m for m in ('numpy', 'duckdb', 'pandas') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_results_come_as_frames() -> None:
    base = sahelsim.load_scenario(SCENARIO)
    better = sahelsim.load_scenario(f"{SCENARIO}@improved")
    frame = sahelsim.run(base, 2000, seed=3).to_frame().set_index("outcome")
    assert frame.loc["leakers", "value"] == pytest.approx(6.0)  # six drones, nothing to stop them
    assert frame.loc["P(assault_outcome = overrun)", "ci95_low"] <= \
        frame.loc["P(assault_outcome = overrun)", "value"]
    paired = sahelsim.compare(base, better, 2000, seed=3)
    rows = paired.to_frame().set_index("outcome")
    assert rows.loc["leakers", "difference"] == pytest.approx(paired.metrics["leakers"]["difference"])
    assert rows.loc["leakers", "difference"] < 0
    assert paired.to_dict()["same_threat"] is True


def test_with_figures_sets_a_number_and_keeps_its_source_and_range() -> None:
    base = sahelsim.load_scenario(SCENARIO)
    more = sahelsim.with_figures(base, {"threat.assault.attackers": 350})
    assert more.threat.assault.attackers == 350 and base.threat.assault.attackers == 200
    figure = more.figures["threat.assault.attackers"]
    assert (figure.value, figure.low, figure.high) == (350, 100, 400)
    assert figure.source == base.figures["threat.assault.attackers"].source
    assert sahelsim.with_figures(base, {}) == base
    change = sahelsim.compare(base, more, 3000, seed=4).metrics["defender_losses"]
    assert change["ci95"][0] > 0  # more attackers, more losses: the engine reads the new figure


@pytest.mark.parametrize(("values", "message"), [
    ({"threat.assault.attackers": 500}, "declared range"),
    ({"threat.assault.atackers": 300}, "no such figure"),
    ({"threat.sorties[9].count": 3}, "no such figure"),
    ({"threat.assault.attackers": 250.5}, "integer"),
    ({"site.personnel": float("nan")}, "finite number"),
    ({"threat.assault.alpha_per_min": -0.01}, "declared range"),
])
def test_with_figures_refuses_a_mistake_naming_the_path(values: dict, message: str) -> None:
    with pytest.raises(sahelsim.UserError, match=message) as caught:
        sahelsim.with_figures(sahelsim.load_scenario(SCENARIO), values)
    assert caught.value.field == next(iter(values))


def test_a_catalogue_with_figures_set_feeds_the_plan_and_leaves_the_bundled_one() -> None:
    bundled = load_catalogue()
    deadlier = bundled.with_figures({"platforms.mavic_3.p_casualty": 0.1})
    assert load_catalogue().platforms["mavic_3"].p_casualty == 0.05
    base = sahelsim.load_scenario(SCENARIO)
    people = engine.compile_plan(base).people
    doubled = engine.compile_plan(base, catalogue=deadlier).people.p_casualty
    mavics = people.is_strike  # the scenario's strike sorties fly Mavic 3s; its ISR, Matrice 30Ts
    np.testing.assert_allclose(doubled[mavics], 2 * people.p_casualty[mavics])
    np.testing.assert_allclose(doubled[~mavics], people.p_casualty[~mavics])
    assert sahelsim.run(base, 3000, seed=2, catalogue=deadlier).summary["means"]["casualties"]["mean"] > \
        1.5 * sahelsim.run(base, 3000, seed=2).summary["means"]["casualties"]["mean"]
    with pytest.raises(sahelsim.UserError, match="declared range") as caught:
        bundled.with_figures({"platforms.mavic_3.p_casualty": 0.9})
    assert caught.value.field == "platforms.mavic_3.p_casualty"


def test_an_executor_is_an_object_that_changes_no_number() -> None:
    base = sahelsim.load_scenario(SCENARIO)
    here = sahelsim.run(base, 3000, seed=5, chunk_size=700).table
    pooled = sahelsim.run(base, 3000, seed=5, chunk_size=700, executor=sahelsim.LocalExecutor(2)).table
    assert pooled.equals(here)
    with pytest.raises(ValueError, match="at least 1"):
        sahelsim.LocalExecutor(0)


def test_save_run_keeps_rows_summary_and_charts(tmp_path) -> None:
    saved = sahelsim.save_run(sahelsim.load_scenario(SCENARIO), 1500, seed=1, out=tmp_path / "r")
    names = {path.name for path in saved.files}
    assert {"replications.parquet", "summary.json", "outcomes.png"} <= names
    assert all(path.parent == tmp_path / "r" and path.exists() for path in saved.files)
    assert saved.result.runs == 1500

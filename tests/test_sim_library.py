"""The bundled scenarios: documented, sourced, valid, and ordered the way defences should be
(docs/simulator.md, Validation rungs 4-6), plus reproducibility whatever the chunking or the workers (rung 5)."""

from __future__ import annotations

import numpy as np
import pytest

from sahelsim.runtime.local import LocalExecutor
from sahelsim.runtime.seeds import ChunkStreams, Purpose
from sahelsim.sim.catalogue import load_catalogue
from sahelsim.sim.engine import compare, run
from sahelsim.sim.scenario import (BASELINE, EffectorSpec, SensorSpec, list_library, load_scenario,
                                   validate_file, library_dir)

LIBRARY = list_library()
# Outcomes the model makes monotone replication by replication under common random numbers.
PATHWISE = ("leakers", "assets_damaged", "assets_destroyed", "casualties_expected", "casualties",
            "isr_quality")


def test_library_has_the_six_documented_scenarios_with_two_defences_each() -> None:
    assert len(LIBRARY) >= 6
    for name in LIBRARY:
        scenario = load_scenario(name)
        assert scenario.sources.incidents, name
        assert len(scenario.variants) >= 2 and scenario.variants[0] == BASELINE, name


@pytest.mark.parametrize("name", LIBRARY)
def test_every_number_in_a_library_scenario_has_a_source(name: str) -> None:
    for scenario in validate_file(library_dir() / f"{name}.toml"):
        missing = [path for path, figure in scenario.figures.items() if not figure.source.strip()]
        assert not missing, f"{scenario.label}: no source for {missing}"


def _without_early_warning(scenario):
    return scenario.model_copy(update={"defence": scenario.defence.model_copy(
        update={"early_warning": False})})


def _assert_no_worse(first, second, runs: int = 3000) -> None:
    """Drone-phase losses fall replication by replication (so their paired interval is <= 0); so
    does the chance of being overrun. Total defender losses are not monotone path by path: a post
    that falls anyway loses people until its break point whatever the drones did first, and relief
    an earlier alert calls earlier falls with it, so with the relief's timing held (no early
    warning) their paired interval must not lie above zero: a significant change must be a fall."""
    seed = 2024
    a, b = run(first, runs, seed).table, run(second, runs, seed).table
    for metric in PATHWISE:
        rise = b.column(metric).to_numpy() - a.column(metric).to_numpy()
        assert rise.max() <= 1e-9, f"{second.label} vs {first.label}: {metric} rose"
    overrun_a = a.column("assault_outcome").to_numpy() == 2
    overrun_b = b.column("assault_outcome").to_numpy() == 2
    assert not (overrun_b & ~overrun_a).any(), f"{second.label}: overrun where it held"
    losses = compare(_without_early_warning(first), _without_early_warning(second), runs=runs,
                     seed=seed).metrics["defender_losses"]
    assert losses["ci95"][0] <= 0, f"{second.label} vs {first.label}: defender losses rose, {losses}"


ADDED_SENSOR = SensorSpec(name="added radar", type="drone_radar")
ADDED_EFFECTOR = EffectorSpec(name="added interceptor", type="interceptor_drone")


@pytest.mark.parametrize("name", LIBRARY)
def test_adding_a_sensor_or_an_effector_never_does_worse(name: str) -> None:
    base = load_scenario(name)
    sensors = [*base.defence.sensors, ADDED_SENSOR]
    effectors = [*base.defence.effectors, ADDED_EFFECTOR]
    for change in ({"sensors": sensors}, {"effectors": effectors},
                   {"sensors": sensors, "effectors": effectors}):
        better = base.model_copy(update={"defence": base.defence.model_copy(update=change),
                                         "variant": "more"})
        _assert_no_worse(base, better)


@pytest.mark.parametrize("name", LIBRARY)
def test_every_variant_does_at_least_as_well_as_the_baseline(name: str) -> None:
    base = load_scenario(name)
    for variant in base.variants[1:]:
        _assert_no_worse(base, load_scenario(name, variant))


def test_compare_reports_a_paired_interval_narrower_than_separate_ones() -> None:
    base, improved = load_scenario("borno-drone-raid"), load_scenario("borno-drone-raid@improved")
    paired = compare(base, improved, runs=4000, seed=1).metrics["casualties"]
    separate = [run(s, 4000, seed=1, keep_table=False).summary["means"]["casualties"]
                for s in (base, improved)]
    assert paired["difference"] == pytest.approx(separate[1]["mean"] - separate[0]["mean"])
    unpaired = (sum((m["ci95"][1] - m["mean"]) ** 2 for m in separate)) ** 0.5
    assert paired["halfwidth"] < unpaired
    assert paired["ci95"][1] < 0


def test_a_paired_difference_of_a_sometimes_missing_metric_is_over_complete_pairs() -> None:
    """The first detection is missing where nothing was detected; the baseline misses some."""
    base, improved = load_scenario("post-drone-assault"), load_scenario("post-drone-assault@improved")
    detection = compare(base, improved, runs=3000, seed=2).metrics["first_detection_s"]
    assert 0 < detection["pairs"] < 3000
    assert detection["difference"] == pytest.approx(detection["second"] - detection["first"])


def test_a_layer_only_the_second_defence_has_is_compared_against_none() -> None:
    base, improved = load_scenario("post-drone-assault"), load_scenario("post-drone-assault@improved")
    new = {e.name for e in improved.defence.effectors} - {e.name for e in base.defence.effectors}
    assert new, "the improved post should add an effector"
    metrics = compare(base, improved, runs=2000, seed=3).metrics
    for name in new:
        layer = metrics[f"defeated_by_{name}"]
        assert layer["first"] == 0 and layer["second"] > 0
        assert layer["difference"] == pytest.approx(layer["second"])


@pytest.mark.parametrize("request_, message", [({"runs": 0}, "runs must be at least 1"),
                                               ({"chunk_size": 0}, "chunk_size must be at least 1"),
                                               ({"precision": -0.1}, "precision must not be negative")])
def test_a_request_no_run_can_serve_is_refused(request_, message) -> None:
    with pytest.raises(ValueError, match=message):
        run(load_scenario("post-drone-assault"), **{"runs": 100, **request_})


def test_same_seed_same_table_for_any_chunk_size_or_worker_count() -> None:
    scenario = load_scenario("post-drone-assault")
    reference = run(scenario, 5000, seed=9, chunk_size=4096).table
    assert run(scenario, 5000, seed=9, chunk_size=1000).table.equals(reference)
    assert run(scenario, 5000, seed=9, chunk_size=1500, executor=LocalExecutor(2)).table.equals(reference)
    assert not run(scenario, 5000, seed=10, chunk_size=4096).table.equals(reference)


@pytest.mark.parametrize("leading, shape", [((), (3,)), ((4, 2), ())])
def test_a_replication_draws_the_same_numbers_whatever_chunk_it_falls_in(leading, shape) -> None:
    """Replications before, after or inside any stream block, with or without leading axes
    (the assault's per-minute uniforms)."""
    whole = ChunkStreams(3, 0, 3000).uniform(Purpose.ASSAULT, shape, leading=leading)
    part = ChunkStreams(3, 1000, 2500).uniform(Purpose.ASSAULT, shape, leading=leading)
    axis = len(leading)
    assert whole.shape == (*leading, 3000, *shape)
    assert np.array_equal(part, np.take(whole, np.arange(1000, 2500), axis=axis))


def test_first_replications_do_not_depend_on_how_many_follow() -> None:
    scenario = load_scenario("borno-drone-raid")
    short = run(scenario, 700, seed=4).table
    assert run(scenario, 3000, seed=4).table.slice(0, 700).equals(short)


def test_summary_without_keeping_rows_matches_the_table() -> None:
    scenario = load_scenario("niamey-airbase-raid")
    kept = run(scenario, 4000, seed=1, chunk_size=1024)
    streamed = run(scenario, 4000, seed=1, chunk_size=1024, keep_table=False)
    assert streamed.table is None
    mean = kept.table.column("assets_damaged").to_numpy().mean()
    assert streamed.summary["means"]["assets_damaged"]["mean"] == pytest.approx(mean)
    assert len(streamed.convergence) == 4


def test_precision_mode_stops_when_intervals_are_narrow_enough() -> None:
    result = run(load_scenario("tessalit-fpv-helicopter"), 1_000_000, seed=1, chunk_size=2048,
                 keep_table=False, precision=0.02)
    assert result.runs < 1_000_000
    shares = [*result.summary["proportions"].values(),
              *result.summary["outcome_classes"]["assault_outcome"].values()]
    widths = [(p["ci95"][1] - p["ci95"][0]) / 2 for p in shares]
    assert max(widths) <= 0.02


def test_niamey_reported_losses_fall_inside_the_baseline_90_percent_interval() -> None:
    """Face validity: 'several aircraft damaged, at least 5 destroyed per one account'."""
    distribution = run(load_scenario("niamey-airbase-raid"), 5000, seed=3,
                       keep_table=False).summary["distributions"]["assets_damaged"]
    assert distribution["q05"] <= 5 <= distribution["q95"]


def test_most_single_drone_strikes_kill_nobody() -> None:
    """Face validity: in the record most drone strikes kill nobody; so does one drop on a post."""
    base = load_scenario("post-drone-assault")
    one_drop = [s.model_copy(update={"count": 1}) for s in base.threat.sorties
                if s.target == "personnel" and s.role == "strike"]
    single = base.model_copy(update={"threat": base.threat.model_copy(
        update={"sorties": one_drop, "assault": None})})
    share = run(single, 5000, seed=8, keep_table=False).summary["proportions"]["any_casualty"]
    assert share["ci95"][1] < 0.5


def test_every_catalogue_figure_has_a_source_and_every_assumption_a_range() -> None:
    figures = load_catalogue().figures
    assert figures and all(figure.source.strip() for figure in figures.values())
    guessed = {path: f for path, f in figures.items()
               if "assumption" in f.source or "placeholder" in f.source}
    assert all(f.low is not None and f.high is not None for f in guessed.values()), [
        path for path, f in guessed.items() if f.low is None]

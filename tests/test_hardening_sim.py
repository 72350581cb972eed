"""Scenario files that validate must run, and runs must end cleanly however they end.

Found by a fuzz and crash review: scenario sizes that overflowed or exhausted the engine, validation
that took minutes, nesting that crashed the parser, unbounded size options, and worker processes
that outlived a killed run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes import alive, descendants

from sahelsim.errors import UserError
from sahelsim.sim import engine
from sahelsim.sim.scenario import (MAX_FILE_BYTES, MAX_FORCE, MAX_ITEMS, MAX_SORTIES, MAX_VARIANTS,
                                   EffectorSpec, library_dir, load_scenario, parse_scenario,
                                   scenario_from_document, validate_file)

POST = (library_dir() / "post-drone-assault.toml").read_text("utf-8")
# the baseline only: the worst cases below add their own variants
POST_BASELINE = POST.split("[variants.")[0]


def scenario_text(*, variants: int = 0, groups: int = 0, per_group: int = 8, layers: int = 0,
                  assets: int = 0, force: int = 100) -> str:
    """A scenario of a chosen size: `groups` sortie groups of `per_group`, `layers` sensors and
    effectors (in the baseline and in each of `variants` variants), `assets` kinds of asset."""
    lines = ['name = "sized"', 'title = "a generated scenario"', "[site]", 'kind = "post"',
             'name = "post"', f"personnel = {force}"]
    for i in range(assets):
        lines += ["[[site.assets]]", f'name = "a{i}"', f"count = {force}", "reach = 8"]
    lines += ["[threat]", 'actor = "jnim"', "[threat.assault]", f"attackers = {force}",
              "alpha_per_min = 0.01"]
    for i in range(groups):
        lines += ["[[threat.sorties]]", f'name = "s{i}"', 'platform = "mavic_3"', f"count = {per_group}",
                  'role = "strike"', "start_range_m = 2500"]

    def defence(prefix: str) -> list[str]:
        return [line for i in range(layers) for line in (
            f"[[{prefix}defence.sensors]]", f'name = "n{i}"', 'type = "observers"',
            f"[[{prefix}defence.effectors]]", f'name = "e{i}"', 'type = "gun"')]

    lines += ["[defence]", *defence(""), "[defence.ground]", "beta_per_min = 0.03",
              "[defence.qrf]", f"size = {force}", "call_delay_s = 60", "travel_s = 600"]
    for v in range(variants):
        lines += [f"[variants.v{v}]", f'description = "variant {v}"', *defence(f"variants.v{v}.")]
    return "\n".join(lines) + "\n"


def _error(text: str) -> UserError:
    with pytest.raises(UserError) as caught:
        parse_scenario(text, file="sized.toml")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("sized.toml")
    return caught.value


# -- limits stated in the schema ------------------------------------------------------------------

@pytest.mark.parametrize("old, new, field", [
    ("attackers = { value = 200, low = 100, high = 400 }", "attackers = 1000000000",
     "threat.assault.attackers"),
    ('personnel = { value = 120, low = 60, high = 250, source = "regional press: over 100 soldiers'
     ' killed at Mansila implies a garrison above 100" }', "personnel = 1000000", "site.personnel"),
    ("size = { value = 40, low = 20, high = 100 }", "size = 10001", "defence.qrf.size"),
    ("count = { value = 10, low = 4, high = 20 }", "count = 1000000000", "site.assets[0].count"),
])
def test_forces_beyond_the_limit_are_refused_with_the_reason(old: str, new: str, field: str) -> None:
    assert old in POST_BASELINE
    error = _error(POST_BASELINE.replace(old, new))
    assert error.field == field
    assert "10000" in str(error) and "one count per possible loss" in str(error)


@pytest.mark.parametrize("size, field", [
    (dict(layers=MAX_ITEMS + 1), "defence.sensors"),
    (dict(groups=MAX_ITEMS + 1, per_group=1), "threat.sorties"),
    (dict(groups=1000, per_group=1), "threat.sorties"),  # a thousand: refused, not validated first
    (dict(assets=MAX_ITEMS + 1), "site.assets"),
])
def test_lists_beyond_the_limit_are_refused_with_the_reason(size: dict, field: str) -> None:
    error = _error(scenario_text(**size))
    assert error.field == field and f"at most {MAX_ITEMS}" in str(error)
    assert "costs time in every replication" in str(error)


def test_too_many_sorties_in_all_are_refused() -> None:
    error = _error(scenario_text(groups=MAX_SORTIES // 64 + 1, per_group=64))
    assert error.field == "threat" and f"at most {MAX_SORTIES} sorties" in str(error)


def test_too_many_variants_are_refused() -> None:
    error = _error(scenario_text(variants=MAX_VARIANTS + 1, layers=1))
    assert error.field == "variants" and f"at most {MAX_VARIANTS} variants" in str(error)


def test_thousands_of_variants_are_refused_by_size() -> None:
    error = _error(scenario_text(variants=3000, layers=1))
    assert f"at most {MAX_FILE_BYTES // 1024} KiB" in str(error)


def test_the_largest_file_the_limits_allow_validates_every_variant(tmp_path: Path) -> None:
    """The generated worst case: many variants, each with many layers, against the most sorties."""
    text = scenario_text(variants=MAX_VARIANTS, groups=MAX_ITEMS, per_group=MAX_SORTIES // MAX_ITEMS,
                         layers=14, assets=MAX_ITEMS, force=MAX_FORCE)
    assert MAX_FILE_BYTES * 0.9 < len(text.encode()) <= MAX_FILE_BYTES
    path = tmp_path / "largest.toml"
    path.write_text(text, "utf-8")
    scenarios = validate_file(path)
    assert len(scenarios) == MAX_VARIANTS + 1
    assert sum(s.count for s in scenarios[-1].threat.sorties) == MAX_SORTIES
    assert [e.name for e in scenarios[-1].defence.effectors] == [f"e{i}" for i in range(14)]


def test_a_file_too_large_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(POST + "\n" + "# padding\n" * 100_000, "utf-8")
    with pytest.raises(UserError, match="at most 128 KiB") as caught:
        load_scenario(path)
    assert str(caught.value).startswith(str(path))


# -- nesting and encoding -------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [20, 5000])
def test_deeply_nested_toml_is_a_user_error(depth: int) -> None:
    text = POST_BASELINE.replace("[site]", "extra = " + "[" * depth + "]" * depth + "\n[site]", 1)
    assert "nested more than 16 levels" in str(_error(text))


def test_a_deeply_nested_document_names_the_path() -> None:
    document = tomllib.loads(POST)
    nested: dict = {}
    document["site"]["extra"] = nested
    for _ in range(3000):  # deeper than Python's recursion limit
        nested["x"] = nested = {}
    with pytest.raises(UserError, match="nested more than 16 levels") as caught:
        scenario_from_document(document, file="doc.toml")
    assert caught.value.field.startswith("site.extra.x.x")


def test_a_file_with_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + POST.encode("utf-8"))
    assert load_scenario(path) == load_scenario("post-drone-assault")
    assert [s.variant for s in validate_file(path)] == ["baseline", "improved"]


# -- the engine sizes its arrays by what the run needs ---------------------------------------------

def test_more_than_127_effectors_are_told_apart() -> None:
    """Past 127 effectors the index of the one that defeated a sortie overflowed an int8."""
    base = load_scenario("post-drone-assault@improved")  # sorties identified
    idle = [EffectorSpec(name=f"idle {i}", type="gun", p_kill=0.0) for i in range(199)]
    layers = [*idle, EffectorSpec(name="the last", type="gun", p_kill=1.0)]
    wide = base.model_copy(update={"defence": base.defence.model_copy(update={"effectors": layers})})
    summary = engine.run(wide, 64, seed=1, keep_table=False).summary
    defeats = summary["defeats_by_layer"]
    assert defeats["the last"] > 0 and defeats["the last"] == summary["means"]["defeated"]["mean"]
    assert not any(defeats[f"idle {i}"] for i in range(199))


def test_a_chunk_of_the_largest_scenario_stays_within_its_memory_budget() -> None:
    text = scenario_text(groups=MAX_ITEMS, per_group=MAX_SORTIES // MAX_ITEMS, layers=MAX_ITEMS)
    plan = engine.compile_plan(parse_scenario(text))
    rows = engine.chunk_rows([plan], engine.DEFAULT_CHUNK)
    width = plan.sorties * (engine.ARRAYS_PER_SORTIE + 3 * len(plan.effectors))
    assert 1 <= rows < engine.DEFAULT_CHUNK and rows * width <= engine.CHUNK_CELLS
    small = engine.compile_plan(load_scenario("post-drone-assault"))
    assert engine.chunk_rows([small], engine.DEFAULT_CHUNK) == engine.DEFAULT_CHUNK


@settings(max_examples=30, deadline=None)
@given(force=st.integers(0, 10**10), groups=st.integers(0, 3), per_group=st.integers(0, 300))
def test_any_size_is_refused_or_runs_with_bounded_distributions(force: int, groups: int,
                                                                per_group: int) -> None:
    """Whatever sizes a file gives, it is refused in one line or it runs, its outcome
    distributions no longer than the forces allow."""
    try:
        scenario = parse_scenario(scenario_text(groups=groups, per_group=per_group, assets=1,
                                                layers=1, force=max(force, 1)), file="sized.toml")
    except UserError as error:
        assert str(error).startswith("sized.toml") and "\n" not in str(error)
        return
    summary = engine.run(scenario, 16, seed=2, keep_table=False).summary
    longest = max(len(d["counts"]) for d in summary["distributions"].values())
    assert longest <= 2 * MAX_FORCE + 1


# -- size options of the scenario commands -----------------------------------------------------------

@pytest.mark.parametrize("option, value", [("--runs", "10000000000"), ("--chunk-size", "100000000"),
                                           ("--workers", "100000")])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_size_options_have_an_upper_bound(sahelsim, command: str, option: str, value: str) -> None:
    names = ["post-drone-assault"] if command == "run" else ["post-drone-assault",
                                                              "post-drone-assault@improved"]
    result = sahelsim("scenario", command, *names, option, value, timeout=120)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and option in result.stderr
    assert "less than or equal" in result.stderr


# -- a run killed outright -------------------------------------------------------------------------

@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_killing_a_run_leaves_no_workers_and_the_next_run_no_staging_folder(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = [sys.executable, "-m", "sahelsim", "scenario", "run", "post-drone-assault", "--seed", "1",
               "--out", str(out), "--json"]
    running = subprocess.Popen([*command, "--runs", "100000000", "--workers", "2",
                                "--chunk-size", "2048"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            workers = descendants(running.pid)
            if len(workers) >= 2 and list(out.glob(".partial-*/replications.parquet")):
                break  # both workers are up and chunks are coming back
            time.sleep(0.1)
        assert len(workers) >= 2, "the run never started its two workers"
        running.send_signal(signal.SIGKILL)
        running.wait(timeout=30)
        deadline = time.monotonic() + 10
        while alive(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = alive(workers)
        assert not survivors, f"workers outlived the killed run: {survivors}"
        assert running.stdout.read() == b""  # nobody holds the pipe open: a pipeline would end
    finally:
        for pid in alive(workers):  # only the processes this test started
            os.kill(pid, signal.SIGKILL)
        running.stdout.close()
    assert list(out.glob(".partial-*"))  # the killed run could not clean up after itself
    done = subprocess.run([*command, "--runs", "100", "--workers", "1"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not list(out.glob(".partial-*"))
    assert (out / "summary.json").is_file()

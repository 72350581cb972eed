"""`sahelsim scenario …` through the real entry point: exit codes, one-line errors, files, --json."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

import sahelsim
from sahelsim import cli as entry
from sahelsim.sim.scenario import library_dir


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `sahelsim ARGS…` in-process; returns (exit code, stdout, stderr)."""
    import sahelsim.cli.scenario  # noqa: F401  (registers the commands)

    monkeypatch.setattr(entry, "_register_commands", lambda: None)

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["sahelsim", "scenario", *args])
        try:
            entry.main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code or 0
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_list_and_show_as_json(cli) -> None:
    code, out, _ = cli("list", "--json")
    assert code == 0
    names = [row["name"] for row in json.loads(out)]
    assert "post-drone-assault" in names and len(names) >= 6
    code, out, _ = cli("show", "tongo-tongo-patrol-ambush@armed", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["variant"] == "armed" and shown["defence"]["air_support"]["armed"]


def test_validate_good_and_bad_files(cli, tmp_path) -> None:
    good = library_dir() / "borno-drone-raid.toml"
    code, out, _ = cli("validate", str(good), "--json")
    assert code == 0 and json.loads(out)["valid"]
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text("utf-8").replace('name = "surveillance"',
                                                   'name = "surveillance"\nspeed = 3'))
    code, out, err = cli("validate", str(bad))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert str(bad) in err and "threat.sorties[0].speed" in err and "unknown key" in err


def test_run_writes_parquet_summary_and_charts(cli, tmp_path) -> None:
    out_dir = tmp_path / "run"
    code, out, _ = cli("run", "tessalit-fpv-helicopter@improved", "--runs", "3000", "--seed", "5",
                       "--out", str(out_dir), "--workers", "1", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["runs"] == 3000 and result["scenario"] == "tessalit-fpv-helicopter@improved"
    table = pq.read_table(out_dir / "replications.parquet")
    assert table.num_rows == 3000
    summary = json.loads((out_dir / "summary.json").read_text())
    # a seed reproduces a run only with the version that drew it
    assert summary["seed"] == 5 and summary["sahelsim_version"] == sahelsim.__version__
    assert summary["means"]["leakers"]["mean"] == pytest.approx(
        table.column("leakers").to_numpy().mean())
    for chart in ("outcomes.png", "layers.png", "convergence.png", "outcomes.html"):
        assert (out_dir / chart).stat().st_size > 0


def test_the_run_table_shows_costs_and_a_share_per_outcome_class(cli, tmp_path) -> None:
    code, _, err = cli("run", "post-drone-assault@improved", "--runs", "2000", "--out", str(tmp_path),
                       "--workers", "1")
    assert code == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text())
    shares = summary["outcome_classes"]["assault_outcome"]
    for name, share in shares.items():
        assert f"P(assault_outcome = {name})" in err and f"{share['p']:.3f}" in err
    assert "value_lost_usd" in err and "cost-exchange ratio" in err
    assert f"{summary['cost_exchange_ratio']:.3f}" in err
    assert "P(overrun)" not in err  # the classes are not listed twice


def _strict_json(text: str):
    """JSON as other tools read it: NaN and Infinity are not numbers there."""
    def refuse(token: str):
        raise ValueError(f"{token} in JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("as_json", [True, False])
def test_a_single_replication_gives_no_interval_and_strict_json(cli, tmp_path, as_json) -> None:
    code, out, err = cli("run", "post-drone-assault", "--runs", "1", "--out", str(tmp_path),
                         "--workers", "1", *(["--json"] if as_json else []))
    assert code == 0, err
    summary = _strict_json((tmp_path / "summary.json").read_text())
    leakers = summary["means"]["leakers"]
    assert leakers["n"] == 1 and leakers["sd"] is None and leakers["ci95"] is None
    if as_json:
        assert _strict_json(out)["summary"]["means"]["leakers"]["ci95"] is None
    else:
        assert "leakers" in err and "–" in err  # the table shows a dash for the missing interval


def test_an_interrupted_run_exits_130_and_leaves_the_previous_results_whole(tmp_path) -> None:
    out = tmp_path / "results"
    command = [sys.executable, "-m", "sahelsim", "scenario", "run", "post-drone-assault", "--seed", "1",
               "--workers", "1", "--out", str(out), "--json"]
    subprocess.run([*command, "--runs", "2000"], check=True, capture_output=True, timeout=120)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    running = subprocess.Popen([*command, "--runs", "100000000"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(out.glob(".partial-*/replications.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the run is under way and writing
    running.send_signal(signal.SIGINT)
    stdout, stderr = running.communicate(timeout=60)
    assert running.returncode == 130
    assert stderr.strip().splitlines() == ["error: interrupted"]
    assert json.loads(stdout) == {"error": {"message": "interrupted", "exit_code": 130}}  # --json
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # no partial folder


def test_results_that_cannot_be_written_are_one_line(cli, tmp_path) -> None:
    (tmp_path / "summary.json").mkdir()
    code, _, err = cli("run", "post-drone-assault", "--runs", "10", "--out", str(tmp_path))
    assert code == 2 and err.strip().splitlines() == [
        f"error: {tmp_path / 'summary.json'}: a folder stands where the results go"]
    assert [path.name for path in tmp_path.iterdir()] == ["summary.json"]  # nothing else written


def test_run_until_precision(cli, tmp_path) -> None:
    code, out, _ = cli("run", "tessalit-fpv-helicopter", "--precision", "0.03", "--chunk-size",
                       "1024", "--workers", "1", "--out", str(tmp_path), "--json")
    assert code == 0 and json.loads(out)["runs"] < 10_000


def test_compare_reports_the_difference_with_its_interval(cli) -> None:
    code, out, _ = cli("compare", "tongo-tongo-patrol-ambush@unarmed-isr",
                       "tongo-tongo-patrol-ambush@armed-overwatch", "--runs", "2000", "--json")
    assert code == 0
    overrun = json.loads(out)["outcome_classes"]["assault_outcome"]["overrun"]
    low, high = overrun["ci95"]
    assert low <= overrun["difference"] <= high < 0


def test_unknown_scenario_is_one_line_and_exit_2(cli) -> None:
    code, out, err = cli("run", "atlantis", "--json")
    assert code == 2 and "unknown scenario" in err and len(err.strip().splitlines()) == 1
    assert json.loads(out)["error"]["message"] in err  # --json: the error as a document too


def test_the_cli_runs_and_compares_under_uncertainty(cli, tmp_path) -> None:
    code, out, _ = cli("run", "post-drone-assault", "-n", "1500", "--uncertain", "--workers", "1",
                       "--out", str(tmp_path / "r"), "--json")
    assert code == 0
    inputs = json.loads(out)["summary"]["inputs"]
    assert inputs["figures"] == "drawn per replication" and "threat.assault.attackers" in inputs["drawn"]
    saved = json.loads((tmp_path / "r" / "summary.json").read_text("utf-8"))
    assert saved["inputs"] == inputs
    code, out, _ = cli("compare", "post-drone-assault", "post-drone-assault@improved", "-n", "1000",
                       "--uncertain", "--workers", "1", "--json")
    assert code == 0
    assert [i["figures"] for i in json.loads(out)["inputs"]] == ["drawn per replication"] * 2

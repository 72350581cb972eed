"""Fuzzed command lines: every command of `sahelsim --help` with odd values for its size, number,
date, text and path options (and arguments).

Whatever is typed, the command ends with exit 0, or 2 and one line on stderr; never a traceback.
Valid runs are kept short by construction: `--runs` is small or refused, `--workers` is 1 or
refused, so a fuzzed value never starts a run of hours.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from acled_files import event, write_acled
from fuzzing import examples, run_in_process, run_in_subprocess
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sahelsim.sim.scenario import library_dir

NUMBERS = ["0", "-1", "-0", "1", "3", "+5", " 7", "1_000", "0x10", "1e3", "1.5", "nan", "inf", "-inf",
           "", " ", "٣", "2147483648", "9223372036854775808", "9" * 40, "many"]
SMALL_RUNS = ["0", "-1", "1", "7", "64", "1e3", "nan", "", "1000000001", "9" * 40, "x"]
WORKERS = ["0", "-1", "1", "257", "1.0", "", "two"]
SEEDS = ["0", "1", "-1", "4294967296", "18446744073709551616", "9" * 40, "1.5", "", "x"]
PRECISIONS = ["0", "-1", "1e-300", "0.05", "nan", "inf", "2", "", "x"]
DATES = ["2020-01-01", "2020-13-01", "2020-02-30", "0001-01-01", "9999-12-31", "20200101",
         "2020-1-1", "", "yesterday", "2020-01-01T00:00"]
TEXTS = ["", " ", "x", "[red]not a style[/red]", "\u202eevil", "é" * 3, "'; DROP TABLE events; --",
         "%s %d {0}", "x" * 100_000, "line\nbreak", "\t"]
# Paths: {placeholders} name what the example folder holds.
PATHS = ["{store}", "{csv}", "{folder}", "{toml}", "{missing}", "{missing}/deeper/file",
         "{csv}/under-a-file", "", ".", "/", "/dev/null", "/dev/full", "/proc/self/status",
         "-", "--json", "name with spaces [x].csv", "~/nope"]
# Names the file system refuses (too long) or that are not UTF-8 (bytes from a shell, read by Python
# as surrogates), for paths and scenario names: fuzzed on their own.
ODD_NAMES = ["a" * 300, "{folder}/" + "b" * 4000, "caf\udce9.csv", "{folder}/caf\udce9"]
CHOICES = {"--by": ["year", "actor", "colour", "", "YEAR"], "--as": ["either", "operator", "bogus", ""],
           "--format": ["csv", "json", "parquet", "xlsx", "", "CSV"]}
SCENARIOS = ["post-drone-assault", "post-drone-assault@improved", "post-drone-assault@nope",
             "no-such", "", "@", "{toml}", "{csv}", "{folder}", "{missing}", "/dev/null"]

# Each command: its words, then each option (or argument, for names starting with "<") and the
# values it may get; "*" options are added on every try (what keeps a valid run short).
DB = ("--db", PATHS)
COMMANDS: dict[str, list[tuple[str, list[str]]]] = {
    "ingest": [("<paths>", PATHS), DB, ("--deletions", PATHS), ("--dayfirst", []), ("--monthfirst", []),
               ("--replace", [])],
    "fetch acled": [DB, ("--country", TEXTS), ("--config", PATHS), ("--base-url", TEXTS + PATHS)],
    "quarantine list": [DB, ("--file", PATHS), ("--limit", NUMBERS)],
    "actors": [DB, ("--unmatched", [])],
    "tag": [("*--text", TEXTS), ("--event-type", TEXTS), ("--sub-event-type", TEXTS),
            ("--actor1", TEXTS), ("--actor2", TEXTS), ("--inter1", TEXTS + NUMBERS),
            ("--inter2", TEXTS + NUMBERS)],
    "events": [DB, ("--country", TEXTS), ("--since", DATES), ("--until", DATES), ("--actor", TEXTS),
               ("--as", CHOICES["--as"]), ("--drone", []), ("--format", CHOICES["--format"]),
               ("--out", PATHS)],
    "drones trends": [DB, ("--by", CHOICES["--by"]), ("--country", TEXTS), ("--since", DATES),
                      ("--until", DATES), ("--actor", TEXTS), ("--as", CHOICES["--as"]),
                      ("--out", PATHS), ("*--no-charts", [])],
    "demo": [("*--db", PATHS), ("*--out", PATHS)],
    "scenario list": [],
    "scenario show": [("<name>", SCENARIOS)],
    "scenario validate": [("<file>", PATHS)],
    "scenario run": [("<name>", SCENARIOS), ("*--runs", SMALL_RUNS), ("--seed", SEEDS),
                     ("--out", PATHS), ("--precision", PRECISIONS), ("*--workers", WORKERS),
                     ("--chunk-size", NUMBERS)],
    "scenario compare": [("<first>", SCENARIOS), ("<second>", SCENARIOS), ("*--runs", SMALL_RUNS),
                         ("--seed", SEEDS), ("*--workers", WORKERS), ("--chunk-size", NUMBERS)],
}


@st.composite
def command_lines(draw, names: list[str] | None = None) -> list[str]:
    """One command with a few of its options, each given an odd value (paths from `names` where
    given)."""
    named = [PATHS, SCENARIOS]  # what `names` replace
    commands = [c for c in COMMANDS if not names or any(v in named for _, v in COMMANDS[c])]
    command = draw(st.sampled_from(commands))
    argv = command.split()
    for option, values in COMMANDS[command]:
        always = option.startswith("*") or bool(names and values in named)
        option = option.lstrip("*")
        if names and values in named:
            values = names
        if option.startswith("<"):
            argv.append(draw(st.sampled_from(values)))
        elif always or draw(st.integers(0, 2)) == 0:
            argv += [option, draw(st.sampled_from(values))] if values else [option]
    if draw(st.integers(0, 3)) == 0:
        argv.append("--json")
    return argv


@pytest.fixture
def example_folder(tmp_path_factory, monkeypatch):
    """Where the fuzzed commands run: no credentials, no user store, no user config in reach."""
    for name in ("ACLED_USERNAME", "ACLED_PASSWORD", "ACLED_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("SAHELSIM_DB", str(home / "default.duckdb"))
    template = tmp_path_factory.mktemp("template")
    store = template / "store.duckdb"
    csv = write_acled(template / "export.csv", [event(), event(event_id_cnty="MLI2", latitude="x")])
    assert run_in_process(["ingest", str(csv), "--db", str(store)]).code == 0
    return template


def prepared(template: Path, folder: Path, argv: list[str]) -> list[str]:
    """A fresh copy of the example files in `folder`, and `argv` with its placeholders filled."""
    for name in ("store.duckdb", "export.csv"):
        shutil.copyfile(template / name, folder / name)
    shutil.copyfile(library_dir() / "tessalit-fpv-helicopter.toml", folder / "scenario.toml")
    (folder / "dir").mkdir(exist_ok=True)
    places = {"{store}": "store.duckdb", "{csv}": "export.csv", "{folder}": "dir",
              "{toml}": "scenario.toml", "{missing}": "missing"}
    filled = []
    for arg in argv:
        for mark, name in places.items():
            arg = arg.replace(mark, str(folder / name))
        filled.append(arg)
    return filled


def run_in_own_folder(template: Path, folder: Path, argv: list[str]) -> None:
    """Run the command in `folder`, where its relative paths and default outputs land."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        run_in_process(prepared(template, folder, argv)).check_contract()
    finally:
        os.chdir(before)


@settings(max_examples=examples(0.6), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=command_lines())
def test_odd_options_end_in_exit_0_or_one_line(example_folder, tmp_path_factory, argv):
    run_in_own_folder(example_folder, tmp_path_factory.mktemp("cli"), argv)


@settings(max_examples=examples(0.1), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=command_lines(ODD_NAMES))
def test_names_too_long_or_not_utf8_end_in_exit_0_or_one_line(example_folder, tmp_path_factory, argv):
    run_in_own_folder(example_folder, tmp_path_factory.mktemp("cli"), argv)


@settings(max_examples=examples(0.03), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=command_lines())
def test_odd_options_through_the_installed_command(example_folder, tmp_path_factory, argv):
    """A share through `python -m sahelsim`, where the arguments are bytes from a shell."""
    folder = tmp_path_factory.mktemp("cli")
    run_in_subprocess(prepared(example_folder, folder, argv), cwd=folder).check_contract()

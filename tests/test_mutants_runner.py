"""The mutation runner (mutants/run.py): a list that no longer fits the code stops the run naming the
mutant, a survivor needs its reason, and the report replaces only its own part of the file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).parent.parent / "mutants" / "run.py"
COSTS = "src/sahelsim/sim/costs.py"
# a test of the attacker's cost alone: a one-way drone that delivers is lost
TEST = '''
import numpy as np
from sahelsim.sim.costs import attacker_cost

def test_a_one_way_drone_that_delivers_is_lost():
    cost = attacker_cost(np.array([[False]]), np.array([[True]]), np.array([True]), np.array([500.0]))
    assert cost.tolist() == [500.0]
'''


def _runner():
    """mutants/run.py is a script, not part of the package: loaded from its path (registered first,
    as its dataclasses look their module up)."""
    if "mutants_run" not in sys.modules:
        spec = importlib.util.spec_from_file_location("mutants_run", RUNNER)
        sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules["mutants_run"]


def _domain(tmp_path: Path, *mutants: str) -> Path:
    test = tmp_path / "test_costs_only.py"
    test.write_text(TEST, "utf-8")
    path = tmp_path / "domain.toml"
    path.write_text(f'[defaults]\ntests = ["{test}"]\ntimeout_s = 120\n' + "".join(mutants), "utf-8")
    return path


def _mutant(id_: str, find: str, replace: str, why: str = "") -> str:
    return (f"[[mutant]]\nid = '{id_}'\nmechanism = 'expendable'\nkind = 'remove'\nfile = '{COSTS}'\n"
            f"find = '{find}'\nreplace = '{replace}'\n" + (f"why = '{why}'\n" if why else ""))


@pytest.mark.parametrize("find, problem", [("unit_cost", "occurs 2 times"), ("no such text", "occurs 0 times")])
def test_a_find_that_does_not_occur_exactly_once_stops_the_run_naming_the_mutant(
        tmp_path: Path, capsys, find: str, problem: str) -> None:
    domain = _domain(tmp_path, _mutant("stale", find, "x"))
    assert _runner().main(["--check", "--domain", str(domain)]) == 1
    assert f"stale: find {problem} in {COSTS}" in capsys.readouterr().err


def test_killed_and_explained_mutants_pass_and_fill_only_their_part_of_the_report(tmp_path: Path) -> None:
    killed = _mutant("expendable-ignored", "(delivered & expendable)", "(delivered & False)")
    equivalent = _mutant("same-cost", "return lost @ unit_cost", "return unit_cost @ lost",
                         why="a dot product of two vectors does not depend on their order")
    report = tmp_path / "validation.md"
    report.write_text("# Validation\n\n## Mutation testing\n\nText.\n\n<!-- mutants:begin -->\nprevious table\n"
                      "<!-- mutants:end -->\n\n## Agreement with the Mesa twin\n\nKept.\n", "utf-8")
    src_before = {p: p.read_bytes() for p in (RUNNER.parent.parent / "src").rglob("*.py")}
    code = _runner().main(["--domain", str(_domain(tmp_path, killed, equivalent)), "--report", str(report),
                           "--jobs", "2"])
    text = report.read_text("utf-8")
    assert code == 0
    assert "Score: 1 of 2 domain mutants killed (50.0%)" in text and "previous table" not in text
    assert "| `expendable-ignored` | expendable | remove | killed | " in text
    assert "test_a_one_way_drone_that_delivers_is_lost" in text
    assert "| `same-cost` | expendable | remove | survived | a dot product" in text
    assert text.startswith("# Validation\n\n## Mutation testing\n\nText.\n") and text.endswith("Kept.\n")
    assert {p: p.read_bytes() for p in src_before} == src_before  # the real tree is only read


def test_a_survivor_without_a_reason_or_a_reason_without_a_survivor_fails_the_run(
        tmp_path: Path, capsys) -> None:
    unexplained = _mutant("same-cost", "return lost @ unit_cost", "return unit_cost @ lost")
    stale = _mutant("expendable-ignored", "(delivered & expendable)", "(delivered & False)", why="stale")
    code = _runner().main(["--domain", str(_domain(tmp_path, unexplained, stale)),
                           "--report", str(tmp_path / "v.md"), "--jobs", "2"])
    errors = capsys.readouterr().err
    assert code == 1
    assert "same-cost: survived and has no `why`" in errors
    assert "expendable-ignored: has a `why` but no longer survives (killed)" in errors

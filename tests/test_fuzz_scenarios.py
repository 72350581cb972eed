"""Fuzzed scenario files: the bundled scenarios with a value, a table or the nesting damaged.

A scenario file is refused in one line naming the file (a `UserError`), or it validates; one that
validates also runs, briefly, to the end. Nothing in between: no traceback, no run that a valid file
cannot finish. Most examples go through the library (`parse_scenario`, `engine.run`); a share goes
through `sahelsim scenario validate` and `sahelsim scenario run` as users type them.
"""

from __future__ import annotations

import re

import pytest
from fuzzing import examples, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sahelsim.errors import UserError
from sahelsim.sim import engine
from sahelsim.sim.scenario import library_dir, parse_scenario

LIBRARY = {path.stem: path.read_text("utf-8") for path in sorted(library_dir().glob("*.toml"))}
ASSIGNMENT = re.compile(r"^(\s*[A-Za-z0-9_\"\-. ]+?\s*=\s*)(.+)$")
NUMBER = re.compile(r"(?<![\w.\"])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w\"])")
TABLE = re.compile(r"^\s*\[\[?([^\]]+)\]\]?\s*$")

# Values of the wrong type, sign or size, in TOML's own spelling.
ODD_VALUES = st.sampled_from([
    "0", "-1", "-0.5", "1e308", "-1e308", "inf", "-inf", "nan", "1" + "0" * 30, "-" + "9" * 30,
    "9223372036854775807", "-9223372036854775808", "0.0000001", "1.5", '"text"', '""', "true",
    "false", "[]", "{}", "[1, 2]", '{ value = 1, low = 2, high = 0 }', '{ value = -1 }',
    '{ value = "x" }', "1979-05-27T07:32:00Z", "1979-05-27", '"' + "x" * 5000 + '"',
    '{ value = 1e308, low = 0, high = 1e308 }', "[" * 30 + "]" * 30,
])


@st.composite
def changed_value(draw, text: str) -> str:
    """One assignment's whole value replaced by an odd one."""
    lines = text.splitlines()
    places = [i for i, line in enumerate(lines) if ASSIGNMENT.match(line)]
    at = draw(st.sampled_from(places))
    lines[at] = ASSIGNMENT.sub(lambda m: m.group(1) + draw(ODD_VALUES), lines[at])
    return "\n".join(lines) + "\n"


@st.composite
def changed_number(draw, text: str) -> str:
    """One number (a figure, its low or high, a list item) replaced by an odd one."""
    found = list(NUMBER.finditer(text))
    match = draw(st.sampled_from(found))
    new = draw(st.sampled_from(["0", "-1", "-" + match.group(), match.group() + "000000", "1e308",
                                "nan", "inf", "1" + "0" * 25, "0.5", '"1"', "true"]))
    return text[:match.start()] + new + text[match.end():]


@st.composite
def dropped_table(draw, text: str) -> str:
    """One table, from its header to the next, removed."""
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if TABLE.match(line)]
    at = draw(st.sampled_from(headers))
    end = next((i for i in headers if i > at), len(lines))
    return "\n".join(lines[:at] + lines[end:]) + "\n"


@st.composite
def dropped_line(draw, text: str) -> str:
    lines = text.splitlines()
    at = draw(st.integers(0, len(lines) - 1))
    return "\n".join(lines[:at] + lines[at + 1:]) + "\n"


@st.composite
def deep_nesting(draw, text: str) -> str:
    """A value nested past any sane depth, as arrays, inline tables or dotted keys."""
    depth = draw(st.sampled_from([17, 100, 1_000, 50_000]))
    how = draw(st.sampled_from(["array", "inline", "dotted"]))
    value = {"array": "deep = " + "[" * depth + "]" * depth,
             "inline": "deep = " + "{ a = " * depth + "1" + " }" * depth,
             "dotted": ".".join(["deep"] * depth) + " = 1"}[how]
    lines = text.splitlines()
    at = draw(st.sampled_from([0, *[i + 1 for i, line in enumerate(lines) if TABLE.match(line)]]))
    return "\n".join(lines[:at] + [value] + lines[at:]) + "\n"


@st.composite
def repeated_table(draw, text: str) -> str:
    """An array-of-tables entry (a sortie, an asset, a sensor) repeated many times."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith("[[")] \
        or [i for i, line in enumerate(lines) if TABLE.match(line)]  # none: a table twice
    at = draw(st.sampled_from(starts))
    end = next((i for i, line in enumerate(lines) if i > at and TABLE.match(line)), len(lines))
    times = draw(st.sampled_from([2, 65, 600]))
    return "\n".join(lines[:end] + lines[at:end] * times + lines[end:]) + "\n"


DAMAGE = {"changed-value": changed_value, "changed-number": changed_number,
          "dropped-table": dropped_table, "dropped-line": dropped_line, "deep-nesting": deep_nesting,
          "repeated-table": repeated_table}
SETTINGS = settings(max_examples=examples(0.15), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def outcome(text: str) -> list:
    """The scenario's variants that validate; a refusal must be one line naming the file."""
    try:
        baseline = parse_scenario(text, file="fuzzed.toml")
    except UserError as error:
        assert "\n" not in str(error) and str(error).startswith("fuzzed.toml"), str(error)
        return []
    valid = [baseline]
    for variant in baseline.variants[1:]:
        try:
            valid.append(parse_scenario(text, file="fuzzed.toml", variant=variant))
        except UserError as error:
            assert "\n" not in str(error) and str(error).startswith("fuzzed.toml"), str(error)
    return valid


@pytest.mark.parametrize("kind", list(DAMAGE))
@SETTINGS
@given(data=st.data(), name=st.sampled_from(list(LIBRARY)))
def test_damaged_scenario_validates_and_runs_or_is_refused_in_one_line(kind, data, name):
    for scenario in outcome(data.draw(DAMAGE[kind](LIBRARY[name]))):
        result = engine.run(scenario, 64, seed=1, chunk_size=32, keep_table=False)
        assert result.runs == 64


@settings(max_examples=examples(0.03), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(list(LIBRARY)), kind=st.sampled_from(list(DAMAGE)))
def test_damaged_scenario_through_the_command(tmp_path_factory, data, name, kind):
    """`scenario validate` and a short `scenario run` of the damaged file, as a user types them."""
    folder = tmp_path_factory.mktemp("scenario")
    path = folder / f"{name}.toml"
    path.write_text(data.draw(DAMAGE[kind](LIBRARY[name])), "utf-8")
    checked = run_in_process(["scenario", "validate", str(path), "--json"])
    checked.check_contract()
    ran = run_in_process(["scenario", "run", str(path), "--runs", "50", "--workers", "1",
                          "--out", str(folder / "out"), "--json"])
    ran.check_contract()
    assert (checked.code == 0) <= (ran.code == 0), "a file that validates did not run"
    assert not list((folder / "out").glob(".partial-*"))

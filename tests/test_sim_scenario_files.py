"""Scenario files: a wrong file gives one line naming the file, the field path and what is expected."""

from __future__ import annotations

import copy
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sahelsim.errors import UserError
from sahelsim.sim.scenario import library_dir, load_scenario, parse_scenario, scenario_from_document
from sahelsim.sim.sources import strip_figures

GOOD = (library_dir() / "tessalit-fpv-helicopter.toml").read_text("utf-8")


def _error(text: str, variant: str = "baseline") -> UserError:
    with pytest.raises(UserError) as caught:
        parse_scenario(text, file="lz.toml", variant=variant)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("lz.toml")
    return caught.value


@pytest.mark.parametrize("old, new, field, expected", [
    ('role = "strike"', 'role = "strike"\ncolour = "red"', "threat.sorties[0].colour", "unknown key"),
    ("count = { value = 2, low = 1, high = 4 }", 'count = "two"', "threat.sorties[0].count",
     "integer"),
    ('platform = "fpv_strike"', 'platform = "fpv_9000"', "threat.sorties[0].platform",
     "unknown platform"),
    ('target = "helicopter"', 'target = "hangar"', "threat.sorties[0].target", "asset"),
    ('type = "rf_jammer"', 'type = "laser"', "variants.improved.defence.effectors[1].type",
     "unknown effector type"),
    ('kind = "landing_zone"', 'kind = "ship"', "site.kind", "landing_zone"),
    ("median_s = { value = 30, low = 10, high = 120 }",
     "median_s = { value = 30, low = 40, high = 120 }", "defence.command_delay.median_s", "low <="),
    ('[site]', '[site]\nsize = 3', "site.size", "unknown key"),
    ("perimeter_m = { value = 300, low = 100, high = 600 }", "perimeter_m = inf", "site.perimeter_m",
     "finite"),  # TOML spells infinity; a scenario has no use for it
    ("perimeter_m = { value = 300, low = 100, high = 600 }", "perimeter_m = { value = 300, low = 400 }",
     "site.perimeter_m", "low <="),
    ('kind = "landing_zone"', 'kind = "landing_zone"\nnight = "yes"', "site.night", "boolean"),
    ('count = { value = 1, source = "the incident: one helicopter" }', 'count = "1"',
     "site.assets[0].count", "integer"),
    ('type = "rf_jammer"', 'type = "rf_jammer"\nrange_min_m = 5000\nrange_max_m = 100',
     "variants.improved.defence.effectors[1].range_min_m", "below the maximum"),
])
def test_a_mistake_names_the_file_the_field_and_what_is_expected(old, new, field, expected) -> None:
    assert old in GOOD
    error = _error(GOOD.replace(old, new, 1), variant="improved" if "variants" in field else "baseline")
    assert error.field == field
    assert expected in str(error)


def test_dispersion_may_only_lower_the_reach() -> None:
    niamey = (library_dir() / "niamey-airbase-raid.toml").read_text("utf-8")
    old = 'dispersion = { "military aircraft in the drone hangar" = { value = 1,'
    assert old in niamey
    with pytest.raises(UserError) as caught:
        parse_scenario(niamey.replace(old, old.replace("value = 1", "value = 7")), file="niamey.toml",
                       variant="improved")
    field = "variants.improved.defence.passive.dispersion.military aircraft in the drone hangar"
    assert caught.value.field == field
    assert "lowers the reach" in str(caught.value)


def test_a_variant_cannot_be_called_baseline() -> None:
    error = _error(GOOD + "\n[variants.baseline.defence.passive]\nwarning = true\n")
    assert error.field == "variants.baseline" and "another name" in str(error)


def test_broken_toml_is_one_line() -> None:
    assert "not valid TOML" in str(_error(GOOD + "\n[site\n"))


def test_a_variant_may_only_change_the_defence() -> None:
    error = _error(GOOD + '\n[variants.cheat.threat]\nactor = "jnim"\n', variant="cheat")
    assert error.field == "variants.cheat.threat"


def test_unknown_variant_and_unknown_scenario_are_user_errors() -> None:
    with pytest.raises(UserError, match="no variant"):
        load_scenario("tessalit-fpv-helicopter@gold")
    with pytest.raises(UserError, match="unknown scenario"):
        load_scenario("atlantis")


def test_variants_merge_tables_and_replace_lists() -> None:
    improved = load_scenario("tessalit-fpv-helicopter@improved")
    assert improved.variant == "improved" and improved.label.endswith("@improved")
    assert [s.name for s in improved.defence.sensors] == ["LZ security", "RF detector",
                                                           "acoustic array"]
    assert improved.threat == load_scenario("tessalit-fpv-helicopter").threat


def test_figures_keep_source_and_range() -> None:
    scenario = load_scenario("tessalit-fpv-helicopter")
    figure = scenario.figures["threat.sorties[0].count"]
    assert (figure.value, figure.low, figure.high) == (2, 1, 4)
    assert "FPV" in figure.source


@settings(max_examples=50, deadline=None)
@given(st.recursive(st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=3),
                              st.booleans()),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.sampled_from("abcd"), inner,
                                                            max_size=3)),
                    max_leaves=10))
def test_documents_without_figures_pass_through_unchanged(document) -> None:
    plain, _ = strip_figures(document)
    assert plain == document


def _numeric_paths(document, path=()):
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _numeric_paths(value, (*path, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield from _numeric_paths(value, (*path, i))
    elif isinstance(document, (int, float)) and not isinstance(document, bool):
        yield path


RAW = tomllib.loads((library_dir() / "post-drone-assault.toml").read_text("utf-8"))
NUMBERS = list(_numeric_paths(RAW))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NUMBERS),
       st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=4), st.booleans()))
def test_any_changed_number_validates_or_gives_a_user_error(path, value) -> None:
    """Whatever number a user gets wrong, the answer is a scenario or a UserError, never a crash."""
    document = copy.deepcopy(RAW)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        scenario_from_document(document, file="fuzz.toml")
    except UserError as error:
        assert str(error).startswith("fuzz.toml") and "\n" not in str(error)

"""The table of documented outcomes: the bundled observations hold what the reporting says, and a
user's own table is read in any encoding variant we promise or refused on one line naming the mistake."""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from sahelsim.errors import UserError
from sahelsim.analysis.outcomes import CENSORING, COLUMNS, METRICS, Outcome, load_outcomes, outcomes_for
from sahelsim.sim.scenario import library_dir, list_library


@pytest.fixture(scope="module")
def bundled() -> list[Outcome]:
    return load_outcomes()


def find(outcomes: list[Outcome], incident_prefix: str, metric: str) -> Outcome:
    (match,) = [o for o in outcomes if o.incident.startswith(incident_prefix) and o.metric == metric]
    return match


def test_bundled_table_has_the_documented_columns_in_order() -> None:
    path = Path(__file__).parents[1] / "src/sahelsim/evidence/data/outcomes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == COLUMNS


def test_every_bundled_row_names_a_library_scenario_and_a_source(bundled: list[Outcome]) -> None:
    library = set(list_library())
    assert bundled
    for outcome in bundled:
        assert outcome.scenario in library
        assert outcome.source_publisher.strip()
        assert outcome.metric in METRICS and outcome.censoring in CENSORING


def test_every_incident_is_cited_by_the_scenario_it_informs(bundled: list[Outcome]) -> None:
    """The scenario's own source list names the incident (its place, in the month it happened), so
    the simulator's documentation and the calibration's observations never drift apart."""
    for outcome in bundled:
        sources = tomllib.loads((library_dir() / f"{outcome.scenario}.toml").read_text("utf-8"))
        place = re.sub(r"-\d{4}(-\d{2}){1,2}$", "", outcome.incident).replace("-", " ")
        cited = [entry for entry in sources["sources"]["incidents"]
                 if entry.startswith(outcome.date[:7]) and place in entry.lower()]
        assert cited, f"{outcome.incident} is not cited in {outcome.scenario}.toml"


def test_claims_of_one_side_are_never_exact(bundled: list[Outcome]) -> None:
    for outcome in bundled:
        if outcome.claimed_by:
            assert outcome.censoring != "exact"
        if outcome.censoring == "contested":
            assert outcome.claimed_by


def test_tongo_tongo_dead_are_four_us_and_four_or_five_nigerien(bundled: list[Outcome]) -> None:
    us, nigerien_low, nigerien_high = 4, 4, 5
    killed = find(bundled, "tongo-tongo", "defender_killed")
    assert killed.scenario == "tongo-tongo-patrol-ambush"
    assert killed.bounds() == (us + nigerien_low, us + nigerien_high)


def test_mansila_over_a_hundred_killed_and_the_post_fell(bundled: list[Outcome]) -> None:
    killed = find(bundled, "mansila", "defender_killed")
    assert (killed.censoring, killed.bounds()) == ("at_least", (100, math.inf))
    fell = find(bundled, "mansila", "overrun")
    assert (fell.censoring, fell.bounds()) == ("exact", (1, 1))


def test_sabon_gari_at_least_nine_soldiers_and_two_cjtf_killed(bundled: list[Outcome]) -> None:
    soldiers, cjtf = 9, 2
    killed = find(bundled, "sabon-gari", "defender_killed")
    assert killed.scenario == "borno-drone-raid"
    assert (killed.censoring, killed.bounds()) == ("at_least", (soldiers + cjtf, math.inf))


def test_niamey_figures_keep_who_claims_them(bundled: list[Outcome]) -> None:
    destroyed = find(bundled, "niamey", "assets_destroyed")
    assert destroyed.censoring == "contested" and destroyed.claimed_by
    assert "5" in destroyed.reported and destroyed.bounds()[0] <= 5 <= destroyed.bounds()[1]
    killed, captured = 20, 11
    losses = find(bundled, "niamey", "attacker_losses")
    assert losses.claimed_by and losses.bounds()[1] == killed + captured
    wounded = find(bundled, "niamey", "defender_wounded")
    assert wounded.bounds() == (4, math.inf)
    assert find(bundled, "niamey", "overrun").bounds() == (0, 0)


def test_eknewan_keeps_both_reported_tolls(bundled: list[Outcome]) -> None:
    killed = find(bundled, "eknewan", "defender_killed")
    assert (killed.censoring, killed.bounds()) == ("interval", (41, 64))
    assert killed.actor == "is_sahel"


def test_boulkessi_claim_of_over_a_hundred_is_not_taken_as_fact(bundled: list[Outcome]) -> None:
    killed = find(bundled, "boulkessi", "defender_killed")
    assert killed.bounds()[0] < 100  # the floor comes from independent sources, not JNIM's claim


def test_tessalit_helicopter_is_contested(bundled: list[Outcome]) -> None:
    downed = find(bundled, "tessalit", "assets_destroyed")
    assert downed.censoring == "contested" and downed.bounds() == (0, 1)


def test_outcomes_for_a_scenario(bundled: list[Outcome]) -> None:
    borno = outcomes_for("borno-drone-raid", bundled)
    assert borno and {o.scenario for o in borno} == {"borno-drone-raid"}
    assert outcomes_for("convoy-isr-blockade", bundled) == []  # no quantitative outcome reported
    with pytest.raises(UserError, match="unknown scenario"):
        outcomes_for("no-such-scenario", bundled)


# ------------------------------------------------------------------------ a user's own table

GOOD = {
    "incident": "test-post-2025-03-01", "date": "2025-03-01", "place": "A post", "country": "Mali",
    "actor": "jnim", "scenario": "post-drone-assault", "metric": "defender_killed",
    "reported": "at least 5", "censoring": "at_least", "low": "5", "high": "", "claimed_by": "",
    "source_publisher": "A newspaper", "source_date": "2025-03", "source_title": "A title", "note": "",
}


def write_table(path: Path, rows: list[dict[str, str]], *, header: tuple[str, ...] = COLUMNS,
                bom: bool = False, crlf: bool = False) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + text.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_user_table_loads_with_or_without_bom_and_crlf(tmp_path: Path, bom: bool, crlf: bool) -> None:
    second = GOOD | {"metric": "overrun", "reported": "fell", "censoring": "exact", "low": "1", "high": "1"}
    path = write_table(tmp_path / "mine.csv", [GOOD, second], bom=bom, crlf=crlf)
    loaded = load_outcomes(path)
    assert [(o.incident, o.metric, o.bounds()) for o in loaded] == [
        ("test-post-2025-03-01", "defender_killed", (5, math.inf)),
        ("test-post-2025-03-01", "overrun", (1, 1))]
    assert loaded[0].note == "" and loaded[0].claimed_by is None


def test_user_table_columns_may_come_in_any_order(tmp_path: Path) -> None:
    path = write_table(tmp_path / "mine.csv", [GOOD], header=tuple(reversed(COLUMNS)))
    assert load_outcomes(path)[0].low == 5


MISTAKES = [  # (name, second row's changes, field named, words in the message)
    ("unknown metric", {"metric": "casualties"}, "metric", "unknown metric"),
    ("unknown censoring", {"censoring": "roughly"}, "censoring", "unknown censoring"),
    ("low above high", {"censoring": "interval", "low": "9", "high": "3"}, "low", "above high"),
    ("exact not equal", {"censoring": "exact", "low": "3", "high": "4"}, "high", "low == high"),
    ("at_least with a high", {"censoring": "at_least", "low": "3", "high": "4"}, "high", "empty"),
    ("at_most with a low", {"censoring": "at_most", "low": "3", "high": "4"}, "low", "empty"),
    ("no source", {"source_publisher": " "}, "source_publisher", "empty"),
    ("claimed exact", {"censoring": "exact", "low": "3", "high": "3", "claimed_by": "JNIM"},
     "claimed_by", "cannot be exact"),
    ("contested unclaimed", {"censoring": "contested", "low": "0", "high": "3"}, "claimed_by", "who"),
    ("low not a number", {"low": "five"}, "low", "not a number"),
    ("high not a number", {"censoring": "interval", "low": "1", "high": "1O"}, "high", "not a number"),
    ("negative count", {"low": "-2"}, "low", "not a count"),
    ("unknown scenario", {"scenario": "post-assault"}, "scenario", "unknown scenario"),
    ("unknown actor", {"actor": "jnm"}, "actor", "unknown actor"),
    ("bad date", {"date": "25/05/2025"}, "date", "not a date"),
    ("overrun above 1", {"metric": "overrun", "censoring": "exact", "low": "2", "high": "2"},
     "high", "at most 1"),
    ("duplicate pair", {}, "metric", "twice"),
    ("two scenarios", {"metric": "overrun", "censoring": "exact", "low": "1", "high": "1",
                       "scenario": "borno-drone-raid"}, "scenario", "one scenario"),
]


@pytest.mark.parametrize(("changes", "field", "words"), [m[1:] for m in MISTAKES],
                         ids=[m[0] for m in MISTAKES])
def test_user_mistake_names_file_row_and_field(tmp_path: Path, changes: dict[str, str], field: str,
                                               words: str) -> None:
    path = write_table(tmp_path / "mine.csv", [GOOD, GOOD | changes])
    with pytest.raises(UserError) as caught:
        load_outcomes(path)
    error = caught.value
    assert (error.file, error.row, error.field) == (str(path), 2, field)
    assert words in error.message
    assert "\n" not in str(error) and str(error).startswith(f"{path}, row 2, field {field!r}: ")


@pytest.mark.parametrize(("header", "named"), [
    (tuple(c for c in COLUMNS if c != "claimed_by"), "missing column claimed_by"),
    (COLUMNS + ("weight",), "unknown column weight"),
    (tuple("claimd_by" if c == "claimed_by" else c for c in COLUMNS),
     "missing column claimed_by; unknown column claimd_by"),
])
def test_wrong_header_names_the_column(tmp_path: Path, header: tuple[str, ...], named: str) -> None:
    path = write_table(tmp_path / "mine.csv", [GOOD], header=header)
    with pytest.raises(UserError) as caught:
        load_outcomes(path)
    assert caught.value.file == str(path) and caught.value.header
    assert named in caught.value.message


@pytest.mark.parametrize(("bad_line", "words"), [
    (lambda line: line + ",extra", "more fields"),
    (lambda line: line.rsplit(",", 3)[0], "fewer fields"),
    (lambda line: line.replace("A post", "x" * 200_000), "not readable as CSV"),
], ids=["stray comma", "fields missing", "field over the CSV reader's limit"])
def test_malformed_row_is_refused_with_its_row(tmp_path: Path, bad_line: Callable[[str], str],
                                               words: str) -> None:
    path = write_table(tmp_path / "mine.csv", [GOOD])
    header, line = path.read_text("utf-8").splitlines()
    path.write_text(f"{header}\n{line}\n{bad_line(line)}\n", "utf-8")
    with pytest.raises(UserError) as caught:
        load_outcomes(path)
    assert (caught.value.file, caught.value.row) == (str(path), 2)
    assert caught.value.message.startswith(words)


def test_file_not_utf8_or_missing_is_one_line(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    write_table(latin, [GOOD | {"place": "Tillabéri"}])
    latin.write_bytes(latin.read_bytes().replace("é".encode(), b"\xe9"))
    with pytest.raises(UserError, match="not UTF-8"):
        load_outcomes(latin)
    with pytest.raises(UserError, match="no such file"):
        load_outcomes(tmp_path / "absent.csv")

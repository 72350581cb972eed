"""Documented outcomes: what public reporting says happened in the incidents the scenarios cite.

Calibration fits a scenario's placeholder figures until the simulator reproduces these outcomes, and
validation checks that it still does. Reporting rarely gives one clean number ("over 100 killed",
"41 or 64", a toll only the attackers claim), so each observation keeps its censoring: the figure as
worded, and the closed interval of counts it allows (`Outcome.bounds`). A figure only one side gives
is `contested` and names who claims it; it carries a widened interval, never the claim as fact.

The bundled table is data (``evidence/data/outcomes.csv``, docs/outcomes.md), one row per incident and metric; a user
may load their own file of the same layout. Every mistake in such a file is a `UserError` naming the
file, the data row (1-based, the header not counted) and the field.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from sahelsim.errors import UserError
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.sim.scenario import list_library

COLUMNS = ("incident", "date", "place", "country", "actor", "scenario", "metric", "reported",
           "censoring", "low", "high", "claimed_by", "source_publisher", "source_date",
           "source_title", "note")

Censoring = Literal["exact", "at_least", "at_most", "interval", "contested"]
CENSORING: tuple[str, ...] = get_args(Censoring)

# Per-replication outputs of the engine an outcome can be compared with (docs/simulator.md).
METRICS = ("defender_killed", "defender_wounded", "defender_losses", "attacker_losses",
           "assets_destroyed", "assets_damaged", "defeated", "overrun", "leakers")

# Which bounds each kind of censoring needs (True) or forbids (False); None leaves it open.
_BOUNDS_RULE: dict[str, tuple[bool | None, bool | None]] = {
    "exact": (True, True), "at_least": (True, False), "at_most": (False, True),
    "interval": (True, True), "contested": (None, None)}

_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")
Refuse = Callable[[str, str], UserError]  # (field, message) -> the error for the row at hand

_REQUIRED = ("incident", "date", "actor", "scenario", "metric", "reported", "censoring",
             "source_publisher")


@dataclass(frozen=True)
class Outcome:
    """One documented figure of one incident, with where it comes from."""

    incident: str
    date: str  # ISO date, or YYYY-MM when only the month is known
    place: str
    country: str
    actor: str  # attacking actor's key in actors.toml
    scenario: str  # the library scenario whose baseline stands for the incident
    metric: str
    reported: str  # the figure as the source words it
    censoring: Censoring
    low: float | None
    high: float | None
    claimed_by: str | None
    source_publisher: str
    source_date: str | None
    source_title: str | None
    note: str

    def bounds(self) -> tuple[float, float]:
        """The closed interval of counts the observation allows: every metric is a count, so an open
        low is 0 and an open high is infinite."""
        return (0.0 if self.low is None else self.low,
                math.inf if self.high is None else self.high)


def load_outcomes(path: str | Path | None = None) -> list[Outcome]:
    """The bundled table, or a user's CSV file of the same layout (UTF-8, BOM or not, any line end)."""
    if path is None:
        data = (resources.files("sahelsim.evidence") / "data" / "outcomes.csv").read_bytes()
        name = "outcomes.csv (bundled)"
    else:
        name = str(path)
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise UserError("no such file", file=name) from None
        except OSError as error:
            raise UserError(f"cannot read: {error.strerror}", file=name) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserError(f"not UTF-8 text ({error.reason} at byte {error.start})", file=name) from None
    return _parse(csv.DictReader(io.StringIO(text, newline="")), name)


def outcomes_for(scenario: str, outcomes: Iterable[Outcome] | None = None) -> list[Outcome]:
    """The observations a scenario is calibrated against; none is a valid answer (the convoy
    scenario has no documented figure), an unknown scenario name is not."""
    if scenario not in list_library():
        raise UserError(f"unknown scenario {scenario!r}; the library holds {', '.join(list_library())}")
    return [o for o in (load_outcomes() if outcomes is None else outcomes) if o.scenario == scenario]


def _parse(reader: csv.DictReader, name: str) -> list[Outcome]:
    _check_header(reader.fieldnames, name)
    actors = {actor.key for actor in ActorRegistry.load().actors}
    scenarios = set(list_library())
    outcomes: list[Outcome] = []
    first_row: dict[tuple[str, str], int] = {}
    scenario_of: dict[str, str] = {}
    for row_number, row in _rows(reader, name):
        outcome = _outcome(row, name, row_number, actors, scenarios)
        key = (outcome.incident, outcome.metric)
        if key in first_row:
            raise UserError(f"incident {outcome.incident!r} gives {outcome.metric} twice (also row "
                            f"{first_row[key]}): keep one", file=name, row=row_number, field="metric")
        if scenario_of.setdefault(outcome.incident, outcome.scenario) != outcome.scenario:
            raise UserError(f"incident {outcome.incident!r} already informs "
                            f"{scenario_of[outcome.incident]!r}: an incident informs one scenario",
                            file=name, row=row_number, field="scenario")
        first_row[key] = row_number
        outcomes.append(outcome)
    return outcomes


def _rows(reader: csv.DictReader, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Data rows numbered from 1, each with exactly the header's fields."""
    row_number = 0
    try:
        for row_number, row in enumerate(reader, start=1):
            if None in row:
                raise UserError(f"more fields than the header's {len(COLUMNS)}: a comma inside a "
                                f"value needs quotes", file=name, row=row_number)
            if None in row.values():
                raise UserError(f"fewer fields than the header's {len(COLUMNS)}",
                                file=name, row=row_number)
            yield row_number, row
    except csv.Error as error:
        raise UserError(f"not readable as CSV ({error})", file=name, row=row_number + 1) from None


def _check_header(header: list[str] | None, name: str) -> None:
    """The columns must be exactly COLUMNS (in any order): a missing one would silently lose a
    bound or a source, an extra one is most likely a misspelt one."""
    given = [column.strip() for column in header or []]
    missing = [column for column in COLUMNS if column not in given]
    extra = [column for column in given if column not in COLUMNS]
    repeated = sorted({column for column in given if given.count(column) > 1})
    problems = ([f"missing column {', '.join(missing)}"] if missing else []) + \
               ([f"unknown column {', '.join(extra)}"] if extra else []) + \
               ([f"column {', '.join(repeated)} given twice"] if repeated else [])
    if problems:
        raise UserError("; ".join(problems) + f" (expected {', '.join(COLUMNS)})",
                        file=name, header=True, field=(missing or extra or repeated)[0])


def _outcome(row: dict[str, str], name: str, row_number: int, actors: set[str],
             scenarios: set[str]) -> Outcome:
    cells = {column.strip(): (value or "").strip() for column, value in row.items()}

    def refuse(field: str, message: str) -> UserError:
        return UserError(message, file=name, row=row_number, field=field)

    for field in _REQUIRED:
        if not cells[field]:
            raise refuse(field, "empty; every outcome needs it")
    for field in ("date", "source_date"):
        if cells[field] and not _DATE.fullmatch(cells[field]):
            raise refuse(field, f"{cells[field]!r} is not a date: write YYYY-MM-DD, or YYYY-MM")
    if cells["actor"] not in actors:
        raise refuse("actor", f"unknown actor {cells['actor']!r}: use a key of actors.toml")
    if cells["scenario"] not in scenarios:
        raise refuse("scenario", f"unknown scenario {cells['scenario']!r}; the library holds "
                                 f"{', '.join(sorted(scenarios))}")
    if cells["metric"] not in METRICS:
        raise refuse("metric", f"unknown metric {cells['metric']!r}; one of {', '.join(METRICS)}")
    if cells["censoring"] not in CENSORING:
        raise refuse("censoring", f"unknown censoring {cells['censoring']!r}; one of "
                                  f"{', '.join(CENSORING)}")
    low, high = (_count(cells, field, refuse) for field in ("low", "high"))
    _check_bounds(cells, low, high, refuse)
    return Outcome(
        cells["incident"], cells["date"], cells["place"], cells["country"], cells["actor"],
        cells["scenario"], cells["metric"], cells["reported"], cells["censoring"],  # type: ignore[arg-type]
        low, high, cells["claimed_by"] or None, cells["source_publisher"],
        cells["source_date"] or None, cells["source_title"] or None, cells["note"])


def _count(cells: dict[str, str], field: str, refuse: Refuse) -> float | None:
    """A bound: empty (open), or a number of things, never negative."""
    text = cells[field]
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise refuse(field, f"{text!r} is not a number; leave it empty for an open bound") from None
    if not math.isfinite(value) or value < 0:
        raise refuse(field, f"{text} is not a count: write a number of 0 or more, or leave it empty")
    return value


def _check_bounds(cells: dict[str, str], low: float | None, high: float | None, refuse: Refuse) -> None:
    """The bounds must say what the censoring says, and a claim must not pass as an exact fact."""
    censoring = cells["censoring"]
    for field, value, rule in zip(("low", "high"), (low, high), _BOUNDS_RULE[censoring], strict=True):
        if rule is True and value is None:
            raise refuse(field, f"{censoring} needs {field}")
        if rule is False and value is not None:
            raise refuse(field, f"{censoring} leaves {field} empty (it is open)")
    if low is not None and high is not None and low > high:
        raise refuse("low", f"low {low:g} is above high {high:g}")
    if censoring == "exact" and low != high:
        raise refuse("high", f"exact needs low == high, not {low:g} and {high:g}")
    if censoring == "exact" and cells["claimed_by"]:
        raise refuse("claimed_by", "a figure only one side claims cannot be exact: make it "
                                   "contested, or widen it, and say how in note")
    if censoring == "contested" and not cells["claimed_by"]:
        raise refuse("claimed_by", "contested needs who makes the claim")
    if cells["metric"] == "overrun" and (high is None or high > 1):
        raise refuse("high", "overrun is 1 (the position fell) or 0 (it held): high is at most 1")

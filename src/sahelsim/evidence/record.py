"""Reading the stored record back: the filters every command shares, and export.

One `EventFilter` turns the options analysts use (countries, a date window, an actor, drone events
only) into a SQL condition, so `events`, `drones trends` and the Python API select the same events.

An actor takes part in a drone event as its operator (the side that flew the drone) or as its target
(the other party). The tags say which kind of side flew it (`drone_operator`: state or non-state);
`OPERATOR_SIDE` finds which of the two coded actors is that side, from the actor registry's side of
each actor (VDP and CJTF are state-aligned though ACLED codes them as militias) and, for names the
registry does not know, ACLED's inter code. The SQL lives here because the filter needs it; the
trends count by it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from sahelsim.errors import UserError, utf8_text
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.store import Source, default_db_path, reading
from sahelsim.evidence.tagging import (DRONE_TERMS_EN, DRONE_TERMS_FR, NAME_PATTERN, NONSTATE_INTER,
                                       NOT_EVIDENCE_EN, NOT_EVIDENCE_FR, STATE_INTER, drone_candidate_sql)

EXPORT_FORMATS = ("csv", "parquet", "json")
# How a text cell that a spreadsheet reads as a formula starts: = + - @ tab or carriage return
# (OWASP's list for CSV injection).
FORMULA_START = r"^([=+\-@\t\r])"
ACTOR_ROLES = ("either", "operator", "target")

#: Words for a manned aircraft, lower case; accents optional, so they read the raw note as well.
MANNED_AIRCRAFT: list[str] = [
    r"jets?", r"fighter (?:jets?|planes?|aircraft)", r"warplanes?", r"planes?", r"airplanes?",
    r"helicopters?", r"gunships?", r"aviation", r"avions?", r"h[eé]licopt[eè]res?", r"chasseurs?",
    r"bombardiers?", r"su-?2[45]s?", r"l-?39s?", r"mig-?\d*s?",
]  # not "fighters" (combatants) nor "bombers" (suicide bombers)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unclear_sql() -> str:
    """The note of an event ACLED codes "Air/drone strike" says neither drone nor manned aircraft.

    Not tagged a drone, yet not shown to be anything else ("frappes aériennes" alone): counted apart
    so that the doubt shows. A drone word counts as the tagger reads it: names ("Drone Hotel") and
    phrases that only quote a drone word ("air/drone strike", "anti-drone") do not name a drone.
    Most such notes name a jet or a helicopter, read straight from the raw note; only notes with a
    drone word at all (the tagger's cheap test) pay for the tagger's reading. A CASE keeps DuckDB
    from running a regex on notes an earlier test ruled out.
    """
    raw = f"regexp_replace(coalesce(notes, ''), {_literal(NAME_PATTERN)}, ' ', 'g')"
    text = (f"regexp_replace(strip_accents(lower({raw})), "
            f"{_literal('(?:' + '|'.join(NOT_EVIDENCE_EN + NOT_EVIDENCE_FR) + ')')}, ' ', 'g')")
    drone_word = r"\b(?:" + "|".join(DRONE_TERMS_EN + DRONE_TERMS_FR) + r")\b"
    manned = r"(?i)\b(?:" + "|".join(MANNED_AIRCRAFT) + r")\b"
    return (f"CASE WHEN regexp_matches(coalesce(notes, ''), {_literal(manned)}) THEN false "
            f"WHEN {drone_candidate_sql()} THEN NOT regexp_matches({text}, {_literal(drone_word)}) "
            f"ELSE true END")


#: An event coded "Air/drone strike" that the tagger did not call a drone.
UNTAGGED_AIR_STRIKE = "(sub_event_type = 'Air/drone strike' AND NOT coalesce(drone, false))"
#: Its note names neither a drone nor a manned aircraft (see `_unclear_sql`). Where speed matters,
#: select the untagged air strikes first and test this in the select list: in a WHERE clause
#: DuckDB may run its regexes on rows the other conditions would have ruled out.
NOTE_SAYS_NEITHER = _unclear_sql()
#: True for an air/drone strike that may or may not have been a drone.
UNCLEAR = f"({UNTAGGED_AIR_STRIKE} AND {NOTE_SAYS_NEITHER})"


@cache
def _side_sql(slot: int) -> str:
    """'state', 'nonstate' or 'none' for actor `slot` (1 or 2): the registry's side, else the inter code."""
    sides = {actor.key: "state" if actor.side == "foreign_state_aligned" else actor.side
             for actor in ActorRegistry.load().actors}
    registry = "MAP {" + ", ".join(f"{_literal(key)}: {_literal(side)}" for key, side in sides.items()) + "}"
    return (f"coalesce({registry}[actor{slot}_key], CASE WHEN inter{slot} IN {STATE_INTER} THEN 'state' "
            f"WHEN inter{slot} IN {NONSTATE_INTER} THEN 'nonstate' END)")


@cache
def operator_side() -> str:
    """SQL: 1 or 2, the coded actor that flew the drone in a drone event; NULL when the record does
    not say, or for any other event.

    The operator is the coded actor on the side the tags name (state or non-state): a JNIM drone
    coded with the army as actor1 belongs to actor2. When both actors are on that side, ACLED's
    actor1 acted, except for a drone brought down, which belongs to the side that lost it (actor2),
    as the tagger reads it. An unknown operator, or one on neither coded side, is NULL: never the
    other party.
    """
    first, second = (f"({_side_sql(slot)}) = drone_operator" for slot in (1, 2))
    return (f"CASE WHEN coalesce(drone, false) THEN CASE "
            f"WHEN drone_role = 'intercepted' THEN CASE WHEN {second} THEN 2 WHEN {first} THEN 1 END "
            f"ELSE CASE WHEN {first} THEN 1 WHEN {second} THEN 2 END END END")


@dataclass(frozen=True)
class EventFilter:
    """Which events a question is about. Empty means all of them."""

    countries: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    actor: str | None = None  # a registry key (jnim) or part of an ACLED actor name
    drone_only: bool = False
    datasets: tuple[str, ...] = field(default_factory=tuple)
    actor_as: str = "either"  # operator (flew the drone) | target (the other party) | either

    def __post_init__(self) -> None:
        if self.actor_as not in ACTOR_ROLES:
            raise UserError(f"unknown role {self.actor_as!r}: choose one of {', '.join(ACTOR_ROLES)}",
                            field="--as")
        if self.actor_as != "either" and not self.actor:
            raise UserError(f"--as {self.actor_as} says how an actor took part: give --actor too",
                            field="--as")

    def where(self) -> tuple[str, list]:
        """The SQL condition and its parameters."""
        clauses, params = ["TRUE"], []
        if self.countries:
            clauses.append(f"lower(country) IN ({', '.join('?' for _ in self.countries)})")
            params += [c.lower() for c in self.countries]
        if self.since:
            clauses.append("event_date >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("event_date <= ?")
            params.append(self.until)
        if self.actor:
            clause, actor_params = self._actor_clause()
            clauses.append(clause)
            params += actor_params
        if self.drone_only:
            clauses.append("drone")
        if self.datasets:
            clauses.append(f"dataset IN ({', '.join('?' for _ in self.datasets)})")
            params += list(self.datasets)
        return " AND ".join(clauses), params

    def _actor_clause(self) -> tuple[str, list]:
        """The actor as either party of any event; or only where it flew the drone, or only where it
        was the other party of a known operator. In an air/drone strike that may not have been a
        drone (`UNCLEAR`), actor1 struck (as ACLED codes it) and actor2 was the target."""
        is_actor = "(actor{0}_key = ? OR actor{0} ILIKE ?)"
        params = [self.actor, f"%{self.actor}%"]
        if self.actor_as == "either":
            return f"({is_actor.format(1)} OR {is_actor.format(2)})", params * 2
        operator, target = (1, 2) if self.actor_as == "operator" else (2, 1)
        return (f"(({is_actor.format(1)} AND ({operator_side()}) = {operator}) OR "
                f"({is_actor.format(2)} AND ({operator_side()}) = {target}) OR "
                f"({is_actor.format(operator)} AND {UNCLEAR}))"), params * 3


def select_events(source: Source = None, where: EventFilter = EventFilter()) -> pa.Table:
    """The matching events with every canonical and derived column, oldest first; `source` is a
    connection or a store's path (`store.reading`)."""
    condition, params = where.where()
    with reading(source) as con:
        return con.sql(f"SELECT * FROM events WHERE {condition} ORDER BY event_date, event_id_cnty",
                       params=params).to_arrow_table()


def export_events(source: Source, where: EventFilter, out: Path, fmt: str, *,
                  raw: bool = False) -> int:
    """Write the matching events to `out` in csv, parquet or json (one array); returns the count.

    A file is written beside `out` and then replaces it whole, so a failed export leaves what was
    there; a device or a pipe is written directly. In a CSV, unless `raw`, a text cell that a
    spreadsheet would run as a formula starts with a single quote (see `_defused_columns`).
    `source` is a connection or a store's path (`store.reading`).
    """
    with reading(source) as con:
        return _export(con, where, Path(out), fmt, raw)


def _export(con: duckdb.DuckDBPyConnection, where: EventFilter, out: Path, fmt: str, raw: bool) -> int:
    if fmt not in EXPORT_FORMATS:
        raise UserError(f"unknown format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}",
                        field="--format")
    utf8_text(str(out), file=str(out))
    condition, params = where.where()
    columns = "*" if raw or fmt != "csv" else _defused_columns(con)
    query = f"SELECT {columns} FROM events WHERE {condition} ORDER BY event_date, event_id_cnty"
    options = {"csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet",
               "json": "FORMAT json, ARRAY true"}[fmt]

    def copy_to(path: Path) -> None:
        con.execute(f"COPY ({query}) TO '{str(path).replace(chr(39), chr(39) * 2)}' ({options})", params)

    try:
        if out.is_dir():
            raise UserError("is a folder; expected a file to write", file=str(out))
        if out.exists() and not out.is_file():
            copy_to(out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".export-", dir=out.parent) as scratch:
                copy_to(Path(scratch) / out.name)
                os.replace(Path(scratch) / out.name, out)
    except (OSError, duckdb.IOException) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error).splitlines()[0]
        raise UserError(f"cannot write the events: {reason}", file=str(out)) from None
    return con.execute(f"SELECT count(*) FROM events WHERE {condition}", params).fetchone()[0]


def _defused_columns(con: duckdb.DuckDBPyConnection) -> str:
    """A select list of every event column, each text value starting like a formula (`=`, `+`, `-`,
    `@`, tab, carriage return) behind a single quote, as OWASP advises against CSV injection: notes
    and actor names come from outside, and a spreadsheet would run `=HYPERLINK(…)` on opening the
    export. Numbers are columns of their own type, so a longitude of -3.5 stays as it is."""
    text = [f'"{name}"' for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'events' AND data_type = 'VARCHAR'").fetchall()]
    # an anchored regexp_replace gives up at once on other cells: a fifth of the cost of left() IN (…)
    quote_before = _literal("'\\1")
    defused = ", ".join(f"regexp_replace({name}, {_literal(FORMULA_START)}, {quote_before}) AS {name}"
                        for name in text)
    return f"* REPLACE ({defused})" if text else "*"


QUARANTINE_COLUMNS = ("file", "row", "field", "reason", "raw")
MAX_ROWS = 2 ** 63 - 1  # DuckDB's LIMIT is a signed 64-bit number


def quarantined(source: Source = None, file: str | None = None, limit: int = 50) -> list[dict]:
    """Up to `limit` rejected records, by file and row; only `file`'s where given (by any path to
    it: ingest stores the absolute one). `source` is a connection or a store's path."""
    with reading(source) as con:
        if not 1 <= limit <= MAX_ROWS:
            raise UserError(f"expected 1 to {MAX_ROWS}, not {limit}", field="--limit")
        where, params = ("WHERE file = ?", [os.path.abspath(utf8_text(file, file=file))]) if file \
            else ("", [])
        rows = con.execute(f"SELECT {', '.join(QUARANTINE_COLUMNS)} FROM quarantine {where} "
                           f"ORDER BY file, row LIMIT {limit}", params).fetchall()
    return [dict(zip(QUARANTINE_COLUMNS, row)) for row in rows]


def unmatched_actors(source: Source = None) -> list[dict]:
    """The stored actor names the registry could not match, each with its number of events, most
    frequent first: the names worth adding to the registry next."""
    with reading(source) as con:
        rows = con.execute(
            """SELECT name, count(*) AS events FROM (
                   SELECT actor1 AS name FROM events WHERE actor1_key IS NULL AND actor1 IS NOT NULL
                   UNION ALL
                   SELECT actor2 FROM events WHERE actor2_key IS NULL AND actor2 IS NOT NULL)
               GROUP BY name ORDER BY events DESC, name""").fetchall()
    return [{"actor": name, "events": count} for name, count in rows]


def newest_timestamp(db: Path | None = None, dataset: str = "acled", *, wait: float = 0) -> int | None:
    """The newest `timestamp` stored for `dataset`, where an incremental fetch picks up; None when
    there is no store yet (everything is new), rather than the error a query on no store is."""
    path = Path(db) if db is not None else default_db_path()
    if not path.exists():
        return None
    with reading(path, wait=wait) as con:
        return con.execute("SELECT max(timestamp) FROM events WHERE dataset = ?", [dataset]).fetchone()[0]

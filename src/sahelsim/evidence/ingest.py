"""Ingest: files into the store in one transaction, every record accounted for.

A record read is exactly one of: inserted (new id), updated (known id, newer `timestamp`), unchanged
(known id, same or older `timestamp`), rejected (quarantined with file, row, field and reason) or
folded (the second actor's row of an event in a monadic export, merged into the first: see
`monadic.py`). So read = inserted + updated + unchanged + rejected + folded.
Records are judged in file order, so a file that repeats an id with newer timestamps counts one insert
and then updates, just as if the rows had arrived in separate files.

An update never blanks what the file does not say: a column the file lacks (an export from before
`tags` existed, an API page without some field, a monadic file's actor2) keeps the stored value, and
what sahelsim derives (actor keys, drone tags, dataset) is computed from the merged event.

A file without a `timestamp` column cannot tell a newer record from an older one: its records of
stored events count as unchanged and the file is listed in `no_timestamp`. With `replace`, every
record of a stored event replaces it (updated) whatever the timestamps; the last record of an id in
a file wins.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import duckdb

from sahelsim.errors import UserError, utf8_text
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.dates import check_order, decide_order, leading_order, undecided_records
from sahelsim.evidence.encodings import decoder, detect
from sahelsim.evidence.monadic import ACTOR_PLACES, EVENT_ROWS, PARTNER_JOIN, actor_sql, fold, is_monadic
from sahelsim.evidence.readers import Staged, canonical_names, check_file, forget_rejects, staging
from sahelsim.evidence.schema import ACLED_COLUMNS, EVENT_COLUMNS
from sahelsim.evidence.store import confine, connect, default_db_path, discard, memory_error, transaction
from sahelsim.evidence.tagging import drone_candidate_sql, tag_candidates
from sahelsim.evidence.validation import (dataset_sql, interaction_sql, translate_event_types,
                                          validated_sql)
from sahelsim.evidence.wide_records import WIDE_TABLE
from sahelsim.runtime import interrupts

Progress = Callable[[str, int, int, str], None]  # (file, index, count, stage)
Stage = Callable[[str], None]
# What a file goes through, in order; a million-row file spends seconds in each.
READING, STORING = "reading and checking records", "tagging drones and storing"
DOCUMENTED_INCIDENTS = "documented_incidents.csv"  # the bundled record, in evidence/data

# Columns the validated table carries (canonical ACLED, dataset, UCDP deaths range, original types).
_VALIDATED_COLUMNS = [name for name in EVENT_COLUMNS
                      if name not in {"actor1_key", "actor2_key", "drone", "drone_role",
                                      "drone_operator", "drone_platform", "source_file",
                                      "source_row", "ingest_run"}]
# ACLED columns computed from the file's other columns where it lacks them, never kept from the store.
_COMPUTED = {"year", "interaction"}
# Validated columns that follow an ACLED column: kept from the store with it.
_FOLLOWING = {"event_type_original": "event_type", "sub_event_type_original": "event_type",
              "deaths_low": "fatalities", "deaths_high": "fatalities"}


@dataclass
class IngestSummary:
    """What one ingest did; `read == inserted + updated + unchanged + rejected + folded` always holds.

    `no_timestamp` lists the files without a timestamp column, whose records of stored events were
    kept as unchanged unless the ingest was told to `replace` them.
    """

    ingest_run: str
    files: list[str] = field(default_factory=list)
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    folded: int = 0
    deleted: int = 0
    no_timestamp: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def ingest(paths: Sequence[Path], db: Path | None = None, *, deletions: Path | None = None,
           replace: bool = False, progress: Progress | None = None,
           date_order: str | None = None, wait: float = 0) -> IngestSummary:
    """Read every file and the deletion list into the store, all in one transaction.

    Files are recorded by their absolute path: `f.csv` and `./f.csv` are one file, whose rejects a
    new read replaces, and two `f.csv` in different folders are two. With `replace`, the files'
    records replace the stored events whatever their timestamps (for files without any).
    `date_order` ("dayfirst" or "monthfirst") says how numeric dates such as 05/09/2020 read; by
    default each file's own records decide, and a file they leave undecided is refused (see
    `dates.decide_order`). `wait` is how many seconds to wait while another sahelsim writes to
    the store (`store.connect`).
    """
    check_order(date_order)
    paths = [Path(os.path.abspath(utf8_text(str(path), file=str(path)))) for path in paths]
    summary = IngestSummary(ingest_run=uuid.uuid4().hex[:12], files=[str(p) for p in paths])
    with _reading(deletions):
        deleted_ids = read_deletions(deletions) if deletions else []
    registry = ActorRegistry.load()
    with interrupts.scope():  # a Ctrl-C from the COMMIT on is ignored (see `interrupts`)
        fresh = not os.path.exists(db or default_db_path())
        con = connect(db, wait=wait)
        try:
            with tempfile.TemporaryDirectory(prefix="sahelsim-") as scratch, transaction(con):
                confine(con, paths, Path(scratch))
                for index, path in enumerate(paths, start=1):
                    report = functools.partial(progress, str(path), index, len(paths)) if progress \
                        else _unreported
                    with _reading(path):
                        _ingest_file(con, path, summary, registry, report, replace, date_order,
                                     Path(scratch))
                summary.deleted = _apply_deletions(con, deleted_ids)
                _record_run(con, summary)
        except BaseException as error:
            con.close()
            if fresh:
                discard(db)
            if isinstance(error, _REFUSED):
                raise _refusal(error, len(paths)) from None
            raise
        con.close()
    return summary


_REFUSED = (UserError, duckdb.OutOfMemoryException)


def ingest_documented_incidents(db: Path | None = None, *, progress: Progress | None = None,
                                wait: float = 0) -> IngestSummary:
    """Ingest the curated record of documented drone incidents that ships with sahelsim, so that
    trends and scenarios have evidence to stand on before any ACLED export is at hand."""
    bundled = resources.files("sahelsim.evidence") / "data" / DOCUMENTED_INCIDENTS
    with resources.as_file(bundled) as path:
        return ingest([path], db, progress=progress, wait=wait)


def _refusal(error: UserError | duckdb.OutOfMemoryException, files: int) -> UserError:
    """The user's error, saying that nothing was stored where the ingest had several files."""
    if isinstance(error, duckdb.OutOfMemoryException):
        error = memory_error()
    return _nothing_stored(error, files) if files > 1 else error


@contextmanager
def _reading(path: Path | None) -> Iterator[None]:
    """What the system says about a user's file (a name too long, no permission) is one line
    naming it."""
    try:
        yield
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", file=str(path)) from None


def _nothing_stored(error: UserError, files: int) -> UserError:
    """One refused file refuses the whole ingest: say so, or the files before it look stored."""
    return UserError(f"{error.message} (nothing was stored: the {files} files are one ingest)",
                     file=error.file, row=error.row, field=error.field, header=error.header)


def _unreported(stage: str) -> None:
    """Where nobody follows the progress."""


def _ingest_file(con: duckdb.DuckDBPyConnection, path: Path, summary: IngestSummary,
                 registry: ActorRegistry, report: Stage, replace: bool,
                 date_order: str | None, scratch: Path) -> None:
    report(READING)
    with staging(con, path, "staged", scratch) as staged:  # the staged file is read in here, and only here
        order = _validate(con, path, staged, date_order)
        con.execute("DELETE FROM quarantine WHERE file = ?", [str(path)])  # superseded by this read
        unreadable = _quarantine_unreadable(con, staged, path, summary.ingest_run)
        numbering = _record_numbers(con, staged, unreadable)
        # numeric dates past the first records: read again in the order the numbered records show
        if order is None and (order := decide_order(con, path, undecided_records(numbering.expression,
                                                                                 numbering.join))):
            _validate(con, path, staged, order)
            numbering = _record_numbers(con, staged, unreadable)  # the new table numbers its rows anew
    invalid = con.execute(
        f"""INSERT INTO quarantine SELECT ?, ?, {numbering.expression}, _field, _reason, _raw
           FROM validated v {numbering.join} WHERE _reason IS NOT NULL""",
        [summary.ingest_run, str(path)]).fetchone()[0]
    layout = _layout(con, staged)
    _classify(con, layout.events, replace)
    counts = dict(con.execute("SELECT action, count(*) FROM actions GROUP BY action").fetchall())
    _account(summary, counts, rejected=unreadable + invalid, folded=layout.folded)
    if "timestamp" not in staged.columns:
        summary.no_timestamp.append(str(path))
    report(STORING)
    # only inserts means every id is new and appears once: a repeat would be updated or unchanged
    _store_winners(con, path, summary.ingest_run, numbering, layout, registry,
                   only_new=set(counts) <= {"inserted"})


def _account(summary: IngestSummary, counts: dict[str, int], rejected: int, folded: int) -> None:
    """Add one file's records to the summary, each under exactly one heading."""
    summary.read += rejected + folded + sum(counts.values())
    summary.rejected += rejected
    summary.folded += folded
    summary.inserted += counts.get("inserted", 0)
    summary.updated += counts.get("updated", 0)
    summary.unchanged += counts.get("unchanged", 0)


@dataclass(frozen=True)
class Layout:
    """How a file's validated records (`v`) become events: which records stand for one, what to
    join, and which of the event's columns the file lacks (kept from the store on update)."""

    events: str
    join: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # SQL overriding `v.<column>`
    stored_columns: dict[str, str] = field(default_factory=dict)  # the same where an event is stored
    absent: tuple[str, ...] = ()
    folded: int = 0


def _layout(con: duckdb.DuckDBPyConnection, staged: Staged) -> Layout:
    """Fold a monadic file's rows (`monadic.py`); list the columns an ACLED file lacks."""
    if staged.kind != "acled":
        return Layout("v._reason IS NULL")
    monadic = is_monadic(staged.columns)
    folded_places = {name for places in ACTOR_PLACES for name in places} if monadic else set()
    missing = {name for name in ACLED_COLUMNS
               if name not in staged.columns and name not in _COMPUTED | folded_places}
    absent = tuple(name for name in _VALIDATED_COLUMNS
                   if name in missing or _FOLLOWING.get(name) in missing)
    if not monadic:
        return Layout("v._reason IS NULL", absent=absent)
    return Layout(EVENT_ROWS, PARTNER_JOIN, _with_interaction(actor_sql(stored=False)),
                  _with_interaction(actor_sql(stored=True)), absent, fold(con))


def _with_interaction(actors: dict[str, str]) -> dict[str, str]:
    """A folded event's interaction: the file's code, else computed from both inter codes."""
    return {**actors,
            "interaction": f"coalesce(v.interaction, {interaction_sql(actors['inter1'], actors['inter2'])})"}


def _validate(con: duckdb.DuckDBPyConnection, path: Path, staged: Staged,
              date_order: str | None) -> str | None:
    """Fill the `validated` table from the staged file, numeric dates read in `date_order` or else in
    the order the first records show; returns that order (None: not known yet).
    """
    try:
        order = date_order or leading_order(con, path, staged)
        if staged.rejects:  # each read lists the records it rejects anew: keep this one's alone
            forget_rejects(con)
        con.execute(f"CREATE OR REPLACE TEMP TABLE validated AS {validated_sql(staged, order)}")
    except duckdb.OutOfMemoryException:  # the memory bound's fault, not the file's
        raise
    except duckdb.Error as error:  # the file itself is unreadable (not a CSV at all)
        raise UserError(f"cannot read: {str(error).strip().splitlines()[0]}", file=str(path)) from None
    translate_event_types(con, "validated")
    return order


def _quarantine_unreadable(con: duckdb.DuckDBPyConnection, staged: Staged, path: Path,
                           run: str) -> int:
    """Quarantine the records the CSV reader could not split into fields; returns how many.

    The reader lists one error per missing or surplus field ("Found: 3", "Found: 4", … for a record
    of 3 fields; "Found: 32", "Found: 33" for one of 33), so a record is quarantined once, with its
    field count and raw line. Its `line` counts records, the header being 1, and the reader keeps
    a rejected line's first 10,000 bytes. A record over the reader's maximum line size comes with no
    field: its field is taken to be the one those bytes end in, which for one oversized field is
    that field. An over-wide record the reader saw as a stand-in (`wide_records`) takes its field
    count and raw text from `WIDE_TABLE`.
    """
    if staged.rejects is None:
        return 0
    found = "try_cast(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS INT)"
    oversized = "bool_or(error_type = 'LINE SIZE OVER MAXIMUM')"
    unquoted = "regexp_replace(any_value(csv_line), '\"[^\"]*(\"|$)', '', 'g')"  # outside quotes
    field_index = f"1 + length({unquoted}) - length(replace({unquoted}, $delimiter, ''))"
    return con.execute(
        f"""INSERT INTO quarantine
        SELECT $run, $file, line - 1, field,
               CASE WHEN w.line IS NULL THEN reason
                    ELSE format('wrong column count: expected {staged.width}, found {{}}', w.found) END,
               coalesce(w.raw, r.raw)
        FROM (SELECT line,
                     CASE WHEN {oversized} THEN $header[{field_index}] END AS field,
                     CASE WHEN {oversized}
                          THEN format('record of {{}} bytes is over the reader''s maximum line '
                                      || 'size of {{}} bytes',
                                      regexp_extract(max(error_message), 'Actual Size: *([0-9]+)', 1),
                                      regexp_extract(max(error_message), 'line size of ([0-9]+)', 1))
                          WHEN bool_and(error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS'))
                          THEN format('wrong column count: expected {staged.width}, found {{}}',
                                      CASE WHEN bool_or(error_type = 'TOO MANY COLUMNS')
                                           THEN max({found}) ELSE min({found}) END)
                          ELSE format('unreadable CSV record ({{}}): {{}}',
                                      lower(arg_min(error_type, column_idx)::VARCHAR),
                                      arg_min(error_message, column_idx)) END AS reason,
                     trim(any_value(csv_line), chr(13) || chr(10)) AS raw
              FROM {staged.rejects} GROUP BY line) AS r
        LEFT JOIN {WIDE_TABLE} AS w USING (line)""",
        {"run": run, "file": str(path), "header": list(staged.header),
         "delimiter": staged.delimiter}).fetchone()[0]


@dataclass(frozen=True)
class Numbering:
    """SQL giving a row `v` of the validated table its record number in the file (1 = first record)."""

    expression: str
    join: str = ""


def _record_numbers(con: duckdb.DuckDBPyConnection, staged: Staged, unreadable: int) -> Numbering:
    """Record numbers from `rowid`, which counts the records the reader accepted in file order.

    DuckDB numbers a table's rows from a base that is not 0 inside a transaction, hence `first`.
    With no `unreadable` records (the usual case) a row's place is its record number. Otherwise each
    accepted row moves down by the rejected records before it: the j-th rejected record (in file
    order) had `line − 1 − j` accepted records before it, and an ASOF join finds the last such step
    at or below a row's place.
    """
    first = con.execute("SELECT coalesce(min(rowid), 0) FROM validated").fetchone()[0]
    place = f"(v.rowid - {first})"
    if not unreadable:
        return Numbering(f"{place} + 1")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE record_shifts AS
        SELECT accepted_before, max(shift) AS shift FROM (
            SELECT line - 1 - row_number() OVER (ORDER BY line) AS accepted_before,
                   row_number() OVER (ORDER BY line) AS shift
            FROM (SELECT DISTINCT line FROM {staged.rejects}))
        GROUP BY accepted_before""")
    return Numbering(f"{place} + 1 + coalesce(s.shift, 0)",
                     f"ASOF LEFT JOIN record_shifts s ON {place} >= s.accepted_before")


def _map_actors(con: duckdb.DuckDBPyConnection, registry: ActorRegistry, incoming: str) -> None:
    """Resolve each distinct actor string once in Python; the join does the millions of rows."""
    names = [row[0] for row in con.execute(
        f"SELECT DISTINCT name FROM (SELECT actor1 AS name FROM {incoming} UNION "
        f"SELECT actor2 FROM {incoming}) WHERE name IS NOT NULL").fetchall()]
    con.execute("CREATE OR REPLACE TEMP TABLE actor_map (name VARCHAR, key VARCHAR)")
    resolved = [(name, registry.resolve(name)) for name in names]
    if resolved:
        con.executemany("INSERT INTO actor_map VALUES (?, ?)", resolved)


def _classify(con: duckdb.DuckDBPyConnection, events: str, replace: bool) -> None:
    """Label each record that stands for an event (`events`, a condition on `v`) inserted / updated /
    unchanged against the store and earlier rows; with `replace`, every known id is updated.

    Only ids, timestamps and places in the file (`rowid`, in file order) take part, so this stays
    small however wide the events are.
    """
    newer = "true" if replace else "ts > greatest(coalesce(stored_ts, 0), coalesce(earlier_ts, 0))"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE actions AS
        WITH good AS (
            SELECT event_id_cnty, coalesce("timestamp", 0) AS ts, rowid AS _pos
            FROM validated v WHERE {events}
        ), ordered AS (
            SELECT g.*, e.ts AS stored_ts,
                   max(g.ts) OVER earlier AS earlier_ts,
                   count(*) OVER earlier AS earlier_rows
            FROM good g LEFT JOIN (SELECT event_id_cnty, coalesce(max("timestamp"), 0) AS ts
                                   FROM events GROUP BY ALL) e USING (event_id_cnty)
            WINDOW earlier AS (PARTITION BY g.event_id_cnty ORDER BY g._pos
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        )
        SELECT _pos, event_id_cnty,
               CASE WHEN stored_ts IS NULL AND earlier_rows = 0 THEN 'inserted'
                    WHEN {newer} THEN 'updated'
                    ELSE 'unchanged' END AS action
        FROM ordered""")


def _store_winners(con: duckdb.DuckDBPyConnection, path: Path, run: str, numbering: Numbering,
                   layout: Layout, registry: ActorRegistry, only_new: bool) -> None:
    """Replace each changed id by its last inserted-or-updated record of this file, merged with the
    stored event where the file lacks columns.

    Actors are joined and drones tagged here, on the merged records only: a re-read of an
    unchanged export tags nothing.
    """
    columns = ", ".join(f'"{name}"' for name in EVENT_COLUMNS)
    # Which rows to store. When every good record is new (a first import: no id stored, none
    # repeated) a view over the file with a filter says so; otherwise a table of the changed ids'
    # last records merged with what is stored, which must be read before those events are deleted.
    # The filter matters for speed: after a join DuckDB runs the tagging rules on one thread, after
    # a filter on all.
    if only_new:
        incoming = "incoming_new"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {incoming} AS "
                    f"{_incoming_sql(layout, numbering, layout.events, stored=False)}")
    else:
        incoming = "incoming_changed"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {incoming} AS "
                    f"{_incoming_sql(layout, numbering, _winners(con), stored=True)}")
        con.execute("""DELETE FROM events WHERE event_id_cnty IN
                       (SELECT event_id_cnty FROM actions WHERE action = 'updated')""")
    _map_actors(con, registry, incoming)
    # The full tagging rules run only on stored records whose notes name a drone at all (a few
    # percent of an export); every other record is simply not a drone event.
    tag_candidates(con, f"""SELECT _pos, notes, event_type, sub_event_type, actor1, actor2, inter1, inter2
                            FROM {incoming} WHERE {drone_candidate_sql()}""", into="tags")
    canonical = ", ".join(f'i."{name}"' for name in _VALIDATED_COLUMNS)
    con.execute(
        f"""INSERT INTO events ({columns})
        SELECT {columns} FROM (
            SELECT {canonical}, a1.key AS actor1_key, a2.key AS actor2_key,
                   coalesce(t.drone, false) AS drone, t.drone_role, t.drone_operator,
                   t.drone_platform, ? AS source_file, i._record AS source_row, ? AS ingest_run
            FROM {incoming} i
            LEFT JOIN tags t ON t._pos = i._pos
            LEFT JOIN actor_map a1 ON i.actor1 = a1.name
            LEFT JOIN actor_map a2 ON i.actor2 = a2.name)""",
        [str(path), run])


def _incoming_sql(layout: Layout, numbering: Numbering, condition: str, stored: bool) -> str:
    """The events to store, one per record of `validated v` meeting `condition`: the file's columns
    (its actors folded by `layout`), and where `stored`, the stored event's (`old`) for the columns
    the file lacks, with the dataset derived again from the merged source and tags."""
    columns = {name: f'v."{name}"' for name in _VALIDATED_COLUMNS}
    columns.update(layout.stored_columns if stored else layout.columns)
    joins = [numbering.join, layout.join]
    if stored:
        joins.append("LEFT JOIN events old ON old.event_id_cnty = v.event_id_cnty")
        columns.update({name: f'CASE WHEN old.event_id_cnty IS NULL THEN {columns[name]} '
                              f'ELSE old."{name}" END' for name in layout.absent})
        if {"source", "tags"} & set(layout.absent):
            columns["dataset"] = dataset_sql(columns["source"], columns["tags"])
    select = ", ".join(f'{expression} AS "{name}"' for name, expression in columns.items())
    return (f"SELECT {select}, v.rowid AS _pos, {numbering.expression} AS _record "
            f"FROM validated v {' '.join(joins)} WHERE {condition}")


def _winners(con: duckdb.DuckDBPyConnection) -> str:
    """List the last record per changed id; returns the SQL condition that selects those records
    from the validated table `v`."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE winners AS
           SELECT _pos FROM actions WHERE action <> 'unchanged'
           QUALIFY row_number() OVER (PARTITION BY event_id_cnty ORDER BY _pos DESC) = 1""")
    return "v.rowid IN (SELECT _pos FROM winners)"


def read_deletions(path: Path) -> list[str]:
    """ACLED's deletion list: a CSV with an `event_id_cnty` column (other columns ignored), in any
    encoding an export comes in (`encodings.detect`). Lists are small: read whole."""
    check_file(path)
    with path.open("rb") as raw:
        encoding = detect(raw)
        raw.seek(0)
        try:
            text = decoder(encoding).decode(raw.read(), final=True)
        except UnicodeDecodeError as error:
            raise UserError(f"not {encoding} text ({error.reason})", file=str(path)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    if "event_id_cnty" not in fields:
        raise UserError("a deletion list needs an event_id_cnty column", file=str(path), header=True)
    canonical_names(fields, "acled", path)  # refuses a second event_id_cnty column
    column = (reader.fieldnames or [])[fields.index("event_id_cnty")]
    return [row[column].strip() for row in reader if (row.get(column) or "").strip()]


def _apply_deletions(con: duckdb.DuckDBPyConnection, ids: list[str]) -> int:
    if not ids:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE deleted_ids (event_id_cnty VARCHAR)")
    con.executemany("INSERT INTO deleted_ids VALUES (?)", [(i,) for i in ids])
    return con.execute("DELETE FROM events WHERE event_id_cnty IN (SELECT event_id_cnty FROM "
                       "deleted_ids)").fetchone()[0]


def _record_run(con: duckdb.DuckDBPyConnection, summary: IngestSummary) -> None:
    record = {"started": datetime.now(timezone.utc).replace(tzinfo=None), **summary.as_dict()}
    con.execute(f"INSERT INTO ingest_runs ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
                list(record.values()))

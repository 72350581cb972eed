"""Ingest: files into the store in one transaction, every record accounted for.

A record read is exactly one of: inserted (new id), updated (known id, newer `timestamp`), unchanged
(known id, same or older `timestamp`) or rejected (quarantined with file, row, field and reason).
Records are judged in file order, so a file that repeats an id with newer timestamps counts one insert
and then updates, just as if the rows had arrived in separate files.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from sahelsim.errors import UserError
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.readers import stage
from sahelsim.evidence.schema import EVENT_COLUMNS
from sahelsim.evidence.store import connect, transaction
from sahelsim.evidence.tagging import drone_candidate_sql, drone_tag_sql
from sahelsim.evidence.validation import validated_sql

Progress = Callable[[str, int, int], None]  # (file, index, count)

# Columns the validated table carries (canonical ACLED + dataset + UCDP deaths range).
_VALIDATED_COLUMNS = {name for name in EVENT_COLUMNS
                      if name not in {"actor1_key", "actor2_key", "drone", "drone_role",
                                      "drone_operator", "drone_platform", "source_file",
                                      "source_row", "ingest_run"}}


@dataclass
class IngestSummary:
    """What one ingest did; `read == inserted + updated + unchanged + rejected` always holds."""

    ingest_run: str
    files: list[str] = field(default_factory=list)
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def ingest(paths: Sequence[Path], db: Path | None = None, *, deletions: Path | None = None,
           progress: Progress | None = None) -> IngestSummary:
    """Read every file and the deletion list into the store, all in one transaction."""
    summary = IngestSummary(ingest_run=uuid.uuid4().hex[:12], files=[str(p) for p in paths])
    deleted_ids = read_deletions(deletions) if deletions else []
    registry = ActorRegistry.load()
    con = connect(db)
    try:
        with transaction(con):
            for index, path in enumerate(paths, start=1):
                if progress:
                    progress(str(path), index, len(paths))
                _ingest_file(con, path, summary, registry)
            summary.deleted = _apply_deletions(con, deleted_ids)
            _record_run(con, summary)
    finally:
        con.close()
    return summary


def _ingest_file(con: duckdb.DuckDBPyConnection, path: Path, summary: IngestSummary,
                 registry: ActorRegistry) -> None:
    staged = stage(con, path, "staged")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE validated AS {validated_sql(staged)}")
    except duckdb.Error as error:  # the CSV itself is broken (an unclosed quote, bad bytes)
        raise UserError(f"cannot read: {str(error).strip().splitlines()[0]}", file=str(path)) from None
    con.execute("DELETE FROM quarantine WHERE file = ?", [str(path)])  # superseded by this read
    con.execute(
        """INSERT INTO quarantine SELECT ?, ?, _row, _field, _reason, _raw
           FROM validated WHERE _reason IS NOT NULL""",
        [summary.ingest_run, str(path)])
    _map_actors(con, registry)
    _classify(con)
    counts = dict(con.execute("SELECT action, count(*) FROM actions GROUP BY action").fetchall())
    rejected = con.execute("SELECT count(*) FROM validated WHERE _reason IS NOT NULL").fetchone()[0]
    summary.read += rejected + sum(counts.values())
    summary.rejected += rejected
    summary.inserted += counts.get("inserted", 0)
    summary.updated += counts.get("updated", 0)
    summary.unchanged += counts.get("unchanged", 0)
    _store_winners(con, path, summary.ingest_run)


def _map_actors(con: duckdb.DuckDBPyConnection, registry: ActorRegistry) -> None:
    """Resolve each distinct actor string once in Python; the join does the millions of rows."""
    names = [row[0] for row in con.execute(
        "SELECT DISTINCT name FROM (SELECT actor1 AS name FROM validated UNION "
        "SELECT actor2 FROM validated) WHERE name IS NOT NULL").fetchall()]
    con.execute("CREATE OR REPLACE TEMP TABLE actor_map (name VARCHAR, key VARCHAR)")
    resolved = [(name, registry.resolve(name)) for name in names]
    if resolved:
        con.executemany("INSERT INTO actor_map VALUES (?, ?)", resolved)


def _classify(con: duckdb.DuckDBPyConnection) -> None:
    """Label each good record inserted / updated / unchanged against the store and earlier rows.

    Only ids, timestamps and row numbers take part, so this stays small however wide the events are.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE actions AS
        WITH good AS (
            SELECT event_id_cnty, coalesce("timestamp", 0) AS ts, _row
            FROM validated WHERE _reason IS NULL
        ), ordered AS (
            SELECT g.*, e.ts AS stored_ts,
                   max(g.ts) OVER earlier AS earlier_ts,
                   count(*) OVER earlier AS earlier_rows
            FROM good g LEFT JOIN (SELECT event_id_cnty, coalesce(max("timestamp"), 0) AS ts
                                   FROM events GROUP BY ALL) e USING (event_id_cnty)
            WINDOW earlier AS (PARTITION BY g.event_id_cnty ORDER BY g._row
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        )
        SELECT _row, event_id_cnty,
               CASE WHEN stored_ts IS NULL AND earlier_rows = 0 THEN 'inserted'
                    WHEN ts > greatest(coalesce(stored_ts, 0), coalesce(earlier_ts, 0)) THEN 'updated'
                    ELSE 'unchanged' END AS action
        FROM ordered""")


def _store_winners(con: duckdb.DuckDBPyConnection, path: Path, run: str) -> None:
    """Replace each changed id by its last inserted-or-updated record of this file.

    Actors are joined and drones tagged here, on the stored records only: a re-read of an
    unchanged export tags nothing.
    """
    con.execute("""DELETE FROM events WHERE event_id_cnty IN
                   (SELECT event_id_cnty FROM actions WHERE action = 'updated')""")
    canonical = ", ".join(f'v."{name}"' for name in EVENT_COLUMNS if name in _VALIDATED_COLUMNS)
    columns = ", ".join(f'"{name}"' for name in EVENT_COLUMNS)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE winners AS
           SELECT _row FROM actions WHERE action <> 'unchanged'
           QUALIFY row_number() OVER (PARTITION BY event_id_cnty ORDER BY _row DESC) = 1""")
    # The full tagging rules run only on stored records whose notes name a drone at all (a few
    # percent of an export); every other record is simply not a drone event.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE tags AS
        SELECT _row, {drone_tag_sql()} FROM validated SEMI JOIN winners USING (_row)
        WHERE {drone_candidate_sql()}""")
    con.execute(
        f"""INSERT INTO events ({columns})
        SELECT {columns} FROM (
            SELECT {canonical}, a1.key AS actor1_key, a2.key AS actor2_key,
                   coalesce(t.drone, false) AS drone, t.drone_role, t.drone_operator,
                   t.drone_platform, ? AS source_file, v._row AS source_row, ? AS ingest_run
            FROM validated v SEMI JOIN winners USING (_row)
            LEFT JOIN tags t USING (_row)
            LEFT JOIN actor_map a1 ON v.actor1 = a1.name
            LEFT JOIN actor_map a2 ON v.actor2 = a2.name)""",
        [str(path), run])


def read_deletions(path: Path) -> list[str]:
    """ACLED's deletion list: a CSV with an `event_id_cnty` column (other columns ignored)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = [name.strip().lower() for name in reader.fieldnames or []]
            if "event_id_cnty" not in fields:
                raise UserError("a deletion list needs an event_id_cnty column", file=str(path),
                                row=1, field="event_id_cnty")
            column = (reader.fieldnames or [])[fields.index("event_id_cnty")]
            return [row[column].strip() for row in reader if (row.get(column) or "").strip()]
    except FileNotFoundError:
        raise UserError("no such file", file=str(path)) from None
    except UnicodeDecodeError as error:
        raise UserError(f"not UTF-8 text ({error.reason})", file=str(path)) from None


def _apply_deletions(con: duckdb.DuckDBPyConnection, ids: list[str]) -> int:
    if not ids:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE deleted_ids (event_id_cnty VARCHAR)")
    con.executemany("INSERT INTO deleted_ids VALUES (?)", [(i,) for i in ids])
    return con.execute("DELETE FROM events WHERE event_id_cnty IN (SELECT event_id_cnty FROM "
                       "deleted_ids)").fetchone()[0]


def _record_run(con: duckdb.DuckDBPyConnection, summary: IngestSummary) -> None:
    con.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [summary.ingest_run, datetime.now(timezone.utc).replace(tzinfo=None), summary.files,
         summary.read, summary.inserted, summary.updated, summary.unchanged, summary.rejected,
         summary.deleted])

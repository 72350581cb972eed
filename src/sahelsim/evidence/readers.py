"""Readers: put one source file into DuckDB as a staging relation of raw text, one row per record.

Parsing is DuckDB's (its parallel CSV reader is the fast path for million-row exports); this module only
decides *which* columns a file has and what they are called in the canonical table. Typing and
validation of the text happen afterwards in `validation.py`, so that a bad value becomes a quarantined
row, not a crash.

Records keep file order: the validated table is written in that order, so its `rowid` is the record's
place among the records the reader accepted. Records the CSV reader itself cannot split into the
header's fields (too few or too many, an unterminated quote, bytes that are not UTF-8) are not lost
either: DuckDB lists them, with their line and raw text, in the rejects table the staging names, and
ingest turns that list into quarantine rows and keeps the record numbers of the others right.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from sahelsim.errors import UserError
from sahelsim.evidence.schema import ACLED_COLUMNS

# Headers of older ACLED exports, mapped to today's names; columns we do not keep map to None.
ACLED_RENAMES: dict[str, str | None] = {
    "ally_actor_1": "assoc_actor_1",
    "ally_actor_2": "assoc_actor_2",
    "data_id": None,
    "event_id_no_cnty": None,
    "iso3": None,
    "gwno": None,
}

# UCDP GED columns onto the canonical ones (the rest is derived in validation.py).
UCDP_MARKERS = {"type_of_violence", "best", "side_a"}

# DuckDB's tables listing the records its CSV reader rejected (one row per error) and the scans.
REJECTS_TABLE, REJECTS_SCANS = "csv_rejects", "csv_reject_scans"


@dataclass(frozen=True)
class Staged:
    """A source file staged in DuckDB: which table, what kind of source, and the fields the header had."""

    source: str  # a table name or a parenthesised query DuckDB can select from
    kind: str  # "acled" or "ucdp"
    columns: list[str]
    width: int | None = None  # fields per record the header promises; None where records are objects
    rejects: str | None = None  # the reader's rejects table, filled once `source` has been read


def check_file(path: Path) -> None:
    """A path a user gave as a file: one clear line when it names a folder or nothing."""
    if path.is_dir():
        raise UserError("is a folder; expected a file", file=str(path))
    if not path.is_file():
        raise UserError("no such file", file=str(path))


def read_header(path: Path) -> list[str]:
    """The header of a CSV file, lower-cased, BOM and surrounding spaces removed.

    Bytes that are not UTF-8 become U+FFFD rather than an error: the decoder reads ahead past the
    header, and a bad byte in a record is that record's problem (the reader quarantines it).
    """
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise UserError("empty file: no header row", file=str(path), row=1)
    return [name.strip().lower() for name in header]


def source_kind(header: list[str], path: Path) -> str:
    """Tell an ACLED export from a UCDP GED file by its header, or explain what is missing."""
    if UCDP_MARKERS <= set(header):
        return "ucdp"
    if "event_id_cnty" in header and "event_date" in header:
        return "acled"
    raise UserError(
        "not an ACLED export (needs event_id_cnty and event_date) nor a UCDP GED file "
        "(needs id, type_of_violence, best)", file=str(path), row=1, field="header")


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Staged:
    """Stage a CSV export (ACLED or UCDP) as raw text, every field a string.

    The reader expects exactly the header's fields. A record it cannot split that way is skipped and
    listed in `REJECTS_TABLE` instead of failing the file, which keeps the reader strict and therefore
    parallel (padding short records would force a single thread). Empty fields stay empty strings (a
    rarely used NULL marker), which keeps "blank" and "absent" apart.
    """
    header = read_header(path)
    kind = source_kind(header, path)
    names = [_canonical_name(name, kind) for name in header]
    declared = [f"_f{i}" for i in range(len(header))]
    columns = {name: "VARCHAR" for name in declared}
    fields = ", ".join(f"{field} AS {name}" for field, name in zip(declared, names) if name)
    for table in (REJECTS_TABLE, REJECTS_SCANS):  # the reader appends to lists left by earlier files
        con.execute(f"DROP TABLE IF EXISTS {table}")
    source = f"""(SELECT {fields}
        FROM read_csv('{_sql_string(str(path))}', columns = {columns}, header = true,
                      auto_detect = false, delim = ',', quote = '"', escape = '"',
                      nullstr = '\x01', store_rejects = true, rejects_table = '{REJECTS_TABLE}',
                      rejects_scan = '{REJECTS_SCANS}'))"""
    kept = [name for name in names if name]
    return Staged(source, kind, kept, width=len(header), rejects=REJECTS_TABLE)


def stage_acled_json(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Staged:
    """Stage a saved ACLED API response (`{"status": …, "data": [ … ]}`) as raw text."""
    try:
        body = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"not valid JSON ({error})", file=str(path)) from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise UserError("not an ACLED API response: no 'data' list", file=str(path), field="data")
    records = [_canonical_record(r) for r in body["data"]]
    columns = sorted({name for record in records for name in record}) or ["event_id_cnty"]
    if "event_id_cnty" not in columns:
        raise UserError("ACLED API records carry no event_id_cnty", file=str(path), field="data")
    arrays = {name: pa.array([_text(r.get(name)) for r in records], type=pa.string())
              for name in columns}
    con.register(f"{table}_arrow", pa.table(arrays))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
    return Staged(table, "acled", columns)


def stage(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Staged:
    """Stage any supported file, choosing the reader by its extension (JSON or CSV).

    A CSV is not copied: its staging "table" is the query that reads it, run once by validation.
    A JSON page is small and already parsed by Python; it becomes a temporary table.
    """
    check_file(path)
    if path.suffix.lower() == ".json":
        return stage_acled_json(con, path, table)
    return stage_csv(con, path)


def _canonical_name(name: str, kind: str) -> str | None:
    if kind == "ucdp":
        return name
    if name in ACLED_RENAMES:
        return ACLED_RENAMES[name]
    return name if name in ACLED_COLUMNS else None


def _canonical_record(record: object) -> dict[str, object]:
    """An API record with canonical keys; anything that is not an object becomes an empty record."""
    if not isinstance(record, dict):
        return {}
    named = {_canonical_name(str(key).lower(), "acled"): value for key, value in record.items()}
    named.pop(None, None)
    return named


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _sql_string(text: str) -> str:
    return text.replace("'", "''")

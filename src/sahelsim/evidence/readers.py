"""Readers: put one source file into DuckDB as a staging table of raw text, one row per record.

Parsing is DuckDB's (its CSV reader is the fast path for million-row exports); this module only decides
*which* columns a file has and what they are called in the canonical table. Typing and validation of the
text happen afterwards in `validation.py`, so that a bad value becomes a quarantined row, not a crash.

Every staging table has the canonical raw column names it could find, `_row` (1-based record number
in the file, the header not counted), `_width` (how many fields the record really had) and, for CSV,
`_extra1…` holding fields past the header's width.
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

# Extra columns declared past the header so that over-long records are seen, not rejected by the parser.
_SPARE_COLUMNS = 4


@dataclass(frozen=True)
class Staged:
    """A source file staged in DuckDB: which table, what kind of source, and the fields the header had."""

    source: str  # a table name or a parenthesised query DuckDB can select from
    kind: str  # "acled" or "ucdp"
    columns: list[str]
    width: int | None  # fields per record the header promises; None where records are objects (JSON)


def read_header(path: Path) -> list[str]:
    """The header of a CSV file, lower-cased, BOM and surrounding spaces removed."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as error:
        raise UserError(f"not UTF-8 text ({error.reason})", file=str(path), row=1) from None
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


def stage_csv(path: Path) -> Staged:
    """Stage a CSV export (ACLED or UCDP) as raw text.

    The reader is told the header's width plus a few spare columns and pads short records with NULL, so a
    record with too few or too many fields still arrives, with `_width` saying how many it had. Empty
    fields stay empty strings (a rarely used NULL marker), which keeps "blank" and "absent" apart.
    """
    header = read_header(path)
    kind = source_kind(header, path)
    names = [_canonical_name(name, kind) for name in header]
    declared = [f"_f{i}" for i in range(len(header) + _SPARE_COLUMNS)]
    columns = {name: "VARCHAR" for name in declared}
    spare = [f"_extra{i}" for i in range(1, _SPARE_COLUMNS + 1)]
    fields = ", ".join(f"{field} AS {name}" for field, name in zip(declared, names + spare) if name)
    width = " + ".join(f"({field} IS NOT NULL)::INT" for field in declared)
    source = f"""(SELECT {fields}, row_number() OVER () AS _row, {width} AS _width
        FROM read_csv('{_sql_string(str(path))}', columns = {columns}, header = true,
                      auto_detect = false, delim = ',', quote = '"', escape = '"', null_padding = true,
                      nullstr = '\x01', parallel = false, strict_mode = false))"""
    kept = [name for name in names if name]
    return Staged(source, kind, kept, len(header))


def stage_acled_json(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Staged:
    """Stage a saved ACLED API response (`{"status": …, "data": [ … ]}`) as raw text."""
    try:
        body = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"not valid JSON ({error})", file=str(path)) from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise UserError("not an ACLED API response: no 'data' list", file=str(path), field="data")
    records = [_canonical_record(r) for r in body["data"]]
    columns = sorted({name for record in records for name in record})
    if records and "event_id_cnty" not in columns:
        raise UserError("ACLED API records carry no event_id_cnty", file=str(path), field="data")
    arrays: dict[str, list] = {name: [_text(r.get(name)) for r in records] for name in columns}
    arrays["_row"] = list(range(1, len(records) + 1))
    arrays["_width"] = [len(r) for r in records]
    con.register(f"{table}_arrow", pa.table(arrays) if records else _empty_table(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
    return Staged(table, "acled", columns, width=None)


def stage(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Staged:
    """Stage any supported file, choosing the reader by its extension (JSON or CSV).

    A CSV is not copied: its staging "table" is the query that reads it, run once by validation.
    """
    if not path.is_file():
        raise UserError("no such file", file=str(path))
    if path.suffix.lower() == ".json":
        return stage_acled_json(con, path, table)
    return stage_csv(path)


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


def _empty_table(columns: list[str]) -> pa.Table:
    schema = {name: pa.string() for name in columns}
    schema.update({"_row": pa.int64(), "_width": pa.int64()})
    return pa.table({name: pa.array([], type=kind) for name, kind in schema.items()})


def _sql_string(text: str) -> str:
    return text.replace("'", "''")

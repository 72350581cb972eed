"""Readers: put one source file into DuckDB as a staging relation of raw text, one row per record.

Parsing a CSV is DuckDB's (its parallel CSV reader is the fast path for million-row exports); this
module decides *which* columns a file has and what they are called in the canonical table. Typing
and validation of the text happen afterwards in `validation.py`, so that a bad value becomes a
quarantined row, not a crash. Whatever the file's container (`containers.py`) and encoding
(`encodings.py`), DuckDB's reader gets UTF-8 with one kind of line end and no blank lines: a file
that is not is transcoded (or relined) into a scratch file that lives while the file is staged; a
file that may hold records with many surplus fields is read from a copy in which they cost the
reader little (`wide_records.py`). Workbooks (XLSX)
and saved API output (JSON) are parsed in Python and staged as Arrow tables; every cell becomes the
text a CSV would hold.

Records keep file order: the validated table is written in that order, so its `rowid` is the record's
place among the records the reader accepted. Records the CSV reader itself cannot split into the
header's fields (too few or too many, an unterminated quote, bytes that are not UTF-8 in a UTF-8
file) are not lost either: DuckDB lists them, with their line and raw text, in the rejects table the
staging names, and ingest turns that list into quarantine rows and keeps the record numbers of the
others right.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import duckdb
import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from sahelsim.errors import UserError
from sahelsim.evidence.containers import CSV, JSON, XLSX, Export, export_bytes, find_export
from sahelsim.evidence.encodings import (BLOCK, CP1252, UTF8, LineEnds, blocks, decoder, detect,
                                        line_marks, windows_line_marks, write_utf8)
from sahelsim.evidence.schema import ACLED_COLUMNS
from sahelsim.evidence.wide_records import CrowdedLines, create_wide_table, narrow, wide_spans

# Headers of older ACLED exports, mapped to today's names; columns we do not keep map to None.
ACLED_RENAMES: dict[str, str | None] = {
    "ally_actor_1": "assoc_actor_1",
    "ally_actor_2": "assoc_actor_2",
    "data_id": None,
    "event_id_no_cnty": None,
    "iso3": None,
    "gwno": None,
}

# The columns that make a header an ACLED export, or a UCDP GED file (whose columns are mapped onto
# the canonical ones in validation.py).
ACLED_MARKERS = ("event_id_cnty", "event_date")
UCDP_MARKERS = {"type_of_violence", "best", "side_a"}
# The UCDP GED columns validation reads (`validation.ucdp_parsers`); others are not kept, as an ACLED
# column outside the canonical ones is not.
UCDP_COLUMNS = frozenset({
    "id", "year", "type_of_violence", "side_a", "side_b", "date_start", "date_prec", "country",
    "region", "adm_1", "adm_2", "where_coordinates", "where_description", "where_prec", "latitude",
    "longitude", "source_office", "source_headline", "best", "low", "high"})

# Field delimiters, in order of preference: comma, semicolon (Excel in French locales), tab.
DELIMITERS = (",", ";", "\t")

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
    header: tuple[str, ...] = ()  # a CSV's header as the file has it, to name fields of `rejects`
    delimiter: str = ","


def check_file(path: Path) -> None:
    """A path a user gave as a file: one clear line when it names a folder or nothing."""
    if path.is_dir():
        raise UserError("is a folder; expected a file", file=str(path))
    if not path.is_file():
        raise UserError("no such file", file=str(path))


@contextmanager
def staging(con: duckdb.DuckDBPyConnection, path: Path, table: str,
            scratch_root: Path | None = None) -> Iterator[Staged]:
    """Stage any supported file; the staging stays readable until the block ends.

    A CSV is not copied when DuckDB can read it as it is (UTF-8, bare or gzipped): its staging
    "table" is the query that reads it, run once by validation. Otherwise its UTF-8 text is written
    to a scratch folder (in `scratch_root`, the one a confined connection may read: `store.confine`)
    removed at the end of the block. Workbooks and JSON become temporary tables.
    """
    check_file(path)
    export = find_export(path)
    with tempfile.TemporaryDirectory(prefix="sahelsim-", dir=scratch_root) as scratch:
        yield _STAGERS[export.format](con, export, Path(scratch), table)


def stage_csv(con: duckdb.DuckDBPyConnection, export: Export, scratch: Path, table: str) -> Staged:
    """Stage a CSV export (ACLED or UCDP) as raw text, every field a string.

    The reader expects exactly the header's fields. A record it cannot split that way is skipped and
    listed in `REJECTS_TABLE` instead of failing the file, which keeps the reader strict and therefore
    parallel (padding short records would force a single thread). Empty fields stay empty strings (a
    rarely used NULL marker), which keeps "blank" and "absent" apart. A file with records of many
    surplus fields is read from a copy in which the reader rejects each at little cost, their
    field counts and raw text listed aside (`wide_records`).
    """
    with export_bytes(export) as stream:
        encoding = detect(stream)
    delimiter, header = read_header(export, encoding)
    kind = source_kind(header, export.path, f"a CSV with delimiter {delimiter!r} and {_listed(header)}")
    names = canonical_names(header, kind, export.path)
    declared = [f"_f{i}" for i in range(len(header))]
    columns = {name: "VARCHAR" for name in declared}
    fields = ", ".join(f"{field} AS {quoted_name(name)}" for field, name in zip(declared, names) if name)
    file, compression, read_as, crowded = _utf8_file(export, encoding, scratch, delimiter, len(header))
    create_wide_table(con)
    if crowded:
        file, compression = _narrowed(con, file, compression, read_as, scratch, delimiter, len(header))
    forget_rejects(con)
    source = f"""(SELECT {fields}
        FROM read_csv('{_sql_string(str(file))}', columns = {columns}, header = true,
                      auto_detect = false, delim = '{_sql_string(delimiter)}', quote = '"',
                      escape = '"', nullstr = '\x01', compression = '{compression}',
                      encoding = '{read_as}',
                      store_rejects = true, rejects_table = '{REJECTS_TABLE}',
                      rejects_scan = '{REJECTS_SCANS}'))"""
    kept = [name for name in names if name]
    return Staged(source, kind, kept, width=len(header), rejects=REJECTS_TABLE, header=tuple(header),
                  delimiter=delimiter)


def forget_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the reader's lists of rejected records before a read: it appends to what earlier reads
    (another file, or a first look at this one) left there."""
    for rejects in (REJECTS_TABLE, REJECTS_SCANS):
        con.execute(f"DROP TABLE IF EXISTS {rejects}")


def read_header(export: Export, encoding: str) -> tuple[str, list[str]]:
    """The delimiter and the header of a CSV export, names lower-cased, spaces around them removed.

    The delimiter is whichever of comma, semicolon (Excel in French locales) and tab makes a header
    this module knows; failing that, the one that splits it into most fields, for the message that
    says what the file is. Characters that do not decode become U+FFFD here only: the header is read
    from the file's first block, and a bad byte further on is its record's problem.
    """
    with export_bytes(export) as stream:
        head = decoder(encoding, errors="replace").decode(stream.read(BLOCK))
    candidates = []
    for delimiter in DELIMITERS:
        header = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), None)
        if not header:
            raise UserError("empty file: no header", file=str(export.path), header=True)
        names = [name.strip().lower() for name in header]
        if _known_kind(names):
            return delimiter, names
        candidates.append((len(names), delimiter, names))
    _, delimiter, names = max(candidates, key=lambda candidate: candidate[0])
    return delimiter, names


def _utf8_file(export: Export, encoding: str, scratch: Path, delimiter: str,
               width: int) -> tuple[Path, str, str, bool]:
    """A file DuckDB's reader takes, its compression, its encoding, and whether it has crowded lines
    (`wide_records.CrowdedLines`).

    The file is the export itself where it is UTF-8 (bare or gzipped) or a bare Windows-1252 file
    that is latin-1 (no byte 80–9F), with one kind of line end and no blank line; else its text
    written to `scratch` as UTF-8 with LF line ends and no blank lines (`encodings.relined`,
    `encodings.unblanked`). Crowded lines are looked for in the pass that reads the line ends; a
    file of another encoding or in a zip is looked at once copied.
    """
    crowded = CrowdedLines(delimiter, width)
    if encoding in (UTF8, CP1252) and not export.member:
        ends, windows = LineEnds(), False
        with export_bytes(export) as stream:
            for block in blocks(stream):
                if encoding == CP1252:
                    marks, high = windows_line_marks(block, delimiter)
                    windows = windows or high
                else:
                    marks = line_marks(block, delimiter)
                ends.add(block, marks)
                crowded.add(marks)
        plain = not ends.mixed and not ends.blank
        if plain and encoding == UTF8:
            return export.path, "gzip" if export.gzipped else "none", UTF8, crowded.close()
        if plain and not export.gzipped and not windows:
            return export.path, "none", "latin-1", crowded.close()
    target = scratch / "export.csv"
    with export_bytes(export) as stream:
        try:
            write_utf8(stream, encoding, target, reline=True)
        except UnicodeDecodeError as error:
            raise UserError(f"not valid {encoding} text ({error.reason})",
                            file=str(export.path)) from None
    if encoding not in (UTF8, CP1252) or export.member:
        with target.open("rb") as copy:
            for block in blocks(copy):
                crowded.add(line_marks(block, delimiter))
    return target, "none", UTF8, crowded.close()


def _narrowed(con: duckdb.DuckDBPyConnection, file: Path, compression: str, read_as: str,
              scratch: Path, delimiter: str, width: int) -> tuple[Path, str]:
    """`file` copied with its over-wide records made cheap to reject (`wide_records.narrow`), and
    the copy's compression; `file` itself where a crowded line was no over-wide record."""
    with _opened(file, compression) as stream:
        spans = wide_spans(stream, delimiter, width)
    if not len(spans.lines):
        return file, compression
    target = scratch / "narrowed.csv"
    with _opened(file, compression) as stream:
        narrow(con, stream, target, spans, delimiter, width, read_as)
    return target, "none"


def _opened(file: Path, compression: str) -> BinaryIO:
    """The bytes of a file DuckDB's reader is given, as it reads them."""
    return gzip.open(file) if compression == "gzip" else file.open("rb")


def stage_xlsx(con: duckdb.DuckDBPyConnection, export: Export, scratch: Path, table: str) -> Staged:
    """Stage the first sheet of a workbook as raw text, as a CSV of it would read.

    Numbers lose Excel's float form where they are whole (2, not 2.0), date cells become ISO dates,
    blank rows are skipped as blank lines in a CSV are, so record numbers count the data rows from 1.
    Sheets are read a row at a time and stored in chunks, so a million-row sheet is never a million
    lists of Python objects at once.
    """
    try:
        sheet = CalamineWorkbook.from_path(str(_bare_file(export, scratch))).get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = [_cell_text(cell).strip().lower() for cell in next(rows, [])]
        kind = source_kind(header, export.path,
                           f"an XLSX sheet {sheet.name!r} with {_listed([n for n in header if n])}")
        arrays = _sheet_columns(rows, canonical_names(header, kind, export.path))
    except CalamineError as error:  # not a workbook, or a damaged one
        raise UserError(f"not a readable workbook ({error})", file=str(export.path)) from None
    return _stage_arrow(con, table, arrays, kind)


def _sheet_columns(rows: Iterator[list[object]],
                   canonical: list[str | None]) -> dict[str, pa.ChunkedArray]:
    """The sheet's data rows as text columns under their canonical names (others dropped)."""
    names = {index: name for index, name in enumerate(canonical) if name}
    chunks: dict[str, list[pa.Array]] = {name: [] for name in names.values()}
    for chunk in _chunks((_cell_text(cell) for cell in row) for row in rows):
        for index, name in names.items():
            chunks[name].append(pa.array([row[index] if index < len(row) else "" for row in chunk],
                                         type=pa.string()))
    return {name: pa.chunked_array(parts, type=pa.string()) for name, parts in chunks.items()}

def _chunks(rows: Iterable[Iterable[str]], size: int = 100_000) -> Iterator[list[list[str]]]:
    """Non-blank rows, `size` at a time."""
    chunk: list[list[str]] = []
    for cells in rows:
        row = list(cells)
        if any(row):
            chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export holds (calamine gives every number as a float)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _bare_file(export: Export, scratch: Path) -> Path:
    """The export as a file of its own, unpacked into `scratch` where it sits in a container."""
    if export.bare:
        return export.path
    target = scratch / PurePosixPath(export.name).name
    with export_bytes(export) as stream:
        write_utf8(stream, UTF8, target)  # UTF-8 is copied byte for byte
    return target


def stage_acled_json(con: duckdb.DuckDBPyConnection, export: Export, scratch: Path,
                     table: str) -> Staged:
    """Stage saved ACLED API output as raw text: the API's response (`{"status": …, "data": [ … ]}`)
    or its bare list of records, as users save it."""
    with export_bytes(export) as stream:
        data = stream.read()
    try:
        body = json.loads(decoder(detect(io.BytesIO(data))).decode(data, final=True),
                          object_pairs_hook=_object)
    except _RepeatedKey as repeated:
        raise UserError(f"an object gives the key {repeated.args[0]!r} twice: keep one",
                        file=str(export.path), field=str(repeated.args[0])) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"not valid JSON ({error})", file=str(export.path)) from None
    except RecursionError:  # a value nested thousands deep: Python's parser gives up
        raise _nested_too_deeply(export) from None
    if isinstance(body, dict):
        body = body.get("data")
    if not isinstance(body, list):
        raise UserError("not ACLED API output: neither a list of records nor a response with a "
                        "'data' list", file=str(export.path), field="data")
    records = [_canonical_record(r, export.path, row) for row, r in enumerate(body, start=1)]
    columns = sorted({name for record in records for name in record}) or ["event_id_cnty"]
    if "event_id_cnty" not in columns:
        raise UserError("ACLED API records carry no event_id_cnty", file=str(export.path),
                        field="data")
    try:
        arrays = {name: pa.array([_text(r.get(name)) for r in records], type=pa.string())
                  for name in columns}
    except RecursionError:  # a value parsed, but nested too deep to be written out as text
        raise _nested_too_deeply(export) from None
    return _stage_arrow(con, table, arrays, "acled")


def _nested_too_deeply(export: Export) -> UserError:
    return UserError("not ACLED API output: JSON nested too deeply (ACLED's values are text and "
                     "numbers)", file=str(export.path))


def _stage_arrow(con: duckdb.DuckDBPyConnection, table: str, arrays: dict[str, pa.Array],
                 kind: str) -> Staged:
    """Columns of text, in record order, as the temporary staging table `table`."""
    con.register(f"{table}_arrow", pa.table(arrays))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
    return Staged(table, kind, list(arrays))


def source_kind(header: list[str], path: Path, found: str) -> str:
    """Tell an ACLED export from a UCDP GED file by its header, or say what the file is instead
    (`found`: its format, delimiter and first columns) and what each kind needs that it lacks."""
    kind = _known_kind(header)
    if kind:
        return kind
    missing_acled = [name for name in ACLED_MARKERS if name not in header]
    missing_ucdp = [name for name in sorted(UCDP_MARKERS) if name not in header]
    raise UserError(
        f"not an ACLED export nor a UCDP GED file: {found} (an ACLED export needs "
        f"{' and '.join(missing_acled)}, a UCDP GED file {', '.join(missing_ucdp)})",
        file=str(path), header=True)


def _known_kind(header: list[str]) -> str | None:
    if UCDP_MARKERS <= set(header):
        return "ucdp"
    if set(ACLED_MARKERS) <= set(header):
        return "acled"
    return None


def _listed(header: list[str], shown: int = 5) -> str:
    """The first columns of a header, for a message that says what a file holds."""
    if not header:
        return "no columns"
    more = "…" if len(header) > shown else ""
    return f"columns {', '.join(header[:shown])}{more}"


_STAGERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Export, Path, str], Staged]] = {
    CSV: stage_csv, XLSX: stage_xlsx, JSON: stage_acled_json}


def canonical_names(header: list[str], kind: str, path: Path,
                    row: int | None = None) -> list[str | None]:
    """The canonical name each field of a header (or a JSON record's keys, at `row`) is read as,
    None for one not read; refuses one column given twice, as the same name or under an old one:
    which of the two holds the data could only be guessed."""
    names = [_canonical_name(name, kind) if name else None for name in header]
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name is not None and name in first:
            earlier = first[name]
            given = (f"{header[index]!r} appears twice" if header[earlier] == header[index]
                     else f"{header[earlier]!r} and {header[index]!r} are both {name}")
            raise UserError(f"{given} (fields {earlier + 1} and {index + 1}): keep one",
                            file=str(path), row=row, field=name, header=row is None)
        if name is not None:
            first[name] = index
    return names


def _canonical_name(name: str, kind: str) -> str | None:
    if kind == "ucdp":
        return name if name in UCDP_COLUMNS else None
    if name in ACLED_RENAMES:
        return ACLED_RENAMES[name]
    return name if name in ACLED_COLUMNS else None


def _canonical_record(record: object, path: Path, row: int) -> dict[str, object]:
    """An API record with canonical keys; anything that is not an object becomes an empty record."""
    if not isinstance(record, dict):
        return {}
    keys = [_canonical_name(str(key).lower(), "acled") for key in record]
    named = {name: value for name, value in zip(keys, record.values()) if name}
    if len(named) < len(keys) - keys.count(None):  # "Notes" and "notes", or an old name and its new
        canonical_names([str(key).lower() for key in record], "acled", path, row)
    return named


class _RepeatedKey(ValueError):
    """A JSON object that gives one key twice."""


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object, refused where it gives a key twice: `json` would keep the last one silently."""
    record = dict(pairs)
    if len(record) < len(pairs):
        keys = [key for key, _ in pairs]
        raise _RepeatedKey(next(key for key in keys if keys.count(key) > 1))
    return record


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


def quoted_name(name: str) -> str:
    """A column name as a SQL identifier, whatever characters a file's header gave it: a name is
    never SQL (a header such as `x" AS a FROM t; COPY … TO …` would otherwise run)."""
    return '"' + name.replace('"', '""') + '"'

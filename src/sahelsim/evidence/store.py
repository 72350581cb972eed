"""The store: one embedded DuckDB file holding the events, the quarantine and the ingest history.

No server: the default file lives in the user's data directory, `--db` or SAHELSIM_DB point elsewhere.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import platformdirs

from sahelsim.errors import UserError, utf8_text
from sahelsim.evidence.schema import EVENT_COLUMNS
from sahelsim.runtime import interrupts

LOCK_POLL_S = 0.1
MAX_WAIT_S = 86_400  # a day: longer is a mistyped number, not a plan
MAX_THREADS = 1024  # DuckDB starts them all at once
MIN_MEMORY = (16 * 10 ** 6, "16MB")  # what an ingest of a small file needed, measured
COMPACTING = ".compacting-"  # prefix of a compaction's copy, beside the store

TABLES: dict[str, dict[str, str]] = {
    "events": EVENT_COLUMNS,
    "quarantine": {"ingest_run": "VARCHAR", "file": "VARCHAR", "row": "BIGINT", "field": "VARCHAR",
                   "reason": "VARCHAR", "raw": "VARCHAR"},
    "ingest_runs": {"ingest_run": "VARCHAR", "started": "TIMESTAMP", "files": "VARCHAR[]",
                    "read": "BIGINT", "inserted": "BIGINT", "updated": "BIGINT", "unchanged": "BIGINT",
                    "rejected": "BIGINT", "deleted": "BIGINT", "folded": "BIGINT",
                    "no_timestamp": "VARCHAR[]"},
}


def default_db_path() -> Path:
    """Where the record lives unless told otherwise: $SAHELSIM_DB, else the user's data directory."""
    configured = os.environ.get("SAHELSIM_DB")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir("sahelsim")) / "sahelsim.duckdb"


def connect(path: Path | None = None, *, read_only: bool = False,
            wait: float = 0) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create) the store, waiting up to `wait` seconds while another
    sahelsim writes to it (DuckDB lets one process write a file, and none read it meanwhile)."""
    path = path or default_db_path()
    name = utf8_text(str(path), file=str(path))
    try:
        existed = path.exists()
        if read_only and not existed:
            raise UserError("no record here yet: run `sahelsim ingest` or `sahelsim demo` first",
                            file=name)
        _check_is_store(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a name too long, a parent that is a file, no permission
        raise UserError(f"cannot open the store: {error.strerror}", file=name) from None
    con = _open(name, read_only, wait)
    try:
        _apply_settings(con)
        con.execute("SET enable_progress_bar = false")
        if not read_only:
            _create_or_extend(con)
    except (UserError, duckdb.OutOfMemoryException) as error:
        con.close()
        if not existed:  # no empty store left behind to be mistaken for a record
            discard(path)
        raise memory_error() if isinstance(error, duckdb.OutOfMemoryException) else error from None
    return con


# Where a query reads the record: an open connection (its owner closes it), or the store at a path
# (None: the default store), opened read-only for the query.
Source = duckdb.DuckDBPyConnection | Path | str | None


@contextmanager
def reading(source: Source = None, *, wait: float = 0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to read from, so that one query function serves a caller holding a connection
    (several queries on one snapshot) and one naming a store (the CLI, a notebook) alike."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        yield source
        return
    con = connect(Path(source) if source is not None else None, read_only=True, wait=wait)
    try:
        yield con
    finally:
        con.close()


def _open(name: str, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection, retried every `LOCK_POLL_S` for `wait` seconds while the file is locked."""
    if not 0 <= wait <= MAX_WAIT_S:
        raise UserError(f"expected 0 to {MAX_WAIT_S:,} seconds, not {wait}", field="--wait")
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(name, read_only=read_only)
        except duckdb.Error as error:
            holder = _lock_holder(str(error))
            if holder is None:
                raise UserError(f"cannot open the store: {str(error).splitlines()[0]}",
                                file=name) from None
        if time.monotonic() >= deadline:
            waited = f" after waiting {wait:g} s" if wait else ""
            hint = "" if read_only else ", or give --wait SECONDS"
            raise UserError(f"another sahelsim ({holder}) holds the store{waited}; try again when "
                            f"it is done{hint}", file=name)
        time.sleep(min(LOCK_POLL_S, max(deadline - time.monotonic(), 0)))


def _lock_holder(message: str) -> str | None:
    """Who holds the file, from DuckDB's lock message ("Conflicting lock is held in … (PID 42)");
    None when the message is about something else."""
    if "Could not set lock" not in message:
        return None
    pid = re.search(r"\(PID (\d+)\)", message)
    return f"process {pid.group(1)}" if pid else "another process"


def _create_or_extend(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables, or add the columns a store made by an older sahelsim lacks (NULL in its
    rows), so that old stores keep working."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main'").fetchall():
        existing.setdefault(table, set()).add(column)
    for table, columns in TABLES.items():
        if table not in existing:
            listed = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({listed})")
            continue
        for name in columns.keys() - existing[table]:
            con.execute(f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{name}" {columns[name]}')


def _check_is_store(path: Path) -> None:
    """Refuse a file that is not a DuckDB database: DuckDB would open a CSV, Parquet or JSON file
    as an in-memory database viewing it, and an ingest into it would report success and keep nothing."""
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            header = handle.read(12)
        if header[8:12] != b"DUCK":
            raise UserError("not a sahelsim store: expected a DuckDB file", file=str(path))


def _apply_settings(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's memory bound and thread count, from the environment.

    The memory bound keeps million-row ingests within reach of a laptop: past it DuckDB spills
    temporary tables to disk. Below `MIN_MEMORY` DuckDB cannot run sahelsim's queries at all, so
    such a bound is refused at once rather than failing half-way. Threads default to every core; a
    shared server may want fewer.
    """
    memory = os.environ.get("SAHELSIM_MEMORY_LIMIT", "1GB")
    too_small = UserError(f"SAHELSIM_MEMORY_LIMIT must be at least {MIN_MEMORY[1]} for DuckDB to "
                          f"work, not {memory!r}")
    try:
        if not re.fullmatch(r"\s*[0-9]+(\.[0-9]+)?\s*[A-Za-z]*\s*", memory):
            raise ValueError(memory)  # DuckDB would read -5GB as no bound at all
        con.execute("SET memory_limit = ?", [memory])
        limit = con.execute("SELECT value FROM duckdb_settings() "
                            "WHERE name = 'memory_limit'").fetchone()[0]
    except duckdb.OutOfMemoryException:  # too small to hold even what the setting needs
        raise too_small from None
    except (ValueError, duckdb.Error):  # UnicodeEncodeError is a ValueError
        raise UserError(f"SAHELSIM_MEMORY_LIMIT must be a size such as 1GB or 512MB, not {memory!r}") \
            from None
    if _bytes(limit) < MIN_MEMORY[0]:
        raise too_small
    threads = os.environ.get("SAHELSIM_THREADS")
    if threads is None:
        return
    if not (threads.strip().isascii() and threads.strip().isdigit()) \
            or not 1 <= int(threads) <= MAX_THREADS:
        raise UserError(f"SAHELSIM_THREADS must be a whole number from 1 to {MAX_THREADS}, "
                        f"not {threads!r}")
    con.execute("SET threads = ?", [int(threads)])


def confine(con: duckdb.DuckDBPyConnection, files: Sequence[Path], scratch: Path) -> None:
    """From now on, let DuckDB on `con` open only `files` and `scratch` besides the store (its own
    spill files past the memory limit are not checked), and load no extension; nothing undoes it.

    An ingest reads files from outside: should anything in them ever reach SQL, it could read no
    other file, write none but the store, `scratch` and (DuckDB grants both or neither) `files`
    themselves, and not change these settings back. DuckDB keeps them for the database while it is
    open, so `con` should be the only connection to it.
    """
    con.execute("SET allowed_paths = ?", [[str(file) for file in files]])
    con.execute("SET allowed_directories = ?", [[str(scratch)]])
    for setting in ("enable_external_access", "autoinstall_known_extensions",
                    "autoload_known_extensions", "allow_community_extensions"):
        con.execute(f"SET {setting} = false")
    con.execute("SET lock_configuration = true")


def _bytes(size: str) -> float:
    """A size as DuckDB shows a setting ("953.6 MiB", "512 bytes") in bytes."""
    number, unit = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", size).groups()
    return float(number) * _UNITS[unit.lower()]


_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40, "pib": 2 ** 50}


def memory_error() -> UserError:
    """DuckDB ran out of the memory SAHELSIM_MEMORY_LIMIT allows, in a query that cannot spill."""
    memory = os.environ.get("SAHELSIM_MEMORY_LIMIT", "1GB")
    return UserError(f"DuckDB needs more memory than SAHELSIM_MEMORY_LIMIT={memory} allows for this; "
                     "raise it")


@dataclass(frozen=True)
class Compaction:
    """A store's size in bytes before and after `compact`."""

    before: int
    after: int


def compact(path: Path | None = None, *, wait: float = 0) -> Compaction:
    """Rewrite the store into a fresh file holding exactly its content, which then replaces it.

    A store only grows: space freed by updates, and the blocks a killed ingest wrote before it
    could commit, stay in the file. A fresh copy holds none of that. The store stays locked
    throughout, so no ingest can write to the old file meanwhile; until the copy is complete and
    renamed over the old file (atomic), the old file is the store, so a failure or a kill loses
    nothing (a killed compaction's copy is removed by the next).
    """
    path = path or default_db_path()
    con = connect(path, wait=wait)
    copy = path.with_name(f"{COMPACTING}{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        _remove_copies(path)  # of killed compactions: while we hold the lock, no other is running
        before = _size(path)
        con.execute("CHECKPOINT")
        source = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH '{_sql_string(str(copy))}' AS compacted")
        con.execute(f'COPY FROM DATABASE "{source}" TO compacted')
        con.execute("DETACH compacted")
        with interrupts.scope():
            interrupts.point_of_no_return()
            os.replace(copy, path)
            con.close()
    except BaseException:
        con.close()
        _remove(copy)
        raise
    return Compaction(before, _size(path))


def _remove_copies(path: Path) -> None:
    for stale in path.parent.iterdir():
        if stale.name.startswith(f"{COMPACTING}{path.name}-") and not stale.name.endswith(".wal"):
            _remove(stale)


def _remove(copy: Path) -> None:
    for leftover in (copy, copy.with_name(copy.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _size(path: Path) -> int:
    """The store's bytes, its write-ahead log included."""
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


def discard(path: Path | None = None) -> None:
    """Remove a store that an ingest just created and then refused to fill: a failed first ingest
    leaves no empty store behind to be mistaken for a record."""
    path = path or default_db_path()
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure (or a kill) before COMMIT leaves the store as it was. From the
    COMMIT on, a Ctrl-C is ignored up to the end of the enclosing `interrupts.scope` (see there)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    with interrupts.scope():
        interrupts.point_of_no_return()
        con.execute("COMMIT")

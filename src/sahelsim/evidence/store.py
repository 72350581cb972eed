"""The store: one embedded DuckDB file holding the events, the quarantine and the ingest history.

No server: the default file lives in the user's data directory, `--db` or SAHELSIM_DB point elsewhere.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import platformdirs

from sahelsim.errors import UserError
from sahelsim.evidence.schema import EVENT_COLUMNS

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


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create) the store."""
    path = path or default_db_path()
    if read_only and not path.exists():
        raise UserError("no record here yet: run `sahelsim ingest` or `sahelsim demo` first",
                        file=str(path))
    _check_is_store(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise UserError(f"cannot open the store: {str(error).splitlines()[0]}", file=str(path)) from None
    try:
        _apply_settings(con)
    except UserError:
        con.close()
        raise
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        _create_or_extend(con)
    return con


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
    temporary tables to disk. Threads default to every core; a shared server may want fewer.
    """
    memory = os.environ.get("SAHELSIM_MEMORY_LIMIT", "1GB")
    try:
        con.execute("SET memory_limit = ?", [memory])
    except duckdb.Error:
        raise UserError(f"SAHELSIM_MEMORY_LIMIT must be a size such as 1GB or 512MB, not {memory!r}") \
            from None
    threads = os.environ.get("SAHELSIM_THREADS")
    if threads is None:
        return
    if not threads.strip().isdigit() or int(threads) < 1:
        raise UserError(f"SAHELSIM_THREADS must be a whole number of 1 or more, not {threads!r}")
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


def discard(path: Path | None = None) -> None:
    """Remove a store that an ingest just created and then refused to fill: a failed first ingest
    leaves no empty store behind to be mistaken for a record."""
    path = path or default_db_path()
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure (or a kill) before COMMIT leaves the store as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")

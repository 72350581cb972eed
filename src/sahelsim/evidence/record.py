"""Reading the stored record back: the filters every command shares, and export.

One `EventFilter` turns the options analysts use (countries, a date window, an actor, drone events
only) into a SQL condition, so `events`, `drones trends` and the Python API select the same events.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from sahelsim.errors import UserError

EXPORT_FORMATS = ("csv", "parquet", "json")


@dataclass(frozen=True)
class EventFilter:
    """Which events a question is about. Empty means all of them."""

    countries: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    actor: str | None = None  # a registry key (jnim) or part of an ACLED actor name
    drone_only: bool = False
    datasets: tuple[str, ...] = field(default_factory=tuple)

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
            clauses.append("(actor1_key = ? OR actor2_key = ? OR actor1 ILIKE ? OR actor2 ILIKE ?)")
            params += [self.actor, self.actor, f"%{self.actor}%", f"%{self.actor}%"]
        if self.drone_only:
            clauses.append("drone")
        if self.datasets:
            clauses.append(f"dataset IN ({', '.join('?' for _ in self.datasets)})")
            params += list(self.datasets)
        return " AND ".join(clauses), params


def select_events(con: duckdb.DuckDBPyConnection, where: EventFilter) -> pa.Table:
    """The matching events with every canonical and derived column, oldest first."""
    condition, params = where.where()
    return con.sql(f"SELECT * FROM events WHERE {condition} ORDER BY event_date, event_id_cnty",
                   params=params).to_arrow_table()


def export_events(con: duckdb.DuckDBPyConnection, where: EventFilter, out: Path, fmt: str) -> int:
    """Write the matching events to `out` in csv, parquet or json (one array); returns the count.

    A file is written beside `out` and then replaces it whole, so a failed export leaves what was
    there; a device or a pipe is written directly.
    """
    if fmt not in EXPORT_FORMATS:
        raise UserError(f"unknown format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}",
                        field="--format")
    if out.is_dir():
        raise UserError("is a folder; expected a file to write", file=str(out))
    condition, params = where.where()
    query = f"SELECT * FROM events WHERE {condition} ORDER BY event_date, event_id_cnty"
    options = {"csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet",
               "json": "FORMAT json, ARRAY true"}[fmt]

    def copy_to(path: Path) -> None:
        con.execute(f"COPY ({query}) TO '{str(path).replace(chr(39), chr(39) * 2)}' ({options})", params)

    try:
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

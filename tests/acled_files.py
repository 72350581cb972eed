"""Writing small ACLED and UCDP files for tests, in the shapes seen in the wild."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from sahelsim.evidence.schema import ACLED_COLUMNS

HEADER = list(ACLED_COLUMNS)

# Pre-2019 export header (FACTS: data_id, event_id_no_cnty, iso3, gwno, ally_actor_1; no
# disorder_type, civilian_targeting, tags).
OLD_HEADER = ["data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year",
              "time_precision", "event_type", "sub_event_type", "actor1", "ally_actor_1", "inter1",
              "actor2", "ally_actor_2", "inter2", "interaction", "region", "country", "admin1",
              "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
              "source_scale", "notes", "fatalities", "timestamp", "iso3", "gwno"]


def event(**fields: object) -> dict[str, str]:
    """A plausible ACLED event (a JNIM drone strike in Mali) with some fields overridden."""
    base = {
        "event_id_cnty": "MLI1001", "event_date": "2025-06-01", "year": "2025", "time_precision": "1",
        "disorder_type": "Political violence", "event_type": "Explosions/Remote violence",
        "sub_event_type": "Air/drone strike", "actor1": "JNIM: Group for Support of Islam and Muslims",
        "assoc_actor_1": "", "inter1": "2", "actor2": "Military Forces of Mali (2021-)",
        "assoc_actor_2": "", "inter2": "1", "interaction": "12", "civilian_targeting": "",
        "iso": "466", "region": "Western Africa", "country": "Mali", "admin1": "Mopti",
        "admin2": "Douentza", "admin3": "", "location": "Boulkessi", "latitude": "14.3667",
        "longitude": "-1.5833", "geo_precision": "1", "source": "Le Monde", "source_scale": "International",
        "notes": "On 1 June 2025, JNIM militants used drones to drop explosives on the military camp "
                 "of Boulkessi before a ground assault. Fatalities unknown.",
        "fatalities": "0", "tags": "", "timestamp": "1750000000",
    }
    base.update({key: str(value) for key, value in fields.items()})
    return base


def write_acled(path: Path, events: list[dict[str, str]], *, header: list[str] = HEADER,
                bom: bool = False, crlf: bool = False, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if crlf else "\n", delimiter=delimiter)
        writer.writerow(header)
        for row in events:
            writer.writerow(_cells(row, header))
    return path


def write_acled_line_ends(path: Path, events: list[dict[str, str]], ends: list[str], *,
                          header: list[str] = HEADER) -> Path:
    """An ACLED export whose lines end as `ends` says, one entry per line, the header's first: a
    file edited by hand or pieced together from several sources ends its lines in several ways."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        for cells, end in zip([header, *(_cells(row, header) for row in events)], ends, strict=True):
            line = io.StringIO()  # written with CRLF, so that fields holding CR or LF are quoted
            csv.writer(line, lineterminator="\r\n").writerow(cells)
            handle.write(line.getvalue().removesuffix("\r\n") + end)
    return path


def _cells(row: dict[str, object], header: list[str]) -> list[object]:
    named = {**row, "ally_actor_1": row.get("assoc_actor_1", ""),
             "ally_actor_2": row.get("assoc_actor_2", ""), "iso3": "MLI", "gwno": "432",
             "data_id": "1", "event_id_no_cnty": "1"}
    return [named.get(column, "") for column in header]


def write_acled_xlsx(path: Path, events: list[dict[str, object] | None], *,
                     header: list[str] = HEADER) -> Path:
    """An ACLED export as a workbook of one sheet. Values keep their Python type, so a test says
    which cells Excel holds as numbers or dates (an int 2, a datetime.date) and which as text; an
    event of None alone is a blank row."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "ACLED"
    sheet.append(header)
    for row in events:
        sheet.append([None] * len(header) if row is None else _cells(row, header))
    workbook.save(path)
    return path


def stored(db: Path, query: str = "SELECT * FROM events ORDER BY source_row") -> list[dict]:
    """Rows of the store as dicts, read the way a user's query would (a read-only connection)."""
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(query)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

"""Over-wide rows: records with more fields than the header are quarantined once each, and reading
them stays within the memory limit however many surplus fields they carry.

DuckDB's reader would keep a copy of such a line per surplus field, outside the memory limit
(30 rows of 5,000 surplus fields took gigabytes); sahelsim reads those files from a copy in which
each over-wide record is cheap to reject.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acled_files import HEADER, event, stored, write_acled
from fuzzing import examples
from sahelsim.evidence import readers
from sahelsim.evidence.encodings import line_marks
from sahelsim.evidence.ingest import ingest
from sahelsim.evidence.wide_records import CrowdedLines

SURPLUS = 5_000
LIMIT_MB, MARGIN_MB = 200, 300  # docs/ingest.md: peak memory stays under the limit plus 300 MB

# Runs a command and prints its peak resident memory (kB) after its own output.
PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def ingest_peak_mb(path: Path, db: Path) -> float:
    """Peak resident memory of `sahelsim ingest` of `path` at SAHELSIM_MEMORY_LIMIT=LIMIT_MB, which
    must succeed."""
    command = [sys.executable, "-c", PEAK, sys.executable, "-m", "sahelsim", "ingest", "--db", db,
               path]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SAHELSIM_MEMORY_LIMIT": f"{LIMIT_MB}MB"})
    code, peak_kb = map(int, done.stdout.split()[-2:])
    assert code == 0, done.stderr
    return peak_kb / 1024


def quarantined(db: Path) -> list[dict]:
    return stored(db, "SELECT row, field, reason, raw FROM quarantine ORDER BY row")


def wide_line(event_id: str, surplus: int = SURPLUS, delimiter: str = ",") -> str:
    """A plausible record with `surplus` fields of "x" after its own."""
    cells = [event(event_id_cnty=event_id)[name] for name in HEADER]
    return delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in cells) \
        + (delimiter + "x") * surplus


def write_wide_export(path: Path, wide_rows: set[int], rows: int, *, end: str = "\n",
                      delimiter: str = ",") -> Path:
    """An export of `rows` records, those numbered in `wide_rows` over-wide, the others good."""
    write_acled(path, [event(event_id_cnty=f"MLI{row}") for row in range(1, rows + 1)],
                crlf=end == "\r\n", delimiter=delimiter)
    header, *records = path.read_bytes().decode("utf-8").split(end)[:-1]
    for row in wide_rows:
        records[row - 1] = wide_line(f"MLI{row}", delimiter=delimiter)
    path.write_bytes(end.join([header, *records, ""]).encode("utf-8"))
    return path


def test_over_wide_rows_are_quarantined_once_within_the_memory_limit(tmp_path, db):
    """30 rows of 5,000 surplus fields among good rows: each is quarantined once under its row,
    with its field count and its first 10,000 bytes; the good rows are stored; and the ingest's
    peak memory stays under SAHELSIM_MEMORY_LIMIT plus the stated margin."""
    wide = set(range(3, 63, 2))  # rows 3, 5, …, 61
    path = write_wide_export(tmp_path / "wide.csv", wide, rows=70)
    assert ingest_peak_mb(path, db) < LIMIT_MB + MARGIN_MB
    rejected = quarantined(db)
    assert [row["row"] for row in rejected] == sorted(wide)
    assert {row["reason"] for row in rejected} == {"wrong column count: expected 31, found 5031"}
    assert all(row["raw"].startswith(f"MLI{row['row']},2025-06-01,") and len(row["raw"]) == 10_000
               for row in rejected)
    assert [(e["event_id_cnty"], e["source_row"]) for e in stored(db)] == [
        (f"MLI{row}", row) for row in range(1, 71) if row not in wide]
    runs = stored(db, "SELECT read, inserted, rejected FROM ingest_runs")
    assert runs == [{"read": 70, "inserted": 40, "rejected": 30}]


@pytest.mark.parametrize("variant", ["CRLF", "semicolon", "gzip", "utf-16", "last row, no line end"])
def test_over_wide_rows_in_any_file_variant(tmp_path, db, variant):
    """The copy an over-wide file is read from keeps its line ends, delimiter and the rows'
    numbers, whatever the file's encoding or container."""
    end, delimiter = ("\r\n" if variant == "CRLF" else "\n"), (";" if variant == "semicolon" else ",")
    path = write_wide_export(tmp_path / "wide.csv", {2, 4}, rows=5, end=end, delimiter=delimiter)
    if variant == "last row, no line end":
        path.write_bytes(path.read_bytes() + wide_line("MLI6", surplus=100).encode("utf-8"))
    elif variant == "gzip":
        path = _moved(path, tmp_path / "wide.csv.gz", gzip.compress(path.read_bytes()))
    elif variant == "utf-16":
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    summary = ingest([path], db)
    last = variant == "last row, no line end"
    assert (summary.read, summary.inserted, summary.rejected) == (5 + last, 3, 2 + last)
    assert [(e["event_id_cnty"], e["source_row"]) for e in stored(db)] == [
        ("MLI1", 1), ("MLI3", 3), ("MLI5", 5)]
    rejected = quarantined(db)
    assert [(row["row"], row["reason"]) for row in rejected] == [
        (2, "wrong column count: expected 31, found 5031"),
        (4, "wrong column count: expected 31, found 5031"),
        *([(6, "wrong column count: expected 31, found 131")] if last else [])]
    assert rejected[0]["raw"].startswith(f"MLI2{delimiter}2025-06-01{delimiter}")
    assert not rejected[0]["raw"].endswith("\r")


def _moved(old: Path, new: Path, data: bytes) -> Path:
    old.unlink()
    new.write_bytes(data)
    return new


def test_notes_full_of_commas_are_no_surplus(tmp_path, db):
    """A quoted note with more commas than the header has fields, over several lines, is one
    field: the record is stored, and an over-wide record after it is still found."""
    note = "Villages touchés : " + ", ".join(f"village {n}" for n in range(80)) + ".\nFin, fin."
    path = write_acled(tmp_path / "commas.csv", [event(event_id_cnty="MLI1", notes=note)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(wide_line("MLI2", surplus=70) + "\n")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 1, 1)
    assert stored(db)[0]["notes"] == note
    assert [(row["row"], row["reason"]) for row in quarantined(db)] == [
        (2, "wrong column count: expected 31, found 101")]


def test_a_file_without_crowded_lines_is_not_scanned(tmp_path, db, monkeypatch):
    """An export whose lines hold fewer than twice the header's delimiters is read as it is, with
    no exact scan (it would cost a million-row ingest seconds); a record of a few surplus fields in
    it is still quarantined once."""
    def no_scan(*args, **kwargs):
        raise AssertionError("the file was scanned")

    monkeypatch.setattr(readers, "wide_spans", no_scan)
    path = write_wide_export(tmp_path / "plain.csv", set(), rows=3)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(wide_line("MLI4", surplus=30) + "\n")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (4, 3, 1)
    assert [(row["row"], row["reason"]) for row in quarantined(db)] == [
        (4, "wrong column count: expected 31, found 61")]


# Fields a record may hold: quoted delimiters, quotes, line breaks and empty lines inside notes.
NOTES = ["Drones struck.", "a, b; c\td", 'il a dit "non"', "ligne 1\nligne 2", "ligne 1\n\nligne 3",
         ",".join(["v"] * 70), ""]
SURPLUS_FIELDS = ["x", "", "y,z;w\tv", "p\nq", 'r"s']
RECORDS = st.lists(st.tuples(st.sampled_from(NOTES), st.sampled_from(["good", "short", "wide"]),
                             st.integers(1, 300), st.integers(0, 2)), min_size=1, max_size=12)


@settings(max_examples=examples(0.2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=RECORDS, end=st.sampled_from(["\n", "\r\n"]), delimiter=st.sampled_from([",", ";", "\t"]),
       shape=st.sampled_from(["plain", "gzip", "utf-16"]), open_end=st.booleans(),
       draw=st.randoms(use_true_random=False))
def test_any_mix_of_wide_short_and_blank_rows_is_numbered_as_a_csv_reader_reads_it(
        records, end, delimiter, shape, open_end, draw):
    """Whatever mix of good, short and over-wide records (of a few surplus fields or hundreds,
    multi-line ones among them), blank lines, line ends, delimiters and containers: every record
    that is not 31 fields is quarantined once under its own row with its field count, every other
    is stored under its row, as Python's csv module reads the same text."""
    text, widths = io.StringIO(), []
    writer = csv.writer(text, delimiter=delimiter, lineterminator=end)
    writer.writerow(HEADER)
    for row, (note, kind, size, blanks) in enumerate(records, start=1):
        cells = [event(event_id_cnty=f"MLI{row}", notes=note)[name] for name in HEADER]
        if kind == "short":
            cells = cells[:1 + size % 30]
        elif kind == "wide":
            cells += [draw.choice(SURPLUS_FIELDS) for _ in range(size)]
        writer.writerow(cells)
        text.write(end * blanks)
        widths.append(len(cells))
    written = text.getvalue().rstrip("\r\n") if open_end else text.getvalue()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("export.csv.gz" if shape == "gzip" else "export.csv")
        data = written.encode("utf-16" if shape == "utf-16" else "utf-8")
        path.write_bytes(gzip.compress(data) if shape == "gzip" else data)
        db = Path(folder) / "record.duckdb"
        summary = ingest([path], db)
        assert [(row["row"], row["reason"]) for row in quarantined(db)] == [
            (row, f"wrong column count: expected 31, found {width}")
            for row, width in enumerate(widths, start=1) if width != 31]
        assert [(e["event_id_cnty"], e["source_row"]) for e in stored(db)] == [
            (f"MLI{row}", row) for row, width in enumerate(widths, start=1) if width == 31]
    assert summary.read == len(records)


def test_surplus_fields_spread_over_quoted_line_breaks_stay_within_the_memory_limit(tmp_path, db):
    """A crafted record can spread thousands of surplus fields over many lines, joined by quoted
    fields that hold line breaks, so that no line looks crowded: each such record is still
    quarantined once, and the ingest stays within the memory limit (before: 7.8 GB at 200 MB)."""
    surplus = ",".join('"a\nb"' if k % 50 == 0 else "x" for k in range(6_000))
    path = write_wide_export(tmp_path / "spread.csv", set(), rows=5)
    lines = path.read_text(encoding="utf-8").splitlines()
    spread = [wide_line(f"MLI{row}", surplus=0) + "," + surplus for row in range(6, 36)]
    path.write_text("\n".join(lines + spread) + "\n", encoding="utf-8")
    assert ingest_peak_mb(path, db) < LIMIT_MB + MARGIN_MB
    rejected = quarantined(db)
    assert [row["row"] for row in rejected] == list(range(6, 36))
    assert {row["reason"] for row in rejected} == {"wrong column count: expected 31, found 6031"}
    assert len(stored(db, "SELECT event_id_cnty FROM events")) == 5


@pytest.mark.parametrize("text, spanning", [
    (b'a,"b, c",d\n"e","f"\n', False),
    (b'a,"he said ""no""",d\n', False),                 # escaped quotes pair up
    (b'a,"line one\nline two",d\n', True),              # a line break inside quotes
    (b'a,"x""\ny",d\n', True),
    (b'a,b,c\n', False),
])
def test_a_line_break_inside_quotes_is_seen_whatever_the_blocks(text, spanning):
    """Cut anywhere, the blocks tell a line break inside quotes apart from quotes that pair up on
    their line: such a file is then scanned exactly, since no line of it need look crowded."""
    for size in (1, 2, 3, 1_000):
        crowded = CrowdedLines(",", width=3)
        for start in range(0, len(text), size):
            crowded.add(line_marks(text[start:start + size], ","))
        assert crowded.close() is spanning, size

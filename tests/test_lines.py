"""Lines: a record is a record however many lines it spans and however its lines end.

Row numbers in the store and the quarantine count records, as a spreadsheet counts rows: a record
whose notes span a thousand lines is one row. Files whose lines end in several ways are read, and
line ends inside quoted fields stay as the file has them.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from acled_files import event, stored, write_acled, write_acled_line_ends
from sahelsim.evidence import encodings, readers
from sahelsim.evidence.ingest import ingest

NOTE_LF = "Des drones ont frappé le camp.\nLe bilan reste inconnu."
NOTE_CRLF = "Drones struck the camp.\r\nFatalities unknown."


def quarantined(db: Path) -> list[dict]:
    return stored(db, "SELECT row, field, reason, raw FROM quarantine ORDER BY row")


def events(db: Path) -> list[tuple[str, int, str]]:
    return [(row["event_id_cnty"], row["source_row"], row["notes"]) for row in stored(db)]


def add_lines(path: Path, *lines: str) -> None:
    """Append raw lines (each with its own line end) to a file."""
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("".join(lines))


# --- line ends -------------------------------------------------------------------------------

@pytest.mark.parametrize("ends", [
    pytest.param(["\n", "\n", "\r\n", "\n", "\n"], id="one CRLF row in an LF file"),
    pytest.param(["\n", "\r\n", "\r\n", "\r\n", "\r\n"], id="LF header over CRLF rows"),
    pytest.param(["\n", "\n", "\r", "\n", "\n"], id="a bare CR ending a row"),
])
def test_a_file_with_mixed_line_ends_is_read_whole(tmp_path, db, ends):
    """Each record is stored or quarantined under its own row number, and the line ends inside
    quoted notes are kept as they were written, LF or CRLF."""
    rows = [event(event_id_cnty="MLI1", notes=NOTE_LF), event(event_id_cnty="MLI2", notes=NOTE_CRLF),
            event(event_id_cnty="MLI3", latitude="nord"), event(event_id_cnty="MLI4")]
    path = write_acled_line_ends(tmp_path / "mixed.csv", rows, ends)
    add_lines(path, "MLI5,only,three" + ends[-1])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (5, 3, 2)
    assert events(db) == [("MLI1", 1, NOTE_LF), ("MLI2", 2, NOTE_CRLF),
                          ("MLI4", 4, event()["notes"])]
    assert [(row["row"], row["field"]) for row in quarantined(db)] == [
        (3, "latitude"), (5, None)]
    assert quarantined(db)[1]["raw"] == "MLI5,only,three"


@pytest.mark.parametrize("shape", ["cp1252", "utf-16", "gzip", "zip"])
def test_mixed_line_ends_in_any_encoding_or_container(tmp_path, db, shape):
    """Files that are copied anyway (another encoding, a zip) are relined as they are copied; a
    gzipped UTF-8 file, read in place when it can be, is copied when its line ends are mixed."""
    rows = [event(event_id_cnty="MLI1"), event(event_id_cnty="MLI2", notes="Ségou")]
    path = write_acled_line_ends(tmp_path / "mixed.csv", rows, ["\n", "\r\n", "\n"])
    text = path.read_bytes().decode("utf-8")  # as written: read_text would make the CRLF an LF
    if shape == "gzip":
        path = tmp_path / "mixed.csv.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    elif shape == "zip":
        with zipfile.ZipFile(tmp_path / "mixed.zip", "w") as archive:
            archive.writestr("mixed.csv", text.encode("utf-8"))
        path = tmp_path / "mixed.zip"
    else:
        path.write_bytes(text.encode("utf-16") if shape == "utf-16" else text.encode(shape))
    summary = ingest([path], db)
    assert (summary.read, summary.inserted) == (2, 2)
    assert events(db) == [("MLI1", 1, event()["notes"]), ("MLI2", 2, "Ségou")]


@pytest.mark.parametrize("crlf", [False, True], ids=["LF", "CRLF"])
def test_a_file_of_one_kind_of_line_end_is_read_where_it_lies(tmp_path, db, monkeypatch, crlf):
    """Plain LF and plain CRLF files are read by DuckDB directly: no copy, which would cost a
    million-row ingest its speed."""
    def no_copy(*args, **kwargs):
        raise AssertionError("the file was copied")

    monkeypatch.setattr(readers, "write_utf8", no_copy)
    note = NOTE_CRLF if crlf else NOTE_LF
    path = write_acled(tmp_path / "plain.csv", [event(notes=note), event(event_id_cnty="MLI2")],
                       crlf=crlf)
    summary = ingest([path], db)
    assert (summary.read, summary.inserted) == (2, 2)
    assert stored(db)[0]["notes"] == note


# --- blank lines -----------------------------------------------------------------------------

@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("where", ["in place", "gzip", "cp1252"])
def test_blank_lines_do_not_shift_row_numbers(tmp_path, db, end, where):
    """Blank lines between records are skipped, not counted: the records after them are
    quarantined and stored under their own row numbers (DuckDB's reader counts blank lines, so
    a file that has them is read from a copy without them)."""
    rows = [event(event_id_cnty="MLI1"), event(event_id_cnty="MLI2", latitude="nord"),
            event(event_id_cnty="MLI3"), event(event_id_cnty="MLI4", longitude="est")]
    path = write_acled_line_ends(tmp_path / "blank.csv", rows, [end] * 5)
    header, *records = path.read_bytes().decode("utf-8").split(end)[:-1]
    text = end.join([header, "", records[0], end.join(["", ""]), records[1], records[2], "",
                     "", records[3], "MLI5,only,three", ""]) + end
    path = _shaped(tmp_path, text, where)
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (5, 2, 3)
    assert [(eid, row) for eid, row, _ in events(db)] == [("MLI1", 1), ("MLI3", 3)]
    assert [(row["row"], row["field"]) for row in quarantined(db)] == [
        (2, "latitude"), (4, "longitude"), (5, None)]
    assert quarantined(db)[2]["raw"] == "MLI5,only,three"


def _shaped(tmp_path: Path, text: str, where: str) -> Path:
    """`text` as a file DuckDB reads in place, gzipped, or in Windows-1252 (copied to UTF-8)."""
    data = text.encode("cp1252" if where == "cp1252" else "utf-8")
    if where == "cp1252":
        data = data.replace(b"Fatalities", "Fatalities\u2019".encode("cp1252"))  # byte 92: copied
    path = tmp_path / ("blank.csv.gz" if where == "gzip" else "blank.csv")
    path.write_bytes(gzip.compress(data) if where == "gzip" else data)
    return path


def test_a_blank_line_inside_quoted_notes_is_the_notes_text(tmp_path, db):
    """An empty line inside a quoted field is part of the field, not a blank line: kept in the
    notes, while the blank line after the record is skipped."""
    note = "Premier paragraphe.\n\n\nSecond paragraphe.\n\nFin."
    rows = [event(event_id_cnty="MLI1", notes=note), event(event_id_cnty="MLI2", latitude="nord")]
    path = write_acled(tmp_path / "paragraphs.csv", rows)
    add_lines(path, "\n", "MLI3,only,three\n")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 1, 2)
    assert events(db) == [("MLI1", 1, note)]
    assert [(row["row"], row["field"]) for row in quarantined(db)] == [(2, "latitude"), (3, None)]


# --- records of many lines -------------------------------------------------------------------

def test_a_record_of_many_lines_is_one_row(tmp_path, db):
    """Notes of 50,000 lines are one record: stored whole, and the rows after it keep their
    numbers (a regression guard: DuckDB 2.0's reader already counts this right)."""
    note = "\n".join(f"ligne {number}" for number in range(50_000))
    rows = [event(event_id_cnty="MLI1"), event(event_id_cnty="MLI2", notes=note),
            event(event_id_cnty="MLI3", latitude="nord"), event(event_id_cnty="MLI4")]
    summary = ingest([write_acled(tmp_path / "long.csv", rows)], db)
    assert (summary.read, summary.inserted, summary.rejected) == (4, 3, 1)
    assert [(eid, row) for eid, row, _ in events(db)] == [("MLI1", 1), ("MLI2", 2), ("MLI4", 4)]
    assert events(db)[1][2] == note
    assert [(row["row"], row["field"]) for row in quarantined(db)] == [(3, "latitude")]


def test_a_field_over_the_readers_maximum_is_quarantined_with_row_field_and_reason(tmp_path, db):
    """A record over DuckDB's maximum line size (2,000,000 bytes) cannot be read: it is
    quarantined once, naming its row, the oversized field and both sizes."""
    note = ("y" * 99 + "\n") * 30_000  # 3 MB over 30,000 lines
    rows = [event(event_id_cnty="MLI1"), event(event_id_cnty="MLI2", notes=note),
            event(event_id_cnty="MLI3")]
    path = write_acled(tmp_path / "huge.csv", rows)
    add_lines(path, "MLI4,only,three\n")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (4, 2, 2)
    assert [(eid, row) for eid, row, _ in events(db)] == [("MLI1", 1), ("MLI3", 3)]
    huge, short = quarantined(db)
    assert (huge["row"], huge["field"]) == (2, "notes")
    assert "over the reader's maximum line size of 2000000 bytes" in huge["reason"]
    assert huge["raw"].startswith("MLI2,")
    assert (short["row"], short["reason"]) == (4, "wrong column count: expected 31, found 3")


# --- over-wide records -----------------------------------------------------------------------

def test_an_over_wide_record_is_quarantined_once_with_its_raw_text_cut(tmp_path, db):
    """A record with surplus fields is one quarantined row whatever its size, saying how many
    fields it had; the reader keeps its first 10,000 bytes as its raw text."""
    path = write_acled(tmp_path / "wide.csv", [event(event_id_cnty="MLI1")])
    add_lines(path, ",".join(["MLI2"] + ["x" * 2_000] * 40) + "\n")
    write_acled(tmp_path / "rest.csv", [event(event_id_cnty="MLI3")])
    add_lines(path, (tmp_path / "rest.csv").read_text(encoding="utf-8").split("\n", 1)[1])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    (wide,) = quarantined(db)
    assert (wide["row"], wide["reason"]) == (2, "wrong column count: expected 31, found 41")
    assert wide["raw"].startswith("MLI2,xx") and len(wide["raw"]) == 10_000
    assert [(eid, row) for eid, row, _ in events(db)] == [("MLI1", 1), ("MLI3", 3)]


# --- relining, block by block ----------------------------------------------------------------

MIXED = b'id,notes\r\n1,"x\r\ny"\r2,"p""q\rr"\n3,"open\r\n'
RELINED = b'id,notes\n1,"x\r\ny"\n2,"p""q\rr"\n3,"open\r\n'


def test_relined_makes_line_ends_lf_outside_quotes_wherever_blocks_are_cut():
    """Line ends between records become LF, those inside quoted fields (escaped quotes included,
    and an unterminated one at the end) stay, whether a CRLF or a quote falls across two blocks."""
    assert b"".join(encodings.relined([MIXED])) == RELINED
    for cut in range(len(MIXED) + 1):
        assert b"".join(encodings.relined([MIXED[:cut], MIXED[cut:]])) == RELINED, cut
    assert b"".join(encodings.relined(MIXED[i:i + 1] for i in range(len(MIXED)))) == RELINED


@pytest.mark.parametrize("text, mixed", [
    (b"a\nb\nc\n", False), (b"a\r\nb\r\nc\r\n", False), (b"a\nb\r\nc\n", True),
    (b"a\r\nb\nc\r\n", True), (b"a\nb\rc\n", True), (b"a\rb\rc\r", True), (b"", False),
])
def test_mixed_line_ends_are_told_apart_across_blocks(text, mixed):
    """A CRLF cut in two by a block boundary is still one CRLF."""
    for block in (2, 3, 1_000):
        assert _line_ends(text, block).mixed is mixed, block


def _line_ends(text: bytes, block: int) -> encodings.LineEnds:
    ends = encodings.LineEnds()
    for start in range(0, len(text), block):
        ends.add(text[start:start + block], encodings.line_marks(text[start:start + block], ","))
    return ends


@pytest.mark.parametrize("text, blank", [
    (b"a\nb\nc\n", False), (b"a\r\nb\r\nc\r\n", False), (b"a\n\nb\n", True),
    (b"a\r\n\r\nb\r\n", True), (b"a\nb\n\n", True), (b"", False),
])
def test_blank_lines_are_found_across_blocks(text, blank):
    """A blank line whose line ends a block boundary cuts apart is still found; lines without a
    delimiter are not blank."""
    for block in (1, 2, 3, 1_000):
        assert _line_ends(text, block).blank is blank, block


QUOTED_BLANKS = b'id,notes\n\n1,"x\n\ny"\n\n\n2,"""\n\n"""\n3,"open\n\n'
UNBLANKED = b'id,notes\n1,"x\n\ny"\n2,"""\n\n"""\n3,"open\n\n'


def test_unblanked_leaves_out_blank_lines_outside_quotes_wherever_blocks_are_cut():
    """Blank lines between records go, those inside quoted fields (escaped quotes included, and an
    unterminated one at the end) stay, whether two LFs or a quote fall across two blocks."""
    assert b"".join(encodings.unblanked([QUOTED_BLANKS])) == UNBLANKED
    for cut in range(len(QUOTED_BLANKS) + 1):
        parts = [QUOTED_BLANKS[:cut], QUOTED_BLANKS[cut:]]
        assert b"".join(encodings.unblanked(parts)) == UNBLANKED, cut
    singles = (QUOTED_BLANKS[i:i + 1] for i in range(len(QUOTED_BLANKS)))
    assert b"".join(encodings.unblanked(singles)) == UNBLANKED


@pytest.mark.parametrize("text, windows", [
    ("Tombouctou,L'armée,\"a, b\"\n", False),           # accents only: latin-1 reads it right
    ("Tombouctou,L’armée,\"a, b\"\n", True),            # a curly apostrophe: 0x92, Windows-only
    ("x,\u20ac 5\n\ny,z\r\n", True),                    # the euro sign, with a blank line and a CRLF
])
def test_windows_line_marks_are_the_line_marks_and_tell_windows_only_bytes(text, windows):
    """One pass over a Windows-1252 block gives the same marks as `line_marks` and says whether
    latin-1 would misread it, so such a file is read in place only when it would not."""
    block = text.encode("cp1252")
    marks, high = encodings.windows_line_marks(block, ",")
    assert marks == encodings.line_marks(block, ",")
    assert high is windows

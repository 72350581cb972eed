"""The record's commands as a user meets them: real processes, exit codes, stdout/stderr contracts."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
from acled_files import event, write_acled
from acled_server import AcledTestServer

import sahelsim as sahelsim_package


def test_demo_ingests_the_bundled_record_and_writes_the_report(sahelsim, tmp_path):
    result = sahelsim("demo", "--out", tmp_path / "report", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["ingest"]["inserted"] > 10 and data["ingest"]["rejected"] == 0
    written = {name.rsplit("/", 1)[-1] for name in data["report"]}
    assert written == {"incidents_by_actor.png", "incidents_by_role.png", "incidents_by_year.png",
                       "fatalities.png", "strike_share.png", "armed_groups.png", "drone-trends.html"}
    assert all((tmp_path / "report" / name).stat().st_size > 1000 for name in written)
    page = (tmp_path / "report" / "drone-trends.html").read_text()
    assert "Plotly" in page and "<td>JNIM</td>" in page and "<td>Malian Armed Forces</td>" in page
    assert sum(row["incidents"] for row in data["by_year"]) >= 8
    assert all(row["unclear"] == 0 for row in data["by_year"])  # every curated note says drone or not
    assert [row["year"] for row in data["by_year"]] == [str(year) for year in range(2017, 2027)]


def test_json_output_is_one_document_and_nothing_else(sahelsim, tmp_path, db):
    path = write_acled(tmp_path / "a.csv", [event(), event(event_id_cnty="MLI2", latitude="100")])
    result = sahelsim("ingest", path, "--db", db, "--json")
    assert result.code == 0
    assert result.json() == {**result.json(), "read": 2, "inserted": 1, "rejected": 1}
    quarantine = sahelsim("quarantine", "list", "--db", db, "--json").json()
    assert [(q["row"], q["field"]) for q in quarantine] == [(2, "latitude")]


def test_user_mistakes_are_one_line_and_exit_2(sahelsim, tmp_path, db):
    not_export = tmp_path / "people.csv"
    not_export.write_text("name,age\nAmadou,30\n")
    for args in (["ingest", tmp_path / "missing.csv", "--db", db],
                 ["ingest", not_export, "--db", db],
                 ["drones", "trends", "--by", "colour", "--db", db],
                 ["drones", "trends", "--since", "2020-13-01", "--db", db],
                 ["ingest"],
                 ["events", "--db", tmp_path / "nothing-here.duckdb"]):
        result = sahelsim(*args)
        assert result.code == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "people.csv" in sahelsim("ingest", not_export, "--db", db).stderr


def test_paths_that_cannot_serve_are_one_line_and_change_nothing(sahelsim, tmp_path, db):
    sahelsim("ingest", write_acled(tmp_path / "a.csv", [event()]), "--db", db)
    export = write_acled(tmp_path / "b.csv", [event(event_id_cnty="MLI2")])
    for args, message in [
            (["ingest", export, "--db", export], "not a sahelsim store"),  # DuckDB would open it
            (["ingest", "--deletions", tmp_path, "--db", db], "is a folder"),
            (["ingest", tmp_path, "--db", db], "is a folder"),
            (["events", "--db", db, "--out", tmp_path], "is a folder"),
            (["demo", "--db", tmp_path / "new.duckdb", "--out", export], "cannot make the report folder")]:
        result = sahelsim(*args)
        assert result.code == 2 and result.stderr.count("\n") == 1 and message in result.stderr, (
            args, result.stderr)
    assert not (tmp_path / "new.duckdb").exists()  # the demo checked its folder before ingesting
    assert duckdb.connect(str(db), read_only=True).sql("SELECT count(*) FROM events").fetchall() == [(1,)]


def test_events_on_stdout_add_to_a_file_opened_for_appending(tmp_path, db):
    """`sahelsim events >> log`: the export must not truncate what the shell appends to."""
    command = [sys.executable, "-m", "sahelsim"]
    subprocess.run([*command, "ingest", write_acled(tmp_path / "a.csv", [event()]), "--db", db],
                   check=True, capture_output=True)
    log = tmp_path / "log.txt"
    log.write_text("PREVIOUS\n")
    with log.open("a") as appended:
        subprocess.run([*command, "events", "--db", db], stdout=appended, check=True)
    lines = log.read_text().splitlines()
    assert lines[0] == "PREVIOUS" and lines[1].startswith("event_id_cnty,") and len(lines) == 3


def test_store_settings_come_from_the_environment(sahelsim, tmp_path, db):
    path = write_acled(tmp_path / "a.csv", [event()])
    one_thread = sahelsim("ingest", path, "--db", db, "--json",
                          env={"SAHELSIM_THREADS": "1", "SAHELSIM_MEMORY_LIMIT": "256MB"})
    assert one_thread.code == 0 and one_thread.json()["inserted"] == 1
    for setting, value in (("SAHELSIM_THREADS", "two"), ("SAHELSIM_THREADS", "0"),
                           ("SAHELSIM_MEMORY_LIMIT", "lots")):
        result = sahelsim("events", "--db", db, env={setting: value})
        (line,) = result.stderr.strip().splitlines()
        assert result.code == 2 and setting in line and repr(value) in line


def test_version_is_printed_on_its_own(sahelsim):
    done = sahelsim("--version")
    assert done.code == 0 and done.stdout.strip() == f"sahelsim {sahelsim_package.__version__}"


def test_tag_one_note(sahelsim):
    result = sahelsim("tag", "--text", "Des drones kamikazes de l'EIGS ont frappé le camp militaire "
                                       "d'Eknewan, tuant plusieurs soldats.", "--json")
    assert result.code == 0
    assert result.json() == {"drone": True, "drone_role": "strike", "drone_operator": "nonstate",
                             "drone_platform": "fpv"}


def test_actors_lists_registry_and_unmatched_names(sahelsim, tmp_path, db):
    sahelsim("ingest", write_acled(tmp_path / "a.csv", [event(actor2="Katiba Imaginaire")]), "--db", db)
    registry = sahelsim("actors", "--json").json()
    assert {"jnim", "is_sahel", "iswap", "fla"} <= {actor["key"] for actor in registry}
    unmatched = sahelsim("actors", "--unmatched", "--db", db, "--json").json()
    assert unmatched == [{"actor": "Katiba Imaginaire", "events": 1}]


def test_trends_and_export_agree_on_drone_events(sahelsim, tmp_path, db):
    sahelsim("demo", "--db", db, "--out", tmp_path / "r")
    trends = sahelsim("drones", "trends", "--by", "actor", "--db", db, "--no-charts", "--json").json()
    total = sum(row["incidents"] for row in trends["rows"])
    out = tmp_path / "drone.parquet"
    exported = sahelsim("events", "--drone", "--format", "parquet", "--out", out, "--db", db, "--json")
    assert exported.json()["events"] == total == pq.read_table(out).num_rows
    as_csv = sahelsim("events", "--drone", "--db", db)
    assert len(as_csv.stdout.strip().splitlines()) >= total + 1  # header + rows (notes may wrap)
    mali = sahelsim("drones", "trends", "--by", "country", "--country", "Mali", "--db", db,
                    "--no-charts", "--json").json()
    assert [row["country"] for row in mali["rows"]] == ["Mali"]


def test_fetch_acled_from_a_real_api_server_then_incrementally(sahelsim, tmp_path, db):
    with AcledTestServer(events=120) as server:
        env = {"ACLED_USERNAME": server.username, "ACLED_PASSWORD": server.password}
        first = sahelsim("fetch", "acled", "--db", db, "--base-url", server.url, "--json", env=env)
        assert first.code == 0, first.stderr
        assert first.json()["fetched"] == 120 and first.json()["inserted"] == 120
        server.add_events(5)
        deleted_id = server.rows[0]["event_id_cnty"]
        server.delete_events([deleted_id])
        second = sahelsim("fetch", "acled", "--db", db, "--base-url", server.url, "--json", env=env)
        assert second.code == 0, second.stderr
        report = second.json()
        assert report["since_timestamp"] is not None and report["inserted"] == 5
        assert report["deleted"] == 1
        assert server.password not in first.stdout + first.stderr + second.stdout + second.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 124


def test_fetch_without_credentials_says_what_to_set(sahelsim, tmp_path):
    result = sahelsim("fetch", "acled", "--config", tmp_path / "none.toml",
                      env={"ACLED_USERNAME": "", "ACLED_PASSWORD": ""})
    assert result.code == 2 and "ACLED_USERNAME" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_json_summary_of_ingest_is_parseable_even_with_many_files(sahelsim, tmp_path, db):
    files = [write_acled(tmp_path / f"{i}.csv", [event(event_id_cnty=f"E{i}")]) for i in range(3)]
    result = sahelsim("ingest", *files, "--db", db, "--json")
    assert json.loads(result.stdout)["inserted"] == 3

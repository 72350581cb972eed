"""What every command promises a script or a person: errors parse under --json, help reads whole."""

from __future__ import annotations

import json

import pytest
from acled_files import event, write_acled


@pytest.mark.parametrize("args, where", [
    (["ingest", "missing.csv", "--json"], {"field": None, "row": None}),
    (["drones", "trends", "--by", "colour", "--json"], {"field": "--by"}),
    (["scenario", "show", "no-such-scenario", "--json"], {}),
])
def test_an_error_under_json_is_one_document_on_stdout_and_one_line_on_stderr(sahelsim, tmp_path,
                                                                             args, where):
    write_acled(tmp_path / "store-seed.csv", [event()])
    sahelsim("ingest", tmp_path / "store-seed.csv")  # trends needs a store to get to its --by check
    result = sahelsim(*args)
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    error = json.loads(result.stdout)["error"]  # one document, nothing else on stdout
    assert error["exit_code"] == 2 and error["message"] in result.stderr
    assert where.items() <= error.items()


def test_an_error_without_json_leaves_stdout_empty(sahelsim):
    result = sahelsim("ingest", "missing.csv")
    assert result.code == 2 and result.stdout == ""


def test_a_file_error_under_json_names_file_row_and_field(sahelsim, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("name,age\nAmadou,30\n")
    result = sahelsim("ingest", people, "--json")
    error = json.loads(result.stdout)["error"]
    assert error["file"] == str(people) and error["reason"] and error["reason"] in error["message"]


def test_bad_options_under_json_are_a_document_too(sahelsim):
    result = sahelsim("scenario", "run", "post-drone-assault", "--runs", "many", "--json")
    assert result.code == 2
    assert "--runs" in json.loads(result.stdout)["error"]["message"]


def test_help_shows_bracketed_text_whole(sahelsim):
    """`[acled]` names a TOML table; a Rich help formatter took it for a style and dropped it."""
    result = sahelsim("fetch", "acled", "--help")
    assert result.code == 0
    assert "Config file with an [acled] table." in " ".join(result.stdout.split())


def test_a_refused_first_ingest_creates_no_store(sahelsim, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("name,age\nAmadou,30\n")
    store = tmp_path / "new.duckdb"
    result = sahelsim("ingest", people, "--db", store)
    assert result.code == 2
    assert not store.exists() and not (tmp_path / "new.duckdb.wal").exists()


def test_a_refused_multi_file_ingest_says_nothing_was_stored(sahelsim, tmp_path, db):
    sahelsim("ingest", write_acled(tmp_path / "first.csv", [event()]), "--db", db)
    good = write_acled(tmp_path / "good.csv", [event(event_id_cnty="MLI2")])
    people = tmp_path / "people.csv"
    people.write_text("name,age\nAmadou,30\n")
    result = sahelsim("ingest", good, people, "--db", db, "--json")
    assert result.code == 2
    assert "nothing was stored" in result.stderr and "people.csv" in result.stderr
    assert json.loads(result.stdout)["error"]["file"] == str(people)
    assert db.exists()  # the store that was there stays, with what it held
    exported = sahelsim("events", "--db", db, "--format", "json", "--out", tmp_path / "e.json", "--json")
    assert exported.json()["events"] == 1


def test_a_message_quoting_a_line_break_from_the_file_is_still_one_line(sahelsim, tmp_path):
    """A header whose first name opens a quote runs on into the next line; the refusal quotes the
    names it found, and must still be one line (found by the export fuzzer)."""
    path = tmp_path / "quoted.csv"
    path.write_text('"event_id_cnty,event_date\nMLI1,2025-06-01\n', encoding="utf-8")
    result = sahelsim("ingest", path, "--json")
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    message = json.loads(result.stdout)["error"]["message"]
    assert "event_id_cnty,event_date\\nmli1" in message and message in result.stderr

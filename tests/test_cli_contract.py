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


def test_a_malformed_base_url_is_one_line_without_a_progress_line(sahelsim):
    result = sahelsim("fetch", "acled", "--base-url", "http://[::1",
                      env={"ACLED_USERNAME": "analyst@example.org", "ACLED_PASSWORD": "secret"})
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--base-url" in result.stderr

"""A user's mistake is one line and exit code 2, never a traceback: names too long or not UTF-8,
numbers beyond 64 bits, settings DuckDB cannot work with, folders that cannot take a report, JSON
nested past Python's recursion limit, a malformed API address. Each through the real command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from acled_files import event, write_acled
from acled_server import AcledTestServer

NOT_UTF8 = os.fsdecode(b"caf\xe9")  # a Latin-1 name, as Python holds it
TOO_LONG = "x" * 300  # bytes: file systems allow 255 in one name


def one_line_error(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert result.code == 2, line
    return line


@pytest.fixture
def filled(sahelsim, tmp_path, db) -> Path:
    assert sahelsim("ingest", write_acled(tmp_path / "a.csv", [event()]), "--db", db).code == 0
    return db


def test_a_file_name_too_long(sahelsim, tmp_path, filled):
    assert "File name too long" in one_line_error(sahelsim("ingest", tmp_path / f"{TOO_LONG}.csv",
                                                           "--db", filled))
    assert "File name too long" in one_line_error(sahelsim("events", "--db", filled,
                                                           "--out", tmp_path / f"{TOO_LONG}.csv"))
    assert "File name too long" in one_line_error(sahelsim("events", "--db", tmp_path / TOO_LONG))
    assert "File name too long" in one_line_error(sahelsim("ingest", tmp_path / "a.csv",
                                                           "--db", tmp_path / TOO_LONG))


def test_names_and_text_that_are_not_utf8(sahelsim, tmp_path, filled):
    for args, named in ((["events", "--db", tmp_path / f"{NOT_UTF8}.duckdb"], "caf\\xe9.duckdb"),
                        (["ingest", tmp_path / "a.csv", "--db", tmp_path / f"{NOT_UTF8}.duckdb"],
                         "caf\\xe9.duckdb"),
                        (["events", "--db", filled, "--out", tmp_path / f"{NOT_UTF8}.csv"],
                         "caf\\xe9.csv"),
                        (["quarantine", "list", "--db", filled, "--file", f"{NOT_UTF8}.csv"],
                         "caf\\xe9.csv"),
                        (["tag", "--text", f"Un drone a frapp{NOT_UTF8[-1]} le camp"], "'notes'")):
        line = one_line_error(sahelsim(*args))
        assert "not UTF-8" in line and named in line, args
    assert not list(tmp_path.glob("caf*"))


def test_ingest_of_a_file_whose_name_is_not_utf8(sahelsim, tmp_path, filled):
    export = write_acled(tmp_path / f"{NOT_UTF8}.csv", [event(event_id_cnty="MLI2")])
    line = one_line_error(sahelsim("ingest", export, "--db", filled))
    assert "caf\\xe9.csv" in line and "not UTF-8" in line


def test_numbers_beyond_64_bits(sahelsim, filled):
    huge = str(2 ** 64)
    assert "--limit" in one_line_error(sahelsim("quarantine", "list", "--db", filled, "--limit", huge))
    for threads in (huge, "1025", "\u00b2"):  # past what DuckDB can start; a digit int() refuses
        line = one_line_error(sahelsim("events", "--db", filled, env={"SAHELSIM_THREADS": threads}))
        assert "SAHELSIM_THREADS" in line and repr(threads) in line


@pytest.mark.parametrize("memory", ["1KB", "100 bytes", "2MB", "15.9MB"])
def test_a_memory_limit_too_small_for_duckdb(sahelsim, tmp_path, memory, db):
    result = sahelsim("ingest", write_acled(tmp_path / "a.csv", [event()]), "--db", db,
                      env={"SAHELSIM_MEMORY_LIMIT": memory})
    line = one_line_error(result)
    assert "SAHELSIM_MEMORY_LIMIT" in line and repr(memory) in line and not db.exists()


@pytest.mark.parametrize("memory", ["lots", "0", "1GB; SET threads = 1", "-5GB", "12 parsecs",
                                    os.fsdecode(b"1\xffGB")])
def test_a_malformed_memory_limit(sahelsim, filled, memory):
    line = one_line_error(sahelsim("events", "--db", filled, env={"SAHELSIM_MEMORY_LIMIT": memory}))
    assert "SAHELSIM_MEMORY_LIMIT must be a size" in line


def test_a_report_folder_that_cannot_take_the_report(sahelsim, tmp_path, filled):
    blocked = tmp_path / "charts"
    (blocked / "drone-trends.html").mkdir(parents=True)  # what the report would write is a folder
    line = one_line_error(sahelsim("drones", "trends", "--db", filled, "--out", blocked))
    assert "charts" in line and "Is a directory" in line
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    line = one_line_error(sahelsim("drones", "trends", "--db", filled,
                                   "--out", tmp_path / "notes.txt" / "charts"))
    assert "Not a directory" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; the case of a "
                    "folder that cannot take the report is covered above by one that works as root")
def test_a_read_only_report_folder(sahelsim, tmp_path, filled):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    line = one_line_error(sahelsim("drones", "trends", "--db", filled, "--out", locked))
    assert "Permission denied" in line


def test_json_nested_past_the_recursion_limit(sahelsim, tmp_path, filled):
    deep = tmp_path / "page.json"
    deep.write_text('{"data": [{"event_id_cnty": "MLI9", "notes": ' + "[" * 100_000 + "]" * 100_000
                    + "}]}")
    line = one_line_error(sahelsim("ingest", deep, "--db", filled))
    assert "page.json" in line and "nested" in line


def test_an_api_page_nested_past_the_recursion_limit(sahelsim, db):
    with AcledTestServer(events=3) as server:
        server.fail_next(1, 200, path="/api/acled/read",
                         body=b'{"success": true, "data": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}")
        result = sahelsim("fetch", "acled", "--db", db, "--base-url", server.url, "--json",
                          env={"ACLED_USERNAME": server.username, "ACLED_PASSWORD": server.password})
    assert "not JSON" in one_line_error(result)  # handled before this test: it guards the CLI


@pytest.mark.parametrize("url", ["http://[::1", f"https://{'a' * 300}.org", "ftp://acleddata.com",
                                 "https://acled data.com", "https://acleddata.com:99999"])
def test_a_malformed_base_url_fails_at_once(sahelsim, db, url):
    started = time.monotonic()
    result = sahelsim("fetch", "acled", "--db", db, "--base-url", url,
                      env={"ACLED_USERNAME": "someone", "ACLED_PASSWORD": "secret"})
    took = time.monotonic() - started
    assert "--base-url" in one_line_error(result) and "retrying" not in result.stderr
    assert took < 20 and not db.exists()


def test_ctrl_c_while_the_command_loads_is_one_line_and_130(tmp_path):
    """A Ctrl-C that lands while Python imports the command line's libraries (here a stand-in for
    typer that is interrupted as it loads) ends like one during a command."""
    (tmp_path / "typer.py").write_text("raise KeyboardInterrupt\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run([sys.executable, "-m", "sahelsim", "--help"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 130
    assert done.stderr == "error: interrupted\n"

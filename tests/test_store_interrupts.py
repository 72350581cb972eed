"""The store under interrupts, kills and a second writer: a Ctrl-C after the commit, space left by a
killed ingest, two processes writing to one store. Every case runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from acled_files import event, stored, write_acled
from sahelsim.evidence.synthetic import write_acled_csv
from sahelsim.runtime import interrupts

COMMAND = [sys.executable, "-m", "sahelsim"]


def _content(db: Path) -> dict[str, list[dict]]:
    """Everything a store holds, in an order that does not depend on how it was written."""
    return {table: stored(db, f"SELECT * FROM {table} ORDER BY ALL")
            for table in ("events", "quarantine", "ingest_runs")}


def _store_files(db: Path) -> int:
    wal = db.with_name(db.name + ".wal")
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


# -- Ctrl-C from the commit on ------------------------------------------------------------------

def test_a_ctrl_c_is_ignored_from_the_point_of_no_return_to_the_end_of_the_scope():
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with interrupts.scope():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs between bytecodes: here
    with interrupts.scope():
        with interrupts.scope():  # a commit inside a longer unit of work
            interrupts.point_of_no_return()
        os.kill(os.getpid(), signal.SIGINT)  # still ignored: the outer scope is open
        time.sleep(0.2)
    assert signal.getsignal(signal.SIGINT) is handler
    interrupts.point_of_no_return()  # outside any scope: a library user keeps their Ctrl-C
    assert signal.getsignal(signal.SIGINT) is handler


def _ctrl_c_burst(db: Path, export: Path, start: str) -> tuple[int, str]:
    """Run an ingest and, from `start` on ("reading": its first progress line; "commit": the moment
    the write-ahead log appears, which DuckDB writes at COMMIT), send it a Ctrl-C every 20 ms
    until it ends. Returns the exit code and stdout."""
    wal = db.with_name(db.name + ".wal")
    process = subprocess.Popen([*COMMAND, "ingest", str(export), "--db", str(db), "--json", "-v"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if start == "reading":
        process.stderr.readline()
    else:
        deadline = time.monotonic() + 120
        while not wal.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
    while process.poll() is None:
        process.send_signal(signal.SIGINT)
        time.sleep(0.02)
    stdout, _ = process.communicate()
    return process.returncode, stdout


def test_a_ctrl_c_after_the_commit_still_ends_with_the_summary(tmp_path, db):
    """Whenever a Ctrl-C stops an ingest (130) the store holds nothing of it; whenever the store holds
    the ingest, the command ended with its summary (0), however many Ctrl-Cs came after the commit."""
    write_acled_csv(tmp_path / "export.csv", 30_000, seed=3)
    base = write_acled(tmp_path / "base.csv", [event()])
    subprocess.run([*COMMAND, "ingest", str(base), "--db", str(db)], check=True, capture_output=True)
    before = _content(db)
    outcomes = []
    for start in ("reading", "commit", "commit"):
        code, stdout = _ctrl_c_burst(db, tmp_path / "export.csv", start)
        after = _content(db)
        if after == before:
            assert code == 130 and json.loads(stdout)["error"]["message"] == "interrupted"
        else:
            assert code == 0, f"stored, yet exit {code} after a Ctrl-C from {start}: {stdout}"
            summary = json.loads(stdout)
            assert summary["read"] == 30_000 and len(after["events"]) == len(before["events"]) + \
                summary["inserted"]
            before = after
        outcomes.append((start, code))
    assert outcomes[0] == ("reading", 130)
    assert ("commit", 0) in outcomes  # the case this is about was reached


# -- space a killed ingest leaves --------------------------------------------------------------

def test_compact_gives_back_the_space_killed_ingests_left(tmp_path, db, sahelsim):
    """kill -9 while an ingest writes its rows: the store keeps their blocks; `store compact` rewrites
    it as small as a clean store of the same content, with that content."""
    base = write_acled(tmp_path / "base.csv", [event(), event(event_id_cnty="MLI2")])
    write_acled_csv(tmp_path / "export.csv", 150_000, seed=5)
    assert sahelsim("ingest", base, "--db", db).code == 0
    clean = tmp_path / "clean.duckdb"
    assert sahelsim("ingest", base, "--db", clean).code == 0
    content = _content(db)
    for _ in range(3):  # killed while its rows are being written, well before its commit
        process = subprocess.Popen([*COMMAND, "ingest", str(tmp_path / "export.csv"), "--db", str(db)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and _store_files(db) < 4 * _store_files(clean):
            time.sleep(0.005)
        process.kill()
        assert process.wait() == -signal.SIGKILL
    grown = _store_files(db)
    assert grown >= 4 * _store_files(clean) and _content(db) == content
    result = sahelsim("store", "compact", "--db", db, "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"before_bytes": grown, "after_bytes": _store_files(db)}
    assert _store_files(db) <= 1.5 * _store_files(clean)
    assert _content(db) == content
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def test_compact_of_a_store_in_use_changes_nothing(tmp_path, db, sahelsim):
    assert sahelsim("ingest", write_acled(tmp_path / "a.csv", [event()]), "--db", db).code == 0
    content = _content(db)
    with _holding(db):
        result = sahelsim("store", "compact", "--db", db)
    assert result.code == 2 and "another sahelsim" in result.stderr
    assert _content(db) == content


# -- two writers --------------------------------------------------------------------------------

class _holding:
    """Another process with the store open for writing, until the block ends (or `seconds` pass)."""

    def __init__(self, db: Path, seconds: float = 60) -> None:
        self.db, self.seconds = db, seconds

    def __enter__(self) -> subprocess.Popen:
        script = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True);"
                  " time.sleep(float(sys.argv[2])); con.close()")
        self.process = subprocess.Popen([sys.executable, "-c", script, str(self.db), str(self.seconds)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "held"
        return self.process

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()


def test_a_second_writer_fails_at_once_with_one_line_naming_the_store(tmp_path, db, sahelsim):
    export = write_acled(tmp_path / "a.csv", [event()])
    sahelsim("ingest", export, "--db", db)
    with _holding(db) as holder:
        started = time.monotonic()
        result = sahelsim("ingest", export, "--db", db)
        took = time.monotonic() - started
    (line,) = result.stderr.strip().splitlines()
    assert result.code == 2 and str(db) in line and f"another sahelsim (process {holder.pid})" in line
    assert "--wait" in line and "Traceback" not in result.stderr and took < 10


def test_a_second_writer_waits_for_the_first_with_wait(tmp_path, db, sahelsim):
    export = write_acled(tmp_path / "a.csv", [event()])
    sahelsim("ingest", export, "--db", db)
    with _holding(db, seconds=1.5):
        result = sahelsim("ingest", write_acled(tmp_path / "b.csv", [event(event_id_cnty="MLI2")]),
                          "--db", db, "--wait", "60", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["inserted"] == 1


def test_a_second_writer_gives_up_after_wait(tmp_path, db, sahelsim):
    export = write_acled(tmp_path / "a.csv", [event()])
    sahelsim("ingest", export, "--db", db)
    with _holding(db):
        started = time.monotonic()
        result = sahelsim("ingest", export, "--db", db, "--wait", "1")
        took = time.monotonic() - started
    (line,) = result.stderr.strip().splitlines()
    assert result.code == 2 and "after waiting 1 s" in line and str(db) in line
    assert 1 <= took < 30


@pytest.mark.parametrize("wait", ["-1", "1e9", "soon"])
def test_wait_is_bounded(sahelsim, tmp_path, db, wait):
    result = sahelsim("ingest", write_acled(tmp_path / "a.csv", [event()]), "--db", db, "--wait", wait)
    (line,) = result.stderr.strip().splitlines()
    assert result.code == 2 and "--wait" in line and not db.exists()

"""The reliability soak (`make soak`): the fuzzers at soak strength, then kill -9 and Ctrl-C at random
moments of real ingests and simulation runs, each followed by the checks a user relies on.

After every interrupted ingest: the store opens; it holds all of that ingest or none of it (its
events and its line in the ingest history), and a second ingest of the same file counts
accordingly (all inserted, or all unchanged); a Ctrl-C ends with exit 130 and one line. After every
interrupted simulation run: no worker process outlives it, the previous results are whole, and the
next run into the same folder leaves no `.partial-*` staging folder. Nothing here is mocked: the
ingests and runs are `python -m sahelsim` processes, the signals real ones.

The figures (tries, failures, peak memory, time) replace the generated section of
docs/reliability.md. Exit status 1 on any failure, each listed on stderr.

    python soak/reliability_soak.py                      # as `make soak`
    python soak/reliability_soak.py --kills 5 --interrupts 5 --profile default   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from processes import alive, descendants  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- soak figures: written by `make soak`, do not edit -->", "<!-- end of soak figures -->"
FUZZERS = ["tests/test_fuzz_exports.py", "tests/test_fuzz_scenarios.py", "tests/test_fuzz_cli_options.py"]
SCENARIO = "post-drone-assault"
BUNDLED = ROOT / "src" / "sahelsim" / "evidence" / "data" / "documented_incidents.csv"


@dataclass
class Tally:
    """Tries and failures of one family of checks."""

    name: str
    tries: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
            print(f"FAIL {self.name}: {what}", file=sys.stderr, flush=True)
        return ok


def sahelsim(*args: object) -> list[str]:
    return [sys.executable, "-m", "sahelsim", *map(str, args)]


def environment(scratch: Path) -> dict[str, str]:
    """The commands' environment: scratch files of their own, so leftovers can be counted."""
    return {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT / "src"),
            "COLUMNS": "200"}


def interrupt_at(command: list[str], moment: float, stop: signal.Signals,
                 env: dict[str, str]) -> tuple[int, str, dict[int, str]]:
    """Start `command` and send it `stop` `moment` seconds later (unless it is done by then);
    returns its exit status, its stderr and every descendant it was seen to have."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    seen: dict[int, str] = {}
    started = time.monotonic()
    while process.poll() is None:
        seen.update(descendants(process.pid))
        if time.monotonic() - started >= moment:
            process.send_signal(stop)
            break
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr.decode("utf-8", "replace"), seen


def no_survivors(processes: dict[int, str], tally: Tally, what: str) -> None:
    deadline = time.monotonic() + 10
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = alive(processes)
    for pid in survivors:  # processes this soak started: end them, after saying so
        os.kill(pid, signal.SIGKILL)
    tally.check(not survivors, f"{what}: child processes {survivors} outlived it")


def ended_cleanly(code: int, stderr: str, stop: signal.Signals, tally: Tally, what: str) -> None:
    """kill -9: killed, or done before the signal. Ctrl-C: exit 130 and one line, or done."""
    if stop == signal.SIGKILL:
        tally.check(code in (-signal.SIGKILL, 0), f"{what}: exit {code}")
        return
    lines = stderr.strip().splitlines()
    tally.check(code in (130, 0), f"{what}: exit {code}: {stderr[-300:]}")
    tally.check("Traceback" not in stderr, f"{what}: traceback: {stderr[-300:]}")
    if code == 130:
        tally.check(lines[-1:] == ["error: interrupted"], f"{what}: ended with {lines[-1:]}")


# -- ingests ---------------------------------------------------------------------------------------

def counts(db: Path) -> tuple[int, int]:
    """(events, ingest runs) of a store, opened the way sahelsim opens it."""
    from sahelsim.evidence.store import connect

    con = connect(db)
    try:
        return tuple(con.execute("SELECT (SELECT count(*) FROM events), "
                                 "(SELECT count(*) FROM ingest_runs)").fetchone())
    finally:
        con.close()


def ingest_json(path: Path, db: Path, env: dict[str, str]) -> dict:
    done = subprocess.run(sahelsim("ingest", path, "--db", db, "--json"), capture_output=True,
                          env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"ingest failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return json.loads(done.stdout)


def accounted(summary: dict) -> bool:
    return summary["read"] == sum(summary[name] for name in
                                  ("inserted", "updated", "unchanged", "folded", "rejected"))


def ingest_trials(work: Path, rows: int, stops: list[signal.Signals], rng: random.Random,
                  tally: Tally) -> None:
    """Interrupt ingests of a generated export into a store that already holds the bundled record."""
    from sahelsim.evidence.synthetic import write_acled_csv

    scratch = work / "tmp"
    scratch.mkdir()
    env = environment(scratch)
    export = work / "generated.csv"
    write_acled_csv(export, rows, seed=7)
    template = work / "template.duckdb"
    ingest_json(BUNDLED, template, env)
    base = counts(template)
    calibration = work / "calibration.duckdb"
    shutil.copyfile(template, calibration)
    began = time.monotonic()
    full = ingest_json(export, calibration, env)
    duration = time.monotonic() - began
    new_events = counts(calibration)[0] - base[0]
    for index, stop in enumerate(stops):
        db = work / f"store-{index}.duckdb"
        shutil.copyfile(template, db)
        moment = rng.uniform(0, duration * 1.1)  # a few land after the commit: those must be whole
        what = f"ingest {index} ({stop.name} at {moment:.2f}s of {duration:.2f}s)"
        tally.tries += 1
        code, stderr, children = interrupt_at(sahelsim("ingest", export, "--db", db, "--json"),
                                              moment, stop, env)
        ended_cleanly(code, stderr, stop, tally, what)
        no_survivors(children, tally, what)
        try:
            after = counts(db)
        except Exception as error:  # the store must open whatever happened: say how it did not
            tally.check(False, f"{what}: the store does not open: {error}")
            continue
        whole = after == (base[0] + new_events, base[1] + 1)
        tally.check(after == base or whole, f"{what}: store holds {after}, expected {base} or "
                                            f"{(base[0] + new_events, base[1] + 1)}")
        again = ingest_json(export, db, env)
        tally.check(accounted(again) and again["read"] == full["read"], f"{what}: second ingest {again}")
        expected = ("unchanged", full["inserted"]) if whole else ("inserted", full["inserted"])
        tally.check(again[expected[0]] == expected[1], f"{what}: second ingest {again}, "
                                                       f"expected {expected[0]} = {expected[1]}")
        if stop == signal.SIGINT:
            left = list(scratch.iterdir())
            tally.check(not left, f"{what}: scratch files left after Ctrl-C: {left}")
        shutil.rmtree(scratch)
        scratch.mkdir()
        db.unlink()
        db.with_name(db.name + ".wal").unlink(missing_ok=True)


# -- simulation runs -------------------------------------------------------------------------------

def run_trials(work: Path, stops: list[signal.Signals], rng: random.Random, tally: Tally) -> None:
    """Interrupt two-worker runs writing into a folder that holds an earlier run's results."""
    env = environment(work)
    out = work / "results"
    first = subprocess.run(sahelsim("scenario", "run", SCENARIO, "--runs", 2000, "--workers", 1,
                                    "--out", out, "--json"), capture_output=True, env=env, timeout=600)
    if first.returncode != 0:
        raise RuntimeError(f"first run failed: {first.stderr.decode()[-500:]}")
    runs = 200_000
    began = time.monotonic()
    subprocess.run(sahelsim("scenario", "run", SCENARIO, "--runs", runs, "--workers", 2,
                            "--chunk-size", 4096, "--out", work / "calibration", "--json"),
                   capture_output=True, env=env, timeout=600, check=True)
    duration = time.monotonic() - began
    for index, stop in enumerate(stops):
        previous = (out / "summary.json").read_bytes()
        moment = rng.uniform(0, duration * 1.1)
        what = f"run {index} ({stop.name} at {moment:.2f}s of {duration:.2f}s)"
        tally.tries += 1
        command = sahelsim("scenario", "run", SCENARIO, "--runs", runs, "--seed", index,
                           "--workers", 2, "--chunk-size", 4096, "--out", out, "--json")
        code, stderr, children = interrupt_at(command, moment, stop, env)
        ended_cleanly(code, stderr, stop, tally, what)
        no_survivors(children, tally, what)
        if code != 0:  # the previous results whole, or (signalled once done) the complete new ones
            now = (out / "summary.json").read_bytes()
            tally.check(now == previous or json.loads(now)["runs"] == runs,  # earlier runs: fewer
                        f"{what}: the previous results changed")
        following = subprocess.run(sahelsim("scenario", "run", SCENARIO, "--runs", 200, "--workers",
                                            1, "--out", out, "--json"), capture_output=True, env=env,
                                   timeout=600)
        tally.check(following.returncode == 0, f"{what}: the next run failed: {following.stderr[-300:]}")
        partial = list(out.glob(".partial-*"))
        tally.check(not partial, f"{what}: staging folders left after the next run: {partial}")


# -- the fuzzers -----------------------------------------------------------------------------------

def run_fuzzers(profile: str, tally: Tally) -> int:
    """The fuzz tests under `profile`; returns how many inputs they tried."""
    done = subprocess.run([sys.executable, "-m", "pytest", *FUZZERS, "-q", "-p", "no:randomly",
                           f"--hypothesis-profile={profile}", "--hypothesis-show-statistics"],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    inputs = sum(int(n) for n in re.findall(r"(\d+) (?:passing|failing)\b", done.stdout))
    tally.tries = inputs
    for line in done.stdout.splitlines():
        if line.startswith("FAILED"):
            tally.check(False, line.removeprefix("FAILED ").strip())
    if done.returncode not in (0, 1):
        tally.check(False, f"pytest exited {done.returncode}: {done.stdout[-500:]}{done.stderr[-500:]}")
    return inputs


# -- the report ------------------------------------------------------------------------------------

def peak_memory_mib() -> float:
    """The largest resident set of any process this soak waited for (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def figures(tallies: list[Tally], args: argparse.Namespace) -> str:
    rows = "\n".join(f"| {t.name} | {t.tries:,} | {len(t.failures)} | {t.seconds:,.0f} s |"
                     for t in tallies)
    failures = [f"- {t.name}: {failure}" for t in tallies for failure in t.failures[:20]]
    return "\n".join([
        BEGIN,
        f"Last soak: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()} with "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
        f"hypothesis profile `{args.profile}`, ingests of {args.rows:,} generated rows, runs of "
        f"`{SCENARIO}` on two workers, seed {args.seed}.",
        "",
        "| check | tries | failures | time |",
        "|---|---:|---:|---:|",
        rows,
        "",
        f"Peak memory of any one process it started: {peak_memory_mib():,.0f} MiB.",
        "",
        *(["Failures (the first 20 of each check):", "", *failures] if failures else ["No failures."]),
        END,
    ])


def write_figures(text: str) -> None:
    document = DOC.read_text("utf-8")
    start, end = document.index(BEGIN), document.index(END) + len(END)
    DOC.write_text(document[:start] + text + document[end:], "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="soak", help="hypothesis profile of the fuzzers")
    parser.add_argument("--kills", type=int, default=50, help="kill -9 tries (half ingests, half runs)")
    parser.add_argument("--interrupts", type=int, default=50, help="Ctrl-C tries (the same split)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the generated export")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random moments")
    parser.add_argument("--no-fuzz", action="store_true", help="only the kills and interrupts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    rng = random.Random(args.seed)
    stops = [signal.SIGKILL] * args.kills + [signal.SIGINT] * args.interrupts
    rng.shuffle(stops)
    tallies = [Tally("fuzzed inputs")] if not args.no_fuzz else []
    tallies += [Tally("interrupted ingests"), Tally("interrupted simulation runs")]
    with tempfile.TemporaryDirectory(prefix="sahelsim-soak-") as folder:
        work = Path(folder)
        jobs: list[Callable[[Tally], object]] = []
        if not args.no_fuzz:
            jobs.append(lambda tally: run_fuzzers(args.profile, tally))
        (work / "ingests").mkdir()
        (work / "runs").mkdir()
        jobs.append(lambda tally: ingest_trials(work / "ingests", args.rows, stops[0::2], rng, tally))
        jobs.append(lambda tally: run_trials(work / "runs", stops[1::2], rng, tally))
        for tally, job in zip(tallies, jobs):
            began = time.monotonic()
            try:
                job(tally)
            except Exception as error:  # a broken set-up is a failure of the soak, not a crash of it
                tally.check(False, f"{type(error).__name__}: {error}")
            tally.seconds = time.monotonic() - began
            print(f"{tally.name}: {tally.tries} tries, {len(tally.failures)} failures, "
                  f"{tally.seconds:.0f} s", flush=True)
    write_figures(figures(tallies, args))
    return 1 if any(t.failures for t in tallies) else 0


if __name__ == "__main__":
    raise SystemExit(main())

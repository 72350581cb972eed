"""Domain mutation testing of the simulator: does the test suite notice when a mechanism is broken?

Each mutant in `mutants/domain.toml` removes, reverses or doubles one mechanism of the model (the night
factor ignored, hazards fused by their maximum, the shelters' hardening doubled, ...) by replacing one
exact piece of text in one file of `src/`. For each, a copy of `src/` is patched in a temporary
directory and pytest runs the chosen tests with that copy first on PYTHONPATH: the mutant is killed when
a test fails, survives when all pass. The real `src/` tree is only read.

Generic mutation tools (mutmut, cosmic-ray) flip operators anywhere and report thousands of mutants,
most of them about plumbing; a hand-written list names the mechanism each one breaks, so a survivor
says which part of the model no test pins down. The list must not rot silently as the code changes:
a `find` that no longer occurs exactly once in its file stops the run, naming the mutant.

    python mutants/run.py                 # every mutant, report written into docs/validation.md
    python mutants/run.py --only ID       # one mutant (repeatable); the report is left alone
    python mutants/run.py --check         # only check the list against the code

Exit status: 0 when every mutant ran and every survivor carries a `why`; 1 otherwise (a stale or
broken list, tests that fail without any mutant, a mutant that errors, a survivor without a `why`,
or a `why` on a mutant that no longer survives).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "mutants" / "domain.toml"
REPORT = ROOT / "docs" / "validation.md"
BEGIN, END = "<!-- mutants:begin -->", "<!-- mutants:end -->"
SECTION = "## Mutation testing"
KINDS = ("remove", "reverse", "double")
FIELDS = {"id", "mechanism", "kind", "file", "find", "replace", "tests", "why"}
PYTEST_FLAGS = ("-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-rf")


class ListError(Exception):
    """The mutant list does not fit the code (or is malformed); the message names each mutant."""


@dataclass(frozen=True)
class Mutant:
    id: str
    mechanism: str
    kind: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]
    why: str = ""


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    result: str  # killed, survived, timeout, error
    seconds: float
    detail: str = ""  # the killing test, or what went wrong


@dataclass(frozen=True)
class Config:
    mutants: list[Mutant]
    tests: tuple[str, ...]  # the default test set
    timeout_s: float


def load(path: Path) -> Config:
    """Read the list and check it against the code: every `find` occurs exactly once in its file
    and the patched file still compiles. All problems are reported together."""
    document = tomllib.loads(path.read_text("utf-8"))
    defaults = document.get("defaults", {})
    tests = tuple(defaults.get("tests", ()))
    problems: list[str] = []
    mutants: list[Mutant] = []
    for i, entry in enumerate(document.get("mutant", [])):
        name = entry.get("id", f"mutant #{i + 1}")
        missing = {"id", "mechanism", "kind", "file", "find", "replace"} - set(entry)
        unknown = set(entry) - FIELDS
        if missing or unknown:
            problems.append(f"{name}: missing {sorted(missing)}" if missing else
                            f"{name}: unknown keys {sorted(unknown)}")
            continue
        mutant = Mutant(entry["id"], entry["mechanism"], entry["kind"], entry["file"], entry["find"],
                        entry["replace"], tuple(entry.get("tests", tests)), entry.get("why", "").strip())
        problems += _problems(mutant)
        mutants.append(mutant)
    ids = [m.id for m in mutants]
    problems += [f"{d}: id used more than once" for d in sorted({i for i in ids if ids.count(i) > 1})]
    if not tests:
        problems.append("[defaults] tests: the default test set is empty")
    for test in sorted({t for m in mutants for t in m.tests} | set(tests)):
        if not (ROOT / test).exists():
            problems.append(f"test file {test} does not exist")
    if problems:
        raise ListError("\n".join(problems))
    return Config(mutants, tests, float(defaults.get("timeout_s", 300)))


def _problems(mutant: Mutant) -> list[str]:
    """What is wrong with one mutant against today's code (empty when nothing)."""
    if mutant.kind not in KINDS:
        return [f"{mutant.id}: kind {mutant.kind!r}, expected one of {', '.join(KINDS)}"]
    if mutant.find == mutant.replace:
        return [f"{mutant.id}: replace is the same as find"]
    target = ROOT / mutant.file
    if not target.is_file() or not mutant.file.startswith("src/"):
        return [f"{mutant.id}: {mutant.file} is not a file under src/"]
    text = target.read_text("utf-8")
    count = text.count(mutant.find)
    if count != 1:
        return [f"{mutant.id}: find occurs {count} times in {mutant.file}, expected exactly once: "
                f"{mutant.find!r}"]
    try:
        compile(text.replace(mutant.find, mutant.replace), mutant.file, "exec")
    except SyntaxError as error:
        return [f"{mutant.id}: the patched file does not compile: {error}"]
    return []


# --- running --------------------------------------------------------------------------------------

def _copy_of_src(into: Path, mutant: Mutant | None) -> Path:
    """src/ copied under `into`, with the mutant applied; returns the copy's src folder."""
    src = into / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    if mutant is not None:
        target = src / Path(mutant.file).relative_to("src")
        target.write_text(target.read_text("utf-8").replace(mutant.find, mutant.replace), "utf-8")
    return src


def _pytest(src: Path, tests: tuple[str, ...], timeout_s: float) -> tuple[int | None, str]:
    """Run pytest on `tests` with `src` first on the path; (exit code or None on timeout, output).

    The tests run from the working tree (their paths and fixtures are unchanged) but in the temporary
    folder, without the cache or bytecode files: nothing is written into the real checkout. The run is
    a session of its own, so a timeout kills it with every process it started.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
           "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", *PYTEST_FLAGS, "--rootdir", str(ROOT),
               *(str(ROOT / test) for test in tests)]
    with subprocess.Popen(command, cwd=src.parent, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return None, output
        except BaseException:  # Ctrl-C: leave no test run behind
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return process.returncode, output


def _first_failure(output: str, cwd: Path) -> str:
    """The first failed test in pytest's short summary ('FAILED path::name - ...'), its path made
    relative to the repository (pytest writes it relative to where it ran)."""
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    if match is None:
        return "(see pytest output)"
    path, _, name = match.group(1).partition("::")
    return f"{os.path.relpath(os.path.normpath(cwd / path), ROOT)}::{name}"


def run_one(mutant: Mutant, timeout_s: float) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"sahelsim-mutant-{mutant.id}-") as folder:
        code, output = _pytest(_copy_of_src(Path(folder), mutant), mutant.tests, timeout_s)
        killer = _first_failure(output, Path(folder))
    seconds = time.monotonic() - started
    if code is None:
        return Outcome(mutant, "timeout", seconds, f"over {timeout_s:.0f} s")
    if code == 0:
        return Outcome(mutant, "survived", seconds)
    if code == 1:
        return Outcome(mutant, "killed", seconds, killer)
    tail = " | ".join(output.strip().splitlines()[-3:])
    return Outcome(mutant, "error", seconds, f"pytest exit {code}: {tail}")


def baseline(tests: tuple[str, ...], timeout_s: float) -> float:
    """Run the tests on an unmutated copy: they must pass, or no mutant's result means anything."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sahelsim-mutant-baseline-") as folder:
        code, output = _pytest(_copy_of_src(Path(folder), None), tests, timeout_s)
    if code != 0:
        print(output[-4000:], file=sys.stderr)
        raise ListError(f"the tests fail without any mutant (pytest exit {code}): fix them first")
    return time.monotonic() - started


def run_all(mutants: list[Mutant], jobs: int, timeout_s: float) -> list[Outcome]:
    """Every mutant over `jobs` parallel pytest runs; a line per mutant as it ends."""
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, mutant, timeout_s) for mutant in mutants]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            print(f"[{len(outcomes)}/{len(mutants)}] {outcome.mutant.id}: {outcome.result} "
                  f"({outcome.seconds:.0f} s) {outcome.detail}".rstrip(), flush=True)
    order = {m.id: i for i, m in enumerate(mutants)}
    return sorted(outcomes, key=lambda o: order[o.mutant.id])


# --- judging and reporting ------------------------------------------------------------------------

def verdict(outcomes: list[Outcome]) -> list[str]:
    """Why the run fails (empty when it passes)."""
    reasons = []
    for o in outcomes:
        if o.result == "error":
            reasons.append(f"{o.mutant.id}: error, {o.detail}")
        elif o.result == "survived" and not o.mutant.why:
            reasons.append(f"{o.mutant.id}: survived and has no `why` (an equivalent mutant, or a gap "
                           "to close with a test)")
        elif o.result != "survived" and o.mutant.why:
            reasons.append(f"{o.mutant.id}: has a `why` but no longer survives ({o.result}): remove it")
    return reasons


def score(outcomes: list[Outcome]) -> tuple[int, int]:
    """(detected, total): killed or timed out, over all mutants."""
    return sum(o.result in ("killed", "timeout") for o in outcomes), len(outcomes)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_block(outcomes: list[Outcome], seconds: float, jobs: int, baseline_s: float,
                 tests: tuple[str, ...]) -> str:
    detected, total = score(outcomes)
    counts = {r: sum(o.result == r for o in outcomes) for r in ("killed", "timeout", "survived", "error")}
    lines = [
        BEGIN,
        f"**Score: {detected} of {total} domain mutants killed ({100 * detected / total:.1f}%)**: "
        f"{counts['killed']} killed, {counts['timeout']} timed out, {counts['survived']} survived, "
        f"{counts['error']} errors.",
        "",
        f"Last full run: {seconds / 60:.1f} minutes with `--jobs {jobs}` on {os.cpu_count()} CPUs. The "
        f"default test set ({', '.join(f'`{t}`' for t in tests)}) passes unmutated in {baseline_s:.0f} s.",
        "",
        "| id | mechanism | kind | result | killed by, or why it survives |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        note = o.mutant.why if o.result == "survived" else o.detail
        lines.append(f"| `{o.mutant.id}` | {_cell(o.mutant.mechanism)} | {o.mutant.kind} | {o.result} "
                     f"| {_cell(note)} |")
    lines.append(END)
    return "\n".join(lines)


def write_report(path: Path, block: str) -> None:
    """Put `block` between the markers, keeping the rest of the file; the section is appended when
    the file has no markers yet."""
    text = path.read_text("utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + f"{SECTION}\n\n{block}\n"
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    # Started in the background (`make mutants &`), a shell ignores Ctrl-C for us, and an ignored
    # signal stays ignored in every child: the tests that interrupt a run would then wait forever.
    # A handler of our own is reset to the default in each child instead.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel pytest runs")
    parser.add_argument("--only", action="append", metavar="ID", help="run this mutant (repeatable)")
    parser.add_argument("--check", action="store_true", help="only check the list against the code")
    parser.add_argument("--domain", type=Path, default=DOMAIN, help="the mutant list")
    parser.add_argument("--report", type=Path, default=REPORT, help="the Markdown file to update")
    args = parser.parse_args(argv)
    try:
        config = load(args.domain)
        mutants = config.mutants
        if args.only:
            unknown = set(args.only) - {m.id for m in mutants}
            if unknown:
                raise ListError(f"no mutant {', '.join(sorted(unknown))} in {args.domain}")
            mutants = [m for m in mutants if m.id in args.only]
        print(f"{len(config.mutants)} mutants, each find found once in its file")
        if args.check:
            return 0
        started = time.monotonic()
        baseline_s = 0.0
        if not args.only:
            baseline_s = baseline(tuple(dict.fromkeys(t for m in mutants for t in m.tests)), config.timeout_s)
            print(f"tests pass unmutated ({baseline_s:.0f} s); running {len(mutants)} mutants "
                  f"over {args.jobs} jobs", flush=True)
        outcomes = run_all(mutants, max(1, args.jobs), config.timeout_s)
    except ListError as error:
        print(f"mutants: {error}", file=sys.stderr)
        return 1
    detected, total = score(outcomes)
    print(f"score: {detected} of {total} killed ({100 * detected / total:.1f}%)")
    if not args.only:
        write_report(args.report, report_block(outcomes, time.monotonic() - started, args.jobs,
                                               baseline_s, config.tests))
        print(f"report written to {args.report}")
    reasons = verdict(outcomes)
    for reason in reasons:
        print(f"mutants: {reason}", file=sys.stderr)
    return 1 if reasons else 0


if __name__ == "__main__":
    sys.exit(main())

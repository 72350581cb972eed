"""Fuzzing: the hypothesis profiles, and the contract every fuzzed command keeps.

Two profiles, chosen with pytest's `--hypothesis-profile` option:

- `default` (every `make test`): derandomized, so CI sees the same examples on every run and a
  failure it reports is reproduced by running the test again; no example database, for the same
  reason;
- `soak` (`make soak`): ten times the examples, drawn at random.

The fuzz tests size themselves as shares of the profile's `max_examples` (`examples`), so one switch
scales them all. Most fuzzed commands run in this process through `sahelsim.cli.main`, the same
entry point and error mapping as the installed command, which is many times faster than starting
Python; a smaller share runs `python -m sahelsim` in a process of its own.
"""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from hypothesis import settings

settings.register_profile("default", derandomize=True, database=None, print_blob=True)
settings.register_profile("soak", max_examples=1000, derandomize=False, database=None,
                          print_blob=True)

# Exit codes a command may end with: done, a user's mistake, an interrupt.
ALLOWED_EXIT_CODES = {0, 2, 130}


def examples(share: float) -> int:
    """A test's number of examples: `share` of the active profile's, so `soak` scales every test."""
    return max(1, round(settings.default.max_examples * share))


@dataclass
class Outcome:
    """How one command ended: its exit code and what it wrote."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str

    def check_contract(self) -> None:
        """Exit 0, 2 or 130; a refusal is one line on stderr and never a traceback."""
        shown = f"sahelsim {' '.join(self.argv)!r}: exit {self.code}\n{self.stderr}"
        assert self.code in ALLOWED_EXIT_CODES, shown
        assert "Traceback" not in self.stderr, shown
        if self.code == 2:
            assert len(self.stderr.strip().splitlines()) == 1, shown


def run_in_process(argv: Sequence[str]) -> Outcome:
    """`sahelsim ARGV` through the console-script entry point, in this process.

    An exception the entry point lets through is what a user would see as a traceback: it is
    raised here, so that hypothesis reports it with the input that caused it.
    """
    from sahelsim.cli import main

    stdout, stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    code = 0
    saved = sys.argv
    sys.argv = ["sahelsim", *argv]
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            main()
    except SystemExit as ended:
        code = ended.code if isinstance(ended.code, int) else 0 if ended.code is None else 1
    finally:
        sys.argv = saved
        gc.collect()  # close the stores the command left to the garbage collector, as an exit would
    stdout.flush()
    return Outcome(list(argv), code, stdout.buffer.getvalue().decode("utf-8", "replace"),
                   stderr.getvalue())


def run_in_subprocess(argv: Sequence[str], cwd: Path, timeout: float = 120) -> Outcome:
    """`python -m sahelsim ARGV` in a process of its own, as a user runs it."""
    done = subprocess.run([sys.executable, "-m", "sahelsim", *argv], capture_output=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, "COLUMNS": "200"})
    return Outcome(list(argv), done.returncode, done.stdout.decode("utf-8", "replace"),
                   done.stderr.decode("utf-8", "replace"))

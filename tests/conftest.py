"""Shared fixtures: a fresh store per test, the bundled record, and the real `sahelsim` command."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # test helpers such as acled_server.py
import fuzzing  # noqa: E402,F401  (registers the hypothesis profiles before any test is collected)
SHARED = TESTS.parent.parent / "shared"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store of this test's own."""
    return tmp_path / "record.duckdb"


@pytest.fixture
def bundled_record() -> Path:
    return Path(str(resources.files("sahelsim.evidence") / "data" / "documented_incidents.csv"))


@pytest.fixture
def sahelsim(tmp_path: Path):
    """Run the installed command line as a user would, in a process of its own."""

    def run(*args: str, env: dict | None = None, timeout: float = 300) -> Result:
        import os
        environment = {**os.environ, "SAHELSIM_DB": str(tmp_path / "default.duckdb"), **(env or {})}
        done = subprocess.run([sys.executable, "-m", "sahelsim", *map(str, args)], capture_output=True,
                              text=True, cwd=tmp_path, env=environment, timeout=timeout)
        return Result(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def seeds_dir() -> Path:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout (CI always has it)")
    return seeds

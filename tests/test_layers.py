"""The package's layers import one way, down: the contract in pyproject.toml, checked by import-linter
as `lint-imports` runs it, on this package and on copies of it where one import points the wrong way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sahelsim

CONFIG = Path(__file__).parent.parent / "pyproject.toml"
PACKAGE = Path(sahelsim.__file__).parent
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(src: Path) -> subprocess.CompletedProcess:
    """import-linter, with the project's contracts, on the `sahelsim` found in `src`."""
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", str(CONFIG)], cwd=src,
                          env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package's Python files in a folder of their own (its data files are no imports)."""
    def not_python(folder: str, names: list[str]) -> list[str]:
        return [name for name in names if name == "__pycache__"
                or not (name.endswith(".py") or (Path(folder) / name).is_dir())]

    shutil.copytree(PACKAGE, tmp_path / "sahelsim", ignore=not_python)
    return tmp_path


def test_the_layers_hold():
    result = lint_imports(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_a_copy_holds_them_too(copy):
    """The copies below fail for the import added to them, not for being copies."""
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("module, line, broken", [
    ("evidence/store.py", "import sahelsim.cli", "sahelsim.evidence is not allowed to import sahelsim.cli"),
    ("evidence/record.py", "from sahelsim.report import trends_report",
     "sahelsim.evidence is not allowed to import sahelsim.report"),
    ("sim/__init__.py", "import sahelsim.evidence.store", "sahelsim.sim is not allowed to import sahelsim.evidence"),
    ("runtime/seeds.py", "import sahelsim.sim", "sahelsim.runtime is not allowed to import sahelsim.sim"),
    ("errors.py", "import sahelsim.runtime", "sahelsim.errors is not allowed to import sahelsim.runtime"),
])
def test_an_import_against_the_layers_breaks_the_contract(copy, module, line, broken):
    target = copy / "sahelsim" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout

"""Where a run's results are kept: a folder holding replications.parquet, summary.json and charts.

A run writes into a staging folder inside the output folder and moves its files into place only
once it is complete (`runtime.staging`), so a run that fails or is interrupted leaves the previous
results whole. The CLI's `scenario run` is this, with a progress bar.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sahelsim.errors import UserError
from sahelsim.runtime.executors import Executor
from sahelsim.runtime.staging import staging_folder
from sahelsim.sim import engine
from sahelsim.sim.charts import write_charts
from sahelsim.sim.scenario import Scenario


@dataclass(frozen=True)
class SavedRun:
    """A run and the files it left in `out`."""

    result: engine.RunResult
    out: Path
    files: list[Path]


def default_folder(scenario: Scenario, seed: int) -> Path:
    """./runs/NAME-SEED, or NAME.VARIANT-SEED: one folder per scenario, defence and seed."""
    return Path("runs") / f"{scenario.label.replace('@', '.')}-{seed}"


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A scratch folder inside `out` whose files replace those in `out` only when the block ends
    without an error. Raises `UserError` naming the folder when it cannot be written."""
    with ExitStack() as stack:
        try:
            out.mkdir(parents=True, exist_ok=True)
            staging = stack.enter_context(staging_folder(out))
        except OSError as error:
            raise UserError(f"cannot write to the output folder: {error.strerror or error}",
                            file=str(out)) from None
        try:
            yield staging
            taken = [out / path.name for path in staging.iterdir() if (out / path.name).is_dir()]
            if taken:
                raise UserError("a folder stands where the results go", file=str(taken[0]))
            for path in staging.iterdir():
                os.replace(path, out / path.name)
        except OSError as error:
            raise UserError(f"cannot write the results: {error.strerror or error}",
                            file=str(error.filename or out)) from None


def save_run(scenario: Scenario, runs: int, seed: int = 0, out: Path | None = None, *,
             executor: Executor | None = None, chunk_size: int = engine.DEFAULT_CHUNK,
             precision: float | None = None, uncertain: bool = False,
             progress: engine.Progress | None = None) -> SavedRun:
    """Simulate `scenario` (as `engine.run`) and keep its rows, summary and charts in `out`
    (default `default_folder`). Only the summaries stay in memory: the rows stream to Parquet."""
    out = out or default_folder(scenario, seed)
    with staged(out) as staging:
        result = engine.run(scenario, runs, seed, chunk_size=chunk_size, keep_table=False,
                            executor=executor, progress=progress,
                            parquet_path=staging / "replications.parquet", precision=precision,
                            uncertain=uncertain)
        (staging / "summary.json").write_text(json.dumps(result.summary, indent=1, default=str), "utf-8")
        write_charts(result.summary, staging, scenario.label)
        files = sorted(out / path.name for path in staging.iterdir())
    return SavedRun(result=result, out=out, files=files)

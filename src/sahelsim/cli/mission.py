"""`sahelsim mission`: the whole chain on the bundled record, written as one page (`make demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.cli.record import DbOption
from sahelsim.cli.executor_options import AddressOption, ExecutorOption, WorkersOption, chosen_executor
from sahelsim.cli.scenario import SeedOption


@app.command("mission")
def mission_command(
    out: Path = typer.Option(Path("reports/mission"), "--out", help="Folder for the page and the trends report."),
    db: Optional[Path] = DbOption,
    runs: int = typer.Option(20_000, "--runs", min=100, max=10_000_000,
                             help="Paired replications per defence comparison."),
    budget: int = typer.Option(5_000, "--budget", min=3_000, max=1_000_000,
                               help="Simulations of the demonstration refit."),
    loo: bool = typer.Option(True, "--loo/--no-loo", help="Also check each incident left out of the fit."),
    seed: int = SeedOption,
    workers: Optional[int] = WorkersOption,
    executor: str = ExecutorOption,
    address: Optional[str] = AddressOption,
    as_json: bool = JsonOption,
) -> None:
    """Ingest the bundled record, fit its rates and the simulator, validate the library against the
    documented outcomes, compare every scenario's defences, and write one self-contained page."""
    from sahelsim.report.mission import Effort, run_mission

    effort = Effort(runs=runs, calibration_budget=budget, leave_one_out=loo, seed=seed)
    with console.status("starting") as status:
        mission = run_mission(out, db, effort=effort, executor=chosen_executor(executor, workers or 1, address),
                              step=None if as_json else status.update)
    data = {"page": str(mission.page), "ingest": mission.ingest.as_dict(),
            "coverage": mission.validation.coverage, "inside_share": mission.validation.inside_share,
            "comparisons": [{"scenario": c.scenario.name, "variant": c.variant,
                             "defender_losses": c.result.metrics["defender_losses"]}
                            for c in mission.comparisons]}
    emit(data, as_json, lambda: console.print(f"page: {mission.page}", highlight=False))

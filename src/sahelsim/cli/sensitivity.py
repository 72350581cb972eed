"""`sahelsim sensitivity NAME`: which uncertain figures move a scenario's measures (SALib)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.cli.executor_options import AddressOption, ExecutorOption, WorkersOption, chosen_executor
from sahelsim.cli.progress import progress_bar
from sahelsim.cli.scenario import SeedOption

MeasureOption = typer.Option(None, "--measure", "-m",
                             help="A measure to screen (repeat; default: defender_losses, overrun,"
                                  " assets_destroyed, value_lost_usd, cost_exchange).")
FigureOption = typer.Option(None, "--figure", "-f",
                            help="Screen only this uncertain figure, by path (repeat), e.g."
                                 " threat.assault.attackers.")
ReplicationsOption = typer.Option(200, "--replications", "-r", min=10, max=100_000,
                                  help="Replications per point, on common random numbers.")


@app.command("sensitivity")
def sensitivity_command(
    name: str = typer.Argument(..., help="NAME[@VARIANT] or a .toml file."),
    method: str = typer.Option("morris", "--method", help="morris (a cheap screen) or sobol (variance"
                                                         " shares with bootstrap intervals)."),
    samples: Optional[int] = typer.Option(None, "--samples", "-N", min=2, max=65_536,
                                          help="Morris trajectories (default 10) or Sobol's base sample,"
                                               " a power of two (default 64)."),
    measure: Optional[list[str]] = MeasureOption,
    figure: Optional[list[str]] = FigureOption,
    levers: bool = typer.Option(False, "--levers", help="Also vary the defence's own ranged figures."),
    replications: int = ReplicationsOption,
    seed: int = SeedOption,
    out: Optional[Path] = typer.Option(None, "--out", help="The chart (default ./NAME-sensitivity.html)."),
    workers: Optional[int] = WorkersOption,
    executor: str = ExecutorOption,
    address: Optional[str] = AddressOption,
    as_json: bool = JsonOption,
) -> None:
    """Rank a scenario's uncertain figures (declared ranges, or posteriors where fitted) by their
    effect on each measure: Morris μ* and σ, or Sobol S1 and ST, with a chart."""
    from sahelsim.analysis.sensitivity import DEFAULT_MEASURES, sensitivity
    from sahelsim.report.sensitivity_chart import write_chart

    with progress_bar(f"{method} screen of {name}") as update:
        result = sensitivity(name, method=method, samples=samples, measure_names=tuple(measure or DEFAULT_MEASURES),
                         figures=figure or None, levers=levers, replications=replications, seed=seed,
                         executor=chosen_executor(executor, workers, address),
                         progress=update)
    chart = write_chart(result, out or Path(f"{result.scenario.replace('@', '-')}-sensitivity.html"))
    data = {**result.to_dict(), "chart": str(chart)}

    def render() -> None:
        for m in result.measures:
            if m in result.indices:
                console.print(_table(result, m))
            console.print(result.finding(m), highlight=False)
        console.print(f"{result.simulations:,} simulations ({result.points:,} points × {replications});"
                      f" chart: {chart}", highlight=False)

    emit(data, as_json, render)


def _table(result, measure: str) -> Table:
    morris = result.method == "morris"
    table = Table(title=f"{result.scenario}: {measure}, {result.method}")
    columns = ("figure", "μ*", "± 95%", "σ") if morris else ("figure", "ST", "± 95%", "S1", "± 95%")
    for column in columns:
        table.add_column(column, justify="left" if column == "figure" else "right")
    for i in result.indices[measure]:
        values = (i.mu_star, i.mu_star_conf, i.sigma) if morris else (i.st, i.st_conf, i.s1, i.s1_conf)
        table.add_row(i.figure, *(f"{v:.3g}" for v in values))
    return table

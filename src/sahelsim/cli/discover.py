"""`sahelsim discover NAME --fails CONDITION`: the conditions under which a defence fails (PRIM, CART)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.cli.executor_options import AddressOption, ExecutorOption, WorkersOption, chosen_executor
from sahelsim.cli.progress import progress_bar
from sahelsim.cli.scenario import SeedOption
from sahelsim.cli.sensitivity import FigureOption


@app.command("discover")
def discover_command(
    name: str = typer.Argument(..., help="NAME[@VARIANT] (the defence to test) or a .toml file."),
    fails: str = typer.Option(..., "--fails", help='When the defence fails, e.g. "P(overrun) > 0.3" or'
                                                   ' "defender_losses >= 20".'),
    samples: int = typer.Option(1000, "--samples", "-N", min=20, max=1_000_000,
                                help="Points sampled over the uncertain figures (Latin hypercube)."),
    replications: int = typer.Option(100, "--replications", "-r", min=10, max=100_000,
                                     help="Replications per point, on common random numbers."),
    figure: Optional[list[str]] = FigureOption,
    levers: bool = typer.Option(False, "--levers", help="Also vary the defence's own ranged figures."),
    coverage: float = typer.Option(0.5, "--min-coverage", min=0.0, max=1.0,
                                   help="The chosen box covers at least this share of the failures."),
    seed: int = SeedOption,
    workers: Optional[int] = WorkersOption,
    executor: str = ExecutorOption,
    address: Optional[str] = AddressOption,
    as_json: bool = JsonOption,
) -> None:
    """Sample the uncertain figures, simulate, and find the boxes of conditions where the defence
    fails: PRIM's box (with its peeling trajectory) and a CART tree's failing leaves."""
    from sahelsim.analysis.discovery import discover

    with progress_bar(f"sampling {name}") as update:
        result = discover(name, fails, samples=samples, replications=replications, figures=figure or None,
                          levers=levers, min_coverage=coverage, seed=seed,
                          executor=chosen_executor(executor, workers, address),
                          progress=update)

    def render() -> None:
        table = Table(title=f"{result.scenario}: where {result.condition} ({result.failures} of "
                            f"{result.points} points fail)")
        for column in ("method", "box", "coverage", "density", "points"):
            table.add_column(column, justify="left" if column in ("method", "box") else "right")
        for method, box in [("PRIM", result.box), *(("CART", b) for b in result.cart)]:
            table.add_row(method, str(box), f"{box.coverage:.0%}", f"{box.density:.0%}", str(box.points))
        console.print(table)
        console.print(result.finding, highlight=False)

    emit(result.to_dict(), as_json, render)

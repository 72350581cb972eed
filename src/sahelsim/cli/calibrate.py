"""`sahelsim calibrate NAME|FILE`, `sahelsim calibrate rates` and `sahelsim validate`: the simulator
fitted to the documented record, and checked against it."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Optional

import click
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.cli.record import ActorOption, CountryOption, DbOption, SinceOption
from sahelsim.cli.executor_options import AddressOption, ExecutorOption, chosen_executor


class _ScenarioByDefault(TyperGroup):
    """`calibrate NAME` means `calibrate scenario NAME`: any first word that is not a subcommand
    names the scenario to fit."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["scenario", *args]
        return super().resolve_command(ctx, args)


calibrate_app = typer.Typer(cls=_ScenarioByDefault, no_args_is_help=True,
                            help="Fit the simulator to the documented record: `calibrate NAME|FILE`"
                                 " fits a scenario's figures, `calibrate rates` the record's rates.")
app.add_typer(calibrate_app, name="calibrate")

RATE_COLUMNS = ("actor", "country", "n", "incidents", "method", "rate", "rate_low", "rate_high",
                "trend_per_year", "alpha", "overdispersed")


@calibrate_app.command("rates")
def rates_command(actor: Optional[str] = ActorOption, country: list[str] = CountryOption,
                  since: Optional[datetime] = SinceOption,
                  admin1: bool = typer.Option(False, "--admin1", help="Split incident rates by region too."),
                  db: Optional[Path] = DbOption, as_json: bool = JsonOption) -> None:
    """Drone-incident rates per actor, country and month (negative binomial, with trend), the role
    mix, fatalities per strike and the share of drones downed, each with its query, n and 90% interval."""
    from sahelsim.analysis.rates import fit_rates  # statsmodels takes a second to import

    result = fit_rates(db, actor=actor, country=country or None,
                       since=since.date() if since else None, admin1=admin1)

    def render() -> None:
        frame = result.to_frame()
        table = Table(title=f"drone incidents per month: {result.incidents} incidents, 90% intervals")
        shown = [c for c in RATE_COLUMNS if c in frame.columns]
        for column in shown:
            table.add_column(column, justify="left" if column in ("actor", "country", "method") else "right")
        for row in frame[shown].itertuples(index=False):
            table.add_row(*("–" if v is None or v != v else f"{v:.3g}" if isinstance(v, float) else str(v)
                            for v in row))
        console.print(table)
        if result.note:
            console.print(result.note, highlight=False)

    emit(result.to_dict(), as_json, render)


@calibrate_app.command("scenario")
def scenario_command(name: str = typer.Argument(..., help="A library scenario NAME or a .toml FILE."),
                     out: Optional[Path] = typer.Option(None, "--out", help="The calibrated scenario file"
                                                        " (default ./NAME-calibrated.toml)."),
                     budget: int = typer.Option(20_000, "--budget", min=1000, max=10_000_000,
                                                help="Simulations in all (one replication per incident each)."),
                     particles: int = typer.Option(500, "--particles", min=50, max=20_000,
                                                   help="Posterior draws per generation."),
                     seed: int = typer.Option(0, "--seed", "-s", min=0, help="The same seed, the same fit."),
                     workers: int = typer.Option(1, "--workers", min=1, max=256,
                                                 help="Worker processes (default 1: a fit's batches are"
                                                      " small, and a pool per batch costs more than it"
                                                      " saves below --particles 5000)."),
                     executor: str = ExecutorOption, address: Optional[str] = AddressOption,
                     as_json: bool = JsonOption) -> None:
    """Fit a scenario's uncertain figures to the documented outcomes of its incidents (ABC-SMC,
    priors = declared ranges) and write the scenario file with its [calibration]."""
    from sahelsim.analysis.calibration import calibrate

    with _bar() as bar:
        task = bar.add_task(f"calibrating {name}", total=budget)
        fit = calibrate(name, budget=budget, particles=particles, seed=seed,
                        executor=chosen_executor(executor, workers, address),
                        progress=lambda done, _: bar.update(task, completed=done))
    written = fit.write(out or Path(f"{fit.scenario}-calibrated.toml"))
    data = {**fit.to_dict(), "out": str(written)}

    def render() -> None:
        table = Table(title=f"{fit.scenario}: {data['simulations']:,} simulations, seed {seed}, "
                            f"{len(data['incidents'])} incidents",
                      caption=f"tolerance {data['epsilons'][-1]:.3g}; the last population is worth "
                              f"{data['effective_size']:.0f} independent draws; written to {written}")
        for column in ("figure", "prior", "median", "90% interval"):
            table.add_column(column, justify="left" if column == "figure" else "right")
        for path, figure in data["figures"].items():
            low, high = figure["prior"]
            table.add_row(path, f"[{low:g}, {high:g}]", f"{figure['median']:g}",
                          f"[{figure['interval90'][0]:g}, {figure['interval90'][1]:g}]")
        console.print(table)

    emit(data, as_json, render)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True)


@app.command("validate")
def validate_command(names: list[str] = typer.Argument(None, help="Library scenarios (default: all)."),
                     loo: bool = typer.Option(True, "--loo/--no-loo",
                                              help="Also fit without each incident and check it (slower)."),
                     seed: int = typer.Option(0, "--seed", "-s", min=0),
                     as_json: bool = JsonOption) -> None:
    """Every documented outcome against its calibrated scenario's 90% predictive interval, and the
    leave-one-incident-out coverage of those intervals (aim: 80–95%)."""
    from sahelsim.analysis.validation import COVERAGE_AIM, validate

    with console.status("validating") as status:
        result = validate(names or None, seed=seed, leave_one_out=loo, progress=status.update)
    data = result.to_dict()

    def render() -> None:
        table = Table(title="documented outcomes against the calibrated scenarios' 90% predictive intervals")
        for column in ("scenario", "incident", "metric", "reported", "90% interval", "inside", "left out"):
            table.add_column(column, overflow="fold")
        for scenario in result.scenarios:
            held = {(c.incident, c.metric): c for c in scenario.held_out}
            for check in scenario.outcomes:
                out = held.get((check.incident, check.metric))
                table.add_row(scenario.name + ("" if scenario.calibrated else " (not calibrated)"),
                              check.incident, check.metric, check.reported, _interval(check.interval90),
                              _mark(check.inside), "–" if out is None else _mark(out.inside))
        console.print(table)
        if result.coverage is not None:
            low, high = COVERAGE_AIM
            console.print(f"leave-one-incident-out coverage: {result.coverage:.0%} of "
                          f"{len(result.held_out)} outcomes (aim {low:.0%}–{high:.0%})", highlight=False)
            console.print(f"the same by randomised PIT (exactly 90% expected when calibrated, for counts, "
                          f"yes/no and censored reports alike): {result.pit_coverage:.0%}", highlight=False)

    emit(data, as_json, render)


def _interval(bounds: tuple[float, float]) -> str:
    return "[" + ", ".join("∞" if math.isinf(b) else f"{b:g}" for b in bounds) + "]"


def _mark(inside: bool) -> Text:
    return Text("yes", "green") if inside else Text("no", "red")

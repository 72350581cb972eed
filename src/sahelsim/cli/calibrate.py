"""`sahelsim calibrate …`: fit figures to the record, and rates from the stored record."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.cli.record import ActorOption, CountryOption, DbOption, SinceOption

calibrate_app = typer.Typer(help="Fit the simulator's figures to the documented record.",
                            no_args_is_help=True)
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

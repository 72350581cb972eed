"""`sahelsim scenario …`: list, show, validate, run and compare scenarios of the simulator."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.errors import UserError
from sahelsim.cli.executor_options import AddressOption, ExecutorOption, WorkersOption, chosen_executor
from sahelsim.runtime.executors import Executor
from sahelsim.sim import engine
from sahelsim.sim.results import save_run
from sahelsim.sim.scenario import list_library, load_scenario, validate_file

scenario_app = typer.Typer(help="Documented drone-threat scenarios: compare defences by simulation.",
                           no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")

# Upper bounds of the size options: past them a value is a typo, and would otherwise run for years
# (--runs), allocate gigabytes per chunk (--chunk-size) or start a process per value (--workers).
MAX_RUNS, MAX_CHUNK = 1_000_000_000, 1_048_576
RunsOption = typer.Option(None, "--runs", "-n", min=1, max=MAX_RUNS,
                          help="Replications (default 10,000; with --precision, the most to run,"
                               " default 10,000,000; at most 1,000,000,000).")
SeedOption = typer.Option(0, "--seed", "-s", min=0,
                          help="Seed: the same seed gives the same table.")
ChunkOption = typer.Option(engine.DEFAULT_CHUNK, "--chunk-size", min=1, max=MAX_CHUNK,
                           help="Replications per chunk (memory only; results do not depend on it;"
                                " at most 1,048,576).")
UncertainOption = typer.Option(False, "--uncertain",
                               help="Draw every uncertain figure per replication from its declared range"
                                    " (Latin hypercube by block); default: figures at their values.")
DEFAULT_RUNS, PRECISION_CAP = 10_000, 10_000_000
HEADLINE = ("leakers", "assets_damaged", "assets_destroyed", "casualties_expected", "isr_quality",
            "defender_losses", "attacker_losses", "value_lost_usd", "defender_cost_usd",
            "attacker_cost_usd")


def _executor(kind: str, workers: int | None, address: str | None, runs: int, chunk_size: int
              ) -> Executor:
    """All CPUs unless asked otherwise, but never more local workers than chunks to give them."""
    return chosen_executor(kind, workers, address, tasks=math.ceil(runs / chunk_size))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True)


@scenario_app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """The bundled scenarios, each drawn from documented incidents."""
    rows = []
    for name in list_library():
        scenario = load_scenario(name)
        rows.append({"name": name, "title": scenario.title, "variants": scenario.variants,
                     "incidents": len(scenario.sources.incidents)})

    def render() -> None:
        table = Table(title="scenarios (run one with `sahelsim scenario run NAME[@VARIANT]`)")
        for column in ("name", "title", "variants"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["name"], row["title"], ", ".join(row["variants"]))
        console.print(table)

    emit(rows, as_json, render)


@scenario_app.command("show")
def show_command(name: str = typer.Argument(..., help="NAME[@VARIANT] or a .toml file."),
                 as_json: bool = JsonOption) -> None:
    """A scenario in full: site, threat, defence, variants and the sources it is drawn from."""
    scenario = load_scenario(name)
    data = scenario.model_dump(mode="json", by_alias=True)

    def render() -> None:
        console.print(Text.assemble((scenario.label, "bold"), f": {scenario.title}"))
        console.print(" ".join(scenario.description.split()), highlight=False)
        console.print(f"\nvariants: {', '.join(scenario.variants)}")
        console.print("\nincidents", style="bold")
        for incident in scenario.sources.incidents:
            console.print(f"  • {incident}", highlight=False)
        for section in ("site", "threat", "defence"):
            console.print(f"\n{section}", style="bold")
            console.print_json(json.dumps(data[section]))

    emit(data, as_json, render)


@scenario_app.command("validate")
def validate_command(file: Path = typer.Argument(..., help="A scenario TOML file."),
                     as_json: bool = JsonOption) -> None:
    """Check a scenario file and every variant in it; a mistake is one line naming the field."""
    scenarios = validate_file(file)
    data = {"file": str(file), "valid": True, "name": scenarios[0].name,
            "variants": scenarios[0].variants}
    emit(data, as_json, lambda: console.print(
        Text.assemble(("ok", "green"), f" {file}: {data['name']} (variants: {', '.join(data['variants'])})")))


def _number(value: float | None, spec: str = ".3f") -> str:
    """A figure for a table, or a dash where the replications cannot tell (too few of them)."""
    return "–" if value is None else format(value, spec)


def _interval(bounds: list[float] | None, spec: str = ".3f") -> str:
    return "–" if bounds is None else f"[{bounds[0]:{spec}}, {bounds[1]:{spec}}]"


def _class_rows(classes: dict[str, dict[str, dict]]) -> Iterator[tuple[str, dict]]:
    """(label, figures) for each class of each class column: `P(assault_outcome = overrun)`."""
    for column, shares in classes.items():
        for name, figures in shares.items():
            yield f"P({column} = {name})", figures


def _inputs_caption(inputs: dict) -> str:
    """What the table's intervals hold: the dice only, or the doubt about the figures too."""
    if not inputs["drawn"]:
        return "figures at their values (--uncertain draws them from their ranges)"
    kept = f"; {len(inputs['kept_at_value'])} that shape the plan kept at their values" \
        if inputs["kept_at_value"] else ""
    return f"{len(inputs['drawn'])} uncertain figures drawn per replication{kept}"


def _headline_table(summary: dict) -> Table:
    table = Table(title=f"{summary['scenario']}: {summary['runs']:,} replications, seed {summary['seed']}",
                  caption=_inputs_caption(summary["inputs"]))
    for column in ("outcome", "mean / share", "95% interval"):
        table.add_column(column, justify="right" if column != "outcome" else "left")
    for name in HEADLINE:
        m = summary["means"][name]
        table.add_row(name, _number(m["mean"]), _interval(m["ci95"]))
    table.add_row("cost-exchange ratio (defender / attacker)", _number(summary["cost_exchange_ratio"]),
                  _interval(summary["cost_exchange_ratio_ci95"]))
    for name, p in summary["proportions"].items():
        table.add_row(f"P({name})", _number(p["p"]), _interval(p["ci95"]))
    for label, p in _class_rows(summary["outcome_classes"]):
        table.add_row(label, _number(p["p"]), _interval(p["ci95"]))
    return table


@scenario_app.command("run")
def run_command(name: str = typer.Argument(..., help="NAME[@VARIANT] or a .toml file."),
                runs: int | None = RunsOption, seed: int = SeedOption,
                out: Path | None = typer.Option(None, "--out", help="Output folder "
                                                   "(default ./runs/NAME-SEED)."),
                precision: float | None = typer.Option(
                    None, "--precision", min=0.0, help="Stop once every proportion's 95% "
                    "half-width is at most this."),
                workers: int | None = WorkersOption, chunk_size: int = ChunkOption,
                executor: str = ExecutorOption, address: str | None = AddressOption,
                uncertain: bool = UncertainOption, as_json: bool = JsonOption) -> None:
    """Simulate a scenario: replications.parquet, summary.json and charts in the output folder."""
    scenario = load_scenario(name)
    total = runs or (PRECISION_CAP if precision is not None else DEFAULT_RUNS)
    with _progress() as bar:
        task = bar.add_task(scenario.label, total=total)
        saved = save_run(scenario, total, seed, out, executor=_executor(executor, workers, address, total, chunk_size),
                         chunk_size=chunk_size, precision=precision, uncertain=uncertain,
                         progress=lambda done, _: bar.update(task, completed=done))
    summary, out = saved.result.summary, saved.out
    data = {"scenario": scenario.label, "runs": saved.result.runs, "seed": seed, "out": str(out),
            "files": [str(path) for path in saved.files],
            "summary": {key: summary[key] for key in ("means", "proportions", "outcome_classes",
                                                      "defeats_by_layer", "cost_exchange_ratio",
                                                      "cost_exchange_ratio_ci95", "inputs")}}

    def render() -> None:
        console.print(_headline_table(summary))
        console.print(f"written to {out}/ (replications.parquet, summary.json, charts)")

    emit(data, as_json, render)


@scenario_app.command("compare")
def compare_command(first: str = typer.Argument(..., help="NAME[@VARIANT] or a .toml file."),
                    second: str = typer.Argument(..., help="NAME[@VARIANT] or a .toml file."),
                    runs: int | None = RunsOption, seed: int = SeedOption,
                    workers: int | None = WorkersOption, chunk_size: int = ChunkOption,
                    executor: str = ExecutorOption, address: str | None = AddressOption,
                    uncertain: bool = UncertainOption, as_json: bool = JsonOption) -> None:
    """Difference SECOND − FIRST under common random numbers, with its 95% interval."""
    a, b = load_scenario(first), load_scenario(second)
    total = runs or DEFAULT_RUNS
    with _progress() as bar:
        task = bar.add_task(f"{a.label} vs {b.label}", total=total)
        result = engine.compare(a, b, total, seed, chunk_size=chunk_size,
                                executor=_executor(executor, workers, address, total, chunk_size), uncertain=uncertain,
                                progress=lambda done, _: bar.update(task, completed=done))

    def render() -> None:
        table = Table(title=f"{b.label} − {a.label}: {total:,} paired replications, seed {seed}",
                      caption=_inputs_caption(result.inputs[0]))
        for column in ("outcome", a.label, b.label, "difference", "95% interval"):
            table.add_column(column, justify="left" if column == "outcome" else "right")
        for name, m in [*result.metrics.items(), *_class_rows(result.outcome_classes)]:
            table.add_row(name, _number(m["first"]), _number(m["second"]),
                          _number(m["difference"], "+.3f"), _interval(m["ci95"], "+.3f"))
        console.print(table)
        if not result.same_threat:
            console.print(Text.assemble(("note:", "yellow"), " the two scenarios face different threats;"
                                        " this compares scenarios, not only defences"))

    emit(result.to_dict(), as_json, render)

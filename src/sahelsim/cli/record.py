"""Commands on the documented record: ingest, fetch, quarantine, actors, tag, events, drone trends, demo."""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Optional

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sahelsim.cli import JsonOption, app, console, emit
from sahelsim.evidence import store
from sahelsim.evidence.acled_update import update_from_acled
from sahelsim.evidence.actors import ActorRegistry
from sahelsim.evidence.dates import DAYFIRST, MONTHFIRST
from sahelsim.evidence.ingest import READING, IngestSummary, ingest
from sahelsim.evidence.record import EventFilter, export_events, quarantined, unmatched_actors
from sahelsim.evidence.tagging import tag_text
from sahelsim.evidence.trends import GROUPINGS, drone_trends, records

DbOption = typer.Option(None, "--db", help="The store (default: $SAHELSIM_DB or the user data dir).")
CountryOption = typer.Option([], "--country", help="Only these countries (repeatable).")
SinceOption = typer.Option(None, "--since", formats=["%Y-%m-%d"], help="Events on or after this date.")
UntilOption = typer.Option(None, "--until", formats=["%Y-%m-%d"], help="Events on or before this date.")
ActorOption = typer.Option(None, "--actor", help="A registry key (jnim) or part of an actor name.")
ActorAsOption = typer.Option("either", "--as", help="How --actor took part: operator (flew the drone), "
                                                    "target (the other party of a drone event) or either.")

quarantine_app = typer.Typer(help="Records that could not be stored, and why.", no_args_is_help=True)
drones_app = typer.Typer(help="Drone incidents in the record.", no_args_is_help=True)
fetch_app = typer.Typer(help="Pull events from online sources into the store.", no_args_is_help=True)
store_app = typer.Typer(help="The store file itself.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(drones_app, name="drones")
app.add_typer(fetch_app, name="fetch")
app.add_typer(store_app, name="store")


def _filter(country: list[str], since: datetime | None, until: datetime | None, actor: str | None,
            actor_as: str = "either", drone_only: bool = False) -> EventFilter:
    return EventFilter(countries=tuple(country), since=since.date() if since else None,
                       until=until.date() if until else None, actor=actor, actor_as=actor_as,
                       drone_only=drone_only)


VerboseOption = typer.Option(False, "--verbose", "-v", help="Log each file as it starts (stderr).")
WaitOption = typer.Option(0.0, "--wait", min=0, max=store.MAX_WAIT_S, metavar="SECONDS",
                          help="While another sahelsim writes to the store, wait up to this long "
                               "for it (default: fail at once).")


class _LiveLine:
    """A live progress line, shown from its first update and ended once (Rich prints a line at each
    end off a terminal): a line that starts only once the checks have passed leaves a mistake one
    line, and one can end before another starts."""

    def __init__(self, bar: Progress) -> None:
        self.bar, self.task, self.ended = bar, None, False

    def __enter__(self) -> _LiveLine:
        return self

    def show(self, description: str, total: int | None) -> TaskID:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(description, total=total)
        return self.task

    def end(self) -> None:
        if self.task is not None and not self.ended:
            self.ended = True
            self.bar.stop()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.end()


class _IngestLine(_LiveLine):
    """An ingest's line per file on a terminal, since a million-row file takes seconds; `verbose`
    also logs each file as it starts. Given the number of files, it shows at once."""

    def __init__(self, quiet: bool, verbose: bool = False, files: int | None = None) -> None:
        super().__init__(Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                                  TimeElapsedColumn(), console=console,
                                  disable=quiet or not console.is_terminal))
        self.verbose, self.files = verbose, files

    def __enter__(self) -> _IngestLine:
        if self.files is not None:
            self.show("ingesting", self.files)
        return self

    def __call__(self, file: str, index: int, count: int, stage: str) -> None:
        task = self.show("ingesting", count)
        self.bar.update(task, completed=index - 1, description=f"file {index}/{count}: {file}: {stage}")
        if self.verbose and stage == READING:
            self.bar.console.print(f"ingesting file {index}/{count}: {file}", highlight=False,
                                   soft_wrap=True)

    def done(self) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[0].total, description="done")


class _FetchLine(_LiveLine):
    """A fetch's line: events downloaded, of how many when the API says."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(Progress(console=console, disable=quiet))

    def __call__(self, done: int, total: int | None) -> None:
        self.bar.update(self.show("fetching ACLED", None), completed=done, total=total)


SUMMARY_COUNTS = ("read", "inserted", "updated", "unchanged", "rejected", "folded", "deleted")


def _show_summary(summary: IngestSummary) -> None:
    table = Table(title=f"ingest {summary.ingest_run}")
    for name in SUMMARY_COUNTS:
        table.add_column(name, justify="right")
    table.add_row(*(f"{getattr(summary, name):,}" for name in SUMMARY_COUNTS))
    console.print(table)
    if summary.rejected:
        console.print(f"{summary.rejected:,} rejected records: see `sahelsim quarantine list`")
    if summary.folded:
        console.print(f"{summary.folded:,} second-actor rows of monadic exports folded into their "
                      "events")
    for file in summary.no_timestamp:
        console.print(f"{file}: no timestamp column, so newer and older records cannot be told apart; "
                      "stored events were kept unless --replace was given", highlight=False,
                      soft_wrap=True)


@app.command("ingest")
def ingest_command(
    paths: list[Path] = typer.Argument(None, help="ACLED exports (CSV, XLSX; also inside .zip or .gz), ACLED API JSON, UCDP GED CSV."),
    db: Optional[Path] = DbOption,
    deletions: Optional[Path] = typer.Option(None, "--deletions", help="ACLED deletion list (CSV)."),
    replace: bool = typer.Option(False, "--replace", help="The files' records replace stored events "
                                 "whatever their timestamps (for files without a timestamp column)."),
    verbose: bool = VerboseOption,
    dayfirst: bool = typer.Option(False, "--dayfirst", help="Numeric dates such as 05/09/2020 are "
                                  "day first (5 September); by default each file's records decide."),
    monthfirst: bool = typer.Option(False, "--monthfirst", help="Numeric dates are month first (May 9)."),
    wait: float = WaitOption,
    as_json: bool = JsonOption,
) -> None:
    """Read event files into the store, in one transaction, every record accounted for."""
    if not paths and not deletions:
        raise typer.BadParameter("give at least one file, or --deletions")
    if dayfirst and monthfirst:
        raise typer.BadParameter("give --dayfirst or --monthfirst, not both")
    order = DAYFIRST if dayfirst else MONTHFIRST if monthfirst else None
    paths = list(paths or [])
    with _IngestLine(quiet=as_json, verbose=verbose, files=len(paths)) as line:
        summary = ingest(paths, db, deletions=deletions, replace=replace, progress=line,
                         date_order=order, wait=wait)
        line.done()
    emit(summary.as_dict(), as_json, lambda: _show_summary(summary))


@fetch_app.command("acled")
def fetch_acled_command(
    db: Optional[Path] = DbOption,
    country: list[str] = CountryOption,
    full: bool = typer.Option(False, "--full", help="Fetch everything, not only what changed since "
                                                  "the newest stored timestamp."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file with an [acled] table."),
    base_url: str = typer.Option("https://acleddata.com", "--base-url", envvar="ACLED_BASE_URL",
                                 help="The ACLED API root."),
    wait: float = WaitOption,
    as_json: bool = JsonOption,
) -> None:
    """Pull new and changed events (and deletions) from ACLED's API, then ingest them."""
    with _FetchLine(quiet=as_json) as fetch_line, _IngestLine(quiet=as_json) as ingest_line:

        def ingesting(file: str, index: int, count: int, stage: str) -> None:
            fetch_line.end()  # one live line at a time
            ingest_line(file, index, count, stage)

        update = update_from_acled(db, config=config, base_url=base_url, countries=country,
                                   full=full, wait=wait, fetching=fetch_line, ingesting=ingesting)
        ingest_line.done()
    emit(update.as_dict(), as_json, lambda: _show_summary(update.ingest))


@quarantine_app.command("list")
def quarantine_list(
    db: Optional[Path] = DbOption,
    file: Optional[str] = typer.Option(None, "--file", help="Only records from this file."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many records."),
    as_json: bool = JsonOption,
) -> None:
    """Show rejected records with file, row, field and reason."""
    records = quarantined(db, file, limit)

    def render() -> None:
        table = Table(title="quarantine")
        for name in ("file", "row", "field", "reason"):
            table.add_column(name)
        for record in records:
            table.add_row(record["file"], str(record["row"]), record["field"] or "", record["reason"])
        console.print(table if records else "the quarantine is empty")

    emit(records, as_json, render)


@app.command("actors")
def actors_command(
    db: Optional[Path] = DbOption,
    unmatched: bool = typer.Option(False, "--unmatched", help="Actor strings in the store the "
                                                            "registry does not know, with counts."),
    as_json: bool = JsonOption,
) -> None:
    """List the actor registry, or the stored actor names it could not match."""
    if unmatched:
        data = unmatched_actors(db)
        columns = ("actor", "events")
    else:
        data = [{"key": a.key, "side": a.side, "names": ", ".join(a.names_en + a.names_fr)}
                for a in ActorRegistry.load().actors]
        columns = ("key", "side", "names")

    def render() -> None:
        table = Table(title="unmatched actor names" if unmatched else "actor registry")
        for name in columns:
            table.add_column(name)
        for row in data:
            table.add_row(*(str(row[name]) for name in columns))
        console.print(table)

    emit(data, as_json, render)


@app.command("tag")
def tag_command(
    text: str = typer.Option(..., "--text", help="An event note, in English or French."),
    event_type: Optional[str] = typer.Option(None, "--event-type"),
    sub_event_type: Optional[str] = typer.Option(None, "--sub-event-type"),
    actor1: Optional[str] = typer.Option(None, "--actor1"),
    actor2: Optional[str] = typer.Option(None, "--actor2"),
    inter1: Optional[str] = typer.Option(None, "--inter1", help="ACLED inter code of actor1 (1, 2...) "
                                         "or its API label ('State forces')."),
    inter2: Optional[str] = typer.Option(None, "--inter2", help="ACLED inter code of actor2."),
    as_json: bool = JsonOption,
) -> None:
    """Tag one note as the ingest would: drone used? role, operator, platform.  Given the row's
    event type, actors and inter codes, the answer is the one ingest stores for that row."""
    tag = tag_text(text, event_type=event_type, sub_event_type=sub_event_type, actor1=actor1,
                   actor2=actor2, inter1=inter1, inter2=inter2)
    data = {"drone": tag.drone, "drone_role": tag.role, "drone_operator": tag.operator,
            "drone_platform": tag.platform}
    emit(data, as_json, lambda: console.print(
        Text("  ").join(Text.assemble(f"{key}: ", (str(value), "bold")) for key, value in data.items())))


@app.command("events")
def events_command(
    db: Optional[Path] = DbOption,
    country: list[str] = CountryOption,
    since: Optional[datetime] = SinceOption,
    until: Optional[datetime] = UntilOption,
    actor: Optional[str] = ActorOption,
    actor_as: str = ActorAsOption,
    drone: bool = typer.Option(False, "--drone", help="Only drone incidents."),
    fmt: str = typer.Option("csv", "--format", help="csv, parquet or json."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write here (default: stdout, not for "
                                                           "parquet)."),
    raw: bool = typer.Option(False, "--raw", help="CSV: write text as stored, without the single "
                             "quote put before a cell starting with = + - @ (a spreadsheet formula)."),
    as_json: bool = JsonOption,
) -> None:
    """Export the record, derived columns included."""
    if out is None and (fmt == "parquet" or as_json):
        raise typer.BadParameter("--out FILE is needed for parquet and with --json", param_hint="--out")
    where = _filter(country, since, until, actor, actor_as, drone)
    if out is None:  # through a scratch file: DuckDB would open /dev/stdout anew and truncate `>>`
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / f"events.{fmt}"
            count = export_events(db, where, path, fmt, raw=raw)
            with path.open("rb") as exported:
                shutil.copyfileobj(exported, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    else:
        count = export_events(db, where, out, fmt, raw=raw)
    emit({"events": count, "out": str(out) if out else None, "format": fmt}, as_json,
         lambda: out and console.print(f"wrote {count:,} events to {out}"))


@drones_app.command("trends")
def trends_command(
    db: Optional[Path] = DbOption,
    by: str = typer.Option("year", "--by", help=f"One of: {', '.join(GROUPINGS)}."),
    country: list[str] = CountryOption,
    since: Optional[datetime] = SinceOption,
    until: Optional[datetime] = UntilOption,
    actor: Optional[str] = ActorOption,
    actor_as: str = ActorAsOption,
    out: Path = typer.Option(Path("reports/drone-trends"), "--out", help="Folder for the charts."),
    charts: bool = typer.Option(True, "--charts/--no-charts", help="Write PNG and HTML charts."),
    as_json: bool = JsonOption,
) -> None:
    """Drone incidents by actor (the one that flew the drone), country, first-level region (--by
    admin1), role, platform, year or month, with charts over time by the same; `unclear` counts the
    air/drone strikes whose note does not say whether a drone flew."""
    where = _filter(country, since, until, actor, actor_as)
    if charts:  # the plotting libraries take a while to load: only for charts
        from sahelsim.report.trends_report import drone_trend_report
        report = drone_trend_report(db, by, where, out)
        table, written = report.table, report.files
    else:
        table, written = drone_trends(db, by, where), []
    data = {"by": by, "rows": records(table), "charts": [str(p) for p in written]}

    def render() -> None:
        _show_frame(table, f"drone incidents by {by}", by)
        if written:
            console.print(f"charts: {out}/ (open {out / 'drone-trends.html'})")

    emit(data, as_json, render)


def _show_frame(frame, title: str, key: str) -> None:
    shown = Table(title=title)
    for name in frame.columns:
        shown.add_column(name, justify="left" if name in (key, f"{key}_key") else "right")
    for row in records(frame):  # an empty share (no incident that period) reads n/a, not nan
        shown.add_row(*("n/a" if value is None else str(value) for value in row.values()))
    console.print(shown)


@app.command("demo")
def demo_command(
    db: Optional[Path] = DbOption,
    out: Path = typer.Option(Path("reports/drone-trends"), "--out", help="Folder for the report."),
    wait: float = WaitOption,
    as_json: bool = JsonOption,
) -> None:
    """The main job on the bundled record: ingest the documented incidents, write the trends report."""
    from sahelsim.report.trends_report import documented_incidents_report
    with _IngestLine(quiet=as_json) as line:
        done = documented_incidents_report(out, db, progress=line, wait=wait)
        line.done()
    data = {"ingest": done.ingest.as_dict(), "report": [str(p) for p in done.files],
            "by_year": records(done.by_year)}

    def render() -> None:
        _show_summary(done.ingest)
        _show_frame(done.by_year, "drone incidents by year", "year")
        console.print(f"report: {out / 'drone-trends.html'}")

    emit(data, as_json, render)


@store_app.command("compact")
def store_compact_command(db: Optional[Path] = DbOption, wait: float = WaitOption,
                          as_json: bool = JsonOption) -> None:
    """Rewrite the store without the space that updates and killed ingests left unused."""
    done = store.compact(db, wait=wait)
    emit({"before_bytes": done.before, "after_bytes": done.after}, as_json, lambda: console.print(
        f"store compacted from {done.before:,} to {done.after:,} bytes", highlight=False))

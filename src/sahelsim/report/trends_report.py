"""The drone-trends report: PNG charts for documents and one interactive, self-contained HTML page.

Matplotlib draws the PNGs (no browser needed); Plotly draws the page, with its JavaScript inlined so
the report opens offline, as analysts in the field often are. Both draw the same `Chart` data: every
period from the first to the last on the axis, so a year without incidents is a zero bar or a break
in a line, and each chart says so under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from plotly.io import to_html  # noqa: E402

from sahelsim.errors import UserError  # noqa: E402
from sahelsim.evidence.ingest import IngestSummary, Progress, ingest_documented_incidents  # noqa: E402
from sahelsim.evidence.record import EventFilter  # noqa: E402
from sahelsim.evidence.store import Source, reading  # noqa: E402
from sahelsim.evidence.trends import PERIODS, drone_trends, groups_per_year, monthly_by  # noqa: E402

UNCLEAR_LABEL = "air/drone strikes, drone or not unclear"


@dataclass(frozen=True)
class Chart:
    """One chart of the report: its file stem, title, data (one row per period, in order, every
    period present; one column per series), the y axis, how to draw it and what its gaps mean."""

    name: str
    title: str
    data: pd.DataFrame
    y: str
    kind: str = "bar"  # bar (series side by side) | stacked | line (breaks where a value is empty)
    note: str = ""


def trend_charts(con: duckdb.DuckDBPyConnection, where: EventFilter = EventFilter(),
                 by: str | None = None) -> list[Chart]:
    """The chart for `by` first (incidents by country over time for `--by country`; with no `by`, as
    in the demo, by actor and by role), then per year: incidents with the unclear air/drone strikes
    beside them, fatalities, the share of targeted strikes, armed groups flying drones."""
    yearly = drone_trends(con, "year", where)
    leads = [_by_chart(con, dimension, where) for dimension in ([by] if by else ["actor", "role"])
             if dimension != "year"]
    by_year = yearly.set_index("year")
    empty = _empty_periods(by_year)
    groups = groups_per_year(con, where).set_index("year").reindex(by_year.index, fill_value=0)
    return [
        *leads,
        _incidents_chart(yearly, "year"),
        Chart("fatalities", "Fatalities in drone incidents, per year", by_year[["fatalities"]],
              "fatalities", note=_gap_note(empty, "year", "shown as 0")),
        Chart("strike_share", "Share of drone incidents that were targeted strikes",
              by_year[["strike_share"]], "strike share", kind="line",
              note=_gap_note(empty, "year", "no share, a break in the line")),
        Chart("armed_groups", "Armed groups flying drones, per year", groups[["armed_groups"]],
              "armed groups", note=_gap_note(empty, "year", "shown as 0")),
    ]


def _by_chart(con: duckdb.DuckDBPyConnection, by: str, where: EventFilter) -> Chart:
    """Incidents over time, split by `by`; by month, the months themselves."""
    if by == "month":
        return _incidents_chart(drone_trends(con, "month", where), "month")
    data = monthly_by(con, by, where)
    return Chart(f"incidents_by_{by}", f"Drone incidents per month, by {by}", data, "incidents",
                 kind="stacked", note=_gap_note(_empty_periods(data.sum(axis=1).to_frame("incidents")),
                                                "month", "shown as 0"))


def _incidents_chart(frame: pd.DataFrame, unit: str) -> Chart:
    """Drone incidents per period, and beside them the air/drone strikes that may not have been drones."""
    data = frame.set_index(unit)[["incidents", "unclear"]].rename(
        columns={"incidents": "drone incidents", "unclear": UNCLEAR_LABEL})
    return Chart(f"incidents_by_{unit}", f"Drone incidents per {unit}, and air/drone strikes not known "
                 "to be drones", data, "events",
                 note=_gap_note(_empty_periods(frame.set_index(unit)), unit, "shown as 0"))


def _empty_periods(frame: pd.DataFrame) -> list[str]:
    """Periods with no drone incident (where the trends hold a row of zeros)."""
    return [str(period) for period in frame.index[frame["incidents"] == 0]] if not frame.empty else []


def _gap_note(empty: list[str], unit: str, shown: str) -> str:
    if not empty:
        return ""
    named = ", ".join(empty) if len(empty) <= 8 else f"{len(empty)} {unit}s"
    return f"No drone incidents in {named}: {shown}."


def report_folder(out: Path) -> None:
    """Make `out` if need be; a path that cannot hold the report is a user's mistake."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot make the report folder: {error.strerror}", file=str(out)) from None


def write_report(con: duckdb.DuckDBPyConnection, out: Path, where: EventFilter = EventFilter(),
                 by: str | None = None) -> list[Path]:
    """Write every chart as PNG plus `drone-trends.html`; returns the files written. A folder that
    cannot take them (read-only, or a folder where a chart's file goes) is the user's to fix."""
    report_folder(out)
    charts = trend_charts(con, where, by)
    table_by = by or "actor"
    try:
        written = [_png(chart, out / f"{chart.name}.png") for chart in charts]
        written.append(_html(charts, drone_trends(con, table_by, where), table_by,
                             out / "drone-trends.html"))
    except OSError as error:
        raise UserError(f"cannot write the report: {error.strerror}",
                        file=str(error.filename or out)) from None
    return written


@dataclass(frozen=True)
class TrendReport:
    """A trend table (`drone_trends`) and the report files written beside it (none when not asked)."""

    table: pd.DataFrame
    files: list[Path]


def drone_trend_report(source: Source = None, by: str = "year", where: EventFilter = EventFilter(),
                       out: Path | None = None) -> TrendReport:
    """The drone trends by `by` and, given `out`, the report written there, from one reading of the
    store (`source`: a connection or a store's path), so that table and charts tell the same story."""
    with reading(source) as con:
        table = drone_trends(con, by, where)
        return TrendReport(table, write_report(con, out, where, by) if out is not None else [])


@dataclass(frozen=True)
class DocumentedIncidentsReport:
    """What `documented_incidents_report` did: its ingest, the report files, the yearly trends."""

    ingest: IngestSummary
    files: list[Path]
    by_year: pd.DataFrame


def documented_incidents_report(out: Path, db: Path | None = None, *, progress: Progress | None = None,
                                wait: float = 0) -> DocumentedIncidentsReport:
    """The main job on the bundled record: ingest the documented incidents into the store at `db`,
    then write the trends report to `out`. The folder is checked first, so that a report that
    cannot be written leaves the store as it was."""
    report_folder(out)
    summary = ingest_documented_incidents(db, progress=progress, wait=wait)
    with reading(db) as con:
        return DocumentedIncidentsReport(summary, write_report(con, out), drone_trends(con, "year"))


def _png(chart: Chart, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(9, 4.8), dpi=110)
    data = chart.data
    if data.empty:
        axes.text(0.5, 0.5, "no drone incidents match", ha="center", va="center")
    elif chart.kind == "line":
        for name in data.columns:  # NaN breaks the line: an empty period is not bridged
            axes.plot(data.index.astype(str), data[name].astype(float), marker="o", label=name)
    else:
        data.plot(kind="bar", stacked=chart.kind == "stacked", ax=axes, width=0.85,
                  legend=len(data.columns) > 1)
        if len(data.columns) > 1:
            axes.legend(fontsize=8, ncols=2)
    if not data.empty:
        step = -(-len(data) // 24)  # at most 24 period labels; every period keeps its place
        axes.set_xticks(range(0, len(data), step), [str(period) for period in data.index[::step]])
    axes.yaxis.set_major_locator(MaxNLocator(integer=chart.kind != "line"))
    axes.set_title(chart.title, fontsize=11)
    axes.set_xlabel("")
    axes.set_ylabel(chart.y)
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    if chart.note:
        figure.text(0.01, 0.01, chart.note, fontsize=8, style="italic")
    figure.tight_layout(rect=(0, 0.04 if chart.note else 0, 1, 1))
    figure.savefig(path)
    plt.close(figure)
    return path


def _figure(chart: Chart) -> go.Figure:
    """Plain lists, not arrays, so the page's data reads as numbers (and empty values as null)."""
    x = [str(period) for period in chart.data.index]
    traces = []
    for name in chart.data.columns:
        y = [None if pd.isna(value) else value for value in chart.data[name].tolist()]
        traces.append(go.Scatter(x=x, y=y, name=str(name), mode="lines+markers", connectgaps=False)
                      if chart.kind == "line" else go.Bar(x=x, y=y, name=str(name)))
    figure = go.Figure(traces)
    # periods are labels, every one shown in order ("2,023.5" and skipped months would mislead)
    figure.update_layout(title=chart.title, barmode="stack" if chart.kind == "stacked" else "group",
                         yaxis_title=chart.y, showlegend=len(chart.data.columns) > 1)
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=x)
    return figure


def _html(charts: list[Chart], table: pd.DataFrame, by: str, path: Path) -> Path:
    parts = []
    for index, chart in enumerate(charts):
        parts.append(to_html(_figure(chart), full_html=False, include_plotlyjs=(index == 0)))
        if chart.note:
            parts.append(f'<p class="note">{chart.note}</p>')
    shown = table.drop(columns=["actor_key"], errors="ignore")
    rows = shown.to_html(index=False, border=0, classes="trends", na_rep="n/a")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>sahelsim: drone trends</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}} .note{{font-style:italic;color:#555}}
table.trends{{border-collapse:collapse}} .trends td,.trends th{{padding:4px 10px;border-bottom:1px solid #ddd}}</style>
</head><body><h1>Drone use in the documented record</h1>
<p>Events tagged as drone incidents in the sahelsim store. Counts are of documented events, not of
drones; one incident may involve several drones. Beside them, <em>unclear</em> counts the events coded
"Air/drone strike" whose note names neither a drone nor a manned aircraft: they may have been either.
An actor is the one that flew the drone.</p>
{''.join(parts)}
<h2>By {by}</h2>{rows}
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path

"""The drone-trends report: PNG charts for documents and one interactive, self-contained HTML page.

Matplotlib draws the PNGs (no browser needed); Plotly draws the page, with its JavaScript inlined so
the report opens offline, as analysts in the field often are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import plotly.express as px  # noqa: E402
from plotly.io import to_html  # noqa: E402

from sahelsim.errors import UserError  # noqa: E402
from sahelsim.evidence.record import EventFilter  # noqa: E402
from sahelsim.evidence.trends import drone_trends, groups_per_year, monthly_by  # noqa: E402


@dataclass(frozen=True)
class Chart:
    """One chart of the report: its file stem, title, data and how to plot it."""

    name: str
    title: str
    data: pd.DataFrame
    x: str
    y: str
    color: str | None = None
    kind: str = "bar"  # bar | line


def trend_charts(con: duckdb.DuckDBPyConnection, where: EventFilter = EventFilter()) -> list[Chart]:
    """The charts the issue asks for: incidents by actor and by role over time, fatalities, the share
    of targeted attacks, and how many armed groups use drones each year."""
    yearly = drone_trends(con, "year", where)
    return [
        Chart("incidents_by_actor", "Drone incidents per month, by actor",
              monthly_by(con, "actor", where), "month", "incidents", "actor"),
        Chart("incidents_by_role", "Drone incidents per month, by role",
              monthly_by(con, "role", where), "month", "incidents", "role"),
        Chart("fatalities", "Fatalities in drone incidents, per year", yearly, "year", "fatalities"),
        Chart("strike_share", "Share of drone incidents that were targeted strikes", yearly, "year",
              "strike_share", kind="line"),
        Chart("armed_groups", "Armed groups using drones, per year", groups_per_year(con, where),
              "year", "armed_groups"),
    ]


def report_folder(out: Path) -> None:
    """Make `out` if need be; a path that cannot hold the report is a user's mistake."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot make the report folder: {error.strerror}", file=str(out)) from None


def write_report(con: duckdb.DuckDBPyConnection, out: Path, where: EventFilter = EventFilter()) -> list[Path]:
    """Write every chart as PNG plus `drone-trends.html`; returns the files written."""
    report_folder(out)
    charts = trend_charts(con, where)
    written = [_png(chart, out / f"{chart.name}.png") for chart in charts]
    written.append(_html(charts, drone_trends(con, "actor", where), out / "drone-trends.html"))
    return written


def _png(chart: Chart, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=110)
    data = chart.data
    if data.empty:
        axes.text(0.5, 0.5, "no drone incidents match", ha="center", va="center")
    elif chart.color:
        table = data.pivot_table(index=chart.x, columns=chart.color, values=chart.y, aggfunc="sum",
                                 fill_value=0)
        table.index = [_label(value) for value in table.index]
        table.plot(kind="bar", stacked=True, ax=axes, width=0.85)
        axes.legend(fontsize=8, ncols=2)
    elif chart.kind == "line":
        axes.plot(data[chart.x].astype(str), data[chart.y], marker="o")
    else:
        axes.bar(data[chart.x].astype(str), data[chart.y])
    axes.yaxis.set_major_locator(MaxNLocator(integer=chart.kind == "bar"))
    axes.set_title(chart.title)
    axes.set_ylabel(chart.y.replace("_", " "))
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def _html(charts: list[Chart], by_actor: pd.DataFrame, path: Path) -> Path:
    parts = []
    for index, chart in enumerate(charts):
        draw = px.line if chart.kind == "line" else px.bar
        figure = draw(chart.data, x=chart.x, y=chart.y, color=chart.color, title=chart.title,
                      **({"markers": True} if chart.kind == "line" else {}))
        if chart.x == "year":  # whole years are labels, not a continuous scale ("2,023.5")
            figure.update_xaxes(type="category")
        parts.append(to_html(figure, full_html=False, include_plotlyjs=(index == 0)))
    table = by_actor.to_html(index=False, border=0, classes="trends")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>sahelsim: drone trends</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}}
table.trends{{border-collapse:collapse}} .trends td,.trends th{{padding:4px 10px;border-bottom:1px solid #ddd}}</style>
</head><body><h1>Drone use in the documented record</h1>
<p>Events tagged as drone incidents in the sahelsim store. Counts are of documented events, not of
drones; one incident may involve several drones.</p>
{''.join(parts)}
<h2>By actor</h2>{table}
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


def _label(value: object) -> str:
    return value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)

"""The sensitivity screen as a chart: one panel per measure, figures ranked by importance.

People read a ranked bar chart faster than a table of indices; the bars carry their confidence
intervals so that a figure whose effect is within the noise is seen to be so.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sahelsim.analysis.sensitivity import Sensitivity

SHOWN = 10  # figures per panel: the rest barely matter in any screen worth reading


def figure(result: Sensitivity) -> go.Figure:
    """Horizontal bars: Morris μ* (with its 95% interval), or Sobol ST and S1 (with theirs)."""
    measures = [m for m in result.measures if m in result.indices]
    chart = make_subplots(rows=len(measures), cols=1, subplot_titles=measures,
                          vertical_spacing=0.25 / max(len(measures), 1))
    for row, measure in enumerate(measures, start=1):
        ranked = result.indices[measure][:SHOWN][::-1]
        names = [i.figure for i in ranked]
        if result.method == "morris":
            chart.add_bar(x=[i.mu_star for i in ranked], y=names, orientation="h", name="μ*",
                          error_x={"array": [i.mu_star_conf for i in ranked]}, marker_color="#1f77b4",
                          showlegend=row == 1, row=row, col=1)
        else:
            for key, conf, colour in (("st", "st_conf", "#1f77b4"), ("s1", "s1_conf", "#ff7f0e")):
                chart.add_bar(x=[getattr(i, key) for i in ranked], y=names, orientation="h",
                              name=key.upper(), marker_color=colour, showlegend=row == 1,
                              error_x={"array": [getattr(i, conf) for i in ranked]}, row=row, col=1)
    chart.update_layout(title=f"{result.scenario}: {result.method} sensitivity, {result.points:,} points × "
                              f"{result.replications} replications", barmode="group",
                        height=260 * max(len(measures), 1) + 80, margin={"l": 260})
    return chart


def write_chart(result: Sensitivity, path: Path) -> Path:
    """A self-contained HTML page of the chart (plotly inlined: it opens offline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure(result).write_html(path, include_plotlyjs=True, full_html=True)
    return path

"""The mission's page: one self-contained HTML file, opened offline, with its sources.

Each section answers one question in a table and, where a picture reads faster, a Plotly chart
(its JavaScript inlined once, so the page needs no network). Everything a user typed or a source
wrote is escaped: notes and titles are data, not markup.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.io import to_html

from sahelsim.report.mission import Mission
from sahelsim.sim.measures import MEASURES

SHOWN = ("defender_losses", "defender_killed", "assets_destroyed", "value_lost_usd")


class Page:
    """Sections in order; the first chart carries Plotly's script, the others reuse it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.charts = 0

    def section(self, title: str, text: str) -> None:
        self.parts.append(f"<h2>{escape(title)}</h2><p>{escape(text)}</p>")

    def note(self, text: str) -> None:
        self.parts.append(f'<p class="note">{escape(text)}</p>')

    def table(self, frame: pd.DataFrame) -> None:
        self.parts.append(frame.to_html(index=False, border=0, classes="data", na_rep="n/a",
                                        float_format=lambda v: f"{v:,.3g}"))

    def chart(self, figure: go.Figure) -> None:
        self.parts.append(to_html(figure, full_html=False, include_plotlyjs=self.charts == 0))
        self.charts += 1

    def html(self, title: str, lead: str) -> str:
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}} .note{{font-style:italic;color:#555}}
table.data{{border-collapse:collapse;margin:0.5rem 0 1rem}} .data td,.data th{{padding:3px 9px;border-bottom:1px solid #ddd;text-align:right}}
.data td:first-child,.data th:first-child{{text-align:left}} li{{margin:0.2rem 0}}</style></head>
<body><h1>{escape(title)}</h1><p>{escape(lead)}</p>{''.join(self.parts)}</body></html>"""


def write_page(mission: Mission, path: Path) -> Path:
    page = Page()
    _record(page, mission)
    _rates(page, mission)
    _calibration(page, mission)
    _validation(page, mission)
    _defences(page, mission)
    _sources(page, mission)
    effort = mission.effort
    lead = (f"A demonstration of the whole chain on the record bundled with sahelsim, at modest sample "
            f"sizes: {effort.runs:,} paired replications per comparison, a {effort.calibration_budget:,}-"
            f"simulation refit of {effort.fitted}, seed {effort.seed}. Larger samples narrow every "
            f"interval; none of the conclusions below should rest on a figure whose interval is wide.")
    path.write_text(page.html("sahelsim: from the documented record to defensive decisions", lead), "utf-8")
    return path


def _record(page: Page, mission: Mission) -> None:
    page.section("1. The record", f"{mission.ingest.read} documented drone incidents ingested "
                 f"({mission.ingest.inserted} new, {mission.ingest.unchanged} already stored). The full "
                 "trends report, with its charts, is in drone-trends/drone-trends.html beside this page.")
    page.table(mission.record.by_year)


def _rates(page: Page, mission: Mission) -> None:
    rates = mission.rates
    page.section("2. Rates from the record", f"Drone incidents per month by actor and country, fitted "
                 f"to {rates.incidents} incidents (negative binomial with a trend where the data allow; "
                 "90% intervals). Campaigns draw attacks from rates like these.")
    frame = rates.to_frame()
    page.table(frame[[c for c in ("actor", "country", "n", "method", "rate", "rate_low", "rate_high")
                      if c in frame.columns]])


def _calibration(page: Page, mission: Mission) -> None:
    fit = mission.fit
    page.section("3. Calibration", f"{fit.scenario} refitted to the documented outcomes of "
                 f"{len(fit.observations.incidents)} incidents by ABC-SMC ({fit.simulations:,} simulations, "
                 f"{fit.posterior.effective_size:.0f} effective draws). Each bar is a figure's declared range "
                 "(the prior), scaled to 0–1; the dark segment its posterior 90% interval, the dot its median.")
    data = fit.to_dict()["figures"]
    rows = []
    for path, figure in data.items():
        low, high = figure["prior"]
        width = (high - low) or 1.0
        rows.append((path, low, high, figure["median"], *figure["interval90"],
                     (figure["median"] - low) / width,
                     [(v - low) / width for v in figure["interval90"]]))
    frame = pd.DataFrame(rows, columns=["figure", "prior_low", "prior_high", "median", "low90", "high90",
                                        "median_scaled", "interval_scaled"])
    figure = go.Figure()
    for row in frame.itertuples():
        figure.add_trace(go.Scatter(x=[0, 1], y=[row.figure] * 2, mode="lines", showlegend=False,
                                    line={"color": "#ccc", "width": 8}))
        figure.add_trace(go.Scatter(x=row.interval_scaled, y=[row.figure] * 2, mode="lines",
                                    showlegend=False, line={"color": "#1f4e79", "width": 8}))
    figure.add_trace(go.Scatter(x=frame.median_scaled, y=frame.figure, mode="markers", name="median",
                                marker={"color": "#d62728", "size": 9}))
    figure.update_layout(title=f"What the record says about {fit.scenario}'s figures",
                         xaxis_title="position in the declared range", height=120 + 28 * len(frame),
                         margin={"l": 300})
    page.chart(figure)
    page.table(frame.drop(columns=["median_scaled", "interval_scaled"]))


def _validation(page: Page, mission: Mission) -> None:
    validation = mission.validation
    coverage = validation.coverage
    held = "" if coverage is None else (
        f" Left out of the fit one incident at a time, {coverage:.0%} of {len(validation.held_out)} "
        "outcomes still fall inside (a 90% interval should hold about 80–95%; more means the intervals "
        "are wide, because the record constrains the figures little; the randomised PIT check, "
        f"exactly 90% for a calibrated model, gives {validation.pit_coverage:.0%}).")
    page.section("4. Validation", f"{validation.inside_share:.0%} of the documented outcomes fall inside "
                 f"their calibrated scenario's 90% predictive interval." + held)
    rows = [(s.name, c.incident, c.metric, c.reported, _interval(c.interval90), "yes" if c.inside else "no")
            for s in validation.scenarios for c in s.outcomes]
    page.table(pd.DataFrame(rows, columns=["scenario", "incident", "metric", "reported", "90% interval",
                                           "inside"]))


def _interval(bounds: tuple[float, float]) -> str:
    return "[" + ", ".join("∞" if math.isinf(b) else f"{b:g}" for b in bounds) + "]"


def _defences(page: Page, mission: Mission) -> None:
    page.section("5. Baseline against improved defences", "Each documented scenario's baseline defence "
                 "against its improved variant, on the same replications (common random numbers): the "
                 "difference and its 95% interval. Negative is better for the defender.")
    rows = []
    for c in mission.comparisons:
        metrics = {**c.result.metrics, "overrun": c.result.outcome_classes.get("assault_outcome", {})
                   .get("overrun")}
        for name in ("overrun", *SHOWN):
            m = metrics.get(name)
            if m is None:
                continue
            low, high = m["ci95"] or (None, None)
            rows.append((c.scenario.name, c.variant, MEASURES[name].label, m["first"], m["second"],
                         m["difference"], low, high))
    frame = pd.DataFrame(rows, columns=["scenario", "variant", "measure", "baseline", "variant value",
                                        "difference", "ci95_low", "ci95_high"])
    losses = frame[frame.measure == MEASURES["defender_losses"].label]
    figure = go.Figure(go.Bar(
        x=(losses.scenario + "@" + losses.variant).tolist(), y=losses.difference.tolist(),
        error_y={"type": "data", "symmetric": False,
                 "array": (losses.ci95_high - losses.difference).tolist(),
                 "arrayminus": (losses.difference - losses.ci95_low).tolist()}))
    figure.update_layout(title="Change in defenders lost per attack, improved minus baseline",
                         yaxis_title="defenders lost (killed and wounded)")
    page.chart(figure)
    page.table(frame)


def _sources(page: Page, mission: Mission) -> None:
    page.section("Sources", "The incidents each scenario stands for, and the public reporting of every "
                 "documented outcome used above.")
    items = [f"<li><b>{escape(s.name)}</b>: " + "; ".join(escape(i) for i in s.sources.incidents) + "</li>"
             for s in mission.scenarios if s.sources.incidents]
    seen: set[tuple] = set()
    for o in mission.outcomes:
        key = (o.source_publisher, o.source_date, o.source_title)
        if key not in seen:
            seen.add(key)
            items.append(f"<li>{escape(o.incident)}: {escape(o.source_publisher)}"
                         + (f", {escape(o.source_date)}" if o.source_date else "")
                         + (f", “{escape(o.source_title)}”" if o.source_title else "") + "</li>")
    page.parts.append("<ul>" + "".join(items) + "</ul>")

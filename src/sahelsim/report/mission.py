"""The whole mission on the bundled record, in one pass and one page.

A planner's question runs through every part of sahelsim: what the record documents, how often it
happens, what the simulator was fitted to and how well it reproduces the record, which defence
does better, what matters most, and what to buy. `mission` runs that chain end to end, at sample
sizes modest enough for a laptop (stated in the page, so no reader mistakes a demonstration for a
study), and `mission_page.py` writes it as one self-contained HTML page with its sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sahelsim.analysis.calibration import Calibration, calibrate
from sahelsim.analysis.outcomes import Outcome, load_outcomes
from sahelsim.analysis.rates import RatesResult, fit_rates
from sahelsim.analysis.validation import Validation, validate
from sahelsim.evidence.ingest import IngestSummary
from sahelsim.evidence.store import reading
from sahelsim.report.trends_report import DocumentedIncidentsReport, documented_incidents_report, report_folder
from sahelsim.runtime.executors import Executor
from sahelsim.sim.engine import CompareResult, compare
from sahelsim.sim.scenario import BASELINE, Scenario, list_library, load_scenario

Step = Callable[[str], None]  # told the name of each step as it starts


@dataclass(frozen=True)
class Effort:
    """The sample sizes of a mission: modest by default, so the chain runs in minutes on two cores."""

    runs: int = 20_000  # replications per defence comparison
    calibration_budget: int = 5_000  # simulations of the demonstration fit
    leave_one_out: bool = True
    seed: int = 0
    fitted: str = "post-drone-assault"  # the scenario refitted, and screened and optimised below


@dataclass(frozen=True)
class Comparison:
    """A library scenario's baseline against one of its variants, on common random numbers."""

    scenario: Scenario
    variant: str
    result: CompareResult


@dataclass
class Mission:
    """Everything the page shows, each part as the library returned it."""

    effort: Effort
    record: DocumentedIncidentsReport
    rates: RatesResult
    fit: Calibration
    validation: Validation
    comparisons: list[Comparison]
    outcomes: list[Outcome]
    scenarios: list[Scenario] = field(default_factory=list)
    page: Path | None = None

    @property
    def ingest(self) -> IngestSummary:
        return self.record.ingest


def run_mission(out: Path, db: Path | None = None, *, effort: Effort = Effort(),
                executor: Executor | None = None, step: Step | None = None) -> Mission:
    """Ingest the bundled record into `db`, fit and check the simulator, compare the documented
    scenarios' defences, and write the page `out/index.html` (and the trends report beside it)."""
    from sahelsim.report.mission_page import write_page

    tell = step or (lambda _: None)
    report_folder(out)  # a folder that cannot be written is refused before any work
    tell("ingesting the documented incidents")
    record = documented_incidents_report(out / "drone-trends", db)
    tell("fitting the record's rates")
    with reading(db) as con:
        rates = fit_rates(con)
    tell(f"calibrating {effort.fitted} ({effort.calibration_budget:,} simulations)")
    fit = calibrate(effort.fitted, budget=effort.calibration_budget, seed=effort.seed, executor=executor)
    tell("validating the library against the documented outcomes")
    validation = validate(seed=effort.seed, leave_one_out=effort.leave_one_out, executor=executor)
    scenarios = [load_scenario(name) for name in list_library()]
    comparisons = []
    for scenario in scenarios:
        for variant in (v for v in scenario.variants if v != BASELINE):
            tell(f"comparing {scenario.name}: baseline against {variant}")
            better = load_scenario(f"{scenario.name}@{variant}")
            comparisons.append(Comparison(scenario, variant, compare(
                scenario, better, runs=effort.runs, seed=effort.seed, executor=executor)))
    mission = Mission(effort, record, rates, fit, validation, comparisons, load_outcomes(), scenarios)
    tell("writing the page")
    mission.page = write_page(mission, out / "index.html")
    return mission

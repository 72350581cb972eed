"""Validation: does each scenario, as calibrated, reproduce what was documented?

Two checks per documented outcome. In-sample: the outcome against the 90% predictive interval of
the scenario's baseline, its fitted figures drawn from their posterior and the rest from their
ranges (an `--uncertain` run: the distribution of a new incident of the kind). Out of sample:
leave the incident out, fit the scenario on the others, and ask the same of the held-out outcome;
over all incidents, the share inside is the predictive coverage, which should lie near 90% (between
80% and 95%). An outcome is inside when the interval the report allows ("at least 100": [100, ∞))
meets the predictive interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sahelsim.analysis.calibration import (Observations, calibrate, declared_text, metric_values,
                                           observations)
from sahelsim.analysis.outcomes import Outcome, load_outcomes
from sahelsim.errors import UserError
from sahelsim.runtime.executors import Executor
from sahelsim.sim.engine import run
from sahelsim.sim.scenario import Scenario, list_library, load_scenario, parse_scenario, scenario_file

PREDICTIVE_RUNS = 4000  # replications behind each predictive interval
LOO_BUDGET = 3000  # simulations of each leave-one-out fit
LOO_PARTICLES = 200
LEVEL = 0.9
PIT_KEY = 0x917  # the randomised PIT's own stream, apart from the simulations'
COVERAGE_AIM = (0.80, 0.95)


@dataclass(frozen=True)
class Check:
    """One documented outcome against a predictive interval."""

    incident: str
    metric: str
    reported: str
    bounds: tuple[float, float]  # what the report allows
    interval90: tuple[float, float]
    inside: bool
    pit: float  # randomised probability integral transform of the report (`randomised_pit`)

    @property
    def pit_inside(self) -> bool:
        return (1 - LEVEL) / 2 <= self.pit <= (1 + LEVEL) / 2

    def to_dict(self) -> dict:
        return {"incident": self.incident, "metric": self.metric, "reported": self.reported,
                "interval90": list(self.interval90), "inside": self.inside, "pit": self.pit}


@dataclass(frozen=True)
class ScenarioValidation:
    name: str
    calibrated: bool
    outcomes: list[Check]
    held_out: list[Check] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "calibrated": self.calibrated,
                "outcomes": [c.to_dict() for c in self.outcomes],
                "held_out": [c.to_dict() for c in self.held_out]}


@dataclass(frozen=True)
class Validation:
    scenarios: list[ScenarioValidation]

    @property
    def held_out(self) -> list[Check]:
        return [check for s in self.scenarios for check in s.held_out]

    @property
    def coverage(self) -> float | None:
        """Leave-one-incident-out coverage of the 90% predictive intervals, over all outcomes."""
        checks = self.held_out
        return None if not checks else sum(c.inside for c in checks) / len(checks)

    @property
    def pit_coverage(self) -> float | None:
        """The same, judged by each held-out report's randomised PIT: exactly 90% in expectation
        for a calibrated model, where the interval check over-covers counts and yes/no outcomes."""
        checks = self.held_out
        return None if not checks else sum(c.pit_inside for c in checks) / len(checks)

    @property
    def inside_share(self) -> float:
        checks = [check for s in self.scenarios for check in s.outcomes]
        return sum(c.inside for c in checks) / len(checks) if checks else float("nan")

    def to_dict(self) -> dict:
        return {"scenarios": [s.to_dict() for s in self.scenarios], "coverage": self.coverage,
                "coverage_aim": list(COVERAGE_AIM), "pit_coverage": self.pit_coverage,
                "inside_share": self.inside_share,
                "level": LEVEL, "predictive_runs": PREDICTIVE_RUNS}


def predictive_checks(scenario: Scenario, rows: list[Outcome], seed: int = 0,
                      runs: int = PREDICTIVE_RUNS) -> list[Check]:
    """Each outcome in `rows` against the scenario's 90% predictive interval for its metric."""
    table = run(scenario, runs, seed, uncertain=True).table
    columns = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
    checks = []
    for index, row in enumerate(rows):
        values = metric_values(columns, row.metric)
        low, high = (float(q) for q in np.quantile(values, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]))
        bounds = row.bounds()
        v = np.random.default_rng([seed, index, PIT_KEY]).uniform()
        checks.append(Check(row.incident, row.metric, row.reported, bounds, (low, high),
                            bounds[0] <= high and low <= bounds[1], randomised_pit(values, bounds, v)))
    return checks


def randomised_pit(values: np.ndarray, bounds: tuple[float, float], v: float) -> float:
    """Where a report falls in the predictive distribution of `values`, as one number in [0, 1].

    For a count, a yes/no or a censored report ("at least 100") the predictive distribution
    function jumps, and a central interval covers more than its level: whenever a post falls with a
    chance between 5% and 95%, both outcomes lie inside the 90% interval. The randomised PIT draws
    the report's position uniformly between F just below its low bound and F at its high bound;
    under a calibrated model it is uniform on [0, 1] (Czado, Gneiting and Held 2009), so the share
    of held-out reports between 0.05 and 0.95 is 90% in expectation, exactly."""
    below = float(np.mean(values < bounds[0]))
    at_most = float(np.mean(values <= bounds[1]))
    return below + v * (at_most - below)


def _fitted_without(name: str, scenario: Scenario, seen: Observations, incident: str, seed: int,
                    outcomes: list[Outcome], executor: Executor | None) -> Scenario:
    """The scenario fitted to every incident but `incident`; with none left, its prior."""
    rest = [o for o in outcomes if not (o.scenario == scenario.name and o.incident == incident)]
    if not any(o.scenario == scenario.name and o.incident != incident for o in seen.rows):
        return _prior_of(name)
    fit = calibrate(name, budget=LOO_BUDGET, particles=LOO_PARTICLES, seed=seed, outcomes=rest,
                    executor=executor)
    return parse_scenario(declared_text(name) + "\n" + fit.to_toml(), file=str(fit.file))


def _prior_of(name: str) -> Scenario:
    """The scenario as its file declares it, without any calibration."""
    return parse_scenario(declared_text(name), file=str(scenario_file(name)))


def validate_scenario(name: str, *, seed: int = 0, leave_one_out: bool = True,
                      outcomes: list[Outcome] | None = None, executor: Executor | None = None,
                      progress: Callable[[str], None] | None = None) -> ScenarioValidation:
    """A library scenario (or file) against its documented outcomes, in and out of sample."""
    outcomes = load_outcomes() if outcomes is None else outcomes
    scenario = load_scenario(name)
    try:
        seen = observations(scenario, outcomes)
    except UserError:  # nothing documented to compare with
        return ScenarioValidation(scenario.name, scenario.calibration is not None, [])
    checks = predictive_checks(scenario, list(seen.rows), seed)
    held_out = []
    if leave_one_out:
        for incident in seen.incidents:
            if progress is not None:
                progress(f"{scenario.name}: leaving out {incident}")
            fitted = _fitted_without(name, scenario, seen, incident, seed, outcomes, executor)
            held_out += predictive_checks(fitted, [o for o in seen.rows if o.incident == incident], seed)
    return ScenarioValidation(scenario.name, scenario.calibration is not None, checks, held_out)


def validate(names: list[str] | None = None, *, seed: int = 0, leave_one_out: bool = True,
             executor: Executor | None = None,
             progress: Callable[[str], None] | None = None) -> Validation:
    """Every named scenario (default: the whole library) against the record."""
    outcomes = load_outcomes()
    return Validation([validate_scenario(name, seed=seed, leave_one_out=leave_one_out, outcomes=outcomes,
                                         executor=executor, progress=progress)
                       for name in (names or list_library())])

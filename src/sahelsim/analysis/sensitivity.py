"""Which uncertainties matter: global sensitivity of a scenario's measures to its uncertain figures.

A planner cannot pin down every figure; a screen says which ones move the answer, so that effort
(intelligence, calibration, a better source) goes where it pays. Two methods, both from SALib:
Morris elementary effects (μ*, the mean size of a figure's effect across the space, and σ, how
much that effect depends on the other figures: interactions or curvature) for a cheap screen of
many figures; Sobol indices (first-order S1, the share of the measure's variance a figure explains
alone, and total ST, with its interactions) with bootstrap intervals for the figures that survive.

Every point is simulated with `replications` replications on common random numbers (`sweep.py`),
so the remaining Monte Carlo noise is shared by all points and largely cancels in the effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sahelsim.analysis.sweep import Factor, Progress, Sweep, factors, sweep
from sahelsim.errors import UserError
from sahelsim.runtime.executors import Executor
from sahelsim.sim.measures import Measure, measures as named_measures
from sahelsim.sim.scenario import Scenario, load_scenario

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
DEFAULT_MEASURES = ("defender_losses", "overrun", "assets_destroyed", "value_lost_usd", "cost_exchange")
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Index:
    """One figure's sensitivity indices for one measure (Morris or Sobol: the other's are None)."""

    figure: str
    measure: str
    mu: float | None = None  # Morris's signed mean effect: which way the figure pushes the measure
    mu_star: float | None = None
    mu_star_conf: float | None = None
    sigma: float | None = None
    s1: float | None = None
    s1_conf: float | None = None
    st: float | None = None
    st_conf: float | None = None

    @property
    def importance(self) -> float:
        """What the ranking sorts by: μ* (Morris) or the total index ST (Sobol)."""
        value = self.mu_star if self.st is None else self.st
        return -np.inf if value is None or not np.isfinite(value) else float(value)


@dataclass(frozen=True)
class Sensitivity:
    """A screen's indices, per measure, ranked; and what it ran."""

    scenario: str
    method: str
    factors: tuple[Factor, ...]
    measures: tuple[str, ...]
    indices: dict[str, list[Index]]  # measure -> indices, most important first
    points: int
    replications: int
    seed: int
    skipped: dict[str, str] = field(default_factory=dict)  # measure -> why no indices

    @property
    def simulations(self) -> int:
        return self.points * self.replications

    def finding(self, measure: str) -> str:
        """One sentence on what matters for `measure`."""
        if measure in self.skipped:
            return f"{measure}: {self.skipped[measure]}"
        ranked = self.indices[measure]
        top = ranked[0].importance
        if top <= 0:
            return f"{measure}: no figure moves it over these ranges."
        leaders = [i for i in ranked if i.importance >= 0.25 * top][:3]
        quiet = sum(1 for i in ranked if i.importance < 0.05 * top)
        name = "ST" if self.method == "sobol" else "μ*"
        said = ", ".join(f"{i.figure} ({name} {i.importance:.3g})" for i in leaders)
        return (f"{measure} depends mostly on {said}; {quiet} of {len(ranked)} figures barely move it "
                f"(under 5% of the leader).")

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "method": self.method, "points": self.points,
                "replications": self.replications, "simulations": self.simulations, "seed": self.seed,
                "factors": [{"figure": f.path, "low": f.low, "high": f.high, "fitted": f.fitted}
                            for f in self.factors],
                "measures": {m: {"finding": self.finding(m),
                                 "indices": [_plain(i) for i in self.indices.get(m, [])]}
                             for m in self.measures}}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{**_plain(i)} for rows in self.indices.values() for i in rows])


def _plain(index: Index) -> dict:
    values = {k: getattr(index, k) for k in ("figure", "measure", "mu", "mu_star", "mu_star_conf", "sigma",
                                              "s1", "s1_conf", "st", "st_conf")}
    return {k: v for k, v in values.items() if v is not None}


def _problem(chosen: list[Factor]) -> dict:
    return {"num_vars": len(chosen), "names": [f.path for f in chosen],
            "bounds": [[f.low, f.high] for f in chosen]}


def design(method: str, chosen: list[Factor], samples: int, seed: int) -> np.ndarray:
    """SALib's points: `samples` Morris trajectories (k + 1 points each) or a Sobol base sample of
    `samples` (a power of two; (k + 2) points each, first and total order)."""
    problem = _problem(chosen)
    if method == "morris":
        return morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
    return sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)


def _indices(method: str, chosen: list[Factor], points: np.ndarray, values: np.ndarray, measure: str,
             seed: int) -> list[Index]:
    problem = _problem(chosen)
    if method == "morris":
        result = morris_analyze.analyze(problem, points, values, conf_level=CONFIDENCE,
                                        num_levels=MORRIS_LEVELS, seed=seed)
        rows = [Index(f.path, measure, mu=float(result["mu"][j]), mu_star=float(result["mu_star"][j]),
                      mu_star_conf=float(result["mu_star_conf"][j]), sigma=float(result["sigma"][j]))
                for j, f in enumerate(chosen)]
    else:
        result = sobol_analyze.analyze(problem, values, calc_second_order=False, conf_level=CONFIDENCE,
                                       seed=seed)
        rows = [Index(f.path, measure, s1=float(result["S1"][j]), s1_conf=float(result["S1_conf"][j]),
                      st=float(result["ST"][j]), st_conf=float(result["ST_conf"][j]))
                for j, f in enumerate(chosen)]
    return sorted(rows, key=lambda i: -i.importance)


def _why_not(values: np.ndarray) -> str | None:
    """Why a measure has no indices: undefined at some point, or the same everywhere."""
    if not np.all(np.isfinite(values)):
        return "undefined at some points (a ratio whose divisor is zero: the attackers spent nothing)"
    if np.ptp(values) == 0:
        return "the same at every point: no figure moves it over these ranges"
    return None


def sensitivity(name_or_scenario: str | Scenario, *, method: str = "morris", samples: int | None = None,
            measure_names: tuple[str, ...] = DEFAULT_MEASURES, figures: list[str] | None = None,
            levers: bool = False, replications: int = 200, seed: int = 0,
            executor: Executor | None = None, progress: Progress | None = None) -> Sensitivity:
    """Screen a scenario's uncertain figures (declared ranges, or 90% posterior intervals where
    fitted; with `levers`, the defence's ranged figures too) for their effect on each measure."""
    if method not in METHODS:
        raise UserError(f"unknown method {method!r}; choose from: {', '.join(METHODS)}", field="method")
    scenario = name_or_scenario if isinstance(name_or_scenario, Scenario) else load_scenario(name_or_scenario)
    chosen = factors(scenario, figures, levers=levers)
    if len(chosen) < 2:
        raise UserError(f"{scenario.label}: a screen needs at least two uncertain figures, found "
                        f"{len(chosen)}", field="figure")
    samples = samples or (10 if method == "morris" else 64)
    if method == "sobol" and samples & (samples - 1):
        raise UserError(f"--samples for sobol must be a power of two (e.g. 64, 128), not {samples}",
                        field="samples")
    chosen_measures: list[Measure] = named_measures(measure_names)
    points = design(method, chosen, samples, seed)
    rows: Sweep = sweep(scenario, chosen, points, chosen_measures, replications=replications, seed=seed,
                        executor=executor, progress=progress)
    indices, skipped = {}, {}
    for m in chosen_measures:
        values = rows.per_point(m)
        reason = _why_not(values)
        if reason is None:
            indices[m.name] = _indices(method, chosen, rows.points, values, m.name, seed)
        else:
            skipped[m.name] = reason
    return Sensitivity(scenario.label, method, tuple(chosen), tuple(m.name for m in chosen_measures),
                       indices, len(points), replications, seed, skipped)

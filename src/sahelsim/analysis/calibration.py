"""Calibration: fit a scenario's uncertain figures to the documented outcomes of its incidents.

Each incident a scenario stands for is one draw of the scenario: a parameter point is judged by
simulating one replication per incident and measuring how far each simulated outcome falls outside
what the report allows (`abc.censored_distance`: zero inside "at least 100", the scaled gap
outside). Sequential Monte Carlo ABC (`abc.py`) turns the declared ranges, the prior, into a
posterior. The fitted figures are those the engine takes per replication (`ROW_FIGURES`): a batch of
parameter points is one call of the engine, each point its own replications, with no plan rebuilt
per point; that is what lets a 20,000-simulation fit spend its time in the engine.

The result is written back into the scenario file as a [calibration] table (`to_toml`), which
`load_scenario` reads: fitted medians become the figures' values, and `--uncertain` runs draw the
fitted figures jointly from the posterior.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sahelsim.analysis.abc import Interval, Posterior, Prior, abc_smc, censored_distance
from sahelsim.analysis.outcomes import Outcome, outcomes_for
from sahelsim.errors import UserError
from sahelsim.runtime.executors import Executor, or_local
from sahelsim.sim.assault import Outcome as Ending
from sahelsim.sim.engine import Plan, compile_plan, simulate_chunk
from sahelsim.sim.scenario import Scenario, load_scenario, scenario_file
from sahelsim.sim.uncertainty import ROW_FIGURES, WHOLE_FIGURES, Uncertainty

METHOD = "ABC-SMC (adaptive tolerance, Gaussian kernel), priors uniform on the declared ranges"
DISTANCE = ("root mean square over observations of the gap outside each reported interval, "
            "in units of the prior predictive standard deviation (at least 1)")
PILOT = 400  # prior points that set each observation's scale
# Figures that differ from one incident to the next, not shared by all of them: the size of the
# attacking force, of the garrison and of its relief. A fit draws them from their declared ranges
# for each simulated incident (as `--uncertain` runs do) rather than fit one value to incidents
# that range from a handful of soldiers to a base of hundreds.
INCIDENT_LEVEL = ("threat.assault.attackers", "site.personnel", "defence.qrf.size")
DRAWS_KEPT = 200  # posterior draws written per figure
POINTS_PER_TASK = 2048  # parameter points per engine call (one replication per incident each)
MARKER = "# --- calibration: written by `sahelsim calibrate`; it replaces the values of the figures it names ---"


@dataclass(frozen=True)
class Observations:
    """The outcomes a fit compares with: which incident and metric each is, and its interval."""

    incidents: tuple[str, ...]
    rows: tuple[Outcome, ...]  # informative observations only
    index: np.ndarray  # incident index of each observation
    intervals: tuple[Interval, ...]


def observations(scenario: Scenario, outcomes: list[Outcome] | None = None) -> Observations:
    """The scenario's documented outcomes that say anything: a report that allows every count
    (a claim with no independent floor) constrains nothing and is left out."""
    rows = tuple(o for o in outcomes_for(scenario.name, outcomes) if o.bounds() != (0.0, math.inf))
    if not rows:
        raise UserError(f"no documented outcome to calibrate {scenario.name} against; the table of "
                        "outcomes has none for it", field="scenario")
    incidents = tuple(dict.fromkeys(o.incident for o in rows))
    return Observations(incidents, rows, np.array([incidents.index(o.incident) for o in rows]),
                        tuple(Interval(*o.bounds()) for o in rows))


def _ranged(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The figures with a declared range that the engine takes per replication."""
    return {path: (f.low, f.high) for path, f in sorted(scenario.figures.items())
            if path in ROW_FIGURES and f.low is not None and f.high is not None and f.high > f.low}


def fitted_figures(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The figures a fit explores: shared by every incident the scenario stands for."""
    return {path: bounds for path, bounds in _ranged(scenario).items() if path not in INCIDENT_LEVEL}


def incident_figures(scenario: Scenario) -> Uncertainty:
    """The figures drawn afresh for each simulated incident (`INCIDENT_LEVEL`), from their ranges."""
    return Uncertainty(ranges={path: bounds for path, bounds in _ranged(scenario).items()
                               if path in INCIDENT_LEVEL}, kept=())


def metric_values(columns: dict[str, np.ndarray], metric: str) -> np.ndarray:
    """A replication's value of an outcome metric: an engine column, or whether the post fell."""
    if metric == "overrun":
        return (columns["assault_outcome"] == Ending.OVERRUN).astype(float)
    return columns[metric].astype(float)


Job = tuple[Plan, tuple[str, ...], np.ndarray, Observations, Uncertainty, int, int]


def _simulate(job: Job) -> np.ndarray:
    """Simulated observations (points × observations) for points whose rows start at `first`:
    point p's replication for incident k is row first + p·K + k of the batch seeded `seed`."""
    plan, paths, points, seen, sizes, seed, first = job
    k = len(seen.incidents)
    stop = first + len(points) * k
    figures = {path: np.repeat(points[:, j], k) for j, path in enumerate(paths)}
    figures.update(sizes.draw(seed, first, stop))
    columns = simulate_chunk(plan, seed, first, stop, figures)
    rows = np.arange(len(points))[:, None] * k + seen.index[None, :]
    return np.stack([metric_values(columns, o.metric)[rows[:, j]] for j, o in enumerate(seen.rows)],
                    axis=1)


def simulator(plan: Plan, paths: tuple[str, ...], seen: Observations, sizes: Uncertainty,
              executor: Executor | None = None) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """(points, rng) -> simulated observations (points × observations), the points split into
    tasks for the executor; the numbers do not depend on the split."""
    def simulate(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        seed = int(rng.integers(2**32))
        k = len(seen.incidents)
        jobs = ((plan, paths, points[i:i + POINTS_PER_TASK], seen, sizes, seed, i * k)
                for i in range(0, len(points), POINTS_PER_TASK))
        return np.concatenate(list(or_local(executor).map(_simulate, jobs)))
    return simulate


@dataclass(frozen=True)
class Calibration:
    """A fit: the posterior of each fitted figure, and what it was fitted to and how."""

    scenario: str
    file: Path
    prior: Prior
    posterior: Posterior
    observations: Observations
    scale: np.ndarray  # per observation
    seed: int

    @property
    def simulations(self) -> int:
        return self.posterior.simulations + PILOT

    def figures(self) -> dict[str, dict]:
        """Per fitted figure: its median, 90% interval and a sample of joint draws."""
        medians, intervals = self.posterior.median(), self.posterior.interval(0.9)
        draws = self.posterior.resample(DRAWS_KEPT, np.random.default_rng(self.seed))
        fitted = {}
        for j, path in enumerate(self.posterior.names):
            whole = path in WHOLE_FIGURES
            rounding = np.rint if whole else (lambda x: np.round(x, 6))
            fitted[path] = {"median": float(rounding(medians[j])),
                            "interval90": [float(rounding(v)) for v in intervals[j]],
                            "draws": [float(v) for v in rounding(draws[:, j])]}
        return fitted

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "file": str(self.file), "method": METHOD, "distance": DISTANCE,
                "incidents": list(self.observations.incidents), "simulations": self.simulations,
                "seed": self.seed, "epsilons": list(self.posterior.epsilons),
                "effective_size": self.posterior.effective_size,
                "acceptance": list(self.posterior.acceptance),
                "observations": [{"incident": o.incident, "metric": o.metric, "reported": o.reported,
                                  "interval": list(o.bounds()), "scale": float(s)}
                                 for o, s in zip(self.observations.rows, self.scale, strict=True)],
                "figures": {path: {"prior": [float(self.prior.low[j]), float(self.prior.high[j])],
                                   **{k: v for k, v in fit.items() if k != "draws"}}
                            for j, (path, fit) in enumerate(self.figures().items())}}

    def to_toml(self) -> str:
        """The [calibration] table, as `load_scenario` reads it."""
        lines = [MARKER, "[calibration]", f"method = {_text(METHOD)}", f"distance = {_text(DISTANCE)}",
                 "incidents = [" + ", ".join(map(_text, self.observations.incidents)) + "]",
                 f"simulations = {self.simulations}", f"seed = {self.seed}"]
        for path, fit in self.figures().items():
            lines += ["", f"[calibration.figures.{_text(path)}]", f"median = {fit['median']!r}",
                      f"interval90 = [{fit['interval90'][0]!r}, {fit['interval90'][1]!r}]",
                      "draws = [" + ", ".join(map(repr, fit["draws"])) + "]"]
        return "\n".join(lines) + "\n"

    def write(self, out: Path) -> Path:
        """The scenario file with this calibration in place of any earlier one, written whole or
        not at all."""
        text = declared_text(self.file).rstrip("\n") + "\n\n" + self.to_toml()
        partial = out.with_name(f".{out.name}.partial")
        try:
            partial.write_text(text, "utf-8")
            partial.replace(out)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise UserError(f"cannot write the calibrated scenario: {error.strerror or error}",
                            file=str(out)) from None
        return out


def declared_text(name_or_path: str | Path) -> str:
    """A scenario file's text without its [calibration] table: the file as its author declared it,
    the priors of a fit."""
    return scenario_file(name_or_path).read_text("utf-8").split(MARKER)[0]


def _text(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, for text without surrogates."""
    return json.dumps(value, ensure_ascii=False)


def calibrate(name_or_path: str | Path, *, budget: int = 20_000, particles: int = 500, seed: int = 0,
              outcomes: list[Outcome] | None = None, executor: Executor | None = None,
              progress: Callable[[int, int], None] | None = None) -> Calibration:
    """Fit a scenario file's figures (`fitted_figures`) to its documented outcomes by ABC-SMC with
    `budget` simulations in all (each a replication per incident), from seed `seed`. The fit is of
    the file: its variants share the threat and every figure they do not set themselves."""
    if "@" in str(name_or_path):
        raise UserError("a calibration fits the scenario file, which all its variants share; name the "
                        "scenario without @variant", field="scenario")
    scenario = load_scenario(name_or_path)
    seen = observations(scenario, outcomes)
    ranges = fitted_figures(scenario)
    if not ranges:
        raise UserError(f"{scenario.name} has no figure with a declared range to fit", field="scenario")
    paths = tuple(ranges)
    prior = Prior(paths, np.array([r[0] for r in ranges.values()]), np.array([r[1] for r in ranges.values()]))
    simulate = simulator(compile_plan(scenario), paths, seen, incident_figures(scenario), executor)
    pilot_rng = np.random.default_rng([seed, 1])  # apart from the fit's own streams
    scale = np.maximum(simulate(prior.sample(PILOT, pilot_rng), pilot_rng).std(axis=0), 1.0)

    def distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return censored_distance(simulate(points, rng), seen.intervals, scale)

    posterior = abc_smc(distance, prior, particles=particles, budget=budget - PILOT, seed=seed,
                        progress=None if progress is None else lambda done, _: progress(done + PILOT, budget))
    return Calibration(scenario.name, scenario_file(name_or_path), prior, posterior, seen, scale, seed)

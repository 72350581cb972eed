"""Many parameter points of one scenario, every point on the same replications: the rows of a sweep.

Sensitivity screens and scenario discovery ask one question many times over: a scenario's measures
at P points of its uncertain figures, R replications each. P separate runs would pay the engine's
fixed cost per call P times and give every point its own dice. A sweep instead packs points into
engine calls: figures the engine takes per replication (`ROW_FIGURES`) become one value per block of
rows, and `simulate_chunk(..., repeat=P)` gives every block the same random numbers. The points thus
differ only by their figures (common random numbers), which is what makes elementary effects and
box boundaries sharp at modest R. Figures that shape the plan (counts, ranges, delays of the
reaction force) need a plan per point; such points are simulated one after another in their task.

Replication r of every point is replication r of a run seeded `seed`: the numbers never depend on
how points are split into tasks, on the executor, or on its workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sahelsim.errors import UserError
from sahelsim.runtime.executors import Executor, or_local
from sahelsim.sim.engine import DEFAULT_CHUNK, Plan, chunk_rows, compile_plan, simulate_chunk
from sahelsim.sim.measures import MEASURES, Columns, Measure
from sahelsim.sim.scenario import Scenario, with_figures
from sahelsim.sim.uncertainty import ROW_FIGURES

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Factor:
    """One figure a sweep varies, and the interval it varies over: the declared range, or the 90%
    posterior interval of a figure a calibration fitted."""

    path: str
    low: float
    high: float
    whole: bool  # a count: values are rounded
    fitted: bool = False

    @property
    def per_replication(self) -> bool:
        """Whether the engine takes this figure per row, so that points batch into one call."""
        return self.path in ROW_FIGURES


def factors(scenario: Scenario, paths: list[str] | None = None, *, levers: bool = False) -> list[Factor]:
    """The scenario's uncertain figures as sweep factors, sorted by path.

    By default the figures outside `defence.` (what the defender does not choose) and every fitted
    figure; `levers` adds the defence's own ranged figures. `paths` picks figures by name instead.
    """
    fitted = {} if scenario.calibration is None else scenario.calibration.figures
    found = {}
    for path, figure in sorted(scenario.figures.items()):
        if path in fitted:
            low, high = fitted[path].interval90
            found[path] = Factor(path, low, high, isinstance(figure.value, int), fitted=True)
        elif figure.low is not None and figure.high is not None and figure.high > figure.low:
            found[path] = Factor(path, figure.low, figure.high, isinstance(figure.value, int))
    if paths is not None:
        unknown = [p for p in paths if p not in found]
        if unknown:
            raise UserError(f"{scenario.label}: no uncertain figure {unknown[0]!r}; uncertain figures: "
                            + ", ".join(found), field="figure")
        return [found[p] for p in paths]
    return [f for f in found.values() if levers or f.fitted or not f.path.startswith("defence.")]


@dataclass(frozen=True)
class Sweep:
    """The rows of a sweep: for each measure's quantities, one value per point and replication."""

    factors: tuple[Factor, ...]
    points: np.ndarray  # points × factors
    replications: int
    seed: int
    samples: dict[str, np.ndarray]  # quantity -> points × replications

    def per_point(self, measure: Measure) -> np.ndarray:
        """The measure at each point, over its replications."""
        if measure.ratio is not None:
            top, bottom = (self.samples[c].sum(axis=1) for c in measure.ratio)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(bottom > 0, top / bottom, np.nan)
        return self.samples[measure.name].mean(axis=1)

    @property
    def simulations(self) -> int:
        return len(self.points) * self.replications


def quantities(chosen: list[Measure]) -> tuple[str, ...]:
    """The per-replication values the measures need: a measure's own value, or a ratio's columns."""
    names: list[str] = []
    for m in chosen:
        for name in (m.ratio if m.ratio is not None else (m.name,)):
            if name not in names:
                names.append(name)
    return tuple(names)


def _quantity(columns: Columns, name: str) -> np.ndarray:
    if name in MEASURES and MEASURES[name].value is not None:
        return MEASURES[name].value(columns).astype(float)
    return columns[name].astype(float)


Job = tuple[Scenario, Plan, tuple[Factor, ...], np.ndarray, int, int, int, tuple[str, ...]]


def _evaluate(job: Job) -> dict[str, np.ndarray]:
    """Replications [start, stop) of each of a task's points: quantity -> (points, stop − start)."""
    scenario, plan, chosen, points, seed, start, stop, names = job
    rows = stop - start
    per_row = [j for j, f in enumerate(chosen) if f.per_replication]
    shaping = [j for j, f in enumerate(chosen) if not f.per_replication]
    if not shaping:  # one call, every point a block of rows with its own figures
        figures = {chosen[j].path: np.repeat(points[:, j], rows) for j in per_row}
        columns = simulate_chunk(plan, seed, start, stop, figures, repeat=len(points))
        return {n: _quantity(columns, n).reshape(len(points), rows) for n in names}
    out = {n: np.empty((len(points), rows)) for n in names}
    for i, point in enumerate(points):
        own = compile_plan(with_figures(scenario, {chosen[j].path: point[j] for j in shaping}))
        figures = {chosen[j].path: np.full(rows, point[j]) for j in per_row}
        columns = simulate_chunk(own, seed, start, stop, figures)
        for n in names:
            out[n][i] = _quantity(columns, n)
    return out


def _tasks(points: int, replications: int, rows: int) -> list[tuple[slice, int, int]]:
    """(points, first replication, end) of each task, each about `rows` rows."""
    if replications >= rows:
        return [(slice(p, p + 1), r, min(r + rows, replications))
                for p in range(points) for r in range(0, replications, rows)]
    per_task = max(1, rows // replications)
    return [(slice(p, min(p + per_task, points)), 0, replications) for p in range(0, points, per_task)]


def sweep(scenario: Scenario, chosen: list[Factor], points: np.ndarray, measures: list[Measure], *,
          replications: int = 200, seed: int = 0, executor: Executor | None = None,
          progress: Progress | None = None, task_rows: int | None = None) -> Sweep:
    """The measures' quantities at each point (rows of `points` are values of `chosen`, in order),
    `replications` each on common random numbers. `task_rows` sizes the tasks (memory and
    granularity only: no number depends on it)."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    points = np.asarray(points, dtype=float).copy()
    for j, f in enumerate(chosen):
        if f.whole:
            points[:, j] = np.rint(points[:, j])
    plan = compile_plan(scenario)
    names = quantities(measures)
    batched = all(f.per_replication for f in chosen)
    rows = task_rows or (chunk_rows([plan], DEFAULT_CHUNK) if batched else DEFAULT_CHUNK // 8)
    tasks = _tasks(len(points), replications, rows)
    jobs = ((scenario, plan, tuple(chosen), points[s], seed, r0, r1, names) for s, r0, r1 in tasks)
    samples = {n: np.empty((len(points), replications)) for n in names}
    done, total = 0, len(points) * replications
    for (s, r0, r1), part in zip(tasks, or_local(executor).map(_evaluate, jobs), strict=True):
        for n in names:
            samples[n][s, r0:r1] = part[n]
        done += (s.stop - s.start) * (r1 - r0)
        if progress is not None:
            progress(done, total)
    return Sweep(tuple(chosen), points, replications, seed, samples)

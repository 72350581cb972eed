"""Scenario discovery: under which conditions does a chosen defence fail?

A planner who buys a defence wants to know where it stops working, in words they can check against
intelligence: "when the attackers are more than 250 and the reaction force takes over 90 minutes".
The uncertain figures are sampled (a Latin hypercube over their ranges or posterior intervals), each
point is simulated on common random numbers (`sweep.py`), and a point fails when the user's
condition on a measure holds there (`P(overrun) > 0.3`). PRIM (Friedman and Fisher's patient rule
induction) then peels the space down to boxes dense in failures, giving a trajectory from which one
box is chosen; a CART tree (scikit-learn) is the cross-check, its failing leaves read the same way.
Coverage is the share of all failures inside a box; density, the share of the box's points failing.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, qmc
from sklearn.tree import DecisionTreeClassifier

from sahelsim.analysis.sweep import Factor, Progress, factors, sweep
from sahelsim.errors import UserError
from sahelsim.runtime.executors import Executor
from sahelsim.sim.measures import MEASURES, Measure, measure
from sahelsim.sim.scenario import Scenario, load_scenario

OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
CONDITION = re.compile(r"^\s*(?:(P|E)\(\s*(\w+)\s*\)|(\w+))\s*(>=|<=|>|<)\s*([-+0-9.eE_]+)\s*$")
PEEL_ALPHA = 0.05  # share of the box's points each peel removes
MIN_MASS = 0.05  # PRIM stops before a box holds fewer than this share of the points


@dataclass(frozen=True)
class Condition:
    """What failing means: a measure at a point, compared with a threshold."""

    measure: Measure
    op: str
    threshold: float

    def holds(self, values: np.ndarray) -> np.ndarray:
        return OPERATORS[self.op](values, self.threshold)

    def __str__(self) -> str:
        name = f"P({self.measure.name})" if self.measure.unit == "probability" else self.measure.name
        return f"{name} {self.op} {self.threshold:g}"


def parse_condition(text: str) -> Condition:
    """`P(overrun) > 0.3`, `defender_losses >= 20` or `E(value_lost_usd) > 1e6`; a clear error else."""
    match = CONDITION.match(text)
    if match is None:
        raise UserError(f"cannot read the condition {text!r}; write e.g. \"P(overrun) > 0.3\" or "
                        f"\"defender_losses >= 20\" (measures: {', '.join(MEASURES)})", field="fails")
    kind, inside, bare, op, number = match.groups()
    try:
        chosen = measure(inside or bare)
    except UserError as error:
        raise UserError(f"in the condition {text!r}: {error.message}", field="fails") from None
    if kind == "P" and chosen.unit != "probability":
        raise UserError(f"P({chosen.name}) is not a probability; write {chosen.name} {op} {number}",
                        field="fails")
    try:
        threshold = float(number)
    except ValueError:
        raise UserError(f"the condition's threshold {number!r} is not a number", field="fails") from None
    return Condition(chosen, op, threshold)


@dataclass(frozen=True)
class Limit:
    """One restricted figure of a box: low ≤ figure ≤ high (None: unrestricted on that side)."""

    figure: str
    low: float | None
    high: float | None

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:.4g} ≤ {self.figure} ≤ {self.high:.4g}"
        return f"{self.figure} ≥ {self.low:.4g}" if self.low is not None else f"{self.figure} ≤ {self.high:.4g}"


@dataclass(frozen=True)
class Box:
    """A region of the figures' space, and how well it captures the failures."""

    limits: tuple[Limit, ...]
    coverage: float
    density: float
    points: int

    def __str__(self) -> str:
        return " and ".join(map(str, self.limits)) or "anywhere"

    def to_dict(self) -> dict:
        return {"box": str(self), "coverage": self.coverage, "density": self.density, "points": self.points,
                "limits": [{"figure": lim.figure, "low": lim.low, "high": lim.high} for lim in self.limits]}


def _box(x: np.ndarray, fails: np.ndarray, inside: np.ndarray, lows: np.ndarray, highs: np.ndarray,
         names: list[str], bounds: np.ndarray) -> Box:
    limits = tuple(Limit(names[j], lows[j] if lows[j] > bounds[j, 0] else None,
                         highs[j] if highs[j] < bounds[j, 1] else None)
                   for j in range(len(names)) if lows[j] > bounds[j, 0] or highs[j] < bounds[j, 1])
    caught = int(fails[inside].sum())
    return Box(limits, caught / max(int(fails.sum()), 1), caught / max(int(inside.sum()), 1),
               int(inside.sum()))


def prim(x: np.ndarray, fails: np.ndarray, names: list[str], *, alpha: float = PEEL_ALPHA,
         min_mass: float = MIN_MASS) -> list[Box]:
    """PRIM's peeling trajectory, from the whole space to the last box of at least `min_mass` of the
    points: each step removes the slice (an `alpha` share of the box's points, from the low or high
    end of one figure) whose removal leaves the highest density of failures."""
    x, fails = np.asarray(x, dtype=float), np.asarray(fails, dtype=bool)
    bounds = np.column_stack([x.min(axis=0), x.max(axis=0)])
    lows, highs = bounds[:, 0].copy(), bounds[:, 1].copy()
    inside = np.ones(len(x), dtype=bool)
    trajectory = [_box(x, fails, inside, lows, highs, names, bounds)]
    while inside.sum() * (1 - alpha) >= min_mass * len(x):
        best = None
        for j in range(x.shape[1]):
            values = x[inside, j]
            for side, cut in (("low", np.quantile(values, alpha)), ("high", np.quantile(values, 1 - alpha))):
                keep = inside & (x[:, j] >= cut if side == "low" else x[:, j] <= cut)
                if keep.sum() == inside.sum() or keep.sum() < min_mass * len(x):
                    continue  # ties: the peel removes nothing, or too much
                density = fails[keep].mean()
                if best is None or density > best[0]:
                    best = (density, j, side, cut, keep)
        if best is None or best[0] <= trajectory[-1].density:
            break
        _, j, side, cut, inside = best
        if side == "low":
            lows[j] = cut
        else:
            highs[j] = cut
        trajectory.append(_box(x, fails, inside, lows, highs, names, bounds))
    return trajectory


def choose(trajectory: list[Box], min_coverage: float, near: float = 0.9) -> Box:
    """The first box of the trajectory within `near` of the best density among those still covering
    `min_coverage` of the failures. A planner wants a box that explains most failures and is mostly
    failures; the last peels buy a little density with restrictions that mostly fit the sample."""
    eligible = [b for b in trajectory if b.coverage >= min_coverage] or trajectory[:1]
    best = max(b.density for b in eligible)
    return next(b for b in eligible if b.density >= near * best)


def _inside(x: np.ndarray, names: list[str], limits: tuple[Limit, ...]) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for lim in limits:
        column = x[:, names.index(lim.figure)]
        inside &= (column >= lim.low if lim.low is not None else True) & \
            (column <= lim.high if lim.high is not None else True)
    return inside


def quasi_p(x: np.ndarray, fails: np.ndarray, names: list[str], box: Box, limit: Limit) -> float:
    """How likely the box's failures would be if `limit` were dropped: the binomial chance of at
    least as many failures among the box's points at the density of the box without it. Peeling
    picks up restrictions that only ride the noise; a large value marks one."""
    others = tuple(lim for lim in box.limits if lim is not limit)
    relaxed = fails[_inside(x, names, others)].mean()
    inside = _inside(x, names, box.limits)
    return float(binom.sf(fails[inside].sum() - 1, inside.sum(), relaxed))


def pruned(x: np.ndarray, fails: np.ndarray, names: list[str], box: Box, significance: float = 0.05,
           keep_density: float = 0.9) -> Box:
    """The box without the restrictions that do not matter (quasi-p above `significance`), the
    least significant dropped first, one at a time, so long as the box keeps `keep_density` of its
    density: restrictions each marginal may together still matter. A box a planner can read."""
    floor = keep_density * box.density
    while box.limits:
        worst = max(box.limits, key=lambda lim: quasi_p(x, fails, names, box, lim))
        if quasi_p(x, fails, names, box, worst) <= significance:
            break
        limits = tuple(lim for lim in box.limits if lim is not worst)
        inside = _inside(x, names, limits)
        caught = int(fails[inside].sum())
        wider = Box(limits, caught / max(int(fails.sum()), 1), caught / max(int(inside.sum()), 1),
                    int(inside.sum()))
        if wider.density < floor:
            break
        box = wider
    return box


def cart_boxes(x: np.ndarray, fails: np.ndarray, names: list[str], seed: int, depth: int = 3) -> list[Box]:
    """The failing leaves of a shallow classification tree, as boxes, best covering first."""
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=max(2, int(MIN_MASS * len(x))),
                                  random_state=seed).fit(x, fails)
    leaves = tree.apply(x)
    structure = tree.tree_
    bounds = np.column_stack([x.min(axis=0), x.max(axis=0)])
    boxes = []

    def walk(node: int, lows: np.ndarray, highs: np.ndarray) -> None:
        if structure.children_left[node] < 0:
            inside = leaves == node
            if fails[inside].mean() > 0.5:
                boxes.append(_box(x, fails, inside, lows, highs, names, bounds))
            return
        j, t = structure.feature[node], structure.threshold[node]
        left_highs, right_lows = highs.copy(), lows.copy()
        left_highs[j], right_lows[j] = min(highs[j], t), max(lows[j], t)
        walk(structure.children_left[node], lows, left_highs)
        walk(structure.children_right[node], right_lows, highs)

    walk(0, bounds[:, 0].copy(), bounds[:, 1].copy())
    return sorted(boxes, key=lambda b: -b.coverage)


@dataclass(frozen=True)
class Discovery:
    """Where the defence fails: the sample, PRIM's trajectory and chosen box, CART's failing leaves."""

    scenario: str
    condition: str
    factors: tuple[Factor, ...]
    points: int
    replications: int
    seed: int
    failures: int
    trajectory: list[Box]
    box: Box
    cart: list[Box]

    @property
    def finding(self) -> str:
        share = self.failures / self.points
        if self.failures == 0:
            return f"{self.scenario} never fails ({self.condition}) over the sampled ranges."
        if self.failures == self.points:
            return f"{self.scenario} fails ({self.condition}) everywhere over the sampled ranges."
        return (f"{self.scenario} fails ({self.condition}) at {share:.0%} of the sampled conditions; "
                f"mostly when {self.box} (covers {self.box.coverage:.0%} of the failures, "
                f"{self.box.density:.0%} of the box fails).")

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "condition": self.condition, "points": self.points,
                "replications": self.replications, "seed": self.seed, "failures": self.failures,
                "finding": self.finding, "box": self.box.to_dict(),
                "trajectory": [b.to_dict() for b in self.trajectory],
                "cart": [b.to_dict() for b in self.cart],
                "factors": [{"figure": f.path, "low": f.low, "high": f.high} for f in self.factors]}


def discover(name_or_scenario: str | Scenario, fails: str, *, samples: int = 1000, replications: int = 100,
             figures: list[str] | None = None, levers: bool = False, min_coverage: float = 0.5,
             seed: int = 0, executor: Executor | None = None, progress: Progress | None = None) -> Discovery:
    """Sample the scenario's uncertain figures, simulate, and box the conditions where `fails` holds."""
    condition = parse_condition(fails)
    scenario = name_or_scenario if isinstance(name_or_scenario, Scenario) else load_scenario(name_or_scenario)
    chosen = factors(scenario, figures, levers=levers)
    if not chosen:
        raise UserError(f"{scenario.label}: no uncertain figure to sample", field="figure")
    unit = qmc.LatinHypercube(d=len(chosen), seed=seed).random(samples)
    points = qmc.scale(unit, [f.low for f in chosen], [f.high for f in chosen])
    rows = sweep(scenario, chosen, points, [condition.measure], replications=replications, seed=seed,
                 executor=executor, progress=progress)
    values = rows.per_point(condition.measure)
    failing = condition.holds(np.nan_to_num(values, nan=-np.inf if condition.op in (">", ">=") else np.inf))
    names = [f.path for f in chosen]
    trajectory = prim(rows.points, failing, names)
    box = pruned(rows.points, failing, names, choose(trajectory, min_coverage))
    return Discovery(scenario.label, str(condition), tuple(chosen), samples, replications, seed,
                     int(failing.sum()), trajectory, box,
                     cart_boxes(rows.points, failing, names, seed) if 0 < failing.sum() < samples else [])

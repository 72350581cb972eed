"""Summaries of many replications, folded chunk by chunk in bounded memory (docs/simulator.md, Outputs).

Means carry normal 95% intervals (running mean and sum of squares merged by Chan's formula);
proportions carry Wilson intervals; integer outcomes keep their full distribution as counts, from
which quantiles come. Paired differences between two defences run on the same replications are
summarised the same way: the mean difference and its interval, not two separate means.
A column whose values name classes (the assault's outcome) has no mean: it is summarised by the
share of each class, with its Wilson interval, and compared by the change in each share.
Convergence: after every chunk the interval half-widths are recorded against replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sahelsim.sim.assault import Outcome

Z95 = 1.959963984540054

# Events a planner asks the probability of, from the per-replication columns.
PROPORTIONS = {
    "any_detected": lambda c: c["detected"] > 0,
    "any_leaker": lambda c: c["leakers"] > 0,
    "any_asset_damaged": lambda c: c["assets_damaged"] > 0,
    "any_asset_destroyed": lambda c: c["assets_destroyed"] > 0,
    "any_casualty": lambda c: c["casualties"] > 0,
    "isr_success": lambda c: c["isr_success"],
}
# Columns whose values are codes of classes: summarised by the share of each class, never averaged.
CLASSES: dict[str, dict[str, int]] = {"assault_outcome": {o.name.lower(): int(o) for o in Outcome}}
TRACKED = ("leakers", "assets_damaged", "casualties_expected", "defender_losses")


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion: sound near 0 and 1, where the normal one is not."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Moments:
    """Count, mean and sum of squared deviations, mergeable chunk by chunk (NaN values skipped)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        missing = np.isnan(values)
        if missing.any():  # most columns have none: spare them the copy
            values = values[~missing]
        if values.size == 0:
            return
        n, mean = values.size, float(values.mean())
        deviations = values - mean
        m2 = float(np.square(deviations, out=deviations).sum())
        total = self.n + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.n * n / total
        self.n = total

    @property
    def sd(self) -> float:
        """NaN below two values: one value says nothing of the spread."""
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else math.nan

    @property
    def halfwidth(self) -> float:
        """+inf below two values: the mean is not known to any precision yet."""
        return Z95 * self.sd / math.sqrt(self.n) if self.n > 1 else math.inf

    def as_dict(self) -> dict:
        """None where the values cannot tell (no mean without values, no spread below two): JSON
        writes it as null, where NaN and infinity have no strict spelling."""
        known = self.n > 1
        return {"mean": self.mean if self.n else None, "sd": self.sd if known else None, "n": self.n,
                "ci95": [self.mean - self.halfwidth, self.mean + self.halfwidth] if known else None}


@dataclass
class RatioOfMeans:
    """Mean of x over mean of y (the cost-exchange ratio), with a 95% interval by the delta method.

    The two costs of a replication are correlated (a drone shot down is lost to the attacker and
    cannot damage anything), so the interval needs their covariance, merged chunk by chunk like
    the moments: `cross` is the sum of (x − x̄)(y − ȳ).
    """

    x: Moments = field(default_factory=Moments)
    y: Moments = field(default_factory=Moments)
    cross: float = 0.0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        n_before, n = self.x.n, len(x)
        x_mean, y_mean = float(x.mean()), float(y.mean())
        shift = (x_mean - self.x.mean) * (y_mean - self.y.mean) * n_before * n / (n_before + n)
        # multiply and sum rather than np.dot: a BLAS call wakes its thread pool, whose spinning
        # threads slowed a whole run by 40% on a busy two-core machine
        deviations = x - x_mean
        deviations *= y - y_mean
        self.cross += float(deviations.sum()) + shift
        self.x.add(x)
        self.y.add(y)

    @property
    def ratio(self) -> float | None:
        """None where the denominator's mean is 0: nothing to divide by."""
        return self.x.mean / self.y.mean if self.y.n and self.y.mean > 0 else None

    def ci95(self) -> list[float] | None:
        """r ± z·√((s_x² − 2r·s_xy + r²·s_y²) / n) / ȳ; None without a ratio or below two values."""
        r, n = self.ratio, self.x.n
        if r is None or n < 2:
            return None
        variance = (self.x.sd ** 2 - 2 * r * self.cross / (n - 1) + r * r * self.y.sd ** 2) / n
        half = Z95 * math.sqrt(max(variance, 0.0)) / self.y.mean
        return [r - half, r + half]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _metrics(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns that are quantities: not the key, not the class codes."""
    return {name: values for name, values in columns.items()
            if name != "replication" and name not in CLASSES}


def _class_members(columns: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
    """For each class of each class column: which replications fall in it."""
    return {(column, name): columns[column] == code
            for column, classes in CLASSES.items()
            for name, code in classes.items()}


def _share(successes: int, n: int) -> dict:
    return {"p": successes / n if n else 0.0, "ci95": list(wilson(successes, n)), "n": n}


def _quantile(counts: np.ndarray, q: float) -> int:
    cumulative = np.cumsum(counts)
    return int(np.searchsorted(cumulative, q * cumulative[-1]))


@dataclass
class Accumulator:
    """Running summary of one run."""

    moments: dict[str, Moments] = field(default_factory=dict)
    events: dict[str, list[int]] = field(default_factory=dict)  # name -> [successes, n]
    classes: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (column, class) -> same
    histograms: dict[str, np.ndarray] = field(default_factory=dict)
    costs: RatioOfMeans = field(default_factory=RatioOfMeans)  # defender's over attacker's
    convergence: list[dict] = field(default_factory=list)

    def add(self, columns: dict[str, np.ndarray]) -> None:
        for name, values in _metrics(columns).items():
            self.moments.setdefault(name, Moments()).add(values)
            if np.issubdtype(values.dtype, np.integer):
                counts = np.bincount(np.maximum(values, 0))
                old = self.histograms.get(name, np.zeros(0, dtype=np.int64))
                size = max(len(old), len(counts))
                self.histograms[name] = (np.pad(old, (0, size - len(old)))
                                         + np.pad(counts, (0, size - len(counts))))
        self.costs.add(columns["defender_cost_usd"], columns["attacker_cost_usd"])
        size = len(columns["replication"])
        for tallies, members in ((self.events, {n: e(columns) for n, e in PROPORTIONS.items()}),
                                 (self.classes, _class_members(columns))):
            for key, member in members.items():
                tally = tallies.setdefault(key, [0, 0])
                tally[0] += int(np.count_nonzero(member))
                tally[1] += size
        self.convergence.append({
            "runs": self.events["any_leaker"][1],
            **{f"{name}_halfwidth": _finite(self.moments[name].halfwidth) for name in TRACKED},
            "proportion_halfwidth": self.max_proportion_halfwidth()})

    def max_proportion_halfwidth(self) -> float:
        tallies = [*self.events.values(), *self.classes.values()]
        widths = [(hi - lo) / 2 for lo, hi in (wilson(s, n) for s, n in tallies)]
        return max(widths, default=math.inf)

    def summary(self) -> dict:
        return {
            "means": {name: m.as_dict() for name, m in self.moments.items()},
            "proportions": {name: _share(s, n) for name, (s, n) in self.events.items()},
            "outcome_classes": _by_column({key: _share(s, n) for key, (s, n) in self.classes.items()}),
            "distributions": {name: {"counts": counts.tolist(), "q05": _quantile(counts, 0.05),
                                     "q50": _quantile(counts, 0.5), "q95": _quantile(counts, 0.95)}
                              for name, counts in self.histograms.items() if counts.sum() > 0},
            "cost_exchange_ratio": self.costs.ratio,
            "cost_exchange_ratio_ci95": self.costs.ci95(),
            "defeats_by_layer": {name.removeprefix("defeated_by_"): m.mean
                                 for name, m in self.moments.items()
                                 if name.startswith("defeated_by_")},
            "convergence": self.convergence,
        }


@dataclass
class Paired:
    """Both runs' means of one metric and their difference, on the same replications."""

    first: Moments = field(default_factory=Moments)
    second: Moments = field(default_factory=Moments)
    difference: Moments = field(default_factory=Moments)

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        x, y = x.astype(float), y.astype(float)
        both = ~(np.isnan(x) | np.isnan(y))
        if not both.all():
            x, y = x[both], y[both]
        self.first.add(x)
        self.second.add(y)
        self.difference.add(y - x)

    def as_dict(self) -> dict:
        difference = self.difference.as_dict()
        return {"first": self.first.as_dict()["mean"], "second": self.second.as_dict()["mean"],
                "difference": difference["mean"], "ci95": difference["ci95"],
                "halfwidth": _finite(self.difference.halfwidth), "pairs": self.difference.n}


@dataclass
class PairedAccumulator:
    """Differences second − first, replication by replication, for every shared metric and event,
    and for the share of each outcome class (the paired difference of its indicators).

    A metric that can be missing (the first detection, when nothing was detected) is summarised on
    the replications where both runs have it, the means as well as the difference, so that the
    difference is the second mean minus the first; `pairs` says how many those were.
    """

    metrics: dict[str, Paired] = field(default_factory=dict)
    classes: dict[tuple[str, str], Paired] = field(default_factory=dict)

    def add(self, a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
        values_a, values_b = _paired_values(a, b), _paired_values(b, a)
        for name in values_a.keys() & values_b.keys():
            self.metrics.setdefault(name, Paired()).add(values_a[name], values_b[name])
        members_b = _class_members(b)
        for key, member in _class_members(a).items():
            self.classes.setdefault(key, Paired()).add(member, members_b[key])

    def summary(self) -> dict:
        return {"metrics": {name: paired.as_dict() for name, paired in sorted(self.metrics.items())},
                "outcome_classes": _by_column({key: paired.as_dict()
                                               for key, paired in self.classes.items()})}


def _by_column(values: dict[tuple[str, str], dict]) -> dict[str, dict[str, dict]]:
    """{(column, class): v} as {column: {class: v}}, classes in their codes' order."""
    nested: dict[str, dict[str, dict]] = {}
    for (column, name), value in values.items():
        nested.setdefault(column, {})[name] = value
    return nested


def _paired_values(columns: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every metric and event of one run, plus a zero for each layer only the other run has: a
    layer a defence lacks defeats nothing, and its defeats belong in the comparison."""
    values = {**_metrics(columns), **{name: event(columns) for name, event in PROPORTIONS.items()}}
    size = len(columns["replication"])
    values.update({name: np.zeros(size) for name in other
                   if name.startswith("defeated_by_") and name not in columns})
    return values

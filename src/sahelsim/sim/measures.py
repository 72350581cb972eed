"""What a planner judges a defence by: the named measures of a set of replications.

Sensitivity screens, scenario discovery, optimisation and campaigns all ask the same few questions
of the engine's columns (how many defenders were lost, did the post fall, what was the value lost,
what did the defence spend per unit of the attacker's spending), and each answer must mean the same
thing in all of them. A measure is a mean over replications, taken per group of replications (a
parameter point, a candidate layout, a day of a campaign), so a sweep of many points is one engine
call whose rows are split by point afterwards. The cost-exchange ratio is a ratio of means, never a
mean of per-replication ratios (which an attack with no cost would make infinite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from sahelsim.errors import UserError
from sahelsim.sim.assault import Outcome

Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class Measure:
    """One measure: the per-replication value it averages, or the two columns whose means it
    divides. `better` says which way a defender wants it to go."""

    name: str
    label: str
    unit: str
    value: Callable[[Columns], np.ndarray] | None = None
    ratio: tuple[str, str] | None = None
    better: str = "lower"

    def by_group(self, columns: Columns, group: np.ndarray, groups: int) -> np.ndarray:
        """The measure over each group's replications (`group[i]` is row i's group, 0 ≤ g <
        `groups`); NaN for a group without rows, or a ratio whose divisor is zero."""
        counts = np.bincount(group, minlength=groups).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.ratio is not None:
                top, bottom = (np.bincount(group, weights=columns[c].astype(float), minlength=groups)
                               for c in self.ratio)
                return np.where(bottom > 0, top / bottom, np.nan)
            total = np.bincount(group, weights=self.value(columns).astype(float), minlength=groups)
            return np.where(counts > 0, total / counts, np.nan)

    def of(self, columns: Columns) -> float:
        """The measure over all the rows of `columns`."""
        rows = len(columns["replication"])
        return float(self.by_group(columns, np.zeros(rows, dtype=np.int64), 1)[0])


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("defender_losses", "defenders lost (killed and wounded)", "people",
            value=lambda c: c["defender_losses"]),
    Measure("defender_killed", "defenders killed", "people", value=lambda c: c["defender_killed"]),
    Measure("overrun", "P(post overrun)", "probability",
            value=lambda c: c["assault_outcome"] == Outcome.OVERRUN),
    Measure("assets_destroyed", "assets destroyed", "assets", value=lambda c: c["assets_destroyed"]),
    Measure("value_lost_usd", "value of assets lost", "USD", value=lambda c: c["value_lost_usd"]),
    Measure("cost_exchange", "defender's cost per attacker's cost", "ratio",
            ratio=("defender_cost_usd", "attacker_cost_usd")),
)}


def measure(name: str) -> Measure:
    """The measure called `name`, or a UserError that lists them all."""
    try:
        return MEASURES[name]
    except KeyError:
        raise UserError(f"unknown measure {name!r}; choose from: {', '.join(MEASURES)}",
                        field="measure") from None


def measures(names: Iterable[str]) -> list[Measure]:
    return [measure(name) for name in names]

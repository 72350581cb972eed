"""What we do not know, carried into the answer: uncertain figures drawn per replication.

A figure with a declared range is uncertain. A run may keep every figure at its value (the default,
and the usual way to compare defences) or draw the uncertain ones per replication, so that its
intervals hold both the dice and the doubt about the inputs. Draws are uniform on the declared
range (or, once a calibration fitted them, jointly from its posterior draws), stratified as a Latin
hypercube within each block of replications (`runtime.seeds`), one stream per figure keyed by its
path: the numbers of replication i never depend on the chunk, the executor, or which other figures
are uncertain, and two scenarios sharing a figure draw the same values for it (common parameter
draws, beside common random numbers).

Only figures the engine can take per replication (`ROW_FIGURES`) are drawn. Others shape the plan
(counts, ranges, speeds); they stay at their values, and the run's summary lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sahelsim.runtime.seeds import BLOCK, ChunkStreams, Purpose, name_key
from sahelsim.sim.scenario import Scenario

# Figures that may take one value per replication (a figure drawn from its range under
# uncertainty, or a parameter point per replication in calibration): the path in a scenario file,
# and where the plan holds it. Others shape the plan's arrays and tables (counts, ranges, speeds):
# a new value of one of those is a new plan (`scenario.with_figures`, `compile_plan`).
ROW_FIGURES: dict[str, tuple[str, ...]] = {
    **{f"threat.assault.{name}": ("assault", name) for name in (
        "attackers", "alpha_per_min", "probability_without_isr", "probability_with_isr", "isr_gain",
        "surprise_factor", "surprise_min", "destroys_held", "destroys_overrun")},
    "threat.assault.break_fraction": ("assault", "attacker_break"),
    **{f"threat.indirect_fire.{name}": ("indirect_fire", name) for name in ("rounds", "p_hit", "p_destroy")},
    "defence.ground.beta_per_min": ("assault", "beta_per_min"),
    "defence.ground.break_fraction": ("assault", "defender_break"),
    "defence.qrf.size": ("assault", "qrf_size"),
    "defence.command_delay.median_s": ("delay_median_s",),
    "defence.command_delay.sigma": ("delay_sigma",),
    "site.personnel": ("garrison",),
    "site.killed_share": ("killed_share",),
    "site.killed_share_overrun": ("killed_share_overrun",),
}
WHOLE_FIGURES = {"threat.assault.attackers", "defence.qrf.size", "site.personnel"}
PER_SORTIE_ROW = {"delay_median_s", "delay_sigma"}  # broadcast against (replication × sortie)

METHOD = f"Latin hypercube per block of {BLOCK} replications, uniform on each declared range"


POSTERIOR_KEY = name_key("posterior")


@dataclass(frozen=True)
class Uncertainty:
    """The figures a run draws per replication: from their ranges, or jointly from the posterior
    draws of a calibration; and those it cannot draw."""

    ranges: dict[str, tuple[float, float]]
    kept: tuple[str, ...]  # uncertain, but they shape the plan: kept at their values
    posterior: dict[str, np.ndarray] = field(default_factory=dict)  # path -> joint draws

    def draw(self, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """Each figure's values for replications [start, stop) of a run seeded `seed`."""
        streams = ChunkStreams(seed, start, stop)
        values = {path: low + (high - low) * streams.latin(Purpose.INPUTS, key=name_key(path))
                  for path, (low, high) in self.ranges.items()}
        if self.posterior:  # one draw index for all fitted figures: their dependence is kept
            size = len(next(iter(self.posterior.values())))
            index = (streams.latin(Purpose.INPUTS, key=POSTERIOR_KEY) * size).astype(int)
            values.update({path: draws[index] for path, draws in self.posterior.items()})
        return values

    def describe(self) -> dict:
        """What a summary says about the inputs of an uncertain run."""
        return {"figures": "drawn per replication", "method": METHOD,
                "drawn": {path: list(bounds) for path, bounds in self.ranges.items()},
                "posterior": sorted(self.posterior), "kept_at_value": list(self.kept)}


FIXED = {"figures": "at their values", "method": None, "drawn": {}, "posterior": [], "kept_at_value": []}


def uncertainty(scenario: Scenario) -> Uncertainty:
    """The scenario's uncertain figures: those with a range wider than a point, drawn from the
    posterior where a calibration fitted them."""
    fitted = {} if scenario.calibration is None else scenario.calibration.figures
    uncertain = {path: (figure.low, figure.high) for path, figure in sorted(scenario.figures.items())
                 if figure.low is not None and figure.high is not None and figure.high > figure.low}
    return Uncertainty(ranges={p: r for p, r in uncertain.items() if p in ROW_FIGURES and p not in fitted},
                       kept=tuple(p for p in uncertain if p not in ROW_FIGURES),
                       posterior={p: np.array(fit.draws) for p, fit in sorted(fitted.items())})

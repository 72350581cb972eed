"""Calibration: where a 20,000-simulation ABC of the post-assault scenario spends its time.

The aim: at least 70% of a fit's time inside the engine (`engine.simulate_chunk`), the rest being
ABC's own bookkeeping (proposals, importance weights, distances). Measured with cProfile over the
whole `calibrate` call, in one process.

Baseline, as a careful user of the engine would write a fit without per-replication figures: each
parameter point set with `with_figures` and compiled (`compile_plan`), then simulated for one
replication per incident. Both run the same number of simulations of the same scenario, in the same
run; the baseline is timed on 2,000 points (a tenth) and its rate reported.

    python benchmarks/bench_calibration.py   # writes docs/bench_calibration.md
"""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path

import numpy as np

from machine import describe_machine
from sahelsim.analysis.calibration import calibrate, fitted_figures, incident_figures, observations
from sahelsim.sim import engine
from sahelsim.sim.scenario import load_scenario, with_figures

SCENARIO, BUDGET, BASELINE_POINTS = "post-drone-assault", 20_000, 2_000
OUT = Path(__file__).parent.parent / "docs" / "bench_calibration.md"


def profiled_fit() -> tuple[float, float, int]:
    """(seconds in all, seconds inside the engine, simulations) of one fit."""
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    fit = calibrate(SCENARIO, budget=BUDGET, seed=0)
    profile.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    inside = sum(cumulative for (file, _, name), (_, _, _, cumulative, _) in stats.items()
                 if name == "simulate_chunk" and file.endswith("engine.py"))
    return total, inside, fit.simulations


def per_point_baseline() -> float:
    """Simulations per second when every point is a new scenario compiled on its own."""
    scenario = load_scenario(SCENARIO)
    seen, ranges = observations(scenario), fitted_figures(scenario)
    sizes = incident_figures(scenario).ranges
    rng = np.random.default_rng(0)
    k = len(seen.incidents)
    start = time.perf_counter()
    for point in range(BASELINE_POINTS):
        figures = {path: float(rng.uniform(*bounds)) for path, bounds in ranges.items()}
        figures.update({path: float(np.rint(rng.uniform(*bounds))) for path, bounds in sizes.items()})
        plan = engine.compile_plan(with_figures(scenario, figures))
        engine.simulate_chunk(plan, 0, point * k, (point + 1) * k)
    return BASELINE_POINTS / (time.perf_counter() - start)


def main() -> None:
    total, inside, simulations = profiled_fit()
    baseline = per_point_baseline()
    rate = simulations / total
    OUT.write_text(f"""## Calibration (`benchmarks/bench_calibration.py`)

A {simulations:,}-simulation ABC-SMC fit of `{SCENARIO}` (one replication per documented incident
per simulation), in one process, profiled with cProfile:

| | seconds | share |
|---|---:|---:|
| the whole fit (`calibrate`) | {total:.2f} | 100% |
| inside the engine (`engine.simulate_chunk`) | {inside:.2f} | {inside / total:.0%} |
| ABC's own work (proposals, weights, distances) and the rest | {total - inside:.2f} | {1 - inside / total:.0%} |

Aim: at least 70% inside the engine. Simulations per second: **{rate:,.0f}** batched (many parameter
points per engine call, each point its own replications), against **{baseline:,.0f}** for the
baseline that sets each point with `with_figures` and compiles its own plan ({BASELINE_POINTS:,}
points timed in the same run): {rate / baseline:.0f}× faster.

{describe_machine()}
""", "utf-8")
    print(OUT.read_text("utf-8"))


if __name__ == "__main__":
    main()

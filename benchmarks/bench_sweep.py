"""Sweeps: replications per second during a Sobol screen, against one long run of the same scenario.

A sensitivity screen simulates thousands of parameter points, a few hundred replications each. The
aim: at least 80% of the replication rate of one long run of the same scenario (one `engine.run`
with the table not kept), so that a screen costs what its replications cost and no more. Measured
in one process, both sides in the same run, the whole `sensitivity` call timed (SALib's sampling
and analysis included), for two sets of figures:

- the figures the engine takes per replication (`ROW_FIGURES`: the assault's and the fight's
  figures, fitted or ranged), which a sweep packs many points per engine call;
- every uncertain figure of the scenario, of which the plan-shaping ones (counts, ranges, the
  reaction force's delays) need a plan compiled per point.

Baseline, as a careful user of the engine would write a screen without `sweep`: SALib's points,
each set with `with_figures` and run with `engine.run(..., keep_table=False)` on the same seed (so
common random numbers too), timed on a tenth of the points and its rate reported.

    python benchmarks/bench_sweep.py   # writes docs/bench_sweep.md
"""

from __future__ import annotations

import time
from pathlib import Path

from machine import describe_machine
from sahelsim.analysis.sensitivity import design, sensitivity
from sahelsim.analysis.sweep import factors
from sahelsim.sim import engine
from sahelsim.sim.scenario import load_scenario, with_figures
from sahelsim.sim.uncertainty import ROW_FIGURES

SCENARIO, SAMPLES, REPLICATIONS = "post-drone-assault", 256, 200
OUT = Path(__file__).parent.parent / "docs" / "bench_sweep.md"


def long_run_rate(replications: int) -> float:
    scenario = load_scenario(SCENARIO)
    engine.run(scenario, 20_000, keep_table=False)  # warm-up
    start = time.perf_counter()
    engine.run(scenario, replications, seed=1, keep_table=False)
    return replications / (time.perf_counter() - start)


def screen_rate(paths: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    result = sensitivity(SCENARIO, method="sobol", samples=SAMPLES, figures=paths, replications=REPLICATIONS)
    return result.simulations / (time.perf_counter() - start), result.points


def loop_rate(paths: list[str]) -> float:
    """The careful user's loop: a run per point, on the same seed."""
    scenario = load_scenario(SCENARIO)
    chosen = factors(scenario, paths)
    points = design("sobol", chosen, SAMPLES, 0)[:: 10]
    start = time.perf_counter()
    for point in points:
        values = {f.path: (round(v) if f.whole else float(v)) for f, v in zip(chosen, point, strict=True)}
        engine.run(with_figures(scenario, values), REPLICATIONS, seed=0, keep_table=False)
    return len(points) * REPLICATIONS / (time.perf_counter() - start)


def main() -> None:
    scenario = load_scenario(SCENARIO)
    every = [f.path for f in factors(scenario)]
    per_row = [p for p in every if p in ROW_FIGURES]
    rows = []
    for label, paths in (("figures taken per replication", per_row), ("every uncertain figure", every)):
        rate, points = screen_rate(paths)
        long = long_run_rate(points * REPLICATIONS)
        rows.append((label, len(paths), points, rate, long, loop_rate(paths)))
    table = "\n".join(f"| {label} | {k} | {points:,} | {points * REPLICATIONS:,} | {rate:,.0f} | {long:,.0f} | "
                      f"**{rate / long:.0%}** | {loop:,.0f} | {rate / loop:.1f}× |"
                      for label, k, points, rate, long, loop in rows)
    OUT.write_text(f"""## Sweeps (`benchmarks/bench_sweep.py`)

A Sobol screen of `{SCENARIO}` (base sample {SAMPLES}, first and total order, {REPLICATIONS}
replications per point on common random numbers), the whole `sensitivity` call timed in one
process, against one long `engine.run` of the same number of replications (table not kept) and
against a careful user's loop (`with_figures` + `engine.run` per point, same seed; a tenth of the
points timed). Aim: the screen at 80% or more of the long run's rate.

| figures screened | k | points | replications | screen reps/s | long run reps/s | screen / long run | loop reps/s | screen / loop |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{table}

Figures the engine takes per replication are packed many points to an engine call, each point a
block of rows on the same random numbers (`simulate_chunk(..., repeat=P)`). A point that changes a
plan-shaping figure (a sortie count, a range, the reaction force's delays) needs its own plan and
its own engine call of {REPLICATIONS} rows, where the engine's fixed cost per call shows.

Command: `.venv/bin/python benchmarks/bench_sweep.py`

{describe_machine()}
""", "utf-8")
    print(OUT.read_text("utf-8"))


if __name__ == "__main__":
    main()

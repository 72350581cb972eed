"""The scenario simulator: compare defences against documented small-drone threats by Monte Carlo.

    from sahelsim.sim import load_scenario, run, compare

    base = load_scenario("post-drone-assault")               # a bundled scenario (list_library())
    better = load_scenario("post-drone-assault@improved")    # one of its defence variants
    result = run(base, runs=100_000, seed=7)                 # RunResult: .table (pyarrow), .summary
    diff = compare(base, better, runs=100_000, seed=7)       # CompareResult, common random numbers

Hot path, for benchmarks: `plan = compile_plan(scenario)` once, then
`simulate_chunk(plan, seed, start, stop)` returns one NumPy array per output column for
replications [start, stop); the numbers of a replication depend only on (seed, its index).

Modules, one per concept: `scenario` (files and validation), `catalogue` (platforms, sensors,
effectors), `sources` (figures with provenance), `tracks`, `sensors` (detection hazards), `effectors`
(engagement), `effects` (assets and people), `isr`, `assault` (Lanchester), `costs`, `engine`,
`outcomes` (summaries and intervals), `results` (run folders), `charts`. The equations are in docs/simulator.md.
Scope is defensive: the threat is input from the record; only the defence varies.
"""

from sahelsim.sim.engine import CompareResult, RunResult, compare, compile_plan, run, simulate_chunk
from sahelsim.sim.scenario import Scenario, list_library, load_scenario, parse_scenario, with_figures

__all__ = ["CompareResult", "RunResult", "Scenario", "compare", "compile_plan", "list_library",
           "load_scenario", "parse_scenario", "run", "simulate_chunk", "with_figures"]

"""sahelsim: from the documented record of drone warfare in the Sahel to defensive decisions.

The front door: the verbs a user needs, each a thin name for the library function that does it.

    import sahelsim

    base = sahelsim.load_scenario("post-drone-assault")
    better = sahelsim.load_scenario("post-drone-assault@improved")
    sahelsim.run(base, runs=100_000, seed=7).to_frame()             # means and 95% intervals
    sahelsim.compare(base, better, runs=100_000, seed=7).to_frame()  # paired, common random numbers
    sahelsim.run(base, 100_000, executor=sahelsim.LocalExecutor(4))  # four local processes

    summary = sahelsim.ingest(["acled_export.csv"], db="record.duckdb")
    sahelsim.drone_trends("record.duckdb", by="actor")              # a DataFrame
    sahelsim.tag_text("Un drone a largué deux charges sur le camp")

    fit = sahelsim.calibrate("post-drone-assault", budget=20_000)    # ABC-SMC on documented outcomes
    fit.write(Path("post-calibrated.toml"))                          # the file, with its posterior
    sahelsim.validate(["post-drone-assault"]).to_dict()              # outcomes vs 90% intervals
    sahelsim.sensitivity("post-drone-assault", method="morris").to_frame()  # which figures matter
    sahelsim.discover("post-drone-assault@improved", "P(overrun) > 0.3").box  # where it fails

A user's mistake raises `sahelsim.UserError`, whose message names the file, row and field.
Names are imported when first used, so `import sahelsim` (and every CLI command) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sahelsim.version import __version__

# name -> the module that defines it
_EXPORTS = {
    "UserError": "sahelsim.errors",
    "Scenario": "sahelsim.sim.scenario",
    "list_library": "sahelsim.sim.scenario",
    "load_scenario": "sahelsim.sim.scenario",
    "with_figures": "sahelsim.sim.scenario",
    "load_catalogue": "sahelsim.sim.catalogue",
    "run": "sahelsim.sim.engine",
    "compare": "sahelsim.sim.engine",
    "RunResult": "sahelsim.sim.engine",
    "CompareResult": "sahelsim.sim.engine",
    "save_run": "sahelsim.sim.results",
    "LocalExecutor": "sahelsim.runtime.local",
    "calibrate": "sahelsim.analysis.calibration",
    "validate": "sahelsim.analysis.validation",
    "sensitivity": "sahelsim.analysis.sensitivity",
    "discover": "sahelsim.analysis.discovery",
    "fit_rates": "sahelsim.analysis.rates",
    "load_outcomes": "sahelsim.analysis.outcomes",
    "ingest": "sahelsim.evidence.ingest",
    "select_events": "sahelsim.evidence.record",
    "drone_trends": "sahelsim.evidence.trends",
    "tag_text": "sahelsim.evidence.tagging",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors; at run time `__getattr__` imports on first use
    from sahelsim.analysis.calibration import calibrate
    from sahelsim.analysis.discovery import discover
    from sahelsim.analysis.sensitivity import sensitivity
    from sahelsim.analysis.outcomes import load_outcomes
    from sahelsim.analysis.rates import fit_rates
    from sahelsim.analysis.validation import validate
    from sahelsim.errors import UserError
    from sahelsim.evidence.record import select_events
    from sahelsim.evidence.ingest import ingest
    from sahelsim.evidence.tagging import tag_text
    from sahelsim.evidence.trends import drone_trends
    from sahelsim.runtime.local import LocalExecutor
    from sahelsim.sim.catalogue import load_catalogue
    from sahelsim.sim.engine import CompareResult, RunResult, compare, run
    from sahelsim.sim.results import save_run
    from sahelsim.sim.scenario import Scenario, list_library, load_scenario, with_figures


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sahelsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*__all__, "__version__"]

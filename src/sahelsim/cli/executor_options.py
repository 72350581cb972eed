"""The options every command that runs many simulations shares: where they run, and on how many
workers. The choice never changes a number (same seed, same results on every executor)."""

from __future__ import annotations

import typer

from sahelsim.runtime.executors import Executor, executor_for

MAX_WORKERS = 256
WorkersOption = typer.Option(None, "--workers", min=1, max=MAX_WORKERS,
                             help="Worker processes (default: all CPUs; at most 256).")
ExecutorOption = typer.Option("local", "--executor",
                              help="Where the simulations run: local (this machine's processes) or ray"
                                   " (a Ray cluster, see --address). Results do not depend on it.")
AddressOption = typer.Option(None, "--address", metavar="HOST:PORT",
                             help="The Ray cluster's head (with --executor ray; default: RAY_ADDRESS,"
                                  " else a new local Ray instance).")


def chosen_executor(kind: str, workers: int | None, address: str | None, tasks: int | None = None
                    ) -> Executor:
    """The executor the options name; local workers are capped at `tasks` (never more processes
    than pieces of work to give them)."""
    if kind == "local" and workers is None and tasks is not None:
        from sahelsim.runtime.local import default_workers
        workers = max(1, min(default_workers(), tasks))
    return executor_for(kind, workers, address)

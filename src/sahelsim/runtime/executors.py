"""Where chunks of work run: the executor protocol that the engine and the analysis layer accept.

An executor maps a module-level function over picklable items and yields the results in the order
of the items. The engine gives every chunk its replication indices and seed, and random numbers are
laid out by replication (`runtime.seeds`), so which executor runs a chunk, and how many at once,
never changes a number. One module per backend: `local.py` (this process or a local process pool).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """What runs many simulations: `map` in order, with bounded work in flight."""

    @property
    def workers(self) -> int:
        """How many chunks may run at once: callers size their chunks so each worker gets one."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`map(function, items)` in the order of the items; closing the iterator early stops the
        work not yet started."""


def or_local(executor: Executor | None) -> Executor:
    """The executor to use: the one given, or this process alone."""
    from sahelsim.runtime.local import LocalExecutor

    return LocalExecutor(1) if executor is None else executor


KINDS = ("local", "ray")


def executor_for(kind: str = "local", workers: int | None = None, address: str | None = None) -> Executor:
    """The executor a command asked for by name: `local` (this machine's processes, `workers` of
    them, default every CPU) or `ray` (the Ray cluster at `address`, HOST:PORT)."""
    from sahelsim.errors import UserError
    from sahelsim.runtime.local import LocalExecutor, default_workers

    if kind not in KINDS:
        raise UserError(f"unknown executor {kind!r}; choose from: {', '.join(KINDS)}", field="executor")
    if kind == "local":
        if address is not None:
            raise UserError("--address names a Ray cluster; add --executor ray", field="address")
        return LocalExecutor(workers or default_workers())
    raise UserError("--executor ray is not available in this version", field="executor")

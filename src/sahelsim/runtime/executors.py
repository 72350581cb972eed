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

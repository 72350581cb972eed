"""Where chunks of work run: in this process, or in a local pool of worker processes (the default).

`map_ordered` yields results in the order of the inputs, with at most a few tasks in flight per
worker, so a run of ten million replications holds only a handful of chunk results at once.
A Ray executor can be added later behind the same function signature.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker processes to use when none are asked for: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def map_ordered(function: Callable[[T], R], items: Iterable[T], workers: int = 1,
                in_flight_per_worker: int = 2) -> Iterator[R]:
    """`map(function, items)`, in order, over `workers` processes (1 = here, no pool).

    `function` and the items must be picklable when `workers` > 1 (a module-level function).
    """
    if workers <= 1:
        yield from map(function, items)
        return
    limit = workers * in_flight_per_worker
    pending: deque[Future[R]] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            for item in items:
                pending.append(pool.submit(function, item))
                if len(pending) >= limit:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # closed early (a run that reached its precision): drop what has not started
            for future in pending:
                future.cancel()

"""The local executor: chunks run in this process, or in a pool of worker processes on this machine.

`LocalExecutor.map` yields results in the order of the inputs, with at most a few tasks in flight
per worker, so a run of ten million replications holds only a handful of chunk results at once.

Workers die with the process that started them. A run killed outright (kill -9, the OOM killer)
cannot stop its pool, and its workers would wait forever on the task pipe, ~140 MB each, holding
the caller's stdout open so that a pipeline reading it never ends. On Linux the kernel kills them
(`PR_SET_PDEATHSIG`); elsewhere a watchdog thread in each worker notices its parent has gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_S = 0.5


def default_workers() -> int:
    """Worker processes to use when none are asked for: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LocalExecutor:
    """`workers` processes on this machine; 1 runs everything in this process, with no pool.

    The default for a command is every CPU this process may use (`default_workers`); the default
    for a library call is 1, so a call from a notebook or a test starts no processes unasked.
    """

    workers: int = field(default_factory=default_workers)
    in_flight_per_worker: int = 2

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`map(function, items)` in order; `function` and the items must be picklable when
        `workers` > 1 (a module-level function)."""
        if self.workers == 1:
            return map(function, items)
        return _pooled(function, items, self.workers, self.workers * self.in_flight_per_worker)


def _pooled(function: Callable[[T], R], items: Iterable[T], workers: int, limit: int) -> Iterator[R]:
    pending: deque[Future[R]] = deque()
    context = multiprocessing.get_context()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent,
                             initargs=(os.getpid(), context.get_start_method())) as pool:
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


def die_with_parent(creator: int, start_method: str) -> None:
    """Pool initializer: end this worker when its parent process ends, however it ends.

    The parent is the pool's creator, except under "forkserver", where it is the fork server (which
    itself exits when the creator does). A creator already gone before this ran ends the worker now.
    Linux signals when the thread that started the worker ends: the pool's workers are started by
    the thread that runs `_pooled`, which outlives the pool.
    """
    parent = os.getppid()
    if parent != creator and start_method != "forkserver":
        os._exit(1)
    if not _kernel_kills_orphans():
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    elif os.getppid() != parent:  # the parent died between the two calls, before the kernel knew
        os._exit(1)


def _kernel_kills_orphans() -> bool:
    """Ask Linux to SIGKILL this process when its parent thread exits; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, *map(ctypes.c_ulong, (signal.SIGKILL, 0, 0, 0))) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Poll for the parent's death (an orphan is adopted by another process) and exit then."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)

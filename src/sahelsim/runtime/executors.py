"""Where chunks of work run: in this process, or in a local pool of worker processes (the default).

`map_ordered` yields results in the order of the inputs, with at most a few tasks in flight per
worker, so a run of ten million replications holds only a handful of chunk results at once.
A Ray executor can be added later behind the same function signature.

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
    the thread that runs `map_ordered`, which outlives the pool.
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

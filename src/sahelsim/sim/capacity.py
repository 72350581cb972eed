"""Saturation: a few servers taking jobs first come, first served (docs/simulator.md, Saturation).

Two parts of a defence saturate this way. The fused picture holds a limited number of tracks, each
until its sortie's track ends; a classifying sensor identifies one track per operator at a time. Both
are c servers without pre-emption: job i becomes ready at r_i, starts at s_i = max(r_i, the earliest
time a server is free) and holds that server until max(its fixed release, s_i + its service time).
A job that could only start after its last useful moment is dropped and holds nothing: the sortie
left, or was never seen in time.

Vectorised over replications; the loop runs over the jobs in order of readiness, so it costs one
pass per sortie, and nothing at all when there are at least as many servers as jobs.
"""

from __future__ import annotations

import numpy as np


def first_come(ready: np.ndarray, last_start: np.ndarray, release: np.ndarray, service_s: float,
               servers: int) -> np.ndarray:
    """When each job starts (+inf: never), all (R, n) absolute times.

    `ready` +inf is a job that never arrives; `last_start` the latest start that still serves it;
    `release` the earliest time its server is free again whatever the service (−inf: none).
    """
    if servers >= ready.shape[1]:  # nobody ever waits
        return np.where(ready <= last_start, ready, np.inf)
    reps, jobs = ready.shape
    rows = np.arange(reps)
    order = np.argsort(ready, axis=1, kind="stable")
    free = np.full((reps, servers), -np.inf)
    start = np.full((reps, jobs), np.inf)
    for rank in range(jobs):
        job = order[:, rank]
        arrives = ready[rows, job]
        if not np.isfinite(arrives).any():  # sorted: every later job never arrives either
            break
        server = free.argmin(axis=1)
        begins = np.maximum(arrives, free[rows, server])
        served = np.flatnonzero(begins <= last_start[rows, job])
        start[served, job[served]] = begins[served]
        free[served, server[served]] = np.maximum(release[served, job[served]],
                                                  begins[served] + service_s)
    return start

"""Engagement (MODEL.md §3): windows in range, shots of fixed duration, one target at a time.

After the alert (detection plus command delay) effector j may engage a sortie while it is inside
[range_min, range_max]. Each engagement takes τ_j and kills with p_jc (a jammer's p times the share of
sorties that depend on their link). Within a window w the effector gets n = ⌊w / τ_j⌋ tries, so it
defeats the sortie with 1 − (1 − p)ⁿ. The number of tries it would need is drawn once per
(replication, sortie, effector) as a geometric variable K from a uniform of that effector's own
stream; the sortie falls at start + K·τ if K ≤ n. Every effector engages concurrently; the first kill
wins and the others stop there.

Capacity: an effector serves one target at a time, targets in order of arrival at the perimeter,
and stays on a target from its start until the target falls or leaves its range.
The loop runs over the small dimensions (sorties by arrival rank, then effectors) and every step is
array arithmetic over all replications.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EffectorPlan:
    """One effector resolved against every sortie (arrays indexed by sortie)."""

    name: str
    stream_key: int
    engage_s: float
    cost_per_engagement_usd: float
    window_in_s: np.ndarray  # since launch; in > out when the sortie never comes in range
    window_out_s: np.ndarray
    p_kill: np.ndarray


@dataclass(frozen=True)
class Engagement:
    defeat_time: np.ndarray  # (R, D) absolute time the sortie fell, +inf if it did not
    defeated_by: np.ndarray  # (R, D) index of the effector that defeated it, -1 if none
    shots: np.ndarray  # (R, J) engagements each effector spent


def tries_needed(uniforms: np.ndarray, p_kill: np.ndarray) -> np.ndarray:
    """Geometric K ≥ 1 by inversion: monotone in p for a fixed uniform, +inf when p = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.ceil(np.log1p(-uniforms) / np.log1p(-np.minimum(p_kill, 1.0)))
    k = np.where(p_kill > 0, np.maximum(k, 1.0), np.inf)
    return np.nan_to_num(k, nan=1.0, posinf=np.inf)


def engage(order: np.ndarray, launch: np.ndarray, alert: np.ndarray,
           effectors: list[EffectorPlan], tries: list[np.ndarray]) -> Engagement:
    """Serve sorties in `order` (R, D: sortie indices by arrival rank) with every effector.

    `tries[j]` holds K for effector j, shaped (R, D) like `launch` and `alert` (absolute times).
    """
    reps, sorties = launch.shape

    def by_rank(values: np.ndarray) -> np.ndarray:
        """(D, R): row `rank` holds every replication's sortie of that arrival rank, contiguous,
        so the loop below reads whole rows instead of strided columns."""
        return np.ascontiguousarray(np.take_along_axis(values, order, axis=1).T)

    launch_r, alert_r = by_rank(launch), by_rank(alert)
    tries_r = [by_rank(k) for k in tries]
    defeat_r = np.full((sorties, reps), np.inf)
    by_r = np.full((sorties, reps), -1, dtype=np.int8)
    busy = np.zeros((len(effectors), reps))
    shots = np.zeros((reps, len(effectors)))
    for rank in range(sorties):
        sortie = order[:, rank]
        starts, ends, counts = [], [], []
        best, best_j = np.full(reps, np.inf), np.full(reps, -1, dtype=np.int8)
        for j, effector in enumerate(effectors):
            start = np.maximum(np.maximum(alert_r[rank], busy[j]),
                               launch_r[rank] + effector.window_in_s[sortie])
            end = launch_r[rank] + effector.window_out_s[sortie]
            n = np.maximum(np.floor((end - start) / effector.engage_s), 0.0)
            n = np.nan_to_num(n, nan=0.0, posinf=0.0)
            kill = np.where(tries_r[j][rank] <= n, start + tries_r[j][rank] * effector.engage_s,
                            np.inf)
            better = kill < best
            best, best_j = np.where(better, kill, best), np.where(better, j, best_j)
            starts.append(start)
            ends.append(end)
            counts.append(n)
        for j, effector in enumerate(effectors):
            with np.errstate(invalid="ignore"):
                until_kill = np.ceil((best - starts[j]) / effector.engage_s)
            fired = np.minimum(np.minimum(tries_r[j][rank], counts[j]), until_kill)
            shots[:, j] += np.maximum(np.nan_to_num(fired, nan=0.0), 0.0)
            engaged = starts[j] < np.minimum(ends[j], best)
            busy[j] = np.where(engaged, np.minimum(ends[j], best), busy[j])
        defeat_r[rank], by_r[rank] = best, best_j
    defeat, by = np.empty((reps, sorties)), np.empty((reps, sorties), dtype=np.int8)
    np.put_along_axis(defeat, order, defeat_r.T, axis=1)
    np.put_along_axis(by, order, by_r.T, axis=1)
    return Engagement(defeat_time=defeat, defeated_by=by, shots=shots)

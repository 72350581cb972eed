"""Engagement (see docs/simulator.md): windows in range, shots of fixed duration, one target at a time.

After the alert (detection plus command delay) effector j may engage a sortie while it is inside
[range_min, range_max]. Each engagement takes τ_j and kills with p_jc. Within a window w the effector
gets n = ⌊w / τ_j⌋ tries, so it defeats the sortie with 1 − (1 − p)ⁿ. A jammer acts only on a sortie
that listens: one that does not emit has p = 0, and one that flies on autonomously (drawn once per
sortie by the engine) needs K = +∞ tries. Either way the jammer still spends its time on it, as
its crew cannot tell. The number of tries it would need is drawn once per
(replication, sortie, effector) as a geometric variable K from a uniform of that effector's own
stream; the sortie falls at start + K·τ if K ≤ n. Every effector engages concurrently; the first kill
wins and the others stop there.

Capacity: an effector serves one target at a time, in the order the defence's engagement policy
sets (strike drones first, then by arrival at the perimeter, by default), and stays on a target
from its start until the target falls or leaves its range. An effector with an inventory (the
interceptors at a launcher) makes no more engagements than it holds.
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
    jammer: bool
    engage_s: float
    cost_per_engagement_usd: float
    window_in_s: np.ndarray  # since launch; in > out when the sortie never comes in range
    window_out_s: np.ndarray
    p_kill: np.ndarray
    inventory: float = np.inf  # engagements it can make in all (interceptors carried)


@dataclass(frozen=True)
class Engagement:
    defeat_time: np.ndarray  # (R, D) absolute time the sortie fell, +inf if it did not
    defeated_by: np.ndarray  # (R, D) index of the effector that defeated it, -1 if none
    shots: np.ndarray  # (R, J) engagements each effector spent


def layer_index_dtype(effectors: int) -> np.dtype:
    """The smallest signed integer type holding every effector's index and −1 (none): int8 up to
    127 effectors, wider beyond, so the index never wraps round to another effector."""
    return np.result_type(np.min_scalar_type(effectors), np.int8)


def tries_needed(uniforms: np.ndarray, p_kill: np.ndarray) -> np.ndarray:
    """Geometric K ≥ 1 by inversion: monotone in p for a fixed uniform, +inf when p = 0.

    `fmax` rather than `maximum` sends the NaN of 0 / 0 to 1 in the same pass.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.log1p(-uniforms)
        np.divide(k, np.log1p(-np.minimum(p_kill, 1.0)), out=k)
    np.ceil(k, out=k)
    np.fmax(k, 1.0, out=k)
    k[..., ~(p_kill > 0)] = np.inf
    return k


def engage(order: np.ndarray, launch: np.ndarray, alert: np.ndarray,
           effectors: list[EffectorPlan], tries: list[np.ndarray]) -> Engagement:
    """Serve sorties in `order` (R, D: sortie indices by arrival rank) with every effector.

    `tries[j]` holds K for effector j, shaped (R, D) like `launch` and `alert` (absolute times).
    The loop works on (D, R) copies ordered by rank, so each step reads whole contiguous rows, and
    writes into rows allocated once (`out=`): a chunk takes a few hundred such steps, and fresh
    arrays for each would cost about as much as the arithmetic.
    """
    reps, sorties = launch.shape
    # flat index of each replication's sortie of each rank, laid out (rank, replication)
    flat = np.add(order.T, np.arange(reps) * sorties, out=np.empty((sorties, reps), dtype=np.intp))

    def by_rank(values: np.ndarray) -> np.ndarray:
        """(D, R): row `rank` holds every replication's sortie of that arrival rank."""
        return values.reshape(-1).take(flat)

    alert_r = by_rank(alert)
    lanes = [_Lane(effector, by_rank(launch + effector.window_in_s),
                   by_rank(launch + effector.window_out_s), by_rank(k), reps)
             for effector, k in zip(effectors, tries, strict=True)]
    defeat_r = np.empty((sorties, reps))
    index = layer_index_dtype(len(lanes))
    by_r = np.empty((sorties, reps), dtype=index)
    for rank in range(sorties):
        best, best_j = defeat_r[rank], by_r[rank]
        best.fill(np.inf)
        best_j.fill(-1)
        for j, lane in enumerate(lanes):
            lane.aim(rank, alert_r[rank])
            better = lane.kill < best
            np.copyto(best, lane.kill, where=better)
            np.copyto(best_j, j, where=better)
        for lane in lanes:
            lane.settle(rank, best)
    defeat, by = np.empty((reps, sorties)), np.empty((reps, sorties), dtype=index)
    defeat.reshape(-1)[flat] = defeat_r
    by.reshape(-1)[flat] = by_r
    shots = np.empty((reps, len(lanes)))
    for j, lane in enumerate(lanes):
        shots[:, j] = lane.shots
    return Engagement(defeat_time=defeat, defeated_by=by, shots=shots)


class _Lane:
    """One effector's state across the ranks: its windows and tries by rank, when it is next free,
    the engagements it spent, and scratch rows for the rank at hand."""

    def __init__(self, effector: EffectorPlan, enter: np.ndarray, leave: np.ndarray,
                 tries: np.ndarray, reps: int) -> None:
        self.engage_s, self.enter, self.leave, self.tries = effector.engage_s, enter, leave, tries
        self.inventory = effector.inventory
        self.busy, self.shots = np.zeros(reps), np.zeros(reps)
        self.start, self.count, self.kill = np.empty(reps), np.empty(reps), np.empty(reps)
        self.scratch = np.empty(reps)

    def aim(self, rank: int, alert: np.ndarray) -> None:
        """When this effector could start on the sortie of `rank`, the tries its window holds, and
        when it would kill it alone (+inf: not in time).

        The window's end is finite or −inf and its start finite or +inf, so their difference is
        never +inf; it is NaN only for a false-track slot that never filled (+inf − +inf), and
        `fmax` with 0 turns both that and a negative count into no tries.
        """
        start, count, kill = self.start, self.count, self.kill
        np.maximum(alert, self.busy, out=start)
        np.maximum(start, self.enter[rank], out=start)
        with np.errstate(invalid="ignore"):
            np.subtract(self.leave[rank], start, out=count)
        np.divide(count, self.engage_s, out=count)
        np.floor(count, out=count)
        np.fmax(count, 0.0, out=count)
        if self.inventory < np.inf:  # no more tries than it has left
            np.minimum(count, self.inventory - self.shots, out=count)
        tries = self.tries[rank]
        np.multiply(tries, self.engage_s, out=kill)
        np.add(start, kill, out=kill)
        kill[tries > count] = np.inf

    def settle(self, rank: int, best: np.ndarray) -> None:
        """Count the shots fired until the sortie fell (to any effector) or left, and hold the
        effector busy that long if it started on the sortie at all: also when no whole engagement
        fits before the sortie leaves, since the crew cannot know that (as in the Mesa twin, which
        stays on its target until the target leaves)."""
        fired = self.scratch
        with np.errstate(invalid="ignore"):
            np.subtract(best, self.start, out=fired)
        np.divide(fired, self.engage_s, out=fired)
        np.ceil(fired, out=fired)
        np.minimum(fired, self.count, out=fired)
        np.minimum(fired, self.tries[rank], out=fired)
        np.fmax(fired, 0.0, out=fired)  # NaN (inf − inf: never started) fired nothing
        self.shots += fired
        until = np.minimum(self.leave[rank], best, out=fired)  # fired is spent: reuse its row
        np.copyto(self.busy, until, where=self.start < until)

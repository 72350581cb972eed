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

Capacity: an effector serves one target at a time. Whenever it is free it takes, among the targets
it can engage at that moment, the first in the defence's policy order (strike drones before ISR
drones, then by arrival at the perimeter, by default), and stays on it until it falls or leaves
its range; with nothing to engage it waits for the next target. An effector with an inventory (the
interceptors at a launcher) makes no more engagements than it holds.
The loop runs over decisions (at most a few per effector and target), each one array arithmetic over
all replications.
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


def engage(key: np.ndarray, launch: np.ndarray, alert: np.ndarray, effectors: list[EffectorPlan],
           tries: list[np.ndarray]) -> Engagement:
    """Every effector's engagements, decided in time order, for all replications at once.

    `key` (R, T) orders the targets an effector may take (the policy: lower first; ties go to
    the lower index); `launch` and `alert` are absolute times; `tries[j]` holds K for effector j.
    Each round takes, in every replication, the effector that is free first: it settles the shots
    of the engagement it ends, then takes the engageable target (alerted, in its window, not yet
    fallen) that comes first by `key`, or waits for the next target to become engageable. Its
    engagement ends when the target falls (to it or to another effector engaging it too) or leaves.
    A kill found later by another effector can only shorten an engagement to a time not yet
    reached, so deciding in order of free time never needs to undo a decision.
    """
    reps, targets = launch.shape
    lanes = len(effectors)
    index = layer_index_dtype(lanes)
    kill = np.full((reps, targets), np.inf)
    by = np.full((reps, targets), -1, dtype=index)
    if not lanes or not targets:
        return Engagement(defeat_time=kill, defeated_by=by, shots=np.zeros((reps, lanes)))
    state = _Lanes(effectors, launch, alert, tries)
    while True:
        j = state.free.argmin(axis=0)
        now = state.free[j, np.arange(reps)]
        rows = np.flatnonzero(np.isfinite(now))
        if rows.size == 0:
            break
        j, now = j[rows], now[rows]
        state.settle(j, rows, now)
        target = state.choose(j, rows, now, key, kill)
        engaging = np.flatnonzero(target >= 0)
        if engaging.size:
            state.take(j[engaging], rows[engaging], now[engaging], target[engaging], kill, by)
    return Engagement(defeat_time=kill, defeated_by=by, shots=state.shots.T.copy())


class _Lanes:
    """Every effector's state, (J, R): when it is next free, the target it is on (−1: none), when it
    started, the tries its window holds and the engagements spent; and its windows and tries,
    (J, R, T)."""

    def __init__(self, effectors: list[EffectorPlan], launch: np.ndarray, alert: np.ndarray,
                 tries: list[np.ndarray]) -> None:
        self.engage_s = np.array([e.engage_s for e in effectors])
        self.inventory = np.array([e.inventory for e in effectors])
        self.leave = np.stack([launch + e.window_out_s for e in effectors])
        ready = np.stack([np.maximum(alert, launch + e.window_in_s) for e in effectors])
        with np.errstate(invalid="ignore"):  # inf vs inf: a false-track slot that never filled
            ready[~(ready < self.leave)] = np.inf  # never engageable
        self.ready, self.tries = ready, np.stack(tries)
        shape = (len(effectors), launch.shape[0])
        self.free = ready.min(axis=2)  # first decision: when its first target can be engaged
        self.on = np.full(shape, -1, dtype=np.intp)
        self.start, self.count, self.shots = np.zeros(shape), np.zeros(shape), np.zeros(shape)

    def settle(self, j: np.ndarray, rows: np.ndarray, now: np.ndarray) -> None:
        """Count the shots of the engagements ending `now`: the tries begun until the target fell
        or left, never more than its window held or than it needed."""
        on = self.on[j, rows]
        busy = np.flatnonzero(on >= 0)
        if busy.size == 0:
            return
        j, rows, on = j[busy], rows[busy], on[busy]
        tau = self.engage_s[j]
        fired = np.ceil((now[busy] - self.start[j, rows]) / tau)
        fired = np.minimum(np.minimum(fired, self.count[j, rows]), self.tries[j, rows, on])
        self.shots[j, rows] += np.fmax(fired, 0.0)
        self.on[j, rows] = -1

    def choose(self, j: np.ndarray, rows: np.ndarray, now: np.ndarray, key: np.ndarray,
               kill: np.ndarray) -> np.ndarray:
        """The target each effector takes now (−1: none); one that takes none waits for the next
        target to become engageable, or, empty or with nothing left to come, is done (+inf)."""
        ready, later = self.ready[j, rows], now[:, None]
        alive = kill[rows] > later
        engageable = alive & (ready <= later) & (self.leave[j, rows] > later)
        loaded = self.inventory[j] > self.shots[j, rows]
        target = np.where(engageable, key[rows], np.inf).argmin(axis=1)
        target[~(engageable.any(axis=1) & loaded)] = -1
        idle = np.flatnonzero(target < 0)
        upcoming = np.where(alive & (ready > later), ready, np.inf).min(axis=1)
        self.free[j[idle], rows[idle]] = np.where(loaded[idle], upcoming[idle], np.inf)
        return target

    def take(self, j: np.ndarray, rows: np.ndarray, now: np.ndarray, target: np.ndarray,
             kill: np.ndarray, by: np.ndarray) -> None:
        """Start each effector on its target: the tries that fit before it leaves (and in the
        inventory), its own kill if K of them suffice, the target's earliest kill, and when every
        effector on that target is free again."""
        tau, leave = self.engage_s[j], self.leave[j, rows, target]
        count = np.floor((leave - now) / tau)
        np.fmax(count, 0.0, out=count)
        np.minimum(count, self.inventory[j] - self.shots[j, rows], out=count)
        needed = self.tries[j, rows, target]
        own = np.where(needed <= count, now + needed * tau, np.inf)
        first = own < kill[rows, target]
        kill[rows[first], target[first]] = own[first]
        by[rows[first], target[first]] = j[first]
        falls = kill[rows, target]
        self.on[j, rows], self.start[j, rows], self.count[j, rows] = target, now, count
        self.free[j, rows] = leave
        for lane in range(len(self.engage_s)):  # every effector on it, this one too, stops when it falls
            same = np.flatnonzero(self.on[lane, rows] == target)
            np.minimum.at(self.free[lane], rows[same], falls[same])

"""Ground assault after the drones: stochastic Lanchester square law (MODEL.md §6).

Attackers A and defenders D attrit each other: per step of Δt minutes the attackers lose on average
(β·D + β_air)·Δt and the defenders α'·A·Δt, with α' = α·(1 + κ·Q) raised by the attackers' ISR
quality Q, and by a surprise factor during the first minutes unless air overwatch was already on
station (the warning an unarmed drone gives). A quick-reaction force joins at its arrival; armed air
support fires from arrival plus authorisation, unarmed air support adds no fire (Tongo Tongo, 2017).
The fight ends when a side falls to its break fraction or time runs out.

Each step's losses are the binomial attrition's mean and variance drawn as a rounded normal from a
standard normal of the assault stream, clipped to [0, side]. A fixed draw then gives losses that grow
with the opposing fire, so common random numbers keep comparisons sharp. With no draws (`noise=None`)
the step is the deterministic Euler step of dA/dt = −β·D, dD/dt = −α·A, the closed-form check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Outcome(IntEnum):
    NO_ASSAULT = 0
    REPELLED = 1  # the attackers broke
    OVERRUN = 2  # the defenders broke
    STALEMATE = 3  # time ran out


@dataclass(frozen=True)
class AssaultPlan:
    attackers: int
    alpha_per_min: float
    beta_per_min: float
    attacker_break: float
    defender_break: float
    probability_without_isr: float
    probability_with_isr: float
    isr_gain: float
    surprise_factor: float
    surprise_min: float
    max_minutes: int
    qrf_size: int = 0
    qrf_arrival_min: float = np.inf
    air_fire_per_min: float = 0.0
    air_fire_from_min: float = np.inf
    warned: bool = False
    step_min: float = 1.0


@dataclass(frozen=True)
class AssaultResult:
    outcome: np.ndarray  # Outcome codes, int8
    attacker_losses: np.ndarray
    defender_losses: np.ndarray


def launch_probability(plan: AssaultPlan, quality: np.ndarray) -> np.ndarray:
    """Odds of the assault rise linearly from no intelligence to a full picture."""
    return plan.probability_without_isr + (plan.probability_with_isr
                                           - plan.probability_without_isr) * quality


def _losses(mean: np.ndarray, side: np.ndarray, z: np.ndarray | None) -> np.ndarray:
    """Losses of one side in one step: the mean, or a rounded normal with binomial variance."""
    if z is None:
        return mean
    share = np.divide(mean, side, out=np.zeros_like(mean), where=side > 0)
    spread = np.sqrt(mean * (1.0 - share))
    return np.clip(np.rint(mean + spread * z), 0.0, side)


def fight(plan: AssaultPlan, occurs: np.ndarray, defenders: np.ndarray, garrison: float,
          quality: np.ndarray, noise: Callable[[], np.ndarray] | None) -> AssaultResult:
    """Run every replication's assault at once, step by step, until all have ended.

    `defenders` are those standing when the assault begins (after drone casualties); breaking is
    judged against the full `garrison`. `noise()` returns the next (R, 2) standard normals; it is
    called once per step while any fight goes on, so every replication sees the same draws whatever
    the others do. Finished fights drop out of the working arrays, so late steps cost little.
    """
    reps = len(occurs)
    outcome = np.where(occurs, Outcome.STALEMATE, Outcome.NO_ASSAULT).astype(np.int8)
    final_attackers = np.full(reps, float(plan.attackers))
    final_standing = np.asarray(defenders, dtype=float).copy()
    final_reinforced = np.zeros(reps)
    rows = np.flatnonzero(occurs)  # the working set: fights still going on
    attackers = np.full(rows.size, float(plan.attackers))
    standing = final_standing[rows]
    alpha = plan.alpha_per_min * (1.0 + plan.isr_gain * quality[rows])
    reinforced = 0.0
    dt = plan.step_min
    for step in range(int(np.ceil(plan.max_minutes / dt))):
        if rows.size == 0:
            break
        minute = step * dt
        if reinforced == 0 and minute >= plan.qrf_arrival_min:
            reinforced = float(plan.qrf_size)
            standing = standing + reinforced
        surprise = plan.surprise_factor if minute < plan.surprise_min and not plan.warned else 1.0
        air = plan.air_fire_per_min if minute >= plan.air_fire_from_min else 0.0
        to_attackers = np.minimum((plan.beta_per_min * standing + air) * dt, attackers)
        to_defenders = np.minimum(alpha * surprise * attackers * dt, standing)
        z = noise()[rows] if noise is not None else None
        attackers = attackers - _losses(to_attackers, attackers, None if z is None else z[:, 0])
        standing = standing - _losses(to_defenders, standing, None if z is None else z[:, 1])
        defenders_broke = standing <= plan.defender_break * garrison
        attackers_broke = ~defenders_broke & (attackers <= plan.attacker_break * plan.attackers)
        outcome[rows[defenders_broke]] = Outcome.OVERRUN
        outcome[rows[attackers_broke]] = Outcome.REPELLED
        final_attackers[rows], final_standing[rows] = attackers, standing
        final_reinforced[rows] = reinforced
        going_on = ~(defenders_broke | attackers_broke)
        rows, attackers, standing, alpha = (rows[going_on], attackers[going_on], standing[going_on],
                                            alpha[going_on])
    return AssaultResult(
        outcome=outcome,
        attacker_losses=np.where(occurs, plan.attackers - final_attackers, 0.0),
        defender_losses=np.where(occurs, defenders + final_reinforced - final_standing, 0.0))

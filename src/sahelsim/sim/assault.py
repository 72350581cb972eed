"""Ground assault after the drones: stochastic Lanchester square law (docs/simulator.md, Ground assault).

Attackers A and defenders D attrit each other: per step of Δt minutes the attackers lose on average
(β·D + β_air)·Δt and the defenders α'·A·Δt, with α' = α·(1 + κ·Q) raised by the attackers' ISR
quality Q, and by a surprise factor during the first minutes unless air overwatch was already on
station (the warning an unarmed drone gives). A quick-reaction force joins at its arrival; armed air
support fires from arrival plus authorisation, unarmed air support adds no fire (Tongo Tongo, 2017).
The fight ends when a side falls to its break fraction or time runs out.

Each step's losses are exact binomial draws, as the model asks: each of the side's n fighters
falls with probability p = mean / n. They are drawn by inversion (`binomial.quantile`) from one
uniform per replication, step and side of the assault stream. One number per draw, whatever n and
p, keeps the assault stream laid out by replication and step (common random numbers between defence
variants), and for a fixed uniform more opposing fire (p up) or more fighters under the same risk
(n up) never gives fewer losses, so comparisons stay monotone. (An earlier rounded normal with the
binomial's mean and variance had the same layout but biased the outcome: +1.6% attacker losses
against soldier-by-soldier coin flips.) With no draws (`uniforms=None`) the step is the
deterministic Euler step of dA/dt = −β·D, dD/dt = −α·A, the closed-form check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sahelsim.sim import binomial


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


def _mean_losses(forces: np.ndarray, beta: float, air: float, alpha: np.ndarray, surprise: float,
                 dt: float) -> np.ndarray:
    """The step's mean losses, laid out like `forces`: (β·D + air)·Δt for the attackers and
    α·surprise·A·Δt for the defenders, neither above what is left of them."""
    attackers, standing = forces
    mean = np.empty_like(forces)
    lost_attackers, lost_defenders = mean
    np.multiply(standing, beta, out=lost_attackers)
    if air:  # adding 0 or multiplying by 1 would change no bit
        lost_attackers += air
    np.multiply(alpha, surprise, out=lost_defenders)
    lost_defenders *= attackers
    if dt != 1.0:
        mean *= dt
    np.minimum(lost_attackers, attackers, out=lost_attackers)
    np.minimum(lost_defenders, standing, out=lost_defenders)
    return mean


def _losses(mean: np.ndarray, side: np.ndarray, u: np.ndarray | None) -> np.ndarray:
    """Losses of one side (or several, stacked) in one step: the mean with no draws, else an exact
    binomial draw of `side` fighters each falling with probability mean / side, inverted from the
    uniform u."""
    if u is None:
        return mean
    # side is a whole number and mean <= side, so p <= 1; where side = 0 the mean is 0 and so is p
    p = np.maximum(side, 1.0)
    np.divide(mean, p, out=p)
    return binomial.quantile(side, p, u)


def fight(plan: AssaultPlan, occurs: np.ndarray, defenders: np.ndarray, garrison: float,
          quality: np.ndarray, uniforms: Callable[[], np.ndarray] | None) -> AssaultResult:
    """Run every replication's assault at once, step by step, until all have ended.

    `defenders` are those standing when the assault begins (after drone casualties); breaking is
    judged against the full `garrison`. `uniforms()` returns the next (2, R) uniforms (row 0 for
    the attackers' losses, 1 for the defenders'), each the random number of one exact binomial draw
    by inversion (`binomial.quantile`). It is called once per step while any fight goes on, so every
    replication sees the same numbers whatever the others do.

    The fights still going on are the working set: `forces` holds their attackers (row 0) and
    standing defenders (row 1) side by side, so both sides' losses come from one search over
    2 × fights draws without concatenating. A fight that ends drops out of the working set, and its
    final numbers are written then, so late steps cost little.
    """
    reps = len(occurs)
    outcome = np.where(occurs, Outcome.STALEMATE, Outcome.NO_ASSAULT).astype(np.int8)
    final = np.empty((2, reps))  # attackers and standing defenders when each fight ended
    final[0], final[1] = plan.attackers, defenders
    final_reinforced = np.zeros(reps)
    rows = np.flatnonzero(occurs)  # the working set: fights still going on
    forces = final.take(rows, axis=1)  # C order, as every later step keeps it
    alpha = plan.alpha_per_min * (1.0 + plan.isr_gain * quality[rows])
    attackers_break = plan.attacker_break * plan.attackers
    defenders_break = plan.defender_break * garrison
    reinforced = 0.0
    dt = plan.step_min
    for step in range(int(np.ceil(plan.max_minutes / dt))):
        if rows.size == 0:
            break
        minute = step * dt
        if reinforced == 0 and minute >= plan.qrf_arrival_min:
            reinforced = float(plan.qrf_size)
            forces[1] += reinforced
        surprise = plan.surprise_factor if minute < plan.surprise_min and not plan.warned else 1.0
        air = plan.air_fire_per_min if minute >= plan.air_fire_from_min else 0.0
        mean = _mean_losses(forces, plan.beta_per_min, air, alpha, surprise, dt)
        # this step's uniforms of the fights going on, laid out like `forces`
        u = None if uniforms is None else np.take(uniforms(), rows, axis=1)
        forces -= _losses(mean, forces, u)
        attackers, standing = forces
        ended = standing <= defenders_break
        ended |= attackers <= attackers_break
        done = np.flatnonzero(ended)
        if done.size:
            # the defenders' break counts first when both sides break in the same step
            outcome[rows[done]] = np.where(standing[done] <= defenders_break, Outcome.OVERRUN,
                                           Outcome.REPELLED)
            _record(rows[done], forces.take(done, axis=1), reinforced, final, final_reinforced)
            going_on = np.flatnonzero(~ended)
            rows, forces, alpha = rows[going_on], forces.take(going_on, axis=1), alpha[going_on]
    _record(rows, forces, reinforced, final, final_reinforced)  # time ran out
    return AssaultResult(
        outcome=outcome,
        attacker_losses=np.where(occurs, plan.attackers - final[0], 0.0),
        defender_losses=np.where(occurs, defenders + final_reinforced - final[1], 0.0))


def _record(rows: np.ndarray, forces: np.ndarray, reinforced: float, final: np.ndarray,
            final_reinforced: np.ndarray) -> None:
    """Write the numbers the fights `rows` ended with into the per-replication arrays."""
    final[:, rows] = forces
    final_reinforced[rows] = reinforced

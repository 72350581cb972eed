"""Ground assault after the drones: stochastic Lanchester square law (MODEL.md §6).

Attackers A and defenders D attrit each other: per step of Δt minutes the attackers lose on average
(β·D + β_air)·Δt and the defenders α'·A·Δt, with α' = α·(1 + κ·Q) raised by the attackers' ISR
quality Q, and by a surprise factor during the first minutes unless air overwatch was already on
station (the warning an unarmed drone gives). A quick-reaction force joins at its arrival; armed air
support fires from arrival plus authorisation, unarmed air support adds no fire (Tongo Tongo, 2017).
The fight ends when a side falls to its break fraction or time runs out.

Each step's losses are exact binomial draws, as MODEL.md §6 asks: each of the side's n fighters
falls with probability p = mean / n. They are drawn by inversion, losses = the smallest k with
BinomCDF(k; n, p) >= u, from one uniform u per replication, step and side; u = Φ(z) of a standard
normal z of the assault stream. One number per draw, whatever n and p, keeps the assault stream laid
out by replication and step (common random numbers between defence variants), and inversion with a
fixed u is monotone: more opposing fire on the same side (p up) or more fighters under the same risk
(n up) never gives fewer losses, so comparisons stay sharp and monotone. (An earlier rounded normal with the binomial's mean and
variance had the same layout but biased the outcome: +1.6% attacker losses against soldier-by-soldier
coin flips.) With no draws (`noise=None`) the step is the deterministic Euler step of
dA/dt = −β·D, dD/dt = −α·A, the closed-form check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import special


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


# Inversion by sequential search from k = 0 costs about mean + 1 steps per draw; above this mean (or
# where P(X = 0) = (1 − p)^n would underflow) the draw goes to scipy's exact binomial quantile instead.
# At this mean the search ends below k = 140 for every u <= U_MAX, so it counts k in 8 bits.
SEARCH_MAX_MEAN = 64.0
_SEARCH_MAX_K = 255
# u is capped here: the summed CDF carries rounding errors of order 1e-14, so the search must stop
# below 1; the cap moves less than 1e-12 of probability to the cap's quantile.
U_MAX = 1.0 - 1e-12
# The search works on the whole array until this share of draws is left, then on the rest alone.
_COMPACT = 0.25


def binomial_quantile(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Exact binomial draws by inversion: the smallest k with BinomCDF(k; n, p) >= u, elementwise.

    `n` holds whole numbers (as floats), 0 <= p <= 1 and 0 <= u <= 1 (capped at `U_MAX`); p = 1 gives
    n (all fall), n = 0 or p = 0 gives 0. The search walks k up from 0 over all draws at once, with
    pmf(0) = (1 − p)^n and pmf(k + 1) = pmf(k) · (n − k) · p / (1 − p) / (k + 1); a draw leaves the
    search when its CDF reaches u, and the working arrays shrink as draws leave. Draws with a mean
    n·p above `SEARCH_MAX_MEAN`, or where (1 − p)^n underflows, use `scipy.stats.binom.ppf` (the same
    quantile, slower). For a fixed u the result never falls when p or n rises.
    """
    n = np.asarray(n, dtype=float)
    p = np.asarray(p, dtype=float)
    u = np.asarray(u, dtype=float)
    if not u.max(initial=0.0) <= U_MAX:
        u = np.minimum(u, U_MAX)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_none = n * np.log1p(-p)  # log P(X = 0); −inf where p = 1
        ratio = p / (1.0 - p)
        mean = n * p
    elsewhere = None  # draws left to scipy (p = 1, large means, underflow)
    u_search = u
    if not (mean.max(initial=0.0) <= SEARCH_MAX_MEAN and log_none.min(initial=0.0) > -700.0):
        elsewhere = ~((mean <= SEARCH_MAX_MEAN) & (log_none > -700.0))
        u_search = np.where(elsewhere, 0.0, u)  # leave the search at once
        ratio[elsewhere], log_none[elsewhere] = 0.0, 0.0
    k = np.zeros(n.shape, dtype=np.uint8)
    # working arrays: all draws at first; `rows` indexes them into the full ones after compaction
    pmf_w = np.exp(log_none)
    cdf_w, u_w, n_w, ratio_w, k_w = pmf_w.copy(), u_search, n, ratio, k
    step = np.empty_like(n)
    going = cdf_w < u_w
    left = np.count_nonzero(going)
    last = min(float(n.max(initial=0.0)), _SEARCH_MAX_K)  # pmf(k) = 0 beyond k = n
    rows, j = None, 0
    while left and j < last:
        if left <= _COMPACT * going.size:
            keep = np.flatnonzero(going)
            if rows is None:
                rows = keep
            else:
                k[rows] = k_w
                rows = rows[keep]
            pmf_w, cdf_w, u_w, n_w, ratio_w, k_w = (
                pmf_w[keep], cdf_w[keep], u_w[keep], n_w[keep], ratio_w[keep], k_w[keep])
            going, step = np.ones(keep.size, dtype=bool), np.empty(keep.size)
        # (n − j) exactly: it is 0 at j = n, so pmf stays 0 beyond and the CDF never falls
        np.subtract(n_w, float(j), out=step)
        step *= ratio_w
        pmf_w *= step
        pmf_w *= 1.0 / (j + 1)  # pmf(j + 1)
        cdf_w += pmf_w  # CDF(j + 1)
        j += 1
        np.add(k_w, going.view(np.uint8), out=k_w)  # draws with CDF(j − 1) < u move on to j
        np.less(cdf_w, u_w, out=going)
        left = np.count_nonzero(going)
    if rows is not None:
        k[rows] = k_w
    draws = k.astype(float)
    if left:  # not reached (rounding in the summed CDF is far below 1 − U_MAX); scipy if it were
        stuck = np.zeros(n.shape, dtype=bool)
        stuck[np.arange(n.size) if rows is None else rows] = going
        elsewhere = stuck if elsewhere is None else elsewhere | stuck
    np.minimum(draws, n, out=draws)
    if elsewhere is not None:
        certain = elsewhere & (p >= 1.0)
        draws[certain] = n[certain]
        rest = elsewhere & ~certain
        if rest.any():
            # imported only here: scipy.stats costs half a second and 70 MiB to import
            from scipy import stats

            draws[rest] = np.clip(stats.binom.ppf(u[rest], n[rest], p[rest]), 0.0, n[rest])
    return draws


def _losses(mean: np.ndarray, side: np.ndarray, z: np.ndarray | None) -> np.ndarray:
    """Losses of one side (or several, stacked) in one step: the mean with no draws, else an exact
    binomial draw of `side` fighters each falling with probability mean / side, inverted from the
    uniform Φ(z) of the standard normal z."""
    if z is None:
        return mean
    p = np.divide(mean, side, out=np.zeros_like(mean), where=side > 0)
    return binomial_quantile(side, np.minimum(p, 1.0), special.ndtr(z))


def fight(plan: AssaultPlan, occurs: np.ndarray, defenders: np.ndarray, garrison: float,
          quality: np.ndarray, noise: Callable[[], np.ndarray] | None) -> AssaultResult:
    """Run every replication's assault at once, step by step, until all have ended.

    `defenders` are those standing when the assault begins (after drone casualties); breaking is
    judged against the full `garrison`. `noise()` returns the next (R, 2) standard normals (column 0
    for the attackers' losses, 1 for the defenders'), each turned into the uniform of one exact
    binomial draw by inversion (`binomial_quantile`). It is called once per step while any fight
    goes on, so every replication sees the same draws whatever the others do. Finished fights drop
    out of the working arrays, so late steps cost little.
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
        # both sides in one call (one search over 2 × rows draws): attackers first, then defenders
        z = None if noise is None else np.ascontiguousarray(noise()[rows].T, dtype=float).ravel()
        lost = _losses(np.concatenate((to_attackers, to_defenders)),
                       np.concatenate((attackers, standing)), z)
        attackers = attackers - lost[:rows.size]
        standing = standing - lost[rows.size:]
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

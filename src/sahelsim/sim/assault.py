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
    n (all fall), n = 0 or p = 0 gives 0. The search (`_search`) walks k up from 0 over all draws at
    once, with pmf(0) = (1 − p)^n and pmf(k + 1) = pmf(k) · (n − k) · p / (1 − p) / (k + 1). Draws with
    a mean n·p above `SEARCH_MAX_MEAN`, or where (1 − p)^n underflows, use `scipy.stats.binom.ppf`
    (the same quantile, slower). For a fixed u the result never falls when p or n rises.
    n, p and u have one shape, which the result has too.
    """
    shape = np.shape(u)
    n, p, u = (np.asarray(a, dtype=float).reshape(-1) for a in (n, p, u))
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
    k, stuck = _search(np.exp(log_none), n, ratio, u_search)
    if stuck is not None:  # not reached (rounding in the summed CDF is far below 1 − U_MAX)
        elsewhere = stuck if elsewhere is None else elsewhere | stuck
    draws = k.astype(float)
    np.minimum(draws, n, out=draws)
    if elsewhere is not None:
        certain = elsewhere & (p >= 1.0)
        draws[certain] = n[certain]
        rest = elsewhere & ~certain
        if rest.any():
            # imported only here: scipy.stats costs half a second and 70 MiB to import
            from scipy import stats

            draws[rest] = np.clip(stats.binom.ppf(u[rest], n[rest], p[rest]), 0.0, n[rest])
    return draws.reshape(shape)


def _search(pmf: np.ndarray, n: np.ndarray, ratio: np.ndarray,
            u: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The smallest k with CDF(k) >= u for every draw (1-D arrays; `pmf` holds pmf(0)).

    All draws walk k up together: pmf(k + 1) = pmf(k) · ((n − k) · ratio) · (1 / (k + 1)), updated in
    place in that order (the order fixes the rounding, hence the draws), and CDF(k + 1) = CDF(k) +
    pmf(k + 1); a draw stops counting once its CDF reaches u. Finished draws stay in the working
    arrays (updating them costs less than moving the others) until only `_COMPACT` of them are still
    searching; then those are gathered into smaller arrays and `rows` says where they came from.
    Returns k (8 bits: k stays below 140 for means up to `SEARCH_MAX_MEAN`) and a mask of the draws
    still searching at `_SEARCH_MAX_K`, or None when there are none.
    """
    size = n.size
    k = np.zeros(size, dtype=np.uint8)
    cdf = pmf.copy()
    step = np.empty_like(pmf)
    going = cdf < u
    left = np.count_nonzero(going)
    last = min(float(n.max(initial=0.0)), _SEARCH_MAX_K)  # pmf(k) = 0 beyond k = n
    k_w, n_w, ratio_w, u_w = k, n, ratio, u  # the working arrays (pmf and cdf too)
    rows, j = None, 0
    while left and j < last:
        if left <= _COMPACT * going.size:
            keep = np.flatnonzero(going)
            if rows is not None:
                k[rows] = k_w
            rows = keep if rows is None else rows[keep]
            pmf, cdf, u_w, n_w, ratio_w, k_w = (
                pmf[keep], cdf[keep], u_w[keep], n_w[keep], ratio_w[keep], k_w[keep])
            going, step = np.ones(keep.size, dtype=bool), step[:keep.size]
        # (n − j) exactly: it is 0 at j = n, so pmf stays 0 beyond and the CDF never falls
        np.subtract(n_w, float(j), out=step)
        step *= ratio_w
        pmf *= step
        pmf *= 1.0 / (j + 1)  # pmf(j + 1)
        cdf += pmf  # CDF(j + 1)
        j += 1
        k_w += going.view(np.uint8)  # draws with CDF(j − 1) < u move on to j
        np.less(cdf, u_w, out=going)
        left = np.count_nonzero(going)
    if rows is not None:
        k[rows] = k_w
    if not left:
        return k, None
    stuck = np.zeros(size, dtype=bool)
    stuck[np.arange(size) if rows is None else rows] = going
    return k, stuck


def _losses(mean: np.ndarray, side: np.ndarray, z: np.ndarray | None) -> np.ndarray:
    """Losses of one side (or several, stacked) in one step: the mean with no draws, else an exact
    binomial draw of `side` fighters each falling with probability mean / side, inverted from the
    uniform Φ(z) of the standard normal z."""
    if z is None:
        return mean
    p = np.divide(mean, side, out=np.zeros_like(mean), where=side > 0)
    np.minimum(p, 1.0, out=p)
    # Φ in double precision whatever z's type: single-precision normals are widened exactly
    return binomial_quantile(side, p, special.ndtr(z, dtype=float))


def fight(plan: AssaultPlan, occurs: np.ndarray, defenders: np.ndarray, garrison: float,
          quality: np.ndarray, noise: Callable[[], np.ndarray] | None) -> AssaultResult:
    """Run every replication's assault at once, step by step, until all have ended.

    `defenders` are those standing when the assault begins (after drone casualties); breaking is
    judged against the full `garrison`. `noise()` returns the next (R, 2) standard normals (column 0
    for the attackers' losses, 1 for the defenders'), each turned into the uniform of one exact
    binomial draw by inversion (`binomial_quantile`). It is called once per step while any fight
    goes on, so every replication sees the same draws whatever the others do.

    The fights still going on are the working set: `forces` holds their attackers (row 0) and
    standing defenders (row 1) side by side, so both sides' losses come from one search over
    2 × fights draws without concatenating. A fight that ends drops out of the working set, and its final
    numbers are written then, so late steps cost little.
    """
    reps = len(occurs)
    outcome = np.where(occurs, Outcome.STALEMATE, Outcome.NO_ASSAULT).astype(np.int8)
    final_attackers = np.full(reps, float(plan.attackers))
    final_standing = np.asarray(defenders, dtype=float).copy()
    final_reinforced = np.zeros(reps)
    rows = np.flatnonzero(occurs)  # the working set: fights still going on
    forces = np.empty((2, rows.size))
    forces[0] = plan.attackers
    forces[1] = final_standing[rows]
    alpha = plan.alpha_per_min * (1.0 + plan.isr_gain * quality[rows])
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
        attackers, standing = forces
        mean = np.empty_like(forces)
        np.minimum((plan.beta_per_min * standing + air) * dt, attackers, out=mean[0])
        np.minimum(alpha * surprise * attackers * dt, standing, out=mean[1])
        # this step's normals of the fights going on, laid out like `forces`
        z = None if noise is None else np.take(noise().T, rows, axis=1)
        forces -= _losses(mean, forces, z)
        defenders_broke = standing <= plan.defender_break * garrison
        attackers_broke = ~defenders_broke & (attackers <= plan.attacker_break * plan.attackers)
        ended = defenders_broke | attackers_broke
        if ended.any():
            outcome[rows[defenders_broke]] = Outcome.OVERRUN
            outcome[rows[attackers_broke]] = Outcome.REPELLED
            _record(rows[ended], forces[:, ended], reinforced,
                    final_attackers, final_standing, final_reinforced)
            going_on = ~ended
            rows, forces, alpha = rows[going_on], forces[:, going_on], alpha[going_on]
    _record(rows, forces, reinforced, final_attackers, final_standing, final_reinforced)  # time ran out
    return AssaultResult(
        outcome=outcome,
        attacker_losses=np.where(occurs, plan.attackers - final_attackers, 0.0),
        defender_losses=np.where(occurs, defenders + final_reinforced - final_standing, 0.0))


def _record(rows: np.ndarray, forces: np.ndarray, reinforced: float, final_attackers: np.ndarray,
            final_standing: np.ndarray, final_reinforced: np.ndarray) -> None:
    """Write the numbers the fights `rows` ended with into the per-replication arrays."""
    final_attackers[rows], final_standing[rows] = forces
    final_reinforced[rows] = reinforced

"""Effects of the sorties that get through (MODEL.md §4), kept abstract on purpose.

A delivery on an asset class damages each asset within its reach with p_damage · (1 − h), h the
hardening of its shelter; a damaged asset is destroyed with p_destroy. Dispersion lowers the reach.
People: each delivery hurts each exposed person not under cover with p_casualty; the share under
cover grows with the warning lead time (first alert to delivery) against the time needed to take
cover. The model knows nothing finer than these probabilities per delivery.

Counts are drawn by inverting the binomial distribution with one uniform each, so for fixed random
numbers they only fall when the defence improves: what common random numbers need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def binomial_by_inversion(uniforms: np.ndarray, n: np.ndarray | int, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts as the inverse CDF at `uniforms`; loops over k, so for small n only.

    pmf(k + 1) = pmf(k) · (n − k) / (k + 1) · p / (1 − p), updated in place in that order (the order
    fixes the rounding, hence the draws). A scalar n (people per delivery) keeps n − k a scalar too:
    no per-element integer arrays in the loop, and no k < n mask, since the loop stops at n.
    """
    n_scalar = int(n) if np.ndim(n) == 0 else None
    n = np.broadcast_to(np.asarray(n, dtype=np.int64), uniforms.shape)
    p = np.broadcast_to(np.clip(p, 0.0, 1.0), uniforms.shape)
    certain = p >= 1.0
    if certain.any():
        q = np.where(certain, 1.0, 1.0 - p)
        ratio = np.where(certain, 0.0, p / q)
    else:  # the usual case: the same values without the masking
        q = 1.0 - p
        ratio = p / q
    pmf = q ** n
    cdf = pmf.copy()
    count = np.zeros(uniforms.shape, dtype=np.int64)
    below = np.empty(uniforms.shape, dtype=bool)  # u >= CDF(k): the draw is above k
    remaining = None if n_scalar is not None else n.astype(float)  # n − k, exact in floating point
    for k in range(int(n.max(initial=0))):
        np.greater_equal(uniforms, cdf, out=below)
        if n_scalar is None:
            below &= k < n
        count += below
        pmf *= float(n_scalar - k) if n_scalar is not None else remaining
        pmf /= k + 1
        pmf *= ratio
        cdf += pmf
        if n_scalar is None:
            remaining -= 1.0
    return np.where(certain, n, count)


@dataclass(frozen=True)
class AssetPlan:
    """What each sortie's delivery can do to assets (arrays indexed by sortie)."""

    target: np.ndarray  # asset index, -1 for personnel only
    reach: np.ndarray  # assets within one delivery's reach after dispersion
    p_hit: np.ndarray  # p_damage · (1 − hardening)
    p_destroy: np.ndarray
    asset_counts: np.ndarray  # (A,)


def asset_losses(plan: AssetPlan, delivered: np.ndarray, u_hit: np.ndarray,
                 u_destroy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Assets damaged (destroyed included) and destroyed per replication, capped by what is there."""
    damaged = np.zeros(delivered.shape[0], dtype=np.int64)
    destroyed = np.zeros_like(damaged)
    for asset, count in enumerate(plan.asset_counts):
        cols = plan.target == asset
        hits = binomial_by_inversion(u_hit[:, cols], plan.reach[cols], plan.p_hit[cols])
        hits *= delivered[:, cols]
        kills = binomial_by_inversion(u_destroy[:, cols], hits, plan.p_destroy[cols])
        damaged += np.minimum(hits.sum(axis=1), count)
        destroyed += np.minimum(kills.sum(axis=1), count)
    return damaged, destroyed


@dataclass(frozen=True)
class PeoplePlan:
    exposed_per_delivery: int
    p_casualty: np.ndarray  # by sortie
    is_strike: np.ndarray  # by sortie: only strikes deliver
    warning: bool
    cover_share: float
    cover_time_s: float
    personnel: int


def casualties(plan: PeoplePlan, delivered: np.ndarray, delivery_time: np.ndarray,
               first_alert: np.ndarray, u_casualty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected casualties (given what leaked) and a drawn count, per replication."""
    cols = plan.is_strike
    delivered, delivery_time, u_casualty = delivered[:, cols], delivery_time[:, cols], u_casualty[:, cols]
    share = np.zeros_like(delivery_time)
    if plan.warning:
        lead = delivery_time - first_alert[:, None]
        share = plan.cover_share * np.clip(np.nan_to_num(lead, neginf=0.0) / plan.cover_time_s, 0, 1)
    p = plan.p_casualty[cols] * (1.0 - share)
    expected = (delivered * plan.exposed_per_delivery * p).sum(axis=1)
    drawn = (binomial_by_inversion(u_casualty, plan.exposed_per_delivery, p) * delivered).sum(axis=1)
    return expected, np.minimum(drawn, plan.personnel)

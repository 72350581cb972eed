"""Effects of the sorties that get through (docs/simulator.md, Effects), kept abstract on purpose.

A delivery on an asset class damages each asset within its reach with p_damage · (1 − h), h the
hardening of its shelter; a damaged asset is destroyed with p_destroy. Dispersion lowers the reach.
What is lost is also counted in money (docs/simulator.md, Costs): a destroyed asset at its unit value, a damaged
one at its stated share of it (the repair).
People: each delivery hurts each exposed person not under cover with p_casualty; the share under
cover grows with the warning lead time (latest alert to delivery) against the time needed to take
cover, and falls to none once cover has been held for its stated duration. The model knows nothing
finer than these probabilities per delivery.

Counts are drawn by inverting the binomial distribution with one uniform each (`binomial.quantile`),
so for fixed random numbers they only fall when the defence improves: what common random numbers
need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sahelsim.sim import binomial


@dataclass(frozen=True)
class AssetPlan:
    """What each sortie's delivery can do to assets (arrays indexed by sortie)."""

    target: np.ndarray  # asset index, -1 for personnel only
    reach: np.ndarray  # assets within one delivery's reach after dispersion
    p_hit: np.ndarray  # p_damage · (1 − hardening)
    p_destroy: np.ndarray
    asset_counts: np.ndarray  # (A,)
    unit_value_usd: np.ndarray  # (A,)
    damaged_value_share: np.ndarray  # (A,) what a damage short of destruction costs, per unit value


class AssetLosses(NamedTuple):
    """Per kind of asset and replication (kinds × replications): damaged (destroyed included) and
    destroyed; and the totals a run reports."""

    damaged_by_kind: np.ndarray
    destroyed_by_kind: np.ndarray

    @property
    def damaged(self) -> np.ndarray:
        return self.damaged_by_kind.sum(axis=0)

    @property
    def destroyed(self) -> np.ndarray:
        return self.destroyed_by_kind.sum(axis=0)

    def value_lost_usd(self, plan: AssetPlan) -> np.ndarray:
        """What the losses cost: a destroyed asset its value, a damaged one its repair."""
        repaired = plan.damaged_value_share[:, None] * (self.damaged_by_kind - self.destroyed_by_kind)
        return plan.unit_value_usd @ (self.destroyed_by_kind + repaired)


def asset_losses(plan: AssetPlan, delivered: np.ndarray, u_hit: np.ndarray,
                 u_destroy: np.ndarray) -> AssetLosses:
    """What the deliveries damaged and destroyed, kind by kind, capped by what is there."""
    kinds = len(plan.asset_counts)
    damaged = np.zeros((kinds, delivered.shape[0]), dtype=np.int64)
    destroyed = np.zeros_like(damaged)
    for asset, count in enumerate(plan.asset_counts):
        cols = plan.target == asset
        # none within reach of what never came
        reach = plan.reach[cols, None] * _rows(delivered, cols)
        hits = binomial.quantile(reach, plan.p_hit[cols, None], _rows(u_hit, cols))
        kills = binomial.quantile(hits, plan.p_destroy[cols, None], _rows(u_destroy, cols))
        damaged[asset] = np.minimum(hits.sum(axis=0), count)
        destroyed[asset] = np.minimum(kills.sum(axis=0), count)
    return AssetLosses(damaged, destroyed)


def assault_destruction(plan: AssetPlan, losses: AssetLosses, share: np.ndarray,
                        u: np.ndarray) -> AssetLosses:
    """The assets the attackers destroy on the ground: of each kind, Binomial(not yet destroyed,
    share) by inversion of u (replications × kinds), where `share` is each replication's (0
    without an assault). Those they burn are taken first from the ones the drones damaged, so an
    asset is never counted twice, and fewer drone kills never mean more assets lost."""
    destroyed = losses.destroyed_by_kind.copy()
    for asset, count in enumerate(plan.asset_counts):
        destroyed[asset] += binomial.quantile(count - destroyed[asset], share, u[:, asset]).astype(np.int64)
    return AssetLosses(np.maximum(losses.damaged_by_kind, destroyed), destroyed)


def _rows(values: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The sorties `cols` of (R, D) `values` as contiguous rows, (k, R).

    With a whole row per sortie every later pass runs along contiguous memory and the sum over
    sorties adds rows, where summing a short last axis would go one replication at a time.
    """
    return values.T[cols]


@dataclass(frozen=True)
class PeoplePlan:
    exposed_per_delivery: int
    p_casualty: np.ndarray  # by sortie
    is_strike: np.ndarray  # by sortie: only strikes deliver
    warning: bool
    cover_share: float
    cover_time_s: float
    cover_duration_s: float
    personnel: int


def casualties(plan: PeoplePlan, delivered: np.ndarray, delivery_time: np.ndarray,
               cover_from: np.ndarray | None, u_casualty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected casualties (given what leaked) and a drawn count, per replication.

    `cover_from` holds, for each strike sortie's delivery (R, strikes), the latest alert at or
    before it (−inf: none); None without warning. People reach cover over `cover_time_s` after an
    alert and hold it for `cover_duration_s`: a strike later than that finds them in the open.
    """
    cols = plan.is_strike
    delivered, u_casualty = _rows(delivered, cols), _rows(u_casualty, cols)
    share = 0.0
    if cover_from is not None:
        lead = _rows(delivery_time, cols) - cover_from.T
        share = plan.cover_share * np.clip(lead / plan.cover_time_s, 0, 1)
        share[~(lead <= plan.cover_duration_s)] = 0.0  # cover over, or no alert at all (lead inf)
    p = plan.p_casualty[cols, None] * (1.0 - share)
    expected = (delivered * plan.exposed_per_delivery * p).sum(axis=0)
    exposed = delivered * float(plan.exposed_per_delivery)  # nobody exposed to what never came
    drawn = binomial.quantile(exposed, p, u_casualty).sum(axis=0)
    return expected, np.minimum(drawn, plan.personnel).astype(np.int64)


def latest_before(alerts: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each of (R, m) `times`, the latest of the row's (R, n) `alerts` at or before it (−inf:
    none), by one sort of both together per row: an alert sorts before a time it equals, and a
    running maximum over the alerts carries the latest one to every time after it."""
    n = alerts.shape[1]
    values = np.hstack([alerts, times])
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    running = np.maximum.accumulate(np.where(order < n, ordered, -np.inf), axis=1)
    latest = np.empty_like(values)
    np.put_along_axis(latest, order, running, axis=1)
    return latest[:, n:]


def cover_minutes(alerts: np.ndarray, duration_s: float) -> np.ndarray:
    """Minutes people spend under cover, per replication: the union of [a, a + duration] over the
    row's alerts. It is what warning costs: activity stops while people shelter."""
    ordered = np.sort(alerts, axis=1)
    after = np.hstack([ordered[:, 1:], np.full((len(ordered), 1), np.inf)])
    with np.errstate(invalid="ignore"):  # inf − inf for alerts that never came
        held = np.minimum(after - ordered, duration_s)
    held[~np.isfinite(ordered)] = 0.0
    return held.sum(axis=1) / 60.0

"""Indirect fire: rockets and mortars on the site, a threat layer beside the drones.

Some documented raids did their damage with rockets and mortars as well as drones (Niamey, January
2026: the drone hangar and aircraft on the apron hit in a night attack with rockets and mortars).
Crediting that damage to the drones would stretch the drone figures, so the fire is a layer of its
own, kept abstract like every weapon effect: a number of rounds N ~ Poisson(rounds) falls on one kind
of asset; each round hits one unit with p_hit (less the shelters' hardening, as for a delivery) and a
hit destroys it with p_destroy. Hits land on units the drones did not destroy: the kind's damaged and
destroyed become at most its count. No defence stops the rounds in this model: sensors and
effectors act on drones only; shelters lower p_hit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from sahelsim.sim import binomial
from sahelsim.sim.effects import AssetLosses

PerRun = float | np.ndarray


@dataclass(frozen=True)
class IndirectFirePlan:
    target: int  # asset kind
    rounds: PerRun  # mean rounds fired
    p_hit: PerRun  # before the shelters' hardening
    p_destroy: PerRun
    shelter: float = 0.0  # the target's hardening


def fire(plan: IndirectFirePlan, losses: AssetLosses, counts: np.ndarray, u: np.ndarray) -> AssetLosses:
    """The losses with the rounds' added: u (replications × 3) draws the rounds, the hits and the
    destroyed, each by inversion, so two defences see the same rounds."""
    rounds = poisson.ppf(np.minimum(u[:, 0], binomial.U_MAX), plan.rounds)
    rounds = np.nan_to_num(rounds, nan=0.0)  # a mean of 0 fires nothing
    kind = plan.target
    standing = counts[kind] - losses.destroyed_by_kind[kind]
    hits = np.minimum(binomial.quantile(rounds, plan.p_hit * (1 - plan.shelter), u[:, 1]), standing)
    kills = binomial.quantile(hits, plan.p_destroy, u[:, 2]).astype(np.int64)
    damaged, destroyed = losses.damaged_by_kind.copy(), losses.destroyed_by_kind.copy()
    destroyed[kind] += kills
    damaged[kind] = np.minimum(damaged[kind] + hits.astype(np.int64), counts[kind])
    damaged[kind] = np.maximum(damaged[kind], destroyed[kind])
    return AssetLosses(damaged, destroyed)

"""Costs (MODEL.md §8): what the defence costs per scenario, what the attack loses.

Defender: acquisition amortised over each item's service life, for the days one scenario bears,
plus what each engagement expends (an interceptor drone, ammunition). Attacker: drones lost (shot
down, jammed, or expended on delivery) times their unit cost. The cost-exchange ratio is reported
in the summary as mean defender cost / mean attacker cost.
"""

from __future__ import annotations

import numpy as np


def defender_cost(amortised_usd: float, shots: np.ndarray, cost_per_shot: np.ndarray) -> np.ndarray:
    return amortised_usd + shots @ cost_per_shot


def attacker_cost(defeated: np.ndarray, delivered: np.ndarray, expendable: np.ndarray,
                  unit_cost: np.ndarray) -> np.ndarray:
    lost = defeated | (delivered & expendable)
    return lost @ unit_cost

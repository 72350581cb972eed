"""Costs (see docs/simulator.md): what the defence costs per scenario, what the attack loses.

Defender: acquisition amortised over each item's service life, for the days one scenario bears,
plus what each engagement expends (an interceptor drone, ammunition), plus the value of the assets
the drones damaged or destroyed (`effects.asset_losses`): a defence that saves an aircraft is worth
the aircraft, whatever it costs to run. Attacker: drones lost (shot down, jammed, or expended on
delivery) times their unit cost. The summary reports the cost-exchange ratio as mean defender cost
/ mean attacker cost, with its delta-method interval (`outcomes.RatioOfMeans`): a ratio per
replication would have no value wherever the attacker lost nothing.
"""

from __future__ import annotations

import numpy as np


def defender_cost(amortised_usd: float, shots: np.ndarray, cost_per_shot: np.ndarray,
                  value_lost_usd: np.ndarray) -> np.ndarray:
    return amortised_usd + shots @ cost_per_shot + value_lost_usd


def attacker_cost(defeated: np.ndarray, delivered: np.ndarray, expendable: np.ndarray,
                  unit_cost: np.ndarray) -> np.ndarray:
    lost = defeated | (delivered & expendable)
    return lost @ unit_cost

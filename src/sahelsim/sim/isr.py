"""Intelligence quality of the attackers' ISR flights (docs/simulator.md, ISR).

Q ∈ [0, 1] = min(1, undisturbed dwell / dwell needed) · (1 − camouflage), for the best ISR sortie of
the replication. A sortie defeated on station yields the share it flew. Against a convoy the drone
must first find it (find time ~ Exp with mean find_time_s, longer when route and timing vary) and
only the dwell after that counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IsrPlan:
    is_isr: np.ndarray  # (D,) bool
    on_station_s: np.ndarray  # (D,) since launch
    off_station_s: np.ndarray  # (D,) since launch
    dwell_needed_s: np.ndarray  # (D,)
    camouflage: float
    mean_find_s: float  # 0 for a fixed site


def quality(plan: IsrPlan, launch: np.ndarray, defeat_time: np.ndarray,
            find_draws: np.ndarray) -> np.ndarray:
    """Q per replication; `find_draws` are Exp(1) from the threat stream, scaled here."""
    if not plan.is_isr.any():
        return np.zeros(launch.shape[0])
    cols = plan.is_isr
    start = launch[:, cols] + plan.on_station_s[cols] + plan.mean_find_s * find_draws[:, cols]
    stop = np.minimum(launch[:, cols] + plan.off_station_s[cols], defeat_time[:, cols])
    flown = np.clip(stop - start, 0.0, None)
    per_sortie = np.minimum(1.0, flown / plan.dwell_needed_s[cols]) * (1.0 - plan.camouflage)
    return per_sortie.max(axis=1)

"""Tracks: range from the defended point against time since launch (docs/simulator.md, Tracks).

A sortie starts at `start_range_m` and flies straight in at its transit speed. A strike sortie ends
at the point (delivery; an FPV is expended there). An ISR sortie stops at its stand-off radius and
loiters for its dwell, after which it leaves and stops mattering to the defence.

All sensors and effectors sit at the defended point (a convoy carries them along), so the bearing
of approach changes nothing and is not modelled: one track per sortie group, the same in every
replication. The randomness lives in launch times, detections and engagements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Track:
    start_range_m: float
    speed_mps: float
    hold_range_m: float = 0.0  # 0 for a strike: it flies to the point
    hold_s: float = 0.0  # dwell at the hold range (ISR)

    @property
    def arrive_s(self) -> float:
        """Time to reach the hold range (the delivery, for a strike)."""
        return (self.start_range_m - self.hold_range_m) / self.speed_mps

    @property
    def end_s(self) -> float:
        """Time the track stops mattering: delivery, or the end of the dwell."""
        return self.arrive_s + self.hold_s

    def range_at(self, t: np.ndarray) -> np.ndarray:
        return np.maximum(self.start_range_m - self.speed_mps * t, self.hold_range_m)

    def time_to(self, radius: float) -> float:
        """First time the sortie is within `radius` (the hold time if it never gets closer)."""
        radius = max(radius, self.hold_range_m)
        return max(self.start_range_m - radius, 0.0) / self.speed_mps

    def window(self, range_min_m: float, range_max_m: float) -> tuple[float, float]:
        """Times [in, out] the sortie spends inside [range_min, range_max]; in > out when never."""
        if self.hold_range_m > range_max_m or range_min_m > self.start_range_m:
            return np.inf, -np.inf
        t_in = self.time_to(range_max_m)
        if self.hold_range_m >= range_min_m:
            return t_in, self.end_s
        return t_in, (self.start_range_m - range_min_m) / self.speed_mps

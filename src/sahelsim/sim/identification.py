"""Identification: a track is confirmed as a drone before effectors engage it (docs/simulator.md,
Identification).

Radars and RF detectors see something; a camera or an observer tells a drone from a bird, a kite or
a friendly aircraft, and only closer in. A defence with a classifying sensor engages a sortie once
one of them has identified it: the classifier starts when the sortie is both detected and inside
its classification range, takes `classify_s` per track, and works `track_capacity` tracks at a time
(a camera operator looks at one thing at a time, `capacity.first_come`). The cost is delay; the gain
is that false tracks are screened out before they cost an effector its time. A defence with no
classifier engages on detection, and every sensor's false alarms reach its effectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sahelsim.sim.capacity import first_come


@dataclass(frozen=True)
class Classifier:
    """One classifying sensor resolved against every sortie (windows since launch, per sortie)."""

    window_in_s: np.ndarray  # in > out: never within its classification range
    window_out_s: np.ndarray
    classify_s: float
    servers: int


def identified(classifiers: list[Classifier], detected_at: np.ndarray,
               launch: np.ndarray) -> np.ndarray:
    """When each sortie is first identified by any classifier (+inf: never), absolute, (R, D)."""
    earliest = np.full_like(detected_at, np.inf)
    for k in classifiers:
        ready = np.maximum(detected_at, launch + k.window_in_s)
        last_start = launch + k.window_out_s - k.classify_s
        starts = first_come(ready, last_start, np.full_like(ready, -np.inf), k.classify_s, k.servers)
        np.minimum(earliest, starts + k.classify_s, out=earliest)
    return earliest

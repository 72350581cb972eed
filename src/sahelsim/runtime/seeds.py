"""Random streams laid out by replication index, so results never depend on chunking or workers.

Replications are grouped in fixed blocks of `BLOCK` consecutive indices. Block `b` of a run seeded
with `seed` owns the generators `SeedSequence(seed, spawn_key=(b, purpose, key))`: the same child
`SeedSequence(seed).spawn(...)` would give, addressed directly so no worker has to spawn the others.
A chunk of replications [start, stop) draws each block's arrays whole and keeps its slice, so the
numbers of replication i are the same whatever chunk or worker computes it.

Purposes (docs/simulator.md, Random numbers): threat draws, detection, engagement, effects and
assault each have their own stream, and every effector has its own engagement stream keyed by a
hash of its name. Changing the defence therefore leaves the threat's numbers untouched: common
random numbers for comparisons.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from enum import IntEnum

import numpy as np

BLOCK = 1024


class Purpose(IntEnum):
    """One independent stream per kind of randomness (docs/simulator.md, Random numbers)."""

    THREAT = 0
    DETECTION = 1
    ENGAGEMENT = 2
    EFFECTS = 3
    ASSAULT = 4
    INPUTS = 5  # uncertain figures drawn per replication, one stream per figure


def name_key(name: str) -> int:
    """A stable integer for a named object (an effector), so its stream follows its name, not its place."""
    return zlib.crc32(name.encode("utf-8"))


Draw = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


class ChunkStreams:
    """The random numbers of replications [start, stop) of one run, `repeat` times over.

    Each call such as `uniform(Purpose.THREAT, (d,))` returns an array shaped (stop - start, d) and
    advances the per-block generators of that stream, so successive calls continue the same stream.
    With `repeat` = P the replications' rows come P times, one after the other (P × (stop − start)
    rows): a sweep of P parameter points is then one engine call in which every point meets the same
    random numbers (common random numbers across the points), drawn once.
    """

    def __init__(self, seed: int, start: int, stop: int, repeat: int = 1) -> None:
        if not 0 <= start < stop:
            raise ValueError(f"empty or negative replication range [{start}, {stop})")
        if repeat < 1:
            raise ValueError(f"repeat must be at least 1, not {repeat}")
        self.seed, self.start, self.stop, self.repeat = seed, start, stop, repeat
        self._generators: dict[tuple[int, int, int], np.random.Generator] = {}

    @property
    def size(self) -> int:
        """Rows of every array drawn: the replications, times `repeat`."""
        return (self.stop - self.start) * self.repeat

    def _generator(self, block: int, purpose: Purpose, key: int) -> np.random.Generator:
        address = (block, int(purpose), key)
        if address not in self._generators:
            sequence = np.random.SeedSequence(self.seed, spawn_key=address)
            self._generators[address] = np.random.Generator(np.random.PCG64(sequence))
        return self._generators[address]

    def draw(self, purpose: Purpose, shape: tuple[int, ...], draw: Draw, key: int = 0,
             leading: tuple[int, ...] = ()) -> np.ndarray:
        """Draw `draw(generator, (*leading, BLOCK, *shape))` for every block touched and keep this
        chunk's replications: an array shaped (*leading, stop - start, *shape).

        `leading` puts axes before the replications' one, for numbers read a slice at a time across
        all replications (the assault's per-minute uniforms): each slice is then contiguous.
        """
        first, last = self.start // BLOCK, (self.stop - 1) // BLOCK
        axis = len(leading)
        parts = []
        for block in range(first, last + 1):
            values = draw(self._generator(block, purpose, key), (*leading, BLOCK, *shape))
            lo = max(self.start - block * BLOCK, 0)
            hi = min(self.stop - block * BLOCK, BLOCK)
            parts.append(values[(slice(None),) * axis + (slice(lo, hi),)])
        drawn = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)
        if self.repeat == 1:
            return drawn
        return np.tile(drawn, (1,) * axis + (self.repeat,) + (1,) * len(shape))

    def uniform(self, purpose: Purpose, shape: tuple[int, ...] = (), key: int = 0,
                leading: tuple[int, ...] = ()) -> np.ndarray:
        return self.draw(purpose, shape, _uniform, key, leading)

    def exponential(self, purpose: Purpose, shape: tuple[int, ...] = (), key: int = 0) -> np.ndarray:
        return self.draw(purpose, shape, _exponential, key)

    def normal(self, purpose: Purpose, shape: tuple[int, ...] = (), key: int = 0) -> np.ndarray:
        return self.draw(purpose, shape, _normal, key)

    def latin(self, purpose: Purpose, key: int = 0) -> np.ndarray:
        """Uniforms stratified within each block: every block's BLOCK numbers fall one in each of
        BLOCK equal bins, in a random order (one column of a Latin hypercube per key)."""
        return self.draw(purpose, (), _latin, key)


def _uniform(generator: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return generator.random(shape)


def _exponential(generator: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return generator.standard_exponential(shape)


def _normal(generator: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return generator.standard_normal(shape)


def _latin(generator: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    (size,) = shape
    return (generator.permutation(size) + generator.random(size)) / size


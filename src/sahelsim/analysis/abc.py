"""Sequential Monte Carlo ABC: calibrate uncertain figures against documented, often censored outcomes.

Why ABC: the simulator has no likelihood we can write down, only draws. Why the sequential variant
(Toni et al. 2009; Beaumont et al. 2009): plain rejection from the declared ranges wastes almost every
run once the tolerance is small; each generation here proposes near the previous one's particles and
corrects by importance weights, so the population still targets the prior times the ABC likelihood.

Why batches: the simulator evaluates many parameter points per call far faster than one at a time, so
`abc_smc` hands `distance` whole arrays of points and never single points except when the budget's
remainder is one.

Why our own: pyabc's dependency tree is large; this is ~200 lines, checked in tests/test_abc.py against
posteriors known in closed form or by quadrature (docs/abc.md has the numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp, ndtr
from scipy.stats import truncnorm

# A generation that needs more than particles / ACCEPTANCE_FLOOR runs is abandoned: the tolerance has
# gone below what the model can reach, and further runs buy almost nothing.
ACCEPTANCE_FLOOR = 0.01
# Added to the kernel's variances, relative to each range's squared width, so that a population
# that has collapsed in one figure still steps in it.
_RIDGE = 1e-10


@dataclass(frozen=True, eq=False)
class Prior:
    """Independent uniform priors on boxes: the declared ranges of the figures.

    A figure with low == high is fixed: it is drawn at its value and never perturbed.
    """

    names: tuple[str, ...]
    low: np.ndarray  # shape (d,)
    high: np.ndarray  # shape (d,)

    def __post_init__(self) -> None:
        low, high = np.asarray(self.low, float), np.asarray(self.high, float)
        if low.shape != (len(self.names),) or high.shape != low.shape:
            raise ValueError(f"low and high need shape ({len(self.names)},), got {low.shape} and {high.shape}")
        if not (np.isfinite(low).all() and np.isfinite(high).all() and (low <= high).all()):
            raise ValueError("each range needs finite bounds with low <= high")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def free(self) -> np.ndarray:
        """The figures with a range to explore (the others are fixed)."""
        return self.high > self.low

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n points by Latin hypercube: each dimension's n strata hit once, so few points still cover it."""
        d = len(self.names)
        strata = np.argsort(rng.random((d, n)), axis=1).T  # a random permutation per dimension
        u = (strata + rng.random((n, d))) / n
        return self.low + u * (self.high - self.low)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies in the box (the prior density is positive there)."""
        return ((points >= self.low) & (points <= self.high)).all(axis=1)


@dataclass(frozen=True)
class Interval:
    """One observation: the closed interval of values the report allows (censoring); exact ⇒ low == high."""

    low: float
    high: float  # math.inf when open above

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"an observed interval needs low <= high, got [{self.low}, {self.high}]")


def censored_distance(simulated: np.ndarray, observed: Sequence[Interval], scale: np.ndarray) -> np.ndarray:
    """simulated: (n, k) summaries of n simulations for k observations; 0 where each lies inside its
    interval, else the scaled distance to the nearest bound; combined over k as the root mean square.

    Why zero inside: a report of "at least 5" is matched equally by 5 and by 50, so a censored
    outcome constrains the figures only where the simulation contradicts it.
    """
    simulated = np.atleast_2d(np.asarray(simulated, float))
    low = np.array([o.low for o in observed])
    high = np.array([o.high for o in observed])
    if simulated.shape[1] != len(observed):
        raise ValueError(f"{simulated.shape[1]} summaries per simulation for {len(observed)} observations")
    outside = np.maximum(low - simulated, 0.0) + np.maximum(simulated - high, 0.0)
    return np.sqrt(np.mean((outside / np.asarray(scale, float)) ** 2, axis=1))


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles of a weighted sample: each value holds the middle of its weight on the cumulative scale."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) - weights[order] / 2
    return np.interp(q, cumulative, values[order])


@dataclass(frozen=True, eq=False)
class Posterior:
    """The last complete population: weighted draws that target prior × ABC likelihood at epsilons[-1]."""

    names: tuple[str, ...]
    draws: np.ndarray  # (particles, d)
    weights: np.ndarray  # (particles,), sum 1
    epsilons: tuple[float, ...]  # per generation
    simulations: int  # total simulator calls
    acceptance: tuple[float, ...]
    seed: int

    @property
    def effective_size(self) -> float:
        """Kish's effective sample size 1 / Σ w²: what the weighted draws are worth as independent ones."""
        return float(1.0 / np.sum(self.weights**2))

    def median(self) -> np.ndarray:
        """(d,): the weighted median of each figure."""
        return self.interval(0.0)[:, 0]

    def interval(self, level: float = 0.9) -> np.ndarray:
        """(d, 2): the central `level` interval of each figure, from weighted quantiles."""
        q = np.array([(1 - level) / 2, (1 + level) / 2])
        return np.array([_weighted_quantile(column, self.weights, q) for column in self.draws.T])

    def resample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n unweighted draws, for runs that sample the posterior."""
        return self.draws[rng.choice(len(self.weights), size=n, p=self.weights)]


@dataclass(frozen=True)
class _Population:
    points: np.ndarray
    weights: np.ndarray
    distances: np.ndarray


class _Kernel:
    """Gaussian perturbation, figure by figure, with twice the population's weighted variance (Toni
    et al. 2009; Beaumont et al. 2009), truncated to the prior's box.

    Why truncated and figure by figure: a step that leaves the box is impossible under the prior,
    and redrawing it in fifteen dimensions cost more than the simulations; drawing each figure's
    step from its Gaussian cut at the box's edges lands inside at once, and the kernel's density,
    renormalised per figure, stays exact for the importance weights. (A kernel in logit
    coordinates also lands inside, but its weights vary so much that a 500-particle population was
    worth ten.) Fixed figures stay put.
    """

    def __init__(self, population: _Population, prior: Prior) -> None:
        self.population, self.free = population, prior.free
        self.low, self.high = prior.low[self.free], prior.high[self.free]
        x = population.points[:, self.free]
        mean = population.weights @ x
        variance = population.weights @ (x - mean) ** 2
        self.scale = np.sqrt(2 * variance + _RIDGE * (self.high - self.low) ** 2)

    def _bounds(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The box's edges in standard units of a step from each centre."""
        return (self.low - centres) / self.scale, (self.high - centres) / self.scale

    def propose(self, n: int, prior: Prior, rng: np.random.Generator) -> np.ndarray:
        """n points inside the prior's box: pick a particle by weight, step each free figure."""
        parents = self.population.points[rng.choice(len(self.population.weights), n, p=self.population.weights)]
        centres = parents[:, self.free]
        a, b = self._bounds(centres)
        points = parents.copy()
        points[:, self.free] = centres + self.scale * truncnorm.rvs(a, b, random_state=rng)
        return np.clip(points, prior.low, prior.high)  # rounding at the very edge

    def importance_weights(self, points: np.ndarray) -> np.ndarray:
        """w_i ∝ prior(θ_i) / Σ_j w_j K(θ_i | θ_j); the uniform prior is constant on the box."""
        centres = self.population.points[:, self.free]
        a, b = self._bounds(centres)
        log_mass = np.log(np.maximum(ndtr(b) - ndtr(a), 1e-300)).sum(axis=1)  # (old,)
        log_kernel = np.zeros((len(points), len(centres)))
        for d in range(centres.shape[1]):  # figure by figure: (new, old) at a time
            z = (points[:, self.free][:, d, None] - centres[None, :, d]) / self.scale[d]
            log_kernel -= 0.5 * z**2
        log_mixture = logsumexp(np.log(self.population.weights)[None, :] + log_kernel - log_mass[None, :],
                                axis=1)
        w = np.exp(log_mixture.min() - log_mixture)
        return w / w.sum()


def _next_epsilon(previous: _Population, epsilon: float, quantile: float, min_epsilon: float) -> float | None:
    """The quantile of the previous distances, strictly below the previous epsilon; None when none is.

    Why strictly: distances that are counts tie, and a quantile equal to the last epsilon would spend
    a generation without tightening anything.
    """
    candidate = float(np.quantile(previous.distances, quantile, method="lower"))
    if candidate >= epsilon:
        below = previous.distances[previous.distances < epsilon]
        if below.size == 0:
            return None
        candidate = float(below.max())
    return max(candidate, min_epsilon)


def abc_smc(distance: Callable[[np.ndarray, np.random.Generator], np.ndarray], prior: Prior, *,
            particles: int = 500, budget: int = 20_000, quantile: float = 0.5, min_epsilon: float = 0.0,
            batch: int | None = None, seed: int = 0,
            progress: Callable[[int, int], None] | None = None) -> Posterior:
    """ABC-SMC with an adaptive tolerance; see docs/abc.md.

    Generation 0 runs ceil(particles / quantile) prior points and keeps the `particles` nearest, so
    epsilon_0 is the `quantile` of its distances. Each later generation sets epsilon_t to the
    `quantile` of the previous distances and runs kernel proposals in batches of `batch` (default
    `particles`) points until `particles` have distance <= epsilon_t. It stops after the generation
    that reaches `min_epsilon`; when the next epsilon cannot fall; or when a generation cannot finish
    within the `budget` of runs, or within particles / ACCEPTANCE_FLOOR runs: that generation is
    dropped and the previous one returned. The budget is never exceeded.
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must lie in (0, 1), got {quantile}")
    if particles < 2 or (batch is not None and batch < 1):
        raise ValueError(f"need at least 2 particles and batches of at least 1, got {particles} and {batch}")
    if not prior.free.any():
        raise ValueError("no figure has a range to calibrate")
    batch = batch or particles
    first = math.ceil(particles / quantile)
    if first > budget:
        raise ValueError(f"a budget of {budget} runs cannot pay for the first generation's {first}")
    proposal_rng, simulation_rng = np.random.default_rng(seed).spawn(2)
    done = 0

    def run(points: np.ndarray) -> np.ndarray:
        """Distances of a batch; a failed simulation (NaN) counts as infinitely far, never accepted."""
        nonlocal done
        d = np.asarray(distance(points, simulation_rng), float)
        if d.shape != (len(points),):
            raise ValueError(f"distance returned shape {d.shape} for {len(points)} points")
        d[np.isnan(d)] = np.inf
        done += len(points)
        if progress is not None:
            progress(done, budget)
        return d

    start = prior.sample(first, proposal_rng)
    d0 = np.concatenate([run(start[i:i + batch]) for i in range(0, first, batch)])
    nearest = np.argsort(d0, kind="stable")[:particles]
    population = _Population(start[nearest], np.full(particles, 1.0 / particles), d0[nearest])
    epsilons, acceptance = [float(d0[nearest].max())], [particles / first]

    while epsilons[-1] > min_epsilon:
        epsilon = _next_epsilon(population, epsilons[-1], quantile, min_epsilon)
        if epsilon is None:
            break
        kernel = _Kernel(population, prior)
        limit = min(budget - done, math.ceil(particles / ACCEPTANCE_FLOOR))
        points, distances, spent = [], [], 0
        while sum(len(p) for p in points) < particles and spent < limit:
            proposed = kernel.propose(min(batch, limit - spent), prior, proposal_rng)
            d = run(proposed)
            spent += len(proposed)
            points.append(proposed[d <= epsilon])
            distances.append(d[d <= epsilon])
        if not points:  # the budget is spent: this generation cannot begin
            break
        accepted = np.concatenate(points)
        if len(accepted) < particles:
            break
        population = _Population(accepted[:particles], kernel.importance_weights(accepted[:particles]),
                                 np.concatenate(distances)[:particles])
        epsilons.append(epsilon)
        acceptance.append(len(accepted) / spent)

    return Posterior(prior.names, population.points, population.weights, tuple(epsilons), done,
                     tuple(acceptance), seed)

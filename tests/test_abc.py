"""ABC-SMC (`sahelsim.analysis.abc`) against posteriors known in closed form or by quadrature.

Each known-posterior case compares the weighted mean and the 5 % / 95 % quantiles with the truth
within Z standard errors, the errors taken from the population's effective sample size (ESS): the
mean's is sd / √ESS, a quantile's √(q(1 − q) / ESS) / density there. Z = 4 leaves a seeded run room
while still failing when the importance weights are dropped (docs/abc.md says which cases fail how).
A Kolmogorov–Smirnov-type check compares resampled draws with the true CDF at the 0.1 % critical
value 1.95 · √(1/ESS + 1/draws): resampling adds its own noise to the weighted sample's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from sahelsim.analysis.abc import ACCEPTANCE_FLOOR, Interval, Posterior, Prior, abc_smc, censored_distance

Z = 4.0
KS_CRITICAL = 1.95  # Kolmogorov's 0.1 % point
EXACT_PRIOR = Prior(("p",), np.array([0.0]), np.array([1.0]))


def assert_marginal_matches(post: Posterior, column: int, truth, mean: float, sd: float) -> None:
    """The weighted mean, the 5 % / 95 % quantiles and the resampled CDF of one figure match `truth`
    (an object with .ppf, .pdf, .cdf) within Monte Carlo error at the population's ESS."""
    ess = post.effective_size
    x = post.draws[:, column]
    assert abs(post.weights @ x - mean) <= Z * sd / math.sqrt(ess)
    q = np.array([0.05, 0.95])
    tolerance = Z * np.sqrt(q * (1 - q) / ess) / truth.pdf(truth.ppf(q))
    assert (np.abs(post.interval(0.9)[column] - truth.ppf(q)) <= tolerance).all()
    draws = post.resample(4000, np.random.default_rng(99))[:, column]
    assert stats.kstest(draws, truth.cdf).statistic <= KS_CRITICAL * math.sqrt(1 / ess + 1 / len(draws))


def binomial_distance(n: int, k: int):
    """Distance of Binomial(n, p) draws from k successes: 0 only on an exact match."""
    def distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.abs(rng.binomial(n, points[:, 0]) - k).astype(float)
    return distance


def test_binomial_with_exact_matching_gives_the_beta_posterior() -> None:
    n, k = 20, 6
    post = abc_smc(binomial_distance(n, k), EXACT_PRIOR, particles=1000, budget=60_000, seed=1)
    assert post.epsilons[-1] == 0.0
    truth = stats.beta(k + 1, n - k + 1)
    assert_marginal_matches(post, 0, truth, truth.mean(), truth.std())


def normal_mean_distance(xbar: float, standard_error: float):
    """Distance of a simulated sample mean, N(θ, σ²/n), from the observed one; other figures ignored."""
    def distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.abs(points[:, 0] + standard_error * rng.standard_normal(len(points)) - xbar)
    return distance


def test_normal_mean_with_small_epsilon_approaches_the_normal_posterior() -> None:
    # σ = 1, n = 25: the posterior is N(x̄, 0.2²) on a box far wider; the ABC one at ε adds U(−ε, ε),
    # which widens the sd by a factor √(1 + ε²/(3·0.04)) = 1.0004 at ε = 0.01: far below the tolerance.
    xbar, se = 1.3, 0.2
    prior = Prior(("mu",), np.array([-10.0]), np.array([10.0]))
    post = abc_smc(normal_mean_distance(xbar, se), prior, particles=1000, budget=150_000, min_epsilon=0.01,
                   seed=2)
    assert post.epsilons[-1] == 0.01
    assert_marginal_matches(post, 0, stats.norm(xbar, se), xbar, se)


class _AtLeastFivePosterior:
    """Posterior ∝ P(X ≥ 5 | λ) = P(5, λ) (regularised lower incomplete gamma) for λ uniform on [0, top]."""

    def __init__(self, top: float) -> None:
        self.top = top
        self.norm = integrate.quad(lambda lam: special.gammainc(5, lam), 0, top)[0]

    def pdf(self, lam):
        return np.where((lam >= 0) & (lam <= self.top), special.gammainc(5, lam), 0.0) / self.norm

    def cdf(self, lam):
        return np.vectorize(lambda v: integrate.quad(self.pdf, 0, min(max(v, 0), self.top))[0])(lam)

    def ppf(self, q):
        return np.array([optimize.brentq(lambda v: self.cdf(v) - p, 0, self.top, xtol=1e-10) for p in q])

    def moment(self, power: int) -> float:
        return integrate.quad(lambda lam: lam**power * self.pdf(lam), 0, self.top)[0]


def test_censored_at_least_five_matches_the_posterior_by_quadrature() -> None:
    top = 6.0  # the posterior leans on the upper bound, so the kernel's box handling counts too
    observed = [Interval(5, math.inf)]

    def distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return censored_distance(rng.poisson(points)[:, :1], observed, np.array([1.0]))

    post = abc_smc(distance, Prior(("rate",), np.array([0.0]), np.array([top])), particles=1000,
                   budget=40_000, seed=3)
    assert post.epsilons[-1] == 0.0 and len(post.epsilons) > 1  # SMC generations, not rejection alone
    truth = _AtLeastFivePosterior(top)
    mean = truth.moment(1)
    assert_marginal_matches(post, 0, truth, mean, math.sqrt(truth.moment(2) - mean**2))


def test_an_unidentified_figure_keeps_its_uniform_prior_while_the_other_concentrates() -> None:
    prior = Prior(("mu", "ignored"), np.array([-10.0, 0.0]), np.array([10.0, 5.0]))
    post = abc_smc(normal_mean_distance(1.3, 0.2), prior, particles=600, budget=40_000, min_epsilon=0.02,
                   seed=4)
    assert_marginal_matches(post, 1, stats.uniform(0, 5), 2.5, 5 / math.sqrt(12))
    assert_marginal_matches(post, 0, stats.norm(1.3, 0.2), 1.3, 0.2)
    assert np.ptp(post.interval(0.9)[0]) < 0.05 * 20  # 90 % of mu within 5 % of its range


def test_a_fixed_figure_stays_at_its_value() -> None:
    prior = Prior(("p", "fixed"), np.array([0.0, 2.0]), np.array([1.0, 2.0]))
    post = abc_smc(binomial_distance(10, 3), prior, particles=200, budget=10_000, seed=5)
    assert post.epsilons[-1] == 0.0 and (post.draws[:, 1] == 2.0).all()


def deterministic_distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """No noise: a particle's distance can be recomputed from the particle."""
    return np.abs(points[:, 0] - 0.3)


def test_the_budget_is_never_exceeded_and_an_unfinished_generation_is_dropped() -> None:
    calls: list[int] = []
    seen: list[tuple[int, int]] = []

    def counted(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        calls.append(len(points))
        return deterministic_distance(points, rng)

    post = abc_smc(counted, EXACT_PRIOR, particles=200, budget=3_000, seed=6,
                   progress=lambda done, budget: seen.append((done, budget)))
    assert sum(calls) == post.simulations == seen[-1][0] and post.simulations <= 3_000
    assert post.simulations > 3_000 - 200  # it ran until the budget was spent (ε never reaches 0)
    assert [b for _, b in seen] == [3_000] * len(calls) and np.all(np.diff([d for d, _ in seen]) > 0)
    assert np.all(np.diff(post.epsilons) < 0) and len(post.acceptance) == len(post.epsilons)
    assert post.draws.shape == (200, 1) and math.isclose(post.weights.sum(), 1.0)
    # every returned particle meets the last epsilon: none comes from the dropped generation
    assert deterministic_distance(post.draws, np.random.default_rng()).max() <= post.epsilons[-1]


def test_the_same_seed_gives_the_same_posterior_and_another_seed_another() -> None:
    def run(seed: int) -> Posterior:
        return abc_smc(binomial_distance(20, 6), EXACT_PRIOR, particles=200, budget=5_000, seed=seed)

    a, b, c = run(7), run(7), run(8)
    assert np.array_equal(a.draws, b.draws) and np.array_equal(a.weights, b.weights)
    assert (a.epsilons, a.acceptance, a.simulations) == (b.epsilons, b.acceptance, b.simulations)
    assert not np.array_equal(a.draws, c.draws)


@pytest.mark.parametrize("batch", [None, 64])
def test_the_distance_is_called_with_batches_of_points(batch: int | None) -> None:
    sizes: list[int] = []

    def recorded(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        assert points.ndim == 2 and points.shape[1] == 1
        sizes.append(len(points))
        return binomial_distance(20, 6)(points, rng)

    abc_smc(recorded, EXACT_PRIOR, particles=300, budget=10_000, batch=batch, seed=9)
    assert all(size > 1 for size in sizes[:-1])
    assert max(sizes) == (batch or 300) and len(sizes) < 10_000 / (batch or 300) + 1


def test_a_tolerance_below_what_the_model_reaches_stops_at_the_acceptance_floor() -> None:
    # Pure noise: each generation accepts half as often as the last, whatever the particles.
    post = abc_smc(lambda points, rng: rng.random(len(points)), EXACT_PRIOR, particles=100,
                   budget=1_000_000, seed=10)
    assert post.simulations < 100_000 and min(post.acceptance) >= ACCEPTANCE_FLOOR
    assert post.acceptance[-1] < 4 * ACCEPTANCE_FLOOR  # it went on until the floor, not before


def test_the_first_generation_must_fit_the_budget() -> None:
    with pytest.raises(ValueError, match="budget"):
        abc_smc(deterministic_distance, EXACT_PRIOR, particles=500, budget=999)


def test_the_prior_draws_a_latin_hypercube_inside_its_box() -> None:
    prior = Prior(("a", "b"), np.array([0.0, -1.0]), np.array([10.0, 1.0]))
    points = prior.sample(50, np.random.default_rng(0))
    assert prior.contains(points).all()
    strata = np.floor((points - prior.low) / (prior.high - prior.low) * 50)
    assert all(sorted(column) == list(range(50)) for column in strata.T)  # each stratum once per figure
    assert not prior.contains(np.array([[10.5, 0.0], [5.0, -1.01]])).any()


@pytest.mark.parametrize("simulated, observed, expected", [
    ([7.0], Interval(7, 7), 0.0),  # exact, met
    ([9.0], Interval(7, 7), 1.0),  # exact, 2 over at scale 2
    ([5.0], Interval(7, 7), 1.0),
    ([5.0], Interval(5, math.inf), 0.0),  # "at least 5", on the bound
    ([500.0], Interval(5, math.inf), 0.0),
    ([1.0], Interval(5, math.inf), 2.0),
    ([50.0], Interval(41, 64), 0.0),  # "41 or 64"
    ([70.0], Interval(41, 64), 3.0),
    ([35.0], Interval(41, 64), 3.0),
])
def test_censored_distance_is_zero_inside_and_scaled_outside(simulated, observed, expected) -> None:
    assert censored_distance(np.array([simulated]), [observed], np.array([2.0])) == pytest.approx([expected])


def test_censored_distance_combines_observations_as_the_root_mean_square() -> None:
    observed = [Interval(5, math.inf), Interval(41, 64), Interval(0, 0)]
    simulated = np.array([[2.0, 50.0, 4.0], [9.0, 60.0, 0.0]])  # 3 short, inside, 4 over; all inside
    d = censored_distance(simulated, observed, np.array([1.0, 10.0, 2.0]))
    assert d == pytest.approx([math.sqrt((3.0**2 + 0 + 2.0**2) / 3), 0.0])


def test_an_interval_must_not_be_reversed() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        Interval(5, 3)

"""ABC-SMC (`sahelsim.analysis.abc`) against posteriors known in closed form or by quadrature.

Each known-posterior case compares the weighted mean and the 5 % / 95 % quantiles with the truth
within Z standard errors. The errors are self-normalised importance sampling's: for an estimate of
E h, √Σ w_i² (h(θ_i) − ĥ)²; for a quantile, that of the indicator θ ≤ the quantile over the density
there. (Kish's ESS, 1 / Σ w², understates them by 16 to 34 % here: the last generation's draws
lie narrower than the posterior, so the larger weights sit in the tails.) A Kolmogorov–Smirnov-type
check compares resampled draws with the true CDF at the 0.1 % critical value 1.95 · √(1/n_h + 1/draws),
n_h the indicators' worst effective size over the deciles: resampling adds its own noise.
Where a case pools independent runs (seeds), their populations are one population of weight 1/runs
each: the errors narrow as √runs, so a biased algorithm fails where one run would hide it (dropping
the importance weights moves a single run's quantiles by up to 6 of its errors; docs/abc.md).
Subtler errors in the weights move the posterior by less than the tolerance, so the weights' formula
itself is checked exactly against scipy's truncated normal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from sahelsim.analysis.abc import (ACCEPTANCE_FLOOR, Interval, Posterior, Prior, _Kernel, _Population, abc_smc,
                                  censored_distance)

Z = 4.0
KS_CRITICAL = 1.95  # Kolmogorov's 0.1 % point
EXACT_PRIOR = Prior(("p",), np.array([0.0]), np.array([1.0]))


def _sampling_variance(post: Posterior, h: np.ndarray) -> float:
    """Variance of the weighted mean of h(θ_i): self-normalised importance sampling's delta method."""
    return float(post.weights**2 @ (h - post.weights @ h) ** 2)


def standardised_errors(post: Posterior, column: int, truth, mean: float) -> np.ndarray:
    """[mean, 5 % quantile, 95 % quantile] errors in standard errors, and the KS statistic over its
    0.1 % critical value, for one figure against `truth` (with .ppf, .pdf, .cdf)."""
    x = post.draws[:, column]
    errors = [(post.weights @ x - mean) / math.sqrt(_sampling_variance(post, x))]
    for q, estimate in zip((0.05, 0.95), post.interval(0.9)[column]):
        se = math.sqrt(_sampling_variance(post, (x <= estimate).astype(float))) / truth.pdf(truth.ppf(q))
        errors.append((estimate - truth.ppf(q)) / se)
    deciles = np.quantile(x, np.arange(1, 10) / 10)
    n_h = min(p * (1 - p) / _sampling_variance(post, (x <= t).astype(float))
              for t, p in zip(deciles, truth.cdf(deciles)))
    draws = post.resample(4000, np.random.default_rng(99))[:, column]
    ks = stats.kstest(draws, truth.cdf).statistic / (KS_CRITICAL * math.sqrt(1 / n_h + 1 / len(draws)))
    return np.array([*errors, ks])


def assert_marginal_matches(post: Posterior, column: int, truth, mean: float) -> None:
    errors = standardised_errors(post, column, truth, mean)
    assert (np.abs(errors[:3]) <= Z).all() and errors[3] <= 1, errors


def pooled(runs: list[Posterior]) -> Posterior:
    """Independent runs as one population: each run's weights shared out over the runs."""
    return Posterior(runs[0].names, np.concatenate([r.draws for r in runs]),
                     np.concatenate([r.weights for r in runs]) / len(runs), runs[0].epsilons,
                     sum(r.simulations for r in runs), runs[0].acceptance, runs[0].seed)


def binomial_distance(n: int, k: int):
    """Distance of Binomial(n, p) draws from k successes: 0 only on an exact match."""
    def distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.abs(rng.binomial(n, points[:, 0]) - k).astype(float)
    return distance


def test_binomial_with_exact_matching_gives_the_beta_posterior() -> None:
    n, k = 20, 6
    runs = [abc_smc(binomial_distance(n, k), EXACT_PRIOR, particles=1000, budget=60_000, seed=s) for s in range(4)]
    assert all(r.epsilons[-1] == 0.0 for r in runs)
    post = pooled(runs)
    truth = stats.beta(k + 1, n - k + 1)
    assert_marginal_matches(post, 0, truth, truth.mean())


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
    runs = [abc_smc(normal_mean_distance(xbar, se), prior, particles=1000, budget=200_000, min_epsilon=0.01,
                    seed=s) for s in range(4)]
    assert all(r.epsilons[-1] == 0.01 for r in runs)
    post = pooled(runs)
    assert_marginal_matches(post, 0, stats.norm(xbar, se), xbar)


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
        return np.vectorize(lambda p: optimize.brentq(lambda v: self.cdf(v) - p, 0, self.top, xtol=1e-10))(q)

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
    assert_marginal_matches(post, 0, truth, truth.moment(1))


def test_an_unidentified_figure_keeps_its_uniform_prior_while_the_other_concentrates() -> None:
    prior = Prior(("mu", "ignored"), np.array([-10.0, 0.0]), np.array([10.0, 5.0]))
    post = abc_smc(normal_mean_distance(1.3, 0.2), prior, particles=600, budget=40_000, min_epsilon=0.02,
                   seed=4)
    assert_marginal_matches(post, 1, stats.uniform(0, 5), 2.5)
    assert_marginal_matches(post, 0, stats.norm(1.3, 0.2), 1.3)
    assert np.ptp(post.interval(0.9)[0]) < 0.05 * 20  # 90 % of mu within 5 % of its range


def test_a_fixed_figure_stays_at_its_value() -> None:
    prior = Prior(("p", "fixed"), np.array([0.0, 2.0]), np.array([1.0, 2.0]))
    post = abc_smc(binomial_distance(10, 3), prior, particles=200, budget=10_000, seed=5)
    assert post.epsilons[-1] == 0.0 and (post.draws[:, 1] == 2.0).all()


def _previous_population(rng: np.random.Generator) -> tuple[Prior, _Population]:
    """A weighted population on two correlated free figures and one fixed one."""
    prior = Prior(("a", "b", "fixed"), np.array([-50.0, -50.0, 1.0]), np.array([50.0, 50.0, 1.0]))
    a = rng.normal(0, 1, 60)
    points = np.column_stack([a, 0.5 * a + rng.normal(0, 0.5, 60), np.ones(60)])
    return prior, _Population(points, rng.dirichlet(np.ones(60)), np.zeros(60))


def test_the_importance_weights_are_the_prior_over_the_weighted_kernel_mixture() -> None:
    """The kernel is a Gaussian per free figure cut at the box's edges; each cut renormalises it."""
    rng = np.random.default_rng(11)
    prior, previous = _previous_population(rng)
    kernel = _Kernel(previous, prior)
    new = kernel.propose(40, prior, rng)
    mean = previous.weights @ previous.points[:, :2]
    scale = np.sqrt(2 * previous.weights @ (previous.points[:, :2] - mean) ** 2)
    mixture = 0.0
    for w, x in zip(previous.weights, previous.points[:, :2]):
        a, b = (prior.low[:2] - x) / scale, (prior.high[:2] - x) / scale
        mixture = mixture + w * np.prod(stats.truncnorm.pdf(new[:, :2], a, b, loc=x, scale=scale), axis=1)
    assert kernel.importance_weights(new) == pytest.approx((1 / mixture) / (1 / mixture).sum(), rel=1e-4)


def test_the_kernel_renormalises_where_the_box_cuts_it() -> None:
    """Particles against the box's edges: a kernel cut there has less mass to spread, so each
    particle's density is divided by its own kept mass, or the weights lean away from the edges."""
    rng = np.random.default_rng(13)
    prior = Prior(("a", "b"), np.zeros(2), np.ones(2))
    points = np.column_stack([rng.beta(0.5, 0.5, 80), rng.uniform(0, 1, 80)])
    previous = _Population(points, rng.dirichlet(np.ones(80)), np.zeros(80))
    kernel = _Kernel(previous, prior)
    new = kernel.propose(50, prior, rng)
    scale = np.sqrt(2 * previous.weights @ (points - previous.weights @ points) ** 2)
    mixture = sum(w * np.prod(stats.truncnorm.pdf(new, -x / scale, (1 - x) / scale, loc=x, scale=scale), axis=1)
                  for w, x in zip(previous.weights, points))
    assert kernel.importance_weights(new) == pytest.approx((1 / mixture) / (1 / mixture).sum(), rel=1e-4)


def test_proposals_spread_by_twice_the_weighted_variance_inside_the_box() -> None:
    rng = np.random.default_rng(12)
    prior, previous = _previous_population(rng)
    new = _Kernel(previous, prior).propose(40_000, prior, rng)
    assert prior.contains(new).all() and (new[:, 2] == 1.0).all()
    # far from the box's edges a draw is a particle (variance v) plus a step (2v): 3v in all
    variance = np.diag(np.cov(previous.points[:, :2].T, aweights=previous.weights))
    assert np.var(new[:, :2], axis=0) == pytest.approx(3 * variance, rel=0.05)
    inner = Prior(prior.names, np.array([-0.5, -0.5, 1.0]), np.array([0.5, 0.5, 1.0]))
    assert inner.contains(_Kernel(previous, inner).propose(1000, inner, rng)).all()


def deterministic_distance(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """No noise: a particle's distance can be recomputed from the particle."""
    return np.abs(points[:, 0] - 0.3)


def test_forty_figures_of_which_one_is_identified_keep_a_useful_effective_sample() -> None:
    # A correlated Gaussian step rejected outside the box left it in some figure nearly always (the first
    # version did not finish); one in logits left an effective sample of 1 (docs/abc.md, by figure count).
    prior = Prior(tuple(f"f{i}" for i in range(40)), np.zeros(40), np.ones(40))
    post = abc_smc(deterministic_distance, prior, particles=500, budget=10_000, seed=14)
    assert len(post.epsilons) >= 5 and prior.contains(post.draws).all()
    assert post.effective_size > 0.2 * 500
    assert abs(post.weights @ post.draws[:, 0] - 0.3) <= post.epsilons[-1]
    assert abs(np.mean(post.weights @ post.draws[:, 1:]) - 0.5) < 0.02  # the others stay uniform


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


def test_a_failed_simulation_is_never_accepted() -> None:
    def failing_above_a_quarter(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        d = binomial_distance(20, 2)(points, rng)
        return np.where(points[:, 0] > 0.25, np.nan, d)  # most of the first generation fails

    post = abc_smc(failing_above_a_quarter, EXACT_PRIOR, particles=200, budget=10_000, seed=13)
    assert post.epsilons[-1] == 0.0 and post.draws.max() <= 0.25


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

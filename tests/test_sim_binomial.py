"""Exact binomial draws by inversion (`sahelsim.sim.binomial`) against closed forms.

Over a grid of G evenly spaced uniforms, draw k must take up pmf(k) of the grid: the uniforms that
give k fill an interval of length pmf(k), so its count of grid points is G·pmf(k) within 1. The
engine relies on inversion for common random numbers, so the draws must also never fall when n or
p rises for a fixed uniform.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sahelsim.sim.binomial import SEARCH_MAX_MEAN, quantile

GRID = 100_000
U = (np.arange(GRID) + 0.5) / GRID


@pytest.mark.parametrize("n, p", [
    (0, 0.3), (10, 0.0), (10, 1.0),  # nothing to draw, no risk, certain loss
    (1, 0.5), (6, 0.05), (7, 0.3), (50, 0.02), (120, 0.05), (3, 0.999),  # the search
    (150, 0.42), (150, 0.43),  # either side of the search's largest mean
    (1000, 0.2), (2000, 0.5),  # large means; (1 − p)^n underflows at the last
])
def test_draws_over_a_grid_of_uniforms_follow_the_binomial_pmf(n: int, p: float) -> None:
    draws = quantile(np.full(GRID, float(n)), np.full(GRID, p), U)
    counts = np.bincount(draws.astype(int), minlength=n + 1)
    assert len(counts) == n + 1  # never more than n
    assert np.abs(counts - GRID * stats.binom.pmf(np.arange(n + 1), n, p)).max() <= 1.0
    assert np.array_equal(draws, stats.binom.ppf(U, n, p))  # the same quantile as scipy's


def test_draws_searched_and_left_to_scipy_in_one_call_each_get_their_own_quantile() -> None:
    n = np.array([5.0, 1000.0, 0.0, 10.0, 2000.0, 40.0])
    p = np.array([0.3, 0.2, 0.5, 1.0, 0.5, 0.1])
    assert (n * p > SEARCH_MAX_MEAN).any() and (n * p <= SEARCH_MAX_MEAN).any()
    u = ((np.arange(1000) + 0.5) / 1000)[:, None]
    assert np.array_equal(quantile(n, p, u), stats.binom.ppf(u, n, p))


@pytest.mark.parametrize("small, large", [((3, 0.9), (120, 0.5)), ((5, 0.97), (100, 0.6)),
                                          ((0, 0.5), (60, 0.5)), ((1, 0.999), (200, 0.25))])
def test_a_draw_does_not_depend_on_the_draws_made_beside_it(small, large) -> None:
    """Draws with a small n, searched past their n while larger ones go on, keep their quantile."""
    n = np.concatenate([np.full(GRID, float(small[0])), np.full(GRID, float(large[0]))])
    p = np.concatenate([np.full(GRID, small[1]), np.full(GRID, large[1])])
    together = quantile(n, p, np.tile(U, 2))
    assert np.array_equal(together[:GRID], quantile(n[:GRID], p[:GRID], U))
    assert np.array_equal(together[:GRID], stats.binom.ppf(U, *small))
    assert np.array_equal(together[GRID:], stats.binom.ppf(U, *large))


def test_ends_of_the_unit_interval() -> None:
    n, p = np.array([0.0, 10.0, 10.0, 10.0]), np.array([0.5, 0.5, 0.0, 1.0])
    assert np.array_equal(quantile(n, p, np.zeros(4)), [0, 0, 0, 10])
    assert np.array_equal(quantile(n, p, np.ones(4)), [0, 10, 0, 10])


@pytest.mark.parametrize("n", [30, 200])
def test_draws_never_fall_when_p_rises_for_a_fixed_uniform(n: int) -> None:
    """For n = 200 the rising p crosses from the search to scipy's quantile (n·p = 64 at p = 0.32)."""
    p = np.linspace(0.0, 1.0, 201)[:, None]
    draws = quantile(float(n), p, np.linspace(0.0, 1.0, 2001)[None, :])
    assert (np.diff(draws, axis=0) >= 0).all()
    assert (draws[0] == 0).all() and (draws[-1] == n).all()


@pytest.mark.parametrize("p", [0.05, 0.25])
def test_draws_never_fall_when_n_rises_for_a_fixed_uniform(p: float) -> None:
    """For p = 0.25 the rising n crosses from the search to scipy's quantile at n = 256."""
    n = np.arange(301.0)[:, None]
    draws = quantile(n, p, np.linspace(0.0, 1.0, 2001)[None, :])
    assert (np.diff(draws, axis=0) >= 0).all()
    assert (draws <= n).all()


def test_n_and_p_broadcast_against_the_uniforms() -> None:
    """The effects pass one n for every delivery and one p per sortie (column)."""
    u = np.random.default_rng(5).random((1000, 4))
    p = np.array([0.1, 0.3, 0.0, 0.9])
    draws = quantile(6, p, u)
    assert draws.shape == u.shape
    assert np.array_equal(draws, quantile(np.full(u.shape, 6.0), np.broadcast_to(p, u.shape), u))
    assert np.array_equal(draws, stats.binom.ppf(u, 6, p))

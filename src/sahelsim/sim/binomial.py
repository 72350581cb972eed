"""Exact binomial draws by inversion, for the drone effects and the ground assault alike.

Why inversion with one uniform per draw: the random numbers are then laid out by replication and
purpose whatever n and p are, so defence variants share them (common random numbers), and for a
fixed u the draw never falls when n or p rises, so comparisons stay monotone.

Why a sequential search from k = 0: the means met here are small (a few losses per minute, a few
people per delivery), and the search costs about mean + 1 steps per draw, all draws at once.
Large means, which the search would walk too long, go to scipy's quantile instead.
"""

from __future__ import annotations

import numpy as np

# The search ends below k = 140 for every u <= U_MAX at this mean, so it counts k in 8 bits; above it
# (or where P(X = 0) = (1 − p)^n would underflow) draws go to `scipy.stats.binom.ppf`.
SEARCH_MAX_MEAN = 64.0
_SEARCH_MAX_K = 255
_MIN_LOG_NONE = -700.0  # exp() of less is subnormal or zero
# The summed CDF carries rounding errors of order 1e-14, so u is capped below 1; the cap moves less
# than 1e-12 of probability to the cap's quantile.
U_MAX = 1.0 - 1e-12
# The search works on all draws until this share of them is still going, then on those alone.
_COMPACT = 0.25


def quantile(n: np.ndarray | float, p: np.ndarray | float, u: np.ndarray) -> np.ndarray:
    """The smallest k with BinomCDF(k; n, p) >= u, elementwise, as floats.

    `n` holds whole numbers (any numeric type), 0 <= p <= 1 and 0 <= u <= 1 (above `U_MAX` taken as
    `U_MAX`); the three broadcast together. p >= 1 gives n; n = 0 or p = 0 gives 0.
    """
    shape = np.broadcast_shapes(np.shape(n), np.shape(p), np.shape(u))
    u = _flat(u, shape)
    if not u.max(initial=0.0) <= U_MAX:
        u = np.minimum(u, U_MAX)
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # from p before it is broadcast: the effects have one p per sortie
        log_q, ratio = np.log1p(-p), p / (1.0 - p)
        # log P(X = 0): −inf where p = 1 (NaN if n = 0 too)
        log_none = np.multiply(n, log_q, out=np.empty(shape)).reshape(-1)
    n, ratio = _flat(n, shape), _flat(ratio, shape)
    elsewhere = _elsewhere(n, p, log_none, shape)
    if elsewhere is not None:  # P(X = 0) = 1 >= u ends their search at once
        log_none[elsewhere], ratio = 0.0, np.where(elsewhere, 0.0, ratio)
    k, stuck = _search(np.exp(log_none, out=log_none), n, ratio, u)
    draws = k.astype(float)
    np.minimum(draws, n, out=draws)
    if stuck is not None:  # not reached: rounding in the summed CDF is far below 1 − U_MAX
        elsewhere = stuck if elsewhere is None else elsewhere | stuck
    if elsewhere is not None:
        draws[elsewhere] = _scipy_quantile(n[elsewhere], _flat(p, shape)[elsewhere], u[elsewhere])
    return draws.reshape(shape)


def _flat(a: np.ndarray | float, shape: tuple[int, ...]) -> np.ndarray:
    """`a` as floats broadcast to `shape`, flattened (a view where it already fits)."""
    a = np.asarray(a, dtype=float)
    return (a if a.shape == shape else np.broadcast_to(a, shape)).reshape(-1)


def _elsewhere(n: np.ndarray, p: np.ndarray, log_none: np.ndarray,
               shape: tuple[int, ...]) -> np.ndarray | None:
    """Mask of the draws the search cannot take (p = 1, large means, underflow), or None if none.

    `n` and `log_none` are flat, `p` not yet broadcast to `shape`. Two maxima and a minimum settle
    the usual case without a per-draw mask.
    """
    if (n.max(initial=0.0) * p.max(initial=0.0) <= SEARCH_MAX_MEAN
            and log_none.min(initial=0.0) > _MIN_LOG_NONE):
        return None
    elsewhere = ~((n * _flat(p, shape) <= SEARCH_MAX_MEAN) & (log_none > _MIN_LOG_NONE))
    return elsewhere if elsewhere.any() else None


def _scipy_quantile(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The same quantile from scipy: slower, for the draws the search leaves."""
    certain = p >= 1.0
    if certain.all():
        return n
    # imported only here: scipy.stats costs half a second and 70 MiB to import
    from scipy import stats

    return np.where(certain, n, np.clip(stats.binom.ppf(u, n, np.minimum(p, 1.0)), 0.0, n))


def _search(pmf: np.ndarray, n: np.ndarray, ratio: np.ndarray,
            u: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The smallest k with CDF(k) >= u for every draw (1-D arrays; `pmf` holds pmf(0), and is used up).

    All draws walk k up together with pmf(j + 1) = pmf(j) · c · (1 / (j + 1)), c = (n − j) · ratio
    kept by subtracting `ratio` once a step, and take each pmf off `rest` = u − CDF(j); a draw stops
    counting once nothing is left. (The rest rather than the CDF: one array fewer to carry.)
    Draws walked past their own n (a small n beside larger ones) must keep pmf = 0 there: c is held
    at 0 from then on, or the rounding left in c would grow pmf, flip its sign, and raise `rest` above
    0 again, so that a finished draw counted on.
    Finished draws stay in the working arrays (updating them costs less than moving the others)
    until only `_COMPACT` of them are still going; then those are gathered into smaller arrays and
    `rows` says where they came from.
    Returns k (8 bits, see `SEARCH_MAX_MEAN`) and a mask of the draws still searching at
    `_SEARCH_MAX_K`, or None when there are none.
    """
    k = np.zeros(n.size, dtype=np.uint8)
    rest = np.subtract(u, pmf)
    going = rest > 0.0
    left = np.count_nonzero(going)
    if not left:
        return k, None
    c = n * ratio
    last = min(float(n.max()), _SEARCH_MAX_K)  # no draw goes past its n: CDF(n) = 1
    fewest = float(n.min())  # from j = fewest on, some draw is past its n
    k_w, ratio_w = k, ratio  # the working arrays (pmf, rest and c too)
    rows, j = None, 0
    while left and j < last:
        if left <= _COMPACT * going.size:
            keep = np.flatnonzero(going)
            if rows is not None:
                k[rows] = k_w
            rows = keep if rows is None else rows[keep]
            pmf, rest, c, ratio_w, k_w = pmf[keep], rest[keep], c[keep], ratio_w[keep], k_w[keep]
            going = np.ones(keep.size, dtype=bool)
        pmf *= c
        if j:  # 1 / (j + 1) = 1 at the first step
            pmf *= 1.0 / (j + 1)  # pmf(j + 1)
        rest -= pmf  # u − CDF(j + 1)
        c -= ratio_w
        j += 1
        if j >= fewest:  # c = (n − j) · ratio is 0 or less for the draws past their n
            np.maximum(c, 0.0, out=c)
        k_w += going.view(np.uint8)  # draws with CDF(j − 1) < u move on to j
        np.greater(rest, 0.0, out=going)
        left = np.count_nonzero(going)
    if rows is not None:
        k[rows] = k_w
    if not left:
        return k, None
    stuck = np.zeros(n.size, dtype=bool)
    stuck[np.arange(n.size) if rows is None else rows] = going
    return k, stuck

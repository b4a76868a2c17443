"""Sample statistics with exact, portable definitions.

Everything here is defined so that the C side (``liqcascade info``) can compute the
same numbers with plain double arithmetic, ``log``, ``log1p``, ``exp``, ``sqrt`` and
integer arithmetic; docs/analysis.md states the same definitions in prose.

* Quantile levels are given in basis points internally (q = Q / 10000, Q an integer
  in 1..9999), so that ``k = ceil(q * n)`` is computed exactly in integers:
  ``k = (Q * n + 9999) // 10000``. ``0.07 * 100`` is 7.000000000000001 in floating
  point; the integer form never rounds the wrong way.
* The q-quantile of a sample of size n >= 1 is the order statistic x_(k), k as above
  (1-based ranks; the type-1 inverse of the empirical CDF).
* Sums are taken left to right in double precision (``numpy.cumsum`` is sequential,
  unlike ``numpy.sum``, which sums pairwise), so a C loop gives the same bits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import numpy.typing as npt

#: two-sided 95% standard normal quantile, Phi^-1(0.975)
Z95: float = 1.959963984540054
#: tail probability on each side for the 95% intervals
ALPHA_HALF: float = 0.025

ArrayLike = npt.ArrayLike


def basis_points(q: float) -> int:
    """Return the quantile level ``q`` as an integer number of basis points.

    Raises ValueError unless 0 < q < 1 and q is a multiple of 0.0001 (to 1e-9).
    """
    bp = int(round(q * 10000))
    if not 0 < bp < 10000 or abs(bp / 10000 - q) > 1e-9:
        raise ValueError(f"quantile level must be a multiple of 0.0001 in (0, 1), got {q!r}")
    return bp


def quantile_rank(q: float, n: int) -> int:
    """1-based rank ``k = ceil(q * n)`` of the q-quantile order statistic (n >= 1)."""
    if n < 1:
        raise ValueError("quantile of an empty sample")
    return (basis_points(q) * n + 9999) // 10000


def seqsum(x: ArrayLike) -> float:
    """Sum of ``x`` accumulated left to right in float64 (0.0 when empty)."""
    a = np.asarray(x, dtype=np.float64).ravel()
    return float(np.cumsum(a)[-1]) if a.size else 0.0


def mean(x: ArrayLike) -> float:
    """Arithmetic mean, ``seqsum(x) / n`` in row order; NaN for an empty sample."""
    a = np.asarray(x, dtype=np.float64).ravel()
    return seqsum(a) / a.size if a.size else math.nan


def quantile(x: ArrayLike, q: float) -> float:
    """Type-1 sample quantile: the order statistic at 0-based index ceil(q*n) - 1.

    NaN for an empty sample. ``quantile([1, 2, 3, 4], 0.5)`` is 2, and
    ``quantile([1, 2, 3, 4], 0.51)`` is 3.
    """
    a = np.sort(np.asarray(x, dtype=np.float64).ravel())
    if a.size == 0:
        return math.nan
    return float(a[quantile_rank(q, a.size) - 1])


def expected_shortfall(x: ArrayLike, q: float) -> float:
    """Expected shortfall (tail mean) at level q: the mean of the order statistics
    x_(k), ..., x_(n) with k = ceil(q*n), i.e. of the n - k + 1 largest values,
    counting the quantile's own order statistic (so ES >= quantile, and ties at the
    quantile are included). Summed in ascending order, left to right. NaN when empty.
    """
    a = np.sort(np.asarray(x, dtype=np.float64).ravel())
    if a.size == 0:
        return math.nan
    tail = a[quantile_rank(q, a.size) - 1:]
    return seqsum(tail) / tail.size


def weighted_share(wx: ArrayLike, z: float = Z95) -> "Interval":
    """A probability from runs drawn by importance sampling (docs/analysis.md,
    "Weighted runs"): ``wx`` is w_i * 1{A_i} on each run; the estimate is its mean
    and the interval its 95% normal interval, p +- z*s/sqrt(n) with s the sample
    standard deviation (lo clipped at 0). With no run in A: [0, NaN], since the runs
    say nothing of how small p is. NaN when empty. Sums left to right, as the C side."""
    a = np.asarray(wx, dtype=np.float64).ravel()
    n = a.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    sw, sw2 = seqsum(a), seqsum(a * a)
    p = sw / n
    if not sw > 0:
        return Interval(p, 0.0, math.nan)
    var = max(0.0, (sw2 - n * p * p) / (n - 1.0)) if n > 1 else math.nan
    half = z * math.sqrt(var / n)
    return Interval(p, max(0.0, p - half), p + half)


#: Student's t 97.5% quantile on 1 .. 9 degrees of freedom (A&S table 26.10)
_T975_SMALL = (math.nan, 12.7062047, 4.30265273, 3.18244631, 2.77644511, 2.57058184,
               2.44691185, 2.36462425, 2.30600414, 2.26215716)


def t975(nu: int) -> float:
    """Student's t 97.5% quantile on ``nu`` degrees of freedom: a table below 10,
    else the Cornish-Fisher expansion in 1/nu to its fourth term (Abramowitz & Stegun
    26.7.5; within 1e-5 for nu >= 10), operation for operation the C side's."""
    if nu < 1:
        return math.nan
    if nu < 10:
        return _T975_SMALL[nu]
    z = Z95
    z2 = z * z
    v = float(nu)
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v


def replicate_share(wx: ArrayLike, replicate: ArrayLike) -> "Interval":
    """A probability from runs left by multilevel splitting (docs/analysis.md,
    "Weighted runs"): ``wx`` is w_i * 1{A_i} on each run, ``replicate`` its replicate,
    the replicates in row order. With G replicates and n runs, replicate g's estimate
    is a_g = (G/n) * sum_{i in g} wx_i; the estimate is their mean, sum(wx)/n, and the
    interval p +- t975(G - 1) * s/sqrt(G), s the a_g's standard deviation (lo clipped
    at 0). No run in A: [0, NaN]. NaN when empty."""
    a = np.asarray(wx, dtype=np.float64).ravel()
    g = np.asarray(replicate).ravel()
    n = a.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    groups = starts.size
    sc = seqsum(a)
    sc2 = 0.0
    for lo, hi in zip(starts, np.r_[starts[1:], n]):
        c = seqsum(a[lo:hi])
        sc2 += c * c
    scale = groups / n
    p = sc / n
    if not sc > 0:
        return Interval(p, 0.0, math.nan)
    var = max(0.0, (scale * scale * sc2 - groups * p * p) / (groups - 1.0)) \
        if groups > 1 else math.nan
    half = t975(groups - 1) * math.sqrt(var / groups)
    return Interval(p, max(0.0, p - half), p + half)


def ess(w: ArrayLike) -> float:
    """Kish's effective sample size of weights, (sum w)^2 / sum w^2 (0 if all are 0)."""
    a = np.asarray(w, dtype=np.float64).ravel()
    sw, sw2 = seqsum(a), seqsum(a * a)
    return sw * sw / sw2 if sw2 > 0 else 0.0


def _weighted_sorted(x: ArrayLike, w: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=np.float64).ravel()
    wa = np.asarray(w, dtype=np.float64).ravel()
    order = np.argsort(xa, kind="stable")
    return xa[order], wa[order]


def _weighted_rank(ws: np.ndarray, q: float) -> int:
    """1-based rank of the weighted type-1 quantile of sorted weights ws: the
    smallest k with (weight up to k) >= q * (total) and w_k > 0 (else n)."""
    want = basis_points(q) / 10000.0 * seqsum(ws)
    hit = np.nonzero((np.cumsum(ws) >= want) & (ws > 0))[0]
    return int(hit[0]) + 1 if hit.size else ws.size


def weighted_quantile(x: ArrayLike, w: ArrayLike, q: float) -> float:
    """Type-1 quantile of the weighted sample: the smallest x_(k) whose weight up to
    it is at least q of the total. With unit weights, :func:`quantile`. NaN when
    empty or of zero weight."""
    xs, ws = _weighted_sorted(x, w)
    if xs.size == 0 or not seqsum(ws) > 0:
        return math.nan
    return float(xs[_weighted_rank(ws, q) - 1])


def weighted_expected_shortfall(x: ArrayLike, w: ArrayLike, q: float) -> float:
    """The weighted mean of the sorted sample from the weighted quantile's rank up
    (:func:`expected_shortfall` with weights). NaN when empty or of zero weight."""
    xs, ws = _weighted_sorted(x, w)
    if xs.size == 0 or not seqsum(ws) > 0:
        return math.nan
    r = _weighted_rank(ws, q) - 1
    tw = seqsum(ws[r:])
    return seqsum(ws[r:] * xs[r:]) / tw if tw > 0 else math.nan


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval [lo, hi]."""

    value: float
    lo: float
    hi: float


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Proportion successes/n with its Wilson score interval.

    With p = x/n:
        centre = (p + z^2/(2n)) / (1 + z^2/n)
        half   = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4 n^2))
        [lo, hi] = [centre - half, centre + half], clipped to [0, 1],
    and lo = 0 exactly when x = 0, hi = 1 exactly when x = n. z = 1.959963984540054
    gives 95%. Reference: E. B. Wilson (1927), JASA 22:209; R. G. Newcombe (1998),
    Stat. Med. 17:857 (method 3). All NaN when n = 0.
    """
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, lo, hi)


def binomial_cdf(n: int, q: float) -> np.ndarray:
    """P(B <= j) for j = 0 .. n-1, B ~ Binomial(n, q), 0 < q < 1.

    The log probabilities follow the recurrence
        log p_0     = n * log1p(-q)
        log p_{j+1} = log p_j + log(n - j) - log(j + 1) + (log(q) - log1p(-q))
    (accumulated left to right), and the CDF is the running sum of exp(log p_j),
    also left to right. Terms that underflow to 0 are below 1e-300 and do not matter.
    """
    if n <= 0:
        return np.zeros(0)
    j = np.arange(n - 1, dtype=np.float64)
    steps = np.log(n - j) - np.log(j + 1.0) + (math.log(q) - math.log1p(-q))
    logp = np.cumsum(np.concatenate(([n * math.log1p(-q)], steps)))
    return np.cumsum(np.exp(logp))


def order_statistic_ranks(n: int, q: float, alpha_half: float = ALPHA_HALF) -> tuple[int, int]:
    """1-based ranks (l, u) of the distribution-free confidence interval
    [x_(l), x_(u)] for the q-quantile, from B ~ Binomial(n, q):

        l = largest k in 0..n   with P(B < k)  <= alpha_half   (P(B < 0) = 0)
        u = smallest k in 1..n+1 with P(B >= k) <= alpha_half

    Equivalently, with F(j) = P(B <= j) for j = 0..n-1:
        l = #{j : F(j) <= alpha_half},   u = 1 + #{j : F(j) < 1 - alpha_half}.
    l = 0 means the interval is unbounded below, u = n + 1 unbounded above.
    Coverage is >= 1 - 2*alpha_half for any distribution, ties included, since
    P(x_(l) > xi_q) <= P(B < l) and P(x_(u) < xi_q) <= P(B >= u).
    """
    if n < 1:
        raise ValueError("order-statistic interval of an empty sample")
    cdf = binomial_cdf(n, basis_points(q) / 10000)
    lo = int(np.count_nonzero(cdf <= alpha_half))
    hi = 1 + int(np.count_nonzero(cdf < 1.0 - alpha_half))
    return lo, hi


def quantile_ci(x: ArrayLike, q: float, alpha_half: float = ALPHA_HALF) -> Interval:
    """Type-1 q-quantile of ``x`` with its distribution-free (binomial order-statistic)
    confidence interval [x_(l), x_(u)], ranks from :func:`order_statistic_ranks`.

    An unbounded side is reported as -inf / +inf (too few runs to bound it: e.g. the
    99% quantile of fewer than 368 runs, or the 95% quantile of fewer than 72,
    has no finite upper bound at 95% confidence). All NaN for
    an empty sample.
    """
    a = np.sort(np.asarray(x, dtype=np.float64).ravel())
    n = a.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    lo_rank, hi_rank = order_statistic_ranks(n, q, alpha_half)
    lo = float(a[lo_rank - 1]) if lo_rank >= 1 else -math.inf
    hi = float(a[hi_rank - 1]) if hi_rank <= n else math.inf
    return Interval(float(a[quantile_rank(q, n) - 1]), lo, hi)


def quantiles(x: ArrayLike, levels: Sequence[float]) -> list[float]:
    """:func:`quantile` at each level (a convenience for plots and tables)."""
    return [quantile(x, q) for q in levels]


def mean_ci(x: ArrayLike, z: float = Z95) -> Interval:
    """Mean of ``x`` (:func:`mean`, summed left to right) with the normal interval
    ``mean ± z·s/√n``, where ``s² = Σ (x_i − mean)² / (n − 1)`` (two passes, the
    squares summed left to right) and the half-width is computed as
    ``(z * s) / sqrt(n)``. The bounds are NaN when n < 2, everything when n = 0.

    For the mean of n paired differences this is the paired interval of
    docs/analysis.md ("Paired differences"); for one sample, an interval for its mean
    (the report's per-point bands and convergence plots).
    """
    a = np.asarray(x, dtype=np.float64).ravel()
    n = a.size
    m = mean(a)
    if n < 2:
        return Interval(m, math.nan, math.nan)
    s = math.sqrt(seqsum((a - m) * (a - m)) / (n - 1))
    half = z * s / math.sqrt(n)
    return Interval(m, m - half, m + half)


def newcombe_paired(a: int, b: int, c: int, d: int, z: float = Z95) -> Interval:
    """Difference p_1 − p_2 of two paired proportions with Newcombe's hybrid score
    interval (R. G. Newcombe (1998), Stat. Med. 17:2635, method 10: Wilson intervals
    without continuity correction, and Newcombe's corrected correlation), from the 2×2
    table of the n = a + b + c + d pairs:

        a: the event in both,  b: in the first only,  c: in the second only,
        d: in neither;   p_1 = (a + b)/n,  p_2 = (a + c)/n.

    The value is ``(b − c) / n``. With (l_1, u_1), (l_2, u_2) the :func:`wilson`
    intervals of p_1 and p_2, k = a·d − b·c and P = (a+b)(c+d)(a+c)(b+d) (a product of
    doubles, left to right):

        φ = (k − n/2)/sqrt(P) if k > n/2,   0 if 0 <= k <= n/2,   k/sqrt(P) if k < 0
            (φ = 0 when P = 0)
        δ = sqrt((p_1 − l_1)² − 2φ(p_1 − l_1)(u_2 − p_2) + (u_2 − p_2)²)
        ε = sqrt((u_1 − p_1)² − 2φ(u_1 − p_1)(p_2 − l_2) + (p_2 − l_2)²)
        [lo, hi] = [Δ − δ, Δ + ε]

    each radicand evaluated left to right as written, and taken as 0 should rounding
    make it negative. The correction of φ keeps the interval from collapsing to a
    point when no pair is discordant (b = c = 0, where the plain correlation is 1).
    All NaN when n = 0. docs/analysis.md states the same ("Paired differences").
    """
    if min(a, b, c, d) < 0:
        raise ValueError(f"need counts >= 0, got {a}, {b}, {c}, {d}")
    n = a + b + c + d
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    diff = (b - c) / n
    one, two = wilson(a + b, n, z), wilson(a + c, n, z)
    prod = float(a + b) * float(c + d) * float(a + c) * float(b + d)
    k = float(a) * float(d) - float(b) * float(c)
    if prod == 0 or 0 <= k <= 0.5 * n:
        phi = 0.0
    else:
        phi = (k - 0.5 * n if k > 0 else k) / math.sqrt(prod)
    dl1, du1 = one.value - one.lo, one.hi - one.value
    dl2, du2 = two.value - two.lo, two.hi - two.value
    delta = math.sqrt(max(0.0, dl1 * dl1 - 2.0 * phi * dl1 * du2 + du2 * du2))
    eps = math.sqrt(max(0.0, du1 * du1 - 2.0 * phi * du1 * dl2 + dl2 * dl2))
    return Interval(diff, diff - delta, diff + eps)

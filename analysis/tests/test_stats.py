"""The statistical definitions of docs/analysis.md on hand-computable cases."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from liqcascade import stats


def test_quantile_type1_on_tiny_arrays() -> None:
    x = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert stats.quantile(x, 0.25) == 1.0   # ceil(1.0) = 1
    assert stats.quantile(x, 0.5) == 2.0    # ceil(2.0) = 2
    assert stats.quantile(x, 0.51) == 3.0   # ceil(2.04) = 3
    assert stats.quantile(x, 0.75) == 3.0
    assert stats.quantile(x, 0.76) == 4.0
    assert stats.quantile(x, 0.99) == 4.0
    assert stats.quantile([7.0], 0.95) == 7.0
    assert math.isnan(stats.quantile([], 0.5))


def test_quantile_rank_is_exact_integer_arithmetic() -> None:
    # 0.07 * 100 is 7.000000000000001 in floating point: ceil would give 8
    assert stats.quantile_rank(0.07, 100) == 7
    assert stats.quantile_rank(0.95, 20) == 19
    assert stats.quantile_rank(0.95, 21) == 20   # ceil(19.95)
    assert stats.quantile_rank(0.99, 1000) == 990
    assert stats.quantile_rank(0.0001, 1) == 1
    with pytest.raises(ValueError):
        stats.quantile_rank(0.123456, 10)
    with pytest.raises(ValueError):
        stats.quantile_rank(1.0, 10)


def test_expected_shortfall_includes_the_quantile_order_statistic() -> None:
    x = np.arange(1.0, 21.0)
    assert stats.expected_shortfall(x, 0.95) == (19 + 20) / 2      # k = 19
    assert stats.expected_shortfall(x, 0.90) == (18 + 19 + 20) / 3  # k = 18
    assert stats.expected_shortfall(x, 0.99) == 20.0                # k = 20
    # ties at the quantile are in the tail; ES >= VaR
    y = [0.0] * 9 + [5.0]
    assert stats.quantile(y, 0.5) == 0.0
    assert stats.expected_shortfall(y, 0.5) == 5.0 / 6              # x_(5..10)
    assert math.isnan(stats.expected_shortfall([], 0.95))


def test_sums_are_sequential() -> None:
    x = [1e16, 1.0, -1e16, 1.0]
    # left to right: (1e16 + 1) rounds to 1e16, - 1e16 = 0, + 1 = 1
    assert stats.seqsum(x) == 1.0
    assert stats.mean(x) == 0.25


@pytest.mark.parametrize("x,n,lo,hi", [
    # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson, no continuity
    # correction), to the 4 decimals printed there
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_against_published_values(x: int, n: int, lo: float, hi: float) -> None:
    iv = stats.wilson(x, n)
    assert iv.value == x / n
    assert iv.lo == pytest.approx(lo, abs=5e-5)
    assert iv.hi == pytest.approx(hi, abs=5e-5)


def test_wilson_by_hand() -> None:
    # 0 of 10: lo = 0 exactly, hi = (z^2/n) / (1 + z^2/n)
    z2 = 1.959963984540054 ** 2
    iv = stats.wilson(0, 10)
    assert iv.lo == 0.0
    assert iv.hi == pytest.approx((z2 / 10) / (1 + z2 / 10), rel=1e-14)
    # n of n mirrors 0 of n
    assert stats.wilson(10, 10).lo == pytest.approx(1 - iv.hi, rel=1e-14)
    assert stats.wilson(10, 10).hi == 1.0
    # the bounds solve (p - P)^2 = z^2 P (1 - P) / n
    iv = stats.wilson(3, 17)
    for b in (iv.lo, iv.hi):
        assert (3 / 17 - b) ** 2 == pytest.approx(z2 * b * (1 - b) / 17, rel=1e-12)
    assert all(math.isnan(v) for v in (stats.wilson(0, 0).value, stats.wilson(0, 0).lo))


def _exact_ranks(n: int, q: Fraction) -> tuple[int, int]:
    """Brute force with exact rational binomial probabilities."""
    pmf = [math.comb(n, i) * q ** i * (1 - q) ** (n - i) for i in range(n + 1)]
    cdf_below = lambda k: sum(pmf[:k])  # P(B < k)
    lo = max(k for k in range(n + 1) if cdf_below(k) <= Fraction(1, 40))
    hi = min(k for k in range(1, n + 2) if 1 - cdf_below(k) <= Fraction(1, 40))
    return lo, hi


@pytest.mark.parametrize("n", [1, 5, 10, 20, 37, 50, 100, 150])
@pytest.mark.parametrize("q", ["0.5", "0.95", "0.99"])
def test_order_statistic_ranks_match_exact_binomial(n: int, q: str) -> None:
    assert stats.order_statistic_ranks(n, float(q)) == _exact_ranks(n, Fraction(q))


def test_order_statistic_ranks_known_cases() -> None:
    # median of 10: [x_(2), x_(9)], coverage 1 - 2 * 11/1024 = 97.9%
    assert stats.order_statistic_ranks(10, 0.5) == (2, 9)
    # the 99% quantile gets a finite upper bound only when 0.99^n <= 0.025
    for n in range(300, 420):
        unbounded = stats.order_statistic_ranks(n, 0.99)[1] == n + 1
        assert unbounded == (0.99 ** n > 0.025), n


def test_quantile_ci() -> None:
    x = np.arange(10.0, 0.0, -1.0)  # 10 .. 1
    iv = stats.quantile_ci(x, 0.5)
    assert (iv.value, iv.lo, iv.hi) == (5.0, 2.0, 9.0)
    iv = stats.quantile_ci(x, 0.95)
    assert iv.value == 10.0 and iv.hi == math.inf
    iv = stats.quantile_ci([3.0], 0.5)
    assert iv.lo == -math.inf and iv.hi == math.inf


def test_weighted_share_coverage() -> None:
    """The weighted probability's 95% normal interval (docs/analysis.md, "Weighted
    runs") covers an exact probability as often as it says. X ~ N(theta, 1) drawn with
    theta = 3.5, weights w = phi(X)/phi(X - theta) = exp(-theta*X + theta^2/2), event
    X > 3.5: p = Q(3.5) = 2.326e-4 exactly. Over 1,000 replicates of 500 draws the
    coverage is a binomial proportion with SE sqrt(0.95*0.05/1000) = 0.0069; it must be
    within 4 SE of 0.95. The estimate's own mean is within 4 of its SE of p."""
    rng = np.random.default_rng(2026)
    theta, c, n, reps = 3.5, 3.5, 500, 1000
    p = 0.5 * math.erfc(c / math.sqrt(2))
    covered, means = 0, []
    for _ in range(reps):
        x = rng.normal(theta, 1.0, n)
        w = np.exp(-theta * x + 0.5 * theta * theta)
        iv = stats.weighted_share(np.where(x > c, w, 0.0))
        covered += iv.lo <= p <= iv.hi
        means.append(iv.value)
    cov = covered / reps
    se = math.sqrt(0.95 * 0.05 / reps)
    assert abs(cov - 0.95) < 4 * se, f"coverage {cov:.3f}"
    m = np.asarray(means)
    assert abs(m.mean() - p) < 4 * m.std(ddof=1) / math.sqrt(reps)


def test_weighted_statistics_by_hand() -> None:
    """Unit weights give the plain statistics; a heavy run moves the quantile."""
    x = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    one = np.ones(5)
    for q in (0.5, 0.95, 0.2):
        assert stats.weighted_quantile(x, one, q) == stats.quantile(x, q)
        assert stats.weighted_expected_shortfall(x, one, q) == stats.expected_shortfall(x, q)
    w = np.array([0.1, 0.1, 0.1, 4.6, 0.1])  # sorted: 1 (0.1), 2 (4.6), 3, 4, 5 (0.1 each)
    assert stats.weighted_quantile(x, w, 0.5) == 2.0
    assert stats.weighted_quantile(x, w, 0.95) == 3.0  # 0.1 + 4.6 + 0.1 = 4.8 >= 0.95 * 5
    assert stats.weighted_expected_shortfall(x, w, 0.95) == pytest.approx(1.2 / 0.3)
    assert stats.ess(one) == 5 and stats.ess(w) == pytest.approx(25 / (0.04 + 21.16))
    iv = stats.weighted_share(np.zeros(10))
    assert iv.value == 0 and iv.lo == 0 and math.isnan(iv.hi)


def test_t975_against_tables() -> None:
    """Student's 97.5% quantile: the table below 10 degrees of freedom and the
    Cornish-Fisher expansion above, against the published values (Abramowitz &
    Stegun table 26.10, to the 6 decimals it gives; within 1e-5)."""
    published = {1: 12.706205, 7: 2.364624, 8: 2.306004, 9: 2.262157, 10: 2.228139,
                 19: 2.093024, 30: 2.042272, 60: 2.000298, 120: 1.979930}
    for nu, t in published.items():
        assert abs(stats.t975(nu) - t) < 1e-5, (nu, stats.t975(nu), t)
    assert math.isnan(stats.t975(0))


def test_replicate_share_by_hand() -> None:
    """Three replicates of 2, 1 and 3 runs (n = 6): a_g = (3/6) * sum of w*1{A} in g."""
    wx = [1.0, 0.5, 0.0, 2.0, 0.0, 1.0]
    rep = [0, 0, 1, 2, 2, 2]
    a = [0.5 * 1.5, 0.0, 0.5 * 3.0]
    p = sum(a) / 3
    s = math.sqrt(sum((x - p) ** 2 for x in a) / 2)
    iv = stats.replicate_share(wx, rep)
    assert iv.value == pytest.approx(sum(wx) / 6, rel=1e-15)
    assert iv.value == pytest.approx(p, rel=1e-15)
    half = stats.t975(2) * s / math.sqrt(3)
    assert iv.hi == pytest.approx(p + half, rel=1e-12)
    assert iv.lo == max(0.0, p - half)
    none = stats.replicate_share([0.0, 0.0, 0.0], [0, 1, 2])
    assert none.value == 0 and none.lo == 0 and math.isnan(none.hi)

"""Paired differences against a baseline point (docs/analysis.md, "Paired differences"):
Newcombe's interval for paired proportions (coverage by simulation, hand-checked
cases), the paired interval of a mean against numpy, and the table of a real sweep."""
from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import liqcascade as lc
from liqcascade import stats
from liqcascade.metrics import PAIRED_COLUMNS, to_csv

from conftest import ROOT, binary

Z = stats.Z95


# ---- Newcombe's hybrid score interval: coverage ------------------------------------

def _cells(p1: float, p2: float, rho: float) -> np.ndarray:
    """Probabilities of (both, first only, second only, neither) for two Bernoulli
    variables with means p1, p2 and correlation rho."""
    p11 = p1 * p2 + rho * math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    cells = np.array([p11, p1 - p11, p2 - p11, 1 - p1 - p2 + p11])
    assert (cells >= 0).all(), "no such joint distribution"
    return cells


#: (pairs n, p_j, p_b, correlation): rare events as in a risk sweep, a moderate
#: one, and strong correlation (common random numbers make the points' runs alike)
COVERAGE_CASES = [(500, 0.02, 0.01, 0.5), (200, 0.10, 0.06, 0.7), (60, 0.5, 0.4, 0.6),
                  (300, 0.05, 0.03, 0.75)]
REPLICATES = 4000


@pytest.mark.parametrize("n,p1,p2,rho", COVERAGE_CASES)
def test_newcombe_coverage(n: int, p1: float, p2: float, rho: float) -> None:
    """REPLICATES tables of n pairs drawn from a known joint distribution (numpy,
    fixed seed): the share of intervals that contain the true p_j − p_b is an
    estimate of the coverage with binomial standard error
    SE = sqrt(0.95 · 0.05 / REPLICATES) = 0.0034 at the nominal 95%. We require
    coverage >= 0.95 − 3·SE (0.9397): an interval whose true coverage is 95% fails
    this with probability 0.13%. Only the lower side is tested: method 10 is known to
    be conservative when the pairs are strongly correlated (its corrected φ widens
    the interval; e.g. 0.98 at n 100, p 0.3, rho 0.9), which errs on the side a risk reader
    wants. That it still uses the pairing is the second check: on average it is
    narrower than the same Wilson intervals combined as if independent (φ = 0)."""
    rng = np.random.default_rng(20261202 + n)
    truth = p1 - p2
    tables = rng.multinomial(n, _cells(p1, p2, rho), size=REPLICATES)
    covered, width, width_indep = 0, 0.0, 0.0
    for a, b, c, d in tables.tolist():
        iv = stats.newcombe_paired(a, b, c, d)
        covered += iv.lo <= truth <= iv.hi
        width += iv.hi - iv.lo
        w1, w2 = stats.wilson(a + b, n), stats.wilson(a + c, n)
        width_indep += math.hypot(w1.value - w1.lo, w2.hi - w2.value) + \
            math.hypot(w1.hi - w1.value, w2.value - w2.lo)
    se = math.sqrt(0.95 * 0.05 / REPLICATES)
    coverage = covered / REPLICATES
    assert coverage >= 0.95 - 3 * se, f"coverage {coverage:.4f} at {n, p1, p2, rho}"
    assert width < 0.95 * width_indep


# ---- Newcombe's hybrid score interval: by hand -------------------------------------

def test_newcombe_no_discordant_pair() -> None:
    """B = C = 0: the difference is 0 and the interval is not a point. A = D = 5 of
    n = 10: both proportions are 5/10 with the Wilson interval 0.5 ± h; k = A·D = 25 >
    n/2, P = 5⁴ = 625, so φ = (25 − 5)/25 = 0.8 and δ = ε = sqrt(h² − 1.6h² + h²) =
    h·sqrt(0.4)."""
    w = stats.wilson(5, 10)
    h = 0.5 - w.lo
    assert h == pytest.approx(0.26341, abs=1e-5)
    iv = stats.newcombe_paired(5, 0, 0, 5)
    assert iv.value == 0.0
    assert iv.hi == pytest.approx(h * math.sqrt(0.4), rel=1e-12)
    assert iv.lo == pytest.approx(-iv.hi, rel=1e-12)
    assert iv.hi == pytest.approx(0.16659, abs=1e-5)


def test_newcombe_all_zero_events() -> None:
    """No event at either point (A = B = C = 0, D = n): P = 0, so φ = 0, and the
    interval is ± the Wilson upper bound of 0/n: [−0.2775, 0.2775] for n = 10."""
    u = stats.wilson(0, 10).hi
    assert u == pytest.approx(0.27753, abs=1e-5)
    # and the event in every pair at both points: the mirror image
    for iv in (stats.newcombe_paired(0, 0, 0, 10), stats.newcombe_paired(10, 0, 0, 0)):
        assert iv.value == 0.0
        assert iv.lo == pytest.approx(-u, rel=1e-15) and iv.hi == pytest.approx(u, rel=1e-15)


def test_newcombe_published_example() -> None:
    """Fagerland, Lydersen and Laake, Statistical Analysis of Contingency Tables
    (2017), ch. 8, Newcombe's square-and-add interval for the Cavo et al. (2012)
    table A, B, C, D = 59, 6, 16, 80: −0.0621 (95% CI −0.1186 to −0.0046)."""
    iv = stats.newcombe_paired(59, 6, 16, 80)
    assert round(iv.value, 4) == -0.0621
    assert (round(iv.lo, 4), round(iv.hi, 4)) == (-0.1186, -0.0046)
    assert iv.value == (6 - 16) / 161


def test_newcombe_extremes_and_bounds() -> None:
    """Every table of n <= 24 pairs: lo <= Δ <= hi, inside [−1, 1]; Δ = (B − C)/n.
    All pairs discordant one way: Δ = 1 with hi exactly 1. n = 0: NaN."""
    for n in range(1, 25):
        for a in range(n + 1):
            for b in range(n + 1 - a):
                for c in range(n + 1 - a - b):
                    iv = stats.newcombe_paired(a, b, c, n - a - b - c)
                    assert iv.value == (b - c) / n
                    assert -1.0 <= iv.lo <= iv.value <= iv.hi <= 1.0, (a, b, c, n)
    iv = stats.newcombe_paired(0, 7, 0, 0)
    assert iv.value == 1.0 and iv.hi == 1.0 and 0 < iv.lo < 1
    assert all(math.isnan(v) for v in (stats.newcombe_paired(0, 0, 0, 0).value,
                                        stats.newcombe_paired(0, 0, 0, 0).lo))
    with pytest.raises(ValueError):
        stats.newcombe_paired(1, -1, 0, 0)


# ---- the paired interval of a mean ------------------------------------------------

def test_mean_ci_against_numpy() -> None:
    rng = np.random.default_rng(7)
    d = rng.standard_t(3, 1000) * 1e6 + 3e5
    iv = stats.mean_ci(d)
    half = Z * np.std(d, ddof=1) / math.sqrt(d.size)
    assert iv.value == pytest.approx(np.mean(d), rel=1e-12)
    assert iv.lo == pytest.approx(np.mean(d) - half, rel=1e-12)
    assert iv.hi == pytest.approx(np.mean(d) + half, rel=1e-12)
    assert iv.value == stats.seqsum(d) / d.size  # summed left to right
    one = stats.mean_ci([2.5])
    assert one.value == 2.5 and math.isnan(one.lo) and math.isnan(one.hi)
    assert math.isnan(stats.mean_ci([]).value)
    assert stats.mean_ci([4.0, 4.0, 4.0]) == stats.Interval(4.0, 4.0, 4.0)


# ---- a real sweep ------------------------------------------------------------------

@pytest.fixture(scope="module")
def depth_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`liqcascade sweep` of the stressed quickstart over three book depths (the second
    near the first, the third far): 300 runs of 120 steps, 2,000 accounts, with
    /events (so cascade_steps is in the table)."""
    out = tmp_path_factory.mktemp("paired") / "depth.h5"
    subprocess.run([str(binary()), "sweep", str(ROOT / "scenarios" / "quickstart.yaml"),
                    "-o", str(out), "--quiet", "--threads", "2", "--runs", "300",
                    "--steps", "120", "--set", "population.accounts=2000",
                    "--set", "venue.insurance_fund=2000", "--set", "price.sigma=1.5",
                    "--vary", "impact.depth_1pct=2e5,2.5e5,4e5", "--events"],
                   check=True, capture_output=True, timeout=120)
    return out


def test_paired_table_of_a_sweep(depth_sweep: Path) -> None:
    with lc.load(depth_sweep) as r:
        per = lc.compute_metrics(r).set_index(["point", "metric"])
        t = lc.paired_differences(r)
        runs = r.runs
        t1 = lc.paired_differences(r, baseline=1)
        with pytest.raises(lc.LiqcascadeError, match="no baseline point 3"):
            lc.paired_differences(r, baseline=3)
    assert list(t.columns) == PAIRED_COLUMNS
    assert t["point"].unique().tolist() == [1, 2] and (t["baseline"] == 0).all()
    assert t1["point"].unique().tolist() == [0, 2] and (t1["baseline"] == 1).all()
    order = [m for m in per.loc[0].index if m not in ("n_runs", "amplification_undefined")]
    assert t[t["point"] == 1]["metric"].tolist() == order
    assert "cascade_steps.mean" in order
    t = t.set_index(["point", "metric"])
    for p in (1, 2):
        # a complete file: every run is paired
        assert (t.loc[p]["n"].drop(index=[m for m in order if m.startswith("amplification")])
                == 300).all()
        for stat in ("q50", "q95", "q99", "es95", "es99"):
            m = f"liq_notional.{stat}"
            assert t.loc[(p, m), "value"] == per.loc[(p, m), "value"] - per.loc[(0, m), "value"]
            assert math.isnan(t.loc[(p, m), "lo"]) and math.isnan(t.loc[(p, m), "hi"])
        # the mean of the differences, against numpy on /runs directly
        liq = (runs["liq_notional_long"] + runs["liq_notional_short"]).to_numpy()
        d = liq[runs["point"] == p] - liq[runs["point"] == 0]
        row = t.loc[(p, "liq_notional.mean")]
        half = Z * np.std(d, ddof=1) / math.sqrt(d.size)
        assert row["value"] == pytest.approx(d.mean(), rel=1e-12)
        assert row["hi"] - row["value"] == pytest.approx(half, rel=1e-9)
        assert row["value"] < 0  # a deeper book liquidates less
        # what moves both points alike cancels: the paired interval is narrower than
        # the one the two points' own intervals give for the difference, and for the
        # near point narrower than either point's own interval for its mean
        own = [stats.mean_ci(liq[runs["point"] == q]) for q in (0, p)]
        width = row["hi"] - row["lo"]
        assert width < math.hypot(*[iv.hi - iv.lo for iv in own])
        if p == 1:
            assert all(width < iv.hi - iv.lo for iv in own)
        # probabilities: Newcombe on the 2x2 table of the pairs
        ev = runs["max_rounds"].to_numpy() >= 2
        ej, eb = ev[runs["point"] == p], ev[runs["point"] == 0]
        iv = stats.newcombe_paired(int(np.sum(ej & eb)), int(np.sum(ej & ~eb)),
                                   int(np.sum(~ej & eb)), int(np.sum(~ej & ~eb)))
        assert tuple(t.loc[(p, "p_cascade"), ["value", "lo", "hi"]]) == \
            (iv.value, iv.lo, iv.hi)


def test_paired_csv_is_written_like_metrics_csv(depth_sweep: Path, sweep_file: Path,
                                                c_result: Path) -> None:
    with lc.load(depth_sweep) as r:
        text = to_csv(lc.paired_differences(r))
        assert to_csv(lc.compute_metrics(r)) == \
            lc.compute_metrics(r).to_csv(index=False, float_format="%.17g")
    lines = text.splitlines()
    assert lines[0] == "point,baseline,metric,value,lo,hi,n,units"
    quantile = next(x for x in lines if ",liq_notional.q99," in x)
    assert quantile.endswith(",,,300,quote")  # NaN bounds are empty fields
    # an interrupted or uneven file: only the runs both points have are paired
    with lc.load(sweep_file) as r:
        t = lc.paired_differences(r, baseline=2)
    assert set(t["n"]) <= {20, 19}  # amplification: run 0 is undefined at every point
    # a file of one point: the header only
    with lc.load(c_result) as r:
        assert to_csv(lc.paired_differences(r)) == ",".join(PAIRED_COLUMNS) + "\n"


def test_paired_on_a_partial_point(tmp_path: Path) -> None:
    """Points with different runs present (an interrupted sweep stops mid-point):
    only the runs both points have are paired, in the baseline's row order."""
    from conftest import write_sweep
    path = write_sweep(tmp_path / "cut.h5", runs=20, status="interrupted",
                       rows_written=20 * 5 + 7)
    with lc.load(path) as r:
        t = lc.paired_differences(r).set_index(["point", "metric"])
    assert t.loc[(1, "p_bad_debt"), "n"] == 20
    assert t.loc[(5, "p_bad_debt"), "n"] == 7          # runs 0..6 of the last point
    assert t.loc[(5, "amplification.mean"), "n"] == 6  # run 0: exo_drawdown 0
    # bad_debt = r (p + 1) for r >= 10, else 0: none of runs 0..6 has any
    assert t.loc[(5, "bad_debt.mean"), "value"] == 0.0
    assert t.loc[(1, "bad_debt.mean"), "value"] == pytest.approx(
        sum(range(10, 20)) / 20)

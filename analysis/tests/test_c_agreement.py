"""The C side and the Python side compute the same metric table.

`liqcascade info FILE --metrics` (sim/out/metrics.c) and :func:`liqcascade.compute_metrics`
implement docs/analysis.md independently, in two languages. On result files written
by the C binary — a stressed run with /events (so cascade_steps exists), the same run
in schema v1, a two-market run and a real `liqcascade sweep` with a numeric and a
text-valued key — the two CSV tables must be identical byte for byte: same points,
metrics, values, intervals, sizes and units.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import liqcascade as lc
from liqcascade import plots

from conftest import ROOT, TWO_MARKETS, binary


def c_table(path: Path) -> str:
    out = subprocess.run([str(binary()), "info", str(path), "--metrics"], check=True,
                         capture_output=True, text=True, timeout=120)
    return out.stdout


def py_table(path: Path) -> str:
    return lc.compute_metrics(lc.load(path)).to_csv(index=False, float_format="%.17g")


def test_run_with_events(c_result: Path) -> None:
    c, py = c_table(c_result), py_table(c_result)
    assert "cascade_steps.q99" in c, "the stressed run has /events"
    assert c == py


def test_two_markets(c_markets: Path) -> None:
    """A schema v2 file with two markets: the venue's metrics, from the totals."""
    c, py = c_table(c_markets), py_table(c_markets)
    assert "cascade_steps.q99" in c
    assert c == py


def test_v1_file(c_v1: Path) -> None:
    c, py = c_table(c_v1), py_table(c_v1)
    assert "cascade_steps.q99" in c
    assert c == py


def test_sweep(c_sweep: Path) -> None:
    c, py = c_table(c_sweep), py_table(c_sweep)
    assert c.count(",n_runs,") == 4
    assert c == py


def test_sweep_points_and_heatmap(c_sweep: Path) -> None:
    r = lc.load(c_sweep)
    assert r.varied_keys == ["impact.depth_1pct", "population.leverage"]
    assert r.points["impact.depth_1pct"].tolist() == [2e5, 2e5, 1e6, 1e6]
    assert r.points["population.leverage"].tolist()[1] == "{dist: fixed, value: 50}"
    fig = plots.sweep_heatmap(r, "liq_notional.mean", x="impact.depth_1pct",
                                 y="population.leverage")
    assert fig.axes[0].get_xlabel() == "impact.depth_1pct (quote)"


def test_bands_are_type1_quantiles(c_result: Path, capsys) -> None:
    """liqcascade.bands (the docs/validation.md table) prints the type-1 quantiles."""
    from liqcascade import bands, stats
    rows = bands.bands(str(c_result))
    runs = lc.load(c_result).runs
    dd = runs["max_drawdown"].to_numpy()
    assert rows[0]["max_drawdown"][1] == stats.quantile(dd, 0.5)
    assert bands.main([str(c_result)]) == 0
    assert "max drawdown" in capsys.readouterr().out
    assert bands.main([]) == 2


def test_lending_cdps(tmp_path: Path) -> None:
    """A run with Maker vaults (venue.lending: maker): the CDPs' p_cdp_bad_debt and
    cdp_bad_debt.* appear in both tables, after the venue's, and agree."""
    out = tmp_path / "maker.h5"
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "march-2020-maker.yaml"
    subprocess.run([str(binary()), "run", str(scenario), "-o", str(out), "--runs", "40", "-q"],
                   check=True, capture_output=True, timeout=300)
    c, py = c_table(out), py_table(out)
    assert ",p_cdp_bad_debt," in c and ",cdp_bad_debt.q99," in c
    assert c == py


def c_paired(path: Path, baseline: int) -> str:
    out = subprocess.run([str(binary()), "info", str(path), "--paired", "--baseline",
                          str(baseline)], check=True, capture_output=True, text=True, timeout=120)
    return out.stdout


def test_paired_differences(c_sweep: Path, c_fee_sweep: Path) -> None:
    """`info --paired` (C, sim/out/metrics.c) and paired_differences compute
    docs/analysis.md's paired table independently: byte for byte the same, for
    either baseline, on a two-key sweep with /events and on a one-key sweep."""
    for path, baselines in ((c_sweep, (0, 3)), (c_fee_sweep, (0, 2))):
        r = lc.load(path)
        for b in baselines:
            c, py = c_paired(path, b), lc.to_csv(lc.paired_differences(r, baseline=b))
            assert c.count("\n") > 30, "a table with rows"
            assert c == py, f"{path.name} baseline {b}"


def test_paired_needs_a_point_the_file_has(c_sweep: Path) -> None:
    out = subprocess.run([str(binary()), "info", str(c_sweep), "--paired", "--baseline", "9"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "no point 9 in the file" in out.stderr


def test_liquidation_map_of_c_and_python(tmp_path: Path) -> None:
    """`liqcascade map` bins the population it draws (C); the same scenario run with
    --population gives /population, whose levels the report bins (Python,
    population.liquidation_levels): on the C map's bins, the same notional and
    accounts per market and side. The map also writes its two figures."""
    sc = tmp_path / "two.yaml"
    sc.write_text(TWO_MARKETS)
    subprocess.run([str(binary()), "map", str(sc), "-o", str(tmp_path / "m"), "--bins", "40",
                    "--shocks", "-0.2:0.1:4", "--threads", "1"],
                   check=True, capture_output=True, timeout=120)
    assert (tmp_path / "m" / "liquidation_map.png").stat().st_size > 0
    assert (tmp_path / "m" / "amplification.png").stat().st_size > 0
    h5 = tmp_path / "two.h5"
    subprocess.run([str(binary()), "run", str(sc), "-o", str(h5), "--quiet", "--threads", "1",
                    "--runs", "1", "--population"], check=True, capture_output=True, timeout=120)
    from liqcascade.population import liquidation_levels
    lm = pd.read_csv(tmp_path / "m" / "liquidation_map.csv")
    for lv in liquidation_levels(lc.load(h5)):
        for side, name in ((1, "long"), (-1, "short")):
            d = lm[(lm["market"] == lv.market) & (lm["side"] == name)].sort_values("price_lo")
            edges = np.append(d["price_lo"].to_numpy(), d["price_hi"].to_numpy()[-1])
            sel = lv.side == side
            notional, _ = np.histogram(lv.price[sel], bins=edges, weights=lv.notional[sel])
            count, _ = np.histogram(lv.price[sel], bins=edges)
            assert d["accounts"].sum() > 0
            np.testing.assert_array_equal(d["accounts"].to_numpy(), count)
            np.testing.assert_allclose(d["notional"].to_numpy(), notional, rtol=1e-12, atol=0)
    cm = pd.read_csv(tmp_path / "m" / "cascade_map.csv")
    assert list(cm["shock"]) == pytest.approx([-0.2, -0.1, 0.0, 0.1])
    assert cm.loc[cm["shock"] == 0, "liq_accounts"].item() == 0


def test_weighted_sweep(c_tilted_sweep: Path) -> None:
    """Runs drawn by importance sampling: the weighted tables (docs/analysis.md,
    "Weighted runs") agree byte for byte, metrics and paired differences."""
    c, py = c_table(c_tilted_sweep), py_table(c_tilted_sweep)
    assert c.count(",ess,") == 2 and c.count(",weight_mean,") == 2
    assert c == py
    cp = c_paired(c_tilted_sweep, 0)
    pp = lc.paired_differences(lc.load(c_tilted_sweep), baseline=0).to_csv(
        index=False, float_format="%.17g")
    assert cp == pp
    r = lc.load(c_tilted_sweep)
    w = r.runs["weight"].to_numpy()
    assert np.array_equal(w[r.point_rows(0)], w[r.point_rows(1)]), "a common tilt, common weights"
    assert np.allclose(np.exp(r.runs["log_weight"].to_numpy()), w, rtol=1e-15)


def test_split(c_split: Path) -> None:
    """Runs left by multilevel splitting: the weighted tables with the replicates'
    intervals agree byte for byte; each replicate's weights sum to its share of the
    rows, and the replicates come in row order."""
    c, py = c_table(c_split), py_table(c_split)
    assert c.count(",ess,") == 1 and ",p_bad_debt," in c
    assert c == py
    r = lc.load(c_split)
    w, g = r.runs["weight"].to_numpy(), r.runs["replicate"].to_numpy()
    assert np.all(np.diff(g) >= 0) and g.max() == 9
    n = w.size
    for k in range(10):
        assert abs(w[g == k].sum() - n / 10) < 1e-9 * n
    assert r.attrs["rare_method"] == "split" and "hits" in r.attrs["rare_split"]


def test_weights_do_not_depend_on_threads(tmp_path: Path) -> None:
    """A run's weight is a function of its own streams: 1 and 2 threads write the same
    /runs/weight, bit for bit, and theta: auto chooses the same theta."""
    rare = ("simulation.rare={method: tilt, theta: auto, "
            "target: {score: drawdown, level: 0.15}, pilot: {runs: 500}}")
    w = []
    for t in (1, 2):
        out = tmp_path / f"t{t}.h5"
        subprocess.run([str(binary()), "run", str(ROOT / "scenarios" / "quickstart.yaml"),
                        "-o", str(out), "--quiet", "--threads", str(t), "--runs", "200",
                        "--steps", "120", "--set", "population.accounts=2000",
                        "--set", rare], check=True, capture_output=True, timeout=120)
        r = lc.load(out)
        w.append(r.runs["weight"].to_numpy())
    assert np.array_equal(w[0], w[1]) and np.unique(w[0]).size > 100

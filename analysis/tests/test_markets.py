"""Schema v2 with several markets, and schema v1 still read.

c_markets is a real two-market run (BTC, ETH; conftest.TWO_MARKETS); c_v1 is the
stressed one-market run c_result rewritten in the v1 layout (conftest.write_v1), so
every v1 answer can be compared with the v2 answer of the same run."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import liqcascade as lc
from liqcascade import plots
from liqcascade.report import main as report_main
from conftest import TWO_MARKETS, binary

COUNTS = ["liq_count_long", "liq_count_short"]
NOTIONALS = ["liq_notional_long", "liq_notional_short", "oi_end"]


def _run(tmp: Path, name: str, *extra: str) -> Path:
    (tmp / f"{name}.yaml").write_text(TWO_MARKETS)
    out = tmp / f"{name}.h5"
    subprocess.run([str(binary()), "run", str(tmp / f"{name}.yaml"), "-o", str(out), "--quiet",
                    "--threads", "1", *extra], check=True, capture_output=True, timeout=120)
    return out


def _info(path: Path, *extra: str) -> str:
    p = subprocess.run([str(binary()), "info", str(path), *extra], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


# ---- xarray ---------------------------------------------------------------

def test_xarray_opens_v2_with_named_dims_and_coords(c_markets: Path, tmp_path: Path) -> None:
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    every4 = _run(tmp_path, "every4", "--set", "output.every=4")
    for path, every in ((c_markets, 1), (every4, 4)):
        with lc.open_series(path) as ds, h5py.File(path, "r") as f:
            assert isinstance(ds, xr.Dataset)
            assert ds["price"].dims == ("row", "market", "time")
            assert ds["liq_long"].dims == ("row", "market", "time")
            assert ds["insurance"].dims == ("row", "time")  # the venue's, no market axis
            assert ds.sizes["row"] == 8 and ds.sizes["market"] == 2
            assert ds.sizes["time"] == 60 // every + 1
            assert list(ds["market"].values) == ["BTC", "ETH"]
            assert ds["row"].values.tolist() == list(range(8))
            k = np.arange(ds.sizes["time"])
            assert ds["time"].dtype == np.float64
            assert np.array_equal(ds["time"].values, k * every * 60.0)
            assert ds["price"].attrs["units"] == "quote" and ds["price"].attrs["every"] == every
            # one value, against h5py: run 3, ETH, column 7
            v = ds["price"].sel(market="ETH", row=3).isel(time=7).item()
            assert v == f["series/price"][3, 1, 7]
            assert ds["insurance"].isel(row=5, time=-1).item() == f["series/insurance"][5, -1]
            # the package's 2-D reader agrees with xarray
            with lc.load(path) as r:
                assert np.array_equal(r.series("price", market="ETH"),
                                      ds["price"].sel(market="ETH").values)
    # open_series is xarray's own reader for v2
    with xr.open_dataset(c_markets, group="series", engine="h5netcdf") as direct, \
            lc.open_series(c_markets) as ours:
        xr.testing.assert_identical(direct, ours)


def test_xarray_of_v1_is_built_with_a_market_axis(c_v1: Path, c_result: Path) -> None:
    pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    with lc.open_series(c_v1) as v1, lc.open_series(c_result) as v2:
        assert v1.attrs["schema_version"] == 1
        assert list(v1["market"].values) == [lc.DEFAULT_MARKET] == list(v2["market"].values)
        for name in v2.data_vars:
            assert v1[name].dims == v2[name].dims, name
            assert np.array_equal(v1[name].values, v2[name].values), name
        assert np.array_equal(v1["time"].values, v2["time"].values)
        assert np.array_equal(v1["row"].values, v2["row"].values)


# ---- v1 still reads ---------------------------------------------------------

def test_v1_file_reads_as_before(c_v1: Path, c_result: Path) -> None:
    with h5py.File(c_v1, "r") as f:  # the layout really is v1
        assert f.attrs["schema_version"] == 1 and "markets" not in f
        assert f["series/price"].ndim == 2 and "time" not in f["series"]
        assert not [c for c in f["runs"] if "." in c]
    with lc.load(c_v1) as r1, lc.load(c_result) as r2:
        assert r1.schema_version == 1 and r2.schema_version == 2
        assert r1.market_names == r2.market_names == ["market"] and r1.n_markets == 1
        m1 = r1.markets.iloc[0]
        assert (m1["price_model"], m1["impact_model"], m1["mark_model"]) == ("gbm", "linear", "last")
        assert m1["s0"] == r2.markets.iloc[0]["s0"] == r1.resolved["price.s0"]
        assert r1.series_names == r2.series_names
        for name in r1.series_names:
            assert np.array_equal(r1.series(name), r2.series(name)), name
            assert np.array_equal(r1.time_s(name), r2.time_s(name))
        assert np.array_equal(r1.series("price", market="market", point=0), r1.series("price"))
        assert np.array_equal(r1.series("oi", market=0, rows=[4, 2]), r1.series("oi")[[4, 2]])
        with pytest.raises(lc.LiqcascadeError, match="no market 'BTC'"):
            r1.series("price", market="BTC")
        pd.testing.assert_frame_equal(r1.market_runs(), r2.market_runs())
        pd.testing.assert_frame_equal(lc.compute_metrics(r1), lc.compute_metrics(r2))
        pd.testing.assert_frame_equal(lc.market_metrics(r1), lc.market_metrics(r2))
        v1_cols = [c for c in r2.runs.columns if "." not in c]
        pd.testing.assert_frame_equal(r1.runs, r2.runs[v1_cols], check_like=False)
        fig = plots.fan_chart(r1)
        assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "price (quote)"
        assert len(plots.liquidation_heatmap(r1).axes) == 2  # panel and colour bar


def test_info_reads_v1_and_v2(c_v1: Path, c_result: Path) -> None:
    v1, v2 = _info(c_v1), _info(c_result)
    assert "(schema 1)" in v1 and "(schema 2)" in v2
    assert "/series/price                  40 x 241 " in v1
    assert "/series/price                  40 x 1 x 241 " in v2
    assert "markets" not in v1 and "markets  1 (/markets)" in v2
    assert "/runs: 40 rows x 60 columns\n" in v1
    assert "/runs: 40 rows x 69 columns (9 of them per market" in v2
    assert "/runs by market" not in v1 and "/runs by market" in v2
    # the metrics are the same run's
    assert _info(c_v1, "--metrics") == _info(c_result, "--metrics")


# ---- the per-market /runs frame ----------------------------------------------

def test_market_runs_sum_to_the_totals(c_markets: Path) -> None:
    with lc.load(c_markets) as r:
        runs = r.runs
        df = r.market_runs()
        assert r.market_names == ["BTC", "ETH"] and r.n_markets == 2
        assert r.market_quantities == list(lc.io.MARKET_QUANTITIES)
    assert list(df.columns[:4]) == ["row", "point", "run", "market"]
    assert len(df) == 2 * len(runs) == 16
    assert df["market"].tolist()[:4] == ["BTC", "ETH", "BTC", "ETH"]
    assert df.attrs["units"]["liq_notional_long"] == "quote"
    assert df.attrs["units"]["liq_count_long"] == "accounts"
    by_row = df.groupby("row")
    for q in COUNTS:
        assert np.array_equal(by_row[q].sum().to_numpy(), runs[q].to_numpy()), q
    for q in NOTIONALS:
        assert np.allclose(by_row[q].sum().to_numpy(), runs[q].to_numpy(), rtol=1e-12,
                           atol=1e-6), q
    # the scenario liquidates in both markets, so the sums test something
    per_market = df.groupby("market")[["liq_notional_long", "liq_notional_short"]].sum()
    assert (per_market.sum(axis=1) > 0).all()
    # the v1-named price columns are the first market's; each market's own is its column
    btc, eth = df[df.market == "BTC"], df[df.market == "ETH"]
    assert np.array_equal(btc["price_final"].to_numpy(), runs["price_final"].to_numpy())
    assert np.array_equal(eth["max_drawdown"].to_numpy(), runs["max_drawdown.ETH"].to_numpy())
    assert np.array_equal(eth["run"].to_numpy(), runs["run"].to_numpy())
    # the long form
    long = df.melt(id_vars=["row", "point", "run", "market"], var_name="quantity")
    assert len(long) == 16 * len(lc.io.MARKET_QUANTITIES)


def test_market_runs_of_a_synthetic_v1_sweep(sweep_file: Path) -> None:
    with lc.load(sweep_file) as r:
        df = r.market_runs()
        assert (df["market"] == "market").all() and len(df) == len(r.runs)
        assert np.array_equal(df["liq_notional_long"], r.runs["liq_notional_long"])
        assert np.array_equal(df["point"], r.runs["point"])


def test_market_metrics(c_markets: Path) -> None:
    with lc.load(c_markets) as r:
        t = lc.market_metrics(r)
        df = r.market_runs()
    assert list(t.columns) == ["point", "market", "metric", "value", "lo", "hi", "n", "units"]
    m = t.set_index(["market", "metric"])["value"]
    assert m[("BTC", "n_runs")] == m[("ETH", "n_runs")] == 8
    assert m[("BTC", "liq_share")] + m[("ETH", "liq_share")] == pytest.approx(1.0)
    eth = df[df.market == "ETH"]
    liq = eth["liq_notional_long"] + eth["liq_notional_short"]
    assert m[("ETH", "liq_notional.mean")] == pytest.approx(liq.mean(), rel=1e-12)
    hit = (liq > 0).mean()  # whole or partial liquidations
    assert m[("ETH", "p_liquidation")] == hit
    assert m[("ETH", "max_drawdown.q50")] == np.sort(eth["max_drawdown"])[3]  # x_(4) of 8
    wide = lc.format_market_table(t, ["n_runs", "liq_share"])
    assert list(wide.index) == [(0, "BTC"), (0, "ETH")]
    assert list(wide.columns) == ["n_runs (runs)", "liq_share (1)"]


# ---- series by market -----------------------------------------------------------

def test_series_of_one_market(c_markets: Path) -> None:
    with lc.load(c_markets) as r, h5py.File(c_markets, "r") as f:
        assert r.series_names == ["price", "fundamental", "liq_long", "liq_short", "insurance",
                                  "oi", "mark"]  # not the coordinates row, market, time
        assert r.series_per_market("price") and not r.series_per_market("insurance")
        with pytest.raises(lc.LiqcascadeError, match="2 markets .BTC, ETH.: pass market="):
            r.series("price")
        eth = f["series/price"][:, 1, :]
        assert np.array_equal(r.series("price", market="ETH"), eth)
        assert np.array_equal(r.series("price", market=1, rows=[6, 1]), eth[[6, 1]])
        assert np.array_equal(r.series("insurance"), f["series/insurance"][()])
        assert np.array_equal(r.series("insurance", market="BTC"), f["series/insurance"][()])
        with pytest.raises(lc.LiqcascadeError, match="no market 'XRP'"):
            r.series("price", market="XRP")
        with pytest.raises(lc.LiqcascadeError, match="no market 2"):
            r.series("insurance", market=2)
        frame = r.series_frame("liq_long", 2, market="BTC")
        assert np.array_equal(frame["liq_long"].to_numpy(), f["series/liq_long"][2, 0, :])
        assert r.time_s("price")[-1] == 3600.0
        # flow series add up to each market's run totals
        for k, name in enumerate(r.market_names):
            total = r.series("liq_long", market=name).sum(axis=1)
            assert np.allclose(total, r.runs[f"liq_notional_long.{name}"], rtol=1e-5, atol=1)
        # the market of every event: from /population
        em = r.event_markets()
        assert np.array_equal(em, f["population/market"][()][f["events/account"][()]])
        assert set(em.tolist()) == {0, 1}


# ---- figures, report, info ------------------------------------------------------

def test_figures_with_two_markets(c_markets: Path, tmp_path: Path) -> None:
    with lc.load(c_markets) as r:
        fig = plots.fan_chart(r)
        assert [a.get_ylabel() for a in fig.axes] == ["BTC price (quote)", "ETH price (quote)"]
        assert fig.axes[1].get_xlabel() == "time (min)" and len(fig.axes[0].lines) == 2
        assert len(plots.fan_chart(r, market="ETH").axes) == 1
        fig = plots.liquidation_heatmap(r)
        labels = [a.get_ylabel() for a in fig.axes]
        assert "BTC execution price (quote/base)" in labels
        assert "ETH execution price (quote/base)" in labels
        sizes, _ = plots.step_liquidations(r)
        liq = r.runs["liq_notional_long"] + r.runs["liq_notional_short"]
        assert sizes.sum() == pytest.approx(liq.sum(), rel=1e-5)
        eth, _ = plots.step_liquidations(r, market="ETH")
        assert eth.sum() == pytest.approx((r.runs["liq_notional_long.ETH"]
                                           + r.runs["liq_notional_short.ETH"]).sum(), rel=1e-5)
        assert plots.cascade_ccdf(r, market="ETH").axes[0].get_title() == "Cascade sizes: ETH"
    # /events/market names each event's market, with or without --population
    bare = _run(tmp_path, "bare", "--events")
    with lc.load(bare) as r:
        em = r.event_markets()
        assert em is not None and set(em.tolist()) == {0, 1}
        assert len(plots.liquidation_heatmap(r).axes) >= 2
    # a file without it (as an earlier v2 writer wrote) and without /population
    # cannot tell: said clearly
    old = tmp_path / "old.h5"
    shutil.copy(bare, old)
    with h5py.File(old, "r+") as f:
        del f["events/market"]
    with lc.load(old) as r:
        assert r.event_markets() is None
        with pytest.raises(lc.LiqcascadeError, match="--population"):
            plots.liquidation_heatmap(r)
        fig = plots.heatmap(r)  # a figure that says so, not an error
        assert "--population" in fig.axes[0].texts[0].get_text()


def test_report_with_two_markets(c_markets: Path, tmp_path: Path) -> None:
    assert report_main([str(c_markets), "-o", str(tmp_path / "two"), "--dpi", "40"]) == 0
    page = (tmp_path / "two" / "index.html").read_text()
    for needle in ("<h2>Markets</h2>", "<h2>Liquidations by market</h2>", "p_liquidation",
                   "liq_share", "ETH", "market_metrics.csv", "liquidations.png",
                   "one panel per market"):
        assert needle in page, needle
    csv = pd.read_csv(tmp_path / "two" / "market_metrics.csv")
    assert csv["market"].unique().tolist() == ["BTC", "ETH"]
    assert csv.columns.tolist() == ["point", "market", "metric", "value", "lo", "hi", "n",
                                    "units"]


def test_info_with_two_markets(c_markets: Path) -> None:
    out = _info(c_markets)
    for needle in ("(schema 2)", "markets  2 (/markets)", "/markets/s0",
                   "/series/price                  8 x 2 x 61 ",
                   "/series/insurance              8 x 61 ",
                   "/runs: 8 rows x 78 columns (18 of them per market",
                   "/runs by market: mean over the rows"):
        assert needle in out, needle
    table = out[out.index("/runs by market"):out.index("risk metrics")]
    header = table.splitlines()[1].split()
    assert header == ["quantity", "units", "BTC", "ETH"]
    rows = {line[:30].strip(): line[30:].split() for line in table.splitlines()[2:] if line}
    with lc.load(c_markets) as r:
        t = lc.market_metrics(r).set_index(["market", "metric"])["value"]
        for k, name in enumerate(["BTC", "ETH"]):
            mean = r.runs[f"liq_notional_short.{name}"].mean()
            assert float(rows["liq_notional_short"][1 + k]) == pytest.approx(mean, rel=1e-5)
            share = float(rows["share of liq_notional"][1 + k])
            assert share == pytest.approx(t[(name, "liq_share")], abs=1e-4)
    lines = out[:out.index("datasets")].splitlines()
    btc = next(line for line in lines if line.split()[:2] == ["0", "BTC"])
    assert btc.split()[2:6] == ["gbm", "linear", "last", "60000"]
    assert "max_drawdown and\n  amplification the first market's, BTC" in out


def test_info_sizes_come_from_the_datasets(c_markets: Path, tmp_path: Path) -> None:
    """Attributes that overstate sizes, and /markets columns of the wrong length:
    info (and the package) go by the datasets' real sizes and say what is odd."""
    bad = tmp_path / "bad.h5"
    shutil.copy(c_markets, bad)
    with h5py.File(bad, "r+") as f:
        del f["points"]
        f.attrs["points"] = np.int64(10**12)
        del f["markets/s0"]
        w = f["markets/weight"]
        attrs = dict(w.attrs)
        del f["markets/weight"]
        f["markets/weight"] = np.array([0.5])  # one value for two markets
        f["markets/weight"].attrs.update(attrs)
        del f["series/market"]
        f["series/market"] = np.array(["BTC"], dtype=h5py.string_dtype())
    out = _info(bad)
    assert "markets  2 (/markets)" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["0", "BTC", "gbm", "linear", "last", "nan", "0.5"] in lines
    assert ["1", "ETH", "gbm", "linear", "last", "nan", "nan"] in lines
    assert "NOTE: /series/market (1 names) does not match /markets/name" in out
    assert "8 of 8000000000000 rows" in out  # the attribute is shown, as written ...
    csv = _info(bad, "--metrics")
    assert set(line.split(",")[0] for line in csv.splitlines()[1:]) == {"0"}  # ... not used
    with lc.load(bad) as r:
        assert r.points["point"].tolist() == [0]
        assert csv == lc.compute_metrics(r).to_csv(index=False, float_format="%.17g")

"""The loader: units kept, shapes, time axis, errors on files that are not results."""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import liqcascade as lc
from conftest import run_c, write_sweep


def test_loader_keeps_units(c_result: Path) -> None:
    with lc.load(c_result) as r:
        assert r.status == "complete" and r.n_points == 1 and r.runs_per_point == 40
        assert r.schema_version == 2 and r.market_names == ["market"]
        assert len(r.runs) == 40
        assert list(r.runs.columns[:3]) == ["point", "run", "price_final"]
        u = r.runs.attrs["units"]
        assert u["bad_debt"] == "quote" and u["max_rounds"] == "rounds"
        assert u["max_drawdown"] == "1" and u["liq_count_long"] == "accounts"
        assert r.runs.attrs["description"]["bad_debt"]
        assert r.points["point"].tolist() == [0] and r.varied_keys == []
        assert r.events.attrs["units"]["price"] == "quote/base"
        assert r.population.attrs["units"]["qty"] == "base"
        assert len(r.population) == 3000
        assert r.resolved["price.sigma"] == 1.5
        assert r.resolved["price.model"] == "gbm"
        assert "sigma" in r.scenario_text and "sigma" in r.scenario_resolved_text
        price = r.series("price", point=0)
        assert price.shape == (40, 241)
        frame = r.series_frame("price", 3)
        assert frame.attrs["units"]["price"] == r.series_units("price") == "quote"
        assert frame.index.name == "t_s" and frame.index[1] == 60.0
        assert np.array_equal(frame["price"].to_numpy(), price[3])


def test_time_axis_with_every(tmp_path: Path) -> None:
    out = run_c(tmp_path / "every.h5", "--runs", "3", "--steps", "60",
                "--set", "population.accounts=200", "--set", "output.every=4")
    with lc.load(out) as r:
        t = r.time_s("price")
        assert r.series("price").shape == (3, 16)
        assert t[1] == 240.0 and t[-1] == 60 * 60.0
        # flow series sum to the run totals
        liq = r.series("liq_long").sum(axis=1)
        assert np.allclose(liq, r.runs["liq_notional_long"], rtol=1e-5, atol=1.0)


def test_synthetic_sweep_points(sweep_file: Path) -> None:
    with lc.load(sweep_file) as r:
        assert r.varied_keys == ["venue.liquidation_fee", "venue.insurance_fund"]
        assert r.points.attrs["units"]["venue.insurance_fund"] == "quote"
        assert len(r.point_rows(4)) == 20
        assert r.series("price", point=1).shape == (20, 31)
        assert r.schema_version == 1 and r.n_markets == 1


def test_interrupted_file_uses_completed_rows(tmp_path: Path) -> None:
    path = write_sweep(tmp_path / "int.h5", status="interrupted", rows_written=50)
    with lc.load(path) as r:
        assert r.status == "interrupted" and len(r.runs) == 50
        t = lc.compute_metrics(r)
    n = t[t.metric == "n_runs"].set_index("point")["value"]
    assert n.tolist() == [20, 20, 10, 0, 0, 0]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(lc.LiqcascadeError, match="no such file"):
        lc.load(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(lc.LiqcascadeError, match="not an HDF5 file"):
        lc.load(tmp_path / "text.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(lc.LiqcascadeError, match="not a liqcascade result"):
        lc.load(tmp_path / "other.h5")
    with h5py.File(tmp_path / "future.h5", "w") as f:
        f.attrs["format"] = "liqcascade"
        f.attrs["schema_version"] = 99
    with pytest.raises(lc.LiqcascadeError, match="schema_version 99"):
        lc.load(tmp_path / "future.h5")
    path = write_sweep(tmp_path / "running.h5", status="running")
    with pytest.raises(lc.LiqcascadeError, match="running"):
        lc.load(path)
    with lc.load(write_sweep(tmp_path / "ok.h5")) as r:
        with pytest.raises(lc.LiqcascadeError, match="no /series/oi"):
            r.series("oi")

"""Per-point metrics on hand-computable data, on a synthetic sweep and on a C run."""
from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import liqcascade as lc
from liqcascade.metrics import point_metrics


def _runs(**cols: list) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = dict(bad_debt=[0.0] * n, insurance_min=[1.0] * n, adl_count=[0] * n,
                max_rounds=[1] * n, truncated=[0] * n, exo_drawdown=[0.1] * n,
                max_drawdown=[0.1] * n, liq_notional_long=[0.0] * n,
                liq_notional_short=[0.0] * n)
    base.update(cols)
    return pd.DataFrame(base)


def test_point_metrics_by_hand() -> None:
    runs = _runs(bad_debt=[0, 0, 0, 0, 0, 0, 0, 0, 5.0, 10.0],
                 insurance_min=[5, 5, 5, 5, 5, 5, 5, 0.0, -1.0, -2.0],
                 max_rounds=[0, 1, 1, 2, 3, 1, 1, 1, 1, 7],
                 liq_notional_long=[float(i) for i in range(10)],
                 liq_notional_short=[100.0] * 10,
                 exo_drawdown=[0.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5],
                 max_drawdown=[0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 1.0])
    m = point_metrics(runs).set_index("metric")
    assert m.loc["n_runs", "value"] == 10
    # 2 of 10: Wilson 95% is [0.0567, 0.5098]
    assert m.loc["p_bad_debt", "value"] == 0.2
    assert m.loc["p_bad_debt", "lo"] == pytest.approx(0.05668, abs=5e-5)
    assert m.loc["p_bad_debt", "hi"] == pytest.approx(0.50984, abs=5e-5)
    assert m.loc["p_insurance_depleted", "value"] == 0.3   # <= 0 counts
    assert m.loc["p_adl", "value"] == 0.0 and m.loc["p_adl", "lo"] == 0.0
    assert m.loc["p_cascade", "value"] == 0.3              # max_rounds >= 2
    assert m.loc["bad_debt.mean", "value"] == 1.5
    assert m.loc["bad_debt.q50", "value"] == 0.0           # x_(5)
    assert m.loc["bad_debt.q95", "value"] == 10.0          # x_(10)
    assert m.loc["bad_debt.q95", "hi"] == math.inf
    assert m.loc["bad_debt.es95", "value"] == 10.0
    assert m.loc["bad_debt.q50", ["lo", "hi"]].tolist() == [0.0, 5.0]  # x_(2), x_(9)
    assert m.loc["liq_notional.mean", "value"] == 104.5
    assert m.loc["liq_notional.q50", "value"] == 104.0
    assert m.loc["max_rounds.q95", "value"] == 7.0
    assert m.loc["max_rounds.mean", "units"] == "rounds"
    # amplification: run 0 (exo 0) left out; others 1, ..., 1.5, 2
    assert m.loc["amplification_undefined", "value"] == 1
    assert m.loc["amplification.mean", "n"] == 9
    assert m.loc["amplification.mean", "value"] == pytest.approx((7 * 1.0 + 1.5 + 2.0) / 9)
    assert m.loc["amplification.q99", "value"] == 2.0
    assert "cascade_steps.mean" not in m.index             # no events given


def test_empty_point_gives_nan_not_error() -> None:
    m = point_metrics(_runs(bad_debt=[])).set_index("metric")
    assert m.loc["n_runs", "value"] == 0
    assert math.isnan(m.loc["p_bad_debt", "value"])
    assert math.isnan(m.loc["bad_debt.q99", "value"])


def test_metrics_of_synthetic_sweep(sweep_file: Path) -> None:
    with lc.load(sweep_file) as r:
        t = lc.compute_metrics(r)
        wide = lc.metrics_wide(t, r)
    assert list(wide.index) == list(range(6))
    assert (wide["n_runs"] == 20).all()
    # runs 10..19 have bad debt r * (p + 1) and a depleted fund
    assert (wide["p_bad_debt"] == 0.5).all()
    assert (wide["p_insurance_depleted"] == 0.5).all()
    for p in range(6):
        assert wide.loc[p, "bad_debt.q95"] == 18 * (p + 1)   # x_(19) of 0 x10, 10..19
        assert wide.loc[p, "bad_debt.es95"] == (18 + 19) / 2 * (p + 1)
    # amplification: exactly 2 where defined (run 0 of each point is not)
    assert (wide["amplification.mean"] == 2.0).all()
    assert (wide["amplification_undefined"] == 1).all()
    assert wide.attrs["units"]["bad_debt.q95"] == "quote"
    assert wide.attrs["units"]["venue.insurance_fund"] == "quote"
    assert "venue.liquidation_fee" in wide


def test_metrics_of_c_run_match_direct_counts(c_result: Path) -> None:
    with h5py.File(c_result) as f:
        bad = f["runs/bad_debt"][:]
        ins = f["runs/insurance_min"][:]
        liq = f["runs/liq_notional_long"][:] + f["runs/liq_notional_short"][:]
        rounds = f["runs/max_rounds"][:]
        ev_run, ev_step, ev_round = f["events/run"][:], f["events/step"][:], f["events/round"][:]
    with lc.load(c_result) as r:
        m = lc.compute_metrics(r).set_index("metric")
    n = len(bad)
    assert m.loc["p_bad_debt", "value"] == np.count_nonzero(bad > 0) / n
    assert m.loc["p_insurance_depleted", "value"] == np.count_nonzero(ins <= 0) / n
    assert m.loc["liq_notional.q99", "value"] == np.sort(liq)[math.ceil(0.99 * n) - 1]
    assert m.loc["max_rounds.mean", "value"] == pytest.approx(rounds.mean())
    casc = {(a, b) for a, b, c in zip(ev_run, ev_step, ev_round) if c >= 2}
    assert m.loc["cascade_steps.mean", "value"] == pytest.approx(len(casc) / n)
    # the scenario is stressed enough for the interesting cases to occur
    assert 0 < m.loc["p_bad_debt", "value"] <= 1
    assert m.loc["p_cascade", "value"] > 0
    for name in ("p_bad_debt", "p_insurance_depleted", "p_adl"):
        assert m.loc[name, "lo"] <= m.loc[name, "value"] <= m.loc[name, "hi"]

"""Fixtures: result files written by the built C binary (LIQCASCADE_BIN, set by ctest)
and a synthetic sweep file written with h5py in the layout of docs/schema.md, whose
values are known by construction (test_c_agreement.py uses a real `liqcascade sweep`)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = ROOT / "analysis"


def binary() -> Path:
    """The liqcascade binary: $LIQCASCADE_BIN, else build/liqcascade; skip if neither."""
    env = os.environ.get("LIQCASCADE_BIN")
    if env:
        path = Path(env)
        assert path.is_file(), f"LIQCASCADE_BIN={env} does not exist"
        return path
    path = ROOT / "build" / "liqcascade"
    if not path.is_file():
        pytest.skip("no liqcascade binary (set LIQCASCADE_BIN or build first)")
    return path


def run_c(out: Path, *extra: str) -> Path:
    """Run the quickstart scenario, small, into ``out`` with extra options."""
    cmd = [str(binary()), "run", str(ROOT / "scenarios" / "quickstart.yaml"), "-o", str(out),
           "--quiet", "--threads", "1", *extra]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="session")
def c_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stressed run: small fund, thin book, so bad debt, depletion and cascades all
    happen in some runs but not all. 40 runs of 240 one-minute steps, with events and
    the population."""
    out = tmp_path_factory.mktemp("c") / "stress.h5"
    return run_c(out, "--runs", "40", "--steps", "240",
                 "--set", "population.accounts=3000", "--set", "venue.insurance_fund=2000",
                 "--set", "price.sigma=1.5", "--set", "impact.depth_1pct=2e5",
                 "--events", "--population")


@pytest.fixture(scope="session")
def c_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `liqcascade sweep` over a numeric key (impact.depth_1pct) and a
    text-valued one (population.leverage): 4 points of 30 runs of 240 steps."""
    out = tmp_path_factory.mktemp("sweep") / "sweep.h5"
    subprocess.run([str(binary()), "sweep", str(ROOT / "scenarios" / "quickstart.yaml"),
                    "-o", str(out), "--quiet", "--threads", "2", "--runs", "30",
                    "--steps", "240", "--set", "population.accounts=3000",
                    "--set", "venue.insurance_fund=2000", "--set", "price.sigma=1.5",
                    "--vary", "impact.depth_1pct=2e5,1e6",
                    "--vary", "population.leverage={dist: fixed, value: 10},"
                              "{dist: fixed, value: 50}"],
                   check=True, capture_output=True, timeout=120)
    return out


def _col(g: h5py.Group, name: str, data: np.ndarray, units: str, desc: str = "") -> None:
    ds = g.create_dataset(name, data=data)
    ds.attrs["units"] = units
    ds.attrs["description"] = desc or name


RUN_UNITS = {
    "point": "1", "run": "1", "price_final": "quote", "price_min": "quote",
    "max_drawdown": "1", "exo_drawdown": "1", "liq_count_long": "accounts",
    "liq_count_short": "accounts", "liq_notional_long": "quote",
    "liq_notional_short": "quote", "fees": "quote", "insurance_end": "quote",
    "insurance_min": "quote", "bad_debt": "quote", "adl_count": "accounts",
    "adl_notional": "quote", "max_rounds": "rounds", "first_liq_step": "steps",
    "peak_step_liq_notional": "quote", "oi_end": "quote", "truncated": "steps",
}


def write_sweep(path: Path, fees=(0.002, 0.005, 0.01), funds=(1e5, 1e6), runs: int = 20,
                steps: int = 30, status: str = "complete", rows_written=None) -> Path:
    """A synthetic sweep file over venue.liquidation_fee x venue.insurance_fund with
    known values: at point p, run r has bad_debt = r * (p + 1) when r >= runs // 2,
    else 0; exo_drawdown 0 for run 0 (amplification undefined), else 0.01 * (r + 1),
    and max_drawdown twice that."""
    grid = [(f, m) for m in funds for f in fees]
    points, total = len(grid), len(grid) * runs
    rows = total if rows_written is None else rows_written
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        for k, v in dict(format="liqcascade", schema_version=np.int64(1), version="test",
                         git_commit="test", seed=np.uint64(7), runs=np.int64(runs),
                         points=np.int64(points), steps=np.int64(steps), dt_seconds=60.0,
                         series_every=np.int64(1), status=status,
                         runs_completed=np.int64(rows), engine="index").items():
            f.attrs[k] = v
        pg = f.create_group("points")
        pg.attrs["description"] = "sweep points"
        pg.attrs["columns"] = "point,venue.liquidation_fee,venue.insurance_fund"
        _col(pg, "point", np.arange(points, dtype=np.int64), "1")
        _col(pg, "venue.liquidation_fee", np.array([g[0] for g in grid]), "1")
        _col(pg, "venue.insurance_fund", np.array([g[1] for g in grid]), "quote")
        point = np.repeat(np.arange(points), runs)[:rows]
        run = np.tile(np.arange(runs), points)[:rows]
        exo = 0.01 * (run + 1.0)
        exo[run == 0] = 0.0
        cols = {name: np.zeros(rows) for name in RUN_UNITS}
        cols.update(point=point, run=run, exo_drawdown=exo, max_drawdown=2 * exo + 0.001 * (run == 0),
                    bad_debt=np.where(run >= runs // 2, run * (point + 1.0), 0.0),
                    insurance_min=np.where(run >= runs // 2, 0.0, 1e5),
                    liq_notional_long=1000.0 * run, liq_notional_short=10.0 * point,
                    max_rounds=(run % 4).astype(np.int64))
        rg = f.create_group("runs")
        rg.attrs["columns"] = ",".join(RUN_UNITS)
        for name, units in RUN_UNITS.items():
            data = cols[name]
            if units in ("1", "accounts", "rounds", "steps") and name not in ("max_drawdown", "exo_drawdown"):
                data = np.asarray(data).astype(np.int64)
            _col(rg, name, data, units)
        sg = f.create_group("series")
        walk = 60000 * np.exp(np.cumsum(rng.normal(0, 0.002, (rows, steps + 1)), axis=1))
        walk[:, 0] = 60000
        liq = np.where(rng.random((rows, steps + 1)) < 0.3, rng.pareto(1.5, (rows, steps + 1)) * 1e4, 0)
        liq[:, 0] = 0
        for name, data in dict(price=walk * 0.99, fundamental=walk, liq_long=liq,
                               liq_short=liq / 2).items():
            ds = sg.create_dataset(name, data=data.astype(np.float32))
            ds.attrs.update(units="quote", description=name, every=np.int64(1), dt_seconds=60.0)
        eg = f.create_group("events")
        n_ev = 50
        ev_run = np.sort(rng.integers(0, runs, n_ev))
        for name, data, units in [
            ("run", ev_run, "1"), ("point", np.zeros(n_ev, np.int64), "1"),
            ("step", rng.integers(1, steps + 1, n_ev), "steps"),
            ("round", rng.integers(1, 3, n_ev), "rounds"),
            ("account", np.arange(n_ev), "1"), ("kind", np.ones(n_ev, np.int64), "1"),
            ("qty", rng.random(n_ev), "base"), ("price", 59000 + 100 * rng.random(n_ev), "quote/base"),
            ("notional", 1e4 * rng.random(n_ev), "quote"), ("fee", np.zeros(n_ev), "quote"),
            ("shortfall", np.zeros(n_ev), "quote")]:
            _col(eg, name, data, units)
        sc = f.create_dataset("scenario", data="simulation: {runs: %d}\n" % runs,
                              dtype=h5py.string_dtype())
        sc.attrs.update(units="text", description="scenario")
        sr = f.create_dataset("scenario_resolved", data="simulation:\n  runs: %d\n" % runs,
                              dtype=h5py.string_dtype())
        sr.attrs.update(units="text", description="resolved")
        sr.attrs["price.sigma"] = 0.8
        sr.attrs["price.model"] = "gbm"
    return path


@pytest.fixture(scope="session")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic 3 x 2 sweep (see :func:`write_sweep`)."""
    return write_sweep(tmp_path_factory.mktemp("sweep") / "sweep.h5")

"""Fixtures: result files written by the built C binary (LIQCASCADE_BIN, set by ctest),
among them a two-market one (schema v2 with markets BTC and ETH); the same run in
schema v1 (:func:`write_v1`: a one-market v2 file rewritten with h5py in the v1 layout);
and a synthetic v1 sweep file written with h5py in the layout of docs/schema.md, whose
values are known by construction (test_c_agreement.py uses a real `liqcascade sweep`)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

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


@pytest.fixture(scope="session")
def c_fee_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real one-key `liqcascade sweep` (venue.liquidation_fee, 4 points of 60 runs of
    120 steps, 2,000 accounts, a small fund) with --events and --population: the
    report's sweep curves, paired differences, liquidation map and bad-debt
    breakdown all have something to show."""
    out = tmp_path_factory.mktemp("fees") / "fees.h5"
    subprocess.run([str(binary()), "sweep", str(ROOT / "scenarios" / "quickstart.yaml"),
                    "-o", str(out), "--quiet", "--threads", "2", "--runs", "60",
                    "--steps", "120", "--set", "population.accounts=2000",
                    "--set", "venue.insurance_fund=2000", "--set", "price.sigma=1.5",
                    "--set", "impact.depth_1pct=2e5",
                    "--vary", "venue.liquidation_fee=0.002,0.005,0.01,0.02",
                    "--events", "--population"],
                   check=True, capture_output=True, timeout=120)
    return out


#: a two-market scenario (DESIGN §12): 8 runs of one hour; liquidations in both markets
TWO_MARKETS = """\
simulation: {runs: 8, steps: 60, dt: 60}
markets:
  - {name: BTC, price: {model: gbm, s0: 60000, sigma: 0.8}, impact: {model: linear, depth_1pct: 1.0e7}}
  - {name: ETH, price: {model: gbm, s0: 3000, sigma: 1.0}, impact: {model: linear, depth_1pct: 5.0e6}}
correlation: {rho: 0.8}
population:
  accounts: 2000
  notional: {dist: lognormal, median: 20000, sigma: 1.0}
  leverage: {dist: discrete, values: [5, 10, 20], weights: [0.3, 0.4, 0.3]}
"""


@pytest.fixture(scope="session")
def c_markets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`liqcascade run` of :data:`TWO_MARKETS` with --events and --population."""
    d = tmp_path_factory.mktemp("markets")
    (d / "two.yaml").write_text(TWO_MARKETS)
    out = d / "two.h5"
    subprocess.run([str(binary()), "run", str(d / "two.yaml"), "-o", str(out), "--quiet",
                    "--threads", "1", "--events", "--population"],
                   check=True, capture_output=True, timeout=120)
    return out


def _copy(ds: h5py.Dataset, g: h5py.Group, name: str, data: Optional[np.ndarray] = None) -> None:
    """Dataset ``ds`` (or ``data`` in its place) as ``g[name]`` with its attributes but
    no dimension scales. (Not h5py's Group.copy: H5Ocopy between files crashes
    Debian 12's h5py on these files.)"""
    if data is None:
        data = ds[()]
    opts: dict = {}
    if ds.chunks and data.size:  # the same chunk shape, less the market axis of a series
        chunks = ds.chunks if ds.ndim == data.ndim else (ds.chunks[0], ds.chunks[-1])
        opts = dict(chunks=chunks, maxshape=(None,) + data.shape[1:], compression="gzip",
                    compression_opts=1, shuffle=data.ndim > 1)
    dtype = h5py.string_dtype() if h5py.check_string_dtype(ds.dtype) else ds.dtype
    out = g.create_dataset(name, data=data, dtype=dtype, **opts)
    for k, v in ds.attrs.items():
        if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
            out.attrs[k] = v


def write_v1(src: Path, dst: Path) -> Path:
    """Rewrite a one-market schema v2 file ``src`` in the schema v1 layout (as
    liqcascade wrote it before commit 17ae830): schema_version 1, /series [row, time]
    without coordinates, no /markets, /runs without the <quantity>.<market> columns,
    /population and /events without ``market``. A one-market v2 run holds the same numbers as the
    v1 run of the same scenario (tests/golden), so this is that v1 file, up to HDF5's
    storage details and some descriptions."""
    with h5py.File(src, "r") as s, h5py.File(dst, "w", track_order=True) as d:
        assert int(s.attrs["schema_version"]) == 2 and s["markets/name"].shape == (1,)
        for k, v in s.attrs.items():
            d.attrs[k] = v
        d.attrs["schema_version"] = np.int64(1)
        for name in ("scenario", "scenario_resolved"):
            _copy(s[name], d, name)
        for name in ("points", "runs", "population", "events"):
            if name not in s:
                continue
            g = d.create_group(name, track_order=True)
            for k, v in s[name].attrs.items():
                g.attrs[k] = v
            cols = [c for c in s[name] if "." not in c and not (name in ("population", "events")
                                                                  and c in ("market", "margin"))
                    and isinstance(s[name][c], h5py.Dataset)]  # not /population/legs
            if "columns" in s[name].attrs:
                g.attrs["columns"] = ",".join(c for c in str(s[name].attrs["columns"]).split(",")
                                              if c in cols)
            for c in cols:
                _copy(s[name][c], g, c)
        g = d.create_group("series", track_order=True)
        g.attrs["description"] = ("per-step paths [rows, steps/every + 1]; column k is at "
                                  "time k * every * dt_seconds")
        for name, ds in s["series"].items():
            if "CLASS" in ds.attrs:  # a coordinate (dimension scale): not in v1
                continue
            _copy(ds, g, name, ds[:, 0, :] if ds.ndim == 3 else ds[()])
    return dst


@pytest.fixture(scope="session")
def c_v1(c_result: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`c_result` (the stressed one-market run) in schema v1."""
    return write_v1(c_result, tmp_path_factory.mktemp("v1") / "stress_v1.h5")


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


@pytest.fixture(scope="session")
def c_tilted_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `liqcascade sweep` drawn by importance sampling (simulation.rare tilt, the
    price tilted down): /runs/weight on every row, the same weight at both points (a
    common tilt keeps common random numbers), 2 points of 60 runs of 240 steps."""
    out = tmp_path_factory.mktemp("tilt") / "tilt.h5"
    subprocess.run([str(binary()), "sweep", str(ROOT / "scenarios" / "quickstart.yaml"),
                    "-o", str(out), "--quiet", "--threads", "2", "--runs", "60",
                    "--steps", "240", "--set", "population.accounts=3000",
                    "--set", "venue.insurance_fund=2000", "--set", "price.sigma=1.0",
                    "--set", "impact.depth_1pct=2e5",
                    "--set", "simulation.rare={method: tilt, theta: -0.05}",
                    "--vary", "venue.liquidation_fee=0.005,0.01"],
                   check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="session")
def c_split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `liqcascade run` by multilevel splitting (simulation.rare split on the
    market's fall, two levels, 10 replicates of 20 trajectories): /runs/weight and
    /runs/replicate on every row, the replicates in row order."""
    out = tmp_path_factory.mktemp("split") / "split.h5"
    return run_c(out, "--runs", "200", "--steps", "240", "--set", "population.accounts=3000",
                 "--set", "venue.insurance_fund=2000", "--set", "price.sigma=1.0",
                 "--set", "impact.depth_1pct=2e5",
                 "--set", "simulation.rare={method: split, score: fall, "
                 "levels: [0.05, 0.1], replicates: 10}")

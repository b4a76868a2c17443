"""`liqcascade run|sweep --json`, `liqcascade report` and analysis/pyproject.toml
(issue "Studies", item 7): the JSON summary agrees with the file it describes, the
report command writes the report, and the package metadata names what exists."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import liqcascade as lc
from conftest import ANALYSIS, ROOT, binary

QUICK = str(ROOT / "scenarios" / "quickstart.yaml")
SMALL = ["--runs", "24", "--steps", "120", "--threads", "1", "-q",
         "--set", "population.accounts=2000", "--set", "venue.insurance_fund=2000",
         "--set", "price.sigma=1.5", "--set", "impact.depth_1pct=2e5"]


def _json(*args: str) -> dict:
    out = subprocess.run([str(binary()), *args], check=True, capture_output=True, text=True,
                         timeout=120)
    return json.loads(out.stdout)


def test_run_json_agrees_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    d = _json("run", QUICK, "-o", str(path), "--json", *SMALL)
    assert d["command"] == "run" and d["status"] == "complete" and d["runs_done"] == 24
    assert Path(d["file"]) == path
    (p,) = d["points"]
    s = p["summary"]
    with lc.load(path) as r:
        runs = r.runs
    liq = runs["liq_notional_long"] + runs["liq_notional_short"]
    assert s["runs"] == len(runs) == 24
    assert s["liq_notional_mean"] == {"value": pytest.approx(liq.mean(), rel=1e-12),
                                      "units": "quote"}
    assert s["p_bad_debt"]["value"] == pytest.approx((runs["bad_debt"] > 0).mean())
    assert s["p_bad_debt"]["lo"] <= s["p_bad_debt"]["value"] <= s["p_bad_debt"]["hi"]
    assert s["p_liquidation"]["value"] == pytest.approx((liq > 0).mean())
    assert s["max_drawdown_mean"]["units"] == "1"
    assert s["markets"][0]["name"] == "market"


def test_sweep_json_names_each_point(tmp_path: Path) -> None:
    d = _json("sweep", QUICK, "-o", str(tmp_path / "s.h5"), "--json", *SMALL,
              "--vary", "venue.liquidation_fee=0.005,0.02")
    assert d["command"] == "sweep"
    assert [p["keys"] for p in d["points"]] == [{"venue.liquidation_fee": "0.005"},
                                                {"venue.liquidation_fee": "0.02"}]
    assert all(p["summary"]["runs"] == 24 for p in d["points"])


def test_report_command_writes_the_report(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    subprocess.run([str(binary()), "run", QUICK, "-o", str(path), *SMALL], check=True,
                   timeout=120)
    out = subprocess.run([str(binary()), "report", str(path), "-o", str(tmp_path / "rep")],
                         capture_output=True, text=True, timeout=300,
                         env={"LIQCASCADE_PYTHON": sys.executable, "MPLBACKEND": "Agg",
                              "MPLCONFIGDIR": str(tmp_path / "mpl"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "rep" / "index.html").is_file()
    assert (tmp_path / "rep" / "metrics.csv").is_file()
    bad = subprocess.run([str(binary()), "report", str(tmp_path / "missing.h5")],
                         capture_output=True, text=True, timeout=120,
                         env={"LIQCASCADE_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    assert bad.returncode != 0 and "missing.h5" in bad.stderr


def test_pyproject_describes_the_package() -> None:
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ANALYSIS / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "liqcascade"
    assert meta["project"]["version"] == lc.__version__
    for pkg in meta["tool"]["setuptools"]["packages"]:
        assert (ANALYSIS / pkg / "__init__.py").is_file()
    module, func = meta["project"]["scripts"]["liqcascade-report"].split(":")
    assert callable(getattr(__import__(module, fromlist=[func]), func))
    assert np.all([d.split()[0].isidentifier() for d in meta["project"]["dependencies"]])


def test_notebook_does_not_patch_sys_path() -> None:
    text = (ANALYSIS / "notebooks" / "sweep.ipynb").read_text()
    assert "sys.path" not in text

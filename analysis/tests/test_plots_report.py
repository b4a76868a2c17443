"""Figures and the report CLI: files exist, are PNGs, labels carry units, exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

import liqcascade as lc
from liqcascade import plots, report
from conftest import ANALYSIS

PNG = b"\x89PNG\r\n\x1a\n"


def _report(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ANALYSIS), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "liqcascade.report", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG


def test_figures_have_units_on_axes(c_result: Path) -> None:
    with lc.load(c_result) as r:
        fig = plots.fan_chart(r)
        ax = fig.axes[0]
        assert ax.get_xlabel() == "time (h)" and ax.get_ylabel() == "price (quote)"
        assert len(ax.lines) == 2  # median price, median fundamental
        fig = plots.liquidation_heatmap(r)
        assert fig.axes[0].get_ylabel() == "execution price (quote/base)"
        assert "(quote)" in fig.axes[1].get_ylabel()  # colour bar
        fig = plots.cascade_ccdf(r)
        ax = fig.axes[0]
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert ax.get_xlabel() == "liquidated notional per step (quote)"
        sizes, _ = plots.step_liquidations(r)
        assert sizes.sum() == pytest.approx((r.runs["liq_notional_long"]
                                             + r.runs["liq_notional_short"]).sum(), rel=1e-5)
        with pytest.raises(lc.LiqcascadeError, match="two varied keys"):
            plots.sweep_heatmap(r, "p_bad_debt")


def test_sweep_heatmap(sweep_file: Path, tmp_path: Path) -> None:
    with lc.load(sweep_file) as r:
        fig = plots.sweep_heatmap(r, "bad_debt.q95")
        ax = fig.axes[0]
        assert ax.get_xlabel() == "venue.liquidation_fee (1)"
        assert ax.get_ylabel() == "venue.insurance_fund (quote)"
        assert fig.axes[1].get_ylabel() == "bad_debt.q95 (quote)"
        # one annotated cell per point: the value of that point, then its interval
        # (20 runs: the 95% quantile's upper side is unbounded)
        texts = sorted(ax.texts, key=lambda t: float(t.get_text().split("\n")[0]))
        assert [float(t.get_text().split("\n")[0]) for t in texts] == \
            [18.0 * (p + 1) for p in range(6)]
        assert texts[0].get_text().split("\n")[1].endswith(", ∞]")
        # the colour scale starts at 0, not at the smallest cell
        assert fig.axes[0].images[0].get_clim()[0] == 0.0
        fig.savefig(tmp_path / "s.png")
        assert _is_png(tmp_path / "s.png")
        with pytest.raises(lc.LiqcascadeError, match="no metric"):
            plots.sweep_heatmap(r, "nonsense")
        with pytest.raises(lc.LiqcascadeError, match="not a varied key"):
            plots.sweep_heatmap(r, "p_bad_debt", x="price.sigma")


def test_report_cli(c_result: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    p = _report(str(c_result), "-o", str(out))
    assert p.returncode == 0, p.stderr
    for name in ("fan_chart.png", "liquidations.png", "cascade_ccdf.png"):
        assert _is_png(out / name), name
    page = (out / "index.html").read_text()
    for needle in ("p_bad_debt", "bad_debt.q99", "liq_notional.es95", "fan_chart.png",
                   "liquidations.png", "cascade_ccdf.png", "metrics.csv"):
        assert needle in page
    csv = (out / "metrics.csv").read_text().splitlines()
    assert csv[0] == "point,metric,value,lo,hi,n,units"
    # provenance, the scenario, its assumptions
    for needle in ("git commit", "created", "command", "How this file was made",
                   "/scenario_resolved", "<details>", "Assumptions"):
        assert needle in page, needle
    # one market: no markets section, but the per-market table is written all the same
    assert "Liquidations by market" not in page
    csv = (out / "market_metrics.csv").read_text().splitlines()
    assert csv[0] == "point,market,metric,value,lo,hi,n,units"
    assert csv[1] == "0,market,n_runs,40,,,40,runs"


def test_report_never_overwrites_without_force(c_result: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # not the report's: left alone throughout
    args = [str(c_result), "-o", str(out), "--dpi", "30"]
    assert report.main(args) == 0
    first = (out / "index.html").read_bytes()
    (out / "metrics.csv").write_text("edited")  # what a second report would replace
    capsys.readouterr()
    assert report.main(args) == 1
    err = capsys.readouterr().err
    assert "already holds" in err and "--force" in err, err
    assert (out / "metrics.csv").read_text() == "edited"  # nothing moved
    assert (out / "index.html").read_bytes() == first
    assert [p.name for p in out.iterdir() if ".partial-" in p.name] == []  # cleaned up
    assert report.main([*args, "--force"]) == 0
    assert (out / "metrics.csv").read_text().startswith("point,metric,")
    assert (out / "notes.txt").read_text() == "mine"
    assert [p.name for p in out.iterdir() if ".partial-" in p.name] == []
    # a report that fails leaves no folder it made behind, however deep
    assert report.main([str(c_result), "-o", str(tmp_path / "x" / "y" / "z"), "--point", "9"]) == 1
    assert not (tmp_path / "x").exists()


def test_report_cli_on_sweep(sweep_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    p = _report(str(sweep_file), "-o", str(out), "--metric", "p_bad_debt", "--point", "2")
    assert p.returncode == 0, p.stderr
    assert _is_png(out / "sweep_p_bad_debt.png")
    assert "venue.insurance_fund" in (out / "index.html").read_text()


def test_report_cli_errors(tmp_path: Path, sweep_file: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    # through `python -m`: the exit status reaches the shell
    p = _report(str(tmp_path / "missing.h5"), "-o", str(tmp_path / "r1"))
    assert p.returncode == 1 and "no such file" in p.stderr
    assert not (tmp_path / "r1").exists()
    # the other cases in-process (same main(), no interpreter start-up each time)
    (tmp_path / "junk.h5").write_bytes(b"junk")
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["x"] = [1, 2]
    for args, message in [
        ([str(tmp_path / "junk.h5")], "not an HDF5 file"),
        ([str(tmp_path / "plain.h5")], "not a liqcascade result"),
        ([str(sweep_file), "--point", "99"], "no point 99"),
        ([str(sweep_file), "--metric", "p_bad_dept"],
         "--metric p_bad_dept: no such metric in"),  # a typo is an error ...
        ([str(sweep_file), "--metric", "p_bad_dept"], "(did you mean p_bad_debt?)"),
    ]:
        assert report.main([*args, "-o", str(tmp_path / "r")]) == 1
        assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    with pytest.raises(SystemExit) as e:
        report.main([])
    assert e.value.code == 2

"""What the report says (Studies item 6): numbers written for people, provenance and
assumptions, the one-key sweep's curves and paired table, the liquidation map, the
bad-debt breakdown, convergence, and the notes for what a file cannot show."""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

import liqcascade as lc
from liqcascade import fmt, plots, population, provenance
from liqcascade.metrics import running
from liqcascade.report import main as report_main

INF, NAN = math.inf, math.nan


# ---- numbers for people ------------------------------------------------------------

@pytest.mark.parametrize("metric,value,lo,hi,units,currency,text", [
    ("p_bad_debt", 0.0033, 0.0006, 0.0186, "1", "quote", "0.33% [0.06, 1.86]"),
    ("p_bad_debt", 0.335, 0.281, 0.389, "1", "quote", "33.5% [28.1, 38.9]"),
    ("p_cascade", 1.0, 0.987357, 1.0, "1", "quote", "100% [98.7, 100]"),
    ("bad_debt.q99", 1.0e7, 8.123e6, 1.234e7, "quote", "USD", "10.0 M USD [8.12 M, 12.3 M]"),
    ("bad_debt.q99", 999960.0, 512.0, INF, "quote", "USD", "1.00 M USD [512, ∞]"),
    ("liq_notional.mean", 2.44e6, NAN, NAN, "quote", "quote", "2.44 M quote"),
    ("n_runs", 1000.0, NAN, NAN, "runs", "quote", "1,000 runs"),
    ("max_drawdown.q99", 0.1234, 0.1, 0.15, "1", "quote", "12.3% [10.0, 15.0]"),
    ("amplification.mean", 1.3456, NAN, NAN, "1", "quote", "1.35×"),
    ("max_rounds.q99", 3.0, 2.0, 7.0, "rounds", "quote", "3 rounds [2, 7]"),
    ("bad_debt.mean", NAN, NAN, NAN, "quote", "USD", "–"),
])
def test_cells_for_people(metric: str, value: float, lo: float, hi: float, units: str,
                          currency: str, text: str) -> None:
    assert fmt.cell(metric, value, lo, hi, units, currency) == text


def test_differences_for_people() -> None:
    assert fmt.cell("p_bad_debt", 0.005, -0.001, 0.012, "1", diff=True) == \
        "+0.50 pp [−0.10, 1.20]"
    assert fmt.cell("liq_notional.mean", -2.4e5, -2.7e5, -2.1e5, "quote", "USD", diff=True) == \
        "−240 k USD [−270 k, −210 k]"
    assert fmt.value("p_adl", 0.0, "1", diff=True) == "0 pp"
    assert fmt.count(1234567) == "1,234,567" and fmt.price(60000) == "60,000"


# ---- provenance and assumptions ----------------------------------------------------

def test_parse_command() -> None:
    c = provenance.parse_command(
        "liqcascade sweep scenarios/q.yaml -o out.h5 -q --set population.accounts=3000 "
        "--set=venue.insurance_fund=2000 --runs 200 --seed=7 "
        "--vary 'population.leverage={dist: fixed, value: 10},{dist: fixed, value: 50}' "
        "--vary venue.liquidation_fee=0.002,0.005 --zip a,b --events")
    assert c.subcommand == "sweep" and c.scenario == "scenarios/q.yaml"
    assert c.sets == [("population.accounts", "3000"), ("venue.insurance_fund", "2000"),
                      ("simulation.runs", "200"), ("simulation.seed", "7")]
    assert c.varies == [("population.leverage",
                         "{dist: fixed, value: 10},{dist: fixed, value: 50}"),
                        ("venue.liquidation_fee", "0.002,0.005")]
    assert c.zips == ["a,b"]
    assert provenance.parse_command("") is None and provenance.parse_command(None) is None


SCENARIO = """\
# demo.yaml — a test scenario.
# Every number is an ASSUMPTION here, and this header is shown whole.
#
#   liqcascade run demo.yaml

price:
  s0: 100             # ASSUMPTION: a round price
  sigma: 0.8          # annualised
impact:
  depth_1pct: 1.0e6   # ASSUMPTION: thin (a book of
                      # one small venue)
  permanent: 1.0      # the url is 'a#b', not a comment: # assumption, lower case
  # Assumptions of this block: none more
venue:
  fee: 0.005          # [S1]
"""


def test_assumptions_and_leading_comment() -> None:
    lead = provenance.leading_comment(SCENARIO)
    assert lead.splitlines()[0] == "demo.yaml — a test scenario."
    assert lead.splitlines()[-1] == "  liqcascade run demo.yaml"
    items = provenance.assumptions(SCENARIO)
    assert [a.lines for a in items] == [(7, 7), (10, 11), (12, 12), (13, 13)]
    assert items[0].code == "s0: 100" and items[0].text == "ASSUMPTION: a round price"
    # a comment on a line of its own in the same column continues the sentence
    assert items[1].text == "ASSUMPTION: thin (a book of one small venue)"
    # in any case; a # inside quotes is not a comment
    assert items[2].code == "permanent: 1.0" and items[2].text.endswith("lower case")
    assert items[3].code == "" and items[3].text.startswith("Assumptions of this block")


# ---- the population: liquidation levels, bad debt by account ------------------------

def test_liquidation_levels(c_result: Path, tmp_path: Path) -> None:
    with lc.load(c_result) as r:
        pop = r.population
        (lv,) = population.liquidation_levels(r)
    assert lv.price.size == len(pop) and lv.left_out == 0
    assert lv.s0 == 60000.0
    np.testing.assert_allclose(lv.notional, np.abs(pop["qty"]) * pop["liq_price"])
    # accounts with no one liquidation price (they span markets) are left out, counted
    copy = tmp_path / "nan.h5"
    shutil.copy(c_result, copy)
    with h5py.File(copy, "r+") as f:
        liq = f["population/liq_price"][:]
        liq[:7] = np.nan
        f["population/liq_price"][:] = liq
    with lc.load(copy) as r:
        (lv,) = population.liquidation_levels(r)
        fig = plots.liquidation_map(r, currency="USD")
    assert lv.left_out == 7 and lv.price.size == len(pop) - 7
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "7 accounts that span markets left out" in text
    assert fig.axes[0].get_xlabel() == "liquidation price (USD per unit)"


def test_bad_debt_attribution(c_result: Path, tmp_path: Path) -> None:
    """The fund replayed from /events gives every run's bad debt (plain venue rules);
    where it cannot (here: a run whose bad_debt was altered), the run's bad debt is
    shared in proportion to shortfall; either way the accounts' bad debt adds up to
    the runs'."""
    with lc.load(c_result) as r:
        total = float(r.runs["bad_debt"].sum())
        att = population.bad_debt_by_account(r, 0)
        parts = population.bad_debt_breakdown(r, 0, att)
        n_debt = int((r.runs["bad_debt"] > 0).sum())
    assert n_debt > 0 and att.replayed == n_debt and att.pro_rata == 0
    assert att.accounts["bad_debt"].sum() == pytest.approx(total, rel=1e-9)
    assert (att.accounts["bad_debt"] <= att.accounts["shortfall"] * (1 + 1e-12)).all()
    for name in ("leverage", "tier", "side"):
        t = parts[name]
        assert t["share"].sum() == pytest.approx(1.0)
        assert t["bad_debt"].sum() * att.runs == pytest.approx(total, rel=1e-9)
    assert set(parts["side"]["group"]) <= {"long", "short", "CDP"}
    assert parts["leverage"]["group"].str.endswith("x").all()
    copy = tmp_path / "altered.h5"
    shutil.copy(c_result, copy)
    with h5py.File(copy, "r+") as f:
        bad = f["runs/bad_debt"][:]
        k = int(np.flatnonzero(bad > 0)[0])
        bad[k] *= 0.5
        f["runs/bad_debt"][:] = bad
    with lc.load(copy) as r:
        att2 = population.bad_debt_by_account(r, 0)
    assert att2.pro_rata == 1 and att2.replayed == n_debt - 1
    assert att2.accounts["bad_debt"].sum() == pytest.approx(bad.sum(), rel=1e-9)


def test_running_estimates_end_at_the_table(c_result: Path) -> None:
    with lc.load(c_result) as r:
        t = lc.compute_metrics(r).set_index("metric")
        p = running(r, "p_bad_debt", 0)
        m = running(r, "liq_notional.mean", 0)
        q = running(r, "bad_debt.q50", 0)
        with pytest.raises(lc.LiqcascadeError):
            running(r, "n_runs", 0)
    assert p["n"].tolist() == list(range(1, 41))  # 40 runs: every n
    last = p.iloc[-1]
    assert (last["value"], last["lo"], last["hi"]) == tuple(t.loc["p_bad_debt", ["value", "lo", "hi"]])
    assert m.iloc[-1]["value"] == t.loc["liq_notional.mean", "value"]
    assert m.iloc[-1]["lo"] < m.iloc[-1]["value"] < m.iloc[-1]["hi"]  # the normal interval
    assert q.iloc[-1]["lo"] == t.loc["bad_debt.q50", "lo"]


# ---- the page ------------------------------------------------------------------------

def test_one_key_sweep_page(c_fee_sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert report_main([str(c_fee_sweep), "-o", str(out), "--dpi", "40", "--quote", "USD",
                        "--metric", "p_bad_debt", "--metric", "bad_debt.mean",
                        "--baseline", "1"]) == 0
    for name in ("sweep_p_bad_debt.png", "sweep_bad_debt_mean.png", "liquidation_map.png",
                 "bad_debt_breakdown.png", "convergence.png", "paired.csv", "metrics.csv"):
        assert (out / name).is_file(), name
    with lc.load(c_fee_sweep) as r:
        assert (out / "paired.csv").read_text() == lc.to_csv(lc.paired_differences(r, 1))
        fig = plots.sweep_curve(r, "bad_debt.mean", baseline=1, currency="USD")
    assert [a.get_title() for a in fig.axes[:2]] == ["bad_debt.mean at each point",
                                                     "paired difference against point 1"]
    assert fig.axes[0].get_xlabel() == "venue.liquidation_fee (1)"
    assert fig.axes[0].get_ylabel() == "bad_debt.mean (USD)"
    page = (out / "index.html").read_text()
    for needle in (
            "liqcascade sweep", "--vary venue.liquidation_fee=0.002,0.005,0.01,0.02",  # command
            "<th>created</th>", "<th>git commit</th>", "<th>liqcascade version</th>",
            "Overrides", "<code>population.accounts</code>", "<code>2000</code>",
            "0.002, 0.005, 0.01, 0.02",                     # the varied key's values
            "quickstart.yaml, as given", '<span class=l id="L1">',
            "<details><summary>The resolved scenario",
            "the scenario file below as given, with the overrides and the varied keys",
            "own description (its leading comment)",
            "Comments marked ASSUMPTION (1)", "(assumption; see docs/models.md)",
            "P(bad debt)", "USD", "Paired differences against point 1",
            "Bad debt by leverage, tier and side", "By leverage", "By tier", "By side",
            "matched by the replay", "Convergence at point 0"):
        assert needle in page, needle
    assert "0.002</td>" in page                  # the points labelled by their values
    assert "runs/bad_debt" not in page


def test_page_of_a_file_without_population_or_command(sweep_file: Path, tmp_path: Path) -> None:
    """The synthetic sweep: no root command (an older file), no /population; two keys
    (heatmaps)."""
    out = tmp_path / "r"
    assert report_main([str(sweep_file), "-o", str(out), "--dpi", "40"]) == 0
    page = (out / "index.html").read_text()
    for needle in ("not recorded", "the overrides are not known",
                   "run with --population for the liquidation map",
                   "needs /events and /population: run with --population",
                   "Colour scale: 0 to the largest upper bound",
                   "the file does not name it; --quote NAME"):
        assert needle in page, needle
    assert not (out / "liquidation_map.png").exists()
    assert (out / "paired.csv").is_file() and (out / "sweep_p_bad_debt.png").is_file()


def test_single_run_page(c_result: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert report_main([str(c_result), "-o", str(out), "--dpi", "40"]) == 0
    page = (out / "index.html").read_text()
    assert "One point: no sweep" in page
    assert not (out / "paired.csv").exists()
    assert (out / "liquidation_map.png").is_file() and (out / "bad_debt_breakdown.png").is_file()


def test_bad_baseline_writes_nothing(c_fee_sweep: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert report_main([str(c_fee_sweep), "-o", str(tmp_path / "r"), "--baseline", "9"]) == 1
    assert "--baseline 9: no point 9" in capsys.readouterr().err
    assert report_main([str(c_fee_sweep), "-o", str(tmp_path / "r"), "--metric",
                        "bad_debt.q98"]) == 1
    assert "did you mean" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_heatmap_colour_scale(sweep_file: Path) -> None:
    """Probabilities on [0, the largest upper bound]: the synthetic sweep has P = 0.5
    at every point, which a min-max scale would stretch over the whole range."""
    with lc.load(sweep_file) as r:
        t = lc.compute_metrics(r)
        fig = plots.sweep_heatmap(r, "p_bad_debt", table=t)
    hi = t.loc[t["metric"] == "p_bad_debt", "hi"].max()
    assert fig.axes[0].images[0].get_clim() == (0.0, hi)
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert texts[0] == "50.0\n[29.9, 70.1]"

"""``python -m liqcascade.report OUT.h5 -o report/``: a result file as an HTML page a
risk committee can read, with its figures (PNG) and tables (CSV).

Writes into the output folder (created if needed):

* ``index.html`` -- in this order: how the file was made (command line, date, git
  commit, version, run size), the scenario (the file as given, the ``--set``
  overrides and the varied keys, every resolved key in a collapsible block), its
  assumptions (the scenario file's leading comment and every comment that says
  ASSUMPTION), the markets (when there are several) with a per-market summary, the
  risk metrics (one table per quantity, points as rows labelled by the varied keys'
  values, value and 95% interval written for people), the sweep (curves or
  heatmaps, and the paired differences against the baseline point), the
  population's liquidation map, bad debt by leverage, tier and side, the
  convergence of the estimates, and the other figures; a note for each figure the
  file cannot support, naming the run flag that provides it;
* ``metrics.csv`` -- the long-form metric table (point, metric, value, lo, hi, n,
  units), every digit (docs/analysis.md);
* ``market_metrics.csv`` -- the per-market table, for any number of markets;
* ``paired.csv`` -- the paired differences against ``--baseline`` (files of two or
  more points);
* ``fan_chart.png`` -- price fan chart of point ``--point`` (one panel per market);
* ``liquidations.png`` -- liquidation heatmap (with /events);
* ``cascade_ccdf.png`` -- cascade-size CCDF (liq series or /events);
* ``sweep_<metric>.png`` -- per ``--metric``: for a one-key sweep the metric
  against the key with its 95% band and the paired difference against the
  baseline with its band; for two keys or more a heatmap over the first two (the
  others at ``--point``'s values), each cell annotated with value and interval;
* ``liquidation_map.png`` -- notional at each liquidation price, per side and
  market (with /population);
* ``bad_debt_breakdown.png`` -- bad debt by leverage, tier and side (with /events
  and /population);
* ``convergence.png`` -- the running estimate of p_bad_debt, liq_notional.mean and
  each ``--metric`` against the number of runs, with the running 95% band.

The files are drawn in a temporary folder inside the output folder and moved into
place when all are written; a file of the output folder under one of their names is
replaced only with ``--force`` (other files there are left alone).

Exit status: 0 ok; 1 the file is missing, not HDF5, not a liqcascade result or cannot
be drawn, ``--point``, ``--baseline`` or a ``--metric`` is not in the file, or the
output folder already holds a report's files and ``--force`` was not given (nothing
is written then); 2 bad usage (argparse).
"""
from __future__ import annotations

import argparse
import difflib
import html
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional, Sequence

import matplotlib

matplotlib.use("Agg")  # headless: no display needed, ever

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import fmt, plots, population, provenance  # noqa: E402
from .io import LiqcascadeError, Result, load  # noqa: E402
from .metrics import (STATISTICS, compute_metrics, market_metrics,  # noqa: E402
                      paired_differences, to_csv)

DEFAULT_SWEEP_METRICS = ("p_bad_debt", "p_insurance_depleted", "liq_notional.q99",
                         "max_drawdown.q99")

#: the convergence plot always shows these, then each --metric
CONVERGENCE_METRICS = ("p_bad_debt", "liq_notional.mean")

#: the per-market summary of the page (all of them are in market_metrics.csv)
MARKET_SUMMARY = ("n_runs", "p_liquidation", "liq_share", "liq_notional.mean",
                  "liq_notional.q99", "max_drawdown.mean", "max_drawdown.q99")

#: what each per-run variable of the metric table is, for the page
VARIABLE_TITLES = {
    "bad_debt": "Bad debt: the shortfall the insurance fund could not cover, per run",
    "cdp_bad_debt": "Bad debt of the lending CDPs, per run",
    "liq_notional": "Liquidated notional per run (long + short, every market)",
    "max_drawdown": "Largest fall of the market price from its peak (first market)",
    "max_rounds": "Most liquidation rounds in one step (a cascade: 2 or more)",
    "cascade_steps": "Steps with a cascade (a liquidation in round 2 or later), per run",
    "amplification": "Amplification: the market's drawdown over the exogenous one (runs "
                     "whose fundamental never fell are left out: amplification_undefined)",
}

STAT_TITLES = {"mean": "mean", "q50": "median", "q95": "95% quantile", "q99": "99% quantile",
               "es95": "ES 95%", "es99": "ES 99%"}

PROB_TITLES = {"n_runs": "runs", "p_bad_debt": "P(bad debt)",
               "p_insurance_depleted": "P(insurance fund depleted)", "p_adl": "P(ADL)",
               "p_cascade": "P(cascade)", "p_truncated": "P(cascade cut at max_rounds)",
               "p_cdp_bad_debt": "P(CDP bad debt)", "p_liquidation": "P(liquidation)",
               "liq_share": "share of the liquidated notional"}

CSS = """
* { box-sizing: border-box; }
body { font-family: sans-serif; max-width: 1100px; margin: 1.5em auto; padding: 0 1em;
       line-height: 1.35; color: #222; }
h1 { font-size: 1.5em; overflow-wrap: anywhere; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: 0.3em; font-size: 1.05em; }
nav { font-size: 90%; }
nav a { margin-right: 0.8em; white-space: nowrap; }
table { border-collapse: collapse; font-size: 85%; margin: 0.4em 0 1em; max-width: 100%; }
th, td { padding: 3px 6px; text-align: right; border-bottom: 1px solid #e3e3e3;
         vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
th code { display: block; font-weight: normal; font-size: 85%; color: #666; }
td.k, th.k { text-align: left; overflow-wrap: break-word; }
td .ci { display: block; color: #666; font-size: 88%; }
table.kv th { text-align: left; }
table.kv td { text-align: left; overflow-wrap: anywhere; }
pre { background: #f7f7f7; padding: 0.6em; font-size: 80%; white-space: pre-wrap;
      overflow-wrap: anywhere; counter-reset: line; }
pre.lines span.l { display: block; padding-left: 3.2em; text-indent: -3.2em; }
pre.lines span.l::before { counter-increment: line; content: counter(line);
      display: inline-block; width: 2.6em; margin-right: 0.6em; text-align: right;
      color: #999; text-indent: 0; }
pre.lines span.l:target { background: #fff3b0; }
details { margin: 0.5em 0 1em; }
summary { cursor: pointer; }
figure { margin: 1em 0; }
img { max-width: 100%; height: auto; }
figcaption { font-size: 90%; color: #444; }
.warn { color: #a00; }
.note { color: #555; font-size: 90%; }
code { overflow-wrap: break-word; }
"""


def _save(fig: Figure, path: Path, dpi: int) -> None:
    fig.savefig(path, dpi=dpi)


def _check_metrics(known: Sequence[str], asked: Sequence[str], path: Path) -> None:
    for m in asked:
        if m not in known:
            near = difflib.get_close_matches(m, known, n=1)
            raise LiqcascadeError(f"--metric {m}: no such metric in {path}"
                                  + (f" (did you mean {near[0]}?)" if near else "")
                                  + f"; the metrics: {', '.join(known)}")


def write_report(result: Result, out: Path, point: int = 0,
                 sweep_metrics: Sequence[str] = DEFAULT_SWEEP_METRICS, dpi: int = 100,
                 baseline: int = 0, currency: str = fmt.QUOTE) -> list[Path]:
    """Write the report of ``result`` into folder ``out``; returns the files written.

    ``point`` is the sweep point of the fan chart, the convergence plot, the bad-debt
    breakdown and the pinned keys of a heatmap; ``baseline`` the point the paired
    differences are taken against; ``currency`` the name the page gives the quote
    currency (the file does not name it). A figure the file cannot support (no
    /events, no /population, no sweep) is skipped with a note on the page; other
    errors propagate. A sweep metric that is not one of the file's metrics, or a
    ``point``/``baseline`` that is not a point of the file, is an error
    (LiqcascadeError), before anything is written.
    """
    points = set(int(p) for p in result.points["point"])
    for name, p in (("--point", point), ("--baseline", baseline)):
        if p not in points:
            raise LiqcascadeError(f"{result.path}: {name} {p}: no point {p} "
                                  f"(points 0..{result.n_points - 1})")
    table = compute_metrics(result)
    known = list(dict.fromkeys(table["metric"]))
    _check_metrics(known, sweep_metrics, result.path)
    units = dict(zip(table["metric"], table["units"]))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    notes: dict[str, str] = {}

    to_csv(table, out / "metrics.csv")
    written.append(out / "metrics.csv")
    try:  # a file without the per-market quantities still gets its report
        mtable: Optional[pd.DataFrame] = market_metrics(result)
    except LiqcascadeError as e:
        mtable = None
        notes["markets"] = f"market_metrics.csv: skipped: {e}"
    if mtable is not None:
        to_csv(mtable, out / "market_metrics.csv")
        written.append(out / "market_metrics.csv")
    paired: Optional[pd.DataFrame] = None
    if result.n_points > 1:
        paired = paired_differences(result, baseline)
        to_csv(paired, out / "paired.csv")
        written.append(out / "paired.csv")

    figures: dict[str, list[tuple[str, str]]] = {}  # section -> [(file, caption)]

    def draw(section: str, name: str, caption: str, make: Callable[[], Figure]) -> None:
        try:
            fig = make()
        except LiqcascadeError as e:
            notes.setdefault(section, "")
            notes[section] += f"{name}: not drawn: {e}. "
            return
        _save(fig, out / name, dpi)
        written.append(out / name)
        figures.setdefault(section, []).append((name, caption))

    # the sweep
    axis = plots.sweep_axis(result)
    if axis is not None and paired is not None:
        for m in sweep_metrics:
            draw("sweep", f"sweep_{m.replace('.', '_')}.png",
                 f"{m} against {axis[0]}: each point's value with its 95% interval "
                 "(Wilson for probabilities, the normal interval for means, order "
                 "statistics for quantiles; none for expected shortfalls; an unbounded "
                 "side is not drawn); right, the paired difference against point "
                 f"{baseline}, run by run, with its 95% interval (Newcombe for "
                 "probabilities, the paired normal interval for means; none for "
                 "quantiles)." + ("" if len(axis) < 2 else
                                  f" {', '.join(axis[1:])} "
                                  + ("moves" if len(axis) == 2 else "move")
                                  + " with it (--zip)."),
                 lambda m=m: plots.sweep_curve(result, m, table, paired, baseline,
                                               currency=currency))
    elif len(result.varied_keys) >= 2:
        keys = result.varied_keys
        row = result.points.loc[result.points["point"] == point].iloc[0]
        pins = {k: row[k] for k in keys[2:]}
        pinned = "" if not pins else " Other keys at point {}'s values: {}.".format(
            point, ", ".join(f"{k} = {plots._key_label(v)}" for k, v in pins.items()))
        for m in sweep_metrics:
            rule = ("0 to the largest upper bound of the cells' 95% intervals (at least 1%)"
                    if m.startswith("p_") else
                    "0 (or the lowest value, if below 0) to the largest upper bound of the "
                    "cells' 95% intervals, or the largest value where none is finite")
            draw("sweep", f"sweep_{m.replace('.', '_')}.png",
                 f"{m} over {keys[0]} and {keys[1]}: each cell's value and 95% interval. "
                 f"Colour scale: {rule}, so that cells that differ only by noise look "
                 f"alike.{pinned}",
                 lambda m=m: plots.sweep_heatmap(result, m, keys[0], keys[1], fixed=pins,
                                                 table=table, currency=currency))
    elif result.n_points < 2:
        notes["sweep"] = ("One point: no sweep. `liqcascade sweep SCENARIO --vary "
                          "key=v1,v2,...` runs the same runs at several settings.")

    # the population, bad debt, convergence
    if result.population is not None:
        draw("population", "liquidation_map.png",
             "Liquidation map of the population: the notional (|qty| × liquidation price, "
             f"{currency}) that would be liquidated at each price level, longs (red, "
             "below s0) and shorts (green, above), in equal price bins over the central "
             "99% of the notional; lines: the notional liquidated in all as the price "
             "moves from s0 (the dashed line). Accounts that span markets have no one "
             "liquidation price and are left out (counted in the panel).",
             lambda: plots.liquidation_map(result, currency=currency))
    else:
        notes["population"] = ("No /population in this file: run with --population for "
                               "the liquidation map of the accounts.")
    breakdown: Optional[dict[str, pd.DataFrame]] = None
    attribution: Optional[population.Attribution] = None
    ok = population.breakdown_available(result)
    if ok is True:
        attribution = population.bad_debt_by_account(result, point)
        breakdown = population.bad_debt_breakdown(result, point, attribution)
        draw("bad_debt", "bad_debt_breakdown.png",
             f"The venue's bad debt per run at point {point} by leverage (at entry), "
             "maintenance tier and side (dark), with the shortfall, the loss beyond "
             "collateral before the insurance fund covers what it can (light).",
             lambda: plots.bad_debt_chart(breakdown, point, currency=currency))
    else:
        notes["bad_debt"] = str(ok).capitalize() + "."
    conv = list(dict.fromkeys([*CONVERGENCE_METRICS, *sweep_metrics]))
    draw("convergence", "convergence.png",
         f"Convergence at point {point}: each estimate over the first n runs (in run "
         "order) with its running 95% interval (Wilson for probabilities, the normal "
         "interval for means, order statistics for quantiles, none for expected "
         "shortfalls; an unbounded side is not drawn). The last value is the table's.",
         lambda: plots.convergence(result, conv, point, currency=currency, units=units))

    # the figures that were there before
    draw("figures", "fan_chart.png",
         "Market price: quantile bands across runs, median fundamental dashed"
         + (", one panel per market" if result.n_markets > 1 else ""),
         lambda: plots.fan_chart(result, point=point, currency=currency))
    draw("figures", "liquidations.png",
         "Liquidated notional by execution price and time, summed over runs",
         lambda: plots.liquidation_heatmap(result, point=point, currency=currency))
    draw("figures", "cascade_ccdf.png", "Cascade sizes: CCDF of liquidated notional per step"
         + (" (every market's)" if result.n_markets > 1 else ""),
         lambda: plots.cascade_ccdf(result, point=point, currency=currency))

    page = out / "index.html"
    page.write_text(_html(result, table, paired, mtable, figures, notes, breakdown,
                          attribution, point, baseline, sweep_metrics, currency),
                    encoding="utf-8")
    written.append(page)
    return written


# ---- the page ------------------------------------------------------------------

e = html.escape


def _kv(rows: Sequence[tuple[str, str]]) -> str:
    return "<table class=kv>" + "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>"
                                        for k, v in rows) + "</table>"


def _duration(seconds: float) -> str:
    size, name = plots.time_unit(seconds)
    v = seconds / size
    return f"{v:g} {name}" if v == int(v) else f"{v:.3g} {name}"


def _provenance(result: Result) -> str:
    a = result.attrs
    cmd = str(a.get("command", "") or "")
    created = str(a.get("created", "") or "")
    runs, points = result.runs_per_point, result.n_points
    rows = [
        ("command", f"<code>{e(cmd)}</code>" if cmd else
         "<span class=note>not recorded (a file written before the command attribute, "
         "or through the C API)</span>"),
        ("created", e(created) if created else "<span class=note>not recorded</span>"),
        ("git commit", f"<code>{e(str(a.get('git_commit', '?')))}</code>"),
        ("liqcascade version", e(str(a.get("version", "?")))),
        ("schema version", e(str(a.get("schema_version", "?")))),
        ("runs", f"{fmt.count(runs)} per point × {fmt.count(points)} point"
                 + ("s" if points != 1 else "")
                 + f" ({fmt.count(a.get('runs_completed', len(result.runs)))} completed)"),
        ("steps", f"{fmt.count(result.steps)} of {_duration(result.dt_seconds)} "
                  f"({_duration(result.steps * result.dt_seconds)})"),
        ("seed", e(str(a.get("seed", "?")))),
        ("status", e(result.status)),
        ("engine", e(str(a.get("engine", "?")))),
    ]
    return _kv(rows)


def _scenario_listing(text: str) -> str:
    """The scenario file with line numbers (CSS counters: not copied with the text)
    and an anchor per line (#L12)."""
    lines = text.splitlines() or [""]
    body = "".join(f'<span class=l id="L{i}">{e(line)}</span>'
                   for i, line in enumerate(lines, 1))
    return f"<pre class=lines>{body}</pre>"


def _scenario(result: Result) -> str:
    cmd = provenance.parse_command(str(result.attrs.get("command", "") or ""))
    parts = ["<p>What was run: the scenario file below as given, with the overrides and "
             "the varied keys listed here; every other key has its default (all of them "
             "are in the resolved scenario, the last block).</p>"]
    if cmd is None:
        parts.append("<p class=note>The file does not record its command line (written "
                     "before the root attribute <code>command</code>, or through the C "
                     "API): the overrides are not known; the resolved scenario has every "
                     "value used.</p>")
    elif cmd.sets:
        parts.append("<h3>Overrides (--set, --runs, --steps, --seed)</h3>"
                     + "<table><tr><th class=k>key</th><th class=k>value</th></tr>"
                     + "".join(f"<tr><td class=k><code>{e(k)}</code></td>"
                               f"<td class=k><code>{e(v)}</code></td></tr>"
                               for k, v in cmd.sets) + "</table>")
    else:
        parts.append("<p>No overrides: the scenario file as it is.</p>")
    if result.varied_keys:
        punits = result.points.attrs.get("units", {})
        rows = "".join(
            f"<tr><td class=k><code>{e(k)}</code></td><td class=k>{e(punits.get(k, ''))}</td>"
            f"<td class=k>{e(', '.join(plots._key_label(v) for v in dict.fromkeys(result.points[k])))}"
            f"</td></tr>" for k in result.varied_keys)
        zips = "" if cmd is None or not cmd.zips else \
            "<p>Keys that move together (--zip): " + ", ".join(
                f"<code>{e(z)}</code>" for z in cmd.zips) + ".</p>"
        parts.append(f"<h3>Varied keys ({fmt.count(result.n_points)} points)</h3>"
                     "<table><tr><th class=k>key</th><th class=k>units</th>"
                     f"<th class=k>values</th></tr>{rows}</table>{zips}")
    name = e(Path(cmd.scenario).name) if cmd and cmd.scenario else "the scenario file"
    parts.append(f"<h3>{name}, as given (/scenario)</h3>")
    parts.append(_scenario_listing(result.scenario_text))
    parts.append("<details><summary>The resolved scenario: every key with the value used "
                 "at point 0 (/scenario_resolved)</summary>"
                 f"<pre>{e(result.scenario_resolved_text)}</pre></details>")
    return "\n".join(parts)


def _assumptions(result: Result) -> str:
    text = result.scenario_text
    lead = provenance.leading_comment(text)
    items = provenance.assumptions(text)
    parts = []
    if lead:
        parts.append("<h3>The scenario file's own description (its leading comment)</h3>"
                     f"<pre>{e(lead)}</pre>")
    if items:
        rows = "".join(
            f'<tr><td class=k><a href="#L{a.lines[0]}">{a.lines[0]}'
            + (f"–{a.lines[1]}" if a.lines[1] != a.lines[0] else "") + "</a></td>"
            f"<td class=k><code>{e(a.code)}</code></td><td class=k>{e(a.text)}</td></tr>"
            for a in items)
        parts.append(f"<h3>Comments marked ASSUMPTION ({len(items)})</h3>"
                     "<table><tr><th class=k>line</th><th class=k>YAML</th>"
                     f"<th class=k>comment</th></tr>{rows}</table>")
    else:
        parts.append("<p class=note>No comment of the scenario file says ASSUMPTION.</p>")
    return "\n".join(parts)


def _point_keys(result: Result) -> tuple[list[str], dict[int, list[str]]]:
    """The label columns of the per-point tables: their headers and, per point, the
    cells (the point's index and its varied keys' values)."""
    punits = result.points.attrs.get("units", {})
    heads = ["point"] + [f"{k}" + (f" ({punits[k]})" if punits.get(k) not in (None, "", "1",
                                                                               "text") else "")
                         for k in result.varied_keys]
    cells = {int(r["point"]): [str(int(r["point"]))] + [plots._key_label(r[k])
                                                       for k in result.varied_keys]
             for _, r in result.points.iterrows()}
    return heads, cells


def _breakable(name: str) -> str:
    """A name, escaped, that may wrap after its dots (``liq_notional.<wbr>q99``)."""
    return e(name).replace(".", ".<wbr>")


def _cell(metric: str, value: float, lo: float, hi: float, units: str, currency: str,
          diff: bool = False) -> str:
    # counts and plain numbers without their unit: the column or the title names it
    v = fmt.value(metric, value, units, currency, diff,
                  with_unit=fmt.kind(metric, units) not in ("count", "number"))
    iv = fmt.interval(metric, lo, hi, units)
    return f"<td>{e(v)}" + (f"<span class=ci>{e(iv)}</span>" if iv else "") + "</td>"


def _grid(result: Result, table: pd.DataFrame, metrics: Sequence[str],
          heads: Sequence[str], currency: str, diff: bool = False,
          index: Sequence[str] = ("point",), codes: bool = True) -> str:
    """One table: a row per point (or per (point, market)), a column per metric;
    each header names its metric (metrics.csv's name) under it, or with ``codes``
    false only on hover (the title above the table names them then)."""
    khead, kcells = _point_keys(result)
    t = table.set_index([*index, "metric"])
    units = dict(zip(table["metric"], table["units"]))
    head = "".join(f"<th class=k>{_breakable(h)}</th>" for h in khead)
    if len(index) > 1:
        head += "<th class=k>market</th>"
    head += "".join(f'<th title="{e(m)}">{e(h)}'
                    + (f"<code>{_breakable(m)}</code>" if codes else "") + "</th>"
                    for h, m in zip(heads, metrics))
    rows = []
    for key in dict.fromkeys(zip(*[table[c] for c in index])):
        p = int(key[0])
        cells = "".join(f"<td class=k>{e(c)}</td>" for c in kcells.get(p, [str(p)]))
        if len(index) > 1:
            cells += f"<td class=k>{e(str(key[1]))}</td>"
        for m in metrics:
            if (*key, m) in t.index:
                r = t.loc[(*key, m)]
                cells += _cell(m, r["value"], r["lo"], r["hi"], units.get(m, ""), currency, diff)
            else:
                cells += "<td>–</td>"
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _metrics(result: Result, table: pd.DataFrame, currency: str) -> str:
    names = list(dict.fromkeys(table["metric"]))
    probs = ["n_runs"] + [m for m in names if m.startswith("p_")]
    parts = ["<h3>Probabilities, per point</h3>",
             _grid(result, table, probs, [PROB_TITLES.get(m, m) for m in probs], currency)]
    variables = list(dict.fromkeys(m.rsplit(".", 1)[0] for m in names if "." in m))
    unit = dict(zip(table["metric"], table["units"]))
    for v in variables:
        ms = [f"{v}.{s}" for s, _, _ in STATISTICS if f"{v}.{s}" in names]
        heads = [STAT_TITLES[m.rsplit(".", 1)[1]] for m in ms]
        if v == "amplification" and "amplification_undefined" in names:
            ms.append("amplification_undefined")
            heads.append("runs left out")
        u = fmt.unit_label(unit.get(ms[0], ""), currency, ms[0])
        parts.append(f"<h3>{e(VARIABLE_TITLES.get(v, v))}"
                     + (f" ({e(u)})" if u else "") + f" <code>{e(v)}.*</code></h3>")
        parts.append(_grid(result, table, ms, heads, currency, codes=False))
    return "\n".join(parts)


def _paired(result: Result, paired: pd.DataFrame, metrics: Sequence[str], baseline: int,
            currency: str) -> str:
    ms = [m for m in metrics if m in set(paired["metric"])]
    body = _grid(result, paired, ms, ["difference"] * len(ms), currency, diff=True)
    return (f"<h3>Paired differences against point {baseline}</h3>"
            f"<p>Each point's metric less point {baseline}'s, run by run: run r of every "
            "point sees the same market (common random numbers), so what moves both "
            "cancels and the interval is far narrower than the two points' own. "
            "Probabilities and fractions in percentage points (pp), with Newcombe's "
            "interval for paired proportions; means with the paired normal interval; "
            "quantiles and expected shortfalls without an interval. Every metric: "
            "<a href=\"paired.csv\">paired.csv</a>.</p>" + body)


def _markets(result: Result, mtable: Optional[pd.DataFrame], currency: str) -> str:
    """The markets and their liquidations, for a file with several markets."""
    if result.n_markets < 2:
        return ""
    m = result.markets
    rows = "".join(
        f"<tr><td class=k>{e(str(r['name']))}</td><td class=k>{e(str(r['price_model']))}</td>"
        f"<td class=k>{e(str(r['impact_model']))}</td><td class=k>{e(str(r['mark_model']))}</td>"
        f"<td>{e(fmt.price(float(r['s0'])))}</td><td>{e(fmt.percent(float(r['weight'])))}"
        + ("%" if np.isfinite(float(r["weight"])) else "") + "</td></tr>"
        for _, r in m.iterrows())
    markets = ("<table><tr><th class=k>name</th><th class=k>price model</th>"
               "<th class=k>impact model</th><th class=k>mark</th>"
               f"<th>s0 ({e(currency)})</th><th>share of the accounts</th></tr>{rows}</table>")
    summary = ""
    if mtable is not None:  # two tables, so that the labels of a sweep leave room
        for title, ms in (("Liquidations", MARKET_SUMMARY[:5]), ("Drawdown", MARKET_SUMMARY[5:])):
            heads = [PROB_TITLES.get(x, x.split(".")[0].replace("_", " ") + " "
                                     + STAT_TITLES.get(x.rsplit(".", 1)[-1], x))
                     for x in ms]
            summary += f"<h3>{title} by market <code>{' '.join(e(m) for m in ms)}</code></h3>"
            summary += _grid(result, mtable[mtable["metric"].isin(ms)], list(ms), heads,
                             currency, index=("point", "market"), codes=False)
    first = e(result.market_names[0])
    return f"""<section id=markets><h2>Markets</h2>
{markets}
<h2>Liquidations by market</h2>
<p>Per sweep point and market: P(the market had a liquidation in a run), with the Wilson
interval; its share of the liquidated notional of every market; liquidated notional
(long + short) and max drawdown of the market, mean and 99% quantile with its interval.
The risk metrics below are the venue's: bad debt and liq_notional over every market,
max_drawdown and amplification the first market's ({first}). All per-market metrics:
<a href="market_metrics.csv">market_metrics.csv</a>.</p>
{summary}</section>
"""


def _breakdown(breakdown: dict[str, pd.DataFrame], att: population.Attribution, point: int,
               currency: str) -> str:
    how = (f"<p>Point {point}: {fmt.money(att.bad_debt / max(att.runs, 1), currency)} of bad "
           f"debt per run over {fmt.count(att.runs)} runs. Each liquidation's share: the "
           "insurance fund replayed event by event from /events (fees in, shortfalls "
           "covered while it lasts, the rest bad debt)")
    extra = []
    if att.replayed:
        extra.append(f"{fmt.count(att.replayed)} runs with bad debt matched by the replay")
    if att.pro_rata:
        extra.append(f"{fmt.count(att.pro_rata)} not (venue rules the replay does not "
                     "model): there the run's bad debt is shared in proportion to shortfall")
    if att.unattributed:
        extra.append(f"{fmt.count(att.unattributed)} with bad debt but no liquidation "
                     "shortfall in /events: not attributed")
    how += (": " + "; ".join(extra) if extra else "") + ".</p>"
    parts = [how]
    for name, t in breakdown.items():
        rows = "".join(
            f"<tr><td class=k>{e(str(r['group']))}</td><td>{e(fmt.count(r['accounts']))}</td>"
            f"<td>{e(fmt.count(r['liquidated']))}</td>"
            f"<td>{e(fmt.money(r['shortfall'], currency))}</td>"
            f"<td>{e(fmt.money(r['bad_debt'], currency))}</td>"
            f"<td>{e(fmt.percent(r['share']))}{'%' if np.isfinite(r['share']) else ''}</td></tr>"
            for _, r in t.iterrows())
        parts.append(f"<h3>By {e(name)}</h3><table><tr><th class=k>{e(name)}</th>"
                     "<th>accounts</th><th>liquidated (in some run)</th>"
                     "<th>shortfall per run</th><th>bad debt per run</th>"
                     f"<th>share of the bad debt</th></tr>{rows}</table>")
    return "\n".join(parts)


def _figures(items: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<figure><img src="{e(n)}" alt="{e(c)}"><figcaption>{e(c)}</figcaption>'
                   "</figure>" for n, c in items)


def _note(text: Optional[str]) -> str:
    return f"<p class=note>{e(text)}</p>" if text else ""


def _html(result: Result, table: pd.DataFrame, paired: Optional[pd.DataFrame],
          mtable: Optional[pd.DataFrame], figures: dict[str, list[tuple[str, str]]],
          notes: dict[str, str], breakdown: Optional[dict[str, pd.DataFrame]],
          attribution: Optional[population.Attribution], point: int, baseline: int,
          metrics: Sequence[str], currency: str) -> str:
    warn = "" if result.status == "complete" else (
        f"<p class=warn>status is {e(result.status)}: only "
        f"{e(fmt.count(result.attrs.get('runs_completed', len(result.runs))))} runs are in "
        "the file; metrics use those.</p>")
    cur = (f"Money is in the quote currency, named {e(currency)} here (--quote)."
           if currency != fmt.QUOTE else
           "Money is in the quote currency (the file does not name it; --quote NAME "
           "names it on this page).")
    sections = [("run", "How this file was made", _provenance(result)),
                ("scenario", "Scenario", _scenario(result)),
                ("assumptions", "Assumptions", _assumptions(result))]
    nav = [("run", "Run"), ("scenario", "Scenario"), ("assumptions", "Assumptions")]
    body = [f'<section id="{i}"><h2>{e(t)}</h2>\n{c}</section>' for i, t, c in sections]
    if result.n_markets > 1:
        body.append(_markets(result, mtable, currency))
        nav.append(("markets", "Markets"))
    body.append(
        '<section id="metrics"><h2>Risk metrics</h2>'
        f"<p>Value, and under it its 95% interval: Wilson score interval for "
        "probabilities, distribution-free order-statistic interval for quantiles (∞: too "
        "few runs to bound that side); means and expected shortfalls (ES: the mean of the "
        "values from that quantile up) have none in this table (the sweep curves and the "
        f"convergence plot show one for means). {cur} Each quantity's metrics are named "
        "after it: <code>bad_debt.mean</code>, <code>.q50</code> (median), "
        "<code>.q95</code>, <code>.q99</code>, <code>.es95</code>, <code>.es99</code> "
        "(hover a column for its name). Definitions: docs/analysis.md. Every "
        'digit: <a href="metrics.csv">metrics.csv</a>.</p>'
        + _metrics(result, table, currency) + "</section>")
    nav.append(("metrics", "Risk metrics"))
    sweep = _note(notes.get("sweep")) + _figures(figures.get("sweep", []))
    if paired is not None:
        sweep += _paired(result, paired, metrics, baseline, currency)
    body.append(f'<section id="sweep"><h2>Sweep</h2>{sweep}</section>')
    nav.append(("sweep", "Sweep"))
    body.append('<section id="population"><h2>Liquidation map</h2>'
                + _note(notes.get("population")) + _figures(figures.get("population", []))
                + "</section>")
    nav.append(("population", "Liquidation map"))
    bd = _note(notes.get("bad_debt")) + _figures(figures.get("bad_debt", []))
    if breakdown is not None and attribution is not None:
        bd += _breakdown(breakdown, attribution, point, currency)
    body.append(f'<section id="bad_debt"><h2>Bad debt by leverage, tier and side</h2>{bd}'
                "</section>")
    nav.append(("bad_debt", "Bad debt"))
    body.append('<section id="convergence"><h2>Convergence</h2>'
                + _note(notes.get("convergence")) + _figures(figures.get("convergence", []))
                + "</section>")
    nav.append(("convergence", "Convergence"))
    body.append('<section id="figures"><h2>Figures</h2>' + _figures(figures.get("figures", []))
                + "</section>")
    nav.append(("figures", "Figures"))
    left = [v for k, v in notes.items() if k in ("figures", "markets")]
    if left:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in left) + "</ul>")
    links = " ".join(f'<a href="#{i}">{e(t)}</a>' for i, t in nav)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>liqcascade report: {e(result.path.name)}</title>
<style>{CSS}</style></head><body>
<h1>liqcascade report: {e(result.path.name)}</h1>
<nav>{links}</nav>
{warn}
{''.join(body)}
</body></html>
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(
        # `liqcascade report` runs this module and says so (LIQCASCADE_PROG)
        prog=os.environ.get("LIQCASCADE_PROG") or "python -m liqcascade.report",
        description="Write the metrics and figures of a liqcascade result file as an "
                    "HTML report.")
    ap.add_argument("file", help="result file (OUT.h5)")
    ap.add_argument("-o", "--output", default="report", help="output folder (default: report)")
    ap.add_argument("--point", type=int, default=0,
                    help="sweep point of the fan chart, convergence and bad-debt breakdown "
                         "(default 0)")
    ap.add_argument("--metric", action="append", dest="metrics",
                    help="metric of the sweep figures and the convergence plot (repeatable; "
                         "default: " + ", ".join(DEFAULT_SWEEP_METRICS) + ")")
    ap.add_argument("--baseline", type=int, default=0,
                    help="the point the paired differences are taken against (default 0)")
    ap.add_argument("--quote", default=fmt.QUOTE, metavar="NAME",
                    help="the quote currency's name on the page, e.g. USD (the file does "
                         "not name it; default: quote)")
    ap.add_argument("--dpi", type=int, default=100, help="figure resolution")
    ap.add_argument("-f", "--force", action="store_true",
                    help="replace the files of an earlier report in the output folder "
                         "(without it, a report is never written over existing files)")
    args = ap.parse_args(argv)
    out = Path(args.output)
    try:
        with load(args.file) as result:
            files = _publish(result, out, args)
    except LiqcascadeError as err:
        print(f"liqcascade.report: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"liqcascade.report: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files to {out}/ (open {out / 'index.html'})")
    return 0


def _publish(result: Result, out: Path, args: argparse.Namespace) -> list[Path]:
    """Write the report into a temporary folder inside ``out`` (so the moves stay
    on one file system, whatever ``out`` links to), then move its files into
    ``out``. A file already in ``out`` under one of the report's names is
    replaced only with --force (LiqcascadeError otherwise, and nothing is moved;
    the fixed names are checked before anything is drawn). Other files in
    ``out`` are left alone. On an error the folders this call created are
    removed again; only a failure during the moves themselves (a full disk) can
    leave ``out`` with some files replaced."""
    fixed = [n for n in ("index.html", "metrics.csv") if (out / n).exists()]
    if fixed and not args.force:
        raise LiqcascadeError(_clash(out, fixed))
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report.partial-", dir=out))
    moved = False
    try:
        files = write_report(result, tmp, point=args.point,
                             sweep_metrics=args.metrics or DEFAULT_SWEEP_METRICS,
                             dpi=args.dpi, baseline=args.baseline, currency=args.quote)
        names = [f.relative_to(tmp) for f in files]
        there = [n for n in names if (out / n).exists()]
        if there and not args.force:
            raise LiqcascadeError(_clash(out, there))
        moved = True
        for n in names:
            (out / n).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / n, out / n)
        return [out / n for n in names]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not moved:
            for p in created:  # deepest first; only if still empty
                try:
                    p.rmdir()
                except OSError:
                    break


def _clash(out: Path, names: Sequence[object]) -> str:
    more = " and more" if len(names) > 3 else ""
    return (f"{out}/: already holds {', '.join(str(n) for n in names[:3])}{more} (a report?); "
            f"--force replaces them, or choose another folder with -o")


if __name__ == "__main__":
    sys.exit(main())

"""``python -m liqcascade.report OUT.h5 -o report/``: the figures and metrics of a
result file as PNGs, metrics.csv and an index.html page.

Writes into the output folder (created if needed):

* ``index.html`` -- provenance, the markets (when there are several) with a per-market
  liquidation summary, the metric table with 95% intervals, the figures;
* ``metrics.csv`` -- the long-form metric table (point, metric, value, lo, hi, n, units);
* ``market_metrics.csv`` -- the per-market table (point, market, metric, value, lo, hi,
  n, units), for any number of markets;
* ``fan_chart.png`` -- price fan chart (of point ``--point``, default 0; one panel per
  market);
* ``liquidations.png`` -- liquidation heatmap (only with /events);
* ``cascade_ccdf.png`` -- cascade-size CCDF (needs liq series or /events);
* ``sweep_<metric>.png`` -- per ``--metric``, when the file varies two or more keys.

Exit status: 0 ok; 1 the file is missing, not HDF5, not a liqcascade result or cannot
be drawn; 2 bad usage (argparse).
"""
from __future__ import annotations

import argparse
import difflib
import html
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

import matplotlib

matplotlib.use("Agg")  # headless: no display needed, ever

import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import plots  # noqa: E402
from .io import LiqcascadeError, Result, load  # noqa: E402
from .metrics import (compute_metrics, format_market_table, format_table,  # noqa: E402
                      market_metrics)

DEFAULT_SWEEP_METRICS = ("p_bad_debt", "p_insurance_depleted", "liq_notional.q99",
                         "max_drawdown.q99")

PROVENANCE = ("schema_version", "version", "git_commit", "seed", "runs", "points", "steps",
              "dt_seconds", "series_every", "status", "runs_completed", "engine")

#: the per-market summary of the page (all of them are in market_metrics.csv)
MARKET_SUMMARY = ("n_runs", "p_liquidation", "liq_share", "liq_notional.mean",
                  "liq_notional.q99", "max_drawdown.mean", "max_drawdown.q99")


def _save(fig: Figure, path: Path, dpi: int) -> None:
    fig.savefig(path, dpi=dpi)


def write_report(result: Result, out: Path, point: int = 0,
                 sweep_metrics: Sequence[str] = DEFAULT_SWEEP_METRICS, dpi: int = 100) -> list[Path]:
    """Write the report of ``result`` into folder ``out``; returns the files written.

    A figure the file cannot support (no /events, fewer than two varied keys) is
    skipped with a note on the page; other errors propagate. A sweep metric that is
    not one of the file's metrics is an error (LiqcascadeError), before anything is
    written.
    """
    table = compute_metrics(result)
    known = list(dict.fromkeys(table["metric"]))
    for m in sweep_metrics:
        if m not in known:
            near = difflib.get_close_matches(m, known, n=1)
            raise LiqcascadeError(f"--metric {m}: no such metric in {result.path}"
                                  + (f" (did you mean {near[0]}?)" if near else "")
                                  + f"; the metrics: {', '.join(known)}")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    notes: list[str] = []
    csv = out / "metrics.csv"
    table.to_csv(csv, index=False, float_format="%.17g")
    written.append(csv)
    try:  # a file without the per-market quantities still gets its report
        mtable: Optional[pd.DataFrame] = market_metrics(result)
    except LiqcascadeError as e:
        mtable = None
        notes.append(f"market_metrics.csv: skipped: {e}")
    if mtable is not None:
        mcsv = out / "market_metrics.csv"
        mtable.to_csv(mcsv, index=False, float_format="%.17g")
        written.append(mcsv)

    figures: list[tuple[str, str]] = []  # (file name, caption)
    jobs: list[tuple[str, str, Callable[[], Figure]]] = [
        ("fan_chart.png", "Market price: quantile bands across runs, median fundamental dashed"
         + (", one panel per market" if result.n_markets > 1 else ""),
         lambda: plots.fan_chart(result, point=point)),
        ("liquidations.png", "Liquidated notional by execution price and time, summed over runs",
         lambda: plots.liquidation_heatmap(result, point=point)),
        ("cascade_ccdf.png", "Cascade sizes: CCDF of liquidated notional per step"
         + (" (every market's)" if result.n_markets > 1 else ""),
         lambda: plots.cascade_ccdf(result, point=point)),
    ]
    if len(result.varied_keys) >= 2:
        for m in sweep_metrics:
            jobs.append((f"sweep_{m.replace('.', '_')}.png", f"Sweep: {m}",
                         lambda m=m: plots.sweep_heatmap(result, m, table=table)))
    for name, caption, draw in jobs:
        try:
            fig = draw()
        except LiqcascadeError as e:
            notes.append(f"{name}: skipped: {e}")
            continue
        _save(fig, out / name, dpi)
        written.append(out / name)
        figures.append((name, caption))

    page = out / "index.html"
    page.write_text(_html(result, table, figures, notes, mtable), encoding="utf-8")
    written.append(page)
    return written


def _markets_html(result: Result, mtable: Optional[pd.DataFrame]) -> str:
    """The markets and their liquidations, for a file with several markets."""
    if result.n_markets < 2:
        return ""
    e = html.escape
    markets = result.markets.to_html(index=False, border=0)
    summary = "" if mtable is None else format_market_table(mtable, MARKET_SUMMARY).to_html(border=0)
    first = e(result.market_names[0])
    return f"""<h2>Markets</h2>
{markets}
<h2>Liquidations by market</h2>
<p>Per sweep point and market: P(the market had a liquidation in a run), with the Wilson
interval; its share of the liquidated notional of every market; liquidated notional
(long + short) and max drawdown of the market, mean and 99% quantile with its interval.
The risk metrics below are the venue's: bad debt and liq_notional over every market,
max_drawdown and amplification the first market's ({first}). All per-market metrics:
<a href="market_metrics.csv">market_metrics.csv</a>.</p>
{summary}
"""


def _html(result: Result, table: pd.DataFrame, figures: list[tuple[str, str]], notes: list[str],
          mtable: Optional[pd.DataFrame]) -> str:
    e = html.escape
    prov = "".join(f"<tr><th>{e(k)}</th><td>{e(str(result.attrs.get(k, '?')))}</td></tr>"
                   for k in PROVENANCE)
    points = result.points.to_html(index=False, border=0) if result.varied_keys else ""
    metrics = format_table(table).to_html(border=0)
    figs = "".join(f'<figure><img src="{e(n)}" alt="{e(c)}"><figcaption>{e(c)}</figcaption>'
                   f"</figure>" for n, c in figures)
    note = "".join(f"<li>{e(n)}</li>" for n in notes)
    warn = "" if result.status == "complete" else (
        f"<p class=warn>status is {e(result.status)}: only {e(str(result.attrs.get('runs_completed')))}"
        " runs are in the file; metrics use those.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>liqcascade report: {e(result.path.name)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; }}
table {{ border-collapse: collapse; font-size: 90%; }}
th, td {{ padding: 2px 8px; text-align: right; border-bottom: 1px solid #ddd; }}
figure {{ display: inline-block; margin: 1em; }} img {{ max-width: 100%; }}
.warn {{ color: #a00; }}
</style></head><body>
<h1>liqcascade report: {e(result.path.name)}</h1>
{warn}
<h2>Provenance</h2><table>{prov}</table>
{'<h2>Sweep points</h2>' + points if points else ''}
{_markets_html(result, mtable)}
<h2>Risk metrics</h2>
<p>Value [95% interval]: Wilson score interval for probabilities, distribution-free
binomial order-statistic interval for quantiles (±inf: too few runs to bound that side).
qNN is the type-1 quantile, esNN the mean of the values from that order statistic up.
Definitions: docs/analysis.md. Machine-readable: <a href="metrics.csv">metrics.csv</a>.</p>
{metrics}
<h2>Figures</h2>
{figs}
{'<h2>Notes</h2><ul>' + note + '</ul>' if note else ''}
</body></html>
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(
        prog="python -m liqcascade.report",
        description="Write the metrics and figures of a liqcascade result file as an "
                    "HTML report.")
    ap.add_argument("file", help="result file (OUT.h5)")
    ap.add_argument("-o", "--output", default="report", help="output folder (default: report)")
    ap.add_argument("--point", type=int, default=0, help="sweep point of the fan chart")
    ap.add_argument("--metric", action="append", dest="metrics",
                    help="metric of a sweep heatmap (repeatable; default: "
                         + ", ".join(DEFAULT_SWEEP_METRICS) + ")")
    ap.add_argument("--dpi", type=int, default=100, help="figure resolution")
    args = ap.parse_args(argv)
    try:
        with load(args.file) as result:
            if args.point not in set(result.points["point"].tolist()):
                raise LiqcascadeError(f"{args.file}: no point {args.point} "
                                      f"(points 0..{result.n_points - 1})")
            files = write_report(result, Path(args.output), point=args.point,
                                 sweep_metrics=args.metrics or DEFAULT_SWEEP_METRICS,
                                 dpi=args.dpi)
    except LiqcascadeError as err:
        print(f"liqcascade.report: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"liqcascade.report: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files to {args.output}/ (open {Path(args.output) / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

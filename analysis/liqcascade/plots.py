"""The standard figures of a result file, drawn with matplotlib (no pyplot state:
each function builds and returns its own Figure, so it works headless under Agg).

* :func:`fan_chart` -- quantile bands of /series/price over time, with the median
  exogenous path (/series/fundamental) overlaid;
* :func:`liquidation_heatmap` -- liquidated notional by execution price and time,
  from /events;
* :func:`cascade_ccdf` -- complementary CDF of per-step liquidated notional, log-log;
* :func:`sweep_heatmap` -- any metric over two varied keys of a sweep (/points), each
  cell with its value and 95% interval, on a colour scale anchored at 0
  (:func:`colour_range`);
* :func:`sweep_curve` -- any metric against the key of a one-key sweep with its 95%
  band, beside its paired difference against a baseline point with that band;
* :func:`liquidation_map` -- the population's notional at each liquidation price, per
  side and market, with s0 (needs /population);
* :func:`bad_debt_chart` -- bad debt by leverage, tier and side
  (:func:`liqcascade.population.bad_debt_breakdown`);
* :func:`convergence` -- the running estimate of metrics against the number of runs,
  with the running 95% band.

Every axis label carries its units, taken from the file's ``units`` attributes (with
``currency=`` the quote currency is named: ``price (USD)``), and ticks are written as
:mod:`liqcascade.fmt` writes numbers (``60,000``, ``2.5 M``).

Markets: ``fan_chart`` and ``liquidation_heatmap`` draw one panel per market (stacked,
sharing the time axis) unless ``market=`` picks one (a name or an index); a file with
one market gives one panel, as before. ``cascade_ccdf`` counts the venue's liquidations
(every market's in the step) unless ``market=`` restricts it to one.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from . import fmt
from .io import LiqcascadeError, Result
from .metrics import (compute_metrics, estimate, metrics_wide, paired_differences,
                      point_samples, running)
from .stats import quantile_rank

#: bands of the fan chart: (lower, upper) quantile levels, outermost first
FAN_BANDS: tuple[tuple[float, float], ...] = ((0.01, 0.99), (0.05, 0.95), (0.25, 0.75))

_TIME_UNITS = ((86400.0, "d"), (3600.0, "h"), (60.0, "min"), (1.0, "s"))


def time_unit(span_s: float) -> tuple[float, str]:
    """A readable unit for a time axis spanning ``span_s`` seconds: (seconds per
    unit, name), the largest of d, h, min, s with at least 3 units in the span."""
    for size, name in _TIME_UNITS:
        if span_s >= 3 * size:
            return size, name
    return 1.0, "s"


def _units(u: str) -> str:
    return f" ({u})" if u else ""


def _in(units: str, currency: str) -> str:
    """A file's units with ``quote`` named as the currency (``USD/base``)."""
    return units if currency == fmt.QUOTE else re.sub(r"\bquote\b", currency, units)


def _type1_quantiles(a: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Column-wise type-1 quantiles of a [runs, columns] array (same definition as
    :func:`liqcascade.stats.quantile`)."""
    s = np.sort(a, axis=0)
    n = s.shape[0]
    idx = [quantile_rank(q, n) - 1 for q in levels]
    return s[idx]


def _markets(result: Result, market: Optional[Union[int, str]]) -> list[int]:
    """The market indices to draw: the one asked for, else every market."""
    return [result.market_index(market)] if market is not None else list(range(result.n_markets))


def _market_label(result: Result, m: int) -> str:
    """": BTC" for a panel of a file with several markets, "" with one."""
    return f": {result.market_names[m]}" if result.n_markets > 1 else ""


def fan_chart(result: Result, point: int = 0, bands: Sequence[tuple[float, float]] = FAN_BANDS,
              fig: Optional[Figure] = None, market: Optional[Union[int, str]] = None,
              currency: str = fmt.QUOTE) -> Figure:
    """Quantile bands of the market price across the runs of one sweep point, over
    time, with the median market path and the median exogenous (fundamental) path;
    one panel per market (or only ``market``).

    Time of column k is k * every * dt_seconds (docs/schema.md). Needs
    /series/price; /series/fundamental is overlaid when present.
    """
    markets = _markets(result, market)
    fig = fig or Figure(figsize=(8, 4.5 if len(markets) == 1 else 1.2 + 3.0 * len(markets)))
    axes = fig.subplots(len(markets), 1, sharex=True, squeeze=False)[:, 0]
    t = result.time_s("price")
    size, tname = time_unit(float(t[-1]) if t.size else 0.0)
    for ax, m in zip(axes, markets):
        price = result.series("price", point=point, market=m)
        if price.shape[0] == 0:
            raise LiqcascadeError(f"point {point}: no runs in the file")
        levels = [q for band in bands for q in band] + [0.5]
        qs = dict(zip(levels, _type1_quantiles(price, levels)))
        for i, (lo, hi) in enumerate(bands):
            ax.fill_between(t / size, qs[lo], qs[hi], color="tab:blue", alpha=0.15 + 0.12 * i,
                            linewidth=0, label=f"price {lo:.0%}–{hi:.0%}")
        ax.plot(t / size, qs[0.5], color="tab:blue", lw=1.5, label="price median")
        if "fundamental" in result.series_names:
            fund = result.series("fundamental", point=point, market=m)
            ax.plot(result.time_s("fundamental") / size, _type1_quantiles(fund, [0.5])[0],
                    color="black", lw=1.2, ls="--", label="fundamental (exogenous) median")
        name = f"{result.market_names[m]} price" if result.n_markets > 1 else "price"
        ax.set_ylabel(f"{name}{_units(_in(result.series_units('price'), currency))}")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.price(v)))
        ax.set_title(f"Market price across {price.shape[0]} runs" + _market_label(result, m)
                     + _point_label(result, point))
        ax.legend(loc="best", fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(f"time ({tname})")
    fig.tight_layout()
    return fig


def _point_label(result: Result, point: Optional[int]) -> str:
    if point is None or not result.varied_keys:
        return ""
    row = result.points.loc[result.points["point"] == point]
    if row.empty:
        return f" (point {point})"
    keys = ", ".join(f"{k}={row.iloc[0][k]}" for k in result.varied_keys)
    return f" (point {point}: {keys})"


def _no_data(fig: Figure, ax: Any, message: str) -> Figure:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def _events_with_markets(result: Result, columns: Sequence[str],
                         market: Optional[Union[int, str]]) -> pd.DataFrame:
    """/events columns plus ``market`` (index) when the file has several markets or
    one is asked for; raises LiqcascadeError when the file cannot tell."""
    ev = result.event_columns(list(columns))
    if result.n_markets == 1 and market is None:
        return ev
    em = result.event_markets()
    if em is None:
        raise LiqcascadeError(
            f"{result.path}: {result.n_markets} markets, and /events does not say which "
            "market an event is in: write the file with --population (its market column "
            "tells)")
    return ev.assign(market=em)


def liquidation_heatmap(result: Result, point: Optional[int] = None, price_bins: int = 60,
                        max_time_bins: int = 240, fig: Optional[Figure] = None,
                        market: Optional[Union[int, str]] = None,
                        currency: str = fmt.QUOTE) -> Figure:
    """Liquidated notional by execution price (y) and time (x), summed over the runs
    (of one sweep point, or all), from /events; colour is notional per cell (log
    scale). Step s is the time interval ((s-1)·dt, s·dt]; time bins are whole
    numbers of steps. One panel per market (or only ``market``): prices of different
    markets do not share an axis, so a file with several markets needs the market of
    each event (from /population, written with --population). Raises
    LiqcascadeError when the file has no /events or cannot tell the markets.
    """
    ev = _events_with_markets(result, ["point", "step", "price", "notional"], market)
    if point is not None:
        ev = ev[ev["point"] == point]
    units = result.h5["events"]
    p_units = str(units["price"].attrs.get("units", ""))
    n_units = str(units["notional"].attrs.get("units", ""))
    dt, steps = result.dt_seconds, result.steps
    size, tname = time_unit(steps * dt)
    markets = _markets(result, market)
    fig = fig or Figure(figsize=(8, 4.5 if len(markets) == 1 else 1.2 + 3.0 * len(markets)))
    axes = fig.subplots(len(markets), 1, sharex=True, squeeze=False)[:, 0]
    width = max(1, math.ceil(steps / max_time_bins))
    t_edges = np.arange(0, steps + width, width, dtype=np.float64) * dt / size
    for ax, m in zip(axes, markets):
        sub = ev[ev["market"] == m] if "market" in ev else ev
        name = f"{result.market_names[m]} execution price" if result.n_markets > 1 else \
            "execution price"
        ax.set_ylabel(f"{name}{_units(_in(p_units, currency))}")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.price(v)))
        ax.set_title("Liquidated notional by price and time" + _market_label(result, m)
                     + _point_label(result, point))
        ax.set_xlim(0, steps * dt / size)
        if sub.empty:
            ax.text(0.5, 0.5, "no liquidations", ha="center", va="center",
                    transform=ax.transAxes)
            continue
        t_mid = (sub["step"].to_numpy() - 0.5) * dt / size
        prices = sub["price"].to_numpy()
        lo, hi = float(prices.min()), float(prices.max())
        if hi <= lo:  # one price only: a thin band around it
            lo, hi = lo * 0.999, (hi * 1.001 if hi > 0 else 1.0)
        p_edges = np.linspace(lo, hi, price_bins + 1)
        h, _, _ = np.histogram2d(t_mid, prices, bins=[t_edges, p_edges],
                                 weights=sub["notional"].to_numpy())
        h = np.ma.masked_less_equal(h.T, 0)
        if h.count() == 0:  # only zero notionals (top-ups of nothing)
            ax.text(0.5, 0.5, "no liquidations", ha="center", va="center",
                    transform=ax.transAxes)
            continue
        mesh = ax.pcolormesh(t_edges, p_edges, h, norm=LogNorm(vmin=h.min(), vmax=h.max()),
                             cmap="inferno_r", shading="flat")
        bar = fig.colorbar(mesh, ax=ax, label=f"liquidated notional{_units(_in(n_units, currency))}")
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _trim(fmt.money(v))))
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    axes[-1].set_xlabel(f"time ({tname})")
    fig.tight_layout()
    return fig


def step_liquidations(result: Result, point: Optional[int] = None,
                      market: Optional[Union[int, str]] = None) -> tuple[np.ndarray, str]:
    """Liquidated notional of every (run, step) with any liquidation, and a phrase
    naming the period: from /series/liq_long + liq_short when both exist (per
    ``every`` steps), else summed from /events per (point, run, step). The venue's:
    summed over every market, unless ``market`` picks one."""
    if {"liq_long", "liq_short"} <= set(result.series_names):
        rows = None if point is None else result.point_rows(point)
        every = result.series_every("liq_long")
        per = None
        for m in _markets(result, market):
            x = result.series("liq_long", rows=rows, market=m)[:, 1:] + \
                result.series("liq_short", rows=rows, market=m)[:, 1:]
            per = x if per is None else per + x
        sizes = per[per > 0].ravel()
        return sizes, "per step" if every == 1 else f"per {every} steps"
    if result.has_events:
        ev = _events_with_markets(result, ["point", "run", "step", "notional"], market) \
            if market is not None else result.event_columns(["point", "run", "step", "notional"])
        if point is not None:
            ev = ev[ev["point"] == point]
        if market is not None:
            ev = ev[ev["market"] == result.market_index(market)]
        sizes = ev.groupby(["point", "run", "step"])["notional"].sum().to_numpy()
        return sizes[sizes > 0], "per step"
    raise LiqcascadeError(f"{result.path}: neither /series/liq_long+liq_short nor /events")


def cascade_ccdf(result: Result, point: Optional[int] = None,
                 fig: Optional[Figure] = None,
                 market: Optional[Union[int, str]] = None,
                 currency: str = fmt.QUOTE) -> Figure:
    """Empirical complementary CDF P(S >= s | S > 0) of the liquidated notional S of
    one step (or one series period), over every run and step with a liquidation, on
    log-log axes: a straight tail is a power law. S is the venue's (every market's),
    or one market's with ``market``."""
    sizes, period = step_liquidations(result, point, market)
    units = result.series_units("liq_long") if "liq_long" in result.series_names else \
        str(result.h5["events"]["notional"].attrs.get("units", ""))
    fig = fig or Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    ax.set_xlabel(f"liquidated notional {period}{_units(_in(units, currency))}")
    ax.set_ylabel("P(S ≥ s | S > 0) (1)")
    which = "" if market is None or result.n_markets == 1 else \
        _market_label(result, result.market_index(market))
    ax.set_title("Cascade sizes" + which + _point_label(result, point))
    if sizes.size == 0:
        return _no_data(fig, ax, "no liquidations")
    s = np.sort(sizes)
    ccdf = 1.0 - np.arange(s.size) / s.size  # P(S >= s_(i)) = (n - i + 1) / n
    ax.loglog(s, ccdf, marker=".", ms=3, ls="none", color="tab:red")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _trim(fmt.money(v))))
    ax.grid(alpha=0.3, which="both")
    ax.text(0.02, 0.03, f"{s.size} {'steps' if period == 'per step' else 'periods'} with liquidations",
            transform=ax.transAxes, fontsize="small")
    fig.tight_layout()
    return fig


def _key_label(v: Any) -> str:
    """A varied key's value as an axis or table label: ``0.005``, ``2e+05``, or the
    YAML text as given."""
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def colour_range(metric: str, values: np.ndarray, highs: np.ndarray) -> tuple[float, float]:
    """The colour scale of a sweep heatmap, anchored at 0 so that noise between
    cells is not stretched over the whole scale: from 0 (or the lowest value, when
    some are negative) to the largest upper bound of a finite 95% interval, or the
    largest value where no interval is finite (means, expected shortfalls). For a
    probability the top is at least 1% (so that no bad debt at all is one colour,
    not a stretched 0)."""
    v = values[np.isfinite(values)]
    h = highs[np.isfinite(highs)]
    top = float(max(h.max() if h.size else -np.inf, v.max() if v.size else -np.inf))
    low = float(min(0.0, v.min() if v.size else 0.0))
    if metric.startswith("p_"):
        top = max(top, 0.01)
    if not np.isfinite(top) or top <= low:
        top = low + 1.0
    return low, top


def sweep_heatmap(result: Result, metric: str, x: Optional[str] = None, y: Optional[str] = None,
                  fixed: Optional[Mapping[str, Any]] = None, table: Optional[pd.DataFrame] = None,
                  fig: Optional[Figure] = None, currency: str = fmt.QUOTE) -> Figure:
    """A metric (e.g. ``p_bad_debt`` or ``bad_debt.q99``) over two varied keys of a
    sweep, one cell per point, annotated with its value and 95% interval (as on the
    report's page, without the unit, which the colour bar names). ``x``/``y``
    default to the first two varied keys; any other varied key must be pinned with
    ``fixed``. ``table`` is a precomputed :func:`compute_metrics` table (computed if
    omitted). The colour scale is :func:`colour_range`'s: 0 to the largest upper
    bound, so cells that differ by noise look alike.
    """
    keys = result.varied_keys
    if len(keys) < 2:
        raise LiqcascadeError(f"{result.path}: a sweep heatmap needs two varied keys "
                              f"(this file varies {keys or 'none'})")
    x = x or keys[0]
    y = y or next(k for k in keys if k != x)
    for k in (x, y):
        if k not in keys:
            raise LiqcascadeError(f"{k!r} is not a varied key (varied: {', '.join(keys)})")
    fixed = dict(fixed or {})
    free = [k for k in keys if k not in (x, y) and k not in fixed]
    if free:
        raise LiqcascadeError(f"pin the other varied keys with fixed=: {', '.join(free)}")
    table = compute_metrics(result) if table is None else table
    wide = metrics_wide(table, result)
    if metric not in wide:
        raise LiqcascadeError(f"no metric {metric!r}")
    lo_w, hi_w = (metrics_wide(table, result, column=c) for c in ("lo", "hi"))
    for k, v in fixed.items():
        keep = wide[k] == v
        wide, lo_w, hi_w = wide[keep], lo_w[keep], hi_w[keep]
    xs, ys = sorted(wide[x].unique()), sorted(wide[y].unique())
    grid, glo, ghi = (np.full((len(ys), len(xs)), np.nan) for _ in range(3))
    for (idx, row) in wide.iterrows():
        cell = ys.index(row[y]), xs.index(row[x])
        grid[cell], glo[cell], ghi[cell] = row[metric], lo_w.loc[idx, metric], hi_w.loc[idx, metric]
    punits = result.points.attrs.get("units", {})
    munits = wide.attrs["units"].get(metric, "")
    fig = fig or Figure(figsize=(1.7 * len(xs) + 3.2, 0.8 * len(ys) + 2.6))
    ax = fig.add_subplot()
    vmin, vmax = colour_range(metric, grid, ghi)
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap="viridis",
                   vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(xs)), [_key_label(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_key_label(v) for v in ys])
    ax.set_xlabel(f"{x}{_units(punits.get(x, ''))}")
    ax.set_ylabel(f"{y}{_units(punits.get(y, ''))}")
    unit = fmt.unit_label(munits, currency, metric)
    bar = fig.colorbar(im, ax=ax, label=f"{metric}{_units(unit)}")
    bar.ax.yaxis.set_major_formatter(_formatter(metric, munits))
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):
            iv = fmt.interval(metric, glo[i, j], ghi[i, j], munits)
            text = fmt.value(metric, v, munits, with_unit=False) + ("\n" + iv if iv else "")
            dark = (v - vmin) / (vmax - vmin) < 0.55
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    title = metric + ("" if not fixed else " at " + ", ".join(f"{k}={_key_label(v)}"
                                                              for k, v in fixed.items()))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _trim(s: str) -> str:
    """A tick label without trailing zeros: ``2.00 k`` is ``2 k``, ``80.0`` ``80``."""
    return re.sub(r"\.(?!\d)", "", re.sub(r"(\d+\.\d*?)0+(?!\d)", r"\1", s))


def _formatter(metric: str, units: str, diff: bool = False) -> FuncFormatter:
    """Axis ticks written as :mod:`liqcascade.fmt` writes the metric, without the
    unit (which the axis label carries) or trailing zeros."""
    return FuncFormatter(lambda v, _pos: _trim(fmt.value(metric, v, units, diff=diff,
                                                         with_unit=False).lstrip("+")))


def sweep_axis(result: Result) -> Optional[list[str]]:
    """The varied keys of a one-dimensional sweep: one key, or keys that move
    together (``--zip``: each has a different value at every point); the first is
    the x axis. None for a grid of two or more keys, or no sweep."""
    keys = [k for k in result.varied_keys if result.points[k].nunique() > 1]
    if not keys:
        return None
    if len(keys) == 1 or all(result.points[k].nunique() == len(result.points) for k in keys):
        return keys
    return None


def sweep_curve(result: Result, metric: str, table: Optional[pd.DataFrame] = None,
                paired: Optional[pd.DataFrame] = None, baseline: int = 0,
                fig: Optional[Figure] = None, currency: str = fmt.QUOTE) -> Figure:
    """A metric against the varied key of a one-dimensional sweep (:func:`sweep_axis`),
    with its 95% band from each point's own interval (:func:`metrics.estimate`:
    Wilson, the normal interval of a mean, the order-statistic interval of a
    quantile; none for expected shortfalls; an unbounded side is not drawn), and
    beside it the paired difference against point ``baseline`` with its band
    (:func:`metrics.paired_differences`: Newcombe's interval, the paired normal
    interval; none for quantiles). A text-valued key is an axis of categories; a
    numeric key spanning a factor of 20 or more, all positive, a log axis."""
    keys = sweep_axis(result)
    if keys is None:
        raise LiqcascadeError(f"{result.path}: a sweep curve needs one varied key "
                              f"(this file varies {result.varied_keys or 'none'})")
    key = keys[0]
    table = compute_metrics(result) if table is None else table
    if metric not in set(table["metric"]):
        raise LiqcascadeError(f"no metric {metric!r}")
    if paired is None:
        paired = paired_differences(result, baseline)
    pts = result.points.sort_values(key) if result.points[key].dtype.kind == "f" else result.points
    order = pts["point"].tolist()
    numeric = result.points[key].dtype.kind == "f"
    xs = pts[key].to_numpy(np.float64) if numeric else np.arange(len(pts), dtype=np.float64)
    units = table.loc[table["metric"] == metric, "units"].iloc[0]
    est = [estimate(point_samples(result, p), metric) for p in order]
    value = np.array([e.value for e in est])
    lo = np.array([e.lo for e in est])
    hi = np.array([e.hi for e in est])
    pr = paired[paired["metric"] == metric].set_index("point")
    dv = np.array([0.0 if p == baseline else pr.loc[p, "value"] if p in pr.index else np.nan
                   for p in order])
    dlo = np.array([np.nan if p == baseline or p not in pr.index else pr.loc[p, "lo"]
                    for p in order])
    dhi = np.array([np.nan if p == baseline or p not in pr.index else pr.loc[p, "hi"]
                    for p in order])
    fig = fig or Figure(figsize=(10, 4))
    ax, bx = fig.subplots(1, 2)
    unit = fmt.unit_label(units, currency, metric)
    punit = result.points.attrs.get("units", {}).get(key, "")
    for a, v, l, h, what, colour in ((ax, value, lo, hi, metric, "tab:blue"),
                                     (bx, dv, dlo, dhi, f"{metric} − point {baseline}",
                                      "tab:red")):
        band = np.isfinite(l) & np.isfinite(h)
        if band.any():
            a.fill_between(xs, np.where(band, l, np.nan), np.where(band, h, np.nan),
                           color=colour, alpha=0.2, linewidth=0, label="95% interval")
        a.plot(xs, v, marker="o", color=colour, label=what)
        a.set_xlabel(f"{key}{_units(punit)}")
        a.grid(alpha=0.3)
        if numeric and xs.min() > 0 and xs.max() >= 20 * xs.min():
            a.set_xscale("log")
            a.minorticks_off()
        if not numeric or len(xs) <= 8:  # each point's value as its tick
            a.set_xticks(xs, [_key_label(v) for v in pts[key]], rotation=20, ha="right",
                         fontsize="small")
        seen = np.concatenate([v, l[band], h[band]])
        seen = seen[np.isfinite(seen)]
        if seen.size and seen.max() == seen.min():  # flat: a readable range around it
            pad = 0.01 if fmt.kind(metric, units) in ("prob", "fraction") else \
                max(abs(float(seen[0])) * 0.05, 1.0)
            a.set_ylim(seen[0] - pad, seen[0] + pad)
    ax.set_ylabel(f"{metric}{_units(unit)}")
    ax.yaxis.set_major_formatter(_formatter(metric, units))
    ax.set_title(f"{metric} at each point")
    dunit = "pp" if fmt.kind(metric, units) in ("prob", "fraction") else unit
    bx.set_ylabel(f"difference{_units(dunit)}")
    bx.yaxis.set_major_formatter(_formatter(metric, units, diff=True))
    bx.axhline(0.0, color="black", lw=0.8)
    b = order.index(baseline) if baseline in order else None
    if b is not None:
        bx.plot([xs[b]], [0.0], marker="s", color="black", ls="none", label="baseline")
    bx.set_title(f"paired difference against point {baseline}")
    for a in (ax, bx):
        a.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def heatmap(result: Result, metric: str = "p_bad_debt", table: Optional[pd.DataFrame] = None,
            fixed: Optional[Mapping[str, Any]] = None) -> Figure:
    """The heatmap that suits the file: :func:`sweep_heatmap` of ``metric`` over the
    first two varied keys of a sweep (other keys pinned to their first value unless
    ``fixed`` says otherwise), else the :func:`liquidation_heatmap` of point 0 (a
    figure saying so when the file has no /events, or has several markets and no way
    to tell an event's market)."""
    keys = result.varied_keys
    if len(keys) >= 2:
        pins = {k: result.points[k].iloc[0] for k in keys[2:]}
        pins.update(fixed or {})
        return sweep_heatmap(result, metric, keys[0], keys[1], fixed=pins, table=table)
    if not result.has_events:
        fig = Figure(figsize=(8, 4.5))
        return _no_data(fig, fig.add_subplot(), "no /events in this file: run with --events "
                        "for the liquidation heatmap")
    if result.n_markets > 1 and result.event_markets() is None:
        fig = Figure(figsize=(8, 4.5))
        return _no_data(fig, fig.add_subplot(), "several markets, and /events does not say "
                        "which:\nrun with --population for the liquidation heatmap")
    return liquidation_heatmap(result, point=0)


def _price_range(levels: list, s0: float, cover: float = 0.99) -> tuple[float, float]:
    """The price range of a liquidation map: the central ``cover`` of the notional
    (weighted quantiles of the liquidation prices), widened to hold s0."""
    price = np.concatenate([lv.price for lv in levels]) if levels else np.zeros(0)
    weight = np.concatenate([lv.notional for lv in levels]) if levels else np.zeros(0)
    if price.size == 0:
        return s0 * 0.9, s0 * 1.1
    order = np.argsort(price)
    cum = np.cumsum(weight[order]) / weight.sum()
    tail = (1.0 - cover) / 2
    lo = float(price[order][min(np.searchsorted(cum, tail), price.size - 1)])
    hi = float(price[order][min(np.searchsorted(cum, 1.0 - tail), price.size - 1)])
    lo, hi = min(lo, s0), max(hi, s0)
    pad = 0.02 * (hi - lo or s0)
    return max(lo - pad, 0.0), hi + pad


def liquidation_map(result: Result, market: Optional[Union[int, str]] = None, bins: int = 80,
                    fig: Optional[Figure] = None, currency: str = fmt.QUOTE) -> Figure:
    """The population's liquidation map (CoinGlass style): the notional that would be
    liquidated at each price level, ``|qty| × liq_price`` summed over the accounts
    whose liquidation price falls in each of ``bins`` equal price bins, longs and
    shorts apart (bars), with the cumulative notional liquidated as the price moves
    away from s0 (lines: longs as it falls, shorts as it rises) and s0 (the mark at
    t = 0) marked. One panel per market. The price range holds the central 99% of
    the notional; accounts outside it and accounts that span markets (no one
    liquidation price) are counted in the panel. Needs /population."""
    from .population import liquidation_levels

    levels = liquidation_levels(result)
    if market is not None:
        levels = [levels[result.market_index(market)]]
    if not any(lv.price.size for lv in levels):
        spans = sum(lv.left_out for lv in levels)
        raise LiqcascadeError(f"no account has one liquidation price: the {spans:,} accounts "
                              "all span markets (cross or portfolio margin, lending CDPs)")
    return levels_figure(levels, bins=bins, fig=fig, currency=currency,
                         named=result.n_markets > 1)


def levels_figure(levels: Sequence, bins: int = 80, fig: Optional[Figure] = None,
                  currency: str = fmt.QUOTE, named: bool = True,
                  price_range: Optional[Sequence[tuple[float, float]]] = None) -> Figure:
    """The liquidation map of :class:`population.Levels` (one panel each): what
    :func:`liquidation_map` draws from a file's /population and ``python -m
    liqcascade.mapplot`` from the bins of ``liqcascade map``. ``price_range``: the
    price axis of each panel (default: the central 99% of its notional, with s0)."""
    fig = fig or Figure(figsize=(9, 4.2 if len(levels) == 1 else 1.0 + 3.4 * len(levels)))
    axes = fig.subplots(len(levels), 1, squeeze=False)[:, 0]
    money = FuncFormatter(lambda v, _p: _trim(fmt.money(v)))
    for i, (ax, lv) in enumerate(zip(axes, levels)):
        lo, hi = price_range[i] if price_range else _price_range([lv], lv.s0)
        edges = np.linspace(lo, hi, bins + 1)
        inside = (lv.price >= lo) & (lv.price <= hi)
        width = edges[1] - edges[0]
        for side, colour, name in ((1, "tab:red", "longs"), (-1, "tab:green", "shorts")):
            sel = inside & (lv.side == side)
            h, _ = np.histogram(lv.price[sel], bins=edges, weights=lv.notional[sel])
            ax.bar(edges[:-1], h, width=width, align="edge", color=colour, alpha=0.75,
                   label=f"{name} ({lv.count(side):,} accounts)")
        ax.axvline(lv.s0, color="black", ls="--", lw=1.2, label=f"s0 = {fmt.price(lv.s0)}")
        ax.set_xlim(lo, hi)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(money)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.price(v)))
        ax.set_ylabel(f"notional per bin ({currency})")
        cum = ax.twinx()
        longs = lv.side > 0
        p_l, n_l = lv.price[longs], lv.notional[longs]
        o = np.argsort(-p_l)  # falling from s0: the highest long levels go first
        keep = p_l[o] <= lv.s0
        cum.step(p_l[o][keep], np.cumsum(n_l[o][keep]), where="post", color="darkred", lw=1.2,
                 label="cumulative, longs (price falling)")
        p_s, n_s = lv.price[~longs], lv.notional[~longs]
        o = np.argsort(p_s)
        keep = p_s[o] >= lv.s0
        cum.step(p_s[o][keep], np.cumsum(n_s[o][keep]), where="post", color="darkgreen",
                 lw=1.2, label="cumulative, shorts (price rising)")
        cum.set_ylim(bottom=0)
        cum.yaxis.set_major_formatter(money)
        cum.set_ylabel(f"cumulative ({currency})")
        n_in = lv.count(1) + lv.count(-1)
        outside = int(lv.accounts[~inside].sum() if lv.accounts is not None
                      else np.count_nonzero(~inside))
        name = f"{lv.market} " if named else ""
        ax.set_title(f"{name}liquidation levels of {n_in:,} isolated accounts")
        note = []
        if outside:
            note.append(f"{outside:,} accounts ({fmt.money(float(lv.notional[~inside].sum()), currency)})"
                        " outside the range shown")
        if lv.left_out:
            note.append(f"{lv.left_out:,} accounts that span markets left out "
                        "(no one liquidation price)")
        if note:
            ax.text(0.01, 0.97, "\n".join(note), transform=ax.transAxes, va="top",
                    fontsize="small")
        handles = ax.get_legend_handles_labels()
        extra = cum.get_legend_handles_labels()
        ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper right",
                  fontsize="x-small")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(f"liquidation price ({currency} per unit)")
    fig.tight_layout()
    return fig


def bad_debt_chart(breakdown: Mapping[str, pd.DataFrame], point: Optional[int] = None,
                   fig: Optional[Figure] = None, currency: str = fmt.QUOTE) -> Figure:
    """Bad debt per run by leverage, tier and side (one horizontal bar panel each),
    from :func:`liqcascade.population.bad_debt_breakdown`; the shortfall (loss beyond
    collateral, before the insurance fund) as a lighter bar behind it."""
    fig = fig or Figure(figsize=(10, 3.6))
    axes = fig.subplots(1, len(breakdown))
    money = FuncFormatter(lambda v, _p: _trim(fmt.money(v)))
    for ax, (name, t) in zip(np.atleast_1d(axes), breakdown.items()):
        y = np.arange(len(t))
        ax.barh(y, t["shortfall"], color="tab:orange", alpha=0.35, label="shortfall")
        ax.barh(y, t["bad_debt"], color="tab:red", label="bad debt")
        ax.set_yticks(y, t["group"].tolist(), fontsize="small")
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(money)
        ax.set_xlabel(f"per run ({currency})")
        ax.set_title(f"by {name}")
        ax.grid(alpha=0.3, axis="x")
    np.atleast_1d(axes)[0].legend(loc="lower right", fontsize="small")
    if point is not None:
        fig.suptitle(f"Bad debt and shortfall by account group, point {point}", fontsize="medium")
    fig.tight_layout()
    return fig


def convergence(result: Result, metrics: Sequence[str], point: int = 0,
                fig: Optional[Figure] = None, currency: str = fmt.QUOTE,
                units: Optional[Mapping[str, str]] = None) -> Figure:
    """The running estimate of each metric over the first n runs of ``point`` (in row
    order) with its running 95% interval (:func:`liqcascade.metrics.running`:
    Wilson for probabilities, the normal interval for means, the order-statistic
    interval for quantiles, none for expected shortfalls; an unbounded side is not
    drawn), one panel per metric: where the band has stopped narrowing, more runs
    buy little."""
    metrics = list(metrics)
    cols = 2 if len(metrics) > 1 else 1
    rows = math.ceil(len(metrics) / cols)
    fig = fig or Figure(figsize=(5 * cols, 3.2 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    units = dict(units or {})
    for ax, metric in zip(axes, metrics):
        r = running(result, metric, point)
        u = units.get(metric, "1" if metric.startswith("p_") else "")
        band = np.isfinite(r["lo"]) & np.isfinite(r["hi"])
        ax.fill_between(r["n"], r["lo"].where(band), r["hi"].where(band), color="tab:blue",
                        alpha=0.2, linewidth=0, label="95% interval")
        ax.plot(r["n"], r["value"], color="tab:blue", label="estimate")
        ax.set_title(metric, fontsize="medium")
        ax.set_xlabel("runs")
        ax.set_ylabel(fmt.unit_label(u, currency, metric))
        ax.yaxis.set_major_formatter(_formatter(metric, u))
        ax.grid(alpha=0.3)
        if len(r):
            last = r.iloc[-1]
            ax.text(0.98, 0.04, fmt.cell(metric, last["value"], last["lo"], last["hi"], u,
                                         currency), transform=ax.transAxes, ha="right",
                    fontsize="small")
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[0].legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return fig

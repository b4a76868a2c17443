"""The standard figures of a result file, drawn with matplotlib (no pyplot state:
each function builds and returns its own Figure, so it works headless under Agg).

* :func:`fan_chart` -- quantile bands of /series/price over time, with the median
  exogenous path (/series/fundamental) overlaid;
* :func:`liquidation_heatmap` -- liquidated notional by execution price and time,
  from /events;
* :func:`cascade_ccdf` -- complementary CDF of per-step liquidated notional, log-log;
* :func:`sweep_heatmap` -- any metric over two varied keys of a sweep (/points).

Every axis label carries its units, taken from the file's ``units`` attributes.

Markets: ``fan_chart`` and ``liquidation_heatmap`` draw one panel per market (stacked,
sharing the time axis) unless ``market=`` picks one (a name or an index); a file with
one market gives one panel, as before. ``cascade_ccdf`` counts the venue's liquidations
(every market's in the step) unless ``market=`` restricts it to one.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .io import LiqcascadeError, Result
from .metrics import compute_metrics, metrics_wide
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
              fig: Optional[Figure] = None, market: Optional[Union[int, str]] = None) -> Figure:
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
        ax.set_ylabel(f"{name}{_units(result.series_units('price'))}")
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
                        market: Optional[Union[int, str]] = None) -> Figure:
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
        ax.set_ylabel(f"{name}{_units(p_units)}")
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
        fig.colorbar(mesh, ax=ax, label=f"liquidated notional{_units(n_units)}")
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
                 market: Optional[Union[int, str]] = None) -> Figure:
    """Empirical complementary CDF P(S >= s | S > 0) of the liquidated notional S of
    one step (or one series period), over every run and step with a liquidation, on
    log-log axes: a straight tail is a power law. S is the venue's (every market's),
    or one market's with ``market``."""
    sizes, period = step_liquidations(result, point, market)
    units = result.series_units("liq_long") if "liq_long" in result.series_names else \
        str(result.h5["events"]["notional"].attrs.get("units", ""))
    fig = fig or Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    ax.set_xlabel(f"liquidated notional {period}{_units(units)}")
    ax.set_ylabel("P(S ≥ s | S > 0) (1)")
    which = "" if market is None or result.n_markets == 1 else \
        _market_label(result, result.market_index(market))
    ax.set_title("Cascade sizes" + which + _point_label(result, point))
    if sizes.size == 0:
        return _no_data(fig, ax, "no liquidations")
    s = np.sort(sizes)
    ccdf = 1.0 - np.arange(s.size) / s.size  # P(S >= s_(i)) = (n - i + 1) / n
    ax.loglog(s, ccdf, marker=".", ms=3, ls="none", color="tab:red")
    ax.grid(alpha=0.3, which="both")
    ax.text(0.02, 0.03, f"{s.size} {'steps' if period == 'per step' else 'periods'} with liquidations",
            transform=ax.transAxes, fontsize="small")
    fig.tight_layout()
    return fig


def sweep_heatmap(result: Result, metric: str, x: Optional[str] = None, y: Optional[str] = None,
                  fixed: Optional[Mapping[str, Any]] = None, table: Optional[pd.DataFrame] = None,
                  fig: Optional[Figure] = None) -> Figure:
    """A metric (e.g. ``p_bad_debt`` or ``bad_debt.q99``) over two varied keys of a
    sweep, one cell per point, annotated with its value. ``x``/``y`` default to the
    first two varied keys; any other varied key must be pinned with ``fixed``.
    ``table`` is a precomputed :func:`compute_metrics` table (computed if omitted).
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
    for k, v in fixed.items():
        wide = wide[wide[k] == v]
    xs, ys = sorted(wide[x].unique()), sorted(wide[y].unique())
    grid = np.full((len(ys), len(xs)), np.nan)
    for _, row in wide.iterrows():
        grid[ys.index(row[y]), xs.index(row[x])] = row[metric]
    punits = result.points.attrs.get("units", {})
    munits = wide.attrs["units"].get(metric, "")
    fig = fig or Figure(figsize=(1.2 * len(xs) + 3, 0.7 * len(ys) + 2.5))
    ax = fig.add_subplot()
    finite = np.isfinite(grid)
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), [f"{v:g}" if isinstance(v, float) else str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" if isinstance(v, float) else str(v) for v in ys])
    ax.set_xlabel(f"{x}{_units(punits.get(x, ''))}")
    ax.set_ylabel(f"{y}{_units(punits.get(y, ''))}")
    fig.colorbar(im, ax=ax, label=f"{metric}{_units(munits)}")
    if finite.any():
        mid = (np.nanmax(grid) + np.nanmin(grid)) / 2
        for (i, j), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.4g}", ha="center", va="center", fontsize="small",
                        color="white" if v < mid else "black")
    title = metric + ("" if not fixed else " at " + ", ".join(f"{k}={v}" for k, v in fixed.items()))
    ax.set_title(title)
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

"""Per-sweep-point risk metrics of a result file, defined exactly (docs/analysis.md).

The metric table is long-form: one row per (point, metric) with the columns

    point, metric, value, lo, hi, n, units

``lo``/``hi`` is a 95% confidence interval: Wilson score for probabilities, the
distribution-free binomial order-statistic interval for quantiles, NaN where no
interval is defined (means, expected shortfalls, counts). ``n`` is the number of runs
the metric is computed from. The C ``liqcascade info`` command computes the same
metrics with the same definitions; tests compare the two.

They are the venue's: with several markets (schema v2) bad debt, insurance, ADL,
cascades and ``liq_notional`` are over every market, while ``max_drawdown`` and
``amplification`` are the first market's (the /runs columns of those names are).
:func:`market_metrics` gives the per-market table (liquidations and drawdown of each
market), with an extra ``market`` column.
"""
from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import stats
from .io import LiqcascadeError, Result

#: per-variable statistics, in table order: name -> quantile level (None: mean)
STATISTICS: tuple[tuple[str, str, Optional[float]], ...] = (
    ("mean", "mean", None),
    ("q50", "quantile", 0.50),
    ("q95", "quantile", 0.95),
    ("q99", "quantile", 0.99),
    ("es95", "es", 0.95),
    ("es99", "es", 0.99),
)

#: probability metrics: name -> (description, event on a /runs row)
PROBABILITIES: dict[str, tuple[str, Callable[[pd.DataFrame], np.ndarray]]] = {
    "p_bad_debt": ("P(bad_debt > 0)", lambda r: r["bad_debt"].to_numpy() > 0),
    "p_insurance_depleted": ("P(insurance_min <= 0)",
                             lambda r: r["insurance_min"].to_numpy() <= 0),
    "p_adl": ("P(adl_count > 0)", lambda r: r["adl_count"].to_numpy() > 0),
    "p_cascade": ("P(max_rounds >= 2): some step needed a second liquidation round",
                  lambda r: r["max_rounds"].to_numpy() >= 2),
    "p_truncated": ("P(truncated > 0): some cascade stopped at simulation.max_rounds",
                    lambda r: r["truncated"].to_numpy() > 0),
}

#: per-run variables summarised with STATISTICS, with their units
VARIABLES: dict[str, str] = {
    "bad_debt": "quote",
    "liq_notional": "quote",
    "max_drawdown": "1",
    "max_rounds": "rounds",
    "cascade_steps": "steps",
    "amplification": "1",
}

COLUMNS = ["point", "metric", "value", "lo", "hi", "n", "units"]

#: statistic name -> (kind, quantile level)
_STAT = {name: (kind, q) for name, kind, q in STATISTICS}


@dataclass(frozen=True)
class Variable:
    """One per-run variable of the metric table: its value on each /runs row given,
    whether it is defined there (amplification only where exo_drawdown > 0; every
    other variable everywhere) and its units."""

    values: np.ndarray
    defined: np.ndarray
    units: str

    def sample(self) -> np.ndarray:
        """The values where defined, in row order (the sample the statistics use)."""
        return self.values[self.defined]


@dataclass(frozen=True)
class Samples:
    """The per-run quantities behind the metric table, aligned with the /runs rows
    they come from, in table order: ``events`` (probability metric -> the event on
    each row) and ``variables`` (name -> :class:`Variable`)."""

    events: dict[str, np.ndarray]
    variables: dict[str, Variable]


def run_samples(runs: pd.DataFrame, casc_steps: Optional[np.ndarray] = None,
                lending: bool = False) -> Samples:
    """The per-run events and variables of some /runs rows (one sweep point's, or
    any), in the order of the metric table (docs/analysis.md, "Samples"):

    * events: each :data:`PROBABILITIES` event, then ``p_cdp_bad_debt``
      (cdp_bad_debt > 0) with ``lending``;
    * variables: ``bad_debt``, ``cdp_bad_debt`` (with ``lending``),
      ``liq_notional`` = liq_notional_long + liq_notional_short, ``max_drawdown``,
      ``max_rounds``, ``cascade_steps`` (when ``casc_steps`` is given, aligned with
      ``runs``) and ``amplification`` = max_drawdown / exo_drawdown, defined only
      where exo_drawdown > 0 (a run whose fundamental never fell has no ratio).
    """
    n = len(runs)
    events = {name: event(runs) for name, (_, event) in PROBABILITIES.items()}
    if lending:
        events["p_cdp_bad_debt"] = runs["cdp_bad_debt"].to_numpy() > 0
    every = np.ones(n, dtype=bool)

    def col(name: str) -> np.ndarray:
        return runs[name].to_numpy(dtype=np.float64)

    exo, dd = col("exo_drawdown"), col("max_drawdown")
    ok = exo > 0
    amp = np.full(n, np.nan)
    amp[ok] = dd[ok] / exo[ok]
    values = {"bad_debt": col("bad_debt"),
              "liq_notional": col("liq_notional_long") + col("liq_notional_short"),
              "max_drawdown": dd, "max_rounds": col("max_rounds")}
    if casc_steps is not None:
        values["cascade_steps"] = np.asarray(casc_steps, dtype=np.float64)
    variables: dict[str, Variable] = {}
    for name, units in VARIABLES.items():
        if name == "amplification":
            variables[name] = Variable(amp, ok, units)
        elif name in values:
            variables[name] = Variable(values[name], every, units)
        if name == "bad_debt" and lending:  # the lending protocol's, after the venue's
            variables["cdp_bad_debt"] = Variable(col("cdp_bad_debt"), every, "quote")
    return Samples(events, variables)


def point_samples(result: Result, point: int, casc: Optional[pd.Series] = None,
                  lending: Optional[bool] = None) -> Samples:
    """:func:`run_samples` of one sweep point's /runs rows (``casc``: the file's
    :func:`cascade_steps`, computed when omitted; ``lending``: from the scenario)."""
    if casc is None:
        casc = cascade_steps(result)
    if lending is None:
        lending = result.resolved.get("venue.lending", "none") != "none"
    rows = result.point_rows(point)
    return run_samples(result.runs.iloc[rows],
                       None if casc is None else casc.iloc[rows].to_numpy(), lending)


def estimate(smp: Samples, metric: str, upto: Optional[int] = None) -> stats.Interval:
    """A metric of the table from its samples with the interval a reader wants next
    to it, over the first ``upto`` rows (all by default): Wilson for ``p_*``, the
    normal interval of a mean (:func:`liqcascade.stats.mean_ci`) for ``V.mean`` --
    which the contract table leaves without one --, the order-statistic interval
    for quantiles, none for expected shortfalls. The report's sweep curves and
    convergence plots use it. Raises LiqcascadeError for a metric that has no
    per-run sample (``n_runs``, ``amplification_undefined``, or one the file lacks)."""
    if metric in smp.events:
        e = smp.events[metric][:upto]
        return stats.wilson(int(np.count_nonzero(e)), e.size)
    name, _, stat = metric.rpartition(".")
    if name not in smp.variables or stat not in _STAT:
        raise LiqcascadeError(f"{metric}: not a metric with a per-run sample")
    var = smp.variables[name]
    x = var.values[:upto][var.defined[:upto]]
    return stats.mean_ci(x) if stat == "mean" else statistic(stat, x)


def running(result: Result, metric: str, point: int = 0, steps: int = 200) -> pd.DataFrame:
    """The running estimate of ``metric`` over the first n runs of ``point`` (in row
    order), with its running 95% interval (:func:`estimate`), at about ``steps``
    values of n from 1 to every run: columns n, value, lo, hi."""
    smp = point_samples(result, point)
    total = len(result.point_rows(point))
    ns = np.unique(np.linspace(1, total, min(steps, max(total, 1))).round().astype(int)) \
        if total else np.zeros(0, dtype=int)
    rows = [(int(k), *dataclasses.astuple(estimate(smp, metric, int(k)))) for k in ns]
    return pd.DataFrame(rows, columns=["n", "value", "lo", "hi"])


def statistic(stat: str, x: np.ndarray) -> stats.Interval:
    """One statistic of :data:`STATISTICS` (``mean``, ``q50``, ..., ``es99``) of the
    sample ``x``, with the interval the metric table gives it (the order-statistic
    interval for quantiles; NaN bounds for means and expected shortfalls)."""
    kind, q = _STAT[stat]
    if kind == "mean":
        return stats.Interval(stats.mean(x), math.nan, math.nan)
    if kind == "es":
        return stats.Interval(stats.expected_shortfall(x, q), math.nan, math.nan)
    return stats.quantile_ci(x, q)


def cascade_steps(result: Result) -> Optional[pd.Series]:
    """Per /runs row: the number of distinct steps with a liquidation in round >= 2
    (a cascade: accounts breached by the impact of the same step's earlier rounds).
    Runs without such events count 0. None when the file has no /events."""
    if not result.has_events:
        return None
    ev = result.event_columns(["point", "run", "step", "round"])
    casc = ev[ev["round"] >= 2]
    counts = casc.drop_duplicates(["point", "run", "step"]).groupby(["point", "run"]).size()
    key = pd.MultiIndex.from_arrays([result.runs["point"], result.runs["run"]])
    return pd.Series(counts.reindex(key, fill_value=0).to_numpy(), index=result.runs.index,
                     name="cascade_steps")


def _summary(point: int, name: str, x: np.ndarray, units: str) -> list[dict]:
    rows = []
    for stat, _, _ in STATISTICS:
        iv = statistic(stat, x)
        rows.append(dict(point=point, metric=f"{name}.{stat}", value=iv.value, lo=iv.lo,
                         hi=iv.hi, n=x.size, units=units))
    return rows


def _weighted_summary(point: int, name: str, x: np.ndarray, w: np.ndarray, units: str,
                      conditional: bool) -> list[dict]:
    """The statistics of a weighted variable (docs/analysis.md, "Weighted runs"):
    the mean (1/n)*sum(w*x), or for a variable some runs lack (``conditional``:
    amplification) sum(w*x)/sum(w); weighted quantiles and shortfalls, no intervals."""
    n = x.size
    total, s = stats.seqsum(w), stats.seqsum(w * x)
    mean = math.nan if n == 0 else (s / total if total > 0 else math.nan) if conditional \
        else s / n
    rows = []
    for stat, kind, q in STATISTICS:
        value = mean if kind == "mean" else \
            stats.weighted_quantile(x, w, q) if kind == "quantile" else \
            stats.weighted_expected_shortfall(x, w, q)
        rows.append(dict(point=point, metric=f"{name}.{stat}", value=value, lo=math.nan,
                         hi=math.nan, n=n, units=units))
    return rows


def point_metrics(runs: pd.DataFrame, point: int = 0,
                  casc_steps: Optional[np.ndarray] = None, lending: bool = False) -> pd.DataFrame:
    """The metric rows of one sweep point from its /runs rows (``runs``) and, when
    known, its per-run cascade step counts (``casc_steps``, aligned with ``runs``).
    With ``lending`` (the scenario names a lending protocol, venue.lending) also the
    CDPs' ``p_cdp_bad_debt`` and ``cdp_bad_debt.*``. When ``runs`` has a ``weight``
    column (runs drawn by importance sampling) every metric is weighted, with rows
    ``weight_mean`` and ``ess`` after ``n_runs``."""
    n = len(runs)
    rows: list[dict] = [dict(point=point, metric="n_runs", value=float(n), lo=math.nan,
                             hi=math.nan, n=n, units="runs")]
    smp = run_samples(runs, casc_steps, lending)
    if "weight" in runs.columns:
        return _weighted_point(runs, point, smp, rows)
    for name, event in smp.events.items():
        iv = stats.wilson(int(np.count_nonzero(event)), n)
        rows.append(dict(point=point, metric=name, value=iv.value, lo=iv.lo, hi=iv.hi, n=n,
                         units="1"))
    for name, var in smp.variables.items():
        rows += _summary(point, name, var.sample(), var.units)
    rows.append(dict(point=point, metric="amplification_undefined",
                     value=float(np.count_nonzero(runs["exo_drawdown"].to_numpy() <= 0)),
                     lo=math.nan, hi=math.nan, n=n, units="runs"))
    return pd.DataFrame(rows, columns=COLUMNS)


def _weighted_point(runs: pd.DataFrame, point: int, smp: Samples,
                    rows: list[dict]) -> pd.DataFrame:
    n = len(runs)
    w = runs["weight"].to_numpy(dtype=np.float64)
    if "replicate" in runs.columns:  # multilevel splitting: intervals of its replicates
        rep = runs["replicate"].to_numpy()

        def share(wx: np.ndarray) -> stats.Interval:
            return stats.replicate_share(wx, rep)
    else:
        share = stats.weighted_share
    iv = share(w)
    rows.append(dict(point=point, metric="weight_mean", value=iv.value, lo=iv.lo, hi=iv.hi,
                     n=n, units="1"))
    rows.append(dict(point=point, metric="ess", value=stats.ess(w), lo=math.nan, hi=math.nan,
                     n=n, units="runs"))
    for name, event in smp.events.items():
        iv = share(np.where(event, w, 0.0))
        rows.append(dict(point=point, metric=name, value=iv.value, lo=iv.lo, hi=iv.hi, n=n,
                         units="1"))
    for name, var in smp.variables.items():
        rows += _weighted_summary(point, name, var.sample(), w[var.defined], var.units,
                                  name == "amplification")
    rows.append(dict(point=point, metric="amplification_undefined",
                     value=float(np.count_nonzero(runs["exo_drawdown"].to_numpy() <= 0)),
                     lo=math.nan, hi=math.nan, n=n, units="runs"))
    return pd.DataFrame(rows, columns=COLUMNS)


def compute_metrics(result: Result) -> pd.DataFrame:
    """The long-form metric table of every sweep point present in the file (see the
    module docstring); ``attrs["units"]`` maps metric name to units."""
    casc = cascade_steps(result)
    lending = result.resolved.get("venue.lending", "none") != "none"
    frames = []
    for point in result.points["point"].to_numpy():
        rows = result.point_rows(int(point))
        sub = result.runs.iloc[rows]
        frames.append(point_metrics(sub, int(point),
                                    None if casc is None else casc.iloc[rows].to_numpy(),
                                    lending))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["units"] = dict(zip(table["metric"], table["units"]))
    return table


PAIRED_COLUMNS = ["point", "baseline", "metric", "value", "lo", "hi", "n", "units"]


def _run_index(result: Result, rows: np.ndarray) -> np.ndarray:
    """The run index of some /runs rows: the ``run`` column, else row % runs."""
    if "run" in result.runs:
        return result.runs["run"].to_numpy()[rows]
    return rows % max(result.runs_per_point, 1)


def paired_differences(result: Result, baseline: int = 0) -> pd.DataFrame:
    """Every sweep point's metrics as paired differences against point ``baseline``
    (docs/analysis.md, "Paired differences"): long form with the columns
    point, baseline, metric, value, lo, hi, n, units; the points in order (the
    baseline has no rows), metrics in the order of :func:`compute_metrics` without
    ``n_runs`` and ``amplification_undefined``.

    Row (point j, run r) is paired with row (baseline, r) for every run index r both
    points have, in the baseline's row order; ``n`` is the number of pairs.

    * ``p_*``: Δ = (B − C)/n with Newcombe's hybrid score interval
      (:func:`liqcascade.stats.newcombe_paired`; A both, B point j only, C the
      baseline only, D neither);
    * ``V.mean``: the mean of the differences d_r = x_j,r − x_b,r over the pairs
      where both values are defined (amplification: both exo_drawdown > 0), with
      the normal interval of a mean (:func:`liqcascade.stats.mean_ci`);
    * ``V.q*``, ``V.es*``: the statistic of point j's values less the baseline's,
      over those same pairs, without an interval.

    Raises LiqcascadeError when ``baseline`` is not a point of the file. A file of
    one point gives a table with no rows.
    """
    points = [int(p) for p in result.points["point"].to_numpy()]
    if baseline not in points:
        raise LiqcascadeError(f"{result.path}: no baseline point {baseline} "
                              f"(points 0..{len(points) - 1})")
    casc = cascade_steps(result)
    lending = result.resolved.get("venue.lending", "none") != "none"

    def samples(point: int) -> tuple[np.ndarray, Samples]:
        return (_run_index(result, result.point_rows(point)),
                point_samples(result, point, casc, lending))

    weighted = "weight" in result.runs.columns

    def weights(point: int) -> np.ndarray:
        return result.runs["weight"].to_numpy(dtype=np.float64)[result.point_rows(point)]

    base_runs, base = samples(baseline)
    wb_all = weights(baseline) if weighted else None
    out: list[dict] = []
    for point in points:
        if point == baseline:
            continue
        runs_j, cur = samples(point)
        at = pd.Index(runs_j).get_indexer(base_runs)  # -1: run r is not at point j
        ib = np.flatnonzero(at >= 0)
        ij = at[ib]
        n = int(ib.size)

        def row(metric: str, iv: stats.Interval, size: int, units: str) -> None:
            out.append(dict(point=point, baseline=baseline, metric=metric, value=iv.value,
                            lo=iv.lo, hi=iv.hi, n=size, units=units))

        if weighted:
            _paired_weighted(row, base, cur, ib, ij, wb_all[ib], weights(point)[ij])
            continue
        for name, event in base.events.items():
            ej, eb = cur.events[name][ij], event[ib]
            a = int(np.count_nonzero(ej & eb))
            b = int(np.count_nonzero(ej & ~eb))
            c = int(np.count_nonzero(~ej & eb))
            row(name, stats.newcombe_paired(a, b, c, n - a - b - c), n, "1")
        for name, var in base.variables.items():
            other = cur.variables[name]
            both = other.defined[ij] & var.defined[ib]
            xj, xb = other.values[ij][both], var.values[ib][both]
            for stat, kind, _ in STATISTICS:
                if kind == "mean":
                    iv = stats.mean_ci(xj - xb)
                else:
                    iv = stats.Interval(statistic(stat, xj).value - statistic(stat, xb).value,
                                        math.nan, math.nan)
                row(f"{name}.{stat}", iv, int(xj.size), var.units)
    table = pd.DataFrame(out, columns=PAIRED_COLUMNS)
    table.attrs["units"] = dict(zip(table["metric"], table["units"]))
    return table


def _paired_weighted(row: Callable, base: Samples, cur: Samples, ib: np.ndarray,
                     ij: np.ndarray, wb: np.ndarray, wj: np.ndarray) -> None:
    """The paired rows of weighted runs (docs/analysis.md, "Weighted runs"): each
    probability and mean the mean of w_j*f_j - w_b*f_b over the pairs with its normal
    interval; quantiles and shortfalls the differences of the weighted ones."""
    n = int(ib.size)
    for name, event in base.events.items():
        d = wj * cur.events[name][ij] - wb * event[ib]
        row(name, stats.mean_ci(d), n, "1")
    for name, var in base.variables.items():
        other = cur.variables[name]
        both = other.defined[ij] & var.defined[ib]
        xj, xb = other.values[ij][both], var.values[ib][both]
        uj, ub = wj[both], wb[both]
        for stat, kind, q in STATISTICS:
            if kind == "mean":
                iv = stats.mean_ci(uj * xj - ub * xb)
            elif kind == "quantile":
                iv = stats.Interval(stats.weighted_quantile(xj, uj, q) -
                                    stats.weighted_quantile(xb, ub, q), math.nan, math.nan)
            else:
                iv = stats.Interval(stats.weighted_expected_shortfall(xj, uj, q) -
                                    stats.weighted_expected_shortfall(xb, ub, q),
                                    math.nan, math.nan)
            row(f"{name}.{stat}", iv, int(xj.size), var.units)


def to_csv(table: pd.DataFrame, path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Optional[str]:
    """A metric table (:func:`compute_metrics`, :func:`market_metrics`,
    :func:`paired_differences`) as CSV, the way metrics.csv is written: no index,
    reals with 17 significant digits (``%.17g``), ``inf``/``-inf`` for unbounded
    interval sides, empty fields for NaN. Returns the text when ``path`` is None."""
    return table.to_csv(path, index=False, float_format="%.17g")


def metrics_wide(table: pd.DataFrame, result: Optional[Result] = None,
                 column: str = "value") -> pd.DataFrame:
    """One row per point, one column per metric (``column``: value, lo or hi),
    joined with the /points columns (the varied keys) when ``result`` is given."""
    wide = table.pivot(index="point", columns="metric", values=column)
    wide = wide[list(dict.fromkeys(table["metric"]))]  # keep table order
    wide.columns.name = None
    if result is not None:
        wide = result.points.set_index("point").join(wide)
    wide.attrs["units"] = dict(zip(table["metric"], table["units"]))
    if result is not None:
        wide.attrs["units"].update(result.points.attrs.get("units", {}))
    return wide


def format_value(x: float) -> str:
    """A metric value for a table: 4 significant digits, inf as ±inf, NaN as blank."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x)}"
    return f"{x:.4g}"


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """The metric table for reading: ``value [lo, hi] units`` strings, one column per
    point."""
    out = table.assign(cell=table.apply(_cell, axis=1))
    wide = out.pivot(index="metric", columns="point", values="cell")
    wide = wide.loc[list(dict.fromkeys(table["metric"]))]
    wide.columns = [f"point {p}" for p in wide.columns]
    wide.insert(0, "units", [table.attrs.get("units", {}).get(m, "")
                             if table.attrs.get("units") else "" for m in wide.index])
    return wide


#: per-market metrics (docs/analysis.md), in table order after n_runs,
#: p_liquidation and liq_share
MARKET_VARIABLES: dict[str, str] = {
    "liq_notional": "quote",
    "max_drawdown": "1",
}

MARKET_COLUMNS = ["point", "market", "metric", "value", "lo", "hi", "n", "units"]


def market_metrics(result: Result) -> pd.DataFrame:
    """Per (sweep point, market): the market's liquidations and drawdown, long form
    with the columns of :func:`compute_metrics` plus ``market`` (its name):

    * ``n_runs``;
    * ``p_liquidation`` -- P(liq_notional_long + liq_notional_short > 0 in the
      market: some position closed, whole or in part), Wilson interval;
    * ``liq_share`` -- the market's liquidated notional (long + short) summed over the
      point's runs, divided by that of every market (NaN when nothing was liquidated);
    * ``liq_notional.*`` and ``max_drawdown.*`` -- mean, q50/q95/q99 with
      order-statistic intervals, es95/es99 of the market's liq_notional_long +
      liq_notional_short and of its max_drawdown.

    From :meth:`Result.market_runs`, so a v1 file gives the same table for its one
    market ``"market"``. Markets in /markets order within each point.
    """
    df = result.market_runs()
    need = {"liq_count_long", "liq_count_short", "liq_notional_long", "liq_notional_short",
            "max_drawdown"}
    missing = sorted(need - set(df.columns))
    if missing:
        raise LiqcascadeError(f"{result.path}: no per-market {', '.join(missing)} in /runs")
    liq = df["liq_notional_long"].to_numpy(np.float64) + df["liq_notional_short"].to_numpy(np.float64)
    hit = liq > 0
    point_col, market_col = df["point"].to_numpy(), df["market"].to_numpy()
    rows: list[dict] = []
    for point in result.points["point"].to_numpy():
        in_point = point_col == point
        total = float(liq[in_point].sum())
        for name in result.market_names:
            sel = in_point & (market_col == name)
            n = int(np.count_nonzero(sel))
            head = [dict(metric="n_runs", value=float(n), lo=math.nan, hi=math.nan, n=n,
                         units="runs")]
            iv = stats.wilson(int(np.count_nonzero(hit[sel])), n)
            head.append(dict(metric="p_liquidation", value=iv.value, lo=iv.lo, hi=iv.hi, n=n,
                             units="1"))
            share = float(liq[sel].sum()) / total if total > 0 else math.nan
            head.append(dict(metric="liq_share", value=share, lo=math.nan, hi=math.nan, n=n,
                             units="1"))
            v = {"liq_notional": liq[sel],
                 "max_drawdown": df["max_drawdown"].to_numpy(np.float64)[sel]}
            for var, units in MARKET_VARIABLES.items():
                head += _summary(int(point), var, v[var], units)
            for r in head:
                r.update(point=int(point), market=name)
            rows += head
    table = pd.DataFrame(rows, columns=MARKET_COLUMNS)
    table.attrs["units"] = dict(zip(table["metric"], table["units"]))
    return table


def format_market_table(table: pd.DataFrame,
                        metrics: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """A :func:`market_metrics` table for reading: one row per (point, market), one
    column per metric (``metrics``, default all) holding ``value [lo, hi]``."""
    metrics = list(metrics) if metrics is not None else list(dict.fromkeys(table["metric"]))
    t = table[table["metric"].isin(metrics)]
    cells = t.assign(cell=[_cell(r) for _, r in t.iterrows()])
    wide = cells.pivot(index=["point", "market"], columns="metric", values="cell")
    wide = wide[[m for m in metrics if m in wide.columns]]
    # back in table order (points, then markets in /markets order), not sorted by name
    wide = wide.reindex(pd.MultiIndex.from_frame(t[["point", "market"]].drop_duplicates()))
    wide.columns.name = None
    units = table.attrs.get("units") or {}
    wide.columns = [f"{m} ({units[m]})" if units.get(m) else m for m in wide.columns]
    return wide


def _cell(r: pd.Series) -> str:
    s = format_value(r["value"])
    if not (math.isnan(r["lo"]) and math.isnan(r["hi"])):
        s += f" [{format_value(r['lo'])}, {format_value(r['hi'])}]"
    return s

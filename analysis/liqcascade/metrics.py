"""Per-sweep-point risk metrics of a result file, defined exactly (docs/analysis.md).

The metric table is long-form: one row per (point, metric) with the columns

    point, metric, value, lo, hi, n, units

``lo``/``hi`` is a 95% confidence interval: Wilson score for probabilities, the
distribution-free binomial order-statistic interval for quantiles, NaN where no
interval is defined (means, expected shortfalls, counts). ``n`` is the number of runs
the metric is computed from. The C ``liqcascade info`` command computes the same
metrics with the same definitions; tests compare the two.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np
import pandas as pd

from . import stats
from .io import Result

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


def run_variables(runs: pd.DataFrame) -> dict[str, np.ndarray]:
    """The per-run variables derived from /runs rows (one sweep point's or all):

    * ``bad_debt``, ``max_drawdown``, ``max_rounds`` as stored;
    * ``liq_notional`` = liq_notional_long + liq_notional_short;
    * ``amplification`` = max_drawdown / exo_drawdown, only for runs with
      exo_drawdown > 0 (a run whose fundamental never fell has no defined ratio; it is
      left out and counted by ``amplification_undefined``).
    """
    exo = runs["exo_drawdown"].to_numpy(dtype=np.float64)
    dd = runs["max_drawdown"].to_numpy(dtype=np.float64)
    ok = exo > 0
    return {
        "bad_debt": runs["bad_debt"].to_numpy(dtype=np.float64),
        "liq_notional": runs["liq_notional_long"].to_numpy(dtype=np.float64)
        + runs["liq_notional_short"].to_numpy(dtype=np.float64),
        "max_drawdown": dd,
        "max_rounds": runs["max_rounds"].to_numpy(dtype=np.float64),
        "amplification": dd[ok] / exo[ok],
    }


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
    for stat, kind, q in STATISTICS:
        lo = hi = math.nan
        if kind == "mean":
            value = stats.mean(x)
        elif kind == "es":
            value = stats.expected_shortfall(x, q)
        else:
            iv = stats.quantile_ci(x, q)
            value, lo, hi = iv.value, iv.lo, iv.hi
        rows.append(dict(point=point, metric=f"{name}.{stat}", value=value, lo=lo, hi=hi,
                         n=x.size, units=units))
    return rows


def point_metrics(runs: pd.DataFrame, point: int = 0,
                  casc_steps: Optional[np.ndarray] = None) -> pd.DataFrame:
    """The metric rows of one sweep point from its /runs rows (``runs``) and, when
    known, its per-run cascade step counts (``casc_steps``, aligned with ``runs``)."""
    n = len(runs)
    rows: list[dict] = [dict(point=point, metric="n_runs", value=float(n), lo=math.nan,
                             hi=math.nan, n=n, units="runs")]
    for name, (_, event) in PROBABILITIES.items():
        iv = stats.wilson(int(np.count_nonzero(event(runs))), n)
        rows.append(dict(point=point, metric=name, value=iv.value, lo=iv.lo, hi=iv.hi, n=n,
                         units="1"))
    v = run_variables(runs)
    if casc_steps is not None:
        v["cascade_steps"] = np.asarray(casc_steps, dtype=np.float64)
    for name, units in VARIABLES.items():
        if name in v:
            rows += _summary(point, name, v[name], units)
    rows.append(dict(point=point, metric="amplification_undefined",
                     value=float(np.count_nonzero(runs["exo_drawdown"].to_numpy() <= 0)),
                     lo=math.nan, hi=math.nan, n=n, units="runs"))
    return pd.DataFrame(rows, columns=COLUMNS)


def compute_metrics(result: Result) -> pd.DataFrame:
    """The long-form metric table of every sweep point present in the file (see the
    module docstring); ``attrs["units"]`` maps metric name to units."""
    casc = cascade_steps(result)
    frames = []
    for point in result.points["point"].to_numpy():
        rows = result.point_rows(int(point))
        sub = result.runs.iloc[rows]
        frames.append(point_metrics(sub, int(point),
                                    None if casc is None else casc.iloc[rows].to_numpy()))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["units"] = dict(zip(table["metric"], table["units"]))
    return table


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
    def cell(r: pd.Series) -> str:
        s = format_value(r["value"])
        if not (math.isnan(r["lo"]) and math.isnan(r["hi"])):
            s += f" [{format_value(r['lo'])}, {format_value(r['hi'])}]"
        return s
    out = table.assign(cell=table.apply(cell, axis=1))
    wide = out.pivot(index="metric", columns="point", values="cell")
    wide = wide.loc[list(dict.fromkeys(table["metric"]))]
    wide.columns = [f"point {p}" for p in wide.columns]
    wide.insert(0, "units", [table.attrs.get("units", {}).get(m, "")
                             if table.attrs.get("units") else "" for m in wide.index])
    return wide

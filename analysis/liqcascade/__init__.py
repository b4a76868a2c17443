"""liqcascade analysis: load result files (HDF5 schema v1 and v2) into pandas with
units, compute per-point risk metrics with confidence intervals (and per market, and
each sweep point's paired differences against a baseline point), draw the standard
figures and write an HTML report
(``python -m liqcascade.report OUT.h5 -o report/``); :func:`open_series` gives the
series as an xarray Dataset with dimensions (row, market, time).

Definitions of every metric: docs/analysis.md.
"""
from .io import DEFAULT_MARKET, LiqcascadeError, Result, load, open_series
from .metrics import (compute_metrics, format_market_table, format_table, market_metrics,
                      metrics_wide, paired_differences, to_csv)

__all__ = ["DEFAULT_MARKET", "LiqcascadeError", "Result", "load", "open_series",
           "compute_metrics", "metrics_wide", "format_table", "market_metrics",
           "format_market_table", "paired_differences", "to_csv"]
__version__ = "0.2.0"

"""liqcascade analysis: load result files (HDF5 schema v1) into pandas with units,
compute per-point risk metrics with confidence intervals, draw the standard figures
and write an HTML report (``python -m liqcascade.report OUT.h5 -o report/``).

Definitions of every metric: docs/analysis.md.
"""
from .io import LiqcascadeError, Result, load
from .metrics import compute_metrics, format_table, metrics_wide

__all__ = ["LiqcascadeError", "Result", "load", "compute_metrics", "metrics_wide",
           "format_table"]
__version__ = "0.1.0"

"""Median and 5-95% bands of the headline outcomes of each sweep point, the form in
which docs/validation.md compares the historical scenarios with reported figures.

    PYTHONPATH=analysis /usr/bin/python3 -m liqcascade.bands OUT.h5

Per point: the market's max drawdown (fraction), the liquidated notional (long +
short, quote) and the long share of it (runs with no liquidation left out), each as
the type-1 quantiles at 0.05, 0.50 and 0.95 of docs/analysis.md.
"""
from __future__ import annotations

import sys

import numpy as np

from . import stats
from .io import LiqcascadeError, load

LEVELS = (0.05, 0.50, 0.95)


def bands(path: str) -> list[dict]:
    """One dict per point: point, n and (q05, q50, q95) of drawdown, liquidated
    notional and long share."""
    r = load(path)
    out = []
    for point in r.points["point"].to_numpy():
        runs = r.runs.iloc[r.point_rows(int(point))]
        long_ = runs["liq_notional_long"].to_numpy(dtype=np.float64)
        total = long_ + runs["liq_notional_short"].to_numpy(dtype=np.float64)
        share = long_[total > 0] / total[total > 0]
        row = {"point": int(point), "n": len(runs)}
        for name, x in (("max_drawdown", runs["max_drawdown"].to_numpy(dtype=np.float64)),
                        ("liq_notional", total), ("long_share", share)):
            row[name] = tuple(stats.quantiles(x, LEVELS)) if len(x) else (np.nan,) * 3
        out.append(row)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 -m liqcascade.bands OUT.h5", file=sys.stderr)
        return 2
    try:
        rows = bands(argv[0])
    except LiqcascadeError as e:
        print(f"liqcascade.bands: {e}", file=sys.stderr)
        return 1
    print(f"{'point':>5} {'runs':>5}  {'max drawdown % (5/50/95)':>26}  "
          f"{'liquidated $B (5/50/95)':>25}  {'long share % (5/50/95)':>24}")
    for r in rows:
        dd = "/".join(f"{100 * v:.1f}" for v in r["max_drawdown"])
        liq = "/".join(f"{v / 1e9:.2f}" for v in r["liq_notional"])
        ls = "/".join(f"{100 * v:.0f}" for v in r["long_share"])
        print(f"{r['point']:>5} {r['n']:>5}  {dd:>26}  {liq:>25}  {ls:>24}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

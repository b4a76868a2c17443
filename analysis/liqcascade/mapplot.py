"""``python -m liqcascade.mapplot DIR``: the figures of ``liqcascade map``.

Reads ``DIR/liquidation_map.csv`` and ``DIR/cascade_map.csv`` (written by the C
command; columns in docs/analysis.md, "The liquidation map") and writes

* ``liquidation_map.png`` -- per market, the notional at each liquidation price level
  (longs below the mark, shorts above, as CoinGlass draws them), with the cumulative
  notional a move to that price would liquidate: the report's liquidation map
  (:func:`plots.levels_figure`), drawn from the C command's bins;
* ``amplification.png`` -- the cascade-aware map: the price move at the end against the
  exogenous shock (the diagonal is "no cascade"), the liquidated notional on a second
  axis, and the critical shock marked.

Exit status: 0 ok; 1 a file is missing or malformed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")  # headless

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .plots import levels_figure  # noqa: E402
from .population import Levels  # noqa: E402

def levels_from_csv(lm: pd.DataFrame) -> tuple[list[Levels], list[tuple[float, float]]]:
    """The bins of liquidation_map.csv as :class:`population.Levels` (one entry per
    bin, at its middle, with its accounts) per market, and each market's price range;
    s0 is the middle of the range (the map is centred on it)."""
    levels, ranges = [], []
    for m in dict.fromkeys(lm["market"]):
        d = lm[lm["market"] == m]
        lo, hi = float(d["price_lo"].min()), float(d["price_hi"].max())
        levels.append(Levels(str(m), 0.5 * (lo + hi),
                             (0.5 * (d["price_lo"] + d["price_hi"])).to_numpy(np.float64),
                             d["notional"].to_numpy(np.float64),
                             np.where(d["side"] == "long", 1, -1),
                             0, d["accounts"].to_numpy(np.int64)))
        ranges.append((lo, hi))
    return levels, ranges


def amplification_figure(cm: pd.DataFrame, s0: float, runaway: float = 2.0) -> Figure:
    """The cascade-aware map from a frame with the columns of cascade_map.csv."""
    fig = Figure(figsize=(9, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    shock = 100 * cm["shock"].to_numpy()
    move = 100 * (cm["price_end"].to_numpy() / s0 - 1)
    ax.plot(shock, move, "o-", color="#2c3e50", ms=3, label="price move at the end")
    ax.plot(shock, shock, color="grey", lw=1, ls=":", label="no cascade (move = shock)")
    amp = cm["amplification"].to_numpy(dtype=float)
    crit = cm[(amp >= runaway)]
    for sign in (-1, 1):
        side = crit[np.sign(crit["shock"]) == sign]
        if len(side):
            x = side.loc[side["shock"].abs().idxmin(), "shock"]
            ax.axvline(100 * x, color="#8e44ad", lw=1, ls="--",
                       label=f"critical shock {100 * x:+.2f}% (amplification >= {runaway:g})")
    ax.set_xlabel("exogenous shock (%)")
    ax.set_ylabel("price move once the cascade has run (%)")
    liq = ax.twinx()
    liquidated = cm["liq_notional_long"] + cm["liq_notional_short"]
    if "cdp_repaid" in cm:  # what the lending CDPs' liquidations repaid
        liquidated = liquidated + cm["cdp_repaid"]
    liq.bar(shock, liquidated,
            width=0.6 * (np.diff(shock).mean() if len(shock) > 1 else 1), color="#e67e22",
            alpha=0.35, label="liquidated notional (perpetuals + CDP debt repaid)")
    liq.set_ylabel("liquidated (quote)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = liq.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="best", fontsize=8)
    ax.set_title("cascade-aware map: what each shock does once liquidations have run")
    fig.tight_layout()
    return fig


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m liqcascade.mapplot",
                                 description="figures of `liqcascade map`")
    ap.add_argument("dir", type=Path)
    ap.add_argument("--runaway", type=float, default=2.0)
    ap.add_argument("--dpi", type=int, default=100)
    a = ap.parse_args(argv)
    try:
        lm = pd.read_csv(a.dir / "liquidation_map.csv")
        cm = pd.read_csv(a.dir / "cascade_map.csv")
    except (OSError, pd.errors.ParserError) as e:
        print(f"liqcascade.mapplot: {e}", file=sys.stderr)
        return 1
    levels, ranges = levels_from_csv(lm)
    bins = max(1, len(lm) // (2 * len(levels)))  # the C map's own bins
    levels_figure(levels, bins=bins, price_range=ranges,
                  named=len(levels) > 1).savefig(a.dir / "liquidation_map.png", dpi=a.dpi)
    s0 = float((cm["fundamental"] / (1 + cm["shock"])).iloc[0])
    amplification_figure(cm, s0, a.runaway).savefig(a.dir / "amplification.png", dpi=a.dpi)
    print(f"figures: {a.dir / 'liquidation_map.png'}, {a.dir / 'amplification.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

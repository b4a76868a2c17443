"""What /population (``--population``) and /events (``--events``) tell about the
accounts: where their liquidation levels lie, and which of them the bad debt came
from.

* :func:`liquidation_levels` -- the liquidation map: notional ``|qty| × liq_price``
  (quote) of every isolated account at its liquidation price, per market and side.
  Accounts that span markets (cross and portfolio accounts, lending CDPs) have no
  one liquidation price (NaN ``liq_price``) and are left out, and counted.
* :func:`bad_debt_by_account` -- each account's shortfall and bad debt over the
  runs of a sweep point, and :func:`bad_debt_breakdown` the same grouped by
  leverage, maintenance tier (mmr) and side.

Bad debt per account. ``/events`` gives each liquidation's ``shortfall`` (the loss
beyond the account's collateral) and ``fee``, in settlement order; ``/runs`` gives
each run's ``bad_debt``, the part of the shortfalls the insurance fund could not
cover. The fund is replayed event by event as the venue settles (docs/models.md,
``lc_settle``): it starts at the point's ``venue.insurance_fund``, takes each fee,
and covers each shortfall while it lasts; what it cannot cover is that account's
bad debt. Where the replay gives the run's ``bad_debt`` (to 1e-9 relative, 1e-6
absolute) it is used; in the other runs (venue rules the replay does not model:
auto-deleveraging, the backstop vault, accounts that span markets ...) the run's
bad debt is shared among its liquidations in proportion to their shortfall, and
the runs of each kind are counted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import pandas as pd

from .io import LiqcascadeError, Result

#: event kinds whose fee and shortfall move the insurance fund: liquidations and
#: partial liquidations (docs/schema.md, /events)
FUND_KINDS = (1, 3)


def _need_population(result: Result) -> pd.DataFrame:
    pop = result.population
    if pop is None:
        raise LiqcascadeError(f"{result.path}: no /population (run with --population)")
    return pop


@dataclass
class Levels:
    """The liquidation levels of one market's isolated accounts: ``price``,
    ``notional`` (|qty| × liq_price, quote) and ``side`` (+1 long, −1 short) per
    account; ``s0`` the market's price at t = 0; ``left_out`` the accounts of the
    market with no liquidation price (they span markets)."""

    market: str
    s0: float
    price: np.ndarray
    notional: np.ndarray
    side: np.ndarray
    left_out: int
    #: accounts behind each entry (None: one each); binned levels, as the C
    #: ``liqcascade map`` writes them, carry their bins' counts
    accounts: Optional[np.ndarray] = None

    def count(self, side: int) -> int:
        """Accounts of a side (+1 long, −1 short)."""
        sel = self.side == side
        return int(self.accounts[sel].sum()) if self.accounts is not None else int(sel.sum())


def liquidation_levels(result: Result) -> list[Levels]:
    """The liquidation map's data, one :class:`Levels` per market (in /markets
    order). Raises LiqcascadeError without /population."""
    pop = _need_population(result)
    liq = pop["liq_price"].to_numpy(np.float64)
    qty = np.abs(pop["qty"].to_numpy(np.float64))
    side = pop["side"].to_numpy()
    market = pop["market"].to_numpy() if "market" in pop else np.zeros(len(pop), dtype=int)
    ok = np.isfinite(liq) & (liq > 0)
    out = []
    for m, name in enumerate(result.market_names):
        sel = market == m
        keep = sel & ok
        out.append(Levels(name, float(result.markets["s0"].iloc[m]), liq[keep],
                          qty[keep] * liq[keep], side[keep], int(np.count_nonzero(sel & ~ok))))
    return out


def point_setting(result: Result, point: int, key: str) -> Optional[float]:
    """The value of scenario ``key`` at sweep point ``point``: its /points column
    when the sweep varies it, else /scenario_resolved's (None when neither has it)."""
    if key in result.points:
        row = result.points.loc[result.points["point"] == point, key]
        return float(row.iloc[0]) if len(row) else None
    v = result.resolved.get(key)
    return None if v is None else float(v)


@dataclass
class Attribution:
    """:func:`bad_debt_by_account`'s answer: ``accounts`` (one row per account that
    was liquidated at the point: ``account``, ``liquidations``, ``shortfall`` and
    ``bad_debt`` summed over the runs), the number of runs of the point, and how the
    runs with bad debt were attributed: ``replayed`` (the fund's replay gave the
    run's bad debt), ``pro_rata`` (shared in proportion to shortfall) and
    ``unattributed`` (bad debt but no liquidation with a shortfall in /events)."""

    accounts: pd.DataFrame
    runs: int
    bad_debt: float
    replayed: int
    pro_rata: int
    unattributed: int


def bad_debt_by_account(result: Result, point: int = 0) -> Attribution:
    """Each account's shortfall and bad debt over the runs of ``point`` (see the
    module docstring for how bad debt is attributed). Needs /events; raises
    LiqcascadeError without them."""
    if not result.has_events:
        raise LiqcascadeError(f"{result.path}: no /events (run with --events)")
    ev = result.event_columns(["point", "run", "account", "kind", "fee", "shortfall"])
    ev = ev[(ev["point"] == point) & ev["kind"].isin(FUND_KINDS)].reset_index(drop=True)
    runs = result.runs.iloc[result.point_rows(point)]
    fund0 = point_setting(result, point, "venue.insurance_fund")
    fund0 = 0.0 if fund0 is None or not math.isfinite(fund0) else fund0
    # the fund after k events of a run is the Lindley recursion
    # F_k = max(F_{k-1} + fee_k − shortfall_k, 0) from F_0 = fund0 (a liquidation
    # with a shortfall pays no fee); what it could not cover up to event k is
    # R_k = max(0, −min_{i<=k}(fund0 + S_i)), S the running sum of fee − shortfall,
    # so event k's bad debt is R_k − R_{k−1}
    x = ev["fee"].to_numpy(np.float64) - ev["shortfall"].to_numpy(np.float64)
    key = ev["run"].to_numpy()
    s = pd.Series(x).groupby(key).cumsum().to_numpy() + fund0
    low = pd.Series(s).groupby(key).cummin().to_numpy()
    reach = np.maximum(0.0, -low)
    prev = pd.Series(reach).groupby(key).shift(1, fill_value=0.0).to_numpy()
    bad = reach - prev
    shortfall = ev["shortfall"].to_numpy(np.float64)
    replay = pd.Series(bad).groupby(key).sum()
    short = pd.Series(shortfall).groupby(key).sum()
    target = pd.Series(runs["bad_debt"].to_numpy(np.float64), index=runs["run"].to_numpy())
    replay = replay.reindex(target.index, fill_value=0.0)
    short = short.reindex(target.index, fill_value=0.0)
    close = np.abs(replay - target) <= 1e-9 * np.abs(target) + 1e-6
    with_debt = target > 0
    pro = with_debt & ~close & (short > 0)
    scale = pd.Series(np.where(pro, target / short.where(short > 0, 1.0), np.nan),
                      index=target.index)
    per_event_scale = scale.reindex(key).to_numpy()
    bad = np.where(np.isnan(per_event_scale), np.where(close.reindex(key).to_numpy(), bad, 0.0),
                   shortfall * per_event_scale)
    acc = pd.DataFrame({"account": ev["account"].to_numpy(), "shortfall": shortfall,
                        "bad_debt": bad})
    acc = acc[acc["account"] >= 0]
    table = acc.groupby("account").agg(liquidations=("shortfall", "size"),
                                       shortfall=("shortfall", "sum"),
                                       bad_debt=("bad_debt", "sum")).reset_index()
    return Attribution(table, len(runs), float(target.sum()),
                       int(np.count_nonzero(with_debt & close)), int(np.count_nonzero(pro)),
                       int(np.count_nonzero(with_debt & ~close & ~(short > 0))))


def leverage_groups(pop: pd.DataFrame) -> pd.Series:
    """Each account's leverage at entry, notional / collateral (|qty| × entry /
    collateral), as a label: the value (``10x``) when the population has at most 12
    distinct leverages (to 3 significant digits), else a band (``10–20x``);
    ``spans markets`` for an account with no one position (NaN liq_price)."""
    spans = ~np.isfinite(pop["liq_price"].to_numpy(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        lev = np.abs(pop["qty"].to_numpy(np.float64)) * pop["entry"].to_numpy(np.float64) \
            / pop["collateral"].to_numpy(np.float64)
    rounded = np.array([float(f"{v:.3g}") if np.isfinite(v) else np.nan for v in lev])
    distinct = np.unique(rounded[~spans & np.isfinite(rounded)])
    if distinct.size <= 12:
        labels = np.array([f"{v:g}x" if np.isfinite(v) else "?" for v in rounded], dtype=object)
    else:
        edges = [0, 2, 3, 5, 10, 20, 50, 100, 200, math.inf]
        names = [f"{a:g}–{b:g}x" if math.isfinite(b) else f"{a:g}x+" for a, b in
                 zip(edges[:-1], edges[1:])]
        idx = np.clip(np.searchsorted(edges, lev, side="right") - 1, 0, len(names) - 1)
        labels = np.array([names[i] for i in idx], dtype=object)
    labels[spans] = "spans markets"
    return pd.Series(labels, index=pop.index, name="leverage")


def _order(labels: pd.Series) -> list[str]:
    """Group labels in a reading order: by the number they start with, the
    non-numeric ones last."""
    def key(s: str) -> tuple[float, str]:
        head = s.split("–")[0].rstrip("x+%")
        try:
            return (float(head), s)
        except ValueError:
            return (math.inf, s)
    return sorted(set(labels), key=key)


def bad_debt_breakdown(result: Result, point: int = 0,
                       attribution: Optional[Attribution] = None) -> dict[str, pd.DataFrame]:
    """Bad debt of ``point`` by ``leverage`` (:func:`leverage_groups`), ``tier``
    (the account's maintenance-margin rate) and ``side``: for each, a DataFrame with
    one row per group and the columns ``group``, ``accounts`` (in the population),
    ``liquidated`` (of them, liquidated in at least one run), ``shortfall`` and
    ``bad_debt`` (per run, quote: the sums over the point's runs divided by their
    number) and ``share`` (of the bad debt; NaN when there is none). Needs /events
    and /population."""
    pop = _need_population(result)
    att = attribution or bad_debt_by_account(result, point)
    spans = ~np.isfinite(pop["liq_price"].to_numpy(np.float64))
    side = pop["side"].to_numpy()
    groups = {
        "leverage": leverage_groups(pop),
        "tier": pd.Series(np.where(spans, "spans markets",
                                   [f"mmr {100 * v:.4g}%" for v in pop["mmr"].to_numpy()]),
                          index=pop.index),
        "side": pd.Series(np.where(side > 0, "long", np.where(side < 0, "short", "CDP")),
                          index=pop.index),
    }
    acc = att.accounts.set_index("account")
    per = max(att.runs, 1)
    total = att.bad_debt
    out = {}
    for name, labels in groups.items():
        g = pd.DataFrame({"group": labels})
        g["liquidated"] = g.index.isin(acc.index)
        g["shortfall"] = acc["shortfall"].reindex(g.index, fill_value=0.0).to_numpy()
        g["bad_debt"] = acc["bad_debt"].reindex(g.index, fill_value=0.0).to_numpy()
        t = g.groupby("group").agg(accounts=("group", "size"), liquidated=("liquidated", "sum"),
                                   shortfall=("shortfall", "sum"), bad_debt=("bad_debt", "sum"))
        t = t.reindex(_order(labels))
        t["shortfall"] /= per
        t["bad_debt"] /= per
        t["share"] = t["bad_debt"] * per / total if total > 0 else math.nan
        out[name] = t.reset_index().rename(columns={"index": "group"})
    return out


def breakdown_available(result: Result) -> Union[bool, str]:
    """True when the file has what :func:`bad_debt_breakdown` needs, else the
    sentence saying which run flags give it."""
    missing = [f for f, ok in (("--events", result.has_events),
                               ("--population", result.population is not None)) if not ok]
    if not missing:
        return True
    return ("the bad-debt breakdown by leverage, tier and side needs /events and "
            "/population: run with " + " and ".join(missing))

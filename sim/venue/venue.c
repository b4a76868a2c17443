/* venue.c — closed forms and settlement (see venue.h for the formulas). */
#include "venue/venue.h"

#include <math.h>

double lc_liq_price_cum(int side, double q, double entry, double collateral, double mmr, double cum)
{
    return side > 0 ? (q * entry - collateral - cum) / (q * (1.0 - mmr))
                    : (q * entry + collateral + cum) / (q * (1.0 + mmr));
}

void lc_tiers_fill_cum(lc_tier *t, int n)
{
    for (int i = 0; i < n; i++)
        t[i].cum = i == 0 ? 0.0 : t[i - 1].cum + t[i - 1].up_to * (t[i].mmr - t[i - 1].mmr);
}

int lc_tier_at(const lc_tier *t, int n, double notional)
{
    for (int i = 0; i < n - 1; i++)
        if (notional <= t[i].up_to)
            return i;
    return n - 1;
}

double lc_maintenance(const lc_tier *t, int n, double notional)
{
    const lc_tier *k = &t[lc_tier_at(t, n, notional)];
    return notional * k->mmr - k->cum;
}

/* The root lies in the first tier whose upper end B is already on the safe
 * side of it: g(B) >= 0 for a long (g = equity − k·maintenance rises with M
 * while k·mmr < 1), g(B) <= 0 for a short (g falls). g is evaluated with the
 * tier's own (mmr, cum), which at B equals the next tier's by continuity.
 * Deciding by the sign of g at the boundaries, rather than by where each
 * tier's candidate root falls, picks exactly one tier even when rounding puts
 * a candidate a hair outside its range. With k = 1 every product by k is
 * exact, so lc_tier_liq_price is this function bit for bit. */
double lc_tier_level_price(int side, double q, double entry, double collateral, const lc_tier *t,
                           int n, double k, int *tier)
{
    int i = 0;
    for (; i < n - 1; i++) {
        double b = t[i].up_to / q; /* price at which the notional is up_to */
        double g = collateral + side * q * (b - entry) - k * (t[i].up_to * t[i].mmr - t[i].cum);
        if (side > 0 ? g >= 0 : g <= 0)
            break;
    }
    if (tier)
        *tier = i;
    return lc_liq_price_cum(side, q, entry, collateral, k * t[i].mmr, k * t[i].cum);
}

double lc_tier_liq_price(int side, double q, double entry, double collateral, const lc_tier *t,
                         int n, int *tier)
{
    return lc_tier_level_price(side, q, entry, collateral, t, n, 1.0, tier);
}

double lc_topup_amount(int side, double q, double entry, double collateral, double mark,
                       double target, const lc_tier *t, int n)
{
    double equity = collateral + side * q * (mark - entry);
    double add = lc_maintenance(t, n, q * mark) / target - equity;
    return add > 0 ? add : 0.0;
}

double lc_bankruptcy_price(int side, double q, double entry, double collateral)
{
    return side > 0 ? entry - collateral / q : entry + collateral / q;
}

const lc_named lc_adl_rankings[LC_ADL_NRANKINGS] = {
    [LC_ADL_PNL_LEVERAGE] = {"pnl_leverage",
                             "PnL% x effective leverage: (pnl/C) x (notional/equity) (BitMEX)"},
    [LC_ADL_BINANCE] = {"binance", "PnL% x margin ratio: (pnl/C) x (maintenance/equity)"},
    [LC_ADL_HYPERLIQUID] = {"hyperliquid",
                            "(mark/entry) x (notional/equity); entry/mark for shorts"},
    [LC_ADL_SIZE] = {"size", "notional at the mark"},
};

double lc_adl_score(lc_adl_ranking how, int side, double q, double entry, double collateral,
                    double mark, const lc_tier *t, int n)
{
    double pnl = side * q * (mark - entry), equity = collateral + pnl, notional = q * mark;
    if (!(equity > 0)) /* every ranking, size included: under water is last */
        return -INFINITY;
    switch (how) {
    case LC_ADL_PNL_LEVERAGE:
        return pnl / collateral * (notional / equity);
    case LC_ADL_BINANCE:
        return pnl / collateral * (lc_maintenance(t, n, notional) / equity);
    case LC_ADL_HYPERLIQUID:
        return (side > 0 ? mark / entry : entry / mark) * (notional / equity);
    default:
        return notional;
    }
}

const lc_named lc_partial_modes[LC_PARTIAL_NMODES] = {
    [LC_PARTIAL_NONE] = {"none", "a breached account is closed whole"},
    [LC_PARTIAL_FRACTION] = {"fraction", "close fraction x quantity per liquidation"},
    [LC_PARTIAL_TIER] = {"tier", "close down to the top of the next lower tier"},
};

double lc_partial_qty(lc_partial_mode mode, double fraction, const lc_tier *t, int n, int side,
                      double q, double entry, double collateral, double mark)
{
    if (mode == LC_PARTIAL_NONE || !(collateral + side * q * (mark - entry) > 0))
        return q;
    double d = q;
    if (mode == LC_PARTIAL_FRACTION)
        d = fraction * q;
    else {
        int k = lc_tier_at(t, n, q * mark);
        /* a position left at the top of tier k−1 by an earlier tier partial may
         * sit an ulp above it: that is tier k−1, not a sliver to close */
        if (k > 0 && q * mark - t[k - 1].up_to <= 1e-9 * t[k - 1].up_to)
            k--;
        if (k > 0)
            d = q - t[k - 1].up_to / mark;
    }
    return d > 0 && d < q ? d : q;
}

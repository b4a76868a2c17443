/* venue.h — isolated-margin perpetual futures: the closed forms and the
 * settlement of a liquidation (DESIGN §4). One function per idea: the engine,
 * the scan oracle, the writer and the tests all call these.
 *
 * Account: side s (+1 long, -1 short), quantity q > 0, entry E, collateral C.
 * At mark M:
 *   equity      = C + s·q·(M − E)
 *   maintenance = mmr·N − cum,   N = q·M (the current notional), where
 *                 (mmr, cum) are the rate and maintenance amount of the tier
 *                 whose range holds N (Binance's published form)
 *   breached   ⇔ equity <= maintenance ⇔ (long) M <= liq, (short) M >= liq
 *   liq price   long (qE − C − cum)/(q(1 − mmr)),  short (qE + C + cum)/(q(1 + mmr))
 *               with the tier whose range holds q·liq (see lc_tier_liq_price)
 *   bankruptcy  long E − C/q,                 short E + C/q   (equity = 0)
 *
 * Tiers: tier i holds notionals in (up_to[i−1], up_to[i]] (tier 0 from 0; the
 * last tier's rate also applies beyond its up_to). cum makes maintenance
 * continuous in N: cum_0 = 0, cum_i = cum_{i−1} + up_to_{i−1}·(mmr_i − mmr_{i−1}).
 * Because mmr < 1, equity − maintenance moves with M at slope q(1 − mmr) > 0
 * (long) or −q(1 + mmr) < 0 (short) in every tier: it is strictly monotone
 * and continuous, so the liquidation price is its one root. */
#ifndef LC_VENUE_H
#define LC_VENUE_H

typedef struct lc_tier {
    double up_to;        /* quote: upper end of the tier's notional range */
    double mmr;          /* maintenance-margin rate, fraction of notional */
    double max_leverage; /* cap on leverage at opening (by the entry notional) */
    double cum;          /* quote: maintenance amount, from continuity */
} lc_tier;

/* One tier's closed form (cum = 0: a flat rate). */
double lc_liq_price_cum(int side, double q, double entry, double collateral, double mmr,
                        double cum);
static inline double lc_liq_price(int side, double q, double entry, double collateral, double mmr)
{
    return lc_liq_price_cum(side, q, entry, collateral, mmr, 0.0);
}

/* The maintenance amounts that make maintenance continuous (fills t[i].cum). */
void lc_tiers_fill_cum(lc_tier *t, int n);

/* Tier whose range holds a notional: the first with notional <= up_to, the
 * last one beyond every up_to. */
int lc_tier_at(const lc_tier *t, int n, double notional);

/* Maintenance margin at a notional: notional·mmr − cum of its tier. */
double lc_maintenance(const lc_tier *t, int n, double notional);

/* Liquidation price under tiers by current notional; *tier (if not NULL)
 * receives the tier of the root. */
double lc_tier_liq_price(int side, double q, double entry, double collateral, const lc_tier *t,
                         int n, int *tier);
/* The price at which equity = k·maintenance (k > 0, k·mmr < 1 in every tier
 * for a long): the liquidation price for k = 1, the margin-call price for
 * k = 1/call (margin ratio maintenance/equity = call; see top-ups below). */
double lc_tier_level_price(int side, double q, double entry, double collateral, const lc_tier *t,
                           int n, double k, int *tier);
double lc_bankruptcy_price(int side, double q, double entry, double collateral);

/* Breach test against the precomputed liquidation price. */
static inline int lc_breached(int side, double liq_price, double mark)
{
    return side > 0 ? mark <= liq_price : mark >= liq_price;
}

/* The money of one liquidation, closed at execution price x.
 * Identity (checked by tests at every event):
 *   collateral + pnl = returned + fee − shortfall
 *   insurance_after  = insurance_before + fee − covered,  bad_debt = shortfall − covered */
typedef struct lc_settlement {
    double pnl;       /* realised: s·q·(x − E) */
    double fee;       /* fee actually paid: min(fee_rate·q·x, remaining equity) */
    double returned;  /* equity handed back to the account, >= 0 */
    double shortfall; /* loss beyond collateral, >= 0 */
    double covered;   /* part of the shortfall the insurance fund paid */
    double bad_debt;  /* part it could not pay */
} lc_settlement;

/* Settle a liquidation and update *insurance (never below 0). Inline: the
 * engine's settlement loop calls it once per liquidated account. */
static inline lc_settlement lc_settle(int side, double q, double entry, double collateral, double x,
                                      double fee_rate, double *insurance)
{
    lc_settlement s = {0};
    s.pnl = side * q * (x - entry);
    double equity = collateral + s.pnl;
    if (equity >= 0) {
        double fee = fee_rate * q * x;
        s.fee = fee < equity ? fee : equity;
        s.returned = equity - s.fee;
    } else {
        s.shortfall = -equity;
        s.covered = s.shortfall < *insurance ? s.shortfall : *insurance;
        s.bad_debt = s.shortfall - s.covered;
    }
    *insurance += s.fee - s.covered;
    return s;
}

/* ---- auto-deleveraging (ADL) ------------------------------------------------
 * When a liquidation's shortfall exceeds what the insurance fund holds, the
 * part of the position the fund cannot cover is not sent to the book: it is
 * closed at the account's bankruptcy price against open accounts of the
 * opposite side, taken in decreasing ADL score (ties: lower account index
 * first). Scores, at mark M, for an account of side s, quantity q, entry E,
 * collateral C (pnl = s·q·(M − E), equity = C + pnl, notional = q·M):
 *   pnl_leverage  (pnl/C) · (notional/equity)           BitMEX: PnL% × effective leverage
 *   binance       (pnl/C) · (maintenance/equity)        PnL% × margin ratio
 *   hyperliquid   (M/E)^s · (notional/equity)           (mark/entry for longs,
 *                                                        entry/mark for shorts)
 *   size          notional
 * An account with equity <= 0 at M scores -inf (last). */
typedef enum lc_adl_ranking {
    LC_ADL_PNL_LEVERAGE,
    LC_ADL_BINANCE,
    LC_ADL_HYPERLIQUID,
    LC_ADL_SIZE,
    LC_ADL_NRANKINGS
} lc_adl_ranking;

typedef struct lc_named {
    const char *name, *doc;
} lc_named;
extern const lc_named lc_adl_rankings[LC_ADL_NRANKINGS];

double lc_adl_score(lc_adl_ranking how, int side, double q, double entry, double collateral,
                    double mark, const lc_tier *t, int n);

/* ---- partial liquidation -------------------------------------------------------
 * A breached account need not be closed whole (venue.partial). At the mark M
 * it closes d of its quantity q:
 *   none       d = q
 *   fraction   d = fraction·q
 *   tier       d = q − up_to[k−1]/M: down to the top of the next lower tier
 *              (k = tier of the notional q·M; in tier 0, d = q)
 * and d = q whenever the account has no equity left at M (a part cannot
 * restore it) or d would leave nothing. The engine also closes the whole
 * rest of an account partly liquidated less than `cooldown` steps before.
 * A partial close at execution price X books its realised pnl s·d·(X − E) and
 * the fee min(fee_rate·d·X, max(0, equity at X)) to the account's collateral,
 * which stays with the rest of the position (isolated margin): equity is
 * unchanged but for the fee, while maintenance shrinks with the notional. */
typedef enum lc_partial_mode {
    LC_PARTIAL_NONE,
    LC_PARTIAL_FRACTION,
    LC_PARTIAL_TIER,
    LC_PARTIAL_NMODES
} lc_partial_mode;
extern const lc_named lc_partial_modes[LC_PARTIAL_NMODES];

double lc_partial_qty(lc_partial_mode mode, double fraction, const lc_tier *t, int n, int side,
                      double q, double entry, double collateral, double mark);

/* ---- margin top-ups ---------------------------------------------------------
 * Margin ratio = maintenance / equity at the mark (1: liquidation). An
 * account is called when its ratio reaches `call` (0 < call < 1), i.e. at the
 * call price lc_tier_level_price(.., 1/call, ..): long M <= call price, short
 * M >= call price (lc_breached with the call price). Its top-up brings the
 * ratio down to `target` (< call) at the mark M of the moment it lands:
 *   added = max(0, maintenance(q·M)/target − equity(M)). */
double lc_topup_amount(int side, double q, double entry, double collateral, double mark,
                       double target, const lc_tier *t, int n);

#endif

/* venue.h — isolated-margin perpetual futures: the closed forms and the
 * settlement of a liquidation (DESIGN §4). One function per idea: the engine,
 * the scan oracle, the writer and the tests all call these.
 *
 * Account: side s (+1 long, -1 short), quantity q > 0, entry E, collateral C,
 * maintenance rate mmr. At mark M:
 *   equity      = C + s·q·(M − E)
 *   maintenance = mmr·q·M
 *   breached   ⇔ equity <= maintenance ⇔ (long) M <= liq, (short) M >= liq
 *   liq price   long (qE − C)/(q(1 − mmr)),   short (qE + C)/(q(1 + mmr))
 *   bankruptcy  long E − C/q,                 short E + C/q   (equity = 0) */
#ifndef LC_VENUE_H
#define LC_VENUE_H

double lc_liq_price(int side, double q, double entry, double collateral, double mmr);
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

/* Settle a liquidation and update *insurance (never below 0). */
lc_settlement lc_settle(int side, double q, double entry, double collateral, double x,
                        double fee_rate, double *insurance);

#endif

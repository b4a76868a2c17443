/* spanning.h — the money of an account that spans markets (DESIGN §13):
 * cross and portfolio margin over several perpetual positions and
 * collateral in several assets, valued at the markets' marks.
 *
 * Positions (market m, side s, quantity q, entry E0) and balances (asset a,
 * amount b; a = LC_QUOTE is quote, priced 1) at marks M:
 *   equity       E = Σ_quote b + Σ_a b·M_a·rate_a + Σ s·q·(M_m − E0)
 *                    (rate_a = markets[a].collateral_rate ≤ 1, so this is
 *                    DESIGN's Σ min(b·M·rate, b·M) for portfolio margin)
 *   requirement  R = Σ maintenance of q·M_m by market m's tiers (venue.h)
 *   breached     ⇔ E ≤ θ·R,  θ = 1 (cross), venue.uni_mmr (portfolio)
 * With tiers from continuity, maintenance is convex piecewise linear, so
 * the slack S = E − θ·R is concave piecewise linear in the marks.
 *
 * The safety radius (the slack finder's, engine/slack.c): let every mark
 * move by a factor f_m = e^δ_m, |δ_m| <= ρ. In market m let
 *   net_m   = (Σ_long q − Σ_short q)·M_m + b_m·M_m·rate_m  (what E gains per
 *             unit of f − 1: positions and collateral in that asset net)
 *   gross_m = θ·mmr_max_m·Σ q·M_m  (mmr_max: the highest tier rate, which
 *             bounds the slope of maintenance, piecewise linear in q·M)
 * Then ΔS_m >= net_m·(f − 1) when f < 1 (maintenance falls) and
 * ΔS_m >= (net_m − gross_m)·(f − 1) when f > 1, so the loss in market m is
 * at most X_m·(e^ρ − 1) with X_m = max(net_m, gross_m − net_m) (>= 0) —
 * 1 − e^−ρ <= e^ρ − 1 covers the falls. With the exposure X = Σ_m X_m, S
 * stays > 0 while (e^ρ − 1)·X < S, i.e. for ρ < log1p(S/X). The radius is
 * 2u/(2 + u) with u = S/X, a lower bound of log1p(u) within 0.01% up to
 * u = 0.1, taken a little smaller still (LC_SPAN_RADIUS_*) so that rounding
 * can never let a breach pass. A hedge (a short perpetual against the same
 * asset held as collateral) so has a wide radius.
 *
 * One direction (lc_span_reach): split X by the direction that loses,
 *   fall = Σ_m max(net_m, 0)            (what falls can take: f < 1)
 *   rise = Σ_m max(gross_m − net_m, 0)  (what rises can take: f > 1).
 * Both are independent of the marks (net and gross are linear in M_m), so
 * they depend only on the legs. When rise = 0 (every market nets long
 * beyond its maintenance slope: a CDP whose debts are quote, a cross
 * account long only), no rise can lower S and the falls leave S >= S −
 * fall·(1 − e^−ρ) > 0 for ρ < −log1p(−S/fall), infinite when S >= fall:
 * for one collateral and a quote debt that is log(M/P_liq) with P_liq =
 * D/(C·lt), the closed form of its liquidation price, exactly (shrunk as
 * above). When fall = 0 (short only), only rises can, and ρ < log1p(S/rise).
 * The slack finder then measures only the moves that can hurt (slack.c). */
#ifndef LC_SPANNING_H
#define LC_SPANNING_H

#include "book/book.h"
#include "scenario/scenario.h"

/* The most legs of one account: a position per market, a balance per
 * market's asset and quote. */
#define LC_SPAN_MAX_LEGS LC_ACCOUNT_MAX_LEGS

/* One evaluation of an account at the marks (a lending CDP's: venue/cdp.c,
 * lc_cdp_evaluate). */
typedef struct lc_span_eval {
    double equity, requirement; /* E and R above, quote */
    double slack;               /* E − θ·R: breached when <= 0 */
    double exposure;            /* X above, quote */
    double fall, rise;          /* X by the direction that loses (above), quote */
} lc_span_eval;

/* The breach threshold θ of a margin model (lc_margin_kind). */
double lc_span_threshold(const lc_scenario *sc, int margin);

/* emode: a CDP in Aave's efficiency-mode category (cdp.h; 0 for the rest). */
lc_span_eval lc_span_evaluate(const lc_scenario *sc, int margin, int emode, const lc_position *pos,
                              int npos, const lc_balance *col, int ncol, const double *marks);

/* The radius in max_k |Δ log M_k| within which the evaluation's slack
 * cannot reach 0 (0 when it is breached or too close to tell). */
#define LC_SPAN_RADIUS_REL 1e-9 /* ρ is shrunk by this fraction ... */
#define LC_SPAN_RADIUS_ABS 1e-9 /* ... and this much */
double lc_span_radius(lc_span_eval e);

/* The moves that can breach an evaluated account: marks falling only,
 * rising only, or either. */
typedef enum { LC_REACH_EITHER, LC_REACH_FALLS, LC_REACH_RISES, LC_REACH_NDIRS } lc_reach_dir;
/* The radius within which no move of the marks in direction *dir (written)
 * can breach it: falls of at most ρ in every log mark (rises free), rises,
 * or either (lc_span_radius). 0 when breached; INFINITY when nothing can. */
double lc_span_reach(lc_span_eval e, lc_reach_dir *dir);

/* Spanning account i of pop: its positions and balances. */
static inline const lc_position *lc_span_positions(const lc_population *p, long i, int *n)
{
    long j = i - p->span0;
    *n = (int)(p->span_pos0[j + 1] - p->span_pos0[j]);
    return p->span_pos + p->span_pos0[j];
}
static inline const lc_balance *lc_span_balances(const lc_population *p, long i, int *n)
{
    long j = i - p->span0;
    *n = (int)(p->span_col0[j + 1] - p->span_col0[j]);
    return p->span_col + p->span_col0[j];
}

/* Spanning account i of the population evaluated at marks. */
lc_span_eval lc_span_evaluate_account(const lc_scenario *sc, const lc_population *p, long i,
                                      const double *marks);
/* ... as it stands in the run's book (its legs may have changed). */
lc_span_eval lc_span_evaluate_book(const lc_scenario *sc, const lc_book *b, long i,
                                   const double *marks);

#endif

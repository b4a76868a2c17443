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
 * The safety radius (the slack finder's, engine/cursor.c): if every mark
 * moves by a factor e^δ with |δ| ≤ ρ, each position's pnl falls by at most
 * q·M·(e^ρ − 1), its maintenance grows by at most mmr_max·q·M·(e^ρ − 1)
 * (mmr_max: the market's highest tier rate, the slope bound of the convex
 * maintenance) and each collateral's value falls by at most
 * b·M·rate·(1 − e^−ρ) ≤ b·M·rate·(e^ρ − 1). So with exposure
 *   X = Σ q·M·(1 + θ·mmr_max) + Σ_a b·M_a·rate_a
 * S stays > 0 while (e^ρ − 1)·X < S:  ρ = log1p(S / X), taken a little
 * smaller (LC_SPAN_RADIUS_*) so that rounding can never let a breach pass. */
#ifndef LC_SPANNING_H
#define LC_SPANNING_H

#include "book/book.h"
#include "scenario/scenario.h"

/* The most legs of one account: a position per market, a balance per
 * market's asset and quote. */
#define LC_SPAN_MAX_LEGS LC_ACCOUNT_MAX_LEGS

/* One evaluation of an account at the marks. */
typedef struct lc_span_eval {
    double equity, requirement; /* E and R above, quote */
    double slack;               /* E − θ·R: breached when <= 0 */
    double exposure;            /* X above, quote */
} lc_span_eval;

/* The breach threshold θ of a margin model (lc_margin_kind). */
double lc_span_threshold(const lc_scenario *sc, int margin);

lc_span_eval lc_span_evaluate(const lc_scenario *sc, int margin, const lc_position *pos, int npos,
                              const lc_balance *col, int ncol, const double *marks);

/* The radius in max_k |Δ log M_k| within which the evaluation's slack
 * cannot reach 0 (0 when it is breached or too close to tell). */
#define LC_SPAN_RADIUS_REL 1e-9 /* ρ is shrunk by this fraction ... */
#define LC_SPAN_RADIUS_ABS 1e-9 /* ... and this much */
double lc_span_radius(lc_span_eval e);

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

/* Spanning account i evaluated at marks. */
lc_span_eval lc_span_evaluate_account(const lc_scenario *sc, const lc_population *p, long i,
                                      const double *marks);

#endif

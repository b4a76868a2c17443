/* market.h — one market of a run: its fundamental, impact state, price and
 * mark (DESIGN §5, §12).
 *
 *   log P = log F + J,  J = J_perm + J_trans
 * Each step: log F += r (the price model's log-return plus the shock
 * overlay's increment); J_trans *= 2^(−dt/half_life); P = e^(log F + J); then
 * the mark oracle samples P once (models/model.h). In a cascade round the
 * market trades a net flow n (base; + = buy) through its impact model, which
 * returns dJ and the round's VWAP; dJ is split permanent/transient.
 *
 * Liquidity withdrawal (impact.withdrawal = w > 0; off by default): every
 * impact model's depth is scaled by
 *   m = 1/(1 + w·max(0, sigma_realised/sigma_ref − 1)),
 * which is the same as passing the model the flow n/m (depth_1pct, adv and
 * the pool's reserves all enter as flow/depth; the VWAP along the thinner
 * curve is the model's VWAP for n/m). sigma_realised² is an EWMA of the squared
 * step log-returns ρ_t = log P_t − log P_(t−1) of the market price (end of
 * step, after the cascade), v_t = λ·v_(t−1) + (1 − λ)·ρ_t²,
 * λ = 2^(−dt/vol_half_life), v_0 = sigma_ref²·dt (dt in years), so
 * sigma_realised/sigma_ref = sqrt(v/v_0). A step's cascade uses v of the step
 * before: liquidity providers react to the volatility they have seen. With
 * w = 0, m is 1 and n/m is n exactly.
 *
 * A run holds K markets (the scratch's array, LC_MAX_MARKETS in limits.h),
 * each with its own models and tiers (the scenario's lc_market_spec); their
 * price models' innovations come correlated from market/innovations.h. */
#ifndef LC_MARKET_H
#define LC_MARKET_H

#include "scenario/scenario.h"

typedef struct lc_market {
    const lc_scenario *sc;    /* the clock */
    const lc_market_spec *ms; /* its models and parameters */
    const lc_price_model *pm;
    const lc_impact_model *im;
    const lc_mark_model *mm;
    void *price_state, *impact_state, *mark_state;
    /* per run */
    double log_f, j_perm, j_trans, p;
    double f;          /* e^(log F) of this step, computed once */
    int mark_live;     /* the mark is p at every round (mark model `last`) */
    double mark;       /* the oracle's mark of this step (unused when live) */
    double depth;      /* liquidity withdrawal multiplier m of this step, 1 if off */
    double shock_prev; /* the overlay's cumulative log move at the last step */
    double log_p, var; /* withdrawal: last step's log P and EWMA variance */
    /* per scenario, from its keys */
    double decay, perm, withdrawal, vol_keep, var_ref;
} lc_market;

/* Allocate the model states of market k of sc (0 .. K−1). Returns 0 or -1. */
int lc_market_init(lc_market *m, const lc_scenario *sc, int k);
void lc_market_release(lc_market *m);

/* Start a run: P = F = s0, no impact, the mark at s0. */
void lc_market_start(lc_market *m);

/* Step t: the exogenous move (the price model's return from draws d, the
 * shock overlay's increment and, unless the model takes it itself, the
 * common-jump log move d->jump), decay of transient impact, P, and the mark's
 * sample. Returns the fundamental F = e^(log F). */
double lc_market_step(lc_market *m, long t, const lc_draws *d);

/* Trade net flow n_base (+ = buy) at the current price: sets *vwap and
 * moves J; P is not recomputed until lc_market_reprice, so what is settled
 * at the VWAP still sees the round's opening price as the mark. Returns 0,
 * or -1 when the move or the VWAP is not finite (e.g. a short squeeze
 * through a thin book: e^dJ overflows), leaving J unchanged. */
int lc_market_trade(lc_market *m, double n_base, double *vwap);
/* The VWAP a flow n_base would execute at now, alone, along the impact
 * curve (an agent's estimate before it trades: nothing moves). Returns 0, or
 * -1 when it is not finite. */
int lc_market_quote(const lc_market *m, double n_base, double *vwap);
/* P = e^(log F + J) after the round's trade; returns it. */
double lc_market_reprice(lc_market *m);

/* End of step: liquidity withdrawal's depth for the next step's cascade. */
void lc_market_end_step(lc_market *m);

/* The price margin checks use now. */
static inline double lc_market_mark(const lc_market *m)
{
    return m->mark_live ? m->p : m->mark;
}

#endif

/* liquidators.h — the agents who liquidate lending CDPs (DESIGN §14), not
 * magic: venue.liquidators {capacity, latency, gas, min_profit}.
 *
 * A breached CDP is liquidated only when a liquidator acts on it:
 *  - latency: it has been breached for `latency` steps (first seen breached
 *    at step t0, continuously since: acted on from step t0 + latency; 0:
 *    at once);
 *  - capacity: the liquidators together repay (Aave) or buy (Compound's
 *    storefront) at most `capacity` quote per step; a liquidation larger
 *    than what is left is cut to it (Aave repays part) or waits;
 *  - profit: it pays, after the slippage of selling what it receives along
 *    the market's impact curve at the round's opening price (its estimate:
 *    the round's other flows are unknown to it), the cost of what it repays
 *    and `gas` quote: proceeds − cost − gas > min_profit·cost.
 * One no liquidator takes waits (its protocol's rule leaves the item, the
 * account stays breached and closed until the next step). The rule has no
 * hooks of its own: the protocols' rules (aave.c, compound.c) call these
 * functions with the settings of its table; it keeps two words per account
 * (the step first seen breached, and the last). */
#ifndef LC_LIQUIDATORS_H
#define LC_LIQUIDATORS_H

#include "engine/run.h"

typedef struct lc_liquidators {
    double capacity, gas, min_profit; /* quote per step, quote, 1 */
    long latency;                     /* steps */
    int word0;                        /* its words in the book (rule.h) */
    long step;                        /* the step `left` is of */
    double left;                      /* capacity left in that step, quote */
} lc_liquidators;

/* The liquidators of sc's scenario (venue.liquidators). */
void lc_liquidators_init(lc_liquidators *lq, const lc_scenario *sc);

/* Whether a liquidator acts on breached account i now: its latency has
 * passed (this records the breach in its words; -1 on out of memory sets
 * r->oom and says no). */
int lc_liquidators_ready(lc_liquidators *lq, lc_run *r, long i);

/* Capacity left in this step (quote), and using some of it. */
double lc_liquidators_left(lc_liquidators *lq, const lc_run *r);
void lc_liquidators_use(lc_liquidators *lq, double quote);

/* The VWAP at which a trade of n_base (+ buy) in market m would execute now,
 * alone (the liquidator's estimate; nothing moves). */
double lc_liquidators_quote(const lc_run *r, int m, double n_base);

/* A liquidation too large for the book to pay is halved until one does, at
 * most this many tries (each protocol's sizing loop). */
#define LC_LIQUIDATOR_HALVINGS 12

/* Whether a liquidation pays: proceeds and cost in quote. */
static inline int lc_liquidators_pays(const lc_liquidators *lq, double proceeds, double cost)
{
    return proceeds - cost - lq->gas > lq->min_profit * cost;
}

#endif

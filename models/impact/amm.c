/* amm.c — a constant-product pool (x·y = k, Uniswap v2 style) takes the flow.
 *
 * Liquidity. `liquidity` is the pool's quote reserve when its price is s0.
 * The invariant k = x·y is fixed for the run, L = sqrt(k) = liquidity/sqrt(s0),
 * and arbitrageurs keep the pool at the market price between rounds (moving
 * along the same curve, which keeps k): a round starting at market price p0
 * meets reserves x = L/sqrt(p0) base and y = L·sqrt(p0) quote (spot y/x = p0).
 * So the pool's depth in quote falls with the price like sqrt(p0/s0), as a
 * real pool's does. Input fees are paid out of the pool after each round (to
 * its liquidity providers): k does not grow over a run.
 *
 * One round, fee f on the input, r = n/x (n base units, + = buy):
 * - sell (r < 0), u = −r, g = u·(1 − f): the pool takes u·x base (all of it
 *   stays in the pool, fee included) and pays y·g/(1 + g) quote, so
 *       vwap = p0·(1 − f)/(1 + g),   new spot = p0/((1 + u)(1 + g)),
 *       dJ = −log1p(u) − log1p(g).
 *   Check (DESIGN §3): 1,000 base × 2,000,000 quote, sell 10: no fee → receive
 *   19,801.98, vwap 1,980.20, spot 1,960.59; f = 0.3% → 19,743.16, 1,960.65.
 * - buy (0 < r <= max_take): the pool gives r·x base for y·r/((1 − r)(1 − f))
 *   quote (input before the fee), so
 *       vwap = p0/((1 − r)(1 − f)),   new spot = p0·(1 + r/((1 − r)(1 − f)))/(1 − r),
 *       dJ = log1p(r/((1 − r)(1 − f))) − log1p(−r).
 *   With f = 0 both sides are the one curve: spot p0/(1 − r)², vwap p0/(1 − r),
 *   dJ = −2·log1p(−r) for r of either sign; a buy followed by the sell of the
 *   same quantity returns to p0.
 * - a buy of more than max_take of the base reserve: the pool would have to
 *   give (nearly) all its base and the price would go to infinity. The pool
 *   sells only max_take·x; the rest of the flow is filled (by the venue's
 *   backstop) at the pool's resulting spot, so the move saturates at
 *   dJ(max_take) (with max_take 0.999 and no fee, a factor 10⁶ in one round)
 *   and vwap = p0·(c + (r − max_take)·e^dJ)/r, c = max_take/((1 − max_take)(1 − f))
 *   (the pool takes c·y quote). Prices stay finite; such a round means the pool
 *   was far too shallow for the population, which the price path shows.
 * Without a fee the vwap lies strictly between p0 and the new spot. With one,
 * the fee is part of the forced trader's execution price, so the vwap can lie
 * beyond the new spot (for a buy always; for a sell when u < f/(1 − f)).
 *
 * Reference: H. Adams, N. Zinsmeister, D. Robinson (2020), "Uniswap v2 Core"
 * (the constant-product rule with a fee on the input). */
#include "models/model.h"

#include <math.h>

enum { LIQUIDITY, FEE, MAX_TAKE };

static const lc_param amm_params[] = {
    [LIQUIDITY] = {"liquidity", "quote", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
                   "quote reserve of the pool at price s0 (sets k = liquidity²/s0)"},
    [FEE] = {"fee", "1", LC_REAL, 0.0, 0, 1, 0, 1,
             "fee on the input of each swap, kept by the pool during the swap"},
    [MAX_TAKE] = {"max_take", "1", LC_REAL, 0.999, 0, 1, 1, 1,
                  "largest fraction of the base reserve one round can buy; the rest "
                  "fills at the pool's end price"},
};

typedef struct amm_state {
    double sqrt_k; /* L = liquidity/sqrt(s0) */
} amm_state;

static void amm_init(void *state, const double *p, double s0, double dt_s)
{
    (void)dt_s;
    ((amm_state *)state)->sqrt_k = p[LIQUIDITY] / sqrt(s0);
}

static double amm_apply(void *state, const double *p, double n_base, double p0, double *vwap)
{
    double f = p[FEE];
    double r = n_base * sqrt(p0) / ((const amm_state *)state)->sqrt_k; /* n/x */
    if (r == 0.0) {
        *vwap = p0;
        return 0.0;
    }
    if (r < 0.0) {
        double u = -r, g = u * (1.0 - f);
        *vwap = p0 * (1.0 - f) / (1.0 + g);
        return -(log1p(u) + log1p(g));
    }
    double rc = fmin(r, p[MAX_TAKE]);
    double c = rc / ((1.0 - rc) * (1.0 - f)); /* the pool takes c·y quote */
    double dj = log1p(c) - log1p(-rc);
    *vwap = r == rc ? p0 / ((1.0 - r) * (1.0 - f)) : p0 * (c + (r - rc) * exp(dj)) / r;
    return dj;
}

const lc_impact_model lc_impact_amm = {
    .d = {"amm", "constant-product pool x·y = k, re-centred on the market price each round",
          amm_params, LC_COUNT(amm_params), NULL},
    .state_size = sizeof(amm_state),
    .init = amm_init,
    .apply = amm_apply,
};

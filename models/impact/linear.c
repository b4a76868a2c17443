/* linear.c — linear impact in log price.
 *
 * A signed quote notional Q (+ = buy), measured at the round's starting price
 * p0 (Q = n·p0 for n base units), moves log price by
 *     dJ = 0.01 · Q / depth_1pct,
 * so depth_1pct is the notional that moves the price 1% (DESIGN §3).
 * Along the curve the price after executing y of the n base units is
 * p0·exp(dJ·y/n); the volume-weighted average execution price is therefore
 *     vwap = (1/n)∫0^n p0·e^(dJ·y/n) dy = p0·(e^dJ − 1)/dJ = p0·expm1(dJ)/dJ,
 * which lies between p0 and the post-trade price p0·e^dJ. */
#include "models/model.h"

#include <math.h>

enum { DEPTH_1PCT };

static const lc_param linear_params[] = {
    [DEPTH_1PCT] = {"depth_1pct", "quote", LC_REAL, 5.0e7, 0, 1e300, 1, 0,
                    "notional that moves the price by 1%"},
};

/* vwap of a log-linear walk of size dJ from p0; shared by the curve models. */
static double loglinear_vwap(double p0, double dj)
{
    return dj == 0.0 ? p0 : p0 * expm1(dj) / dj;
}

static double linear_apply(void *state, const double *p, double n_base, double p0, double *vwap)
{
    (void)state;
    double dj = 0.01 * n_base * p0 / p[DEPTH_1PCT];
    *vwap = loglinear_vwap(p0, dj);
    return dj;
}

const lc_impact_model lc_impact_linear = {
    .d = {"linear", "log price moves 1% per depth_1pct of net forced notional", linear_params,
          LC_COUNT(linear_params), NULL},
    .state_size = 0,
    .init = NULL,
    .apply = linear_apply,
};

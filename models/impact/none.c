/* none.c — no price impact: forced flow executes at the market price and
 * leaves it unchanged. Switches the cascade feedback off, so liquidations
 * follow the exogenous path alone (the closed-form tests rely on this). */
#include "models/model.h"

static double none_apply(void *state, const double *p, double n_base, double p0, double *vwap)
{
    (void)state;
    (void)p;
    (void)n_base;
    *vwap = p0;
    return 0.0;
}

const lc_impact_model lc_impact_none = {
    .d = {"none", "no impact: liquidations execute at the market price", NULL, 0, NULL},
    .state_size = 0,
    .init = NULL,
    .apply = none_apply,
};

/* last.c — mark = the market price itself, re-read at every cascade round, so
 * a cascade runs to its end within one step (the behaviour before oracles). */
#include "models/model.h"

static double last_init(void *state, const double *p, double s0, double dt_s)
{
    (void)state, (void)p, (void)dt_s;
    return s0;
}

static double last_sample(void *state, const double *p, long t, double market)
{
    (void)state, (void)p, (void)t;
    return market;
}

const lc_mark_model lc_mark_last = {
    .d = {"last", "the market price itself at every cascade round, no delay", NULL, 0, NULL},
    .live = 1,
    .state_size = 0,
    .init = last_init,
    .sample = last_sample,
};

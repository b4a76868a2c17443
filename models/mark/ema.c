/* ema.c — an exponential moving average of the sampled market price.
 *
 *   mark_0 = s0,   mark_t = mark_{t−1} + a·(P_t − mark_{t−1}),   a = 1 − 2^(−dt/h)
 * so a sample's weight halves every h seconds (h = half_life). The average is
 * of the price, not of its logarithm, as venues that smooth their index do. */
#include "models/model.h"

#include <math.h>

enum { HALF_LIFE };

static const lc_param ema_params[] = {
    [HALF_LIFE] = {"half_life", "s", LC_REAL, 300, 0, 1e9, 1, 0,
                   "time for a sample's weight in the average to halve"},
};

typedef struct {
    double a, mark;
} ema_state;

static double ema_init(void *state, const double *p, double s0, double dt_s)
{
    ema_state *s = state;
    s->a = -expm1(-log(2.0) * dt_s / p[HALF_LIFE]); /* 1 − 2^(−dt/h), exact for small dt/h */
    s->mark = s0;
    return s0;
}

static double ema_sample(void *state, const double *p, long t, double market)
{
    (void)p, (void)t;
    ema_state *s = state;
    s->mark += s->a * (market - s->mark);
    return s->mark;
}

const lc_mark_model lc_mark_ema = {
    .d = {"ema", "exponential moving average of the market price sampled once per step", ema_params,
          LC_COUNT(ema_params), NULL},
    .live = 0,
    .state_size = sizeof(ema_state),
    .init = ema_init,
    .sample = ema_sample,
};

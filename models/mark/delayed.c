/* delayed.c — an oracle that reports the market price k steps late.
 *
 *   mark_t = P_{t−k}   (P_s: the market sampled at step s, P_0 = s0;
 *                       P_s = s0 for s < 0, before the run began)
 * k = 0 is the market sampled once per step: no delay, but the mark does not
 * follow the price through the step's cascade rounds. State: a ring of the
 * last k + 1 samples (k at most DELAY_MAX, so the state has a fixed size). */
#include "models/model.h"

#define DELAY_MAX 4096

enum { STEPS };

static const lc_param delayed_params[] = {
    [STEPS] = {"steps", "steps", LC_INT, 1, 0, DELAY_MAX, 0, 0,
               "delay k: the mark of step t is the market price sampled at step t - k"},
};

typedef struct {
    long k;
    double ring[DELAY_MAX + 1]; /* sample of step s at s mod (k + 1) */
} delayed_state;

static double delayed_init(void *state, const double *p, double s0, double dt_s)
{
    (void)dt_s;
    delayed_state *s = state;
    s->k = (long)p[STEPS];
    for (long i = 0; i <= s->k; i++)
        s->ring[i] = s0;
    return s0;
}

static double delayed_sample(void *state, const double *p, long t, double market)
{
    (void)p;
    delayed_state *s = state;
    long n = s->k + 1;
    s->ring[t % n] = market;
    return s->ring[(t + 1) % n]; /* = (t − k) mod n: written at step t − k */
}

const lc_mark_model lc_mark_delayed = {
    .d = {"delayed", "the market price sampled k steps earlier (s0 before the run)", delayed_params,
          LC_COUNT(delayed_params), NULL},
    .live = 0,
    .state_size = sizeof(delayed_state),
    .init = delayed_init,
    .sample = delayed_sample,
};

/* fixed.c — an exchange-rate oracle: the mark ignores the market.
 *
 *   mark_t = rate   if rate > 0,   else s0 (the market price at t = 0),
 * at every step, whatever the market samples are. This is how Aave prices
 * liquid-staking tokens against their underlying (wstETH/ETH at the
 * contract's redemption rate, not at a market price): a depeg of the market
 * then liquidates no one, while a market oracle (last, delayed, ema,
 * deviation) liquidates the accounts the depeg breaches. Not live: sampled
 * once per step like every oracle, though the sample is never read; the
 * mark at t = 0 is the rate too. */
#include "models/model.h"

enum { RATE };

static const lc_param fixed_params[] = {
    [RATE] = {"rate", "quote", LC_REAL, 0.0, 0, 1e300, 0, 0,
              "the mark, quote per base, at every step (0: the price at t = 0, price.s0)"},
};

typedef struct {
    double mark;
} fixed_state;

static double fixed_init(void *state, const double *p, double s0, double dt_s)
{
    (void)dt_s;
    fixed_state *s = state;
    s->mark = p[RATE] > 0 ? p[RATE] : s0;
    return s->mark;
}

static double fixed_sample(void *state, const double *p, long t, double market)
{
    (void)p, (void)t, (void)market;
    const fixed_state *s = state;
    return s->mark;
}

const lc_mark_model lc_mark_fixed = {
    .d = {"fixed",
          "a fixed exchange rate (rate, or s0), whatever the market does: Aave's oracle for "
          "liquid-staking tokens, under which a depeg liquidates no one (a market oracle does)",
          fixed_params, LC_COUNT(fixed_params), NULL},
    .live = 0,
    .state_size = sizeof(fixed_state),
    .init = fixed_init,
    .sample = fixed_sample,
};

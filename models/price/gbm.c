/* gbm.c — geometric Brownian motion.
 *
 *   dF/F = mu dt + sigma dW   ⇒   log-return over dt:
 *   r = (mu − sigma²/2)·dt + sigma·sqrt(dt)·Z,   Z ~ N(0, 1),
 * exact for any dt (no discretisation error). dt in years of 365 days, so
 * mu and sigma are annualised over 365 days. E[F_t] = F_0·exp(mu·t). */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>

enum { MU, SIGMA };

static const lc_param gbm_params[] = {
    [MU] = {"mu", "1/yr", LC_REAL, 0.0, -100, 100, 0, 0,
            "drift of the fundamental, annualised (E[F_t] = F_0·e^(mu·t))"},
    [SIGMA] = {"sigma", "1/sqrt(yr)", LC_REAL, 0.8, 0, 100, 0, 0,
               "volatility of log-returns, annualised over 365 days"},
};

typedef struct {
    double drift; /* (mu − sigma²/2)·dt per step */
    double vol;   /* sigma·sqrt(dt) per step */
} gbm_state;

static void gbm_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    (void)data;
    gbm_state *s = state;
    double dt = dt_s / LC_YEAR_S;
    s->drift = (p[MU] - 0.5 * p[SIGMA] * p[SIGMA]) * dt;
    s->vol = p[SIGMA] * sqrt(dt);
}

static double gbm_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)p;
    (void)t;
    const gbm_state *s = state;
    return s->drift + s->vol * lc_draw_z(d);
}

const lc_price_model lc_price_gbm = {
    .d = {"gbm", "geometric Brownian motion: lognormal prices, no jumps", gbm_params,
          LC_COUNT(gbm_params), NULL},
    .state_size = sizeof(gbm_state),
    .init = gbm_init,
    .step = gbm_step,
};

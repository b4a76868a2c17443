/* merton.c — Merton jump diffusion: GBM plus compound-Poisson jumps with
 * normally distributed log-jump sizes.
 *
 *   dF/F₋ = (mu − lambda·k) dt + sigma dW + (e^Y − 1) dN,
 *   N a Poisson process of rate lambda, Y ~ N(m, delta²), k = E[e^Y − 1] = e^(m + delta²/2) − 1,
 * so the log-return over a step of dt years is
 *   r = (mu − sigma²/2 − lambda·k)·dt + sigma·sqrt(dt)·Z + Σ_{i=1}^{N} Y_i,
 *   Z ~ N(0, 1),  N ~ Poisson(lambda·dt),  Y_i ~ N(m, delta²),
 * exact for any dt (no discretisation error). Given N = n the jump sum is
 * N(n·m, n·delta²), so it is drawn with one normal, not n.
 *
 * Convention: the drift is compensated, so mu keeps the meaning it has in gbm:
 * E[F_t] = F_0·e^(mu·t) whatever the jumps. Jumps with m < 0 therefore come
 * with a slightly higher drift between jumps (−lambda·k > 0), as in Merton's
 * model. lambda is in jumps per year; mu, sigma and lambda are annualised over
 * 365 days (dt in years of LC_YEAR_S). Cumulants of the log-return over t years:
 *   κ2 = (sigma² + lambda(m² + delta²))·t,  κ3 = lambda(m³ + 3m·delta²)·t,
 *   κ4 = lambda(m⁴ + 6m²delta² + 3delta⁴)·t
 * (tests/validation/test_price_models.c checks them and E[F_t]).
 *
 * Draws per step, in this order: Z; N (only if lambda > 0); one normal for the
 * jump sum (only if N > 0).
 *
 * Reference: R. C. Merton (1976), "Option pricing when underlying stock
 * returns are discontinuous", Journal of Financial Economics 3, 125–144. */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>

enum { MU, SIGMA, LAMBDA, JUMP_MEAN, JUMP_SIGMA };

static const lc_param merton_params[] = {
    [MU] = {"mu", "1/yr", LC_REAL, 0.0, -100, 100, 0, 0,
            "drift of the fundamental, jumps compensated (E[F_t] = F_0·e^(mu·t))"},
    [SIGMA] = {"sigma", "1/sqrt(yr)", LC_REAL, 0.8, 0, 100, 0, 0,
               "volatility of the diffusion part, annualised over 365 days"},
    [LAMBDA] = {"lambda", "1/yr", LC_REAL, 10.0, 0, 1e6, 0, 0,
                "jump intensity: expected jumps per year (0: gbm)"},
    [JUMP_MEAN] = {"jump_mean", "1", LC_REAL, -0.03, -5, 5, 0, 0,
                   "mean m of the log-jump size Y ~ N(m, jump_sigma²)"},
    [JUMP_SIGMA] = {"jump_sigma", "1", LC_REAL, 0.05, 0, 5, 0, 0,
                    "standard deviation of the log-jump size"},
};

typedef struct {
    double drift;     /* (mu − sigma²/2 − lambda·k)·dt per step */
    double vol;       /* sigma·sqrt(dt) */
    double jump_rate; /* lambda·dt: mean jumps per step */
} merton_state;

static void merton_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    (void)data;
    merton_state *s = state;
    double dt = dt_s / LC_YEAR_S;
    double m = p[JUMP_MEAN], delta = p[JUMP_SIGMA];
    double k = expm1(m + 0.5 * delta * delta); /* E[e^Y] − 1 */
    s->drift = (p[MU] - 0.5 * p[SIGMA] * p[SIGMA] - p[LAMBDA] * k) * dt;
    s->vol = p[SIGMA] * sqrt(dt);
    s->jump_rate = p[LAMBDA] * dt;
}

static double merton_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)t;
    const merton_state *s = state;
    /* the diffusion is the market's innovation; the model's own jumps are
     * independent of other markets (common jumps: market/innovations.h) */
    double r = s->drift + s->vol * lc_draw_z(d);
    if (s->jump_rate > 0) {
        unsigned n = lc_draw_jumps(d, s->jump_rate);
        if (n > 0) /* Σ of n iid N(m, delta²) is N(n·m, n·delta²) */
            r += n * p[JUMP_MEAN] +
                 p[JUMP_SIGMA] * sqrt((double)n) * gsl_ran_gaussian_ziggurat(d->rng, 1.0);
    }
    return r;
}

const lc_price_model lc_price_merton = {
    .d = {"merton", "Merton jump diffusion: gbm plus Poisson jumps with normal log-sizes",
          merton_params, LC_COUNT(merton_params), NULL},
    .state_size = sizeof(merton_state),
    .init = merton_init,
    .step = merton_step,
};

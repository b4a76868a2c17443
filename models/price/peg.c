/* peg.c — a pegged asset (a stablecoin, a liquid-staking token against its
 * underlying): the log price mean-reverts to log(peg), with depegs that
 * recover.
 *
 *   x_t = log P_t − log(peg) = y_t + j_t
 *
 * Diffusion: y is an Ornstein–Uhlenbeck process dy = −κ·y dt + sigma dW,
 * discretised exactly (no error at any dt):
 *   y_t = a·y_{t−1} + sigma·sqrt((1 − a²)/(2κ))·z_t,   z_t ~ N(0, 1),
 *   κ = ln 2/half_life,   a = e^(−κ·dt) = 2^(−dt/half_life),
 * dt and half_life in years of LC_YEAR_S (half_life is given in seconds),
 * sigma annualised (1/sqrt(yr)). Hence
 *   E[y_{t+s} | y_t] = a^s·y_t  (s steps),   Var[y_{t+s} | y_t] = sigma²(1 − a^(2s))/(2κ),
 * and the stationary law of y is N(0, sigma²/(2κ)).
 *
 * Depegs: N_t ~ Poisson(lambda·dt) per step (lambda = depeg_rate, per year),
 * each multiplying the price by (1 − D), D ~ U[depth_min, depth_max]; the
 * jump part decays towards 0 before the step's new jumps are added:
 *   j_t = b·j_{t−1} + Σ_{i=1}^{N_t} log(1 − D_i),   b = 2^(−dt/recovery_half_life).
 * With L = log(1 − D) and J_t = Σ L_i (compound Poisson: E[J] = lambda·dt·E[L],
 * Var[J] = lambda·dt·E[L²]), j_t = Σ_k b^k·J_{t−k} is stationary with
 *   E[j] = lambda·dt·E[L]/(1 − b),   Var[j] = lambda·dt·E[L²]/(1 − b²),
 * and for D ~ U[m, M], m < M (w = 1 − D; ∫ln w = w ln w − w, ∫ln²w = w(ln²w − 2 ln w + 2)):
 *   E[L]  = ((1 − m)ln(1 − m) − (1 − M)ln(1 − M))/(M − m) − 1,
 *   E[L²] = (F(1 − m) − F(1 − M))/(M − m),   F(w) = w(ln²w − 2 ln w + 2),
 * (m = M: ln(1 − m) and ln²(1 − m)). y and j are independent, so the
 * stationary mean of log(P/peg) is E[j] and its variance sigma²/(2κ) + Var[j].
 * These are of the discrete scheme (they depend on dt through b and lambda·dt);
 * as dt → 0 they tend to lambda·E[L]·τ and lambda·E[L²]·τ/2, τ = recovery_half_life/ln 2.
 *
 * Start: y_0 = log(s0/peg) (the price at t = 0 is price.s0, on the peg or
 * off it), j_0 = 0. step returns x_t − x_{t−1}, a log-return of the price.
 *
 * Draws per step, in this order: z (the market's innovation, lc_draw_z: the
 * one Gaussian the model takes); N_t from the model's stream (only if
 * depeg_rate > 0); one uniform per depeg for D. */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#include "base/error.h"

enum { PEG, HALF_LIFE, SIGMA, DEPEG_RATE, DEPTH_MIN, DEPTH_MAX, RECOVERY_HALF_LIFE };

static const lc_param peg_params[] = {
    [PEG] = {"peg", "quote", LC_REAL, 1.0, 0, 1e300, 1, 0,
             "the level the price reverts to (price.s0 may start off it)"},
    [HALF_LIFE] = {"half_life", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
                   "time for a deviation of the log price from log(peg) to halve on average "
                   "(kappa = ln 2/half_life)"},
    [SIGMA] = {"sigma", "1/sqrt(yr)", LC_REAL, 0.05, 0, 100, 0, 0,
               "volatility of the mean-reverting log price (stationary sd "
               "sigma/sqrt(2·kappa))"},
    [DEPEG_RATE] = {"depeg_rate", "1/yr", LC_REAL, 0.0, 0, 1e6, 0, 0,
                    "expected depegs per year (Poisson; 0: none)"},
    [DEPTH_MIN] = {"depth_min", "1", LC_REAL, 0.05, 0, 1, 0, 1,
                   "smallest depeg: the price is multiplied by 1 - depth, depth uniform in "
                   "[depth_min, depth_max]"},
    [DEPTH_MAX] = {"depth_max", "1", LC_REAL, 0.2, 0, 1, 0, 1, "largest depeg (< 1)"},
    [RECOVERY_HALF_LIFE] = {"recovery_half_life", "s", LC_REAL, 86400, 0, 1e300, 1, 0,
                            "time for what is left of the depegs' log move to halve"},
};

typedef struct {
    double y, j;      /* diffusion and jump parts of log(P/peg) */
    double am1;       /* a − 1 = expm1(−kappa·dt) */
    double vol;       /* sigma·sqrt((1 − a²)/(2·kappa)) */
    double bm1;       /* b − 1 */
    double jump_rate; /* depeg_rate·dt: mean depegs per step */
} peg_state;

static void peg_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)data;
    peg_state *s = state;
    double kappa = log(2.0) * LC_YEAR_S / p[HALF_LIFE]; /* 1/yr */
    double dt = dt_s / LC_YEAR_S;
    s->y = log(s0 / p[PEG]);
    s->j = 0;
    s->am1 = expm1(-kappa * dt);
    /* 1 − a² = −expm1(−2·kappa·dt): exact for small kappa·dt */
    s->vol = p[SIGMA] * sqrt(-expm1(-2 * kappa * dt) / (2 * kappa));
    s->bm1 = expm1(-log(2.0) * dt_s / p[RECOVERY_HALF_LIFE]);
    s->jump_rate = p[DEPEG_RATE] * dt;
}

static double peg_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)t;
    peg_state *s = state;
    double dy = s->am1 * s->y + s->vol * lc_draw_z(d); /* y_t − y_{t−1} */
    /* the decay, then the new depegs and the market's common jump, which
     * recovers like a depeg */
    double dj = s->bm1 * s->j + d->jump;
    if (s->jump_rate > 0) {
        unsigned n = lc_draw_jumps(d, s->jump_rate);
        for (unsigned i = 0; i < n; i++)
            dj += log1p(-gsl_ran_flat(d->rng, p[DEPTH_MIN], p[DEPTH_MAX]));
    }
    s->y += dy;
    s->j += dj;
    return dy + dj;
}

static int peg_check(const lc_choice *c, const char *where, lc_error *err)
{
    if (c->p[DEPTH_MIN] <= c->p[DEPTH_MAX])
        return 0;
    return lc_error_at(err, NULL, 0, where, "depth_min must be <= depth_max (got %g > %g)",
                       c->p[DEPTH_MIN], c->p[DEPTH_MAX]);
}

const lc_price_model lc_price_peg = {
    .d = {"peg", "mean reversion of the log price to a peg (exact OU), with recovering depegs",
          peg_params, LC_COUNT(peg_params), peg_check},
    .jumps = LC_JUMPS_OWN,
    .state_size = sizeof(peg_state),
    .init = peg_init,
    .step = peg_step,
};

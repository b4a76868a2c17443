/* heston.c — Heston stochastic variance, full-truncation Euler scheme.
 *
 *   dF/F = mu dt + sqrt(v) dW₁,
 *   dv   = kappa(theta − v) dt + xi·sqrt(v) dW₂,   d⟨W₁, W₂⟩ = rho dt.
 * Discretised with the full-truncation Euler scheme of Lord, Koekkoek & van
 * Dijk, which they found the least biased of the Euler fixes: with
 * v⁺ = max(v, 0) and dt in years,
 *   r      = (mu − v⁺/2)·dt + sqrt(v⁺·dt)·Z₁                 (the log-return)
 *   v_next = v + kappa(theta − v⁺)·dt + xi·sqrt(v⁺·dt)·Z₂,
 *   Z₂ = rho·Z₁ + sqrt(1 − rho²)·Z₃,   Z₁, Z₃ iid N(0, 1).
 * v itself may go below 0 (it is carried untruncated, as in the paper); only
 * v⁺ enters the drift, the diffusion and the return.
 *
 * Conventions: mu is the drift of the price (as in gbm, E[F_t] = F_0·e^(mu·t)
 * in the continuous model), so the log price has drift mu − v/2 and
 *   E[ln F_T] = ln F_0 + mu·T − ½(theta·T + (v0 − theta)(1 − e^(−kappa·T))/kappa).
 * v0 and theta are annualised variances (sigma² over 365 days: 0.64 is an
 * annual volatility of 0.8); kappa in 1/yr; xi in 1/yr (volatility of
 * variance). The CIR variance has E[v_T] = theta + (v0 − theta)e^(−kappa·T) and
 *   Var[v_T] = v0·xi²·e^(−kT)(1 − e^(−kT))/k + theta·xi²(1 − e^(−kT))²/(2k), k = kappa;
 * it stays positive when 2·kappa·theta >= xi² (Feller). The scheme's bias is
 * O(dt): at the simulator's usual steps (seconds to minutes) kappa·dt and
 * xi²·dt are below 1e-4.
 *
 * Draws per step, in this order: Z₁, Z₃ (ziggurat normals).
 * State layout (relied on by tests/validation/test_price_models.c): the first
 * member is v, the untruncated variance that the next step will use.
 *
 * References: S. L. Heston (1993), "A closed-form solution for options with
 * stochastic volatility with applications to bond and currency options",
 * Rev. Financial Studies 6, 327–343; R. Lord, R. Koekkoek & D. van Dijk (2010),
 * "A comparison of biased simulation schemes for stochastic volatility
 * models", Quantitative Finance 10(2), 177–194. */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>

enum { MU, V0, KAPPA, THETA, XI, RHO };

static const lc_param heston_params[] = {
    [MU] = {"mu", "1/yr", LC_REAL, 0.0, -100, 100, 0, 0,
            "drift of the fundamental, annualised (log drift mu − v/2)"},
    [V0] = {"v0", "1/yr", LC_REAL, 0.64, 0, 100, 0, 0,
            "variance at t = 0, annualised (0.64: volatility 0.8)"},
    [KAPPA] = {"kappa", "1/yr", LC_REAL, 4.0, 0, 1e4, 0, 0,
               "speed of mean reversion of the variance"},
    [THETA] = {"theta", "1/yr", LC_REAL, 0.64, 0, 100, 0, 0, "long-run variance, annualised"},
    [XI] = {"xi", "1/yr", LC_REAL, 1.0, 0, 100, 0, 0,
            "volatility of variance (v stays > 0 if 2·kappa·theta >= xi²)"},
    [RHO] = {"rho", "1", LC_REAL, -0.3, -1, 1, 0, 0, "correlation of price and variance shocks"},
};

typedef struct {
    double v;       /* variance for the next step (untruncated); keep first */
    double mu_dt;   /* mu·dt */
    double dt;      /* step in years */
    double sqrt_dt; /* sqrt(dt) */
    double rho_c;   /* sqrt(1 − rho²) */
} heston_state;

static void heston_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    (void)data;
    heston_state *s = state;
    s->v = p[V0];
    s->dt = dt_s / LC_YEAR_S;
    s->mu_dt = p[MU] * s->dt;
    s->sqrt_dt = sqrt(s->dt);
    s->rho_c = sqrt(1.0 - p[RHO] * p[RHO]);
}

static double heston_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)t;
    heston_state *s = state;
    /* the price's shock is the market's innovation; the variance's
     * independent part is the model's own */
    double z1 = lc_draw_z(d);
    double z3 = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
    double z2 = p[RHO] * z1 + s->rho_c * z3;
    double vp = s->v > 0 ? s->v : 0.0;
    double sd = sqrt(vp) * s->sqrt_dt; /* sqrt(v⁺·dt) */
    double r = s->mu_dt - 0.5 * vp * s->dt + sd * z1;
    s->v += p[KAPPA] * (p[THETA] - vp) * s->dt + p[XI] * sd * z2;
    return r;
}

const lc_price_model lc_price_heston = {
    .d = {"heston", "Heston stochastic variance (full-truncation Euler)", heston_params,
          LC_COUNT(heston_params), NULL},
    .state_size = sizeof(heston_state),
    .init = heston_init,
    .step = heston_step,
};

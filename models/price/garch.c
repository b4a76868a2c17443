/* garch.c — GARCH(1,1) on per-step log-returns with Student-t innovations.
 *
 *   r_t = mu·dt + ε_t,   ε_t = sqrt(h_t)·z_t,
 *   h_{t+1} = omega + alpha·ε_t² + beta·h_t,
 *   z_t = T_nu·sqrt((nu − 2)/nu),  T_nu ~ Student-t with nu degrees of freedom,
 * so the z_t are iid with mean 0 and unit variance, and h_t is the variance of
 * step t's return given the past. Stationary (finite unconditional variance)
 * iff alpha + beta < 1, which the scenario check enforces; then
 *   E[ε²] = omega/(1 − alpha − beta),
 *   kurtosis K = κz(1 − (alpha+beta)²)/(1 − (alpha+beta)² − (κz − 1)alpha²),
 *   κz = E[z⁴] = 3(nu − 2)/(nu − 4) for nu > 4 (3 in the Gaussian limit),
 * finite when the denominator is > 0 (Bollerslev 1986; He & Teräsvirta 1999).
 *
 * Conventions:
 * - omega and h0 are PER-STEP variances of the log-return (dimensionless), so
 *   the same omega means a different annual volatility at a different dt. To
 *   target an annualised volatility sigma: omega = sigma²·(dt/yr)·(1 − alpha − beta);
 *   e.g. sigma 0.8, dt 60 s, alpha 0.1, beta 0.85: omega ≈ 6.09e-8.
 * - h0 = 0 (the default) starts at the unconditional variance
 *   omega/(1 − alpha − beta); h0 > 0 is the variance of step 1.
 * - mu is the drift of the LOG price: E[ln F_t] = ln F_0 + mu·t (t in years of
 *   365 days). No −h/2 correction as in gbm: with Student-t innovations
 *   E[e^ε] is infinite, so no drift can make E[F_t] = F_0·e^(mu·t).
 * - nu must be > 2 (finite variance). There is no separate Gaussian switch:
 *   large nu is Gaussian in practice (the excess kurtosis of z is 6/(nu − 4),
 *   below 0.006 for nu >= 1000), and nu up to 1e6 is accepted.
 *
 * Draws per step: T_nu = Z/sqrt(V/nu), Z ~ N(0, 1) by GSL's ziggurat and
 * V ~ chi²_nu = Gamma(nu/2, scale 2) by GSL's Marsaglia–Tsang method, which is
 * Student's definition of t (independent Z and V); a varying number of
 * uniforms, still a fixed function of the stream. It costs 60 ns against
 * 137 ns for gsl_ran_tdist (Marsaglia's rejection, used until 2026-12-01;
 * docs/validation.md says what changed).
 *
 * References: T. Bollerslev (1986), "Generalized autoregressive conditional
 * heteroskedasticity", J. Econometrics 31, 307–327; T. Bollerslev (1987), "A
 * conditionally heteroskedastic time series model for speculative prices and
 * rates of return", Rev. Econ. Stat. 69, 542–547 (Student-t innovations);
 * C. He & T. Teräsvirta (1999), "Properties of moments of a family of GARCH
 * processes", J. Econometrics 92, 173–192 (the kurtosis). */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#include "base/error.h"

enum { MU, OMEGA, ALPHA, BETA, NU, H0 };

static const lc_param garch_params[] = {
    [MU] = {"mu", "1/yr", LC_REAL, 0.0, -100, 100, 0, 0,
            "drift of the log price, annualised (E[ln F_t] = ln F_0 + mu·t)"},
    [OMEGA] = {"omega", "1", LC_REAL, LC_REQUIRED, 0, 1, 1, 0,
               "constant of the variance recursion, a per-step variance "
               "(omega = sigma²·dt/yr·(1 − alpha − beta) targets annual vol sigma)"},
    [ALPHA] = {"alpha", "1", LC_REAL, 0.1, 0, 1, 0, 1,
               "weight of the last squared shock in the next step's variance"},
    [BETA] = {"beta", "1", LC_REAL, 0.85, 0, 1, 0, 1,
              "weight of the last variance (alpha + beta < 1: persistence)"},
    [NU] = {"nu", "1", LC_REAL, 6.0, 2, 1e6, 1, 0,
            "degrees of freedom of the Student-t innovations (>= 1000: Gaussian in practice)"},
    [H0] = {"h0", "1", LC_REAL, 0.0, 0, 1, 0, 0,
            "variance of the first step's return, per step (0: omega/(1 − alpha − beta))"},
};

typedef struct {
    double h;       /* variance of the next step's return */
    double drift;   /* mu·dt */
    double t_scale; /* sqrt((nu − 2)/nu): Student-t to unit variance */
} garch_state;

static void garch_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    (void)data;
    garch_state *s = state;
    s->h = p[H0] > 0 ? p[H0] : p[OMEGA] / (1.0 - p[ALPHA] - p[BETA]);
    s->drift = p[MU] * dt_s / LC_YEAR_S;
    s->t_scale = sqrt((p[NU] - 2.0) / p[NU]);
}

/* A Student-t draw with nu degrees of freedom (nu > 2): the market's
 * innovation z over an independent chi-square of the model's own stream, so
 * GARCH markets are correlated through z. */
static double student_t(const lc_draws *d, double nu)
{
    double z = lc_draw_z(d);
    return z / sqrt(gsl_ran_gamma(d->rng, 0.5 * nu, 2.0) / nu);
}

static double garch_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)t;
    garch_state *s = state;
    double eps = sqrt(s->h) * s->t_scale * student_t(d, p[NU]);
    s->h = p[OMEGA] + p[ALPHA] * eps * eps + p[BETA] * s->h;
    return s->drift + eps;
}

static int garch_check(const lc_choice *c, const char *where, lc_error *err)
{
    double a = c->p[ALPHA], b = c->p[BETA];
    if (a + b < 1.0)
        return 0;
    return lc_error_at(err, NULL, 0, where,
                       "alpha + beta must be < 1 for a stationary variance "
                       "(got %g + %g = %g)",
                       a, b, a + b);
}

const lc_price_model lc_price_garch = {
    .d = {"garch", "GARCH(1,1) volatility clustering with Student-t innovations", garch_params,
          LC_COUNT(garch_params), garch_check},
    .state_size = sizeof(garch_state),
    .init = garch_init,
    .step = garch_step,
};

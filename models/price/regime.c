/* regime.c — two-state Markov-switching volatility.
 *
 * A hidden regime s ∈ {1, 2} follows a continuous-time Markov chain with
 * rates rate_12 (1 → 2) and rate_21 (2 → 1) per year. Within a step the regime
 * is fixed and the fundamental is a gbm with that regime's parameters:
 *   r = (mu_s − sigma_s²/2)·dt + sigma_s·sqrt(dt)·Z,   Z ~ N(0, 1),
 * so while in regime s, E[F] grows at rate mu_s.
 *
 * Switching: the regime of step t+1 is drawn from that of step t with the
 * chain's exact transition probabilities over dt (the matrix exponential
 * e^(Q·dt) of the generator Q), with q = rate_12 + rate_21:
 *   P(1 → 2) = rate_12/q·(1 − e^(−q·dt)),   P(2 → 1) = rate_21/q·(1 − e^(−q·dt)).
 * For q·dt ≪ 1 these equal 1 − e^(−rate·dt) to first order (the probability
 * that the regime's exponential holding time ends within the step); unlike that
 * approximation, they keep the stationary distribution exactly
 *   π₁ = rate_21/q,   π₂ = rate_12/q
 * at any dt, and the step regimes are the continuous chain seen at the steps.
 * Mean holding times: 1/rate_12 years in regime 1, 1/rate_21 in regime 2.
 *
 * Start: `start` = 0 (the default) draws the regime of step 1 from π at the
 * first step, so every step's regime has law π (the chain is stationary from
 * the start); start = 1 or 2 puts step 1 in that regime. start = 0 needs
 * rate_12 + rate_21 > 0 (else π is not defined), which the check enforces.
 *
 * Draws per step, in this order: one uniform (the step-1 draw from π, or the
 * switch; drawn even when start fixes step 1 and unused then) and one normal.
 * The stream layout thus does not depend on the parameter values: a sweep over
 * sigma_1 sees the same regime path in every run (common random numbers).
 *
 * Reference: J. D. Hamilton (1989), "A new approach to the economic analysis
 * of nonstationary time series and the business cycle", Econometrica 57(2),
 * 357–384 (Markov switching); the transition probabilities are the
 * two-state matrix exponential, e.g. J. R. Norris (1997), Markov Chains, §2. */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#include "base/error.h"

enum { MU_1, SIGMA_1, MU_2, SIGMA_2, RATE_12, RATE_21, START };

static const lc_param regime_params[] = {
    [MU_1] = {"mu_1", "1/yr", LC_REAL, 0.0, -100, 100, 0, 0,
              "drift of the fundamental in regime 1"},
    [SIGMA_1] = {"sigma_1", "1/sqrt(yr)", LC_REAL, 0.5, 0, 100, 0, 0,
                 "volatility in regime 1 (calm), annualised over 365 days"},
    [MU_2] = {"mu_2", "1/yr", LC_REAL, 0.0, -100, 100, 0, 0,
              "drift of the fundamental in regime 2"},
    [SIGMA_2] = {"sigma_2", "1/sqrt(yr)", LC_REAL, 1.5, 0, 100, 0, 0,
                 "volatility in regime 2 (turbulent), annualised over 365 days"},
    [RATE_12] = {"rate_12", "1/yr", LC_REAL, 12.0, 0, 1e6, 0, 0,
                 "switching rate from regime 1 to 2 (mean time in 1: 1/rate_12)"},
    [RATE_21] = {"rate_21", "1/yr", LC_REAL, 52.0, 0, 1e6, 0, 0,
                 "switching rate from regime 2 to 1 (mean time in 2: 1/rate_21)"},
    [START] = {"start", "1", LC_INT, 0, 0, 2, 0, 0,
               "regime of the first step: 1, 2, or 0 to draw it from the stationary law"},
};

typedef struct {
    int regime;      /* regime of the last step (1, 2); 0: not drawn yet */
    double pi1;      /* stationary probability of regime 1 */
    double leave[2]; /* probability of switching over one step, from 1 and from 2 */
    double drift[2]; /* (mu_s − sigma_s²/2)·dt */
    double vol[2];   /* sigma_s·sqrt(dt) */
} regime_state;

static void regime_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    (void)data;
    regime_state *s = state;
    double dt = dt_s / LC_YEAR_S;
    double q = p[RATE_12] + p[RATE_21];
    double moved = -expm1(-q * dt); /* 1 − e^(−q·dt) */
    s->regime = (int)p[START];
    s->pi1 = q > 0 ? p[RATE_21] / q : 1.0;
    s->leave[0] = q > 0 ? p[RATE_12] / q * moved : 0.0;
    s->leave[1] = q > 0 ? p[RATE_21] / q * moved : 0.0;
    s->drift[0] = (p[MU_1] - 0.5 * p[SIGMA_1] * p[SIGMA_1]) * dt;
    s->drift[1] = (p[MU_2] - 0.5 * p[SIGMA_2] * p[SIGMA_2]) * dt;
    s->vol[0] = p[SIGMA_1] * sqrt(dt);
    s->vol[1] = p[SIGMA_2] * sqrt(dt);
}

static double regime_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)p;
    regime_state *s = state;
    /* the regime switches on the model's own stream; the shock within a
     * regime is the market's innovation */
    double u = gsl_rng_uniform(d->rng);
    if (s->regime == 0)
        s->regime = u < s->pi1 ? 1 : 2;
    else if (t > 1 && u < s->leave[s->regime - 1])
        s->regime = 3 - s->regime;
    int i = s->regime - 1;
    return s->drift[i] + s->vol[i] * lc_draw_z(d);
}

static int regime_check(const lc_choice *c, const char *where, lc_error *err)
{
    if (c->p[START] != 0 || c->p[RATE_12] + c->p[RATE_21] > 0)
        return 0;
    return lc_error_at(err, NULL, 0, where,
                       "start 0 draws the first regime from the stationary law, which needs "
                       "rate_12 + rate_21 > 0 (got both 0); set start to 1 or 2");
}

const lc_price_model lc_price_regime = {
    .d = {"regime", "two-state Markov-switching volatility (gbm within each regime)", regime_params,
          LC_COUNT(regime_params), regime_check},
    .state_size = sizeof(regime_state),
    .init = regime_init,
    .step = regime_step,
};

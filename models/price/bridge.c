/* bridge.c — Brownian bridge of the log price through pinned (time, price) points.
 *
 * The log price X_t = ln F_t is a Brownian motion with volatility sigma
 * conditioned to pass through X = ln(price_j) at t_j for each pin j. Between
 * the previous point (step k with value x) and the next pin (step K, value
 * L), the exact conditional law of the next step's value is Gaussian:
 *   X_{k+1} | X_k = x  ~  N(x + (L − x)/m,  sigma²·dt·(m − 1)/m),  m = K − k,
 * so the per-step increment is drawn from it, and at the pin (m = 1) the
 * increment is L − x with no draw. Marginally, between pins at a and b the
 * variance at t is sigma²·(t − a)(b − t)/(b − a) (years), zero at the pins.
 * The drift of the Brownian motion does not matter: conditioning on the end
 * points removes it.
 *
 * Conventions:
 * - pin_times (s) and pin_prices (quote) are parallel lists, times strictly
 *   increasing and > 0; each time must be a whole number of steps (a multiple
 *   of simulation.dt) no later than the last step, checked at load.
 * - Pins are hit exactly up to rounding: the model keeps the log price the
 *   engine keeps (ln s0 plus the returns, summed in the same order), so the
 *   return at a pin brings that sum to ln(price_j) with one rounding.
 * - After the last pin the path continues as GBM with mu = 0 (log drift
 *   −sigma²/2 per year, E[F] constant) and the same sigma.
 * - With a shock overlay the pins fix this base path (see shock.c).
 *
 * Draws: one Gaussian per step except at pins (a fixed function of the stream).
 * Reference: e.g. P. Glasserman (2004), Monte Carlo Methods in Financial
 * Engineering, §3.1.1 (Brownian bridge construction). */
#include "models/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"

enum { SIGMA, PIN_TIMES, PIN_PRICES };

static const lc_param bridge_params[] = {
    [SIGMA] = {"sigma", "1/sqrt(yr)", LC_REAL, 0.8, 0, 100, 0, 0,
               "volatility of log-returns, annualised over 365 days"},
    [PIN_TIMES] = {"pin_times", "s", LC_LIST, LC_REQUIRED, 0, 1e300, 1, 0,
                   "times the path is pinned at: increasing, each a multiple of simulation.dt"},
    [PIN_PRICES] = {"pin_prices", "quote", LC_LIST, LC_REQUIRED, 0, 1e300, 1, 0,
                    "price at each pin time (same length as pin_times)"},
};

/* Shared by every run: the pins in steps and log price, and ln s0. */
typedef struct bridge_data {
    int n;
    long step[LC_LIST_MAX];
    double log_price[LC_LIST_MAX];
    double log_s0;
} bridge_data;

typedef struct {
    const bridge_data *pins;
    double x;     /* ln s0 + the returns so far: the engine's log price */
    long k;       /* steps done */
    int next;     /* index of the next pin; pins->n after the last */
    double var;   /* sigma²·dt per step */
    double drift; /* −sigma²·dt/2: GBM with mu 0 after the last pin */
} bridge_state;

static int bridge_check(const lc_choice *c, const char *where, lc_error *err)
{
    const lc_list *t = &c->list[PIN_TIMES], *p = &c->list[PIN_PRICES];
    int rc = 0;
    if (t->n != p->n)
        rc = lc_error_at(err, NULL, 0, where,
                         "pin_times and pin_prices must have the same length (got %d and %d)", t->n,
                         p->n);
    for (int i = 1; i < t->n; i++)
        if (!(t->v[i] > t->v[i - 1]))
            rc = lc_error_at(err, NULL, 0, where,
                             "pin_times must increase (pin_times[%d] = %g after %g)", i, t->v[i],
                             t->v[i - 1]);
    return rc;
}

static int bridge_prepare(const lc_price_setup *su, void **data, lc_error *err)
{
    const lc_list *t = &su->c->list[PIN_TIMES], *p = &su->c->list[PIN_PRICES];
    int rc = 0;
    for (int i = 0; i < t->n; i++) {
        double k = round(t->v[i] / su->dt_s);
        const char *src = NULL;
        int line = 0;
        char key[64];
        snprintf(key, sizeof key, "%s.pin_times[%d]", su->where, i);
        if (fabs(k * su->dt_s - t->v[i]) > 1e-9 * t->v[i] || k < 1) {
            su->locate(su->ctx, PIN_TIMES, i, &src, &line);
            rc = lc_error_at(err, src, line, key,
                             "must be on a step boundary, a multiple of simulation.dt = %g s "
                             "(got %g)",
                             su->dt_s, t->v[i]);
        } else if (k > (double)su->steps) {
            su->locate(su->ctx, PIN_TIMES, i, &src, &line);
            rc = lc_error_at(err, src, line, key,
                             "is after the last step (%ld steps of %g s end at %g s; got %g)",
                             su->steps, su->dt_s, (double)su->steps * su->dt_s, t->v[i]);
        }
    }
    if (rc)
        return rc;
    bridge_data *d = malloc(sizeof *d);
    if (!d)
        return lc_error_add(err, "out of memory");
    d->n = t->n;
    d->log_s0 = log(su->s0);
    for (int i = 0; i < t->n; i++) {
        d->step[i] = lround(t->v[i] / su->dt_s);
        d->log_price[i] = log(p->v[i]);
    }
    *data = d;
    return 0;
}

static void bridge_release(void *data)
{
    free(data);
}

static void bridge_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    bridge_state *s = state;
    s->pins = data;
    s->x = s->pins->log_s0;
    s->k = 0;
    s->next = 0;
    s->var = p[SIGMA] * p[SIGMA] * dt_s / LC_YEAR_S;
    s->drift = -0.5 * s->var;
}

static double bridge_step(void *state, const double *p, long t, const lc_draws *dr)
{
    (void)p;
    (void)t;
    bridge_state *s = state;
    const bridge_data *d = s->pins;
    double r;
    if (s->next < d->n) {
        long m = d->step[s->next] - s->k; /* steps to the next pin, >= 1 */
        double gap = d->log_price[s->next] - s->x;
        if (m == 1) {
            r = gap;
            s->next++;
        } else {
            double mf = (double)m;
            r = gap / mf + sqrt(s->var * (mf - 1.0) / mf) * lc_draw_z(dr);
        }
    } else {
        r = s->drift + sqrt(s->var) * lc_draw_z(dr);
    }
    s->x += r;
    s->k++;
    return r;
}

const lc_price_model lc_price_bridge = {
    .d = {"bridge",
          "Brownian bridge: GBM log price pinned to given (time, price) points, then GBM with "
          "mu 0",
          bridge_params, LC_COUNT(bridge_params), bridge_check},
    .jumps = LC_JUMPS_REFUSED,
    .state_size = sizeof(bridge_state),
    .prepare = bridge_prepare,
    .release = bridge_release,
    .init = bridge_init,
    .step = bridge_step,
};

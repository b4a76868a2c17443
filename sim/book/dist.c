/* dist.c — population distributions (see dist.h).
 *
 * All draw positive values. Formulas:
 *   fixed      x = value
 *   uniform    x = min + (max − min)·U
 *   lognormal  x = median·exp(sigma·Z)
 *   pareto     truncated to [min, max]: F(x) = (1 − (min/x)^α)/(1 − (min/max)^α),
 *              drawn by inversion x = min·(1 − U·(1 − (min/max)^α))^(−1/α),
 *              in logs where that form under- or overflows (draw_pareto), within [min, max]
 *   discrete   values[i] with probability weights[i]/Σweights
 * The population is drawn once per scenario, so draws favour clarity over speed. */
#include "book/dist.h"

#include <gsl/gsl_randist.h>
#include <float.h>
#include <math.h>

#include "base/error.h"

#define POS 0, 1e300, 1, 0 /* range (0, 1e300] */

enum { FIXED_VALUE };
enum { UNI_MIN, UNI_MAX };
enum { LN_MEDIAN, LN_SIGMA };
enum { PAR_MIN, PAR_ALPHA, PAR_MAX };
enum { DIS_VALUES, DIS_WEIGHTS };

static double draw_fixed(const lc_choice *c, gsl_rng *r)
{
    (void)r;
    return c->p[FIXED_VALUE];
}

static double draw_uniform(const lc_choice *c, gsl_rng *r)
{
    return c->p[UNI_MIN] + (c->p[UNI_MAX] - c->p[UNI_MIN]) * gsl_rng_uniform(r);
}

static double draw_lognormal(const lc_choice *c, gsl_rng *r)
{
    return c->p[LN_MEDIAN] * exp(c->p[LN_SIGMA] * gsl_ran_gaussian(r, 1.0));
}

/* Truncated Pareto by inversion. The direct form below is kept, draw for
 * draw, where it is accurate: min/max a normal double (so (min/max)^alpha is
 * right) and alpha·log(max/min) >= 1e-3 (so 1 − tail does not cancel; its
 * error then stays below ~1e-10 relative). Elsewhere — min/max underflowing
 * (min 1e-300, max 1e300 gave inf), or a tail so light that 1 − tail rounds
 * to 0 (every draw min) — the same inverse CDF is evaluated in logs:
 *   log x = log min + e,  e = −log(1 − U·(1 − t))/alpha,  log t = alpha·log(min/max),
 * with log(1 − U·(1 − t)) = log1p(U·expm1(log t)) when t is near 1 and
 * log((1 − U) + U·t) otherwise, and e = U·log(max/min) in the log-uniform
 * limit alpha·log(max/min) -> 0. One uniform per draw either way, and the
 * result is clamped to [min, max]: finite for every accepted parameter. */
static double draw_pareto(const lc_choice *c, gsl_rng *r)
{
    double m = c->p[PAR_MIN], a = c->p[PAR_ALPHA], M = c->p[PAR_MAX];
    double u = gsl_rng_uniform(r);
    double ratio = M / m; /* overflows only when min/max underflows */
    double span = isfinite(ratio) ? log(ratio) : log(M) - log(m); /* log(max/min) */
    double x;
    if (m / M >= DBL_MIN && a * span >= 1e-3) {
        double tail = pow(m / M, a); /* P(X > max) of the untruncated law */
        x = m * pow(1.0 - u * (1.0 - tail), -1.0 / a);
    } else {
        double lt = -a * span; /* log t, <= 0 */
        double e;
        if (-lt < 1e-17) /* corrections are O(alpha·span): below rounding */
            e = u * span;
        else if (lt > -1.0)
            e = -log1p(u * expm1(lt)) / a;
        else
            e = -log((1.0 - u) + u * exp(lt)) / a;
        x = e < 700.0 ? m * exp(e) : exp(log(m) + e);
    }
    if (!(x >= m)) /* also NaN */
        x = m;
    return x > M ? M : x;
}

static double draw_discrete(const lc_choice *c, gsl_rng *r)
{
    const lc_list *v = &c->list[DIS_VALUES], *w = &c->list[DIS_WEIGHTS];
    double total = 0;
    for (int i = 0; i < w->n; i++)
        total += w->v[i];
    double u = gsl_rng_uniform(r) * total, acc = 0;
    for (int i = 0; i < w->n; i++) {
        acc += w->v[i];
        if (u < acc)
            return v->v[i];
    }
    for (int i = w->n - 1; i >= 0; i--) /* u rounded up to total: last non-zero */
        if (w->v[i] > 0)
            return v->v[i];
    return v->v[0];
}

static int check_min_max(const lc_choice *c, int lo, int hi, const char *where, lc_error *err)
{
    if (c->p[lo] < c->p[hi])
        return 0;
    return lc_error_at(err, NULL, 0, where, "%s must be < %s (got %g and %g)",
                       c->desc->params[lo].name, c->desc->params[hi].name, c->p[lo], c->p[hi]);
}

static int check_uniform(const lc_choice *c, const char *where, lc_error *err)
{
    return check_min_max(c, UNI_MIN, UNI_MAX, where, err);
}

static int check_pareto(const lc_choice *c, const char *where, lc_error *err)
{
    return check_min_max(c, PAR_MIN, PAR_MAX, where, err);
}

static int check_discrete(const lc_choice *c, const char *where, lc_error *err)
{
    const lc_list *v = &c->list[DIS_VALUES], *w = &c->list[DIS_WEIGHTS];
    if (v->n != w->n)
        return lc_error_at(err, NULL, 0, where,
                           "values and weights must have the same length (got %d and %d)", v->n,
                           w->n);
    double total = 0;
    for (int i = 0; i < w->n; i++)
        total += w->v[i];
    if (!(total > 0))
        return lc_error_at(err, NULL, 0, where, "weights must not all be 0");
    return 0;
}

static const lc_param fixed_params[] = {
    [FIXED_VALUE] = {"value", LC_SLOT_UNIT, LC_REAL, LC_REQUIRED, POS,
                     "the value every account gets"},
};
static const lc_param uniform_params[] = {
    [UNI_MIN] = {"min", LC_SLOT_UNIT, LC_REAL, LC_REQUIRED, POS, "lower end"},
    [UNI_MAX] = {"max", LC_SLOT_UNIT, LC_REAL, LC_REQUIRED, POS, "upper end"},
};
static const lc_param lognormal_params[] = {
    [LN_MEDIAN] = {"median", LC_SLOT_UNIT, LC_REAL, LC_REQUIRED, POS, "median, exp(E[log x])"},
    [LN_SIGMA] = {"sigma", "1", LC_REAL, LC_REQUIRED, 0, 10, 0, 0, "standard deviation of log x"},
};
static const lc_param entry_lognormal_params[] = {
    [LN_MEDIAN] = {"median", "1", LC_REAL, 1.0, POS, "median entry / s0"},
    [LN_SIGMA] = {"sigma", "1", LC_REAL, 0.02, 0, 10, 0, 0,
                  "standard deviation of log(entry / s0); 0 puts every entry at s0"},
};
static const lc_param pareto_params[] = {
    [PAR_MIN] = {"min", LC_SLOT_UNIT, LC_REAL, LC_REQUIRED, POS, "scale: the smallest value"},
    [PAR_ALPHA] = {"alpha", "1", LC_REAL, LC_REQUIRED, 0, 100, 1, 0,
                   "tail index: P(X > x) ∝ x^-alpha"},
    [PAR_MAX] = {"max", LC_SLOT_UNIT, LC_REAL, LC_REQUIRED, POS,
                 "truncation: no value above it (required: a heavy tail needs a stated cap)"},
};
static const lc_param discrete_params[] = {
    [DIS_VALUES] = {"values", LC_SLOT_UNIT, LC_LIST, LC_REQUIRED, POS, "the possible values"},
    [DIS_WEIGHTS] = {"weights", "1", LC_LIST, LC_REQUIRED, 0, 1e300, 0, 0,
                     "relative weights, one per value (normalised)"},
};

static const lc_dist dist_fixed = {
    {"fixed", "every account gets the same value", fixed_params, LC_COUNT(fixed_params), NULL},
    draw_fixed};
static const lc_dist dist_uniform = {
    {"uniform", "uniform on [min, max]", uniform_params, LC_COUNT(uniform_params), check_uniform},
    draw_uniform};
static const lc_dist dist_lognormal = {
    {"lognormal", "median·exp(sigma·Z)", lognormal_params, LC_COUNT(lognormal_params), NULL},
    draw_lognormal};
static const lc_dist dist_entry_lognormal = {{"lognormal", "entry / s0 = median·exp(sigma·Z)",
                                              entry_lognormal_params,
                                              LC_COUNT(entry_lognormal_params), NULL},
                                             draw_lognormal};
static const lc_dist dist_pareto = {{"pareto",
                                     "Pareto with tail index alpha, truncated to [min, max]",
                                     pareto_params, LC_COUNT(pareto_params), check_pareto},
                                    draw_pareto};
static const lc_dist dist_discrete = {{"discrete",
                                       "values[i] with probability weights[i] / sum(weights)",
                                       discrete_params, LC_COUNT(discrete_params), check_discrete},
                                      draw_discrete};

static const lc_desc *const notional_dists[] = {&dist_fixed.d, &dist_uniform.d, &dist_lognormal.d,
                                                &dist_pareto.d};
static const lc_desc *const leverage_dists[] = {&dist_fixed.d, &dist_uniform.d, &dist_discrete.d};
static const lc_desc *const entry_dists[] = {&dist_entry_lognormal.d, &dist_fixed.d,
                                             &dist_uniform.d};

const lc_family lc_notional_family = {"population.notional",
                                      "dist",
                                      "position notional at entry",
                                      notional_dists,
                                      LC_COUNT(notional_dists),
                                      NULL,
                                      0,
                                      "quote"};
const lc_family lc_leverage_family = {
    "population.leverage",
    "dist",
    "leverage = notional / collateral, capped by the tier's max_leverage",
    leverage_dists,
    LC_COUNT(leverage_dists),
    NULL,
    0,
    "x"};
const lc_family lc_entry_family = {"population.entry",
                                   "dist",
                                   "entry price relative to s0",
                                   entry_dists,
                                   LC_COUNT(entry_dists),
                                   NULL,
                                   0,
                                   "1"};

double lc_dist_draw(const lc_choice *c, gsl_rng *rng)
{
    const lc_dist *d = (const lc_dist *)(const void *)c->desc;
    return d->draw(c, rng);
}

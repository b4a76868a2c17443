/* model.h — pluggable price and impact models, and the registry that lists them.
 *
 * A model is a const descriptor in the manner of gsl_rng_type: a name, a doc
 * line, a parameter table (param.h), the size of its per-run state and
 * function pointers. Each model lives in its own file under models/; the
 * registry (models/registry.c) is the one list every consumer walks:
 * scenario validation, `liqcascade models`, docs/models.md, HDF5 attributes.
 * Adding a model is one new file plus one registry line.
 *
 * Models are pure functions of (state, params, rng): no global state, so runs
 * on different threads share descriptors and parameters read-only. */
#ifndef LC_MODEL_H
#define LC_MODEL_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "base/param.h"

/* Seconds in the year used to annualise rates and volatilities: crypto trades
 * every day, so a year is 365 days (DESIGN §10). */
#define LC_YEAR_S (365.0 * 86400.0)

/* What a price model's prepare() sees, once, when the scenario is loaded. */
typedef struct lc_price_setup {
    const lc_choice *c; /* the model's resolved parameters (c->path for a file) */
    const char *where;  /* "price": the key prefix for messages */
    double s0;          /* price.s0, quote */
    double dt_s;        /* simulation.dt */
    long steps;         /* simulation.steps */
    /* Where parameter `param` (item >= 0: one value of a list) was written,
     * for messages: *src is the file or the --set override, *line 0 if unknown. */
    void (*locate)(const void *ctx, int param, int item, const char **src, int *line);
    const void *ctx;
} lc_price_setup;

/* What a price model's step draws from (DESIGN §12). The market gives each
 * model its standard innovation z of the step, N(0, 1) marginally, which the
 * market makes correlated across a run's markets (market/innovations.h); the
 * model calls lc_draw_z at most once per step, for the one Gaussian shock its
 * path is driven by. Everything else it needs (jump counts and sizes, regime
 * switches, a second factor, chi-square scalings) it draws from its own
 * stream rng; `common` is a stream every market of a run reads identically,
 * for draws markets share (bootstrap's block starts).
 *
 * A run of one market has no correlation to make: z is not given but drawn
 * from rng where the model asks for it, so the stream is the one a
 * one-market run has always used. */
/* Importance sampling (simulation.rare, method tilt; DESIGN §15): a run's
 * market draws its standard innovation from N(theta, 1) instead of N(0, 1)
 * and its jump counts from Poisson(kappa·rate) instead of Poisson(rate); each
 * draw adds the log of its likelihood ratio, the density of the untilted law
 * over the tilted one at the value drawn, to logw:
 *   z:  log φ(z)/φ(z − theta)          = theta·(theta/2 − z)
 *   n:  log p(n; rate)/p(n; kappa·rate) = rate·(kappa − 1) − n·log kappa
 * The sum of z, which the cross-entropy pilot needs, rides along. */
typedef struct lc_tilt {
    double theta, kappa, log_kappa; /* fixed */
    double logw;                    /* the run's log likelihood ratio so far */
    double sum_z;                   /* Σ z drawn (the market's, tilted) */
} lc_tilt;

static inline double lc_tilt_z(lc_tilt *t, double e)
{
    double z = e + t->theta;
    t->logw += t->theta * (0.5 * t->theta - z);
    t->sum_z += z;
    return z;
}

typedef struct lc_draws {
    gsl_rng *rng;    /* the model's own stream */
    gsl_rng *common; /* drawn alike by every market of the run */
    double z;        /* the step's innovation when given */
    int given;       /* 1: z is the market's; 0: drawn from rng on demand */
    double jump;     /* the step's common-jump log move of this market (0: none) */
    lc_tilt *tilt;   /* NULL: the laws as the models state them */
} lc_draws;

static inline double lc_draw_z(const lc_draws *d)
{
    if (d->given)
        return d->z; /* tilted, if at all, by the market (innovations.c) */
    double z = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
    return d->tilt ? lc_tilt_z(d->tilt, z) : z;
}

/* A jump count of the model's own, Poisson(rate) per step, from rng (under
 * the tilt, Poisson(kappa·rate) with its likelihood ratio). */
static inline unsigned lc_tilt_jumps(lc_tilt *t, gsl_rng *rng, double rate)
{
    unsigned n = gsl_ran_poisson(rng, t->kappa * rate);
    t->logw += rate * (t->kappa - 1.0) - n * t->log_kappa;
    return n;
}
static inline unsigned lc_draw_jumps(const lc_draws *d, double rate)
{
    return d->tilt ? lc_tilt_jumps(d->tilt, d->rng, rate) : gsl_ran_poisson(d->rng, rate);
}

/* Draws of a model alone (one market, tests): everything from rng. */
static inline lc_draws lc_draws_own(gsl_rng *rng)
{
    return (lc_draws){rng, rng, 0.0, 0, 0.0, NULL};
}

/* How a model's path takes the market's common jumps (lc_draws.jump):
 * added to its log-return by the market (the default), taken into the
 * model's own state (peg: a jump is a depeg that recovers), or refused at
 * load (bridge: a jump would break its pins). */
typedef enum { LC_JUMPS_ADDED = 0, LC_JUMPS_OWN, LC_JUMPS_REFUSED } lc_jump_mode;

/* Exogenous ("fundamental") price model: one log-return per time step. */
typedef struct lc_price_model {
    lc_desc d;
    lc_jump_mode jumps;
    /* 1: the model reads no standard innovation (lc_draw_z), so an
     * importance-sampling tilt of its market would change nothing: refused
     * at load (simulation.rare) */
    int no_innovation;
    size_t state_size; /* bytes of per-run state; 0 if none */
    /* Optional (NULL: the model needs only its numbers). Called once at
     * scenario load, after every parameter passed its table and check:
     * validates what needs the simulation's clock (dt, steps) and builds the
     * data every run shares read-only (*data, freed by release). Errors name
     * file, line and key (via setup->locate); return 0 or -1. */
    int (*prepare)(const lc_price_setup *setup, void **data, struct lc_error *err);
    void (*release)(void *data);
    /* Prepare state for a run of steps of dt_s seconds from price s0 (quote,
     * for models that revert to a level); data is what prepare
     * built (NULL without prepare). */
    void (*init)(void *state, const double *p, double s0, double dt_s, const void *data);
    /* Log-return of the fundamental over step t (t = 1 .. steps). */
    double (*step)(void *state, const double *p, long t, const lc_draws *d);
} lc_price_model;

/* Price impact of forced flow. A model maps a signed base quantity executed
 * in one cascade round (+ = buy), starting at market price p0, to the move of
 * log price it causes and the volume-weighted execution price along its
 * curve. The split into permanent and transient parts, the decay of the
 * transient part and liquidity withdrawal are common to all models
 * (sim/market/market.c). */
typedef struct lc_impact_model {
    lc_desc d;
    size_t state_size;
    void (*init)(void *state, const double *p, double s0, double dt_s);
    /* Return dJ (log-price move) of executing n_base at p0; set *vwap. It
     * reads the state, never writes it: a liquidator's quote calls it too
     * (sim/market/market.h lc_market_quote). */
    double (*apply)(void *state, const double *p, double n_base, double p0, double *vwap);
} lc_impact_model;

/* Mark (oracle) price for margin checks (DESIGN §4). The engine samples the
 * market once per step, right after the exogenous move and the decay of
 * transient impact and before the step's cascade, and the model turns the
 * samples into the mark that every round of the step checks against. A model
 * with `live` set (last) is not sampled: its mark is the market price itself,
 * re-read at every round, so a cascade propagates within the step. Any other
 * mark stays fixed through a step's rounds, so a cascade propagates across
 * steps. Liquidations always execute at the market's VWAP, never at the mark. */
typedef struct lc_mark_model {
    lc_desc d;
    int live;          /* 1: the mark is the market price at every round */
    size_t state_size; /* bytes of per-run state */
    /* Start a run at market price s0 (sample 0); returns the mark at t = 0
     * (s0 for every oracle of the market, the rate for `fixed`). */
    double (*init)(void *state, const double *p, double s0, double dt_s);
    /* Sample the market price of step t (t = 1 .. steps) and return the mark
     * for that step's margin checks. */
    double (*sample)(void *state, const double *p, long t, double market);
} lc_mark_model;

/* A family: the models (or distributions) that one scenario section chooses
 * among by its selector key, plus the keys common to all of them. */
typedef struct lc_family {
    const char *section;  /* "price", "impact", "population.notional", ... */
    const char *selector; /* "model" or "dist" */
    const char *doc;
    const lc_desc *const *members;
    int nmembers;
    const lc_param *common; /* keys every member takes (e.g. price.s0) */
    int ncommon;
    /* Unit of parameters whose table unit is LC_SLOT_UNIT: a distribution's
     * min or value is in quote for notional but in x for leverage. */
    const char *slot_unit;
} lc_family;

#define LC_SLOT_UNIT "(slot)"

/* A parameter's unit within family f (resolves LC_SLOT_UNIT). */
const char *lc_family_unit(const lc_family *f, const lc_param *p);

extern const lc_family lc_price_family;
extern const lc_family lc_impact_family;

/* The shock overlay (models/price/shock.c): an optional section price.shock,
 * a family chosen by `shape` whose members give the fraction g(tau) of the
 * move done tau seconds after `start` (0 before, 1 once done). */
typedef struct lc_shock_shape {
    lc_desc d;
    double (*profile)(const double *p, double tau_s);
} lc_shock_shape;
extern const lc_family lc_shock_family;
enum { LC_SHOCK_SIZE, LC_SHOCK_START };

/* Cumulative log move of the overlay c (common: its size and start) by time
 * t_s: log(1 + size)·g(t_s − start). A step's increment is the difference of
 * this at its end and at its start, so over the window they sum to
 * log(1 + size) up to rounding. */
double lc_shock_log_move(const lc_choice *c, const double *common, double t_s);

/* Member of a family by name, or NULL. */
const lc_desc *lc_family_find(const lc_family *f, const char *name);

/* Every family, for listings: NULL-terminated. */
extern const lc_family *const lc_families[];

/* Index of a key in a family's common table, or -1. */
int lc_family_common_find(const lc_family *f, const char *name);

/* The price/impact model whose descriptor head is d (d must belong to it). */
static inline const lc_price_model *lc_price_model_of(const lc_desc *d)
{
    return (const lc_price_model *)(const void *)d;
}
static inline const lc_impact_model *lc_impact_model_of(const lc_desc *d)
{
    return (const lc_impact_model *)(const void *)d;
}
static inline const lc_mark_model *lc_mark_model_of(const lc_desc *d)
{
    return (const lc_mark_model *)(const void *)d;
}

/* Common keys, by index into the family's common table. */
enum { LC_PRICE_S0 };
enum {
    LC_IMPACT_PERMANENT,
    LC_IMPACT_HALF_LIFE,
    LC_IMPACT_WITHDRAWAL, /* liquidity withdrawal, see sim/market/market.h */
    LC_IMPACT_SIGMA_REF,
    LC_IMPACT_VOL_HALF_LIFE
};

#endif

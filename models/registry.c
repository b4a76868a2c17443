/* registry.c — the one list of every model (DESIGN §3).
 * Adding a model: write models/<family>/<name>.c defining a const descriptor,
 * declare it below and add it to its family's table. Nothing else changes:
 * validation, `liqcascade models` and docs/models.md all walk these tables. */
#include "book/dist.h"
#include "models/model.h"
#include "scenario/scenario.h"

#include <string.h>

extern const lc_price_model lc_price_gbm;
extern const lc_price_model lc_price_merton;
extern const lc_price_model lc_price_garch;
extern const lc_price_model lc_price_heston;
extern const lc_price_model lc_price_regime;
extern const lc_price_model lc_price_bridge;
extern const lc_price_model lc_price_bootstrap;
extern const lc_price_model lc_price_peg;
extern const lc_impact_model lc_impact_none;
extern const lc_impact_model lc_impact_linear;
extern const lc_impact_model lc_impact_sqrt;
extern const lc_impact_model lc_impact_book;
extern const lc_impact_model lc_impact_amm;
extern const lc_mark_model lc_mark_last;
extern const lc_mark_model lc_mark_delayed;
extern const lc_mark_model lc_mark_ema;
extern const lc_mark_model lc_mark_deviation;
extern const lc_mark_model lc_mark_fixed;

/* The registry keeps one line per model: clang-format leaves it as written. */
/* clang-format off */
static const lc_desc *const price_models[] = {
    &lc_price_gbm.d,
    &lc_price_merton.d,
    &lc_price_garch.d,
    &lc_price_heston.d,
    &lc_price_regime.d,
    &lc_price_bridge.d,
    &lc_price_bootstrap.d,
    &lc_price_peg.d,
};

/* the first member of a family is its default */
static const lc_desc *const impact_models[] = {
    &lc_impact_linear.d,
    &lc_impact_none.d,
    &lc_impact_sqrt.d,
    &lc_impact_book.d,
    &lc_impact_amm.d,
};

static const lc_param price_common[] = {
    [LC_PRICE_S0] = {"s0", "quote", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
                     "price of the fundamental and the market at t = 0"},
};

static const lc_param impact_common[] = {
    [LC_IMPACT_PERMANENT] = {"permanent", "1", LC_REAL, 1.0, 0, 1, 0, 0,
                             "fraction of each impact that stays; the rest is transient"},
    [LC_IMPACT_HALF_LIFE] = {"half_life", "s", LC_REAL, 0.0, 0, 1e300, 0, 0,
                             "half-life of the transient part (0: gone by the next step)"},
    [LC_IMPACT_WITHDRAWAL] = {"withdrawal", "1", LC_REAL, 0.0, 0, 1000, 0, 0,
                              "liquidity withdrawal w: depth x 1/(1 + w·max(0, sigma_realised/"
                              "sigma_ref − 1)) (0: off)"},
    [LC_IMPACT_SIGMA_REF] = {"sigma_ref", "1/sqrt(yr)", LC_REAL, 0.8, 1e-4, 100, 0, 0,
                             "annualised volatility of the market price above which depth "
                             "withdraws"},
    [LC_IMPACT_VOL_HALF_LIFE] = {"vol_half_life", "s", LC_REAL, 3600.0, 0, 1e300, 1, 0,
                                 "half-life of sigma_realised, the EWMA of squared step "
                                 "log-returns of the market price (from sigma_ref at t = 0)"},
};

const lc_family lc_price_family = {
    "price", "model",
    "exogenous fundamental price F: one log-return per step, vol annualised over 365 days",
    price_models, LC_COUNT(price_models), price_common, LC_COUNT(price_common), NULL,
};

const lc_family lc_impact_family = {
    "impact", "model",
    "price impact of forced flow: log P = log F + J, each round's net flow moves J",
    impact_models, LC_COUNT(impact_models), impact_common, LC_COUNT(impact_common), NULL,
};

/* Mark price for margin checks (DESIGN §4); the first member is the default. */
static const lc_desc *const mark_models[] = {
    &lc_mark_last.d,
    &lc_mark_delayed.d,
    &lc_mark_ema.d,
    &lc_mark_deviation.d,
    &lc_mark_fixed.d,
};

const lc_family lc_mark_family = {
    "venue.mark", "model",
    "price that margin checks use: the market price (last) or an oracle of it sampled once "
    "per step, right after the exogenous move and before the step's cascade",
    mark_models, LC_COUNT(mark_models), NULL, 0, NULL,
};

const lc_family *const lc_families[] = {
    &lc_price_family, &lc_shock_family, &lc_impact_family, &lc_notional_family,
    &lc_leverage_family, &lc_entry_family, &lc_mark_family, NULL,
};

const lc_desc *lc_family_find(const lc_family *f, const char *name)
{
    for (int i = 0; i < f->nmembers; i++)
        if (strcmp(f->members[i]->name, name) == 0)
            return f->members[i];
    return NULL;
}

int lc_family_common_find(const lc_family *f, const char *name)
{
    for (int i = 0; i < f->ncommon; i++)
        if (strcmp(f->common[i].name, name) == 0)
            return i;
    return -1;
}

const char *lc_family_unit(const lc_family *f, const lc_param *p)
{
    return strcmp(p->unit, LC_SLOT_UNIT) == 0 && f->slot_unit ? f->slot_unit : p->unit;
}
/* clang-format on */

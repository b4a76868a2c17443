/* test_margin.c — the isolated margin model (sim/venue/isolated.c) against
 * the closed forms of venue.h: through the lc_account view of a book, its
 * equity equals its requirement at the account's liquidation price (both
 * sides, accounts spread over the tiers of the BTCUSDT table), it is
 * breached just beyond that price and not just before, and its plan closes
 * the whole position in its market. */
#include <criterion/criterion.h>
#include <math.h>

#include "book/book.h"
#include "engine/run.h"
#include "support.h"

#define SCENARIO                                                                                   \
    "simulation: {runs: 1, steps: 1, dt: 60, seed: 3}\n"                                           \
    "price: {model: gbm, s0: 60000, sigma: 0.5}\n"                                                 \
    "population:\n"                                                                                \
    "  accounts: 2000\n"                                                                           \
    "  notional: {dist: pareto, min: 1000, alpha: 0.6, max: 5.0e6}\n"                              \
    "  leverage: {dist: uniform, min: 2, max: 50}\n"                                               \
    "  entry: {dist: lognormal, sigma: 0.02}\n"                                                    \
    "venue:\n"                                                                                     \
    "  tiers:\n"                                                                                   \
    "    - {up_to: 50000, mmr: 0.004, max_leverage: 125}\n"                                        \
    "    - {up_to: 250000, mmr: 0.005, max_leverage: 100}\n"                                       \
    "    - {up_to: 1000000, mmr: 0.01, max_leverage: 50}\n"                                        \
    "    - {up_to: 1.0e300, mmr: 0.025, max_leverage: 20}\n"

Test(margin, isolated_equity_meets_requirement_at_the_liquidation_price)
{
    lc_scenario *sc = t_scenario(SCENARIO);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_book *b = lc_book_create(pop, 0, 0, 0);
    lc_book_reset(b);
    const lc_margin_model *mm = &lc_margin_isolated;
    int tiers_seen[4] = {0};
    for (long i = 0; i < pop->n; i++) {
        lc_account a;
        lc_book_account(b, i, &a);
        cr_assert_eq(a.npos, 1);
        cr_assert_eq(a.ncol, 1);
        cr_assert_eq(a.col[0].asset, LC_QUOTE);
        double liq = pop->liq_price[i], marks[1] = {liq};
        double e = mm->equity(&a, marks, sc), r = mm->requirement(&a, marks, sc);
        double scale = a.pos[0].qty * liq;
        cr_assert(fabs(e - r) <= 1e-9 * scale, "account %ld: E %.12g, R %.12g at %g", i, e, r, liq);
        tiers_seen[lc_tier_at(sc->market[0].tiers, sc->market[0].ntiers, scale)] = 1;
        int side = pop->side[i];
        /* a hair beyond the price: breached; a hair before: not */
        double beyond[1] = {liq * (1 - side * 1e-6)}, before[1] = {liq * (1 + side * 1e-6)};
        cr_assert(mm->equity(&a, beyond, sc) < mm->requirement(&a, beyond, sc), "account %ld", i);
        cr_assert(mm->equity(&a, before, sc) > mm->requirement(&a, before, sc), "account %ld", i);
    }
    cr_assert(tiers_seen[0] && tiers_seen[1] && tiers_seen[2], "the draw must reach three tiers");
    /* the plan of account 0: one trade, its whole position, its market */
    lc_run r = {.sc = sc, .pop = pop, .book = b};
    lc_item it = {.i = 0};
    lc_trade t[1];
    cr_assert_eq(mm->plan(&r, &it, t), 1);
    cr_assert_eq(t[0].qty, pop->qty[0]);
    cr_assert_eq(t[0].side, pop->side[0]);
    cr_assert_eq(t[0].market, 0);
    cr_assert_eq(it.q, pop->qty[0]);
    cr_assert_eq(it.c, pop->collateral[0]);
    lc_book_free(b);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

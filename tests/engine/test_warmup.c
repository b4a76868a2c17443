/* test_warmup.c — population.warmup (engine/warmup.h) against a closed form.
 *
 * A deterministic stretch: GBM with sigma 0 and a drift mu moves the price
 * to P_W = s0·exp(mu·T) after W steps (T = W·dt in years), monotonically, so
 * with no impact a long survives exactly when its liquidation price is
 * below P_W, and a short always does. The survivors start at s0 with every
 * price scaled by s0/P_W and every quantity by P_W/s0: their liquidation
 * prices are the drawn ones × s0/P_W and their notional at entry and
 * collateral are unchanged. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "book/population.h"
#include "engine/warmup.h"
#include "support.h"

#define DRIFTING(w)                                                                                \
    "simulation: {runs: 4, steps: 10, dt: 3600, seed: 5}\n"                                        \
    "price: {model: gbm, s0: 100, sigma: 0, mu: -7.3,\n"                                           \
    "        shock: {size: -0.5, start: 0, shape: step}}\n"                                        \
    "impact: {model: none}\n"                                                                      \
    "population:\n"                                                                                \
    "  accounts: 400\n"                                                                            \
    "  long_fraction: 0.7\n"                                                                       \
    "  warmup: " #w "\n"                                                                           \
    "  notional: {dist: lognormal, median: 1000, sigma: 1}\n"                                      \
    "  leverage: {dist: discrete, values: [2, 5, 10, 20, 50], weights: [1, 1, 1, 1, 1]}\n"         \
    "  entry: {dist: fixed, value: 1}\n"                                                           \
    "venue:\n"                                                                                     \
    "  tiers: [{up_to: 1.0e300, mmr: 0.004, max_leverage: 50}]\n"

Test(warmup, survivors_of_a_known_path_start_at_s0_with_their_margin)
{
    lc_scenario *cold = t_scenario(DRIFTING(0)), *warm = t_scenario(DRIFTING(60));
    lc_error err = {0};
    lc_population *drawn = lc_population_create(cold, &err);
    cr_assert_not_null(drawn, "%s", err.msg);
    lc_warmup_stats st;
    lc_population *pop = lc_population_for_runs(warm, &st, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    /* the scripted shock (−50% at once) is not part of the warmup: only the drift */
    double t = 60 * 3600.0 / (365 * 86400.0), pw = 100 * exp(-7.3 * t), f = 100 / pw;
    cr_assert_float_eq(st.price_end[0], pw, 1e-9 * pw, "%.17g vs %.17g", st.price_end[0], pw);
    /* the expected survivors, by origin */
    char *alive = calloc((size_t)drawn->n, 1);
    long want = 0;
    for (long i = 0; i < drawn->n; i++) {
        int lives = drawn->side[i] < 0 || drawn->liq_price[i] < pw;
        alive[drawn->origin[i]] = (char)lives;
        want += lives;
    }
    cr_assert(want > 50 && want < drawn->n - 50, "the path liquidates some, not all (%ld)", want);
    cr_assert_eq(st.drawn, drawn->n);
    cr_assert_eq(st.kept, want);
    cr_assert_eq(pop->n, want);
    /* each survivor is its drawn self, rescaled */
    long *at = malloc((size_t)drawn->n * sizeof *at);
    for (long i = 0; i < drawn->n; i++)
        at[drawn->origin[i]] = i;
    for (long i = 0; i < pop->n; i++) {
        long o = pop->origin[i], d = at[o];
        cr_assert(alive[o], "account %ld should have gone in the warmup", o);
        cr_assert_eq(pop->side[i], drawn->side[d]);
        cr_assert_float_eq(pop->entry[i], drawn->entry[d] * f, 1e-12 * drawn->entry[d] * f);
        cr_assert_float_eq(pop->qty[i] * pop->entry[i], drawn->qty[d] * drawn->entry[d],
                           1e-9 * drawn->qty[d] * drawn->entry[d]);
        cr_assert_float_eq(pop->collateral[i], drawn->collateral[d], 1e-12 * drawn->collateral[d]);
        cr_assert_float_eq(pop->liq_price[i], drawn->liq_price[d] * f,
                           1e-9 * drawn->liq_price[d] * f, "account %ld", o);
    }
    free(at);
    free(alive);
    lc_population_free(pop);
    lc_population_free(drawn);
    lc_scenario_free(warm);
    lc_scenario_free(cold);
}

/* The warmup is part of the population: its signature tells sweep points
 * apart by any key the warmup sees (here the liquidation fee), but not by
 * the runs' count, their length or the scripted shock. */
Test(warmup, the_signature_holds_what_the_warmup_sees)
{
    static const char *base = "simulation: {runs: 4, steps: 10, dt: 60, seed: 5}\n"
                              "price: {model: gbm, s0: 100, sigma: 0.5,\n"
                              "        shock: {size: -0.2, start: 60, shape: step}}\n"
                              "population: {accounts: 10, warmup: 30,\n"
                              "  notional: {dist: fixed, value: 1000},\n"
                              "  leverage: {dist: fixed, value: 10}}\n";
    const char *cases[][2] = {{"venue.liquidation_fee=0.01", "1"},
                              {"impact.depth_1pct=1e6", "1"},
                              {"simulation.runs=9", "0"},
                              {"simulation.steps=99", "0"},
                              {"price.shock.size=-0.3", "0"}};
    lc_scenario *a = t_scenario(base);
    char *sa = lc_population_signature(a);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        lc_error err = {0};
        const char *set[1] = {cases[k][0]};
        lc_scenario *b = lc_scenario_parse("t.yaml", base, set, 1, &err);
        cr_assert_not_null(b, "%s", err.msg);
        char *sb = lc_population_signature(b);
        cr_assert_eq(strcmp(sa, sb) != 0, cases[k][1][0] == '1', "%s", cases[k][0]);
        free(sb);
        lc_scenario_free(b);
    }
    free(sa);
    lc_scenario_free(a);
}

/* A positions file is the book at t = 0, and a bridge scripts the path from t = 0:
 * neither takes a warmup. */
Test(warmup, refused_where_it_has_no_meaning)
{
    const char *e = t_scenario_errors("price: {model: bridge, s0: 100, sigma: 0.5,\n"
                                      "        pins: [{t: 3600, price: 90}]}\n"
                                      "population: {accounts: 10, warmup: 30}\n",
                                      NULL, 0);
    cr_assert(e && strstr(e, "population.warmup") && strstr(e, "bridge"), "%s", e ? e : "");
    e = t_scenario_errors("population: {file: x.csv, warmup: 30}\n", NULL, 0);
    cr_assert(e && strstr(e, "'warmup' cannot be given with 'file'"), "%s", e ? e : "");
}

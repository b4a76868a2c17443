/* test_scenario.c — scenario loading: defaults, overrides, and every kind of
 * error a user can make, with its file, line and key. */
#include <criterion/criterion.h>
#include <string.h>

#include "support.h"

#define BASE                                                                                       \
    "simulation: {runs: 10, steps: 20, dt: 60, seed: 1}\n"                                         \
    "price: {model: gbm, s0: 100, sigma: 0.5}\n"                                                   \
    "population:\n"                                                                                \
    "  accounts: 50\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 10}\n"

Test(scenario, defaults_are_applied)
{
    lc_scenario *sc = t_scenario(BASE);
    cr_assert_eq(sc->runs, 10);
    cr_assert_eq(sc->max_rounds, 1000);
    cr_assert_str_eq(sc->market[0].impact.desc->name, "linear");
    cr_assert_float_eq(sc->market[0].impact_common[LC_IMPACT_PERMANENT], 1.0, 0);
    cr_assert_float_eq(sc->market[0].price.p[0], 0.0, 0); /* mu */
    cr_assert_eq(sc->market[0].ntiers, 1);
    cr_assert_eq(sc->series_mask, (1u << LC_SERIES_N) - 1);
    cr_assert_str_eq(sc->entry.desc->name, "lognormal");
    lc_scenario_free(sc);
}

Test(scenario, error_names_file_line_and_key)
{
    const char *e = t_scenario_errors("simulation: {runs: 10}\n"
                                      "price:\n"
                                      "  model: gbm\n"
                                      "  s0: 100\n"
                                      "  sigma: -0.3\n",
                                      NULL, 0);
    assert_has(e, "test.yaml:5: price.sigma: must be >= 0 (got -0.3)");
    e = t_scenario_errors("price: {s0: 1, sigma: 101}\npopulation: {accounts: 0}\n", NULL, 0);
    assert_has(e, "test.yaml:1: price.sigma: must be <= 100 (got 101)");
}

Test(scenario, unknown_keys_suggest_the_close_name)
{
    const char *e = t_scenario_errors(BASE "venue:\n  liquidation_feee: 0.01\n", NULL, 0);
    assert_has(
        e, "test.yaml:8: venue.liquidation_feee: unknown key (did you mean 'liquidation_fee'?)");
    e = t_scenario_errors("simulaton: {runs: 1}\n" BASE, NULL, 0);
    assert_has(e, "test.yaml:1: simulaton: unknown key (did you mean 'simulation'?)");
    e = t_scenario_errors(BASE "output: {zzz: 1}\n", NULL, 0);
    assert_has(e, "output.zzz: unknown key (known here: series, every)");
}

Test(scenario, unknown_model_lists_the_choices)
{
    const char *e = t_scenario_errors("price: {model: gmb, s0: 1}\n", NULL, 0);
    assert_has(e,
               "test.yaml:1: price.model: unknown model 'gmb' (did you mean 'gbm'?) (one of: gbm");
}

Test(scenario, every_error_is_reported_not_just_the_first)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("t.yaml",
                                        "simulation: {runs: 0, steps: 1.5, dt: abc}\n"
                                        "price: {model: gbm, s0: -1}\n"
                                        "population: {accounts: 0}\n",
                                        NULL, 0, &err);
    cr_assert_null(sc);
    cr_assert_geq(err.count, 4, "got:\n%s", err.msg);
    assert_has(err.msg, "simulation.runs: must be >= 1 (got 0)");
    assert_has(err.msg, "simulation.steps: must be a whole number (got 1.5)");
    assert_has(err.msg, "simulation.dt: must be a number in (0, 1e+09] (got 'abc')");
    assert_has(err.msg, "price.s0: must be > 0 (got -1)");
}

Test(scenario, required_keys)
{
    const char *e = t_scenario_errors("price: {model: gbm}\n", NULL, 0);
    assert_has(e, "price.s0: required");
    assert_has(e, "population.accounts: required");
    e = t_scenario_errors("price: {s0: 1}\npopulation: {accounts: 5}\n", NULL, 0);
    assert_has(e, "population.notional.value: required");
}

Test(scenario, type_errors)
{
    assert_has(t_scenario_errors("price: [1, 2]\n", NULL, 0),
               "test.yaml:1: price: must be a map of keys (got a list)");
    assert_has(t_scenario_errors("price: {s0: '100'}\n", NULL, 0),
               "price.s0: must be a number > 0 (got '100')");
    assert_has(t_scenario_errors("- a\n- b\n", NULL, 0), "a scenario is a map of sections");
    assert_has(t_scenario_errors("price: {s0: 1, s0: 2}\n", NULL, 0), "price.s0: duplicate key");
    assert_has(t_scenario_errors("price: {s0: 1\n", NULL, 0), "test.yaml:2: YAML syntax");
}

/* A number out of its bounds is reported and never stored: the kinds'
 * position counts are cast to long, which a value like 2.2e119 would make
 * undefined (found by fuzz_scenario; the UBSan build of this test is the check). */
Test(scenario, out_of_range_numbers_are_not_stored)
{
    const char *y = BASE "  kinds: {isolated: {weight: 1}, cross: {weight: 1, positions_min: "
                         "2.2e119, positions_max: -3e300}}\n";
    const char *e = t_scenario_errors(y, NULL, 0);
    assert_has(e, "population.kinds.cross.positions_min: must be");
    assert_has(e, "population.kinds.cross.positions_max: must be");
}

Test(scenario, set_overrides_any_key)
{
    const char *sets[] = {"price.sigma=1.25",
                          "venue.tiers=[{up_to: 1e300, mmr: 0.01, max_leverage: 20}]",
                          "output.series=[price, oi]", "simulation.runs=7"};
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("t.yaml", BASE, sets, 4, &err);
    cr_assert_not_null(sc, "%s", err.msg);
    cr_assert_float_eq(sc->market[0].price.p[1], 1.25, 0);
    cr_assert_float_eq(sc->market[0].tiers[0].max_leverage, 20, 0);
    cr_assert_eq(sc->series_mask, (1u << LC_SERIES_PRICE) | (1u << LC_SERIES_OI));
    cr_assert_eq(sc->runs, 7);
    lc_scenario_free(sc);

    const char *one[] = {"venue.tiers.0.mmr=0.02"};
    sc = lc_scenario_parse("t.yaml",
                           BASE "venue: {tiers: [{up_to: 1e300, mmr: 0.01, max_leverage: 20}]}\n",
                           one, 1, &err);
    cr_assert_not_null(sc, "%s", err.msg);
    cr_assert_float_eq(sc->market[0].tiers[0].mmr, 0.02, 0);
    lc_scenario_free(sc);
}

Test(scenario, set_errors_name_the_override)
{
    const char *bad[] = {"price.sigma=-2"};
    assert_has(t_scenario_errors(BASE, bad, 1), "--set price.sigma=-2: price.sigma: must be >= 0");
    const char *unknown[] = {"price.sigmaa=2"};
    assert_has(t_scenario_errors(BASE, unknown, 1),
               "--set price.sigmaa=2: price.sigmaa: unknown key (did you mean 'sigma'?)");
    const char *noeq[] = {"price.sigma"};
    assert_has(t_scenario_errors(BASE, noeq, 1), "expected key=value");
    const char *past[] = {"venue.tiers.3.mmr=0.1"};
    assert_has(t_scenario_errors(
                   BASE "venue: {tiers: [{up_to: 1e300, mmr: 0.01, max_leverage: 20}]}\n", past, 1),
               "index 3 is past the end of the list");
    const char *empty[] = {"price..sigma=2"};
    assert_has(t_scenario_errors(BASE, empty, 1),
               "--set price..sigma=2: 'price..sigma' has an empty part");
    const char *dot[] = {".=5"};
    assert_has(t_scenario_errors(BASE, dot, 1), "'.' has an empty part");
}

/* A second YAML document is named at the line of its '---'; nested aliases
 * that would expand to billions of values are refused, not expanded. */
Test(scenario, yaml_documents_and_alias_bombs)
{
    assert_has(t_scenario_errors(BASE "# comment\n---\nprice: {s0: 2}\n", NULL, 0),
               "test.yaml:8: more than one YAML document");
    assert_has(t_scenario_errors(BASE "x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                                      "y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                      "z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                                      "u: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                                      "v: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                                      "w: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                                      "q: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
                                 NULL, 0),
               "once aliases are expanded");
}

Test(scenario, tier_rules)
{
    assert_has(
        t_scenario_errors(BASE "venue:\n  tiers:\n    - {up_to: 100, mmr: 0.01, max_leverage: 20}\n"
                               "    - {up_to: 50, mmr: 0.02, max_leverage: 10}\n",
                          NULL, 0),
        "test.yaml:10: venue.tiers[1]: up_to must increase from tier to tier");
    assert_has(
        t_scenario_errors(
            BASE "venue:\n  tiers:\n    - {up_to: 1e300, mmr: 0.02, max_leverage: 50}\n", NULL, 0),
        "mmr x max_leverage must be < 1");
}

Test(scenario, distribution_cross_checks)
{
    assert_has(t_scenario_errors("price: {s0: 1}\npopulation:\n  accounts: 5\n"
                                 "  notional: {dist: uniform, min: 10, max: 5}\n"
                                 "  leverage: {dist: fixed, value: 2}\n",
                                 NULL, 0),
               "test.yaml:4: population.notional: min must be < max (got 10 and 5)");
    assert_has(t_scenario_errors("price: {s0: 1}\npopulation:\n  accounts: 5\n"
                                 "  notional: {dist: fixed, value: 10}\n"
                                 "  leverage: {dist: discrete, values: [2, 5], weights: [1]}\n",
                                 NULL, 0),
               "population.leverage: values and weights must have the same length (got 2 and 1)");
}

Test(scenario, resolved_yaml_reloads_to_the_same_scenario)
{
    lc_scenario *a = t_scenario(
        BASE "venue:\n  tiers:\n    - {up_to: 5e4, mmr: 0.004, max_leverage: 125}\n"
             "    - {up_to: 1e300, mmr: 0.01, max_leverage: 50}\n"
             "output: {series: [price, liq_long], every: 5}\n"
             "impact: {model: linear, depth_1pct: 3.3e7, permanent: 0.7, half_life: 30}\n");
    char *y1 = lc_scenario_resolved_yaml(a);
    cr_assert_not_null(y1);
    lc_scenario *b = t_scenario(y1);
    char *y2 = lc_scenario_resolved_yaml(b);
    cr_assert_str_eq(y1, y2);
    cr_assert_eq(a->market[0].ntiers, b->market[0].ntiers);
    cr_assert(memcmp(a->market[0].tiers, b->market[0].tiers, sizeof a->market[0].tiers) == 0);
    cr_assert(memcmp(a->market[0].price.p, b->market[0].price.p, sizeof a->market[0].price.p) == 0);
    cr_assert(memcmp(a->market[0].impact_common, b->market[0].impact_common,
                     sizeof a->market[0].impact_common) == 0);
    cr_assert_eq(a->series_mask, b->series_mask);
    cr_assert_eq(a->every, b->every);
    free(y1);
    free(y2);
    lc_scenario_free(a);
    lc_scenario_free(b);
}

Test(scenario, every_must_divide_steps)
{
    assert_has(t_scenario_errors(BASE "output: {every: 7}\n", NULL, 0),
               "test.yaml:7: output.every: must divide simulation.steps (20 steps, every 7)");
}

Test(scenario, population_file_excludes_drawn_keys)
{
    assert_has(
        t_scenario_errors("price: {s0: 1}\npopulation:\n  file: x.csv\n  accounts: 4\n", NULL, 0),
        "test.yaml:4: population: 'accounts' cannot be given with 'file'");
}

Test(scenario, quickstart_is_valid)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_load(LC_SOURCE_DIR "/scenarios/quickstart.yaml", NULL, 0, &err);
    cr_assert_not_null(sc, "%s", err.msg);
    cr_assert_eq(sc->accounts, 100000);
    lc_scenario_free(sc);
}

Test(scenario, missing_file)
{
    lc_error err = {0};
    cr_assert_null(lc_scenario_load("/nonexistent/x.yaml", NULL, 0, &err));
    assert_has(err.msg, "/nonexistent/x.yaml: cannot open: No such file or directory");
}

Test(scenario, adl_policy_and_ranking)
{
    lc_scenario *sc = t_scenario(BASE "venue: {adl: adl, adl_ranking: hyperliquid}\n");
    cr_assert_str_eq(lc_scenario_rule_name(sc, "adl", "adl"), "adl");
    cr_assert_str_eq(lc_scenario_rule_name(sc, "adl", "adl_ranking"), "hyperliquid");
    char *y = lc_scenario_resolved_yaml(sc);
    assert_has(y, "  adl: adl\n  adl_ranking: hyperliquid\n");
    lc_scenario *back = t_scenario(y);
    cr_assert_str_eq(lc_scenario_rule_name(back, "adl", "adl_ranking"), "hyperliquid");
    free(y);
    lc_scenario_free(back);
    lc_scenario_free(sc);
    sc = t_scenario(BASE);
    cr_assert_str_eq(lc_scenario_rule_name(sc, "adl", "adl"), "none", "none by default");
    cr_assert_str_eq(lc_scenario_rule_name(sc, "adl", "adl_ranking"), "pnl_leverage");
    lc_scenario_free(sc);
    assert_has(
        t_scenario_errors(BASE "venue:\n  adl: adll\n", NULL, 0),
        "test.yaml:8: venue.adl: must be one of none, adl (got 'adll') (did you mean 'adl'?)");
    assert_has(t_scenario_errors(BASE "venue:\n  adl_ranking: [size]\n", NULL, 0),
               "test.yaml:8: venue.adl_ranking: must be one of pnl_leverage, binance, hyperliquid, "
               "size (got '?')");
}

Test(scenario, partial_liquidation_keys)
{
    lc_scenario *sc = t_scenario(BASE "venue: {partial: {mode: tier, cooldown: 3}}\n");
    cr_assert_str_eq(lc_scenario_rule_name(sc, "partial", "mode"), "tier");
    cr_assert_eq(lc_scenario_rule_number(sc, "partial", "cooldown"), 3);
    cr_assert_eq(lc_scenario_rule_number(sc, "partial", "fraction"), 0.2,
                 "fraction defaults to 0.2");
    char *y = lc_scenario_resolved_yaml(sc);
    assert_has(y, "  partial:\n    mode: tier\n    fraction: 0.2");
    lc_scenario *back = t_scenario(y);
    cr_assert_eq(lc_scenario_rule_number(back, "partial", "cooldown"), 3);
    free(y);
    lc_scenario_free(back);
    lc_scenario_free(sc);
    sc = t_scenario(BASE);
    cr_assert_str_eq(lc_scenario_rule_name(sc, "partial", "mode"), "none", "none by default");
    lc_scenario_free(sc);
    assert_has(
        t_scenario_errors(BASE "venue:\n  partial: {mode: fraction, fraction: 1}\n", NULL, 0),
        "test.yaml:8: venue.partial.fraction: must be < 1 (got 1)");
    assert_has(t_scenario_errors(BASE "venue:\n  partial:\n    cooldown: 1.5\n", NULL, 0),
               "test.yaml:9: venue.partial.cooldown: must be a whole number (got 1.5)");
    assert_has(t_scenario_errors(BASE "venue:\n  partial: {mode: half}\n", NULL, 0),
               "test.yaml:8: venue.partial.mode: must be one of none, fraction, tier (got 'half')");
    assert_has(t_scenario_errors(BASE "venue:\n  partial: {mode: tier, fractoin: 0.1}\n", NULL, 0),
               "venue.partial.fractoin: unknown key (did you mean 'fraction'?)");
}

Test(scenario, topup_keys)
{
    lc_scenario *sc = t_scenario(BASE "venue: {topup: {probability: 0.4, call: 0.7, delay: 2}}\n");
    cr_assert_eq(lc_scenario_rule_number(sc, "topup", "probability"), 0.4);
    cr_assert_eq(lc_scenario_rule_number(sc, "topup", "call"), 0.7);
    cr_assert_eq(lc_scenario_rule_number(sc, "topup", "delay"), 2);
    cr_assert_eq(lc_scenario_rule_number(sc, "topup", "target"), 0.5, "target defaults to 0.5");
    char *y = lc_scenario_resolved_yaml(sc);
    assert_has(y, "  topup:\n    probability: 0.4");
    assert_has(y, "    call: 0.7");
    lc_scenario *back = t_scenario(y);
    cr_assert_eq(lc_scenario_rule_number(back, "topup", "delay"), 2);
    cr_assert_eq(lc_scenario_rule_number(back, "topup", "call"), 0.7);
    free(y);
    lc_scenario_free(back);
    lc_scenario_free(sc);
    sc = t_scenario(BASE);
    cr_assert_eq(lc_scenario_rule_number(sc, "topup", "probability"), 0, "off by default");
    lc_scenario_free(sc);
    assert_has(t_scenario_errors(BASE "venue:\n  topup: {probability: 1, call: 1}\n", NULL, 0),
               "test.yaml:8: venue.topup.call: must be < 1 (got 1)");
    assert_has(t_scenario_errors(BASE "venue:\n  topup: {probability: 1, call: 0}\n", NULL, 0),
               "test.yaml:8: venue.topup.call: must be > 0 (got 0)");
    assert_has(
        t_scenario_errors(BASE "venue:\n  topup:\n    call: 0.5\n    target: 0.5\n", NULL, 0),
        "test.yaml:10: venue.topup.target: must be < venue.topup.call (0.5;");
    assert_has(t_scenario_errors(BASE "venue:\n  topup:\n    delay: -1\n", NULL, 0),
               "test.yaml:9: venue.topup.delay: must be >= 0 (got -1)");
    assert_has(t_scenario_errors(BASE "venue:\n  topup:\n    probability: 1.5\n", NULL, 0),
               "test.yaml:9: venue.topup.probability: must be <= 1 (got 1.5)");
    assert_has(t_scenario_errors(BASE "venue:\n  tiers:\n    - {up_to: 1.0e300, mmr: 0.2, "
                                      "max_leverage: 4}\n  topup: {call: 0.15, target: 0.1}\n",
                                 NULL, 0),
               "test.yaml:10: venue.topup.call: must be > the mmr of every tier (tier 0 has 0.2)");
    assert_has(t_scenario_errors(BASE "venue:\n  topup: {probability: 1, cal: 0.5}\n", NULL, 0),
               "venue.topup.cal: unknown key (did you mean 'call'?)");
}

/* ---- markets and correlation (DESIGN §12) ---------------------------------- */

#define MK3                                                                                        \
    "simulation: {runs: 2, steps: 10, dt: 60}\n"                                                   \
    "markets:\n"                                                                                   \
    "  - {name: BTC, price: {model: gbm, s0: 60000}}\n"                                            \
    "  - {name: ETH, price: {model: gbm, s0: 3000}}\n"                                             \
    "  - {name: SOL, price: {model: gbm, s0: 150}}\n"                                              \
    "population: {accounts: 0}\n"

Test(scenario, correlation_matrix_errors)
{
    /* lines 7 and 8: correlation:, matrix: (one line) or its rows (8 .. 10) */
    assert_has(t_scenario_errors(MK3 "correlation:\n  matrix: [[1, 0.5, 0.2], [0.4, 1, 0.1], "
                                     "[0.2, 0.1, 1]]\n",
                                 NULL, 0),
               "test.yaml:8: correlation.matrix: not symmetric: [1][0] = 0.4 but [0][1] = 0.5");
    assert_has(t_scenario_errors(MK3 "correlation:\n  matrix:\n    - [1, 0.5, 0.2]\n"
                                     "    - [0.5, 0.9, 0.1]\n    - [0.2, 0.1, 1]\n",
                                 NULL, 0),
               "test.yaml:9: correlation.matrix: diagonal must be 1 (row 1 has 0.9)");
    /* eigenvalues of [[1, .9, −.9], [.9, 1, .9], [−.9, .9, 1]]: −0.8, 1.9, 1.9 */
    assert_has(t_scenario_errors(MK3 "correlation:\n  matrix: [[1, 0.9, -0.9], [0.9, 1, 0.9], "
                                     "[-0.9, 0.9, 1]]\n",
                                 NULL, 0),
               "test.yaml:8: correlation.matrix: not positive semi-definite (smallest eigenvalue "
               "-0.8)");
    /* rho for every pair of 3: eigenvalues 1 + 2rho and 1 − rho */
    assert_has(t_scenario_errors(MK3 "correlation: {rho: -0.6}\n", NULL, 0),
               "test.yaml:7: correlation.rho: not positive semi-definite (smallest eigenvalue "
               "-0.2)");
    assert_has(t_scenario_errors(MK3 "correlation:\n  rho: 0.5\n  stress: {rho: -0.7, enter: 1, "
                                     "exit: 2}\n",
                                 NULL, 0),
               "test.yaml:9: correlation.stress.rho: not positive semi-definite (smallest "
               "eigenvalue -0.4)");
    assert_has(t_scenario_errors(MK3 "correlation:\n  matrix: [[1, 0.5], [0.5, 1]]\n", NULL, 0),
               "test.yaml:8: correlation.matrix: must be a list of 3 rows (one per market, in "
               "markets order)");
    assert_has(t_scenario_errors(MK3 "correlation:\n  matrix:\n    - [1, 0.5, 0.2]\n"
                                     "    - [0.5, 1]\n    - [0.2, 0.1, 1]\n",
                                 NULL, 0),
               "test.yaml:10: correlation.matrix[1]: must be a list of 3 numbers");
    assert_has(t_scenario_errors(MK3 "correlation:\n  matrix:\n    - [1, 0.5, 0.2]\n"
                                     "    - [0.5, 1, 1.5]\n    - [0.2, 1.5, 1]\n",
                                 NULL, 0),
               "test.yaml:10: correlation.matrix[1][2]: must be <= 1 (got 1.5)");
    assert_has(t_scenario_errors(MK3 "correlation:\n  rho: 0.3\n  matrix: [[1, 0.5], [0.5, 1]]\n",
                                 NULL, 0),
               "test.yaml:8: correlation: give matrix or rho, not both");
}

Test(scenario, correlation_section_errors)
{
    assert_has(t_scenario_errors(MK3 "correlation:\n  rho: 0.5\n  stress: {rho: 0.9}\n", NULL, 0),
               "test.yaml:9: correlation.stress: needs either enter and exit (a Markov regime, "
               "rates per year) or start and end (a scripted window, s)");
    assert_has(t_scenario_errors(MK3 "correlation: {rho: 0.5, copula: student}\n", NULL, 0),
               "test.yaml:7: correlation.copula: must be one of gaussian, t (got 'student')");
    assert_has(
        t_scenario_errors(MK3 "correlation: {rho: 0.5, common_jumps: {rate: -1}}\n", NULL, 0),
        "test.yaml:7: correlation.common_jumps.rate: must be >= 0 (got -1)");
    /* one market: nothing to correlate, in either form */
    assert_has(t_scenario_errors("simulation: {runs: 2, steps: 10, dt: 60}\n"
                                 "markets:\n  - {name: BTC, price: {model: gbm, s0: 60000}}\n"
                                 "correlation: {rho: 0.5}\n"
                                 "population: {accounts: 0}\n",
                                 NULL, 0),
               "test.yaml:4: correlation: needs at least two markets (a markets: list)");
    assert_has(t_scenario_errors("price: {model: gbm, s0: 100}\n"
                                 "correlation: {rho: 0.5}\n"
                                 "population: {accounts: 0}\n",
                                 NULL, 0),
               "test.yaml:2: correlation: needs at least two markets (a markets: list)");
}

Test(scenario, markets_list_errors)
{
    assert_has(t_scenario_errors("markets:\n"
                                 "  - {name: BTC, price: {model: gbm, s0: 60000}}\n"
                                 "  - {name: BTC, price: {model: gbm, s0: 3000}}\n"
                                 "population: {accounts: 0}\n",
                                 NULL, 0),
               "test.yaml:3: markets[1].name: 'BTC' names markets[0] already");
    assert_has(t_scenario_errors("markets:\n"
                                 "  - {name: BTC, price: {model: gbm, s0: 60000}}\n"
                                 "  - {name: ETH, price: {model: gbm, s0: 3000}}\n"
                                 "population:\n"
                                 "  accounts: 10\n"
                                 "  notional: {dist: fixed, value: 1000}\n"
                                 "  leverage: {dist: fixed, value: 10}\n"
                                 "  markets: {BTC: 0.5, SOL: 0.5}\n",
                                 NULL, 0),
               "test.yaml:8: population.markets.SOL: no market of that name in markets: (known: "
               "BTC, ETH)");
    /* what each market has of its own cannot be given for the venue or at the top */
    const char *e = t_scenario_errors(MK3 "venue:\n"
                                          "  tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: "
                                          "100}]\n"
                                          "  mark: {model: last}\n",
                                      NULL, 0);
    assert_has(e, "test.yaml:8: venue.tiers: with a markets: list, each market has its own "
                  "(markets[k].tiers)");
    assert_has(e, "test.yaml:9: venue.mark: with a markets: list, each market has its own "
                  "(markets[k].mark)");
    assert_has(t_scenario_errors(MK3 "price: {model: gbm, s0: 1}\n", NULL, 0),
               "test.yaml:7: price: with a markets: list, each market has its own "
               "(markets[k].price)");
    assert_has(t_scenario_errors("markets:\n"
                                 "  - {name: BTC/USD, price: {model: gbm, s0: 60000}}\n"
                                 "population: {accounts: 0}\n",
                                 NULL, 0),
               "test.yaml:2: markets[0].name: must be 1 to 31 letters, digits, '_' or '-' (got "
               "BTC/USD)");
    assert_has(t_scenario_errors("markets:\n"
                                 "  - {price: {model: gbm, s0: 60000}}\n"
                                 "population: {accounts: 0}\n",
                                 NULL, 0),
               "test.yaml:2: markets[0].name: required");
    assert_has(t_scenario_errors("markets:\n"
                                 "  - name: BTC\n"
                                 "    price: {model: gbm, s0: 60000, sigma: -1}\n"
                                 "population: {accounts: 0}\n",
                                 NULL, 0),
               "test.yaml:3: markets[0].price.sigma: must be >= 0 (got -1)");
}

/* Issue 19 D8, D9, D13: the seed is exact or refused; a bound of 1e300 in a
 * table is none (the message and `liqcascade models` say so); s0 must fit the
 * float32 series. */
Test(scenario, limits_are_what_they_say)
{
    static const char *const base = "population: {accounts: 0}\nprice: {model: gbm, s0: 100}\n";
    const char *e =
        t_scenario_errors(base, (const char *[]){"simulation.seed=9007199254740993"}, 1);
    cr_assert(strstr(e, "simulation.seed: must be a whole number of at most 2^53 = "
                        "9007199254740992, which a double holds exactly (got 9007199254740993)"),
              "%s", e);
    /* every spelling of 2^53 + 1, and what rounds to a whole double */
    const char *spelled[] = {"9007199254740993.0", "9.007199254740993e15", "0x20000000000001",
                             "9007199254740992.5"};
    for (size_t k = 0; k < sizeof spelled / sizeof *spelled; k++) {
        char set[64];
        snprintf(set, sizeof set, "simulation.seed=%s", spelled[k]);
        e = t_scenario_errors(base, (const char *[]){set}, 1);
        cr_assert(strstr(e, "at most 2^53"), "%s: %s", spelled[k], e);
    }
    e = t_scenario_errors(base, (const char *[]){"simulation.seed=4503599627370496.5"}, 1);
    cr_assert(strstr(e, "simulation.seed: must be a whole number (got 4503599627370496.5)"), "%s",
              e);
    /* subnormal values are refused as such, not as "must be > 0" */
    e = t_scenario_errors(base, (const char *[]){"price.sigma=1e-310"}, 1);
    cr_assert(strstr(e, "smallest normal double"), "%s", e);
    lc_scenario *sc = t_scenario("population: {accounts: 0}\nprice: {model: gbm, s0: 100}\n"
                                 "simulation: {seed: 9.007199254740992e15}\n");
    cr_assert_eq(sc->seed, UINT64_C(9007199254740992));
    lc_scenario_free(sc);
    /* cum has no documented bound: 1e301 is taken (it then fails continuity) */
    e = t_scenario_errors(base,
                          (const char *[]){"venue.tiers=[{up_to: 1e300, mmr: 0.01, "
                                           "max_leverage: 20, cum: 1e301}]"},
                          1);
    cr_assert(!strstr(e, "must be any finite number"), "%s", e);
    cr_assert(strstr(e, "venue.tiers[0].cum: must be 0"), "%s", e);
    sc = t_scenario("population: {accounts: 0}\nprice: {model: gbm, s0: 100}\n"
                    "venue: {insurance_fund: 1e305}\n");
    cr_assert_eq(sc->insurance_fund, 1e305);
    lc_scenario_free(sc);
    e = t_scenario_errors("population: {accounts: 0}\nprice: {model: gbm, s0: 1e-300}\n", NULL, 0);
    cr_assert(strstr(e, "test.yaml:2: price.s0: must be within 1.2e-38 .. 3.4e38 quote"), "%s", e);
    e = t_scenario_errors("population: {accounts: 0}\n"
                          "markets: [{name: A, price: {model: gbm, s0: 1e39}}]\n",
                          NULL, 0);
    cr_assert(strstr(e, "markets[0].price.s0: must be within 1.2e-38 .. 3.4e38 quote"), "%s", e);
}

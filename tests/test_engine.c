/* test_engine.c — the cascade engine.
 *  - the indexed engine and the scan oracle give identical rows, series and
 *    events on many randomly drawn scenarios (mixed sides, tiers, leverage,
 *    both impact models, transient impact, max_rounds hit, every mark model);
 *  - money balances to the cent at every liquidation and over every run;
 *  - a run does not depend on which runs came before it on the same scratch. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "rng.h"
#include "support.h"

typedef struct result {
    lc_run_row row;
    float *series[LC_SERIES_N];
    lc_eventbuf ev;
} result;

static void run_one(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long run,
                    result *out)
{
    long cols = lc_scenario_series_cols(sc);
    for (int i = 0; i < LC_SERIES_N; i++)
        out->series[i] = calloc((size_t)cols, sizeof(float));
    memset(&out->ev, 0, sizeof out->ev);
    lc_error err = {0};
    cr_assert_eq(lc_engine_run(sc, pop, s, 0, run, &out->row, out->series, &out->ev, &err), 0,
                 "%s", err.msg);
}

static void free_result(result *r)
{
    for (int i = 0; i < LC_SERIES_N; i++)
        free(r->series[i]);
    lc_eventbuf_free(&r->ev);
}

/* A random scenario that makes cascades likely. */
static char *random_scenario(gsl_rng *r, int k)
{
    char *text;
    unsigned long every = 1 + gsl_rng_uniform_int(r, 3);
    unsigned long steps = every * (20 + gsl_rng_uniform_int(r, 60));
    double mmr0 = 0.002 + 0.006 * gsl_rng_uniform(r); /* x 90 stays < 1 */
    int impact_none = k % 5 == 4;
    int rounds = k % 3 == 0 ? 1 + (int)gsl_rng_uniform_int(r, 3) : 1000;
    char mark[128];
    switch ((k / 2) % 4) { /* venue.mark: last, delayed, ema, deviation in turn */
    case 0: snprintf(mark, sizeof mark, "{model: last}"); break;
    case 1: snprintf(mark, sizeof mark, "{model: delayed, steps: %lu}", gsl_rng_uniform_int(r, 6)); break;
    case 2: snprintf(mark, sizeof mark, "{model: ema, half_life: %g}", 30 + 1200 * gsl_rng_uniform(r)); break;
    default:
        snprintf(mark, sizeof mark, "{model: deviation, threshold: %g, heartbeat: %g}",
                 0.02 * gsl_rng_uniform(r), 600 * gsl_rng_uniform(r));
    }
    cr_assert(asprintf(
                  &text,
                  "simulation: {runs: 4, steps: %lu, dt: 60, seed: %lu, max_rounds: %d}\n"
                  "price: {model: gbm, s0: 100, mu: %g, sigma: %g}\n"
                  "impact: {model: %s%s%g, permanent: %g, half_life: %g}\n"
                  "population:\n"
                  "  accounts: %lu\n"
                  "  long_fraction: %g\n"
                  "  notional: {dist: pareto, min: 1000, alpha: 1.3, max: 1.0e7}\n"
                  "  leverage: {dist: uniform, min: 1.5, max: 90}\n"
                  "  entry: {dist: lognormal, sigma: %g}\n"
                  "venue:\n"
                  "  tiers:\n"
                  "    - {up_to: 20000, mmr: %g, max_leverage: 90}\n"
                  "    - {up_to: 200000, mmr: %g, max_leverage: 40}\n"
                  "    - {up_to: 1.0e300, mmr: %g, max_leverage: 10}\n"
                  "  liquidation_fee: %g\n"
                  "  insurance_fund: %g\n"
                  "  mark: %s\n"
                  "output: {every: %lu}\n",
                  steps, gsl_rng_get(r) % 1000,
                  rounds, 20 * (gsl_rng_uniform(r) - 0.5), 0.5 + 2.5 * gsl_rng_uniform(r),
                  impact_none ? "none" : "linear", impact_none ? ", " : ", depth_1pct: ",
                  impact_none ? 0.0 : 1e5 * (1 + 20 * gsl_rng_uniform(r)), gsl_rng_uniform(r),
                  k % 2 ? 0.0 : 600 * gsl_rng_uniform(r), 100 + gsl_rng_uniform_int(r, 1900),
                  gsl_rng_uniform(r), 0.002 + 0.03 * gsl_rng_uniform(r), mmr0, mmr0 * 2,
                  mmr0 * 4, 0.01 * gsl_rng_uniform(r), 1e5 * gsl_rng_uniform(r), mark, every) > 0);
    if (impact_none) { /* "none" takes no depth: drop the placeholder */
        char *p = strstr(text, ", 0, permanent");
        memmove(p, p + 3, strlen(p + 3) + 1);
    }
    return text;
}

Test(engine, index_and_scan_are_identical)
{
    gsl_rng *r = lc_rng_create(2024, 99, 0);
    long liquidations = 0, truncated = 0, shortfalls = 0;
    for (int k = 0; k < 40; k++) {
        char *text = random_scenario(r, k);
        lc_scenario *sc = t_scenario(text);
        lc_error err = {0};
        lc_population *pop = lc_population_create(sc, &err);
        cr_assert_not_null(pop, "%s", err.msg);
        lc_scratch *si = lc_scratch_create(sc, pop, LC_ENGINE_INDEX);
        lc_scratch *ss = lc_scratch_create(sc, pop, LC_ENGINE_SCAN);
        long cols = lc_scenario_series_cols(sc);
        for (long run = 0; run < sc->runs; run++) {
            result a, b;
            run_one(sc, pop, si, run, &a);
            run_one(sc, pop, ss, run, &b);
            cr_assert(memcmp(&a.row, &b.row, sizeof a.row) == 0,
                      "scenario %d run %ld: rows differ (index %ld+%ld liqs, scan %ld+%ld)\n%s", k,
                      run, a.row.liq_count_long, a.row.liq_count_short, b.row.liq_count_long,
                      b.row.liq_count_short, text);
            for (int i = 0; i < LC_SERIES_N; i++)
                cr_assert(memcmp(a.series[i], b.series[i], (size_t)cols * sizeof(float)) == 0,
                          "scenario %d run %ld: series %s differs", k, run, lc_series[i].name);
            cr_assert_eq(a.ev.n, b.ev.n);
            cr_assert(a.ev.n == 0 || memcmp(a.ev.v, b.ev.v, (size_t)a.ev.n * sizeof *a.ev.v) == 0);
            liquidations += a.row.liq_count_long + a.row.liq_count_short;
            truncated += a.row.truncated;
            for (long e = 0; e < a.ev.n; e++)
                shortfalls += a.ev.v[e].shortfall > 0;
            free_result(&a);
            free_result(&b);
        }
        lc_scratch_free(si);
        lc_scratch_free(ss);
        lc_population_free(pop);
        lc_scenario_free(sc);
        free(text);
    }
    gsl_rng_free(r);
    /* the comparison means something only if the cases were exercised */
    cr_assert_gt(liquidations, 1000, "only %ld liquidations", liquidations);
    cr_assert_gt(truncated, 0, "max_rounds was never hit");
    cr_assert_gt(shortfalls, 0, "no liquidation beyond bankruptcy");
}

static const char *crash =
    "simulation: {runs: 30, steps: 240, dt: 60, seed: 5, max_rounds: 50}\n"
    "price: {model: gbm, s0: 100, mu: -40, sigma: 3}\n"
    "impact: {model: linear, depth_1pct: 2.0e5, permanent: 0.8, half_life: 120}\n"
    "population:\n"
    "  accounts: 3000\n"
    "  long_fraction: 0.7\n"
    "  notional: {dist: lognormal, median: 5000, sigma: 1}\n"
    "  leverage: {dist: discrete, values: [3, 10, 25, 50], weights: [1, 2, 2, 1]}\n"
    "  entry: {dist: lognormal, sigma: 0.01}\n"
    "venue:\n"
    "  tiers:\n"
    "    - {up_to: 20000, mmr: 0.005, max_leverage: 50}\n"
    "    - {up_to: 1.0e300, mmr: 0.01, max_leverage: 25}\n"
    "  liquidation_fee: 0.0075\n"
    "  insurance_fund: 2000\n";

/* The crash with venue lines appended (extra), checked event by event. */
static void money_balances(const char *extra)
{
    char *text;
    cr_assert(asprintf(&text, "%s%s", crash, extra) > 0);
    lc_scenario *sc = t_scenario(text);
    free(text);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX);
    long events = 0, bankrupt = 0, bad_runs = 0;
    for (long run = 0; run < sc->runs; run++) {
        result a;
        run_one(sc, pop, s, run, &a);
        double fees = 0, covered = 0, ins = sc->insurance_fund, notional_long = 0;
        for (long k = 0; k < a.ev.n; k++) {
            const lc_event *e = &a.ev.v[k];
            long i = e->account;
            int side = pop->side[i];
            double q = pop->qty[i], x = e->price, c = pop->collateral[i];
            /* from the definitions, not through lc_settle */
            double pnl = side * q * (x - pop->entry[i]);
            double equity = c + pnl;
            double fee = equity > 0 ? fmin(sc->liquidation_fee * q * x, equity) : 0;
            double shortfall = equity < 0 ? -equity : 0;
            double returned = equity > 0 ? equity - fee : 0;
            cr_assert(fabs(e->fee - fee) < 0.005, "event %ld fee %.6f vs %.6f", k, e->fee, fee);
            cr_assert(fabs(e->shortfall - shortfall) < 0.005);
            cr_assert(fabs(c + pnl - (returned + e->fee - e->shortfall)) < 0.005);
            cr_assert(returned >= 0);
            cr_assert_float_eq(e->qty, side * q, 1e-12 * q);
            cr_assert_float_eq(e->notional, q * x, 1e-9 * q * x);
            /* the fund pays what it can, in settlement order */
            double pay = fmin(shortfall, ins + e->fee);
            ins += e->fee - pay;
            covered += pay;
            fees += e->fee;
            if (side > 0)
                notional_long += e->notional;
            events++;
            bankrupt += shortfall > 0;
        }
        cr_assert(fabs(a.row.fees - fees) < 0.005);
        /* insurance_end = start + fees − covered; bad debt = shortfalls − covered */
        cr_assert(fabs(a.row.insurance_end - (sc->insurance_fund + fees - covered)) < 0.005,
                  "run %ld: insurance %.4f vs %.4f", run, a.row.insurance_end,
                  sc->insurance_fund + fees - covered);
        double shortfalls = 0;
        for (long k = 0; k < a.ev.n; k++)
            shortfalls += a.ev.v[k].shortfall;
        cr_assert(fabs(a.row.bad_debt - (shortfalls - covered)) < 0.005);
        cr_assert(a.row.insurance_end >= 0 && a.row.insurance_min >= 0);
        cr_assert(fabs(a.row.liq_notional_long - notional_long) < 0.005);
        cr_assert_eq(a.row.liq_count_long + a.row.liq_count_short, a.ev.n);
        bad_runs += a.row.bad_debt > 0;
        free_result(&a);
    }
    cr_assert_gt(events, 1000);
    cr_assert_gt(bankrupt, 10, "the crash must produce shortfalls");
    cr_assert_gt(bad_runs, 0, "and exhaust the fund in some runs");
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, money_balances_to_the_cent_at_every_liquidation)
{
    money_balances("");
}

Test(engine, money_balances_with_an_oracle_mark)
{
    money_balances("  mark: {model: ema, half_life: 300}\n");
    money_balances("  mark: {model: deviation, threshold: 0.01, heartbeat: 600}\n");
}

Test(engine, a_run_depends_only_on_its_index)
{
    lc_scenario *sc = t_scenario(crash);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    lc_scratch *s1 = lc_scratch_create(sc, pop, LC_ENGINE_INDEX);
    lc_scratch *s2 = lc_scratch_create(sc, pop, LC_ENGINE_INDEX);
    result a, b, c;
    run_one(sc, pop, s1, 7, &a);
    run_one(sc, pop, s2, 3, &b); /* dirty s2 with another run first */
    run_one(sc, pop, s2, 7, &c);
    cr_assert(memcmp(&a.row, &c.row, sizeof a.row) == 0);
    cr_assert(memcmp(&a.row, &b.row, sizeof a.row) != 0, "different runs must differ");
    free_result(&a);
    free_result(&b);
    free_result(&c);
    lc_scratch_free(s1);
    lc_scratch_free(s2);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, no_impact_means_market_follows_fundamental)
{
    lc_scenario *sc = t_scenario("simulation: {runs: 1, steps: 500, dt: 60, seed: 3}\n"
                                 "price: {model: gbm, s0: 100, sigma: 2}\n"
                                 "impact: {model: none}\n"
                                 "population: {accounts: 2000, notional: {dist: fixed, value: 1000},"
                                 " leverage: {dist: fixed, value: 50}}\n");
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX);
    result a;
    run_one(sc, pop, s, 0, &a);
    cr_assert_gt(a.row.liq_count_long + a.row.liq_count_short, 0);
    for (long t = 0; t <= sc->steps; t++)
        cr_assert_eq(a.series[LC_SERIES_PRICE][t], a.series[LC_SERIES_FUNDAMENTAL][t]);
    cr_assert_float_eq(a.row.max_drawdown, a.row.exo_drawdown, 1e-12);
    free_result(&a);
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* One cascade round in closed form. 100 identical longs (10x, entry 100,
 * mmr 0.004: liquidation price 90/0.996) and a deterministic fall of the
 * fundamental (sigma 0: log F moves by mu·dt per step) below it in step 1.
 * All breach together at p0 = 100·e^(mu·dt); their n = −100·q base move
 * log P by dJ = 0.01·n·p0/depth_1pct and settle at x = p0·expm1(dJ)/dJ, which
 * lies strictly between p0 and the new price p0·e^dJ. Nothing is left to
 * liquidate, so the open interest is exactly 0, not a rounding residue. */
Test(engine, one_linear_round_matches_its_closed_form)
{
    lc_scenario *sc = t_scenario("simulation: {runs: 1, steps: 3, dt: 2592000, seed: 1}\n"
                                 "price: {model: gbm, s0: 100, mu: -2, sigma: 0}\n"
                                 "impact: {model: linear, depth_1pct: 1.0e6}\n"
                                 "population:\n"
                                 "  accounts: 100\n"
                                 "  long_fraction: 1\n"
                                 "  notional: {dist: fixed, value: 10000}\n"
                                 "  leverage: {dist: fixed, value: 10}\n"
                                 "  entry: {dist: lognormal, sigma: 0}\n"
                                 "venue:\n"
                                 "  tiers: [{up_to: 1.0e300, mmr: 0.004, max_leverage: 125}]\n");
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX);
    result a;
    run_one(sc, pop, s, 0, &a);

    double p0 = 100 * exp(-2.0 * 2592000 / LC_YEAR_S);
    double q = 10000 / 100.0;
    double dj = 0.01 * (-100 * q) * p0 / 1.0e6;
    double x = p0 * expm1(dj) / dj, p1 = p0 * exp(dj);
    cr_assert_lt(p0, 90 / 0.996, "the fall must cross the liquidation price");
    cr_assert_eq(a.row.liq_count_long, 100);
    cr_assert_eq(a.row.max_rounds, 1, "all accounts go in one round");
    cr_assert_eq(a.ev.n, 100);
    for (long k = 0; k < a.ev.n; k++) {
        cr_assert_float_eq(a.ev.v[k].price, x, 1e-12 * x, "event %ld at %.15g, want %.15g", k,
                           a.ev.v[k].price, x);
        cr_assert_eq(a.ev.v[k].round, 1);
    }
    cr_assert(p1 < x && x < p0, "vwap %.9g must lie between %.9g and %.9g", x, p1, p0);
    /* steps 2 and 3 move F on by the same log-return; J stays (permanent 1) */
    double end = p1 * exp(2 * -2.0 * 2592000 / LC_YEAR_S);
    cr_assert_float_eq(a.row.price_final, end, 1e-12 * end);
    cr_assert_float_eq(a.row.liq_notional_long, 100 * q * x, 1e-9 * q * x);
    cr_assert_eq(a.row.oi_end, 0.0, "oi_end %g: nothing is open", a.row.oi_end);
    free_result(&a);
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

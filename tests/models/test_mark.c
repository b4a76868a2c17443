/* test_mark.c — the mark (oracle) models of models/mark/ and how the engine
 * uses them.
 *  - each oracle against a sequence computed by hand on a scripted path;
 *  - in the engine, on a deterministic path (gbm, sigma 0), the recorded mark
 *    is the oracle of the market price sampled once per step, right after the
 *    exogenous move;
 *  - with an oracle, a cascade that `last` runs to its end within one step
 *    propagates across steps instead;
 *  - `fixed` (an exchange-rate oracle) keeps its mark whatever the market
 *    does, so a fall of the market that `last` liquidates on breaches no one
 *    (exact: no noise, compared to 1e-12 or bit for bit). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "support.h"

/* s0, then the market sampled at steps 1..8 */
static const double path[9] = {100, 101, 99, 98.9, 103, 103.2, 103.5, 103.1, 102.2};

static void oracle(const char *name, const double *p, double dt_s, double *mark)
{
    const lc_desc *d = lc_family_find(&lc_mark_family, name);
    cr_assert_not_null(d, "no mark model %s", name);
    const lc_mark_model *m = lc_mark_model_of(d);
    void *state = calloc(1, m->state_size ? m->state_size : 1);
    m->init(state, p, path[0], dt_s);
    for (long t = 1; t <= 8; t++)
        mark[t] = m->sample(state, p, t, path[t]);
    free(state);
}

static void expect(const char *what, const double *mark, const double *want)
{
    for (int t = 1; t <= 8; t++)
        cr_assert(fabs(mark[t] - want[t]) <= 1e-12 * want[t], "%s: step %d mark %.15g, want %.15g",
                  what, t, mark[t], want[t]);
}

Test(mark, last_is_the_market)
{
    double m[9], p[1] = {0};
    oracle("last", p, 60, m);
    expect("last", m, path);
    cr_assert(lc_mark_model_of(lc_family_find(&lc_mark_family, "last"))->live);
    cr_assert_eq(lc_mark_family.members[0], lc_family_find(&lc_mark_family, "last"),
                 "last is the default");
}

Test(mark, delayed_reports_k_steps_late)
{
    double m[9], k2[1] = {2}, k0[1] = {0}, k9[1] = {9};
    oracle("delayed", k2, 60, m); /* P_{t-2}; before the run: s0 */
    expect("delayed 2", m, (double[9]){0, 100, 100, 101, 99, 98.9, 103, 103.2, 103.5});
    oracle("delayed", k0, 60, m); /* the sample itself */
    expect("delayed 0", m, path);
    oracle("delayed", k9, 60, m); /* longer than the path: s0 throughout */
    expect("delayed 9", m, (double[9]){0, 100, 100, 100, 100, 100, 100, 100, 100});
}

Test(mark, ema_halves_weights_every_half_life)
{
    double m[9], h[1] = {60};
    oracle("ema", h, 60, m); /* half_life = dt: a = 1/2, mark = (mark + P)/2 */
    expect("ema", m,
           (double[9]){0, 100.5, 99.75, 99.325, 101.1625, 102.18125, 102.840625, 102.9703125,
                       102.58515625});
    double h2[1] = {120}, m2[9];
    oracle("ema", h2, 60, m2); /* a = 1 − 2^(−1/2) */
    double a = 1 - pow(2, -0.5), want = 100;
    for (int t = 1; t <= 8; t++) {
        want += a * (path[t] - want);
        cr_assert(fabs(m2[t] - want) < 1e-12 * want);
    }
}

Test(mark, deviation_updates_on_threshold_or_heartbeat)
{
    /* threshold 1%, heartbeat 180 s, dt 60 s, from mark 100 at t = 0:
     * t1 101 (1.0, not > 1), t2 99 (120 s): stay; t3 98.9 (1.1 > 1): update;
     * t4 103 (> 0.989): update; t5, t6 within 1.03 and < 180 s: stay;
     * t7 heartbeat (180 s since t4): update to 103.1; t8 102.2 (0.9): stay */
    double m[9], p[2] = {0.01, 180};
    oracle("deviation", p, 60, m);
    expect("deviation", m, (double[9]){0, 100, 100, 98.9, 103, 103, 103, 103.1, 103.1});
    double every[2] = {0.5, 0}; /* heartbeat 0: every step */
    oracle("deviation", every, 60, m);
    expect("deviation heartbeat 0", m, path);
}

Test(mark, fixed_ignores_the_market)
{
    double m[9], s0[1] = {0}, rate[1] = {97.5};
    oracle("fixed", s0, 60, m); /* rate 0: the price at t = 0 */
    expect("fixed s0", m, (double[9]){0, 100, 100, 100, 100, 100, 100, 100, 100});
    oracle("fixed", rate, 60, m);
    expect("fixed rate", m, (double[9]){0, 97.5, 97.5, 97.5, 97.5, 97.5, 97.5, 97.5, 97.5});
    const lc_desc *d = lc_family_find(&lc_mark_family, "fixed");
    cr_assert(!lc_mark_model_of(d)->live, "fixed is sampled once per step, not live");
    cr_assert_eq(d->params[0].def, 0, "rate defaults to 0: the price at t = 0");
}

Test(mark, scenario_keys_and_errors)
{
    lc_scenario *sc = t_scenario("population: {accounts: 0}\n"
                                 "price: {model: gbm, s0: 100}\n"
                                 "venue: {mark: {model: deviation, threshold: 0.02}}\n");
    cr_assert_str_eq(sc->market[0].mark.desc->name, "deviation");
    cr_assert_eq(sc->market[0].mark.p[0], 0.02);
    cr_assert_eq(sc->market[0].mark.p[1], 3600, "heartbeat defaults to an hour");
    char *y = lc_scenario_resolved_yaml(sc);
    cr_assert(strstr(y, "  mark:\n    model: deviation\n"), "%s", y);
    lc_scenario *back = t_scenario(y);
    cr_assert_eq(back->market[0].mark.p[0], 0.02);
    free(y);
    lc_scenario_free(back);
    lc_scenario_free(sc);
    const char *e = t_scenario_errors("population: {accounts: 0}\n"
                                      "price: {model: gbm, s0: 100}\n"
                                      "venue:\n  mark: {model: delayed, steps: -1}\n",
                                      NULL, 0);
    cr_assert(strstr(e, "test.yaml:4: venue.mark.steps: must be >= 0 (got -1)"), "%s", e);
    e = t_scenario_errors("population: {accounts: 0}\n"
                          "price: {model: gbm, s0: 100}\n"
                          "venue:\n  mark: {model: ema, half_life: 0}\n",
                          NULL, 0);
    cr_assert(strstr(e, "test.yaml:4: venue.mark.half_life: must be > 0 (got 0)"), "%s", e);
    e = t_scenario_errors("population: {accounts: 0}\n"
                          "price: {model: gbm, s0: 100}\n"
                          "venue:\n  mark: {model: emaa}\n",
                          NULL, 0);
    cr_assert(strstr(e, "did you mean 'ema'"), "%s", e);
}

/* The engine's mark series on a deterministic path: P_t = 100·e^(g·t). */
static float *mark_series(const char *mark, long steps)
{
    char text[512];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: %ld, dt: 60, seed: 1}\n"
             "price: {model: gbm, s0: 100, mu: 30, sigma: 0}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "venue: {mark: %s}\n",
             steps, mark);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 0);
    float *series[LC_SERIES_N] = {0};
    series[LC_SERIES_MARK] = calloc((size_t)steps + 1, sizeof(float));
    lc_run_row row;
    cr_assert_eq(lc_engine_run(sc, pop, s, 0, 0, &row, series, NULL, &err), 0, "%s", err.msg);
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
    return series[LC_SERIES_MARK];
}

Test(mark, engine_samples_once_per_step_after_the_exogenous_move)
{
    const long n = 50;
    double g = 30.0 * 60 / LC_YEAR_S; /* log-return per step (sigma 0) */
    float *last = mark_series("{model: last}", n);
    float *del = mark_series("{model: delayed, steps: 3}", n);
    float *ema = mark_series("{model: ema, half_life: 120}", n);
    double a = 1 - pow(2, -0.5), e = 100;
    for (long t = 0; t <= n; t++) {
        double p = 100 * exp(g * (double)t);
        if (t > 0)
            e += a * (p - e);
        double d = t >= 3 ? 100 * exp(g * (double)(t - 3)) : 100;
        cr_assert(fabs(last[t] - p) < 1e-6 * p, "last at %ld: %g vs %g", t, last[t], p);
        cr_assert(fabs(del[t] - d) < 1e-6 * d, "delayed at %ld: %g vs %g", t, del[t], d);
        cr_assert(fabs(ema[t] - e) < 1e-6 * e, "ema at %ld: %g vs %g", t, ema[t], e);
    }
    free(last);
    free(del);
    free(ema);
    /* the market rises 50 times by e^g; a fixed mark does not move */
    float *fix = mark_series("{model: fixed}", n),
          *rate = mark_series("{model: fixed, rate: 1.05}", n);
    for (long t = 0; t <= n; t++) {
        cr_assert_eq(fix[t], 100.0f, "fixed at %ld: %g", t, fix[t]);
        /* the rate from t = 0 on: the oracle's init gives the first mark */
        cr_assert_eq(rate[t], 1.05f, "fixed rate at %ld: %g", t, rate[t]);
    }
    free(fix);
    free(rate);
}

/* Ten longs (q = 100, entry 100, collateral 1,000, mmr 0.004: liquidation at
 * 90/0.996 = 90.36) and a market that falls 12% a step (sigma 0, impact none):
 * `last` and `delayed` liquidate every one, `fixed` at s0 none (the LST case),
 * `fixed` at a rate below 90.36 every one in step 1 whatever the market. */
static long liquidations(const char *mark, long *first_step)
{
    char text[640];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: 4, dt: 86400, seed: 1}\n"
             "price: {model: gbm, s0: 100, mu: %.17g, sigma: 0}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "venue: {mark: %s, tiers: [{up_to: 1e300, mmr: 0.004, max_leverage: 100}]}\n",
             365 * log(0.88), mark);
    lc_scenario *sc = t_scenario(text);
    int8_t side[10];
    double q[10], e[10], c[10], mmr[10];
    for (int i = 0; i < 10; i++)
        side[i] = 1, q[i] = 100, e[i] = 100, c[i] = 1000, mmr[i] = 0.004;
    lc_error err = {0};
    lc_population *pop = lc_population_from_arrays(10, side, q, e, c, mmr, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_eventbuf ev = {0};
    lc_run_row row;
    cr_assert_eq(lc_engine_run(sc, pop, s, 0, 0, &row, NULL, &ev, &err), 0, "%s", err.msg);
    long n = ev.n;
    *first_step = n ? ev.v[0].step : 0;
    lc_eventbuf_free(&ev);
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
    return n;
}

Test(mark, a_fixed_rate_liquidates_no_one_on_a_depeg)
{
    long step;
    cr_assert_eq(liquidations("{model: last}", &step), 10);
    cr_assert_eq(step, 1, "the market is at 88 after step 1");
    cr_assert_eq(liquidations("{model: delayed, steps: 1}", &step), 10);
    cr_assert_eq(step, 2);
    cr_assert_eq(liquidations("{model: fixed}", &step), 0, "the mark stays at s0 = 100");
    cr_assert_eq(liquidations("{model: fixed, rate: 90}", &step), 10);
    cr_assert_eq(step, 1, "a rate below the liquidation price breaches at once");
}

/* Two groups of 10 longs (q = 100, entry 100, mmr 0.004): A liquidates at
 * 90/0.996 = 90.36, B at 89. The fundamental falls to 90.2 in step 1 (sigma
 * 0); A's forced sale through a thin book pushes the market below 89. With
 * `last` B follows in round 2 of step 1; with an oracle sampled once per
 * step, B waits for the next sample. */
static lc_eventbuf cascade(const char *mark)
{
    char text[640];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: 4, dt: 86400, seed: 1}\n"
             "price: {model: gbm, s0: 100, mu: %.17g, sigma: 0}\n"
             "impact: {model: linear, depth_1pct: 30000}\n"
             "population: {accounts: 0}\n"
             "venue: {mark: %s, tiers: [{up_to: 1e300, mmr: 0.004, max_leverage: 100}]}\n",
             365 * log(0.902), mark);
    lc_scenario *sc = t_scenario(text);
    int8_t side[20];
    double q[20], e[20], c[20], mmr[20];
    for (int i = 0; i < 20; i++) {
        side[i] = 1;
        q[i] = 100;
        e[i] = 100;
        mmr[i] = 0.004;
        c[i] = i < 10 ? 1000 : 10000 - 89 * 100 * 0.996;
    }
    lc_error err = {0};
    lc_population *pop = lc_population_from_arrays(20, side, q, e, c, mmr, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_eventbuf ev = {0};
    lc_run_row rows[2];
    for (int k = 0; k < 2; k++) { /* both engines */
        lc_scratch *s = lc_scratch_create(sc, pop, k ? LC_ENGINE_SCAN : LC_ENGINE_INDEX, 1);
        lc_eventbuf b = {0};
        cr_assert_eq(lc_engine_run(sc, pop, s, 0, 0, &rows[k], NULL, &b, &err), 0, "%s", err.msg);
        lc_scratch_free(s);
        if (k == 0)
            ev = b;
        else {
            cr_assert_eq(b.n, ev.n);
            cr_assert(memcmp(b.v, ev.v, (size_t)b.n * sizeof *b.v) == 0);
            lc_eventbuf_free(&b);
        }
    }
    cr_assert(memcmp(&rows[0], &rows[1], sizeof rows[0]) == 0);
    lc_population_free(pop);
    lc_scenario_free(sc);
    cr_assert_eq(ev.n, 20, "%s: every account goes (%ld events)", mark, ev.n);
    return ev;
}

Test(mark, an_oracle_spreads_a_cascade_over_steps)
{
    lc_eventbuf last = cascade("{model: last}");
    lc_eventbuf d0 = cascade("{model: delayed, steps: 0}");
    lc_eventbuf d1 = cascade("{model: delayed, steps: 1}");
    for (int i = 0; i < 20; i++) {
        int b = i >= 10; /* account order is liquidation order: A, then B */
        cr_assert_eq(last.v[i].step, 1);
        cr_assert_eq(last.v[i].round, 1 + b, "last: account %ld round %ld", last.v[i].account,
                     last.v[i].round);
        cr_assert_eq(d0.v[i].step, 1 + b);
        cr_assert_eq(d0.v[i].round, 1);
        cr_assert_eq(d1.v[i].step, 2 + b, "delayed 1 sees step 1's price at step 2");
        cr_assert_eq(d1.v[i].round, 1);
    }
    /* A is settled at the same VWAP whatever the mark: step 1's market */
    cr_assert_eq(last.v[0].price, d0.v[0].price);
    lc_eventbuf_free(&last);
    lc_eventbuf_free(&d0);
    lc_eventbuf_free(&d1);
}

/* test_engine.c — the cascade engine.
 *  - the indexed engine and the scan oracle give identical rows, series and
 *    events on many randomly drawn scenarios (mixed sides, tiers, leverage,
 *    every impact model, transient impact, liquidity withdrawal, max_rounds hit,
 *    every mark model, auto-deleveraging with every ranking, partial
 *    liquidation of each mode, and from k = 40 on many markets, two in three
 *    of those with cross and portfolio accounts of 1 to 3 positions and
 *    haircut collateral: the slack finder against the scan);
 *  - liquidity withdrawal thins the book by the documented multiplier;
 *  - money balances to the cent at every liquidation and over every run;
 *  - a run does not depend on which runs came before it on the same scratch. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/rng.h"
#include "support.h"

/* The event kinds the venue rules declare (venue/adl.c, partial.c, topup.c;
 * rule_tables_declare_the_event_kinds checks them). */
enum { EV_ADL = 2, EV_PARTIAL = 3, EV_TOPUP = 4 };

typedef struct result {
    lc_run_row row;
    float *series[LC_SERIES_N];
    lc_eventbuf ev;
} result;

static void run_one(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long run,
                    result *out)
{
    long cols = lc_scenario_series_cols(sc) * sc->nmarkets; /* a row per market */
    for (int i = 0; i < LC_SERIES_N; i++)
        out->series[i] = calloc((size_t)cols, sizeof(float));
    memset(&out->ev, 0, sizeof out->ev);
    lc_error err = {0};
    cr_assert_eq(lc_engine_run(sc, pop, s, 0, run, &out->row, out->series, &out->ev, &err), 0, "%s",
                 err.msg);
}

/* The scenario's population, or the test fails with the loader's errors. */
static lc_population *population_of(const lc_scenario *sc)
{
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    return pop;
}

static void free_result(result *r)
{
    for (int i = 0; i < LC_SERIES_N; i++)
        free(r->series[i]);
    lc_eventbuf_free(&r->ev);
}

/* The impact section of scenario k: every model in turn, each scaled so that
 * a flow of about depth (1e5 .. 2.1e6 quote at s0 100) moves the price ~1%;
 * liquidity withdrawal (one in four) up to wmax. */
static char *random_impact(gsl_rng *r, int k, double wmax)
{
    char *model, *text;
    double depth = 1e5 * (1 + 20 * gsl_rng_uniform(r));
    int ok;
    switch (k % 5) {
    case 0:
        ok = asprintf(&model, "linear, depth_1pct: %g", depth);
        break;
    case 1: { /* Y·sigma·sqrt(depth/adv) = 0.01 at Y 1, sigma 0.05 */
        double y = 0.5 + gsl_rng_uniform(r);
        ok = asprintf(&model, "sqrt, Y: %g, sigma_daily: 0.05, adv: %g", y, 25 * depth);
        break;
    }
    case 2: {
        double alpha = 0.5 + 2 * gsl_rng_uniform(r);
        ok = asprintf(&model, "book, depth_1pct: %g, alpha: %g", depth, alpha);
        break;
    }
    case 3: { /* small flows move log price 2Q/y: y = 200·depth; sometimes a fee, a low cap */
        double fee = k % 2 ? 0.0 : 0.01 * gsl_rng_uniform(r);
        double take = k % 4 == 3 ? 0.05 + 0.2 * gsl_rng_uniform(r) : 0.999;
        ok = asprintf(&model, "amm, liquidity: %g, fee: %g, max_take: %g", 200 * depth, fee, take);
        break;
    }
    default:
        ok = asprintf(&model, "none");
    }
    cr_assert(ok > 0);
    double permanent = gsl_rng_uniform(r);
    double half_life = k % 2 ? 0.0 : 600 * gsl_rng_uniform(r);
    char withdrawal[128] = ""; /* liquidity withdrawal in one scenario of four */
    if (k % 4 == 1) {
        double w = wmax * gsl_rng_uniform(r), ref = 0.5 + 1.5 * gsl_rng_uniform(r);
        double hl = 60 + 1200 * gsl_rng_uniform(r);
        snprintf(withdrawal, sizeof withdrawal,
                 ", withdrawal: %g, sigma_ref: %g, vol_half_life: %g", w, ref, hl);
    }
    cr_assert(asprintf(&text, "{model: %s, permanent: %g, half_life: %g%s}", model, permanent,
                       half_life, withdrawal) > 0);
    free(model);
    return text;
}

/* The mark of scenario k: last, delayed, ema, deviation in turn. */
static void random_mark(gsl_rng *r, int k, char *mark, size_t size)
{
    switch ((k / 2) % 4) {
    case 0:
        snprintf(mark, size, "{model: last}");
        break;
    case 1:
        snprintf(mark, size, "{model: delayed, steps: %lu}", gsl_rng_uniform_int(r, 6));
        break;
    case 2:
        snprintf(mark, size, "{model: ema, half_life: %g}", 30 + 1200 * gsl_rng_uniform(r));
        break;
    default:
        snprintf(mark, size, "{model: deviation, threshold: %g, heartbeat: %g}",
                 0.02 * gsl_rng_uniform(r), 600 * gsl_rng_uniform(r));
    }
}

/* The one-market sections of a random scenario as a markets: list of 2 or 3
 * markets, each with its own price model, impact, mark and tiers (mmr0 the
 * first tier's rate) and, if rate is not NULL, its collateral_rate (written
 * when < 1), correlated by a random rho or a stressed t copula. */
static char *random_markets(gsl_rng *r, int k, double mmr0, const double *rate)
{
    int n = 2 + k % 2;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    fprintf(f, "markets:\n");
    for (int m = 0; m < n; m++) {
        /* accounts that span markets hold up to n positions each: with all of
         * them on one side, a book thinned by withdrawal beyond 1 can feed a
         * squeeze past any finite price (the run's error, not a disagreement) */
        char *impact = random_impact(r, k + m, rate ? 1 : 3);
        char mark[128];
        random_mark(r, k + 2 * m, mark, sizeof mark);
        double s0 = m == 0 ? 100 : 10 + 1000 * gsl_rng_uniform(r),
               sigma = 0.5 + 2 * gsl_rng_uniform(r);
        fprintf(f, "  - name: M%d\n", m);
        if ((k + m) % 3 == 1)
            fprintf(f,
                    "    price: {model: merton, s0: %g, sigma: %g, lambda: 200, jump_mean: -0.01, "
                    "jump_sigma: 0.01}\n",
                    s0, sigma);
        else
            fprintf(f, "    price: {model: gbm, s0: %g, mu: %g, sigma: %g}\n", s0,
                    20 * (gsl_rng_uniform(r) - 0.5), sigma);
        /* the impact depths are for s0 100: scale them to this market's price */
        fprintf(f, "    impact: %s\n    mark: %s\n", impact, mark);
        double mm = mmr0 * (0.5 + gsl_rng_uniform(r));
        if (mm > 0.011) /* mm x 90 < 1 (max_leverage 90) */
            mm = 0.011;
        fprintf(f,
                "    tiers: [{up_to: 20000, mmr: %g, max_leverage: 90}, {up_to: 1.0e300, mmr: %g, "
                "max_leverage: 20}]\n",
                mm, 2 * mm);
        if (rate && rate[m] < 1)
            fprintf(f, "    collateral_rate: %g\n", rate[m]);
        free(impact);
    }
    double rho = -0.3 + 1.2 * gsl_rng_uniform(r);
    if (rho > 0.99)
        rho = 0.99;
    if (k % 3 == 0)
        fprintf(f,
                "correlation: {rho: %g, copula: t, nu: %g, stress: {rho: 0.95, enter: 2000, "
                "exit: 20000}}\n",
                rho < 0 ? 0.1 : rho, 2 + 6 * gsl_rng_uniform(r));
    else
        fprintf(f, "correlation: {rho: %g}\n", rho < -1.0 / (n - 1) ? 0.0 : rho);
    fclose(f);
    return text;
}

/* The number of markets of scenario k (random_markets) and whether it has
 * accounts that span markets (random_kinds). */
static int markets_of(int k)
{
    return k >= 40 ? 2 + k % 2 : 1;
}
static int spanning_of(int k)
{
    return k >= 40 && k % 3 != 2;
}

/* population.kinds of scenario k when spanning_of(k), and the markets'
 * collateral rates (some < 1), from a stream of their own so that the rest
 * of the scenario draws as it did before kinds: isolated, cross and
 * portfolio accounts by random weights, cross and portfolio holding 1 to
 * n positions (n markets) and collateral shares in some markets' assets;
 * into *venue the portfolio threshold (uni_mmr 1, 1.05 or 1.3 in turn) and,
 * in every other such scenario, the backstop vault (fraction in [0.3, 0.9],
 * an unwind in half of those). */
static char *random_kinds(int k, double *rate, char **venue)
{
    int n = markets_of(k);
    for (int m = 0; m < n; m++)
        rate[m] = 1;
    *venue = strdup("");
    if (!spanning_of(k))
        return strdup("");
    gsl_rng *r = lc_rng_create(4242, 1, (uint64_t)k);
    for (int m = 0; m < n; m++)
        if (gsl_rng_uniform(r) < 0.6)
            rate[m] = 0.6 + 0.4 * gsl_rng_uniform(r);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    fprintf(f, "  kinds:\n    isolated: {weight: %g}\n", 0.1 + gsl_rng_uniform(r));
    for (int margin = LC_MARGIN_CROSS; margin <= LC_MARGIN_PORTFOLIO; margin++) {
        int lo = 1 + (int)gsl_rng_uniform_int(r, (unsigned long)n);
        int hi = lo + (int)gsl_rng_uniform_int(r, (unsigned long)(n - lo + 1));
        fprintf(f, "    %s: {weight: %g, positions_min: %d, positions_max: %d",
                lc_margin_kinds[margin], 0.3 + gsl_rng_uniform(r), lo, hi);
        int held = 0;
        for (int m = 0; m < n; m++)
            if (gsl_rng_uniform(r) < 0.5)
                fprintf(f, "%sM%d: %g", held++ ? ", " : ", collateral: {", m,
                        0.25 * gsl_rng_uniform(r));
        fprintf(f, "%s}\n", held ? "}" : "");
    }
    fclose(f);
    static const double uni[3] = {1.0, 1.05, 1.3};
    free(*venue);
    double fraction = 0.3 + 0.6 * gsl_rng_uniform(r), unwind = 0.2 * gsl_rng_uniform(r);
    cr_assert(asprintf(venue, "  uni_mmr: %g\n  backstop: {fraction: %g, unwind: %g}\n", uni[k % 3],
                       k % 2 ? fraction : 0, (k / 2) % 2 ? unwind : 0) > 0);
    gsl_rng_free(r);
    return text;
}

/* A random scenario that makes cascades likely; from k = 40 on with 2 or 3
 * markets, two in three of those with accounts that span markets. */
static char *random_scenario(gsl_rng *r, int k)
{
    char *text;
    unsigned long every = 1 + gsl_rng_uniform_int(r, 3);
    unsigned long steps = every * (20 + gsl_rng_uniform_int(r, 60));
    double mmr0 = 0.002 + 0.006 * gsl_rng_uniform(r); /* x 90 stays < 1 */
    int rounds = k % 3 == 0 ? 1 + (int)gsl_rng_uniform_int(r, 3) : 1000;
    char *impact = random_impact(r, k, 3);
    char mark[128];
    random_mark(r, k, mark, sizeof mark);
    /* ADL in half the scenarios, each ranking in turn, with small funds */
    int adl = k % 4 >= 2;
    const char *ranking = lc_adl_rankings[(k / 4) % LC_ADL_NRANKINGS].name;
    double fund = adl ? 2000 * gsl_rng_uniform(r) : 1e5 * gsl_rng_uniform(r);
    /* partial liquidation in two scenarios of three, modes in turn */
    static const char *const modes[] = {"none", "fraction", "tier"};
    char partial[128];
    snprintf(partial, sizeof partial, "{mode: %s, fraction: %g, cooldown: %lu}", modes[k % 3],
             0.05 + 0.9 * gsl_rng_uniform(r), gsl_rng_uniform_int(r, 4));
    /* margin top-ups in half the scenarios (call above every mmr, < 0.04) */
    char topup[160] = "{probability: 0}";
    if ((k / 3) % 2 == 0) {
        double call = 0.1 + 0.8 * gsl_rng_uniform(r);
        snprintf(topup, sizeof topup, "{probability: %g, call: %g, delay: %lu, target: %g}",
                 0.2 + 0.8 * gsl_rng_uniform(r), call, gsl_rng_uniform_int(r, 5),
                 call * (0.1 + 0.85 * gsl_rng_uniform(r)));
    }
    int many = k >= 40;
    char *one = NULL, *tiers = NULL;
    double rate[LC_MAX_MARKETS];
    char *venue_extra;
    char *kinds = random_kinds(k, rate, &venue_extra);
    if (many) {
        one = random_markets(r, k, mmr0, spanning_of(k) ? rate : NULL);
        tiers = strdup("");
    } else {
        cr_assert(asprintf(&one, "price: {model: gbm, s0: 100, mu: %g, sigma: %g}\nimpact: %s\n",
                           20 * (gsl_rng_uniform(r) - 0.5), 0.5 + 2.5 * gsl_rng_uniform(r),
                           impact) > 0);
        cr_assert(asprintf(&tiers,
                           "  tiers:\n"
                           "    - {up_to: 20000, mmr: %g, max_leverage: 90}\n"
                           "    - {up_to: 200000, mmr: %g, max_leverage: 40}\n"
                           "    - {up_to: 1.0e300, mmr: %g, max_leverage: 10}\n"
                           "  mark: %s\n",
                           mmr0, mmr0 * 2, mmr0 * 4, mark) > 0);
    }
    cr_assert(asprintf(&text,
                       "simulation: {runs: 4, steps: %lu, dt: 60, seed: %lu, max_rounds: %d}\n"
                       "%s"
                       "population:\n"
                       "  accounts: %lu\n"
                       "  long_fraction: %g\n"
                       "  notional: {dist: pareto, min: 1000, alpha: 1.3, max: 1.0e7}\n"
                       "  leverage: {dist: uniform, min: 1.5, max: 90}\n"
                       "  entry: {dist: lognormal, sigma: %g}\n"
                       "%s"
                       "venue:\n"
                       "%s%s"
                       "  liquidation_fee: %g\n"
                       "  insurance_fund: %g\n"
                       "  adl: %s\n"
                       "  adl_ranking: %s\n"
                       "  partial: %s\n"
                       "  topup: %s\n"
                       "output: {every: %lu}\n",
                       steps, gsl_rng_get(r) % 1000, rounds, one,
                       /* accounts that span markets hold 1 to 3 positions each */
                       100 + gsl_rng_uniform_int(r, 1900) * (spanning_of(k) ? 1
                                                             : many         ? 3
                                                                            : 1),
                       gsl_rng_uniform(r), 0.002 + 0.03 * gsl_rng_uniform(r), kinds, tiers,
                       venue_extra, 0.01 * gsl_rng_uniform(r), fund, adl ? "adl" : "none", ranking,
                       partial, topup, every) > 0);
    free(one);
    free(tiers);
    free(kinds);
    free(venue_extra);
    free(impact);
    return text;
}

Test(engine, index_and_scan_are_identical)
{
    gsl_rng *r = lc_rng_create(2024, 99, 0);
    long liquidations = 0, truncated = 0, shortfalls = 0, adl_fills = 0, adl_runs = 0, partials = 0,
         topups = 0, calls = 0;
    long by_model[5] = {0}; /* liquidations per impact model (k % 5) */
    long many_liqs = 0;
    /* accounts that span markets: liquidated, in how many scenarios, and
     * runs that sold collateral */
    long span_liqs = 0, span_scenarios = 0, span_sales = 0, with_kinds = 0, backstops = 0,
         taken = 0;
    for (int k = 0; k < 64; k++) {
        char *text = random_scenario(r, k);
        lc_scenario *sc = t_scenario(text);
        lc_population *pop = population_of(sc);
        cr_assert_eq(sc->nmarkets, markets_of(k));
        cr_assert_eq(pop->n > pop->span0, spanning_of(k), "scenario %d: %ld spanning accounts", k,
                     pop->n - pop->span0);
        with_kinds += spanning_of(k);
        long span_before = span_liqs;
        lc_scratch *si = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
        lc_scratch *ss = lc_scratch_create(sc, pop, LC_ENGINE_SCAN, 1);
        long cols = lc_scenario_series_cols(sc) * sc->nmarkets;
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
            if (sc->nmarkets > 1)
                for (int m = 0; m < sc->nmarkets; m++)
                    many_liqs += a.row.mk[m].liq_count_long + a.row.mk[m].liq_count_short > 0;
            by_model[k % 5] += a.row.liq_count_long + a.row.liq_count_short;
            truncated += a.row.truncated;
            adl_fills += lc_run_value(&a.row, "adl_count");
            adl_runs += lc_run_value(&a.row, "adl_count") > 0;
            partials += lc_run_value(&a.row, "partial_count");
            topups += lc_run_value(&a.row, "topup_count");
            calls += lc_run_value(&a.row, "call_count");
            for (long e = 0; e < a.ev.n; e++)
                shortfalls += a.ev.v[e].shortfall > 0;
            span_liqs += a.row.span_liq_count;
            span_sales += a.row.collateral_sold > 0;
            backstops += lc_run_value(&a.row, "backstop_count");
            taken += a.row.collateral_taken > 0;
            free_result(&a);
            free_result(&b);
        }
        span_scenarios += span_liqs > span_before;
        lc_scratch_free(si);
        lc_scratch_free(ss);
        lc_population_free(pop);
        lc_scenario_free(sc);
        free(text);
    }
    gsl_rng_free(r);
    cr_log_info("accounts that span markets: %ld liquidated in %ld of the %ld scenarios with "
                "kinds; %ld runs sold collateral, %ld took some at the mark; the backstop took "
                "%ld accounts",
                span_liqs, span_scenarios, with_kinds, span_sales, taken, backstops);
    cr_assert_gt(backstops, 100, "the backstop took only %ld accounts", backstops);
    /* the comparison means something only if the cases were exercised */
    cr_assert_gt(liquidations, 1000, "only %ld liquidations", liquidations);
    cr_assert_gt(truncated, 0, "max_rounds was never hit");
    cr_assert_gt(shortfalls, 0, "no liquidation beyond bankruptcy");
    for (int m = 0; m < 5; m++)
        cr_assert_gt(by_model[m], 100, "impact model %d: only %ld liquidations", m, by_model[m]);
    cr_assert(adl_runs >= 5 && adl_fills > 500, "ADL ran in only %ld runs (%ld fills)", adl_runs,
              adl_fills);
    cr_assert_gt(partials, 500, "only %ld partial liquidations", partials);
    cr_assert_gt(topups, 100, "only %ld top-ups (%ld calls)", topups, calls);
    cr_assert_gt(many_liqs, 40, "only %ld (run, market) pairs with liquidations of many markets",
                 many_liqs);
    cr_assert_eq(with_kinds, 16);
    cr_assert_geq(span_scenarios, 14, "spanning accounts liquidated in only %ld scenarios of %ld",
                  span_scenarios, with_kinds);
    cr_assert_gt(span_liqs, 5000, "only %ld spanning accounts liquidated", span_liqs);
    cr_assert_gt(span_sales, 20, "collateral sold in only %ld runs", span_sales);
}

/* Withdrawal on a known path: gbm with sigma 0 and mu −100 over dt = 1e-4 yr
 * falls exactly 1% per step (log-return −0.01), and 50 identical longs
 * (notional 10,000 at entry 100, leverage 10, mmr 0.005: liquidation price
 * 100·0.9/0.995 = 90.45) are breached together at step 11 (100·e^−0.11 =
 * 89.58 < 90.45 < 100·e^−0.10 = 90.48). Until then there is no impact, so
 * the market's step returns are −0.01 and the EWMA after step 10 is
 *   v = λ^10·v0 + (1 − λ^10)·1e-4,  λ = 2^(−dt/vol_half_life) = 2^(−1/5),
 *   v0 = sigma_ref²·dt = 0.09e-4,   m = 1/(1 + w·(sqrt(v/v0) − 1)).
 * The one round sells n = 50·100 base at p0 = 100·e^−0.11 through depth
 * m·depth_1pct: dJ = −0.01·n·p0/(m·depth_1pct), X = p0·expm1(dJ)/dJ. */
Test(engine, liquidity_withdrawal_thins_the_book)
{
    static const double ws[] = {0, 1, 2.5};
    for (int k = 0; k < 3; k++) {
        char *text;
        cr_assert(asprintf(&text,
                           "simulation: {runs: 1, steps: 12, dt: 3153.6, seed: 1}\n"
                           "price: {model: gbm, s0: 100, mu: -100, sigma: 0}\n"
                           "impact: {model: linear, depth_1pct: 5.0e6, withdrawal: %g,"
                           " sigma_ref: 0.3, vol_half_life: 15768}\n"
                           "population:\n"
                           "  accounts: 50\n"
                           "  long_fraction: 1\n"
                           "  notional: {dist: fixed, value: 10000}\n"
                           "  leverage: {dist: fixed, value: 10}\n"
                           "  entry: {dist: lognormal, sigma: 0}\n",
                           ws[k]) > 0);
        lc_scenario *sc = t_scenario(text);
        lc_population *pop = population_of(sc);
        lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
        result a;
        run_one(sc, pop, s, 0, &a);
        cr_assert_eq(a.ev.n, 50);
        cr_assert_eq(a.ev.v[0].step, 11);
        double lam = exp2(-0.2), v0 = 0.09e-4;
        double v = pow(lam, 10) * v0 + (1 - pow(lam, 10)) * 1e-4;
        double m = 1 / (1 + ws[k] * (sqrt(v / v0) - 1));
        double p0 = 100 * exp(-0.11), dj = -0.01 * 5000 * p0 / (m * 5.0e6);
        double x = p0 * expm1(dj) / dj;
        for (long e = 0; e < a.ev.n; e++)
            cr_assert(fabs(a.ev.v[e].price - x) < 1e-11 * x, "w %g: X %.15g, want %.15g", ws[k],
                      a.ev.v[e].price, x);
        free_result(&a);
        lc_scratch_free(s);
        lc_population_free(pop);
        lc_scenario_free(sc);
        free(text);
    }
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

/* The crash with venue lines appended (extra), checked event by event from
 * the definitions, not through lc_settle. Each account's quantity and
 * collateral are followed through its events (a partial ADL fill leaves the
 * rest open, with collateral pro rata), so every row is checked against the
 * state it started from. With ADL (adl set) the crash must deleverage, and
 * a liquidation may leave bad debt only when no account of the other side
 * could take more (every one left would owe at the bankruptcy price). */
/* After an ADL group that left bad debt: no open account of side `side`
 * could have been a counterparty at bankruptcy price bp. */
static void no_candidate_left(const lc_population *pop, const double *cq, const double *cc,
                              int side, double bp)
{
    for (long j = 0; j < pop->n; j++)
        if (pop->side[j] == side && cq[j] > 0)
            cr_assert(cc[j] + side * cq[j] * (bp - pop->entry[j]) < 0,
                      "bad debt left while account %ld could deleverage", j);
}

static void money_balances(const char *extra, int adl)
{
    char *text;
    cr_assert(asprintf(&text, "%s%s", crash, extra) > 0);
    lc_scenario *sc = t_scenario(text);
    free(text);
    lc_population *pop = population_of(sc);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    long events = 0, bankrupt = 0, bad_runs = 0, adl_fills = 0, partial = 0, clean = 0,
         n_partial = 0, n_topup = 0;
    double *cq = malloc((size_t)pop->n * sizeof *cq), *cc = malloc((size_t)pop->n * sizeof *cc);
    for (long run = 0; run < sc->runs; run++) {
        result a;
        run_one(sc, pop, s, run, &a);
        memcpy(cq, pop->qty, (size_t)pop->n * sizeof *cq);
        memcpy(cc, pop->collateral, (size_t)pop->n * sizeof *cc);
        double fees = 0, covered = 0, ins = sc->insurance_fund, notional_long = 0;
        double group = 0, adl_notional = 0; /* signed quantity of the open ADL group */
        long liqs = 0, fills = 0, bankrupt_account = -1, partials = 0, topups = 0;
        double topped = 0; /* collateral brought in by top-ups */
        int short_of_counterparties = 0;
        double bp = 0;
        for (long k = 0; k <= a.ev.n; k++) {
            if (short_of_counterparties &&
                (k == a.ev.n || a.ev.v[k].kind == LC_EVENT_LIQUIDATION)) {
                no_candidate_left(pop, cq, cc, -pop->side[bankrupt_account], bp);
                short_of_counterparties = 0;
            }
            if (k == a.ev.n)
                break;
            const lc_event *e = &a.ev.v[k];
            long i = e->account;
            int side = pop->side[i];
            double d = fabs(e->qty), x = e->price;
            if (e->kind == EV_TOPUP) {
                /* money brought in: it joins the collateral that every later
                 * identity of the account starts from; the amount restores
                 * the target ratio at the mark (venue.h) */
                cr_assert(cq[i] > 0 && e->qty == 0 && e->fee == 0 && e->shortfall == 0);
                double eq = cc[i] + side * cq[i] * (x - pop->entry[i]);
                double want = lc_maintenance(sc->market[0].tiers, sc->market[0].ntiers, cq[i] * x) /
                                  lc_scenario_rule_number(sc, "topup", "target") -
                              eq;
                cr_assert(fabs(e->notional - want) < 0.005, "top-up %ld: %.6f vs %.6f", k,
                          e->notional, want);
                cc[i] += e->notional;
                topped += e->notional;
                topups++;
                events++;
                continue;
            }
            cr_assert(d <= cq[i] * (1 + 1e-12), "event %ld closes more than is open", k);
            /* collateral share (the whole, when all that is open closes) */
            double c = e->kind == EV_PARTIAL || d >= cq[i] ? cc[i] : cc[i] * (d / cq[i]);
            double pnl = side * d * (x - pop->entry[i]);
            double equity = c + pnl;
            cr_assert(e->qty == 0 || (e->qty > 0) == (side > 0), "qty signed by side");
            cr_assert_float_eq(e->notional, d * x, 1e-9 * (1 + d * x));
            if (e->kind == EV_PARTIAL) {
                /* part closed; pnl and fee stay with the rest, which stays open */
                double whole = cc[i] + side * cq[i] * (x - pop->entry[i]);
                double fee = whole > 0 ? fmin(sc->liquidation_fee * d * x, whole) : 0;
                cr_assert(fabs(e->fee - fee) < 0.005, "partial %ld fee %.6f vs %.6f", k, e->fee,
                          fee);
                cr_assert_eq(e->shortfall, 0);
                cr_assert(d < cq[i], "a partial leaves some open");
                ins += e->fee;
                fees += e->fee;
                if (side > 0)
                    notional_long += e->notional;
                partials++;
                cq[i] -= d;
                cc[i] += side * d * (x - pop->entry[i]) - e->fee;
                events++;
                continue;
            }
            if (e->kind == LC_EVENT_LIQUIDATION) {
                cr_assert(fabs(group) <= 1e-9 * (1 + pop->qty[i]), "ADL group sums to %g", group);
                double fee = equity > 0 ? fmin(sc->liquidation_fee * d * x, equity) : 0;
                double shortfall = equity < 0 ? -equity : 0;
                double returned = equity > 0 ? equity - fee : 0;
                cr_assert(fabs(e->fee - fee) < 0.005, "event %ld fee %.6f vs %.6f", k, e->fee, fee);
                cr_assert(fabs(e->shortfall - shortfall) < 0.005);
                cr_assert(fabs(c + pnl - (returned + e->fee - e->shortfall)) < 0.005);
                cr_assert(returned >= 0);
                /* the fund pays what it can, in settlement order */
                double pay = fmin(shortfall, ins + e->fee);
                short_of_counterparties = adl && shortfall - pay > 0;
                bp = lc_bankruptcy_price(side, cq[i], pop->entry[i], cc[i]); /* current state */
                ins += e->fee - pay;
                covered += pay;
                fees += e->fee;
                if (side > 0)
                    notional_long += e->notional;
                bankrupt += shortfall > 0;
                liqs++;
                bankrupt_account = i;
                cq[i] -= d;
                cc[i] -= c;
                if (cq[i] > 0) { /* the rest must follow as its own ADL row */
                    cr_assert(k + 1 < a.ev.n && a.ev.v[k + 1].kind == EV_ADL &&
                                  a.ev.v[k + 1].account == i,
                              "event %ld: rest not deleveraged", k);
                }
            } else {
                cr_assert_eq(e->kind, EV_ADL);
                cr_assert(e->fee == 0 && e->shortfall == 0);
                /* closed at the bankrupt account's bankruptcy price: it gets
                 * nothing back and owes nothing; a counterparty keeps equity >= 0 */
                if (i == bankrupt_account) {
                    cr_assert(fabs(equity) < 0.005, "bankrupt part returns %g", equity);
                    cr_assert(fabs(d - cq[i]) <= 1e-9 * pop->qty[i], "all of the rest");
                    cr_assert(fabs(group) <= 1e-9 * (1 + pop->qty[i]));
                    group = e->qty;
                } else {
                    cr_assert(equity >= -0.005, "ADL leaves account %ld owing %g", i, -equity);
                    cr_assert(pop->side[bankrupt_account] != side, "ADL takes the other side");
                    cr_assert(fabs(x - bp) <= 1e-9 * x, "ADL at %.12g, bankruptcy price %.12g", x,
                              bp);
                    group += e->qty;
                    fills++;
                    adl_notional += e->notional;
                    partial += d < cq[i];
                }
                cq[i] -= d;
                cc[i] -= c;
                if (cq[i] < 1e-12 * pop->qty[i])
                    cq[i] = 0;
            }
            events++;
        }
        cr_assert(fabs(group) <= 1e-6, "last ADL group sums to %g", group);
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
        cr_assert_eq(a.row.liq_count_long + a.row.liq_count_short, liqs);
        cr_assert_eq(lc_run_value(&a.row, "adl_count"), fills);
        cr_assert_eq(lc_run_value(&a.row, "partial_count"), partials);
        cr_assert_eq(lc_run_value(&a.row, "topup_count"), topups);
        cr_assert(fabs(lc_run_value(&a.row, "topup_amount") - topped) < 0.005);
        n_topup += topups;
        n_partial += partials;
        cr_assert(fabs(lc_run_value(&a.row, "adl_notional") - adl_notional) < 0.005);
        bad_runs += a.row.bad_debt > 0;
        clean += fills > 0 && a.row.bad_debt == 0;
        adl_fills += fills;
        free_result(&a);
    }
    free(cq);
    free(cc);
    cr_assert_gt(events, 1000);
    cr_assert_gt(bankrupt, 10, "the crash must produce shortfalls");
    if (strstr(extra, "partial"))
        cr_assert_gt(n_partial, 10, "the crash must liquidate partly");
    if (strstr(extra, "topup"))
        cr_assert_gt(n_topup, 100, "the crash must call for top-ups (%ld)", n_topup);
    if (adl) {
        cr_assert_gt(adl_fills, 10, "the crash must deleverage");
        cr_assert_gt(partial, 0, "and fill some counterparties partly");
        cr_assert_gt(clean, 0, "and leave no bad debt where counterparties suffice");
    } else {
        cr_assert_gt(bad_runs, 0, "and exhaust the fund in some runs");
        cr_assert_eq(adl_fills, 0);
    }
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, money_balances_to_the_cent_at_every_liquidation)
{
    money_balances("", 0);
}

Test(engine, money_balances_with_an_oracle_mark)
{
    money_balances("  mark: {model: ema, half_life: 300}\n", 0);
    money_balances("  mark: {model: deviation, threshold: 0.01, heartbeat: 600}\n", 0);
}

Test(engine, money_balances_with_auto_deleveraging)
{
    for (int k = 0; k < LC_ADL_NRANKINGS; k++) {
        char extra[128];
        snprintf(extra, sizeof extra, "  adl: adl\n  adl_ranking: %s\n", lc_adl_rankings[k].name);
        money_balances(extra, 1);
    }
    money_balances("  adl: adl\n  mark: {model: delayed, steps: 2}\n", 1);
}

Test(engine, money_balances_with_partial_liquidation)
{
    money_balances("  partial: {mode: fraction, fraction: 0.3}\n", 0);
    money_balances("  partial: {mode: tier, cooldown: 2}\n", 0);
    money_balances("  partial: {mode: fraction, fraction: 0.5, cooldown: 1}\n"
                   "  adl: adl\n  adl_ranking: binance\n",
                   1);
}

/* With top-ups the identity at every liquidation holds with the collateral
 * the account brought in since it opened: initial collateral + top-ups +
 * realised pnl = returned + fee − shortfall. */
Test(engine, money_balances_with_topups)
{
    /* the crash's first step passes the call and liquidation prices of its
     * most leveraged accounts in one cascade: with delay 0 its calls land;
     * with an oracle mark, liquidations wait and delayed top-ups land too */
    money_balances("  topup: {probability: 0.6, call: 0.5, delay: 0, target: 0.2}\n", 0);
    money_balances("  topup: {probability: 0.6, call: 0.5, delay: 2, target: 0.2}\n"
                   "  mark: {model: ema, half_life: 300}\n",
                   0);
    money_balances("  topup: {probability: 0.8, call: 0.3, delay: 0, target: 0.1}\n"
                   "  partial: {mode: fraction, fraction: 0.4}\n"
                   "  adl: adl\n",
                   1);
}

/* Top-ups on a known path: gbm with sigma 0, mu −100, dt 1e-4 yr falls
 * exactly 1% per step in log, P_t = 100·e^(−0.01 t), no impact. 20
 * identical longs (q = 100, E = 100, C = 1000, mmr 0.005, flat) have
 *   call price  (qE − C)/(q(1 − mmr/call)) = 9000/99 = 90.909 (call 0.5),
 *   liq price   (qE − C)/(q(1 − mmr))      = 9000/99.5 = 90.452,
 * so they are called at step 10 (P = 90.484) and without top-ups liquidated
 * at step 11 (P = 89.583). With probability 1 and delay 1 the top-up lands
 * at step 11 before the cascade, at mark M = 89.583:
 *   added = mmr·q·M/target − (C + q(M − E)),  target 0.1
 * and the new liquidation price (qE − C − added)/(q(1 − mmr)) is passed
 * later, at the first t with P_t <= it. */
Test(engine, topup_by_hand)
{
    for (int on = 0; on < 2; on++) {
        char *text;
        cr_assert(asprintf(&text,
                           "simulation: {runs: 1, steps: 40, dt: 3153.6, seed: 1}\n"
                           "price: {model: gbm, s0: 100, mu: -100, sigma: 0}\n"
                           "impact: {model: none}\n"
                           "population:\n"
                           "  accounts: 20\n"
                           "  long_fraction: 1\n"
                           "  notional: {dist: fixed, value: 10000}\n"
                           "  leverage: {dist: fixed, value: 10}\n"
                           "  entry: {dist: lognormal, sigma: 0}\n"
                           "venue:\n"
                           "  tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 50}]\n"
                           "  liquidation_fee: 0\n"
                           "  topup: {probability: %d, call: 0.5, delay: 1, target: 0.1}\n",
                           on) > 0);
        lc_scenario *sc = t_scenario(text);
        free(text);
        lc_population *pop = population_of(sc);
        double q = pop->qty[0], e = pop->entry[0], c = pop->collateral[0], mmr = 0.005;
        cr_assert(fabs(q - 100) < 1e-9 && fabs(e - 100) < 1e-9 && fabs(c - 1000) < 1e-6);
        double call = (q * e - c) / (q * (1 - mmr / 0.5)), liq = (q * e - c) / (q * (1 - mmr));
        long t_call = 1, t_liq = 1;
        while (100 * exp(-0.01 * t_call) > call)
            t_call++;
        while (100 * exp(-0.01 * t_liq) > liq)
            t_liq++;
        cr_assert_eq(t_call, 10);
        cr_assert_eq(t_liq, 11);
        for (int kind = 0; kind < 2; kind++) {
            lc_scratch *s = lc_scratch_create(sc, pop, kind ? LC_ENGINE_SCAN : LC_ENGINE_INDEX, 1);
            result a;
            run_one(sc, pop, s, 0, &a);
            if (!on) {
                cr_assert_eq(a.row.first_liq_step, t_liq);
                cr_assert_eq(lc_run_value(&a.row, "call_count"), 0);
                cr_assert_eq(a.ev.n, 20);
            } else {
                double m = 100 * exp(-0.01 * (t_call + 1));
                double add = mmr * q * m / 0.1 - (c + q * (m - e));
                double liq2 = (q * e - c - add) / (q * (1 - mmr));
                long t2 = 1;
                while (100 * exp(-0.01 * t2) > liq2)
                    t2++;
                cr_assert_gt(t2, t_liq + 1);
                cr_assert_leq(t2, 40);
                cr_assert_eq(lc_run_value(&a.row, "call_count"), 20);
                cr_assert_eq(lc_run_value(&a.row, "topup_count"), 20);
                cr_assert(fabs(lc_run_value(&a.row, "topup_amount") - 20 * add) < 1e-9 * 20 * add);
                cr_assert_eq(a.ev.n, 40, "20 top-ups then 20 liquidations");
                for (long k = 0; k < 20; k++) {
                    const lc_event *ev = &a.ev.v[k];
                    cr_assert_eq(ev->kind, EV_TOPUP);
                    cr_assert_eq(ev->step, t_call + 1, "lands delay = 1 step after the call");
                    cr_assert_eq(ev->account, k, "in account order");
                    cr_assert(fabs(ev->price - m) < 1e-12 * m);
                    cr_assert(fabs(ev->notional - add) < 1e-9 * add, "added %.12g, want %.12g",
                              ev->notional, add);
                    cr_assert_eq(ev->qty, 0);
                }
                for (long k = 20; k < 40; k++) {
                    cr_assert_eq(a.ev.v[k].kind, LC_EVENT_LIQUIDATION);
                    cr_assert_eq(a.ev.v[k].step, t2, "liquidated at step %ld, want %ld",
                                 a.ev.v[k].step, t2);
                }
                cr_assert_eq(a.row.first_liq_step, t2);
            }
            free_result(&a);
            lc_scratch_free(s);
        }
        lc_population_free(pop);
        lc_scenario_free(sc);
    }
}

/* The draw: of the accounts called, a fraction p tops up. 4 runs of 5000
 * accounts with leverage spread over (2, 40) on a path falling 1% per step
 * for 200 steps, so nearly every account is called; delay 0, so every top-up
 * drawn lands (the account is open when called, and a called account is
 * above the target ratio). Each decision is Bernoulli(p), independent across
 * (run, account): the fraction is within 4 standard errors
 * sqrt(p(1 − p)/calls) (≈ 0.0032 for 20,000 calls) of p. The two engines
 * agree account by account. */
Test(engine, topup_fraction_is_the_probability)
{
    const double p = 0.3;
    lc_scenario *sc = t_scenario("simulation: {runs: 4, steps: 200, dt: 3153.6, seed: 11}\n"
                                 "price: {model: gbm, s0: 100, mu: -100, sigma: 0}\n"
                                 "impact: {model: none}\n"
                                 "population:\n"
                                 "  accounts: 5000\n"
                                 "  long_fraction: 1\n"
                                 "  notional: {dist: fixed, value: 10000}\n"
                                 "  leverage: {dist: uniform, min: 2, max: 40}\n"
                                 "  entry: {dist: lognormal, sigma: 0.01}\n"
                                 "venue:\n"
                                 "  tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 50}]\n"
                                 "  topup: {probability: 0.3, call: 0.6, delay: 0, target: 0.3}\n");
    lc_population *pop = population_of(sc);
    lc_scratch *si = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_scratch *ss = lc_scratch_create(sc, pop, LC_ENGINE_SCAN, 1);
    long calls = 0, topups = 0;
    for (long run = 0; run < sc->runs; run++) {
        result a, b;
        run_one(sc, pop, si, run, &a);
        run_one(sc, pop, ss, run, &b);
        cr_assert(memcmp(&a.row, &b.row, sizeof a.row) == 0);
        cr_assert(a.ev.n == b.ev.n && memcmp(a.ev.v, b.ev.v, (size_t)a.ev.n * sizeof *a.ev.v) == 0);
        calls += lc_run_value(&a.row, "call_count");
        topups += lc_run_value(&a.row, "topup_count");
        free_result(&a);
        free_result(&b);
    }
    cr_assert_gt(calls, 19000, "only %ld calls", calls);
    double f = (double)topups / (double)calls, se = sqrt(p * (1 - p) / (double)calls);
    cr_assert(fabs(f - p) < 4 * se, "fraction %.4f, p %.2f, se %.4f", f, p, se);
    lc_scratch_free(si);
    lc_scratch_free(ss);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, a_run_depends_only_on_its_index)
{
    lc_scenario *sc = t_scenario(crash);
    lc_population *pop = population_of(sc);
    lc_scratch *s1 = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_scratch *s2 = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
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
    lc_scenario *sc =
        t_scenario("simulation: {runs: 1, steps: 500, dt: 60, seed: 3}\n"
                   "price: {model: gbm, s0: 100, sigma: 2}\n"
                   "impact: {model: none}\n"
                   "population: {accounts: 2000, notional: {dist: fixed, value: 1000},"
                   " leverage: {dist: fixed, value: 50}}\n");
    lc_population *pop = population_of(sc);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
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
    lc_population *pop = population_of(sc);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
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

/* ADL on a hand-built book: one long (q 2, entry 100, collateral 10: bankrupt
 * at 95) and the four shorts of test_venue.c's book (A, B, C, D, here with
 * one tier of mmr 0.005). The fundamental falls to 90 in step 1 with no
 * impact and an empty fund: the long's whole shortfall 2·(95 − 90) = 10 is
 * uncovered, so all its 2 units are deleveraged at 95. By pnl_leverage the
 * shorts rank C (0.5 units), A (1), B (2), D at mark 90: C and A close fully,
 * B gives 0.5 and keeps 1.5 with 3/4 of its collateral. By size, B (notional
 * 180) takes all 2 alone. Both engines, the same events. */
static void adl_book(const char *ranking, const long *want_acc, const double *want_qty, int nwant)
{
    char text[512];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: 1, dt: 86400, seed: 1}\n"
             "price: {model: gbm, s0: 100, mu: %.17g, sigma: 0}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "venue: {insurance_fund: 0, adl: adl, adl_ranking: %s,\n"
             "        tiers: [{up_to: 1e300, mmr: 0.005, max_leverage: 100}]}\n",
             365 * log(0.9), ranking);
    lc_scenario *sc = t_scenario(text);
    const int8_t side[5] = {1, -1, -1, -1, -1};
    const double q[5] = {2, 1, 2, 0.5, 1}, e[5] = {100, 100, 95, 120, 91},
                 c[5] = {10, 10, 38, 3, 45.5}, mmr[5] = {0.005, 0.005, 0.005, 0.005, 0.005};
    lc_error err = {0};
    lc_population *pop = lc_population_from_arrays(5, side, q, e, c, mmr, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    /* liquidation order: the long, then shorts by liq price: A B C D */
    for (int i = 1; i < 5; i++)
        cr_assert_eq(pop->origin[i], i);
    result a, b;
    lc_scratch *si = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_scratch *ss = lc_scratch_create(sc, pop, LC_ENGINE_SCAN, 1);
    run_one(sc, pop, si, 0, &a);
    run_one(sc, pop, ss, 0, &b);
    cr_assert(memcmp(&a.row, &b.row, sizeof a.row) == 0);
    cr_assert_eq(a.ev.n, b.ev.n);
    cr_assert(memcmp(a.ev.v, b.ev.v, (size_t)a.ev.n * sizeof *a.ev.v) == 0);
    double x = 100 * exp(365 * log(0.9) * 86400 / LC_YEAR_S);
    cr_assert_float_eq(x, 90, 1e-9);
    cr_assert_eq(a.ev.n, 2 + nwant, "%s: %ld events", ranking, a.ev.n);
    cr_assert_eq(a.ev.v[0].kind, LC_EVENT_LIQUIDATION);
    cr_assert_eq(a.ev.v[0].qty, 0, "an empty fund: nothing goes to the book");
    cr_assert_eq(a.ev.v[0].shortfall, 0);
    cr_assert_eq(a.ev.v[1].kind, EV_ADL);
    cr_assert_eq(a.ev.v[1].account, 0);
    cr_assert_float_eq(a.ev.v[1].qty, 2, 1e-12);
    for (int k = 0; k < nwant; k++) {
        const lc_event *ev = &a.ev.v[2 + k];
        cr_assert_eq(ev->kind, EV_ADL);
        cr_assert_eq(ev->account, want_acc[k], "%s: fill %d is account %ld, want %ld", ranking, k,
                     ev->account, want_acc[k]);
        cr_assert_float_eq(ev->qty, -want_qty[k], 1e-12);
        cr_assert_float_eq(ev->price, 95, 1e-9, "at the long's bankruptcy price");
    }
    cr_assert_eq(a.row.bad_debt, 0);
    cr_assert_eq(lc_run_value(&a.row, "adl_count"), nwant);
    cr_assert_float_eq(lc_run_value(&a.row, "adl_notional"), 2 * 95, 1e-9);
    cr_assert_eq(a.row.insurance_end, 0);
    /* open interest left: the shorts' 4.5 units less the 2 deleveraged */
    cr_assert_float_eq(a.row.oi_end, 2.5 * x, 1e-9);
    free_result(&a);
    free_result(&b);
    lc_scratch_free(si);
    lc_scratch_free(ss);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, adl_closes_the_top_ranked_counterparties_at_the_bankruptcy_price)
{
    adl_book("pnl_leverage", (long[]){3, 1, 2}, (double[]){0.5, 1, 0.5}, 3);
    adl_book("size", (long[]){2}, (double[]){2}, 1);
    adl_book("hyperliquid", (long[]){1, 2}, (double[]){1, 1}, 2);
}

/* Index and scan agree where the index engine must use its heap: accounts
 * partly deleveraged (new quantity, collateral and, with tiers by current
 * notional, a new liquidation price) that a later move liquidates. A choppy
 * market (no drift, high volatility), an empty fund, ADL by size (which does
 * not prefer the safest accounts) and three tiers. */
/* With top-ups too (extra), index and scan must also agree where a partly
 * deleveraged counterparty, re-keyed before its call, is called later at its
 * new call price (the index engine's list of uncalled re-keyed accounts). */
static void rekeyed_case(const char *extra)
{
    char *text;
    cr_assert(
        asprintf(&text,
                 "simulation: {runs: 40, steps: 400, dt: 60, seed: 11, max_rounds: 1000}\n"
                 "price: {model: gbm, s0: 100, mu: 0, sigma: 3}\n"
                 "impact: {model: linear, depth_1pct: 3.0e5, permanent: 0.3, half_life: 300}\n"
                 "population:\n"
                 "  accounts: 1500\n"
                 "  long_fraction: 0.5\n"
                 "  notional: {dist: pareto, min: 1000, alpha: 1.3, max: 1.0e6}\n"
                 "  leverage: {dist: uniform, min: 5, max: 90}\n"
                 "  entry: {dist: lognormal, sigma: 0.01}\n"
                 "venue:\n"
                 "  tiers:\n"
                 "    - {up_to: 5000, mmr: 0.004, max_leverage: 90}\n"
                 "    - {up_to: 50000, mmr: 0.01, max_leverage: 50}\n"
                 "    - {up_to: 1.0e300, mmr: 0.03, max_leverage: 20}\n"
                 "  insurance_fund: 0\n"
                 "  adl: adl\n"
                 "  adl_ranking: size\n%s",
                 extra) > 0);
    lc_scenario *sc = t_scenario(text);
    free(text);
    lc_population *pop = population_of(sc);
    lc_scratch *si = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_scratch *ss = lc_scratch_create(sc, pop, LC_ENGINE_SCAN, 1);
    long rekeyed_liqs = 0, fills = 0, rekeyed_topups = 0;
    for (long run = 0; run < sc->runs; run++) {
        result a, b;
        run_one(sc, pop, si, run, &a);
        run_one(sc, pop, ss, run, &b);
        cr_assert(memcmp(&a.row, &b.row, sizeof a.row) == 0, "run %ld: rows differ", run);
        cr_assert_eq(a.ev.n, b.ev.n);
        cr_assert(a.ev.n == 0 || memcmp(a.ev.v, b.ev.v, (size_t)a.ev.n * sizeof *a.ev.v) == 0);
        fills += lc_run_value(&a.row, "adl_count");
        for (long e = 0; e < a.ev.n; e++)
            for (long f = 0; f < e && a.ev.v[e].kind == LC_EVENT_LIQUIDATION; f++)
                if (a.ev.v[f].kind == EV_ADL && a.ev.v[f].account == a.ev.v[e].account &&
                    a.ev.v[f].qty != 0) {
                    rekeyed_liqs++;
                    break;
                }
        for (long e = 0; e < a.ev.n; e++)
            for (long f = 0; f < e && a.ev.v[e].kind == EV_TOPUP; f++)
                if (a.ev.v[f].kind == EV_ADL && a.ev.v[f].account == a.ev.v[e].account) {
                    rekeyed_topups++;
                    break;
                }
        free_result(&a);
        free_result(&b);
    }
    cr_log_info("ADL fills %ld, liquidations of partly deleveraged accounts %ld, top-ups %ld",
                fills, rekeyed_liqs, rekeyed_topups);
    cr_assert_gt(rekeyed_liqs, 0, "no partly deleveraged account was liquidated later");
    if (*extra)
        cr_assert_gt(rekeyed_topups, 0, "no partly deleveraged account topped up later");
    lc_scratch_free(si);
    lc_scratch_free(ss);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, rekeyed_accounts_liquidate_identically)
{
    rekeyed_case("");
    rekeyed_case("  topup: {probability: 0.7, call: 0.5, delay: 1, target: 0.2}\n");
}

/* Partial liquidation by hand. One long: q 10, entry 100, collateral 100,
 * mmr 0.005 (liquidation price 900/9.95 = 90.45); the fundamental falls to
 * 90.3 in step 1 (sigma 0, no impact), where equity is 3 and maintenance
 * 4.515. With fraction 0.5 and fee 0.005:
 *   round 1: close 5 at 90.3: pnl −48.5, fee 2.2575; collateral 49.2425 on
 *            q 5: equity 0.7425 < maintenance 2.2575, still breached;
 *   round 2: close 2.5: pnl −24.25, fee = all equity 0.7425; collateral
 *            24.25 on q 2.5: equity 0;
 *   round 3: no equity at the mark: the rest (2.5) closes whole, returns 0.
 * With no fee, one partial restores it (equity 3 > maintenance 2.2575).
 * With cooldown 1, round 2 falls within it and closes the rest whole.
 * Tier mode, tiers {500: 0.005, above: 0.01}: notional 903 is in tier 1, so
 * it closes down to notional 500: d = 10 − 500/90.3. */
static void partial_case(const char *venue, int nwant, const int *kind, const double *qty,
                         const double *fee)
{
    char text[640];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: 1, dt: 86400, seed: 1}\n"
             "price: {model: gbm, s0: 100, mu: %.17g, sigma: 0}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "venue:\n%s",
             365 * log(0.903), venue);
    lc_scenario *sc = t_scenario(text);
    const int8_t side[1] = {1};
    const double q[1] = {10}, e[1] = {100}, c[1] = {100}, mmr[1] = {0.005};
    lc_error err = {0};
    lc_population *pop = lc_population_from_arrays(1, side, q, e, c, mmr, &err);
    result a, b;
    lc_scratch *si = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_scratch *ss = lc_scratch_create(sc, pop, LC_ENGINE_SCAN, 1);
    run_one(sc, pop, si, 0, &a);
    run_one(sc, pop, ss, 0, &b);
    cr_assert(memcmp(&a.row, &b.row, sizeof a.row) == 0);
    cr_assert_eq(a.ev.n, b.ev.n);
    cr_assert(memcmp(a.ev.v, b.ev.v, (size_t)a.ev.n * sizeof *a.ev.v) == 0);
    cr_assert_eq(a.ev.n, nwant, "%ld events", a.ev.n);
    for (int k = 0; k < nwant; k++) {
        const lc_event *ev = &a.ev.v[k];
        cr_assert_eq(ev->kind, kind[k], "event %d kind %ld", k, ev->kind);
        cr_assert_eq(ev->round, k + 1);
        cr_assert_float_eq(ev->price, 90.3, 1e-9);
        cr_assert_float_eq(ev->qty, qty[k], 1e-9, "event %d qty %.12g", k, ev->qty);
        cr_assert_float_eq(ev->fee, fee[k], 1e-9, "event %d fee %.12g", k, ev->fee);
        cr_assert_eq(ev->shortfall, 0);
    }
    free_result(&a);
    free_result(&b);
    lc_scratch_free(si);
    lc_scratch_free(ss);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(engine, partial_liquidation_by_hand)
{
    const char *flat = "  tiers: [{up_to: 1e300, mmr: 0.005, max_leverage: 100}]\n";
    char v[512];
    snprintf(v, sizeof v, "%s  partial: {mode: fraction, fraction: 0.5}\n", flat);
    partial_case(v, 3, (int[]){3, 3, 1}, (double[]){5, 2.5, 2.5}, (double[]){2.2575, 0.7425, 0});
    snprintf(v, sizeof v, "%s  liquidation_fee: 0\n  partial: {mode: fraction, fraction: 0.5}\n",
             flat);
    partial_case(v, 1, (int[]){3}, (double[]){5}, (double[]){0});
    snprintf(v, sizeof v, "%s  partial: {mode: fraction, fraction: 0.5, cooldown: 1}\n", flat);
    partial_case(v, 2, (int[]){3, 1}, (double[]){5, 5}, (double[]){2.2575, 0.7425});
    snprintf(v, sizeof v,
             "  tiers: [{up_to: 500, mmr: 0.005, max_leverage: 100},\n"
             "          {up_to: 1e300, mmr: 0.01, max_leverage: 50}]\n"
             "  liquidation_fee: 0\n  partial: {mode: tier}\n");
    partial_case(v, 1, (int[]){3}, (double[]){10 - 500 / 90.3}, (double[]){0});
}

/* Without events and rules at work, a scratch settles rounds through the
 * plain path (lc_settle_plain) that keeps the totals in locals; with events,
 * through the general path, account by account, whose every event the replay above checks
 * to the cent. On the crash (shortfalls, an emptied fund) both must give the
 * same run: the same counts and prices exactly, money to 1e-9 relative (the
 * sums are taken in another grouping). */
Test(engine, plain_settlement_equals_the_event_path)
{
    lc_scenario *sc = t_scenario(crash);
    lc_error err = {0};
    lc_population *pop = population_of(sc);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    lc_scratch *plain = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 0);
    long shortfall_runs = 0;
    for (long run = 0; run < sc->runs; run++) {
        result a, b;
        run_one(sc, pop, s, run, &a); /* with events: the general path */
        long cols = lc_scenario_series_cols(sc);
        for (int i = 0; i < LC_SERIES_N; i++)
            b.series[i] = calloc((size_t)cols, sizeof(float));
        cr_assert_eq(lc_engine_run(sc, pop, plain, 0, run, &b.row, b.series, NULL, &err), 0, "%s",
                     err.msg);
        const lc_run_row *x = &a.row, *y = &b.row;
        cr_assert_eq(x->liq_count_long, y->liq_count_long);
        cr_assert_eq(x->liq_count_short, y->liq_count_short);
        cr_assert_eq(x->max_rounds, y->max_rounds);
        cr_assert_eq(x->first_liq_step, y->first_liq_step);
        cr_assert_eq(x->price_final, y->price_final, "the flow does not depend on the path");
        double m = 1e-9 * (1 + x->liq_notional_long + x->liq_notional_short);
        cr_assert(fabs(x->liq_notional_long - y->liq_notional_long) < m);
        cr_assert(fabs(x->liq_notional_short - y->liq_notional_short) < m);
        cr_assert(fabs(x->fees - y->fees) < m);
        cr_assert(fabs(x->bad_debt - y->bad_debt) < m);
        cr_assert(fabs(x->insurance_end - y->insurance_end) < m);
        cr_assert(fabs(x->insurance_min - y->insurance_min) < m);
        cr_assert(fabs(x->oi_end - y->oi_end) < m);
        shortfall_runs += x->bad_debt > 0;
        free_result(&a);
        for (int i = 0; i < LC_SERIES_N; i++)
            free(b.series[i]);
    }
    cr_assert_gt(shortfall_runs, 0, "the crash must empty the fund in some runs");
    lc_scratch_free(s);
    lc_scratch_free(plain);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* test_population.c — drawing and reading accounts.
 * Statistical checks use fixed seeds; each tolerance is 4 standard errors of
 * the estimate, with the standard error stated next to it. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "venue/venue.h"
#include "venue/spanning.h"

static lc_population *draw(const char *text, lc_scenario **sc_out)
{
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    *sc_out = sc;
    return pop;
}

#define MIXED                                                                                      \
    "simulation: {seed: 77}\n"                                                                     \
    "price: {model: gbm, s0: 60000}\n"                                                             \
    "population:\n"                                                                                \
    "  accounts: 200000\n"                                                                         \
    "  long_fraction: 0.6\n"                                                                       \
    "  notional: {dist: pareto, min: 1000, alpha: 2.5, max: 1.0e6}\n"                              \
    "  leverage: {dist: discrete, values: [2, 10, 50, 100], weights: [1, 2, 1, 1]}\n"              \
    "  entry: {dist: lognormal, sigma: 0.02}\n"                                                    \
    "venue:\n"                                                                                     \
    "  tiers:\n"                                                                                   \
    "    - {up_to: 5000,   mmr: 0.004, max_leverage: 125}\n"                                       \
    "    - {up_to: 20000,  mmr: 0.01,  max_leverage: 50}\n"                                        \
    "    - {up_to: 1.0e300, mmr: 0.02, max_leverage: 20}\n"

Test(population, accounts_follow_the_venue_rules)
{
    lc_scenario *sc;
    lc_population *p = draw(MIXED, &sc);
    cr_assert_eq(p->n, 200000);
    cr_assert_eq(p->n_long + p->n_short, p->n);
    /* long fraction: SE = sqrt(0.6·0.4/200000) = 0.0011 */
    double frac = (double)p->n_long / (double)p->n;
    cr_assert(fabs(frac - 0.6) < 4 * sqrt(0.24 / 2e5), "long fraction %g", frac);
    double ql = 0;
    for (long i = 0; i < p->n; i++) {
        double notional = p->qty[i] * p->entry[i];
        int t = lc_tier_at(sc->market[0].tiers, sc->market[0].ntiers, notional * (1 + 1e-12));
        cr_assert(notional <= sc->market[0].tiers[sc->market[0].ntiers - 1].up_to);
        /* maintenance by the notional at the liquidation price (venue.h) */
        int k = lc_tier_at(sc->market[0].tiers, sc->market[0].ntiers, p->qty[i] * p->liq_price[i]);
        cr_assert_eq(p->mmr[i], sc->market[0].tiers[k].mmr, "account %ld in tier %d", i, k);
        cr_assert_eq(p->cum[i], sc->market[0].tiers[k].cum);
        double lev = notional / p->collateral[i];
        cr_assert(lev <= sc->market[0].tiers[t].max_leverage * (1 + 1e-12), "leverage %g over cap",
                  lev);
        cr_assert(!lc_breached(p->side[i], p->liq_price[i], 60000), "account %ld opens breached",
                  i);
        if (p->side[i] > 0)
            ql += p->qty[i];
    }
    cr_assert_float_eq(p->qty_long, ql, 1e-9 * ql);
    lc_population_free(p);
    lc_scenario_free(sc);
}

Test(population, stored_in_liquidation_order)
{
    lc_scenario *sc;
    lc_population *p = draw(MIXED, &sc);
    for (long k = 0; k < p->n; k++)
        cr_assert_eq(p->side[k], k < p->n_long ? 1 : -1, "longs first, then shorts");
    for (long k = 1; k < p->n_long; k++) /* decreasing liq, ties by origin */
        cr_assert(p->liq_price[k - 1] > p->liq_price[k] ||
                  (p->liq_price[k - 1] == p->liq_price[k] && p->origin[k - 1] < p->origin[k]));
    for (long k = p->n_long + 1; k < p->n; k++)
        cr_assert(p->liq_price[k - 1] < p->liq_price[k] ||
                  (p->liq_price[k - 1] == p->liq_price[k] && p->origin[k - 1] < p->origin[k]));
    /* origin is a permutation of 0 .. n-1 */
    char *seen = calloc((size_t)p->n, 1);
    for (long k = 0; k < p->n; k++) {
        cr_assert(p->origin[k] >= 0 && p->origin[k] < p->n && !seen[p->origin[k]]);
        seen[p->origin[k]] = 1;
    }
    free(seen);
    lc_population_free(p);
    lc_scenario_free(sc);
}

Test(population, truncated_pareto_mean)
{
    /* E[X] on [m, M] = α m^α (M^{1−α} − m^{1−α}) / ((1 − α)(1 − (m/M)^α));
     * SE = sample sd / sqrt(n) */
    lc_scenario *sc;
    lc_population *p = draw(MIXED, &sc);
    double m = 1000, M = 1e6, a = 2.5, s = 0, s2 = 0;
    for (long i = 0; i < p->n; i++) {
        double x = p->qty[i] * p->entry[i];
        s += x;
        s2 += x * x;
    }
    double n = (double)p->n, mean = s / n, sd = sqrt(s2 / n - mean * mean);
    double want = a * pow(m, a) * (pow(M, 1 - a) - pow(m, 1 - a)) / ((1 - a) * (1 - pow(m / M, a)));
    cr_assert(fabs(mean - want) < 4 * sd / sqrt(n), "mean %g vs %g (SE %g)", mean, want,
              sd / sqrt(n));
    lc_population_free(p);
    lc_scenario_free(sc);
}

Test(population, discrete_leverage_frequencies)
{
    /* all notionals in tier 0 (cap 125), so no leverage is capped */
    lc_scenario *sc;
    lc_population *p =
        draw("price: {s0: 100}\n"
             "population:\n"
             "  accounts: 100000\n"
             "  notional: {dist: fixed, value: 1000}\n"
             "  leverage: {dist: discrete, values: [2, 10, 50], weights: [1, 2, 1]}\n"
             "venue: {tiers: [{up_to: 1e300, mmr: 0.004, max_leverage: 125}]}\n",
             &sc);
    long count[3] = {0};
    for (long i = 0; i < p->n; i++) {
        double lev = p->qty[i] * p->entry[i] / p->collateral[i];
        count[lev < 5 ? 0 : lev < 20 ? 1 : 2]++;
    }
    const double w[3] = {0.25, 0.5, 0.25};
    for (int k = 0; k < 3; k++) { /* SE = sqrt(w(1 − w)/n) */
        double f = (double)count[k] / (double)p->n;
        cr_assert(fabs(f - w[k]) < 4 * sqrt(w[k] * (1 - w[k]) / (double)p->n), "value %d: %g", k,
                  f);
    }
    lc_population_free(p);
    lc_scenario_free(sc);
}

Test(population, same_seed_same_accounts)
{
    lc_scenario *a, *b;
    lc_population *p = draw(MIXED, &a), *q = draw(MIXED, &b);
    cr_assert(memcmp(p->collateral, q->collateral, (size_t)p->n * sizeof(double)) == 0);
    cr_assert(memcmp(p->entry, q->entry, (size_t)p->n * sizeof(double)) == 0);
    lc_population_free(p);
    lc_population_free(q);
    lc_scenario_free(a);
    lc_scenario_free(b);
}

Test(population, leverage_is_capped_by_the_tier)
{
    lc_scenario *sc;
    lc_population *p =
        draw("price: {s0: 100}\n"
             "population: {accounts: 100, notional: {dist: fixed, value: 1e6},"
             " leverage: {dist: fixed, value: 100}, entry: {dist: fixed, value: 1}}\n"
             "venue: {tiers: [{up_to: 1e5, mmr: 0.004, max_leverage: 125},"
             " {up_to: 1e300, mmr: 0.02, max_leverage: 20}]}\n",
             &sc);
    for (long i = 0; i < p->n; i++)
        cr_assert_float_eq(p->collateral[i], 1e6 / 20, 1e-6);
    lc_population_free(p);
    lc_scenario_free(sc);
}

static const char *csv_errors(const char *csv)
{
    char *dir = t_tmpdir();
    char *path = t_write(dir, "pos.csv", csv);
    char *text;
    cr_assert(asprintf(&text,
                       "price: {s0: 100}\npopulation: {file: %s}\n"
                       "venue: {tiers: [{up_to: 1e6, mmr: 0.005, max_leverage: 50}]}\n",
                       path) > 0);
    lc_scenario *sc = t_scenario(text);
    static lc_error err;
    lc_error_clear(&err);
    lc_population *p = lc_population_create(sc, &err);
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    free(path);
    t_rmdir(dir);
    return p ? NULL : err.msg;
}

Test(population, csv_positions)
{
    char *dir = t_tmpdir();
    char *path = t_write(dir, "pos.csv",
                         "# a comment line\nside,notional,leverage,entry\n"
                         "long,10000,10,100\nshort, 20000 ,5,101\n-1,500,2,99 # trailing\n");
    char *text;
    cr_assert(asprintf(&text, "price: {s0: 100}\npopulation: {file: %s}\n", path) > 0);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n, 3);
    cr_assert_eq(p->n_long, 1);
    cr_assert_eq(p->origin[0], 0, "the long, first data row");
    cr_assert_float_eq(p->qty[0], 100, 1e-12);
    /* shorts by increasing liq price: 20000 at 5x (liq ≈ 119.4) before 500 at 2x (≈ 147.5) */
    cr_assert_eq(p->origin[1], 1);
    cr_assert_float_eq(p->collateral[1], 4000, 1e-9);
    cr_assert_eq(p->origin[2], 2);
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    free(path);
    t_rmdir(dir);

    const char *e;
    cr_assert(strstr(e = csv_errors("side,notional,entry\nlong,1,1\n"),
                     "pos.csv:1: header must name the columns side, notional, leverage, entry "
                     "(missing 'leverage')"),
              "%s", e);
    cr_assert(strstr(e = csv_errors("side,notional,leverage,entry\nup,1000,2,100\n"),
                     "pos.csv:2: side: must be long, short, 1 or -1 (got 'up')"),
              "%s", e);
    cr_assert(strstr(e = csv_errors("side,notional,leverage,entry\nlong,1000,2,x\n"),
                     "pos.csv:2: entry: must be a number > 0 (got 'x')"),
              "%s", e);
    cr_assert(strstr(e = csv_errors("side,notional,leverage,entry\nlong,1000,60,100\n"),
                     "pos.csv:2: leverage 60 exceeds max_leverage 50 of tier 0"),
              "%s", e);
    cr_assert(
        strstr(e = csv_errors("side,notional,leverage,entry\nlong,1000,2,100\nlong,1000,40,110\n"),
               "pos.csv:3: this account is already past its liquidation price"),
        "%s", e);
    cr_assert(strstr(e = csv_errors("side,notional,leverage,entry\nlong,2e6,2,100\n"),
                     "pos.csv:2: venue.tiers: notional 2e+06 is above the last tier's up_to"),
              "%s", e);
    cr_assert(strstr(e = csv_errors(""), "empty: expected a header line"), "%s", e);
    /* an empty field is a missing value, not a reason to shift the columns */
    cr_assert(strstr(e = csv_errors("side,notional,leverage,entry\nlong,,2,100\n"),
                     "pos.csv:2: notional: must be a number > 0 (got '')"),
              "%s", e);
    /* a thousands separator splits a number: a field too many, not a silent 59 */
    cr_assert(strstr(e = csv_errors("side,notional,leverage,entry\nlong,20000,5,59,500\n"),
                     "pos.csv:2: 5 fields, the header has 4"),
              "%s", e);
    cr_assert(strstr(e = csv_errors("side,notional,leverage,notional,entry\n"),
                     "pos.csv:1: notional: column named twice (columns 2 and 4)"),
              "%s", e);
}

/* What spreadsheets and long comments do to a CSV: a UTF-8 byte-order mark
 * before the header, lines longer than any fixed buffer, extra columns. */
Test(population, csv_bom_long_lines_and_extra_columns)
{
    char *dir = t_tmpdir();
    char tail[3000];
    memset(tail, 'x', sizeof tail - 1);
    tail[sizeof tail - 1] = '\0';
    char *csv;
    cr_assert(asprintf(&csv,
                       "\xef\xbb\xbfside,notional,leverage,entry,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\n"
                       "long,10000,10,100,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 # %s\n"
                       "short,20000,5,101,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n",
                       tail) > 0);
    char *path = t_write(dir, "pos.csv", csv), *text;
    cr_assert(asprintf(&text, "price: {s0: 100}\npopulation: {file: %s}\n", path) > 0);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n, 2, "the comment's tail must not become a row");
    cr_assert_eq(p->n_long, 1);
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    free(path);
    free(csv);
    t_rmdir(dir);
}

Test(population, impossible_entries_are_an_error)
{
    lc_scenario *sc =
        t_scenario("price: {s0: 100}\n"
                   "population: {accounts: 10, notional: {dist: fixed, value: 100},"
                   " leverage: {dist: fixed, value: 100}, entry: {dist: fixed, value: 0.5}}\n");
    lc_error err = {0};
    /* shorts entered at 50 with 100x are all past liquidation at 100 */
    cr_assert_null(lc_population_create(sc, &err));
    cr_assert(strstr(err.msg, "population.entry: no entry price in 1000 draws"), "%s", err.msg);
    lc_scenario_free(sc);
}

/* Identical accounts tie on the liquidation price: each side must then be in
 * origin order (the sort is stable over the draw order), including −0 and +0
 * keys, which compare equal. */
Test(population, ties_are_in_origin_order)
{
    lc_scenario *sc = t_scenario("price: {s0: 100}\n"
                                 "population: {accounts: 5000, long_fraction: 0.5,"
                                 " notional: {dist: fixed, value: 1000},"
                                 " leverage: {dist: discrete, values: [1, 5], weights: [1, 1]},"
                                 " entry: {dist: lognormal, sigma: 0}}\n");
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    long ties = 0;
    for (long k = 1; k < p->n; k++) {
        if (p->side[k] != p->side[k - 1] || p->liq_price[k] != p->liq_price[k - 1])
            continue;
        ties++;
        cr_assert_lt(p->origin[k - 1], p->origin[k], "tie at %ld out of origin order", k);
    }
    cr_assert_gt(ties, 4000, "the population must tie");
    lc_population_free(p);
    lc_scenario_free(sc);
}

/* Three markets of different s0 and tiers, accounts drawn by weights
 * 0.5/0.3/0.2. Each market's share is binomial: SE sqrt(w(1-w)/n), 4 SE.
 * Every account lies in its (market, side) range, in liquidation order,
 * with its market's tier and an entry at its market's s0 x the ratio. */
#define THREE_MARKETS                                                                              \
    "markets:\n"                                                                                   \
    "  - {name: A, price: {model: gbm, s0: 100}, tiers: [{up_to: 1e300, mmr: 0.01, "               \
    "max_leverage: 50}], lending: {lt: 0.8}}\n"                                                    \
    "  - {name: B, price: {model: gbm, s0: 5000}, tiers: [{up_to: 1e300, mmr: 0.002, "             \
    "max_leverage: 200}]}\n"                                                                       \
    "  - {name: C, price: {model: gbm, s0: 1}, tiers: [{up_to: 1e300, mmr: 0.05, "                 \
    "max_leverage: 10}]}\n"

Test(population, many_markets_by_weight_in_ranges)
{
    lc_scenario *sc = t_scenario("simulation: {seed: 5}\n" THREE_MARKETS "population:\n"
                                 "  accounts: 20000\n"
                                 "  markets: {A: 5, B: 3, C: 2}\n"
                                 "  notional: {dist: fixed, value: 1000}\n"
                                 "  leverage: {dist: uniform, min: 1, max: 9}\n");
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->nmarkets, 3);
    static const double w[3] = {0.5, 0.3, 0.2}, mmr[3] = {0.01, 0.002, 0.05};
    for (int m = 0; m < 3; m++) {
        cr_assert_float_eq(sc->market[m].weight, w[m], 1e-15, "weights are normalised");
        long count = p->range[2 * m + 2] - p->range[2 * m];
        double se = sqrt(w[m] * (1 - w[m]) / 20000.0), share = count / 20000.0;
        cr_assert(fabs(share - w[m]) < 4 * se, "market %d: share %g, want %g (4 SE %g)", m, share,
                  w[m], 4 * se);
        for (int slot = 0; slot < 2; slot++) {
            double q = 0;
            for (long i = p->range[2 * m + slot]; i < p->range[2 * m + slot + 1]; i++) {
                cr_assert_eq(p->market[i], m);
                cr_assert_eq(p->side[i], slot ? -1 : 1);
                cr_assert_eq(p->mmr[i], mmr[m], "account %ld: its market's tier", i);
                double s0 = lc_scenario_s0(sc, m);
                cr_assert(p->entry[i] > 0.8 * s0 && p->entry[i] < 1.25 * s0);
                cr_assert(!lc_breached(p->side[i], p->liq_price[i], s0));
                if (i > p->range[2 * m + slot])
                    cr_assert(slot ? p->liq_price[i] >= p->liq_price[i - 1]
                                   : p->liq_price[i] <= p->liq_price[i - 1]);
                q += p->qty[i];
            }
            cr_assert_float_eq(p->range_qty[2 * m + slot], q, 1e-9 * q);
        }
    }
    cr_assert_eq(p->range[6], p->n);
    lc_population_free(p);
    lc_scenario_free(sc);
}

Test(population, csv_market_column)
{
    char *dir = t_tmpdir();
    char *path =
        t_write(dir, "pos.csv",
                "market,side,notional,leverage,entry\n"
                "C,long,100,2,1\nA,short,1000,5,100\nB,long,5000,10,5000\nA,long,10,2,99\n");
    char *text;
    cr_assert(asprintf(&text, THREE_MARKETS "population: {file: %s}\n", path) > 0);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    /* ranges: A long (row 3), A short (row 1), B long (row 2), C long (row 0) */
    static const int64_t origin[4] = {3, 1, 2, 0};
    static const uint8_t market[4] = {0, 0, 1, 2};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(p->origin[i], origin[i], "row %d", i);
        cr_assert_eq(p->market[i], market[i], "row %d", i);
    }
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    /* no market column with several markets, and an unknown name */
    free(t_write(dir, "bad.csv", "side,notional,leverage,entry\nlong,100,2,100\n"));
    char *bad;
    cr_assert(asprintf(&bad, THREE_MARKETS "population: {file: %s/bad.csv}\n", dir) > 0);
    sc = t_scenario(bad);
    lc_error_clear(&err);
    cr_assert_null(lc_population_create(sc, &err));
    cr_assert(strstr(err.msg, "bad.csv:1: header must name the columns side, notional, leverage, "
                              "entry, market (missing 'market')"),
              "%s", err.msg);
    lc_scenario_free(sc);
    free(bad);
    free(t_write(dir, "bad.csv", "side,notional,leverage,entry,market\nlong,100,2,100,D\n"));
    cr_assert(asprintf(&bad, THREE_MARKETS "population: {file: %s/bad.csv}\n", dir) > 0);
    sc = t_scenario(bad);
    lc_error_clear(&err);
    cr_assert_null(lc_population_create(sc, &err));
    cr_assert(strstr(err.msg, "bad.csv:2: market: no market named 'D' in the scenario"), "%s",
              err.msg);
    lc_scenario_free(sc);
    free(bad);
    free(path);
    t_rmdir(dir);
}

/* ---- issue 19, D12: truncated Pareto with extreme parameters -------------
 * min/max used to underflow (1e-300 / 1e300 = 0), so the draw ignored max
 * and gave inf, which the tiers then took the blame for. Every draw must be
 * finite and within [min, max], and follow the law: its CDF value
 * F(x) = (1 − (min/x)^α)/(1 − (min/max)^α), computed here in logs
 * independently of the inversion, is uniform on [0, 1]. */
#include <gsl/gsl_rng.h>

#include "book/dist.h"

#define PARETO_HEAD                                                                                \
    "simulation: {seed: 5}\n"                                                                      \
    "price: {model: gbm, s0: 60000}\n"                                                             \
    "population:\n"                                                                                \
    "  accounts: 1000\n"                                                                           \
    "  leverage: {dist: fixed, value: 2}\n"
#define PARETO_TAIL "venue: {tiers: [{up_to: 1.0e300, mmr: 0.004, max_leverage: 125}]}\n"

static int pareto_param(const lc_choice *c, const char *name)
{
    for (int i = 0; i < c->desc->nparams; i++)
        if (strcmp(c->desc->params[i].name, name) == 0)
            return i;
    cr_assert_fail("pareto has no parameter %s", name);
    return -1;
}

/* F(x) of the truncated law, in logs: no under- or overflow for any x in [m, M] */
static double pareto_cdf(double x, double m, double a, double M)
{
    double lx = isfinite(x / m) ? log(x / m) : log(x) - log(m);
    double lM = isfinite(M / m) ? log(M / m) : log(M) - log(m);
    if (a * lM < 1e-300) /* log-uniform limit */
        return lx / lM;
    return expm1(-a * lx) / expm1(-a * lM);
}

/* n draws of the scenario's notional: all finite in [m, M], F(x) uniform:
 * mean 1/2 (SE sqrt(1/12/n) = 0.00091 for n = 1e5) and P(F < 0.1) = 0.1
 * (SE sqrt(0.09/n) = 0.00095). */
static void check_pareto_draws(double m, double a, double M)
{
    char *text;
    cr_assert(asprintf(&text,
                       PARETO_HEAD "  notional: {dist: pareto, min: %.17g, alpha: %.17g, max: "
                                   "%.17g}\n" PARETO_TAIL,
                       m, a, M) > 0);
    lc_scenario *sc = t_scenario(text);
    const lc_choice *c = &sc->notional;
    cr_assert_eq(c->p[pareto_param(c, "min")], m);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 19);
    const long n = 100000;
    double sf = 0;
    long below = 0;
    for (long i = 0; i < n; i++) {
        double x = lc_dist_draw(c, r);
        cr_assert(isfinite(x) && x >= m && x <= M, "draw %ld = %g outside [%g, %g] (alpha %g)", i,
                  x, m, M, a);
        double f = pareto_cdf(x, m, a, M);
        sf += f;
        below += f < 0.1;
    }
    double mean = sf / (double)n, frac = (double)below / (double)n;
    cr_assert(fabs(mean - 0.5) < 4 * sqrt(1.0 / 12 / (double)n), "min %g alpha %g max %g: E[F] %g",
              m, a, M, mean);
    cr_assert(fabs(frac - 0.1) < 4 * sqrt(0.09 / (double)n), "min %g alpha %g max %g: P(F<0.1) %g",
              m, a, M, frac);
    /* and a whole population draws from it: nothing is blamed on the tiers */
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "min %g alpha %g max %g: %s", m, a, M, err.msg);
    for (long i = 0; i < p->n; i++) {
        double notional = p->qty[i] * p->entry[i];
        cr_assert(isfinite(notional) && notional <= M * (1 + 1e-12), "notional %g", notional);
    }
    lc_population_free(p);
    gsl_rng_free(r);
    lc_scenario_free(sc);
    free(text);
}

Test(population, pareto_extreme_range_small_alpha)
{
    check_pareto_draws(1e-300, 1e-6, 1e300); /* drew inf before */
}

Test(population, pareto_extreme_range_large_alpha)
{
    check_pareto_draws(1e-300, 50, 1e300);
    check_pareto_draws(1e-300, 100, 1e300);
}

Test(population, pareto_vanishing_alpha_is_log_uniform)
{
    check_pareto_draws(1e-300, 1e-300, 1e300); /* 1 − tail rounded to 0: every draw min */
    check_pareto_draws(1, 1e-20, 1e6);
    check_pareto_draws(1000, 1e-4, 2000); /* alpha·log(max/min) below 1e-3 */
}

Test(population, pareto_normal_and_narrow_ranges)
{
    check_pareto_draws(1000, 2.5, 1e6);
    check_pareto_draws(1e-300, 1.5, 1e-290);
    check_pareto_draws(1e290, 1.5, 1e300);
    check_pareto_draws(1e299, 2, 1e299 * (1 + 1e-12));
}

Test(population, pareto_min_equal_to_max)
{
    /* refused by the scenario, naming the key ... */
    const char *e = t_scenario_errors(
        PARETO_HEAD "  notional: {dist: pareto, min: 5000, alpha: 1.5, max: 5000}\n" PARETO_TAIL,
        NULL, 0);
    cr_assert(strstr(e, "test.yaml:6: population.notional: min must be < max (got 5000 and 5000)"),
              "%s", e);
    /* ... and the draw itself still gives min, never inf or NaN */
    lc_scenario *sc = t_scenario(
        PARETO_HEAD "  notional: {dist: pareto, min: 5000, alpha: 1.5, max: 6000}\n" PARETO_TAIL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static const double mins[] = {1e-300, 1, 5000, 1e300};
    static const double alphas[] = {1e-300, 1e-6, 1.5, 50, 100};
    for (size_t i = 0; i < sizeof mins / sizeof *mins; i++)
        for (size_t j = 0; j < sizeof alphas / sizeof *alphas; j++) {
            lc_choice c = sc->notional;
            c.p[pareto_param(&c, "min")] = mins[i];
            c.p[pareto_param(&c, "max")] = mins[i];
            c.p[pareto_param(&c, "alpha")] = alphas[j];
            for (int k = 0; k < 1000; k++) {
                double x = lc_dist_draw(&c, r);
                cr_assert_eq(x, mins[i], "min = max = %g, alpha %g: drew %g", mins[i], alphas[j],
                             x);
            }
        }
    gsl_rng_free(r);
    lc_scenario_free(sc);
}

/* ---- accounts that span markets ------------------------------------------ */

/* A positions file by legs: an isolated account (one position, quote), a
 * cross account with one position and quote (stored isolated: the same E
 * and R), a cross account over A and B, a portfolio account with collateral
 * in C; kept in the order given after the isolated ranges. */
Test(population, csv_by_legs)
{
    char *dir = t_tmpdir();
    char *path = t_write(dir, "legs.csv",
                         "account,margin,leg,market,side,notional,entry,amount\n"
                         "a1,isolated,position,A,long,1000,100,\n"
                         "a1,isolated,collateral,quote,,,,200\n"
                         "x,cross,position,B,short,5000,5000,\n"
                         "x,cross,collateral,quote,,,,1000\n"
                         "c2,cross,position,A,long,2000,100,\n"
                         "c2,cross,position,B,short,3000,5000,\n"
                         "c2,cross,collateral,quote,,,,400\n"
                         "p,portfolio,collateral,C,,,,300\n"
                         "p,portfolio,position,B,long,10000,5000,\n"
                         "p,portfolio,collateral,quote,,,,500\n"
                         "p,portfolio,collateral,C,,,,100\n");
    char *text;
    cr_assert(asprintf(&text, THREE_MARKETS "population: {file: %s}\n", path) > 0);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n, 4);
    cr_assert_eq(p->span0, 2, "two isolated in shape, then two spanning");
    cr_assert_eq(p->origin[0], 0); /* A long */
    cr_assert_float_eq(p->qty[0], 10, 1e-12);
    cr_assert_float_eq(p->collateral[0], 200, 1e-12);
    cr_assert_eq(p->origin[1], 1); /* B short, the one-position cross account */
    cr_assert_eq(lc_population_margin(p, 1), LC_MARGIN_ISOLATED);
    cr_assert_eq(p->origin[2], 2);
    cr_assert_eq(lc_population_margin(p, 2), LC_MARGIN_CROSS);
    cr_assert_eq(p->origin[3], 3);
    cr_assert_eq(lc_population_margin(p, 3), LC_MARGIN_PORTFOLIO);
    int npos, ncol;
    const lc_position *pos = lc_span_positions(p, 2, &npos);
    const lc_balance *col = lc_span_balances(p, 2, &ncol);
    cr_assert_eq(npos, 2);
    cr_assert(pos[0].market == 0 && pos[0].side == 1 && pos[0].qty == 20 && pos[0].entry == 100);
    cr_assert(pos[1].market == 1 && pos[1].side == -1 && pos[1].qty == 3000.0 / 5000);
    cr_assert(ncol == 1 && col[0].asset == LC_QUOTE && col[0].amount == 400);
    pos = lc_span_positions(p, 3, &npos);
    col = lc_span_balances(p, 3, &ncol);
    cr_assert_eq(npos, 1);
    /* two lines of C collateral are one balance of 400 */
    cr_assert(ncol == 2 && col[0].asset == 2 && col[0].amount == 400, "%d %d %g", ncol,
              col[0].asset, col[0].amount);
    cr_assert(col[1].asset == LC_QUOTE && col[1].amount == 500);
    /* open interest counts the spanning positions: B's shorts are x (1) and c2's leg */
    cr_assert_float_eq(p->span_qty[2 * 1 + 1], 0.6, 1e-12);
    cr_assert_eq(p->span_open[2 * 1 + 0], 1); /* p's long B */
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    free(path);
    t_rmdir(dir);
}

/* The errors of the legs form name file, line and column. */
static const char *legs_errors(const char *body)
{
    char *dir = t_tmpdir(), *csv;
    cr_assert(asprintf(&csv, "account,margin,leg,market,side,notional,entry,amount\n%s", body) > 0);
    char *path = t_write(dir, "legs.csv", csv);
    char *text;
    cr_assert(asprintf(&text, THREE_MARKETS "population: {file: %s}\n", path) > 0);
    lc_scenario *sc = t_scenario(text);
    static lc_error err;
    lc_error_clear(&err);
    lc_population *p = lc_population_create(sc, &err);
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    free(path);
    free(csv);
    t_rmdir(dir);
    return p ? NULL : err.msg;
}

Test(population, csv_by_legs_errors)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"a,cross,position,A,long,100,100,\nb,cross,position,B,long,100,5000,\n"
         "a,cross,collateral,quote,,,,10\n",
         "legs.csv:4: account: account a again (its lines start on line 2)"},
        {"a,cross,position,A,long,100,100,\na,portfolio,collateral,quote,,,,10\n",
         "legs.csv:3: margin: account a is cross on line 2: one margin per account"},
        {"a,isolated,position,A,long,100,100,\na,isolated,position,B,long,100,5000,\n"
         "a,isolated,collateral,quote,,,,50\n",
         "legs.csv:2: account of this line: an isolated account is one position and quote"},
        {"a,cross,position,D,long,100,100,\n",
         "legs.csv:2: market: no market named 'D' in the scenario"},
        {"a,cross,position,A,long,100,100,\na,cross,position,A,short,100,100,\n",
         "legs.csv:3: market: account a holds a position in A already"},
        {"a,cross,loan,A,long,100,100,\n",
         "legs.csv:2: leg: must be position, collateral or debt (got 'loan')"},
        {"a,margin,position,A,long,100,100,\n",
         "legs.csv:2: margin: must be isolated, cross, portfolio or cdp (got 'margin')"},
        {"a,cross,collateral,quote,,,,-1\n", "legs.csv:2: amount: must be a number >= 0"},
        {"a,cross,collateral,quote,,,,10\n", "legs.csv:2: account of this line: no position"},
        {"a,cross,position,A,long,100,100,5\n",
         "legs.csv:2: amount: must be empty on a position line (got '5')"},
        {"a,cross,position,A,long,100,100,\na,cross,collateral,quote,long,,,5\n",
         "legs.csv:3: side: must be empty on a collateral line (got 'long')"},
        /* lending CDPs (margin cdp): collateral in a market with lt > 0, debts */
        {"a,cross,debt,quote,,,,10\n",
         "legs.csv:2: leg: a debt is a lending CDP's: its account's margin is cdp"},
        {"a,cdp,position,A,long,100,100,\n",
         "legs.csv:2: leg: a cdp account holds collateral and debts, no positions"},
        {"a,cdp,collateral,A,,,,10\n",
         "legs.csv:2: account of this line: a cdp account needs collateral and a debt"},
        {"a,cdp,collateral,B,,,,10\na,cdp,debt,quote,,,,10\n",
         "legs.csv:2: account of this line: a CDP's collateral must be a market's asset with "
         "lending.lt > 0"},
        {"a,cdp,collateral,A,,,,10\na,cdp,debt,quote,,,,0\n",
         "legs.csv:3: amount: must be a number > 0"},
        {"a,cdp,collateral,A,,,,10\na,cdp,debt,quote,side,,,5\n",
         "legs.csv:3: side: must be empty on a debt line (got 'side')"},
        /* E = 10·100·0.8 = 800 <= R = 900 */
        {"a,cdp,collateral,A,,,,10\na,cdp,debt,quote,,,,900\n",
         "legs.csv:2: the account of this line is already breached at s0 (equity 800, "
         "requirement 900"},
        /* 100 notional at 10 quote: E = 10 < R = 0.01·100·... breached? no: R = 1;
         * at 2 quote and a long entered at 105 (pnl −5): E = −3 <= R */
        {"a,cross,position,A,long,105,105,\na,cross,position,B,long,100,5000,\n"
         "a,cross,collateral,quote,,,,2\n",
         "legs.csv:2: the account of this line is already breached at s0"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *e = legs_errors(cases[k].body);
        cr_assert(e && strstr(e, cases[k].want), "case %zu: %s", k, e ? e : "(loaded)");
    }
}

/* Drawn kinds: shares within 4 SE of their weights, positions in distinct
 * markets within [positions_min, positions_max], collateral by the kind's
 * shares at s0, every account solvent at s0. */
Test(population, drawn_kinds)
{
    lc_scenario *sc = t_scenario(
        "simulation: {seed: 9}\n" THREE_MARKETS "population:\n"
        "  accounts: 20000\n"
        "  notional: {dist: pareto, min: 100, alpha: 1.5, max: 1e5}\n"
        "  leverage: {dist: discrete, values: [2, 5], weights: [1, 1]}\n"
        "  kinds: {isolated: {weight: 0.5}, cross: {weight: 0.3, positions_min: 2,\n"
        "          positions_max: 3}, portfolio: {weight: 0.2, collateral: {C: 0.5}}}\n");
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    long count[LC_MARGIN_NKINDS] = {0};
    double marks[3] = {100, 5000, 1};
    for (long i = p->span0; i < p->n; i++) {
        int m = lc_population_margin(p, i), npos, ncol;
        count[m]++;
        const lc_position *pos = lc_span_positions(p, i, &npos);
        const lc_balance *col = lc_span_balances(p, i, &ncol);
        if (m == LC_MARGIN_CROSS)
            cr_assert(npos >= 2 && npos <= 3, "account %ld: %d positions", i, npos);
        else
            cr_assert(npos == 1 && ncol == 2 && col[0].asset == 2, "account %ld", i);
        for (int a = 0; a < npos; a++)
            for (int b = 0; b < a; b++)
                cr_assert_neq(pos[a].market, pos[b].market, "one position per market");
        if (m == LC_MARGIN_PORTFOLIO) /* half the value in C (at s0 = 1), half quote */
            cr_assert_float_eq(col[0].amount, col[1].amount, 1e-9 * col[1].amount);
        cr_assert_gt(lc_span_evaluate_account(sc, p, i, marks).slack, 0, "account %ld", i);
    }
    /* isolated: the isolated kind, plus nothing else (a cross account here has
     * 2+ positions); 4 SE of a binomial share */
    long n = p->n;
    double want[3] = {0.5, 0.3, 0.2};
    count[LC_MARGIN_ISOLATED] = p->span0;
    for (int m = 0; m < 3; m++) {
        double se = sqrt(want[m] * (1 - want[m]) / (double)n);
        cr_assert(fabs((double)count[m] / (double)n - want[m]) < 4 * se, "%s: %ld of %ld",
                  lc_margin_kinds[m], count[m], n);
    }
    lc_population_free(p);
    lc_scenario_free(sc);
}

/* A kind's own notional and leverage: every cross account here holds two
 * positions of 5000 and collateral 2·5000/4 = 2500 quote; the isolated ones
 * keep the population's; the resolved scenario gives the same back. */
Test(population, kinds_with_their_own_distributions)
{
    static const char *text =
        "simulation: {seed: 3}\n" THREE_MARKETS "population:\n"
        "  accounts: 2000\n"
        "  notional: {dist: fixed, value: 100}\n"
        "  leverage: {dist: fixed, value: 2}\n"
        "  kinds: {isolated: {weight: 1}, cross: {weight: 1, positions_min: 2,\n"
        "          notional: {dist: fixed, value: 5000}, leverage: {dist: fixed, value: 4}}}\n";
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert(p->span0 > 800 && p->n - p->span0 > 800, "%ld isolated of %ld", p->span0, p->n);
    for (long i = 0; i < p->span0; i++)
        cr_assert_float_eq(p->collateral[i], 50, 1e-9, "isolated %ld", i);
    for (long i = p->span0; i < p->n; i++) {
        int npos, ncol;
        const lc_position *pos = lc_span_positions(p, i, &npos);
        const lc_balance *col = lc_span_balances(p, i, &ncol);
        cr_assert_eq(npos, 2);
        for (int k = 0; k < npos; k++)
            cr_assert_float_eq(pos[k].qty * pos[k].entry, 5000, 1e-6);
        cr_assert(ncol == 1 && col[0].asset == LC_QUOTE);
        cr_assert_float_eq(col[0].amount, 2500, 1e-9, "account %ld", i);
    }
    char *y = lc_scenario_resolved_yaml(sc);
    lc_scenario *back = t_scenario(y);
    lc_population *q = lc_population_create(back, &err);
    cr_assert_not_null(q, "%s", err.msg);
    cr_assert_eq(q->n, p->n);
    cr_assert_eq(q->span0, p->span0);
    for (long i = 0; i < p->n; i++)
        cr_assert(q->qty[i] == p->qty[i] && q->collateral[i] == p->collateral[i]);
    lc_population_free(q);
    lc_scenario_free(back);
    free(y);
    lc_population_free(p);
    lc_scenario_free(sc);
}

/* Found by tests/fuzz/fuzz_scenario: shares of 1.5 and 0.35 normalised to
 * 1.5/1.85 and 0.35/1.85 do not sum to 1 exactly, and normalising them again
 * on reload changed their last digits, so a resolved scenario resolved
 * differently.
 * Also found by fuzz_positions: a positions file by legs with no account. */
Test(population, resolved_kinds_resolve_to_themselves)
{
    lc_scenario *sc =
        t_scenario(THREE_MARKETS
                   "population:\n"
                   "  accounts: 10\n"
                   "  markets: {A: 30, B: 7, C: 0}\n"
                   "  notional: {dist: fixed, value: 100}\n"
                   "  leverage: {dist: fixed, value: 2}\n"
                   "  kinds: {isolated: {weight: 1.5}, cross: {weight: 0.35, positions_min: 2}}\n");
    char *y1 = lc_scenario_resolved_yaml(sc);
    lc_scenario *back = t_scenario(y1);
    char *y2 = lc_scenario_resolved_yaml(back);
    cr_assert_str_eq(y1, y2);
    free(y1);
    free(y2);
    lc_scenario_free(back);
    lc_scenario_free(sc);

    char *dir = t_tmpdir();
    char *path = t_write(dir, "legs.csv", "account,margin,leg,market,side,notional,entry,amount\n");
    char *text;
    cr_assert(asprintf(&text, THREE_MARKETS "population: {file: %s}\n", path) > 0);
    sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n, 0);
    lc_population_free(p);
    lc_scenario_free(sc);
    free(text);
    free(path);
    t_rmdir(dir);
}

/* test_rare.c — importance sampling (simulation.rare tilt, DESIGN §15)
 * against closed forms where plain Monte Carlo sees nothing.
 *
 * With no accounts and impact none a market is its price model's path, and a
 * run hits the down barrier H iff its price_min (seen at t = 0 and at the end
 * of each of m steps) is <= H. For GBM the probability is the continuous
 * first-passage formula at the barrier shifted away from s0 by
 * e^(−β·sigma·sqrt(dt)) (Broadie, Glasserman & Kou 1997; tests/support.h
 * t_gbm_hit_probability, as test_first_passage.c uses it).
 *
 * An IS estimate is the mean of w·1{hit} over N runs; its standard error is
 * the sample standard deviation of w·1{hit} over sqrt(N) (the CLT the
 * weighted metrics' interval rests on, docs/analysis.md). Each test states
 * its tolerance in those SE: |estimate − p| < 4 SE. The deep-barrier cases
 * also require the estimate to tell the BGK-corrected value from the
 * continuous one (> 4 SE apart), so agreement is not loose tolerance. */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/pilot.h"
#include "support.h"

#define SIGMA 0.8
#define DT 300.0
#define STEPS 288
#define T_YR (STEPS * DT / (365 * 86400.0))

typedef struct est {
    double p, se;      /* the mean of w·1{hit} and its standard error */
    long hits;         /* runs that hit, as drawn */
    double wmean, wse; /* the weights' mean and its standard error */
} est;

/* N runs of sc (no accounts): the hit estimate of market k's barrier h. */
static est run_barrier(lc_scenario *sc, int k, double h)
{
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 0);
    cr_assert_not_null(s);
    long n = sc->runs;
    double sx = 0, sxx = 0, sw = 0, sww = 0;
    est e = {0};
    for (long run = 0; run < n; run++) {
        lc_run_row row;
        cr_assert_eq(lc_engine_run(sc, pop, s, 0, run, &row, NULL, NULL, &err), 0, "%s", err.msg);
        cr_assert_float_eq(row.weight, exp(row.log_weight), 1e-300 + 1e-15 * row.weight);
        int hit = row.mk[k].price_min <= h;
        double x = hit ? row.weight : 0.0;
        e.hits += hit;
        sx += x;
        sxx += x * x;
        sw += row.weight;
        sww += row.weight * row.weight;
    }
    double dn = (double)n;
    e.p = sx / dn;
    e.se = sqrt(fmax(0.0, sxx / dn - e.p * e.p) / (dn - 1.0));
    e.wmean = sw / dn;
    e.wse = sqrt(fmax(0.0, sww / dn - e.wmean * e.wmean) / (dn - 1.0));
    lc_scratch_free(s);
    lc_population_free(pop);
    return e;
}

static lc_scenario *gbm(long runs, long seed, const char *rare)
{
    char text[1024];
    snprintf(text, sizeof text,
             "simulation: {runs: %ld, steps: %d, dt: %g, seed: %ld%s%s}\n"
             "price: {model: gbm, s0: 100, mu: 0, sigma: %g}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "output: {series: []}\n",
             runs, STEPS, DT, seed, rare ? ", rare: " : "", rare ? rare : "", SIGMA);
    return t_scenario(text);
}

static double bgk(double h)
{
    double shift = exp(-T_BGK_BETA * SIGMA * sqrt(DT / (365 * 86400.0)));
    return t_gbm_hit_probability(100, h * shift, 0, SIGMA, T_YR);
}

/* H = 81.5: p ≈ 1e-6. theta −0.28 per step takes the mean path to about the
 * barrier at the horizon (θ·m·σ·sqrt(dt) ≈ ln(H/s0)). 20,000 runs: plain MC
 * expects 0.02 hits and sees none; IS has an SE of about 2.5% of p. */
Test(rare, deep_gbm_barrier_by_tilt)
{
    const double h = 81.5;
    double p = bgk(h), p_cont = t_gbm_hit_probability(100, h, 0, SIGMA, T_YR);
    cr_assert(p > 5e-7 && p < 2e-6, "the case is about 1e-6: %g", p);
    lc_scenario *plain = gbm(20000, 3, NULL);
    est e0 = run_barrier(plain, 0, h);
    cr_assert_eq(e0.hits, 0, "plain MC sees no hit in 20,000 runs (saw %ld)", e0.hits);
    lc_scenario_free(plain);

    lc_scenario *sc = gbm(20000, 3, "{method: tilt, theta: -0.28}");
    est e = run_barrier(sc, 0, h);
    cr_log_info("deep barrier: BGK %.4g, continuous %.4g, IS %.4g ± %.2g (%ld hits drawn)", p,
                p_cont, e.p, e.se, e.hits);
    cr_assert(fabs(e.p - p) < 4 * e.se, "IS %.4g vs BGK %.4g: %.1f SE", e.p, p,
              fabs(e.p - p) / e.se);
    cr_assert(fabs(e.p - p_cont) > 4 * e.se, "the estimate cannot tell discrete from continuous");
    lc_scenario_free(sc);
}

/* H = 89.8: p ≈ 1e-2, where plain MC sees about 200 hits in 20,000 runs:
 * the two estimates agree within 4 of their combined SE, and each with BGK. */
Test(rare, agrees_with_plain_mc)
{
    const double h = 89.8;
    double p = bgk(h);
    cr_assert(p > 5e-3 && p < 2e-2, "the case is about 1e-2: %g", p);
    lc_scenario *plain = gbm(20000, 5, NULL), *sc = gbm(20000, 5, "{method: tilt, theta: -0.15}");
    est a = run_barrier(plain, 0, h), b = run_barrier(sc, 0, h);
    double se = sqrt(a.se * a.se + b.se * b.se);
    cr_log_info("p ~ 1e-2: BGK %.4g, plain %.4g ± %.2g, IS %.4g ± %.2g", p, a.p, a.se, b.p, b.se);
    cr_assert(a.wmean == 1 && a.wse == 0, "plain runs weigh 1");
    cr_assert(fabs(a.p - b.p) < 4 * se, "plain %.4g vs IS %.4g: %.1f SE", a.p, b.p,
              fabs(a.p - b.p) / se);
    cr_assert(fabs(a.p - p) < 4 * a.se && fabs(b.p - p) < 4 * b.se);
    cr_assert(b.se < a.se / 2, "the tilt reduces the SE (IS %.2g, plain %.2g)", b.se, a.se);
    lc_scenario_free(plain);
    lc_scenario_free(sc);
}

/* E[w] = 1 under the tilted law. theta −0.05 over 288 steps: log w has
 * variance θ²·m = 0.72, so the weights' own SE is a fair measure of them. */
Test(rare, weights_mean_one)
{
    lc_scenario *sc = gbm(20000, 9, "{method: tilt, theta: -0.05}");
    est e = run_barrier(sc, 0, 0);
    cr_log_info("weights' mean %.5f ± %.2g", e.wmean, e.wse);
    cr_assert(fabs(e.wmean - 1) < 4 * e.wse, "mean weight %.5f: %.1f SE from 1", e.wmean,
              fabs(e.wmean - 1) / e.wse);
    cr_assert(e.wse > 0.002, "the weights vary");
    lc_scenario_free(sc);
}

/* Two markets, correlated through a t copula with a Markov stress regime:
 * each market's innovation is still N(0, 1) marginally, so market BTC's path
 * is the GBM of the closed form. Only BTC is tilted; the tilt is made in the
 * Cholesky coordinates of either regime's matrix (innovations.h). */
Test(rare, two_markets_t_copula)
{
    const double h = 81.5;
    char text[2048];
    snprintf(text, sizeof text,
             "simulation: {runs: 20000, steps: %d, dt: %g, seed: 4,\n"
             "  rare: {method: tilt, theta: {BTC: -0.28}}}\n"
             "markets:\n"
             "  - {name: BTC, price: {model: gbm, s0: 100, mu: 0, sigma: %g}, "
             "impact: {model: none}}\n"
             "  - {name: ETH, price: {model: gbm, s0: 100, mu: 0, sigma: 1.2}, "
             "impact: {model: none}}\n"
             "correlation: {rho: 0.6, copula: t, nu: 4,\n"
             "  stress: {rho: 0.9, enter: 50, exit: 300}}\n"
             "population: {accounts: 0}\n"
             "output: {series: []}\n",
             STEPS, DT, SIGMA);
    lc_scenario *sc = t_scenario(text);
    cr_assert_eq(sc->rare.tilted[1], 0, "ETH is not tilted");
    est e = run_barrier(sc, 0, h);
    double p = bgk(h);
    cr_log_info("two markets: BGK %.4g, IS %.4g ± %.2g", p, e.p, e.se);
    cr_assert(e.se < 0.15 * p, "the least tilt keeps the estimate precise: SE %.2g of %.2g", e.se,
              p);
    cr_assert(fabs(e.p - p) < 4 * e.se, "IS %.4g vs BGK %.4g: %.1f SE", e.p, p,
              fabs(e.p - p) / e.se);
    lc_scenario_free(sc);
}

/* Jump intensity: a Merton path of jumps alone (sigma 0, jump log-size
 * −0.05 exactly, mu = λ·(e^−0.05 − 1) so the drift is 0) is at
 * s0·e^(−0.05·N_t); it falls below s0·e^(−0.175) iff N_T >= 4, and
 * P(N_T >= 4) = P(4, λT) (the regularised lower incomplete gamma) ≈ 3.6e-7
 * for λ = 20/yr over one day. jumps: 60 draws the counts at 60λ. */
Test(rare, jump_intensity_tilt)
{
    double lambda = 20, mu = lambda * expm1(-0.05), h = 100 * exp(-0.175);
    char text[1024];
    snprintf(text, sizeof text,
             "simulation: {runs: 20000, steps: %d, dt: %g, seed: 8,\n"
             "  rare: {method: tilt, theta: 0, jumps: 60}}\n"
             "price: {model: merton, s0: 100, mu: %.17g, sigma: 0, lambda: %g, "
             "jump_mean: -0.05, jump_sigma: 0}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "output: {series: []}\n",
             STEPS, DT, mu, lambda);
    lc_scenario *sc = t_scenario(text);
    est e = run_barrier(sc, 0, h);
    double p = gsl_sf_gamma_inc_P(4, lambda * T_YR);
    cr_log_info("jumps: closed form %.4g, IS %.4g ± %.2g (%ld hits drawn)", p, e.p, e.se, e.hits);
    cr_assert(e.hits > 100, "the tilt draws the event");
    cr_assert(fabs(e.p - p) < 4 * e.se, "IS %.4g vs %.4g: %.1f SE", e.p, p, fabs(e.p - p) / e.se);
    lc_scenario_free(sc);
}

/* The cross-entropy pilot: aimed at max_drawdown >= 0.19 it finds a theta
 * near the straight-line one (−0.29: the mean path falls 19% by the end),
 * and the runs at that theta estimate the deep barrier as above. */
Test(rare, pilot_cross_entropy)
{
    lc_scenario *sc = gbm(20000, 3,
                          "{method: tilt, theta: auto, target: {score: drawdown, level: 0.19}, "
                          "pilot: {runs: 2000}}");
    cr_assert(sc->rare.pilot);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    char trail[512];
    cr_assert_eq(lc_pilot_run(sc, pop, 2, LC_ENGINE_INDEX, NULL, NULL, trail, sizeof trail, &err),
                 0, "%s", err.msg);
    lc_population_free(pop);
    cr_log_info("pilot: %s", trail);
    cr_assert(!sc->rare.pilot && sc->rare.theta[0] < -0.2 && sc->rare.theta[0] > -0.4, "theta %g",
              sc->rare.theta[0]);
    const double h = 81.5;
    est e = run_barrier(sc, 0, h);
    double p = bgk(h);
    cr_assert(fabs(e.p - p) < 4 * e.se, "IS %.4g vs BGK %.4g: %.1f SE", e.p, p,
              fabs(e.p - p) / e.se);
    cr_assert(e.se < 0.1 * p, "the pilot's theta gives a precise estimate: SE %.2g of %.2g", e.se,
              p);
    lc_scenario_free(sc);
}

/* What the scenario refuses, with file, line and key. */
Test(rare, bad_keys)
{
    static const struct {
        const char *rare, *says;
    } cases[] = {
        {"{method: split}", "not built yet"},
        {"{method: tilt}", "simulation.rare.theta: required"},
        {"{method: tilt, theta: [1, 2]}", "has 2 numbers for 1 tilted markets"},
        {"{method: tilt, theta: {ETH: 1}}", "simulation.rare.theta.ETH: names no market"},
        {"{method: tilt, theta: auto}", "simulation.rare.target: required"},
        {"{method: tilt, theta: 0.1, target: {score: drawdown, level: 0.1}}",
         "is for the pilot of theta: auto"},
        {"{method: tilt, theta: auto, target: {score: pnl, level: 1}}",
         "simulation.rare.target.score: must be one of"},
        {"{method: tilt, theta: 0.1, jumps: 0}", "simulation.rare.jumps: must be > 0"},
        {"{method: none, theta: 1}", "method none draws as plain Monte Carlo"},
        {"{method: tilt, theta: 0.1, tilt: 2}", "simulation.rare.tilt: unknown key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "simulation: {runs: 10, steps: 10, rare: %s}\n"
                 "price: {model: gbm, s0: 100}\n"
                 "population: {accounts: 0}\n",
                 cases[i].rare);
        const char *msg = t_scenario_errors(text, NULL, 0);
        cr_assert(msg && strstr(msg, cases[i].says), "%s: expected '%s', got: %s", cases[i].rare,
                  cases[i].says, msg ? msg : "(no error)");
        cr_assert(strstr(msg, ":1:") || strstr(msg, ":2:") || strstr(msg, ":1: ") ||
                      strstr(msg, "scenario"),
                  "names the line: %s", msg);
    }
    /* a market whose model draws no standard innovation cannot be tilted */
    const char *msg =
        t_scenario_errors("simulation: {runs: 10, steps: 10, rare: {method: tilt, theta: -0.1}}\n"
                          "price: {model: bootstrap, s0: 100, file: /nonexistent.csv}\n"
                          "population: {accounts: 0}\n",
                          NULL, 0);
    cr_assert(msg && (strstr(msg, "draws no standard innovation") || strstr(msg, "file")), "%s",
              msg ? msg : "(no error)");
}

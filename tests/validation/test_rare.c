/* test_rare.c — importance sampling and multilevel splitting
 * (simulation.rare tilt and split, DESIGN §15) against closed forms where
 * plain Monte Carlo sees nothing.
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
 * its tolerance in those SE: |estimate − p| < 4 SE. A splitting estimate is
 * the mean of its G replicates' estimates; its SE their standard deviation
 * over sqrt(G), computed here from the rows, apart from the metrics' code. The deep-barrier cases
 * also require the estimate to tell the BGK-corrected value from the
 * continuous one (> 4 SE apart), so agreement is not loose tolerance. */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/summary.h"
#include "engine/engine.h"
#include "engine/pilot.h"
#include "engine/runner.h"
#include "engine/split.h"
#include "out/metrics.h"
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

/* rare.steps: only the first 144 of the 288 steps tilted, the rest drawn
 * from the model's law, the likelihood ratio counting only the tilted
 * steps. At H = 89.8 (p ≈ 1e-2), theta −0.2 over those steps: within 4 SE
 * of BGK with an SE below plain MC's (7e-4 at 20,000 runs,
 * agrees_with_plain_mc); and the weights' mean is 1 within 4 SE. */
Test(rare, tilt_window)
{
    const double h = 89.8;
    double p = bgk(h);
    lc_scenario *sc = gbm(20000, 13, "{method: tilt, theta: -0.2, steps: 144}");
    cr_assert_eq(sc->rare.tilt_steps, 144);
    est e = run_barrier(sc, 0, h);
    cr_log_info("tilt window: BGK %.4g, IS %.4g ± %.2g", p, e.p, e.se);
    cr_assert(fabs(e.p - p) < 4 * e.se, "IS %.4g vs BGK %.4g: %.1f SE", e.p, p,
              fabs(e.p - p) / e.se);
    cr_assert(e.se < 7e-4, "below plain MC's SE: %.2g", e.se);
    lc_scenario_free(sc);
    lc_scenario *mild = gbm(20000, 14, "{method: tilt, theta: -0.1, steps: 100}");
    est m = run_barrier(mild, 0, 0);
    cr_assert(fabs(m.wmean - 1) < 4 * m.wse && m.wse > 0.002, "weights' mean %.5f ± %.2g", m.wmean,
              m.wse);
    lc_scenario_free(mild);
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

/* A one-market GBM scenario of simulation: {sim} is refused, with a
 * message holding `says`: the message. */
static const char *refused(const char *sim, const char *says)
{
    char text[512];
    snprintf(text, sizeof text,
             "simulation: {%s}\n"
             "price: {model: gbm, s0: 100}\n"
             "population: {accounts: 0}\n",
             sim);
    const char *msg = t_scenario_errors(text, NULL, 0);
    cr_assert(msg && strstr(msg, says), "%s: expected '%s', got: %s", sim, says,
              msg ? msg : "(no error)");
    return msg;
}

/* What the scenario refuses, with file, line and key. */
Test(rare, bad_keys)
{
    static const struct {
        const char *rare, *says;
    } cases[] = {
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
        {"{method: tilt, theta: 0.1, steps: -1}", "simulation.rare.steps"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char sim[256];
        snprintf(sim, sizeof sim, "runs: 10, steps: 10, rare: %s", cases[i].rare);
        const char *msg = refused(sim, cases[i].says);
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

/* ---- multilevel splitting (engine/split.h) ----------------------------- */

static lc_scenario *gbm_split(int steps, double dt, long seed, const char *rare)
{
    char text[1024];
    snprintf(text, sizeof text,
             "simulation: {steps: %d, dt: %g, seed: %ld, rare: %s}\n"
             "price: {model: gbm, s0: 100, mu: 0, sigma: %g}\n"
             "impact: {model: none}\n"
             "population: {accounts: 0}\n"
             "output: {series: []}\n",
             steps, dt, seed, rare, SIGMA);
    return t_scenario(text);
}

typedef struct split_est {
    double p, se; /* the replicates' mean estimate of P(hit) and its SE */
    double wsum;  /* Σ w over the rows, n: every replicate's mass is n/G */
    long rows, replicates;
    lc_run_row *row; /* the rows (free) */
} split_est;

/* The splitting of sc on `threads` threads, its rows by the runner, and
 * the estimate of P(price_min <= h) from them. */
static split_est run_split(lc_scenario *sc, int threads, double h)
{
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_split sp;
    cr_assert_eq(lc_split_run(sc, pop, threads, LC_ENGINE_INDEX, NULL, NULL, &sp, &err), 0, "%s",
                 err.msg);
    sc->runs = sp.njob;
    split_est e = {.rows = sp.njob, .row = malloc((size_t)sp.njob * sizeof *e.row)};
    cr_assert_not_null(e.row);
    lc_runner_opts o = {.threads = threads, .rows = e.row, .split = &sp};
    lc_runner_stats st;
    const lc_scenario *scs[1] = {sc};
    const lc_population *pops[1] = {pop};
    cr_assert_eq(lc_runner_run(scs, pops, 1, &o, NULL, &st, &err), 0, "%s", err.msg);
    long G = sc->rare.replicates;
    double *a = calloc((size_t)G, sizeof *a), scale = (double)G / (double)e.rows;
    for (long i = 0; i < e.rows; i++) {
        const lc_run_row *r = &e.row[i];
        cr_assert(r->replicate >= 0 && r->replicate < G);
        cr_assert_eq(r->log_weight, log(r->weight));
        e.wsum += r->weight;
        if (r->mk[0].price_min <= h)
            a[r->replicate] += scale * r->weight;
    }
    double m = 0, v = 0;
    for (long g = 0; g < G; g++)
        m += a[g] / (double)G;
    for (long g = 0; g < G; g++)
        v += (a[g] - m) * (a[g] - m) / (double)(G - 1);
    e.p = m;
    e.se = sqrt(v / (double)G);
    e.replicates = G;
    free(a);
    lc_split_free(&sp);
    lc_population_free(pop);
    return e;
}

static double bgk_at(double h, int steps, double dt)
{
    double shift = exp(-T_BGK_BETA * SIGMA * sqrt(dt / (365 * 86400.0)));
    return t_gbm_hit_probability(100, h * shift, 0, SIGMA, steps * dt / (365 * 86400.0));
}

/* The deep barrier of the tilt's test, H = 81.5 (p ≈ 9.6e-7: plain MC with
 * 20,000 runs sees none, deep_gbm_barrier_by_tilt), by splitting on the
 * fall 1 − price_min/s0 at seven levels to 0.185 (each reached by about a
 * fifth of the trajectories before it), 1000 trajectories a level in 20
 * replicates: an SE of about 15% of p. Each replicate's weights sum to its
 * share of the rows. */
Test(rare, deep_gbm_barrier_by_splitting)
{
    const double h = 81.5;
    double p = bgk_at(h, STEPS, DT);
    lc_scenario *sc = gbm_split(STEPS, DT, 3,
                                "{method: split, score: fall, levels: [0.05, 0.08, 0.105, 0.125, "
                                "0.145, 0.165, 0.185], effort: 1000, replicates: 20}");
    split_est e = run_split(sc, 2, h);
    cr_log_info("deep barrier by splitting: BGK %.4g, estimate %.4g ± %.2g (%ld rows)", p, e.p,
                e.se, e.rows);
    cr_assert(fabs(e.p - p) < 4 * e.se, "splitting %.4g vs BGK %.4g: %.1f SE", e.p, p,
              fabs(e.p - p) / e.se);
    cr_assert(e.se < 0.3 * p, "a useful estimate: SE %.2g of %.2g", e.se, p);
    cr_assert(fabs(e.wsum - (double)e.rows) < 1e-6 * (double)e.rows, "the weights' mean is 1: %g",
              e.wsum / (double)e.rows);
    free(e.row);
    lc_scenario_free(sc);
}

/* levels: auto: a pilot on its own seed chooses the levels (each the fall
 * the best fifth of its stage reach) up to the target's 0.185; the estimate
 * that follows is within 4 SE of the closed form, and the levels climb. */
Test(rare, splitting_levels_auto)
{
    const double h = 81.5;
    double p = bgk_at(h, STEPS, DT);
    lc_scenario *sc = gbm_split(STEPS, DT, 4,
                                "{method: split, score: fall, levels: auto, level: 0.185, "
                                "effort: 1000, replicates: 20}");
    cr_assert(sc->rare.auto_levels);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    char trail[512];
    cr_assert_eq(
        lc_split_choose_levels(sc, pop, 2, LC_ENGINE_INDEX, NULL, NULL, trail, sizeof trail, &err),
        0, "%s", err.msg);
    lc_population_free(pop);
    cr_log_info("%s", trail);
    cr_assert(!sc->rare.auto_levels && sc->rare.nlevels >= 5 &&
                  sc->rare.levels[sc->rare.nlevels - 1] == 0.185,
              "%s", trail);
    for (int l = 1; l < sc->rare.nlevels; l++)
        cr_assert(sc->rare.levels[l] > sc->rare.levels[l - 1]);
    split_est e = run_split(sc, 2, h);
    cr_log_info("levels auto: BGK %.4g, estimate %.4g ± %.2g", p, e.p, e.se);
    cr_assert(fabs(e.p - p) < 4 * e.se, "splitting %.4g vs BGK %.4g: %.1f SE", e.p, p,
              fabs(e.p - p) / e.se);
    free(e.row);
    lc_scenario_free(sc);
}

/* H = 89.8, p ≈ 1e-2: splitting (two levels) and plain MC (20,000 runs, as
 * agrees_with_plain_mc) agree within 4 of their combined SE. */
Test(rare, splitting_agrees_with_plain_mc)
{
    const double h = 89.8;
    double p = bgk_at(h, STEPS, DT);
    lc_scenario *plain = gbm(20000, 5, NULL);
    est a = run_barrier(plain, 0, h);
    lc_scenario_free(plain);
    lc_scenario *sc = gbm_split(STEPS, DT, 5,
                                "{method: split, score: fall, levels: [0.05, 0.102], effort: 500, "
                                "replicates: 20}");
    split_est b = run_split(sc, 2, h);
    double se = sqrt(a.se * a.se + b.se * b.se);
    cr_log_info("p ~ 1e-2: BGK %.4g, plain %.4g ± %.2g, splitting %.4g ± %.2g", p, a.p, a.se, b.p,
                b.se);
    cr_assert(fabs(a.p - b.p) < 4 * se, "plain %.4g vs splitting %.4g: %.1f SE", a.p, b.p,
              fabs(a.p - b.p) / se);
    cr_assert(fabs(b.p - p) < 4 * b.se, "splitting %.4g vs BGK %.4g", b.p, p);
    free(b.row);
    lc_scenario_free(sc);
}

/* A splitting is a function of the seed: the rows of 1 and 2 threads are
 * identical, bit for bit, and another seed gives others. */
Test(rare, splitting_independent_of_threads)
{
    const char *rare = "{method: split, score: fall, levels: [0.04, 0.07], effort: 100, "
                       "replicates: 10}";
    lc_scenario *s1 = gbm_split(96, DT, 11, rare), *s2 = gbm_split(96, DT, 11, rare),
                *s3 = gbm_split(96, DT, 12, rare);
    split_est a = run_split(s1, 1, 0), b = run_split(s2, 2, 0), c = run_split(s3, 2, 0);
    cr_assert_eq(a.rows, b.rows);
    cr_assert(memcmp(a.row, b.row, (size_t)a.rows * sizeof *a.row) == 0,
              "1 and 2 threads give the same rows");
    cr_assert(c.rows != a.rows || memcmp(a.row, c.row, (size_t)a.rows * sizeof *a.row) != 0,
              "another seed, other rows");
    cr_assert(a.rows > 10 * 100, "the clones add rows to the roots' (%ld)", a.rows);
    free(a.row);
    free(b.row);
    free(c.row);
    lc_scenario_free(s1);
    lc_scenario_free(s2);
    lc_scenario_free(s3);
}

/* The coverage of the replicates' interval (lc_replicate_share: t on G − 1
 * degrees of freedom): 300 independent splittings of a small case (p ≈
 * 2e-3, 72 steps, 10 replicates of 100 trajectories a level), each interval
 * from the metrics' own function. The estimates' mean is p within 4 of its
 * SE (the splitting is unbiased), and their share covering the closed form is
 * within 4 SE of 95% (SE sqrt(.95·.05/300) = 1.26%); the BGK value stands
 * for the truth, its error (under 1% of p at this dt) well inside the
 * intervals' width. */
Test(rare, splitting_interval_coverage)
{
    const int steps = 72, reps = 300;
    const double h = 93.9, p = bgk_at(h, steps, DT);
    cr_assert(p > 5e-4 && p < 5e-3, "p %g", p);
    long covered = 0;
    double sum = 0, sum2 = 0; /* of the estimates: their mean is p (unbiased) */
    for (int k = 0; k < reps; k++) {
        lc_scenario *sc = gbm_split(steps, DT, 1000 + k,
                                    "{method: split, score: fall, levels: [0.02, 0.04, 0.061], "
                                    "effort: 100, replicates: 10}");
        split_est e = run_split(sc, 2, h);
        double sc_ = 0, sc2 = 0, cur = 0;
        for (long i = 0; i < e.rows; i++) {
            if (i > 0 && e.row[i].replicate != e.row[i - 1].replicate) {
                sc2 += cur * cur;
                cur = 0;
            }
            if (e.row[i].mk[0].price_min <= h) {
                sc_ += e.row[i].weight;
                cur += e.row[i].weight;
            }
        }
        double q, lo, hi;
        lc_replicate_share(sc_, sc2 + cur * cur, e.replicates, e.rows, &q, &lo, &hi);
        cr_assert(fabs(q - e.p) <= 1e-12 * e.p + 1e-300,
                  "the metric's estimate %g is the test's %g", q, e.p);
        covered += lo <= p && (isnan(hi) ? 0 : p <= hi);
        sum += e.p;
        sum2 += e.p * e.p;
        free(e.row);
        lc_scenario_free(sc);
    }
    double share = (double)covered / reps, se = sqrt(0.95 * 0.05 / reps);
    double mean = sum / reps, mse = sqrt((sum2 / reps - mean * mean) / (reps - 1));
    cr_log_info("replicate interval coverage %.3f over %d splittings; their mean %.4g ± %.2g, "
                "BGK %.4g",
                share, reps, mean, mse, p);
    cr_assert(fabs(mean - p) < 4 * mse, "the estimates' mean %.4g vs %.4g: %.1f SE", mean, p,
              fabs(mean - p) / mse);
    cr_assert(fabs(share - 0.95) < 4 * se, "coverage %.3f: %.1f SE from 95%%", share,
              fabs(share - 0.95) / se);
}

/* What method split refuses, with file, line and key. */
/* The summary's warning when fewer than half the replicates reach the
 * target, and its count: a far target at little effort (levels 0.05 then
 * 0.185, whose conditional chance is about 5e-6, 50 trajectories a level:
 * almost no replicate's trajectory gets there) warns; a near one (0.02,
 * which about 60% of the paths fall to) does not. The count is the
 * replicates with a row at the target, counted here from the rows. */
Test(rare, splitting_warns_when_few_replicates_reach_the_target)
{
    static const struct {
        const char *rare;
        double target;
        int warns;
    } cases[] = {
        {"{method: split, score: fall, levels: [0.05, 0.185], effort: 50, replicates: 10}", 0.185,
         1},
        {"{method: split, score: fall, levels: [0.02], effort: 50, replicates: 10}", 0.02, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        lc_scenario *sc = gbm_split(STEPS, DT, 5, cases[c].rare);
        split_est e = run_split(sc, 2, 0);
        lc_summary s;
        lc_summary_init(&s, sc);
        int reached[10] = {0};
        long want = 0;
        for (long i = 0; i < e.rows; i++) {
            lc_summary_add(&s, &e.row[i]);
            if (1.0 - e.row[i].mk[0].price_min / 100.0 >= cases[c].target &&
                !reached[e.row[i].replicate]++)
                want++;
        }
        cr_assert_eq(lc_summary_target_replicates(&s), want, "case %zu: %ld replicates, not %ld", c,
                     lc_summary_target_replicates(&s), want);
        cr_log_info("case %zu: %ld of 10 replicates reach %g", c, want, cases[c].target);
        cr_assert_eq(2 * want < 10, cases[c].warns, "case %zu: %ld of 10 replicates", c, want);
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        lc_summary_print(&s, f);
        fclose(f);
        char line[96];
        snprintf(line, sizeof line, "warning: only %ld of the 10 replicates reached the target",
                 want);
        cr_assert_eq(strstr(out, line) != NULL, cases[c].warns, "case %zu:\n%s", c, out);
        cr_assert_eq(strstr(out, "warning: only") != NULL, cases[c].warns, "case %zu", c);
        free(out);
        free(e.row);
        lc_scenario_free(sc);
    }
}

Test(rare, split_bad_keys)
{
    static const struct {
        const char *sim, *says;
    } cases[] = {
        {"rare: {method: split}", "simulation.rare.score: required"},
        {"rare: {method: split, score: fall}", "simulation.rare.levels: required"},
        {"rare: {method: split, score: fall, levels: [0.2, 0.1]}", "the levels must increase"},
        {"rare: {method: split, score: fall, levels: [0, 0.1]}", "from above 0"},
        {"rare: {method: split, score: pnl, levels: [0.1]}", "must be one of"},
        {"rare: {method: split, score: fall, levels: [0.1], theta: 1}", "is for method tilt"},
        {"rare: {method: split, score: fall, levels: [0.1], steps: 3}", "is for method tilt"},
        {"rare: {method: split, score: fall, levels: auto}", "simulation.rare.level: required"},
        {"rare: {method: split, score: fall, levels: [0.1], level: 0.2}",
         "is the target of levels: auto"},
        {"rare: {method: split, score: fall, levels: [0.1], effort: 5}", "simulation.rare.effort"},
        {"runs: 15, rare: {method: split, score: fall, levels: [0.1]}", "give a multiple of them"},
        {"runs: 400, rare: {method: split, score: fall, levels: [0.1], effort: 30}",
         "the runs start as effort x replicates = 600"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char sim[256];
        snprintf(sim, sizeof sim, "steps: 10, %s", cases[i].sim);
        const char *msg = refused(sim, cases[i].says);
        cr_assert(strstr(msg, ":1:"), "names the line: %s", msg);
    }
}

/* test_first_passage.c — liquidation probability against the closed form.
 *
 * With impact none, the market is the GBM fundamental, and identical accounts
 * share one liquidation price H; a run liquidates iff the path, seen at the
 * end of each of the m steps, touches H. For continuous monitoring of
 * X_t = ln(S_t/S_0) with drift ν = μ − σ²/2 and barrier b = ln(H/S_0):
 *   down (b < 0): P = Φ((b − νT)/(σ√T)) + e^{2νb/σ²} Φ((b + νT)/(σ√T))
 *   up   (b > 0): P = Φ((νT − b)/(σ√T)) + e^{2νb/σ²} Φ((−b − νT)/(σ√T))
 * (reflection principle with drift; e.g. Shreve, Stochastic Calculus for
 * Finance II, §7.2). Discrete monitoring at interval Δt is corrected by
 * shifting the barrier away from S_0 by e^{±βσ√Δt}, β = −ζ(1/2)/√(2π) ≈ 0.5826
 * (Broadie, Glasserman & Kou 1997, "A continuity correction for discrete
 * barrier options", Math. Finance 7(4)).
 *
 * Tolerance: the estimate is a binomial proportion over N runs, standard error
 * SE = sqrt(P(1 − P)/N); we require |estimate − P| < 4·SE. The BGK error is
 * o(1/√m), far below SE at m = 288 (one day of 5-minute steps). We also check that the uncorrected
 * continuous formula is rejected, so the test can tell the two apart. */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "support.h"

static void check(int side, double mu, double sigma, double leverage, long runs)
{
    char text[1024];
    snprintf(text, sizeof text,
             "simulation: {runs: %ld, steps: 288, dt: 300, seed: 11}\n"
             "price: {model: gbm, s0: 100, mu: %g, sigma: %g}\n"
             "impact: {model: none}\n"
             "population:\n"
             "  accounts: 3\n"
             "  long_fraction: %d\n"
             "  notional: {dist: fixed, value: 10000}\n"
             "  leverage: {dist: fixed, value: %g}\n"
             "  entry: {dist: fixed, value: 1}\n"
             "venue: {tiers: [{up_to: 1e300, mmr: 0.005, max_leverage: 100}]}\n",
             runs, mu, sigma, side > 0 ? 1 : 0, leverage);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    double h = pop->liq_price[0];
    /* entry 100, margin 1/L of notional, mmr 0.5%: H = 100(1 ∓ 1/L)/(1 ∓ 0.005) */
    cr_assert_float_eq(h, 100 * (1 - side / leverage) / (1 - side * 0.005), 1e-9);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 0);
    long hits = 0;
    for (long run = 0; run < runs; run++) {
        lc_run_row row;
        cr_assert_eq(lc_engine_run(sc, pop, s, 0, run, &row, NULL, NULL, &err), 0);
        long n = row.liq_count_long + row.liq_count_short;
        cr_assert(n == 0 || n == 3, "identical accounts go together");
        hits += n > 0;
    }
    double t = 1.0 / 365, dt = 300.0 / (365 * 86400.0);
    double shift = exp(-side * T_BGK_BETA * sigma * sqrt(dt)); /* away from s0 */
    double p = t_gbm_hit_probability(100, h * shift, mu, sigma, t);
    double p_cont = t_gbm_hit_probability(100, h, mu, sigma, t);
    double est = (double)hits / (double)runs, se = sqrt(p * (1 - p) / (double)runs);
    cr_log_info("side %+d: H = %.4f, estimate %.5f, BGK %.5f, continuous %.5f, SE %.5f", side, h,
                est, p, p_cont, se);
    cr_assert(fabs(est - p) < 4 * se, "estimate %.5f vs BGK %.5f: %.1f SE", est, p,
              fabs(est - p) / se);
    cr_assert(fabs(est - p_cont) > 4 * se, "the test cannot tell discrete from continuous");
    lc_scratch_free(s);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* long, no drift: H ≈ 95.48, P ≈ 0.27 */
Test(first_passage, long_account_driftless)
{
    check(1, 0.0, 0.8, 20, 60000);
}

/* short with strong upward drift: the drift term and the reflection factor both matter */
Test(first_passage, short_account_with_drift)
{
    check(-1, 6.0, 0.6, 25, 60000);
}

/* test_price_overlays.c — shock overlay, bridge and bootstrap (models/price/).
 *
 * Exact checks (no noise): the shock overlay reaches s0·(1 + size) at the end
 * of its window with the base noise switched off (gbm, sigma 0), follows its
 * shape inside the window, and multiplies every base model's path by exactly
 * (1 + size) (same run, same stream); the dip's increments telescope to 0
 * over its window, its price factor is 1 + size on the hold and above it
 * elsewhere (1e-15 relative: one exp of one product), and through the engine
 * it comes back to s0; the bridge hits every pin on every run.
 * Those use a relative tolerance of 1e-12 (shock: a telescoping sum of a few
 * hundred terms of size ≤ 0.2 next to ln s0 ≈ 11, so rounding is ~1e-15) or
 * 1e-9 (pins, as specified).
 *
 * Statistical checks pass iff |estimate − expected| < 4 standard errors,
 * with a fixed seed:
 * - bridge, one pin at T: the log price at t1 is N(ln s0 + (ln P − ln s0)·t1/T,
 *   σ²·t1·(T − t1)/T) (t in years). Runs are iid, so SE(mean) = sd/sqrt(R)
 *   and SE(sample variance) = var·sqrt(2/(R − 1)) (Gaussian).
 * - bootstrap: every resampled return has the file's empirical law, so
 *   E[r] = x̄ and E[(r − x̄)²] = s² (population variance of the file). Within
 *   a run the returns are correlated (blocks), so each run's average is one
 *   batch: runs are independent (own streams), and the SE is the spread of
 *   the R per-run averages over sqrt(R), which includes the block correlation.
 * - bootstrap lag-1: E[(r_t − x̄)(r_{t+1} − x̄)] = (1 − p)·C(1), with
 *   p = 1/mean_block_length and C(1) the circular lag-1 autocovariance of the
 *   file (a new block starts at an independent uniform index: covariance 0;
 *   otherwise the pair is adjacent in the circle). Same batch SE. On an AR(1)
 *   file with phi 0.9: 0 for block length 1, 0.98·C(1) for length 50. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_randist.h>

#include "engine/engine.h"
#include "models/model.h"
#include "book/population.h"
#include "engine/rng.h"
#include "support.h"

#define SEED 20240601u
#define POP "population: {accounts: 0}\n"

/* ---- helpers ------------------------------------------------------------ */

/* The engine's final price of one run (accounts 0: market = fundamental). */
static double final_price(const lc_scenario *sc, long run)
{
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 0);
    cr_assert_not_null(s);
    lc_run_row row;
    cr_assert_eq(lc_engine_run(sc, pop, s, 0, run, &row, NULL, NULL, &err), 0, "%s", err.msg);
    lc_scratch_free(s);
    lc_population_free(pop);
    return row.price_final;
}

static lc_scenario *scenario_with(const char *text, const char *set)
{
    lc_error err = {0};
    const char *sets[1] = {set};
    lc_scenario *sc = lc_scenario_parse("test.yaml", text, sets, set ? 1 : 0, &err);
    cr_assert_not_null(sc, "rejected:\n%s\n%s", text, err.msg);
    return sc;
}

static void check_rel(const char *what, double got, double want, double tol)
{
    cr_assert(fabs(got / want - 1.0) < tol, "%s: got %.17g, want %.17g (rel. error %.3g)", what,
              got, want, fabs(got / want - 1.0));
}

static void check_4se(const char *what, double est, double expect, double se)
{
    cr_assert(se > 0 && isfinite(se), "%s: no standard error", what);
    cr_assert(fabs(est - expect) < 4 * se, "%s: %.6g vs %.6g (%.2f SE, SE %.3g)", what, est, expect,
              (est - expect) / se, se);
}

/* Resolve, reload the resolved text, resolve again: the same text. */
static void check_round_trip(lc_scenario *a)
{
    char *y1 = lc_scenario_resolved_yaml(a);
    cr_assert_not_null(y1);
    lc_error err = {0};
    lc_scenario *b = lc_scenario_parse("resolved.yaml", y1, NULL, 0, &err);
    cr_assert_not_null(b, "resolved text does not reload:\n%s\n%s", y1, err.msg);
    char *y2 = lc_scenario_resolved_yaml(b);
    cr_assert_str_eq(y1, y2);
    free(y1);
    free(y2);
    lc_scenario_free(b);
}

/* ---- shock -------------------------------------------------------------- */

#define FLAT                                                                                       \
    "simulation: {steps: %ld, dt: 60}\nprice: {model: gbm, s0: 60000, sigma: 0, shock: %s}\n" POP

static double flat_final(long steps, const char *shock)
{
    char text[512];
    snprintf(text, sizeof text, FLAT, steps, shock);
    lc_scenario *sc = t_scenario(text);
    double p = final_price(sc, 0);
    lc_scenario_free(sc);
    return p;
}

Test(shock, hits_its_target_exactly_for_every_shape)
{
    static const char *const shocks[] = {
        "{size: -0.15, start: 3600, duration: 1200}",
        "{size: -0.15, start: 3600, duration: 1200, shape: linear}",
        "{size: -0.15, start: 3600, duration: 1200, shape: exp}",
        "{size: -0.15, start: 3600, duration: 1200, shape: exp, rate: 0.01}",
        "{size: -0.15, start: 3600, shape: step}",
        "{size: -0.15, start: 3630, duration: 1150}", /* not on step boundaries */
        "{size: 0.5, start: 0, duration: 60}",
    };
    for (size_t i = 0; i < sizeof shocks / sizeof *shocks; i++) {
        /* at the end of the window (step 80 ends at 4800 s) and long after it */
        double want = 60000 * (1 + (strstr(shocks[i], "0.5") ? 0.5 : -0.15));
        check_rel(shocks[i], flat_final(80, shocks[i]), want, 1e-12);
        check_rel(shocks[i], flat_final(300, shocks[i]), want, 1e-12);
        /* and nothing before it starts (step 60 ends at 3600 s) */
        if (!strstr(shocks[i], "start: 0,"))
            check_rel(shocks[i], flat_final(60, shocks[i]), 60000, 1e-14);
    }
}

Test(shock, follows_its_shape_inside_the_window)
{
    /* linear: half the log move at the middle (step 70 ends at 4200 s) */
    const char *lin = "{size: -0.15, start: 3600, duration: 1200}";
    check_rel("linear middle", flat_final(70, lin), 60000 * sqrt(0.85), 1e-12);
    /* exp, rate 5: fraction (1 − e^(−2.5))/(1 − e^(−5)) of the log move */
    const char *ex = "{size: -0.15, start: 3600, duration: 1200, shape: exp}";
    double g = (1 - exp(-2.5)) / (1 - exp(-5));
    check_rel("exp middle", flat_final(70, ex), 60000 * exp(g * log(0.85)), 1e-12);
    /* step: all of it in the step that ends first after start */
    const char *st = "{size: -0.15, start: 3600, shape: step}";
    check_rel("step", flat_final(61, st), 60000 * 0.85, 1e-12);
    /* a window past the end of the run is cut: only the part inside happens */
    check_rel("cut", flat_final(70, "{size: -0.15, start: 3600, duration: 1200}"),
              60000 * exp(0.5 * log(0.85)), 1e-12);
}

Test(shock, overlays_every_base_model_without_touching_its_noise)
{
    static const char *const bases[] = {
        "model: gbm, sigma: 0.8",
        "model: merton, lambda: 50, jump_mean: -0.02, jump_sigma: 0.03",
        "model: garch, omega: 6.0e-8",
        "model: heston",
        "model: regime",
        "model: bridge, pin_times: [1800], pin_prices: [59000]",
        "model: peg, peg: 60000, half_life: 3600, depeg_rate: 3000",
    };
    for (size_t i = 0; i < sizeof bases / sizeof *bases; i++) {
        char plain[512], shocked[512];
        snprintf(plain, sizeof plain,
                 "simulation: {steps: 120, dt: 60}\nprice: {s0: 60000, %s}\n" POP, bases[i]);
        snprintf(shocked, sizeof shocked,
                 "simulation: {steps: 120, dt: 60}\nprice: {s0: 60000, %s, shock: {size: -0.1, "
                 "start: 3000, duration: 1200, shape: exp}}\n" POP,
                 bases[i]);
        lc_scenario *a = t_scenario(plain), *b = t_scenario(shocked);
        for (long run = 0; run < 5; run++)
            check_rel(bases[i], final_price(b, run) / final_price(a, run), 0.9, 1e-12);
        lc_scenario_free(a);
        lc_scenario_free(b);
    }
}

Test(shock, set_override_round_trip_and_errors)
{
    const char *text =
        "simulation: {steps: 120, dt: 60}\n"
        "price: {model: garch, s0: 100, omega: 6.0e-8,\n"
        "        shock: {size: -0.15, start: 3600, duration: 1200, shape: exp}}\n" POP;
    lc_scenario *sc = scenario_with(text, "price.shock.size=-0.2");
    cr_assert_eq(sc->market[0].shock_common[LC_SHOCK_SIZE], -0.2);
    cr_assert_str_eq(sc->market[0].shock.desc->name, "exp");
    check_round_trip(sc);
    char *y = lc_scenario_resolved_yaml(sc);
    cr_assert(strstr(y, "  shock:\n    shape: exp\n    size: -0.2 "), "%s", y);
    free(y);
    lc_scenario_free(sc);
    /* no shock: none in the resolved text */
    sc = t_scenario("price: {model: gbm, s0: 100}\n" POP);
    cr_assert_null(sc->market[0].shock.desc);
    y = lc_scenario_resolved_yaml(sc);
    cr_assert_null(strstr(y, "shock"));
    free(y);
    lc_scenario_free(sc);
    /* a shock given entirely by --set */
    const char *sets[] = {"price.shock={size: -0.3, start: 60, shape: step}"};
    lc_error err = {0};
    sc = lc_scenario_parse("test.yaml", "price: {model: gbm, s0: 100}\n" POP, sets, 1, &err);
    cr_assert_not_null(sc, "%s", err.msg);
    cr_assert_eq(sc->market[0].shock_common[LC_SHOCK_SIZE], -0.3);
    lc_scenario_free(sc);

    const char *e = t_scenario_errors(
        "price: {model: gbm, s0: 100, shock: {size: -1, start: 0, duration: 60}}\n" POP, NULL, 0);
    cr_assert(strstr(e, "test.yaml:1: price.shock.size: must be > -1 (got -1)"), "%s", e);
    e = t_scenario_errors("price: {model: gbm, s0: 100, shock: {size: -0.1, start: 0}}\n" POP, NULL,
                          0);
    cr_assert(strstr(e, "price.shock.duration: required"), "%s", e);
    e = t_scenario_errors(
        "price: {model: gbm, s0: 100, shock: {size: -0.1, start: 0, shape: steep}}\n" POP, NULL, 0);
    cr_assert(strstr(e, "price.shock.shape: unknown shape 'steep' (did you mean 'step'?)"), "%s",
              e);
    e = t_scenario_errors("price: {model: gbm, s0: 100, shock: -0.1}\n" POP, NULL, 0);
    cr_assert(strstr(e, "price.shock: must be a map"), "%s", e);
    e = t_scenario_errors("price: {model: gbm, s0: 100, shock: {size: -0.1, start: 0, shape: step, "
                          "duration: 5}}\n" POP,
                          NULL, 0);
    cr_assert(strstr(e, "price.shock.duration: unknown key"), "%s", e);
}

/* The dip (a scripted depeg): size −0.1226 (USDC's 0.8774 low), from 3600 s
 * a fall of 1200 s, a hold of 1800 s and a recovery of 2400 s, so the window
 * ends at 9000 s (step 150 of 60 s). */
#define DIP "{shape: dip, size: -0.1226, start: 3600, fall: 1200, hold: 1800, recover: 2400}"

Test(shock, dip_telescopes_to_zero_and_bottoms_at_one_plus_size)
{
    const lc_desc *d = lc_family_find(&lc_shock_family, "dip");
    cr_assert_not_null(d, "no shock shape dip");
    lc_choice c = {.desc = d};
    c.p[lc_desc_find(d, "fall")] = 1200;
    c.p[lc_desc_find(d, "hold")] = 1800;
    c.p[lc_desc_find(d, "recover")] = 2400;
    const double common[2] = {[LC_SHOCK_SIZE] = -0.1226, [LC_SHOCK_START] = 3600};
    /* the price factor e^X on a 1-second grid: never below 1 + size, equal to
     * it on the hold [4800, 6600] and only there, 1 outside the window */
    double lo = INFINITY;
    for (long t = 0; t <= 12000; t++) {
        double f = exp(lc_shock_log_move(&c, common, (double)t));
        int hold = t >= 4800 && t <= 6600, outside = t <= 3600 || t >= 9000;
        cr_assert(f >= 0.8774 * (1 - 1e-15), "t = %ld: factor %.17g below 1 + size", t, f);
        if (hold)
            check_rel("dip hold", f, 0.8774, 1e-15);
        else
            cr_assert(f > 0.8774 * (1 + 1e-9), "t = %ld: factor %.17g at the low off the hold", t,
                      f);
        if (outside)
            cr_assert_eq(f, 1.0, "t = %ld: factor %.17g outside the window", t, f);
        lo = fmin(lo, f);
    }
    check_rel("dip minimum", lo, 0.8774, 1e-15);
    /* per-step increments (dt 60 s) as the engine adds them: over the window
     * they telescope to 0 (rounding only), and none is added after it */
    double sum = 0;
    for (long k = 1; k <= 300; k++) {
        double inc = lc_shock_log_move(&c, common, 60.0 * (double)k) -
                     lc_shock_log_move(&c, common, 60.0 * (double)(k - 1));
        sum += inc;
        if (k > 150)
            cr_assert_eq(inc, 0.0, "step %ld after the window adds %g", k, inc);
    }
    cr_assert(fabs(sum) < 1e-15, "increments sum to %g, not 0", sum);
}

Test(shock, dip_through_the_engine)
{
    /* gbm, sigma 0: the price is s0 times the factor (see the top for 1e-12) */
    const double half = sqrt(0.8774); /* half the log move */
    check_rel("dip before", flat_final(60, DIP), 60000, 1e-14);
    check_rel("dip mid-fall", flat_final(70, DIP), 60000 * half, 1e-12);
    check_rel("dip hold start", flat_final(80, DIP), 60000 * 0.8774, 1e-12);
    check_rel("dip hold end", flat_final(110, DIP), 60000 * 0.8774, 1e-12);
    check_rel("dip mid-recovery", flat_final(130, DIP), 60000 * half, 1e-12);
    check_rel("dip end", flat_final(150, DIP), 60000, 1e-12);
    check_rel("dip long after", flat_final(300, DIP), 60000, 1e-12);
    /* recover 0: the move is never undone; fall 0: all of it in one step */
    check_rel("dip recover 0",
              flat_final(300, "{shape: dip, size: -0.1226, start: 3600, fall: 1200, recover: 0}"),
              60000 * 0.8774, 1e-12);
    const char *drop = "{shape: dip, size: -0.1226, start: 3600, fall: 0, hold: 600, recover: 600}";
    check_rel("dip fall 0, step 60", flat_final(60, drop), 60000, 1e-14);
    check_rel("dip fall 0, step 61", flat_final(61, drop), 60000 * 0.8774, 1e-12);
    check_rel("dip fall 0, after", flat_final(200, drop), 60000, 1e-12);
    /* on a peg with depegs: the shocked / unshocked path of the same run is
     * 1 + size in the hold and 1 after the window */
    const char *peg = "simulation: {steps: %d, dt: 60}\n"
                      "price: {model: peg, s0: 1, half_life: 3600, depeg_rate: 3000%s}\n" POP;
    for (int k = 0; k < 2; k++) {
        int steps = k ? 200 : 100;
        char plain[512], shocked[512];
        snprintf(plain, sizeof plain, peg, steps, "");
        snprintf(shocked, sizeof shocked, peg, steps, ", shock: " DIP);
        lc_scenario *a = t_scenario(plain), *b = t_scenario(shocked);
        for (long run = 0; run < 5; run++)
            check_rel(k ? "peg + dip after" : "peg + dip hold",
                      final_price(b, run) / final_price(a, run), k ? 1 : 0.8774, 1e-12);
        lc_scenario_free(a);
        lc_scenario_free(b);
    }
    /* round trip and errors */
    char text[512];
    snprintf(text, sizeof text, FLAT, 200L, DIP);
    lc_scenario *sc = t_scenario(text);
    check_round_trip(sc);
    lc_scenario_free(sc);
    const char *e = t_scenario_errors(
        "price: {model: gbm, s0: 1, shock: {shape: dip, size: -0.1, start: 0, fall: 60}}\n" POP,
        NULL, 0);
    cr_assert(strstr(e, "price.shock.recover: required"), "%s", e);
    e = t_scenario_errors("price: {model: gbm, s0: 1, shock: {shape: dip, size: -0.1, start: 0, "
                          "fall: 60, recover: 60, duration: 60}}\n" POP,
                          NULL, 0);
    cr_assert(strstr(e, "price.shock.duration: unknown key"), "%s", e);
}

/* ---- bridge ------------------------------------------------------------- */

#define BRIDGE                                                                                     \
    "simulation: {steps: 240, dt: 60}\n"                                                           \
    "price: {model: bridge, s0: 60000, sigma: 0.8,\n"                                              \
    "        pin_times: [600, 3600, 7200, 14400],\n"                                               \
    "        pin_prices: [61000, 51000, 58000, 58000]}\n" POP

Test(bridge, passes_through_every_pin_on_every_run)
{
    lc_scenario *sc = t_scenario(BRIDGE);
    const lc_price_model *pm = lc_price_model_of(sc->market[0].price.desc);
    void *st = calloc(1, pm->state_size);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    static const long pin_step[] = {10, 60, 120, 240};
    static const double pin_price[] = {61000, 51000, 58000, 58000};
    for (long run = 0; run < 200; run++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)run);
        pm->init(st, sc->market[0].price.p, sc->market[0].price_common[LC_PRICE_S0], sc->dt_s,
                 sc->market[0].price_data);
        double x = log(sc->market[0].price_common[LC_PRICE_S0]); /* as the engine sums it */
        int j = 0;
        for (long t = 1; t <= sc->steps; t++) {
            x += pm->step(st, sc->market[0].price.p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
            if (j < 4 && t == pin_step[j])
                check_rel("pin", exp(x), pin_price[j++], 1e-9);
        }
    }
    gsl_rng_free(rng);
    free(st);
    /* through the engine: the last pin is the last step */
    for (long run = 0; run < 20; run++)
        check_rel("engine pin", final_price(sc, run), 58000, 1e-9);
    lc_scenario_free(sc);
}

Test(bridge, midpoint_law_matches_the_closed_form)
{
    /* one pin at T = 100 steps of 60 s; the law at t1 = 50 and 25 steps */
    lc_scenario *sc = t_scenario("simulation: {steps: 100, dt: 60}\n"
                                 "price: {model: bridge, s0: 100, sigma: 0.8, pin_times: [6000], "
                                 "pin_prices: [90]}\n" POP);
    const lc_price_model *pm = lc_price_model_of(sc->market[0].price.desc);
    void *st = calloc(1, pm->state_size);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    enum { R = 4000 };
    static double x50[R], x25[R];
    for (long run = 0; run < R; run++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)run);
        pm->init(st, sc->market[0].price.p, sc->market[0].price_common[LC_PRICE_S0], sc->dt_s,
                 sc->market[0].price_data);
        double x = 0;
        for (long t = 1; t <= 50; t++) {
            x += pm->step(st, sc->market[0].price.p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
            if (t == 25)
                x25[run] = x;
        }
        x50[run] = x;
    }
    double T = 6000 / LC_YEAR_S, L = log(0.9), s2 = 0.64;
    const double *xs[2] = {x25, x50};
    double t1s[2] = {1500 / LC_YEAR_S, 3000 / LC_YEAR_S};
    for (int k = 0; k < 2; k++) {
        double m = 0, v = 0;
        for (int i = 0; i < R; i++)
            m += xs[k][i];
        m /= R;
        for (int i = 0; i < R; i++)
            v += (xs[k][i] - m) * (xs[k][i] - m);
        v /= R - 1;
        double t1 = t1s[k], var = s2 * t1 * (T - t1) / T;
        check_4se(k ? "mean at T/2" : "mean at T/4", m, L * t1 / T, sqrt(var / R));
        check_4se(k ? "variance at T/2" : "variance at T/4", v, var, var * sqrt(2.0 / (R - 1)));
    }
    gsl_rng_free(rng);
    free(st);
    lc_scenario_free(sc);
}

Test(bridge, errors_and_round_trip)
{
    lc_scenario *sc = t_scenario(BRIDGE);
    check_round_trip(sc);
    lc_scenario_free(sc);

    const char *e = t_scenario_errors("simulation: {steps: 240, dt: 60}\n"
                                      "price: {model: bridge, s0: 100,\n"
                                      "        pin_times: [600,\n"
                                      "                    3630],\n"
                                      "        pin_prices: [90, 95]}\n" POP,
                                      NULL, 0);
    cr_assert(strstr(e, "test.yaml:4: price.pin_times[1]: must be on a step boundary, a multiple "
                        "of simulation.dt = 60 s (got 3630)"),
              "%s", e);
    e = t_scenario_errors("simulation: {steps: 240, dt: 60}\n"
                          "price: {model: bridge, s0: 100, pin_times: [3600, 600], "
                          "pin_prices: [90, 95]}\n" POP,
                          NULL, 0);
    cr_assert(strstr(e, "test.yaml:2: price: pin_times must increase (pin_times[1] = 600 after "
                        "3600)"),
              "%s", e);
    e = t_scenario_errors(
        "price: {model: bridge, s0: 100, pin_times: [60], pin_prices: [90, 95]}\n" POP, NULL, 0);
    cr_assert(strstr(e, "pin_times and pin_prices must have the same length (got 1 and 2)"), "%s",
              e);
    e = t_scenario_errors(
        "simulation: {steps: 10, dt: 60}\n"
        "price: {model: bridge, s0: 100, pin_times: [1200], pin_prices: [90]}\n" POP,
        NULL, 0);
    cr_assert(strstr(e, "test.yaml:2: price.pin_times[0]: is after the last step"), "%s", e);
    /* the override of dt makes a pin fall between steps */
    const char *sets[] = {"simulation.dt=7"};
    e = t_scenario_errors(
        "price: {model: bridge, s0: 100, pin_times: [60], pin_prices: [90]}\n" POP, sets, 1);
    cr_assert(strstr(e, "price.pin_times[0]: must be on a step boundary"), "%s", e);
    e = t_scenario_errors("price: {model: bridge, s0: 100, pin_prices: [90]}\n" POP, NULL, 0);
    cr_assert(strstr(e, "price.pin_times: required"), "%s", e);
}

/* ---- bootstrap ---------------------------------------------------------- */

/* The log_return column of a CSV in the project's format (header, '#'). */
static double *read_column(const char *path, long *n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    long cap = 1024;
    double *x = malloc((size_t)cap * sizeof *x);
    char line[256];
    int header = 0;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (!header++)
            continue;
        if (*n == cap) {
            double *bigger = realloc(x, (size_t)(cap *= 2) * sizeof *x);
            cr_assert(bigger, "out of memory reading %s", path);
            x = bigger;
        }
        x[(*n)++] = strtod(strchr(line, ',') + 1, NULL);
    }
    fclose(f);
    return x;
}

typedef struct {
    double mean, se_mean, var, se_var, lag1, se_lag1;
} boot_stats;

/* R runs of M steps; per-run averages of r, (r − mu)², (r_t − mu)(r_{t+1} − mu)
 * are the batches (see the top). */
static boot_stats bootstrap_stats(const lc_scenario *sc, double mu, long R, long M)
{
    const lc_price_model *pm = lc_price_model_of(sc->market[0].price.desc);
    void *st = calloc(1, pm->state_size);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    double s[3] = {0}, ss[3] = {0};
    for (long run = 0; run < R; run++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)run);
        pm->init(st, sc->market[0].price.p, sc->market[0].price_common[LC_PRICE_S0], sc->dt_s,
                 sc->market[0].price_data);
        double a[3] = {0}, prev = 0;
        for (long t = 1; t <= M; t++) {
            double c =
                pm->step(st, sc->market[0].price.p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL}) - mu;
            a[0] += c;
            a[1] += c * c;
            if (t > 1)
                a[2] += prev * c;
            prev = c;
        }
        a[0] /= (double)M;
        a[1] /= (double)M;
        a[2] /= (double)(M - 1);
        for (int k = 0; k < 3; k++) {
            s[k] += a[k];
            ss[k] += a[k] * a[k];
        }
    }
    gsl_rng_free(rng);
    free(st);
    double m[3], se[3];
    for (int k = 0; k < 3; k++) {
        m[k] = s[k] / (double)R;
        se[k] = sqrt((ss[k] / (double)R - m[k] * m[k]) / (double)(R - 1));
    }
    return (boot_stats){mu + m[0], se[0], m[1], se[1], m[2], se[2]};
}

static lc_scenario *bootstrap_scenario(const char *file, double block)
{
    char text[1024];
    snprintf(text, sizeof text,
             "simulation: {steps: 100, dt: 60}\n"
             "price: {model: bootstrap, s0: 100, file: '%s', interval: 60, "
             "mean_block_length: %g}\n" POP,
             file, block);
    return t_scenario(text);
}

Test(bootstrap, preserves_the_sample_mean_and_variance)
{
    const char *path = LC_SOURCE_DIR "/data/returns/sample.csv";
    long n;
    double *x = read_column(path, &n);
    cr_assert_eq(n, 2000);
    double mu = 0, s2 = 0;
    for (long i = 0; i < n; i++)
        mu += x[i];
    mu /= (double)n;
    for (long i = 0; i < n; i++)
        s2 += (x[i] - mu) * (x[i] - mu);
    s2 /= (double)n;
    free(x);
    static const double blocks[] = {1, 20};
    for (int b = 0; b < 2; b++) {
        lc_scenario *sc = bootstrap_scenario(path, blocks[b]);
        boot_stats st = bootstrap_stats(sc, mu, 400, 500);
        check_4se("bootstrap mean", st.mean, mu, st.se_mean);
        check_4se("bootstrap variance", st.var, s2, st.se_var);
        lc_scenario_free(sc);
    }
}

Test(bootstrap, lag1_autocovariance_follows_the_block_length)
{
    /* an AR(1) file, phi 0.9, so that blocks visibly keep the dependence */
    char *dir = t_tmpdir();
    enum { N = 1000 };
    static double x[N];
    gsl_rng *g = lc_rng_create(7, 99, 0);
    char *text = malloc(N * 32 + 32), *p = text;
    p += sprintf(p, "log_return\n");
    for (int i = 0; i < N; i++) {
        x[i] = (i ? 0.9 * x[i - 1] : 0) + gsl_ran_gaussian(g, 1e-3);
        p += sprintf(p, "%.17g\n", x[i]);
    }
    gsl_rng_free(g);
    char *file = t_write(dir, "ar1.csv", text);
    free(text);
    double mu = 0, c0 = 0, c1 = 0;
    for (int i = 0; i < N; i++)
        mu += x[i];
    mu /= N;
    for (int i = 0; i < N; i++) {
        c0 += (x[i] - mu) * (x[i] - mu);
        c1 += (x[i] - mu) * (x[(i + 1) % N] - mu);
    }
    c0 /= N;
    c1 /= N;
    cr_assert(c1 > 0.8 * c0, "the file should be strongly autocorrelated");
    static const double blocks[] = {1, 50};
    for (int b = 0; b < 2; b++) {
        lc_scenario *sc = bootstrap_scenario(file, blocks[b]);
        boot_stats st = bootstrap_stats(sc, mu, 300, 400);
        check_4se("lag-1 autocovariance", st.lag1, (1 - 1 / blocks[b]) * c1, st.se_lag1);
        lc_scenario_free(sc);
    }
    free(file);
    t_rmdir(dir);
}

Test(bootstrap, errors_and_round_trip)
{
    char *dir = t_tmpdir();
    char *csv = t_write(dir, "r.csv", "# a comment\ntime, log_return\n1, 0.001\n2, -0.002\n");
    char *bad = t_write(dir, "bad.csv", "log_return\n0.001\n\nabc\n");
    char *nohead = t_write(dir, "nohead.csv", "ret\n0.001\n");
    char *empty = t_write(dir, "empty.csv", "log_return\n# nothing\n");
    char *yaml = t_write(dir, "s.yaml",
                         "simulation: {steps: 10, dt: 60}\n"
                         "price: {model: bootstrap, s0: 100, file: r.csv, interval: 60,\n"
                         "        shock: {size: -0.15, start: 60, duration: 120}}\n" POP);
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_load(yaml, NULL, 0, &err);
    cr_assert_not_null(sc, "%s", err.msg);
    cr_assert_str_eq(sc->market[0].price.path, csv); /* relative to the scenario's folder */
    check_round_trip(sc);
    double p = final_price(sc, 3);
    cr_assert(p > 0 && isfinite(p));
    lc_scenario_free(sc);

    const char *e;
    char text[1024];
#define BOOT(file, extra)                                                                          \
    (snprintf(                                                                                     \
         text, sizeof text,                                                                        \
         "simulation: {steps: 10, dt: 60}\nprice: {model: bootstrap, s0: 100, interval: 60,\n"     \
         "        file: '%s'%s}\n" POP,                                                            \
         file, extra),                                                                             \
     text)
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.csv", dir);
    e = t_scenario_errors(BOOT(missing, ""), NULL, 0);
    cr_assert(strstr(e, "test.yaml:3: price.file: cannot open '"), "%s", e);
    cr_assert(strstr(e, "none.csv': No such file or directory"), "%s", e);
    e = t_scenario_errors(BOOT(bad, ""), NULL, 0);
    char want[700];
    snprintf(want, sizeof want, "%s:4: log_return: must be a number (got 'abc')", bad);
    cr_assert(strstr(e, want), "%s", e);
    e = t_scenario_errors(BOOT(nohead, ""), NULL, 0);
    snprintf(want, sizeof want, "%s:1: header must name a column 'log_return'", nohead);
    cr_assert(strstr(e, want), "%s", e);
    e = t_scenario_errors(BOOT(empty, ""), NULL, 0);
    cr_assert(strstr(e, "no returns"), "%s", e);
    snprintf(text, sizeof text,
             "simulation: {steps: 10, dt: 60}\n"
             "price: {model: bootstrap, s0: 100, interval: 30, file: '%s'}\n" POP,
             csv);
    e = t_scenario_errors(text, NULL, 0);
    cr_assert(strstr(e, "price.interval: the returns are 30 s apart but simulation.dt is 60 s"),
              "%s", e);
    e = t_scenario_errors(BOOT(csv, ", mean_block_length: 0.5"), NULL, 0);
    cr_assert(strstr(e, "price.mean_block_length: must be >= 1 (got 0.5)"), "%s", e);
    e = t_scenario_errors("price: {model: bootstrap, s0: 100, interval: 60}\n" POP, NULL, 0);
    cr_assert(strstr(e, "price.file: required"), "%s", e);
#undef BOOT
    free(csv);
    free(bad);
    free(nohead);
    free(empty);
    free(yaml);
    t_rmdir(dir);
}

Test(bootstrap, resolved_path_with_spaces_is_quoted_and_reloads)
{
    char *dir = t_tmpdir();
    char sub[600];
    snprintf(sub, sizeof sub, "%s/a dir: #1", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    char *csv = t_write(sub, "r.csv", "log_return\n0.001\n-0.001\n");
    char text[1024];
    snprintf(text, sizeof text,
             "price: {model: bootstrap, s0: 100, interval: 60, file: '%s'}\n" POP, csv);
    lc_scenario *sc = t_scenario(text);
    char *y = lc_scenario_resolved_yaml(sc);
    char want[700];
    snprintf(want, sizeof want, "  file: \"%s\"\n", csv);
    cr_assert(strstr(y, want), "%s", y);
    free(y);
    check_round_trip(sc);
    lc_scenario_free(sc);
    free(csv);
    t_rmdir(dir);
}

Test(scenario, flash_crash_example_loads_and_round_trips)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_load(LC_SOURCE_DIR "/scenarios/flash_crash.yaml", NULL, 0, &err);
    cr_assert_not_null(sc, "%s", err.msg);
    cr_assert_str_eq(sc->market[0].price.desc->name, "bootstrap");
    cr_assert_str_eq(sc->market[0].shock.desc->name, "linear");
    cr_assert(strstr(sc->market[0].price.path, "/data/returns/sample.csv"), "%s",
              sc->market[0].price.path);
    check_round_trip(sc);
    lc_scenario_free(sc);
}

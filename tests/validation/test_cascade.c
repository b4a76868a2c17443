/* test_cascade.c — a cascade against an independent computation from the
 * population saved in the result file.
 *
 * One step of one day with sigma = 0 and mu = 365·ln(0.97) moves the
 * fundamental exactly −3%. With linear impact (permanent = 1) the forced
 * selling then deepens the fall. From /population alone, the test recomputes
 * the cascade naively: each round liquidates every live account breached at
 * the current price (found by scanning, in index order), moves log price by
 * 0.01·n·P/depth_1pct, and stops when nothing is breached. The engine's
 * price_final and liquidation counts must agree (sums are taken in another
 * order, so prices agree to 1e-12 relative, counts exactly). The final price
 * must also be a fixed point: no live account breached at it. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

static void check(double long_fraction)
{
    char *dir = t_tmpdir(), *text, *h5, *out;
    cr_assert(asprintf(&text,
                       "simulation: {runs: 1, steps: 1, dt: 86400, seed: 3}\n"
                       "price: {model: gbm, s0: 100, mu: %.17g, sigma: 0}\n"
                       "impact: {model: linear, depth_1pct: 3.0e6, permanent: 1}\n"
                       "population:\n"
                       "  accounts: 20000\n"
                       "  long_fraction: %g\n"
                       "  notional: {dist: lognormal, median: 3000, sigma: 1.2}\n"
                       "  leverage: {dist: uniform, min: 2, max: 60}\n"
                       "  entry: {dist: lognormal, sigma: 0.03}\n"
                       "venue: {tiers: [{up_to: 1e300, mmr: 0.005, max_leverage: 100}]}\n",
                       365 * log(0.97), long_fraction) > 0);
    char *sc = t_write(dir, "c.yaml", text);
    cr_assert(asprintf(&h5, "%s/c.h5", dir) > 0);
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --population", sc, h5), 0, "%s", out);
    free(out);

    double *side, *qty, *liq, *pf, *nl, *ns;
    size_t d[2];
    size_t n = t_h5_read(h5, "population/side", &side, d);
    t_h5_read(h5, "population/qty", &qty, d);
    t_h5_read(h5, "population/liq_price", &liq, d);
    t_h5_read(h5, "runs/price_final", &pf, d);
    t_h5_read(h5, "runs/liq_count_long", &nl, d);
    t_h5_read(h5, "runs/liq_count_short", &ns, d);
    cr_assert_eq(n, 20000);

    char *alive = malloc(n);
    for (size_t i = 0; i < n; i++)
        alive[i] = 1;
    double f = 100 * 0.97, log_p = log(f), p = f;
    long rounds = 0, liq_long = 0, liq_short = 0;
    for (;;) {
        double flow = 0;
        int any = 0;
        for (size_t i = 0; i < n; i++) {
            if (!alive[i] || !(side[i] > 0 ? p <= liq[i] : p >= liq[i]))
                continue;
            alive[i] = 0;
            any = 1;
            flow += side[i] > 0 ? -qty[i] : qty[i];
            side[i] > 0 ? liq_long++ : liq_short++;
        }
        if (!any)
            break;
        log_p += 0.01 * flow * p / 3.0e6;
        p = exp(log_p);
        rounds++;
    }
    cr_log_info(
        "long fraction %g: %ld rounds, %ld long + %ld short liquidations, price %.6f -> %.6f",
        long_fraction, rounds, liq_long, liq_short, f, p);
    cr_assert_gt(rounds, 3, "the shock must start a cascade of several rounds");
    cr_assert_eq(nl[0], (double)liq_long);
    cr_assert_eq(ns[0], (double)liq_short);
    cr_assert(fabs(pf[0] - p) <= 1e-12 * p, "engine %.15g vs naive %.15g", pf[0], p);
    for (size_t i = 0; i < n; i++) /* a fixed point: nothing left breached */
        cr_assert(!alive[i] || !(side[i] > 0 ? pf[0] <= liq[i] : pf[0] >= liq[i]));
    free(alive);
    free(side);
    free(qty);
    free(liq);
    free(pf);
    free(nl);
    free(ns);
    free(h5);
    free(sc);
    free(text);
    t_rmdir(dir);
}

Test(cascade, longs_only_fixed_point)
{
    check(1.0);
}
Test(cascade, mixed_sides_fixed_point)
{
    check(0.7);
}

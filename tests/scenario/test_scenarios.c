/* test_scenarios.c — every scenario shipped in scenarios/ stays valid and runs
 * as the schema and the models evolve: each is run small (few runs, 2,000
 * accounts) through the CLI and must finish with exit 0 and liquidations,
 * and the sweep template runs as its header comment says. The list is
 * explicit, so a scenario removed or renamed fails here too. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static char *dir;
static void setup(void)
{
    dir = t_tmpdir();
}
static void teardown(void)
{
    t_rmdir(dir);
}
TestSuite(scenarios, .init = setup, .fini = teardown);

/* Run scenario `name` small; returns the result file (caller frees). */
static char *small(const char *name, const char *extra)
{
    char *out, *o;
    cr_assert(asprintf(&o, "%s/%s.h5", dir, name) > 0);
    int rc = t_cli(&out,
                   "run %s/scenarios/%s.yaml -o %s -q --runs 3 "
                   "--set population.accounts=2000 %s",
                   LC_SOURCE_DIR, name, o, extra);
    cr_assert_eq(rc, 0, "%s: exit %d\n%s", name, rc, out);
    free(out);
    cr_assert_eq(t_h5_attr_double(o, "/", "runs_completed"), 3);
    cr_assert_gt(t_h5_sum(o, "runs/liq_count_long"), 0, "%s: no liquidation at all", name);
    return o;
}

static void run_small(const char *name, const char *extra)
{
    free(small(name, extra));
}

Test(scenarios, quickstart)
{
    run_small("quickstart", "--steps 240");
}
Test(scenarios, flash_crash)
{
    run_small("flash_crash", "");
}
Test(scenarios, quiet_market)
{
    run_small("quiet-market", "");
}
Test(scenarios, march_2020)
{
    run_small("march-2020", "");
}
Test(scenarios, may_2021)
{
    run_small("may-2021", "");
}
Test(scenarios, october_2025)
{
    run_small("october-2025", "");
}

/* three markets: every one of them liquidates something in 3 runs */
Test(scenarios, crypto_basket)
{
    char *o = small("crypto-basket", "");
    static const char *const markets[] = {"BTC", "ETH", "SOL"};
    for (int k = 0; k < 3; k++) {
        char col[64];
        snprintf(col, sizeof col, "runs/liq_count_long.%s", markets[k]);
        double n = t_h5_sum(o, col);
        snprintf(col, sizeof col, "runs/liq_count_short.%s", markets[k]);
        n += t_h5_sum(o, col);
        cr_assert_gt(n, 0, "crypto-basket: no liquidation on %s", markets[k]);
    }
    free(o);
}

/* the scripted depeg liquidates USDC longs under the market oracle and no one
 * under the fixed one (the two books see the same fundamental) */
Test(scenarios, depeg)
{
    char *o = small("depeg", "");
    cr_assert_eq(t_h5_sum(o, "runs/liq_count_long.USDC_fixed"), 0);
    cr_assert_eq(t_h5_sum(o, "runs/liq_count_short.USDC_fixed"), 0);
    cr_assert_gt(t_h5_sum(o, "runs/liq_count_long.USDC_last"), 0);
    double *fixed, *last;
    size_t d[2];
    size_t n = t_h5_read(o, "runs/exo_drawdown.USDC_fixed", &fixed, d);
    cr_assert_eq(t_h5_read(o, "runs/exo_drawdown.USDC_last", &last, d), n);
    for (size_t i = 0; i < n; i++) /* 1 − 0.8774, the dip's low */
        cr_assert(fabs(fixed[i] - 0.1226) < 2e-3 && fixed[i] == last[i],
                  "run %zu: fundamental drawdowns %g and %g", i, fixed[i], last[i]);
    free(fixed);
    free(last);
    free(o);
}

Test(scenarios, margin_study_sweep)
{
    char *out, *o;
    cr_assert(asprintf(&o, "%s/margin.h5", dir) > 0);
    int rc = t_cli(&out,
                   "sweep %s/scenarios/margin-study.yaml -o %s -q --runs 3 "
                   "--set population.accounts=2000 --vary venue.tiers.0.mmr=0.004,0.006 "
                   "--vary venue.tiers.0.max_leverage=125,50",
                   LC_SOURCE_DIR, o);
    cr_assert_eq(rc, 0, "exit %d\n%s", rc, out);
    free(out);
    cr_assert_eq(t_h5_attr_double(o, "/", "points"), 4);
    free(o);
}

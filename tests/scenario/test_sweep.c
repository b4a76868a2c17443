/* test_sweep.c — `liqcascade sweep` (sim/scenario/sweep.c and the CLI around it):
 *  - the grid: values split at top-level commas, points numbered with the
 *    first --vary slowest;
 *  - every point equals a plain `run` with that point's values, bit for bit;
 *  - common random numbers: run r has the same exogenous path at every
 *    point, and the variance of a between-point difference is far smaller
 *    than with independent streams;
 *  - the errors a user can make. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"
#include "scenario/sweep.h"

#define SMALL                                                                                      \
    "simulation: {runs: 30, steps: 200, dt: 60, seed: 5}\n"                                        \
    "price: {model: gbm, s0: 100, sigma: 1.5}\n"                                                   \
    "impact: {model: linear, depth_1pct: 3.0e5}\n"                                                 \
    "population:\n"                                                                                \
    "  accounts: 1500\n"                                                                           \
    "  notional: {dist: lognormal, median: 2000, sigma: 1}\n"                                      \
    "  leverage: {dist: discrete, values: [5, 20, 50], weights: [1, 1, 1]}\n"                      \
    "venue: {insurance_fund: 2000}\n"

static char *dir;
static void setup(void)
{
    dir = t_tmpdir();
}
static void teardown(void)
{
    t_rmdir(dir);
}
TestSuite(sweep, .init = setup, .fini = teardown);

static char *path(const char *name)
{
    char *p;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

Test(sweep, grid_values_and_order)
{
    lc_sweep s = {0};
    lc_error err = {0};
    cr_assert_eq(lc_sweep_add(&s, "a.b=1, 2,3", &err), 0, "%s", err.msg);
    cr_assert_eq(lc_sweep_add(&s, "c=[1, 2],{x: 'p,q'},\"r,s\"", &err), 0, "%s", err.msg);
    cr_assert_eq(s.points, 9);
    cr_assert_eq(s.axes[0].n, 3);
    cr_assert_str_eq(s.axes[0].values[1], "2");
    cr_assert_not_null(s.axes[0].num);
    cr_assert_eq(s.axes[0].num[2], 3.0);
    cr_assert_eq(s.axes[1].n, 3);
    cr_assert_str_eq(s.axes[1].values[0], "[1, 2]");
    cr_assert_str_eq(s.axes[1].values[1], "{x: 'p,q'}");
    cr_assert_str_eq(s.axes[1].values[2], "\"r,s\"");
    cr_assert_null(s.axes[1].num, "text values are not numbers");
    /* first axis slowest: point 5 = (1, 2) */
    cr_assert_eq(lc_sweep_index(&s, 5, 0), 1);
    cr_assert_eq(lc_sweep_index(&s, 5, 1), 2);
    char **sets = lc_sweep_sets(&s, 5);
    cr_assert_str_eq(sets[0], "--vary a.b=2");
    cr_assert_str_eq(sets[1], "--vary c=\"r,s\"");
    lc_sweep_free_sets(sets, 2);

    cr_assert_neq(lc_sweep_add(&s, "a.b=4", &err), 0);
    assert_has(err.msg, "--vary: a.b: varied twice");
    cr_assert_neq(lc_sweep_add(&s, "d=1,,2", &err), 0);
    assert_has(err.msg, "--vary: d: value 2 of '1,,2' is empty");
    cr_assert_neq(lc_sweep_add(&s, "e=1,1", &err), 0);
    assert_has(err.msg, "value '1' is given twice");
    cr_assert_neq(lc_sweep_add(&s, "f=0.01,1e-2", &err), 0);
    assert_has(err.msg, "--vary: f: '0.01' and '1e-2' are the same value");
    cr_assert_neq(lc_sweep_add(&s, "novalue", &err), 0);
    assert_has(err.msg, "expected key=v1,v2");
    cr_assert_eq(s.naxes, 2, "failed axes are not added");
    /* an unterminated quote is one value (the YAML parser then says why);
     * an escaped quote does not end a quoted value */
    cr_assert_eq(lc_sweep_add(&s, "g=\"a,b", &err), 0, "%s", err.msg);
    cr_assert_eq(s.axes[2].n, 1);
    cr_assert_eq(lc_sweep_add(&s, "h=\"x\\\",y\",z", &err), 0, "%s", err.msg);
    cr_assert_eq(s.axes[3].n, 2);
    cr_assert_str_eq(s.axes[3].values[0], "\"x\\\",y\"");
    lc_sweep_free(&s);
}

static double *read_ds(const char *file, const char *ds, size_t dims[2])
{
    double *v;
    t_h5_read(file, ds, &v, dims);
    return v;
}

/* Point k of a sweep is exactly `run` with point k's values: the rows of
 * /runs and /series agree bit for bit. */
Test(sweep, every_point_is_the_run_with_its_values)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *sw = path("sweep.h5"), *out;
    cr_assert_eq(t_cli(&out,
                       "sweep %s -o %s -q --vary venue.liquidation_fee=0.002,0.01 "
                       "--vary impact.depth_1pct=1e5,3e5,1e6",
                       sc, sw),
                 0, "%s", out);
    free(out);
    cr_assert_eq(t_h5_attr_double(sw, "/", "points"), 6);
    char *cols = t_h5_attr_string(sw, "/points", "columns");
    cr_assert_str_eq(cols, "point,venue.liquidation_fee,impact.depth_1pct");
    free(cols);
    char *unit = t_h5_attr_string(sw, "/points/impact.depth_1pct", "units");
    cr_assert_str_eq(unit, "quote");
    free(unit);
    size_t d[2], dp[2];
    double *depth = read_ds(sw, "points/impact.depth_1pct", dp),
           *point = read_ds(sw, "runs/point", d);
    cr_assert_eq(dp[0], 6);
    cr_assert_eq(depth[4], 3e5, "point 4 = (fee 0.01, depth 3e5)");
    cr_assert_eq(d[0], 6 * 30);
    for (size_t i = 0; i < d[0]; i++)
        cr_assert_eq(point[i], (double)(i / 30));
    free(depth);
    free(point);

    static const char *names[] = {"runs/price_final", "runs/liq_notional_long", "runs/fees",
                                  "runs/bad_debt",    "series/price",           "series/insurance"};
    char *one = path("one.h5");
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s -q --set venue.liquidation_fee=0.01 "
                       "--set impact.depth_1pct=3e5",
                       sc, one),
                 0, "%s", out);
    free(out);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        size_t da[2], db[2];
        double *a = read_ds(sw, names[k], da), *b = read_ds(one, names[k], db);
        size_t row = da[1]; /* values per row */
        cr_assert_eq(db[0], 30);
        cr_assert(memcmp(a + 4 * 30 * row, b, 30 * row * sizeof *a) == 0, "%s differs", names[k]);
        free(a);
        free(b);
    }
    free(one);

    /* `info --metrics` groups rows by point: point 4's mean liquidated
     * notional is the mean over its 30 rows, summed in row order */
    cr_assert_eq(t_cli(&out, "info %s --metrics", sw), 0, "%s", out);
    assert_has(out, "point,metric,value,lo,hi,n,units\n0,n_runs,30,,,30,runs\n");
    size_t dl[2], ds[2];
    double *ll = read_ds(sw, "runs/liq_notional_long", dl),
           *ls = read_ds(sw, "runs/liq_notional_short", ds);
    double sum = 0;
    for (size_t i = 4 * 30; i < 5 * 30; i++)
        sum += ll[i] + ls[i];
    char want[64];
    snprintf(want, sizeof want, "\n4,liq_notional.mean,%.17g,,,30,quote\n", sum / 30);
    assert_has(out, want);
    free(ll);
    free(ls);
    free(out);
    free(sw);
    free(sc);
}

/* Common random numbers. Run r's fundamental path is the same at every point;
 * so the difference of a point's outcome from another's, run by run, carries
 * the effect of the keys and little noise. Liquidated notional at volatility
 * 1.5 vs 1.6, 200 runs: the variance of the per-run difference with common
 * random numbers (one sweep) must be under a tenth of its variance with
 * independent streams (the second point from another seed). Both variances
 * are estimated from 200 runs, so each has a relative standard error of
 * about sqrt(2/199) = 10% (more with heavy tails); the observed ratio is
 * 0.017, so the factor 10 leaves ample room. (A key the cascade responds to
 * discontinuously, like a much thinner book, gains less: a cascade that
 * happens at one point and not at the other is a large difference either
 * way.) */
Test(sweep, common_random_numbers_shrink_the_variance_of_differences)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *sw = path("crn.h5"), *ind = path("ind.h5"), *out;
    cr_assert_eq(t_cli(&out, "sweep %s -o %s -q --runs 200 --vary price.sigma=1.5,1.6", sc, sw), 0,
                 "%s", out);
    free(out);
    cr_assert_eq(
        t_cli(&out, "run %s -o %s -q --runs 200 --seed 777 --set price.sigma=1.6", sc, ind), 0,
        "%s", out);
    free(out);
    size_t d[2], di[2], df[2];
    double *liq = read_ds(sw, "runs/liq_notional_long", d);
    double *liq_ind = read_ds(ind, "runs/liq_notional_long", di);
    double *f = read_ds(sw, "series/fundamental", df);
    size_t cols = df[1];
    /* sigma differs, so the paths differ, but their shocks are the same:
     * log-returns at 1.6 are those at 1.5 times 1.6/1.5 plus the drift term
     * (mu − sigma²/2)·dt; check the first step, float32 rounding allowed */
    double dt = 60.0 / (365 * 86400.0);
    for (size_t r = 0; r < 200; r++) {
        double r15 = log(f[r * cols + 1] / 100), r16 = log(f[(200 + r) * cols + 1] / 100);
        double z15 = (r15 + 0.5 * 1.5 * 1.5 * dt) / 1.5, z16 = (r16 + 0.5 * 1.6 * 1.6 * dt) / 1.6;
        cr_assert(fabs(z15 - z16) < 1e-6, "run %zu: shock %.9g vs %.9g", r, z15, z16);
    }
    double s_crn = 0, s2_crn = 0, s_ind = 0, s2_ind = 0;
    for (size_t r = 0; r < 200; r++) {
        double a = liq[r] - liq[200 + r], b = liq[r] - liq_ind[r];
        s_crn += a, s2_crn += a * a, s_ind += b, s2_ind += b * b;
    }
    double var_crn = (s2_crn - s_crn * s_crn / 200) / 199;
    double var_ind = (s2_ind - s_ind * s_ind / 200) / 199;
    cr_assert_gt(var_ind, 0);
    cr_assert_lt(var_crn, 0.1 * var_ind, "CRN variance %.4g vs independent %.4g (ratio %.3g)",
                 var_crn, var_ind, var_crn / var_ind);
    free(liq);
    free(liq_ind);
    free(f);
    free(sw);
    free(ind);
    free(sc);
}

Test(sweep, errors)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *o = path("x.h5"), *out;
    cr_assert_eq(t_cli(&out, "sweep %s -o %s", sc, o), 2);
    assert_has(out, "a sweep needs at least one --vary");
    free(out);
    cr_assert_eq(t_cli(&out, "sweep %s -o %s --vary price.sigmaa=1,2", sc, o), 2);
    assert_has(out, "--vary price.sigmaa=1: price.sigmaa: unknown key (did you mean 'sigma'?)");
    free(out);
    cr_assert_eq(t_cli(&out, "sweep %s -o %s --vary simulation.steps=100,200", sc, o), 2);
    assert_has(out, "must be the same at every point");
    free(out);
    cr_assert_eq(t_cli(&out, "sweep %s -o %s --vary price.sigma=1,-1", sc, o), 2);
    assert_has(out, "--vary price.sigma=-1: price.sigma: must be >= 0");
    free(out);
    cr_assert_eq(t_cli(&out, "run %s -o %s --vary price.sigma=1,2", sc, o), 2);
    assert_has(out, "--vary does not apply to 'run'");
    free(out);
    cr_assert_eq(
        t_cli(&out, "sweep %s -o %s --population --vary population.long_fraction=0.3,0.7", sc, o),
        2);
    assert_has(out, "the varied keys change the population");
    free(out);
    cr_assert_not(t_exists(o), "no file after a usage error");
    /* a key that leaves the population alone shares it, so --population works */
    cr_assert_eq(t_cli(&out, "sweep %s -o %s -q --population --vary price.sigma=1,2", sc, o), 0,
                 "%s", out);
    free(out);
    free(o);
    free(sc);
}

/* An interrupted sweep keeps a prefix of rows, so the later points have
 * fewer runs, or none. The table must not present those as results, nor
 * claim common random numbers; info says the same. */
Test(sweep, interrupted_sweep_says_which_points_ran)
{
    char *sc = t_write(dir, "long.yaml",
                       "simulation: {runs: 200000, steps: 1440, dt: 60, seed: 1}\n"
                       "price: {model: gbm, s0: 100, sigma: 0.8}\n"
                       "population: {accounts: 0}\n");
    char *h5 = path("long.h5"), *log = path("log.txt"), *partial;
    cr_assert(asprintf(&partial, "%s.partial", h5) > 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        freopen(log, "w", stderr);
        execl(LC_BINARY, LC_BINARY, "sweep", sc, "-o", h5, "--threads", "2", "--vary",
              "price.sigma=0.8,1.2", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !t_exists(partial); i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    nanosleep(&(struct timespec){0, 400000000}, NULL);
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130);
    FILE *f = fopen(log, "r");
    char text[8192] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_has(text, "not run");
    assert_has(text, "interrupted: some points did not run");
    cr_assert_null(strstr(text, "every point ran the same runs"), "%s", text);
    char *out;
    cr_assert_eq(t_cli(&out, "info %s", h5), 0, "%s", out);
    assert_has(out, "NOTE: the points have 0 to ");
    free(out);
    free(partial);
    free(log);
    free(h5);
    free(sc);
}

/* Ranges a:b:n (issue 16): n values evenly from a to b, rounded to 15
 * significant digits (0.3·1/3 is 0.09999999999999999 in doubles: the value
 * is 0.1, as typed); a value list that only looks like a range stays a
 * list. */
Test(sweep, ranges)
{
    lc_sweep s = {0};
    lc_error err = {0};
    cr_assert_eq(lc_sweep_add(&s, "a=0:0.3:4", &err), 0, "%s", err.msg);
    cr_assert_eq(s.axes[0].n, 4);
    const char *want[] = {"0", "0.1", "0.2", "0.3"};
    for (int i = 0; i < 4; i++) {
        cr_assert_str_eq(s.axes[0].values[i], want[i]);
        cr_assert_eq(s.axes[0].num[i], strtod(want[i], NULL), "value %d: %.17g", i,
                     s.axes[0].num[i]);
    }
    cr_assert_eq(lc_sweep_add(&s, "b=2:-1:3", &err), 0, "%s", err.msg); /* downwards */
    cr_assert_str_eq(s.axes[1].values[1], "0.5");
    cr_assert_eq(s.points, 12);
    /* not ranges: a YAML map with colons, a time, a list of one */
    cr_assert_eq(lc_sweep_add(&s, "c={dist: fixed, value: 5}", &err), 0, "%s", err.msg);
    cr_assert_eq(s.axes[2].n, 1);
    cr_assert_eq(lc_sweep_add(&s, "d=1:2", &err), 0, "%s", err.msg);
    cr_assert_eq(s.axes[3].n, 1);
    cr_assert_str_eq(s.axes[3].values[0], "1:2");
    const char *bad[] = {"e=1:1:3", "e=0:1:1", "e=0:1:10001", "e=0:inf:3", "e=0:1:-2"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cr_assert_neq(lc_sweep_add(&s, bad[k], &err), 0, "%s accepted", bad[k]);
        assert_has(err.msg, "a range is a:b:n");
    }
    cr_assert_eq(s.naxes, 4);
    lc_sweep_free(&s);
}

/* --zip (issue 16): zipped axes move together, one group of the grid; the
 * points are the product of the groups, the first group slowest. */
Test(sweep, zip_groups)
{
    lc_sweep s = {0};
    lc_error err = {0};
    cr_assert_eq(lc_sweep_add(&s, "a=1,2,3", &err), 0, "%s", err.msg);
    cr_assert_eq(lc_sweep_add(&s, "b=10,20", &err), 0, "%s", err.msg);
    cr_assert_eq(lc_sweep_add(&s, "c=0.1:0.3:3", &err), 0, "%s", err.msg);
    cr_assert_eq(s.points, 18);
    cr_assert_eq(lc_sweep_zip(&s, "c,a", &err), 0, "%s", err.msg);
    cr_assert_eq(s.points, 6, "3 (a with c) x 2 (b)");
    for (long p = 0; p < s.points; p++) {
        int ia = lc_sweep_index(&s, p, 0), ib = lc_sweep_index(&s, p, 1);
        cr_assert_eq(lc_sweep_index(&s, p, 2), ia, "point %ld: c moves with a", p);
        cr_assert_eq(ia, p / 2, "point %ld: the group of a (first) varies slowest", p);
        cr_assert_eq(ib, p % 2);
    }
    char **sets = lc_sweep_sets(&s, 5);
    cr_assert_str_eq(sets[0], "--vary a=3");
    cr_assert_str_eq(sets[1], "--vary b=20");
    cr_assert_str_eq(sets[2], "--vary c=0.3");
    lc_sweep_free_sets(sets, 3);
    cr_assert_neq(lc_sweep_zip(&s, "a,b", &err), 0);
    assert_has(err.msg, "--zip: a: already zipped with");
    cr_assert_neq(lc_sweep_zip(&s, "b", &err), 0);
    assert_has(err.msg, "two or more varied keys");
    cr_assert_neq(lc_sweep_zip(&s, "b,x", &err), 0);
    assert_has(err.msg, "'x' is not varied");
    cr_assert_eq(lc_sweep_add(&s, "d=1,2,3", &err), 0, "%s", err.msg);
    cr_assert_neq(lc_sweep_zip(&s, "b,d", &err), 0);
    assert_has(err.msg, "--zip: d: has 3 values and b has 2");
    cr_assert_neq(lc_sweep_zip(&s, "d,d", &err), 0);
    assert_has(err.msg, "named twice");
    cr_assert_eq(s.points, 18, "6 x 3 (d), the failed zips changed nothing");
    lc_sweep_free(&s);
}

/* venue.tiers_scale through a sweep: each point is the run whose tiers are
 * the scaled table (bit for bit the same /runs), a point that breaks
 * mmr x max_leverage < 1 is named, and zipped keys run as pairs. */
Test(sweep, tiers_scale_and_zip_end_to_end)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *o = path("sw.h5"), *one = path("one.h5"), *out;
    char *base = t_write(dir, "base.yaml",
                         "simulation: {runs: 30, steps: 200, dt: 60, seed: 5}\n"
                         "price: {model: gbm, s0: 100, sigma: 1.5}\n"
                         "impact: {model: linear, depth_1pct: 3.0e5}\n"
                         "population:\n"
                         "  accounts: 1500\n"
                         "  notional: {dist: lognormal, median: 2000, sigma: 1}\n"
                         "  leverage: {dist: discrete, values: [5, 20], weights: [1, 1]}\n"
                         "venue:\n"
                         "  insurance_fund: 2000\n"
                         "  tiers:\n"
                         "  - {up_to: 5000, mmr: 0.004, max_leverage: 50}\n"
                         "  - {up_to: 1.0e300, mmr: 0.01, max_leverage: 20}\n");
    cr_assert_eq(t_cli(&out, "sweep %s -o %s -q --vary venue.tiers_scale=1:3:3", base, o), 0, "%s",
                 out);
    free(out);
    /* point 2 (scale 3) equals a run with the table times 3 */
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s -q --set 'venue.tiers=[{up_to: 5000, mmr: 0.012, "
                       "max_leverage: 50}, {up_to: 1.0e300, mmr: 0.03, max_leverage: 20}]'",
                       base, one),
                 0, "%s", out);
    free(out);
    double *a, *b;
    size_t da[2], db[2];
    size_t na = t_h5_read(o, "runs/liq_notional_long", &a, da);
    size_t nb = t_h5_read(one, "runs/liq_notional_long", &b, db);
    cr_assert_eq(na, 90);
    cr_assert_eq(nb, 30);
    cr_assert(memcmp(a + 60, b, 30 * sizeof *a) == 0, "point 2 is the run with the scaled tiers");
    cr_assert(memcmp(a, a + 60, 30 * sizeof *a) != 0, "the scale changed the runs");
    free(a);
    free(b);
    /* the resolved scenario holds the scaled table and a scale of 1 */
    cr_assert_eq(t_cli(&out, "validate %s --set venue.tiers_scale=2", base), 0, "%s", out);
    assert_has(out, "tiers_scale: 1");
    assert_has(out, "mmr: 0.008");
    free(out);
    /* 1:6:3 reaches 6: 0.004 x 6 x 50 = 1.2 */
    cr_assert_eq(t_cli(&out, "sweep %s -o %s -f -q --vary venue.tiers_scale=1:6:3", base, o), 2);
    assert_has(out, "makes the mmr of venue.tiers[0] 0.024");
    assert_has(out, "sweep point 2 of 3 is not a valid scenario");
    assert_has(out, "venue.tiers_scale=6");
    free(out);
    /* zipped: three points, each pair as given */
    cr_assert_eq(t_cli(&out,
                       "sweep %s -o %s -f -q --vary price.sigma=0.5:1.5:3 "
                       "--vary venue.liquidation_fee=0.002,0.004,0.006 "
                       "--zip price.sigma,venue.liquidation_fee",
                       sc, o),
                 0, "%s", out);
    free(out);
    double *s, *f;
    size_t ds[2], dff[2];
    cr_assert_eq(t_h5_read(o, "points/price.sigma", &s, ds), 3);
    cr_assert_eq(t_h5_read(o, "points/venue.liquidation_fee", &f, dff), 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(s[i], 0.5 + 0.5 * i);
        cr_assert_eq(f[i], 0.002 * (i + 1));
    }
    free(s);
    free(f);
    free(base);
    free(one);
    free(o);
    free(sc);
}

/* test_cli.c — the command line as a user meets it: exit codes, messages,
 * the no-partial-file and no-overwrite guarantees, interruption, thread-count
 * reproducibility of whole datasets, and docs/models.md kept in step. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <zlib.h>

#include "cli/progress.h"
#include "cli/summary.h"
#include "support.h"

#define SMALL                                                                                      \
    "simulation: {runs: 40, steps: 300, dt: 60, seed: 9}\n"                                        \
    "price: {model: gbm, s0: 100, sigma: 1.5}\n"                                                   \
    "impact: {model: linear, depth_1pct: 2.0e5}\n"                                                 \
    "population:\n"                                                                                \
    "  accounts: 2000\n"                                                                           \
    "  notional: {dist: lognormal, median: 2000, sigma: 1}\n"                                      \
    "  leverage: {dist: discrete, values: [5, 20, 50], weights: [1, 1, 1]}\n"                      \
    "venue: {insurance_fund: 1000}\n"

static char *dir;
static void setup(void)
{
    dir = t_tmpdir();
}
static void teardown(void)
{
    t_rmdir(dir);
}
TestSuite(cli, .init = setup, .fini = teardown);

static char *path(const char *name)
{
    char *p;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

Test(cli, help_and_usage_errors)
{
    char *out;
    cr_assert_eq(t_cli(&out, "%s", ""), 2);
    assert_has(out, "usage:");
    free(out);
    cr_assert_eq(t_cli(&out, "--help"), 0);
    free(out);
    cr_assert_eq(t_cli(&out, "run --help"), 0);
    assert_has(out, "--force");
    free(out);
    /* every command's help, printed as a format: a bare % would print garbage */
    cr_assert_eq(t_cli(&out, "info --help"), 0);
    assert_has(out, "with 95% intervals");
    assert_has(out, "50/95/99% quantiles");
    free(out);
    static const char *const cmds[] = {"sweep", "validate", "models"};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(t_cli(&out, "%s --help", cmds[i]), 0);
        assert_has(out, "usage: liqcascade");
        free(out);
    }
    cr_assert_eq(t_cli(&out, "frobnicate"), 2);
    assert_has(out, "unknown command 'frobnicate'");
    free(out);
    cr_assert_eq(t_cli(&out, "run x.yaml --bogus"), 2);
    assert_has(out, "unknown option '--bogus'");
    free(out);
    cr_assert_eq(t_cli(&out, "run"), 2);
    assert_has(out, "missing the file");
    free(out);
    cr_assert_eq(t_cli(&out, "validate x.yaml --threads 2"), 2);
    assert_has(out, "--threads does not apply to 'validate'");
    free(out);
    cr_assert_eq(t_cli(&out, "run x.yaml --engine fast"), 2);
    free(out);
}

Test(cli, validate_prints_a_scenario_that_validates_to_itself)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *out;
    cr_assert_eq(t_cli(&out, "validate %s --set price.sigma=0.7", sc), 0, "%s", out);
    assert_has(out, "sigma: 0.7");
    assert_has(out, "# population: 2000 accounts");
    char *again = t_write(dir, "resolved.yaml", out), *out2;
    cr_assert_eq(t_cli(&out2, "validate %s", again), 0, "%s", out2);
    cr_assert_str_eq(out, out2);
    free(out);
    free(out2);
    free(again);
    free(sc);
}

Test(cli, bad_scenario_exits_2_with_location_and_writes_nothing)
{
    char *sc = t_write(dir, "bad.yaml", SMALL "output: {evry: 2}\n"), *out;
    char *h5 = path("bad.h5");
    cr_assert_eq(t_cli(&out, "run %s -o %s", sc, h5), 2);
    assert_has(out, "bad.yaml:9: output.evry: unknown key (did you mean 'every'?)");
    cr_assert(!t_exists(h5));
    char *partial;
    cr_assert(asprintf(&partial, "%s.partial", h5) > 0);
    cr_assert(!t_exists(partial));
    free(out);
    cr_assert_eq(t_cli(&out, "validate %s --set price.sigma=-1", sc), 2);
    assert_has(out, "--set price.sigma=-1: price.sigma: must be >= 0 (got -1)");
    free(out);
    free(partial);
    free(h5);
    free(sc);
}

Test(cli, runtime_failure_exits_1_and_leaves_no_file)
{
    /* the writer cannot create its .partial file (no file can be made in /proc) */
    char *sc = t_write(dir, "s.yaml", SMALL), *out;
    cr_assert_eq(t_cli(&out, "run %s -o /proc/x.h5 -q", sc), 1, "%s", out);
    assert_has(out, "/proc/x.h5.partial: cannot create");
    free(out);
    free(sc);
}

Test(cli, run_writes_once_and_never_overwrites_without_force)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *h5 = path("out.h5"), *out;
    cr_assert_eq(t_cli(&out, "run %s -o %s", sc, h5), 0, "%s", out);
    assert_has(out, "wrote ");
    assert_has(out, "runs with a liquidation");
    free(out);
    cr_assert(t_exists(h5));
    struct stat a, b;
    stat(h5, &a);
    cr_assert_eq(t_cli(&out, "run %s -o %s --runs 3", sc, h5), 2);
    assert_has(out, "exists; use --force to overwrite");
    free(out);
    stat(h5, &b);
    cr_assert(a.st_size == b.st_size && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
                  a.st_mtim.tv_sec == b.st_mtim.tv_sec,
              "the file was touched");
    cr_assert_eq(t_cli(&out, "run %s -o %s --runs 3 --force -q", sc, h5), 0, "%s", out);
    cr_assert_str_eq(out, "", "--quiet prints nothing");
    free(out);
    char *status = t_h5_attr_string(h5, "/", "status");
    cr_assert_str_eq(status, "complete");
    cr_assert_eq(t_h5_attr_double(h5, "/", "runs_completed"), 3);
    free(status);
    /* the command line, as a shell would read it back */
    char *cmd = t_h5_attr_string(h5, "/", "command"), want[8192];
    snprintf(want, sizeof want, "liqcascade run %s -o %s --runs 3 --force -q", sc, h5);
    cr_assert_str_eq(cmd, want);
    free(cmd);
    /* a word with a space is quoted */
    cr_assert_eq(t_cli(&out, "run %s -o %s --runs 2 --force -q --set 'simulation.seed=5 '", sc, h5),
                 0, "%s", out);
    free(out);
    cmd = t_h5_attr_string(h5, "/", "command");
    snprintf(want, sizeof want,
             "liqcascade run %s -o %s --runs 2 --force -q --set 'simulation.seed=5 '", sc, h5);
    cr_assert_str_eq(cmd, want);
    free(cmd);
    cr_assert_eq(t_cli(&out, "info %s", h5), 0, "%s", out);
    assert_has(out, "complete");
    free(out);
    free(h5);
    free(sc);
}

/* Schema 2 with two markets: info lists them with their models, shows the
 * series as [row, market, time] and the per-market /runs columns as a
 * quantity x market table (liquidated notional and its share per market). */
Test(cli, info_lists_the_markets_of_a_two_market_file)
{
    char *sc = t_write(dir, "two.yaml",
                       "simulation: {runs: 8, steps: 60, dt: 60}\n"
                       "markets:\n"
                       "  - {name: BTC, price: {model: gbm, s0: 60000, sigma: 0.8},\n"
                       "     impact: {model: linear, depth_1pct: 1.0e7}}\n"
                       "  - {name: ETH, price: {model: gbm, s0: 3000, sigma: 1.0},\n"
                       "     impact: {model: none}}\n"
                       "correlation: {rho: 0.8}\n"
                       "population:\n"
                       "  accounts: 2000\n"
                       "  notional: {dist: lognormal, median: 20000, sigma: 1.0}\n"
                       "  leverage: {dist: discrete, values: [5, 10, 20], weights: [3, 4, 3]}\n");
    char *h5 = path("two.h5"), *out;
    cr_assert_eq(t_cli(&out, "run %s -o %s -q", sc, h5), 0, "%s", out);
    free(out);
    cr_assert_eq(t_cli(&out, "info %s", h5), 0, "%s", out);
    assert_has(out, "(schema 2)");
    assert_has(out, "  markets  2 (/markets)\n");
    assert_has(out,
               "      0  BTC    gbm          linear       last                60000      0.5\n");
    assert_has(out,
               "      1  ETH    gbm          none         last                 3000      0.5\n");
    assert_has(out, "/series/price                  8 x 2 x 61 ");
    assert_has(out, "/series/insurance              8 x 61 ");
    assert_has(out, "/series/market                 2 ");
    assert_has(out, "/runs: 8 rows x 78 columns (18 of them per market");
    assert_has(out, "/runs by market: mean over the rows of each <quantity>.<market> column\n"
                    "  quantity                     units                BTC          ETH\n"
                    "  price_final                  quote ");
    assert_has(out, "\n  liq_notional (long+short)    quote ");
    assert_has(out, "\n  share of liq_notional        1  ");
    cr_assert(!strstr(out, "\n  price_final.BTC "), "per-market columns have no line of their own");
    assert_has(out, "amplification the first market's, BTC");
    free(out);
    free(h5);
    free(sc);
}

Test(cli, info_rejects_files_that_are_not_results)
{
    char *f = t_write(dir, "x.h5", "not hdf5"), *out;
    cr_assert_eq(t_cli(&out, "info %s", f), 1);
    assert_has(out, "x.h5");
    free(out);
    free(f);
}

/* every dataset of /runs and /series, compared value for value */
static void assert_same_datasets(const char *a, const char *b)
{
    static const char *names[] = {"runs/price_final", "runs/liq_notional_long",
                                  "runs/bad_debt",    "runs/insurance_min",
                                  "runs/max_rounds",  "runs/first_liq_step",
                                  "series/price",     "series/liq_long",
                                  "series/liq_short", "series/insurance",
                                  "series/oi",        "series/fundamental",
                                  "series/mark",      "events/run",
                                  "events/step",      "events/round",
                                  "events/account",   "events/price",
                                  "events/fee",       "events/shortfall",
                                  "events/kind",      "events/notional",
                                  "runs/call_count",  "runs/topup_count",
                                  "runs/topup_amount"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        double *x, *y;
        size_t dx[2], dy[2];
        size_t n = t_h5_read(a, names[k], &x, dx), m = t_h5_read(b, names[k], &y, dy);
        cr_assert_eq(n, m);
        cr_assert(dx[0] == dy[0] && dx[1] == dy[1]);
        cr_assert(memcmp(x, y, n * sizeof *x) == 0, "%s differs", names[k]);
        free(x);
        free(y);
    }
}

/* A stateful oracle mark lives in each thread's scratch: it must be reset
 * for every run, whatever ran on that thread before. */
Test(cli, an_oracle_mark_does_not_depend_on_threads_or_engine)
{
    char *sc = t_write(dir, "o.yaml", SMALL), *one = path("o1.h5"), *three = path("o3.h5"),
         *scan = path("oscan.h5"), *out;
#define EMA "--set 'venue.mark={model: ema, half_life: 300}'"
    cr_assert_eq(t_cli(&out, "run %s " EMA " -o %s -q --events --threads 1", sc, one), 0, "%s",
                 out);
    free(out);
    cr_assert_eq(t_cli(&out, "run %s " EMA " -o %s -q --events --threads 3 --batch 3", sc, three),
                 0, "%s", out);
    free(out);
    cr_assert_eq(
        t_cli(&out, "run %s " EMA " -o %s -q --events --threads 2 --engine scan", sc, scan), 0,
        "%s", out);
    free(out);
#undef EMA
    double *m;
    size_t d[2];
    size_t n = t_h5_read(one, "series/mark", &m, d), moved = 0;
    for (size_t i = 0; i < n; i++)
        moved += m[i] != 100;
    cr_assert_gt(moved, n / 2, "the oracle's mark is recorded");
    free(m);
    assert_same_datasets(one, three);
    assert_same_datasets(one, scan);
    free(one);
    free(three);
    free(scan);
    free(sc);
}

/* Top-up decisions are hashed per (run, account), not drawn in the order
 * calls are met: the same whatever the threads, batches or engine. */
Test(cli, topups_do_not_depend_on_threads_or_engine)
{
    char *sc = t_write(dir, "u.yaml", SMALL), *one = path("u1.h5"), *three = path("u3.h5"),
         *scan = path("uscan.h5"), *out;
#define TOPUP "--set 'venue.topup={probability: 0.5, call: 0.6, delay: 2, target: 0.3}'"
    cr_assert_eq(t_cli(&out, "run %s " TOPUP " -o %s -q --events --threads 1", sc, one), 0, "%s",
                 out);
    free(out);
    cr_assert_eq(t_cli(&out, "run %s " TOPUP " -o %s -q --events --threads 3 --batch 3", sc, three),
                 0, "%s", out);
    free(out);
    cr_assert_eq(
        t_cli(&out, "run %s " TOPUP " -o %s -q --events --threads 2 --engine scan", sc, scan), 0,
        "%s", out);
    free(out);
#undef TOPUP
    cr_assert_gt(t_h5_sum(one, "runs/topup_count"), 100);
    assert_same_datasets(one, three);
    assert_same_datasets(one, scan);
    free(one);
    free(three);
    free(scan);
    free(sc);
}

Test(cli, datasets_do_not_depend_on_thread_count)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *one = path("t1.h5"), *two = path("t2.h5"),
         *three = path("t3.h5"), *scan = path("scan.h5"), *out;
    /* batches of 7 and 3 runs: rows, series and events cross batch borders */
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --threads 1", sc, one), 0, "%s", out);
    free(out);
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --threads 2 --batch 7", sc, two), 0, "%s",
                 out);
    free(out);
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --threads 3 --batch 3", sc, three), 0, "%s",
                 out);
    free(out);
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --threads 2 --engine scan", sc, scan), 0,
                 "%s", out);
    free(out);
    assert_same_datasets(one, two);
    assert_same_datasets(one, three);
    assert_same_datasets(one, scan);
    /* and the runs did liquidate accounts, so the comparison has content */
    cr_assert_gt(t_h5_sum(one, "runs/liq_count_long"), 100);
    free(one);
    free(two);
    free(three);
    free(scan);
    free(sc);
}

Test(cli, sigint_keeps_completed_runs_and_exits_130)
{
    /* long enough that it is still running when interrupted */
    char *sc = t_write(dir, "long.yaml",
                       "simulation: {runs: 200000, steps: 1440, dt: 60, seed: 1}\n"
                       "price: {model: gbm, s0: 100, sigma: 0.8}\n"
                       "population: {accounts: 0}\n");
    char *h5 = path("long.h5"), *partial;
    cr_assert(asprintf(&partial, "%s.partial", h5) > 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execl(LC_BINARY, LC_BINARY, "run", sc, "-o", h5, "--threads", "2", (char *)NULL);
        _exit(127);
    }
    /* wait until the file is being written and a batch or two is done */
    for (int i = 0; i < 200 && !t_exists(partial); i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    cr_assert(t_exists(partial), "no .partial file appeared");
    nanosleep(&(struct timespec){0, 600000000}, NULL);
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status), "killed by a signal");
    cr_assert_eq(WEXITSTATUS(status), 130);
    cr_assert(t_exists(h5) && !t_exists(partial));
    char *st = t_h5_attr_string(h5, "/", "status");
    cr_assert_str_eq(st, "interrupted");
    free(st);
    double done = t_h5_attr_double(h5, "/", "runs_completed");
    cr_assert(done > 0 && done < 200000, "runs_completed %g", done);
    double *x;
    size_t d[2];
    cr_assert_eq((double)t_h5_read(h5, "runs/run", &x, d), done);
    for (size_t i = 0; i < d[0]; i++)
        cr_assert_eq(x[i], (double)i, "completed runs are a prefix");
    free(x);
    free(partial);
    free(h5);
    free(sc);
}

/* Whether process pid has a handler for SIGINT (SigCgt of /proc/pid/status). */
static int catches_sigint(pid_t pid)
{
    char file[64], line[256];
    snprintf(file, sizeof file, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(file, "r");
    unsigned long long mask = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigCgt: %llx", &mask) == 1)
            break;
    if (f)
        fclose(f);
    return mask >> (SIGINT - 1) & 1;
}

/* A signal during the set-up or the write of /population (issue 19 D5): the
 * handler is in place before any output, so the run stops without a
 * .partial left behind: either nothing is written (exit 130, no file) or
 * the file holds no run yet with status interrupted. 3M accounts written
 * with --population take long enough for the signal to land inside. */
Test(cli, sigint_before_the_first_run_leaves_no_partial)
{
    char *sc = t_write(dir, "pop.yaml",
                       "simulation: {runs: 100, steps: 10, dt: 60, seed: 1}\n"
                       "price: {model: gbm, s0: 100, sigma: 0.8}\n"
                       "population: {accounts: 3000000, notional: {dist: fixed, value: 1000},\n"
                       "             leverage: {dist: fixed, value: 5}}\n");
    char *h5 = path("pop.h5"), *partial;
    cr_assert(asprintf(&partial, "%s.partial", h5) > 0);
    for (int delay = 0; delay < 3; delay++) {
        unlink(h5);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            freopen("/dev/null", "w", stderr);
            execl(LC_BINARY, LC_BINARY, "run", sc, "-o", h5, "--population", "--threads", "1",
                  (char *)NULL);
            _exit(127);
        }
        /* 0: as soon as the handler is in place (the set-up, drawing the
         * accounts; a signal before main installs it kills the process, as
         * it should); later: while .partial is being written */
        if (delay == 0)
            for (int i = 0; i < 1000 && !catches_sigint(pid); i++)
                nanosleep(&(struct timespec){0, 1000000}, NULL);
        else
            for (int i = 0; i < 500 && !t_exists(partial); i++)
                nanosleep(&(struct timespec){0, 2000000}, NULL);
        kill(pid, SIGINT);
        int status;
        waitpid(pid, &status, 0);
        cr_assert(WIFEXITED(status), "delay %d: killed by the signal", delay);
        cr_assert_eq(WEXITSTATUS(status), 130, "delay %d", delay);
        cr_assert(!t_exists(partial), "delay %d: a .partial was left", delay);
        if (t_exists(h5)) {
            char *st = t_h5_attr_string(h5, "/", "status");
            cr_assert_str_eq(st, "interrupted");
            free(st);
        }
    }
    free(partial);
    free(h5);
    free(sc);
}

/* Names no result file can have are refused before the simulation (D6, D7):
 * at once, exit 2, nothing made. */
Test(cli, output_paths_are_checked_before_simulating)
{
    char *out = NULL;
    static const char *const cases[][2] = {
        {"-o ''", "the result file needs a name"},
        {"-o %s --force", "is a folder"},
        {"-o %s/no/such/x.h5", "does not exist"},
    };
    for (int i = 0; i < 3; i++) {
        char opt[512];
        snprintf(opt, sizeof opt, cases[i][0], dir);
        cr_assert_eq(
            t_cli(&out, "run %s/scenarios/quickstart.yaml --runs 100000 %s", LC_SOURCE_DIR, opt), 2,
            "%s: %s", opt, out);
        cr_assert(strstr(out, cases[i][1]), "%s: %s", opt, out);
        free(out);
    }
    cr_assert(!t_exists(".partial") && !t_exists("out.h5"));
}

/* A positions file's lines are bounded (issue 19 D11): one of 200,000
 * characters with no newline is refused by its line, not read until memory
 * runs out. */
Test(cli, a_positions_line_is_bounded)
{
    char *big = malloc(200001);
    memset(big, 'x', 200000);
    big[200000] = '\0';
    char *csv = t_write(dir, "long.csv", big), *sc, *out;
    cr_assert(asprintf(&sc, "price: {model: gbm, s0: 100}\npopulation: {file: %s}\n", csv) > 0);
    char *yaml = t_write(dir, "long.yaml", sc);
    cr_assert_eq(t_cli(&out, "validate %s", yaml), 2, "%s", out);
    assert_has(out, "long.csv:1: longer than 65536 characters");
    free(out);
    free(yaml);
    free(sc);
    free(csv);
    free(big);
}

/* Two runs writing the same OUT at once, with HDF5's file locking off (issue
 * 19 D3): each writes a .partial of its own, so a run that exits 0 finds its
 * own results in OUT; the one that finishes second finds OUT taken and,
 * without --force, fails and keeps its results in its .partial. */
Test(cli, concurrent_writers_each_keep_their_own_results)
{
    char *sc = t_write(dir, "c.yaml",
                       "simulation: {runs: 3000, steps: 200, dt: 60}\n"
                       "price: {model: gbm, s0: 100, sigma: 0.8}\n"
                       "population: {accounts: 0}\n");
    char *h5 = path("c.h5");
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        cr_assert((pid[k] = fork()) >= 0);
        if (pid[k] == 0) {
            freopen("/dev/null", "w", stderr);
            setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
            char seed[8];
            snprintf(seed, sizeof seed, "%d", 11 + k);
            execl(LC_BINARY, LC_BINARY, "run", sc, "-o", h5, "--seed", seed, "--threads", "1",
                  (char *)NULL);
            _exit(127);
        }
    }
    int ok = -1, fails = 0;
    for (int k = 0; k < 2; k++) {
        int status;
        waitpid(pid[k], &status, 0);
        cr_assert(WIFEXITED(status), "run %d killed", k);
        if (WEXITSTATUS(status) == 0)
            ok = k;
        else
            fails += WEXITSTATUS(status) == 1;
    }
    cr_assert(ok >= 0 && fails == 1, "one run must win the name, the other fail (ok %d)", ok);
    cr_assert_eq(t_h5_attr_double(h5, "/", "seed"), 11 + ok, "OUT holds the winner's results");
    char *st = t_h5_attr_string(h5, "/", "status");
    cr_assert_str_eq(st, "complete");
    free(st);
    free(h5);
    free(sc);
}

Test(cli, events_and_population_are_optional_groups)
{
    char *sc = t_write(dir, "s.yaml", SMALL), *h5 = path("ev.h5"), *out;
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --population --runs 5", sc, h5), 0, "%s",
                 out);
    free(out);
    double *acc, *liq;
    size_t d[2], d2[2];
    cr_assert_eq(t_h5_read(h5, "population/liq_price", &acc, d), 2000);
    size_t nev = t_h5_read(h5, "events/account", &liq, d2);
    double *cl, *cs;
    size_t n = t_h5_read(h5, "runs/liq_count_long", &cl, d),
           m = t_h5_read(h5, "runs/liq_count_short", &cs, d);
    double total = 0;
    for (size_t i = 0; i < n && i < m; i++)
        total += cl[i] + cs[i];
    cr_assert_eq((double)nev, total, "one event per liquidation");
    free(acc);
    free(liq);
    free(cl);
    free(cs);
    free(h5);
    free(sc);
}

Test(cli, models_listing_and_docs_agree)
{
    char *out;
    cr_assert_eq(t_cli(&out, "models"), 0);
    assert_has(out, "gbm");
    assert_has(out, "depth_1pct");
    assert_has(out, "liquidation_fee");
    free(out);
    cr_assert_eq(t_cli(&out, "models --markdown"), 0);
    FILE *f = fopen(LC_SOURCE_DIR "/docs/models.md", "r");
    cr_assert(f, "docs/models.md is missing");
    char *doc = calloc(1, 1 << 20);
    size_t len = fread(doc, 1, (1 << 20) - 1, f);
    fclose(f);
    doc[len] = '\0';
    cr_assert_str_eq(out, doc, "docs/models.md is out of date: run `make docs`");
    free(doc);
    free(out);
}

/* A short squeeze through a book far too thin for the population drives
 * e^J past the largest double. That is a failed run (exit 1 naming run, step
 * and round), never a file of inf and NaN with exit 0. */
Test(cli, non_finite_prices_fail_the_run)
{
    char *sc = t_write(dir, "squeeze.yaml",
                       "simulation: {runs: 4, steps: 50, dt: 60, seed: 3}\n"
                       "price: {model: gbm, s0: 100, sigma: 3}\n"
                       "impact: {model: linear, depth_1pct: 1}\n"
                       "population:\n"
                       "  accounts: 500\n"
                       "  long_fraction: 0\n"
                       "  notional: {dist: fixed, value: 1.0e6}\n"
                       "  leverage: {dist: fixed, value: 100}\n"
                       "venue:\n"
                       "  tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 125}]\n");
    char *o = path("squeeze.h5"), *out;
    cr_assert_eq(t_cli(&out, "run %s -o %s --quiet", sc, o), 1, "%s", out);
    assert_has(out, ", step "); /* which run fails first depends on the threads */
    assert_has(out, "not a finite price move");
    cr_assert_not(t_exists(o), "a failed run must leave no file");
    free(out);
    /* one short through a slightly deeper book: finite doubles, but beyond
     * float32, so /series would hold inf */
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s --quiet --set impact.depth_1pct=111 "
                       "--set population.accounts=1",
                       sc, o),
                 1, "%s", out);
    assert_has(out, "exceeds 3.4e38 quote, the range of the float32 series");
    cr_assert_not(t_exists(o));
    free(out);
    free(o);
    free(sc);
}

/* A positions file named relative to its scenario is stored as an absolute,
 * quoted path in the resolved scenario, so the resolved text (as printed,
 * or as kept in a result file) loads back from any folder, even when the
 * name holds spaces, '#' or quotes. */
Test(cli, resolved_scenario_with_positions_file_loads_back)
{
    char *sub = path("odd dir #1");
    cr_assert_eq(mkdir(sub, 0700), 0);
    char *csv = t_write(sub, "pos \"a\".csv",
                        "side,notional,leverage,entry\n"
                        "long,10000,10,60000\n"
                        "short,20000,5,61000\n");
    char *sc = t_write(sub, "s.yaml",
                       "simulation: {runs: 2, steps: 10}\n"
                       "price: {s0: 60000}\n"
                       "population: {file: 'pos \"a\".csv'}\n");
    char *out, *out2;
    cr_assert_eq(t_cli(&out, "validate '%s'", sc), 0, "%s", out);
    assert_has(out, "# population: 2 accounts");
    char *again = t_write(dir, "resolved.yaml", out);
    cr_assert_eq(t_cli(&out2, "validate %s", again), 0, "%s", out2);
    cr_assert_str_eq(out, out2);
    free(out);
    free(out2);
    free(again);
    free(sc);
    free(csv);
    free(sub);
}

/* The price models with shared data (bootstrap's file, bridge's pins) and the
 * shock overlay: still the same datasets for any thread count. */
Test(cli, new_price_models_do_not_depend_on_thread_count)
{
    static const char *const prices[] = {
        "price: {model: bootstrap, s0: 100, file: " LC_SOURCE_DIR "/data/returns/sample.csv,\n"
        "        interval: 60, mean_block_length: 20,\n"
        "        shock: {size: -0.15, start: 3600, duration: 1200, shape: exp}}\n",
        "price: {model: bridge, s0: 100, sigma: 1.5, pin_times: [3600, 9000],\n"
        "        pin_prices: [85, 110]}\n",
    };
    for (int k = 0; k < 2; k++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "simulation: {runs: 24, steps: 300, dt: 60, seed: 9}\n%s"
                 "impact: {model: linear, depth_1pct: 2.0e5}\n"
                 "population:\n"
                 "  accounts: 2000\n"
                 "  notional: {dist: lognormal, median: 2000, sigma: 1}\n"
                 "  leverage: {dist: discrete, values: [5, 20, 50], weights: [1, 1, 1]}\n"
                 "venue: {insurance_fund: 1000}\n",
                 prices[k]);
        char *sc = t_write(dir, "p.yaml", text), *one = path("p1.h5"), *two = path("p2.h5"), *out;
        cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --force --threads 1", sc, one), 0, "%s",
                     out);
        free(out);
        cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --force --threads 2", sc, two), 0, "%s",
                     out);
        free(out);
        assert_same_datasets(one, two);
        cr_assert_gt(t_h5_sum(one, "runs/liq_count_long"), 10,
                     "model %d: no liquidations to compare", k);
        free(one);
        free(two);
        free(sc);
    }
}

/* Series chunks deflated by the compute threads (out/zplanes.h) and stored with
 * H5Dwrite_chunk (batches on the chunk grid, the default) must read back
 * exactly as the chunks HDF5 filters itself (--batch 7: off the grid), and
 * h5dump must decode them.
 * 1,441 columns make 45-row chunks, so 100 runs give two full chunks per
 * default batch and a partial last one. */
Test(cli, series_compressed_ahead_read_back_identically)
{
    char *sc = t_write(dir, "long.yaml",
                       "simulation: {runs: 100, steps: 1440, dt: 60, seed: 4}\n"
                       "price: {model: gbm, s0: 100, sigma: 1.5}\n"
                       "impact: {model: linear, depth_1pct: 2.0e5}\n"
                       "population:\n"
                       "  accounts: 300\n"
                       "  notional: {dist: lognormal, median: 2000, sigma: 1}\n"
                       "  leverage: {dist: discrete, values: [5, 20, 50], weights: [1, 1, 1]}\n");
    char *ahead = path("ahead.h5"), *hdf5 = path("hdf5.h5"), *out;
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events", sc, ahead), 0, "%s", out);
    free(out);
    cr_assert_eq(t_cli(&out, "run %s -o %s -q --events --batch 7", sc, hdf5), 0, "%s", out);
    free(out);
    assert_same_datasets(ahead, hdf5); /* (h5py reads them too: analysis/tests) */
    /* the chunks made ahead are zplanes' zlib streams: h5dump, which knows
     * nothing of them, decodes them with HDF5's deflate filter */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "h5dump -d /series/price -s 99,0,1440 -c 1,1,1 %s > %s.dump", ahead,
             ahead);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    double *v;
    size_t dims[2];
    t_h5_read(ahead, "series/price", &v, dims);
    snprintf(cmd, sizeof cmd, "%s.dump", ahead);
    FILE *f = fopen(cmd, "r");
    cr_assert_not_null(f);
    char line[256], *at = NULL;
    while (!at && fgets(line, sizeof line, f))
        if ((at = strstr(line, "(99,0,1440): ")))
            at += strlen("(99,0,1440): ");
    fclose(f);
    cr_assert_not_null(at, "no value in the h5dump output");
    cr_assert_float_eq(strtod(at, NULL), v[99 * dims[1] + 1440], 1e-6 * v[99 * dims[1] + 1440],
                       "h5dump and HDF5 agree on the last price of the last run");
    /* a price chunk's low mantissa planes are random: they go in as stored
     * deflate blocks (the first block header is a stored one, BTYPE 00), and
     * zlib's inflate reads the whole stream back to the shuffled chunk */
    hid_t file = H5Fopen(ahead, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "series/price", H5P_DEFAULT);
    hsize_t at0[3] = {0, 0, 0}, zbytes = 0;
    cr_assert_geq(H5Dget_chunk_storage_size(ds, at0, &zbytes), 0);
    unsigned char *z = malloc(zbytes), *raw = malloc(45 * 1441 * 4);
    uint32_t mask = 1;
    cr_assert_geq(H5Dread_chunk(ds, H5P_DEFAULT, at0, &mask, z), 0);
    cr_assert_eq(mask, 0, "the chunk went through both filters");
    cr_assert_eq(z[0], 0x78, "a zlib header");
    cr_assert_eq(z[2] & 7, 0, "the first block is stored and not final");
    uLongf rawlen = 45 * 1441 * 4;
    cr_assert_eq(uncompress(raw, &rawlen, z, (uLong)zbytes), Z_OK, "zlib inflates the chunk");
    cr_assert_eq(rawlen, 45 * 1441 * 4);
    unsigned char first[4]; /* byte k of element 0 is at k·n in the shuffled chunk */
    float p0 = (float)v[0];
    memcpy(first, &p0, 4);
    for (int k = 0; k < 4; k++)
        cr_assert_eq(raw[(size_t)k * 45 * 1441], first[k], "byte %d of the first price", k);
    free(z);
    free(raw);
    H5Dclose(ds);
    H5Fclose(file);
    free(v);
    free(ahead);
    free(hdf5);
    free(sc);
}

/* A run whose only liquidations are partial (they close no account: the
 * counts stay 0) is a run with a liquidation, in the whole and per market. */
Test(cli, a_partial_liquidation_counts_in_the_summary)
{
    lc_scenario *sc = t_scenario("simulation: {runs: 2, steps: 4, dt: 60, seed: 1}\n"
                                 "price: {model: gbm, s0: 100, sigma: 0.5}\n"
                                 "population: {accounts: 10, notional: {dist: fixed, value: "
                                 "1000}, leverage: {dist: fixed, value: 10}}\n");
    lc_summary s;
    lc_summary_init(&s, sc);
    lc_run_row r = {0};
    r.liq_notional_long = r.mk[0].liq_notional_long = 500; /* partial: no account closed */
    lc_summary_add(&s, &r);
    lc_run_row calm = {0};
    lc_summary_add(&s, &calm);
    cr_assert_eq(s.with_liq.w, 1);
    cr_assert_eq(s.mk_with_liq[0].w, 1);
    lc_scenario_free(sc);
}

/* Warnings before the runs (issue "Studies", item 8), and none for a
 * scenario that needs none. SMALL: every tier allows leverage 50 or more, a
 * book of 2e5 per 1% against some 4e6 of open interest per side. */
Test(cli, warnings_say_what_the_scenario_does_to_itself)
{
    char *sc = t_write(dir, "w.yaml", SMALL), *h5 = path("w.h5"), *out;
    /* quiet as given */
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s --force --runs 2 --steps 10 --set "
                       "impact.depth_1pct=1e9",
                       sc, h5),
                 0, "%s", out);
    cr_assert_null(strstr(out, "warning"), "%s", out);
    free(out);
    /* a thin book: the longs closed at once fill at less than half of s0 */
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s --force --runs 2 --steps 10 --set "
                       "impact.depth_1pct=1e3",
                       sc, h5),
                 0, "%s", out);
    assert_has(out, "warning: the market: its longs'");
    assert_has(out, "the impact model's depth is small against the open interest");
    free(out);
    /* max_leverage 10 against draws of 5, 20 and 50: about 2/3 capped */
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s --force --runs 2 --steps 10 --set "
                       "impact.depth_1pct=1e9 --set "
                       "'venue.tiers=[{up_to: 1.0e300, mmr: 0.005, max_leverage: 10}]'",
                       sc, h5),
                 0, "%s", out);
    assert_has(out, "drew a leverage above their tier's max_leverage and were opened at it");
    free(out);
    /* points that share a population get its note once */
    cr_assert_eq(t_cli(&out,
                       "sweep %s -o %s --force --runs 2 --steps 10 --set "
                       "impact.depth_1pct=1e9 --set "
                       "'venue.tiers=[{up_to: 1.0e300, mmr: 0.005, max_leverage: 10}]' "
                       "--vary venue.liquidation_fee=0.005,0.01,0.02",
                       sc, h5),
                 0, "%s", out);
    const char *first = strstr(out, "drew a leverage above");
    cr_assert(first && !strstr(first + 1, "drew a leverage above"), "once: %s", out);
    free(out);
    /* max_rounds 1 in a crash: every run's cascade is cut */
    cr_assert_eq(t_cli(&out,
                       "run %s -o %s --force --runs 4 --steps 30 --set "
                       "simulation.max_rounds=1 --set "
                       "'price.shock={size: -0.5, start: 60, shape: step}'",
                       sc, h5),
                 0, "%s", out);
    assert_has(out, "warning: every run's cascade hit simulation.max_rounds (1)");
    free(out);
    /* a sweep: each point's warnings, named; the cut cascades by point */
    cr_assert_eq(t_cli(&out,
                       "sweep %s -o %s --force --runs 4 --steps 30 --set "
                       "simulation.max_rounds=1 --set "
                       "'price.shock={size: -0.5, start: 60, shape: step}' --vary "
                       "impact.depth_1pct=1e9,1e3",
                       sc, h5),
                 0, "%s", out);
    assert_has(out, "warning: point 1: the market: its longs'");
    cr_assert_null(strstr(out, "point 0: the market"), "%s", out);
    assert_has(out, "warning: every run's cascade hit simulation.max_rounds at point(s)");
    free(out);
    free(h5);
    free(sc);
}

/* The progress line fits any width on one line (the bar shrinks, then goes,
 * then the text is cut) and names the sweep point. */
Test(cli, progress_line_fits_the_terminal)
{
    lc_progress p;
    lc_progress_start(&p, 800, 100, LC_PROGRESS_TTY);
    char line[512];
    for (int cols = 1; cols <= 200; cols++) {
        lc_progress_text(&p, 250, p.start_s + 5, cols, 1, line, sizeof line);
        cr_assert_leq((int)strlen(line), cols, "%d columns: '%s'", cols, line);
        cr_assert_null(strchr(line, '\n'));
    }
    lc_progress_text(&p, 250, p.start_s + 5, 120, 1, line, sizeof line);
    assert_has(line, "250/800 runs (31%)  ETA 0:00:11  point 3 of 8  50.0 runs/s");
    assert_has(line, "[#########");
    lc_progress_text(&p, 250, p.start_s + 5, 50, 1, line, sizeof line);
    cr_assert_null(strchr(line, '['), "no room for a bar at 50 columns: '%s'", line);
    lc_progress_start(&p, 40, 0, LC_PROGRESS_PLAIN); /* a run: no points */
    lc_progress_text(&p, 10, p.start_s + 1, 500, 0, line, sizeof line);
    assert_has(line, "10/40 runs (25%)  ETA 0:00:03  10.0 runs/s");
    cr_assert_null(strstr(line, "point"));
}

/* `search` against a closed form: one long account at 10x with its whole
 * collateral C = N/10 and an instant drop of size x (sigma 0, no impact, no
 * insurance fund) leaves bad debt exactly when the mark falls below the
 * bankruptcy price s0·(1 − 1/10), i.e. for x < −0.1: bisection on
 * price.shock.size must bracket −0.1 to the tolerance. */
#define ONE_ACCOUNT                                                                                \
    "simulation: {runs: 2, steps: 3, dt: 60, seed: 1}\n"                                           \
    "price: {model: gbm, s0: 100, sigma: 0,\n"                                                     \
    "        shock: {size: -0.05, start: 60, shape: step}}\n"                                      \
    "impact: {model: none}\n"                                                                      \
    "population:\n"                                                                                \
    "  accounts: 1\n"                                                                              \
    "  long_fraction: 1\n"                                                                         \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 10}\n"                                                       \
    "  entry: {dist: fixed, value: 1}\n"                                                           \
    "venue: {insurance_fund: 0, liquidation_fee: 0}\n"

Test(cli, search_brackets_the_bankruptcy_drop)
{
    char *sc = t_write(dir, "one.yaml", ONE_ACCOUNT), *out;
    cr_assert_eq(t_cli(&out,
                       "search %s --key price.shock.size --range -0.3:-0.01 --metric p_bad_debt "
                       "--at-most 0.5 --tol 0.001",
                       sc),
                 0, "%s", out);
    const char *a = strstr(out, "answer: price.shock.size = ");
    cr_assert(a, "%s", out);
    double pass, fail;
    cr_assert_eq(
        sscanf(a, "answer: price.shock.size = %lf meets the target; %lf fails", &pass, &fail), 2,
        "%s", a);
    cr_assert(pass >= -0.1 && fail < -0.1 && pass - fail <= 0.001, "bracket [%g, %g]", fail, pass);
    free(out);
    /* the other way round: where P(bad debt) reaches 1, from the other end */
    cr_assert_eq(t_cli(&out,
                       "search %s --key price.shock.size --range -0.01:-0.3 --metric p_bad_debt "
                       "--at-least 1 --tol 0.001",
                       sc),
                 0, "%s", out);
    a = strstr(out, "answer: price.shock.size = ");
    cr_assert(a, "%s", out);
    cr_assert_eq(
        sscanf(a, "answer: price.shock.size = %lf meets the target; %lf fails", &pass, &fail), 2,
        "%s", a);
    cr_assert(pass < -0.1 && fail >= -0.1 && fail - pass <= 0.001, "bracket [%g, %g]", pass, fail);
    free(out);
    /* no crossing in the range */
    cr_assert_eq(t_cli(&out,
                       "search %s --key price.shock.size --range -0.09:-0.01 --metric p_bad_debt "
                       "--at-most 0.5",
                       sc),
                 0, "%s", out);
    assert_has(out, "every end of the range meets the target");
    free(out);
    /* a value of the range the scenario refuses is named; so is an unknown metric */
    cr_assert_eq(t_cli(&out,
                       "search %s --key price.shock.size --range -1.5:-0.01 --metric p_bad_debt "
                       "--at-most 0.5",
                       sc),
                 2, "%s", out);
    assert_has(out, "price.shock.size: the scenario is not valid at -1.5");
    free(out);
    cr_assert_eq(t_cli(&out,
                       "search %s --key price.shock.size --range -0.3:-0.01 --metric p_bad_dept "
                       "--at-most 0.5",
                       sc),
                 2, "%s", out);
    assert_has(out, "no metric p_bad_dept");
    assert_has(out, "p_bad_debt (1)");
    free(out);
    cr_assert_eq(t_cli(&out,
                       "search %s --key price.shock.size --range -0.3 --metric p_bad_debt "
                       "--at-most 0.5",
                       sc),
                 2, "%s", out);
    assert_has(out, "--range takes two different numbers");
    free(out);
    free(sc);
}

/* `map` against a fixed point computed by hand. Three longs at 10x from 100
 * (P_liq = 9000/(100 · 0.996) = 90.361) and two from 95 (P_liq = 85.843),
 * linear impact: a round that sells n base at price P moves log price by
 * 0.01 · (−n·P)/depth_1pct. A shock x puts the price at 100(1 + x); each
 * round liquidates every account with P_liq >= the price, until none is
 * left: the loop below, a second engine for the map's cascade. The grid
 * holds shocks with two rounds, with one (the first group's sales stop
 * short of the second's level), and with none. */
Test(cli, map_reaches_the_fixed_point_computed_by_hand)
{
    static const char csv[] = "side,notional,leverage,entry\n"
                              "long,10000,10,100\nlong,10000,10,100\nlong,10000,10,100\n"
                              "long,10000,10,95\nlong,10000,10,95\n";
    static const char yaml[] = "simulation: {runs: 10, steps: 60, dt: 60, seed: 1}\n"
                               "price: {model: gbm, s0: 100, sigma: 0.5}\n"
                               "impact: {model: linear, depth_1pct: 5400, permanent: 1}\n"
                               "population: {file: ladder.csv}\n"
                               "venue:\n"
                               "  tiers: [{up_to: 1.0e300, mmr: 0.004, max_leverage: 50}]\n"
                               "  liquidation_fee: 0\n"
                               "  insurance_fund: 1.0e9\n";
    free(t_write(dir, "ladder.csv", csv));
    char *sc = t_write(dir, "ladder.yaml", yaml), *mdir = path("m"), *out;
    cr_assert_eq(t_cli(&out,
                       "map %s -o %s --no-figures --shocks -0.1:-0.094:7 --bins 60 "
                       "--runaway 1.5",
                       sc, mdir),
                 0, "%s", out);
    assert_has(out, "critical down shock: -9.80%");
    free(out);
    double q[5], liq[5];
    for (int i = 0; i < 5; i++) {
        double entry = i < 3 ? 100 : 95;
        q[i] = 10000 / entry;
        liq[i] = (q[i] * entry - 1000) / (q[i] * (1 - 0.004));
    }
    char *cm = NULL, *lm = NULL;
    cr_assert(asprintf(&cm, "%s/cascade_map.csv", mdir) > 0 &&
              asprintf(&lm, "%s/liquidation_map.csv", mdir) > 0);
    char *text = t_read_file(cm), *line = strchr(text, '\n') + 1;
    int rows = 0, rounds_seen[3] = {0};
    for (; *line; line = strchr(line, '\n') + 1, rows++) {
        double x, fund, end, amp, ll, ls, repaid, bad;
        long accounts, rounds, truncated;
        cr_assert_eq(sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%ld,%ld,%ld,%lf", &x, &fund, &end,
                            &amp, &ll, &ls, &repaid, &accounts, &rounds, &truncated, &bad),
                     11, "%s", line);
        /* the hand engine */
        double p = 100 * exp(log1p(x));
        int alive[5] = {1, 1, 1, 1, 1};
        long want_rounds = 0, want_accounts = 0;
        for (;;) {
            double n = 0;
            for (int i = 0; i < 5; i++)
                if (alive[i] && liq[i] >= p) {
                    n += q[i];
                    alive[i] = 0;
                    want_accounts++;
                }
            if (n == 0)
                break;
            p *= exp(0.01 * (-n * p) / 5400);
            want_rounds++;
        }
        cr_assert_float_eq(end, p, 1e-12 * p, "shock %g: %.17g, by hand %.17g", x, end, p);
        cr_assert(rounds == want_rounds && accounts == want_accounts,
                  "shock %g: %ld rounds, %ld accounts; by hand %ld, %ld", x, rounds, accounts,
                  want_rounds, want_accounts);
        cr_assert_float_eq(amp, log(p / 100) / log1p(x), 1e-9);
        rounds_seen[want_rounds]++;
    }
    cr_assert_eq(rows, 7);
    cr_assert(rounds_seen[0] && rounds_seen[1] && rounds_seen[2], "each kind of cascade");
    free(text);
    /* the map: each group's |q|·P_liq in the bin of its level (bins of 1 over [70, 130]) */
    text = t_read_file(lm);
    double g1 = 0, g2 = 0, total = 0;
    for (line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char side[8];
        double lo, hi, notional;
        long n;
        cr_assert_eq(sscanf(line, "market,%7[a-z],%lf,%lf,%lf,%ld", side, &lo, &hi, &notional, &n),
                     5, "%s", line);
        total += notional;
        if (strcmp(side, "long") != 0)
            continue;
        if (lo <= liq[0] && liq[0] < hi) {
            g1 = notional;
            cr_assert_eq(n, 3);
        }
        if (lo <= liq[3] && liq[3] < hi) {
            g2 = notional;
            cr_assert_eq(n, 2);
        }
    }
    cr_assert_float_eq(g1, 3 * q[0] * liq[0], 1e-9);
    cr_assert_float_eq(g2, 2 * q[3] * liq[3], 1e-9);
    cr_assert_float_eq(total, g1 + g2, 1e-9);
    free(text);
    /* validate says the same of the start: the first group (9.6% below s0) within 10% */
    cr_assert_eq(t_cli(&out, "validate %s", sc), 0, "%s", out);
    assert_has(out, "# at risk at t = 0");
    assert_has(out, "2.711e+04  (0.0% / 0.0% / 60.0% of the side)");
    free(out);
    /* the outputs are not overwritten without --force */
    cr_assert_eq(t_cli(&out, "map %s -o %s --no-figures --shocks -0.1:-0.094:7", sc, mdir), 2);
    assert_has(out, "exists; use --force to overwrite");
    free(out);
    free(cm);
    free(lm);
    free(mdir);
    free(sc);
}

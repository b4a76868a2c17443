/* test_limits.c — sizes the machine cannot hold are refused before any work
 * (issue 19 D4, docs/limits.md), the estimate the refusal rests on covers
 * what runs really use, and a run of many steps sees a signal within a
 * bounded time. */
#define _GNU_SOURCE /* asprintf, wait4 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
TestSuite(limits, .init = setup, .fini = teardown);

static const char *const small = "simulation: {runs: 4, steps: 100, dt: 60, seed: 3}\n"
                                 "price: {model: gbm, s0: 100, sigma: 0.8}\n"
                                 "impact: {model: linear, depth_1pct: 1.0e6}\n"
                                 "population: {accounts: 1000, notional: {dist: fixed, value: "
                                 "1000},\n"
                                 "             leverage: {dist: fixed, value: 10}}\n";

/* Nothing but the scenario in the folder: no result, no .partial. */
static void assert_nothing_written(void)
{
    DIR *d = opendir(dir);
    cr_assert(d);
    for (struct dirent *e; (e = readdir(d));)
        cr_assert(e->d_name[0] == '.' || strstr(e->d_name, ".yaml"), "left behind: %s", e->d_name);
    closedir(d);
}

/* The cases: 1e9 steps would reserve tens of GB of series, 1e9
 * accounts grow past 100 GB. Refused at once (the binary may map 2 GiB and
 * has 20 s), exit 2, naming what takes the memory and the way out. */
Test(limits, beyond_the_budget_refused_before_any_work)
{
    char *sc = t_write(dir, "s.yaml", small), *out, *h5;
    cr_assert(asprintf(&h5, "%s/out.h5", dir) > 0);
    /* a budget of 16 GiB, below what either needs on any machine */
    const char *cases[] = {"--steps 1e9 --max-memory 16G",
                           "--set population.accounts=1e9 --max-memory 16G",
                           "--set population.accounts=3e7 --max-memory 1G"};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int rc = t_cli_bounded(&out, 20, 2048, "run %s -o %s %s", sc, h5, cases[k]);
        cr_assert_eq(rc, 2, "%s: rc %d\n%s", cases[k], rc, out);
        assert_has(out, "needs about");
        assert_has(out, "--max-memory");
        assert_has(out, "s.yaml");
        assert_nothing_written();
        free(out);
    }
    /* validate draws the population: the same check before it */
    int rc = t_cli_bounded(&out, 20, 2048,
                           "validate %s --set population.accounts=1e9 --max-memory 16G", sc);
    cr_assert_eq(rc, 2, "%s", out);
    assert_has(out, "populations");
    free(out);
    /* a budget below the estimate refuses even a small run; above, it runs */
    cr_assert_eq(t_cli(&out, "run %s -o %s --max-memory 1M", sc, h5), 2, "%s", out);
    assert_has(out, "more than the 1.0 MiB --max-memory");
    assert_nothing_written();
    free(out);
    cr_assert_eq(t_cli(&out, "run %s -o %s --max-memory 4G", sc, h5), 0, "%s", out);
    free(out);
    free(h5);
    free(sc);
}

Test(limits, max_memory_sizes)
{
    char *sc = t_write(dir, "s.yaml", small), *out;
    const char *bad[] = {"0", "-1G", "8X", "G", "1e30", "8GB2", "nan"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cr_assert_eq(t_cli(&out, "run %s --max-memory %s", sc, bad[k]), 2, "%s", bad[k]);
        assert_has(out, "--max-memory takes a size");
        free(out);
    }
    /* every spelling of a size is accepted (validate checks it without a run) */
    const char *good[] = {"4294967296", "4G", "4g", "4GiB", "4GB", "4096M", "0.5T"};
    for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
        cr_assert_eq(t_cli(&out, "validate %s --max-memory %s", sc, good[k]), 0, "%s: %s", good[k],
                     out);
        free(out);
    }
    free(sc);
}

/* Run the binary with args (space-separated, no quoting), stderr into
 * *err; returns its peak resident memory in bytes (ru_maxrss). */
static double run_rss(char **err, const char *args)
{
    char *log;
    cr_assert(asprintf(&log, "%s/stderr.txt", dir) > 0);
    char *copy = strdup(args), *argv[64] = {LC_BINARY};
    int argc = 1;
    for (char *tok = strtok(copy, " "); tok && argc < 63; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(127);
        execv(LC_BINARY, argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: failed", args);
    *err = t_read_file(log);
    free(log);
    free(copy);
    return (double)ru.ru_maxrss * 1024;
}

/* "about 78.9 MiB of memory" of the run's first line, in bytes. */
static double estimate_in(const char *err)
{
    const char *at = strstr(err, "about ");
    cr_assert(at, "no estimate in:\n%s", err);
    double v;
    char unit[8];
    cr_assert_eq(sscanf(at, "about %lf %7s", &v, unit), 2);
    const char *units[] = {"B", "KiB", "MiB", "GiB"};
    for (int k = 0; k < 4; k++)
        if (strcmp(unit, units[k]) == 0)
            return v * (double)(1L << (10 * k));
    cr_assert_fail("unit %s", unit);
    return 0;
}

/* The estimate covers the peak resident memory of runs that stress each
 * part of it (population, the scan's per-thread book, long series,
 * /population), and is not wildly above it (within 3x and 64 MiB, so a
 * refusal is not for a run that would have fit easily). Resident memory
 * under the sanitizers is theirs, so there only the first half holds. */
Test(limits, estimate_covers_the_peak, .timeout = 300)
{
    char *sc = t_write(dir, "q.yaml",
                       "simulation: {runs: 40, steps: 1440, dt: 60, seed: 42}\n"
                       "price: {model: gbm, s0: 60000, sigma: 0.8}\n"
                       "impact: {model: linear, depth_1pct: 5.0e7}\n"
                       "population:\n"
                       "  accounts: 100000\n"
                       "  notional: {dist: pareto, min: 1000, alpha: 1.5, max: 5.0e7}\n"
                       "  leverage: {dist: discrete, values: [2, 10, 50], weights: [1, 1, 1]}\n"
                       "  entry: {dist: lognormal, sigma: 0.02}\n");
    char *h5;
    cr_assert(asprintf(&h5, "%s/q.h5", dir) > 0);
    const char *cases[] = {
        "--set population.accounts=2000000 --runs 4",
        "--set population.accounts=1000000 --runs 4 --steps 60 --engine scan --threads 2 "
        "--set venue.partial.mode=fraction --set venue.partial.fraction=0.5",
        "--runs 8 --steps 200000 --set population.accounts=1000 --threads 2",
        "--set population.accounts=1000000 --runs 8 --population",
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *args, *err;
        cr_assert(asprintf(&args, "run %s -o %s --force %s", sc, h5, cases[k]) > 0);
        double rss = run_rss(&err, args), est = estimate_in(err);
#if defined(__SANITIZE_ADDRESS__)
        (void)rss;
        cr_assert_gt(est, 0);
#else
        cr_assert_leq(rss, est, "%s: peak %.1f MiB above the estimate %.1f MiB", cases[k],
                      rss / 1048576, est / 1048576);
        cr_assert_leq(est, 3 * rss + (64 << 20), "%s: estimate %.1f MiB, peak only %.1f MiB",
                      cases[k], est / 1048576, rss / 1048576);
#endif
        free(err);
        free(args);
    }
    free(h5);
    free(sc);
}

/* Run the binary on sc into h5 with extra args, send SIGTERM once .partial
 * exists and `ms` more passed; returns the exit status (-1: still running
 * 30 s after the signal, then killed). */
static int term_during_run(const char *sc, const char *h5, const char *a1, const char *a2, int ms)
{
    char *partial;
    cr_assert(asprintf(&partial, "%s.partial", h5) > 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(LC_BINARY, LC_BINARY, "run", sc, "-o", h5, "--threads", "1", a1, a2, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 3000 && !t_exists(partial); i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
    kill(pid, SIGTERM);
    int status = 0;
    pid_t got = 0;
    for (int i = 0; i < 300 && got == 0; i++) {
        got = waitpid(pid, &status, WNOHANG);
        if (got == 0)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    free(partial);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A signal is seen inside one run, however long: the run in hand is
 * dropped, exit 130, the file kept with status interrupted and no run.
 * Two ways a run is long: 1e8 fast steps (0 accounts: minutes), and 3,000
 * slow ones (the scan engine over a million accounts: seconds), whose run
 * would end normally (exit 0, one run) if the flag were looked at only
 * every few thousand steps or between runs. */
Test(limits, a_long_run_sees_a_signal, .timeout = 300)
{
    char *fast = t_write(dir, "long.yaml",
                         "simulation: {runs: 1, steps: 100000000, dt: 60, seed: 1}\n"
                         "price: {model: gbm, s0: 100, sigma: 0.8}\n"
                         "population: {accounts: 0}\n"
                         "output: {series: []}\n");
    char *slow = t_write(dir, "slow.yaml",
                         "simulation: {runs: 1, steps: 3000, dt: 60, seed: 1}\n"
                         "price: {model: gbm, s0: 100, sigma: 0.2}\n"
                         "population: {accounts: 1000000, notional: {dist: fixed, value: 1000},\n"
                         "             leverage: {dist: fixed, value: 2}}\n"
                         "output: {series: []}\n");
    const char *scs[] = {fast, slow}, *engine[] = {"index", "scan"};
    for (int k = 0; k < 2; k++) {
        char *h5;
        cr_assert(asprintf(&h5, "%s/long%d.h5", dir, k) > 0);
        int rc = term_during_run(scs[k], h5, "--engine", engine[k], 300);
        cr_assert_neq(rc, -1, "%s: still running 30 s after SIGTERM", scs[k]);
        cr_assert_eq(rc, 130, "%s: exit %d", scs[k], rc);
        char *st = t_h5_attr_string(h5, "/", "status");
        cr_assert_str_eq(st, "interrupted");
        cr_assert_eq(t_h5_attr_double(h5, "/", "runs_completed"), 0);
        free(st);
        free(h5);
    }
    free(fast);
    free(slow);
}

/* Events are bounded by what the budget leaves (a batch ends once its
 * runs' events hold a quarter of it, within 16 and 256 MiB): with a budget
 * just above the estimate, the runs and events written are the same as with
 * the default budget, bit for bit, and the peak stays within the estimate
 * (which counts the run in hand's events and the batches' at the bound)
 * and a margin, although the runs record over 60 MiB of events. */
Test(limits, events_bounded_by_the_budget, .timeout = 300)
{
    char *sc = t_write(dir, "ev.yaml",
                       "simulation: {runs: 60, steps: 720, dt: 60, seed: 5}\n"
                       "price: {model: gbm, s0: 100, sigma: 2.0}\n"
                       "impact: {model: linear, depth_1pct: 1.0e7}\n"
                       "population:\n"
                       "  accounts: 20000\n"
                       "  notional: {dist: fixed, value: 1000}\n"
                       "  leverage: {dist: discrete, values: [20, 50, 100], weights: [1, 1, 1]}\n"
                       "  entry: {dist: lognormal, sigma: 0.02}\n"
                       "output: {series: [price]}\n");
    char *free_h5, *bound_h5, *args, *err;
    cr_assert(asprintf(&free_h5, "%s/free.h5", dir) > 0);
    cr_assert(asprintf(&bound_h5, "%s/bound.h5", dir) > 0);
    cr_assert(asprintf(&args, "run %s -o %s --events --threads 2", sc, free_h5) > 0);
    run_rss(&err, args);
    double est = estimate_in(err);
    free(err);
    free(args);
    cr_assert(asprintf(&args, "run %s -o %s --events --threads 2 --max-memory %.0f", sc, bound_h5,
                       est + (8 << 20)) > 0);
    double rss_bound = run_rss(&err, args), est_bound = estimate_in(err);
    free(err);
    free(args);
    const char *cols[] = {
        "events/run",    "events/account", "events/price", "events/step", "runs/liq_notional_long",
        "runs/bad_debt", "series/price",   "events/round"};
    size_t total = 0;
    for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
        double *a, *b;
        size_t da[2], db[2];
        size_t na = t_h5_read(free_h5, cols[k], &a, da), nb = t_h5_read(bound_h5, cols[k], &b, db);
        cr_assert_eq(na, nb, "%s: %zu against %zu values", cols[k], na, nb);
        cr_assert(memcmp(a, b, na * sizeof *a) == 0, "%s differs", cols[k]);
        total += k == 0 ? na : 0;
        free(a);
        free(b);
    }
    cr_assert_gt(total, 600000, "too few events (%zu) for the bound to act", total);
#if !defined(__SANITIZE_ADDRESS__)
    cr_assert_leq(rss_bound, est_bound + (32 << 20), "bounded: peak %.1f MiB, estimate %.1f MiB",
                  rss_bound / 1048576, est_bound / 1048576);
#else
    (void)rss_bound;
    (void)est_bound;
#endif
    free(free_h5);
    free(bound_h5);
    free(sc);
}

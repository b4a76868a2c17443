/* test_faults.c — every HDF5 call of the writer made to fail, and the
 * promises of a failed run kept after each (tests/out/faults.c).
 *
 * liqcascade-faults is liqcascade with the HDF5 calls wrapped. One run with
 * LC_FAULT_COUNT learns how many calls a command makes and the first call of
 * each path to HDF5 (each place that calls it, by each chain of callers);
 * then the command runs once per path with LC_FAULT_AT at that call, in a
 * folder of its own, and must fail as a run fails: the injection happened,
 * exit 1, besides the fault line only messages (printable text), each naming
 * the result file, and nothing left in the folder: no OUT.h5, no .partial.
 * Two runs at a time. LC_FAULT_ALL=1 fails every call instead of each path's
 * first (about 7,000 runs for the two tests: minutes). */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

#define JOBS 2 /* runs at a time */

static char *dir;
static void setup(void)
{
    dir = t_tmpdir();
}
static void teardown(void)
{
    t_rmdir(dir);
}
TestSuite(faults, .init = setup, .fini = teardown);

/* The command line of liqcascade-faults: args (NULL-terminated, with "OUT"
 * for the result file) with OUT replaced by out. */
typedef struct command {
    const char *argv[40];
} command;

static command make_command(const char *const *args, const char *out)
{
    command c = {{LC_FAULT_BINARY}};
    int n = 1;
    for (; args[n - 1] && n < 39; n++)
        c.argv[n] = strcmp(args[n - 1], "OUT") == 0 ? out : args[n - 1];
    c.argv[n] = NULL;
    return c;
}

/* Start the command with env name=value, its stdout and stderr into log. */
static pid_t spawn(const command *c, const char *log, const char *name, const char *value)
{
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        unsetenv("LC_FAULT_AT");
        unsetenv("LC_FAULT_COUNT");
        setenv(name, value, 1);
        execv(c->argv[0], (char *const *)c->argv);
        _exit(127);
    }
    return pid;
}

/* The names in folder d, space-separated ("" when empty); caller frees. */
static char *leftovers(const char *d)
{
    DIR *dp = opendir(d);
    cr_assert(dp, "cannot list %s", d);
    char *names = strdup("");
    for (struct dirent *e; (e = readdir(dp));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *more;
        cr_assert(asprintf(&more, "%s%s ", names, e->d_name) > 0);
        free(names);
        names = more;
    }
    closedir(dp);
    return names;
}

/* Whether log holds the fault line and messages naming out (at least one),
 * nothing else: no HDF5 stack dump, no sanitizer's report (whose exit code
 * is 1 as well). */
static int only_messages(const char *log, const char *out)
{
    int named = 0;
    for (const char *line = log; *line;) {
        size_t len = strcspn(line, "\n");
        char *l = strndup(line, len);
        int fault = strncmp(l, "fault: ", 7) == 0, names = strstr(l, out) != NULL;
        free(l);
        if (!fault && !names)
            return 0;
        named |= !fault;
        line += len + (line[len] == '\n');
    }
    return named;
}

/* The checks of the run with the fault at call k, in folder <dir>/<k> with
 * output in <dir>/<k>.log; the function that failed goes to fn. */
static void check_failed_run(long k, int status, char *fn, size_t fn_size)
{
    char *d, *log_path, *out;
    cr_assert(asprintf(&d, "%s/%ld", dir, k) > 0 && asprintf(&log_path, "%s.log", d) > 0 &&
              asprintf(&out, "%s/out.h5", d) > 0);
    char *log = t_read_file(log_path);
    char want[64];
    snprintf(want, sizeof want, "fault: injected at call %ld (", k);
    const char *at = strstr(log, want);
    cr_assert(at, "call %ld: no fault was injected:\n%s", k, log);
    snprintf(fn, fn_size, "%.*s", (int)strcspn(at + strlen(want), ")"), at + strlen(want));
    cr_assert(WIFEXITED(status), "fault at call %ld (%s): killed by signal %d:\n%s", k, fn,
              WTERMSIG(status), log);
    cr_assert_eq(WEXITSTATUS(status), 1, "fault at call %ld (%s): exit %d, expected 1:\n%s", k, fn,
                 WEXITSTATUS(status), log);
    for (const char *c = log; *c; c++)
        cr_assert(isprint((unsigned char)*c) || *c == '\n',
                  "fault at call %ld (%s): the message is not printable text:\n%s", k, fn, log);
    cr_assert(only_messages(log, out), "fault at call %ld (%s): not just messages naming %s:\n%s",
              k, fn, out, log);
    char *left = leftovers(d);
    cr_assert_str_eq(left, "", "fault at call %ld (%s): left behind: %s\n%s", k, fn, left, log);
    free(left);
    cr_assert(rmdir(d) == 0 && unlink(log_path) == 0);
    free(log);
    free(out);
    free(log_path);
    free(d);
}

/* A running injection. */
typedef struct job {
    pid_t pid;
    long k;
} job;

static void start(job *j, long k, const char *const *args)
{
    char *d, *log, *out, at[32];
    cr_assert(asprintf(&d, "%s/%ld", dir, k) > 0 && asprintf(&log, "%s.log", d) > 0 &&
              asprintf(&out, "%s/out.h5", d) > 0);
    cr_assert(mkdir(d, 0755) == 0, "cannot make %s", d);
    command c = make_command(args, out);
    snprintf(at, sizeof at, "%ld", k);
    j->pid = spawn(&c, log, "LC_FAULT_AT", at);
    j->k = k;
    free(out);
    free(log);
    free(d);
}

/* Run args once counting the HDF5 calls (it must succeed), then once with
 * the fault at the first call of each path (every call with LC_FAULT_ALL),
 * each checked. Returns the file the first run wrote; the functions made to
 * fail go to *failed as " F1 F2 ... " (both: caller frees). */
static char *inject_each(const char *const *args, long min_calls, char **failed)
{
    char *d, *log_path, *out;
    cr_assert(asprintf(&d, "%s/count", dir) > 0 && asprintf(&log_path, "%s.log", d) > 0 &&
              asprintf(&out, "%s/out.h5", d) > 0);
    cr_assert(mkdir(d, 0755) == 0);
    command c = make_command(args, out);
    int status;
    waitpid(spawn(&c, log_path, "LC_FAULT_COUNT", "1"), &status, 0);
    char *log = t_read_file(log_path);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the run without faults failed:\n%s",
              log);
    long calls = 0;
    const char *line = strstr(log, "fault: ");
    cr_assert(line && sscanf(line, "fault: %ld calls", &calls) == 1, "no call count:\n%s", log);
    cr_assert_gt(calls, min_calls, "only %ld HDF5 calls: are they wrapped?", calls);
    const char *paths = strstr(log, "fault: paths:");
    cr_assert(paths, "no paths:\n%s", log);
    paths += strlen("fault: paths:");
    long *ks = malloc((size_t)calls * sizeof *ks), nk = 0;
    cr_assert(ks);
    if (getenv("LC_FAULT_ALL")) {
        for (long k = 1; k <= calls; k++)
            ks[nk++] = k;
    } else {
        for (char *end; nk < calls; paths = end) {
            long k = strtol(paths, &end, 10);
            if (end == paths)
                break;
            cr_assert(k >= 1 && k <= calls && (nk == 0 || k > ks[nk - 1]));
            ks[nk++] = k;
        }
    }
    cr_assert_gt(nk, 0);
    cr_assert_eq(ks[nk - 1], calls, "the last call (closing the file) is a path of its own");
    free(log);
    free(log_path);
    free(d);

    *failed = strdup(" ");
    job running[JOBS];
    int n = 0;
    for (long next = 0; next < nk || n > 0;) {
        while (n < JOBS && next < nk)
            start(&running[n++], ks[next++], args);
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        cr_assert(pid > 0, "waitpid failed");
        int i = 0;
        while (i < n && running[i].pid != pid)
            i++;
        cr_assert(i < n, "an unknown child %ld ended", (long)pid);
        char fn[64];
        check_failed_run(running[i].k, st, fn, sizeof fn);
        running[i] = running[--n];
        char word[80];
        snprintf(word, sizeof word, " %s ", fn);
        if (!strstr(*failed, word)) {
            char *more;
            cr_assert(asprintf(&more, "%s%s ", *failed, fn) > 0);
            free(*failed);
            *failed = more;
        }
    }
    free(ks);
    return out;
}

/* Two markets, accounts that span them (/population/legs), liquidations
 * (/events), every series. */
Test(faults, every_failure_of_run_fails_the_run_and_leaves_nothing)
{
    char *sc = t_write(dir, "run.yaml",
                       "simulation: {runs: 5, steps: 40, dt: 60, seed: 3}\n"
                       "markets:\n"
                       "  - {name: BTC, price: {model: gbm, s0: 60000, sigma: 3.0},\n"
                       "     impact: {model: linear, depth_1pct: 1.0e6}}\n"
                       "  - {name: ETH, price: {model: gbm, s0: 3000, sigma: 3.0},\n"
                       "     impact: {model: none}}\n"
                       "population:\n"
                       "  accounts: 200\n"
                       "  markets: {BTC: 0.5, ETH: 0.5}\n"
                       "  notional: {dist: lognormal, median: 20000, sigma: 1.0}\n"
                       "  leverage: {dist: discrete, values: [20, 50], weights: [1, 1]}\n"
                       "  kinds:\n"
                       "    isolated: {weight: 0.8}\n"
                       "    cross: {weight: 0.2, positions_min: 2, positions_max: 2}\n"
                       "venue: {insurance_fund: 1000}\n");
    /* batches of 2 runs: /runs, /series and /events grow three times */
    const char *args[] = {"run", sc,        "-o", "OUT",      "-q",           "--threads",
                          "1",   "--batch", "2",  "--events", "--population", NULL};
    char *failed;
    char *h5 = inject_each(args, 1000, &failed);
    /* the run without faults wrote every table the failures were tried on */
    double *v;
    size_t dims[2];
    cr_assert_gt(t_h5_read(h5, "events/account", &v, dims), 0, "no liquidations: no /events rows");
    free(v);
    cr_assert_gt(t_h5_read(h5, "population/legs/account", &v, dims), 0, "no accounts span markets");
    free(v);
    free(failed);
    free(h5);
    free(sc);
}

/* The sweep writes /points with a number and a text column; its series rows
 * are long enough (8,193 columns) for chunks of 7 rows, so the first batch of
 * 7 runs goes in as chunks compressed ahead (H5Dwrite_chunk) and the second,
 * of 1, through HDF5's filter. One market, to keep the 65,536 steps cheap.
 * Every wrapped function is made to fail. */
Test(faults, every_failure_of_a_sweep_fails_it_and_leaves_nothing)
{
    char *sc = t_write(dir, "sweep.yaml",
                       "simulation: {runs: 4, steps: 8192, dt: 1, seed: 3}\n"
                       "price: {model: gbm, s0: 100, sigma: 3.0}\n"
                       "impact: {model: linear, depth_1pct: 1.0e5}\n"
                       "population:\n"
                       "  accounts: 100\n"
                       "  notional: {dist: lognormal, median: 2000, sigma: 1.0}\n"
                       "  leverage: {dist: discrete, values: [20, 50], weights: [1, 1]}\n"
                       "venue: {insurance_fund: 1000}\n"
                       "output: {every: 1, series: [price, insurance]}\n");
    const char *args[] = {"sweep",
                          sc,
                          "-o",
                          "OUT",
                          "-q",
                          "--threads",
                          "1",
                          "--batch",
                          "7",
                          "--events",
                          "--population",
                          "--vary",
                          "venue.liquidation_fee=0.005,0.01",
                          "--vary",
                          "price.model=gbm",
                          NULL};
    char *failed;
    char *h5 = inject_each(args, 1000, &failed);
    double *v;
    size_t dims[2];
    cr_assert_eq(t_h5_read(h5, "points/venue.liquidation_fee", &v, dims), 2);
    free(v);
    char *fns = strdup(LC_FAULT_FUNCTIONS);
    for (char *save, *fn = strtok_r(fns, " ", &save); fn; fn = strtok_r(NULL, " ", &save)) {
        char word[80];
        snprintf(word, sizeof word, " %s ", fn);
        cr_expect(strstr(failed, word), "%s was never made to fail (failed:%s)", fn, failed);
    }
    free(fns);
    free(failed);
    free(h5);
    free(sc);
}

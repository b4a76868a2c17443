/* support.h — helpers shared by the tests: scenarios from text, temporary
 * folders, running the CLI, reading HDF5 datasets back. */
#ifndef LC_TEST_SUPPORT_H
#define LC_TEST_SUPPORT_H

#include <stddef.h>
#include <stdio.h>

#include "book/population.h"
#include "scenario/scenario.h"

/* Parse a scenario from text; fails the test with the errors if invalid. */
lc_scenario *t_scenario(const char *text);

/* Parse expecting failure; returns the error text (static buffer). */
const char *t_scenario_errors(const char *text, const char *const *sets, int nsets);

/* A fresh temporary folder (removed by t_rmdir). */
char *t_tmpdir(void);
void t_rmdir(char *dir);

/* Write text to dir/name; returns the path (caller frees). */
char *t_write(const char *dir, const char *name, const char *text);

/* Run the liqcascade binary with a shell command line (arguments after the
 * program name); stdout+stderr are captured into *output (caller frees).
 * Returns the exit code. */
int t_cli(char **output, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* t_cli within limits: the binary is killed after `seconds` (exit code 137)
 * and, outside AddressSanitizer builds (whose shadow memory needs the
 * address space), may map at most mem_mb MiB (beyond, its allocations fail). */
int t_cli_bounded(char **output, int seconds, long mem_mb, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

int t_exists(const char *path);

/* The whole of stream f / of file path, NUL-terminated (caller frees); the
 * test fails when the file cannot be opened. */
char *t_read_stream(FILE *f);
char *t_read_file(const char *path);

/* Fails the test unless text contains needle, showing the text. */
#define assert_has(text, needle)                                                                   \
    cr_assert(strstr(text, needle), "expected \"%s\" in:\n%s", needle, text)

/* Run run `run` of sc over pop once with each engine (index, scan), events
 * on; the two must agree bit for bit (row and events). The index run's row
 * and events are returned (the caller frees *ev with lc_eventbuf_free). */
struct lc_run_row;
struct lc_eventbuf;
void t_run_both(const lc_scenario *sc, const lc_population *pop, long run, struct lc_run_row *row,
                struct lc_eventbuf *ev);
/* Run `run` of sc over pop on scratch s (made with events on), its series
 * discarded: the row and events (ev starts empty; the caller frees it). The
 * scratch's book then holds the run's end state. */
struct lc_scratch;
void t_run_on(const lc_scenario *sc, const lc_population *pop, struct lc_scratch *s, long run,
              struct lc_run_row *row, struct lc_eventbuf *ev);

/* Read a whole 1-D or 2-D dataset as doubles (converted by HDF5); returns
 * element count, fills dims[0..1] (dims[1] = 1 for 1-D). Caller frees *out. */
size_t t_h5_read(const char *file, const char *dataset, double **out, size_t dims[2]);

/* Sum of a whole dataset's values (e.g. liquidations over all runs). */
double t_h5_sum(const char *file, const char *dataset);

/* Read a string attribute of an object ("/" for the root); caller frees. */
char *t_h5_attr_string(const char *file, const char *object, const char *attr);
double t_h5_attr_double(const char *file, const char *object, const char *attr);

/* The mean of x[0..n) and its standard error, sqrt(sample variance / n):
 * for per-run values (independent runs, or runs as batches of steps). */
void t_mean_se(const double *x, long n, double *mean, double *se);

/* GBM (drift mu, volatility sigma, per year) from s0: the probability that
 * its continuously monitored path reaches h within t years (the reflection
 * closed form). Monitored at steps of dt, the barrier h·e^(∓T_BGK_BETA·sigma·
 * sqrt(dt)), shifted away from s0, gives the discrete probability to O(dt)
 * (Broadie, Glasserman & Kou 1997). */
#define T_BGK_BETA 0.5825971579390106 /* −ζ(1/2)/√(2π) */
double t_gbm_hit_probability(double s0, double h, double mu, double sigma, double t);

#endif

/* bootstrap.c — stationary block bootstrap of a returns file (Politis & Romano 1994).
 *
 * The path replays blocks of a given series of log-returns x_0 .. x_{n−1}:
 * step 1 starts at a uniformly drawn index I; at every later step, with
 * probability p = 1/mean_block_length a new block starts at a fresh uniform
 * index, otherwise I advances to I + 1, wrapping from n − 1 to 0 (the series
 * is read as a circle). Block lengths are geometric with mean 1/p, so the
 * resampled returns are strictly stationary, each with the empirical
 * distribution of the file (mean, variance, tails exactly those of the data),
 * and dependence within blocks is kept: for any function h,
 *   Corr(h(r_t), h(r_{t+1})) = (1 − p)·ρ̂_h(1),
 * ρ̂_h(1) the circular lag-1 autocorrelation of h(x) in the file. Block
 * length 1 is the iid bootstrap; long blocks keep volatility clustering.
 *
 * Conventions:
 * - The file is CSV: '#' starts a comment, the first other line is a header
 *   that names a column `log_return` (other columns are ignored), then one
 *   per-step log-return per line. It is read once when the scenario is loaded
 *   and shared read-only by every run; a run keeps only its index.
 * - `interval` is the data's own step in seconds and must equal simulation.dt:
 *   returns are not rescaled to another step (volatility would scale with
 *   sqrt(dt) only for iid returns; blocks carry their own dependence), so a
 *   mismatch is an error rather than a silent change of units.
 * - The returns are used as given: no demeaning. Drift comes with the data.
 *
 * Draws per step: one uniform (restart?), plus one uniform index on a restart.
 * Reference: D. N. Politis & J. P. Romano (1994), "The stationary bootstrap",
 * J. Amer. Statist. Assoc. 89, 1303–1313. */
#include "models/model.h"

#include <errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

enum { FILE_, MEAN_BLOCK_LENGTH, INTERVAL };

static const lc_param bootstrap_params[] = {
    [FILE_] = {"file", "path", LC_PATH, LC_REQUIRED, 0, 0, 0, 0,
               "CSV with a column log_return: one log-return per interval"},
    [MEAN_BLOCK_LENGTH] = {"mean_block_length", "steps", LC_REAL, 10.0, 1, 1e9, 0, 0,
                           "mean length of the resampled blocks (1: iid resampling)"},
    [INTERVAL] = {"interval", "s", LC_REAL, LC_REQUIRED, 0, 1e9, 1, 0,
                  "time between the file's returns; must equal simulation.dt"},
};

/* The series, shared read-only by every run. */
typedef struct bootstrap_data {
    long n;
    double *x;
} bootstrap_data;

typedef struct {
    const bootstrap_data *d;
    double p_new; /* probability that a step starts a new block */
    long i;       /* index of the last return used; −1 before step 1 */
} bootstrap_state;

/* Split line at commas in place; fields are trimmed. Returns their count. */
static int split(char *line, char **fields, int max)
{
    int nf = 0;
    for (char *s = line; nf < max;) {
        size_t len = strcspn(s, ",");
        char *next = s[len] ? s + len + 1 : NULL;
        s[len] = '\0';
        s += strspn(s, " \t");
        for (char *e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        fields[nf++] = s;
        if (!next)
            break;
        s = next;
    }
    return nf;
}

/* Read the log_return column of f (opened from path) into d and close f;
 * errors name path:line. */
static int read_returns(FILE *f, const char *path, bootstrap_data *d, lc_error *err)
{
    long cap = 0;
    int lineno = 0, col = -1, rc = 0;
    char line[4096], *fields[64];
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = lc_error_at(err, path, lineno, NULL, "line longer than %d bytes",
                             (int)sizeof line - 2);
            break;
        }
        line[strcspn(line, "\r\n#")] = '\0';
        if (!line[strspn(line, " \t,")])
            continue;
        int nf = split(line, fields, LC_COUNT(fields));
        if (col < 0) { /* the header */
            for (int k = 0; k < nf && col < 0; k++)
                if (strcmp(fields[k], "log_return") == 0)
                    col = k;
            if (col < 0)
                rc = lc_error_at(err, path, lineno, NULL, "header must name a column 'log_return'");
            continue;
        }
        const char *field = col < nf ? fields[col] : "";
        char *end;
        double v = strtod(field, &end);
        if (!*field || *end || !isfinite(v)) {
            rc = lc_error_at(err, path, lineno, "log_return", "must be a number (got '%s')", field);
            break;
        }
        if (d->n == cap) {
            long c2 = cap ? cap * 2 : 1024;
            double *x = realloc(d->x, (size_t)c2 * sizeof *x);
            if (!x) {
                rc = lc_error_add(err, "out of memory reading %s", path);
                break;
            }
            d->x = x;
            cap = c2;
        }
        d->x[d->n++] = v;
    }
    if (rc == 0 && ferror(f))
        rc = lc_error_at(err, path, 0, NULL, "read error");
    fclose(f);
    if (rc == 0 && d->n == 0)
        rc = lc_error_at(err, path, 0, NULL,
                         "no returns: expected a header naming 'log_return', then one "
                         "return per line");
    return rc;
}

static void bootstrap_release(void *data)
{
    bootstrap_data *d = data;
    if (d)
        free(d->x);
    free(d);
}

static int bootstrap_prepare(const lc_price_setup *su, void **data, lc_error *err)
{
    const double *p = su->c->p;
    if (p[INTERVAL] != su->dt_s) {
        const char *src = NULL;
        int line = 0;
        su->locate(su->ctx, INTERVAL, -1, &src, &line);
        return lc_error_at(err, src, line, "price.interval",
                           "the returns are %g s apart but simulation.dt is %g s: resample "
                           "the file to dt (returns are not rescaled)",
                           p[INTERVAL], su->dt_s);
    }
    FILE *f = fopen(su->c->path, "r");
    if (!f) {
        const char *src = NULL;
        int line = 0;
        su->locate(su->ctx, FILE_, -1, &src, &line);
        return lc_error_at(err, src, line, "price.file", "cannot open '%s': %s", su->c->path,
                           strerror(errno));
    }
    bootstrap_data *d = calloc(1, sizeof *d);
    if (!d) {
        fclose(f);
        return lc_error_add(err, "out of memory");
    }
    if (read_returns(f, su->c->path, d, err)) {
        bootstrap_release(d);
        return -1;
    }
    *data = d;
    return 0;
}

static void bootstrap_init(void *state, const double *p, double s0, double dt_s, const void *data)
{
    (void)s0;
    (void)dt_s;
    bootstrap_state *s = state;
    s->d = data;
    s->p_new = 1.0 / p[MEAN_BLOCK_LENGTH];
    s->i = -1;
}

static double bootstrap_step(void *state, const double *p, long t, const lc_draws *d)
{
    (void)p;
    (void)t;
    bootstrap_state *s = state;
    long n = s->d->n;
    /* p_new = 1 restarts at every step without a draw for the decision */
    /* no innovation z: blocks start from the stream every market reads alike,
     * so bootstrap markets with equal block lengths and files of equal length
     * resample the same dates (their historical co-movement) */
    if (s->i < 0 || s->p_new >= 1.0 || gsl_rng_uniform(d->common) < s->p_new)
        s->i = (long)gsl_rng_uniform_int(d->common, (unsigned long)n);
    else if (++s->i == n)
        s->i = 0;
    return s->d->x[s->i];
}

const lc_price_model lc_price_bootstrap = {
    .d = {"bootstrap",
          "stationary block bootstrap (Politis-Romano) of a CSV of per-step log-returns",
          bootstrap_params, LC_COUNT(bootstrap_params), NULL},
    .no_innovation = 1,
    .state_size = sizeof(bootstrap_state),
    .prepare = bootstrap_prepare,
    .release = bootstrap_release,
    .init = bootstrap_init,
    .step = bootstrap_step,
};

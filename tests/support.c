/* support.c — see support.h. */
#define _GNU_SOURCE /* mkdtemp, vasprintf */
#include "support.h"

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "out/record.h"

lc_scenario *t_scenario(const char *text)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("test.yaml", text, NULL, 0, &err);
    cr_assert(sc != NULL, "scenario rejected:\n%s", err.msg);
    return sc;
}

const char *t_scenario_errors(const char *text, const char *const *sets, int nsets)
{
    static lc_error err;
    lc_error_clear(&err);
    lc_scenario *sc = lc_scenario_parse("test.yaml", text, sets, nsets, &err);
    cr_assert(sc == NULL, "scenario accepted but should fail:\n%s", text);
    cr_assert(err.count > 0);
    return err.msg;
}

char *t_tmpdir(void)
{
    char *d = strdup("/tmp/lc-test-XXXXXX");
    cr_assert(d && mkdtemp(d), "mkdtemp failed");
    return d;
}

void t_rmdir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
    free(dir);
}

char *t_write(const char *dir, const char *name, const char *text)
{
    char *path;
    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Run the shell command cmd (freed), its output into *output (or
 * dropped); its exit code, or 128 + the signal that ended it. */
char *t_read_stream(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    for (size_t got; (got = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += got;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            cr_assert(bigger, "out of memory reading a stream");
            buf = bigger;
        }
    }
    buf[len] = '\0';
    return buf;
}

char *t_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot read %s", path);
    char *text = t_read_stream(f);
    fclose(f);
    return text;
}

static int run_shell(char **output, char *cmd)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p, "popen failed: %s", cmd);
    char *buf = t_read_stream(p);
    int status = pclose(p);
    free(cmd);
    if (output)
        *output = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int t_cli(char **output, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *args;
    cr_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    char *cmd;
    cr_assert(asprintf(&cmd, "%s %s 2>&1", LC_BINARY, args) > 0);
    free(args);
    return run_shell(output, cmd);
}

int t_cli_bounded(char **output, int seconds, long mem_mb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *args;
    cr_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    char limit[64] = "";
#if !defined(__SANITIZE_ADDRESS__)
    snprintf(limit, sizeof limit, "ulimit -v %ld && ", mem_mb * 1024);
#endif
    char *cmd;
    cr_assert(asprintf(&cmd, "%sexec timeout -s KILL %d %s %s 2>&1", limit, seconds, LC_BINARY,
                       args) > 0);
    free(args);
    return run_shell(output, cmd);
}

int t_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

size_t t_h5_read(const char *file, const char *dataset, double **out, size_t dims[2])
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0, "cannot open %s", file);
    hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
    cr_assert(d >= 0, "%s: no dataset %s", file, dataset);
    hid_t s = H5Dget_space(d);
    hsize_t dd[3] = {0, 1, 1};
    int rank = H5Sget_simple_extent_ndims(s);
    cr_assert(rank >= 1 && rank <= 3);
    H5Sget_simple_extent_dims(s, dd, NULL);
    if (rank == 1)
        dd[1] = 1;
    if (rank == 3) /* [row, market, time]: each row's markets side by side */
        dd[1] *= dd[2];
    size_t n = (size_t)(dd[0] * dd[1]);
    *out = malloc((n ? n : 1) * sizeof **out);
    if (n)
        cr_assert(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0);
    dims[0] = (size_t)dd[0];
    dims[1] = (size_t)dd[1];
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
    return n;
}

char *t_h5_attr_string(const char *file, const char *object, const char *attr)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0, "cannot open %s", file);
    hid_t a = H5Aopen_by_name(f, object, attr, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0, "%s: no attribute %s on %s", file, attr, object);
    hid_t t = H5Aget_type(a);
    cr_assert(H5Tget_class(t) == H5T_STRING, "%s.%s is not a string", object, attr);
    char *value;
    if (H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        cr_assert(H5Aread(a, mt, &v) >= 0);
        value = strdup(v ? v : "");
        H5free_memory(v);
        H5Tclose(mt);
    } else {
        size_t n = H5Tget_size(t);
        value = calloc(n + 1, 1);
        cr_assert(H5Aread(a, t, value) >= 0);
    }
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(f);
    return value;
}

double t_h5_attr_double(const char *file, const char *object, const char *attr)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0, "cannot open %s", file);
    hid_t a = H5Aopen_by_name(f, object, attr, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0, "%s: no attribute %s on %s", file, attr, object);
    double v = 0;
    cr_assert(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    return v;
}

double t_h5_sum(const char *file, const char *dataset)
{
    double *v, total = 0;
    size_t dims[2], n = t_h5_read(file, dataset, &v, dims);
    for (size_t i = 0; i < n; i++)
        total += v[i];
    free(v);
    return total;
}

double t_gbm_hit_probability(double s0, double h, double mu, double sigma, double t)
{
    double nu = mu - 0.5 * sigma * sigma, b = log(h / s0), sd = sigma * sqrt(t);
    double reflect = exp(2 * nu * b / (sigma * sigma));
    if (b < 0)
        return gsl_cdf_ugaussian_P((b - nu * t) / sd) +
               reflect * gsl_cdf_ugaussian_P((b + nu * t) / sd);
    return gsl_cdf_ugaussian_P((nu * t - b) / sd) +
           reflect * gsl_cdf_ugaussian_P((-b - nu * t) / sd);
}

void t_mean_se(const double *x, long n, double *mean, double *se)
{
    double s = 0, ss = 0;
    for (long i = 0; i < n; i++)
        s += x[i];
    *mean = s / n;
    for (long i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *se = sqrt(ss / (n - 1) / n);
}

void t_run_on(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long run,
              lc_run_row *row, lc_eventbuf *ev)
{
    long cols = lc_scenario_series_cols(sc) * sc->nmarkets;
    float *series[LC_SERIES_N];
    for (int k = 0; k < LC_SERIES_N; k++)
        series[k] = calloc((size_t)cols, sizeof(float));
    memset(ev, 0, sizeof *ev);
    lc_error err = {0};
    cr_assert_eq(lc_engine_run(sc, pop, s, 0, run, row, series, ev, &err), 0, "%s", err.msg);
    for (int k = 0; k < LC_SERIES_N; k++)
        free(series[k]);
}

void t_run_both(const lc_scenario *sc, const lc_population *pop, long run, lc_run_row *row,
                lc_eventbuf *ev)
{
    lc_run_row rows[2];
    lc_eventbuf evs[2];
    for (int kind = 0; kind < 2; kind++) {
        lc_scratch *s = lc_scratch_create(sc, pop, kind ? LC_ENGINE_SCAN : LC_ENGINE_INDEX, 1);
        cr_assert_not_null(s);
        t_run_on(sc, pop, s, run, &rows[kind], &evs[kind]);
        lc_scratch_free(s);
    }
    /* index and scan: the same row and events */
    cr_assert(memcmp(&rows[0], &rows[1], sizeof rows[0]) == 0, "index and scan: rows differ");
    cr_assert_eq(evs[0].n, evs[1].n);
    cr_assert(evs[0].n == 0 || memcmp(evs[0].v, evs[1].v, (size_t)evs[0].n * sizeof *evs[0].v) == 0,
              "index and scan: events differ");
    lc_eventbuf_free(&evs[1]);
    *row = rows[0];
    *ev = evs[0];
}

/* info.c — `liqcascade info`: what a result file holds, in a few lines.
 *
 * This only reads HDF5; writer.c stays the one place that writes it. It trusts
 * nothing: a file without format = "liqcascade" is refused, and a missing
 * attribute prints as "?" rather than being assumed. Columns are listed in
 * schema order (the `columns` attribute, else link creation order, else by
 * name), so the listing reads like docs/schema.md. Column statistics read
 * whole columns, which is fine for files that fit in memory several times
 * over; chunked reading can come when files outgrow that. */
#include <errno.h>
#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/info.h"
#include "out/metrics.h"
#include "out/writer.h"

#define PATH_W 30   /* "/population/bankruptcy_price" fits */
#define DESC_MAX 60 /* longer descriptions are cut: this is a summary */

/* A string attribute, or NULL (caller frees). */
static char *read_str(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    char *out = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t));
            if (H5Aread(a, mt, &v) >= 0 && v)
                out = strdup(v);
            H5free_memory(v);
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            out = calloc(n + 1, 1);
            if (out && H5Aread(a, t, out) < 0) {
                free(out);
                out = NULL;
            }
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return out;
}

/* A numeric attribute converted to `type` into v; 0, or -1 if absent. */
static int read_num(hid_t obj, const char *name, hid_t type, void *v)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    int rc = H5Aread(a, type, v) >= 0 ? 0 : -1;
    H5Aclose(a);
    return rc;
}

/* An int64 attribute printed into buf, or "?". */
static const char *int_attr(hid_t obj, const char *name, char *buf, size_t size)
{
    int64_t v;
    if (read_num(obj, name, H5T_NATIVE_INT64, &v) == 0)
        snprintf(buf, size, "%" PRId64, v);
    else
        snprintf(buf, size, "?");
    return buf;
}

/* The name of member i of group g in schema order (see the top comment). */
static int member_name(hid_t g, hsize_t i, char *name, size_t size)
{
    if (H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name, size, H5P_DEFAULT) >=
        0)
        return 0;
    return H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, size, H5P_DEFAULT) >= 0
               ? 0
               : -1;
}

/* One dataset line: path, shape, units, description. */
static void print_dataset(FILE *out, hid_t d, const char *path)
{
    hid_t s = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    char shape[64];
    if (rank == 1 || rank == 2)
        H5Sget_simple_extent_dims(s, dims, NULL);
    if (rank == 2)
        snprintf(shape, sizeof shape, "%llu x %llu", (unsigned long long)dims[0],
                 (unsigned long long)dims[1]);
    else if (rank == 1)
        snprintf(shape, sizeof shape, "%llu", (unsigned long long)dims[0]);
    else
        snprintf(shape, sizeof shape, rank == 0 ? "scalar" : "?");
    char *units = read_str(d, "units"), *desc = read_str(d, "description");
    const char *dd = desc ? desc : "";
    int cut = (int)strlen(dd) > DESC_MAX;
    fprintf(out, "  %-*s %-12s %-11s %.*s%s\n", PATH_W, path, shape, units ? units : "?",
            cut ? DESC_MAX - 3 : DESC_MAX, dd, cut ? "..." : "");
    free(units);
    free(desc);
    if (s >= 0)
        H5Sclose(s);
}

/* Every dataset of group `name`, one line each. */
static void list_group(FILE *out, hid_t file, const char *name)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return;
    hid_t g = H5Gopen2(file, name, H5P_DEFAULT);
    H5G_info_t gi;
    if (g >= 0 && H5Gget_info(g, &gi) >= 0) {
        for (hsize_t i = 0; i < gi.nlinks; i++) {
            char member[256], path[300];
            if (member_name(g, i, member, sizeof member))
                continue;
            hid_t d = H5Dopen2(g, member, H5P_DEFAULT);
            if (d < 0)
                continue;
            snprintf(path, sizeof path, "/%s/%s", name, member);
            print_dataset(out, d, path);
            H5Dclose(d);
        }
    }
    if (g >= 0)
        H5Gclose(g);
}

/* mean, min and max of a 1-D numeric dataset, read whole */
/* A whole 1-D dataset as doubles (n elements; an empty one gives a buffer
 * of one), or NULL when it is not 1-D or not numeric. */
static double *read_doubles(hid_t d, hsize_t *n)
{
    hid_t s = H5Dget_space(d);
    double *v = NULL;
    if (s >= 0 && H5Sget_simple_extent_ndims(s) == 1 &&
        H5Sget_simple_extent_dims(s, n, NULL) >= 0) {
        v = malloc((*n ? *n : 1) * sizeof *v);
        if (v && *n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
            free(v);
            v = NULL;
        }
    }
    if (s >= 0)
        H5Sclose(s);
    return v;
}

/* The same by path, or NULL when it does not exist. */
static double *read_column(hid_t file, const char *path, hsize_t *n)
{
    hid_t d = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Dopen2(file, path, H5P_DEFAULT) : -1;
    if (d < 0)
        return NULL;
    double *v = read_doubles(d, n);
    H5Dclose(d);
    return v;
}

static int column_stats(hid_t d, double *mean, double *lo, double *hi)
{
    hsize_t n = 0;
    double *v = read_doubles(d, &n);
    if (!v)
        return -1;
    double sum = 0;
    *lo = n ? INFINITY : NAN;
    *hi = n ? -INFINITY : NAN;
    for (hsize_t i = 0; i < n; i++) {
        sum += v[i];
        *lo = fmin(*lo, v[i]);
        *hi = fmax(*hi, v[i]);
    }
    *mean = n ? sum / (double)n : NAN;
    free(v);
    return 0;
}

/* /runs as a table: one line per column with units, mean, min, max. */
static void runs_table(FILE *out, hid_t file)
{
    if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0)
        return;
    hid_t g = H5Gopen2(file, "runs", H5P_DEFAULT);
    if (g < 0)
        return;
    char *order = read_str(g, "columns"), *save = NULL;
    H5G_info_t gi = {0};
    H5Gget_info(g, &gi);
    char rows[32] = "?";
    int header = 0;
    char *next = order ? strtok_r(order, ",", &save) : NULL;
    for (hsize_t i = 0; order ? next != NULL : i < gi.nlinks; i++) {
        char member[256];
        if (order) {
            snprintf(member, sizeof member, "%s", next);
            next = strtok_r(NULL, ",", &save);
        } else if (member_name(g, i, member, sizeof member)) {
            continue;
        }
        hid_t d = H5Lexists(g, member, H5P_DEFAULT) > 0 ? H5Dopen2(g, member, H5P_DEFAULT) : -1;
        if (d < 0) {
            fprintf(out, "  %-*s (missing)\n", PATH_W - 2, member);
            continue;
        }
        if (!header) { /* the row count of the first column stands for all */
            hid_t s = H5Dget_space(d);
            hsize_t n;
            if (s >= 0 && H5Sget_simple_extent_ndims(s) == 1 &&
                H5Sget_simple_extent_dims(s, &n, NULL) >= 0)
                snprintf(rows, sizeof rows, "%llu", (unsigned long long)n);
            if (s >= 0)
                H5Sclose(s);
            fprintf(out, "\n/runs: %s rows x %llu columns\n", rows, (unsigned long long)gi.nlinks);
            fprintf(out, "  %-*s %-11s %12s %12s %12s\n", PATH_W - 2, "column", "units", "mean",
                    "min", "max");
            header = 1;
        }
        double mean, lo, hi;
        char *units = read_str(d, "units");
        if (column_stats(d, &mean, &lo, &hi) == 0)
            fprintf(out, "  %-*s %-11s %12.6g %12.6g %12.6g\n", PATH_W - 2, member,
                    units ? units : "?", mean, lo, hi);
        else
            fprintf(out, "  %-*s %-11s (not a numeric column)\n", PATH_W - 2, member,
                    units ? units : "?");
        free(units);
        H5Dclose(d);
    }
    free(order);
    H5Gclose(g);
}

enum { C_POINT, C_RUN, C_BAD, C_LL, C_LS, C_DD, C_EXO, C_INS, C_ADL, C_ROUNDS, C_TRUNC, NCOL };
static const char *const metric_cols[NCOL] = {"runs/point",
                                              "runs/run",
                                              "runs/bad_debt",
                                              "runs/liq_notional_long",
                                              "runs/liq_notional_short",
                                              "runs/max_drawdown",
                                              "runs/exo_drawdown",
                                              "runs/insurance_min",
                                              "runs/adl_count",
                                              "runs/max_rounds",
                                              "runs/truncated"};

/* Per /runs row: distinct steps with a liquidation in round >= 2, from
 * /events (rows in /runs order, steps increasing within a run). */
static double *cascade_steps(hid_t f, const double *point, const double *run, hsize_t rows,
                             int64_t runs)
{
    static const char *const ec[4] = {"events/point", "events/run", "events/step", "events/round"};
    double *e[4] = {0};
    hsize_t n = 0, m;
    int ok = 1;
    for (int k = 0; k < 4 && ok; k++) {
        ok = (e[k] = read_column(f, ec[k], &m)) != NULL && (k == 0 || m == n);
        n = m;
    }
    double *casc = ok ? calloc(rows ? rows : 1, sizeof *casc) : NULL;
    /* the /runs row of (point, run): point·runs + run when complete; search
     * the rows present otherwise (they are a prefix) */
    double *last = casc ? malloc((rows ? rows : 1) * sizeof *last) : NULL;
    for (hsize_t i = 0; last && i < rows; i++)
        last[i] = -1;
    for (hsize_t i = 0; last && i < n; i++) {
        if (!(e[3][i] >= 2))
            continue;
        double row = e[0][i] * (double)runs + e[1][i];
        if (!(row >= 0 && row < (double)rows) || point[(hsize_t)row] != e[0][i] ||
            run[(hsize_t)row] != e[1][i])
            continue; /* an event of a row not written */
        hsize_t r = (hsize_t)row;
        if (last[r] != e[2][i]) {
            casc[r]++;
            last[r] = e[2][i];
        }
    }
    if (!last) {
        free(casc);
        casc = NULL;
    }
    free(last);
    for (int k = 0; k < 4; k++)
        free(e[k]);
    return casc;
}

/* The metric table of every point (docs/analysis.md). */
static int compute_metrics(hid_t f, lc_metric **rows, long *nrows, int *with_events, lc_error *err,
                           const char *path)
{
    int64_t points = 0, runs = 0;
    if (read_num(f, "points", H5T_NATIVE_INT64, &points) ||
        read_num(f, "runs", H5T_NATIVE_INT64, &runs) || points < 1 || runs < 1)
        return lc_error_at(err, path, 0, NULL, "no valid points/runs attributes");
    double *col[NCOL] = {0};
    hsize_t n = 0, m;
    int rc = 0;
    for (int k = 0; k < NCOL && rc == 0; k++) {
        if (!(col[k] = read_column(f, metric_cols[k], &m)) || (k && m != n))
            rc = lc_error_at(err, path, 0, metric_cols[k], "missing or of the wrong length");
        n = m;
    }
    double *casc = NULL;
    *with_events = H5Lexists(f, "events", H5P_DEFAULT) > 0;
    if (rc == 0 && *with_events && !(casc = cascade_steps(f, col[C_POINT], col[C_RUN], n, runs)))
        rc = lc_error_at(err, path, 0, "/events", "cannot read point, run, step and round");
    /* the NCOL columns of one point, and its cascade steps */
    double *buf = rc == 0 ? malloc(((size_t)n ? (size_t)n : 1) * (NCOL + 1) * sizeof *buf) : NULL;
    if (rc == 0 && !buf)
        rc = lc_error_add(err, "out of memory");
    for (int64_t p = 0; rc == 0 && p < points; p++) {
        /* the point's rows, in row order, gathered column by column */
        size_t k = 0;
        double *g[NCOL + 1];
        for (int c = 0; c <= NCOL; c++)
            g[c] = buf + (size_t)c * (size_t)n;
        if (!casc)
            g[NCOL] = NULL;
        for (hsize_t i = 0; i < n; i++) {
            if (col[C_POINT][i] != (double)p)
                continue;
            for (int c = 0; c < NCOL; c++)
                g[c][k] = col[c][i];
            if (casc)
                g[NCOL][k] = casc[i];
            k++;
        }
        lc_point_runs pr = {p,        (long)k,  g[C_BAD], g[C_LL],     g[C_LS],    g[C_DD],
                            g[C_EXO], g[C_INS], g[C_ADL], g[C_ROUNDS], g[C_TRUNC], g[NCOL]};
        if (lc_metrics_point(&pr, rows, nrows))
            rc = lc_error_add(err, "out of memory");
    }
    free(buf);
    free(casc);
    for (int k = 0; k < NCOL; k++)
        free(col[k]);
    return rc;
}

static void print_interval(FILE *out, const lc_metric *m)
{
    char b[80];
    if (isnan(m->lo))
        snprintf(b, sizeof b, "%.4g", m->value);
    else
        snprintf(b, sizeof b, "%.4g [%.4g, %.4g]", m->value, m->lo, m->hi);
    fprintf(out, " %-28s", b);
}

/* The metrics for a reader: every metric by point when there are few
 * points, a headline selection per point otherwise. */
static void metrics_table(FILE *out, const lc_metric *rows, long n, int with_events)
{
    long per = 0;
    while (per < n && rows[per].point == rows[0].point)
        per++;
    long points = per ? n / per : 0;
    fprintf(out, "\nrisk metrics (docs/analysis.md): value [95%% interval]%s\n",
            with_events ? "" : "; cascade_steps needs --events");
    if (points <= 3) {
        fprintf(out, "  %-26s %-9s", "metric", "units");
        for (long p = 0; p < points; p++)
            fprintf(out, " point %-22ld", rows[p * per].point);
        fputc('\n', out);
        for (long i = 0; i < per; i++) {
            fprintf(out, "  %-26s %-9s", rows[i].metric, rows[i].units);
            for (long p = 0; p < points; p++)
                print_interval(out, &rows[p * per + i]);
            fputc('\n', out);
        }
    } else {
        static const char *const pick[] = {"n_runs",           "p_bad_debt",
                                           "bad_debt.q99",     "liq_notional.mean",
                                           "liq_notional.q99", "max_drawdown.mean"};
        fprintf(out, "  %5s", "point");
        for (size_t k = 0; k < sizeof pick / sizeof *pick; k++)
            fprintf(out, " %-28s", pick[k]);
        fputc('\n', out);
        for (long p = 0; p < points; p++) {
            fprintf(out, "  %5ld", rows[p * per].point);
            for (size_t k = 0; k < sizeof pick / sizeof *pick; k++)
                for (long i = 0; i < per; i++)
                    if (strcmp(rows[p * per + i].metric, pick[k]) == 0)
                        print_interval(out, &rows[p * per + i]);
            fputc('\n', out);
        }
    }
    long lo = rows[0].n, hi = rows[0].n;
    for (long p = 0; p < points; p++) {
        lo = rows[p * per].n < lo ? rows[p * per].n : lo;
        hi = rows[p * per].n > hi ? rows[p * per].n : hi;
    }
    if (lo != hi)
        fprintf(out,
                "  NOTE: the points have %ld to %ld runs (an interrupted sweep): their "
                "differences\n  mix the keys' effect with sampling; compare them on "
                "the runs they share.\n",
                lo, hi);
    fprintf(out, "  (every metric of every point as CSV: liqcascade info FILE --metrics)\n");
}

static void summary(FILE *out, const char *path, hid_t f)
{
    char *version = read_str(f, "version"), *commit = read_str(f, "git_commit");
    char *status = read_str(f, "status"), *engine = read_str(f, "engine");
    char schema[32], runs[32], points[32], done[32], every[32];
    int64_t nruns = 0, npoints = 0, nsteps = 0;
    uint64_t seed;
    double dt;
    int have_dt = read_num(f, "dt_seconds", H5T_NATIVE_DOUBLE, &dt) == 0;
    int have_rows = read_num(f, "runs", H5T_NATIVE_INT64, &nruns) == 0 &&
                    read_num(f, "points", H5T_NATIVE_INT64, &npoints) == 0;
    int have_steps = read_num(f, "steps", H5T_NATIVE_INT64, &nsteps) == 0;

    fprintf(out, "%s: liqcascade result (schema %s), written by liqcascade %s (%s)\n", path,
            int_attr(f, "schema_version", schema, sizeof schema), version ? version : "?",
            commit ? commit : "?");
    const char *note = "";
    if (status && strcmp(status, "running") == 0)
        note = " (still being written, or the writer stopped before finishing)";
    if (have_rows)
        fprintf(out, "  %-8s %s: %s of %" PRId64 " rows (%s runs x %s point%s)%s\n", "status",
                status ? status : "?", int_attr(f, "runs_completed", done, sizeof done),
                nruns * npoints, int_attr(f, "runs", runs, sizeof runs),
                int_attr(f, "points", points, sizeof points), npoints == 1 ? "" : "s", note);
    else
        fprintf(out, "  %-8s %s: %s rows%s\n", "status", status ? status : "?",
                int_attr(f, "runs_completed", done, sizeof done), note);
    if (have_steps && have_dt)
        fprintf(out, "  %-8s %" PRId64 " steps x %g s = %.4g h, series every %s step(s)\n", "time",
                nsteps, dt, (double)nsteps * dt / 3600,
                int_attr(f, "series_every", every, sizeof every));
    if (read_num(f, "seed", H5T_NATIVE_UINT64, &seed) == 0) /* exact: seeds use all 64 bits */
        fprintf(out, "  %-8s %" PRIu64 "\n", "seed", seed);
    else
        fprintf(out, "  %-8s ?\n", "seed");
    fprintf(out, "  %-8s %s\n", "engine", engine ? engine : "?");
    free(version);
    free(commit);
    free(status);
    free(engine);
}

static int info(const char *path, int metrics_csv, FILE *out, lc_error *err)
{
    if (access(path, R_OK) != 0)
        return lc_error_at(err, path, 0, NULL, "cannot read: %s", strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        return lc_error_at(err, path, 0, NULL, "not a liqcascade result file (not HDF5)");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return lc_error_at(err, path, 0, NULL, "cannot open (damaged HDF5 file?)");
    char *format = read_str(f, "format");
    int ours = format && strcmp(format, "liqcascade") == 0;
    free(format);
    if (!ours) {
        H5Fclose(f);
        return lc_error_at(err, path, 0, NULL,
                           "not a liqcascade result file (no format = \"liqcascade\" attribute)");
    }
    lc_metric *rows = NULL;
    long nrows = 0;
    int with_events = 0;
    if (metrics_csv) {
        int rc = compute_metrics(f, &rows, &nrows, &with_events, err, path);
        if (rc == 0)
            lc_metrics_csv(rows, nrows, out);
        free(rows);
        H5Fclose(f);
        return rc;
    }
    summary(out, path, f);

    fprintf(out, "\n%-*s %-12s %-11s %s\n", PATH_W + 2, "datasets", "shape", "units",
            "description");
    static const char *const texts[] = {"scenario", "scenario_resolved"};
    for (int i = 0; i < 2; i++) {
        hid_t d = H5Lexists(f, texts[i], H5P_DEFAULT) > 0 ? H5Dopen2(f, texts[i], H5P_DEFAULT) : -1;
        if (d >= 0) {
            char p[64];
            snprintf(p, sizeof p, "/%s", texts[i]);
            print_dataset(out, d, p);
            H5Dclose(d);
        }
    }
    static const char *const groups[] = {"points", "series", "population", "events"};
    for (int i = 0; i < 4; i++)
        list_group(out, f, groups[i]);
    runs_table(out, f);
    lc_error merr = {0};
    if (compute_metrics(f, &rows, &nrows, &with_events, &merr, path) == 0 && nrows > 0)
        metrics_table(out, rows, nrows, with_events);
    else if (merr.count)
        fprintf(out, "\nno risk metrics: %s", merr.msg);
    free(rows);
    H5Fclose(f);
    return 0;
}

int lc_info_print(const char *path, int metrics_csv, FILE *out, lc_error *err)
{
    /* our messages, not HDF5's stack dumps; the caller's handler comes back */
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = info(path, metrics_csv, out, err);
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    return rc;
}

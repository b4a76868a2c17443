/* writer.c — the HDF5 result file, schema v1 (docs/schema.md).
 *
 * The only code that writes HDF5, called from one thread. Every table (/runs,
 * /events, /points, /population) is a group of 1-D column datasets, each
 * extensible and chunked, so a batch is appended with one hyperslab write per
 * column and memory stays bounded by the batch. Series are 2-D [rows, cols]
 * float32, chunked by whole rows, shuffle + deflate. Every dataset carries
 * `units` and `description`. Strings are variable-length UTF-8, which h5py
 * reads as str.
 *
 * Invariant: the file is OUT.partial until lc_writer_finish renames it; an
 * existing OUT is never replaced unless the writer was created with force. */
#include "writer.h"

#include "lc_commit.h" /* LC_GIT_COMMIT, generated at build time */

#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_COLS 32
#define DEFLATE_LEVEL 1 /* level 4: ~10% smaller files, ~25% slower writes (quickstart, 4,000 runs) */

/* population columns: name, units, description */
static const char *const pop_cols[][3] = {
    {"side", "1", "+1 long, -1 short"},
    {"qty", "base", "position size"},
    {"entry", "quote/base", "entry price"},
    {"collateral", "quote", "isolated margin"},
    {"mmr", "1", "maintenance-margin rate of the account's tier"},
    {"liq_price", "quote/base", "liquidation price (equity = maintenance margin)"},
    {"bankruptcy_price", "quote/base", "bankruptcy price (equity = 0)"},
};

struct lc_writer {
    char *path, *partial;
    hid_t file;
    hid_t run_ds[MAX_COLS];
    hid_t event_ds[MAX_COLS];
    hid_t series_ds[LC_SERIES_N]; /* by recorded index k */
    int nseries;
    long ncols;
    long rows, events;
    int with_events;
    float *stage; /* one series of one batch, contiguous */
    size_t stage_cap;
    double *colbuf;
    size_t colbuf_cap;
};

/* ---- small HDF5 helpers: each returns 0 or -1 ----------------------------- */

static hid_t str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static int attr_write(hid_t obj, const char *name, hid_t type, hid_t space, const void *buf)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, type, buf) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

static int attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = str_type(), s = H5Screate(H5S_SCALAR);
    int rc = t >= 0 && s >= 0 ? attr_write(obj, name, t, s, &value) : -1;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

static int attr_num(hid_t obj, const char *name, hid_t type, const void *v, int n, int scalar)
{
    hsize_t dim = (hsize_t)n;
    hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    int rc = s >= 0 ? attr_write(obj, name, type, s, v) : -1;
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

static int attr_i64(hid_t obj, const char *name, int64_t v)
{
    return attr_num(obj, name, H5T_NATIVE_INT64, &v, 1, 1);
}

static int attr_f64(hid_t obj, const char *name, double v)
{
    return attr_num(obj, name, H5T_NATIVE_DOUBLE, &v, 1, 1);
}

static int describe(hid_t obj, const char *units, const char *description)
{
    return attr_str(obj, "units", units) | attr_str(obj, "description", description);
}

static hid_t group(hid_t file, const char *name, const char *description)
{
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g >= 0 && attr_str(g, "description", description)) {
        H5Gclose(g);
        return -1;
    }
    return g;
}

/* An empty, extensible 1-D column with deflate. */
static hid_t column(hid_t g, const char *name, hid_t type, hsize_t chunk, const char *units,
                    const char *description)
{
    hsize_t dim = 0, max = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &dim, &max);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;
    if (space >= 0 && plist >= 0 && H5Pset_chunk(plist, 1, &chunk) >= 0 &&
        H5Pset_deflate(plist, DEFLATE_LEVEL) >= 0)
        d = H5Dcreate2(g, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    if (d >= 0 && describe(d, units, description)) {
        H5Dclose(d);
        d = -1;
    }
    if (plist >= 0)
        H5Pclose(plist);
    if (space >= 0)
        H5Sclose(space);
    return d;
}

/* Append n rows (rank 1) or n x cols (rank 2) at row offset `at`. */
static int append(hid_t d, int rank, hsize_t at, hsize_t n, hsize_t cols, hid_t memtype,
                  const void *buf)
{
    if (n == 0)
        return 0;
    hsize_t size[2] = {at + n, cols}, start[2] = {at, 0}, count[2] = {n, cols};
    if (H5Dset_extent(d, size) < 0)
        return -1;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, count, NULL);
    int rc = fs >= 0 && ms >= 0 &&
                     H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
                     H5Dwrite(d, memtype, ms, fs, H5P_DEFAULT, buf) >= 0
                 ? 0
                 : -1;
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return rc;
}

static int text_dataset(hid_t file, const char *name, const char *text, const char *description,
                        hid_t *out)
{
    hid_t t = str_type(), s = H5Screate(H5S_SCALAR), d = -1;
    if (t >= 0 && s >= 0)
        d = H5Dcreate2(file, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) >= 0 &&
                     describe(d, "text", description) == 0
                 ? 0
                 : -1;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (out && rc == 0)
        *out = d;
    else if (d >= 0)
        H5Dclose(d);
    return rc;
}

static void *grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return buf;
    void *b = realloc(buf, need * elem);
    if (b)
        *cap = need;
    return b;
}

/* ---- the writer ----------------------------------------------------------- */

static void close_all(lc_writer *w)
{
    for (int i = 0; i < MAX_COLS; i++) {
        if (w->run_ds[i] > 0)
            H5Dclose(w->run_ds[i]);
        if (w->event_ds[i] > 0)
            H5Dclose(w->event_ds[i]);
        w->run_ds[i] = w->event_ds[i] = 0;
    }
    for (int k = 0; k < LC_SERIES_N; k++) {
        if (w->series_ds[k] > 0)
            H5Dclose(w->series_ds[k]);
        w->series_ds[k] = 0;
    }
    if (w->file > 0)
        H5Fclose(w->file);
    w->file = 0;
}

static void free_writer(lc_writer *w)
{
    free(w->path);
    free(w->partial);
    free(w->stage);
    free(w->colbuf);
    free(w);
}

void lc_writer_abort(lc_writer *w)
{
    if (!w)
        return;
    close_all(w);
    unlink(w->partial);
    free_writer(w);
}

typedef struct visit_ctx {
    hid_t obj;
    int failed;
} visit_ctx;

static void resolved_attr(void *ctx, const char *key, const char *unit, const double *v, int n,
                          const char *text)
{
    visit_ctx *c = ctx;
    (void)unit;
    if (text)
        c->failed |= attr_str(c->obj, key, text);
    else
        c->failed |= attr_num(c->obj, key, H5T_NATIVE_DOUBLE, v, n, n == 1);
}

static int write_population(lc_writer *w, const lc_population *pop)
{
    hid_t g = group(w->file, "population", "one row per account, shared by every run");
    if (g < 0)
        return -1;
    int rc = 0;
    for (int c = 0; c < LC_COUNT(pop_cols) && rc == 0; c++) {
        hid_t type = c == 0 ? H5T_NATIVE_INT8 : H5T_NATIVE_DOUBLE;
        hid_t d = column(g, pop_cols[c][0], c == 0 ? H5T_STD_I8LE : H5T_IEEE_F64LE, 65536,
                         pop_cols[c][1], pop_cols[c][2]);
        const void *src[] = {pop->side, pop->qty, pop->entry, pop->collateral, pop->mmr,
                             pop->liq_price, pop->bankruptcy_price};
        rc = d >= 0 ? append(d, 1, 0, (hsize_t)pop->n, 1, type, src[c]) : -1;
        if (d >= 0)
            H5Dclose(d);
    }
    H5Gclose(g);
    return rc;
}

lc_writer *lc_writer_create(const lc_writer_opts *o, const lc_scenario *sc,
                            const lc_population *pop, lc_error *err)
{
    struct stat st;
    if (!o->force && stat(o->path, &st) == 0) {
        lc_error_at(err, o->path, 0, NULL, "exists; use --force to overwrite");
        return NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our messages, not HDF5's stack dumps */
    lc_writer *w = calloc(1, sizeof *w);
    size_t len = strlen(o->path);
    if (w) {
        w->path = strdup(o->path);
        w->partial = malloc(len + 9);
    }
    if (!w || !w->path || !w->partial) {
        lc_error_add(err, "out of memory");
        if (w)
            free_writer(w);
        return NULL;
    }
    snprintf(w->partial, len + 9, "%s.partial", o->path);
    w->with_events = o->with_events;
    w->ncols = lc_scenario_series_cols(sc);
    w->file = H5Fcreate(w->partial, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        lc_error_at(err, w->partial, 0, NULL, "cannot create: %s",
                    errno ? strerror(errno) : "HDF5 error");
        free_writer(w);
        return NULL;
    }
    const char *failed = NULL;
    hid_t f = w->file;
    /* root attributes */
    if (attr_str(f, "format", "liqcascade") || attr_i64(f, "schema_version", 1) ||
        attr_str(f, "version", LC_VERSION) || attr_str(f, "git_commit", LC_GIT_COMMIT) ||
        attr_num(f, "seed", H5T_NATIVE_UINT64, &sc->seed, 1, 1) || attr_i64(f, "runs", sc->runs) ||
        attr_i64(f, "points", o->points) || attr_i64(f, "steps", sc->steps) ||
        attr_f64(f, "dt_seconds", sc->dt_s) || attr_i64(f, "series_every", sc->every) ||
        attr_str(f, "status", "running") || attr_i64(f, "runs_completed", 0) ||
        attr_str(f, "engine", o->engine ? o->engine : "index"))
        failed = "root attributes";

    /* the scenario, as given and resolved */
    char *yaml = lc_scenario_resolved_yaml(sc);
    hid_t resolved = -1;
    if (!failed && text_dataset(f, "scenario", sc->text, "the scenario file as given", NULL))
        failed = "/scenario";
    if (!failed && (!yaml || text_dataset(f, "scenario_resolved", yaml,
                                          "every scenario key with the value used (YAML); "
                                          "the attributes hold the same values by dotted key",
                                          &resolved)))
        failed = "/scenario_resolved";
    free(yaml);
    if (!failed) {
        visit_ctx c = {resolved, 0};
        lc_scenario_visit(sc, resolved_attr, &c);
        if (c.failed)
            failed = "/scenario_resolved attributes";
    }
    if (resolved >= 0)
        H5Dclose(resolved);

    /* /points: one row per sweep point */
    if (!failed) {
        hid_t g = group(f, "points", "one row per sweep point: its index, then the varied keys");
        hid_t d = g >= 0 ? column(g, "point", H5T_STD_I64LE, 1024, "1", "sweep point index") : -1;
        int rc = d < 0;
        for (int64_t p = 0; !rc && p < o->points; p++)
            rc = append(d, 1, (hsize_t)p, 1, 1, H5T_NATIVE_INT64, &p);
        if (d >= 0)
            H5Dclose(d);
        if (g >= 0)
            H5Gclose(g);
        if (rc)
            failed = "/points";
    }

    /* /runs columns */
    if (!failed) {
        hid_t g = group(f, "runs", "one row per (point, run)");
        char names[1024] = "";
        size_t used = 0;
        for (int c = 0; g >= 0 && c < lc_n_run_columns && c < MAX_COLS; c++) {
            const lc_column *col = &lc_run_columns[c];
            w->run_ds[c] = column(g, col->name, col->type == 'i' ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                                  1024, col->units, col->description);
            if (w->run_ds[c] < 0)
                failed = "/runs";
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", c ? "," : "",
                                     col->name);
        }
        if (g < 0 || attr_str(g, "columns", names))
            failed = "/runs";
        if (g >= 0)
            H5Gclose(g);
    }

    /* /series */
    if (!failed) {
        hid_t g = group(f, "series", "per-step paths: [rows, steps/every + 1], column k at "
                                     "time k*every*dt_seconds");
        for (int s = 0; g >= 0 && s < LC_SERIES_N && !failed; s++) {
            if (!(sc->series_mask >> s & 1u))
                continue;
            hsize_t dims[2] = {0, (hsize_t)w->ncols}, max[2] = {H5S_UNLIMITED, (hsize_t)w->ncols};
            hsize_t rows_per_chunk = (hsize_t)(262144 / (4 * w->ncols));
            hsize_t chunk[2] = {rows_per_chunk ? rows_per_chunk : 1, (hsize_t)w->ncols};
            if (chunk[0] > 64)
                chunk[0] = 64;
            hid_t space = H5Screate_simple(2, dims, max), pl = H5Pcreate(H5P_DATASET_CREATE);
            hid_t d = -1;
            if (space >= 0 && pl >= 0 && H5Pset_chunk(pl, 2, chunk) >= 0 &&
                H5Pset_shuffle(pl) >= 0 && H5Pset_deflate(pl, DEFLATE_LEVEL) >= 0)
                d = H5Dcreate2(g, lc_series[s].name, H5T_IEEE_F32LE, space, H5P_DEFAULT, pl,
                               H5P_DEFAULT);
            if (d < 0 || describe(d, lc_series[s].units, lc_series[s].description) ||
                attr_i64(d, "every", sc->every) || attr_f64(d, "dt_seconds", sc->dt_s))
                failed = "/series";
            w->series_ds[w->nseries++] = d;
            if (pl >= 0)
                H5Pclose(pl);
            if (space >= 0)
                H5Sclose(space);
        }
        if (g < 0)
            failed = "/series";
        else
            H5Gclose(g);
    }

    /* /events */
    if (!failed && o->with_events) {
        hid_t g = group(f, "events", "one row per liquidation, in run order");
        for (int c = 0; g >= 0 && c < lc_n_event_columns && c < MAX_COLS; c++) {
            const lc_column *col = &lc_event_columns[c];
            w->event_ds[c] = column(g, col->name,
                                    col->type == 'i' ? H5T_STD_I64LE : H5T_IEEE_F64LE, 16384,
                                    col->units, col->description);
            if (w->event_ds[c] < 0)
                failed = "/events";
        }
        if (g < 0)
            failed = "/events";
        else
            H5Gclose(g);
    }

    if (!failed && o->with_population && pop && write_population(w, pop))
        failed = "/population";

    if (failed) {
        lc_error_at(err, w->partial, 0, NULL, "cannot write %s (HDF5 error)", failed);
        lc_writer_abort(w);
        return NULL;
    }
    return w;
}

/* Write column c of a table of structs (rows of `stride` bytes) at `at`. */
static int append_column(lc_writer *w, hid_t d, const lc_column *col, const void *rows, long n,
                         size_t stride, hsize_t at)
{
    double *buf = grow(w->colbuf, &w->colbuf_cap, (size_t)n, sizeof(double));
    if (!buf)
        return -1;
    w->colbuf = buf;
    const char *base = (const char *)rows + col->offset;
    if (col->type == 'i') {
        int64_t *ib = (int64_t *)(void *)buf; /* same size as double */
        for (long i = 0; i < n; i++)
            memcpy(&ib[i], base + (size_t)i * stride, sizeof(int64_t));
        return append(d, 1, at, (hsize_t)n, 1, H5T_NATIVE_INT64, ib);
    }
    for (long i = 0; i < n; i++)
        memcpy(&buf[i], base + (size_t)i * stride, sizeof(double));
    return append(d, 1, at, (hsize_t)n, 1, H5T_NATIVE_DOUBLE, buf);
}

int lc_writer_append(lc_writer *w, const lc_batch *b, lc_error *err)
{
    const char *failed = NULL;
    for (int c = 0; c < lc_n_run_columns && !failed; c++)
        if (append_column(w, w->run_ds[c], &lc_run_columns[c], b->rows, b->nrows,
                          sizeof(lc_run_row), (hsize_t)w->rows))
            failed = "/runs";

    for (int k = 0; k < w->nseries && !failed; k++) {
        float *stage = grow(w->stage, &w->stage_cap, (size_t)(b->nrows * b->ncols), sizeof(float));
        if (!stage) {
            failed = "/series (out of memory)";
            break;
        }
        w->stage = stage;
        for (long i = 0; i < b->nrows; i++)
            memcpy(stage + (size_t)(i * b->ncols), lc_batch_series((lc_batch *)b, i, k),
                   (size_t)b->ncols * sizeof(float));
        if (append(w->series_ds[k], 2, (hsize_t)w->rows, (hsize_t)b->nrows, (hsize_t)b->ncols,
                   H5T_NATIVE_FLOAT, stage))
            failed = "/series";
    }

    if (w->with_events && b->events && !failed) {
        for (long i = 0; i < b->nrows && !failed; i++) {
            const lc_eventbuf *ev = &b->events[i];
            for (int c = 0; c < lc_n_event_columns && !failed; c++)
                if (append_column(w, w->event_ds[c], &lc_event_columns[c], ev->v, ev->n,
                                  sizeof(lc_event), (hsize_t)w->events))
                    failed = "/events";
            w->events += ev->n;
        }
    }
    if (failed)
        return lc_error_at(err, w->partial, 0, NULL, "cannot append to %s (HDF5 error)", failed);
    w->rows += b->nrows;
    return 0;
}

int lc_writer_finish(lc_writer *w, int complete, lc_error *err)
{
    int rc = 0;
    if (attr_str(w->file, "status", complete ? "complete" : "interrupted") ||
        attr_i64(w->file, "runs_completed", w->rows) ||
        H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        rc = lc_error_at(err, w->partial, 0, NULL, "cannot write the status (HDF5 error)");
    close_all(w);
    if (rc == 0 && rename(w->partial, w->path) != 0)
        rc = lc_error_at(err, w->path, 0, NULL, "cannot rename %s to it: %s", w->partial,
                         strerror(errno));
    if (rc)
        unlink(w->partial);
    free_writer(w);
    return rc;
}

/* writer.c — the HDF5 result file, schema v2 (docs/schema.md).
 *
 * The only code that writes HDF5, called from one thread at a time. Every
 * table (/runs, /events, /points, /population) is a group of 1-D column
 * datasets, extensible and chunked, so a batch is appended with one hyperslab
 * write per column and memory stays bounded by the batch (one staging buffer,
 * reused, as large as one column or one series of a batch). Series are
 * [rows, markets, cols] float32 (the venue's insurance [rows, cols]) chunked
 * by whole rows of one market, shuffle + deflate, with HDF5 dimension scales
 * (row, market, time) so netCDF readers (xarray) see named dimensions with
 * coordinates. Every dataset
 * carries `units` and `description`. Strings are variable-length UTF-8, which
 * h5py reads as str. Groups track link creation order, so h5py and `info`
 * list columns in schema order.
 *
 * Invariants:
 *  - the file is OUT.partial until lc_writer_finish moves it into place;
 *  - an existing OUT is never replaced unless the writer was created with
 *    force: creation checks, and finish links (not renames) the file into
 *    place, so a file that appeared while we ran is not clobbered either;
 *  - /runs, /series and /events grow together, one batch at a time, in row
 *    order; after a failed append (columns may then differ in length) further
 *    appends are refused and finish fails and deletes the file, like abort;
 *  - a failed HDF5 call that makes the file fails it, closing a group,
 *    dataset or attribute included (closing writes what HDF5 still holds of
 *    it); unchecked are only closing what lives in memory (types, dataspaces,
 *    property lists) and the error reporting. tests/out/test_faults.c makes
 *    each call fail in turn.
 *
 * HDF5's own stack dumps are switched off; a callback keeps the innermost
 * reason of the first failure, so messages say why as well as where. With a
 * thread-safe HDF5 that setting is per thread, so every entry point installs
 * it and restores the caller's on the way out. */
#include "out/writer.h"
#include "out/zplanes.h"

#include "lc_commit.h" /* LC_GIT_COMMIT, generated at build time */

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>

#define SCHEMA_VERSION 2
/* level 4 gives ~10% smaller files but ~25% slower writes (quickstart, 4,000
 * runs), and the one writer thread bounds how well runs scale with threads */
#define DEFLATE_LEVEL 1
#define RUN_CHUNK 8192    /* rows of a /runs or /points chunk: 64 KiB of int64/double */
#define EVENT_CHUNK 16384 /* rows of an /events chunk: 128 KiB */
#define POP_CHUNK 65536   /* rows of a /population chunk: 512 KiB */
#define SERIES_CHUNK_BYTES (256u * 1024u) /* well inside HDF5's 1 MiB chunk cache */

/* /population columns, in the order written. Rows are the population's own
 * order (liquidation order), so a row index is the `account` of /events. */
typedef struct pop_col {
    const char *name, *units, *description;
    char type; /* 'b' int8, 'u' uint8, 'i' int64, 'd' double */
} pop_col;
static const pop_col pop_cols[] = {
    {"side", "1", "+1 long, -1 short", 'b'},
    {"market", "1", "the market the account trades (row of /markets)", 'u'},
    {"qty", "base", "position size", 'd'},
    {"entry", "quote/base", "entry price", 'd'},
    {"collateral", "quote",
     "isolated margin; of a cross or portfolio account, its quote balance (its legs in "
     "/population/legs)",
     'd'},
    {"mmr", "1",
     "maintenance-margin rate of the tier holding the notional at the liquidation price", 'd'},
    {"cum", "quote", "maintenance amount of that tier: maintenance = mmr x notional - cum", 'd'},
    {"liq_price", "quote/base", "liquidation price (equity = maintenance margin)", 'd'},
    {"bankruptcy_price", "quote/base", "bankruptcy price (equity = 0)", 'd'},
    {"origin", "1", "place in the order drawn, or data row of the positions file (from 0)", 'i'},
    {"margin", "1",
     "margin model: 0 isolated, 1 cross, 2 portfolio, 3 cdp (1 to 3 span markets: side .. "
     "bankruptcy_price describe the first position, the prices NaN; a cdp has none: side "
     "0, market its first collateral's)",
     'u'},
};
/* /population/legs: one row per position, collateral balance or debt of each
 * account that spans markets, by account. */
static const pop_col leg_cols[] = {
    {"account", "1", "the account (row of /population)", 'i'},
    {"kind", "1", "0 position (perpetual), 1 collateral balance, 2 debt (a lending CDP's)", 'u'},
    {"market", "1", "the position's market, the balance's asset (row of /markets; -1 quote)", 'i'},
    {"side", "1", "+1 long, -1 short (0 for a balance)", 'b'},
    {"qty", "base",
     "position size, or the balance's units held (collateral) or owed (debt); quote for -1", 'd'},
    {"entry", "quote/base", "the position's entry price (NaN for a balance)", 'd'},
};

struct lc_writer {
    char *path, *partial;
    int force;
    hid_t file;
    hid_t *run_ds;                /* lc_n_run_columns datasets */
    hid_t *event_ds;              /* lc_n_event_columns datasets; NULL without events */
    hid_t series_ds[LC_SERIES_N]; /* by recorded index k */
    int nseries, nplanes, nmarkets;
    /* plane p of a batch (record.h) is recorded series plane_series[p], of
     * market plane_market[p] (-1: a [rows, cols] series) */
    int plane_series[LC_SERIES_N * LC_MAX_MARKETS], plane_market[LC_SERIES_N * LC_MAX_MARKETS];
    hid_t row_scale;    /* /series/row: the row coordinate, grown with the rows */
    hsize_t run_chunk;  /* rows of a /runs chunk (rows_chunk) */
    hid_t *market_ds;   /* per-market /runs columns, [market][lc_n_market_columns] */
    hid_t weight_ds[3]; /* /runs weight, log_weight (, replicate) under simulation.rare, or 0 */
    int weighted;       /* of them, those written (record.h lc_n_weight_columns) */
    long ncols;
    long series_chunk; /* rows per /series chunk */
    long rows;         /* /runs rows written = runs_completed */
    long events;       /* /events rows written */
    int broken;        /* an append failed: only abort is valid */
    void *stage;       /* staging buffer for one column or one series of a batch */
    size_t stage_bytes;
    char reason[256];     /* innermost HDF5 message of the first failure */
    H5E_auto2_t saved_fn; /* the caller's HDF5 error handler, restored on return */
    void *saved_data;
};

/* ---- HDF5 errors ---------------------------------------------------------- */

/* Walked innermost first: keep the first (most specific) description. When it
 * quotes a system error ("error message = 'No space left on device'") keep
 * just that, which is what a user can act on. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    char *reason = data;
    if (n != 0 || !e->desc)
        return 0;
    const char *sys = strstr(e->desc, "error message = '");
    if (sys) {
        sys += strlen("error message = '");
        const char *end = strchr(sys, '\'');
        int len = end ? (int)(end - sys) : (int)strlen(sys);
        snprintf(reason, 256, "%.*s", len, sys);
    } else {
        snprintf(reason, 256, "%s", e->desc);
    }
    return 0;
}

/* Called by HDF5 when an API call fails, instead of printing the stack. */
static herr_t on_h5_error(hid_t stack, void *data)
{
    lc_writer *w = data;
    if (!w->reason[0])
        H5Ewalk2(stack, H5E_WALK_UPWARD, keep_innermost, w->reason);
    return 0;
}

static void h5_enter(lc_writer *w)
{
    H5Eget_auto2(H5E_DEFAULT, &w->saved_fn, &w->saved_data);
    H5Eset_auto2(H5E_DEFAULT, on_h5_error, w);
    w->reason[0] = '\0';
}

/* Restore the caller's handler: ours points at w, which may be freed next. */
static void h5_leave(lc_writer *w)
{
    H5Eset_auto2(H5E_DEFAULT, w->saved_fn, w->saved_data);
}

/* "OUT.h5.partial: /runs/fees: cannot append (No space left on device)" */
static int fail(lc_writer *w, lc_error *err, const char *object, const char *what)
{
    return lc_error_at(err, w->partial, 0, object, "%s (%s)", what,
                       w->reason[0] ? w->reason : "HDF5 error");
}

/* fail() about dataset d, named by its path in the file */
static int fail_at(lc_writer *w, lc_error *err, hid_t d, const char *what)
{
    char name[256] = "?";
    H5Iget_name(d, name, sizeof name);
    return fail(w, err, name, what);
}

/* The result `closing` of closing a group or dataset we wrote: closing writes
 * what HDF5 still holds of it, so a failure fails the write. Returns rc (the
 * first error stays the one reported), or -1 if rc was 0 and closing failed. */
static int closed(lc_writer *w, herr_t closing, int rc, const char *object, lc_error *err)
{
    return closing < 0 && rc == 0 ? fail(w, err, object, "cannot close") : rc;
}

/* ---- small HDF5 helpers: each returns 0 / a valid id, or -1 --------------- */

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
    /* status and runs_completed are rewritten at finish: replace, not add */
    htri_t exists = H5Aexists(obj, name);
    if (exists < 0 || (exists > 0 && H5Adelete(obj, name) < 0))
        return -1;
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && (!buf || H5Awrite(a, type, buf) >= 0) ? 0 : -1; /* !buf: no elements */
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    return rc;
}

static int attr_str(hid_t obj, const char *name, const char *value)
{
    const char *v = value ? value : "";
    hid_t t = str_type(), s = H5Screate(H5S_SCALAR);
    int rc = t >= 0 && s >= 0 ? attr_write(obj, name, t, s, &v) : -1;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

/* A numeric attribute: scalar, or a 1-D array of n (n may be 0). */
static int attr_num(hid_t obj, const char *name, hid_t type, const void *v, int n, int scalar)
{
    hsize_t dim = (hsize_t)n;
    hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    int rc = s >= 0 ? attr_write(obj, name, type, s, n > 0 || scalar ? v : NULL) : -1;
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
    return attr_str(obj, "units", units) || attr_str(obj, "description", description) ? -1 : 0;
}

/* A group that remembers the order its members were created in. */
static hid_t group(hid_t file, const char *name, const char *description)
{
    hid_t pl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
    if (pl >= 0 &&
        H5Pset_link_creation_order(pl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        g = H5Gcreate2(file, name, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (pl >= 0)
        H5Pclose(pl);
    if (g >= 0 && attr_str(g, "description", description)) {
        H5Gclose(g);
        return -1;
    }
    return g;
}

/* An empty, extensible, deflated dataset of rank 1 to 3, [0, dims[1], ...],
 * growing in its first dimension, chunked by ch; shuffled when rank > 1. */
static hid_t chunked(hid_t g, const char *name, hid_t type, int rank, const hsize_t *dims,
                     const hsize_t *ch, const char *units, const char *description)
{
    hsize_t max[3];
    for (int r = 0; r < rank; r++)
        max[r] = r ? dims[r] : H5S_UNLIMITED;
    hid_t space = H5Screate_simple(rank, dims, max);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;
    /* shuffle groups the bytes of the floats, so slowly varying paths compress */
    if (space >= 0 && pl >= 0 && H5Pset_chunk(pl, rank, ch) >= 0 &&
        (rank == 1 || H5Pset_shuffle(pl) >= 0) && H5Pset_deflate(pl, DEFLATE_LEVEL) >= 0)
        d = H5Dcreate2(g, name, type, space, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (d >= 0 && describe(d, units, description)) {
        H5Dclose(d);
        d = -1;
    }
    if (pl >= 0)
        H5Pclose(pl);
    if (space >= 0)
        H5Sclose(space);
    return d;
}

/* Rows of a chunk of a table expected to hold `rows` rows: most, or fewer
 * when the table is smaller. HDF5 compresses whole chunks, so a chunk of
 * 8192 rows for 1,000 rows deflates 8 times what it holds (at every file's
 * close: 20 ms for /runs and /population at 2,000 accounts). More rows than
 * expected only add chunks. */
static hsize_t rows_chunk(hsize_t most, long rows)
{
    return rows < 1 ? 1 : (hsize_t)rows < most ? (hsize_t)rows : most;
}

/* rank 1 (cols = 0) or rank 2 [rows, cols], chunk rows per chunk. */
static hid_t extensible(hid_t g, const char *name, hid_t type, hsize_t cols, hsize_t chunk,
                        const char *units, const char *description)
{
    hsize_t dims[2] = {0, cols}, ch[2] = {chunk, cols};
    return chunked(g, name, type, cols ? 2 : 1, dims, ch, units, description);
}

/* Write the block count[] at start[] of a dataset of `rank` from buf. */
static int write_slab(hid_t d, int rank, const hsize_t *start, const hsize_t *count, hid_t memtype,
                      const void *buf)
{
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

/* Append n rows (rank 1; cols = 0) or n x cols (rank 2) at row `at`. */
static int append_rows(hid_t d, hsize_t at, hsize_t n, hsize_t cols, hid_t memtype, const void *buf)
{
    if (n == 0)
        return 0;
    hsize_t size[2] = {at + n, cols}, start[2] = {at, 0}, count[2] = {n, cols};
    if (H5Dset_extent(d, size) < 0)
        return -1;
    return write_slab(d, cols ? 2 : 1, start, count, memtype, buf);
}

/* Write n rows of one plane of a series at row `at`, within its extent:
 * rank 2 [rows, cols], or rank 3 [rows, markets, cols] at market m. */
static int write_plane(hid_t d, int rank, hsize_t at, hsize_t n, hsize_t m, hsize_t cols,
                       const float *buf)
{
    hsize_t start3[3] = {at, m, 0}, count3[3] = {n, 1, cols};
    hsize_t start2[2] = {at, 0}, count2[2] = {n, cols};
    return rank == 3 ? write_slab(d, 3, start3, count3, H5T_NATIVE_FLOAT, buf)
                     : write_slab(d, 2, start2, count2, H5T_NATIVE_FLOAT, buf);
}

/* A scalar UTF-8 string dataset. Left open in *out when out is not NULL. */
static int text_dataset(hid_t file, const char *name, const char *text, const char *description,
                        hid_t *out)
{
    const char *v = text ? text : "";
    hid_t t = str_type(), s = H5Screate(H5S_SCALAR), d = -1;
    if (t >= 0 && s >= 0)
        d = H5Dcreate2(file, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 &&
                     describe(d, "text", description) == 0
                 ? 0
                 : -1;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (out && rc == 0)
        *out = d;
    else if (d >= 0 && H5Dclose(d) < 0)
        rc = -1;
    return rc;
}

static hid_t file_type(char type)
{
    return type == 'i' ? H5T_STD_I64LE : H5T_IEEE_F64LE;
}

/* The staging buffer, grown to at least `bytes`; NULL when out of memory. */
static void *stage(lc_writer *w, size_t bytes)
{
    if (bytes > w->stage_bytes) {
        void *b = realloc(w->stage, bytes);
        if (!b)
            return NULL;
        w->stage = b;
        w->stage_bytes = bytes;
    }
    return w->stage;
}

/* ---- the writer ----------------------------------------------------------- */

/* -1 if a close failed (all are closed regardless) */
static int close_datasets(lc_writer *w)
{
    int bad = 0;
    for (int c = 0; w->run_ds && c < lc_n_run_columns(); c++)
        if (w->run_ds[c] > 0)
            bad |= H5Dclose(w->run_ds[c]) < 0;
    for (int c = 0; w->event_ds && c < lc_n_event_columns(); c++)
        if (w->event_ds[c] > 0)
            bad |= H5Dclose(w->event_ds[c]) < 0;
    for (int k = 0; k < LC_SERIES_N; k++)
        if (w->series_ds[k] > 0)
            bad |= H5Dclose(w->series_ds[k]) < 0;
    for (int c = 0; w->market_ds && c < w->nmarkets * lc_n_market_columns(); c++)
        if (w->market_ds[c] > 0)
            bad |= H5Dclose(w->market_ds[c]) < 0;
    for (int c = 0; c < 2; c++)
        if (w->weight_ds[c] > 0)
            bad |= H5Dclose(w->weight_ds[c]) < 0;
    memset(w->weight_ds, 0, sizeof w->weight_ds);
    if (w->row_scale > 0)
        bad |= H5Dclose(w->row_scale) < 0;
    free(w->run_ds);
    free(w->event_ds);
    free(w->market_ds);
    w->run_ds = w->event_ds = w->market_ds = NULL;
    w->row_scale = 0;
    memset(w->series_ds, 0, sizeof w->series_ds);
    return bad ? -1 : 0;
}

/* Close every open object and the file; -1 if that failed (a full disk shows
 * up here: the last chunks and metadata are written now).
 *
 * After a failed write the order matters: HDF5 1.10.8 frees a file whose
 * close failed but keeps its ID, and crashes when a dataset that cannot be
 * written is closed while the file's ID is still held. So: flush everything
 * first; if that worked, closing has nothing left to write and goes in the
 * usual order. If it failed, release the file's ID and leave the datasets
 * open (nothing more can be written to them; lc_writer_create switched off
 * HDF5's shutdown at exit, which would retry). The caller reports the
 * failure and unlinks the .partial file. */
static int close_all(lc_writer *w)
{
    if (w->file <= 0) {
        close_datasets(w);
        return 0;
    }
    int rc = 0;
    if (H5Fflush(w->file, H5F_SCOPE_LOCAL) >= 0) {
        rc = close_datasets(w);
        rc = H5Fclose(w->file) < 0 ? -1 : rc;
    } else {
        H5Fclose(w->file);
        free(w->run_ds);
        free(w->event_ds);
        free(w->market_ds);
        w->run_ds = w->event_ds = w->market_ds = NULL;
        w->row_scale = 0;
        rc = -1;
    }
    w->file = 0;
    return rc;
}

static void free_writer(lc_writer *w)
{
    free(w->path);
    free(w->partial);
    free(w->stage);
    free(w);
}

void lc_writer_abort(lc_writer *w)
{
    if (!w)
        return;
    h5_enter(w);
    close_all(w);
    h5_leave(w);
    unlink(w->partial);
    free_writer(w);
}

typedef struct visit_ctx {
    hid_t obj;
    char failed[256]; /* first key that could not be written (the visit's key is
                         gone once the callback returns) */
} visit_ctx;

/* One /scenario_resolved attribute per resolved key, named by its dotted key. */
static void resolved_attr(void *ctx, const char *key, const char *unit, const double *v, int n,
                          int is_list, const char *text)
{
    visit_ctx *c = ctx;
    (void)unit;
    if (c->failed[0])
        return;
    int rc = text || !v ? attr_str(c->obj, key, text)
                        : attr_num(c->obj, key, H5T_NATIVE_DOUBLE, v, n, !is_list);
    if (rc)
        snprintf(c->failed, sizeof c->failed, "%s", key);
}

/* Columns cols[0 .. ncols) of n rows from src[] into group g (name for
 * messages). */
static int write_columns(lc_writer *w, hid_t g, const char *name, const pop_col *cols, int ncols,
                         const void *const *src, long n, lc_error *err)
{
    int rc = 0;
    for (int c = 0; c < ncols && rc == 0; c++) {
        char t = cols[c].type;
        hid_t mem = t == 'b'   ? H5T_NATIVE_INT8
                    : t == 'u' ? H5T_NATIVE_UINT8
                    : t == 'i' ? H5T_NATIVE_INT64
                               : H5T_NATIVE_DOUBLE;
        hid_t file = t == 'b'   ? H5T_STD_I8LE
                     : t == 'u' ? H5T_STD_U8LE
                     : t == 'i' ? H5T_STD_I64LE
                                : H5T_IEEE_F64LE;
        char object[96];
        snprintf(object, sizeof object, "%s/%s", name, cols[c].name);
        hid_t d = extensible(g, cols[c].name, file, 0, rows_chunk(POP_CHUNK, n), cols[c].units,
                             cols[c].description);
        if (d < 0 || append_rows(d, 0, (hsize_t)n, 0, mem, src[c]))
            rc = fail(w, err, object, "cannot write");
        if (d >= 0)
            rc = closed(w, H5Dclose(d), rc, object, err);
    }
    return rc;
}

/* /population/legs of the accounts that span markets. */
static int write_legs(lc_writer *w, hid_t g, const lc_population *pop, lc_error *err)
{
    long n = pop->span_npos + pop->span_ncol, at = 0;
    size_t m = n > 0 ? (size_t)n : 1;
    int64_t *account = malloc(m * sizeof *account), *market = malloc(m * sizeof *market);
    uint8_t *kind = malloc(m);
    int8_t *side = malloc(m);
    double *qty = malloc(m * sizeof *qty), *entry = malloc(m * sizeof *entry);
    int rc = 0;
    if (!account || !market || !kind || !side || !qty || !entry)
        rc = lc_error_at(err, w->partial, 0, "/population/legs", "out of memory");
    for (long i = pop->span0; rc == 0 && i < pop->n; i++) {
        long j = i - pop->span0;
        for (uint32_t k = pop->span_pos0[j]; k < pop->span_pos0[j + 1]; k++, at++) {
            const lc_position *p = &pop->span_pos[k];
            account[at] = i, kind[at] = 0, market[at] = p->market, side[at] = (int8_t)p->side;
            qty[at] = p->qty, entry[at] = p->entry;
        }
        for (uint32_t k = pop->span_col0[j]; k < pop->span_col0[j + 1]; k++, at++) {
            const lc_balance *b = &pop->span_col[k];
            account[at] = i, kind[at] = b->amount < 0 ? 2 : 1, market[at] = b->asset, side[at] = 0;
            qty[at] = fabs(b->amount), entry[at] = NAN;
        }
    }
    hid_t lg = rc ? -1
                  : group(g, "legs",
                          "one row per position, collateral balance or debt of each "
                          "account that spans markets, by account");
    if (rc == 0 && lg < 0)
        rc = fail(w, err, "/population/legs", "cannot create");
    const void *src[] = {account, kind, market, side, qty, entry};
    _Static_assert(sizeof src / sizeof src[0] == sizeof leg_cols / sizeof leg_cols[0],
                   "one source array per /population/legs column");
    if (rc == 0)
        rc = write_columns(w, lg, "/population/legs", leg_cols, LC_COUNT(leg_cols), src, n, err);
    if (lg >= 0)
        rc = closed(w, H5Gclose(lg), rc, "/population/legs", err);
    free(account);
    free(market);
    free(kind);
    free(side);
    free(qty);
    free(entry);
    return rc;
}

static int write_population(lc_writer *w, const lc_population *pop, lc_error *err)
{
    hid_t g = group(w->file, "population", "one row per account, shared by every run");
    if (g < 0)
        return fail(w, err, "/population", "cannot create");
    uint8_t *margin = malloc(pop->n > 0 ? (size_t)pop->n : 1);
    if (!margin) {
        H5Gclose(g);
        return lc_error_at(err, w->partial, 0, "/population", "out of memory");
    }
    for (long i = 0; i < pop->n; i++)
        margin[i] = (uint8_t)lc_population_margin(pop, i);
    const void *src[] = {pop->side,   pop->market,     pop->qty,
                         pop->entry,  pop->collateral, pop->mmr,
                         pop->cum,    pop->liq_price,  pop->bankruptcy_price,
                         pop->origin, margin};
    _Static_assert(sizeof src / sizeof src[0] == sizeof pop_cols / sizeof pop_cols[0],
                   "one source array per /population column");
    int rc = write_columns(w, g, "/population", pop_cols, LC_COUNT(pop_cols), src, pop->n, err);
    /* which CDPs are in Aave's eMode category: written when one is */
    static const pop_col emode_col[] = {
        {"emode", "1", "1: a CDP in the eMode category (markets[k].lending.emode applies)", 'u'}};
    int any = 0;
    for (long i = pop->span0; i < pop->n && !any; i++)
        any = lc_population_emode(pop, i);
    for (long i = 0; any && i < pop->n; i++)
        margin[i] = (uint8_t)lc_population_emode(pop, i);
    const void *esrc[] = {margin};
    if (rc == 0 && any)
        rc = write_columns(w, g, "/population", emode_col, 1, esrc, pop->n, err);
    if (rc == 0)
        rc = write_legs(w, g, pop, err);
    free(margin);
    return closed(w, H5Gclose(g), rc, "/population", err);
}

static int write_root_attributes(lc_writer *w, const lc_writer_opts *o, const lc_scenario *sc,
                                 lc_error *err)
{
    hid_t f = w->file;
    /* when the file was begun, UTC, ISO 8601 to the second */
    char created[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (attr_str(f, "format", "liqcascade") || attr_i64(f, "schema_version", SCHEMA_VERSION) ||
        attr_str(f, "version", LC_VERSION) || attr_str(f, "git_commit", LC_GIT_COMMIT) ||
        attr_num(f, "seed", H5T_NATIVE_UINT64, &sc->seed, 1, 1) || attr_i64(f, "runs", sc->runs) ||
        attr_i64(f, "points", o->points) || attr_i64(f, "steps", sc->steps) ||
        attr_f64(f, "dt_seconds", sc->dt_s) || attr_i64(f, "series_every", sc->every) ||
        attr_str(f, "status", "running") || attr_i64(f, "runs_completed", 0) ||
        attr_str(f, "engine", o->engine ? o->engine : "index") ||
        attr_str(f, "command", o->command ? o->command : "") || attr_str(f, "created", created))
        return fail(w, err, "/", "cannot write the root attributes");
    if (sc->rare.method != LC_RARE_NONE &&
        (attr_str(f, "rare_method", lc_rare_methods[sc->rare.method]) ||
         attr_str(f, sc->rare.method == LC_RARE_SPLIT ? "rare_split" : "rare_pilot",
                  o->rare_pilot ? o->rare_pilot : "")))
        return fail(w, err, "/", "cannot write the rare-event attributes");
    return 0;
}

static int write_scenario(lc_writer *w, const lc_scenario *sc, lc_error *err)
{
    if (text_dataset(w->file, "scenario", sc->text, "the scenario file as given", NULL))
        return fail(w, err, "/scenario", "cannot write");
    char *yaml = lc_scenario_resolved_yaml(sc);
    if (!yaml)
        return lc_error_at(err, w->partial, 0, "/scenario_resolved", "out of memory");
    hid_t d = -1;
    int rc = text_dataset(w->file, "scenario_resolved", yaml,
                          "every key with the value used (YAML); also as attributes by key", &d);
    free(yaml);
    if (rc)
        return fail(w, err, "/scenario_resolved", "cannot write");
    visit_ctx c = {d, ""};
    lc_scenario_visit(sc, resolved_attr, &c);
    herr_t closing = H5Dclose(d);
    if (c.failed[0]) {
        char object[300];
        snprintf(object, sizeof object, "/scenario_resolved attribute %s", c.failed);
        return fail(w, err, object, "cannot write");
    }
    return closed(w, closing, 0, "/scenario_resolved", err);
}

/* The unit of a varied key: its resolved key's unit, list indices removed
 * (venue.tiers.0.mmr is a value of venue.tiers.mmr). */
typedef struct unit_ctx {
    char key[256];
    const char *unit;
} unit_ctx;

static void find_unit(void *ctx, const char *key, const char *unit, const double *v, int n,
                      int is_list, const char *text)
{
    unit_ctx *c = ctx;
    (void)v, (void)n, (void)is_list;
    if (strcmp(key, c->key) == 0)
        c->unit = text ? "text" : unit;
}

static const char *axis_unit(const lc_scenario *sc, const char *key, unit_ctx *c)
{
    size_t k = 0;
    for (const char *s = key; *s && k + 1 < sizeof c->key;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        int index = strspn(s, "0123456789") == len;
        if (index && k == strlen("markets") && strncmp(c->key, "markets", k) == 0) {
            long m = strtol(s, NULL, 10); /* markets.<k>: the visit names it */
            const char *name = m < sc->nmarkets ? sc->market[m].name : "?";
            k += (size_t)snprintf(c->key + k, sizeof c->key - k, ".%s", name);
            if (k >= sizeof c->key)
                k = sizeof c->key - 1;
        } else if (!index) { /* not a list index */
            if (k && k + 1 < sizeof c->key)
                c->key[k++] = '.';
            for (size_t i = 0; i < len && k + 1 < sizeof c->key; i++)
                c->key[k++] = s[i];
        }
        s += len + (dot ? 1 : 0);
    }
    c->key[k] = '\0';
    c->unit = NULL;
    lc_scenario_visit(sc, find_unit, c);
    return c->unit ? c->unit : "";
}

/* /points: the point index, then one column per varied key: float64 in the
 * key's unit when every value is a number, else the values as text. */
static int write_points(lc_writer *w, const lc_writer_opts *o, const lc_scenario *sc, lc_error *err)
{
    const lc_sweep *sw = o->sweep;
    long points = o->points;
    int64_t *v = stage(w, (size_t)points * sizeof(double) + 8);
    if (!v)
        return lc_error_at(err, w->partial, 0, "/points", "out of memory");
    for (long p = 0; p < points; p++)
        v[p] = p;
    hid_t g = group(w->file, "points", "one row per sweep point: its index, then the varied keys");
    if (g < 0)
        return fail(w, err, "/points", "cannot create");
    hid_t d = extensible(g, "point", H5T_STD_I64LE, 0, rows_chunk(RUN_CHUNK, o->points), "1",
                         "sweep point index");
    int rc = d >= 0 && append_rows(d, 0, (hsize_t)points, 0, H5T_NATIVE_INT64, v) == 0
                 ? 0
                 : fail(w, err, "/points/point", "cannot write");
    if (d >= 0)
        rc = closed(w, H5Dclose(d), rc, "/points/point", err);
    size_t cols_len = sizeof "point";
    for (int a = 0; sw && a < sw->naxes; a++)
        cols_len += strlen(sw->axes[a].key) + 1;
    char *cols = malloc(cols_len);
    if (!cols && rc == 0)
        rc = lc_error_at(err, w->partial, 0, "/points", "out of memory");
    if (cols)
        strcpy(cols, "point");
    for (int a = 0; rc == 0 && sw && a < sw->naxes; a++) {
        const lc_sweep_axis *ax = &sw->axes[a];
        strcat(strcat(cols, ","), ax->key);
        char desc[400];
        snprintf(desc, sizeof desc, "value of %s at the point (varied by --vary)", ax->key);
        unit_ctx uc;
        const char *unit = axis_unit(sc, ax->key, &uc);
        if (ax->num) {
            double *x = (double *)(void *)v;
            for (long p = 0; p < points; p++)
                x[p] = ax->num[lc_sweep_index(sw, p, a)];
            d = extensible(g, ax->key, H5T_IEEE_F64LE, 0, rows_chunk(RUN_CHUNK, o->points), unit,
                           desc);
            rc = d >= 0 && append_rows(d, 0, (hsize_t)points, 0, H5T_NATIVE_DOUBLE, x) == 0
                     ? 0
                     : fail(w, err, "/points", "cannot write a varied key");
        } else {
            const char **t = malloc((size_t)points * sizeof *t);
            hsize_t n = (hsize_t)points;
            hid_t type = str_type(), space = H5Screate_simple(1, &n, NULL);
            d = t && type >= 0 && space >= 0
                    ? H5Dcreate2(g, ax->key, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                    : -1;
            for (long p = 0; t && p < points; p++)
                t[p] = ax->values[lc_sweep_index(sw, p, a)];
            rc = d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t) >= 0 &&
                         describe(d, "text", desc) == 0
                     ? 0
                     : fail(w, err, "/points", "cannot write a varied key");
            free(t);
            if (type >= 0)
                H5Tclose(type);
            if (space >= 0)
                H5Sclose(space);
        }
        if (d >= 0)
            rc = closed(w, H5Dclose(d), rc, "/points", err);
    }
    if (rc == 0 && attr_str(g, "columns", cols))
        rc = fail(w, err, "/points", "cannot write the columns attribute");
    free(cols);
    return closed(w, H5Gclose(g), rc, "/points", err);
}

static int create_columns(lc_writer *w, const char *name, const char *description,
                          const lc_column *cols, int n, hsize_t chunk, hid_t *ds, lc_error *err)
{
    char object[128];
    snprintf(object, sizeof object, "/%s", name);
    hid_t g = group(w->file, name, description);
    if (g < 0)
        return fail(w, err, object, "cannot create");
    /* the column order as data, so readers need not rely on iteration order */
    size_t len = 1;
    for (int c = 0; c < n; c++)
        len += strlen(cols[c].name) + 1;
    char *order = malloc(len);
    if (!order) {
        H5Gclose(g);
        return lc_error_at(err, w->partial, 0, object, "out of memory");
    }
    order[0] = '\0';
    size_t used = 0;
    int rc = 0;
    for (int c = 0; c < n && rc == 0; c++) {
        used += (size_t)snprintf(order + used, len - used, "%s%s", c ? "," : "", cols[c].name);
        ds[c] = extensible(g, cols[c].name, file_type(cols[c].type), 0, chunk, cols[c].units,
                           cols[c].description);
        if (ds[c] < 0) {
            snprintf(object, sizeof object, "/%s/%s", name, cols[c].name);
            rc = fail(w, err, object, "cannot create");
        }
    }
    if (rc == 0 && attr_str(g, "columns", order))
        rc = fail(w, err, object, "cannot write the columns attribute");
    free(order);
    return closed(w, H5Gclose(g), rc, object, err);
}

/* A fixed 1-D dataset of n values (a coordinate or a /markets column):
 * type 's' vlen strings (v: const char **), 'd' double, 'i' int64. */
static hid_t fixed_column(hid_t g, const char *name, char type, hsize_t n, const void *v,
                          const char *units, const char *description)
{
    hid_t ft = type == 's' ? str_type() : type == 'd' ? H5T_IEEE_F64LE : H5T_STD_I64LE;
    hid_t mt = type == 's' ? ft : type == 'd' ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
    hid_t space = H5Screate_simple(1, &n, NULL), d = -1;
    if (ft >= 0 && space >= 0)
        d = H5Dcreate2(g, name, ft, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0 && ((n > 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) ||
                   describe(d, units, description))) {
        H5Dclose(d);
        d = -1;
    }
    if (type == 's' && ft >= 0)
        H5Tclose(ft);
    if (space >= 0)
        H5Sclose(space);
    return d;
}

/* /markets: one row per market, in the order of the series' market axis. */
static int write_markets(lc_writer *w, const lc_scenario *sc, lc_error *err)
{
    hid_t g = group(w->file, "markets", "one row per market of the run (DESIGN §12)");
    if (g < 0)
        return fail(w, err, "/markets", "cannot create");
    int k = sc->nmarkets, rc = 0;
    const char *name[LC_MAX_MARKETS], *price[LC_MAX_MARKETS], *impact[LC_MAX_MARKETS],
        *mark[LC_MAX_MARKETS];
    double s0[LC_MAX_MARKETS], weight[LC_MAX_MARKETS];
    for (int i = 0; i < k; i++) {
        const lc_market_spec *ms = &sc->market[i];
        name[i] = ms->name;
        price[i] = ms->price.desc->name;
        impact[i] = ms->impact.desc->name;
        mark[i] = ms->mark.desc->name;
        s0[i] = ms->price_common[LC_PRICE_S0];
        weight[i] = sc->positions_file ? NAN : ms->weight;
    }
    struct {
        const char *name, *units, *description;
        char type;
        const void *v;
    } cols[] = {
        {"name", "text",
         "the market's name (markets[k].name; \"market\" for a one-market scenario)", 's', name},
        {"price_model", "text", "its price model", 's', price},
        {"impact_model", "text", "its impact model", 's', impact},
        {"mark_model", "text", "its mark oracle", 's', mark},
        {"s0", "quote", "its price at t = 0", 'd', s0},
        {"weight", "1", "share of drawn accounts trading it (NaN: read from a file)", 'd', weight},
    };
    char order[256] = "";
    size_t used = 0;
    for (int c = 0; c < LC_COUNT(cols) && rc == 0; c++) {
        used +=
            (size_t)snprintf(order + used, sizeof order - used, "%s%s", c ? "," : "", cols[c].name);
        hid_t d = fixed_column(g, cols[c].name, cols[c].type, (hsize_t)k, cols[c].v, cols[c].units,
                               cols[c].description);
        if (d < 0)
            rc = fail(w, err, "/markets", "cannot write");
        else
            rc = closed(w, H5Dclose(d), rc, "/markets", err);
    }
    if (rc == 0 && attr_str(g, "columns", order))
        rc = fail(w, err, "/markets", "cannot write the columns attribute");
    return closed(w, H5Gclose(g), rc, "/markets", err);
}

/* An empty, extensible, deflated series of rank 3 [rows, markets, cols]
 * chunked [chunk, 1, cols] (one market's whole rows), or rank 2 [rows, cols]. */
static hid_t series_dataset(hid_t g, const char *name, int markets, hsize_t cols, hsize_t chunk,
                            const char *units, const char *description)
{
    if (markets == 0)
        return extensible(g, name, H5T_IEEE_F32LE, cols, chunk, units, description);
    hsize_t dims[3] = {0, (hsize_t)markets, cols}, ch[3] = {chunk, 1, cols};
    return chunked(g, name, H5T_IEEE_F32LE, 3, dims, ch, units, description);
}

static int create_series(lc_writer *w, const lc_scenario *sc, lc_error *err)
{
    hid_t g = group(w->file, "series",
                    "per-step paths [row, market, time] (insurance: [row, time]); time k is "
                    "k * every * dt_seconds; coordinates row, market and time are dimension "
                    "scales");
    if (g < 0)
        return fail(w, err, "/series", "cannot create");
    hsize_t chunk = (hsize_t)lc_series_chunk(sc);
    w->series_chunk = (long)chunk;
    int k = sc->nmarkets, rc = 0;
    /* the coordinates: time in seconds, market names, the row (= point·runs + run) */
    double *time = malloc((size_t)w->ncols * sizeof *time);
    const char *names[LC_MAX_MARKETS];
    for (int i = 0; i < k; i++)
        names[i] = sc->market[i].name;
    for (long c = 0; time && c < w->ncols; c++)
        time[c] = (double)(c * sc->every) * sc->dt_s;
    hid_t ts = time ? fixed_column(g, "time", 'd', (hsize_t)w->ncols, time, "s",
                                   "time of each column since t = 0")
                    : -1;
    free(time);
    hid_t ms = fixed_column(g, "market", 's', (hsize_t)k, names, "text", "market names (/markets)");
    w->row_scale = extensible(g, "row", H5T_STD_I64LE, 0, w->run_chunk, "1",
                              "row of /runs: point * runs + run");
    if (ts < 0 || ms < 0 || w->row_scale < 0 || H5DSset_scale(ts, "time") < 0 ||
        H5DSset_scale(ms, "market") < 0 || H5DSset_scale(w->row_scale, "row") < 0)
        rc = fail(w, err, "/series", "cannot create the coordinates");
    for (int s = 0; s < LC_SERIES_N && rc == 0; s++) {
        if (!(sc->series_mask >> s & 1u))
            continue;
        int per = lc_series[s].per_market;
        hid_t d = series_dataset(g, lc_series[s].name, per ? k : 0, (hsize_t)w->ncols, chunk,
                                 lc_series[s].units, lc_series[s].description);
        int n = w->nseries;
        if (d >= 0) {
            w->series_ds[w->nseries++] = d;
            for (int m = 0; m < (per ? k : 1); m++) {
                w->plane_series[w->nplanes] = n;
                w->plane_market[w->nplanes++] = per ? m : -1;
            }
        }
        if (d < 0 || attr_i64(d, "every", sc->every) || attr_f64(d, "dt_seconds", sc->dt_s) ||
            H5DSattach_scale(d, w->row_scale, 0) < 0 || (per && H5DSattach_scale(d, ms, 1) < 0) ||
            H5DSattach_scale(d, ts, per ? 2 : 1) < 0) {
            char object[64];
            snprintf(object, sizeof object, "/series/%s", lc_series[s].name);
            rc = fail(w, err, object, "cannot create");
        }
    }
    if (ts >= 0)
        rc = closed(w, H5Dclose(ts), rc, "/series/time", err);
    if (ms >= 0)
        rc = closed(w, H5Dclose(ms), rc, "/series/market", err);
    return closed(w, H5Gclose(g), rc, "/series", err);
}

/* The per-market /runs columns <name>.<market>, after the others; then,
 * for runs drawn for rare events, weight and log_weight (and replicate). */
static int create_market_columns(lc_writer *w, const lc_scenario *sc, lc_error *err)
{
    int nc = lc_n_market_columns(), rc = 0;
    w->weighted = lc_n_weight_columns(sc->rare.method);
    w->nmarkets = sc->nmarkets;
    w->market_ds = calloc((size_t)(w->nmarkets * nc), sizeof *w->market_ds);
    if (!w->market_ds)
        return lc_error_at(err, w->partial, 0, "/runs", "out of memory");
    hid_t g = H5Gopen2(w->file, "runs", H5P_DEFAULT);
    if (g < 0)
        return fail(w, err, "/runs", "cannot open");
    size_t len = 0;
    for (int c = 0; c < lc_n_run_columns(); c++)
        len += strlen(lc_run_columns()[c].name) + 1;
    len += (size_t)(w->nmarkets * nc) * (LC_MARKET_NAME_MAX + 24) + 32;
    char *order = malloc(len);
    size_t used = 0;
    for (int c = 0; order && c < lc_n_run_columns(); c++)
        used += (size_t)snprintf(order + used, len - used, "%s%s", c ? "," : "",
                                 lc_run_columns()[c].name);
    for (int m = 0; order && m < w->nmarkets && rc == 0; m++)
        for (int c = 0; c < nc && rc == 0; c++) {
            const lc_column *col = &lc_market_columns()[c];
            char name[96];
            snprintf(name, sizeof name, "%s.%s", col->name, sc->market[m].name);
            used += (size_t)snprintf(order + used, len - used, ",%s", name);
            hid_t d = extensible(g, name, file_type(col->type), 0, w->run_chunk, col->units,
                                 col->description);
            w->market_ds[m * nc + c] = d;
            if (d < 0) {
                char object[128];
                snprintf(object, sizeof object, "/runs/%s", name);
                rc = fail(w, err, object, "cannot create");
            }
        }
    for (int c = 0; order && c < w->weighted && rc == 0; c++) {
        const lc_column *col = &lc_weight_columns()[c];
        used += (size_t)snprintf(order + used, len - used, ",%s", col->name);
        w->weight_ds[c] = extensible(g, col->name, file_type(col->type), 0, w->run_chunk,
                                     col->units, col->description);
        if (w->weight_ds[c] < 0) {
            char object[128];
            snprintf(object, sizeof object, "/runs/%s", col->name);
            rc = fail(w, err, object, "cannot create");
        }
    }
    if (!order)
        rc = lc_error_at(err, w->partial, 0, "/runs", "out of memory");
    else if (rc == 0 && attr_str(g, "columns", order))
        rc = fail(w, err, "/runs", "cannot write the columns attribute");
    free(order);
    return closed(w, H5Gclose(g), rc, "/runs", err);
}

/* The folder holding path (for syncing the rename, and checking it exists). */
static void parent_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Claim a temporary name for path's results: OUT.partial, or, when that
 * name is taken (another run writing the same OUT, or a killed one's file),
 * OUT.<pid>.partial, OUT.<pid>-<k>.partial: created empty with O_EXCL, so no
 * two processes ever write one file (with HDF5's file locking off as well).
 * 0, or -1 with an error. */
static int claim_partial(char *buf, size_t size, const char *path, lc_error *err)
{
    for (int k = 0; k < 64; k++) {
        if (k == 0)
            snprintf(buf, size, "%s.partial", path);
        else if (k == 1)
            snprintf(buf, size, "%s.%ld.partial", path, (long)getpid());
        else
            snprintf(buf, size, "%s.%ld-%d.partial", path, (long)getpid(), k);
        int fd = open(buf, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (errno != EEXIST)
            return lc_error_at(err, buf, 0, NULL, "cannot create: %s", strerror(errno));
    }
    return lc_error_at(err, buf, 0, NULL, "cannot create: every temporary name is taken");
}

int lc_writer_check_path(const char *path, lc_error *err)
{
    struct stat st;
    size_t n = strlen(path);
    if (n == 0)
        return lc_error_add(err, "-o: the result file needs a name (got \"\")");
    if (path[n - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return lc_error_at(err, path, 0, NULL, "is a folder: give a file name, e.g. %s%sout.h5",
                           path, path[n - 1] == '/' ? "" : "/");
    char dir[4096];
    parent_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_error_at(err, path, 0, NULL, "its folder %s does not exist", dir);
    return 0;
}

lc_writer *lc_writer_create(const lc_writer_opts *o, const lc_scenario *sc,
                            const lc_population *pop, lc_error *err)
{
    /* lstat: a dangling symlink named OUT still counts as OUT existing */
    struct stat st;
    if (!o->force && lstat(o->path, &st) == 0) {
        lc_error_at(err, o->path, 0, NULL, "exists; use --force to overwrite");
        return NULL;
    }
    if (lc_writer_check_path(o->path, err))
        return NULL;
    if (o->points < 1 || (o->sweep && o->sweep->points != o->points)) {
        lc_error_at(err, o->path, 0, NULL, "points must be >= 1 (got %ld)", o->points);
        return NULL;
    }
    lc_hdf5_setup(); /* in case main() did not */
    lc_writer *w = calloc(1, sizeof *w);
    size_t len = strlen(o->path) + sizeof ".partial" + 48; /* room for .<pid>-<k> */
    if (w) {
        w->path = strdup(o->path);
        w->partial = malloc(len);
        w->run_ds = calloc((size_t)lc_n_run_columns(), sizeof *w->run_ds);
        if (o->with_events)
            w->event_ds = calloc((size_t)lc_n_event_columns(), sizeof *w->event_ds);
    }
    if (!w || !w->path || !w->partial || !w->run_ds || (o->with_events && !w->event_ds)) {
        lc_error_at(err, o->path, 0, NULL, "out of memory");
        if (w) {
            close_all(w);
            free_writer(w);
        }
        return NULL;
    }
    if (claim_partial(w->partial, len, o->path, err)) {
        close_all(w);
        free_writer(w);
        return NULL;
    }
    if (o->claimed)
        snprintf(o->claimed, o->claimed_size, "%s", w->partial);
    w->force = o->force;
    w->ncols = lc_scenario_series_cols(sc);
    h5_enter(w);

    /* 1.8 object headers at least: dense attribute storage (scenario keys are
     * many) and link creation order; h5py, MATLAB >= 2011 and netCDF-4 read it */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int saved_errno = 0; /* H5Fcreate's: an earlier one would say a wrong why */
    w->file = -1;
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) >= 0) {
        errno = 0;
        w->file = H5Fcreate(w->partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl); /* ours, empty */
        saved_errno = errno;
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    if (w->file < 0) {
        lc_error_at(err, w->partial, 0, NULL, "cannot create: %s",
                    saved_errno    ? strerror(saved_errno)
                    : w->reason[0] ? w->reason
                                   : "HDF5 error");
        unlink(w->partial); /* claimed by us, so ours to remove */
        w->file = 0;
        close_all(w);
        h5_leave(w);
        free_writer(w);
        return NULL;
    }

    w->run_chunk = rows_chunk(RUN_CHUNK, o->points * sc->runs);
    int rc = write_root_attributes(w, o, sc, err);
    if (rc == 0)
        rc = write_scenario(w, sc, err);
    if (rc == 0)
        rc = write_points(w, o, sc, err);
    if (rc == 0)
        rc = create_columns(w, "runs",
                            "one row per (point, run); row i is point i // runs, "
                            "run i % runs",
                            lc_run_columns(), lc_n_run_columns(), w->run_chunk, w->run_ds, err);
    if (rc == 0)
        rc = create_market_columns(w, sc, err);
    if (rc == 0)
        rc = write_markets(w, sc, err);
    if (rc == 0)
        rc = create_series(w, sc, err);
    if (rc == 0 && o->with_events)
        rc =
            create_columns(w, "events", "one row per liquidation, in row order of /runs",
                           lc_event_columns(), lc_n_event_columns(), EVENT_CHUNK, w->event_ds, err);
    if (rc == 0 && o->with_population && pop)
        rc = write_population(w, pop, err);
    h5_leave(w);
    if (rc) {
        lc_writer_abort(w);
        return NULL;
    }
    return w;
}

/* Gather column `col` of n structs of `stride` bytes into the staging buffer
 * and append it at row `at` of /runs column d. int64 and double are both 8
 * bytes. */
static int append_column(lc_writer *w, hid_t d, const lc_column *col, const void *rows, long n,
                         size_t stride, hsize_t at, lc_error *err)
{
    char *buf = stage(w, (size_t)n * 8);
    if (!buf && n > 0)
        return lc_error_at(err, w->partial, 0, "/runs", "out of memory");
    const char *src = (const char *)rows + col->offset;
    for (long i = 0; i < n; i++)
        memcpy(buf + (size_t)i * 8, src + (size_t)i * stride, 8);
    if (append_rows(d, at, (hsize_t)n, 0, col->type == 'i' ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE,
                    buf))
        return fail_at(w, err, d, "cannot append");
    return 0;
}

/* The events of every row of the batch, in row order, one write per column. */
static int append_events(lc_writer *w, const lc_batch *b, lc_error *err)
{
    long total = 0;
    for (long i = 0; i < b->nrows; i++)
        total += b->events[i].n;
    if (total == 0)
        return 0;
    char *buf = stage(w, (size_t)total * 8);
    if (!buf)
        return lc_error_at(err, w->partial, 0, "/events", "out of memory");
    for (int c = 0; c < lc_n_event_columns(); c++) {
        const lc_column *col = &lc_event_columns()[c];
        size_t at = 0;
        for (long i = 0; i < b->nrows; i++) {
            const lc_eventbuf *ev = &b->events[i];
            for (long e = 0; e < ev->n; e++, at += 8)
                memcpy(buf + at, (const char *)&ev->v[e] + col->offset, 8);
        }
        if (append_rows(w->event_ds[c], (hsize_t)w->events, (hsize_t)total, 0,
                        col->type == 'i' ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, buf))
            return fail_at(w, err, w->event_ds[c], "cannot append");
    }
    w->events += total;
    return 0;
}

static int append_batch(lc_writer *w, const lc_batch *b, lc_error *err)
{
    for (int c = 0; c < lc_n_run_columns(); c++)
        if (append_column(w, w->run_ds[c], &lc_run_columns()[c], b->rows, b->nrows,
                          sizeof(lc_run_row), (hsize_t)w->rows, err))
            return -1;
    int nc = lc_n_market_columns();
    for (int m = 0; m < w->nmarkets; m++)
        for (int c = 0; c < nc; c++) {
            lc_column col = lc_market_columns()[c];
            col.offset += offsetof(lc_run_row, mk) + (size_t)m * sizeof(lc_market_row);
            if (append_column(w, w->market_ds[m * nc + c], &col, b->rows, b->nrows,
                              sizeof(lc_run_row), (hsize_t)w->rows, err))
                return -1;
        }
    for (int c = 0; c < w->weighted; c++)
        if (append_column(w, w->weight_ds[c], &lc_weight_columns()[c], b->rows, b->nrows,
                          sizeof(lc_run_row), (hsize_t)w->rows, err))
            return -1;
    int64_t *rowid = stage(w, (size_t)b->nrows * sizeof *rowid);
    if (!rowid && b->nrows > 0)
        return lc_error_at(err, w->partial, 0, "/series/row", "out of memory");
    for (long i = 0; i < b->nrows; i++)
        rowid[i] = w->rows + i;
    if (append_rows(w->row_scale, (hsize_t)w->rows, (hsize_t)b->nrows, 0, H5T_NATIVE_INT64, rowid))
        return fail(w, err, "/series/row", "cannot append");
    /* full chunks compressed ahead by the compute threads go in as they are;
     * plane p is series plane_series[p]'s market plane_market[p] */
    size_t row_floats = (size_t)b->ncols;
    long full = b->zjobs > 0 && w->nplanes > 0 ? b->zjobs / w->nplanes : 0;
    for (int p = 0; p < w->nplanes; p++) {
        hid_t d = w->series_ds[w->plane_series[p]];
        int m = w->plane_market[p], rank = m < 0 ? 2 : 3, bad = 0;
        hsize_t mk = m < 0 ? 0 : (hsize_t)m;
        if (p == 0 || w->plane_series[p - 1] != w->plane_series[p]) { /* its first plane */
            /* the batch's rows, for every plane of the series; rank 2 reads
             * the first two: [rows, cols] */
            hsize_t size[3] = {(hsize_t)(w->rows + b->nrows),
                               m < 0 ? (hsize_t)b->ncols : (hsize_t)w->nmarkets, (hsize_t)b->ncols};
            bad = H5Dset_extent(d, size) < 0;
        }
        for (long c = 0; c < full && !bad; c++) {
            long j = c * w->nplanes + p;
            hsize_t row = (hsize_t)(w->rows + c * w->series_chunk);
            hsize_t at3[3] = {row, mk, 0}, at2[2] = {row, 0};
            bad = H5Dwrite_chunk(d, H5P_DEFAULT, 0, rank == 3 ? at3 : at2, b->zsize[j],
                                 b->z + (size_t)j * b->zstride) < 0;
        }
        /* the rest (a batch off the chunk grid, or its last partial chunk):
         * HDF5 filters it; the batch interleaves planes per row, HDF5 wants
         * each plane contiguous */
        long from = full * w->series_chunk, n = b->nrows - from;
        float *buf = n > 0 && !bad ? stage(w, (size_t)n * row_floats * sizeof(float)) : NULL;
        if (n > 0 && !bad && !buf)
            return lc_error_at(err, w->partial, 0, "/series", "out of memory");
        for (long i = 0; buf && i < n; i++)
            memcpy(buf + (size_t)i * row_floats, lc_batch_plane(b, from + i, p),
                   row_floats * sizeof(float));
        if (bad || (n > 0 && write_plane(d, rank, (hsize_t)(w->rows + from), (hsize_t)n, mk,
                                         (hsize_t)b->ncols, buf)))
            return fail_at(w, err, d, "cannot append");
    }
    if (w->event_ds && b->events && append_events(w, b, err))
        return -1;
    w->rows += b->nrows;
    return 0;
}

long lc_series_chunk(const lc_scenario *sc)
{
    /* whole rows per chunk (a notebook reads runs), about SERIES_CHUNK_BYTES */
    size_t row_bytes = (size_t)lc_scenario_series_cols(sc) * sizeof(float);
    return row_bytes < SERIES_CHUNK_BYTES ? (long)(SERIES_CHUNK_BYTES / row_bytes) : 1;
}

/* A compute thread's deflater: the buffer the shuffle filter writes into. */
struct lc_deflater {
    unsigned char *sh;
    size_t cap;
};

lc_deflater *lc_deflater_create(void)
{
    return calloc(1, sizeof(lc_deflater));
}

void lc_deflater_free(lc_deflater *z)
{
    if (!z)
        return;
    free(z->sh);
    free(z);
}

long lc_writer_compress_jobs(long chunk, lc_batch *b)
{
    b->zjobs = 0;
    if (b->nplanes == 0 || chunk < 1 || b->first_row % chunk != 0 || b->nrows < chunk)
        return 0;
    long jobs = b->nrows / chunk * b->nplanes;
    size_t raw = (size_t)chunk * (size_t)b->ncols * sizeof(float);
    size_t stride = lc_zplanes_bound(raw / sizeof(float));
    if (jobs > b->zcap || stride != b->zstride) {
        unsigned char *z = malloc((size_t)jobs * stride);
        size_t *zs = malloc((size_t)jobs * sizeof *zs);
        long *same = malloc((size_t)jobs * sizeof *same);
        if (!z || !zs || !same) {
            free(z);
            free(zs);
            free(same);
            return 0;
        }
        free(b->z);
        free(b->zsize);
        free(b->zsame);
        b->z = z;
        b->zsize = zs;
        b->zsame = same;
        b->zcap = jobs;
        b->zstride = stride;
    }
    b->zjobs = jobs;
    return jobs;
}

/* Whether planes p and q of chunk c are the same floats, bit for bit. */
static int same_planes(long chunk, const lc_batch *b, long c, int p, int q)
{
    size_t row = (size_t)b->ncols * sizeof(float);
    for (long r = c * chunk; r < (c + 1) * chunk; r++)
        if (memcmp(lc_batch_plane(b, r, p), lc_batch_plane(b, r, q), row))
            return 0;
    return 1;
}

/* Plane p's place within its series: its market (0 for a series of one
 * plane). */
static int plane_place(const lc_batch *b, int p)
{
    int place = p;
    for (int k = 0; k < b->nseries; k++)
        if (b->plane0[k] <= p && p - b->plane0[k] < place)
            place = p - b->plane0[k];
    return place;
}

/* What HDF5's filter pipeline does to a chunk of /series (create_series):
 * the shuffle filter (byte i of every element together, for i = 0..3), then
 * deflate: a zlib stream, here out/zplanes.h's. */
int lc_writer_compress(long chunk, lc_batch *b, long job, lc_deflater *z)
{
    long c = job / b->nplanes;
    int p = (int)(job % b->nplanes), place = plane_place(b, p);
    size_t ncols = (size_t)b->ncols, n = (size_t)chunk * ncols, bytes = n * sizeof(float);
    b->zsame[job] = -1;
    /* the planes of the same market only (a fundamental, a mark and the
     * price): at most a plane per series to compare, however many markets */
    for (int q = 0; q < p; q++)
        if (plane_place(b, q) == place && same_planes(chunk, b, c, p, q)) {
            /* its stream, once that is made */
            b->zsame[job] = c * b->nplanes + q;
            return 0;
        }
    if (bytes > z->cap) {
        unsigned char *sh = realloc(z->sh, bytes);
        if (!sh)
            return -1;
        z->sh = sh;
        z->cap = bytes;
    }
    unsigned char *sh = z->sh;
    for (long r = 0; r < chunk; r++) {
        const unsigned char *src = (const unsigned char *)lc_batch_plane(b, c * chunk + r, p);
        unsigned char *d0 = sh + (size_t)r * ncols, *d1 = d0 + n, *d2 = d1 + n, *d3 = d2 + n;
        for (size_t e = 0; e < ncols; e++, src += sizeof(float)) {
            d0[e] = src[0];
            d1[e] = src[1];
            d2[e] = src[2];
            d3[e] = src[3];
        }
    }
    size_t len = lc_zplanes(sh, n, b->z + (size_t)job * b->zstride, b->zstride);
    b->zsize[job] = len;
    return len > 0 ? 0 : -1;
}

void lc_writer_compress_copies(lc_batch *b)
{
    for (long j = 0; j < b->zjobs; j++) {
        long from = b->zsame[j];
        if (from < 0)
            continue;
        /* from: the first of the equal planes, so itself coded */
        b->zsize[j] = b->zsize[from];
        memcpy(b->z + (size_t)j * b->zstride, b->z + (size_t)from * b->zstride, b->zsize[j]);
    }
}

int lc_writer_append(lc_writer *w, const lc_batch *b, lc_error *err)
{
    if (w->broken)
        return lc_error_at(err, w->partial, 0, NULL, "cannot append after a failed write");
    /* a mismatched batch would be written silently wrong: refuse it */
    if (b->first_row != w->rows || b->nplanes != w->nplanes || b->ncols != w->ncols ||
        (w->event_ds && !b->events))
        return lc_error_at(err, w->partial, 0, NULL,
                           "batch does not fit: rows from %ld (expected %ld), %d series planes x "
                           "%ld columns (expected %d x %ld)%s",
                           b->first_row, w->rows, b->nplanes, b->ncols, w->nplanes, w->ncols,
                           w->event_ds && !b->events ? ", no events" : "");
    h5_enter(w);
    int rc = append_batch(w, b, err);
    h5_leave(w);
    if (rc)
        w->broken = 1;
    return rc;
}

/* Flush the data of `path` (file or folder) to disk; -1 with errno set. */
static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

void lc_hdf5_setup(void)
{
    /* No HDF5 shutdown handler at exit: we close our files ourselves, and
     * after a failed write (full disk) HDF5 1.10.8's own shutdown retries the
     * close and crashes or prints "infinite loop closing library". Must run
     * before HDF5's first use; afterwards it changes nothing. */
    H5dont_atexit();
}

/* Move the closed .partial file to its final name. Without force, link(2)
 * fails if the name exists (even if it appeared after lc_writer_create), so
 * nothing is replaced; rename(2) would replace silently. On failure the
 * .partial file is kept: it holds complete results the user may want. */
static int put_in_place(lc_writer *w, lc_error *err)
{
    int rc;
    if (w->force) {
        rc = rename(w->partial, w->path);
    } else {
        rc = link(w->partial, w->path);
        if (rc == 0) {
            unlink(w->partial);
        } else if (errno != EEXIST) {
            /* a file system without hard links: check, then rename */
            struct stat st;
            if (lstat(w->path, &st) == 0)
                errno = EEXIST;
            else
                rc = rename(w->partial, w->path);
        }
    }
    if (rc != 0) {
        if (errno == EEXIST)
            return lc_error_at(err, w->path, 0, NULL,
                               "exists (created while this run was writing); not overwritten, "
                               "the results are in %s",
                               w->partial);
        return lc_error_at(err, w->path, 0, NULL, "cannot rename %s to it: %s", w->partial,
                           strerror(errno));
    }
    char dir[4096];
    parent_of(w->path, dir, sizeof dir);
    sync_path(dir, O_RDONLY); /* best effort: not every file system syncs folders */
    return 0;
}

int lc_writer_finish(lc_writer *w, int complete, lc_error *err)
{
    int rc = 0;
    h5_enter(w);
    if (w->broken) {
        rc = lc_error_at(err, w->partial, 0, NULL, "not finished: an earlier write failed");
    } else if (attr_str(w->file, "status", complete ? "complete" : "interrupted") ||
               attr_i64(w->file, "runs_completed", w->rows)) {
        rc = fail(w, err, "/", "cannot write the status");
    }
    if (close_all(w) && rc == 0)
        rc = fail(w, err, NULL, "cannot close");
    h5_leave(w);
    /* on disk before it gets its final name, so a crash cannot leave a
     * truncated OUT.h5 behind a successful exit */
    if (rc == 0 && sync_path(w->partial, O_RDONLY) != 0)
        rc = lc_error_at(err, w->partial, 0, NULL, "cannot sync to disk: %s", strerror(errno));
    if (rc == 0) {
        rc = put_in_place(w, err); /* keeps the .partial file if it fails */
    } else {
        unlink(w->partial); /* incomplete or damaged: a failed run leaves nothing */
    }
    free_writer(w);
    return rc;
}

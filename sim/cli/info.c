/* info.c — `liqcascade info`: what a result file holds, in a few lines.
 *
 * This only reads HDF5; writer.c stays the one place that writes it. It trusts
 * nothing: a file without format = "liqcascade" is refused, and a missing
 * attribute prints as "?" rather than being assumed. Every attribute read is
 * first checked to be one scalar of the expected class and a sane size (an
 * array, a compound, an empty or null dataspace is refused, naming the
 * attribute: reading it into one value would overflow), `format` before any
 * other string and every root attribute before any value; the summary is
 * built in memory, so a file refused half-way prints nothing. Columns are listed in
 * schema order (the `columns` attribute, else link creation order, else by
 * name), so the listing reads like docs/schema.md. Column statistics read
 * whole columns, which is fine for files that fit in memory several times
 * over; chunked reading can come when files outgrow that.
 *
 * Schema 1 and 2 (docs/schema.md). A schema 2 file adds /markets, 3-D series
 * [row, market, time] and per-market /runs columns <quantity>.<market>: the
 * markets are listed with their models, and the per-market columns are
 * summarised as a quantity x market table instead of one line each. A
 * schema 1 file (one market, no /markets) prints as it always did. Every
 * count is the real size of a dataset (the markets are the rows of
 * /markets/name), never an attribute, and a dataset is read only when its
 * storage can hold its extent (plausible_size). */
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

#define PATH_W 30           /* "/population/bankruptcy_price" fits */
#define SHAPE_W 16          /* "1000 x 16 x 1441" fits */
#define DESC_MAX 60         /* longer descriptions are cut: this is a summary */
#define MARKETS_PER_BLOCK 6 /* market columns per block of the per-market table */
#define SCHEMA_KNOWN 2      /* the newest schema_version this reads */

#define STR_MAX (1 << 20)  /* longest fixed-length string attribute read */
#define DEFLATE_RATIO 1032 /* deflate's largest expansion: a bound on a dataset's size */

/* The first attribute info found that it cannot read as it expects (an
 * array, the wrong class, an absurd size): the file is then refused with
 * it. info() runs on one file at a time, as HDF5 itself is not reentrant. */
static struct {
    int set;
    char key[400]; /* attribute "NAME" of /PATH */
    char why[160];
} bad_attr;

/* What kind of scalar an attribute must hold. */
typedef enum attr_kind { A_STR, A_INT, A_NUM } attr_kind;

static const char *class_name(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER:
        return "an integer";
    case H5T_FLOAT:
        return "a float";
    case H5T_STRING:
        return "a string";
    case H5T_BITFIELD:
        return "a bitfield";
    case H5T_OPAQUE:
        return "opaque data";
    case H5T_COMPOUND:
        return "a compound";
    case H5T_REFERENCE:
        return "a reference";
    case H5T_ENUM:
        return "an enum";
    case H5T_VLEN:
        return "a variable-length sequence";
    case H5T_ARRAY:
        return "an array type";
    default:
        return "a value of unknown class";
    }
}

/* Why attribute a cannot be read as one scalar of `kind` (into why), or 0
 * when it can. Looks at its dataspace and type only: reads no value. */
static int attr_problem(hid_t a, attr_kind kind, char *why, size_t size)
{
    static const char *const want[] = {"a string", "an integer", "a number"};
    hid_t s = H5Aget_space(a), t = H5Aget_type(a);
    H5S_class_t sc = s >= 0 ? H5Sget_simple_extent_type(s) : H5S_NO_CLASS;
    H5T_class_t tc = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    size_t ts = t >= 0 ? H5Tget_size(t) : 0;
    htri_t vlen = tc == H5T_STRING ? H5Tis_variable_str(t) : 0;
    why[0] = '\0';
    if (s < 0 || t < 0 || sc == H5S_NO_CLASS || tc == H5T_NO_CLASS || vlen < 0)
        snprintf(why, size, "unreadable dataspace or type");
    else if (sc == H5S_NULL)
        snprintf(why, size, "no value (a null dataspace), not a scalar");
    else if (sc != H5S_SCALAR)
        snprintf(why, size, "a %d-D array of %lld elements, not a scalar",
                 H5Sget_simple_extent_ndims(s), (long long)H5Sget_simple_extent_npoints(s));
    else if (kind == A_STR ? tc != H5T_STRING
                           : tc != H5T_INTEGER && (kind == A_INT || tc != H5T_FLOAT))
        snprintf(why, size, "%s, not %s", class_name(tc), want[kind]);
    else if (kind == A_STR && !vlen && (ts == 0 || ts > STR_MAX))
        snprintf(why, size, "a fixed-length string of %zu bytes", ts);
    else if (kind != A_STR && (ts == 0 || ts > 16))
        snprintf(why, size, "a number of %zu bytes", ts);
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    return why[0] != '\0';
}

/* Open attribute `name` of obj for reading as a scalar of `kind`: 1 with
 * *a open, 0 when absent, -1 when it is there but not such a scalar (then
 * recorded in bad_attr, the first time). */
static int attr_open(hid_t obj, const char *name, attr_kind kind, hid_t *a)
{
    htri_t e = H5Aexists(obj, name);
    *a = e > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1;
    if (e == 0)
        return 0;
    char why[sizeof bad_attr.why] = "cannot be opened";
    if (*a >= 0 && !attr_problem(*a, kind, why, sizeof why))
        return 1;
    if (*a >= 0)
        H5Aclose(*a);
    *a = -1;
    if (!bad_attr.set) {
        char where[256] = "?";
        if (H5Iget_name(obj, where, sizeof where) < 0)
            snprintf(where, sizeof where, "?");
        snprintf(bad_attr.key, sizeof bad_attr.key, "attribute \"%.100s\" of %s", name, where);
        snprintf(bad_attr.why, sizeof bad_attr.why, "%s", why);
        bad_attr.set = 1;
    }
    return -1;
}

/* A scalar string attribute, or NULL: absent, or not a scalar string
 * (recorded in bad_attr). Caller frees. */
static char *read_str(hid_t obj, const char *name)
{
    hid_t a, t = -1, mt = -1;
    if (attr_open(obj, name, A_STR, &a) <= 0)
        return NULL;
    char *out = NULL;
    t = H5Aget_type(a);
    if (t >= 0 && H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        mt = H5Tcopy(H5T_C_S1);
        if (mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Tset_cset(mt, H5Tget_cset(t)) >= 0 &&
            H5Aread(a, mt, &v) >= 0 && v)
            out = strdup(v);
        H5free_memory(v);
    } else if (t >= 0) { /* fixed length, at most STR_MAX (attr_problem) */
        size_t n = H5Tget_size(t);
        mt = H5Tcopy(t);
        out = mt >= 0 ? calloc(n + 1, 1) : NULL;
        if (out && H5Aread(a, mt, out) < 0) {
            free(out);
            out = NULL;
        }
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return out;
}

/* A scalar numeric attribute converted to `type` (a native integer or
 * float) into v: 0, or -1 when absent or not a scalar number (recorded in
 * bad_attr). An integer type takes integers only, a float one any number. */
static int read_num(hid_t obj, const char *name, hid_t type, void *v)
{
    hid_t a;
    if (attr_open(obj, name, H5Tget_class(type) == H5T_FLOAT ? A_NUM : A_INT, &a) <= 0)
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

/* The columns of a table group, in order: its `columns` attribute when it
 * has one, else its links (member_name's order). */
typedef struct columns_walk {
    hid_t g;
    char *order, *save, *next; /* the attribute, cut at commas */
    hsize_t i, n;              /* the links */
} columns_walk;

static void columns_open(columns_walk *w, hid_t g)
{
    H5G_info_t gi = {0};
    H5Gget_info(g, &gi);
    *w = (columns_walk){.g = g, .order = read_str(g, "columns"), .n = gi.nlinks};
    w->next = w->order ? strtok_r(w->order, ",", &w->save) : NULL;
}

/* The next column's name into member: 1, or 0 when none is left. */
static int columns_next(columns_walk *w, char *member, size_t size)
{
    if (w->order) {
        if (!w->next)
            return 0;
        snprintf(member, size, "%s", w->next);
        w->next = strtok_r(NULL, ",", &w->save);
        return 1;
    }
    while (w->i < w->n)
        if (member_name(w->g, w->i++, member, size) == 0)
            return 1;
    return 0;
}

static void columns_close(columns_walk *w)
{
    free(w->order);
}

/* One dataset line: path, shape, units, description. */
static void print_dataset(FILE *out, hid_t d, const char *path)
{
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    char shape[80];
    if (rank >= 1 && rank <= 3)
        H5Sget_simple_extent_dims(s, dims, NULL);
    if (rank == 3)
        snprintf(shape, sizeof shape, "%llu x %llu x %llu", (unsigned long long)dims[0],
                 (unsigned long long)dims[1], (unsigned long long)dims[2]);
    else if (rank == 2)
        snprintf(shape, sizeof shape, "%llu x %llu", (unsigned long long)dims[0],
                 (unsigned long long)dims[1]);
    else if (rank == 1)
        snprintf(shape, sizeof shape, "%llu", (unsigned long long)dims[0]);
    else
        snprintf(shape, sizeof shape, rank == 0 ? "scalar" : "?");
    char *units = read_str(d, "units"), *desc = read_str(d, "description");
    const char *dd = desc ? desc : "";
    int cut = (int)strlen(dd) > DESC_MAX;
    fprintf(out, "  %-*s %-*s %-11s %.*s%s\n", PATH_W, path, SHAPE_W, shape, units ? units : "?",
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

/* Whether dataset d, of n elements, can hold as much as it claims: deflate
 * expands at most DEFLATE_RATIO times, so a dataset whose extent is far
 * beyond its storage is mostly unwritten (a damaged or hostile file; every
 * row liqcascade declares it writes) and is not read whole. Up to a MiB
 * always passes. */
static int plausible_size(hid_t d, hsize_t n)
{
    hid_t t = H5Dget_type(d);
    double bytes = (double)n * (double)(t >= 0 ? H5Tget_size(t) : 1);
    if (t >= 0)
        H5Tclose(t);
    return bytes <= (double)(1 << 20) || bytes <= (double)H5Dget_storage_size(d) * DEFLATE_RATIO;
}

/* A whole 1-D dataset as doubles (n elements; an empty one gives a buffer
 * of one), or NULL when it is not 1-D, not numeric or larger than its
 * storage can hold (plausible_size). */
static double *read_doubles(hid_t d, hsize_t *n)
{
    hid_t s = H5Dget_space(d);
    double *v = NULL;
    if (s >= 0 && H5Sget_simple_extent_ndims(s) == 1 &&
        H5Sget_simple_extent_dims(s, n, NULL) >= 0 && plausible_size(d, *n)) {
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

/* A whole 1-D string dataset (variable or fixed length) as n strdup'd
 * strings (an element that cannot be read is NULL), or NULL when it is not
 * a 1-D string dataset. Free with free_strings. */
static char **read_strings(hid_t file, const char *path, hsize_t *n)
{
    *n = 0;
    hid_t d = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Dopen2(file, path, H5P_DEFAULT) : -1;
    hid_t s = d >= 0 ? H5Dget_space(d) : -1, t = d >= 0 ? H5Dget_type(d) : -1, mt = -1;
    char **v = NULL;
    if (s < 0 || t < 0 || H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_ndims(s) != 1 ||
        H5Sget_simple_extent_dims(s, n, NULL) < 0 || !plausible_size(d, *n)) {
        *n = 0;
        goto done;
    }
    v = calloc(*n ? *n : 1, sizeof *v);
    if (!v || *n == 0)
        goto done;
    if (H5Tis_variable_str(t) > 0) {
        char **raw = calloc(*n, sizeof *raw);
        mt = H5Tcopy(H5T_C_S1);
        if (raw && mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mt, H5Tget_cset(t)) >= 0 &&
            H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0) {
            for (hsize_t i = 0; i < *n; i++)
                v[i] = raw[i] ? strdup(raw[i]) : NULL;
#if H5_VERSION_GE(1, 12, 0)
            H5Treclaim(mt, s, H5P_DEFAULT, raw);
#else
            H5Dvlen_reclaim(mt, s, H5P_DEFAULT, raw);
#endif
        }
        free(raw);
    } else {
        size_t size = H5Tget_size(t);
        char *raw = size ? calloc(*n, size) : NULL;
        if (raw && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0)
            for (hsize_t i = 0; i < *n; i++)
                v[i] = strndup(raw + i * size, size);
        free(raw);
    }
done:
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
    return v;
}

static void free_strings(char **v, hsize_t n)
{
    for (hsize_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* /markets (schema 2): n rows, the real size of /markets/name; the other
 * columns are read by their own sizes, and a column shorter than that (or
 * missing) leaves NULL or NaN for the rows it lacks. n = 0: no /markets, a
 * schema 1 file (or one that lost it). */
typedef struct markets {
    long n;
    char **name, **price, **impact, **mark;
    double *s0, *weight;
    hsize_t nprice, nimpact, nmark; /* real sizes of the text columns read */
} markets;

static double *column_or_nan(hid_t file, const char *path, long n)
{
    hsize_t m = 0;
    double *v = read_column(file, path, &m), *out = calloc((size_t)(n ? n : 1), sizeof *out);
    for (long i = 0; out && i < n; i++)
        out[i] = v && (hsize_t)i < m ? v[i] : NAN;
    free(v);
    return out;
}

static void markets_read(hid_t file, markets *mk)
{
    memset(mk, 0, sizeof *mk);
    if (H5Lexists(file, "markets", H5P_DEFAULT) <= 0)
        return;
    hsize_t n = 0;
    mk->name = read_strings(file, "markets/name", &n);
    if (!mk->name)
        return;
    mk->n = (long)n;
    mk->price = read_strings(file, "markets/price_model", &mk->nprice);
    mk->impact = read_strings(file, "markets/impact_model", &mk->nimpact);
    mk->mark = read_strings(file, "markets/mark_model", &mk->nmark);
    mk->s0 = column_or_nan(file, "markets/s0", mk->n);
    mk->weight = column_or_nan(file, "markets/weight", mk->n);
}

static void markets_free(markets *mk)
{
    free_strings(mk->name, (hsize_t)mk->n);
    free_strings(mk->price, mk->nprice);
    free_strings(mk->impact, mk->nimpact);
    free_strings(mk->mark, mk->nmark);
    free(mk->s0);
    free(mk->weight);
    memset(mk, 0, sizeof *mk);
}

/* Text cell i of a column of n read values: "?" when absent. */
static const char *cell(char *const *v, hsize_t n, long i)
{
    return v && (hsize_t)i < n && v[i] ? v[i] : "?";
}

/* The market of a per-market /runs column <quantity>.<market>: its index
 * in mk, with the quantity's length in *qlen; -1 for any other column. The
 * quantity has no dot (a market name may). */
static long column_market(const markets *mk, const char *column, size_t *qlen)
{
    const char *dot = strchr(column, '.');
    if (!dot || dot == column)
        return -1;
    for (long m = 0; m < mk->n; m++)
        if (mk->name[m] && strcmp(dot + 1, mk->name[m]) == 0) {
            *qlen = (size_t)(dot - column);
            return m;
        }
    return -1;
}

/* The markets line and table of the summary (schema 2). The market axis
 * of the series must agree with /markets: a disagreement is shown. */
static void markets_table(FILE *out, hid_t file, const markets *mk)
{
    if (H5Lexists(file, "markets", H5P_DEFAULT) <= 0)
        return;
    if (mk->n == 0) {
        fprintf(out, "  %-8s ? (/markets has no readable name column)\n", "markets");
        return;
    }
    int w = 6;
    for (long m = 0; m < mk->n; m++)
        if (mk->name[m] && (int)strlen(mk->name[m]) > w)
            w = (int)strlen(mk->name[m]);
    fprintf(out, "  %-8s %ld (/markets)\n", "markets", mk->n);
    fprintf(out, "    %3s  %-*s %-12s %-12s %-12s %12s %8s\n", "#", w, "name", "price", "impact",
            "mark", "s0", "weight");
    for (long m = 0; m < mk->n; m++)
        fprintf(out, "    %3ld  %-*s %-12s %-12s %-12s %12.6g %8.4g\n", m, w,
                cell(mk->name, (hsize_t)mk->n, m), cell(mk->price, mk->nprice, m),
                cell(mk->impact, mk->nimpact, m), cell(mk->mark, mk->nmark, m),
                mk->s0 ? mk->s0[m] : NAN, mk->weight ? mk->weight[m] : NAN);
    hsize_t ns = 0;
    char **axis = read_strings(file, "series/market", &ns);
    int same = axis && ns == (hsize_t)mk->n;
    for (long m = 0; same && m < mk->n; m++)
        same = axis[m] && mk->name[m] && strcmp(axis[m], mk->name[m]) == 0;
    if (axis && !same)
        fprintf(out, "    NOTE: /series/market (%llu names) does not match /markets/name\n",
                (unsigned long long)ns);
    free_strings(axis, ns);
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

/* /runs as a table: one line per column with units, mean, min, max; the
 * per-market columns <quantity>.<market> of a schema 2 file are left to
 * runs_by_market. */
static void runs_table(FILE *out, hid_t file, const markets *mk)
{
    if (H5Lexists(file, "runs", H5P_DEFAULT) <= 0)
        return;
    hid_t g = H5Gopen2(file, "runs", H5P_DEFAULT);
    if (g < 0)
        return;
    H5G_info_t gi = {0};
    H5Gget_info(g, &gi);
    long per_market = 0; /* links of g that are per-market columns */
    for (hsize_t i = 0; mk->n > 0 && i < gi.nlinks; i++) {
        char member[512];
        size_t qlen;
        if (member_name(g, i, member, sizeof member) == 0 && column_market(mk, member, &qlen) >= 0)
            per_market++;
    }
    char rows[32] = "?";
    int header = 0;
    columns_walk cw;
    columns_open(&cw, g);
    for (char member[512]; columns_next(&cw, member, sizeof member);) {
        size_t qlen;
        if (column_market(mk, member, &qlen) >= 0)
            continue;
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
            fprintf(out, "\n/runs: %s rows x %llu columns", rows, (unsigned long long)gi.nlinks);
            if (per_market)
                fprintf(out, " (%ld of them per market, <quantity>.<market>: below)", per_market);
            fprintf(out, "\n  %-*s %-11s %12s %12s %12s\n", PATH_W - 2, "column", "units", "mean",
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
    columns_close(&cw);
    H5Gclose(g);
}

/* The quantities of the per-market /runs columns, in /runs column order
 * (at most 64, of at most 63 characters; others are left out). */
typedef struct quantities {
    int n;
    char name[64][64];
} quantities;

static void find_quantities(hid_t file, const markets *mk, quantities *q)
{
    q->n = 0;
    hid_t g = H5Lexists(file, "runs", H5P_DEFAULT) > 0 ? H5Gopen2(file, "runs", H5P_DEFAULT) : -1;
    if (g < 0)
        return;
    columns_walk cw;
    columns_open(&cw, g);
    for (char member[512]; columns_next(&cw, member, sizeof member);) {
        size_t qlen;
        if (column_market(mk, member, &qlen) < 0 || qlen >= sizeof q->name[0])
            continue;
        int seen = 0;
        for (int k = 0; k < q->n && !seen; k++)
            seen = strlen(q->name[k]) == qlen && strncmp(q->name[k], member, qlen) == 0;
        if (!seen && q->n < (int)(sizeof q->name / sizeof q->name[0]))
            snprintf(q->name[q->n++], sizeof q->name[0], "%.*s", (int)qlen, member);
    }
    columns_close(&cw);
    H5Gclose(g);
}

/* Column runs/<quantity>.<market> whole, or NULL. */
static double *market_column(hid_t file, const char *quantity, const char *market, hsize_t *n,
                             char **units)
{
    size_t len = strlen("runs/") + strlen(quantity) + 1 + strlen(market) + 1;
    char *path = malloc(len);
    double *v = NULL;
    *n = 0;
    if (path) {
        snprintf(path, len, "runs/%s.%s", quantity, market);
        v = read_column(file, path, n);
        if (v && units) {
            hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
            *units = d >= 0 ? read_str(d, "units") : NULL;
            if (d >= 0)
                H5Dclose(d);
        }
    }
    free(path);
    return v;
}

static double mean_of(const double *v, hsize_t n)
{
    double sum = 0;
    for (hsize_t i = 0; i < n; i++)
        sum += v[i];
    return n ? sum / (double)n : NAN;
}

/* Schema 2: the per-market /runs columns as a quantity x market table of
 * means over the rows, then what a run liquidated in each market: notional
 * (long + short), its share of every market's, and the fraction of rows with
 * a liquidation there. Each column's mean is over its own rows. */
static void runs_by_market(FILE *out, hid_t file, const markets *mk)
{
    quantities q;
    find_quantities(file, mk, &q);
    if (mk->n == 0 || q.n == 0)
        return;
    /* liquidated notional per market, summed over rows, for the shares */
    double *liq = calloc((size_t)mk->n, sizeof *liq), all = 0;
    for (long m = 0; liq && m < mk->n; m++) {
        hsize_t a = 0, b = 0;
        double *l =
            mk->name[m] ? market_column(file, "liq_notional_long", mk->name[m], &a, NULL) : NULL;
        double *s =
            mk->name[m] ? market_column(file, "liq_notional_short", mk->name[m], &b, NULL) : NULL;
        liq[m] = l && s ? 0 : NAN;
        for (hsize_t i = 0; l && s && i < (a < b ? a : b); i++)
            liq[m] += l[i] + s[i];
        if (!isnan(liq[m]))
            all += liq[m];
        free(l);
        free(s);
    }
    fprintf(out, "\n/runs by market: mean over the rows of each <quantity>.<market> column\n");
    for (long m0 = 0; m0 < mk->n; m0 += MARKETS_PER_BLOCK) {
        long m1 = m0 + MARKETS_PER_BLOCK < mk->n ? m0 + MARKETS_PER_BLOCK : mk->n;
        int w = 12;
        for (long m = m0; m < m1; m++)
            if (mk->name[m] && (int)strlen(mk->name[m]) > w)
                w = (int)strlen(mk->name[m]);
        fprintf(out, "  %-*s %-11s", PATH_W - 2, "quantity", "units");
        for (long m = m0; m < m1; m++)
            fprintf(out, " %*s", w, cell(mk->name, (hsize_t)mk->n, m));
        fputc('\n', out);
        for (int k = 0; k < q.n; k++) {
            char *units = NULL;
            fprintf(out, "  %-*s", PATH_W - 2, q.name[k]);
            char line[2048] = "";
            size_t used = 0;
            for (long m = m0; m < m1; m++) {
                hsize_t n = 0;
                char *u = NULL;
                double *v =
                    mk->name[m] ? market_column(file, q.name[k], mk->name[m], &n, &u) : NULL;
                if (v && !units)
                    units = u;
                else
                    free(u);
                if (used < sizeof line) {
                    if (v)
                        used += (size_t)snprintf(line + used, sizeof line - used, " %*.6g", w,
                                                 mean_of(v, n));
                    else
                        used += (size_t)snprintf(line + used, sizeof line - used, " %*s", w, "-");
                }
                free(v);
            }
            fprintf(out, " %-11s%s\n", units ? units : "?", line);
            free(units);
        }
        fprintf(out, "  %-*s %-11s", PATH_W - 2, "liq_notional (long+short)", "quote");
        for (long m = m0; m < m1; m++) {
            hsize_t n = 0;
            double *v = mk->name[m]
                            ? market_column(file, "liq_notional_long", mk->name[m], &n, NULL)
                            : NULL;
            fprintf(out, " %*.6g", w, liq && v && n ? liq[m] / (double)n : NAN);
            free(v);
        }
        fprintf(out, "\n  %-*s %-11s", PATH_W - 2, "share of liq_notional", "1");
        for (long m = m0; m < m1; m++)
            fprintf(out, " %*.4g", w, liq && all > 0 ? liq[m] / all : NAN);
        fprintf(out, "\n  %-*s %-11s", PATH_W - 2, "rows with a liquidation", "1");
        for (long m = m0; m < m1; m++) {
            hsize_t a = 0, b = 0;
            /* by notional: a partial liquidation counts (it closes no account) */
            double *l = mk->name[m]
                            ? market_column(file, "liq_notional_long", mk->name[m], &a, NULL)
                            : NULL;
            double *s = mk->name[m]
                            ? market_column(file, "liq_notional_short", mk->name[m], &b, NULL)
                            : NULL;
            hsize_t n = a < b ? a : b;
            long hit = 0;
            for (hsize_t i = 0; l && s && i < n; i++)
                hit += l[i] + s[i] > 0;
            fprintf(out, " %*.4g", w, l && s && n ? (double)hit / (double)n : NAN);
            free(l);
            free(s);
        }
        fputc('\n', out);
    }
    free(liq);
}

enum { C_POINT, C_RUN, C_BAD, C_LL, C_LS, C_DD, C_EXO, C_INS, C_ADL, C_ROUNDS, C_TRUNC, NCOL };
/* a point's columns as the metrics take them: those, then the cascade
 * steps, the CDP bad debt and the weights (each NULL when absent) */
enum { G_CASC = NCOL, G_CDP, G_WEIGHT, G_REP, NG };
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

/* Whether the file's scenario names a lending protocol (its CDP metrics). */
static int lending_on(hid_t f)
{
    hid_t d = H5Oopen(f, "scenario_resolved", H5P_DEFAULT);
    char *v = d >= 0 ? read_str(d, "venue.lending") : NULL;
    int on = v && strcmp(v, "none") != 0;
    free(v);
    if (d >= 0)
        H5Oclose(d);
    return on;
}

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

/* The points to report, as the Python package does: the values of
 * /points/point (its real size), or without /points 0 .. points-1 for the
 * root attribute, bounded by the largest point of the rows + 1 and by the
 * number of rows (an attribute is not trusted for a size, nor a value for
 * one: row i of a file liqcascade wrote has point i / runs <= i, so the
 * second bound changes nothing there). *np of them, caller frees. */
static double *point_list(hid_t f, int64_t points, const double *row_point, hsize_t n, hsize_t *np)
{
    double *pv = read_column(f, "points/point", np);
    if (pv)
        return pv;
    double top = 0;
    for (hsize_t i = 0; i < n; i++)
        if (row_point[i] + 1 > top)
            top = row_point[i] + 1;
    top = top < (double)points ? top : (double)points;
    *np = (hsize_t)(top < (double)n ? top : (double)n);
    pv = malloc((*np ? *np : 1) * sizeof *pv);
    for (hsize_t j = 0; pv && j < *np; j++)
        pv[j] = (double)j;
    return pv;
}

/* A value of the point list and its index, ordered by value then index. */
typedef struct point_key {
    double v;
    size_t j;
} point_key;

static int point_key_cmp(const void *a, const void *b)
{
    const point_key *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : x->j < y->j ? -1 : x->j > y->j;
}

/* The columns of one point's rows (k of them, in row order) as the metrics
 * read them: g holds NG columns (the /runs columns, the cascade steps,
 * the CDP bad debt and the weights; the last three NULL when absent). */
static lc_point_runs point_runs(long point, long k, double *const *g)
{
    return (lc_point_runs){point,      k,         g[C_BAD], g[C_LL],     g[C_LS],
                           g[C_DD],    g[C_EXO],  g[C_INS], g[C_ADL],    g[C_ROUNDS],
                           g[C_TRUNC], g[G_CASC], g[G_CDP], g[G_WEIGHT], g[G_REP]};
}

/* A point's row by its run index, for pairing. */
typedef struct run_key {
    double run;
    long row;
} run_key;

static int run_key_cmp(const void *a, const void *b)
{
    const run_key *x = a, *y = b;
    return x->run < y->run ? -1 : x->run > y->run ? 1 : (x->row > y->row) - (x->row < y->row);
}

/* Pair point j's rows (gj, kj of them) with the baseline's (gb, kb), run by
 * run in the baseline's row order, into pj and pb (NG columns of room
 * for kb rows each); returns the number of pairs. keys: scratch for kj
 * entries (sized by the rows, never by an attribute). A run index that
 * appears twice pairs its first row. */
static long pair_runs(double *const *gj, long kj, double *const *gb, long kb, run_key *keys,
                      double *const *pj, double *const *pb)
{
    long nk = 0;
    for (long i = 0; i < kj; i++)
        if (!isnan(gj[C_RUN][i]))
            keys[nk++] = (run_key){gj[C_RUN][i], i};
    qsort(keys, (size_t)nk, sizeof *keys, run_key_cmp);
    long m = 0;
    for (long i = 0; i < kb; i++) {
        double r = gb[C_RUN][i];
        long lo = 0, hi = nk; /* the first key with run >= r */
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (keys[mid].run < r)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == nk || keys[lo].run != r)
            continue;
        long at_j = keys[lo].row;
        for (int c = 0; c < NG; c++)
            if (gj[c] && gb[c]) {
                pj[c][m] = gj[c][at_j];
                pb[c][m] = gb[c][i];
            }
        m++;
    }
    return m;
}

/* The metric table of every point (docs/analysis.md) and, when paired is
 * not NULL, the paired differences of every other point against the point
 * named `baseline` (an error when no row has it). */
static int compute_metrics(hid_t f, lc_metric **rows, long *nrows, int *with_events, lc_error *err,
                           const char *path, long baseline, lc_metric **paired, long *npaired)
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
    double *casc = NULL, *cdp = NULL, *wt = NULL, *rep = NULL;
    *with_events = H5Lexists(f, "events", H5P_DEFAULT) > 0;
    if (rc == 0 && H5Lexists(f, "runs/weight", H5P_DEFAULT) > 0 &&
        (!(wt = read_column(f, "runs/weight", &m)) || m != n))
        rc = lc_error_at(err, path, 0, "runs/weight", "unreadable or of the wrong length");
    if (rc == 0 && wt && H5Lexists(f, "runs/replicate", H5P_DEFAULT) > 0 &&
        (!(rep = read_column(f, "runs/replicate", &m)) || m != n))
        rc = lc_error_at(err, path, 0, "runs/replicate", "unreadable or of the wrong length");
    if (rc == 0 && lending_on(f) && !(cdp = read_column(f, "runs/cdp_bad_debt", &m)))
        rc = lc_error_at(err, path, 0, "runs/cdp_bad_debt", "missing (venue.lending is on)");
    if (rc == 0 && cdp && m != n)
        rc = lc_error_at(err, path, 0, "runs/cdp_bad_debt", "of the wrong length");
    if (rc == 0 && *with_events && !(casc = cascade_steps(f, col[C_POINT], col[C_RUN], n, runs)))
        rc = lc_error_at(err, path, 0, "/events", "cannot read point, run, step and round");
    hsize_t np = 0;
    double *pv = rc == 0 ? point_list(f, points, col[C_POINT], n, &np) : NULL;
    /* each row's place in the point list (np: none), then the rows ordered by
     * it, stably, so a point's rows are contiguous and in row order */
    size_t *slot = rc == 0 ? malloc(((size_t)n ? (size_t)n : 1) * sizeof *slot) : NULL;
    size_t *first = rc == 0 ? calloc((size_t)np + 2, sizeof *first) : NULL;
    size_t *order = rc == 0 ? malloc(((size_t)n ? (size_t)n : 1) * sizeof *order) : NULL;
    /* the NCOL columns of one point, and its cascade steps */
    double *buf = rc == 0 ? malloc(((size_t)n ? (size_t)n : 1) * NG * sizeof *buf) : NULL;
    if (rc == 0 && (!pv || !slot || !first || !order || !buf))
        rc = lc_error_add(err, "out of memory");
    /* for the paired differences: the baseline's columns, the pairs, and
     * where each run sits among a point's rows */
    double *pbuf = NULL;
    run_key *run_keys = NULL;
    size_t bslot = (size_t)np;
    for (hsize_t j = 0; rc == 0 && paired && j < np && bslot == (size_t)np; j++)
        if (pv[j] == (double)baseline)
            bslot = (size_t)j;
    if (rc == 0 && paired && bslot == (size_t)np)
        rc = lc_error_at(err, path, 0, "--baseline",
                         "no point %ld in the file (its points: 0 to %ld)", baseline,
                         (long)points - 1);
    if (rc == 0 && paired &&
        (!(pbuf = malloc(((size_t)n ? (size_t)n : 1) * 3 * NG * sizeof *pbuf)) ||
         !(run_keys = malloc(((size_t)n ? (size_t)n : 1) * sizeof *run_keys))))
        rc = lc_error_add(err, "out of memory");
    int identity = 1; /* points 0 .. np-1, as every file liqcascade writes has */
    for (hsize_t j = 0; rc == 0 && j < np && identity; j++)
        identity = pv[j] == (double)j;
    /* otherwise the point list sorted, to find a row's point in log time */
    point_key *keys = NULL;
    size_t nkeys = 0;
    if (rc == 0 && !identity && !(keys = malloc((size_t)np * sizeof *keys)))
        rc = lc_error_add(err, "out of memory");
    for (hsize_t j = 0; keys && j < np; j++)
        if (!isnan(pv[j]))
            keys[nkeys++] = (point_key){pv[j], (size_t)j};
    if (keys)
        qsort(keys, nkeys, sizeof *keys, point_key_cmp);
    for (hsize_t i = 0; rc == 0 && i < n; i++) {
        double v = col[C_POINT][i];
        slot[i] = (size_t)np;
        if (identity) {
            if (v >= 0 && v < (double)np && v == floor(v))
                slot[i] = (size_t)v;
        } else { /* the first point of value v: the lowest key >= (v, 0) */
            size_t lo = 0, hi = nkeys;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (keys[mid].v < v)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < nkeys && keys[lo].v == v)
                slot[i] = keys[lo].j;
        }
        first[slot[i] + 1]++;
    }
    free(keys);
    for (hsize_t j = 0; rc == 0 && j <= np; j++)
        first[j + 1] += first[j];
    for (hsize_t i = 0; rc == 0 && i < n; i++) /* counting sort: first[] moves on */
        order[first[slot[i]]++] = (size_t)i;
    for (hsize_t j = np; rc == 0 && j > 0; j--) /* and back to where each point starts */
        first[j] = first[j - 1];
    if (rc == 0)
        first[0] = 0;
    /* the baseline's rows first (so every point can be paired with them),
     * then every point's in order */
    for (hsize_t step = 0; rc == 0 && step <= np; step++) {
        int is_base = step == 0;
        if (is_base && !paired)
            continue;
        size_t j = is_base ? bslot : (size_t)step - 1;
        /* the point's rows, in row order, gathered column by column */
        double *g[NG]; /* the columns, the cascade steps, the CDP bad debt, the weights */
        double *base = is_base ? pbuf : buf;
        for (int c = 0; c < NG; c++)
            g[c] = base + (size_t)c * (size_t)n;
        if (!casc)
            g[G_CASC] = NULL;
        if (!cdp)
            g[G_CDP] = NULL;
        if (!wt)
            g[G_WEIGHT] = NULL;
        if (!rep)
            g[G_REP] = NULL;
        size_t k = 0;
        for (size_t r = first[j]; r < first[j + 1]; r++, k++) {
            size_t i = order[r];
            for (int c = 0; c < NCOL; c++)
                g[c][k] = col[c][i];
            if (casc)
                g[G_CASC][k] = casc[i];
            if (cdp)
                g[G_CDP][k] = cdp[i];
            if (wt)
                g[G_WEIGHT][k] = wt[i];
            if (rep)
                g[G_REP][k] = rep[i];
        }
        if (is_base)
            continue;
        lc_point_runs pr = point_runs((long)pv[j], (long)k, g);
        if (lc_metrics_point(&pr, rows, nrows))
            rc = lc_error_add(err, "out of memory");
        if (rc || !paired || j == bslot)
            continue;
        double *gb[NG], *pj[NG], *pb[NG];
        for (int c = 0; c < NG; c++) {
            gb[c] = g[c] ? pbuf + (size_t)c * (size_t)n : NULL;
            pj[c] = g[c] ? pbuf + (size_t)(NG + c) * (size_t)n : NULL;
            pb[c] = g[c] ? pbuf + (size_t)(2 * NG + c) * (size_t)n : NULL;
        }
        size_t kb = first[bslot + 1] - first[bslot];
        long pairs = pair_runs(g, (long)k, gb, (long)kb, run_keys, pj, pb);
        lc_point_runs a = point_runs((long)pv[j], pairs, pj), b = point_runs(baseline, pairs, pb);
        if (lc_metrics_paired(&a, &b, paired, npaired))
            rc = lc_error_add(err, "out of memory");
    }
    free(pbuf);
    free(run_keys);
    free(buf);
    free(order);
    free(first);
    free(slot);
    free(pv);
    free(casc);
    free(cdp);
    free(wt);
    free(rep);
    for (int k = 0; k < NCOL; k++)
        free(col[k]);
    return rc;
}

static void print_interval(FILE *out, const lc_metric *m)
{
    char b[80];
    if (isnan(m->lo))
        snprintf(b, sizeof b, "%.4g", m->value);
    else if (isnan(m->hi)) /* weighted: no run saw it */
        snprintf(b, sizeof b, "%.4g [%.4g, ?]", m->value, m->lo);
    else
        snprintf(b, sizeof b, "%.4g [%.4g, %.4g]", m->value, m->lo, m->hi);
    fprintf(out, " %-28s", b);
}

/* The metrics for a reader: every metric by point when there are few
 * points, a headline selection per point otherwise. */
static void metrics_table(FILE *out, const lc_metric *rows, long n, int with_events, int split)
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
    int weighted = 0;
    for (long p = 0; p < points; p++)
        for (long i = 0; i < per; i++) {
            const lc_metric *m = &rows[p * per + i];
            if (strcmp(m->metric, "ess") != 0)
                continue;
            weighted = 1;
            if (m->value < LC_ESS_FEW && !split)
                fprintf(out,
                        "  WARNING: point %ld: the weights' effective sample size is %.3g "
                        "(below %d): its means and quantiles over all runs rest on a few "
                        "heavy runs; the tail the tilt aims at can still be precise (see its "
                        "interval)\n",
                        m->point, m->value, LC_ESS_FEW);
        }
    if (weighted && split)
        fprintf(out, "  (runs left by multilevel splitting: every metric weighted by "
                     "/runs/weight; probabilities\n  with the interval of the replicates' "
                     "estimates (Student's t), [0, ?] when no run saw\n  the event; quantiles "
                     "and shortfalls of the weighted distribution, without an interval)\n");
    else if (weighted)
        fprintf(out, "  (runs drawn by importance sampling: every metric weighted by "
                     "/runs/weight; probabilities\n  with the weighted mean's normal interval, "
                     "[0, ?] when no run saw the event; quantiles\n  and shortfalls of the "
                     "weighted distribution, without an interval)\n");
    fprintf(out, "  (every metric of every point as CSV: liqcascade info FILE --metrics)\n");
}

/* The paired differences for a reader: a headline selection per point. */
static void paired_table(FILE *out, const lc_metric *rows, long n, long baseline)
{
    static const char *const pick[] = {"p_bad_debt", "p_insurance_depleted", "bad_debt.mean",
                                       "liq_notional.mean", "max_drawdown.mean"};
    fprintf(out,
            "\npaired differences against point %ld (the same runs at both points): "
            "value [95%% interval]\n  %5s",
            baseline, "point");
    for (size_t k = 0; k < LC_COUNT(pick); k++)
        fprintf(out, " %-28s", pick[k]);
    fputc('\n', out);
    for (long i = 0; i < n;) {
        long p = rows[i].point, end = i;
        while (end < n && rows[end].point == p)
            end++;
        fprintf(out, "  %5ld", p);
        for (size_t k = 0; k < LC_COUNT(pick); k++)
            for (long r = i; r < end; r++)
                if (strcmp(rows[r].metric, pick[k]) == 0)
                    print_interval(out, &rows[r]);
        fputc('\n', out);
        i = end;
    }
    fprintf(out, "  (Newcombe's interval for probabilities, the paired normal one for means;\n"
                 "  every metric as CSV: liqcascade info FILE --paired [--baseline B])\n");
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
    /* runs x points, when both are positive and the product fits */
    int have_rows = read_num(f, "runs", H5T_NATIVE_INT64, &nruns) == 0 &&
                    read_num(f, "points", H5T_NATIVE_INT64, &npoints) == 0 && nruns > 0 &&
                    npoints > 0 && nruns <= INT64_MAX / npoints;
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
    char *rare = read_str(f, "rare_method"), *pilot = read_str(f, "rare_pilot");
    char *split = read_str(f, "rare_split");
    if (rare)
        fprintf(out,
                "  %-8s %s: %s, each run weighted by /runs/weight (the /runs table below shows "
                "the runs as drawn)\n",
                "rare", rare,
                split ? "multilevel splitting in replicates (/runs/replicate)"
                      : "importance sampling");
    if (pilot && *pilot)
        fprintf(out, "  %-8s cross-entropy iterations: %s\n", "pilot", pilot);
    if (split && *split)
        fprintf(out, "  %-8s %s\n", "split", split);
    free(rare);
    free(pilot);
    free(split);
    int64_t sv;
    if (read_num(f, "schema_version", H5T_NATIVE_INT64, &sv) == 0 && sv > SCHEMA_KNOWN)
        fprintf(out,
                "  NOTE: schema %" PRId64 " is newer than this liqcascade reads (1 to %d): "
                "what follows may be incomplete\n",
                sv, SCHEMA_KNOWN);
    free(version);
    free(commit);
    free(status);
    free(engine);
}

/* The root attributes info reads, and what each must be. */
static const struct {
    const char *name;
    attr_kind kind;
} root_attrs[] = {{"schema_version", A_INT}, {"version", A_STR},        {"git_commit", A_STR},
                  {"seed", A_INT},           {"runs", A_INT},           {"points", A_INT},
                  {"steps", A_INT},          {"dt_seconds", A_NUM},     {"series_every", A_INT},
                  {"status", A_STR},         {"runs_completed", A_INT}, {"engine", A_STR}};

/* The file summarised into out (a buffer: nothing is shown of a file that
 * is then refused). Returns 0, -1 (refused), or 1 when only the paired
 * table failed (no such --baseline): what was printed stands, and the
 * command still fails. */
static int info_file(const char *path, hid_t f, lc_info_what what, long baseline, FILE *out,
                     lc_error *err)
{
    lc_metric *rows = NULL, *paired = NULL;
    long nrows = 0, npaired = 0;
    int with_events = 0;
    if (what != LC_INFO_ALL) {
        int rc = compute_metrics(f, &rows, &nrows, &with_events, err, path, baseline,
                                 what == LC_INFO_PAIRED ? &paired : NULL, &npaired);
        if (rc == 0 && what == LC_INFO_METRICS)
            lc_metrics_csv(rows, nrows, out);
        if (rc == 0 && what == LC_INFO_PAIRED)
            lc_paired_csv(paired, npaired, baseline, out);
        free(rows);
        free(paired);
        return rc;
    }
    int64_t points = 1;
    read_num(f, "points", H5T_NATIVE_INT64, &points);
    summary(out, path, f);
    markets mk;
    markets_read(f, &mk);
    markets_table(out, f, &mk);

    fprintf(out, "\n%-*s %-*s %-11s %s\n", PATH_W + 2, "datasets", SHAPE_W, "shape", "units",
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
    static const char *const groups[] = {"points",     "markets",         "series",
                                         "population", "population/legs", "events"};
    for (int i = 0; i < LC_COUNT(groups); i++)
        list_group(out, f, groups[i]);
    runs_table(out, f, &mk);
    runs_by_market(out, f, &mk);
    lc_error merr = {0}, perr = {0};
    int mrc = compute_metrics(f, &rows, &nrows, &with_events, &merr, path, baseline,
                              points > 1 ? &paired : NULL, &npaired);
    if (mrc && points > 1) { /* the pairing failed (--baseline): the metrics without it */
        perr = merr;
        merr = (lc_error){0};
        free(rows);
        free(paired);
        rows = paired = NULL;
        nrows = npaired = 0;
        mrc =
            compute_metrics(f, &rows, &nrows, &with_events, &merr, path, baseline, NULL, &npaired);
        if (mrc) /* not the pairing: the metrics' own error, as without points */
            perr.count = 0;
    }
    if (mrc == 0 && nrows > 0) {
        metrics_table(out, rows, nrows, with_events, H5Aexists(f, "rare_split") > 0);
        if (npaired)
            paired_table(out, paired, npaired, baseline);
        if (mk.n > 1)
            fprintf(out,
                    "  (%ld markets: bad_debt and liq_notional are every market's; max_drawdown "
                    "and\n  amplification the first market's, %s: see /runs by market)\n",
                    mk.n, cell(mk.name, (hsize_t)mk.n, 0));
    } else if (merr.count) {
        fprintf(out, "\nno risk metrics: %s", merr.msg);
    }
    free(rows);
    free(paired);
    markets_free(&mk);
    if (perr.count) { /* printed what there is, and fail: the asked-for pairing is not */
        lc_error_add(err, "%.*s", (int)(perr.len ? perr.len - 1 : 0), perr.msg);
        return 1;
    }
    return 0;
}

static int refuse_bad_attr(lc_error *err, const char *path)
{
    return lc_error_at(err, path, 0, bad_attr.key, "%s; not a file liqcascade wrote, refused",
                       bad_attr.why);
}

static int info(const char *path, lc_info_what what, long baseline, FILE *out, lc_error *err)
{
    if (access(path, R_OK) != 0)
        return lc_error_at(err, path, 0, NULL, "cannot read: %s", strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        return lc_error_at(err, path, 0, NULL, "not a liqcascade result file (not HDF5)");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return lc_error_at(err, path, 0, NULL, "cannot open (damaged HDF5 file?)");
    memset(&bad_attr, 0, sizeof bad_attr);
    /* format first, checked to be one scalar string before it is read: no
     * other string is read from a file that is not ours (HDF5 itself may
     * fail badly on a damaged one, docs/schema.md) */
    char *format = read_str(f, "format");
    int ours = format && strcmp(format, "liqcascade") == 0;
    free(format);
    if (!ours) {
        H5Fclose(f);
        if (bad_attr.set)
            return lc_error_at(err, path, 0, NULL, "not a liqcascade result file (%s: %s)",
                               bad_attr.key, bad_attr.why);
        return lc_error_at(err, path, 0, NULL,
                           "not a liqcascade result file (no format = \"liqcascade\" attribute)");
    }
    /* then every root attribute's class, rank and size, before any value */
    for (size_t i = 0; i < sizeof root_attrs / sizeof *root_attrs && !bad_attr.set; i++) {
        hid_t a;
        if (attr_open(f, root_attrs[i].name, root_attrs[i].kind, &a) > 0)
            H5Aclose(a);
    }
    if (bad_attr.set) {
        H5Fclose(f);
        return refuse_bad_attr(err, path);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *buf = open_memstream(&text, &len);
    if (!buf) {
        H5Fclose(f);
        return lc_error_at(err, path, 0, NULL, "out of memory");
    }
    int rc = info_file(path, f, what, baseline, buf, err), shown = rc > 0;
    H5Fclose(f);
    if (fclose(buf) != 0) {
        shown = 0;
        if (rc == 0)
            rc = lc_error_at(err, path, 0, NULL, "out of memory");
    }
    if (rc == 0 && bad_attr.set) /* an attribute of a group or dataset */
        rc = refuse_bad_attr(err, path);
    if ((rc == 0 || (shown && !bad_attr.set)) && text)
        fwrite(text, 1, len, out);
    free(text);
    return rc;
}

int lc_info_print(const char *path, lc_info_what what, long baseline, FILE *out, lc_error *err)
{
    /* our messages, not HDF5's stack dumps; the caller's handler comes back */
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = info(path, what, baseline, out, err);
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    return rc;
}

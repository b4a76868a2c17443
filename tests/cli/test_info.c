/* test_info.c — `liqcascade info` on hostile files (issue 19, D1 and D2).
 *
 * Each test copies a real result file written by the binary and changes it
 * with the HDF5 C API: an attribute info reads replaced by an array, by a
 * value of another class, by an empty or a null dataspace, by a huge fixed
 * string; counts set absurdly high; a dataset whose extent its storage
 * cannot hold. info must refuse the file (exit 1, the file and the attribute
 * named, nothing of the summary printed) or summarise it within bounded time
 * and memory, and never crash: under `make asan` an overflow fails here. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static char *dir, *base;

static char *path(const char *name)
{
    char *p;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static void setup(void)
{
    dir = t_tmpdir();
    base = path("base.h5");
    char *out;
    cr_assert_eq(t_cli(&out, "run %s/scenarios/quickstart.yaml --runs 4 --steps 10 -o %s -q",
                       LC_SOURCE_DIR, base),
                 0, "%s", out);
    free(out);
}

static void teardown(void)
{
    free(base);
    t_rmdir(dir);
}

TestSuite(info, .init = setup, .fini = teardown);

/* A copy of the base file, named name in the test's folder (caller frees). */
static char *copy_base(const char *name)
{
    char *to = path(name);
    FILE *in = fopen(base, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "cannot copy %s to %s", base, to);
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    return to;
}

/* How a replaced attribute is made. */
typedef enum variant {
    V_INT,         /* int64 scalar 4 */
    V_FLOAT,       /* float64 scalar 4.0 */
    V_VSTR,        /* variable-length string scalar "4" */
    V_FSTR,        /* fixed-length string scalar "4" */
    V_INT_ARRAY,   /* int64 [3] */
    V_FLOAT_ARRAY, /* float64 [3] */
    V_ONE_ARRAY,   /* a [1] array of the expected class */
    V_VSTR_ARRAY,  /* variable-length strings [3] */
    V_FSTR_ARRAY,  /* fixed-length strings [3] */
    V_COMPOUND,    /* {int64, float64} scalar */
    V_EMPTY,       /* a [0] array of the expected class */
    V_NULL,        /* a null dataspace, of the expected class */
    V_HUGE_FSTR,   /* a fixed-length string scalar of 4 MiB */
    V_N
} variant;

static const char *const variant_name[V_N] = {
    "int64 scalar",       "float64 scalar",  "vlen string scalar", "fixed string scalar",
    "int64 array",        "float64 array",   "one-element array",  "vlen string array",
    "fixed string array", "compound scalar", "empty array",        "null dataspace",
    "4 MiB fixed string"};

typedef enum kind { K_STR, K_INT, K_NUM } kind;

/* Replace attribute attr of object obj in file by one made as v (strings
 * hold `text`; kind: the class the attribute should have, for V_ONE_ARRAY,
 * V_EMPTY and V_NULL). */
static void put_attr(const char *file, const char *obj, const char *attr, variant v, kind k,
                     const char *text)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0, "cannot open %s", file);
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    cr_assert(o >= 0, "%s: no object %s", file, obj);
    if (H5Aexists(o, attr) > 0)
        cr_assert(H5Adelete(o, attr) >= 0);
    hsize_t three = 3, one = 1, zero = 0;
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    H5Tset_cset(vstr, H5T_CSET_UTF8);
    hid_t fstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(fstr, strlen(text) + 1);
    hid_t expected = k == K_STR ? vstr : k == K_INT ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
    hid_t type = -1, space = -1;
    int64_t ints[3] = {4, 4, 4};
    double reals[3] = {4, 4, 4};
    const char *strs[3] = {text, text, text};
    char fixed3[3][64] = {{0}};
    for (int i = 0; i < 3; i++)
        snprintf(fixed3[i], sizeof fixed3[i], "%s", text);
    struct {
        int64_t a;
        double b;
    } comp = {4, 4};
    char *huge = NULL;
    const void *data = NULL;
    switch (v) {
    case V_INT:
        type = H5Tcopy(H5T_NATIVE_INT64), space = H5Screate(H5S_SCALAR), data = ints;
        break;
    case V_FLOAT:
        type = H5Tcopy(H5T_NATIVE_DOUBLE), space = H5Screate(H5S_SCALAR), data = reals;
        break;
    case V_VSTR:
        type = H5Tcopy(vstr), space = H5Screate(H5S_SCALAR), data = strs;
        break;
    case V_FSTR:
        type = H5Tcopy(fstr), space = H5Screate(H5S_SCALAR), data = text;
        break;
    case V_INT_ARRAY:
        type = H5Tcopy(H5T_NATIVE_INT64), space = H5Screate_simple(1, &three, NULL), data = ints;
        break;
    case V_FLOAT_ARRAY:
        type = H5Tcopy(H5T_NATIVE_DOUBLE), space = H5Screate_simple(1, &three, NULL), data = reals;
        break;
    case V_ONE_ARRAY:
        type = H5Tcopy(expected), space = H5Screate_simple(1, &one, NULL);
        data = k == K_STR ? (const void *)strs : k == K_INT ? (const void *)ints : reals;
        break;
    case V_VSTR_ARRAY:
        type = H5Tcopy(vstr), space = H5Screate_simple(1, &three, NULL), data = strs;
        break;
    case V_FSTR_ARRAY:
        type = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, &three, NULL), data = fixed3;
        H5Tset_size(type, sizeof fixed3[0]);
        break;
    case V_COMPOUND:
        type = H5Tcreate(H5T_COMPOUND, sizeof comp), space = H5Screate(H5S_SCALAR), data = &comp;
        H5Tinsert(type, "a", 0, H5T_NATIVE_INT64);
        H5Tinsert(type, "b", sizeof(int64_t), H5T_NATIVE_DOUBLE);
        break;
    case V_EMPTY:
        type = H5Tcopy(expected), space = H5Screate_simple(1, &zero, NULL);
        break;
    case V_NULL:
        type = H5Tcopy(expected), space = H5Screate(H5S_NULL);
        break;
    case V_HUGE_FSTR:
        type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
        H5Tset_size(type, 4 << 20);
        huge = calloc(4 << 20, 1);
        cr_assert(huge);
        memcpy(huge, text, strlen(text));
        data = huge;
        break;
    case V_N:
        break;
    }
    cr_assert(type >= 0 && space >= 0);
    hid_t a = H5Acreate2(o, attr, type, space, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0, "%s: cannot create %s on %s", file, attr, obj);
    if (data)
        cr_assert(H5Awrite(a, type, data) >= 0, "%s: cannot write %s", file, attr);
    free(huge);
    H5Aclose(a);
    H5Tclose(type);
    H5Sclose(space);
    H5Tclose(vstr);
    H5Tclose(fstr);
    H5Oclose(o);
    H5Fclose(f);
}

/* Run info on file: it must refuse it, cleanly and clearly. */
static void assert_refused(const char *file, const char *obj, const char *attr, const char *what)
{
    char *out, needle[128];
    int rc = t_cli_bounded(&out, 60, 2048, "info %s", file);
    cr_assert_eq(rc, 1, "%s: info exited %d, not 1:\n%s", what, rc, out);
    assert_has(out, file);
    snprintf(needle, sizeof needle, "attribute \"%s\"", attr);
    cr_assert(strstr(out, needle), "%s: the message does not name %s:\n%s", what, needle, out);
    cr_assert(!strstr(out, "liqcascade result (schema"), "%s: a summary was printed:\n%s", what,
              out);
    free(out);
    if (strcmp(obj, "/") == 0) { /* --metrics reads the root's attributes alone */
        rc = t_cli_bounded(&out, 60, 2048, "info %s --metrics", file);
        cr_assert_eq(rc, 1, "%s, --metrics: exited %d:\n%s", what, rc, out);
        free(out);
    }
}

/* Every variant of the wrong class, rank or size for an attribute of kind k,
 * each in a file of its own; the one kind that is right is accepted. */
static void refuse_every_variant(const char *obj, const char *attr, kind k, const char *text)
{
    for (int v = 0; v < V_N; v++) {
        int fine =
            k == K_STR ? v == V_VSTR || v == V_FSTR : v == V_INT || (k == K_NUM && v == V_FLOAT);
        char name[160], what[256];
        snprintf(name, sizeof name, "v%d-%s.h5", v, attr);
        snprintf(what, sizeof what, "%s of %s as a %s", attr, obj, variant_name[v]);
        char *file = copy_base(name);
        put_attr(file, obj, attr, (variant)v, k, text);
        if (fine) {
            char *out;
            int rc = t_cli_bounded(&out, 60, 2048, "info %s", file);
            cr_assert_eq(rc, 0, "%s: info exited %d:\n%s", what, rc, out);
            free(out);
        } else {
            assert_refused(file, obj, attr, what);
        }
        free(file);
    }
}

Test(info, the_base_file_is_summarised)
{
    char *out;
    cr_assert_eq(t_cli(&out, "info %s", base), 0, "%s", out);
    assert_has(out, "liqcascade result (schema 2)");
    assert_has(out, "complete: 4 of 4 rows (4 runs x 1 point)");
    free(out);
}

/* A --baseline the file does not hold fails the command (exit 1, naming the
 * option and the points there are) but keeps what can be printed: the
 * metrics of every point, without the paired table (audit M1). */
Test(info, a_missing_baseline_fails_but_keeps_the_metrics)
{
    char *sweep = path("sweep.h5"), *out;
    cr_assert_eq(t_cli(&out,
                       "sweep %s/scenarios/quickstart.yaml --runs 8 --steps 30 -o %s -q "
                       "--vary venue.tiers.0.mmr=0.004,0.006",
                       LC_SOURCE_DIR, sweep),
                 0, "%s", out);
    free(out);
    cr_assert_eq(t_cli(&out, "info %s --baseline 9", sweep), 1, "%s", out);
    assert_has(out, "--baseline: no point 9 in the file (its points: 0 to 1)");
    assert_has(out, "p_bad_debt");
    cr_assert_null(strstr(out, "paired"), "no paired table without its baseline:\n%s", out);
    free(out);
    cr_assert_eq(t_cli(&out, "info %s --baseline 1", sweep), 0, "%s", out);
    assert_has(out, "paired");
    free(out);
    free(sweep);
}

/* D1: the format check itself reads nothing it has not checked */
Test(info, format_of_any_shape_is_checked_before_it_is_read)
{
    for (int v = 0; v < V_N; v++) {
        char name[64], *out;
        snprintf(name, sizeof name, "format-%d.h5", v);
        char *file = copy_base(name);
        put_attr(file, "/", "format", (variant)v, K_STR, "liqcascade");
        int rc = t_cli_bounded(&out, 60, 2048, "info %s", file);
        if (v == V_VSTR || v == V_FSTR) { /* a scalar string: ours */
            cr_assert_eq(rc, 0, "format as a %s: %d\n%s", variant_name[v], rc, out);
        } else {
            cr_assert_eq(rc, 1, "format as a %s: %d\n%s", variant_name[v], rc, out);
            assert_has(out, file);
            assert_has(out, "not a liqcascade result file");
            assert_has(out, "attribute \"format\"");
        }
        free(out);
        free(file);
    }
    /* another value, and a foreign HDF5 file without it */
    char *file = copy_base("other.h5"), *out;
    put_attr(file, "/", "format", V_VSTR, K_STR, "netcdf");
    cr_assert_eq(t_cli(&out, "info %s", file), 1, "%s", out);
    assert_has(out, "not a liqcascade result file (no format = \"liqcascade\" attribute)");
    free(out);
    free(file);
    file = path("foreign.h5");
    hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 3;
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "runs", H5T_NATIVE_INT64, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    cr_assert_eq(t_cli(&out, "info %s", file), 1, "%s", out);
    assert_has(out, file);
    assert_has(out, "not a liqcascade result file");
    free(out);
    free(file);
}

/* D1: every root number info reads */
Test(info, root_numbers_must_be_scalar_numbers)
{
    static const char *const ints[] = {"schema_version", "seed",         "runs",          "points",
                                       "steps",          "series_every", "runs_completed"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        refuse_every_variant("/", ints[i], K_INT, "4");
    refuse_every_variant("/", "dt_seconds", K_NUM, "60");
}

/* D1: every root string info reads */
Test(info, root_strings_must_be_scalar_strings)
{
    static const char *const strs[] = {"version", "git_commit", "status", "engine"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        refuse_every_variant("/", strs[i], K_STR, "complete");
}

/* D1: the attributes of datasets and groups info reads */
Test(info, dataset_and_group_strings_must_be_scalar_strings)
{
    static const char *const at[][2] = {{"/series/price", "units"},
                                        {"/series/price", "description"},
                                        {"/points/point", "units"},
                                        {"/scenario", "description"},
                                        {"/markets/name", "units"},
                                        {"/runs/bad_debt", "units"},
                                        {"/runs/liq_notional_long.market", "units"},
                                        {"/runs", "columns"}};
    for (size_t i = 0; i < sizeof at / sizeof *at; i++)
        refuse_every_variant(at[i][0], at[i][1], K_STR, "quote");
}

/* Overwrite every value of a 1-D float64 column. */
static void fill_column(const char *file, const char *dataset, double value)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT), s = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(s, &n, NULL);
    double *v = malloc((size_t)n * sizeof *v);
    for (hsize_t i = 0; i < n; i++)
        v[i] = value;
    cr_assert(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    free(v);
    H5Sclose(s);
    H5Dclose(d);
    H5Fclose(f);
}

static void put_int(const char *file, const char *attr, int64_t value)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, attr, H5P_DEFAULT);
    cr_assert(a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0);
    H5Aclose(a);
    H5Fclose(f);
}

static void delete_link(const char *file, const char *link)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(H5Ldelete(f, link, H5P_DEFAULT) >= 0);
    H5Fclose(f);
}

/* Summarised (exit 0) within 20 s and 2 GiB; --metrics exits metrics_rc. */
static char *assert_quick(const char *file, int metrics_rc, const char *what)
{
    char *out;
    int rc = t_cli_bounded(&out, 20, 2048, "info %s", file);
    cr_assert_eq(rc, 0, "%s: info exited %d (137: killed after 20 s):\n%s", what, rc, out);
    char *csv;
    rc = t_cli_bounded(&csv, 20, 2048, "info %s --metrics", file);
    cr_assert_eq(rc, metrics_rc, "%s, --metrics: exited %d:\n%s", what, rc, csv);
    free(csv);
    return out;
}

/* D2: counts come from the datasets, never from an attribute */
Test(info, points_1e15_finishes_with_bounded_memory)
{
    char *file = copy_base("points.h5");
    put_int(file, "points", 1000000000000000);
    char *out = assert_quick(file, 0, "points = 1e15");
    assert_has(out, "4 runs x 1000000000000000 points");
    assert_has(out, "risk metrics");
    free(out);
    /* without /points, and rows claiming points up to 1e12 */
    delete_link(file, "points");
    fill_column(file, "runs/point", 1e12);
    out = assert_quick(file, 0, "points = 1e15, no /points, rows of point 1e12");
    free(out);
    free(file);
}

Test(info, extreme_counts_do_not_overflow)
{
    char *file = copy_base("counts.h5"), *out;
    put_int(file, "runs", INT64_MAX);
    put_int(file, "points", 2);
    put_int(file, "steps", INT64_MAX);
    put_int(file, "series_every", INT64_MIN);
    put_int(file, "runs_completed", -1);
    out = assert_quick(file, 0, "runs = 2^63 - 1, points = 2");
    free(out);
    put_int(file, "runs", -5);
    put_int(file, "points", -7);
    out = assert_quick(file, 1, "negative runs and points");
    assert_has(out, "status   complete: -1 rows");
    free(out);
    free(file);
}

/* D2: a dataset whose extent its storage cannot hold (1e9 rows, no chunk
 * written) is not read whole: info says what it cannot use and finishes */
Test(info, a_column_larger_than_its_storage_is_not_read)
{
    char *file = copy_base("extent.h5");
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(H5Ldelete(f, "runs/bad_debt", H5P_DEFAULT) >= 0);
    hsize_t n = 1000000000, chunk = 8192;
    hid_t s = H5Screate_simple(1, &n, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(p, 1, &chunk);
    hid_t d = H5Dcreate2(f, "runs/bad_debt", H5T_NATIVE_DOUBLE, s, H5P_DEFAULT, p, H5P_DEFAULT);
    cr_assert(d >= 0);
    H5Dclose(d);
    H5Pclose(p);
    H5Sclose(s);
    H5Fclose(f);
    char *out = assert_quick(file, 1, "a column of 1e9 rows with no storage");
    assert_has(out, "bad_debt");
    assert_has(out, "(not a numeric column)");
    assert_has(out, "no risk metrics");
    free(out);
    free(file);
}

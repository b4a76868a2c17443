/* test_writer.c — the HDF5 file (sim/out/writer.c) and `info` (sim/cli/info.c).
 *
 * A round trip of distinct known values through the writer in two batches,
 * read back and compared exactly (every /runs, /series, /events and
 * /population value, the root attributes, the scenario); `units` and a
 * non-empty `description` on every dataset; and the file guarantees: no
 * overwrite without force (also of a file that appears while writing), no
 * file after abort or a failed write, status "interrupted", HDF5 failures
 * reported as messages rather than stack dumps. */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"
#include "cli/info.h"
#include "out/writer.h"

static const char *text = "# a comment, kept as given: µ ≤ σ\n"
                          "simulation: {runs: 5, steps: 6, dt: 60, seed: 7}\n"
                          "price: {model: gbm, s0: 100, sigma: 0.5}\n"
                          "population: {accounts: 0}\n"
                          "output: {series: [price, liq_long, oi], every: 2}\n";
#define RUNS 5
#define COLS 4 /* steps / every + 1 */
#define NSERIES 3

static lc_population *tiny_population(void)
{
    int8_t side[3] = {1, -1, 1};
    double qty[3] = {1, 2, 3}, entry[3] = {100, 101, 99}, col[3] = {10, 20, 50},
           mmr[3] = {0.005, 0.01, 0.02};
    lc_error err = {0};
    lc_population *p = lc_population_from_arrays(3, side, qty, entry, col, mmr, &err);
    cr_assert_not_null(p, "%s", err.msg);
    return p;
}

/* value of /runs column c in row r: distinct everywhere, exact in double */
static double run_cell(long r, int c)
{
    return lc_run_columns()[c].type == 'i' ? (double)(r * 100 + c) : r * 100.0 + c + 0.25;
}

/* value of /events column c of event e of row r (row r has r events) */
static double event_cell(long r, long e, int c)
{
    return lc_event_columns()[c].type == 'i' ? (double)(r * 1000 + e * 20 + c)
                                             : r * 1000.0 + e * 20 + c + 0.5;
}

static float series_cell(long r, int k, long t)
{
    return (float)(r * 1000 + k * 10 + t) + 0.125f;
}

/* store v as column `col` of the struct at p */
static void put(void *p, const lc_column *col, double v)
{
    char *at = (char *)p + col->offset;
    if (col->type == 'i') {
        int64_t i = (int64_t)v;
        memcpy(at, &i, sizeof i);
    } else {
        memcpy(at, &v, sizeof v);
    }
}

static void fill(lc_batch *b, long first, long n)
{
    b->first_row = first;
    b->nrows = n;
    for (long i = 0; i < n; i++) {
        long r = first + i;
        for (int c = 0; c < lc_n_run_columns(); c++)
            put(&b->rows[i], &lc_run_columns()[c], run_cell(r, c));
        for (int k = 0; k < b->nseries; k++)
            for (long t = 0; t < b->ncols; t++)
                lc_batch_series(b, i, k)[t] = series_cell(r, k, t);
        b->events[i].n = 0;
        for (long e = 0; e < r; e++) {
            lc_event ev;
            for (int c = 0; c < lc_n_event_columns(); c++)
                put(&ev, &lc_event_columns()[c], event_cell(r, e, c));
            cr_assert_eq(lc_eventbuf_push(&b->events[i], &ev), 0);
        }
    }
}

static char *join(const char *dir, const char *name)
{
    char *p;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

/* Write dir/w.h5: 5 rows in batches of 3 and 2, with events and population. */
static char *write_file(const char *dir, int complete)
{
    lc_scenario *sc = t_scenario(text);
    lc_population *pop = tiny_population();
    char *path = join(dir, "w.h5");
    lc_writer_opts o = {path, 0, 1, 1, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, pop, &err);
    cr_assert_not_null(w, "%s", err.msg);
    lc_batch *b = lc_batch_create(sc, 3, 1);
    cr_assert_eq(b->nseries, NSERIES);
    cr_assert_eq(b->ncols, COLS);
    fill(b, 0, 3);
    cr_assert_eq(lc_writer_append(w, b, &err), 0, "%s", err.msg);
    fill(b, 3, 2);
    cr_assert_eq(lc_writer_append(w, b, &err), 0, "%s", err.msg);
    cr_assert_eq(lc_writer_finish(w, complete, &err), 0, "%s", err.msg);
    lc_batch_free(b);
    lc_population_free(pop);
    lc_scenario_free(sc);
    return path;
}

/* a scalar string dataset, read whole; caller frees */
static char *read_text(const char *path, const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    cr_assert(d >= 0, "no dataset %s", name);
    hid_t t = H5Dget_type(d);
    cr_assert(H5Tis_variable_str(t) > 0 && H5Tget_cset(t) == H5T_CSET_UTF8, "%s: UTF-8", name);
    char *v = NULL;
    cr_assert(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0);
    char *out = strdup(v);
    H5free_memory(v);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
    return out;
}

Test(writer, round_trip)
{
    char *dir = t_tmpdir();
    char *path = write_file(dir, 1);
    double *v;
    size_t d[2];

    /* /runs: every column, every row */
    char columns[8192] = "";
    for (int c = 0; c < lc_n_run_columns(); c++) {
        char name[64];
        snprintf(name, sizeof name, "runs/%s", lc_run_columns()[c].name);
        cr_assert_eq(t_h5_read(path, name, &v, d), RUNS, "%s", name);
        for (long r = 0; r < RUNS; r++)
            cr_assert_eq(v[r], run_cell(r, c), "%s[%ld]", name, r);
        free(v);
        strcat(columns, c ? "," : "");
        strcat(columns, lc_run_columns()[c].name);
    }
    for (int c = 0; c < lc_n_market_columns(); c++) { /* then market 0's, named "market" */
        char name[96];
        snprintf(name, sizeof name, "runs/%s.market", lc_market_columns()[c].name);
        cr_assert_eq(t_h5_read(path, name, &v, d), RUNS, "%s", name);
        free(v);
        strcat(columns, ",");
        strcat(columns, name + strlen("runs/"));
    }
    char *s = t_h5_attr_string(path, "/runs", "columns");
    cr_assert_str_eq(s, columns);
    free(s);

    /* /series: [rows, steps/every + 1], batch rows de-interleaved */
    static const char *series[NSERIES] = {"series/price", "series/liq_long", "series/oi"};
    for (int k = 0; k < NSERIES; k++) {
        cr_assert_eq(t_h5_read(path, series[k], &v, d), RUNS * COLS);
        cr_assert(d[0] == RUNS && d[1] == COLS, "steps/every + 1 columns");
        for (long r = 0; r < RUNS; r++)
            for (long t = 0; t < COLS; t++)
                cr_assert_eq(v[r * COLS + t], (double)series_cell(r, k, t), "%s[%ld,%ld]",
                             series[k], r, t);
        free(v);
        char obj[32];
        snprintf(obj, sizeof obj, "/%s", series[k]);
        cr_assert_eq(t_h5_attr_double(path, obj, "every"), 2);
        cr_assert_eq(t_h5_attr_double(path, obj, "dt_seconds"), 60);
    }

    /* /events: rows in row order, row r contributing r events */
    for (int c = 0; c < lc_n_event_columns(); c++) {
        char name[64];
        snprintf(name, sizeof name, "events/%s", lc_event_columns()[c].name);
        cr_assert_eq(t_h5_read(path, name, &v, d), 0 + 1 + 2 + 3 + 4, "%s", name);
        size_t i = 0;
        for (long r = 0; r < RUNS; r++)
            for (long e = 0; e < r; e++, i++)
                cr_assert_eq(v[i], event_cell(r, e, c), "%s[%zu]", name, i);
        free(v);
    }

    /* /population: the population's arrays as they are (liquidation order) */
    lc_population *pop = tiny_population();
    const double *cols[] = {pop->qty, pop->entry,     pop->collateral,      pop->mmr,
                            pop->cum, pop->liq_price, pop->bankruptcy_price};
    static const char *names[] = {"qty", "entry",     "collateral",      "mmr",
                                  "cum", "liq_price", "bankruptcy_price"};
    for (int c = 0; c < 7; c++) {
        char name[64];
        snprintf(name, sizeof name, "population/%s", names[c]);
        cr_assert_eq(t_h5_read(path, name, &v, d), 3);
        for (int i = 0; i < 3; i++)
            cr_assert_eq(v[i], cols[c][i], "%s[%d]", name, i);
        free(v);
    }
    cr_assert_eq(t_h5_read(path, "population/side", &v, d), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(v[i], pop->side[i]);
    free(v);
    lc_population_free(pop);
    cr_assert_eq(t_h5_read(path, "population/liq_price", &v, d), 3);
    /* stored in liquidation order: longs by decreasing liq price, then the short */
    cr_assert_float_eq(v[0], (100 - 10) / (1 - 0.005), 1e-9);
    cr_assert_float_eq(v[1], (3 * 99 - 50) / (3 * (1 - 0.02)), 1e-9);
    free(v);
    cr_assert_eq(t_h5_read(path, "population/origin", &v, d), 3);
    cr_assert(v[0] == 0 && v[1] == 2 && v[2] == 1);
    free(v);
    cr_assert_eq(t_h5_read(path, "points/point", &v, d), 1);
    cr_assert_eq(v[0], 0);
    free(v);

    /* root attributes */
    static const struct {
        const char *name, *value;
    } strings[] = {{"format", "liqcascade"},
                   {"status", "complete"},
                   {"engine", "index"},
                   {"version", LC_VERSION},
                   {"command", "liqcascade run t.yaml"}};
    for (int i = 0; i < 5; i++) {
        s = t_h5_attr_string(path, "/", strings[i].name);
        cr_assert_str_eq(s, strings[i].value, "/.%s", strings[i].name);
        free(s);
    }
    s = t_h5_attr_string(path, "/", "git_commit");
    cr_assert(s[0] != '\0');
    free(s);
    s = t_h5_attr_string(path, "/", "created"); /* e.g. 2026-12-02T06:16:32Z */
    cr_assert(strlen(s) == 20 && s[4] == '-' && s[10] == 'T' && s[19] == 'Z', "/.created %s", s);
    free(s);
    static const struct {
        const char *name;
        double value;
    } numbers[] = {
        {"schema_version", 2}, {"seed", 7},        {"runs", RUNS},      {"points", 1},
        {"steps", 6},          {"dt_seconds", 60}, {"series_every", 2}, {"runs_completed", RUNS}};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(t_h5_attr_double(path, "/", numbers[i].name), numbers[i].value, "/.%s",
                     numbers[i].name);

    /* the scenario: as given (UTF-8 intact) and resolved */
    s = read_text(path, "scenario");
    cr_assert_str_eq(s, text);
    free(s);
    s = read_text(path, "scenario_resolved");
    cr_assert(strstr(s, "sigma: 0.5"), "%s", s);
    free(s);
    cr_assert_eq(t_h5_attr_double(path, "/scenario_resolved", "price.sigma"), 0.5);
    cr_assert_eq(t_h5_attr_double(path, "/scenario_resolved", "simulation.runs"), RUNS);
    s = t_h5_attr_string(path, "/scenario_resolved", "price.model");
    cr_assert_str_eq(s, "gbm");
    free(s);
    free(path);
    t_rmdir(dir);
}

/* A list-valued key (the tiers' mmr) is a 1-D attribute, one value per tier,
 * also when there is only one tier. */
static void check_tier_attribute(const char *venue)
{
    char *dir = t_tmpdir();
    char *path = join(dir, "tiers.h5");
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "simulation: {runs: 1, steps: 2, dt: 60, seed: 7}\n"
             "price: {model: gbm, s0: 100, sigma: 0.5}\n"
             "population: {accounts: 0}\n%s",
             venue);
    lc_scenario *sc = t_scenario(yaml);
    lc_writer_opts o = {path, 0, 0, 0, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(lc_writer_finish(w, 1, &err), 0, "%s", err.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = H5Aopen_by_name(f, "/scenario_resolved", "venue.tiers.mmr", H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0);
    hid_t s = H5Aget_space(a);
    hsize_t n = 0;
    cr_assert_eq(H5Sget_simple_extent_ndims(s), 1, "a list, even of one tier");
    H5Sget_simple_extent_dims(s, &n, NULL);
    cr_assert_eq(n, (hsize_t)sc->market[0].ntiers);
    double v[LC_MAX_TIERS];
    cr_assert(H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0);
    for (int i = 0; i < sc->market[0].ntiers; i++)
        cr_assert_eq(v[i], sc->market[0].tiers[i].mmr);
    H5Sclose(s);
    H5Aclose(a);
    H5Fclose(f);
    lc_scenario_free(sc);
    free(path);
    t_rmdir(dir);
}

Test(writer, list_keys_are_array_attributes)
{
    check_tier_attribute("venue:\n"
                         "  tiers:\n"
                         "    - {up_to: 50000, mmr: 0.004, max_leverage: 125}\n"
                         "    - {up_to: 1.0e300, mmr: 0.01, max_leverage: 50}\n");
    check_tier_attribute(""); /* the default: one tier */
}

/* every dataset in the file, found by walking it, has units and description */
static char *attr_text(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a);
    cr_assert(H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0);
    char *v = NULL;
    cr_assert(H5Aread(a, t, &v) >= 0);
    char *out = strdup(v ? v : "");
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

static herr_t check_object(hid_t obj, const char *name, const H5O_info_t *info, void *count)
{
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    cr_assert(d >= 0);
    static const char *const attrs[] = {"units", "description"};
    for (int i = 0; i < 2; i++) {
        cr_assert(H5Aexists(d, attrs[i]) > 0, "/%s has no %s", name, attrs[i]);
        char *v = attr_text(d, attrs[i]);
        cr_assert(v[0] != '\0', "/%s has an empty %s", name, attrs[i]);
        free(v);
    }
    H5Dclose(d);
    ++*(int *)count;
    return 0;
}

Test(writer, every_dataset_has_units_and_description)
{
    char *dir = t_tmpdir();
    char *path = write_file(dir, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int count = 0;
    cr_assert(H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, check_object, &count) >= 0);
    H5Fclose(f);
    /* scenario x2, runs and its per-market columns, /markets (6), 3 series and
     * their coordinates (row, market, time), events, population (11 and its 6
     * legs), points (1) */
    cr_assert_eq(count, 2 + lc_n_run_columns() + lc_n_market_columns() + 6 + NSERIES + 3 +
                            lc_n_event_columns() + 11 + 6 + 1);
    free(path);
    t_rmdir(dir);
}

static void assert_content(const char *path, const char *want)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s is gone", path);
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    cr_assert(n == strlen(want) && strcmp(buf, want) == 0, "%s was changed", path);
}

Test(writer, never_overwrites_without_force)
{
    char *dir = t_tmpdir();
    char *path = t_write(dir, "w.h5", "precious");
    char *partial = join(dir, "w.h5.partial");
    lc_scenario *sc = t_scenario(text);
    lc_writer_opts o = {path, 0, 0, 0, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    cr_assert_null(lc_writer_create(&o, sc, NULL, &err));
    cr_assert(strstr(err.msg, "w.h5: exists; use --force to overwrite"), "%s", err.msg);
    assert_content(path, "precious");
    cr_assert(!t_exists(partial), "nothing was created");

    /* a dangling symlink is an existing name too */
    char *link_path = join(dir, "dangling.h5");
    cr_assert_eq(symlink("nowhere", link_path), 0);
    o.path = link_path;
    lc_error_clear(&err);
    cr_assert_null(lc_writer_create(&o, sc, NULL, &err));
    cr_assert(strstr(err.msg, "exists; use --force"), "%s", err.msg);

    o.path = path;
    o.force = 1;
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(lc_writer_finish(w, 1, &err), 0, "%s", err.msg);
    char *s = t_h5_attr_string(path, "/", "format");
    cr_assert_str_eq(s, "liqcascade");
    free(s);
    cr_assert(!t_exists(partial));
    free(link_path);
    free(partial);
    free(path);
    lc_scenario_free(sc);
    t_rmdir(dir);
}

/* A file that appears under the final name while the run writes is not
 * replaced either; the finished results stay in the .partial file. */
Test(writer, never_overwrites_a_file_that_appeared_meanwhile)
{
    char *dir = t_tmpdir();
    char *path = join(dir, "w.h5"), *partial = join(dir, "w.h5.partial");
    lc_scenario *sc = t_scenario(text);
    lc_writer_opts o = {path, 0, 0, 0, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    free(t_write(dir, "w.h5", "precious"));
    cr_assert_eq(lc_writer_finish(w, 1, &err), -1);
    cr_assert(strstr(err.msg, "w.h5: exists") && strstr(err.msg, "w.h5.partial"), "%s", err.msg);
    assert_content(path, "precious");
    char *s = t_h5_attr_string(partial, "/", "status");
    cr_assert_str_eq(s, "complete");
    free(s);
    free(partial);
    free(path);
    lc_scenario_free(sc);
    t_rmdir(dir);
}

Test(writer, abort_leaves_nothing_and_interrupted_is_marked)
{
    char *dir = t_tmpdir();
    lc_scenario *sc = t_scenario(text);
    char *path = join(dir, "a.h5"), *partial = join(dir, "a.h5.partial");
    lc_writer_opts o = {path, 0, 0, 0, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w);
    cr_assert(t_exists(partial) && !t_exists(path), "written under the .partial name");
    char *s = t_h5_attr_string(partial, "/", "status");
    cr_assert_str_eq(s, "running");
    free(s);
    lc_writer_abort(w);
    cr_assert(!t_exists(partial) && !t_exists(path));
    lc_writer_abort(NULL);
    free(path);
    free(partial);
    lc_scenario_free(sc);

    path = write_file(dir, 0);
    s = t_h5_attr_string(path, "/", "status");
    cr_assert_str_eq(s, "interrupted");
    free(s);
    cr_assert_eq(t_h5_attr_double(path, "/", "runs_completed"), RUNS);
    free(path);
    t_rmdir(dir);
}

/* HDF5 failures come back as one message naming the file, not a stack dump. */
Test(writer, cannot_create_is_a_message, .init = cr_redirect_stderr)
{
    lc_scenario *sc = t_scenario(text);
    /* a folder in which no file can be made (/proc): the .partial cannot be */
    char *dir = t_tmpdir(), *path = join(dir, "x.h5"), *partial = join(dir, "x.h5.partial");
    lc_writer_opts o = {"/proc/x.h5", 0,    0, 0, 1, "index", NULL, "liqcascade run t.yaml",
                        NULL,         NULL, 0};
    lc_error err = {0};
    cr_assert_null(lc_writer_create(&o, sc, NULL, &err));
    cr_assert(strstr(err.msg, "/proc/x.h5.partial: cannot create: ") &&
                  !strstr(err.msg, "HDF5-DIAG"),
              "%s", err.msg);
    /* a name taken by another (or a killed) run's .partial: this one writes
     * its own, OUT.<pid>.partial, and leaves the other alone */
    cr_assert_eq(mkdir(partial, 0700), 0);
    o.path = path;
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    char *mine;
    cr_assert(asprintf(&mine, "%s.%ld.partial", path, (long)getpid()) > 0);
    cr_assert(t_exists(mine), "no %s", mine);
    lc_writer_abort(w);
    cr_assert(!t_exists(mine) && t_exists(partial), "abort removes its own .partial only");
    free(mine);
    rmdir(partial);
    o.path = path;
    /* names no file can have are refused before anything is made */
    static const struct {
        const char *path, *want;
    } bad[] = {{"", "the result file needs a name"},
               {"/nonexistent-folder/x.h5", "its folder /nonexistent-folder does not exist"},
               {"/nonexistent-folder/", "is a folder: give a file name"}};
    for (int i = 0; i < 3; i++) {
        lc_error_clear(&err);
        o.path = bad[i].path;
        cr_assert_null(lc_writer_create(&o, sc, NULL, &err));
        cr_assert(strstr(err.msg, bad[i].want), "%s: %s", bad[i].path, err.msg);
    }
    o.path = dir; /* an existing folder, even with force */
    o.force = 1;
    lc_error_clear(&err);
    cr_assert_null(lc_writer_create(&o, sc, NULL, &err));
    cr_assert(strstr(err.msg, "is a folder"), "%s", err.msg);
    lc_scenario_free(sc);
    free(path);
    free(partial);
    t_rmdir(dir);
    fflush(stderr);
    cr_assert_stderr_eq_str("");
}

Test(writer, refuses_a_batch_out_of_order)
{
    char *dir = t_tmpdir();
    char *path = join(dir, "o.h5");
    lc_scenario *sc = t_scenario(text);
    lc_writer_opts o = {path, 0, 0, 0, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    lc_batch *b = lc_batch_create(sc, 3, 1);
    fill(b, 1, 2); /* a gap: row 0 is missing */
    cr_assert_eq(lc_writer_append(w, b, &err), -1);
    cr_assert(strstr(err.msg, "rows from 1 (expected 0)"), "%s", err.msg);
    lc_writer_abort(w);
    cr_assert(!t_exists(path));
    lc_batch_free(b);
    lc_scenario_free(sc);
    free(path);
    t_rmdir(dir);
}

/* A write that fails (here: the file-size limit, as a full disk would) is
 * reported with the object and the system's reason, and leaves no file. */
Test(writer, failed_write_leaves_no_file, .init = cr_redirect_stderr)
{
    char *dir = t_tmpdir();
    char *path = join(dir, "big.h5"), *partial = join(dir, "big.h5.partial");
    lc_scenario *sc = t_scenario("simulation: {runs: 4000, steps: 2000, dt: 60, seed: 7}\n"
                                 "price: {model: gbm, s0: 100, sigma: 0.5}\n"
                                 "population: {accounts: 0}\n");
    lc_writer_opts o = {path, 0, 0, 0, 1, "index", NULL, "liqcascade run t.yaml", NULL, NULL, 0};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    lc_batch *b = lc_batch_create(sc, 500, 0);
    /* random floats do not compress: 500 rows x 6 series x 2001 x 4 B = 24 MB */
    unsigned x = 12345;
    for (size_t i = 0; i < (size_t)500 * (size_t)b->nplanes * (size_t)b->ncols; i++) {
        x = x * 1103515245u + 12345u;
        b->series[i] = (float)x;
    }
    signal(SIGXFSZ, SIG_IGN); /* write(2) then fails with EFBIG */
    struct rlimit lim = {4 << 20, 4 << 20}, old;
    getrlimit(RLIMIT_FSIZE, &old);
    lim.rlim_max = old.rlim_max;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = 0;
    for (long first = 0; rc == 0 && first < 4000; first += 500) {
        b->first_row = first;
        b->nrows = 500;
        rc = lc_writer_append(w, b, &err);
    }
    if (rc == 0) /* the chunk cache may hold the last writes until the close */
        rc = lc_writer_finish(w, 1, &err);
    else
        cr_assert_eq(lc_writer_finish(w, 1, &err), -1, "finish after a failed append");
    setrlimit(RLIMIT_FSIZE, &old);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err.msg, "big.h5.partial: ") && strstr(err.msg, "File too large"), "%s",
              err.msg);
    cr_assert(!t_exists(path) && !t_exists(partial));
    fflush(stderr);
    cr_assert_stderr_eq_str("");
    lc_batch_free(b);
    lc_scenario_free(sc);
    free(partial);
    free(path);
    t_rmdir(dir);
}

static char *info_text(const char *path, int *rc, lc_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    *rc = lc_info_print(path, LC_INFO_ALL, 0, out, err);
    fclose(out);
    return buf;
}

Test(info, summarises_a_result_file)
{
    char *dir = t_tmpdir();
    char *path = write_file(dir, 0);
    lc_error err = {0};
    int rc;
    char *out = info_text(path, &rc, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    /* schema 2: the series are [row, market, time], one market named "market" */
    static const char *const want[] = {"(schema 2)",
                                       "interrupted: 5 of 5 rows",
                                       "6 steps x 60 s",
                                       "seed     7",
                                       "engine   index",
                                       "markets  1 (/markets)",
                                       "/series/price                  5 x 1 x 4 ",
                                       "/series/time                   4 ",
                                       "/markets/s0",
                                       "/population/liq_price",
                                       "/events/shortfall",
                                       "/runs: 5 rows x 69 columns (9 of them per market",
                                       "/runs by market: mean over the rows"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(out, want[i]), "no '%s' in:\n%s", want[i], out);
    for (int c = 0; c < lc_n_run_columns(); c++) {
        char line[64];
        snprintf(line, sizeof line, "\n  %s ", lc_run_columns()[c].name);
        cr_assert(strstr(out, line), "no /runs line for %s", lc_run_columns()[c].name);
    }
    /* the per-market columns are a quantity x market table, not lines of their own */
    for (int c = 0; c < lc_n_market_columns(); c++) {
        char line[96];
        snprintf(line, sizeof line, "\n  %s.market ", lc_market_columns()[c].name);
        cr_assert(!strstr(out, line), "a /runs line for %s.market", lc_market_columns()[c].name);
    }
    cr_assert(strstr(out, "\n  liq_notional (long+short)    quote "), "%s", out);
    free(out);
    free(path);
    t_rmdir(dir);
}

Test(info, rejects_files_that_are_not_results, .init = cr_redirect_stderr)
{
    char *dir = t_tmpdir();
    char *txt = t_write(dir, "x.h5", "not hdf5"), *h5 = join(dir, "other.h5");
    hid_t f = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(f >= 0);
    H5Fclose(f);
    const char *paths[] = {txt, h5};
    for (int i = 0; i < 2; i++) {
        lc_error err = {0};
        int rc;
        char *out = info_text(paths[i], &rc, &err);
        cr_assert_eq(rc, -1);
        cr_assert(strstr(err.msg, paths[i]) && strstr(err.msg, "not a liqcascade result file"),
                  "%s", err.msg);
        free(out);
    }
    lc_error err = {0};
    int rc;
    char *missing = join(dir, "missing.h5");
    free(info_text(missing, &rc, &err));
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err.msg, "missing.h5: cannot read: No such file"), "%s", err.msg);
    fflush(stderr);
    cr_assert_stderr_eq_str("");
    free(missing);
    free(txt);
    free(h5);
    t_rmdir(dir);
}

/* A batch of one full /series chunk of 1,200 columns of the series listed
 * (*sc: its scenario, to free with the batch). */
static lc_batch *one_chunk(const char *series, lc_scenario **sc, long *chunk)
{
    char yaml[256];
    snprintf(yaml, sizeof yaml,
             "simulation: {runs: 64, steps: 1199, seed: 1}\n"
             "price: {model: gbm, s0: 100}\n"
             "population: {accounts: 0}\n"
             "output: {series: [%s]}\n",
             series);
    *sc = t_scenario(yaml);
    *chunk = lc_series_chunk(*sc);
    cr_assert(*chunk >= 1);
    lc_batch *b = lc_batch_create(*sc, *chunk, 0);
    cr_assert_not_null(b);
    b->nrows = *chunk;
    return b;
}

/* The series chunks the compute threads compress (writer.h
 * lc_writer_compress, out/zplanes.h): stored blocks for random planes,
 * fixed-Huffman blocks with matches at distances 1 .. LC_ZPLANES_DIST for
 * the rest, and stored after all where coding would be longer. Each job's
 * stream, decoded by libdeflate's own zlib decoder, is the chunk's bytes in
 * the shuffle filter's layout, whatever the mix: planes of zeros, of runs
 * of every length around the coder's limits (1, 2, 3, 258, 259, 260, 261,
 * 516 bytes), of a value with rare spikes, of a random walk (stored low
 * planes, coded high ones), of patterns repeating every 2 .. 9 bytes (the
 * last beyond the farthest distance sought), and of high-bit noise (a plane
 * of entropy 7, which 9-bit literals would make longer than storing). */
Test(writer, compressed_chunks_decode_to_the_shuffled_bytes)
{
    lc_scenario *sc;
    long chunk;
    lc_batch *b = one_chunk("price, liq_long, liq_short, insurance, oi", &sc, &chunk);
    long ncols = b->ncols;
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    static const int runs[] = {1, 2, 3, 258, 259, 260, 261, 516, 7, 1000};
    for (long r = 0; r < chunk; r++) {
        double walk = 100;
        for (int p = 0; p < b->nplanes; p++) {
            float *v = lc_batch_plane(b, r, p);
            long t = 0, k = r % 10;
            for (; t < ncols; t++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                switch (p) {
                case 0: /* a random walk */
                    walk *= 1 + ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 1e-3;
                    v[t] = (float)walk;
                    break;
                case 1: /* zeros */
                    v[t] = 0;
                    break;
                case 2: /* a value with rare spikes */
                    v[t] = x % 97 == 0 ? (float)(x >> 40) : 1e7f;
                    break;
                case 3: /* runs of the lengths above, each of a new value */
                    v[t] = (float)(k % 3) * 1.5f + (float)r;
                    if ((t + 1) % runs[k] == 0)
                        k = (k + 1) % 10;
                    break;
                default: { /* a pattern of period 2 .. 9, high-bit noise, two fixed bytes */
                    uint32_t period = (uint32_t)(r % 8) + 2, pattern = (uint32_t)t % period * 29u;
                    uint32_t noise = (uint32_t)(x >> 57) | 0x80u;
                    memcpy(&v[t], &(uint32_t){0x3f120000u | noise << 8 | pattern}, 4);
                }
                }
            }
        }
    }
    long jobs = lc_writer_compress_jobs(chunk, b);
    cr_assert_eq(jobs, b->nplanes, "one chunk, a job per plane");
    lc_deflater *z = lc_deflater_create();
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t n = (size_t)chunk * (size_t)ncols, bytes = 4 * n;
    unsigned char *want = malloc(bytes), *got = malloc(bytes);
    for (long j = 0; j < jobs; j++) {
        cr_assert_eq(lc_writer_compress(chunk, b, j, z), 0, "job %ld", j);
        for (long r = 0; r < chunk; r++) {
            const unsigned char *src = (const unsigned char *)lc_batch_plane(b, r, (int)j);
            for (long e = 0; e < ncols; e++)
                for (int q = 0; q < 4; q++)
                    want[(size_t)q * n + (size_t)r * (size_t)ncols + (size_t)e] = src[4 * e + q];
        }
        size_t out = 0;
        enum libdeflate_result res = libdeflate_zlib_decompress(d, b->z + (size_t)j * b->zstride,
                                                                b->zsize[j], got, bytes, &out);
        cr_assert_eq(res, LIBDEFLATE_SUCCESS, "plane %ld: the stream decodes", j);
        cr_assert_eq(out, bytes);
        cr_assert(memcmp(got, want, bytes) == 0, "plane %ld: the bytes come back", j);
        if (j == 1 || j == 3) /* zeros, runs: far below the raw size */
            cr_assert(b->zsize[j] < bytes / 20, "plane %ld: %zu of %zu bytes", j, b->zsize[j],
                      bytes);
        /* the noise stored (n bytes; coded, its 9-bit literals would take 9n/8), the
         * fixed bytes and all periods but 9 coded small, period 9 (an eighth of the
         * rows) as literals of 8 and 9 bits: about n + n/7 bytes, where coding the
         * noise too would pass n + n/4 */
        if (j == 4)
            cr_assert(b->zsize[j] > n && b->zsize[j] < n + n / 6, "plane %ld: %zu of %zu", j,
                      b->zsize[j], bytes);
    }
    free(want);
    free(got);
    libdeflate_free_decompressor(d);
    lc_deflater_free(z);
    lc_batch_free(b);
    lc_scenario_free(sc);
}

/* A plane that repeats an earlier plane of its chunk bit for bit (the
 * fundamental of a market no trade moved) is coded once: its job takes the
 * earlier job's stream, which decodes to its bytes; one float different
 * and it is coded on its own. */
Test(writer, a_repeated_plane_is_coded_once)
{
    lc_scenario *sc;
    long chunk;
    lc_batch *b = one_chunk("price, fundamental, liq_long", &sc, &chunk);
    uint64_t x = 2463534242ull;
    for (long r = 0; r < chunk; r++) {
        float *price = lc_batch_plane(b, r, 0), *fund = lc_batch_plane(b, r, 1);
        float *liq = lc_batch_plane(b, r, 2);
        double walk = 100;
        for (long t = 0; t < b->ncols; t++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            walk *= 1 + ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 1e-3;
            price[t] = fund[t] = (float)walk;
            liq[t] = 0;
        }
    }
    lc_deflater *z = lc_deflater_create();
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t bytes = (size_t)chunk * (size_t)b->ncols * sizeof(float);
    unsigned char *got = malloc(bytes);
    for (int differ = 0; differ < 2; differ++) {
        if (differ) /* the last float of the fundamental's last row */
            lc_batch_plane(b, chunk - 1, 1)[b->ncols - 1] *= 1.5f;
        long jobs = lc_writer_compress_jobs(chunk, b);
        cr_assert_eq(jobs, 3);
        for (long j = 0; j < jobs; j++)
            cr_assert_eq(lc_writer_compress(chunk, b, j, z), 0);
        lc_writer_compress_copies(b);
        cr_assert_eq(b->zsame[1], differ ? -1 : 0, "differ %d: zsame %ld", differ, b->zsame[1]);
        cr_assert_eq(b->zsame[2], -1, "zeros are no price");
        size_t out = 0;
        cr_assert_eq(
            libdeflate_zlib_decompress(d, b->z + b->zstride, b->zsize[1], got, bytes, &out),
            LIBDEFLATE_SUCCESS);
        cr_assert_eq(out, bytes);
        for (long r = 0; r < chunk; r++) /* the shuffle's byte q of float t of row r */
            for (long t = 0; t < b->ncols; t++)
                for (int q = 0; q < 4; q++)
                    cr_assert_eq(got[(size_t)q * bytes / 4 + (size_t)(r * b->ncols + t)],
                                 ((const unsigned char *)lc_batch_plane(b, r, 1))[4 * t + q],
                                 "differ %d: row %ld float %ld byte %d", differ, r, t, q);
    }
    free(got);
    libdeflate_free_decompressor(d);
    lc_deflater_free(z);
    lc_batch_free(b);
    lc_scenario_free(sc);
}

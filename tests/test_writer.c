/* test_writer.c — the HDF5 file: a round trip of known values through the
 * writer, units and description on every dataset, and the file guarantees
 * (no overwrite without force, no file after abort, interrupted status). */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "writer.h"

static const char *text = "simulation: {runs: 5, steps: 6, dt: 60, seed: 7}\n"
                          "price: {model: gbm, s0: 100, sigma: 0.5}\n"
                          "population: {accounts: 0}\n"
                          "output: {series: [price, liq_long, oi], every: 2}\n";

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

/* value of column c in row r: distinct everywhere, exact in double */
static double cell(long r, int c)
{
    return r * 100.0 + c + 0.25;
}

static void fill(lc_batch *b, long first, long n)
{
    b->first_row = first;
    b->nrows = n;
    for (long i = 0; i < n; i++) {
        long r = first + i;
        for (int c = 0; c < lc_n_run_columns; c++) {
            char *p = (char *)&b->rows[i] + lc_run_columns[c].offset;
            if (lc_run_columns[c].type == 'i') {
                int64_t v = (int64_t)(r * 100 + c);
                memcpy(p, &v, sizeof v);
            } else {
                double v = cell(r, c);
                memcpy(p, &v, sizeof v);
            }
        }
        for (int k = 0; k < b->nseries; k++)
            for (long t = 0; t < b->ncols; t++)
                lc_batch_series(b, i, k)[t] = (float)(r * 1000 + k * 10 + t);
        b->events[i].n = 0;
        for (long e = 0; e < r; e++) { /* row r has r events */
            lc_event ev = {r, 0, e + 1, 1, e, LC_EVENT_LIQUIDATION, -1.5, 90 + e, 135, 0.5, 0};
            cr_assert_eq(lc_eventbuf_push(&b->events[i], &ev), 0);
        }
    }
}

static char *write_file(const char *dir, int complete)
{
    lc_scenario *sc = t_scenario(text);
    lc_population *pop = tiny_population();
    char *path;
    cr_assert(asprintf(&path, "%s/w.h5", dir) > 0);
    lc_writer_opts o = {path, 0, 1, 1, 1, "index"};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, pop, &err);
    cr_assert_not_null(w, "%s", err.msg);
    lc_batch *b = lc_batch_create(sc, 3, 1);
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

Test(writer, round_trip)
{
    char *dir = t_tmpdir();
    char *path = write_file(dir, 1);
    double *v;
    size_t d[2];
    for (int c = 0; c < lc_n_run_columns; c++) {
        char name[64];
        snprintf(name, sizeof name, "runs/%s", lc_run_columns[c].name);
        cr_assert_eq(t_h5_read(path, name, &v, d), 5);
        for (long r = 0; r < 5; r++)
            cr_assert_eq(v[r], lc_run_columns[c].type == 'i' ? (double)(r * 100 + c) : cell(r, c),
                         "%s[%ld]", name, r);
        free(v);
    }
    static const char *series[] = {"series/price", "series/liq_long", "series/oi"};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(t_h5_read(path, series[k], &v, d), 5 * 4);
        cr_assert(d[0] == 5 && d[1] == 4, "steps/every + 1 columns");
        for (long r = 0; r < 5; r++)
            for (long t = 0; t < 4; t++)
                cr_assert_eq(v[r * 4 + t], (double)(r * 1000 + k * 10 + t));
        free(v);
    }
    cr_assert_eq(t_h5_read(path, "events/run", &v, d), 0 + 1 + 2 + 3 + 4);
    for (size_t i = 0, r = 0, seen = 0; i < d[0]; i++, seen++) {
        while (seen == r) { /* row r contributes r events */
            r++;
            seen = 0;
        }
        cr_assert_eq(v[i], (double)r);
    }
    free(v);
    cr_assert_eq(t_h5_read(path, "population/liq_price", &v, d), 3);
    cr_assert_float_eq(v[0], (100 - 10) / (1 - 0.005), 1e-9);
    free(v);
    cr_assert_eq(t_h5_read(path, "points/point", &v, d), 1);
    free(v);

    char *s = t_h5_attr_string(path, "/", "format");
    cr_assert_str_eq(s, "liqcascade");
    free(s);
    s = t_h5_attr_string(path, "/", "status");
    cr_assert_str_eq(s, "complete");
    free(s);
    s = t_h5_attr_string(path, "/runs", "columns");
    cr_assert(strncmp(s, "point,run,price_final,", 22) == 0, "%s", s);
    free(s);
    cr_assert_eq(t_h5_attr_double(path, "/", "runs_completed"), 5);
    cr_assert_eq(t_h5_attr_double(path, "/", "seed"), 7);
    cr_assert_eq(t_h5_attr_double(path, "/", "schema_version"), 1);
    cr_assert_eq(t_h5_attr_double(path, "/scenario_resolved", "price.sigma"), 0.5);
    s = t_h5_attr_string(path, "/scenario_resolved", "price.model");
    cr_assert_str_eq(s, "gbm");
    free(s);
    free(path);
    t_rmdir(dir);
}

/* every dataset in the file, found by walking it, has units and description */
static herr_t check_object(hid_t obj, const char *name, const H5O_info_t *info, void *count)
{
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    cr_assert(d >= 0);
    cr_assert(H5Aexists(d, "units") > 0, "/%s has no units", name);
    cr_assert(H5Aexists(d, "description") > 0, "/%s has no description", name);
    hid_t a = H5Aopen(d, "description", H5P_DEFAULT), t = H5Aget_type(a);
    cr_assert(H5Tget_class(t) == H5T_STRING);
    H5Tclose(t);
    H5Aclose(a);
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
    /* scenario x2, runs, 3 series, events, population (7), points (1) */
    cr_assert_eq(count, 2 + lc_n_run_columns + 3 + lc_n_event_columns + 7 + 1);
    free(path);
    t_rmdir(dir);
}

Test(writer, never_overwrites_without_force)
{
    char *dir = t_tmpdir();
    char *path = t_write(dir, "w.h5", "precious");
    lc_scenario *sc = t_scenario(text);
    lc_writer_opts o = {path, 0, 0, 0, 1, "index"};
    lc_error err = {0};
    cr_assert_null(lc_writer_create(&o, sc, NULL, &err));
    cr_assert(strstr(err.msg, "w.h5: exists; use --force to overwrite"), "%s", err.msg);
    FILE *f = fopen(path, "r");
    char buf[16] = {0};
    cr_assert(fread(buf, 1, sizeof buf - 1, f) == 8);
    fclose(f);
    cr_assert_str_eq(buf, "precious");
    o.force = 1;
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(lc_writer_finish(w, 1, &err), 0);
    char *s = t_h5_attr_string(path, "/", "format");
    cr_assert_str_eq(s, "liqcascade");
    free(s);
    free(path);
    lc_scenario_free(sc);
    t_rmdir(dir);
}

Test(writer, abort_leaves_nothing_and_interrupted_is_marked)
{
    char *dir = t_tmpdir();
    lc_scenario *sc = t_scenario(text);
    char *path, *partial;
    cr_assert(asprintf(&path, "%s/a.h5", dir) > 0);
    cr_assert(asprintf(&partial, "%s/a.h5.partial", dir) > 0);
    lc_writer_opts o = {path, 0, 0, 0, 1, "index"};
    lc_error err = {0};
    lc_writer *w = lc_writer_create(&o, sc, NULL, &err);
    cr_assert_not_null(w);
    cr_assert(t_exists(partial) && !t_exists(path), "written under the .partial name");
    lc_writer_abort(w);
    cr_assert(!t_exists(partial) && !t_exists(path));
    lc_writer_abort(NULL);
    free(path);
    free(partial);
    lc_scenario_free(sc);

    path = write_file(dir, 0);
    char *s = t_h5_attr_string(path, "/", "status");
    cr_assert_str_eq(s, "interrupted");
    free(s);
    free(path);
    t_rmdir(dir);
}

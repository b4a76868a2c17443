/* info.c — `liqcascade info`: what a result file holds, in a few lines.
 *
 * This reads HDF5 (writer.c is the only code that writes it). It trusts
 * nothing: a file without format = "liqcascade" is refused, and every
 * missing piece is reported rather than assumed. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

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

static double read_num(hid_t obj, const char *name)
{
    double v = NAN;
    if (H5Aexists(obj, name) > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        if (a >= 0) {
            if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0)
                v = NAN;
            H5Aclose(a);
        }
    }
    return v;
}

/* Print one dataset line: path, shape, units, description. */
static void print_dataset(FILE *out, hid_t d, const char *path)
{
    hid_t s = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int rank = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
    char shape[64];
    if (rank == 2)
        snprintf(shape, sizeof shape, "%llu x %llu", (unsigned long long)dims[0],
                 (unsigned long long)dims[1]);
    else if (rank == 1)
        snprintf(shape, sizeof shape, "%llu", (unsigned long long)dims[0]);
    else
        snprintf(shape, sizeof shape, "scalar");
    char *units = read_str(d, "units"), *desc = read_str(d, "description");
    fprintf(out, "  %-26s %-14s %-11s %s\n", path, shape, units ? units : "?", desc ? desc : "");
    free(units);
    free(desc);
    if (s >= 0)
        H5Sclose(s);
}

/* mean, min and max of a 1-D numeric dataset */
static int column_stats(hid_t d, double *mean, double *lo, double *hi, hsize_t *n)
{
    hid_t s = H5Dget_space(d);
    hsize_t dims[1] = {0};
    int rc = -1;
    if (s >= 0 && H5Sget_simple_extent_ndims(s) == 1) {
        H5Sget_simple_extent_dims(s, dims, NULL);
        double *v = malloc((dims[0] ? dims[0] : 1) * sizeof *v);
        if (v && (dims[0] == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)) {
            double sum = 0;
            *lo = INFINITY;
            *hi = -INFINITY;
            for (hsize_t i = 0; i < dims[0]; i++) {
                sum += v[i];
                *lo = fmin(*lo, v[i]);
                *hi = fmax(*hi, v[i]);
            }
            *mean = dims[0] ? sum / (double)dims[0] : NAN;
            *n = dims[0];
            rc = 0;
        }
        free(v);
    }
    if (s >= 0)
        H5Sclose(s);
    return rc;
}

static void list_group(FILE *out, hid_t file, const char *name, int stats)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        return;
    hid_t g = H5Gopen2(file, name, H5P_DEFAULT);
    H5G_info_t gi;
    if (g < 0 || H5Gget_info(g, &gi) < 0) {
        if (g >= 0)
            H5Gclose(g);
        return;
    }
    if (stats)
        fprintf(out, "\n/%s (%llu columns): mean, min, max over rows\n", name,
                (unsigned long long)gi.nlinks);
    /* members in the order of the `columns` attribute when there is one */
    char *order = read_str(g, "columns"), *save = NULL;
    char *next = order ? strtok_r(order, ",", &save) : NULL;
    for (hsize_t i = 0; order ? next != NULL : i < gi.nlinks; i++) {
        char member[256], path[300];
        if (order) {
            snprintf(member, sizeof member, "%s", next);
            next = strtok_r(NULL, ",", &save);
        } else if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, member,
                                      sizeof member, H5P_DEFAULT) < 0) {
            continue;
        }
        hid_t d = H5Lexists(g, member, H5P_DEFAULT) > 0 ? H5Dopen2(g, member, H5P_DEFAULT) : -1;
        if (d < 0)
            continue;
        snprintf(path, sizeof path, "/%s/%s", name, member);
        if (!stats) {
            print_dataset(out, d, path);
        } else {
            double mean, lo, hi;
            hsize_t n;
            char *units = read_str(d, "units");
            if (column_stats(d, &mean, &lo, &hi, &n) == 0)
                fprintf(out, "  %-24s %-10s %12.5g %12.5g %12.5g\n", member, units ? units : "?",
                        mean, lo, hi);
            free(units);
        }
        H5Dclose(d);
    }
    free(order);
    H5Gclose(g);
}

int lc_info_print(const char *path, FILE *out, lc_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0)
        return lc_error_at(err, path, 0, NULL, "not an HDF5 file (or cannot be read)");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return lc_error_at(err, path, 0, NULL, "cannot open");
    char *format = read_str(f, "format");
    if (!format || strcmp(format, "liqcascade") != 0) {
        free(format);
        H5Fclose(f);
        return lc_error_at(err, path, 0, NULL, "not a liqcascade result file (no format attribute)");
    }
    char *version = read_str(f, "version"), *commit = read_str(f, "git_commit");
    char *status = read_str(f, "status"), *engine = read_str(f, "engine");
    double runs = read_num(f, "runs"), points = read_num(f, "points");
    double done = read_num(f, "runs_completed"), steps = read_num(f, "steps");
    double dt = read_num(f, "dt_seconds"), seed = read_num(f, "seed");
    fprintf(out, "%s: liqcascade result, schema %g, written by liqcascade %s (%s)\n", path,
            read_num(f, "schema_version"), version ? version : "?", commit ? commit : "?");
    fprintf(out, "  status   %s: %.0f of %.0f rows (%.0f runs x %.0f points)\n",
            status ? status : "?", done, runs * points, runs, points);
    fprintf(out, "  time     %.0f steps of %g s = %.4g h, seed %.0f, engine %s\n", steps, dt,
            steps * dt / 3600, seed, engine ? engine : "?");
    free(format);
    free(version);
    free(commit);
    free(status);
    free(engine);

    fprintf(out, "\ndatasets (path, shape, units, description)\n");
    static const char *const texts[] = {"scenario", "scenario_resolved"};
    for (int i = 0; i < 2; i++)
        if (H5Lexists(f, texts[i], H5P_DEFAULT) > 0) {
            hid_t d = H5Dopen2(f, texts[i], H5P_DEFAULT);
            char p[64];
            snprintf(p, sizeof p, "/%s", texts[i]);
            if (d >= 0) {
                print_dataset(out, d, p);
                H5Dclose(d);
            }
        }
    static const char *const groups[] = {"points", "series", "population", "events"};
    for (int i = 0; i < 4; i++)
        list_group(out, f, groups[i], 0);
    list_group(out, f, "runs", 1);
    H5Fclose(f);
    return 0;
}

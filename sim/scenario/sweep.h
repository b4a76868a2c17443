/* sweep.h — the grid of a parameter sweep (`liqcascade sweep`, DESIGN §9).
 *
 * Each `--vary key=v1,v2,...` adds an axis; the points are the cartesian
 * product of the axes, numbered with the first axis varying slowest:
 * point = ((i0·n1 + i1)·n2 + i2)... for value indices i0, i1, i2 of axes of
 * n0, n1, n2 values. Every point runs the same runs with the same random
 * streams (the price stream depends on (seed, run) only), so run r sees the
 * same exogenous shocks at every point: common random numbers. */
#ifndef LC_SWEEP_H
#define LC_SWEEP_H

#include "base/error.h"

typedef struct lc_sweep_axis {
    char *key;     /* dotted scenario key, e.g. venue.tiers.0.mmr */
    char **values; /* the values as given (YAML text) */
    double *num;   /* the values as numbers, when every one is a number; else NULL */
    int n;
} lc_sweep_axis;

typedef struct lc_sweep {
    lc_sweep_axis *axes;
    int naxes;
    long points; /* product of the axes' lengths; 1 with no axes */
} lc_sweep;

/* Add the axis of one --vary argument "key=v1,v2,...". Values are split at
 * commas outside brackets, braces and quotes, so `x=[1,2],[3]` has two
 * values. A key given twice, an empty value or a grid of more than
 * LC_SWEEP_MAX_POINTS points is an error. */
#define LC_SWEEP_MAX_POINTS 100000L
int lc_sweep_add(lc_sweep *s, const char *spec, lc_error *err);

/* Index into axis a's values of point p. */
int lc_sweep_index(const lc_sweep *s, long p, int a);

/* The --set assignments of point p: naxes strings "--vary key=value" (the
 * prefix names the option in error messages); caller frees with
 * lc_sweep_free_sets. NULL when out of memory. */
char **lc_sweep_sets(const lc_sweep *s, long p);
void lc_sweep_free_sets(char **sets, int n);

void lc_sweep_free(lc_sweep *s);

#endif

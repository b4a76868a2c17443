/* sweep.h — the grid of a parameter sweep (`liqcascade sweep`, DESIGN §9,
 * §16).
 *
 * Each `--vary key=v1,v2,...` (or `key=a:b:n`, n values evenly spaced from a
 * to b) adds an axis; `--zip k1,k2,...` ties axes of as many values into one
 * group whose keys move together (value i of each at the group's index i).
 * The points are the cartesian product of the groups (an axis alone is a
 * group), numbered with the first group varying slowest:
 * point = ((i0·n1 + i1)·n2 + i2)... for indices i0, i1, i2 of groups of
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
    int group; /* the first axis of its group (itself unless zipped with an earlier one) */
} lc_sweep_axis;

typedef struct lc_sweep {
    lc_sweep_axis *axes;
    int naxes;
    long points; /* product of the axes' lengths; 1 with no axes */
} lc_sweep;

/* Add the axis of one --vary argument "key=v1,v2,..." or "key=a:b:n".
 * Values are split at commas outside brackets, braces and quotes, so
 * `x=[1,2],[3]` has two values. A range a:b:n (numbers a != b, a whole n
 * from 2 to LC_SWEEP_MAX_RANGE) gives a + (b − a)·i/(n − 1), i = 0..n−1,
 * the last b, each rounded to 15 significant digits and written with no
 * more digits than need be (0:0.3:4 is 0, 0.1, 0.2, 0.3: the values a
 * person would type). A key given twice, an empty value, two equal values
 * or a grid of more than LC_SWEEP_MAX_POINTS points is an error. */
#define LC_SWEEP_MAX_POINTS 100000L
#define LC_SWEEP_MAX_RANGE 10000
int lc_sweep_add(lc_sweep *s, const char *spec, lc_error *err);

/* Zip the axes of one --zip argument "k1,k2,...": two or more keys, each
 * varied and in no other group, with as many values each. */
int lc_sweep_zip(lc_sweep *s, const char *keys, lc_error *err);

/* Index into axis a's values of point p. */
int lc_sweep_index(const lc_sweep *s, long p, int a);

/* The --set assignments of point p: naxes strings "--vary key=value" (the
 * prefix names the option in error messages); caller frees with
 * lc_sweep_free_sets. NULL when out of memory. */
char **lc_sweep_sets(const lc_sweep *s, long p);
void lc_sweep_free_sets(char **sets, int n);

void lc_sweep_free(lc_sweep *s);

#endif

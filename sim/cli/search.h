/* search.h — `liqcascade search`: the value of one scenario key at which a
 * metric crosses a level, by bisection on common runs (DESIGN §16).
 *
 * Every probe runs the same runs (the scenario's seed: common random
 * numbers), so the metric is a function of the key alone on that sample,
 * and bisection brackets where it crosses the level to any resolution. The
 * bracket is the answer on these runs; its sampling uncertainty comes from
 * each probe's 95% interval (out/metrics.h): a probe is *surely* on its side
 * when its whole interval is, and the boundary lies, with 95% confidence at
 * each of the two probes, between the nearest surely failing and the
 * nearest surely passing probe. */
#ifndef LC_SEARCH_H
#define LC_SEARCH_H

#include <signal.h>
#include <stdio.h>

#include "base/error.h"
#include "engine/engine.h"

typedef struct lc_search_opts {
    const char *scenario;
    const char *const *sets; /* --set key=value, applied before the key */
    int nsets;
    const char *key;    /* the dotted scenario key searched */
    double from, to;    /* its range (either order) */
    double tol;         /* stop when the bracket is this narrow (0: |to - from| / 64) */
    const char *metric; /* a metric of docs/analysis.md, e.g. p_bad_debt */
    double level;
    int at_least; /* the target: metric >= level (else <= level) */
    int threads;  /* 0: OpenMP's default */
    lc_engine_kind engine;
    volatile sig_atomic_t *stop; /* NULL: never */
} lc_search_opts;

/* Run the search, printing each probe and the answer to out. Returns 0, 1
 * on a runtime failure or interruption, 2 on a bad scenario, key or metric
 * (err says which, naming the probe's value). */
int lc_search(const lc_search_opts *o, FILE *out, lc_error *err);

#endif

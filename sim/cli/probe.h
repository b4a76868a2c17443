/* probe.h — one scenario, with extra --set values, run in memory: every run,
 * no file (DESIGN §16). What `search` does at each value of its key and
 * `map` at each shock. */
#ifndef LC_PROBE_H
#define LC_PROBE_H

#include <signal.h>

#include "base/error.h"
#include "book/population.h"
#include "engine/engine.h"
#include "out/record.h"
#include "scenario/scenario.h"

typedef struct lc_probe_opts {
    const char *scenario;
    const char *const *sets; /* the user's --set values, applied first */
    int nsets;
    int threads; /* 0: OpenMP's default */
    lc_engine_kind engine;
    volatile sig_atomic_t *stop; /* NULL: never */
} lc_probe_opts;

/* What a probe leaves: its scenario, population and rows (sc->runs of them,
 * in run order). */
typedef struct lc_probe {
    lc_scenario *sc;
    lc_population *pop;
    lc_run_row *rows;
    int pop_owned; /* pop was drawn for this probe (else it was lent) */
} lc_probe;

/* Load o->scenario with o->sets and then extra[0..nextra), draw its
 * population (or run on `lend`'s when not NULL: the caller keeps it alive
 * and vouches that it is the book wanted — `map` runs every shock on the
 * scenario's own book, warmed or not, though the shocked path's price keys
 * would give a warmed book another signature) and run every run.
 * Returns 0; 1 on a runtime failure or interruption; 2 when the scenario or
 * its population is refused (err says why). */
int lc_probe_run(const lc_probe_opts *o, const char *const *extra, int nextra, const lc_probe *lend,
                 lc_probe *p, lc_error *err);
/* The same without the runs: the scenario and its population (rows NULL). */
int lc_probe_load(const lc_probe_opts *o, const char *const *extra, int nextra,
                  const lc_probe *lend, lc_probe *p, lc_error *err);
void lc_probe_free(lc_probe *p);

/* The /runs cell of a rule's column (rule.h), or -1. */
int lc_probe_rule_cell(const char *rule, const char *column);

/* The per-point metric table (out/metrics.h) of a probe's rows. 0, or -1
 * when out of memory. */
struct lc_metric;
int lc_probe_metrics(const lc_probe *p, struct lc_metric **rows, long *nrows);

#endif

/* trials.h — runs of one scenario on the OpenMP threads without output:
 * what the rare-event pilot (pilot.h) and multilevel splitting's stages
 * (split.h) compute before the runner writes anything. Each thread keeps a
 * scratch of the scenario; run i's numbers depend on i alone (its streams,
 * or a lineage the callback sets), so what the callback stores by i is the
 * same for any thread count. */
#ifndef LC_TRIALS_H
#define LC_TRIALS_H

#include "engine/engine.h"

typedef struct lc_trials {
    lc_scratch **s; /* one a thread */
    int threads;
} lc_trials;

/* Scratches of sc over pop for threads threads (0: OpenMP's default), each
 * run stopped early by stop. 0, or -1 with err (out of memory). */
int lc_trials_open(lc_trials *t, const lc_scenario *sc, const lc_population *pop,
                   lc_engine_kind kind, int threads, const volatile sig_atomic_t *stop,
                   lc_error *err);
void lc_trials_close(lc_trials *t);

/* The work of trial i on scratch s: typically lc_engine_run and storing
 * what it needs by i. Returns lc_engine_run's code (0, 1 stopped, 2 ended
 * at a lineage's level, -1 with e said). */
typedef int (*lc_trial_fn)(void *ctx, lc_scratch *s, long i, lc_error *e);

/* Trials first .. first+n-1 on the threads. 0; 1 when the stop flag ended
 * one (the others may not have run); -1 with err, "what: " and the first
 * failed trial's message. */
int lc_trials_run(lc_trials *t, long first, long n, lc_trial_fn fn, void *ctx, const char *what,
                  lc_error *err);

#endif

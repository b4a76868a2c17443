/* trials.c — see trials.h. */
#include "engine/trials.h"

#include <omp.h>
#include <stdlib.h>

int lc_trials_open(lc_trials *t, const lc_scenario *sc, const lc_population *pop,
                   lc_engine_kind kind, int threads, const volatile sig_atomic_t *stop,
                   lc_error *err)
{
    t->threads = threads > 0 ? threads : omp_get_max_threads();
    t->s = calloc((size_t)t->threads, sizeof *t->s);
    for (int k = 0; t->s && k < t->threads; k++) {
        if (!(t->s[k] = lc_scratch_create(sc, pop, kind, 0))) {
            lc_trials_close(t);
            break;
        }
        lc_scratch_set_stop(t->s[k], stop);
    }
    return t->s ? 0 : lc_error_add(err, "out of memory for a scratch a thread of the runs");
}

void lc_trials_close(lc_trials *t)
{
    for (int k = 0; t->s && k < t->threads; k++)
        lc_scratch_free(t->s[k]);
    free(t->s);
    t->s = NULL;
}

int lc_trials_run(lc_trials *t, long first, long n, lc_trial_fn fn, void *ctx, const char *what,
                  lc_error *err)
{
    int failed = 0, stopped = 0;
    lc_error firsterr = {0};
#pragma omp parallel num_threads(t->threads)
    {
        lc_scratch *s = t->s[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 4)
        for (long i = first; i < first + n; i++) {
            int bad, halt;
#pragma omp atomic read
            bad = failed;
#pragma omp atomic read
            halt = stopped;
            if (bad || halt)
                continue;
            lc_error e = {0};
            int rc = fn(ctx, s, i, &e);
            if (rc == 1) {
#pragma omp atomic write
                stopped = 1;
            } else if (rc < 0) {
#pragma omp critical(lc_trials_error)
                if (!failed) {
                    firsterr = e;
                    failed = 1;
                }
            }
        }
    }
    if (failed)
        return lc_error_add(err, "%s: %.*s", what, (int)(firsterr.len ? firsterr.len - 1 : 0),
                            firsterr.msg);
    return stopped;
}

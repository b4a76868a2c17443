/* runner.h — many runs in parallel, written in run order (DESIGN §2, §6).
 *
 * Rows (point, run) are computed in batches: OpenMP threads take rows of a
 * batch, each with its own scratch and a random stream fixed by (seed, run);
 * then a writer thread appends the batch while the next one is computed (two
 * batches alternate, and only the writer thread calls HDF5). Results therefore do not depend on
 * the thread count, and memory is bounded by the batch, not the run count.
 * A stop flag (set by SIGINT/SIGTERM) ends the work after the rows in hand;
 * the completed prefix of rows is kept. In a job of several MPI ranks
 * (engine/ranks.h) the batches are ranges dealt to the ranks in turn, each
 * rank computes its own as above, and rank 0 writes them all in row order:
 * the same rows, series and events as one process, for any ranks x threads. */
#ifndef LC_RUNNER_H
#define LC_RUNNER_H

#include <signal.h>

#include "engine/engine.h"
#include "engine/split.h"
#include "cli/summary.h"
#include "out/writer.h"

typedef struct lc_runner_opts {
    int threads; /* 0: OpenMP's default */
    lc_engine_kind engine;
    int events;
    int progress;                /* progress on stderr: LC_PROGRESS_OFF, _TTY or _PLAIN */
    volatile sig_atomic_t *stop; /* NULL: never stop early */
    long batch_rows;             /* 0: chosen from memory (about 8 MiB of series) */
    lc_summary *summary;         /* NULL, or one per point: receives its rows in order */
    size_t event_bytes; /* 0: no bound; else a batch ends once its runs' events hold this */
    lc_run_row *rows;   /* NULL, or room for every row: receives them, by row index */
    /* NULL, or multilevel splitting's (one point): row i is the trajectory
     * of its job i, replayed to the horizon, with the job's weight */
    const lc_split *split;
} lc_runner_opts;

typedef struct lc_runner_stats {
    long rows_done;   /* rows written, a prefix of all rows */
    int interrupted;  /* stopped by the flag before all rows were done */
    double seconds;   /* wall time of the runs and writes */
    long evaluations; /* accounts that span markets evaluated by the finders (engine.h) */
} lc_runner_stats;

/* The memory the runs of sc[0..points) hold besides their populations
 * (accounts[p], spanning[p]: point p's sizes), in bytes: one scratch per
 * thread (engine.h lc_scratch_bytes), with events the events of the run in
 * hand of each thread (an event per account), and the two batches of rows
 * and series in flight. The batches' events beyond are bounded by
 * o->event_bytes. */
typedef struct lc_memory {
    double scratch; /* per thread */
    double events;  /* per thread, with events: the run in hand's, at an event per account
                       (each liquidates once) in a buffer grown by doubling */
    long threads;   /* that will hold one */
    double batches;
} lc_memory;
void lc_runner_memory(const lc_scenario *const *sc, const long *accounts, const long *spanning,
                      long points, const lc_runner_opts *o, lc_memory *m);

/* Run every run of every point: scenario sc[k] and population pop[k] for
 * point k. All points share runs, steps, every and series. w NULL: nothing
 * is written (the rows reach o->summary and o->rows only). */
int lc_runner_run(const lc_scenario *const *sc, const lc_population *const *pop, long points,
                  const lc_runner_opts *o, lc_writer *w, lc_runner_stats *st, lc_error *err);

#endif

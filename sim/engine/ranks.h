/* ranks.h — the processes of one job (DESIGN §17): MPI ranks in a build
 * with -DLC_MPI=ON, else one process (every function below then is a
 * trivial one-process version, and the transfers are never called).
 *
 * How a job is shared (runner.c): the rows are cut into ranges of one batch
 * each, range k belongs to rank k mod ranks, and each rank computes its
 * ranges with its OpenMP threads, as one process would. Rank 0 writes the
 * file: it takes the ranges in row order, its own as it computes them, the
 * others' as pieces sent by their ranks (rows, series chunks already
 * compressed, events), and hands each to the one writer. Every run is keyed
 * by (seed, point, run) alone, so the datasets are those of one process,
 * bit for bit, for any number of ranks and threads.
 *
 * The messages, all between rank 0 and one other rank r, in order:
 *   r -> 0: for each of its ranges, its pieces (a piece is a batch, or the
 *           runs done of it when the rank stopped or its events filled);
 *           or, once, why it failed; then, once, END (with its counters);
 *   0 -> r: once, the job's outcome, when rank 0 stops taking pieces (done,
 *           interrupted or failed); r stops at its next piece and ends.
 * Rank 0 receives (and drops) whatever a rank still sends after that, up to
 * its END, so no rank is left blocked in a send. Only the main thread of
 * each rank calls MPI (MPI_THREAD_FUNNELED). */
#ifndef LC_RANKS_H
#define LC_RANKS_H

#include <stdint.h>

#include "base/error.h"
#include "out/record.h"

/* Start and end the job's processes (MPI_Init_thread, MPI_Finalize); main()
 * calls them first and last. 0, or -1 when MPI cannot start. */
int lc_ranks_init(int *argc, char ***argv);
void lc_ranks_finish(void);
int lc_rank(void);  /* this process: 0 .. lc_ranks()-1; 0 without MPI */
int lc_ranks(void); /* processes in the job; 1 without MPI */

/* Every rank calls this once, at the same point, with ok = whether it is
 * ready and job = a digest of the job it is about to simulate (the same
 * scenario, command, population and binary give the same digest); returns
 * 1 if every rank is ready with rank 0's digest, else 0, and rank 0's err
 * then says which rank was not and why (when rank 0 itself was ready). */
int lc_ranks_agree(int ok, uint64_t job, lc_error *err);

/* The outcome rank 0 tells every rank, and they return as their exit code. */
enum { LC_JOB_DONE = 0, LC_JOB_FAILED = 1, LC_JOB_INTERRUPTED = 2 };

/* r > 0: send batch b (its nrows rows from first_row; its series chunks
 * compressed ahead, b->zjobs of them on the grid of `chunk` rows, and the
 * rest of its series raw; its events); stopped: the rank stopped within it. */
int lc_ranks_send_piece(const lc_batch *b, long chunk, int stopped, lc_error *err);
/* r > 0: send why the rank failed, in place of its next piece. */
void lc_ranks_send_failure(const lc_error *why);
/* r > 0: its last message; evaluations: its finders' (runner.h). */
void lc_ranks_send_end(long evaluations);
/* r > 0: whether rank 0 has told the outcome (then stop); does not wait. */
int lc_ranks_told(void);
/* r > 0: wait for the outcome rank 0 tells (LC_JOB_*). */
int lc_ranks_hear(void);

/* Rank 0: what a rank sent in place of a piece. */
typedef struct lc_ranks_piece {
    int stopped;      /* the rank stopped within this piece: its runs done */
    int ended;        /* END came instead (no piece) */
    long evaluations; /* with END */
} lc_ranks_piece;
/* Rank 0: receive rank `from`'s next piece into b (created for the job's
 * scenario, with events when the job has them): rows, compressed chunks
 * (sized as lc_writer_compress_jobs sizes them) and the rest raw. -1 when
 * the rank failed (err: its message) or the piece does not fit b. */
int lc_ranks_recv_piece(int from, lc_batch *b, long chunk, lc_ranks_piece *got, lc_error *err);
/* Rank 0: tell every rank the outcome, then take what each still sends up
 * to its END; returns the sum of their evaluations. */
long lc_ranks_end_job(int outcome);

#endif

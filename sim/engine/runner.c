/* runner.c — see runner.h. */
#include "engine/runner.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli/progress.h"
#include "engine/ranks.h"

/* One batch being appended by the writer thread while the next is computed.
 * Only this thread calls HDF5 while it runs; the main thread joins it before
 * touching the writer or the batch again. */
typedef struct write_job {
    lc_writer *w;
    const lc_batch *b;
    lc_error err;
    int rc;
} write_job;

static void *write_main(void *arg)
{
    write_job *job = arg;
    job->rc = lc_writer_append(job->w, job->b, &job->err);
    return NULL;
}

/* Wait for the pending write; its error, if any, moves to err. */
static int join_write(pthread_t th, write_job *job, lc_error *err)
{
    pthread_join(th, NULL);
    if (job->rc)
        lc_error_add(err, "%.*s", (int)(job->err.len ? job->err.len - 1 : 0), job->err.msg);
    return job->rc;
}

/* Of one batch: its rows and series. Smaller batches touch fewer fresh
 * pages and stay nearer the cache while their chunks are compressed
 * (dexlike, 1,000 runs, one thread: 0.67 s at 32 MiB, 0.63 s at 8 MiB). */
#define BATCH_BYTES ((double)(8 << 20))
/* With several ranks, batches small enough for this many a rank: the ranks'
 * shares (dealt in turn) then differ by about one batch in this many, and
 * rank 0's progress bar hears of the others' runs a batch at a time. */
#define RANGES_PER_RANK 8
#define RANGE_MIN_PER_THREAD 4 /* and at least this many runs a thread */

/* Runs per batch: --batch, else about BATCH_BYTES of rows and series. */
static long choose_batch(const lc_scenario *sc, long total, const lc_runner_opts *o)
{
    if (o->batch_rows > 0)
        return o->batch_rows;
    double cap = BATCH_BYTES / lc_batch_row_bytes(sc);
    if (cap < 1)
        cap = 1;
    if (cap > 4096)
        cap = 4096;
    /* but at least one /series chunk of rows, so that a batch's chunks are
     * compressed ahead on every thread (writer.h): at 8 MiB, 33 planes or
     * more (5 markets of 7 series) would otherwise fall to HDF5's zlib on
     * the writer thread */
    double chunk = (double)lc_series_chunk(sc);
    if (sc->series_mask && cap < chunk)
        cap = chunk;
    return (long)cap < total ? (long)cap : total;
}

void lc_runner_memory(const lc_scenario *const *sc, const long *accounts, const long *spanning,
                      long points, const lc_runner_opts *o, lc_memory *m)
{
    long total = points * sc[0]->runs;
    long threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    if (threads > total)
        threads = total;
    m->scratch = m->events = 0;
    for (long p = 0; p < points; p++) { /* a thread holds one scratch at a time */
        double b = lc_scratch_bytes(sc[p], accounts[p], spanning[p], o->engine, o->events);
        double e = o->events ? 2 * (double)accounts[p] * (double)sizeof(lc_event) : 0;
        m->scratch = b > m->scratch ? b : m->scratch;
        m->events = e > m->events ? e : m->events;
    }
    m->threads = threads;
    /* two batches (one computed, one written), each with its deflated
     * series chunks (lc_zplanes_bound: a little over the raw size) */
    double row = lc_batch_row_bytes(sc[0]), series = row - (double)sizeof(lc_run_row);
    long cap = choose_batch(sc[0], total, o);
    m->batches = 2 * (double)cap * (row + 1.01 * series);
}

/* A thread's scratch is done with: its finder's evaluations into the
 * stats, then freed (NULL: nothing). */
static void retire(lc_scratch *s, lc_runner_stats *st)
{
    if (!s)
        return;
    long ev = lc_scratch_evaluations(s);
#pragma omp atomic
    st->evaluations += ev;
    lc_scratch_free(s);
}

/* Each thread's scratch, kept from batch to batch (a scratch of a large
 * book costs about as much to make as a run): thread t's is s[t], made for
 * point point[t] (-1: none yet). */
typedef struct scratches {
    lc_scratch **s;
    long *point;
} scratches;

/* Rows first .. first+n-1 into batch b on the rank's threads. Returns the
 * runs done in order (a prefix: the rest was stopped, or not started once
 * the batch's events filled, *ev_full), or -1 when a run failed (err).
 * *done counts runs done for the progress bar. */
static long compute_piece(const lc_scenario *const *sc, const lc_population *const *pop,
                          const lc_runner_opts *o, int threads, scratches *keep, lc_batch *b,
                          long first, long n, long *done_io, lc_progress *bar, lc_runner_stats *st,
                          int *ev_full_out, lc_error *err)
{
    const lc_scenario *sc0 = sc[0];
    long runs = sc0->runs, done = *done_io;
    unsigned char *ok = calloc((size_t)n, 1);
    if (!ok)
        return lc_error_add(err, "out of memory");
    b->first_row = first;
    /* the batch's events in bytes: past o->event_bytes, the batch takes
     * no further run and ends at the runs done in order (the next batch
     * starts there), so events are bounded as well as series */
    size_t ev_bytes = 0;
    int ev_full = 0, failed = 0;
#pragma omp parallel num_threads(threads)
    {
        const int me = omp_get_thread_num(); /* < threads */
        lc_scratch *s = keep->s[me];
        long s_point = keep->point[me];
        lc_error terr = {0};
        lc_rekey at[LC_SPLIT_MAX_LEVELS];
        lc_lineage line;
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < n; i++) {
            int stop_now, full_now;
#pragma omp atomic read
            stop_now = failed;
#pragma omp atomic read
            full_now = ev_full;
            if (stop_now || (full_now && i > 0) || (o->stop && *o->stop))
                continue;
            long row = first + i, point = row / runs, run = row % runs;
            if (point != s_point || !s) { /* models and population can differ per point */
                retire(s, st);
                s = lc_scratch_create(sc[point], pop[point], o->engine, o->events);
                if (s)
                    lc_scratch_set_stop(s, o->stop);
                s_point = point;
            }
            float *series[LC_SERIES_N] = {0};
            for (int k = 0, j = 0; k < LC_SERIES_N; k++)
                if (sc0->series_mask >> k & 1u)
                    series[k] = lc_batch_series(b, i, j++);
            if (b->events)
                b->events[i].n = 0;
            const lc_split_job *job = o->split ? &o->split->job[row] : NULL;
            if (job && s) {
                lc_split_lineage(o->split, job->traj, at, &line);
                lc_scratch_set_lineage(s, &line);
            }
            int rc = s ? lc_engine_run(sc[point], pop[point], s, point, run, &b->rows[i], series,
                                       b->events ? &b->events[i] : NULL, &terr)
                       : -1;
            if (job && s) {
                lc_scratch_set_lineage(s, NULL);
                b->rows[i].weight = job->weight;
                b->rows[i].log_weight = log(job->weight);
                b->rows[i].replicate = o->split->traj[job->traj].replicate;
            }
            if (rc > 0) /* stopped within the run: not kept */
                continue;
            if (rc < 0) {
#pragma omp critical(lc_runner_error)
                {
                    if (!failed) {
                        if (s)
                            lc_error_add(err, "%.*s", (int)(terr.len ? terr.len - 1 : 0), terr.msg);
                        else
                            lc_error_add(err, "out of memory for run scratch");
#pragma omp atomic write
                        failed = 1;
                    }
                }
                continue;
            }
            ok[i] = 1;
            if (b->events && o->event_bytes) {
                size_t mine = (size_t)b->events[i].cap * sizeof(lc_event), now;
#pragma omp atomic capture
                now = ev_bytes += mine;
                if (now > o->event_bytes) {
#pragma omp atomic write
                    ev_full = 1;
                }
            }
#pragma omp atomic
            done++;
            if (omp_get_thread_num() == 0) {
                long d;
#pragma omp atomic read
                d = done;
                lc_progress_update(bar, d);
            }
        }
        keep->s[me] = s;
        keep->point[me] = s_point;
    }
    long prefix = 0;
    while (prefix < n && ok[prefix])
        prefix++;
    free(ok);
    b->nrows = prefix;
    *done_io = done;
    *ev_full_out = ev_full;
    return failed ? -1 : prefix;
}

/* Deflate the batch's full series chunks on every thread (writer.h); when
 * that fails, the writer compresses them itself. */
static void compress_piece(lc_batch *b, long chunk, int threads)
{
    long jobs = lc_writer_compress_jobs(chunk, b);
    int zfail = 0;
#pragma omp parallel num_threads(threads) reduction(| : zfail) if (jobs > 0)
    {
        lc_deflater *z = jobs > 0 ? lc_deflater_create() : NULL;
        zfail |= jobs > 0 && !z;
#pragma omp for schedule(dynamic, 1)
        for (long j = 0; j < jobs; j++)
            zfail |= !z || lc_writer_compress(chunk, b, j, z) != 0;
        lc_deflater_free(z);
    }
    if (zfail)
        b->zjobs = 0;
    else
        lc_writer_compress_copies(b);
}

int lc_runner_run(const lc_scenario *const *sc, const lc_population *const *pop, long points,
                  const lc_runner_opts *o, lc_writer *w, lc_runner_stats *st, lc_error *err)
{
    const lc_scenario *sc0 = sc[0];
    long runs = sc0->runs, total = points * runs;
    st->rows_done = 0;
    st->interrupted = 0;
    st->evaluations = 0;
    double t0 = lc_now_s();
    /* with several ranks (ranks.h), range k of cap rows is rank k mod
     * ranks's, and rank 0 takes them all in order to write them */
    int rank = lc_rank(), ranks = lc_ranks();

    long cap = choose_batch(sc0, total, o);
    int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    if (ranks > 1 && o->batch_rows <= 0) { /* about RANGES_PER_RANK ranges a rank */
        long share = (total + RANGES_PER_RANK * ranks - 1) / (RANGES_PER_RANK * ranks);
        if (share < RANGE_MIN_PER_THREAD * threads) /* but work for every thread */
            share = RANGE_MIN_PER_THREAD * threads;
        cap = share < cap ? share : cap;
    }
    /* batches on the series chunk grid, so their chunks compress in parallel
     * (on every rank: the grid, and so cap, must be the same on all) */
    int stored = w || ranks > 1; /* the series go to a file */
    long chunk = stored ? lc_series_chunk(sc0) : 0;
    if (o->batch_rows <= 0 && chunk > 0 && cap > chunk)
        cap -= cap % chunk;
    /* two batches: one computed while the other is written */
    lc_batch *bufs[2] = {lc_batch_create(sc0, cap, o->events),
                         lc_batch_create(sc0, cap, o->events)};
    int failed = 0, stopped = 0;
    if (!bufs[0] || !bufs[1])
        failed = lc_error_add(err, "out of memory for batches of %ld runs", cap);
    int cur = 0, pending = 0;
    pthread_t writer_thread = {0};
    write_job job = {0};

    scratches keep = {calloc((size_t)threads, sizeof *keep.s),
                      malloc((size_t)threads * sizeof *keep.point)};
    if (!keep.s || !keep.point)
        failed = lc_error_add(err, "out of memory");
    for (int t = 0; keep.point && t < threads; t++)
        keep.point[t] = -1;
    lc_progress bar;
    lc_progress_start(&bar, total, points > 1 ? runs : 0,
                      rank == 0 ? o->progress : LC_PROGRESS_OFF);
    long done = 0, nranges = (total + cap - 1) / cap;

    for (long k = 0; k < nranges && !failed && !stopped; k++) {
        int owner = (int)(k % ranks);
        if (owner != rank && rank != 0)
            continue;
        long end = (k + 1) * cap < total ? (k + 1) * cap : total;
        for (long first = k * cap; first < end && !failed && !stopped;) {
            lc_batch *b = bufs[cur];
            int ev_full = 0, cut = 0;
            long prefix;
            if (owner == rank) {
                if (rank > 0 && lc_ranks_told()) { /* rank 0 takes no more */
                    stopped = 1;
                    break;
                }
                prefix = compute_piece(sc, pop, o, threads, &keep, b, first, end - first, &done,
                                       &bar, st, &ev_full, err);
                if (prefix < 0) {
                    failed = 1;
                    break;
                }
                if (stored)
                    compress_piece(b, chunk, threads);
                cut = prefix < end - first && !ev_full; /* stopped early */
            } else {                                    /* rank 0: rank owner's piece */
                lc_ranks_piece got;
                if (o->stop && *o->stop) { /* a rank still at work would be waited for */
                    st->interrupted = stopped = 1;
                    break;
                }
                if (lc_ranks_recv_piece(owner, b, chunk, &got, err)) {
                    failed = 1;
                    break;
                }
                if (got.ended) { /* a rank ends only when told, or after its ranges */
                    failed = lc_error_add(err, "rank %d of %d ended before rows %ld to %ld", owner,
                                          ranks, first, end - 1);
                    break;
                }
                if (b->first_row != first || b->nrows > end - first) {
                    failed = lc_error_add(
                        err, "rank %d of %d sent rows %ld to %ld for rows %ld to %ld", owner, ranks,
                        b->first_row, b->first_row + b->nrows - 1, first, end - 1);
                    break;
                }
                prefix = b->nrows;
                cut = got.stopped;
                done += prefix;
                lc_progress_update(&bar, done);
            }
            if (rank > 0) {
                if (lc_ranks_send_piece(b, chunk, cut, err)) {
                    failed = 1;
                    break;
                }
            } else {
                if (o->summary)
                    for (long i = 0; i < prefix; i++)
                        lc_summary_add(&o->summary[b->rows[i].point], &b->rows[i]);
                if (o->rows)
                    memcpy(o->rows + first, b->rows, (size_t)prefix * sizeof *b->rows);
                if (pending) {
                    pending = 0;
                    if (join_write(writer_thread, &job, err)) {
                        failed = -1;
                        break;
                    }
                    lc_batch_release_events(bufs[cur ^ 1]); /* written: its memory back */
                }
                if (prefix > 0 && w) {
                    job = (write_job){.w = w, .b = b};
                    if (pthread_create(&writer_thread, NULL, write_main, &job) != 0) {
                        failed = lc_error_add(err, "cannot start the writer thread");
                        break;
                    }
                    pending = 1;
                }
                cur ^= 1;
            }
            st->rows_done += prefix;
            first += prefix;
            if (cut) {
                st->interrupted = 1;
                stopped = 1;
            }
        }
    }
    if (pending && join_write(writer_thread, &job, err))
        failed = -1;
    for (int t = 0; keep.s && t < threads; t++) /* their evaluations into st */
        retire(keep.s[t], st);
    if (ranks > 1 && rank > 0) {
        if (failed)
            lc_ranks_send_failure(err);
        lc_ranks_send_end(st->evaluations);
        int outcome = lc_ranks_hear();
        st->interrupted = outcome == LC_JOB_INTERRUPTED;
        if (outcome == LC_JOB_FAILED && !failed)
            failed = lc_error_add(err, "the job failed on another rank");
    } else if (ranks > 1) {
        st->evaluations += lc_ranks_end_job(failed            ? LC_JOB_FAILED
                                            : st->interrupted ? LC_JOB_INTERRUPTED
                                                              : LC_JOB_DONE);
    }
    free(keep.s);
    free(keep.point);
    lc_progress_finish(&bar, st->rows_done);
    lc_batch_free(bufs[0]);
    lc_batch_free(bufs[1]);
    st->seconds = lc_now_s() - t0;
    return failed ? -1 : 0;
}

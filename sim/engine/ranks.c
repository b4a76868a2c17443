/* ranks.c — see ranks.h. */
#include "engine/ranks.h"

#ifndef LC_MPI

int lc_ranks_init(int *argc, char ***argv)
{
    return 0;
}
void lc_ranks_finish(void)
{
}
int lc_rank(void)
{
    return 0;
}
int lc_ranks(void)
{
    return 1;
}
int lc_ranks_agree(int ok, uint64_t job, lc_error *err)
{
    return ok;
}
/* one process sends and receives nothing: runner.c never calls these */
int lc_ranks_send_piece(const lc_batch *b, long chunk, int stopped, lc_error *err)
{
    return lc_error_add(err, "no other process to send runs to");
}
void lc_ranks_send_failure(const lc_error *why)
{
}
void lc_ranks_send_end(long evaluations)
{
}
int lc_ranks_told(void)
{
    return 0;
}
int lc_ranks_hear(void)
{
    return LC_JOB_DONE;
}
int lc_ranks_recv_piece(int from, lc_batch *b, long chunk, lc_ranks_piece *got, lc_error *err)
{
    return lc_error_add(err, "no other process to receive runs from");
}
long lc_ranks_end_job(int outcome)
{
    return 0;
}

#else /* LC_MPI */

#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "out/writer.h"

enum { TAG_HEAD = 1, TAG_DATA = 2, TAG_OUTCOME = 3, TAG_WHY = 4 };
enum { KIND_PIECE = 1, KIND_FAILED = 2, KIND_END = 3 };

/* What comes first of every message from a rank to rank 0. */
typedef struct head {
    int64_t kind, first_row, nrows, stopped, zjobs, nevents, evaluations;
    int64_t series_from; /* the rows from here on carry their series raw */
} head;

#define PART_BYTES ((size_t)1 << 30) /* of one MPI message: its count is an int */

static int rank = 0, size = 1, started = 0;
static unsigned char *ended; /* per rank, on rank 0: its END has come */

int lc_ranks_init(int *argc, char ***argv)
{
    int level = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &level) != MPI_SUCCESS)
        return -1;
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    ended = calloc((size_t)size, 1);
    /* only the main thread calls MPI (the OpenMP threads and the writer
     * thread never do), which FUNNELED allows */
    return level >= MPI_THREAD_FUNNELED && ended ? 0 : -1;
}

void lc_ranks_finish(void)
{
    if (started)
        MPI_Finalize();
    free(ended);
    ended = NULL;
    started = 0;
}

int lc_rank(void)
{
    return rank;
}

int lc_ranks(void)
{
    return size;
}

#define WHY_BYTES 512 /* of a rank's set-up error that rank 0 prints */

int lc_ranks_agree(int ok, uint64_t job, lc_error *err)
{
    uint64_t first = job; /* rank 0's */
    MPI_Bcast(&first, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (ok && job != first) {
        ok = 0;
        lc_error_add(err,
                     "simulates another job than rank 0: its scenario file, command line, "
                     "population or liqcascade binary differ (is the scenario the same file on "
                     "every machine?)");
    }
    /* the first rank that is not ready (size: none) */
    int mine = ok ? size : rank, bad = size;
    MPI_Allreduce(&mine, &bad, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (bad == size)
        return 1;
    if (bad == 0) /* rank 0's own error says it */
        return 0;
    /* rank 0 was ready: rank `bad` tells it why it was not */
    char why[WHY_BYTES] = {0};
    if (rank == bad) {
        if (err->len > 1)
            snprintf(why, sizeof why, "%.*s", (int)(err->len - 1), err->msg);
        else /* no message: stopped by a signal in its set-up, say */
            snprintf(why, sizeof why, "was not ready to start (stopped during its set-up?)");
        MPI_Send(why, WHY_BYTES, MPI_CHAR, 0, TAG_WHY, MPI_COMM_WORLD);
    } else if (rank == 0) {
        MPI_Recv(why, WHY_BYTES, MPI_CHAR, bad, TAG_WHY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        why[WHY_BYTES - 1] = '\0';
        lc_error_add(err, "rank %d of %d: %s", bad, size, why);
    }
    return 0;
}

/* Bytes in parts of at most PART_BYTES, each its own message. */
static void send_bytes(const void *p, size_t n)
{
    const char *c = p;
    for (size_t at = 0; at < n; at += PART_BYTES) {
        size_t len = n - at < PART_BYTES ? n - at : PART_BYTES;
        MPI_Send(c + at, (int)len, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
    }
}

static void recv_bytes(int from, void *p, size_t n)
{
    char *c = p;
    for (size_t at = 0; at < n; at += PART_BYTES) {
        size_t len = n - at < PART_BYTES ? n - at : PART_BYTES;
        MPI_Recv(c + at, (int)len, MPI_BYTE, from, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
}

static void send_head(const head *h)
{
    MPI_Send(h, (int)sizeof *h, MPI_BYTE, 0, TAG_HEAD, MPI_COMM_WORLD);
}

/* The raw series of rows from .. nrows-1: contiguous in the batch. */
static size_t raw_series_bytes(const lc_batch *b, long from)
{
    return (size_t)(b->nrows - from) * (size_t)b->nplanes * (size_t)b->ncols * sizeof(float);
}

int lc_ranks_send_piece(const lc_batch *b, long chunk, int stopped, lc_error *err)
{
    head h = {.kind = KIND_PIECE,
              .first_row = b->first_row,
              .nrows = b->nrows,
              .stopped = stopped,
              .zjobs = b->zjobs};
    long full = b->zjobs > 0 && b->nplanes > 0 ? b->zjobs / b->nplanes : 0;
    h.series_from = full * chunk;
    int64_t *counts = NULL;
    lc_event *all = NULL;
    if (b->events) {
        for (long i = 0; i < b->nrows; i++)
            h.nevents += b->events[i].n;
        counts = malloc((size_t)(b->nrows ? b->nrows : 1) * sizeof *counts);
        all = malloc((size_t)(h.nevents ? h.nevents : 1) * sizeof *all);
        if (!counts || !all) {
            free(counts);
            free(all);
            return lc_error_add(err, "out of memory for the events of rows %ld to %ld",
                                b->first_row, b->first_row + b->nrows - 1);
        }
        for (long i = 0, at = 0; i < b->nrows; at += b->events[i].n, i++) {
            counts[i] = b->events[i].n;
            memcpy(all + at, b->events[i].v, (size_t)b->events[i].n * sizeof *all);
        }
    }
    send_head(&h);
    send_bytes(b->rows, (size_t)b->nrows * sizeof *b->rows);
    if (b->zjobs > 0) { /* the sizes as they are: the ranks share one ABI, as the rows do */
        send_bytes(b->zsize, (size_t)b->zjobs * sizeof *b->zsize);
        for (long j = 0; j < b->zjobs; j++)
            send_bytes(b->z + (size_t)j * b->zstride, b->zsize[j]);
    }
    if (b->nplanes > 0)
        send_bytes(lc_batch_plane(b, h.series_from, 0), raw_series_bytes(b, h.series_from));
    if (b->events) {
        send_bytes(counts, (size_t)b->nrows * sizeof *counts);
        send_bytes(all, (size_t)h.nevents * sizeof *all);
    }
    free(counts);
    free(all);
    return 0;
}

void lc_ranks_send_failure(const lc_error *why)
{
    head h = {.kind = KIND_FAILED};
    send_head(&h);
    int len = (int)(why->len ? why->len - 1 : 0);
    MPI_Send(why->msg, len, MPI_CHAR, 0, TAG_DATA, MPI_COMM_WORLD);
}

void lc_ranks_send_end(long evaluations)
{
    head h = {.kind = KIND_END, .evaluations = evaluations};
    send_head(&h);
}

int lc_ranks_told(void)
{
    int flag = 0;
    MPI_Iprobe(0, TAG_OUTCOME, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    return flag;
}

int lc_ranks_hear(void)
{
    int outcome = LC_JOB_FAILED;
    MPI_Recv(&outcome, 1, MPI_INT, 0, TAG_OUTCOME, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return outcome;
}

/* Receive (and drop) one data message of any size from rank `from`. */
static void drop_data(int from)
{
    MPI_Status st;
    MPI_Probe(from, TAG_DATA, MPI_COMM_WORLD, &st);
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    void *sink = malloc(n > 0 ? (size_t)n : 1);
    if (!sink) /* a message left unreceived would block its rank for good */
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Recv(sink, n, MPI_BYTE, from, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    free(sink);
}

/* Rank 0: the data messages from `from` up to its next head, dropped. */
static void drop_rest(int from)
{
    int flag = 1;
    while (flag) { /* a rank's data always comes before its next head */
        MPI_Status st;
        MPI_Probe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        flag = st.MPI_TAG == TAG_DATA;
        if (flag)
            drop_data(from);
    }
}

int lc_ranks_recv_piece(int from, lc_batch *b, long chunk, lc_ranks_piece *got, lc_error *err)
{
    *got = (lc_ranks_piece){0};
    head h;
    MPI_Recv(&h, (int)sizeof h, MPI_BYTE, from, TAG_HEAD, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (h.kind == KIND_END) {
        ended[from] = 1;
        got->ended = 1;
        got->evaluations = (long)h.evaluations;
        return 0;
    }
    if (h.kind == KIND_FAILED) {
        MPI_Status st;
        MPI_Probe(from, TAG_DATA, MPI_COMM_WORLD, &st);
        int n = 0;
        MPI_Get_count(&st, MPI_CHAR, &n);
        char *why = malloc((size_t)n + 1);
        if (!why) {
            drop_data(from);
            return lc_error_add(err, "rank %d of %d failed", from, size);
        }
        MPI_Recv(why, n, MPI_CHAR, from, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        why[n] = '\0';
        lc_error_add(err, "rank %d of %d: %s", from, size, why);
        free(why);
        return -1;
    }
    got->stopped = (int)h.stopped;
    b->first_row = (long)h.first_row;
    b->nrows = (long)h.nrows;
    b->zjobs = 0; /* a batch's earlier chunks are not this piece's */
    long jobs = h.zjobs > 0 ? lc_writer_compress_jobs(chunk, b) : 0;
    if (h.nrows > b->cap || jobs != h.zjobs || (h.nevents > 0 && !b->events) ||
        h.series_from > h.nrows) {
        drop_rest(from);
        b->nrows = 0;
        b->zjobs = 0;
        return lc_error_add(err,
                            "rank %d of %d sent rows %lld to %lld that do not fit this rank's "
                            "batch (%ld rows, %lld compressed chunks%s)",
                            from, size, (long long)h.first_row,
                            (long long)(h.first_row + h.nrows - 1), b->cap, (long long)h.zjobs,
                            jobs != h.zjobs ? ": out of memory?" : "");
    }
    recv_bytes(from, b->rows, (size_t)h.nrows * sizeof *b->rows);
    if (jobs > 0) {
        recv_bytes(from, b->zsize, (size_t)jobs * sizeof *b->zsize);
        for (long j = 0; j < jobs; j++)
            if (b->zsize[j] <= b->zstride)
                recv_bytes(from, b->z + (size_t)j * b->zstride, b->zsize[j]);
            else {
                drop_rest(from);
                b->zjobs = 0;
                return lc_error_add(err,
                                    "rank %d of %d sent a series chunk of %zu bytes (at "
                                    "most %zu fit)",
                                    from, size, b->zsize[j], b->zstride);
            }
    }
    if (b->nplanes > 0)
        recv_bytes(from, lc_batch_plane(b, (long)h.series_from, 0),
                   raw_series_bytes(b, (long)h.series_from));
    if (b->events) {
        int64_t *counts = malloc((size_t)(h.nrows ? h.nrows : 1) * sizeof *counts);
        lc_event *all = malloc((size_t)(h.nevents ? h.nevents : 1) * sizeof *all);
        if (!counts || !all) {
            free(counts);
            free(all);
            drop_rest(from);
            return lc_error_add(err, "out of memory for %lld events from rank %d",
                                (long long)h.nevents, from);
        }
        recv_bytes(from, counts, (size_t)h.nrows * sizeof *counts);
        recv_bytes(from, all, (size_t)h.nevents * sizeof *all);
        int oom = 0;
        for (long i = 0, at = 0; i < b->nrows; at += (long)counts[i], i++) {
            b->events[i].n = 0;
            for (long e = 0; e < counts[i] && !oom; e++)
                oom = lc_eventbuf_push(&b->events[i], &all[at + e]) != 0;
        }
        free(counts);
        free(all);
        if (oom)
            return lc_error_add(err, "out of memory for the events from rank %d", from);
    }
    return 0;
}

long lc_ranks_end_job(int outcome)
{
    long evaluations = 0;
    MPI_Request *req = malloc((size_t)size * sizeof *req);
    for (int r = 1; r < size; r++) {
        if (req)
            MPI_Isend(&outcome, 1, MPI_INT, r, TAG_OUTCOME, MPI_COMM_WORLD, &req[r]);
        else
            MPI_Send(&outcome, 1, MPI_INT, r, TAG_OUTCOME, MPI_COMM_WORLD);
    }
    for (int r = 1; r < size; r++)
        while (!ended[r]) { /* what r still sends: pieces and data, dropped, up to END */
            head h;
            drop_rest(r);
            MPI_Recv(&h, (int)sizeof h, MPI_BYTE, r, TAG_HEAD, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (h.kind == KIND_END) {
                ended[r] = 1;
                evaluations += (long)h.evaluations;
            }
        }
    if (req && size > 1)
        MPI_Waitall(size - 1, req + 1, MPI_STATUSES_IGNORE);
    free(req);
    return evaluations;
}

#endif

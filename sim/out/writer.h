/* writer.h — the HDF5 result file (schema v1, docs/schema.md).
 *
 * The writer is the only code that writes HDF5. It is called from one
 * thread. It writes to OUT.h5.partial and renames to OUT.h5 only in
 * lc_writer_finish(), so a failed run leaves no OUT.h5; an interrupted run is
 * finished with status "interrupted" and keeps its completed runs. */
#ifndef LC_WRITER_H
#define LC_WRITER_H

#include <stdio.h>

#include "base/error.h"
#include "book/population.h"
#include "out/record.h"
#include "scenario/scenario.h"
#include "scenario/sweep.h"

typedef struct lc_writer lc_writer;

typedef struct lc_writer_opts {
    const char *path;      /* final name, e.g. out.h5 */
    int force;             /* overwrite an existing file */
    int with_events;       /* create /events */
    int with_population;   /* write /population */
    long points;           /* sweep points (1 for `run`) */
    const char *engine;    /* "index" or "scan", stored as an attribute */
    const lc_sweep *sweep; /* the varied keys, or NULL (for `run`) */
    const char *command;   /* the command line, stored as an attribute (NULL: none) */
    /* runs drawn by importance sampling: the pilot's iterations in a line
     * (engine/pilot.h; "" or NULL: theta was given), attribute rare_pilot;
     * under splitting its levels and hits (engine/split.h), rare_split */
    const char *rare_pilot;
    /* if not NULL: receives the temporary name as soon as it is claimed,
     * before any HDF5 work (for a signal handler to remove; main.c) */
    char *claimed;
    size_t claimed_size;
} lc_writer_opts;

/* Whether path can name the result file: not empty, not a folder (nor
 * ending in '/'), in a folder that exists. 0, or -1 with an error. */
int lc_writer_check_path(const char *path, lc_error *err);

/* Fails (without touching anything) if path exists and !force, or
 * lc_writer_check_path refuses it. */
lc_writer *lc_writer_create(const lc_writer_opts *o, const lc_scenario *sc,
                            const lc_population *pop, lc_error *err);

/* Append a batch; batches arrive in row order with no gaps. */
int lc_writer_append(lc_writer *w, const lc_batch *b, lc_error *err);

/* Series compression in the compute threads. The /series datasets are
 * chunked by whole rows, shuffle + deflate; a batch that starts on a chunk
 * boundary can have its full chunks filtered exactly as HDF5 would, by any
 * thread, and the writer then stores them with H5Dwrite_chunk — so deflate,
 * the costliest part of writing, runs in parallel instead of on the one
 * writer thread. lc_writer_compress_jobs sizes the batch's buffers and
 * returns the number of (chunk, series) jobs (0: nothing to do ahead, or out
 * of memory: the writer then compresses as before); lc_writer_compress does
 * job j with a thread's own deflater and touches no HDF5 state, so calls may
 * run concurrently with each other and with lc_writer_append of another
 * batch. Ahead, the zlib streams are out/zplanes.h's: stored blocks for
 * the byte planes that look random, fixed-Huffman blocks with matches at
 * short distances for the rest (several times faster than zlib or
 * libdeflate at level 1); HDF5's deflate filter decodes any
 * zlib stream, so every reader reads the chunks as it reads HDF5's own (the
 * compressed bytes differ, the data do not). */
typedef struct lc_deflater lc_deflater;
lc_deflater *lc_deflater_create(void); /* NULL when out of memory */
void lc_deflater_free(lc_deflater *z);
/* Rows per /series chunk of sc's files: the grid of the jobs below, which
 * needs no writer (a process that computes runs for another to write,
 * engine/ranks.h, compresses them too). */
long lc_series_chunk(const lc_scenario *sc);
long lc_writer_compress_jobs(long chunk, lc_batch *b);
int lc_writer_compress(long chunk, lc_batch *b, long job, lc_deflater *z); /* 0 or -1 */
/* After every job of the batch: a job whose chunk plane repeats an earlier
 * plane of its chunk (a fundamental no trade moved, a live mark) was not
 * coded again by lc_writer_compress; it gets that plane's stream here. */
void lc_writer_compress_copies(lc_batch *b);

/* Write status and runs_completed, close, rename .partial to the final name,
 * free w. complete = 0 marks status "interrupted". */
int lc_writer_finish(lc_writer *w, int complete, lc_error *err);

/* Close and delete the .partial file, free w. For failures. NULL is a no-op. */
void lc_writer_abort(lc_writer *w);

/* Process-wide HDF5 set-up; call first thing in main(), before any HDF5 use
 * (lc_writer_create calls it too, which is enough when it comes first). */
void lc_hdf5_setup(void);

#endif

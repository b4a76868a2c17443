/* faults.c — fault injection for the HDF5 calls of liqcascade (test build
 * only: the liqcascade-faults binary, tests/out/test_faults.c).
 *
 * Linked with -Wl,--wrap=F for every F of LC_FAULT_WRAP (CMakeLists.txt),
 * so our calls of F reach __wrap_F here (HDF5's calls inside the library do
 * not). Each wrapper counts the call; the call numbered LC_FAULT_AT (from 1,
 * over all wrapped functions) is not made: it returns the function's failure
 * value (a negative hid_t, herr_t or htri_t) and prints
 * "fault: injected at call K (F)" to stderr. Without LC_FAULT_AT, or with it
 * beyond the last call, every call goes through.
 *
 * With LC_FAULT_COUNT set, two lines are printed at exit, so a test knows
 * where to inject: "fault: N calls", and "fault: paths: K1 K2 ...", the
 * number of the first call of each path: each place that calls HDF5, reached
 * through each distinct chain of calling functions. A loop over 50 columns
 * is one path, not 50; a helper reached from two functions is two; the
 * /scenario_resolved attribute of each key is one path per function of the
 * scenario's visit (which calls back from a place per key), not one per key.
 *
 * Not wrapped, as their failure cannot matter to the file:
 *  - H5Pclose, H5Sclose, H5Tclose: property lists, dataspaces and datatypes
 *    live in memory and never touch the file; a failed close leaks an ID
 *    until exit, nothing else;
 *  - H5Eget_auto2, H5Eset_auto2, H5Ewalk2, H5Iget_name: the error reporting
 *    (HDF5's own printing switched off, the reason and object of a failure
 *    kept for the message); H5Ewalk2 and H5Iget_name run only once something
 *    has failed already;
 *  - H5open, H5check_version: called by HDF5's macros (H5T_NATIVE_INT64,
 *    H5P_DATASET_CREATE), which ignore the result; H5dont_atexit: only what
 *    HDF5 does at exit. */
#include <execinfo.h>
#include <unwind.h> /* _Unwind_FindEnclosingFunction (libgcc) */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_PATHS 4096

static long calls;
static long fault_at; /* 0: none */
static int counting;  /* LC_FAULT_COUNT: record the paths */
/* the paths seen (by hash) and the first call of each */
static uint64_t path_hash[MAX_PATHS];
static long path_call[MAX_PATHS];
static int npaths;
/* the writer is called from one thread at a time, but not always the same */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void print_count(void)
{
    fprintf(stderr, "fault: %ld calls\nfault: paths:", calls);
    for (int i = 0; i < npaths; i++)
        fprintf(stderr, " %ld", path_call[i]);
    fprintf(stderr, "\n");
}

__attribute__((constructor)) static void fault_init(void)
{
    const char *at = getenv("LC_FAULT_AT");
    fault_at = at ? strtol(at, NULL, 10) : 0;
    counting = getenv("LC_FAULT_COUNT") != NULL;
    if (counting)
        atexit(print_count);
}

static uint64_t fnv(uint64_t h, const void *p)
{
    return (h ^ (uint64_t)(uintptr_t)p) * 1099511628211u;
}

/* Note call k, made at site, if its path is new: the site, and the function
 * of each frame of the call stack (FNV-1a). */
static void note_path(long k, const void *site)
{
    void *frame[64];
    int n = backtrace(frame, 64);
    uint64_t h = fnv(14695981039346656037u, site);
    for (int i = 0; i < n; i++)
        h = fnv(h, _Unwind_FindEnclosingFunction(frame[i]));
    for (int i = 0; i < npaths; i++)
        if (path_hash[i] == h)
            return;
    if (npaths == MAX_PATHS) { /* a test would miss paths: say so, and fail the run */
        fprintf(stderr, "fault: more than %d paths\n", MAX_PATHS);
        abort();
    }
    path_hash[npaths] = h;
    path_call[npaths++] = k;
}

/* Count a call of fn made at site; 1 if it is the one to fail. */
static int inject(const char *fn, const void *site)
{
    pthread_mutex_lock(&lock);
    long k = ++calls;
    if (counting)
        note_path(k, site);
    pthread_mutex_unlock(&lock);
    if (k != fault_at)
        return 0;
    fprintf(stderr, "fault: injected at call %ld (%s)\n", k, fn);
    return 1;
}

/* __wrap_fn with the parameters params (names and types) and the arguments
 * args (the names), failing with the value bad */
#define WRAP(type, bad, fn, params, args)                                                          \
    type __real_##fn params;                                                                       \
    type __wrap_##fn params;                                                                       \
    type __wrap_##fn params                                                                        \
    {                                                                                              \
        return inject(#fn, __builtin_return_address(0)) ? (bad) : __real_##fn args;                \
    }

#define BAD_ID H5I_INVALID_HID
#define BAD (-1)

/* files */
WRAP(hid_t, BAD_ID, H5Fcreate, (const char *name, unsigned flags, hid_t fcpl, hid_t fapl),
     (name, flags, fcpl, fapl))
WRAP(herr_t, BAD, H5Fflush, (hid_t obj, H5F_scope_t scope), (obj, scope))
WRAP(herr_t, BAD, H5Fclose, (hid_t file), (file))

/* groups */
WRAP(hid_t, BAD_ID, H5Gcreate2, (hid_t loc, const char *name, hid_t lcpl, hid_t gcpl, hid_t gapl),
     (loc, name, lcpl, gcpl, gapl))
WRAP(hid_t, BAD_ID, H5Gopen2, (hid_t loc, const char *name, hid_t gapl), (loc, name, gapl))
WRAP(herr_t, BAD, H5Gclose, (hid_t group), (group))

/* datasets */
WRAP(hid_t, BAD_ID, H5Dcreate2,
     (hid_t loc, const char *name, hid_t type, hid_t space, hid_t lcpl, hid_t dcpl, hid_t dapl),
     (loc, name, type, space, lcpl, dcpl, dapl))
WRAP(hid_t, BAD_ID, H5Dget_space, (hid_t d), (d))
WRAP(herr_t, BAD, H5Dset_extent, (hid_t d, const hsize_t size[]), (d, size))
WRAP(herr_t, BAD, H5Dwrite,
     (hid_t d, hid_t memtype, hid_t memspace, hid_t filespace, hid_t dxpl, const void *buf),
     (d, memtype, memspace, filespace, dxpl, buf))
WRAP(herr_t, BAD, H5Dwrite_chunk,
     (hid_t d, hid_t dxpl, uint32_t filters, const hsize_t *offset, size_t size, const void *buf),
     (d, dxpl, filters, offset, size, buf))
WRAP(herr_t, BAD, H5Dclose, (hid_t d), (d))

/* attributes */
WRAP(htri_t, BAD, H5Aexists, (hid_t obj, const char *name), (obj, name))
WRAP(herr_t, BAD, H5Adelete, (hid_t obj, const char *name), (obj, name))
WRAP(hid_t, BAD_ID, H5Acreate2,
     (hid_t loc, const char *name, hid_t type, hid_t space, hid_t acpl, hid_t aapl),
     (loc, name, type, space, acpl, aapl))
WRAP(herr_t, BAD, H5Awrite, (hid_t a, hid_t type, const void *buf), (a, type, buf))
WRAP(herr_t, BAD, H5Aclose, (hid_t a), (a))

/* dimension scales (the high-level library) */
WRAP(herr_t, BAD, H5DSset_scale, (hid_t d, const char *name), (d, name))
WRAP(herr_t, BAD, H5DSattach_scale, (hid_t d, hid_t scale, unsigned int idx), (d, scale, idx))

/* property lists */
WRAP(hid_t, BAD_ID, H5Pcreate, (hid_t cls), (cls))
WRAP(herr_t, BAD, H5Pset_libver_bounds, (hid_t pl, H5F_libver_t low, H5F_libver_t high),
     (pl, low, high))
WRAP(herr_t, BAD, H5Pset_link_creation_order, (hid_t pl, unsigned flags), (pl, flags))
WRAP(herr_t, BAD, H5Pset_chunk, (hid_t pl, int rank, const hsize_t dim[]), (pl, rank, dim))
WRAP(herr_t, BAD, H5Pset_shuffle, (hid_t pl), (pl))
WRAP(herr_t, BAD, H5Pset_deflate, (hid_t pl, unsigned level), (pl, level))

/* dataspaces */
WRAP(hid_t, BAD_ID, H5Screate, (H5S_class_t type), (type))
WRAP(hid_t, BAD_ID, H5Screate_simple, (int rank, const hsize_t dims[], const hsize_t max[]),
     (rank, dims, max))
WRAP(herr_t, BAD, H5Sselect_hyperslab,
     (hid_t s, H5S_seloper_t op, const hsize_t start[], const hsize_t stride[],
      const hsize_t count[], const hsize_t block[]),
     (s, op, start, stride, count, block))

/* datatypes */
WRAP(hid_t, BAD_ID, H5Tcopy, (hid_t t), (t))
WRAP(herr_t, BAD, H5Tset_size, (hid_t t, size_t size), (t, size))
WRAP(herr_t, BAD, H5Tset_cset, (hid_t t, H5T_cset_t cset), (t, cset))

/* finder.h — which accounts are breached at the marks (DESIGN §11).
 *
 * A finder hands a round its breached accounts, each side in settlement
 * order (run.h), and takes them off the book. Every finder must give
 * identical datasets:
 *  - cursor (engine --engine index, the default): the population is stored
 *    in liquidation order per side, so the accounts a moving mark breaches
 *    are the next ones of each side's range; a cursor per side (the sparse
 *    book's frontier) advances as the mark moves, and accounts re-keyed by
 *    rules come from the rekey heaps, merged in index order. A run costs
 *    O(steps + liquidations · log), not O(steps · accounts);
 *  - scan (--engine scan, the oracle): every open account is tested at every
 *    round against its current liquidation price, over a dense book.
 * "Accounts that span markets" adds a slack finder behind the same calls. */
#ifndef LC_FINDER_H
#define LC_FINDER_H

#include <stdint.h>

#include "engine/run.h"

typedef struct lc_finder lc_finder;

typedef struct lc_finder_type {
    const char *name, *doc;
    int dense; /* the book overlay it reads: dense (1) or sparse (0) */
    /* Whether some open account is breached at the marks now. */
    int (*find)(lc_finder *f, lc_run *r);
    /* After find said yes: the breached accounts of each side, in
     * settlement order, taken off the book (closed until settled). */
    void (*take)(lc_finder *f, lc_run *r, lc_span *longs, lc_span *shorts);
} lc_finder_type;

struct lc_finder {
    const lc_finder_type *type;
    uint32_t *bl, *bs; /* breached longs, shorts of the round (lists) */
    uint32_t *popped;  /* cursor: re-keyed accounts breached in the round */
    long to[2];        /* cursor: each side's range end at the marks, from find */
};

extern const lc_finder_type lc_finder_cursor, lc_finder_scan;

/* Buffers for a finder over pop (mutable: rules may change positions).
 * Returns 0 or -1 (memory). */
int lc_finder_init(lc_finder *f, const lc_finder_type *t, const lc_population *pop, int mutable);
void lc_finder_release(lc_finder *f);

#endif

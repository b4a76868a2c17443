/* finder.h — which accounts are breached at the marks (DESIGN §11).
 *
 * A finder hands a round its breached accounts, one group per (market,
 * side) range in settlement order (run.h), and takes them off the book.
 * Every finder must give identical datasets:
 *  - cursor ("index", the default): the population is stored in liquidation
 *    order per range, so the accounts a moving mark breaches are the next
 *    ones of each range; the sparse book's frontier is the cursor, and
 *    accounts changed by rules come from the book's index of changed
 *    accounts, merged in index order. A run costs O(steps + liquidations ·
 *    log), not O(steps · accounts);
 *  - scan (the oracle): every open account is tested at every round against
 *    its current liquidation price, over a dense book.
 * A finder is one file and one line in lc_finders (finder.c); "Accounts
 * that span markets" adds the slack finder there. */
#ifndef LC_FINDER_H
#define LC_FINDER_H

#include <stdint.h>

#include "engine/engine.h"
#include "engine/run.h"

typedef struct lc_finder lc_finder;

typedef struct lc_finder_type {
    const char *name, *doc; /* the name is --engine's value */
    int dense;              /* the book overlay it reads: dense (1) or sparse (0) */
    /* Whether some open account is breached at the marks now. */
    int (*find)(lc_finder *f, lc_run *r);
    /* After find said yes: the breached accounts, one group per range in
     * settlement order, taken off the book (closed until settled). */
    void (*take)(lc_finder *f, lc_run *r, lc_round *out);
} lc_finder_type;

struct lc_finder {
    const lc_finder_type *type;
    uint32_t *list;             /* the round's accounts: range (m, side) from its first index */
    uint32_t *popped;           /* cursor: changed accounts breached in the round */
    long to[LC_MAX_MARKETS][2]; /* cursor: each range's end at the marks; scan: counts */
};

extern const lc_finder_type lc_finder_cursor, lc_finder_scan;

/* Every finder, indexed by lc_engine_kind. */
extern const lc_finder_type *const lc_finders[LC_ENGINE_NKINDS];
/* The kind of the finder called name, or LC_ENGINE_NKINDS if none is. */
lc_engine_kind lc_finder_kind(const char *name);

/* Buffers for a finder over pop (mutable: rules may change positions).
 * Returns 0 or -1 (memory). */
int lc_finder_init(lc_finder *f, const lc_finder_type *t, const lc_population *pop, int mutable);
void lc_finder_release(lc_finder *f);

#endif

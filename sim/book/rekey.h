/* rekey.h — the sparse per-run state of accounts whose position changed
 * during a run (partly closed by auto-deleveraging or partial liquidation,
 * or topped up with collateral),
 * for the index engine.
 *
 * The population is immutable and stored in liquidation order; an account
 * whose quantity and collateral change gets a new liquidation price and can
 * no longer be found by the cursor of its range. Such an account gets an entry
 * here (account index → current quantity, collateral, liquidation price, and
 * whether it is still open), and a live one also sits in its range's heap,
 * keyed by its new liquidation price, so the accounts breached at a mark are
 * found in O(log k). The cursor skips every account that has an entry.
 *
 * Heap items are not updated in place: re-keying an account again bumps its
 * entry's version and pushes a new item; an item whose version is not the
 * entry's, or whose entry is closed, is stale and dropped when met.
 *
 * Cost: O(accounts re-keyed in the run) memory, cleared per run in O(used). */
#ifndef LC_REKEY_H
#define LC_REKEY_H

#include <stdint.h>

#include "market/limits.h"

enum { LC_REKEY_LIVE = 1, LC_REKEY_CLOSED = 2 };

/* Per-account words the venue rules keep for a changed account (book.h). */
#define LC_REKEY_WORDS 4

typedef struct lc_rekey_entry {
    uint32_t idx1;    /* account index + 1; 0: empty slot */
    uint32_t version; /* of the latest heap item */
    int state;        /* LC_REKEY_LIVE or LC_REKEY_CLOSED */
    double qty, collateral, liq;
    int64_t word[LC_REKEY_WORDS]; /* the rules' words (book.h); 0 when created */
} lc_rekey_entry;

typedef struct lc_rekey lc_rekey;

lc_rekey *lc_rekey_create(void);
void lc_rekey_free(lc_rekey *k);
void lc_rekey_clear(lc_rekey *k);
long lc_rekey_count(const lc_rekey *k);

/* The entry of account idx, or NULL. */
lc_rekey_entry *lc_rekey_find(const lc_rekey *k, long idx);
/* The entry of account idx, created (state 0, version 0) if absent; NULL when
 * out of memory. Pointers stay valid until the next lc_rekey_put. */
lc_rekey_entry *lc_rekey_put(lc_rekey *k, long idx);
/* Every entry, for enumerating live accounts: *n receives the count. */
lc_rekey_entry *lc_rekey_entry_at(const lc_rekey *k, long i);

/* Heaps are per (market, side) range of the book (book.h lc_book_range_id):
 * `range` is 2·market + 0 for longs, + 1 for shorts; side is +1 or -1. */
#define LC_REKEY_RANGES (2 * LC_MAX_MARKETS)

/* Put (or re-key) a live account with its current state into its range's
 * heap. Returns 0, or -1 when out of memory. */
int lc_rekey_set_live(lc_rekey *k, int range, int side, long idx, double qty, double collateral,
                      double liq);

/* Whether a live account of the range (side +1/-1) is breached at mark. */
int lc_rekey_any_breached(lc_rekey *k, int range, int side, double mark);
/* Pop the live accounts of the range breached at mark into out (unsorted),
 * mark them closed (their entries keep quantity and collateral for
 * settlement), return how many. */
long lc_rekey_pop_breached(lc_rekey *k, int range, int side, double mark, uint32_t *out);

#endif

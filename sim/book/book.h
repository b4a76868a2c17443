/* book.h — the accounts of one run: the shared, immutable population plus
 * the run's overlay of what changed (DESIGN §11).
 *
 * Two overlays give the same answers:
 *  - dense (the scan finder): per-run arrays over every account — closed
 *    flags and, when rules change positions, current quantity, collateral
 *    and liquidation price; O(accounts) to reset per run;
 *  - sparse (the cursor finder): a frontier per side and the rekey table
 *    (rekey.h). An account of a side below that side's frontier was taken
 *    by the cursor (closed) unless it has an entry, which then says whether
 *    it is open and what it holds; an account with no entry holds what the
 *    population says. O(accounts changed) per run.
 *
 * Venue rules keep per-account words here (book words, rule.h): a word is 0
 * until set; the dense overlay stores every account's, the sparse one only
 * those of accounts with an entry (setting the word of another account is
 * a no-op there, and a rule that needs more knows it: top-ups, venue/topup.c).
 *
 * Shape for what comes next (issues "Many markets", "Accounts that span
 * markets", "Lending CDPs"): an account is addressed by its index and read
 * through lc_book_get; the market it trades is lc_book_market (0 while a
 * run has one market); accounts with several positions, collateral assets
 * and debts will be a second kind of row behind the same calls. */
#ifndef LC_BOOK_H
#define LC_BOOK_H

#include <stdint.h>

#include "book/population.h"
#include "book/rekey.h"

typedef struct lc_book {
    const lc_population *pop;
    int dense;   /* 1: dense overlay, 0: sparse */
    int mutable; /* rules may change open positions within a run */
    int nwords;  /* per-account words of the rules */
    /* dense */
    unsigned char *dead;
    double *qty, *col, *liq; /* mutable only */
    int64_t *word;           /* nwords per account */
    /* sparse */
    lc_rekey *rk;     /* mutable only */
    long frontier[2]; /* [0] longs in [0, n_long), [1] shorts in [n_long, n) */
} lc_book;

/* A book over pop; NULL when out of memory. */
lc_book *lc_book_create(const lc_population *pop, int dense, int mutable, int nwords);
void lc_book_free(lc_book *b);
/* Every account open with its population state, for a new run. */
void lc_book_reset(lc_book *b);

static inline int lc_book_side_slot(int side)
{
    return side > 0 ? 0 : 1;
}

/* Whether account i has a sparse entry (it changed or was closed off the
 * cursor in this run); always 0 in a dense book. */
static inline const lc_rekey_entry *lc_book_entry(const lc_book *b, long i)
{
    return b->rk ? lc_rekey_find(b->rk, i) : NULL;
}

/* Current quantity and collateral of account i (open, or being settled). */
static inline void lc_book_get(const lc_book *b, long i, double *q, double *c)
{
    if (b->qty) {
        *q = b->qty[i];
        *c = b->col[i];
        return;
    }
    const lc_rekey_entry *e = lc_book_entry(b, i);
    *q = e ? e->qty : b->pop->qty[i];
    *c = e ? e->collateral : b->pop->collateral[i];
}

static inline int lc_book_is_open(const lc_book *b, long i)
{
    if (b->dead)
        return !b->dead[i];
    const lc_rekey_entry *e = lc_book_entry(b, i);
    if (e)
        return e->state == LC_REKEY_LIVE;
    return i >= b->frontier[lc_book_side_slot(b->pop->side[i])];
}

/* The market account i trades (one market per run for now). */
static inline int lc_book_market(const lc_book *b, long i)
{
    (void)b;
    (void)i;
    return 0;
}

/* Account i stays (or is again) open with quantity q, collateral c and
 * liquidation price liq. *fresh (if not NULL) receives whether it had no
 * sparse entry before. Returns 0, or -1 when out of memory. */
int lc_book_set_live(lc_book *b, long i, double q, double c, double liq, int *fresh);
/* Account i is closed (taken by the dense finder, or closed off-book by a
 * rule). Returns 0, or -1 when out of memory. */
int lc_book_close(lc_book *b, long i);

/* Rule word w of account i. */
static inline int64_t lc_book_word(const lc_book *b, long i, int w)
{
    if (b->word)
        return b->word[(size_t)i * (size_t)b->nwords + (size_t)w];
    const lc_rekey_entry *e = lc_book_entry(b, i);
    return e ? e->word[w] : 0;
}
void lc_book_set_word(lc_book *b, long i, int w, int64_t v);

#endif

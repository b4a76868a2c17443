/* book.h — the accounts of one run: the shared, immutable population plus
 * the run's overlay of what changed (DESIGN §11). Finders, settlement and
 * the venue rules read and change accounts only through these functions.
 *
 * Accounts are grouped in ranges, one per (market, side), each in the
 * population's liquidation order (population.h); with one market, the
 * longs [0, n_long) and the shorts [n_long, n).
 *
 * Two overlays give the same answers:
 *  - dense (the scan finder): per-run arrays over every account — closed
 *    flags and, when rules change positions, current quantity, collateral,
 *    liquidation price and whether the account changed; O(accounts) per run;
 *  - sparse (the cursor finder): a frontier per range and the rekey table
 *    (rekey.h). An account of a range below its frontier was taken by the
 *    cursor (closed) unless it has an entry, which then says whether it is
 *    open and what it holds; an account with no entry holds what the
 *    population says. O(accounts changed) per run.
 *
 * Changed accounts: lc_book_set_live gives an account a new state; `fresh`
 * is 1 the first time in the run, in both overlays. Venue rules keep
 * per-account words here (rule.h): a word is 0 until set; setting the word of
 * an account that never changed is a no-op in the sparse overlay (it has no
 * entry), so a rule that needs per-account state before any change keeps it
 * another way (top-ups: the call cursor, venue/topup.c).
 *
 * Accounts that span markets ("Accounts that span markets", "Lending CDPs")
 * are read through lc_book_account, the one view of an account's positions,
 * collateral and debts that margin models (venue/margin.h) work on. */
#ifndef LC_BOOK_H
#define LC_BOOK_H

#include <stdint.h>

#include "book/population.h"
#include "book/rekey.h"
#include "market/limits.h"

typedef struct lc_book {
    const lc_population *pop;
    int dense;   /* 1: dense overlay, 0: sparse */
    int mutable; /* rules may change open positions within a run */
    int nwords;  /* per-account words of the rules */
    /* dense */
    unsigned char *dead;
    unsigned char *changed;  /* mutable only */
    double *qty, *col, *liq; /* mutable only */
    int64_t *word;           /* nwords per account */
    /* sparse */
    lc_rekey *rk;                     /* mutable only */
    long frontier[LC_MAX_MARKETS][2]; /* per range: [market][0 long, 1 short] */
    /* sparse: spanning account j is closed in this run when
     * span_closed[j] == epoch (the run's number, so a new run clears them
     * all in O(1)) */
    uint32_t *span_closed, epoch;
    /* both: the legs and words of spanning account j, when changed in this
     * run (span_seen[j] == epoch), are span_ch[span_slot[j]] (a lending
     * CDP liquidated in part keeps its rest; a rule keeps words) */
    uint32_t *span_seen, *span_slot;
    struct lc_span_change *span_ch;
    long span_nch, span_chcap;
    /* accounts breached that no one liquidated in this step: closed until
     * the next step, when the engine opens them again (lc_book_defer) */
    uint32_t *deferred;
    long ndeferred, deferred_cap;
} lc_book;

/* The changed legs and words of an account that spans markets. */
typedef struct lc_span_change {
    int npos, ncol;
    lc_position pos[LC_MAX_MARKETS + 1];
    lc_balance col[LC_MAX_MARKETS + 1];
    int64_t word[LC_REKEY_WORDS];
} lc_span_change;

static inline const lc_span_change *lc_book_span_change(const lc_book *b, long i)
{
    long j = i - b->pop->span0;
    return b->span_seen && b->span_seen[j] == b->epoch ? &b->span_ch[b->span_slot[j]] : NULL;
}

/* A book over pop; NULL when out of memory or nwords > LC_REKEY_WORDS. */
lc_book *lc_book_create(const lc_population *pop, int dense, int mutable, int nwords);
void lc_book_free(lc_book *b);
/* Every account open with its population state, for a new run. */
void lc_book_reset(lc_book *b);

/* Which overlay: dense (every account's state in arrays) or sparse. */
static inline int lc_book_dense(const lc_book *b)
{
    return b->dense;
}

static inline int lc_book_side_slot(int side)
{
    return side > 0 ? 0 : 1;
}

/* The markets of the accounts, and the range [*from, *to) of (market, side). */
static inline int lc_book_markets(const lc_book *b)
{
    return b->pop->nmarkets;
}
/* The index of range (market, side): 2·market, + 1 for the shorts. */
static inline int lc_book_range_id(int market, int side)
{
    return 2 * market + lc_book_side_slot(side);
}
static inline void lc_book_range(const lc_book *b, int market, int side, long *from, long *to)
{
    int r = lc_book_range_id(market, side);
    *from = b->pop->range[r];
    *to = b->pop->range[r + 1];
}
/* Every (market, side) range, in settlement order: per market, the longs,
 * then the shorts. */
#define LC_BOOK_EACH_RANGE(b, m, side)                                                             \
    for (int m = 0; m < lc_book_markets(b); m++)                                                   \
        for (int side = 1; side >= -1; side -= 2)

/* The market account i trades. */
static inline int lc_book_market(const lc_book *b, long i)
{
    return b->pop->market[i];
}

static inline const lc_rekey_entry *lc_book_entry_(const lc_book *b, long i)
{
    return b->rk ? lc_rekey_find(b->rk, i) : NULL;
}

/* Whether account i changed in this run: re-keyed, or closed off the book
 * by a rule (being taken by a finder is no change). */
static inline int lc_book_changed(const lc_book *b, long i)
{
    if (b->dense)
        return b->changed && b->changed[i];
    return lc_book_entry_(b, i) != NULL;
}

/* Current quantity and collateral of account i (open, or being settled). */
static inline void lc_book_get(const lc_book *b, long i, double *q, double *c)
{
    if (b->qty) {
        *q = b->qty[i];
        *c = b->col[i];
        return;
    }
    const lc_rekey_entry *e = lc_book_entry_(b, i);
    *q = e ? e->qty : b->pop->qty[i];
    *c = e ? e->collateral : b->pop->collateral[i];
}

/* A dense book's per-account arrays, for the scan finder's loop: closed
 * flags and current liquidation prices (the population's while nothing can
 * change). */
static inline void lc_book_dense_arrays(const lc_book *b, const unsigned char **dead,
                                        const double **liq)
{
    *dead = b->dead;
    *liq = b->liq ? b->liq : b->pop->liq_price;
}

/* The quantities of every account when no rule can change them (then they
 * are the population's), else NULL: lc_book_get without a test per account. */
static inline const double *lc_book_fixed_qty(const lc_book *b)
{
    return b->mutable ? NULL : b->pop->qty;
}

static inline int lc_book_is_open(const lc_book *b, long i)
{
    if (b->dead)
        return !b->dead[i];
    if (lc_population_spans(b->pop, i))
        return b->span_closed[i - b->pop->span0] != b->epoch;
    const lc_rekey_entry *e = lc_book_entry_(b, i);
    if (e)
        return e->state == LC_REKEY_LIVE;
    return i >= b->frontier[lc_book_market(b, i)][lc_book_side_slot(b->pop->side[i])];
}

/* Account i stays (or is again) open with quantity q, collateral c and
 * liquidation price liq; *fresh (if not NULL) receives whether this is its
 * first change in the run. Returns 0, or -1 when out of memory. */
int lc_book_set_live(lc_book *b, long i, double q, double c, double liq, int *fresh);
/* Account i is closed off the book by a rule (it changed). Returns 0, or -1
 * when out of memory. */
int lc_book_close(lc_book *b, long i);
/* Account i is taken by the dense finder, or an account that spans markets
 * by either (closed until its round settles). */
void lc_book_take(lc_book *b, long i);

/* Rule word w of account i. */
static inline int64_t lc_book_word(const lc_book *b, long i, int w)
{
    if (b->word)
        return b->word[(size_t)i * (size_t)b->nwords + (size_t)w];
    if (lc_population_spans(b->pop, i)) {
        const lc_span_change *c = lc_book_span_change(b, i);
        return c ? c->word[w] : 0;
    }
    const lc_rekey_entry *e = lc_book_entry_(b, i);
    return e ? e->word[w] : 0;
}
/* Setting a word of an account that spans markets gives it an entry (-1:
 * out of memory); of another with none, a no-op (above). */
int lc_book_set_word(lc_book *b, long i, int w, int64_t v);

/* ---- the sparse overlay's index, for the cursor finder ---------------------- */

/* The frontier of range (market, side), and moving it to `to` (the accounts
 * passed are taken: closed unless changed). */
static inline long lc_book_frontier(const lc_book *b, int market, int side)
{
    return b->frontier[market][lc_book_side_slot(side)];
}
static inline void lc_book_advance(lc_book *b, int market, int side, long to)
{
    b->frontier[market][lc_book_side_slot(side)] = to;
}
/* Whether any account changed (then the cursor must merge, cursor.c). */
static inline int lc_book_any_changed(const lc_book *b)
{
    return b->rk && lc_rekey_count(b->rk);
}
/* Whether an open changed account of (market, side) is breached at mark;
 * take those breached into out (unsorted), closed; return how many. */
int lc_book_changed_breached(lc_book *b, int market, int side, double mark);
long lc_book_take_changed(lc_book *b, int market, int side, double mark, uint32_t *out);

/* ---- accounts as margin models see them (venue/margin.h) -------------------- */

/* The view of one account. An isolated perpetual holds one position and
 * its quote collateral; an account that spans markets holds a position per
 * market at most and a balance per asset (quote and each market's); a
 * lending CDP holds no position, its collateral as balances > 0 and its
 * debts as balances < 0 (population.h). */
#define LC_ACCOUNT_MAX_LEGS (LC_MAX_MARKETS + 1)
typedef struct lc_account {
    long i;
    int margin; /* lc_margin_kind */
    int emode;  /* a CDP in the eMode category (venue/cdp.h) */
    int npos, ncol;
    lc_position pos[LC_ACCOUNT_MAX_LEGS];
    lc_balance col[LC_ACCOUNT_MAX_LEGS];
} lc_account;

/* Account i's current positions, collateral and debts. */
void lc_book_account(const lc_book *b, long i, lc_account *a);

/* The current legs of spanning account i: the run's, if they changed, else
 * the population's. */
static inline void lc_book_span_legs(const lc_book *b, long i, const lc_position **pos, int *npos,
                                     const lc_balance **col, int *ncol)
{
    const lc_span_change *c = lc_book_span_change(b, i);
    if (c) {
        *pos = c->pos, *npos = c->npos, *col = c->col, *ncol = c->ncol;
        return;
    }
    const lc_population *p = b->pop;
    long j = i - p->span0;
    *pos = p->span_pos + p->span_pos0[j], *npos = (int)(p->span_pos0[j + 1] - p->span_pos0[j]);
    *col = p->span_col + p->span_col0[j], *ncol = (int)(p->span_col0[j + 1] - p->span_col0[j]);
}

/* Spanning account i, taken by a round, stays open with these legs (a CDP
 * liquidated in part). Returns 0, or -1 when out of memory. The finder must
 * be told (lc_run_span_keep). */
int lc_book_span_set(lc_book *b, long i, const lc_position *pos, int npos, const lc_balance *col,
                     int ncol);
/* Account i, taken by a round, is open again as it was. */
void lc_book_reopen(lc_book *b, long i);
/* Account i, taken by a round that did not liquidate it, waits closed until
 * the next step (lc_book_deferred). Returns 0 or -1 (memory). */
int lc_book_defer(lc_book *b, long i);

#endif

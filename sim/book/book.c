/* book.c — the run's overlay over the population (book.h). */
#include "book/book.h"

#include "venue/rule.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(LC_RULE_MAX_WORDS <= LC_REKEY_WORDS, "the rekey entry holds every rule word");

lc_book *lc_book_create(const lc_population *pop, int dense, int mutable, int nwords)
{
    if (nwords > LC_REKEY_WORDS)
        return NULL;
    lc_book *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    size_t n = pop->n > 0 ? (size_t)pop->n : 1;
    *b = (lc_book){.pop = pop, .dense = dense, .mutable = mutable, .nwords = nwords};
    int ok = 1;
    if (dense) {
        b->dead = malloc(n);
        ok = b->dead != NULL;
        if (ok && mutable) {
            b->changed = malloc(n);
            b->qty = malloc(n * sizeof *b->qty);
            b->col = malloc(n * sizeof *b->col);
            b->liq = malloc(n * sizeof *b->liq);
            ok = b->changed && b->qty && b->col && b->liq;
        }
        if (ok && nwords) {
            b->word = calloc(n * (size_t)nwords, sizeof *b->word);
            ok = b->word != NULL;
        }
    } else {
        if (mutable) {
            b->rk = lc_rekey_create();
            ok = b->rk != NULL;
        }
        size_t ns = pop->n > pop->span0 ? (size_t)(pop->n - pop->span0) : 1;
        ok = ok && (b->span_closed = calloc(ns, sizeof *b->span_closed)) != NULL;
    }
    if (ok && pop->n > pop->span0) {
        size_t ns = (size_t)(pop->n - pop->span0);
        b->span_seen = calloc(ns, sizeof *b->span_seen);
        b->span_slot = malloc(ns * sizeof *b->span_slot);
        ok = b->span_seen && b->span_slot;
    }
    if (!ok) {
        lc_book_free(b);
        return NULL;
    }
    return b;
}

void lc_book_free(lc_book *b)
{
    if (!b)
        return;
    free(b->dead);
    free(b->changed);
    free(b->qty);
    free(b->col);
    free(b->liq);
    free(b->word);
    lc_rekey_free(b->rk);
    free(b->span_closed);
    free(b->span_seen);
    free(b->span_slot);
    free(b->span_ch);
    free(b->deferred);
    free(b);
}

void lc_book_reset(lc_book *b)
{
    const lc_population *pop = b->pop;
    size_t n = pop->n > 0 ? (size_t)pop->n : 0;
    if (b->dead && n)
        memset(b->dead, 0, n);
    if (b->changed && n)
        memset(b->changed, 0, n);
    if (b->qty && n) {
        memcpy(b->qty, pop->qty, n * sizeof *pop->qty);
        memcpy(b->col, pop->collateral, n * sizeof *pop->collateral);
        memcpy(b->liq, pop->liq_price, n * sizeof *pop->liq_price);
    }
    if (b->word && n)
        memset(b->word, 0, n * (size_t)b->nwords * sizeof *b->word);
    if (b->rk)
        lc_rekey_clear(b->rk);
    if ((b->span_closed || b->span_seen) && ++b->epoch == 0) { /* after 2^32 runs: clear once */
        size_t ns = (size_t)(pop->n - pop->span0);
        if (b->span_closed)
            memset(b->span_closed, 0, ns * sizeof *b->span_closed);
        if (b->span_seen)
            memset(b->span_seen, 0, ns * sizeof *b->span_seen);
        b->epoch = 1;
    }
    b->span_nch = 0;
    b->ndeferred = 0;
    LC_BOOK_EACH_RANGE (b, m, side) {
        long from, to;
        lc_book_range(b, m, side, &from, &to);
        lc_book_advance(b, m, side, from);
    }
}

int lc_book_set_live(lc_book *b, long i, double q, double c, double liq, int *fresh)
{
    assert(b->mutable);
    if (b->qty) {
        if (fresh)
            *fresh = !b->changed[i];
        b->changed[i] = 1;
        b->qty[i] = q;
        b->col[i] = c;
        b->liq[i] = liq;
        b->dead[i] = 0;
        return 0;
    }
    if (fresh)
        *fresh = lc_rekey_find(b->rk, i) == NULL;
    int side = b->pop->side[i];
    return lc_rekey_set_live(b->rk, lc_book_range_id(lc_book_market(b, i), side), side, i, q, c,
                             liq);
}

void lc_book_take(lc_book *b, long i)
{
    if (b->dead)
        b->dead[i] = 1;
    else
        b->span_closed[i - b->pop->span0] = b->epoch;
}

int lc_book_close(lc_book *b, long i)
{
    if (b->dead) {
        b->dead[i] = 1;
        if (b->changed)
            b->changed[i] = 1;
        return 0;
    }
    lc_rekey_entry *e = lc_rekey_put(b->rk, i);
    if (!e)
        return -1;
    e->state = LC_REKEY_CLOSED;
    return 0;
}

/* The run's entry of spanning account i, made from its current legs the
 * first time; NULL when out of memory. */
static lc_span_change *span_entry(lc_book *b, long i)
{
    long j = i - b->pop->span0;
    if (b->span_seen[j] == b->epoch)
        return &b->span_ch[b->span_slot[j]];
    if (b->span_nch == b->span_chcap) {
        long cap = b->span_chcap ? 2 * b->span_chcap : 64;
        lc_span_change *v = realloc(b->span_ch, (size_t)cap * sizeof *v);
        if (!v)
            return NULL;
        b->span_ch = v;
        b->span_chcap = cap;
    }
    lc_span_change *c = &b->span_ch[b->span_nch];
    const lc_position *pos;
    const lc_balance *col;
    lc_book_span_legs(b, i, &pos, &c->npos, &col, &c->ncol);
    if (c->npos) /* a CDP has none (pos may be NULL) */
        memcpy(c->pos, pos, (size_t)c->npos * sizeof *pos);
    memcpy(c->col, col, (size_t)c->ncol * sizeof *col);
    memset(c->word, 0, sizeof c->word);
    b->span_slot[j] = (uint32_t)b->span_nch++;
    b->span_seen[j] = b->epoch;
    return c;
}

int lc_book_set_word(lc_book *b, long i, int w, int64_t v)
{
    if (b->word) {
        b->word[(size_t)i * (size_t)b->nwords + (size_t)w] = v;
        return 0;
    }
    if (lc_population_spans(b->pop, i)) {
        lc_span_change *c = span_entry(b, i);
        if (!c)
            return -1;
        c->word[w] = v;
        return 0;
    }
    lc_rekey_entry *e = b->rk ? lc_rekey_find(b->rk, i) : NULL;
    if (e)
        e->word[w] = v;
    return 0;
}

int lc_book_span_set(lc_book *b, long i, const lc_position *pos, int npos, const lc_balance *col,
                     int ncol)
{
    assert(npos <= LC_ACCOUNT_MAX_LEGS && ncol <= LC_ACCOUNT_MAX_LEGS);
    lc_span_change *c = span_entry(b, i);
    if (!c)
        return -1;
    if (npos)
        memmove(c->pos, pos, (size_t)npos * sizeof *pos);
    memmove(c->col, col, (size_t)ncol * sizeof *col);
    c->npos = npos;
    c->ncol = ncol;
    lc_book_reopen(b, i);
    return 0;
}

void lc_book_reopen(lc_book *b, long i)
{
    if (b->dead)
        b->dead[i] = 0;
    else
        b->span_closed[i - b->pop->span0] = 0; /* never an epoch */
}

int lc_book_defer(lc_book *b, long i)
{
    if (b->ndeferred == b->deferred_cap) {
        long cap = b->deferred_cap ? 2 * b->deferred_cap : 64;
        uint32_t *v = realloc(b->deferred, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        b->deferred = v;
        b->deferred_cap = cap;
    }
    b->deferred[b->ndeferred++] = (uint32_t)i;
    return 0;
}

int lc_book_changed_breached(lc_book *b, int market, int side, double mark)
{
    return lc_rekey_any_breached(b->rk, lc_book_range_id(market, side), side, mark);
}

long lc_book_take_changed(lc_book *b, int market, int side, double mark, uint32_t *out)
{
    return lc_rekey_pop_breached(b->rk, lc_book_range_id(market, side), side, mark, out);
}

void lc_book_account(const lc_book *b, long i, lc_account *a)
{
    const lc_population *pop = b->pop;
    if (lc_population_spans(pop, i)) {
        const lc_position *pos;
        const lc_balance *col;
        *a = (lc_account){
            .i = i, .margin = lc_population_margin(pop, i), .emode = lc_population_emode(pop, i)};
        lc_book_span_legs(b, i, &pos, &a->npos, &col, &a->ncol);
        if (a->npos) /* a CDP has none (pos may be NULL) */
            memcpy(a->pos, pos, (size_t)a->npos * sizeof *pos);
        memcpy(a->col, col, (size_t)a->ncol * sizeof *col);
        return;
    }
    double q, c;
    lc_book_get(b, i, &q, &c);
    *a = (lc_account){.i = i, .npos = 1, .ncol = 1};
    a->pos[0] = (lc_position){lc_book_market(b, i), pop->side[i], q, pop->entry[i]};
    a->col[0] = (lc_balance){LC_QUOTE, c};
}

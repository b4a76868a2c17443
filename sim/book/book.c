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
    if (b->span_closed && ++b->epoch == 0) { /* after 2^32 runs: clear once */
        memset(b->span_closed, 0, (size_t)(pop->n - pop->span0) * sizeof *b->span_closed);
        b->epoch = 1;
    }
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

void lc_book_set_word(lc_book *b, long i, int w, int64_t v)
{
    if (b->word) {
        b->word[(size_t)i * (size_t)b->nwords + (size_t)w] = v;
        return;
    }
    lc_rekey_entry *e = b->rk ? lc_rekey_find(b->rk, i) : NULL;
    if (e)
        e->word[w] = v;
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
    if (lc_population_spans(pop, i)) { /* they change only by closing */
        long j = i - pop->span0;
        *a = (lc_account){.i = i, .margin = pop->span_margin[j]};
        for (uint32_t k = pop->span_pos0[j]; k < pop->span_pos0[j + 1]; k++)
            a->pos[a->npos++] = pop->span_pos[k];
        for (uint32_t k = pop->span_col0[j]; k < pop->span_col0[j + 1]; k++)
            a->col[a->ncol++] = pop->span_col[k];
        return;
    }
    double q, c;
    lc_book_get(b, i, &q, &c);
    *a = (lc_account){.i = i, .npos = 1, .ncol = 1};
    a->pos[0] = (lc_position){lc_book_market(b, i), pop->side[i], q, pop->entry[i]};
    a->col[0] = (lc_balance){LC_QUOTE, c};
}

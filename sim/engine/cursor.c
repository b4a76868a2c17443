/* cursor.c — the cursor finder (finder.h): the population is stored in
 * liquidation order, longs [0, n_long) by decreasing and shorts [n_long, n)
 * by increasing liquidation price, so the accounts a mark breaches are the
 * next ones past each side's cursor (the sparse book's frontier). Accounts
 * re-keyed by rules (rekey.h) are skipped there and come from the rekey
 * heaps instead, merged with the range in index order, so a round's
 * accounts settle exactly as the scan finder hands them over. */
#include <assert.h>
#include <stdlib.h>

#include "engine/finder.h"
#include "venue/venue.h"

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Whether [from, to) holds an account without a rekey entry. */
static int untouched_in(const lc_rekey *rk, long from, long to)
{
    for (long j = from; j < to; j++)
        if (!lc_rekey_find(rk, j))
            return 1;
    return 0;
}

static int rekeyed(const lc_book *b)
{
    return b->rk && lc_rekey_count(b->rk);
}

static int cursor_find(lc_finder *f, lc_run *r)
{
    const lc_population *pop = r->pop;
    lc_book *b = r->book;
    const double *liq = pop->liq_price;
    double m = lc_market_mark(&r->mk[0]);
    long a = b->frontier[0], z = b->frontier[1];
    while (a < pop->n_long && lc_breached(1, liq[a], m))
        a++;
    while (z < pop->n && lc_breached(-1, liq[z], m))
        z++;
    /* the ranges are in liquidation order (population.h): what a cursor
     * passed is breached, what it stopped at is not */
    assert(a == b->frontier[0] || lc_breached(1, liq[a - 1], m));
    assert(z == b->frontier[1] || lc_breached(-1, liq[z - 1], m));
    assert(a == pop->n_long || !lc_breached(1, liq[a], m));
    f->to[0] = a;
    f->to[1] = z;
    if (!rekeyed(b))
        return a != b->frontier[0] || z != b->frontier[1];
    lc_rekey *rk = b->rk;
    if (untouched_in(rk, b->frontier[0], a) || untouched_in(rk, b->frontier[1], z) ||
        lc_rekey_any_breached(rk, 1, m) || lc_rekey_any_breached(rk, -1, m))
        return 1;
    b->frontier[0] = a; /* only re-keyed accounts passed: nothing to settle */
    b->frontier[1] = z;
    return 0;
}

/* The breached accounts of one side: the cursor range [from, to) without
 * re-keyed accounts, merged in index order with the re-keyed ones breached
 * at mark m (popped from the heap). Returns how many were written to out. */
static long merge_side(lc_finder *f, lc_rekey *rk, int side, long from, long to, double m,
                       uint32_t *out)
{
    uint32_t *p = f->popped;
    long np = lc_rekey_pop_breached(rk, side, m, p);
    qsort(p, (size_t)np, sizeof *p, cmp_u32);
    long n = 0, k = 0;
    for (long j = from; j < to; j++) {
        if (lc_rekey_find(rk, j))
            continue;
        while (k < np && p[k] < (uint32_t)j)
            out[n++] = p[k++];
        out[n++] = (uint32_t)j;
    }
    while (k < np)
        out[n++] = p[k++];
    return n;
}

static void cursor_take(lc_finder *f, lc_run *r, lc_span *longs, lc_span *shorts)
{
    lc_book *b = r->book;
    long a = f->to[0], z = f->to[1];
    if (rekeyed(b)) {
        double m = lc_market_mark(&r->mk[0]);
        *longs = (lc_span){f->bl, 0, merge_side(f, b->rk, 1, b->frontier[0], a, m, f->bl)};
        *shorts = (lc_span){f->bs, 0, merge_side(f, b->rk, -1, b->frontier[1], z, m, f->bs)};
    } else {
        *longs = (lc_span){NULL, b->frontier[0], a - b->frontier[0]};
        *shorts = (lc_span){NULL, b->frontier[1], z - b->frontier[1]};
    }
    /* past the cursors before settling: ADL takes counterparties ahead */
    b->frontier[0] = a;
    b->frontier[1] = z;
}

const lc_finder_type lc_finder_cursor = {
    .name = "index",
    .doc = "a cursor per side along the population's liquidation order, plus the rekey heaps",
    .dense = 0,
    .find = cursor_find,
    .take = cursor_take,
};

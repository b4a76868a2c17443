/* cursor.c — the cursor finder (finder.h): the population is stored in
 * liquidation order, per (market, side) range — longs by decreasing, shorts
 * by increasing liquidation price — so the accounts a mark breaches are the
 * next ones past each range's cursor (the sparse book's frontier). Accounts
 * changed by rules (book.h) are skipped there and come from the book's index
 * of changed accounts instead, merged with the range in index order, so a
 * round's accounts settle exactly as the scan finder hands them over. */
#include <assert.h>
#include <stdlib.h>

#include "engine/finder.h"
#include "venue/venue.h"

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Whether [from, to) holds an account that did not change. */
static int unchanged_in(const lc_book *b, long from, long to)
{
    for (long j = from; j < to; j++)
        if (!lc_book_changed(b, j))
            return 1;
    return 0;
}

/* How far the mark has moved the cursor of range (m, side): the end of the
 * accounts, from the frontier on, whose population liquidation price it
 * breaches. */
static inline long range_end(const lc_run *r, int m, int side, double mark)
{
    const double *liq = r->pop->liq_price;
    long from, to, a = lc_book_frontier(r->book, m, side);
    lc_book_range(r->book, m, side, &from, &to);
    if (side > 0)
        while (a < to && liq[a] >= mark) /* lc_breached(+1, liq, mark) */
            a++;
    else
        while (a < to && liq[a] <= mark)
            a++;
    /* the range is in liquidation order (population.h): once the cursor
     * stops, no account after it is breached, the last one included */
    assert(a == to || !lc_breached(side, liq[to - 1], mark));
    return a;
}

static int ranges_find(lc_finder *f, lc_run *r)
{
    lc_book *b = r->book;
    int changed = lc_book_any_changed(b), moved = 0, breached = 0;
    for (int m = 0; m < lc_book_markets(b); m++) {
        double mark = lc_run_mark_of(r, m);
        long fl = lc_book_frontier(b, m, 1), fs = lc_book_frontier(b, m, -1);
        long al = f->to[m][0] = range_end(r, m, 1, mark);
        long as = f->to[m][1] = range_end(r, m, -1, mark);
        moved |= al != fl || as != fs;
        if (changed && !breached)
            breached = unchanged_in(b, fl, al) || unchanged_in(b, fs, as) ||
                       lc_book_changed_breached(b, m, 1, mark) ||
                       lc_book_changed_breached(b, m, -1, mark);
    }
    if (!changed)
        return moved;
    if (breached)
        return 1;
    for (int m = 0; m < lc_book_markets(b);
         m++) { /* only changed accounts passed: none to settle */
        lc_book_advance(b, m, 1, f->to[m][0]);
        lc_book_advance(b, m, -1, f->to[m][1]);
    }
    return 0;
}

/* The breached accounts of range (m, side): the cursor range [from, to)
 * without changed accounts, merged in index order with the changed ones
 * breached at the mark. Returns how many were written to out. */
static long merge_range(lc_finder *f, lc_book *b, int m, int side, long from, long to, double mark,
                        uint32_t *out)
{
    uint32_t *p = f->popped;
    long np = lc_book_take_changed(b, m, side, mark, p);
    qsort(p, (size_t)np, sizeof *p, cmp_u32);
    long n = 0, k = 0;
    for (long j = from; j < to; j++) {
        if (lc_book_changed(b, j))
            continue;
        while (k < np && p[k] < (uint32_t)j)
            out[n++] = p[k++];
        out[n++] = (uint32_t)j;
    }
    while (k < np)
        out[n++] = p[k++];
    return n;
}

static int cursor_find(lc_finder *f, lc_run *r)
{
    int ranges = ranges_find(f, r);
    /* (no list without accounts that span markets: none to find) */
    f->nspan = f->slack.n ? lc_slack_find(&f->slack, r, f->list + r->pop->span0) : 0;
    return ranges || f->nspan > 0;
}

/* Nothing changed, no account spans markets, and no cursor moves at the
 * marks (its range's next account is unbreached). ranges_find would then
 * say no, and the cursors it notes are read only by take. */
static int cursor_quiet(const lc_finder *f, const lc_run *r)
{
    const lc_book *b = r->book;
    if (f->slack.n || lc_book_any_changed(b))
        return 0;
    LC_BOOK_EACH_RANGE (b, m, side)
        if (range_end(r, m, side, lc_run_mark_of(r, m)) != lc_book_frontier(b, m, side))
            return 0;
    return 1;
}

static void cursor_start(lc_finder *f, lc_run *r)
{
    lc_slack_start(&f->slack, r);
}

static void cursor_take(lc_finder *f, lc_run *r, lc_round *out)
{
    lc_book *b = r->book;
    int merge = lc_book_any_changed(b);
    out->n = 0;
    LC_BOOK_EACH_RANGE (b, m, side) {
        long from = lc_book_frontier(b, m, side), to = f->to[m][lc_book_side_slot(side)];
        lc_span sp = {NULL, from, to - from};
        if (merge) {
            long start, end;
            lc_book_range(b, m, side, &start, &end);
            uint32_t *list = f->list + start;
            sp = (lc_span){list, 0,
                           merge_range(f, b, m, side, from, to, lc_run_mark_of(r, m), list)};
        }
        out->g[out->n++] = (lc_group){m, side, sp};
    }
    /* past the cursors before settling: ADL takes counterparties ahead */
    LC_BOOK_EACH_RANGE (b, m, side)
        lc_book_advance(b, m, side, f->to[m][lc_book_side_slot(side)]);
    lc_finder_take_spanning(f, r, out);
    lc_slack_taken(&f->slack);
}

const lc_finder_type lc_finder_cursor = {
    .name = "index",
    .doc = "a cursor per (market, side) along the population's liquidation order, plus the "
           "index of changed accounts and the slack set of the accounts that span markets",
    .dense = 0,
    .start = cursor_start,
    .find = cursor_find,
    .take = cursor_take,
    .quiet = cursor_quiet,
};

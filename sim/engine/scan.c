/* scan.c — the scan finder, the oracle (finder.h): every open account is
 * tested at every round against its current liquidation price. */
#include "engine/finder.h"
#include "venue/venue.h"

static int scan_find(lc_finder *f, lc_run *r)
{
    const lc_population *pop = r->pop;
    const lc_book *b = r->book;
    const double *liq = b->liq ? b->liq : pop->liq_price;
    long nl = 0, ns = 0;
    for (long i = 0; i < pop->n; i++) {
        if (b->dead[i] || !lc_breached(pop->side[i], liq[i], lc_run_mark(r, i)))
            continue;
        if (pop->side[i] > 0)
            f->bl[nl++] = (uint32_t)i;
        else
            f->bs[ns++] = (uint32_t)i;
    }
    f->to[0] = nl;
    f->to[1] = ns;
    return nl > 0 || ns > 0;
}

static void scan_take(lc_finder *f, lc_run *r, lc_span *longs, lc_span *shorts)
{
    *longs = (lc_span){f->bl, 0, f->to[0]};
    *shorts = (lc_span){f->bs, 0, f->to[1]};
    for (long k = 0; k < f->to[0]; k++)
        lc_book_close(r->book, f->bl[k]);
    for (long k = 0; k < f->to[1]; k++)
        lc_book_close(r->book, f->bs[k]);
}

const lc_finder_type lc_finder_scan = {
    .name = "scan",
    .doc = "every open account tested at every round (the oracle)",
    .dense = 1,
    .find = scan_find,
    .take = scan_take,
};

/* scan.c — the scan finder, the oracle (finder.h): every open account is
 * tested at every round against its current liquidation price, every open
 * account that spans markets evaluated at the marks. */
#include "engine/finder.h"
#include "venue/venue.h"

static int scan_find(lc_finder *f, lc_run *r)
{
    const lc_book *b = r->book;
    long any = 0;
    LC_BOOK_EACH_RANGE (b, m, side) {
        long from, to, n = 0;
        lc_book_range(b, m, side, &from, &to);
        double mark = lc_run_mark_of(r, m);
        const unsigned char *dead;
        const double *liq;
        lc_book_dense_arrays(b, &dead, &liq);
        uint32_t *out = f->list + from;
        for (long i = from; i < to; i++)
            if (!dead[i] && lc_breached(side, liq[i], mark))
                out[n++] = (uint32_t)i;
        f->to[m][lc_book_side_slot(side)] = n;
        any += n;
    }
    const lc_population *pop = r->pop;
    f->nspan = 0;
    if (pop->n > pop->span0) {
        double marks[LC_MAX_MARKETS];
        lc_run_marks(r, marks);
        uint32_t *out = f->list + pop->span0;
        for (long i = pop->span0; i < pop->n; i++)
            if (!b->dead[i]) {
                f->slack.evaluations++;
                if (!(lc_span_evaluate_book(r->sc, b, i, marks).slack > 0))
                    out[f->nspan++] = (uint32_t)i;
            }
    }
    return any + f->nspan > 0;
}

static void scan_take(lc_finder *f, lc_run *r, lc_round *out)
{
    out->n = 0;
    LC_BOOK_EACH_RANGE (r->book, m, side) {
        long from, to, n = f->to[m][lc_book_side_slot(side)];
        lc_book_range(r->book, m, side, &from, &to);
        /* LC_BOOK_EACH_RANGE walks the ranges in settlement order */
        out->g[out->n++] = (lc_group){m, side, {f->list + from, 0, n}};
        for (long k = 0; k < n; k++)
            lc_book_take(r->book, f->list[from + k]);
    }
    lc_finder_take_spanning(f, r, out);
}

const lc_finder_type lc_finder_scan = {
    .name = "scan",
    .doc = "every open account tested at every round (the oracle)",
    .dense = 1,
    .find = scan_find,
    .take = scan_take,
};

/* cdp.c — the `cdp` margin model (cdp.h): a lending position's health
 * factor, and the bookkeeping every protocol's liquidation shares. */
#include "venue/cdp.h"

#include <math.h>
#include <stdlib.h>

lc_span_eval lc_cdp_evaluate(const lc_scenario *sc, int emode, const lc_balance *col, int ncol,
                             const double *marks)
{
    double e = 0, r = 0, x = 0, net[LC_MAX_MARKETS] = {0};
    for (int k = 0; k < ncol; k++) {
        const lc_balance *b = &col[k];
        if (b->asset == LC_QUOTE) { /* a quote debt: price 1, no exposure */
            r -= b->amount < 0 ? b->amount : 0;
            continue;
        }
        double v = b->amount * lc_lending_price(sc, b->asset, marks);
        if (b->amount > 0) {
            v *= lc_lending_lt(sc, emode, b->asset);
            e += v;
        } else {
            r -= v;
        }
        net[lc_lending_market(sc, b->asset)] += v; /* the mark that moves it */
    }
    double fall = 0, rise = 0; /* a debt gains on rises: no maintenance slope */
    for (int a = 0; a < sc->nmarkets; a++) {
        x += fabs(net[a]);
        fall += net[a] > 0 ? net[a] : 0;
        rise += net[a] < 0 ? -net[a] : 0;
    }
    return (lc_span_eval){e, r, e - r, x, fall, rise};
}

int lc_cdp_largest(const lc_run *r, const lc_account *a, int sign)
{
    int best = -1;
    double v = 0;
    for (int k = 0; k < a->ncol; k++) {
        double x = sign * a->col[k].amount * lc_cdp_price(r, a->col[k].asset);
        if (x > v) {
            v = x;
            best = k;
        }
    }
    return best;
}

int lc_cdp_items(lc_run *r, void **v, long *cap, long n, size_t size)
{
    if (n <= *cap)
        return 0;
    void *w = realloc(*v, (size_t)n * size);
    if (!w) {
        r->oom = 1;
        return -1;
    }
    *v = w;
    *cap = n;
    return 0;
}

void lc_cdp_record(lc_run *r, long i, const lc_cdp_fill *f)
{
    lc_run_row *row = r->row;
    row->cdp_liq_count++;
    row->cdp_repaid += f->repaid;
    row->cdp_seized += f->seized;
    row->cdp_protocol_fee += f->fee;
    row->cdp_bad_debt += f->bad_debt;
    row->cdp_liquidator_pnl += f->liquidator_pnl;
    lc_run_event_at(r, i, f->market, LC_EVENT_CDP, -f->units, f->x, f->fee, f->bad_debt);
}

/* ---- the margin model ------------------------------------------------------ */

static double cdp_equity(const lc_account *a, const double *marks, const lc_scenario *sc)
{
    return lc_cdp_evaluate(sc, a->emode, a->col, a->ncol, marks).equity;
}

static double cdp_requirement(const lc_account *a, const double *marks, const lc_scenario *sc)
{
    return lc_cdp_evaluate(sc, a->emode, a->col, a->ncol, marks).requirement;
}

/* The plan holds a trade slot per balance, empty (quantity 0, in the
 * account's first collateral's market): the protocol's rule fills the ones
 * its liquidation needs in on_breach and takes the item over. */
static int cdp_plan(const lc_run *r, lc_item *it, lc_trade *trade)
{
    const lc_position *pos;
    const lc_balance *col;
    int npos, ncol;
    lc_book_span_legs(r->book, it->i, &pos, &npos, &col, &ncol);
    it->side = 0;
    it->q = it->c = 0;
    int m = r->pop->market[it->i];
    for (int k = 0; k < ncol; k++)
        trade[k] = (lc_trade){.market = m, .side = 1, .sell = 1, .leg = k};
    return ncol;
}

/* An item no protocol took: no liquidator acted on it this step. */
static void cdp_settle(lc_run *r, lc_item *it)
{
    lc_run_defer(r, it->i);
}

const lc_margin_model lc_margin_cdp = {
    .name = "cdp",
    .doc = "a lending position: collateral x oracle x lt against debt x oracle, liquidated at "
           "health factor <= 1 by the protocol venue.lending names",
    .max_trades = LC_ACCOUNT_MAX_LEGS,
    .equity = cdp_equity,
    .requirement = cdp_requirement,
    .plan = cdp_plan,
    .settle = cdp_settle,
};

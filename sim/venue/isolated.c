/* isolated.c — the isolated margin model (margin.h, DESIGN §4): one
 * perpetual position with its own quote collateral. E = C + s·q·(M − E0),
 * R = tier maintenance of q·M (venue.h), so E − R depends on one price and
 * the account has a closed-form liquidation price: it goes on its range's
 * cursor (engine/cursor.c).
 *
 * Its plan is one trade, the whole position into its market. Settlement at
 * the trade's price x: a whole close goes through lc_settle (fee to the
 * insurance fund, shortfall covered by the fund or bad debt), except the
 * part the rules' on_liquidate keep off the book (ADL); a partial close
 * (a rule lowered the trade's quantity to d < q) books the realised pnl
 * s·d·(x − E0) and the fee min(fee_rate·d·x, max(0, equity at x)) to the
 * collateral, which stays with the rest of the position. */
#include <assert.h>
#include <math.h>

#include "engine/run.h"
#include "venue/venue.h"

static double isolated_equity(const lc_account *a, const double *marks, const lc_scenario *sc)
{
    (void)sc;
    const lc_position *p = &a->pos[0];
    return a->col[0].amount + p->side * p->qty * (marks[p->market] - p->entry);
}

static double isolated_requirement(const lc_account *a, const double *marks, const lc_scenario *sc)
{
    const lc_position *p = &a->pos[0];
    const lc_market_spec *ms = &sc->market[p->market];
    return lc_maintenance(ms->tiers, ms->ntiers, p->qty * marks[p->market]);
}

int lc_isolated_plan(const lc_run *r, lc_item *it, lc_trade *trade)
{
    long i = it->i;
    it->side = r->pop->side[i];
    lc_book_get(r->book, i, &it->q, &it->c);
    it->book = it->q;
    trade[0] = (lc_trade){.market = lc_book_market(r->book, i), .side = it->side, .qty = it->q};
    return 1;
}

/* Close the position whole at x; the rules' on_liquidate may send only
 * it->book of it to the book. */
static void liquidate(lc_run *r, lc_item *it, double x)
{
    const lc_scenario *sc = r->sc;
    long i = it->i;
    int side = it->side;
    double q = it->q, c = it->c, e = r->pop->entry[i];
    it->book = q;
    lc_run_on_liquidate(r, it);
    double qm = it->book, cm = qm != q ? c * (qm / q) : c;
    lc_settlement st = lc_settle(side, qm, e, cm, x, sc->liquidation_fee, &r->insurance);
    /* collateral + pnl = returned + fee − shortfall; covered + bad debt = shortfall */
    assert(fabs(cm + st.pnl - (st.returned + st.fee - st.shortfall)) <=
           1e-9 * (fabs(cm) + fabs(st.pnl) + 1));
    assert(fabs(st.covered + st.bad_debt - st.shortfall) <= 1e-9 * (st.shortfall + 1));
    lc_run_row *row = r->row;
    int m = it->trade[0].market;
    if (side > 0)
        row->mk[m].liq_count_long++;
    else
        row->mk[m].liq_count_short++;
    lc_run_book_notional(r, m, side, qm * x);
    lc_run_reduce_side(r, m, side, q, 1);
    row->fees += st.fee;
    row->bad_debt += st.bad_debt;
    lc_run_fund_seen(r);
    it->fee = st.fee;
    it->shortfall = st.shortfall;
    lc_run_event(r, i, LC_EVENT_LIQUIDATION, side * qm, x, st.fee, st.shortfall);
}

/* Close d (< q) at x; the rest stays open with the realised pnl and the fee
 * booked to its collateral. */
static void partial_close(lc_run *r, lc_item *it, double d, double x)
{
    const lc_scenario *sc = r->sc;
    long i = it->i;
    int side = it->side;
    double q = it->q, c = it->c, e = r->pop->entry[i];
    double equity = c + side * q * (x - e), pnl = side * d * (x - e);
    double fee = sc->liquidation_fee * d * x;
    if (!(fee < equity))
        fee = equity > 0 ? equity : 0;
    r->insurance += fee;
    double q2 = q - d, c2 = c + pnl - fee;
    /* the rest keeps the account's equity at x less the fee */
    assert(fabs((c2 + side * q2 * (x - e)) - (equity - fee)) <=
           1e-9 * (fabs(c) + q * fabs(x - e) + fee + 1));
    const lc_market_spec *ms = &sc->market[lc_book_market(r->book, i)];
    lc_run_set_live(r, i, q2, c2, lc_tier_liq_price(side, q2, e, c2, ms->tiers, ms->ntiers, NULL));
    lc_run_book_notional(r, it->trade[0].market, side, d * x);
    lc_run_reduce_side(r, it->trade[0].market, side, d, 0);
    r->row->fees += fee;
    it->fee = fee;
    it->shortfall = 0;
}

void lc_isolated_settle(lc_run *r, lc_item *it)
{
#ifndef NDEBUG
    double q, c; /* the round's accounts are closed: nothing changed them since the plan */
    lc_book_get(r->book, it->i, &q, &c);
    assert(q == it->q && c == it->c);
#endif
    const lc_trade *t = &it->trade[0];
    if (lc_item_partial(it))
        partial_close(r, it, t->qty, t->x);
    else
        liquidate(r, it, t->x);
}

const lc_margin_model lc_margin_isolated = {
    .name = "isolated",
    .doc = "one perpetual position with its own quote collateral (closed-form liquidation price)",
    .max_trades = 1,
    .equity = isolated_equity,
    .requirement = isolated_requirement,
    .plan = lc_isolated_plan,
    .settle = lc_isolated_settle,
};

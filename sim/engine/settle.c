/* settle.c — a round's trade and settlement (run.h), and the run helpers
 * the rules share.
 *
 * The round's breached set B trades its net flow n = Σ_short q − Σ_long q
 * (base; + = buy) through the impact model of its market, which gives the
 * round's VWAP x; every account of B is then settled at x in settlement
 * order, and P is recomputed. Two strategies, chosen once per scratch
 * (engine.c):
 *  - plain: no rule at work and no events. lc_settle for each account with
 *    the run's totals in locals, added to the row once per side and round;
 *    per-account updates through the row pointers were the chain that
 *    bounded settlement (perf, docs/performance.md);
 *  - general: the plan (lc_item per account, closing its whole quantity),
 *    the rules' on_breach (partial liquidation lowers `close`), the flow of
 *    the closing quantities, then per account a partial close or a whole
 *    liquidation (the rules' on_liquidate may keep part of it off the book:
 *    ADL) and the rules' on_settle.
 * Both give the same numbers for the scenarios both can run (a test holds
 * the plain path to the event path).
 *
 * The flow of a round is computed before settlement from every breached
 * account's closing quantity: the venue's orders meet the book before it
 * learns what the fund covers, so a deleveraged quantity moves the price as
 * if traded (a conservative simplification, docs/scenario.md). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "engine/scratch.h"
#include "venue/venue.h"

void lc_run_push_event(lc_run *r, const lc_event *e)
{
    if (r->ev && lc_eventbuf_push(r->ev, e))
        r->oom = 1;
}

void lc_run_event(lc_run *r, long i, int kind, double qty, double price, double fee,
                  double shortfall)
{
    if (r->ev)
        lc_run_push_event(r, &(lc_event){r->row->run, r->row->point, r->t, r->round, i, kind, qty,
                                         price, fabs(qty) * price, fee, shortfall});
}

void lc_run_reduce_side(lc_run *r, int side, double qty, long closed)
{
    long *open = side > 0 ? &r->open_long : &r->open_short;
    double *total = side > 0 ? &r->qty_long : &r->qty_short;
    *open -= closed;
    /* exactly 0 once the side is gone, not a rounding residue below it */
    *total = *open ? *total - qty : 0.0;
}

void lc_run_book_notional(lc_run *r, int side, double notional)
{
    lc_run_row *row = r->row;
    if (side > 0)
        row->liq_notional_long += notional;
    else
        row->liq_notional_short += notional;
    r->step_liq[side > 0 ? 0 : 1] += notional;
    r->step_total += notional;
    if (row->first_liq_step < 0)
        row->first_liq_step = r->t;
}

/* What insurance_min records for a fund balance: dust is an empty fund. */
static inline double fund_reading(double insurance)
{
    return insurance > LC_FUND_DUST ? insurance : 0.0;
}

void lc_run_fund_seen(lc_run *r)
{
    if (r->insurance < r->row->insurance_min)
        r->row->insurance_min = fund_reading(r->insurance);
}

void lc_run_set_live(lc_run *r, long i, double q, double c, double liq)
{
    int fresh;
    if (lc_book_set_live(r->book, i, q, c, liq, &fresh)) {
        r->oom = 1;
        return;
    }
    LC_RULES_EACH(r->s, on_change, r, i, fresh);
}

void lc_run_close(lc_run *r, long i)
{
    if (lc_book_close(r->book, i))
        r->oom = 1;
}

/* Trade the net flow n_base of market 0 and reprice after settle(). */
static int trade(lc_run *r, double n_base, double *x)
{
    if (lc_market_trade(&r->mk[0], n_base, x)) {
        r->bad = "the impact of a round's flow is not a finite price move";
        return -1;
    }
    return 0;
}

/* ---- plain ---------------------------------------------------------------- */

static void settle_plain_side(lc_run *r, lc_span sp, int side, double x)
{
    if (sp.n == 0)
        return;
    const lc_population *pop = r->pop;
    double rate = r->sc->liquidation_fee, ins = r->insurance, ins_min = r->row->insurance_min;
    double notional = 0, fees = 0, bad = 0, qty = 0;
    for (long k = 0; k < sp.n; k++) {
        long i = lc_span_at(sp, k);
        double q = pop->qty[i];
        lc_settlement st = lc_settle(side, q, pop->entry[i], pop->collateral[i], x, rate, &ins);
        fees += st.fee;
        bad += st.bad_debt;
        if (ins < ins_min)
            ins_min = fund_reading(ins);
        notional += q * x;
        qty += q;
    }
    lc_run_row *row = r->row;
    r->insurance = ins;
    row->insurance_min = ins_min;
    if (side > 0)
        row->liq_count_long += sp.n;
    else
        row->liq_count_short += sp.n;
    lc_run_book_notional(r, side, notional);
    lc_run_reduce_side(r, side, qty, sp.n);
    row->fees += fees;
    row->bad_debt += bad;
}

void lc_settle_plain(lc_run *r, lc_span longs, lc_span shorts)
{
    const double *qty = r->pop->qty;
    double n_base = 0, x;
    for (long k = 0; k < longs.n; k++)
        n_base -= qty[lc_span_at(longs, k)];
    for (long k = 0; k < shorts.n; k++)
        n_base += qty[lc_span_at(shorts, k)];
    if (trade(r, n_base, &x))
        return;
    settle_plain_side(r, longs, 1, x);
    settle_plain_side(r, shorts, -1, x);
    lc_market_reprice(&r->mk[0]);
}

/* ---- general -------------------------------------------------------------- */

/* Close account it->i whole at x; the rules' on_liquidate may send only
 * it->book of it to the book. */
static void liquidate(lc_run *r, lc_item *it, double x)
{
    const lc_scenario *sc = r->sc;
    long i = it->i;
    int side = it->side;
    double q, c, e = r->pop->entry[i];
    lc_book_get(r->book, i, &q, &c);
    it->book = q;
    LC_RULES_EACH(r->s, on_liquidate, r, it, x);
    double qm = it->book, cm = qm != q ? c * (qm / q) : c;
    lc_settlement st = lc_settle(side, qm, e, cm, x, sc->liquidation_fee, &r->insurance);
    /* collateral + pnl = returned + fee − shortfall; covered + bad debt = shortfall */
    assert(fabs(cm + st.pnl - (st.returned + st.fee - st.shortfall)) <=
           1e-9 * (fabs(cm) + fabs(st.pnl) + 1));
    assert(fabs(st.covered + st.bad_debt - st.shortfall) <= 1e-9 * (st.shortfall + 1));
    lc_run_row *row = r->row;
    if (side > 0)
        row->liq_count_long++;
    else
        row->liq_count_short++;
    lc_run_book_notional(r, side, qm * x);
    lc_run_reduce_side(r, side, q, 1);
    row->fees += st.fee;
    row->bad_debt += st.bad_debt;
    lc_run_fund_seen(r);
    it->fee = st.fee;
    it->shortfall = st.shortfall;
    lc_run_event(r, i, LC_EVENT_LIQUIDATION, side * qm, x, st.fee, st.shortfall);
}

/* Close d = it->close (< its quantity) of account it->i at x; the rest stays
 * open with the realised pnl and the fee booked to its collateral (venue.h). */
static void partial_close(lc_run *r, lc_item *it, double x)
{
    const lc_scenario *sc = r->sc;
    long i = it->i;
    int side = it->side;
    double q, c, e = r->pop->entry[i], d = it->close;
    lc_book_get(r->book, i, &q, &c);
    double equity = c + side * q * (x - e), pnl = side * d * (x - e);
    double fee = sc->liquidation_fee * d * x;
    if (!(fee < equity))
        fee = equity > 0 ? equity : 0;
    r->insurance += fee;
    double q2 = q - d, c2 = c + pnl - fee;
    /* the rest keeps the account's equity at x less the fee */
    assert(fabs((c2 + side * q2 * (x - e)) - (equity - fee)) <=
           1e-9 * (fabs(c) + q * fabs(x - e) + fee + 1));
    lc_run_set_live(r, i, q2, c2, lc_tier_liq_price(side, q2, e, c2, sc->tiers, sc->ntiers, NULL));
    lc_run_book_notional(r, side, d * x);
    lc_run_reduce_side(r, side, d, 0);
    r->row->fees += fee;
    it->fee = fee;
    it->shortfall = 0;
}

/* The plan buffer holds n items; 0, or -1 when out of memory. */
static int plan_reserve(lc_scratch *s, long n)
{
    if (n <= s->plan_cap)
        return 0;
    long cap = s->plan_cap ? s->plan_cap : 64;
    while (cap < n)
        cap *= 2;
    lc_item *p = realloc(s->plan, (size_t)cap * sizeof *p);
    if (!p)
        return -1;
    s->plan = p;
    s->plan_cap = cap;
    return 0;
}

static void plan_side(lc_run *r, lc_item *out, lc_span sp, int side)
{
    for (long k = 0; k < sp.n; k++) {
        long i = lc_span_at(sp, k);
        lc_item *it = &out[k];
        *it = (lc_item){.i = i, .side = side, .market = lc_book_market(r->book, i)};
        lc_book_get(r->book, i, &it->q, &it->c);
        it->close = it->book = it->q;
    }
}

void lc_settle_general(lc_run *r, lc_span longs, lc_span shorts)
{
    lc_scratch *s = r->s;
    long n = longs.n + shorts.n;
    if (plan_reserve(s, n)) {
        r->oom = 1;
        r->bad = "out of memory for a round's liquidation plan";
        return;
    }
    lc_item *plan = s->plan;
    plan_side(r, plan, longs, 1);
    plan_side(r, plan + longs.n, shorts, -1);
    LC_RULES_EACH(s, on_breach, r, plan, n);
    double n_base = 0, x;
    for (long k = 0; k < n; k++)
        n_base += plan[k].side > 0 ? -plan[k].close : plan[k].close;
    if (trade(r, n_base, &x))
        return;
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        double q, c;
        lc_book_get(r->book, it->i, &q, &c);
        if (it->close < q)
            partial_close(r, it, x);
        else
            liquidate(r, it, x);
        LC_RULES_EACH(s, on_settle, r, it, x);
    }
    lc_market_reprice(&r->mk[0]);
}

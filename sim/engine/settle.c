/* settle.c — a round's trade and settlement (run.h), and the run helpers
 * the margin models and rules share.
 *
 * The round's breached set B trades, per market, its net flow
 * n = Σ_short q − Σ_long q (base; + = buy) through that market's impact
 * model, which gives the market's VWAP x for the round; every account of B
 * is then settled at the VWAPs of its trades in settlement order, and each
 * market that traded is repriced. Two strategies, chosen once per scratch
 * (engine.c):
 *  - plain: no rule acting on settlement, no events, isolated accounts only.
 *    lc_settle for each account with the run's totals in locals, added to
 *    the row once per range and round; per-account updates through the row
 *    pointers were the chain that bounded settlement (perf,
 *    docs/performance.md);
 *  - general: the plan — each account's margin model makes its item and
 *    trades, closing everything — then the rules' on_breach (partial
 *    liquidation lowers a trade's quantity), the flow of the trades per
 *    market, then per account its margin model's settlement (for an isolated
 *    whole close the rules' on_liquidate may keep part of it off the book:
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

void lc_run_on_liquidate(lc_run *r, lc_item *it)
{
    LC_RULES_EACH(r->s, on_liquidate, r, it);
}

lc_cell *lc_rule_cells(const lc_run *r, const lc_rule_inst *ri)
{
    return r->row->rules + ri->cell0;
}

/* Trade the net flows n_base[m] of the markets that have trades in the
 * round (traded[m]): x[m] receives each one's VWAP. Returns 0 or -1 (r->bad
 * says why). */
static int trade_markets(lc_run *r, const double *n_base, const int *traded, double *x)
{
    for (int m = 0; m < r->nmk; m++)
        if (traded[m] && lc_market_trade(&r->mk[m], n_base[m], &x[m])) {
            r->bad = "the impact of a round's flow is not a finite price move";
            return -1;
        }
    return 0;
}

static void reprice(lc_run *r, const int *traded)
{
    for (int m = 0; m < r->nmk; m++)
        if (traded[m])
            lc_market_reprice(&r->mk[m]);
}

/* ---- plain ---------------------------------------------------------------- */

static void settle_plain_range(lc_run *r, lc_span sp, int side, double x)
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
        assert(fabs(pop->collateral[i] + st.pnl - (st.returned + st.fee - st.shortfall)) <=
               1e-9 * (pop->collateral[i] + fabs(st.pnl) + 1));
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

void lc_settle_plain(lc_run *r, const lc_round *round)
{
    const double *qty = r->pop->qty;
    double n_base[LC_MAX_MARKETS] = {0}, x[LC_MAX_MARKETS];
    int traded[LC_MAX_MARKETS] = {0};
    for (int g = 0; g < round->n; g++) {
        const lc_group *gr = &round->g[g];
        traded[gr->market] |= gr->span.n > 0;
        for (long k = 0; k < gr->span.n; k++)
            n_base[gr->market] +=
                gr->side > 0 ? -qty[lc_span_at(gr->span, k)] : qty[lc_span_at(gr->span, k)];
    }
    if (trade_markets(r, n_base, traded, x))
        return;
    for (int g = 0; g < round->n; g++)
        settle_plain_range(r, round->g[g].span, round->g[g].side, x[round->g[g].market]);
    reprice(r, traded);
}

/* ---- general -------------------------------------------------------------- */

/* The plan buffers hold n items and their trades; 0, or -1 (memory). */
static int plan_reserve(lc_scratch *s, long n)
{
    long need = n * s->max_trades;
    if (n > s->plan_cap) {
        lc_item *p = realloc(s->plan, (size_t)n * sizeof *p);
        if (!p)
            return -1;
        s->plan = p;
        s->plan_cap = n;
    }
    if (need > s->trade_cap) {
        lc_trade *t = realloc(s->trades, (size_t)need * sizeof *t);
        if (!t)
            return -1;
        s->trades = t;
        s->trade_cap = need;
    }
    return 0;
}

void lc_settle_general(lc_run *r, const lc_round *round)
{
    lc_scratch *s = r->s;
    long n = 0, nt = 0;
    for (int g = 0; g < round->n; g++)
        n += round->g[g].span.n;
    if (plan_reserve(s, n)) {
        r->oom = 1;
        return;
    }
    lc_item *plan = s->plan;
    for (int g = 0, k = 0; g < round->n; g++)
        for (long j = 0; j < round->g[g].span.n; j++, k++) {
            lc_item *it = &plan[k];
            *it = (lc_item){.i = lc_span_at(round->g[g].span, j), .margin = &lc_margin_isolated};
            it->trade = s->trades + nt;
            it->ntrade = it->margin->plan(r, it, it->trade);
            nt += it->ntrade;
        }
    LC_RULES_EACH(s, on_breach, r, plan, n);
    double n_base[LC_MAX_MARKETS] = {0}, x[LC_MAX_MARKETS];
    int traded[LC_MAX_MARKETS] = {0};
    for (long k = 0; k < nt; k++) {
        const lc_trade *t = &s->trades[k];
        traded[t->market] = 1;
        n_base[t->market] += t->side > 0 ? -t->qty : t->qty;
    }
    if (trade_markets(r, n_base, traded, x))
        return;
    for (long k = 0; k < nt; k++)
        s->trades[k].x = x[s->trades[k].market];
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        it->margin->settle(r, it);
        LC_RULES_EACH(s, on_settle, r, it);
    }
    reprice(r, traded);
}

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
 *    trades, closing everything (an account that spans markets: every
 *    position, and collateral sold, venue/spanning.c) — then the rules'
 *    on_breach (backstop takes an account over, partial
 *    liquidation lowers a trade's quantity), the flow of the trades per
 *    market, then per account its margin model's settlement (for an isolated
 *    whole close the rules' on_liquidate may keep part of it off the book:
 *    ADL) and the rules' on_settle;
 *  - streamed: the general path when no rule has on_breach (every account
 *    closes whole) and every account is isolated: the same sums in the same
 *    order, each item made as its account settles instead of a plan written
 *    first.
 * Planned and streamed give the same numbers bit for bit; the plain path
 * sums a round's money in another grouping, so it agrees with them to the
 * last bits (a test holds it to the event path to 1e-9; tests/golden holds
 * every path to itself).
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

void lc_run_span_keep(lc_run *r, long i, const lc_balance *col, int ncol)
{
    const lc_position *pos;
    const lc_balance *now;
    int npos, n;
    lc_book_span_legs(r->book, i, &pos, &npos, &now, &n);
    if (lc_book_span_set(r->book, i, pos, npos, col, ncol)) {
        r->oom = 1;
        return;
    }
    lc_finder_reopen(&r->s->finder, i);
}

void lc_run_defer(lc_run *r, long i)
{
    if (lc_book_defer(r->book, i))
        r->oom = 1;
}

void lc_run_on_liquidate(lc_run *r, lc_item *it)
{
    LC_RULES_EACH(r->s, on_liquidate, r, it);
}

double lc_run_on_shortfall(lc_run *r, const lc_item *it, double uncovered)
{
    const lc_scratch *s = r->s;
    double taken = 0;
    for (int k = 0; k < s->n_on_shortfall && taken < uncovered; k++)
        taken += s->by_on_shortfall[k]->rule->on_shortfall(s->by_on_shortfall[k], r, it,
                                                           uncovered - taken);
    return taken;
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
            r->bad_market = m;
            return -1;
        }
    return 0;
}

/* The net flow n_base[m] of each market in a round where every account
 * closes its whole current quantity (base; + = buy), and which markets have
 * accounts in it (traded[m]); the sums in settlement order. */
static void round_flow(const lc_run *r, const lc_round *round, double *n_base, int *traded)
{
    const double *fixed = lc_book_fixed_qty(r->book); /* the test once, not per account */
    for (int g = 0; g < round->n; g++) {
        const lc_group *gr = &round->g[g];
        double n = n_base[gr->market], q, c, sign = gr->side > 0 ? -1.0 : 1.0; /* longs sell */
        for (long k = 0; fixed && k < gr->span.n; k++)
            n += sign * fixed[lc_span_at(gr->span, k)];
        for (long k = 0; !fixed && k < gr->span.n; k++) {
            lc_book_get(r->book, lc_span_at(gr->span, k), &q, &c);
            n += sign * q;
        }
        n_base[gr->market] = n;
        traded[gr->market] |= gr->span.n > 0;
    }
}

static void reprice(lc_run *r, const int *traded)
{
    for (int m = 0; m < r->nmk; m++)
        if (traded[m])
            lc_market_reprice(&r->mk[m]);
}

/* ---- plain ---------------------------------------------------------------- */

static void settle_plain_range(lc_run *r, lc_span sp, int market, int side, double x)
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
            ins_min = lc_fund_reading(ins);
        notional += q * x;
        qty += q;
    }
    lc_run_row *row = r->row;
    r->insurance = ins;
    row->insurance_min = ins_min;
    if (side > 0)
        row->mk[market].liq_count_long += sp.n;
    else
        row->mk[market].liq_count_short += sp.n;
    lc_run_book_notional(r, market, side, notional);
    lc_run_reduce_side(r, market, side, qty, sp.n);
    row->fees += fees;
    row->bad_debt += bad;
}

void lc_settle_plain(lc_run *r, const lc_round *round)
{
    double n_base[LC_MAX_MARKETS] = {0}, x[LC_MAX_MARKETS];
    int traded[LC_MAX_MARKETS] = {0};
    round_flow(r, round, n_base, traded);
    if (trade_markets(r, n_base, traded, x))
        return;
    for (int g = 0; g < round->n; g++)
        settle_plain_range(r, round->g[g].span, round->g[g].market, round->g[g].side,
                           x[round->g[g].market]);
    reprice(r, traded);
}

/* ---- general -------------------------------------------------------------- */

/* The plan buffers hold n items and their trades (grown geometrically); 0,
 * or -1 (memory). */
static int plan_reserve(lc_scratch *s, long n)
{
    if (n > s->plan_cap) {
        long cap = n > 2 * s->plan_cap ? n : 2 * s->plan_cap;
        lc_item *p = realloc(s->plan, (size_t)cap * sizeof *p);
        lc_trade *t =
            p ? realloc(s->trades, (size_t)cap * (size_t)s->max_trades * sizeof *t) : NULL;
        if (p)
            s->plan = p;
        if (!t)
            return -1;
        s->trades = t;
        s->plan_cap = cap;
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
    long at = 0;
    for (int g = 0; g < round->n; g++) {
        int spans = round->g[g].market == LC_SPAN_GROUP;
        for (long j = 0; j < round->g[g].span.n; j++, at++) {
            lc_item *it = &plan[at];
            long i = lc_span_at(round->g[g].span, j);
            *it = (lc_item){.i = i, .trade = s->trades + nt};
            /* the ranges' accounts are isolated: a direct call the compiler can inline */
            it->margin =
                spans ? lc_margin_models[lc_population_margin(r->pop, i)] : &lc_margin_isolated;
            it->ntrade =
                spans ? it->margin->plan(r, it, it->trade) : lc_isolated_plan(r, it, it->trade);
            nt += it->ntrade;
        }
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
        /* a taken item is a rule's (backstop): it settles in on_settle */
        if (!it->taken && it->margin == &lc_margin_isolated)
            lc_isolated_settle(r, it);
        else if (!it->taken)
            it->margin->settle(r, it);
        LC_RULES_EACH(s, on_settle, r, it);
    }
    reprice(r, traded);
}

/* ---- general, streamed ---------------------------------------------------- */

/* The general path when no rule looks at the whole plan (no on_breach) and
 * every account is isolated: each closes its whole position, so the flow is
 * the sum of the round's quantities, as in the plain path, and each account's
 * item is made when it settles — the same sums in the same order as the
 * planned path, without writing the plan. */
void lc_settle_streamed(lc_run *r, const lc_round *round)
{
    lc_scratch *s = r->s;
    double n_base[LC_MAX_MARKETS] = {0}, x[LC_MAX_MARKETS];
    int traded[LC_MAX_MARKETS] = {0};
    round_flow(r, round, n_base, traded);
    if (trade_markets(r, n_base, traded, x))
        return;
    for (int g = 0; g < round->n; g++)
        for (long k = 0; k < round->g[g].span.n; k++) {
            lc_trade t;
            lc_item it = {.i = lc_span_at(round->g[g].span, k), .margin = &lc_margin_isolated};
            it.trade = &t;
            it.ntrade = lc_isolated_plan(r, &it, &t);
            t.x = x[t.market];
            lc_isolated_settle(r, &it);
            LC_RULES_EACH(s, on_settle, r, &it);
        }
    reprice(r, traded);
}

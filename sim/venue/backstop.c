/* backstop.c — a liquidator vault that takes over accounts too far gone for
 * the book, as Hyperliquid's (venue.backstop: {fraction f, unwind u}; off
 * while f = 0).
 *
 * A breached account (not a lending CDP: its protocol's) whose equity at the marks is below f times
 * its maintenance (Hyperliquid: f = 2/3) is not sent to the book: the vault takes over every
 * position and all its collateral at the marks, and the account loses what equity it had
 * (Hyperliquid's backstop liquidation). Its positions leave the accounts' open interest and count
 * as liquidated (liq_count_*, and liq_notional_* at the mark); no fee is paid, no shortfall reaches
 * the insurance fund: the vault takes the loss of an account taken with negative equity.
 *
 * The vault holds what it took: per market a signed inventory (the
 * positions, plus the collateral assets it took) and quote cash, so that its
 * value V = cash + Σ inventory·P is the equity it took plus the P&L of its
 * inventory since. With unwind u > 0 it sends u of each market's inventory
 * to the book at every step, before the cascade (its flow moves the price
 * like any other, and may liquidate); what it cannot sell in time stays
 * (the JELLY case: a position the book is too thin to absorb). Recorded per
 * run: accounts taken, their notional, the vault's P&L at the end and its
 * lowest at any step, its inventory left at the end (gross notional at the
 * final prices); events: kind 6 per position taken (at the mark; the
 * account's negative equity at the marks without haircuts — what the vault
 * takes on — as its first row's shortfall), kind 7
 * per market unwound per step (the vault's sale at the VWAP). */
#include <math.h>

#include "engine/run.h"
#include "scenario/scenario.h"
#include "venue/spanning.h"

enum { BACKSTOP_FRACTION, BACKSTOP_UNWIND };                          /* numeric keys */
enum { BS_COUNT, BS_NOTIONAL, BS_PNL_END, BS_PNL_MIN, BS_INVENTORY }; /* its /runs cells */
enum { BACKSTOP_EVENT = 6, UNWIND_EVENT = 7 };                        /* its /events kinds */

typedef struct vault {
    double cash;                /* quote */
    double inv[LC_MAX_MARKETS]; /* base, + long */
    int any;                    /* it has taken something in this run */
    int low_seen;               /* vault_pnl_min holds a value seen since then */
} vault;

static const lc_param params[] = {
    [BACKSTOP_FRACTION] = {"fraction", "1", LC_REAL, 0, 0, 1, 0, 0,
                           "a breached account with equity below this fraction of its "
                           "maintenance goes to the vault (Hyperliquid 2/3; 0: no backstop)"},
    [BACKSTOP_UNWIND] = {"unwind", "1", LC_REAL, 0, 0, 1, 0, 0,
                         "fraction of the vault's inventory in each market it sends to the "
                         "book per step (0: it holds)"},
};
static const lc_rule_column columns[] = {
    [BS_COUNT] = {"backstop_count", 'i', "accounts",
                  "accounts the vault took over (0 while venue.backstop.fraction is 0)"},
    [BS_NOTIONAL] = {"backstop_notional", 'd', "quote",
                     "notional of the positions it took, at the marks"},
    [BS_PNL_END] = {"vault_pnl_end", 'd', "quote",
                    "the vault's value at the end: the equity it took plus its inventory's "
                    "P&L, at the final prices"},
    [BS_PNL_MIN] = {"vault_pnl_min", 'd', "quote",
                    "the vault's lowest value at the prices of any step from its first "
                    "takeover on, and after each takeover (0 if it takes none)"},
    [BS_INVENTORY] = {"vault_inventory_end", 'd', "quote",
                      "inventory the vault holds at the end, gross notional at the final "
                      "prices (what it could not exit)"},
};
static const lc_rule_event events[] = {
    {BACKSTOP_EVENT, "position taken over by the backstop vault (price: the mark)"},
    {UNWIND_EVENT, "the backstop vault's unwind of a market's inventory (account -1)"},
};

static double vault_value(const vault *v, const lc_run *r)
{
    double x = v->cash;
    for (int k = 0; k < r->nmk; k++)
        x += v->inv[k] * r->mk[k].p;
    return x;
}

static void seen(lc_rule_inst *ri, lc_run *r)
{
    vault *v = ri->state;
    lc_cell *c = lc_rule_cells(r, ri);
    if (!v->any)
        return;
    double x = vault_value(v, r);
    if (!v->low_seen || x < c[BS_PNL_MIN].d)
        c[BS_PNL_MIN].d = x;
    v->low_seen = 1;
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    (void)r;
    *(vault *)ri->state = (vault){0};
}

/* The vault's unwind: u of each inventory to the book, before the cascade. */
static void on_step(lc_rule_inst *ri, lc_run *r)
{
    vault *v = ri->state;
    double u = ri->set->p[BACKSTOP_UNWIND];
    seen(ri, r);
    if (!v->any || !(u > 0))
        return;
    for (int k = 0; k < r->nmk && !r->bad; k++) {
        double n = -u * v->inv[k], x;
        if (n == 0)
            continue;
        if (fabs(v->inv[k]) * r->mk[k].p * (1 - u) < LC_FUND_DUST)
            n = -v->inv[k]; /* the last crumbs go whole */
        if (lc_market_trade(&r->mk[k], n, &x)) {
            r->bad = "the impact of the backstop vault's unwind is not a finite price move";
            r->bad_market = k;
            return;
        }
        lc_market_reprice(&r->mk[k]);
        v->cash -= n * x;
        v->inv[k] = n == -v->inv[k] ? 0.0 : v->inv[k] + n;
        if (r->ev)
            lc_run_push_event(r, &(lc_event){r->row->run, r->row->point, r->t, 0, -1, k,
                                             UNWIND_EVENT, n, x, fabs(n) * x, 0, 0});
    }
}

/* Equity and maintenance of the item's account at the marks. */
static void at_marks(const lc_run *r, const lc_item *it, lc_account *a, double *e, double *req)
{
    double marks[LC_MAX_MARKETS];
    lc_run_marks(r, marks);
    lc_book_account(r->book, it->i, a);
    *e = it->margin->equity(a, marks, r->sc);
    *req = it->margin->requirement(a, marks, r->sc);
}

static void on_breach(lc_rule_inst *ri, lc_run *r, lc_item *plan, long n)
{
    double f = ri->set->p[BACKSTOP_FRACTION];
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        if (it->margin == &lc_margin_cdp)
            continue; /* a lending CDP is its protocol's */
        lc_account a;
        double e, req;
        at_marks(r, it, &a, &e, &req);
        if (!(e < f * req))
            continue;
        it->taken = 1; /* nothing of it goes to the book */
        for (int t = 0; t < it->ntrade; t++)
            it->trade[t].qty = 0;
    }
}

static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (!it->taken)
        return;
    vault *v = ri->state;
    lc_cell *c = lc_rule_cells(r, ri);
    lc_account a;
    lc_book_account(r->book, it->i, &a);
    lc_run_row *row = r->row;
    /* the vault pays the positions' entry cost out of the collateral it
     * takes: its value grows by the account's equity at the marks without
     * haircuts (the assets themselves), `raw`, whose loss, if negative, is
     * the shortfall of the first kind-6 row */
    double raw = 0;
    for (int k = 0; k < a.ncol; k++) {
        if (a.col[k].asset == LC_QUOTE) {
            v->cash += a.col[k].amount;
            raw += a.col[k].amount;
        } else {
            v->inv[a.col[k].asset] += a.col[k].amount;
            raw += a.col[k].amount * lc_run_mark_of(r, a.col[k].asset);
        }
    }
    for (int k = 0; k < a.npos; k++)
        raw += a.pos[k].side * a.pos[k].qty * (lc_run_mark_of(r, a.pos[k].market) - a.pos[k].entry);
    for (int k = 0; k < a.npos; k++) {
        const lc_position *p = &a.pos[k];
        double m = lc_run_mark_of(r, p->market);
        v->cash -= p->side * p->qty * p->entry;
        v->inv[p->market] += p->side * p->qty;
        if (p->side > 0)
            row->mk[p->market].liq_count_long++;
        else
            row->mk[p->market].liq_count_short++;
        lc_run_book_notional(r, p->market, p->side, p->qty * m);
        lc_run_reduce_side(r, p->market, p->side, p->qty, 1);
        c[BS_NOTIONAL].d += p->qty * m;
        lc_run_event_at(r, it->i, p->market, BACKSTOP_EVENT, p->side * p->qty, m, 0,
                        k == 0 && raw < 0 ? -raw : 0);
    }
    if (it->margin != &lc_margin_isolated)
        row->span_liq_count++;
    v->any = 1;
    c[BS_COUNT].i++;
    seen(ri, r);
}

static void on_end(lc_rule_inst *ri, lc_run *r)
{
    vault *v = ri->state;
    lc_cell *c = lc_rule_cells(r, ri);
    seen(ri, r);
    c[BS_PNL_END].d = vault_value(v, r);
    double gross = 0;
    for (int k = 0; k < r->nmk; k++)
        gross += fabs(v->inv[k]) * r->mk[k].p;
    c[BS_INVENTORY].d = gross;
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)sc;
    return s->p[BACKSTOP_FRACTION] > 0;
}

const lc_rule lc_rule_backstop = {
    .d = {"backstop", "a liquidator vault takes over accounts far below maintenance (Hyperliquid)",
          params, LC_COUNT(params), NULL},
    .section = "venue.backstop",
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .events = events,
    .nevents = LC_COUNT(events),
    .changes_positions = 1,
    .state_size = sizeof(vault),
    .enabled = enabled,
    .on_run = on_run,
    .on_step = on_step,
    .on_breach = on_breach,
    .on_settle = on_settle,
    .on_end = on_end,
};

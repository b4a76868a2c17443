/* run.h — the state of one run as the stages see it (DESIGN §11): the step
 * loop (engine.c), the finders (cursor.c, scan.c), settlement (settle.c),
 * the margin models (venue/margin.h) and the venue rules' hooks
 * (venue/rule.h) all work on an lc_run.
 *
 * Settlement order within a round is part of the contract: the round's
 * breached accounts settle in index order — per market, the longs, then the
 * shorts, each in the population's liquidation order (book/population.h) —
 * and each account settles against the insurance fund as it stands after
 * the accounts before it. That order decides which shortfall the fund still
 * covers and which becomes bad debt (or ADL); every finder hands accounts
 * over in it, so their results are identical bit for bit. */
#ifndef LC_RUN_H
#define LC_RUN_H

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>

#include "book/book.h"
#include "market/market.h"
#include "out/record.h"
#include "scenario/scenario.h"
#include "venue/margin.h"

/* A fund below this (quote) is the rounding dust ADL leaves in an emptied
 * fund: it is treated, and recorded in insurance_min, as 0. */
#define LC_FUND_DUST 1e-6

/* One trade of a plan: a position closed (or, later, collateral sold) in a
 * market at the round's VWAP of that market. */
typedef struct lc_trade {
    int market;
    int side;   /* of the position: +1 long (closing sells), -1 short (closing buys) */
    int sell;   /* 1: collateral sold (side +1), not a position closed */
    int leg;    /* the account's position (close) or balance (sale) it trades */
    double qty; /* base units closed: the whole position unless a rule says less */
    double x;   /* execution price, quote per base: set once its market has traded */
} lc_trade;

/* One breached account in a round's liquidation plan (its margin model's). */
typedef struct lc_item {
    long i; /* account */
    const lc_margin_model *margin;
    int side;    /* isolated: the position's side, quantity and collateral */
    double q, c; /* when the round began */
    lc_trade *trade;
    int ntrade;
    double book;           /* of a whole close, base sent to the book (ADL keeps the rest off) */
    int taken;             /* a rule settles it instead of its margin model (backstop) */
    double fee, shortfall; /* what its settlement paid / could not cover (quote) */
} lc_item;

/* Whether the plan closes only part of the isolated position (partial
 * liquidation): the one test every stage uses. */
static inline int lc_item_partial(const lc_item *it)
{
    return !it->taken && it->trade[0].qty < it->q;
}

/* The breached accounts of one range in a round, in settlement order: a list
 * of indices or the range first .. first+n-1. */
typedef struct lc_span {
    const uint32_t *list;
    long first, n;
} lc_span;

static inline long lc_span_at(lc_span s, long k)
{
    return s.list ? (long)s.list[k] : s.first + k;
}

/* A round's accounts: one group per (market, side) range, in settlement
 * order, then (market LC_SPAN_GROUP, side 0) the accounts that span markets
 * in index order. */
typedef struct lc_group {
    int market, side;
    lc_span span;
} lc_group;
#define LC_SPAN_GROUP (-1) /* the market of the group of accounts that span markets */
typedef struct lc_round {
    int n;
    lc_group g[2 * LC_MAX_MARKETS + 1];
} lc_round;

typedef struct lc_scratch lc_scratch;

typedef struct lc_run {
    const lc_scenario *sc;
    const lc_population *pop;
    lc_book *book;
    lc_market *mk; /* the run's markets, nmk of them */
    int nmk;
    lc_scratch *s;
    lc_run_row *row;
    lc_eventbuf *ev; /* NULL: events off */
    long run, t, round;
    double insurance; /* the fund, quote */
    /* per market: running peaks of the market price and the fundamental */
    double peak[LC_MAX_MARKETS], exo_peak[LC_MAX_MARKETS];
    /* ... and below which a price can set a new max drawdown (engine.c
     * drawdown_gate): a multiply a step instead of a division */
    double gate[LC_MAX_MARKETS], exo_gate[LC_MAX_MARKETS];
    /* per market and side ([0] long, [1] short): open quantity and accounts,
     * and liquidated notional since the last record */
    double qty[LC_MAX_MARKETS][2];
    long open[LC_MAX_MARKETS][2];
    double step_liq[LC_MAX_MARKETS][2];
    double step_total; /* liquidated notional in this step, every market */
    int oom;           /* out of memory for events or changed accounts */
    int stopped;       /* the scratch's stop flag ended the run within a step */
    const char *bad;   /* why the run's numbers left the finite range, or NULL */
    int bad_market;    /* ... and in which market */
} lc_run;

/* The mark margin checks of market k use now, and of account i's market. */
static inline double lc_run_mark_of(const lc_run *r, int k)
{
    return lc_market_mark(&r->mk[k]);
}
static inline double lc_run_mark(const lc_run *r, long i)
{
    return lc_run_mark_of(r, lc_book_market(r->book, i));
}
/* The marks of every market into marks[0 .. nmk) (margin models read them
 * as an array). */
static inline void lc_run_marks(const lc_run *r, double *marks)
{
    for (int k = 0; k < r->nmk; k++)
        marks[k] = lc_run_mark_of(r, k);
}

/* Append an event (no-op with events off); the second form fills the row
 * from the run and notional = |qty|·price. */
void lc_run_push_event(lc_run *r, const lc_event *e);
static inline void lc_run_event_at(lc_run *r, long i, int market, int kind, double qty,
                                   double price, double fee, double shortfall)
{
    if (r->ev)
        lc_run_push_event(r, &(lc_event){r->row->run, r->row->point, r->t, r->round, i, market,
                                         kind, qty, price, fabs(qty) * price, fee, shortfall});
}
static inline void lc_run_event(lc_run *r, long i, int kind, double qty, double price, double fee,
                                double shortfall)
{
    lc_run_event_at(r, i, lc_book_market(r->book, i), kind, qty, price, fee, shortfall);
}
/* qty leaves the open interest of a market's side, closing `closed` of its
 * accounts. */
static inline void lc_run_reduce_side(lc_run *r, int market, int side, double qty, long closed)
{
    long *open = &r->open[market][lc_book_side_slot(side)];
    double *total = &r->qty[market][lc_book_side_slot(side)];
    *open -= closed;
    /* exactly 0 once the side is gone, not a rounding residue below it */
    *total = *open ? *total - qty : 0.0;
}

/* A liquidated notional of a market's side (quote): the run's totals, the
 * series' flow and the step's. */
static inline void lc_run_book_notional(lc_run *r, int market, int side, double notional)
{
    lc_run_row *row = r->row;
    if (side > 0)
        row->mk[market].liq_notional_long += notional;
    else
        row->mk[market].liq_notional_short += notional;
    r->step_liq[market][lc_book_side_slot(side)] += notional;
    r->step_total += notional;
    if (row->first_liq_step < 0)
        row->first_liq_step = r->t;
}

/* What insurance_min records for a fund balance: dust is an empty fund. */
static inline double lc_fund_reading(double insurance)
{
    return insurance > LC_FUND_DUST ? insurance : 0.0;
}

/* Record a fund balance in insurance_min. */
static inline void lc_run_fund_seen(lc_run *r)
{
    if (r->insurance < r->row->insurance_min)
        r->row->insurance_min = lc_fund_reading(r->insurance);
}
/* Open account i now holds q, collateral c, liquidation price liq: the book
 * is told, then every rule's on_change. */
void lc_run_set_live(lc_run *r, long i, double q, double c, double liq);
/* Account i is closed off the book (ADL). */
void lc_run_close(lc_run *r, long i);
/* Account i that spans markets, taken by the round, stays open with these
 * balances (a CDP liquidated in part): the book's legs change, and the
 * finder evaluates it again at its next find. */
void lc_run_span_keep(lc_run *r, long i, const lc_balance *col, int ncol);
/* Account i, taken by the round but liquidated by no one (no liquidator
 * acted), waits closed until the next step. */
void lc_run_defer(lc_run *r, long i);
/* The rules' on_liquidate for an item about to be closed whole. */
void lc_run_on_liquidate(lc_run *r, lc_item *it);
/* The rules' on_shortfall for a settled item of an account that spans
 * markets: how much of `uncovered` they took from other accounts. */
double lc_run_on_shortfall(lc_run *r, const lc_item *it, double uncovered);

/* The isolated margin model's plan and settlement (venue/isolated.c), for
 * direct calls where every account is isolated. */
int lc_isolated_plan(const lc_run *r, lc_item *it, lc_trade *trades);
void lc_isolated_settle(lc_run *r, lc_item *it);

/* Settle a round (settle.c): trade the breached accounts' net flow of each
 * market through its impact model, settle each account at its market's VWAP
 * in settlement order. The strategy is chosen once per scratch. */
typedef void (*lc_settle_fn)(lc_run *r, const lc_round *round);
void lc_settle_plain(lc_run *r, const lc_round *round);
void lc_settle_general(lc_run *r, const lc_round *round);
void lc_settle_streamed(lc_run *r, const lc_round *round);

#endif

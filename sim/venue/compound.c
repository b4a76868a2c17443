/* compound.c — Compound III's liquidation of lending CDPs (venue.compound;
 * on when venue.lending is compound). Every formula is
 * compound-finance/comet, contracts/Comet.sol (commit d5a30b0a; the
 * storefront's formula is unchanged since cc2aadb5, 2022): isLiquidatable
 * (l.566–600), absorbInternal (l.1183–1233), buyCollateral and
 * quoteCollateral (l.1247–1286), in real numbers.
 *
 * Liquidatable when Σ C·P·liquidateCollateralFactor < debt: the cdp
 * margin model's health factor with lt = liquidateCollateralFactor
 * (markets[k].lending.lt), breached at <= (cdp.h). After the liquidators'
 * latency (liquidators.h; absorbing needs no capital) the account is
 * absorbed:
 *  - all its collateral goes to the protocol; the account is credited
 *    credit = Σ C·P·liquidationFactor, liquidationFactor = 1 − bonus
 *    (markets[k].lending.bonus); its balance −D + credit, floored at 0: a
 *    positive rest is returned to it, a negative one is absorbed by the
 *    reserves (cdp_bad_debt: max(0, D − credit));
 *  - the reserves fall by D + max(0, credit − D) (the debt written off
 *    and the supply credited);
 *  - the protocol sells the collateral at its storefront while the
 *    reserves are below target_reserves (buyCollateral reverts NotForSale
 *    at or above it): at P·(1 − store_front_price_factor·(1 −
 *    liquidationFactor)), the price going into the reserves. The buyers are
 *    the liquidators: within their capacity, when selling what they buy
 *    into its market pays (liquidators.h). In the round of the absorb they
 *    buy from what it seized and sell into the round's flow; what they do
 *    not buy stays with the protocol (its inventory), offered again at
 *    every step while the reserves are below target, sold into the market
 *    before the step's cascade.
 * Debts are in quote (Compound III lends one base asset; one in a market's
 * asset is valued at its oracle). Recorded: cdp_* (repaid = D absorbed,
 * seized = the collateral's value, fee 0), the reserves' end and lowest
 * value, what the buyers paid, the inventory left (at the final prices);
 * events: kind 9 per absorb (its largest collateral's market; shortfall the
 * bad debt), kind 10 per storefront sale (the buyers' sale, at its VWAP;
 * account -1 when from inventory). Identity, asserted per absorb: the
 * reserves' change = −D − returned + Σ bought·price, returned =
 * max(0, credit − D). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "engine/run.h"
#include "scenario/scenario.h"
#include "venue/cdp.h"
#include "venue/liquidators.h"

enum { CP_RESERVES, CP_TARGET, CP_STORE_FRONT };                        /* numeric keys */
enum { CP_RESERVES_END, CP_RESERVES_MIN, CP_BOUGHT, CP_INVENTORY_END }; /* its /runs cells */
enum { STOREFRONT_EVENT = 10 };                                         /* its /events kind */

static const lc_param params[] = {
    [CP_RESERVES] = {"reserves", "quote", LC_REAL, 0, -1e300, 1e300, 0, 0,
                     "the protocol's reserves at t = 0 (getReserves)"},
    [CP_TARGET] = {"target_reserves", "quote", LC_REAL, 5e6, 0, 1e300, 0, 0,
                   "the storefront sells absorbed collateral only while the reserves are below "
                   "this (targetReserves; cUSDCv3 at launch: 5,000,000)"},
    [CP_STORE_FRONT] = {"store_front_price_factor", "1", LC_REAL, 0.5, 0, 1, 0, 0,
                        "share of the liquidation penalty (1 - liquidationFactor) given to "
                        "storefront buyers as a discount (storeFrontPriceFactor; launch 0.5)"},
};
static const lc_rule_column columns[] = {
    [CP_RESERVES_END] = {"compound_reserves_end", 'd', "quote",
                         "Compound III's reserves at the end (negative: insolvent)"},
    [CP_RESERVES_MIN] = {"compound_reserves_min", 'd', "quote",
                         "their lowest value in the run (t = 0 included)"},
    [CP_BOUGHT] = {"compound_bought", 'd', "quote",
                   "what storefront buyers paid into the reserves for absorbed collateral"},
    [CP_INVENTORY_END] = {"compound_inventory_end", 'd', "quote",
                          "absorbed collateral the protocol still holds at the end, at the final "
                          "prices"},
};
static const lc_rule_event events[] = {
    {STOREFRONT_EVENT, "Compound III storefront sale: absorbed collateral a buyer sold into its "
                       "market (qty < 0, price its VWAP; account -1 when from the inventory)"},
};

/* One item's absorb, decided in on_breach. */
typedef struct absorb {
    double debt, credit; /* D, Σ C·P·liquidationFactor, quote */
    double value;        /* Σ C·P, quote */
} absorb;

typedef struct compound {
    lc_liquidators lq;
    double reserves;
    double inventory[LC_MAX_MARKETS]; /* units of each market's asset it holds */
    const lc_item *plan;
    absorb *abs;
    long cap;
} compound;

static int create(lc_rule_inst *ri, const lc_scenario *sc, const lc_book *book)
{
    (void)book;
    lc_liquidators_init(&((compound *)ri->state)->lq, sc);
    return 0;
}

static void destroy(lc_rule_inst *ri)
{
    free(((compound *)ri->state)->abs);
}

static void reserves_seen(lc_rule_inst *ri, lc_run *r)
{
    const compound *st = ri->state;
    lc_cell *c = lc_rule_cells(r, ri);
    if (st->reserves < c[CP_RESERVES_MIN].d)
        c[CP_RESERVES_MIN].d = st->reserves;
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    compound *st = ri->state;
    st->lq.step = -1;
    st->reserves = ri->set->p[CP_RESERVES];
    for (int k = 0; k < LC_MAX_MARKETS; k++)
        st->inventory[k] = 0;
    lc_rule_cells(r, ri)[CP_RESERVES_MIN].d = st->reserves;
}

/* The storefront's price of market m's asset (quote per unit). */
static double store_price(const lc_rule_inst *ri, const lc_run *r, int m)
{
    double lf = 1 - r->sc->market[m].bonus;
    return lc_cdp_price(r, m) * (1 - ri->set->p[CP_STORE_FRONT] * (1 - lf));
}

/* How much of `units` of market m's asset the buyers take at the
 * storefront now (0 while the reserves are at or above target): all of it,
 * within their capacity, if selling it pays, else the most of its halvings
 * that does. */

static double buyers_take(lc_rule_inst *ri, lc_run *r, int m, double units, double reserves)
{
    compound *st = ri->state;
    if (!(reserves < ri->set->p[CP_TARGET]) || !(units > 0))
        return 0;
    double price = store_price(ri, r, m), left = lc_liquidators_left(&st->lq, r);
    if (units * price > left)
        units = left / price;
    for (int h = 0; h < LC_LIQUIDATOR_HALVINGS && units > 0;
         h++, units /= 2) /* sized to the book */
        if (lc_liquidators_pays(&st->lq, units * lc_liquidators_quote(r, m, -units),
                                units * price)) {
            lc_liquidators_use(&st->lq, units * price);
            return units;
        }
    return 0;
}

static void on_breach(lc_rule_inst *ri, lc_run *r, lc_item *plan, long n)
{
    compound *st = ri->state;
    if (lc_cdp_items(r, (void **)&st->abs, &st->cap, n, sizeof *st->abs))
        return;
    st->plan = plan;
    double reserves = st->reserves; /* as the round's absorbs leave them, in order */
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        if (it->margin != &lc_margin_cdp || it->taken || !lc_liquidators_ready(&st->lq, r, it->i))
            continue;
        lc_account a;
        lc_book_account(r->book, it->i, &a);
        absorb *ab = &st->abs[k];
        *ab = (absorb){0};
        for (int j = 0; j < a.ncol; j++) {
            double v = a.col[j].amount * lc_cdp_price(r, a.col[j].asset);
            if (v < 0) {
                ab->debt -= v;
            } else if (v > 0) {
                ab->value += v;
                ab->credit += v * (1 - r->sc->market[a.col[j].asset].bonus);
            }
        }
        it->taken = 1;
        reserves -= ab->debt > ab->credit ? ab->debt : ab->credit;
        for (int j = 0; j < a.ncol; j++) { /* trade slot j: balance j (cdp.c) */
            int m = a.col[j].asset;
            double bought =
                a.col[j].amount > 0 ? buyers_take(ri, r, m, a.col[j].amount, reserves) : 0;
            it->trade[j] = (lc_trade){.market = m == LC_QUOTE ? it->trade[j].market : m,
                                      .side = 1,
                                      .sell = 1,
                                      .leg = j,
                                      .qty = bought};
            reserves += bought * (m == LC_QUOTE ? 0 : store_price(ri, r, m));
        }
    }
}

static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (!it->taken || it->margin != &lc_margin_cdp)
        return;
    compound *st = ri->state;
    const absorb *ab = &st->abs[it - st->plan];
    lc_cell *c = lc_rule_cells(r, ri);
    lc_account a;
    lc_book_account(r->book, it->i, &a);
    double before = st->reserves, returned = ab->credit > ab->debt ? ab->credit - ab->debt : 0;
    double paid = 0, pnl = 0, largest = 0;
    int market = r->pop->market[it->i];
    st->reserves -= ab->debt + returned;
    for (int j = 0; j < a.ncol; j++) {
        const lc_balance *b = &a.col[j];
        if (!(b->amount > 0))
            continue;
        const lc_trade *t = &it->trade[j];
        double price = store_price(ri, r, b->asset), v = b->amount * lc_cdp_price(r, b->asset);
        st->inventory[b->asset] += b->amount - t->qty;
        paid += t->qty * price;
        pnl += t->qty * (t->x - price);
        if (t->qty > 0)
            lc_run_event_at(r, it->i, b->asset, STOREFRONT_EVENT, -t->qty, t->x, 0, 0);
        if (v > largest) {
            largest = v;
            market = b->asset;
        }
    }
    st->reserves += paid;
    c[CP_BOUGHT].d += paid;
    assert(fabs(st->reserves - before - (paid - ab->debt - returned)) <=
           1e-9 * (fabs(before) + ab->debt + returned + paid + 1));
    (void)before;
    double units = 0;
    for (int j = 0; j < a.ncol; j++)
        if (a.col[j].asset == market && a.col[j].amount > 0)
            units += a.col[j].amount;
    lc_cdp_record(r, it->i,
                  &(lc_cdp_fill){.market = market,
                                 .units = units,
                                 .x = lc_cdp_price(r, market),
                                 .repaid = ab->debt,
                                 .seized = ab->value,
                                 .bad_debt = ab->debt > ab->credit ? ab->debt - ab->credit : 0,
                                 .liquidator_pnl = pnl - (paid > 0 ? st->lq.gas : 0)});
    reserves_seen(ri, r);
}

/* The storefront's sales from the inventory, before the step's cascade. */
static void on_step(lc_rule_inst *ri, lc_run *r)
{
    compound *st = ri->state;
    lc_cell *c = lc_rule_cells(r, ri);
    for (int m = 0; m < r->nmk && !r->bad; m++) {
        double units = buyers_take(ri, r, m, st->inventory[m], st->reserves), x;
        if (!(units > 0))
            continue;
        if (lc_market_trade(&r->mk[m], -units, &x)) {
            r->bad = "the impact of a Compound III storefront sale is not a finite price move";
            r->bad_market = m;
            return;
        }
        lc_market_reprice(&r->mk[m]);
        double price = store_price(ri, r, m), paid = units * price;
        st->inventory[m] = units == st->inventory[m] ? 0 : st->inventory[m] - units;
        st->reserves += paid;
        c[CP_BOUGHT].d += paid;
        r->row->cdp_liquidator_pnl += units * (x - price) - st->lq.gas;
        lc_run_event_at(r, -1, m, STOREFRONT_EVENT, -units, x, 0, 0);
    }
}

static void on_end(lc_rule_inst *ri, lc_run *r)
{
    compound *st = ri->state;
    lc_cell *c = lc_rule_cells(r, ri);
    double held = 0;
    for (int m = 0; m < r->nmk; m++)
        held += st->inventory[m] * r->mk[m].p;
    c[CP_RESERVES_END].d = st->reserves;
    c[CP_INVENTORY_END].d = held;
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)s;
    return sc->lending == LC_LENDING_COMPOUND;
}

const lc_rule lc_rule_compound = {
    .d = {"compound",
          "Compound III absorbs of lending CDPs, and the storefront that sells what they seized "
          "while the reserves are below target",
          params, LC_COUNT(params), NULL},
    .section = "venue.compound",
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .events = events,
    .nevents = LC_COUNT(events),
    .changes_positions = 1,
    .state_size = sizeof(compound),
    .enabled = enabled,
    .create = create,
    .destroy = destroy,
    .on_run = on_run,
    .on_step = on_step,
    .on_breach = on_breach,
    .on_settle = on_settle,
    .on_end = on_end,
};

/* liquity.c — Liquity v1's liquidation of troves (venue.liquity; on when
 * venue.lending is liquity). Every formula is liquity/dev at tag
 * mainnet_coverage (commit a1824dd8), packages/contracts/contracts/
 * TroveManager.sol: _liquidateNormalMode (l.314–346),
 * _getOffsetAndRedistributionVals (l.431–462), _redistributeDebtAndColl
 * (l.1197–1231), the gas compensation of LiquityBase.sol (l.28–57), in real
 * numbers (the contract's error feedback and snapshots are exact here).
 *
 * A trove holds collateral (markets[k].lending.lt = 1/MCR: 1/1.1 for
 * Liquity) and a quote (LUSD) debt, the composite debt the 200 LUSD gas
 * reserve included. Liquidatable at ICR = C·P/D < MCR: the cdp margin
 * model's HF <= 1 (cdp.h). After the liquidators' latency, when its
 * compensation pays their gas, a trove is liquidated whole:
 *  - the liquidator gets coll_compensation (0.5%) of the collateral and the
 *    gas_compensation (200 LUSD) from the gas pool;
 *  - of the rest, the stability pool (stability_pool LUSD at t = 0) offsets
 *    min(debt, pool): it burns that much LUSD and receives the collateral
 *    in proportion, coll·offset/debt (its depositors hold it: no sale);
 *  - the debt and collateral it cannot offset are redistributed to every
 *    other open trove in proportion to its stake (its collateral at t = 0:
 *    no trove is opened or adjusted in a run), which raises their debt and
 *    collateral alike and may breach them in a later round (a cascade with
 *    no price impact). With no other trove open the rest is bad debt.
 * Recovery mode (on_step, below) while the system's collateral ratio TCR <
 * ccr (150%). Nothing of a liquidation is sold into the market. A trove's
 * debt is LUSD (quote): a debt in a market's asset is not in TCR. Not
 * modelled: redemptions, and the
 * pending rewards of troves liquidated in the same round (each round's
 * troves share in the redistributions of the troves before it only once
 * they have been settled: they are closed while the round runs). Recorded:
 * cdp_* (repaid = the whole debt, seized = the collateral at the oracle, no
 * protocol fee: the liquidator's compensation is its pnl), the LUSD offset and
 * redistributed, the pool's LUSD and collateral at the end (quote at the
 * final prices). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"
#include "scenario/scenario.h"
#include "venue/cdp.h"
#include "venue/liquidators.h"
#include "venue/spanning.h"

enum { LQ_POOL, LQ_GAS_COMP, LQ_COLL_COMP, LQ_CCR };
enum {
    LQ_OFFSET,
    LQ_REDIST,
    LQ_REDIST_COUNT,
    LQ_POOL_END,
    LQ_POOL_COLL_END,
    LQ_RECOVERY,
    LQ_SURPLUS
};

static const lc_param params[] = {
    [LQ_POOL] = {"stability_pool", "quote", LC_REAL, 0, 0, 1e300, 0, 0,
                 "LUSD in the stability pool at t = 0"},
    [LQ_GAS_COMP] = {"gas_compensation", "quote", LC_REAL, 200, 0, 1e300, 0, 0,
                     "LUSD the liquidator gets per trove from the gas pool "
                     "(LUSD_GAS_COMPENSATION, 200)"},
    [LQ_COLL_COMP] = {"coll_compensation", "1", LC_REAL, 0.005, 0, 1, 0, 0,
                      "share of a trove's collateral the liquidator gets (1/PERCENT_DIVISOR, "
                      "0.5%)"},
    [LQ_CCR] = {"ccr", "1", LC_REAL, 1.5, 0, 1e6, 0, 0,
                "recovery mode while the system's collateral ratio TCR is below this (CCR, "
                "150%; 0: never)"},
};
static const lc_rule_column columns[] = {
    [LQ_OFFSET] = {"liquity_offset", 'd', "quote", "LUSD debt the stability pool offset"},
    [LQ_REDIST] = {"liquity_redistributed", 'd', "quote",
                   "LUSD debt redistributed to the other troves"},
    [LQ_REDIST_COUNT] = {"liquity_redistributions", 'i', "liquidations",
                         "liquidations that redistributed debt"},
    [LQ_POOL_END] = {"liquity_pool_end", 'd', "quote", "LUSD left in the stability pool"},
    [LQ_POOL_COLL_END] = {"liquity_pool_collateral_end", 'd', "quote",
                          "the collateral the pool's depositors gained, at the final prices"},
    [LQ_RECOVERY] = {"liquity_recovery_count", 'i', "liquidations",
                     "troves liquidated in recovery mode at 110% <= ICR < TCR"},
    [LQ_SURPLUS] = {"liquity_surplus", 'd', "quote",
                    "collateral above 110% of their debt returned to those troves' owners, at "
                    "the oracle"},
};

/* The system's totals: collateral units per market and debt (quote), of
 * the troves open and of what redistributions gave them. */
typedef struct totals {
    double coll[LC_MAX_MARKETS], debt;
} totals;

typedef struct liquity {
    lc_liquidators lq;
    double pool;                      /* LUSD */
    double pool_coll[LC_MAX_MARKETS]; /* units the depositors gained */
    totals sys, sys0;                 /* now, and at t = 0 (every run's) */
    struct trove_icr {
        double icr;
        long i;
    } * order; /* recovery mode's troves, by ICR */
    /* troves liquidated in the run: gone[j] == tag; live of them not */
    uint32_t *gone, tag;
    long live, live0;
} liquity;

static int create(lc_rule_inst *ri, const lc_scenario *sc, const lc_book *book)
{
    liquity *st = ri->state;
    lc_liquidators_init(&st->lq, sc);
    const lc_population *pop = book->pop;
    for (long i = pop->span0; i < pop->n; i++) { /* once per scratch: every run starts here */
        int n;
        const lc_balance *col = lc_span_balances(pop, i, &n);
        for (int k = 0; lc_population_margin(pop, i) == LC_MARGIN_CDP && k < n; k++)
            if (col[k].amount > 0)
                st->sys0.coll[col[k].asset] += col[k].amount;
            else if (col[k].asset == LC_QUOTE) /* LUSD: Liquity's one debt */
                st->sys0.debt -= col[k].amount;
    }
    for (long i = pop->span0; i < pop->n; i++)
        st->live0 += lc_population_margin(pop, i) == LC_MARGIN_CDP;
    size_t ns = pop->n > pop->span0 ? (size_t)(pop->n - pop->span0) : 1;
    st->order = malloc(ns * sizeof *st->order);
    st->gone = calloc(ns, sizeof *st->gone);
    return st->order && st->gone ? 0 : -1;
}

static void destroy(lc_rule_inst *ri)
{
    liquity *st = ri->state;
    free(st->order);
    free(st->gone);
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    liquity *st = ri->state;
    st->lq.step = -1;
    st->pool = ri->set->p[LQ_POOL];
    st->sys = st->sys0;
    st->live = st->live0;
    if (++st->tag == 0) { /* after 2^32 runs: clear once */
        memset(st->gone, 0, (size_t)(r->pop->n - r->pop->span0) * sizeof *st->gone);
        st->tag = 1;
    }
    for (int k = 0; k < LC_MAX_MARKETS; k++)
        st->pool_coll[k] = 0;
}

static int is_gone(const liquity *st, const lc_population *pop, long i)
{
    return st->gone[i - pop->span0] == st->tag;
}

/* The system's collateral ratio at the marks (infinite without debt). */
static double tcr(const liquity *st, const lc_run *r)
{
    double v = 0;
    for (int m = 0; m < r->nmk; m++)
        v += st->sys.coll[m] * lc_cdp_price(r, m);
    return st->sys.debt > 0 ? v / st->sys.debt : INFINITY;
}

/* A trove's stake: its collateral units at t = 0 (every asset's: one, for
 * Liquity). */
static double stake_of(const lc_population *pop, long i)
{
    int n;
    const lc_balance *col = lc_span_balances(pop, i, &n);
    double s = 0;
    for (int k = 0; k < n; k++)
        s += col[k].amount > 0 ? col[k].amount : 0;
    return s;
}

static void on_breach(lc_rule_inst *ri, lc_run *r, lc_item *plan, long n)
{
    liquity *st = ri->state;
    long left = st->live;   /* troves not liquidated once this round's taken are */
    double pool = st->pool; /* as this round's offsets leave it */
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        if (it->margin != &lc_margin_cdp || it->taken || !lc_liquidators_ready(&st->lq, r, it->i))
            continue;
        lc_account a;
        lc_book_account(r->book, it->i, &a);
        double coll = 0, debt = 0; /* the compensation at the oracle against the gas */
        for (int j = 0; j < a.ncol; j++) {
            double v = a.col[j].amount * lc_cdp_price(r, a.col[j].asset);
            *(v > 0 ? &coll : &debt) += fabs(v);
        }
        /* the last trove is not liquidated unless the pool takes it whole
         * (TroveManager: no redistribution onto no one) */
        if (left <= 1 && debt > pool)
            continue;
        if (lc_liquidators_pays(&st->lq, ri->set->p[LQ_COLL_COMP] * coll + ri->set->p[LQ_GAS_COMP],
                                0)) {
            it->taken = 1; /* nothing trades: the pool and the troves take it */
            left--;
            pool = debt < pool ? pool - debt : 0;
        }
    }
}

/* The rest of a liquidated trove, debt d (quote) and collateral c (units
 * per market), shared by stake among the troves not liquidated — open, in
 * this round still to settle (their settlement reads the legs it gives
 * them), or waiting for a liquidator; 0, or -1 with no
 * trove open to take it. */
static int redistribute(const lc_rule_inst *ri, lc_run *r, long skip, double d, const double *c)
{
    const lc_population *pop = r->pop;
    double total = 0;
    const liquity *st = ri->state;
    for (long i = pop->span0; i < pop->n; i++)
        if (i != skip && lc_population_margin(pop, i) == LC_MARGIN_CDP && !is_gone(st, pop, i))
            total += stake_of(pop, i);
    if (!(total > 0))
        return -1;
    for (long i = pop->span0; i < pop->n && !r->oom; i++) {
        if (i == skip || lc_population_margin(pop, i) != LC_MARGIN_CDP || is_gone(st, pop, i))
            continue;
        double f = stake_of(pop, i) / total;
        lc_account a;
        lc_book_account(r->book, i, &a);
        for (int m = 0; m < r->nmk; m++) /* its share of each asset, added to its balance */
            if (c[m] > 0) {
                int j = 0;
                while (j < a.ncol && !(a.col[j].asset == m && a.col[j].amount >= 0))
                    j++;
                if (j == a.ncol && a.ncol < LC_ACCOUNT_MAX_LEGS)
                    a.col[a.ncol++] = (lc_balance){m, 0};
                if (j < a.ncol)
                    a.col[j].amount += f * c[m];
            }
        int j = 0;
        while (j < a.ncol && !(a.col[j].asset == LC_QUOTE && a.col[j].amount < 0))
            j++;
        if (j == a.ncol && a.ncol < LC_ACCOUNT_MAX_LEGS)
            a.col[a.ncol++] = (lc_balance){LC_QUOTE, 0};
        if (j < a.ncol)
            a.col[j].amount -= f * d;
        lc_run_span_keep(r, i, a.col, a.ncol); /* its level moved: the finder sees it again */
    }
    return 0;
}

static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (!it->taken || it->margin != &lc_margin_cdp)
        return;
    liquity *st = ri->state;
    const double *p = ri->set->p;
    lc_cell *cells = lc_rule_cells(r, ri);
    lc_account a;
    lc_book_account(r->book, it->i, &a);
    double debt = 0, value = 0, comp = 0, units = 0, c[LC_MAX_MARKETS] = {0};
    int market = r->pop->market[it->i];
    for (int j = 0; j < a.ncol; j++) {
        const lc_balance *b = &a.col[j];
        if (b->amount < 0) {
            debt -= b->amount * lc_cdp_price(r, b->asset);
        } else if (b->amount > 0) {
            double pr = lc_cdp_price(r, b->asset);
            value += b->amount * pr;
            comp += p[LQ_COLL_COMP] * b->amount * pr;
            c[b->asset] += (1 - p[LQ_COLL_COMP]) * b->amount; /* to liquidate */
            if (b->asset == market)
                units += b->amount;
        }
    }
    /* in recovery mode a trove at ICR <= 100% is redistributed whole (l.373–385) */
    int recovery = ri->set->p[LQ_CCR] > 0 && tcr(st, r) < ri->set->p[LQ_CCR];
    double offset = recovery && !(value > debt) ? 0 : debt < st->pool ? debt : st->pool;
    st->gone[it->i - r->pop->span0] = st->tag;
    st->live--;
    st->pool = offset == st->pool ? 0 : st->pool - offset;
    for (int m = 0; m < r->nmk; m++) { /* the pool's share of the collateral */
        double to_pool = debt > 0 ? c[m] * offset / debt : 0;
        st->pool_coll[m] += to_pool;
        c[m] -= to_pool;
    }
    double rest = debt - offset, bad = 0;
    cells[LQ_OFFSET].d += offset;
    st->sys.debt -= offset; /* the pool's and the liquidator's leave the system */
    for (int j = 0; j < a.ncol; j++)
        if (a.col[j].amount > 0)
            st->sys.coll[a.col[j].asset] -= a.col[j].amount;
    for (int m = 0; m < r->nmk; m++)
        st->sys.coll[m] += c[m]; /* what is redistributed stays */
    if (rest > 0) {
        if (redistribute(ri, r, it->i, rest, c)) {
            /* no trove left (on_breach keeps the last one, so only when the
             * round took every other): the debt beyond the collateral lost */
            double left_value = 0;
            for (int m = 0; m < r->nmk; m++)
                left_value += c[m] * lc_cdp_price(r, m);
            bad = rest > left_value ? rest - left_value : 0;
            st->sys.debt -= rest;
            for (int m = 0; m < r->nmk; m++)
                st->sys.coll[m] -= c[m];
        } else {
            cells[LQ_REDIST].d += rest;
            cells[LQ_REDIST_COUNT].i++;
        }
    }
    lc_cdp_record(r, it->i,
                  &(lc_cdp_fill){.market = market,
                                 .units = units,
                                 .x = lc_cdp_price(r, market),
                                 .repaid = debt - bad,
                                 .seized = value,
                                 .bad_debt = bad,
                                 .liquidator_pnl = comp + p[LQ_GAS_COMP] - st->lq.gas});
    lc_book_take(r->book, it->i); /* closed, though a redistribution before reopened it */
}

static int by_icr(const void *x, const void *y)
{
    const struct trove_icr *a = x, *b = y;
    if (a->icr != b->icr)
        return a->icr < b->icr ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Recovery mode (TroveManager l.349–426, 546–602), before the step's
 * cascade: while TCR < ccr, the troves at MCR <= ICR < TCR, by ICR, each
 * liquidated when the pool covers its whole debt, at a capped rate: the
 * pool gets collateral worth MCR × the debt (less the 0.5% compensation),
 * the owner the surplus; TCR is recomputed after each. (Troves below MCR go
 * through the rounds, as in normal mode, those at ICR <= 100% redistributed
 * whole.) Costs O(troves) per step in recovery mode, nothing otherwise. */
static void on_step(lc_rule_inst *ri, lc_run *r)
{
    liquity *st = ri->state;
    const double *p = ri->set->p;
    if (!(p[LQ_CCR] > 0) || !(tcr(st, r) < p[LQ_CCR]))
        return;
    const lc_population *pop = r->pop;
    double marks[LC_MAX_MARKETS];
    lc_run_marks(r, marks);
    long n = 0;
    for (long i = pop->span0; i < pop->n; i++) {
        if (lc_population_margin(pop, i) != LC_MARGIN_CDP || !lc_book_is_open(r->book, i))
            continue;
        lc_account a;
        lc_book_account(r->book, i, &a);
        lc_span_eval e = lc_cdp_evaluate(r->sc, a.emode, a.col, a.ncol, marks);
        /* ICR = value/debt; E = value·lt with lt = 1/MCR, so ICR/MCR = E/R */
        double hf = e.requirement > 0 ? e.equity / e.requirement : INFINITY;
        if (hf >= 1 && hf < INFINITY) /* at or above MCR: the rounds take the rest */
            st->order[n++] = (struct trove_icr){hf, i};
    }
    qsort(st->order, (size_t)n, sizeof *st->order, by_icr);
    lc_cell *cells = lc_rule_cells(r, ri);
    for (long k = 0; k < n && !r->oom; k++) {
        double t = tcr(st, r);
        if (!(t < p[LQ_CCR]))
            break; /* back to normal mode */
        long i = st->order[k].i;
        lc_account a;
        lc_book_account(r->book, i, &a);
        double debt = 0, value = 0, units = 0;
        int market = pop->market[i];
        for (int j = 0; j < a.ncol; j++) {
            double pr = lc_cdp_price(r, a.col[j].asset);
            if (a.col[j].amount < 0)
                debt -= a.col[j].amount * pr;
            else if (a.col[j].asset == market) {
                value += a.col[j].amount * pr;
                units += a.col[j].amount;
            }
        }
        double mcr = 1 / r->sc->market[market].lt, price = lc_cdp_price(r, market);
        if (!(value / debt < t)) /* ICR >= TCR: the rest are too */
            break;
        if (debt > st->pool || !(debt > 0))
            continue; /* the pool cannot take it whole: skipped */
        double capped = debt * mcr / price, comp = capped * p[LQ_COLL_COMP];
        if (!lc_liquidators_pays(&st->lq, comp * price + p[LQ_GAS_COMP], 0))
            continue;
        st->pool = debt == st->pool ? 0 : st->pool - debt;
        st->pool_coll[market] += capped - comp;
        st->sys.debt -= debt;
        st->sys.coll[market] -= units;
        cells[LQ_OFFSET].d += debt;
        cells[LQ_RECOVERY].i++;
        cells[LQ_SURPLUS].d += (units - capped) * price;
        lc_book_take(r->book, i); /* closed: its surplus claimable by its owner */
        st->gone[i - pop->span0] = st->tag;
        st->live--;
        lc_cdp_record(r, i,
                      &(lc_cdp_fill){.market = market,
                                     .units = capped,
                                     .x = price,
                                     .repaid = debt,
                                     .seized = capped * price,
                                     .liquidator_pnl = comp * price + p[LQ_GAS_COMP] - st->lq.gas});
    }
}

static void on_end(lc_rule_inst *ri, lc_run *r)
{
    liquity *st = ri->state;
    lc_cell *cells = lc_rule_cells(r, ri);
    double v = 0;
    for (int m = 0; m < r->nmk; m++)
        v += st->pool_coll[m] * r->mk[m].p;
    cells[LQ_POOL_END].d = st->pool;
    cells[LQ_POOL_COLL_END].d = v;
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)s;
    return sc->lending == LC_LENDING_LIQUITY;
}

const lc_rule lc_rule_liquity = {
    .d = {"liquity",
          "Liquity v1 trove liquidations: the stability pool offsets, the rest is "
          "redistributed to the other troves by stake (normal mode)",
          params, LC_COUNT(params), NULL},
    .section = "venue.liquity",
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .changes_positions = 1,
    .state_size = sizeof(liquity),
    .enabled = enabled,
    .create = create,
    .destroy = destroy,
    .on_run = on_run,
    .on_step = on_step,
    .on_breach = on_breach,
    .on_settle = on_settle,
    .on_end = on_end,
};

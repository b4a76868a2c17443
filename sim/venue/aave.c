/* aave.c — Aave v3.3's liquidation of lending CDPs (venue.aave; on when
 * venue.lending is aave). Every formula is aave-dao/aave-v3-origin at tag
 * v3.3.0 (commit 5431379f), src/contracts/protocol/libraries/logic/
 * LiquidationLogic.sol (executeLiquidationCall, l.270–413;
 * _calculateAvailableCollateralToLiquidate, l.633–684), in real numbers
 * (the contract's wei rounding is not modelled).
 *
 * A breached CDP (health factor HF = E/R <= 1, cdp.h) is liquidated by a
 * liquidator (liquidators.h) who repays its largest debt d at the oracle
 * (the marks) against the collateral c that pays it best, as much as it
 * may:
 *  - close factor (l.270–302): all of debt d, unless the value of c and of
 *    d are both >= full_close_below ($2,000, MIN_BASE_MAX_CLOSE_FACTOR_
 *    THRESHOLD) and HF > close_factor_hf (0.95, CLOSE_FACTOR_HF_THRESHOLD):
 *    then at most close_factor (50%, DEFAULT_LIQUIDATION_CLOSE_FACTOR) of
 *    the account's total debt value R;
 *  - capacity: at most what the liquidators have left in the step;
 *  - seized (l.633–684): seize = repay·P_d/P_c·(1 + bonus_c), capped by the
 *    balance of c, when repay = balance·P_c/P_d/(1 + bonus_c); the protocol
 *    fee is protocol_fee × the bonus part, fee = (seize − seize/(1 +
 *    bonus))·protocol_fee, out of seize: the liquidator receives seize − fee;
 *  - dust (l.320–344): when neither debt d nor collateral c is cleared, both
 *    must be left worth >= min_leftover ($1,000, MIN_LEFTOVER_BASE) or the
 *    call reverts; the liquidator then repays the most that leaves both at
 *    least min_leftover (it would pass a smaller debtToCover), or nothing;
 *  - deficit (l.356–357, _burnDebtTokens l.531–601, _burnBadDebt
 *    l.696–730): a liquidation that seizes the account's last collateral
 *    burns every debt left, recorded as bad debt (cdp_bad_debt, the event's
 *    shortfall).
 * It acts when it pays (liquidators.h; a liquidation too large for the book
 * to pay is halved until one does): it sells the collateral it receives
 * into c's market and, for a debt in a market's asset, buys what it repays
 * in d's market, both in the round's flow (impact, and the cascade they may
 * start); else the account waits. An account left with debt and collateral
 * stays open with its new balances (a later round or step may liquidate it
 * again); one left without debt, or without collateral, is closed. A CDP
 * in the eMode category (markets[k].lending.emode) counts the category's lt
 * and is paid its bonus for collateral in the category's collateral bitmap
 * (executeLiquidationCall's eMode branch; GenericLogic.
 * calculateUserAccountData for the threshold: lc_lending_lt and
 * lc_lending_bonus, scenario.h). Identities, asserted at every liquidation: the collateral
 * before = after + seize; the debt before = after + repay + burned; and
 * seize·P_c = repay·P_d·(1 + bonus) unless the balance capped it. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "engine/run.h"
#include "scenario/scenario.h"
#include "venue/cdp.h"
#include "venue/liquidators.h"

enum { AAVE_CLOSE_FACTOR, AAVE_CLOSE_FACTOR_HF, AAVE_FULL_CLOSE, AAVE_MIN_LEFTOVER, AAVE_FEE };
enum { AAVE_HALF, AAVE_DEFICITS }; /* its /runs cells */

static const lc_param params[] = {
    [AAVE_CLOSE_FACTOR] = {"close_factor", "1", LC_REAL, 0.5, 0, 1, 1, 1,
                           "most of the total debt value one liquidation repays while the close "
                           "factor applies (DEFAULT_LIQUIDATION_CLOSE_FACTOR, 50%)"},
    [AAVE_CLOSE_FACTOR_HF] = {"close_factor_hf", "1", LC_REAL, 0.95, 0, 1, 0, 1,
                              "the close factor applies above this health factor; at or below "
                              "it the whole debt may be repaid (CLOSE_FACTOR_HF_THRESHOLD)"},
    [AAVE_FULL_CLOSE] = {"full_close_below", "quote", LC_REAL, 2000, 0, 1e300, 0, 0,
                         "the whole debt may be repaid when the collateral or the debt "
                         "liquidated is worth less (MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD, $2,000)"},
    [AAVE_MIN_LEFTOVER] = {"min_leftover", "quote", LC_REAL, 1000, 0, 1e300, 0, 0,
                           "a liquidation that clears neither must leave the debt and the "
                           "collateral each worth at least this (MIN_LEFTOVER_BASE, $1,000)"},
    [AAVE_FEE] = {"protocol_fee", "1", LC_REAL, 0.1, 0, 1, 0, 0,
                  "the protocol's share of the liquidation bonus (liquidationProtocolFee)"},
};
static const lc_rule_column columns[] = {
    [AAVE_HALF] = {"aave_close_factor_count", 'i', "liquidations",
                   "Aave liquidations while the close factor applied that left the account part "
                   "of its debt (the close factor, or capacity or sizing under it)"},
    [AAVE_DEFICITS] = {"aave_deficit_count", 'i', "liquidations",
                       "Aave liquidations that seized the last collateral and burned the debt "
                       "left as deficit"},
};

/* One item's liquidation, decided in on_breach. */
typedef struct fill {
    int c, d;                 /* the balances liquidated: collateral, debt */
    double repay, seize, fee; /* units of d repaid, of c seized, of c to the protocol */
    double pc, pd;            /* their oracle prices */
    int half;                 /* the close factor limited it */
} fill;

typedef struct aave {
    lc_liquidators lq;
    const lc_item *plan; /* the round's plan: an item's fill is fills[item − plan] */
    fill *fills;
    long cap;
} aave;

static int create(lc_rule_inst *ri, const lc_scenario *sc, const lc_book *book)
{
    (void)book;
    lc_liquidators_init(&((aave *)ri->state)->lq, sc);
    return 0;
}

static void destroy(lc_rule_inst *ri)
{
    free(((aave *)ri->state)->fills);
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    (void)r;
    ((aave *)ri->state)->lq.step = -1;
}

/* The liquidation of account a repaying at most `repay` of debt d against
 * collateral c (the balance's cap and the dust rule applied), into f; 0 when
 * nothing may be repaid. */
static int size(const lc_rule_setting *set, const lc_run *r, const lc_account *a, int c, int d,
                double repay, fill *f)
{
    const double *p = set->p;
    double bonus = lc_lending_bonus(r->sc, a->emode, a->col[c].asset);
    double pc = lc_cdp_price(r, a->col[c].asset), pd = lc_cdp_price(r, a->col[d].asset);
    double bal = a->col[c].amount, debt = -a->col[d].amount;
    double seize = repay * pd / pc * (1 + bonus);
    if (seize > bal) { /* the balance caps it: the debt repaid follows */
        seize = bal;
        repay = bal * pc / pd / (1 + bonus);
    }
    double floor = p[AAVE_MIN_LEFTOVER];
    if (repay < debt && seize < bal &&
        !((debt - repay) * pd >= floor && (bal - seize) * pc >= floor)) {
        double by_debt = debt - floor / pd, by_coll = (bal * pc - floor) / (1 + bonus) / pd;
        repay = fmin(repay, fmin(by_debt, by_coll)); /* the most that leaves no dust */
        seize = repay * pd / pc * (1 + bonus);
    }
    if (!(repay > 0))
        return 0;
    double fee = (seize - seize / (1 + bonus)) * p[AAVE_FEE];
    *f = (fill){c, d, repay, seize, fee, pc, pd, 0};
    return 1;
}

/* The liquidation of account a the liquidators make, into f; 0 when none
 * (it waits). Against its largest debt d, for each collateral c, they
 * repay all they may (close factor, capacity) if that pays, else the most
 * of its halvings that does (a liquidator sizes its trade to the book:
 * LC_LIQUIDATOR_HALVINGS tries); of the collaterals, the one that pays best (an
 * asset whose oracle is above its market, a depegged token at a fixed
 * rate, pays nothing). */
static int decide(aave *st, const lc_rule_setting *set, lc_run *r, const lc_account *a,
                  const lc_span_eval *e, fill *f)
{
    const double *p = set->p;
    int d = lc_cdp_largest(r, a, -1), found = 0;
    if (d < 0)
        return 0;
    int md = a->col[d].asset;
    double pd = lc_cdp_price(r, md), debt = -a->col[d].amount, hf = e->equity / e->requirement;
    double left = lc_liquidators_left(&st->lq, r), best = -INFINITY;
    for (int c = 0; c < a->ncol; c++) {
        if (!(a->col[c].amount > 0))
            continue;
        int mc = a->col[c].asset;
        double pc = lc_cdp_price(r, mc), repay = debt;
        int half = 0;
        if (a->col[c].amount * pc >= p[AAVE_FULL_CLOSE] && debt * pd >= p[AAVE_FULL_CLOSE] &&
            hf > p[AAVE_CLOSE_FACTOR_HF] && debt * pd > p[AAVE_CLOSE_FACTOR] * e->requirement) {
            repay = p[AAVE_CLOSE_FACTOR] * e->requirement / pd;
            half = 1;
        }
        if (repay * pd > left)
            repay = left / pd;
        fill g;
        for (int h = 0; h < LC_LIQUIDATOR_HALVINGS && size(set, r, a, c, d, repay, &g);
             h++, repay /= 2) {
            /* what it pays: the collateral it receives sold into c's market,
             * what it repays bought in d's (quote: at 1); NaN pays nothing */
            double got = (g.seize - g.fee) * lc_liquidators_quote(r, mc, -(g.seize - g.fee));
            double cost = md == LC_QUOTE ? g.repay : g.repay * lc_liquidators_quote(r, md, g.repay);
            if (lc_liquidators_pays(&st->lq, got, cost)) {
                if (got - cost > best) {
                    best = got - cost;
                    *f = g;
                    f->half = half && g.repay < debt;
                    found = 1;
                }
                break;
            }
        }
    }
    if (found)
        lc_liquidators_use(&st->lq, f->repay * pd);
    return found;
}

static void on_breach(lc_rule_inst *ri, lc_run *r, lc_item *plan, long n)
{
    aave *st = ri->state;
    if (lc_cdp_items(r, (void **)&st->fills, &st->cap, n, sizeof *st->fills))
        return;
    st->plan = plan;
    double marks[LC_MAX_MARKETS];
    lc_run_marks(r, marks);
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        if (it->margin != &lc_margin_cdp || it->taken)
            continue;
        lc_account a;
        lc_book_account(r->book, it->i, &a);
        lc_span_eval e = lc_cdp_evaluate(r->sc, a.emode, a.col, a.ncol, marks);
        fill *f = &st->fills[k];
        if (!lc_liquidators_ready(&st->lq, r, it->i) || !decide(st, ri->set, r, &a, &e, f))
            continue; /* it waits (cdp.c defers it) */
        it->taken = 1;
        int mc = a.col[f->c].asset, md = a.col[f->d].asset;
        it->trade[0] =
            (lc_trade){.market = mc, .side = 1, .sell = 1, .leg = f->c, .qty = f->seize - f->fee};
        if (md != LC_QUOTE) /* it buys the debt asset it repays: a short's close */
            it->trade[1] = (lc_trade){.market = md, .side = -1, .leg = f->d, .qty = f->repay};
    }
}

static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (!it->taken || it->margin != &lc_margin_cdp)
        return;
    aave *st = ri->state;
    const fill *f = &st->fills[it - st->plan];
    lc_cell *cells = lc_rule_cells(r, ri);
    lc_account a;
    lc_book_account(r->book, it->i, &a);
    int md = a.col[f->d].asset;
    double bonus = lc_lending_bonus(r->sc, a.emode, a.col[f->c].asset);
    double coll0 = a.col[f->c].amount, debt0 = -a.col[f->d].amount;
    (void)bonus; /* the asserts' */
    assert(f->seize == coll0 ||
           fabs(f->seize * f->pc - f->repay * f->pd * (1 + bonus)) <= 1e-9 * f->seize * f->pc);
    a.col[f->c].amount = f->seize == coll0 ? 0 : coll0 - f->seize;
    a.col[f->d].amount = f->repay == debt0 ? 0 : -(debt0 - f->repay);
    /* no collateral left: every debt left is burned as deficit */
    int any_coll = 0, any_debt = 0;
    for (int k = 0; k < a.ncol; k++)
        any_coll |= a.col[k].amount > 0;
    double burned = 0;
    for (int k = 0; !any_coll && k < a.ncol; k++)
        if (a.col[k].amount < 0) {
            burned += -a.col[k].amount * lc_cdp_price(r, a.col[k].asset);
            a.col[k].amount = 0;
        }
    for (int k = 0; k < a.ncol; k++)
        any_debt |= a.col[k].amount < 0;
    assert(fabs(coll0 - a.col[f->c].amount - f->seize) <= 1e-12 * coll0);
    assert(!any_coll || fabs(debt0 + a.col[f->d].amount - f->repay) <= 1e-12 * debt0);
    double proceeds = (f->seize - f->fee) * it->trade[0].x;
    double cost = md == LC_QUOTE ? f->repay : f->repay * it->trade[1].x;
    lc_cdp_record(r, it->i,
                  &(lc_cdp_fill){.market = a.col[f->c].asset,
                                 .units = f->seize,
                                 .x = it->trade[0].x,
                                 .repaid = f->repay * f->pd,
                                 .seized = f->seize * f->pc,
                                 .fee = f->fee * f->pc,
                                 .bad_debt = burned,
                                 .liquidator_pnl = proceeds - cost - st->lq.gas});
    cells[AAVE_HALF].i += f->half;
    cells[AAVE_DEFICITS].i += burned > 0;
    if (any_coll && any_debt) { /* what is left stays open, empty balances dropped */
        int n = 0;
        for (int k = 0; k < a.ncol; k++)
            if (a.col[k].amount != 0)
                a.col[n++] = a.col[k];
        lc_run_span_keep(r, it->i, a.col, n);
    }
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)s;
    return sc->lending == LC_LENDING_AAVE;
}

const lc_rule lc_rule_aave = {
    .d = {"aave",
          "Aave v3.3 liquidations of lending CDPs: close factor, bonus, protocol fee, "
          "dust and deficit",
          params, LC_COUNT(params), NULL},
    .section = "venue.aave",
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .changes_positions = 1,
    .state_size = sizeof(aave),
    .enabled = enabled,
    .create = create,
    .destroy = destroy,
    .on_run = on_run,
    .on_breach = on_breach,
    .on_settle = on_settle,
};

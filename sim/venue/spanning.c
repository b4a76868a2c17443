/* spanning.c — cross and portfolio margin (margin.h, spanning.h): accounts
 * with several positions and collateral in several assets.
 *
 * Plan of a breached account: every position closes whole into its market;
 * if the quote balance after closing at the marks, less the liquidation fee
 * on the closed notional, is negative, its non-quote collateral is sold
 * into the collateral's market, asset by asset in the account's order, each
 * as much as covers what is still missing at the mark (all of it at most).
 *
 * Settlement at the round's prices x (the trades' VWAPs): the quote balance
 * becomes Q = quote + Σ s·q·(x_m − E0) + Σ sold·x_a. If Q < 0 (the prices
 * were worse than the marks), the collateral not sold is taken by the venue
 * at its mark to cover it (no trade: the venue keeps the asset, valued at
 * that mark from then on, a simplification; /runs collateral_taken, event
 * kind 8). Then, as
 * for an isolated account (venue.h lc_settle): if Q >= 0 the fee is
 * min(fee_rate·Σ q·x_m, Q), paid to the insurance fund, and the rest with
 * the collateral not taken is returned; if Q < 0, −Q is the shortfall, which
 * the fund covers while it can and the rest is bad debt. Identity (asserted
 * at every settlement, held to the cent by tests):
 *   quote + pnl + Σ sold·x + Σ taken·M = returned quote + fee − shortfall.
 * What the fund cannot pay goes to the rules' on_shortfall (ADL across
 * markets, venue/adl.c) and the rest is bad debt. Partial liquidation and
 * top-ups are rules of isolated positions: they leave spanning accounts
 * alone. */
#include "venue/spanning.h"

#include <assert.h>
#include <math.h>

#include "engine/run.h"
#include "venue/cdp.h"
#include "venue/venue.h"

double lc_span_threshold(const lc_scenario *sc, int margin)
{
    return margin == LC_MARGIN_PORTFOLIO ? sc->uni_mmr : 1.0;
}

lc_span_eval lc_span_evaluate(const lc_scenario *sc, int margin, int emode, const lc_position *pos,
                              int npos, const lc_balance *col, int ncol, const double *marks)
{
    if (margin == LC_MARGIN_CDP)
        return lc_cdp_evaluate(sc, emode, col, ncol, marks);
    double theta = lc_span_threshold(sc, margin), e = 0, r = 0, x = 0;
    double net[LC_MAX_MARKETS] = {0}, gross[LC_MAX_MARKETS] = {0}; /* per market, above */
    for (int k = 0; k < ncol; k++) {
        int a = col[k].asset;
        if (a == LC_QUOTE) {
            e += col[k].amount;
            continue;
        }
        double v = col[k].amount * marks[a] * sc->market[a].collateral_rate;
        e += v;
        net[a] += v;
    }
    for (int k = 0; k < npos; k++) {
        const lc_position *p = &pos[k];
        const lc_market_spec *ms = &sc->market[p->market];
        int a = p->market;
        double m = marks[a], n = p->qty * m;
        e += p->side * p->qty * (m - p->entry);
        r += lc_maintenance(ms->tiers, ms->ntiers, n);
        net[a] += p->side * n;
        gross[a] += theta * ms->mmr_max * n;
    }
    double fall = 0, rise = 0;
    for (int a = 0; a < sc->nmarkets; a++) { /* 0 for a market without a leg */
        x += net[a] > gross[a] - net[a] ? net[a] : gross[a] - net[a];
        fall += net[a] > 0 ? net[a] : 0;
        rise += gross[a] > net[a] ? gross[a] - net[a] : 0;
    }
    return (lc_span_eval){e, r, e - theta * r, x, fall, rise};
}

/* ρ shrunk so that rounding can never let a breach pass (spanning.h) */
static double shrink(double rho)
{
    rho = rho * (1 - LC_SPAN_RADIUS_REL) - LC_SPAN_RADIUS_ABS;
    return rho > 0 ? rho : 0;
}

double lc_span_radius(lc_span_eval e)
{
    if (!(e.slack > 0) || !(e.exposure > 0))
        return e.slack > 0 ? INFINITY : 0; /* no exposure: no price can breach it */
    double u = e.slack / e.exposure;       /* 2u/(2 + u) <= log1p(u) for u >= 0 */
    return shrink(2 * u / (2 + u));
}

double lc_span_reach(lc_span_eval e, lc_reach_dir *dir)
{
    *dir = LC_REACH_EITHER;
    if (!(e.slack > 0))
        return 0;
    if (e.rise == 0 && e.fall > 0) { /* only falls hurt: ρ < −log1p(−S/fall) */
        *dir = LC_REACH_FALLS;
        double u = e.slack / e.fall;
        return u >= 1 ? INFINITY : shrink(-log1p(-u));
    }
    if (e.fall == 0 && e.rise > 0) { /* only rises: ρ < log1p(S/rise) */
        *dir = LC_REACH_RISES;
        return shrink(log1p(e.slack / e.rise));
    }
    return lc_span_radius(e);
}

lc_span_eval lc_span_evaluate_account(const lc_scenario *sc, const lc_population *p, long i,
                                      const double *marks)
{
    int npos, ncol;
    const lc_position *pos = lc_span_positions(p, i, &npos);
    const lc_balance *col = lc_span_balances(p, i, &ncol);
    return lc_span_evaluate(sc, lc_population_margin(p, i), lc_population_emode(p, i), pos, npos,
                            col, ncol, marks);
}

lc_span_eval lc_span_evaluate_book(const lc_scenario *sc, const lc_book *b, long i,
                                   const double *marks)
{
    int npos, ncol;
    const lc_position *pos;
    const lc_balance *col;
    lc_book_span_legs(b, i, &pos, &npos, &col, &ncol);
    return lc_span_evaluate(sc, lc_population_margin(b->pop, i), lc_population_emode(b->pop, i),
                            pos, npos, col, ncol, marks);
}

/* ---- the margin models ---------------------------------------------------- */

static double quote_of(const lc_balance *col, int ncol)
{
    double q = 0;
    for (int k = 0; k < ncol; k++)
        if (col[k].asset == LC_QUOTE)
            q += col[k].amount;
    return q;
}

static int span_plan(const lc_run *r, lc_item *it, lc_trade *trade)
{
    int npos, ncol, n = 0;
    const lc_position *pos;
    const lc_balance *col;
    lc_book_span_legs(r->book, it->i, &pos, &npos, &col, &ncol);
    double quote = quote_of(col, ncol), rate = r->sc->liquidation_fee;
    it->side = 0;
    it->q = 0;
    it->c = quote;
    double after = quote;
    for (int k = 0; k < npos; k++) {
        double m = lc_run_mark_of(r, pos[k].market);
        after += pos[k].side * pos[k].qty * (m - pos[k].entry) - rate * pos[k].qty * m;
        trade[n++] =
            (lc_trade){.market = pos[k].market, .side = pos[k].side, .qty = pos[k].qty, .leg = k};
    }
    for (int k = 0; k < ncol && after < 0; k++) {
        if (col[k].asset == LC_QUOTE || !(col[k].amount > 0))
            continue;
        double m = lc_run_mark_of(r, col[k].asset), u = -after / m;
        if (!(u < col[k].amount))
            u = col[k].amount;
        after += u * m;
        trade[n++] = (lc_trade){.market = col[k].asset, .side = 1, .qty = u, .sell = 1, .leg = k};
    }
    return n;
}

static void span_settle(lc_run *r, lc_item *it)
{
    const lc_scenario *sc = r->sc;
    long i = it->i;
    int npos, ncol;
    const lc_position *pos;
    const lc_balance *col;
    lc_book_span_legs(r->book, i, &pos, &npos, &col, &ncol);
    double sold[LC_SPAN_MAX_LEGS] = {0}; /* per balance k: units sold */
    double quote = it->c, pnl = 0, notional = 0, proceeds = 0;
    for (int k = 0; k < npos; k++) { /* trades: the positions, then the sales */
        const lc_trade *t = &it->trade[k];
        pnl += t->side * t->qty * (t->x - pos[k].entry);
        notional += t->qty * t->x;
    }
    for (int k = npos; k < it->ntrade; k++) {
        const lc_trade *t = &it->trade[k];
        sold[t->leg] = t->qty;
        proceeds += t->qty * t->x;
    }
    double q = quote + pnl + proceeds, taken_value = 0, taken[LC_SPAN_MAX_LEGS] = {0};
    for (int k = 0; k < ncol && q < 0; k++) { /* the rest of the collateral, at the mark */
        if (col[k].asset == LC_QUOTE)
            continue;
        double m = lc_run_mark_of(r, col[k].asset), left = col[k].amount - sold[k];
        double take = -q / m;
        if (!(take < left))
            take = left > 0 ? left : 0;
        q += take * m;
        taken_value += take * m;
        taken[k] = take;
    }
    double fee = 0, shortfall = 0, covered = 0, bad = 0, moved = 0;
    if (q >= 0) {
        fee = sc->liquidation_fee * notional;
        if (!(fee < q))
            fee = q;
    } else {
        shortfall = -q;
        covered = shortfall < r->insurance ? shortfall : r->insurance;
        bad = shortfall - covered;
    }
    double returned = q >= 0 ? q - fee : 0;
    assert(fabs(quote + pnl + proceeds + taken_value - (returned + fee - shortfall)) <=
           1e-9 * (fabs(quote) + fabs(pnl) + proceeds + taken_value + 1));
    (void)returned;
    r->insurance += fee - covered;
    lc_run_row *row = r->row;
    for (int k = 0; k < npos; k++) {
        const lc_trade *t = &it->trade[k];
        if (t->side > 0)
            row->mk[t->market].liq_count_long++;
        else
            row->mk[t->market].liq_count_short++;
        lc_run_book_notional(r, t->market, t->side, t->qty * t->x);
        lc_run_reduce_side(r, t->market, t->side, t->qty, 1);
        /* the account's fee and shortfall on its first position's row */
        lc_run_event_at(r, i, t->market, LC_EVENT_LIQUIDATION, t->side * t->qty, t->x, k ? 0 : fee,
                        k ? 0 : shortfall);
    }
    for (int k = npos; k < it->ntrade; k++) {
        const lc_trade *t = &it->trade[k];
        row->collateral_sold += t->qty * t->x;
        lc_run_event_at(r, i, t->market, LC_EVENT_COLLATERAL_SALE, -t->qty, t->x, 0, 0);
    }
    for (int k = 0; k < ncol; k++)
        if (taken[k] > 0) {
            double m = lc_run_mark_of(r, col[k].asset);
            row->collateral_taken += taken[k] * m;
            lc_run_event_at(r, i, col[k].asset, LC_EVENT_COLLATERAL_TAKEN, -taken[k], m, 0, 0);
        }
    if (bad > 0) { /* ADL across markets may take it from the other sides */
        moved = lc_run_on_shortfall(r, it, bad);
        bad = moved < bad ? bad - moved : 0;
    }
    assert(fabs(covered + moved + bad - shortfall) <= 1e-9 * (shortfall + 1));
    row->span_liq_count++;
    row->fees += fee;
    row->bad_debt += bad;
    lc_run_fund_seen(r);
    it->fee = fee;
    it->shortfall = shortfall;
}

static double span_equity(const lc_account *a, const double *marks, const lc_scenario *sc)
{
    return lc_span_evaluate(sc, a->margin, a->emode, a->pos, a->npos, a->col, a->ncol, marks)
        .equity;
}

static double span_requirement(const lc_account *a, const double *marks, const lc_scenario *sc)
{
    return lc_span_evaluate(sc, a->margin, a->emode, a->pos, a->npos, a->col, a->ncol, marks)
        .requirement;
}

const lc_margin_model lc_margin_cross = {
    .name = "cross",
    .doc = "one account value (quote, collateral at mark × collateral_rate, every position's "
           "pnl) against the sum of the positions' tier maintenance; breached at E <= R",
    .max_trades = 2 * LC_MAX_MARKETS,
    .equity = span_equity,
    .requirement = span_requirement,
    .plan = span_plan,
    .settle = span_settle,
};

const lc_margin_model lc_margin_portfolio = {
    .name = "portfolio",
    .doc = "Binance portfolio margin: the cross account value with haircut collateral over the "
           "tier maintenance (uniMMR); liquidated at uniMMR <= venue.uni_mmr",
    .max_trades = 2 * LC_MAX_MARKETS,
    .equity = span_equity,
    .requirement = span_requirement,
    .plan = span_plan,
    .settle = span_settle,
};

const lc_margin_model *const lc_margin_models[LC_MARGIN_NKINDS] = {
    [LC_MARGIN_ISOLATED] = &lc_margin_isolated,
    [LC_MARGIN_CROSS] = &lc_margin_cross,
    [LC_MARGIN_PORTFOLIO] = &lc_margin_portfolio,
    [LC_MARGIN_CDP] = &lc_margin_cdp,
};

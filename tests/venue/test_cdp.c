/* test_cdp.c — lending CDPs (venue/cdp.c, aave.c, compound.c,
 * liquidators.c; DESIGN §14), against numbers worked out by hand from the
 * protocols' formulas (each case's comment shows the arithmetic; Aave's
 * are the examples of aave-v3-origin v3.3.0 LiquidationLogic, Compound's of
 * comet's absorbInternal and quoteCollateral), asserted to the cent:
 *  - the health factor and the slack finder's exposure of a CDP;
 *  - Aave: a liquidation the 50% close factor limits (the account stays
 *    open, healthier), a 100% one the collateral caps with a deficit, a
 *    liquidation the liquidators' capacity cuts and the dust rule trims;
 *  - Compound III: an absorb with a positive and with a negative outcome,
 *    the storefront's discount, the reserves' identity;
 *  - Maker Liquidations 2.0: a bark, its stairstep auction taken below the
 *    market, sold out below its debt (bad debt), reset at its cusp, limited
 *    by the hole;
 *  - liquidators who do not show up: latency (the account waits, breached,
 *    its steps), a sale that does not pay (never liquidated), capacity;
 *  - the identities per event (collateral, debt, bonus, fee, bad debt);
 *  - slack == scan over drawn populations of CDPs with partial
 *    liquidations and waits (the finders' reopened accounts);
 *  - contagion: a CDP's collateral sale liquidates a perpetual long in the
 *    next round of the same step, on a deterministic path.
 * Every run goes through both engines, which must agree bit for bit
 * (t_run_both). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/book.h"
#include "engine/engine.h"
#include "engine/scratch.h"
#include "out/record.h"
#include "support.h"
#include "venue/cdp.h"

#define CENT 0.005

static void near(double got, double want, const char *what)
{
    cr_assert(fabs(got - want) < CENT, "%s: %.6f, want %.6f", what, got, want);
}

/* One ETH market from s0, falling to s1 at the first step (a step shock,
 * no noise), impact `impact`; LT 0.83, bonus 5% (the examples' values); the
 * protocol and any venue keys in `venue`. */
static lc_scenario *one_market_lending(double s0, double s1, const char *impact,
                                       const char *lending, const char *venue)
{
    char text[2048];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: 4, dt: 60, seed: 1}\n"
             "markets:\n"
             "  - name: ETH\n"
             "    price: {model: gbm, s0: %.17g, mu: 0, sigma: 0,\n"
             "            shock: {shape: step, size: %.17g, start: 0}}\n"
             "    impact: %s\n"
             "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
             "    lending: %s\n"
             "population: {accounts: 1, notional: {dist: fixed, value: 1000}, leverage: {dist: "
             "fixed, value: 2}}\n"
             "venue: %s\n",
             s0, s1 / s0 - 1, impact, lending, venue);
    return t_scenario(text);
}

static lc_scenario *one_market(double s0, double s1, const char *impact, const char *venue)
{
    return one_market_lending(s0, s1, impact, "{lt: 0.83, bonus: 0.05}", venue);
}

/* A CDP of `coll` ETH against a quote debt. */
static lc_account cdp(double coll, double debt)
{
    lc_account a = {.margin = LC_MARGIN_CDP, .ncol = 2};
    a.col[0] = (lc_balance){0, coll};
    a.col[1] = (lc_balance){LC_QUOTE, -debt};
    return a;
}

/* The run's first event of `kind`, or NULL. */
static const lc_event *first_event(const lc_eventbuf *ev, int kind)
{
    for (long i = 0; i < ev->n; i++)
        if (ev->v[i].kind == kind)
            return &ev->v[i];
    return NULL;
}

/* The run's CDP events (kind 9), at most n. */
static int cdp_events(const lc_eventbuf *ev, const lc_event **out, int n)
{
    int k = 0;
    for (long i = 0; i < ev->n && k < n; i++)
        if (ev->v[i].kind == LC_EVENT_CDP)
            out[k++] = &ev->v[i];
    return k;
}

static lc_population *population(const lc_scenario *sc, const lc_account *acc, long n)
{
    lc_error err = {0};
    lc_population *pop = lc_population_from_accounts(sc, n, acc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    return pop;
}

/* ---- the health factor -------------------------------------------------- */

Test(cdp, health_factor_and_exposure_by_hand)
{
    lc_scenario *sc = one_market(2100, 2000, "{model: none}", "{lending: aave}");
    /* 10 ETH at 2000, LT 0.83, 17,000 quote debt: E = 16,600, R = 17,000,
     * HF 0.97647, S = −400; the exposure is the collateral's weighted value
     * (the quote debt has none): X = 16,600 */
    lc_account a = cdp(10, 17000);
    double marks[1] = {2000};
    lc_span_eval e = lc_cdp_evaluate(sc, 0, a.col, a.ncol, marks);
    near(e.equity, 16600, "E");
    near(e.requirement, 17000, "R");
    near(e.slack, -400, "S");
    near(e.exposure, 16600, "X");
    /* an ETH debt against ETH collateral nets: 10·2000·0.83 − 5·2000 */
    lc_balance same[2] = {{0, 10}, {0, -5}};
    e = lc_cdp_evaluate(sc, 0, same, 2, marks);
    near(e.slack, 6600, "S, ETH debt");
    near(e.exposure, 6600, "X, ETH debt (net)");
    /* the margin model agrees, and the radius keeps a healthy CDP safe: at
     * 2100, S = 17,430 − 17,000 = 430, X = 17,430; a fall by e^-ρ leaves S > 0 */
    marks[0] = 2100;
    e = lc_cdp_evaluate(sc, 0, a.col, a.ncol, marks);
    near(lc_margin_cdp.equity(&a, marks, sc), 17430, "equity()");
    near(lc_margin_cdp.requirement(&a, marks, sc), 17000, "requirement()");
    double rho = lc_span_radius(e);
    cr_assert_gt(rho, 0);
    double low[1] = {2100 * exp(-rho)};
    cr_assert_gt(lc_cdp_evaluate(sc, 0, a.col, a.ncol, low).slack, 0);
    /* and not by more than 2x: at e^-2ρ it is breached (the level is 2048.19) */
    low[0] = 2100 * exp(-2 * rho);
    cr_assert_leq(lc_cdp_evaluate(sc, 0, a.col, a.ncol, low).slack, 0);
    /* One collateral, a quote debt: only falls can breach it, and the slack
     * finder's reach is its closed-form distance to the liquidation price
     * P_liq = D/(C·lt) = 17,000/(10·0.83) = 2048.1928: log(2100/P_liq)
     * = 0.025045, shrunk by 1e-9 relative and absolute (spanning.h) */
    lc_reach_dir dir;
    double reach = lc_span_reach(e, &dir), pliq = 17000 / (10 * 0.83);
    cr_assert_eq(dir, LC_REACH_FALLS);
    near(e.fall, 17430, "fall");
    cr_assert_eq(e.rise, 0, "a quote debt gains nothing on rises");
    near(reach, log(2100 / pliq) * (1 - 1e-9) - 1e-9, "reach");
    low[0] = 2100 * exp(-reach); /* just above P_liq: safe */
    cr_assert_gt(lc_cdp_evaluate(sc, 0, a.col, a.ncol, low).slack, 0);
    cr_assert_lt(low[0] / pliq - 1, 3e-9, "within the shrink of P_liq");
    low[0] = pliq * (1 - 1e-12); /* just below: breached */
    cr_assert_leq(lc_cdp_evaluate(sc, 0, a.col, a.ncol, low).slack, 0);
    /* an ETH debt against USDC-like quote collateral would lose on rises;
     * an ETH debt against ETH collateral nets long: falls only */
    e = lc_cdp_evaluate(sc, 0, same, 2, marks);
    lc_span_reach(e, &dir);
    cr_assert_eq(dir, LC_REACH_FALLS);
    lc_scenario_free(sc);
}

/* ---- Aave ----------------------------------------------------------------- */

/* aave-v3-origin v3.3.0 example A: 10 ETH, 17,000 USDC, ETH 2100 → 2000,
 * HF 0.976 > 0.95 and both sides >= $2,000: at most 50% of the total debt,
 *   repay 8,500; seize 8,500/2000·1.05 = 4.4625 ETH; fee (4.4625 −
 *   4.25)·0.1 = 0.02125 ETH = $42.50; the liquidator gets 4.44125 ETH =
 *   $8,882.50 (no impact: sold at 2000), its pnl 382.50;
 * left: 5.5375 ETH and 8,500 USDC, HF 1.0814: open, not liquidated again. */
Test(cdp, aave_half_close_factor_leaves_the_account_open)
{
    lc_scenario *sc = one_market(2100, 2000, "{model: none}", "{lending: aave}");
    lc_account a = cdp(10, 17000);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1, "one liquidation, the account left healthy");
    cr_assert_eq(row.cdp_liq_count, 1);
    near(-e[0]->qty, 4.4625, "seized ETH");
    near(e[0]->price, 2000, "sold at");
    near(e[0]->fee, 42.50, "protocol fee");
    near(e[0]->shortfall, 0, "no deficit");
    near(row.cdp_repaid, 8500, "repaid");
    near(row.cdp_seized, 8925, "seized value");
    near(row.cdp_protocol_fee, 42.50, "fee");
    near(row.cdp_liquidator_pnl, 382.50, "liquidator pnl");
    near(row.cdp_bad_debt, 0, "bad debt");
    cr_assert_eq(lc_run_value(&row, "aave_close_factor_count"), 1);
    cr_assert_eq(lc_run_value(&row, "aave_deficit_count"), 0);
    cr_assert_eq(row.liq_count_long + row.liq_count_short, 0, "no perpetual liquidated");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* Example B: 1 ETH, 1,600 USDC, ETH 2000 → 1500: collateral worth $1,500 <
 * $2,000, so all the debt; seize 1600/1500·1.05 = 1.12 > 1: capped at 1 ETH,
 * repay 1500/1.05 = 1,428.571429; fee (1 − 1/1.05)·0.1 = 0.004761905 ETH =
 * $7.142857; the last collateral: the debt left, 1600 − 1428.571429 =
 * 171.428571, is burned as deficit; the liquidator gets 0.995238095 ETH =
 * $1,492.857143, pnl 64.285714. */
Test(cdp, aave_full_close_capped_by_the_collateral_leaves_a_deficit)
{
    lc_scenario *sc = one_market(2000, 1500, "{model: none}", "{lending: aave}");
    lc_account a = cdp(1, 1600);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1);
    near(-e[0]->qty, 1, "all the collateral");
    near(e[0]->fee, 1500 * (1 - 1 / 1.05) * 0.1, "fee");
    near(e[0]->shortfall, 1600 - 1500 / 1.05, "deficit on the event");
    near(row.cdp_repaid, 1500 / 1.05, "repaid");
    near(row.cdp_bad_debt, 171.428571, "deficit");
    near(row.cdp_liquidator_pnl, (1 - (1500 - 1500 / 1.05) * 0.1 / 1500) * 1500 - 1500 / 1.05,
         "pnl");
    near(row.cdp_liquidator_pnl, 64.285714, "pnl by hand");
    /* identity: seized value = repaid + bonus; repaid + deficit = the debt */
    near(row.cdp_seized, row.cdp_repaid * 1.05, "seized = repaid x (1 + bonus)");
    near(row.cdp_repaid + row.cdp_bad_debt, 1600, "debt = repaid + deficit");
    cr_assert_eq(lc_run_value(&row, "aave_close_factor_count"), 0);
    cr_assert_eq(lc_run_value(&row, "aave_deficit_count"), 1);
    near(row.bad_debt, 0, "the perpetual venue's bad debt is its own");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* 5 ETH, 8,900 USDC, ETH 2100 → 2000: HF 0.9326 <= 0.95, all of it may go,
 * but the liquidators can repay only 8,000 in the step: that would leave
 * $900 of debt (< $1,000, and collateral not cleared): the call would revert,
 * so they repay 7,900, leaving exactly $1,000; seize 7900/2000·1.05 =
 * 4.1475 ETH; left 0.8525 ETH ($1,705) and 1,000 USDC, HF 1.415: open. */
/* eMode (Aave v3.3: the category's liquidationThreshold and
 * liquidationBonus for collateral in the category): 10 ETH, 17,000 quote,
 * ETH in the category at lt 0.90, bonus 1%; ETH 2100 → 1850.
 *  - in eMode: E = 10·1850·0.9 = 16,650 < 17,000, HF 0.97941 > 0.95 and
 *    both sides >= $2,000: half the debt, repay 8,500; seize 8500/1850·1.01
 *    = 4.640541 ETH ($8,585); fee (seize − seize/1.01)·0.1 = 8500·0.01·0.1
 *    = $8.50; the liquidator's pnl 8585 − 8.50 − 8500 = 76.50; left 5.359459
 *    ETH and 8,500: HF 5.359459·1850·0.9/8500 = 1.04982, open;
 *  - out of it (lt 0.83, bonus 5%): HF 10·1850·0.83/17000 = 0.90324 <= 0.95:
 *    all the debt, seize 17000/1850·1.05 = 9.648649 ETH, fee 17000·0.05·0.1
 *    = $85, pnl 17000·0.05 − 85 = 765.
 * At 2000 the eMode CDP is safe (E = 18,000) while the other is breached
 * (16,600). */
Test(cdp, aave_emode_uses_the_category_threshold_and_bonus)
{
    const char *lending = "{lt: 0.83, bonus: 0.05, emode: {lt: 0.9, ltv: 0.88, bonus: 0.01}}";
    lc_scenario *sc = one_market_lending(2100, 1850, "{model: none}", lending, "{lending: aave}");
    lc_account acc[2] = {cdp(10, 17000), cdp(10, 17000)};
    acc[0].emode = 1;
    double m2000[1] = {2000};
    cr_assert_gt(lc_cdp_evaluate(sc, 1, acc[0].col, 2, m2000).slack, 0, "eMode: safe at 2000");
    cr_assert_leq(lc_cdp_evaluate(sc, 0, acc[1].col, 2, m2000).slack, 0, "breached at 2000");
    near(lc_cdp_evaluate(sc, 1, acc[0].col, 2, m2000).equity, 18000, "eMode E");
    lc_population *pop = population(sc, acc, 2);
    cr_assert_eq(lc_population_emode(pop, pop->span0), 1, "the first account is in eMode");
    cr_assert_eq(lc_population_emode(pop, pop->span0 + 1), 0);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 2, "each liquidated once");
    const lc_event *em = e[0]->account == 0 ? e[0] : e[1]; /* account: the index */
    const lc_event *out = em == e[0] ? e[1] : e[0];
    near(-em->qty, 8500 / 1850.0 * 1.01, "eMode: seized ETH");
    near(em->fee, 8.50, "eMode: protocol fee");
    near(em->shortfall, 0, "eMode: no deficit");
    near(-out->qty, 17000 / 1850.0 * 1.05, "out of eMode: seized ETH");
    near(out->fee, 85, "out of eMode: protocol fee");
    near(row.cdp_repaid, 8500 + 17000, "repaid");
    near(row.cdp_seized, 8500 * 1.01 + 17000 * 1.05, "seized value");
    near(row.cdp_liquidator_pnl, 76.50 + 765, "liquidators' pnl");
    cr_assert_eq(lc_run_value(&row, "aave_close_factor_count"), 1, "the eMode one in half");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* Two debts: the close factor is half the *total* debt value (aave-v3-origin
 * v3.3 LiquidationLogic: the close factor applies to totalDebtInBaseCurrency),
 * repaid out of the largest debt. 10 ETH (lt 0.83), owing 12,000 quote and
 * 5 B at 1,000 (5,000); ETH 2100 → 2000: E = 16,600, R = 17,000, HF
 * 0.97647 > 0.95, both sides >= $2,000: repay min(8,500, 12,000) = 8,500
 * quote (half of the quote debt alone would be 6,000); seize 8500/2000·1.05 =
 * 4.4625 ETH, fee $42.50; left 5.5375 ETH, 3,500 quote and 5 B: R = 8,500,
 * HF 5.5375·2000·0.83/8500 = 1.0814, open; B untouched. */
Test(cdp, aave_close_factor_is_half_the_total_debt)
{
    lc_scenario *sc = t_scenario(
        "simulation: {runs: 1, steps: 4, dt: 60, seed: 1}\n"
        "markets:\n"
        "  - {name: ETH, price: {model: gbm, s0: 2100, sigma: 0, shock: {shape: step, size: "
        "-0.047619047619047616, start: 0}},\n"
        "     impact: {model: none}, tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}],\n"
        "     lending: {lt: 0.83, bonus: 0.05}}\n"
        "  - {name: B, price: {model: gbm, s0: 1000, sigma: 0}, impact: {model: none},\n"
        "     tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]}\n"
        "population: {accounts: 1, notional: {dist: fixed, value: 1000}, leverage: {dist: fixed, "
        "value: 2}}\n"
        "venue: {lending: aave}\n");
    lc_account a = {.margin = LC_MARGIN_CDP, .ncol = 3};
    a.col[0] = (lc_balance){0, 10};
    a.col[1] = (lc_balance){LC_QUOTE, -12000};
    a.col[2] = (lc_balance){1, -5};
    lc_population *pop = population(sc, &a, 1);
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    cr_assert_not_null(s);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_on(sc, pop, s, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1, "one liquidation, the account left healthy");
    near(-e[0]->qty, 4.4625, "seized ETH");
    near(e[0]->fee, 42.50, "protocol fee");
    near(row.cdp_repaid, 8500, "repaid: half the total debt");
    near(row.cdp_liquidator_pnl, 382.50, "liquidator pnl");
    cr_assert_eq(lc_run_value(&row, "aave_close_factor_count"), 1);
    cr_assert(lc_book_is_open(s->book, 0), "left open");
    lc_account left;
    lc_book_account(s->book, 0, &left);
    double eth = 0, quote = 0, b = 0;
    for (int k = 0; k < left.ncol; k++)
        *(left.col[k].asset == 0   ? &eth
          : left.col[k].asset == 1 ? &b
                                   : &quote) += left.col[k].amount;
    near(eth, 5.5375, "ETH left");
    near(quote, -3500, "quote debt left");
    near(b, -5, "B debt untouched");
    lc_eventbuf_free(&ev);
    lc_scratch_free(s);
    lc_eventbuf ev2;
    t_run_both(sc, pop, 0, &row, &ev2); /* and the scan agrees */
    lc_eventbuf_free(&ev2);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* An exchange-rate oracle (markets[k].lending.oracle: Aave's wstETH =
 * rate × ETH/USD): 10 wstETH (lt 0.93, bonus 1%) against 18,000 quote,
 * oracle 1.15 × ETH's mark = 2300 at t = 0, HF 10·2300·0.93/18000 = 1.1883.
 *  - wstETH's market depegs 30% (to 1610), ETH flat: with the oracle no
 *    health factor moves, nothing is liquidated; marked by its own market,
 *    HF 10·1610·0.93/18000 = 0.8318: all of it, the seizure capped at the 10
 *    wstETH, repaid 10·1610/1.01 = 15,940.59, deficit 2,059.41.
 *  - ETH falls 20% (oracle 1840), wstETH's market flat: HF 0.9507 > 0.95:
 *    half, repay 9,000; seize 9000/1840·1.01 = 4.940217 wstETH, fee 9000·
 *    0.01·0.1 = $9.00 at the oracle; the liquidator sells 4.935326 at the
 *    market's 2300: pnl 11,351.25 − 9,000 = 2,351.25. That leaves HF
 *    (17112 − 9090·0.93)/9000 = 0.9618 (a bonus at lt 0.93 takes more
 *    weighted collateral than it repays): half again, 4,500 (HF 0.9848),
 *    and again, 2,250: HF 1.3546·1840·0.93/2250 = 1.0303, open. In all
 *    15,750 repaid, 8.559783·1.01 wstETH seized, the liquidators' pnl
 *    8.645380·(1 − 0.01/1.01·0.1)·2300 − 15,750 = 4,114.69. Marked by its
 *    own market, nothing happens. */
static lc_scenario *oracle_case(double eth, double wst, int oracle)
{
    char text[2048];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: 4, dt: 60, seed: 1}\n"
             "markets:\n"
             "  - {name: ETH, price: {model: gbm, s0: 2000, sigma: 0, shock: {shape: step, size: "
             "%.17g, start: 0}},\n"
             "     impact: {model: none}, tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: "
             "100}]}\n"
             "  - {name: wstETH, price: {model: gbm, s0: 2300, sigma: 0, shock: {shape: step, "
             "size: %.17g, start: 0}},\n"
             "     impact: {model: none}, tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: "
             "100}],\n"
             "     lending: {lt: 0.93, bonus: 0.01%s}}\n"
             "population: {accounts: 1, notional: {dist: fixed, value: 1000}, leverage: {dist: "
             "fixed, value: 2}}\n"
             "venue: {lending: aave}\n",
             eth, wst, oracle ? ", oracle: {market: ETH, rate: 1.15}" : "");
    return t_scenario(text);
}

Test(cdp, an_exchange_rate_oracle_follows_the_underlying)
{
    lc_account a = {.margin = LC_MARGIN_CDP, .ncol = 2};
    a.col[0] = (lc_balance){1, 10};
    a.col[1] = (lc_balance){LC_QUOTE, -18000};
    lc_run_row row;
    lc_eventbuf ev;
    const lc_event *e[4];
    for (int oracle = 0; oracle < 2; oracle++) {
        /* the depeg */
        lc_scenario *sc = oracle_case(0, -0.3, oracle);
        if (oracle) {
            cr_assert_eq(sc->market[1].oracle_of, 0);
            char *y = lc_scenario_resolved_yaml(sc); /* the oracle survives a reload */
            lc_scenario *back = t_scenario(y);
            cr_assert_eq(back->market[1].oracle_of, 0, "%s", y);
            cr_assert_eq(back->market[1].oracle_rate, 1.15);
            lc_scenario_free(back);
            free(y);
        }
        lc_population *pop = population(sc, &a, 1);
        t_run_both(sc, pop, 0, &row, &ev);
        cr_assert_eq(cdp_events(&ev, e, 4), oracle ? 0 : 1, "depeg, oracle %d", oracle);
        if (!oracle) {
            near(-e[0]->qty, 10, "all the collateral");
            near(row.cdp_repaid, 16100 / 1.01, "repaid");
            near(row.cdp_bad_debt, 18000 - 16100 / 1.01, "deficit");
        }
        lc_eventbuf_free(&ev);
        lc_population_free(pop);
        lc_scenario_free(sc);
        /* the underlying's fall */
        sc = oracle_case(-0.2, 0, oracle);
        pop = population(sc, &a, 1);
        t_run_both(sc, pop, 0, &row, &ev);
        cr_assert_eq(cdp_events(&ev, e, 4), oracle ? 3 : 0, "ETH's fall, oracle %d", oracle);
        if (oracle) {
            near(-e[0]->qty, 9000 / 1840.0 * 1.01, "seized wstETH");
            near(e[0]->price, 2300, "sold at the market");
            near(e[0]->fee, 9.00, "protocol fee at the oracle");
            near(-e[1]->qty, 4500 / 1840.0 * 1.01, "seized again");
            near(-e[2]->qty, 2250 / 1840.0 * 1.01, "and again");
            cr_assert_eq(lc_run_value(&row, "aave_close_factor_count"), 3);
            near(row.cdp_repaid, 15750, "halves");
            near(row.cdp_liquidator_pnl,
                 15750 / 1840.0 * 1.01 * (1 - 0.01 / 1.01 * 0.1) * 2300 - 15750, "pnl");
            near(row.cdp_liquidator_pnl, 4114.69, "pnl by hand");
        }
        lc_eventbuf_free(&ev);
        lc_population_free(pop);
        lc_scenario_free(sc);
    }
    /* the keys, refused by name */
    static const struct {
        const char *oracle, *want;
    } bad[] = {
        {"{market: BTC}", "markets[1].lending.oracle: no market named 'BTC'"},
        {"{market: wstETH}", "'wstETH' is this market"},
        {"{rate: 1.1}", "markets[1].lending.oracle: needs market:"},
        {"{market: ETH, rat: 1}", "markets[1].lending.oracle.rat: unknown key"},
        {"ETH", "markets[1].lending.oracle: must be a map"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "markets:\n"
                 "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "
                 "max_leverage: 50}]}\n"
                 "  - {name: wstETH, price: {model: gbm, s0: 2300}, tiers: [{up_to: 1e300, mmr: "
                 "0.01, max_leverage: 50}], lending: {lt: 0.9, oracle: %s}}\n",
                 bad[k].oracle);
        const char *err = t_scenario_errors(text, NULL, 0);
        cr_assert(strstr(err, bad[k].want), "case %zu: %s", k, err);
    }
}

Test(cdp, aave_capacity_cut_is_trimmed_by_the_dust_rule)
{
    lc_scenario *sc =
        one_market(2100, 2000, "{model: none}", "{lending: aave, liquidators: {capacity: 8000}}");
    lc_account a = cdp(5, 8900);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1);
    near(row.cdp_repaid, 7900, "repaid");
    near(-e[0]->qty, 4.1475, "seized");
    cr_assert_eq(lc_run_value(&row, "aave_close_factor_count"), 0);
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* ---- liquidators ---------------------------------------------------------- */

/* Example A's account with liquidators 2 steps late: breached at step 1,
 * liquidated at step 3 (the same numbers as without latency). */
Test(cdp, latency_makes_a_breached_account_wait)
{
    lc_scenario *sc =
        one_market(2100, 2000, "{model: none}", "{lending: aave, liquidators: {latency: 2}}");
    lc_account a = cdp(10, 17000);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1);
    cr_assert_eq(e[0]->step, 3, "liquidated at step %ld", (long)e[0]->step);
    near(row.cdp_repaid, 8500, "repaid");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* Gas above the bonus: example A's liquidation earns 382.50 at most (less
 * when halved), so with gas 500 no liquidator acts: the account stays
 * breached to the end, unliquidated. */
Test(cdp, a_liquidation_that_does_not_pay_never_happens)
{
    lc_scenario *sc =
        one_market(2100, 2000, "{model: none}", "{lending: aave, liquidators: {gas: 500}}");
    lc_account a = cdp(10, 17000);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    cr_assert_eq(row.cdp_liq_count, 0, "a losing liquidation was made");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* A thin book: the liquidator sizes its trade. Repaying r sells
 * u = r·(1.05 − 0.005)/2000 ETH (the fee stays with the protocol) along a
 * linear curve of depth_1pct 500: dJ = −0.01·u·2000/500 = −k·r, k =
 * 2.09e-5, at the VWAP 2000·(1 − e^−kr)/(kr); it pays while
 * 1.045·(1 − e^−y)/y > 1, y = kr < 0.0876, r < 4,191: of 8,500 (the close
 * factor's), 4,250 and 2,125, the first that pays is 2,125: 1.115625 ETH
 * seized. Each liquidation the round makes alone earns: the run's pnl > 0. */
Test(cdp, a_liquidator_sizes_its_trade_to_the_book)
{
    lc_scenario *sc = one_market(2100, 2000, "{model: linear, depth_1pct: 500}", "{lending: aave}");
    lc_account a = cdp(10, 17000);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[64];
    int n = cdp_events(&ev, e, 64);
    cr_assert_geq(n, 1);
    cr_assert_eq(e[0]->step, 1);
    near(-e[0]->qty, 2125 * 1.05 / 2000, "first seized");
    cr_assert_gt(row.cdp_liquidator_pnl, 0);
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* ---- Compound III ------------------------------------------------------- */

/* comet's absorbInternal and quoteCollateral, 10 ETH against 17,000 USDC,
 * liquidationFactor 0.95 (bonus 0.05), storeFrontPriceFactor 0.5, reserves
 * 0 < target: ETH 2100 → 1890 (10·1890·0.83 = 15,687 < 17,000):
 *   credit 10·1890·0.95 = 17,955 > 17,000: the account keeps 955; the
 *   reserves fall by 17,955; the storefront sells the 10 ETH at
 *   1890·(1 − 0.5·0.05) = 1,842.75: 18,427.50 in; reserves end +472.50; the
 *   buyers sell at 1890 (no impact): pnl 472.50;
 * ETH 2100 → 1700: credit 16,150 < 17,000: floored at 0, bad debt 850; the
 *   reserves fall by 17,000, the storefront brings 10·1657.5 = 16,575:
 *   reserves end −425, pnl 425. */
static void compound_case(double s1, double sfpf, double want_reserves, double want_bad,
                          double want_pnl)
{
    char venue[128];
    snprintf(venue, sizeof venue, "{lending: compound, compound: {store_front_price_factor: %g}}",
             sfpf);
    lc_scenario *sc = one_market(2100, s1, "{model: none}", venue);
    lc_account a = cdp(10, 17000);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1, "one absorb");
    near(row.cdp_repaid, 17000, "debt absorbed");
    near(row.cdp_seized, 10 * s1, "collateral taken");
    near(row.cdp_bad_debt, want_bad, "bad debt");
    near(lc_run_value(&row, "compound_bought"), 10 * s1 * (1 - sfpf * 0.05), "storefront");
    near(lc_run_value(&row, "compound_reserves_end"), want_reserves, "reserves at the end");
    /* the low: t = 0 (0) or the end, the absorb and its sale one round's */
    near(lc_run_value(&row, "compound_reserves_min"), fmin(0, want_reserves), "reserves' low");
    near(lc_run_value(&row, "compound_inventory_end"), 0, "nothing held");
    near(row.cdp_liquidator_pnl, want_pnl, "buyers' pnl");
    long sales = 0;
    for (long i = 0; i < ev.n; i++)
        if (ev.v[i].kind == 10) {
            sales++;
            near(-ev.v[i].qty, 10, "sold");
            near(ev.v[i].price, s1, "at");
        }
    cr_assert_eq(sales, 1);
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(cdp, compound_absorb_with_a_positive_outcome)
{
    compound_case(1890, 0.5, 472.50, 0, 472.50);
    /* storeFrontPriceFactor 0.7: 1890·(1 − 0.7·0.05) = 1,823.85; 18,238.50 in,
     * reserves +283.50, the buyers' 661.50 (0.5 could not tell SFPF·(1 − LF)
     * from (1 − SFPF)·(1 − LF)) */
    compound_case(1890, 0.7, 283.50, 0, 661.50);
}

Test(cdp, compound_absorb_with_a_negative_outcome)
{
    compound_case(1700, 0.5, -425, 850, 425);
    compound_case(1700, 0.7, -595, 850, 595); /* 1700·0.965 = 1,640.50 a unit */
}

/* With reserves well above target the storefront stays closed after the
 * absorb (2e6 − 17,955 >= 1e6): the protocol keeps the 10 ETH (its
 * inventory at the final price 1890). */
Test(cdp, compound_storefront_closed_at_target)
{
    lc_scenario *sc =
        one_market(2100, 1890, "{model: none}",
                   "{lending: compound, compound: {reserves: 2.0e6, target_reserves: 1.0e6}}");
    lc_account a = cdp(10, 17000);
    lc_population *pop = population(sc, &a, 1);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    cr_assert_eq(row.cdp_liq_count, 1);
    near(lc_run_value(&row, "compound_bought"), 0, "closed");
    near(lc_run_value(&row, "compound_inventory_end"), 18900, "held");
    near(lc_run_value(&row, "compound_reserves_end"), 2.0e6 - 17955, "reserves");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* ---- populations ---------------------------------------------------------- */

#define ETH_WSTETH                                                                                 \
    "simulation: {runs: 1, steps: 1, dt: 60, seed: 3}\n"                                           \
    "markets:\n"                                                                                   \
    "  - name: ETH\n"                                                                              \
    "    price: {model: gbm, s0: 2000, sigma: 0.8}\n"                                              \
    "    impact: {model: linear, depth_1pct: 2.0e6}\n"                                             \
    "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"                               \
    "    lending: {lt: 0.83, ltv: 0.80, bonus: 0.05}\n"                                            \
    "  - name: wstETH\n"                                                                           \
    "    price: {model: gbm, s0: 2300, sigma: 0.8}\n"                                              \
    "    impact: {model: linear, depth_1pct: 1.0e6}\n"                                             \
    "    mark: {model: %s}\n"                                                                      \
    "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"                               \
    "    lending: {lt: 0.93, ltv: 0.90, bonus: 0.01}\n"                                            \
    "correlation: {rho: 0.9}\n"

/* data/positions/cdp-example.csv: a quote-debt CDP, a wstETH/ETH loop and
 * an isolated perpetual; the CDPs after it, their debts balances < 0. */
Test(cdp, positions_file_by_legs)
{
    char text[4096];
    snprintf(text, sizeof text,
             ETH_WSTETH "population: {file: %s/data/positions/cdp-example.csv}\n"
                        "venue: {lending: aave}\n",
             "last", LC_SOURCE_DIR);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    cr_assert_eq(p->n, 3);
    cr_assert_eq(p->span0, 1, "the perpetual on the cursor, the CDPs after it");
    cr_assert_eq(lc_population_margin(p, 1), LC_MARGIN_CDP);
    cr_assert_eq(lc_population_margin(p, 2), LC_MARGIN_CDP);
    cr_assert_eq(p->side[1], 0);
    int npos, ncol;
    const lc_balance *col = lc_span_balances(p, 1, &ncol);
    lc_span_positions(p, 1, &npos);
    cr_assert_eq(npos, 0);
    cr_assert(ncol == 2 && col[0].asset == 0 && col[0].amount == 10 && col[1].asset == LC_QUOTE &&
              col[1].amount == -12000);
    col = lc_span_balances(p, 2, &ncol);
    cr_assert(ncol == 2 && col[0].asset == 1 && col[0].amount == 100 && col[1].asset == 0 &&
              col[1].amount == -85);
    /* HF of the loop: 100·2300·0.93 / (85·2000) = 1.2582 */
    double marks[2] = {2000, 2300};
    lc_span_eval e = lc_span_evaluate_account(sc, p, 2, marks);
    cr_assert_float_eq(e.equity / e.requirement, 213900.0 / 170000, 1e-12);
    lc_population_free(p);
    lc_scenario_free(sc);
}

/* Drawn CDPs: collateral value V (notional 10,000) split 60/40 into ETH and
 * wstETH at s0, an ETH debt of V·(1 − 1/L) capped at the borrowing limit
 * Σ V_a·ltv_a = 10,000·(0.6·0.8 + 0.4·0.9) = 8,400: L = 3 borrows 6,666.67,
 * L = 10 would borrow 9,000: capped at 8,400 (HF = 8,460/8,400). */
Test(cdp, drawn_cdps_borrow_within_their_limit)
{
    char text[4096];
    snprintf(text, sizeof text,
             ETH_WSTETH "population:\n"
                        "  accounts: 400\n"
                        "  notional: {dist: fixed, value: 10000}\n"
                        "  leverage: {dist: discrete, values: [3, 10], weights: [1, 1]}\n"
                        "  kinds: {isolated: {weight: 1}, cdp: {weight: 1, collateral: {ETH: "
                        "0.6, wstETH: 0.4}, debt: ETH}}\n"
                        "venue: {lending: compound}\n",
             "last");
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    long n3 = 0, n10 = 0;
    for (long i = p->span0; i < p->n; i++) {
        int ncol;
        const lc_balance *col = lc_span_balances(p, i, &ncol);
        cr_assert_eq(lc_population_margin(p, i), LC_MARGIN_CDP);
        cr_assert(ncol == 3 && col[0].asset == 0 && col[1].asset == 1 && col[2].asset == 0);
        cr_assert_float_eq(col[0].amount, 6000.0 / 2000, 1e-12);
        cr_assert_float_eq(col[1].amount, 4000.0 / 2300, 1e-12);
        double debt = -col[2].amount * 2000;
        if (fabs(debt - 20000.0 / 3) < 1e-6)
            n3++;
        else if (fabs(debt - 8400) < 1e-6)
            n10++;
        else
            cr_assert_fail("debt %g", debt);
    }
    /* about half each (binomial, 4 SE) */
    long n = n3 + n10;
    cr_assert_gt(n, 100);
    cr_assert(fabs(n3 - n / 2.0) < 4 * sqrt(n / 4.0), "%ld of %ld", n3, n);
    lc_population_free(p);
    lc_scenario_free(sc);
    /* ltv = lt leaves a draw at its limit breached (HF = 1): drawn again,
     * and with every draw the same, refused */
    const char *e = t_scenario_errors(
        "markets:\n"
        "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "
        "max_leverage: 50}], lending: {lt: 0.8}}\n"
        "population: {accounts: 10, notional: {dist: fixed, value: 1000}, leverage: {dist: "
        "fixed, value: 10},\n"
        "  kinds: {cdp: {collateral: {ETH: 1}}}}\n",
        NULL, 0);
    assert_has(e, "venue.lending: population.kinds.cdp draws lending CDPs");
    sc = t_scenario("markets:\n"
                    "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: "
                    "0.01, max_leverage: 50}], lending: {lt: 0.8}}\n"
                    "population: {accounts: 10, notional: {dist: fixed, value: 1000}, leverage: "
                    "{dist: fixed, value: 10},\n"
                    "  kinds: {cdp: {collateral: {ETH: 1}}}}\n"
                    "venue: {lending: aave}\n");
    p = lc_population_create(sc, &err);
    cr_assert_null(p);
    assert_has(err.msg, "population.kinds.cdp: no draw in 1000 leaves a CDP solvent at s0");
    lc_population_free(p);
    lc_scenario_free(sc);
}

/* A map of debt assets: each CDP borrows one, drawn by its share (within 4
 * SE of 3/4 quote, 1/4 ETH), and the map survives the resolved scenario. */
Test(cdp, drawn_cdps_borrow_a_drawn_asset)
{
    char text[4096];
    snprintf(text, sizeof text,
             ETH_WSTETH "population:\n"
                        "  accounts: 4000\n"
                        "  notional: {dist: fixed, value: 10000}\n"
                        "  leverage: {dist: fixed, value: 2}\n"
                        "  kinds: {cdp: {collateral: {wstETH: 1}, debt: {quote: 3, ETH: 1}}}\n"
                        "venue: {lending: aave}\n",
             "last");
    lc_scenario *sc = t_scenario(text);
    char *y = lc_scenario_resolved_yaml(sc);
    lc_scenario *back = t_scenario(y);
    cr_assert_float_eq(back->kind[LC_MARGIN_CDP].debt_share[0], 0.75, 1e-15, "%s", y);
    cr_assert_float_eq(back->kind[LC_MARGIN_CDP].debt_share[1], 0.25, 1e-15);
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    long quote = 0, n = p->n - p->span0;
    for (long i = p->span0; i < p->n; i++) {
        int ncol;
        const lc_balance *col = lc_span_balances(p, i, &ncol);
        cr_assert(ncol == 2 && col[1].amount < 0 &&
                  (col[1].asset == LC_QUOTE || col[1].asset == 0));
        quote += col[1].asset == LC_QUOTE;
    }
    cr_assert_eq(n, 4000);
    cr_assert(fabs(quote - 0.75 * n) < 4 * sqrt(n * 0.75 * 0.25), "%ld of %ld", quote, n);
    lc_population_free(p);
    lc_scenario_free(back);
    lc_scenario_free(sc);
    free(y);
}

/* A share of drawn CDPs in eMode borrow against the category's ltv: V =
 * 10,000 of ETH at leverage 20 borrows to the limit, 9,000 in eMode (ltv
 * 0.9), 7,000 out of it (0.7); 30% in eMode within 4 SE; each account's flag
 * says which; the keys survive the resolved scenario. Keys that cannot make
 * an eMode CDP are refused, naming the key. */
#define EMODE_MARKET(lending)                                                                      \
    "markets:\n"                                                                                   \
    "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "            \
    "max_leverage: 50}], lending: " lending "}\n"                                                  \
    "  - {name: Q, price: {model: gbm, s0: 1}, tiers: [{up_to: 1e300, mmr: 0.01, max_leverage: "   \
    "50}], lending: {lt: 0.5}}\n"                                                                  \
    "population: {accounts: 2000, notional: {dist: fixed, value: 10000}, leverage: {dist: fixed, " \
    "value: 20},\n"
Test(cdp, drawn_cdps_in_emode)
{
    lc_scenario *sc = t_scenario(EMODE_MARKET(
        "{lt: 0.8, ltv: 0.7, emode: {lt: 0.93, ltv: 0.9, bonus: 0.02}}") "  kinds: "
                                                                         "{cdp: "
                                                                         "{collateral: "
                                                                         "{ETH: 1}, "
                                                                         "emode: "
                                                                         "0.3}}}\n"
                                                                         "venue: "
                                                                         "{lending: "
                                                                         "aave}\n");
    char *y = lc_scenario_resolved_yaml(sc);
    lc_scenario *back = t_scenario(y);
    cr_assert_eq(back->kind[LC_MARGIN_CDP].emode, 0.3, "%s", y);
    cr_assert_eq(back->market[0].emode_lt, 0.93);
    cr_assert_eq(back->market[0].emode_ltv, 0.9);
    cr_assert_eq(back->market[0].emode_bonus, 0.02);
    cr_assert_eq(back->market[1].emode_lt, 0, "Q is not in the category");
    lc_error err = {0};
    lc_population *p = lc_population_create(sc, &err);
    cr_assert_not_null(p, "%s", err.msg);
    long in = 0, n = p->n - p->span0;
    for (long i = p->span0; i < p->n; i++) {
        int ncol;
        const lc_balance *col = lc_span_balances(p, i, &ncol);
        int em = lc_population_emode(p, i);
        cr_assert_float_eq(-col[1].amount, em ? 9000 : 7000, 1e-9, "account %ld", i);
        in += em;
    }
    cr_assert_eq(n, 2000);
    cr_assert(fabs(in - 0.3 * n) < 4 * sqrt(n * 0.3 * 0.7), "%ld of %ld", in, n);
    lc_population_free(p);
    lc_scenario_free(back);
    lc_scenario_free(sc);
    free(y);
    static const struct {
        const char *text, *want;
    } bad[] = {
        {EMODE_MARKET("{lt: 0.8}") "  kinds: {cdp: {collateral: {ETH: 1}, emode: 0.5}}}\n"
                                   "venue: {lending: aave}\n",
         "population.kinds.cdp.emode: no market is in the eMode category"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.9}}") "  kinds: {cdp: {collateral: {ETH: 1}, "
                                                     "emode: 0.5}}}\n"
                                                     "venue: {lending: compound}\n",
         "venue.lending: population.kinds.cdp.emode is Aave's efficiency mode: it needs "
         "venue.lending: aave (got compound)"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.9}}") "  kinds: {cdp: {collateral: {ETH: 1}, "
                                                     "debt: Q, emode: 0.5}}}\n"
                                                     "venue: {lending: aave}\n",
         "population.kinds.cdp.emode: a CDP in eMode borrows only what the category holds: its "
         "debt Q has no markets[1].lending.emode"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0}}") "  kinds: {cdp: {collateral: {ETH: 1}}}}\n"
                                                   "venue: {lending: aave}\n",
         "markets[0].lending.emode: an asset in the eMode category needs lt > 0"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.9, ltv: 0.95}}") "  kinds: {cdp: {collateral: "
                                                                "{ETH: 1}}}}\n"
                                                                "venue: {lending: aave}\n",
         "markets[0].lending.emode: ltv (0.95) is above lt (0.9)"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.9, bonus: 2}}") "  kinds: {cdp: {collateral: "
                                                               "{ETH: 1}}}}\n"
                                                               "venue: {lending: aave}\n",
         "markets[0].lending.emode.bonus: must be"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.9, lvt: 0.5}}") "  kinds: {cdp: {collateral: "
                                                               "{ETH: 1}}}}\n"
                                                               "venue: {lending: aave}\n",
         "markets[0].lending.emode.lvt: unknown key (did you mean"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.9}}") "  kinds: {cdp: {collateral: {ETH: 1}}}}\n"
                                                     "venue: {lending: compound}\n",
         "markets[0].lending: emode is Aave's efficiency mode: it needs venue.lending: aave (got "
         "compound)"},
        {EMODE_MARKET("{lt: 0.98, bonus: 0.06}") "  kinds: {cdp: {collateral: {ETH: 1}}}}\n"
                                                 "venue: {lending: aave}\n",
         "markets[0].lending: ETH: lt x (1 + bonus) = 0.98 x 1.06 = 1.0388 is above 1, which "
         "Aave refuses"},
        {EMODE_MARKET("{lt: 0.8, emode: {lt: 0.99, bonus: 0.05}}") "  kinds: {cdp: "
                                                                   "{collateral: {ETH: 1}}}}\n"
                                                                   "venue: {lending: aave}\n",
         "markets[0].lending.emode: ETH: lt x (1 + bonus) = 0.99 x 1.05"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        const char *e = t_scenario_errors(bad[k].text, NULL, 0);
        cr_assert(strstr(e, bad[k].want), "case %zu: %s", k, e);
    }
    /* one category: every asset in it gives the same lt, ltv and bonus */
    const char *e = t_scenario_errors(
        "markets:\n"
        "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "
        "max_leverage: 50}], lending: {lt: 0.8, emode: {lt: 0.93}}}\n"
        "  - {name: stETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "
        "max_leverage: 50}], lending: {lt: 0.8, emode: {lt: 0.9}}}\n",
        NULL, 0);
    assert_has(e, "markets[1].lending.emode: one category per scenario, with one lt, ltv and "
                  "bonus");
    /* an emode that is not a map is said once, not again as "no market is in
     * the category" */
    e = t_scenario_errors(EMODE_MARKET("{lt: 0.8, emode: 0.95}") "  kinds: {cdp: {collateral: "
                                                                 "{ETH: 1}, emode: 0.5}}}\n"
                                                                 "venue: {lending: aave}\n",
                          NULL, 0);
    assert_has(e, "markets[0].lending.emode: must be a map");
    cr_assert_null(strstr(e, "no market is in the eMode category"), "%s", e);
    /* the category's bonus defaults to the asset's own; rounded collateral
     * shares are made whole */
    sc = t_scenario(EMODE_MARKET("{lt: 0.8, bonus: 0.07, emode: {lt: 0.9}}") "  kinds: {cdp: "
                                                                             "{collateral: {ETH: "
                                                                             "0.333333, Q: "
                                                                             "0.666666}}}}\n"
                                                                             "venue: {lending: "
                                                                             "aave}\n");
    cr_assert_eq(sc->market[0].emode_bonus, 0.07);
    cr_assert_float_eq(sc->kind[LC_MARGIN_CDP].collateral[0], 1.0 / 3, 1e-15);
    cr_assert_float_eq(sc->kind[LC_MARGIN_CDP].collateral[1], 2.0 / 3, 1e-15);
    lc_scenario_free(sc);
}

/* Scenario keys that do not make a CDP are refused with the key named. */
Test(cdp, bad_keys_are_refused)
{
    static const struct {
        const char *kinds, *want;
    } cases[] = {
        {"{cdp: {collateral: {ETH: 0.5}}}", "collateral shares must sum to 1 (got 0.5)"},
        {"{cdp: {collateral: {Q: 1}}}", "population.kinds.cdp.collateral.Q: a CDP's collateral "
                                        "needs markets[1].lending.lt > 0"},
        {"{cdp: {collateral: {ETH: 1}, positions_min: 2}}",
         "population.kinds.cdp: a cdp account holds collateral and a debt, no positions"},
        {"{cdp: {collateral: {ETH: 1}, debt: DAI}}",
         "population.kinds.cdp.debt: must be 'quote', a market's name, or a map"},
        {"{cross: {collateral: {ETH: 1}, debt: quote}}",
         "population.kinds.cross.debt: unknown key"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "markets:\n"
                 "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: "
                 "0.01, max_leverage: 50}], lending: {lt: 0.8, ltv: 0.7}}\n"
                 "  - {name: Q, price: {model: gbm, s0: 1}, tiers: [{up_to: 1e300, mmr: 0.01, "
                 "max_leverage: 50}]}\n"
                 "population: {accounts: 10, notional: {dist: fixed, value: 1000}, leverage: "
                 "{dist: fixed, value: 2},\n"
                 "  kinds: %s}\n"
                 "venue: {lending: aave}\n",
                 cases[k].kinds);
        const char *e = t_scenario_errors(text, NULL, 0);
        cr_assert(strstr(e, cases[k].want), "case %zu: %s", k, e);
    }
    const char *e = t_scenario_errors(
        "markets:\n"
        "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "
        "max_leverage: 50}], lending: {lt: 0.8, ltv: 0.9}}\n",
        NULL, 0);
    assert_has(e, "markets[0].lending: ltv (0.9) is above lt (0.8)");
    e = t_scenario_errors("venue: {lending: morpho}\n", NULL, 0);
    assert_has(e, "venue.lending: must be one of none, aave, compound, maker, liquity (got "
                  "'morpho')");
}

/* ---- the finders ---------------------------------------------------------- */

/* Drawn perpetuals and CDPs (two collateral assets, an ETH or quote debt)
 * through a crash with noise (ETH −30%, wstETH −45% over 15 minutes): the index engine (slack set,
 * with reopened accounts: Aave's partial liquidations, latency's and capacity's waits) and the scan
 * give the same rows and events bit for bit, run after run. */
static void finders_agree(const char *debt, const char *protocol, const char *mark, int emode)
{
    /* with emode: both assets in the category (lt 0.95, bonus 1%), half the
     * CDPs in it */
    const char *cat = emode ? ", emode: {lt: 0.95, ltv: 0.93, bonus: 0.01}" : "";
    /* mark "oracle": wstETH's market marked by itself, its protocols' oracle
     * ETH's mark × the ratio of the two s0 */
    int exch = strcmp(mark, "oracle") == 0;
    char text[4096];
    snprintf(text, sizeof text,
             "simulation: {runs: 6, steps: 30, dt: 60, seed: 11, max_rounds: 1000}\n"
             "markets:\n"
             "  - name: ETH\n"
             "    price: {model: gbm, s0: 2000, sigma: 2.0,\n"
             "            shock: {shape: linear, size: -0.3, start: 300, duration: 900}}\n"
             "    impact: {model: linear, depth_1pct: 2.0e6}\n"
             "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
             "    lending: {lt: 0.83, ltv: 0.80, bonus: 0.05%s}\n"
             "  - name: wstETH\n"
             "    price: {model: gbm, s0: 2300, sigma: 2.0,\n"
             "            shock: {shape: linear, size: -0.45, start: 300, duration: 900}}\n"
             "    impact: {model: linear, depth_1pct: 1.0e6}\n"
             "    mark: {model: %s}\n"
             "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
             "    lending: {lt: 0.93, ltv: 0.90, bonus: 0.01%s%s}\n"
             "correlation: {rho: 0.9}\n"
             "population:\n"
             "  accounts: 3000\n"
             "  notional: {dist: lognormal, median: 5000, sigma: 1.0}\n"
             "  leverage: {dist: uniform, min: 1.5, max: 12}\n"
             "  kinds: {isolated: {weight: 1}, cdp: {weight: 1, collateral: {%s}, debt: %s%s}}\n"
             "venue: {lending: %s, liquidators: {capacity: 2.0e5, latency: 1, gas: 1}}\n",
             cat, exch ? "last" : mark, cat, exch ? ", oracle: {market: ETH}" : "",
             /* a Maker vault, a Liquity trove: one collateral */
             strcmp(protocol, "maker") && strcmp(protocol, "liquity") ? "ETH: 0.5, wstETH: 0.5"
                                                                      : "wstETH: 1",
             debt, emode ? ", emode: 0.5" : "", protocol);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    cr_assert_gt(pop->n - pop->span0, 1000);
    long liqs = 0, halves = 0;
    for (long run = 0; run < sc->runs; run++) {
        lc_run_row row;
        lc_eventbuf ev;
        t_run_both(sc, pop, run, &row, &ev);
        liqs += row.cdp_liq_count;
        halves += (long)lc_run_value(&row, "aave_close_factor_count");
        lc_eventbuf_free(&ev);
    }
    cr_assert_gt(liqs, 100, "%s: %ld CDP liquidations", protocol, liqs);
    if (strcmp(protocol, "aave") == 0)
        cr_assert_gt(halves, 10, "partial (close factor) liquidations: %ld", halves);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* The accounting of every Aave liquidation, checked in any build (the
 * rule's own asserts run only with them on): on a crash with impact,
 * latency, capacity and two collaterals against a quote debt, run after run,
 *  - the events sum to the row: count, protocol fee, deficit;
 *  - the debt balances: Σ debt at t = 0 = repaid + deficit + the debt of
 *    the accounts still open at the end;
 *  - each account still open holds, per collateral, what it started with
 *    less what its events seized (to 1e-12 relative). */
Test(cdp, every_aave_liquidation_balances)
{
    char text[4096];
    snprintf(text, sizeof text,
             "simulation: {runs: 4, steps: 30, dt: 60, seed: 5, max_rounds: 1000}\n"
             "markets:\n"
             "  - name: ETH\n"
             "    price: {model: gbm, s0: 2000, sigma: 2.0,\n"
             "            shock: {shape: linear, size: -0.35, start: 300, duration: 900}}\n"
             "    impact: {model: linear, depth_1pct: 2.0e6}\n"
             "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
             "    lending: {lt: 0.83, ltv: 0.80, bonus: 0.05}\n"
             "  - name: wstETH\n"
             "    price: {model: gbm, s0: 2300, sigma: 2.0,\n"
             "            shock: {shape: linear, size: -0.45, start: 300, duration: 900}}\n"
             "    impact: {model: linear, depth_1pct: 1.0e6}\n"
             "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
             "    lending: {lt: 0.93, ltv: 0.90, bonus: 0.01}\n"
             "correlation: {rho: 0.9}\n"
             "population:\n"
             "  accounts: 2000\n"
             "  notional: {dist: lognormal, median: 5000, sigma: 1.0}\n"
             "  leverage: {dist: uniform, min: 1.5, max: 12}\n"
             "  kinds: {isolated: {weight: 1}, cdp: {weight: 2, collateral: {ETH: 0.5, wstETH: "
             "0.5}, debt: quote}}\n"
             "venue: {lending: aave, liquidators: {capacity: 2.0e5, latency: 1, gas: 1}}\n");
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_create(sc, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    long n = pop->n;
    double *seized = calloc((size_t)n * 2, sizeof *seized), debt0 = 0;
    for (long i = pop->span0; i < n; i++) {
        int nc;
        const lc_balance *col = lc_span_balances(pop, i, &nc);
        for (int k = 0; k < nc; k++)
            debt0 += col[k].amount < 0 ? -col[k].amount : 0; /* quote */
    }
    lc_scratch *s = lc_scratch_create(sc, pop, LC_ENGINE_INDEX, 1);
    cr_assert_not_null(s);
    long partial = 0;
    for (long run = 0; run < sc->runs; run++) {
        lc_run_row row;
        lc_eventbuf ev;
        t_run_on(sc, pop, s, run, &row, &ev);
        memset(seized, 0, (size_t)n * 2 * sizeof *seized);
        double fee = 0, deficit = 0;
        long count = 0;
        for (long j = 0; j < ev.n; j++) {
            const lc_event *e = &ev.v[j];
            if (e->kind != LC_EVENT_CDP)
                continue;
            count++;
            fee += e->fee;
            deficit += e->shortfall;
            seized[e->account * 2 + e->market] += -e->qty; /* account: the index */
        }
        cr_assert_gt(count, 100, "run %ld: %ld liquidations", run, count);
        cr_assert_eq(count, row.cdp_liq_count);
        cr_assert_float_eq(fee, row.cdp_protocol_fee, 1e-9 * (1 + fee), "run %ld fee", run);
        cr_assert_float_eq(deficit, row.cdp_bad_debt, 1e-9 * (1 + deficit), "run %ld", run);
        /* still open, or breached and waiting for a liquidator (closed until
         * the next step: lc_book_defer) */
        unsigned char *waiting = calloc((size_t)n, 1);
        for (long j = 0; j < s->book->ndeferred; j++)
            waiting[s->book->deferred[j]] = 1;
        double left = 0;
        for (long i = pop->span0; i < n; i++) {
            if (!lc_book_is_open(s->book, i) && !waiting[i])
                continue;
            lc_account a;
            lc_book_account(s->book, i, &a);
            int nc;
            const lc_balance *col = lc_span_balances(pop, i, &nc);
            for (int k = 0; k < a.ncol; k++)
                left += a.col[k].amount < 0 ? -a.col[k].amount : 0;
            for (int k = 0; k < nc; k++) {
                if (!(col[k].amount > 0))
                    continue;
                double now = 0;
                for (int j = 0; j < a.ncol; j++)
                    now +=
                        a.col[j].asset == col[k].asset && a.col[j].amount > 0 ? a.col[j].amount : 0;
                double want = col[k].amount - seized[i * 2 + col[k].asset];
                cr_assert(fabs(now - want) <= 1e-12 * col[k].amount,
                          "run %ld account %ld asset %d: holds %.17g, started %.17g less %.17g",
                          run, i, col[k].asset, now, col[k].amount, seized[i * 2 + col[k].asset]);
                partial += seized[i * 2 + col[k].asset] > 0;
            }
        }
        free(waiting);
        cr_assert_float_eq(row.cdp_repaid + row.cdp_bad_debt + left, debt0, 1e-9 * debt0,
                           "run %ld: repaid %.17g + deficit %.17g + left %.17g vs %.17g", run,
                           row.cdp_repaid, row.cdp_bad_debt, left, debt0);
        lc_eventbuf_free(&ev);
    }
    cr_assert_gt(partial, 50, "open accounts liquidated in part: %ld", partial);
    lc_scratch_free(s);
    free(seized);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(cdp, index_and_scan_agree_aave_quote_debt)
{
    finders_agree("quote", "aave", "last", 0);
}

Test(cdp, index_and_scan_agree_aave_emode)
{
    finders_agree("ETH", "aave", "last", 1);
}

Test(cdp, index_and_scan_agree_aave_exchange_rate_oracle)
{
    finders_agree("quote", "aave", "oracle", 0); /* wstETH's CDPs wait on ETH's moves */
}

Test(cdp, index_and_scan_agree_maker_exchange_rate_oracle)
{
    finders_agree("quote", "maker", "oracle", 0);
}

Test(cdp, index_and_scan_agree_aave_eth_debt)
{
    finders_agree("ETH", "aave", "last", 0); /* a loop: wstETH falls further than ETH */
}

Test(cdp, index_and_scan_agree_aave_fixed_oracle)
{
    finders_agree("quote", "aave", "fixed", 0); /* wstETH's fall unseen: ETH's only */
}

Test(cdp, index_and_scan_agree_compound)
{
    finders_agree("quote", "compound", "ema", 0);
}

Test(cdp, index_and_scan_agree_maker)
{
    finders_agree("quote", "maker", "last", 0);
}

/* ---- contagion ---------------------------------------------------------- */

/* ETH 2100 → 2000 at step 1. Example A's CDP is liquidated in round 1: its
 * liquidator sells 4.44125 ETH (8,882.50 quote at 2000) through a linear
 * book of depth_1pct 5e5: dJ = −0.01·8882.5/5e5, the price falls to
 * 2000·e^dJ = 1999.645. A perpetual long (1 ETH from 2100, collateral
 * 110.2, mmr 0.005: liquidation price (2100 − 110.2)/0.995 = 1999.799),
 * safe at 2000, is liquidated in round 2 of the same step; without the CDP
 * it never is. */
Test(cdp, a_cdp_sale_liquidates_a_perpetual_in_the_next_round)
{
    lc_scenario *sc = one_market(2100, 2000, "{model: linear, depth_1pct: 5.0e5, permanent: 1}",
                                 "{lending: aave}");
    lc_account acc[2] = {cdp(10, 17000), {.margin = LC_MARGIN_ISOLATED, .npos = 1, .ncol = 1}};
    acc[1].pos[0] = (lc_position){0, 1, 1, 2100};
    acc[1].col[0] = (lc_balance){LC_QUOTE, 110.2};
    for (int with = 1; with >= 0; with--) {
        lc_population *pop = population(sc, acc + !with, 1 + with);
        lc_run_row row;
        lc_eventbuf ev;
        t_run_both(sc, pop, 0, &row, &ev);
        const lc_event *cdp_ev = NULL, *perp_ev = NULL;
        for (long i = 0; i < ev.n; i++) {
            if (ev.v[i].kind == LC_EVENT_CDP && !cdp_ev)
                cdp_ev = &ev.v[i];
            if (ev.v[i].kind == LC_EVENT_LIQUIDATION && !perp_ev)
                perp_ev = &ev.v[i];
        }
        if (with) {
            cr_assert(cdp_ev && perp_ev, "both liquidated");
            cr_assert(cdp_ev->step == 1 && cdp_ev->round == 1);
            cr_assert(perp_ev->step == 1 && perp_ev->round == 2,
                      "the perpetual at step %ld round %ld", (long)perp_ev->step,
                      (long)perp_ev->round);
            /* the perpetual sold at round 2's VWAP from the price the sale left */
            double p1 = 2000 * exp(-0.01 * 8882.5 / 5.0e5), dj = -0.01 * p1 / 5.0e5;
            near(perp_ev->price, p1 * expm1(dj) / dj, "the perpetual's VWAP");
        } else {
            cr_assert(!perp_ev, "without the CDP the perpetual survives");
        }
        lc_eventbuf_free(&ev);
        lc_population_free(pop);
    }
    lc_scenario_free(sc);
}

/* ---- Maker Liquidations 2.0 --------------------------------------------- */

/* ETH-A (mat 1.45: lt = 1/1.45; chop 1.13: bonus 0.13), 90-s steps, ETH
 * from 2200 to s1 at step 1, no impact; a vault of 10 ETH and 14,700 DAI
 * (safe at 2200: 10·2200/1.45 = 15,172). */
static void maker_vault_run(double coll, double debt, double s1, const char *venue, long steps,
                            lc_run_row *row, lc_eventbuf *ev)
{
    char text[2048];
    snprintf(text, sizeof text,
             "simulation: {runs: 1, steps: %ld, dt: 90, seed: 1}\n"
             "markets:\n"
             "  - name: ETH\n"
             "    price: {model: gbm, s0: 2200, mu: 0, sigma: 0,\n"
             "            shock: {shape: step, size: %.17g, start: 0}}\n"
             "    impact: {model: none}\n"
             "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
             "    lending: {lt: %.17g, bonus: 0.13}\n"
             "population: {accounts: 1, notional: {dist: fixed, value: 1000}, leverage: {dist: "
             "fixed, value: 2}}\n"
             "venue: %s\n",
             steps, s1 / 2200 - 1, 1 / 1.45, venue);
    lc_scenario *sc = t_scenario(text);
    lc_account a = cdp(coll, debt);
    lc_population *pop = population(sc, &a, 1);
    t_run_both(sc, pop, 0, row, ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

static void maker_run(double s1, const char *venue, long steps, lc_run_row *row, lc_eventbuf *ev)
{
    maker_vault_run(10, 14700, s1, venue, steps, row, ev);
}

/* dss's example, ETH 2000: unsafe (10·2000/1.45 = 13,793 < 14,700); bark
 * at step 1: tab 14,700·1.13 = 16,611, top 2000·1.10 = 2,200, the keeper's
 * 250 + 0.001·16,611 = 266.611. The stairstep price 2200·0.99^⌊dur/90⌋ is
 * first below the market's 2000 at 10 cuts (dur 900 s, step 11):
 * 1,989.640565; the taker buys what the tab needs, 16,611/1,989.640565 =
 * 8.348744 ETH (1.651256 back to the owner), sells at 2000: pnl
 * 8.348744·2000 − 16,611 = 86.488; no bad debt. */
Test(cdp, maker_auction_taken_when_below_the_market)
{
    lc_run_row row;
    lc_eventbuf ev;
    maker_run(2000, "{lending: maker}", 20, &row, &ev);
    double price = 2200 * pow(0.99, 10), slice = 16611 / price;
    near(price, 1989.640565, "the curve at 900 s");
    const lc_event *bark = NULL, *take = NULL;
    for (long i = 0; i < ev.n; i++) {
        if (ev.v[i].kind == LC_EVENT_CDP)
            bark = &ev.v[i];
        if (ev.v[i].kind == 11)
            take = &ev.v[i];
    }
    cr_assert(bark && take);
    if (!bark || !take) /* (cr_assert has returned; for the analysers) */
        return;
    cr_assert_eq(bark->step, 1);
    near(-bark->qty, 10, "the lot");
    cr_assert_eq(take->step, 11, "taken at step %ld", (long)take->step);
    near(take->price, price, "auction price");
    near(-take->qty, slice, "slice");
    near(take->notional, 16611, "owe = the tab");
    cr_assert_eq(lc_run_value(&row, "maker_kicks"), 1);
    cr_assert_eq(lc_run_value(&row, "maker_takes"), 1);
    near(lc_run_value(&row, "maker_raised"), 16611, "raised");
    near(lc_run_value(&row, "maker_incentives"), 266.611, "keeper");
    cr_assert_eq(lc_run_value(&row, "maker_auctions_end"), 0);
    near(row.cdp_repaid, 14700, "debt into the auction");
    near(row.cdp_bad_debt, 0, "bad debt");
    near(row.cdp_liquidator_pnl, slice * 2000 - 16611, "taker's pnl");
    near(lc_run_value(&row, "maker_returned"), (10 - slice) * 2000, "the rest of the lot back");
    lc_eventbuf_free(&ev);
}

/* ETH 1400: top 1,540, first below 1400 at 10 cuts: 1,392.748; the whole
 * lot for 13,927.484 < the tab: the auction ends sold out, 14,700 −
 * 13,927.484 = 772.516 of the debt not raised: bad debt. */
Test(cdp, maker_auction_sold_out_below_its_debt_is_bad_debt)
{
    lc_run_row row;
    lc_eventbuf ev;
    maker_run(1400, "{lending: maker}", 20, &row, &ev);
    double price = 1540 * pow(0.99, 10);
    near(lc_run_value(&row, "maker_raised"), 10 * price, "raised");
    near(row.cdp_bad_debt, 14700 - 10 * price, "bad debt");
    near(row.cdp_bad_debt, 772.516, "by hand");
    cr_assert_eq(lc_run_value(&row, "maker_auctions_end"), 0);
    lc_eventbuf_free(&ev);
}

/* No taker (gas above any profit): 0.99^79 = 0.4520 > cusp 0.45 > 0.99^80 =
 * 0.4475, so the auction needs its redo at dur 7,200 s (80 cuts, step 81),
 * one second before tail would: top again 2000·1.1, the keeper paid again. */
Test(cdp, maker_auction_resets_at_its_cusp)
{
    lc_run_row row;
    lc_eventbuf ev;
    maker_run(2000, "{lending: maker, liquidators: {gas: 1.0e9}}", 100, &row, &ev);
    cr_assert_eq(lc_run_value(&row, "maker_redos"), 1);
    cr_assert_eq(lc_run_value(&row, "maker_takes"), 0);
    cr_assert_eq(lc_run_value(&row, "maker_auctions_end"), 1);
    near(lc_run_value(&row, "maker_tab_end"), 16611, "tab outstanding");
    near(lc_run_value(&row, "maker_incentives"), 2 * 266.611, "two kicks' incentives");
    lc_eventbuf_free(&ev);
    maker_run(2000, "{lending: maker, liquidators: {gas: 1.0e9}}", 80, &row, &ev);
    cr_assert_eq(lc_run_value(&row, "maker_redos"), 0, "not before step 81");
    lc_eventbuf_free(&ev);
    /* a small vault, 3.4 ETH / 5,000 DAI: tab 5,650 < chost = 7,500·1.13 = 8,475:
     * its redo pays the keeper nothing (clip.sol l.299–305), its kick 250 + 5.65 */
    maker_vault_run(3.4, 5000, 2000, "{lending: maker, liquidators: {gas: 1.0e9}}", 100, &row, &ev);
    cr_assert_eq(lc_run_value(&row, "maker_redos"), 1);
    near(lc_run_value(&row, "maker_incentives"), 255.65, "the kick's alone");
    lc_eventbuf_free(&ev);
}

/* The hole: 10,000 DAI of room per market takes dart = 10,000/1.13 =
 * 8,849.56 of the 14,700 (the rest, 5,850.44, is not dust at dust 1,000;
 * at ETH-A's 7,500 it would be, and the bark would take it all); dink =
 * 10·8,849.56/14,700 = 6.0201 ETH; the vault keeps 3.9799 ETH and 5,850.44
 * DAI, still unsafe, and waits for room (the hole frees as the auction is
 * taken). */
Test(cdp, maker_hole_limits_a_bark)
{
    lc_run_row row;
    lc_eventbuf ev;
    maker_run(2000, "{lending: maker, maker: {hole: 10000, dust: 1000}}", 3, &row, &ev);
    const lc_event *bark = first_event(&ev, LC_EVENT_CDP);
    cr_assert_not_null(bark);
    near(-bark->qty, 10 * (10000 / 1.13) / 14700, "dink");
    near(row.cdp_repaid, 10000 / 1.13, "dart");
    cr_assert_eq(lc_run_value(&row, "maker_kicks"), 1, "no room for a second");
    lc_eventbuf_free(&ev);
}

/* ---- Liquity v1 ------------------------------------------------------------ */

/* liquity/dev's worked case: troves A 10 ETH / 18,500 LUSD, B 20 / 10,000, C
 * 30 / 20,000, a stability pool of 10,000; MCR 1.1 (lt = 1/1.1). ETH 2100
 * → 2000 at step 1: A's ICR 1.081 < 1.1. A liquidated: 0.05 ETH and 200
 * LUSD to the liquidator; the pool offsets 10,000 and gets 9.95·10000/18500
 * = 5.378378 ETH; 8,500 LUSD and 4.571622 ETH are redistributed by stake
 * (B 20, C 30 of 50): B 21.828649 ETH / 13,400, C 32.742973 / 25,100. At
 * step 2, ETH 800: C's ICR 32.742973·800/25,100 = 1.0436 < 1.1 (without the
 * redistribution, 30·800/20,000 = 1.2: safe): liquidated, the pool empty,
 * all of it to B: 54.407784 ETH / 38,500, ICR 1.1305 at 800: safe. */
Test(cdp, liquity_offset_then_redistribution_breaches_another_trove)
{
    lc_scenario *sc = t_scenario(
        "simulation: {runs: 1, steps: 4, dt: 60, seed: 1}\n"
        "markets:\n"
        "  - name: ETH\n"
        "    price: {model: bridge, s0: 2100, sigma: 0, pin_times: [60, 120, 240],\n"
        "            pin_prices: [2000, 800, 800]}\n"
        "    impact: {model: none}\n"
        "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"
        "    lending: {lt: 0.90909090909090906, bonus: 0}\n"
        "population: {accounts: 1, notional: {dist: fixed, value: 1000}, leverage: {dist: "
        "fixed, value: 2}}\n"
        "venue: {lending: liquity, liquity: {stability_pool: 10000}}\n");
    lc_account acc[3] = {cdp(10, 18500), cdp(20, 10000), cdp(30, 20000)};
    lc_population *pop = population(sc, acc, 3);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 2, "A, then C");
    cr_assert(e[0]->step == 1 && pop->origin[e[0]->account] == 0, "A at step 1");
    cr_assert(e[1]->step == 2 && pop->origin[e[1]->account] == 2, "C at step 2");
    near(-e[1]->qty, 30 + 9.95 * 8500 / 18500 * 30 / 50, "C's collateral after A's share");
    near(lc_run_value(&row, "liquity_offset"), 10000, "offset");
    near(lc_run_value(&row, "liquity_redistributed"), 8500 + 25100, "redistributed");
    cr_assert_eq(lc_run_value(&row, "liquity_redistributions"), 2);
    near(lc_run_value(&row, "liquity_pool_end"), 0, "pool emptied");
    near(lc_run_value(&row, "liquity_pool_collateral_end"), 9.95 * 10000 / 18500 * 800,
         "the pool's ETH");
    near(row.cdp_repaid, 18500 + 25100, "debt");
    near(row.cdp_bad_debt, 0, "bad debt");
    /* the liquidator: 0.5% of the collateral at the oracle and 200 LUSD, twice */
    near(row.cdp_liquidator_pnl, 0.005 * 10 * 2000 + 200 + 0.005 * (32.742973 * 800) + 200,
         "compensation");
    cr_assert_eq(row.cdp_liq_count, 2, "B survives at ICR 1.13");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(cdp, index_and_scan_agree_liquity)
{
    finders_agree("quote", "liquity", "last", 0);
}

/* Recovery mode, liquity/dev's capped case: ETH 2000 → 1500; X 10 ETH /
 * 11,000 (ICR 1.3636), Y 30 / 31,000 (1.4516): TCR 40·1500/42,000 = 1.4286
 * < 150%, X's ICR below it, the pool (20,000) covers its debt: capped at
 * 11,000·1.1/1500 = 8.066667 ETH (0.040333 to the liquidator, 8.026333 to
 * the pool), 1.933333 ETH (2,900) back to X's owner; then TCR = Y's ICR
 * 1.4516: not below it, Y stays. At 2000 (TCR 1.9) nothing happens. */
Test(cdp, liquity_recovery_mode_liquidates_at_a_capped_rate)
{
    lc_scenario *sc =
        one_market(2000, 1500, "{model: none}",
                   "{lending: liquity, liquity: {stability_pool: 20000}, liquidators: {}}");
    /* one_market's lt 0.83 is no Liquity's: MCR 1.1 */
    sc->market[0].lt = 1 / 1.1;
    lc_account acc[2] = {cdp(10, 11000), cdp(30, 31000)};
    lc_population *pop = population(sc, acc, 2);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    const lc_event *e[4];
    cr_assert_eq(cdp_events(&ev, e, 4), 1, "X alone");
    cr_assert(e[0]->step == 1 && pop->origin[e[0]->account] == 0);
    near(-e[0]->qty, 11000 * 1.1 / 1500, "capped collateral");
    near(e[0]->fee, 0, "no protocol fee");
    near(row.cdp_liquidator_pnl, 11000 * 1.1 / 1500 * 0.005 * 1500 + 200, "the 0.5% and 200 LUSD");
    cr_assert_eq(lc_run_value(&row, "liquity_recovery_count"), 1);
    near(lc_run_value(&row, "liquity_surplus"), (10 - 11000 * 1.1 / 1500) * 1500, "surplus");
    near(lc_run_value(&row, "liquity_surplus"), 2900, "by hand");
    near(lc_run_value(&row, "liquity_pool_end"), 9000, "pool");
    near(lc_run_value(&row, "liquity_offset"), 11000, "offset");
    near(row.cdp_bad_debt, 0, "bad debt");
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* validate summarises the CDPs at s0; with two identical CDPs of HF 1.1 (10
 * ETH at 2000, lt 0.83, 15,090.91 quote of debt) all their debt is below
 * 1.111 and none below 1.053. */
Test(cdp, validate_describes_the_cdps)
{
    char *dir = t_tmpdir();
    char *csv = t_write(dir, "cdp.csv",
                        "account,margin,leg,market,side,notional,entry,amount\n"
                        "a,cdp,collateral,ETH,,,,10\na,cdp,debt,quote,,,,15090.909090909\n"
                        "b,cdp,collateral,ETH,,,,10\nb,cdp,debt,quote,,,,15090.909090909\n");
    char text[2048];
    snprintf(text, sizeof text,
             "markets:\n"
             "  - {name: ETH, price: {model: gbm, s0: 2000}, tiers: [{up_to: 1e300, mmr: 0.01, "
             "max_leverage: 50}], lending: {lt: 0.83}}\n"
             "population: {file: %s}\n"
             "venue: {lending: aave}\n",
             csv);
    char *yaml = t_write(dir, "s.yaml", text), *out = NULL;
    cr_assert_eq(t_cli(&out, "validate %s", yaml), 0, "%s", out);
    assert_has(out, "# cdps: 2 (aave), collateral 4e+04 quote, debt 3.018e+04 quote at s0; "
                    "health factor q05 1.100, q50 1.100, q95 1.100;");
    assert_has(out, "(a 5% / 10% / 20% fall, for a quote debt): 0 / 3.018e+04 / 3.018e+04 quote");
    free(out);
    free(yaml);
    free(csv);
    t_rmdir(dir);
}

/* The last trove is not liquidated while the pool cannot take it whole (no
 * one to redistribute to: no bad debt made up); with a pool that covers it,
 * it is. One trove, 10 ETH / 12,000 LUSD, ETH 2100 → 1300 (ICR 1.083). */
Test(cdp, liquity_keeps_the_last_trove)
{
    for (int pool = 0; pool < 2; pool++) {
        char venue[128];
        snprintf(venue, sizeof venue, "{lending: liquity, liquity: {stability_pool: %d}}",
                 pool ? 20000 : 0);
        lc_scenario *sc = one_market(2100, 1300, "{model: none}", venue);
        sc->market[0].lt = 1 / 1.1;
        lc_account a = cdp(10, 12000);
        lc_population *pop = population(sc, &a, 1);
        lc_run_row row;
        lc_eventbuf ev;
        t_run_both(sc, pop, 0, &row, &ev);
        cr_assert_eq(row.cdp_liq_count, pool, "pool %d", pool);
        near(row.cdp_bad_debt, 0, "no bad debt");
        lc_eventbuf_free(&ev);
        lc_population_free(pop);
        lc_scenario_free(sc);
    }
}

/* With no takers' capacity at all (capacity 0) a linear auction (tau 900 s,
 * no cusp, no tail) runs to a price of 0 at dur 900 s (the bark at step 1,
 * so step 11) and is cleared there by a zero bid: the whole lot of 10 ETH
 * for nothing, the vault's 14,700 of debt not raised is bad debt (Black
 * Thursday's zero bids, docs/validation.md). */
Test(cdp, maker_auction_with_no_takers_clears_at_a_zero_bid)
{
    lc_run_row row;
    lc_eventbuf ev;
    maker_run(2000,
              "{lending: maker, maker: {curve: linear, tau: 900, cusp: 0, tail: 1.0e9}, "
              "liquidators: {capacity: 0}}",
              20, &row, &ev);
    const lc_event *take = first_event(&ev, 11);
    cr_assert_not_null(take);
    if (!take)
        return;
    cr_assert_eq(take->step, 11, "taken at step %ld", (long)take->step);
    cr_assert_eq(take->price, 0, "a zero bid");
    near(-take->qty, 10, "the whole lot");
    near(lc_run_value(&row, "maker_raised"), 0, "nothing raised");
    near(row.cdp_bad_debt, 14700, "the debt not raised");
    near(take->shortfall, 14700, "on the event");
    cr_assert_eq(lc_run_value(&row, "maker_auctions_end"), 0);
    lc_eventbuf_free(&ev);
}

/* The linear curve (LinearDecrease): 2200·(1 − dur/3600), first below the
 * market's 2000 at dur 360 s (step 5): 1,980; the slice 16,611/1,980. */
Test(cdp, maker_linear_curve_at_given_times)
{
    lc_run_row row;
    lc_eventbuf ev;
    maker_run(2000, "{lending: maker, maker: {curve: linear, tau: 3600}}", 20, &row, &ev);
    const lc_event *take = first_event(&ev, 11);
    cr_assert_not_null(take);
    if (!take)
        return;
    cr_assert_eq(take->step, 5);
    near(take->price, 1980, "2200·(1 − 360/3600)");
    near(-take->qty, 16611 / 1980.0, "slice");
    lc_eventbuf_free(&ev);
}

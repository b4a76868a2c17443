/* test_spanning.c — accounts that span markets (sim/venue/spanning.c,
 * engine/slack.c, DESIGN §13), against numbers worked out by hand from the
 * formulas of spanning.h:
 *   E = Σ_quote b + Σ_a b·M_a·rate_a + Σ s·q·(M − E0)
 *   R = Σ maintenance(q·M) by the market's tiers,  S = E − θ·R
 *   X = Σ_m max(net_m, gross_m − net_m), net_m = Σ s·q·M + b·M·rate (market m's
 *       positions and collateral), gross_m = θ·mmr_max·Σ q·M;
 *   ρ = 2u/(2 + u), u = S/X (<= log1p(u); shrunk)
 *  - cross accounts, healthy and breached, with quote and haircut collateral;
 *  - portfolio margin: breached at uniMMR = E/R <= venue.uni_mmr (1.05);
 *  - one position and quote: the root of S is the isolated closed form of
 *    venue.h (θ = 1) and its level price at k = θ (portfolio), over tiers;
 *  - the safety radius: no move inside it breaches (every vertex of the box
 *    of moves, where the concave S has its minimum), and it is not loose by
 *    more than 2× for one position;
 *  - a whole run (index and scan): every liquidated account's money to the
 *    cent — the round's prices replayed from the events through the linear
 *    impact model, the plan's collateral sales, the collateral taken at the
 *    mark, fee and shortfall — and the fund's identity over the run;
 *  - ADL across markets (venue/adl.c): a bankrupt spanning account's
 *    uncovered loss U shared by closed notional, each leg deleveraged against
 *    the isolated other side in ADL-score order at p_m = x_m + s·U_m/q_m
 *    (under-water counterparties passed over), the untaken rest bad debt;
 *  - the backstop vault (venue/backstop.c): accounts below 2/3 of their
 *    maintenance taken at the marks with no flow, fee or fund, the vault's
 *    value and its geometric unwind down to the last crumbs. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/book.h"
#include "engine/engine.h"
#include "engine/rng.h"
#include "engine/run.h"
#include "support.h"
#include "venue/spanning.h"

/* Two markets, one flat tier each: BTC mmr 0.005, ETH mmr 0.01 with
 * collateral_rate 0.8 (BTC's is the default, 1). */
#define TWO_MARKETS                                                                                \
    "simulation: {runs: 1, steps: 1, dt: 60, seed: 1}\n"                                           \
    "markets:\n"                                                                                   \
    "  - name: BTC\n"                                                                              \
    "    price: {model: gbm, s0: 60000, sigma: 0.5}\n"                                             \
    "    impact: {model: none}\n"                                                                  \
    "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"                               \
    "  - name: ETH\n"                                                                              \
    "    price: {model: gbm, s0: 3000, sigma: 0.7}\n"                                              \
    "    impact: {model: none}\n"                                                                  \
    "    tiers: [{up_to: 1.0e300, mmr: 0.01, max_leverage: 50}]\n"                                 \
    "    collateral_rate: 0.8\n"                                                                   \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 5}\n"                                                        \
    "venue: {uni_mmr: 1.05}\n"

enum { BTC, ETH };

static void near(double got, double want, const char *what)
{
    cr_assert(fabs(got - want) <= 1e-9 * fabs(want), "%s: %.15g, want %.15g", what, got, want);
}

/* ---- a. cross margin by hand -------------------------------------------- */

/* Long 1 BTC at 60000, short 10 ETH at 3000, quote 5000. */
static const lc_position hedge[2] = {{BTC, 1, 1, 60000}, {ETH, -1, 10, 3000}};

Test(spanning, cross_account_by_hand)
{
    lc_scenario *sc = t_scenario(TWO_MARKETS);
    cr_assert_eq(lc_span_threshold(sc, LC_MARGIN_CROSS), 1.0);
    lc_balance quote[1] = {{LC_QUOTE, 5000}};
    /* healthy, marks BTC 58000, ETH 3100:
     *   E = 5000 + 1·(58000 − 60000) − 10·(3100 − 3000) = 5000 − 2000 − 1000 = 2000
     *   R = 0.005·58000 + 0.01·(10·3100) = 290 + 310 = 600,  S = 1400
     *   X: BTC max(58000, 290 − 58000) = 58000; ETH max(−31000, 310 + 31000) = 31310;
     *   X = 89310 */
    double m1[2] = {58000, 3100};
    lc_span_eval e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 2, quote, 1, m1);
    near(e.equity, 2000, "E");
    near(e.requirement, 600, "R");
    near(e.slack, 1400, "S");
    near(e.exposure, 89310, "X");
    /* u = 1400/89310, ρ = 2u/(2 + u), shrunk by 1e-9 relative and absolute */
    double u = 1400.0 / 89310.0;
    near(lc_span_radius(e), 2 * u / (2 + u) * (1 - 1e-9) - 1e-9, "radius");
    cr_assert_leq(lc_span_radius(e), log1p(u), "within log1p's bound");
    /* by direction: fall = BTC's 58000; rise = ETH's 31310 (BTC's 290 −
     * 58000 < 0): a hedge loses both ways, its reach is the radius */
    near(e.fall, 58000, "fall");
    near(e.rise, 31310, "rise");
    lc_reach_dir dir;
    cr_assert_eq(lc_span_reach(e, &dir), lc_span_radius(e));
    cr_assert_eq(dir, LC_REACH_EITHER);
    /* the long leg alone (quote 5000): E = 3000, R = 290, S = 2710, only
     * falls hurt it: ρ = −log1p(−S/58000), and a fall by e^−ρ leaves S > 0
     * while the symmetric radius would have stopped at 2u/(2 + u) */
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 1, quote, 1, m1);
    near(e.slack, 2710, "S, long");
    cr_assert_eq(e.rise, 0);
    double reach = lc_span_reach(e, &dir);
    cr_assert_eq(dir, LC_REACH_FALLS);
    near(reach, -log1p(-2710.0 / 58000.0) * (1 - 1e-9) - 1e-9, "reach, long");
    cr_assert_gt(reach, lc_span_radius(e));
    double fell[2] = {58000 * exp(-reach), 3100};
    cr_assert_gt(lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 1, quote, 1, fell).slack, 0);
    double rose[2] = {1e9, 3100}; /* no rise can breach a long */
    cr_assert_gt(lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 1, quote, 1, rose).slack, 0);
    /* the short leg alone: only rises hurt it, ρ = log1p(S/rise), rise =
     * 310 + 31000 = 31310; E = 5000 − 1000 = 4000, S = 3690 */
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge + 1, 1, quote, 1, m1);
    cr_assert_eq(e.fall, 0);
    reach = lc_span_reach(e, &dir);
    cr_assert_eq(dir, LC_REACH_RISES);
    near(reach, log1p(3690.0 / 31310.0) * (1 - 1e-9) - 1e-9, "reach, short");
    double up[2] = {58000, 3100 * exp(reach)};
    cr_assert_gt(lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge + 1, 1, quote, 1, up).slack, 0);
    /* the margin model's hooks give the same E and R */
    lc_account a = {.margin = LC_MARGIN_CROSS, .npos = 2, .ncol = 1};
    memcpy(a.pos, hedge, sizeof hedge);
    a.col[0] = quote[0];
    near(lc_margin_cross.equity(&a, m1, sc), 2000, "hook E");
    near(lc_margin_cross.requirement(&a, m1, sc), 600, "hook R");

    /* liquidated, marks BTC 57000, ETH 3150:
     *   E = 5000 − 3000 − 1500 = 500,  R = 285 + 315 = 600,  S = −100 <= 0 */
    double m2[2] = {57000, 3150};
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 2, quote, 1, m2);
    near(e.equity, 500, "E");
    near(e.requirement, 600, "R");
    near(e.slack, -100, "S");
    cr_assert_eq(lc_span_radius(e), 0, "a breached account has no radius");
    /* bankrupt as well, marks BTC 56000, ETH 3200: E = 5000 − 4000 − 2000 = −1000,
     * R = 280 + 320 = 600, S = −1600 */
    double m3[2] = {56000, 3200};
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 2, quote, 1, m3);
    near(e.equity, -1000, "E");
    near(e.slack, -1600, "S");
    lc_scenario_free(sc);
}

Test(spanning, cross_account_with_haircut_collateral)
{
    lc_scenario *sc = t_scenario(TWO_MARKETS);
    cr_assert_eq(sc->market[ETH].collateral_rate, 0.8);
    cr_assert_eq(sc->market[BTC].collateral_rate, 1.0);
    /* long 1 BTC at 60000; quote 1000 and 2 ETH */
    lc_position pos[1] = {{BTC, 1, 1, 60000}};
    lc_balance col[2] = {{LC_QUOTE, 1000}, {ETH, 2}};
    /* marks BTC 59000, ETH 3000:
     *   E = 1000 + 2·3000·0.8 + (59000 − 60000) = 1000 + 4800 − 1000 = 4800
     *   R = 0.005·59000 = 295,  S = 4505
     *   X: BTC max(59000, 295 − 59000) = 59000; ETH (collateral) 4800; X = 63800 */
    double m1[2] = {59000, 3000};
    lc_span_eval e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, pos, 1, col, 2, m1);
    near(e.equity, 4800, "E");
    near(e.requirement, 295, "R");
    near(e.slack, 4505, "S");
    near(e.exposure, 63800, "X");
    /* marks BTC 56000, ETH 2000:
     *   E = 1000 + 2·2000·0.8 − 4000 = 200,  R = 280,  S = −80: breached
     * (at rate 1 the ETH would count 4000, E = 1000 > R: the haircut breaches it) */
    double m2[2] = {56000, 2000};
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, pos, 1, col, 2, m2);
    near(e.equity, 200, "E");
    near(e.requirement, 280, "R");
    near(e.slack, -80, "S");
    /* collateral in BTC against a short ETH: short 5 ETH at 3000, quote 100,
     * 0.1 BTC; marks BTC 50000, ETH 3200:
     *   E = 100 + 0.1·50000·1 − 5·(3200 − 3000) = 100 + 5000 − 1000 = 4100
     *   R = 0.01·16000 = 160,  S = 3940,
     *   X: ETH max(−16000, 160 + 16000) = 16160; BTC (collateral) 5000; X = 21160 */
    lc_position sh[1] = {{ETH, -1, 5, 3000}};
    lc_balance btc[2] = {{LC_QUOTE, 100}, {BTC, 0.1}};
    double m3[2] = {50000, 3200};
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, sh, 1, btc, 2, m3);
    near(e.equity, 4100, "E");
    near(e.requirement, 160, "R");
    near(e.slack, 3940, "S");
    near(e.exposure, 21160, "X");
    /* quote only, no position: no exposure, no price can breach it */
    lc_balance q[1] = {{LC_QUOTE, 10}};
    e = lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, NULL, 0, q, 1, m3);
    cr_assert_eq(e.exposure, 0);
    cr_assert_eq(lc_span_radius(e), INFINITY);
    lc_scenario_free(sc);
}

/* ---- b. portfolio margin by hand ----------------------------------------- */

Test(spanning, portfolio_margin_breaches_at_uni_mmr)
{
    lc_scenario *sc = t_scenario(TWO_MARKETS);
    cr_assert_eq(lc_span_threshold(sc, LC_MARGIN_PORTFOLIO), 1.05);
    /* the hedge of cross_account_by_hand at marks BTC 58000, ETH 3100:
     * pnl = −2000 − 1000 = −3000, R = 600 */
    double m[2] = {58000, 3100};
    /* quote 3720: E = 720, uniMMR = 720/600 = 1.2 > 1.05, S = 720 − 1.05·600 = 90;
     * X: BTC max(58000, 1.05·290 − 58000) = 58000; ETH max(−31000, 1.05·310 + 31000)
     * = 31325.5; X = 89325.5 */
    lc_balance q1[1] = {{LC_QUOTE, 3720}};
    lc_span_eval e = lc_span_evaluate(sc, LC_MARGIN_PORTFOLIO, 0, hedge, 2, q1, 1, m);
    near(e.equity, 720, "E");
    near(e.requirement, 600, "R");
    near(e.equity / e.requirement, 1.2, "uniMMR");
    near(e.slack, 90, "S");
    near(e.exposure, 89325.5, "X");
    cr_assert_gt(lc_span_radius(e), 0);
    /* quote 3612: E = 612, uniMMR = 1.02 in (1, 1.05]: breached, S = 612 − 630 = −18;
     * the same account under cross margin is not: S = 612 − 600 = 12 */
    lc_balance q2[1] = {{LC_QUOTE, 3612}};
    e = lc_span_evaluate(sc, LC_MARGIN_PORTFOLIO, 0, hedge, 2, q2, 1, m);
    near(e.equity / e.requirement, 1.02, "uniMMR");
    near(e.slack, -18, "S");
    cr_assert_eq(lc_span_radius(e), 0);
    near(lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 2, q2, 1, m).slack, 12, "cross S");
    /* the same E from quote 1132 and 1 ETH at rate 0.8: 1132 + 0.8·3100 − 3000 =
     * 1132 + 2480 − 3000 = 612; the ETH held nets against the short: ETH's
     * net = −31000 + 2480 = −28520, X_ETH = 325.5 + 28520 = 28845.5; X = 86845.5 */
    lc_balance q3[2] = {{ETH, 1}, {LC_QUOTE, 1132}};
    e = lc_span_evaluate(sc, LC_MARGIN_PORTFOLIO, 0, hedge, 2, q3, 2, m);
    near(e.equity, 612, "E");
    near(e.slack, -18, "S");
    near(e.exposure, 86845.5, "X");
    lc_account a = {.margin = LC_MARGIN_PORTFOLIO, .npos = 2, .ncol = 2};
    memcpy(a.pos, hedge, sizeof hedge);
    memcpy(a.col, q3, sizeof q3);
    near(lc_margin_portfolio.equity(&a, m, sc), 612, "hook E");
    near(lc_margin_portfolio.requirement(&a, m, sc), 600, "hook R");
    /* quote 3500: E = 500, uniMMR 0.833 <= 1: breached in both models */
    lc_balance q4[1] = {{LC_QUOTE, 3500}};
    near(lc_span_evaluate(sc, LC_MARGIN_PORTFOLIO, 0, hedge, 2, q4, 1, m).slack, 500 - 630, "S");
    near(lc_span_evaluate(sc, LC_MARGIN_CROSS, 0, hedge, 2, q4, 1, m).slack, -100, "cross S");
    lc_scenario_free(sc);
}

Test(spanning, uni_mmr_is_the_scenarios)
{
    char *text = strdup(TWO_MARKETS);
    memcpy(strstr(text, "uni_mmr: 1.05"), "uni_mmr: 1.25", 13);
    lc_scenario *sc = t_scenario(text);
    free(text);
    cr_assert_eq(lc_span_threshold(sc, LC_MARGIN_PORTFOLIO), 1.25);
    /* quote 3720 of the test above: E = 720, S = 720 − 1.25·600 = −30 */
    double m[2] = {58000, 3100};
    lc_balance q1[1] = {{LC_QUOTE, 3720}};
    near(lc_span_evaluate(sc, LC_MARGIN_PORTFOLIO, 0, hedge, 2, q1, 1, m).slack, -30, "S");
    lc_scenario_free(sc);
}

/* ---- c. one position and quote: the isolated closed form ------------------ */

/* BTCUSDT-like tiers; cum by continuity: 0, 50000·0.001 = 50,
 * 50 + 250000·0.005 = 1300, 1300 + 1e6·0.015 = 16300. */
#define TIERED                                                                                     \
    "simulation: {runs: 1, steps: 1, dt: 60, seed: 1}\n"                                           \
    "price: {model: gbm, s0: 60000, sigma: 0.5}\n"                                                 \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 5}\n"                                                        \
    "venue:\n"                                                                                     \
    "  uni_mmr: 1.05\n"                                                                            \
    "  tiers:\n"                                                                                   \
    "    - {up_to: 50000, mmr: 0.004, max_leverage: 125}\n"                                        \
    "    - {up_to: 250000, mmr: 0.005, max_leverage: 100}\n"                                       \
    "    - {up_to: 1000000, mmr: 0.01, max_leverage: 50}\n"                                        \
    "    - {up_to: 1.0e300, mmr: 0.025, max_leverage: 20}\n"

Test(spanning, one_position_root_is_the_isolated_liquidation_price)
{
    lc_scenario *sc = t_scenario(TIERED);
    const lc_tier *t = sc->market[0].tiers;
    int nt = sc->market[0].ntiers;
    cr_assert_eq(nt, 4);
    near(t[1].cum, 50, "cum 1");
    near(t[2].cum, 1300, "cum 2");
    near(t[3].cum, 16300, "cum 3");
    /* by hand: long 2 at 60000 with C = 12000 (10x): in tier 1,
     *   liq = (qE − C − cum)/(q(1 − mmr)) = (120000 − 12000 − 50)/(2·0.995) = 107950/1.99,
     * whose notional 2·54246.23 = 108492 is in tier 1's (50000, 250000] */
    int tier;
    near(lc_tier_liq_price(1, 2, 60000, 12000, t, nt, &tier), 107950 / 1.99, "liq");
    cr_assert_eq(tier, 1);
    /* quantities spread over the tiers at the root, both sides, leverage 5..100 */
    static const double qty[] = {0.3, 0.7, 2, 3.5, 10, 14, 40, 90};
    static const double lev[] = {100, 20, 50, 8, 30, 5, 15, 12};
    int seen[2][4] = {{0}};
    for (int side = 1; side >= -1; side -= 2)
        for (int k = 0; k < 8; k++) {
            double q = qty[k], entry = 60000 * (1 + 0.01 * side * (k % 3)), c = q * entry / lev[k];
            lc_position pos[1] = {{0, side, q, entry}};
            lc_balance col[1] = {{LC_QUOTE, c}};
            for (int margin = LC_MARGIN_CROSS; margin <= LC_MARGIN_PORTFOLIO; margin++) {
                /* θ = 1: the liquidation price; θ = 1.05: the level E = 1.05·R */
                double liq = margin == LC_MARGIN_CROSS
                                 ? lc_tier_liq_price(side, q, entry, c, t, nt, &tier)
                                 : lc_tier_level_price(side, q, entry, c, t, nt, 1.05, &tier);
                if (margin == LC_MARGIN_CROSS)
                    seen[side > 0][tier] = 1;
                double at[1] = {liq}, before[1] = {liq * (1 + side * 1e-9)},
                       beyond[1] = {liq * (1 - side * 1e-9)};
                lc_span_eval e = lc_span_evaluate(sc, margin, 0, pos, 1, col, 1, at);
                cr_assert(fabs(e.slack) <= 1e-10 * q * liq, "side %d q %g margin %d: S %g at %.12g",
                          side, q, margin, e.slack, liq);
                e = lc_span_evaluate(sc, margin, 0, pos, 1, col, 1, before);
                cr_assert_gt(e.slack, 0, "side %d q %g margin %d: breached before %.12g", side, q,
                             margin, liq);
                e = lc_span_evaluate(sc, margin, 0, pos, 1, col, 1, beyond);
                cr_assert_leq(e.slack, 0, "side %d q %g margin %d: not breached beyond %.12g", side,
                              q, margin, liq);
            }
        }
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 4; k++)
            cr_assert(seen[s][k], "side slot %d: no root in tier %d", s, k);
    lc_scenario_free(sc);
}

/* ---- d. the safety radius ------------------------------------------------ */

/* Three markets with rising tiers (maintenance convex) and haircuts. */
#define THREE_MARKETS                                                                              \
    "simulation: {runs: 1, steps: 1, dt: 60, seed: 1}\n"                                           \
    "markets:\n"                                                                                   \
    "  - name: A\n"                                                                                \
    "    price: {model: gbm, s0: 60000}\n"                                                         \
    "    tiers: [{up_to: 50000, mmr: 0.004, max_leverage: 125},\n"                                 \
    "            {up_to: 250000, mmr: 0.005, max_leverage: 100},\n"                                \
    "            {up_to: 1000000, mmr: 0.01, max_leverage: 50},\n"                                 \
    "            {up_to: 1.0e300, mmr: 0.025, max_leverage: 20}]\n"                                \
    "  - name: B\n"                                                                                \
    "    price: {model: gbm, s0: 3000}\n"                                                          \
    "    tiers: [{up_to: 100000, mmr: 0.01, max_leverage: 50},\n"                                  \
    "            {up_to: 1.0e300, mmr: 0.02, max_leverage: 25}]\n"                                 \
    "    collateral_rate: 0.8\n"                                                                   \
    "  - name: C\n"                                                                                \
    "    price: {model: gbm, s0: 150}\n"                                                           \
    "    tiers: [{up_to: 20000, mmr: 0.006, max_leverage: 60},\n"                                  \
    "            {up_to: 300000, mmr: 0.012, max_leverage: 30},\n"                                 \
    "            {up_to: 1.0e300, mmr: 0.03, max_leverage: 10}]\n"                                 \
    "    collateral_rate: 0.55\n"                                                                  \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 5}\n"                                                        \
    "venue: {uni_mmr: 1.05}\n"

typedef struct rand_account {
    int margin, npos, ncol;
    lc_position pos[3];
    lc_balance col[3];
    double marks[3];
} rand_account;

/* A random account at random marks whose slack is a random fraction
 * f in [1e-5, 0.3] of its exposure (quote chosen for it; >= 0). */
static void random_account(gsl_rng *r, const lc_scenario *sc, int single, rand_account *a)
{
    *a = (rand_account){.margin = gsl_rng_uniform(r) < 0.5 ? LC_MARGIN_CROSS : LC_MARGIN_PORTFOLIO};
    int perm[3] = {0, 1, 2};
    for (int k = 2; k > 0; k--) {
        int j = (int)gsl_rng_uniform_int(r, (unsigned long)k + 1), x = perm[k];
        perm[k] = perm[j];
        perm[j] = x;
    }
    for (int k = 0; k < 3; k++)
        a->marks[k] = lc_scenario_s0(sc, k) * exp(0.4 * (gsl_rng_uniform(r) - 0.5));
    a->npos = single ? 1 : 1 + (int)gsl_rng_uniform_int(r, 3);
    for (int k = 0; k < a->npos; k++) {
        int m = perm[k];
        double n = pow(10, 3 + 3.5 * gsl_rng_uniform(r)); /* notional 1e3 .. 3e6 */
        double entry = a->marks[m] * exp(0.1 * (gsl_rng_uniform(r) - 0.5));
        a->pos[k] = (lc_position){m, gsl_rng_uniform(r) < 0.5 ? 1 : -1, n / entry, entry};
    }
    a->col[a->ncol++] = (lc_balance){LC_QUOTE, 0};
    if (!single && gsl_rng_uniform(r) < 0.6) { /* collateral in a random asset */
        int m = (int)gsl_rng_uniform_int(r, 3);
        a->col[a->ncol++] = (lc_balance){m, 1e4 * gsl_rng_uniform(r) / a->marks[m]};
    }
    lc_span_eval e = lc_span_evaluate(sc, a->margin, 0, a->pos, a->npos, a->col, a->ncol, a->marks);
    double f = pow(10, -5 + 4.5 * gsl_rng_uniform(r));
    double want = f * e.exposure - e.slack; /* quote adds 1:1 to S and nothing to X */
    a->col[0].amount = want > 0 ? want : 0;
}

static double slack_at(const lc_scenario *sc, const rand_account *a, const double *d)
{
    double m[3];
    for (int k = 0; k < 3; k++)
        m[k] = a->marks[k] * exp(d[k]);
    return lc_span_evaluate(sc, a->margin, 0, a->pos, a->npos, a->col, a->ncol, m).slack;
}

/* S is concave in the marks (tiers from continuity with rising rates), so its
 * minimum over the box {max_k |Δ log M_k| <= ρ'} — a box in the marks too —
 * is at one of its 8 vertices: checking them all (at ρ' = ρ·(1 − 1e-12)) and
 * random points inside checks every move within the radius. */
Test(spanning, no_move_within_the_radius_breaches)
{
    lc_scenario *sc = t_scenario(THREE_MARKETS);
    gsl_rng *r = lc_rng_create(77, 1, 0);
    long checked = 0, tight = 0;
    for (int trial = 0; trial < 20000; trial++) {
        rand_account a;
        random_account(r, sc, 0, &a);
        lc_span_eval e = lc_span_evaluate(sc, a.margin, 0, a.pos, a.npos, a.col, a.ncol, a.marks);
        double rho = lc_span_radius(e);
        cr_assert(e.slack > 0 && rho > 0 && rho < INFINITY, "trial %d: S %g, ρ %g", trial, e.slack,
                  rho);
        double rr = rho * (1 - 1e-12), d[3];
        for (int v = 0; v < 8; v++) {
            for (int k = 0; k < 3; k++)
                d[k] = (v >> k & 1) ? rr : -rr;
            double s = slack_at(sc, &a, d);
            cr_assert_gt(s, 0, "trial %d vertex %d: S %g at ρ %g (S0 %g, X %g)", trial, v, s, rho,
                         e.slack, e.exposure);
            /* how much of the slack the worst vertex uses: the bound is not idle */
            tight += s < 0.5 * e.slack;
            checked++;
        }
        for (int j = 0; j < 8; j++) {
            for (int k = 0; k < 3; k++)
                d[k] = rr * (2 * gsl_rng_uniform(r) - 1);
            cr_assert_gt(slack_at(sc, &a, d), 0, "trial %d inside point %d", trial, j);
            checked++;
        }
    }
    cr_assert_gt(tight, 10000, "only %ld vertices used half the slack", tight);
    cr_assert_eq(checked, 20000 * 16);
    gsl_rng_free(r);
    lc_scenario_free(sc);
}

/* One position and quote: the adversarial move (long: marks down, short:
 * up) of 2ρ breaches. With S = (e^ρ − 1)·q·M·(1 + θ·mmr_max) (ρ unshrunk)
 * and the slack falling by at least q·M·(1 − e^−δ)·(1 − θ·mmr_max) (long)
 * or q·M·(e^δ − 1)·(1 + θ·mmr_min) (short) over a move δ, a move of 2ρ
 * breaches a long when (e^−ρ + e^−2ρ)(1 − θ·mmr_max) > 1 + θ·mmr_max, true
 * for ρ <= 0.25 at mmr_max <= 0.03, θ <= 1.05 (1.385·0.9685 = 1.34 >
 * 1.0315), and a short always (e^ρ + 1 >= 2 > (1 + θ·0.03)/(1 + θ·0.004)).
 * ρ >= 1e-6 keeps the shrink (1e-9) from mattering. */
Test(spanning, radius_is_within_twice_the_breaching_move)
{
    lc_scenario *sc = t_scenario(THREE_MARKETS);
    gsl_rng *r = lc_rng_create(78, 1, 0);
    long n = 0;
    for (int trial = 0; trial < 5000; trial++) {
        rand_account a;
        random_account(r, sc, 1, &a);
        lc_span_eval e = lc_span_evaluate(sc, a.margin, 0, a.pos, 1, a.col, 1, a.marks);
        double rho = lc_span_radius(e);
        if (!(rho >= 1e-6 && rho <= 0.25))
            continue;
        double d[3] = {0, 0, 0};
        d[a.pos[0].market] = -2 * rho * a.pos[0].side;
        double s = slack_at(sc, &a, d);
        cr_assert_leq(s, 0, "trial %d: side %d, ρ %g: S %g after 2ρ (S0 %g)", trial, a.pos[0].side,
                      rho, s, e.slack);
        /* and not within ρ */
        d[a.pos[0].market] = -rho * (1 - 1e-12) * a.pos[0].side;
        cr_assert_gt(slack_at(sc, &a, d), 0);
        n++;
    }
    cr_assert_gt(n, 3000, "only %ld accounts with 1e-6 <= ρ <= 0.25", n);
    gsl_rng_free(r);
    lc_scenario_free(sc);
}

/* ---- e. a whole run ------------------------------------------------------ */

/* Two markets without noise (gbm, sigma 0) that fall by a scripted step in
 * step 2 (t = 120 s > start 90 s): BTC 60000 → 45000, ETH 3000 → 2100. Linear
 * impact, all of it permanent, and mark = the price at every round, so each
 * round's prices follow from its trades: with p0 the market's price at the
 * round's start and n its net flow (base, + = buy),
 *   dJ = 0.01·n·p0/depth_1pct,  x = p0·expm1(dJ)/dJ,  next p0 = p0·e^dJ.
 * fee (%g), depth (%g twice) vary by case; the fund is small (300). */
#define RUN_SCENARIO                                                                               \
    "simulation: {runs: 1, steps: 6, dt: 60, seed: 1, max_rounds: 500}\n"                          \
    "markets:\n"                                                                                   \
    "  - name: BTC\n"                                                                              \
    "    price: {model: gbm, s0: 60000, mu: 0, sigma: 0,\n"                                        \
    "            shock: {shape: step, size: -0.25, start: 90}}\n"                                  \
    "    impact: {model: linear, depth_1pct: %g, permanent: 1}\n"                                  \
    "    mark: {model: last}\n"                                                                    \
    "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"                               \
    "    collateral_rate: 0.9\n"                                                                   \
    "  - name: ETH\n"                                                                              \
    "    price: {model: gbm, s0: 3000, mu: 0, sigma: 0,\n"                                         \
    "            shock: {shape: step, size: -0.3, start: 90}}\n"                                   \
    "    impact: {model: linear, depth_1pct: %g, permanent: 1}\n"                                  \
    "    mark: {model: last}\n"                                                                    \
    "    tiers: [{up_to: 1.0e300, mmr: 0.01, max_leverage: 50}]\n"                                 \
    "    collateral_rate: 0.5\n"                                                                   \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 5}\n"                                                        \
    "venue: {liquidation_fee: %g, insurance_fund: 300, uni_mmr: 1.05}\n"

static const double run_s0[2] = {60000, 3000}, run_shock[2] = {-0.25, -0.3};

#define Q(x)                                                                                       \
    {                                                                                              \
        LC_QUOTE, x                                                                                \
    }
#define P(m, s, q, e)                                                                              \
    {                                                                                              \
        m, s, q, e                                                                                 \
    }
/* Every account solvent at s0 (E > θ·R there). After the step, at 45000 and
 * 2100 before any impact:
 *  0  cross, long both, quote: E = 6000 − 15000 − 9000 < 0, a shortfall
 *  1  cross hedge: E = 4000 − 7500 + 4500 = 1000 > R = 112.5 + 105
 *  2  portfolio, ETH collateral: E = 2000 − 15000 + 5250 < 0; all ETH sold
 *  3  cross, ETH collateral: E = 1000 − 22500 + 14700 < 0; ~10.3 of 14 ETH sold
 *  4  cross short ETH, BTC collateral: E = 500 + 9000 + 4050, survives
 *  5  portfolio, quote: E = 231.75 = 1.03·R (R = 225): breached at uni_mmr 1.05
 *  6  the same under cross margin (stored isolated): E > R, not in that round
 *  7, 8 isolated; 9 cross hedge with BTC collateral; 10 portfolio with no
 *  quote; 11 cross long ETH, short BTC, BTC collateral
 *  12-15 isolated longs of BTC, liquidation prices 44000, 43000, 41000 and
 *        38000 (C = qE − L·q·(1 − mmr) = 12000 − 0.199·L): for later rounds
 *  16 cross long both, quote: E = 12500 − 7500 − 4500 = 500 > R = 217.5
 *  17 portfolio long BTC, ETH collateral: E = −6000 + 10500 = 4500 */
static const lc_account run_accounts[] = {
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(BTC, 1, 1, 60000), P(ETH, 1, 10, 3000)},
     .ncol = 1,
     .col = {Q(6000)}},
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(BTC, 1, 0.5, 60000), P(ETH, -1, 5, 3000)},
     .ncol = 1,
     .col = {Q(4000)}},
    {.margin = LC_MARGIN_PORTFOLIO,
     .npos = 1,
     .pos = {P(BTC, 1, 1, 60000)},
     .ncol = 2,
     .col = {Q(2000), {ETH, 5}}},
    {.margin = LC_MARGIN_CROSS,
     .npos = 1,
     .pos = {P(BTC, 1, 1.5, 60000)},
     .ncol = 2,
     .col = {Q(1000), {ETH, 14}}},
    {.margin = LC_MARGIN_CROSS,
     .npos = 1,
     .pos = {P(ETH, -1, 10, 3000)},
     .ncol = 2,
     .col = {Q(500), {BTC, 0.1}}},
    {.margin = LC_MARGIN_PORTFOLIO,
     .npos = 1,
     .pos = {P(BTC, 1, 1, 60000)},
     .ncol = 1,
     .col = {Q(15231.75)}},
    {.margin = LC_MARGIN_CROSS,
     .npos = 1,
     .pos = {P(BTC, 1, 1, 60000)},
     .ncol = 1,
     .col = {Q(15231.75)}},
    {.margin = LC_MARGIN_ISOLATED,
     .npos = 1,
     .pos = {P(ETH, -1, 2, 3000)},
     .ncol = 1,
     .col = {Q(600)}},
    {.margin = LC_MARGIN_ISOLATED,
     .npos = 1,
     .pos = {P(BTC, 1, 0.2, 60000)},
     .ncol = 1,
     .col = {Q(1200)}},
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(BTC, 1, 1, 58000), P(ETH, -1, 20, 3000)},
     .ncol = 2,
     .col = {Q(3000), {BTC, 0.05}}},
    {.margin = LC_MARGIN_PORTFOLIO,
     .npos = 1,
     .pos = {P(BTC, 1, 1, 60000)},
     .ncol = 1,
     .col = {{ETH, 12}}},
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(ETH, 1, 25, 3000), P(BTC, -1, 0.5, 60000)},
     .ncol = 2,
     .col = {{BTC, 0.4}, Q(100)}},
#define ISO_BTC(c)                                                                                 \
    {                                                                                              \
        .margin = LC_MARGIN_ISOLATED, .npos = 1, .pos = {P(BTC, 1, 0.2, 60000)}, .ncol = 1,        \
        .col = {                                                                                   \
            Q(c)                                                                                   \
        }                                                                                          \
    }
    ISO_BTC(3244),
    ISO_BTC(3443),
    ISO_BTC(3841),
    ISO_BTC(4438),
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(BTC, 1, 0.5, 60000), P(ETH, 1, 5, 3000)},
     .ncol = 1,
     .col = {Q(12500)}},
    {.margin = LC_MARGIN_PORTFOLIO,
     .npos = 1,
     .pos = {P(BTC, 1, 0.4, 60000)},
     .ncol = 1,
     .col = {{ETH, 10}}},
};
#define RUN_N ((long)(sizeof run_accounts / sizeof *run_accounts))

/* What the cases exercised, over all of them. */
typedef struct run_tally {
    long span_liqs, iso_liqs, sales, partial_sales, taken, full_fee, capped_fee, shortfalls,
        bad_runs, rounds, deepest;
} run_tally;

#define CENT 0.005

typedef struct replay {
    double depth, fee_rate;
    double lf[2], j[2];   /* log fundamental, permanent impact (log) */
    double fund, covered; /* the fund as the events leave it, shortfalls it paid */
    double fees, shortfalls, proceeds, taken_value;
    long span_liqs;
    int liquidated[RUN_N]; /* by origin */
} replay;

/* The market's log price at step t: log s0 + (the step's move once t·dt > 90). */
static void replay_step(replay *rp, long t)
{
    for (int m = 0; m < 2; m++)
        rp->lf[m] = log(run_s0[m]) + (t * 60.0 > 90 ? log1p(run_shock[m]) : 0.0);
}

/* The money of one isolated account's liquidation (one event). */
static void check_isolated(replay *rp, const lc_account *a, const lc_event *e, run_tally *tl)
{
    const lc_position *p = &a->pos[0];
    cr_assert_eq(e->kind, LC_EVENT_LIQUIDATION);
    cr_assert_eq(e->market, p->market);
    cr_assert(fabs(e->qty - p->side * p->qty) <= 1e-12 * p->qty);
    double c = a->ncol ? a->col[0].amount : 0, x = e->price;
    double pnl = p->side * p->qty * (x - p->entry), equity = c + pnl;
    double fee = equity > 0 ? fmin(rp->fee_rate * p->qty * x, equity) : 0;
    double shortfall = equity < 0 ? -equity : 0, returned = equity > 0 ? equity - fee : 0;
    cr_assert(fabs(e->fee - fee) < CENT, "fee %.6f, want %.6f", e->fee, fee);
    cr_assert(fabs(e->shortfall - shortfall) < CENT, "shortfall %.6f, want %.6f", e->shortfall,
              shortfall);
    cr_assert(fabs(c + pnl - (returned + e->fee - e->shortfall)) < CENT);
    tl->iso_liqs++;
}

/* A spanning account's events [e, e + n): its positions closed in order,
 * then the plan's sales at the round's marks M (mark = p0), then settlement
 * at the prices x; collateral left is taken at M while the quote is < 0.
 * Identity: quote + pnl + Σ sold·x + Σ taken·M = returned + fee − shortfall. */
static void check_spanning(replay *rp, const lc_account *a, const lc_event *e, long n,
                           const double *mark, run_tally *tl)
{
    cr_assert_geq(n, a->npos, "every position closes");
    double quote = 0, after, pnl = 0, notional = 0, proceeds = 0, sold[LC_ACCOUNT_MAX_LEGS] = {0};
    for (int k = 0; k < a->ncol; k++)
        quote += a->col[k].asset == LC_QUOTE ? a->col[k].amount : 0;
    after = quote;
    for (int k = 0; k < a->npos; k++) {
        const lc_position *p = &a->pos[k];
        cr_assert_eq(e[k].kind, LC_EVENT_LIQUIDATION);
        cr_assert_eq(e[k].market, p->market);
        cr_assert(fabs(e[k].qty - p->side * p->qty) <= 1e-12 * p->qty);
        double m = mark[p->market];
        after += p->side * p->qty * (m - p->entry) - rp->fee_rate * p->qty * m;
        pnl += p->side * p->qty * (e[k].price - p->entry);
        notional += p->qty * e[k].price;
    }
    /* the plan: sell each non-quote balance, in order, as much as covers
     * what is missing at the mark */
    long s = a->npos;
    for (int k = 0; k < a->ncol && after < 0; k++) {
        if (a->col[k].asset == LC_QUOTE || !(a->col[k].amount > 0))
            continue;
        double m = mark[a->col[k].asset], u = fmin(-after / m, a->col[k].amount);
        after += u * m;
        cr_assert_lt(s, n, "balance %d not sold", k);
        cr_assert_eq(e[s].kind, LC_EVENT_COLLATERAL_SALE);
        cr_assert_eq(e[s].market, a->col[k].asset);
        cr_assert(fabs(-e[s].qty - u) <= 1e-9 * u, "sold %.12g, want %.12g", -e[s].qty, u);
        cr_assert_eq(e[s].fee, 0);
        cr_assert_eq(e[s].shortfall, 0);
        sold[k] = -e[s].qty;
        proceeds += -e[s].qty * e[s].price;
        tl->sales++;
        tl->partial_sales += u < a->col[k].amount;
        s++;
    }
    double q = quote + pnl + proceeds, taken = 0;
    for (int k = 0; k < a->ncol && q < 0; k++) {
        if (a->col[k].asset == LC_QUOTE)
            continue;
        double m = mark[a->col[k].asset], take = fmin(-q / m, a->col[k].amount - sold[k]);
        q += take * m;
        taken += take * m;
        if (take > 0) { /* a kind-8 row: the asset taken at its mark */
            cr_assert_lt(s, n, "balance %d taken without its row", k);
            cr_assert_eq(e[s].kind, LC_EVENT_COLLATERAL_TAKEN);
            cr_assert_eq(e[s].market, a->col[k].asset);
            cr_assert(fabs(-e[s].qty - take) <= 1e-9 * take, "taken %.12g, want %.12g", -e[s].qty,
                      take);
            cr_assert(fabs(e[s].price - m) <= 1e-12 * m);
            rp->taken_value += take * m;
            s++;
        }
    }
    cr_assert_eq(s, n, "no other events");
    double fee = q >= 0 ? fmin(rp->fee_rate * notional, q) : 0, shortfall = q < 0 ? -q : 0;
    double efee = 0, eshort = 0;
    for (long k = 0; k < n; k++) {
        efee += e[k].fee;
        eshort += e[k].shortfall;
        cr_assert(fabs(e[k].notional - fabs(e[k].qty) * e[k].price) <= 1e-9 * e[k].notional);
    }
    cr_assert(fabs(efee - fee) < CENT, "fee %.6f, want %.6f (Q %.6f)", efee, fee, q);
    cr_assert(fabs(eshort - shortfall) < CENT, "shortfall %.6f, want %.6f", eshort, shortfall);
    double returned = q >= 0 ? q - fee : 0;
    cr_assert(fabs(quote + pnl + proceeds + taken - (returned + efee - eshort)) < CENT);
    rp->proceeds += proceeds;
    tl->span_liqs++;
    tl->taken += taken > 1e-6;
    tl->full_fee += efee > 0 && fabs(efee - rp->fee_rate * notional) < 1e-9 * notional;
    tl->capped_fee += efee > 0 && efee < rp->fee_rate * notional - CENT;
    rp->span_liqs++;
}

/* Replay a run's events round by round: the prices, then every account. */
static void replay_run(replay *rp, const lc_population *pop, const lc_eventbuf *ev, run_tally *tl)
{
    long first_step = -1, first_round = -1;
    for (long g0 = 0, g1; g0 < ev->n; g0 = g1) {
        const lc_event *e0 = &ev->v[g0];
        for (g1 = g0; g1 < ev->n && ev->v[g1].step == e0->step && ev->v[g1].round == e0->round;)
            g1++;
        if (first_step < 0)
            first_step = e0->step, first_round = e0->round;
        replay_step(rp, e0->step);
        double p0[2], n[2] = {0, 0}, x[2];
        for (long k = g0; k < g1; k++) /* kind 8 is no trade */
            if (ev->v[k].kind != LC_EVENT_COLLATERAL_TAKEN)
                n[ev->v[k].market] +=
                    ev->v[k].kind == LC_EVENT_COLLATERAL_SALE ? ev->v[k].qty : -ev->v[k].qty;
        for (int m = 0; m < 2; m++) {
            p0[m] = exp(rp->lf[m] + rp->j[m]);
            double dj = 0.01 * n[m] * p0[m] / rp->depth;
            x[m] = dj == 0 ? p0[m] : p0[m] * expm1(dj) / dj;
            rp->j[m] += dj;
        }
        for (long k = g0; k < g1; k++) {
            double want = ev->v[k].kind == LC_EVENT_COLLATERAL_TAKEN ? p0[ev->v[k].market]
                                                                     : x[ev->v[k].market];
            cr_assert(fabs(ev->v[k].price - want) <= 1e-9 * want,
                      "event %ld: price %.12g, replayed %.12g", k, ev->v[k].price, want);
        }
        for (long k = g0, k1; k < g1; k = k1) { /* account by account */
            long i = ev->v[k].account, o = (long)pop->origin[i];
            for (k1 = k; k1 < g1 && ev->v[k1].account == i;)
                k1++;
            cr_assert(!rp->liquidated[o], "account %ld liquidated twice", o);
            rp->liquidated[o] = 1;
            if (lc_population_spans(pop, i))
                check_spanning(rp, &run_accounts[o], ev->v + k, k1 - k, p0, tl);
            else {
                cr_assert_eq(k1 - k, 1);
                check_isolated(rp, &run_accounts[o], &ev->v[k], tl);
            }
            for (long j = k; j < k1; j++) { /* the fund, in settlement order */
                double pay = fmin(ev->v[j].shortfall, rp->fund);
                rp->fund += ev->v[j].fee - pay;
                rp->covered += pay;
                rp->fees += ev->v[j].fee;
                rp->shortfalls += ev->v[j].shortfall;
            }
        }
        /* account 5 (portfolio, uniMMR 1.03) goes in the first round, its
         * cross twin 6 (E > R there) does not */
        if (e0->step == first_step && e0->round == first_round) {
            int in5 = 0, in6 = 0;
            for (long k = g0; k < g1; k++) {
                in5 |= pop->origin[ev->v[k].account] == 5;
                in6 |= pop->origin[ev->v[k].account] == 6;
            }
            cr_assert(in5 && !in6, "first round: account 5 %d, account 6 %d", in5, in6);
        }
        tl->rounds++;
        if (e0->step == first_step && e0->round - first_round + 1 > tl->deepest)
            tl->deepest = e0->round - first_round + 1;
    }
}

/* The accounts never liquidated are not breached at the final prices. */
static void survivors_not_breached(const lc_scenario *sc, const lc_population *pop,
                                   const replay *rp)
{
    double mark[2];
    for (int m = 0; m < 2; m++)
        mark[m] = exp(rp->lf[m] + rp->j[m]);
    for (long i = 0; i < pop->n; i++) {
        const lc_account *a = &run_accounts[pop->origin[i]];
        if (rp->liquidated[pop->origin[i]])
            continue;
        lc_span_eval e =
            lc_span_evaluate(sc, a->margin == LC_MARGIN_ISOLATED ? LC_MARGIN_CROSS : a->margin, 0,
                             a->pos, a->npos, a->col, a->ncol, mark);
        cr_assert_gt(e.slack, 0, "account %ld survived breached (S %g)", (long)pop->origin[i],
                     e.slack);
    }
}

static void run_case(double fee, double depth, run_tally *tl)
{
    char text[4096];
    snprintf(text, sizeof text, RUN_SCENARIO, depth, depth, fee);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_from_accounts(sc, RUN_N, run_accounts, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    /* the accounts of isolated shape (isolated, or cross with one position and
     * quote: 6, 7, 8, 12-15) are on the cursor; the others span markets */
    cr_assert_eq(pop->n - pop->span0, RUN_N - 7);
    for (long i = pop->span0 + 1; i < pop->n; i++) /* in origin order (population.h) */
        cr_assert_lt(pop->origin[i - 1], pop->origin[i]);
    lc_run_row run_row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &run_row, &ev);
    replay rp = {.depth = depth, .fee_rate = fee, .fund = 300};
    replay_run(&rp, pop, &ev, tl);
    const lc_run_row *row = &run_row;
    cr_assert_eq(row->truncated, 0);
    survivors_not_breached(sc, pop, &rp);
    /* the run's totals: fees, fund and bad debt to the cent */
    cr_assert(fabs(row->fees - rp.fees) < CENT, "fees %.6f vs events %.6f", row->fees, rp.fees);
    cr_assert(fabs(row->insurance_end - (300 + rp.fees - rp.covered)) < CENT,
              "insurance_end %.6f, want %.6f", row->insurance_end, 300 + rp.fees - rp.covered);
    cr_assert(fabs(row->insurance_end - rp.fund) < CENT);
    cr_assert(fabs(row->bad_debt - (rp.shortfalls - rp.covered)) < CENT, "bad debt %.6f, want %.6f",
              row->bad_debt, rp.shortfalls - rp.covered);
    cr_assert_eq(row->span_liq_count, rp.span_liqs);
    cr_assert(fabs(row->collateral_sold - rp.proceeds) < CENT, "collateral_sold %.6f vs %.6f",
              row->collateral_sold, rp.proceeds);
    cr_assert(fabs(row->collateral_taken - rp.taken_value) < CENT, "collateral_taken %.6f vs %.6f",
              row->collateral_taken, rp.taken_value);
    /* 0, 2, 3, 5, 8, 10 are breached at the step's prices before any impact */
    static const int breached[] = {0, 2, 3, 5, 8, 10};
    for (int k = 0; k < 6; k++)
        cr_assert(rp.liquidated[breached[k]], "account %d not liquidated", breached[k]);
    cr_assert(!rp.liquidated[4] && !rp.liquidated[7], "the shorts of ETH gain: they survive");
    tl->shortfalls += rp.shortfalls > 0;
    tl->bad_runs += row->bad_debt > CENT;
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

Test(spanning, a_run_balances_to_the_cent)
{
    run_tally tl = {0};
    /* thin books and a small fee: slippage beyond the fee, collateral taken;
     * thick books: the fee paid whole; a large fee: the fee capped by equity */
    run_case(0.002, 1e5, &tl);
    run_case(0.002, 1e8, &tl);
    run_case(0.02, 5e5, &tl);
    run_case(0.001, 3e4, &tl);
    cr_assert_gt(tl.span_liqs, 15);
    cr_assert_gt(tl.sales, 6);
    cr_assert_gt(tl.partial_sales, 2);
    cr_assert_gt(tl.taken, 0, "no collateral taken at the mark");
    cr_assert_gt(tl.full_fee, 0, "no fee paid whole");
    cr_assert_gt(tl.capped_fee, 0, "no fee capped by the equity left");
    cr_assert_eq(tl.bad_runs, 4, "the fund (300) cannot cover account 0");
    cr_assert_geq(tl.deepest, 3, "a cascade of three rounds at least (%ld)", tl.deepest);
}

/* lc_population_from_accounts refuses what no account can be, naming it. */
Test(spanning, bad_accounts_are_refused)
{
    lc_scenario *sc = t_scenario(TWO_MARKETS);
    lc_account ok = {.margin = LC_MARGIN_CROSS, .npos = 2, .ncol = 2};
    memcpy(ok.pos, hedge, sizeof hedge);
    ok.col[0] = (lc_balance){LC_QUOTE, 5000};
    ok.col[1] = (lc_balance){ETH, 1};
    lc_account bad[8];
    for (int k = 0; k < 8; k++)
        bad[k] = ok;
    bad[0].npos = 0;                    /* no position */
    bad[1].pos[1].market = 2;           /* no market 2 */
    bad[2].pos[0].side = 0;             /* no side */
    bad[3].pos[1].qty = 0;              /* no quantity */
    bad[4].pos[0].entry = -1;           /* no price */
    bad[5].col[1].amount = -1;          /* a negative balance */
    bad[6].col[1].asset = 5;            /* no asset 5 */
    bad[7].margin = LC_MARGIN_ISOLATED; /* isolated: one position, quote */
    lc_error err = {0};
    lc_population *pop = lc_population_from_accounts(sc, 1, &ok, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    cr_assert_eq(pop->span0, 0);
    cr_assert_eq(pop->n, 1);
    cr_assert_eq(lc_population_margin(pop, 0), LC_MARGIN_CROSS);
    lc_population_free(pop);
    for (int k = 0; k < 8; k++) {
        lc_account two[2] = {ok, bad[k]};
        lc_error_clear(&err);
        cr_assert_null(lc_population_from_accounts(sc, 2, two, &err), "case %d accepted", k);
        cr_assert(strstr(err.msg, "account 1"), "case %d: %s", k, err.msg);
    }
    lc_scenario_free(sc);
}

/* ---- f. ADL across markets (venue/adl.c on_shortfall) --------------------- */

/* The markets of section e without impact (every trade at the price, so
 * x_m = the step's price) and venue.adl: adl; the fund (%g) is small. BTC
 * 60000 → 45000 and ETH 3000 → 2100 in step 2 (t = 120 s > 90 s). */
#define ADL_SCENARIO                                                                               \
    "simulation: {runs: 1, steps: 3, dt: 60, seed: 1}\n"                                           \
    "markets:\n"                                                                                   \
    "  - name: BTC\n"                                                                              \
    "    price: {model: gbm, s0: 60000, mu: 0, sigma: 0,\n"                                        \
    "            shock: {shape: step, size: -0.25, start: 90}}\n"                                  \
    "    impact: {model: none}\n"                                                                  \
    "    mark: {model: last}\n"                                                                    \
    "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"                               \
    "  - name: ETH\n"                                                                              \
    "    price: {model: gbm, s0: 3000, mu: 0, sigma: 0,\n"                                         \
    "            shock: {shape: step, size: -0.3, start: 90}}\n"                                   \
    "    impact: {model: none}\n"                                                                  \
    "    mark: {model: last}\n"                                                                    \
    "    tiers: [{up_to: 1.0e300, mmr: 0.01, max_leverage: 50}]\n"                                 \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 5}\n"                                                        \
    "venue: {liquidation_fee: 0.002, insurance_fund: %g, adl: adl}\n"

#define ISO(m, s, q, e, c)                                                                         \
    {                                                                                              \
        .margin = LC_MARGIN_ISOLATED, .npos = 1, .pos = {P(m, s, q, e)}, .ncol = 1, .col = {       \
            Q(c)                                                                                   \
        }                                                                                          \
    }
/* 0  cross: long 1 BTC at 70000 (above s0) and 10 ETH at 3000, quote 11000.
 *    At s0: E = 11000 − 10000 = 1000 > R = 0.005·60000 + 0.01·30000 = 600.
 *    At 45000 and 2100: E = 11000 − 25000 − 9000 = −23000: the shortfall.
 * 1-4: isolated shorts of BTC at 60000; their pnl_leverage scores (the
 *    default ranking) at the mark M = 45000, (pnl/C)·(q·M/(C + pnl)):
 *  1  0.4, C 4800:  (6000/4800)·(18000/10800) = 1.25·1.667 = 2.083
 *  2  0.5, C 3000:  (7500/3000)·(22500/10500) = 2.5·2.143  = 5.357
 *  3  1,   C 500:   (15000/500)·(45000/15500) = 30·2.903   = 87.10 (first),
 *     but with equity 500 − (p − 60000) < 0 at any p > 60500: under water
 *     at p_BTC (> 60600 below), so it is passed over (E = 500 > R = 300 at s0)
 *  4  0.5, C 7500:  (7500/7500)·(22500/15000) = 1·1.5      = 1.5
 * 5-7: isolated shorts of ETH at 3000, at M = 2100:
 *  5  4, C 2400:    (3600/2400)·(8400/6000)   = 1.5·1.4    = 2.1
 *  6  2, C 600:     (1800/600)·(4200/2400)    = 3·1.75     = 5.25
 *  7  6, C 4500:    (5400/4500)·(12600/9900)  = 1.2·1.273  = 1.527
 * Every short gains in the fall and is never liquidated. */
static const lc_account adl_accounts[] = {
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(BTC, 1, 1, 70000), P(ETH, 1, 10, 3000)},
     .ncol = 1,
     .col = {Q(11000)}},
    ISO(BTC, -1, 0.4, 60000, 4800),
    ISO(BTC, -1, 0.5, 60000, 3000),
    ISO(BTC, -1, 1, 60000, 500),
    ISO(BTC, -1, 0.5, 60000, 7500),
    ISO(ETH, -1, 4, 3000, 2400),
    ISO(ETH, -1, 2, 3000, 600),
    ISO(ETH, -1, 6, 3000, 4500),
};

typedef struct adl_fill {
    int market, origin;
    double d;
} adl_fill;

/* Run the accounts 0 .. n−1 of adl_accounts with the fund `fund`; the
 * expected counterparty fills, in order, are want[0 .. nwant). */
static void adl_case(double fund, long n, const adl_fill *want, int nwant, double want_bad)
{
    char text[4096];
    snprintf(text, sizeof text, ADL_SCENARIO, fund);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_from_accounts(sc, n, adl_accounts, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    cr_assert_eq(pop->n - pop->span0, 1, "account 0 alone spans markets");
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    cr_assert_eq(row.truncated, 0);

    /* by hand: x = the step's prices, the loss at x and its split */
    const double x[2] = {60000 * 0.75, 3000 * 0.7}, q[2] = {1, 10};
    double shortfall = -(11000 + (x[BTC] - 70000) + 10 * (x[ETH] - 3000)); /* 23000 */
    double covered = fmin(shortfall, fund), u = shortfall - covered;
    double total = q[BTC] * x[BTC] + q[ETH] * x[ETH]; /* Σ q·x = 45000 + 21000 */
    double share[2], p[2];
    for (int m = 0; m < 2; m++) {
        share[m] = u * q[m] * x[m] / total;
        p[m] = x[m] + share[m] / q[m]; /* s = +1: both legs long */
    }
    cr_assert(fabs(shortfall - 23000) < 1e-9 * 23000);
    cr_assert_gt(p[BTC], 60500, "account 3 is under water at p_BTC %.6f", p[BTC]);

    /* the events: the bankrupt account's two kind-1 rows (the shortfall on
     * its first) and the counterparties' kind-2 rows, and nothing else */
    int nliq = 0, nadl = 0;
    double filled[2] = {0, 0}, borne = 0, adl_notional = 0;
    for (long k = 0; k < ev.n; k++) {
        const lc_event *e = &ev.v[k];
        long o = (long)pop->origin[e->account];
        cr_assert_eq(e->step, 2);
        cr_assert_eq(e->round, 1);
        if (e->kind == LC_EVENT_LIQUIDATION) {
            cr_assert_eq(o, 0, "event %ld: only account 0 is liquidated", k);
            cr_assert_eq(nadl, 0, "event %ld: the account's rows before its ADL group", k);
            cr_assert_eq(e->market, nliq, "its positions in order");
            cr_assert(fabs(e->qty - q[nliq]) <= 1e-12 * q[nliq]);
            cr_assert(fabs(e->price - x[nliq]) <= 1e-9 * x[nliq], "x %.12g", e->price);
            cr_assert_eq(e->fee, 0);
            double want_short = nliq == 0 ? shortfall : 0;
            cr_assert(fabs(e->shortfall - want_short) <= 1e-9 * shortfall, "shortfall %.9f",
                      e->shortfall);
            nliq++;
            continue;
        }
        cr_assert_eq(e->kind, 2, "event %ld: kind %ld", k, (long)e->kind);
        cr_assert_lt(nadl, nwant, "more ADL fills than expected");
        const adl_fill *w = &want[nadl++];
        cr_assert_eq(o, w->origin, "fill %d: account %ld, want %d", nadl - 1, o, w->origin);
        cr_assert_eq(e->market, w->market);
        cr_assert(fabs(e->qty + w->d) <= 1e-12 * w->d, "fill %d: qty %.15g, want %.15g", nadl - 1,
                  e->qty, -w->d);
        double pm = p[w->market];
        cr_assert(fabs(e->price - pm) <= 1e-9 * pm, "fill %d: price %.12g, want p_m %.12g",
                  nadl - 1, e->price, pm);
        cr_assert(fabs(e->notional - w->d * pm) <= 1e-9 * w->d * pm);
        cr_assert_eq(e->fee, 0);
        cr_assert_eq(e->shortfall, 0);
        filled[w->market] += -e->qty;
        borne += -e->qty * fabs(e->price - x[w->market]);
        adl_notional += -e->qty * e->price;
    }
    cr_assert_eq(nliq, 2);
    cr_assert_eq(nadl, nwant, "%d ADL fills, want %d", nadl, nwant);

    /* each leg's fills: its quantity, or all the other side had */
    double want_filled[2] = {0, 0};
    for (int k = 0; k < nwant; k++)
        want_filled[want[k].market] += want[k].d;
    for (int m = 0; m < 2; m++)
        cr_assert(fabs(filled[m] - want_filled[m]) <= 1e-12 * q[m], "market %d filled %.15g", m,
                  filled[m]);
    /* what the counterparties bear and what is left: U − bad debt, and the
     * untaken part of each leg's share (U_m·(1 − filled_m/q_m)) */
    double bad = 0;
    for (int m = 0; m < 2; m++)
        bad += share[m] * (1 - want_filled[m] / q[m]);
    cr_assert(fabs(bad - want_bad) <= 1e-9 * u, "bad debt by hand %.9f vs %.9f", bad, want_bad);
    cr_assert(fabs(row.bad_debt - want_bad) <= 1e-9 * u, "bad_debt %.9f, want %.9f", row.bad_debt,
              want_bad);
    cr_assert(fabs(borne - (u - row.bad_debt)) <= 1e-9 * u, "borne %.9f, U − bad %.9f", borne,
              u - row.bad_debt);
    /* /runs: the ADL columns, the fund emptied (covered = the whole fund),
     * no fee, the liquidation counts (ADL fills are not liquidations) */
    cr_assert_eq(lc_run_value(&row, "adl_count"), nwant);
    double adl_want = 0;
    for (int k = 0; k < nwant; k++)
        adl_want += want[k].d * p[want[k].market];
    cr_assert(fabs(lc_run_value(&row, "adl_notional") - adl_want) <= 1e-9 * adl_want,
              "adl_notional %.9f, want %.9f", lc_run_value(&row, "adl_notional"), adl_want);
    cr_assert(fabs(adl_notional - adl_want) <= 1e-9 * adl_want);
    cr_assert(fabs(row.insurance_end - (fund - covered)) <= 1e-9);
    cr_assert_eq(row.fees, 0);
    cr_assert_eq(row.span_liq_count, 1);
    for (int m = 0; m < 2; m++) {
        cr_assert_eq(row.mk[m].liq_count_long, 1);
        cr_assert_eq(row.mk[m].liq_count_short, 0);
        cr_assert(fabs(row.mk[m].price_final - x[m]) <= 1e-9 * x[m]);
    }
    /* open interest at the end: the shorts left, at x (account 0's longs
     * are closed). BTC: 0.4 + 0.5 + 1 + 0.5 = 2.4 less the leg's fills;
     * ETH: the shorts given less theirs */
    double eth_shorts = 0;
    for (long k = 5; k < n; k++)
        eth_shorts += adl_accounts[k].pos[0].qty;
    double oi[2] = {(2.4 - want_filled[BTC]) * x[BTC], (eth_shorts - want_filled[ETH]) * x[ETH]};
    for (int m = 0; m < 2; m++)
        cr_assert(fabs(row.mk[m].oi_end - oi[m]) <= 1e-9 * (oi[m] + x[m]),
                  "oi_end %d %.9f, want %.9f", m, row.mk[m].oi_end, oi[m]);
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* Fund 100: U = 23000 − 100 = 22900, U_BTC = 22900·45000/66000 = 15613.64,
 * p_BTC = 45000 + 15613.64 = 60613.64; U_ETH = 22900·21000/66000 = 7286.36,
 * p_ETH = 2100 + 728.64 = 2828.64. BTC, by score: 3 (under water at
 * p_BTC: 500 − 613.64 < 0) passed over, 2 whole (0.5), 1 whole (0.4), 4 for
 * the last 0.1 of its 0.5; ETH: 6 (2), 5 (4), 7 for 4 of its 6. Both legs
 * matched whole: no bad debt, the counterparties bear all of U. */
Test(spanning, adl_across_markets_by_rank_at_p_m)
{
    static const adl_fill want[] = {
        {BTC, 2, 0.5}, {BTC, 1, 0.4}, {BTC, 4, 0.1}, {ETH, 6, 2}, {ETH, 5, 4}, {ETH, 7, 4},
    };
    adl_case(100, 8, want, 6, 0);
}

/* Fund 0 and no account 7: U = 23000, U_BTC = 15681.82 (p_BTC = 60681.82,
 * 3 still under water) matched whole as above; in ETH only 6 + 4 = 6 of the
 * 10 are matched, so 4/10 of U_ETH = 23000·21000/66000 = 7318.18 is bad
 * debt: 2927.27. */
Test(spanning, adl_across_markets_short_of_counterparties)
{
    static const adl_fill want[] = {
        {BTC, 2, 0.5}, {BTC, 1, 0.4}, {BTC, 4, 0.1}, {ETH, 6, 2}, {ETH, 5, 4},
    };
    adl_case(0, 7, want, 5, 23000.0 * 21000 / 66000 * 0.4);
}

/* ---- g. the backstop vault (venue/backstop.c) ----------------------------- */

/* The fall of section e with linear impact (depth 1e5 both, all permanent),
 * fee 0.002, fund 1000, and the vault at Hyperliquid's f = 2/3 with unwind
 * u (%g); %d steps. */
#define BACKSTOP_SCENARIO                                                                          \
    "simulation: {runs: 1, steps: %d, dt: 60, seed: 1}\n"                                          \
    "markets:\n"                                                                                   \
    "  - name: BTC\n"                                                                              \
    "    price: {model: gbm, s0: 60000, mu: 0, sigma: 0,\n"                                        \
    "            shock: {shape: step, size: -0.25, start: 90}}\n"                                  \
    "    impact: {model: linear, depth_1pct: 1.0e5, permanent: 1}\n"                               \
    "    mark: {model: last}\n"                                                                    \
    "    tiers: [{up_to: 1.0e300, mmr: 0.005, max_leverage: 100}]\n"                               \
    "  - name: ETH\n"                                                                              \
    "    price: {model: gbm, s0: 3000, mu: 0, sigma: 0,\n"                                         \
    "            shock: {shape: step, size: -0.3, start: 90}}\n"                                   \
    "    impact: {model: linear, depth_1pct: 1.0e5, permanent: 1}\n"                               \
    "    mark: {model: last}\n"                                                                    \
    "    tiers: [{up_to: 1.0e300, mmr: 0.01, max_leverage: 50}]\n"                                 \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 5}\n"                                                        \
    "venue:\n"                                                                                     \
    "  liquidation_fee: 0.002\n"                                                                   \
    "  insurance_fund: 1000\n"                                                                     \
    "  backstop: {fraction: 0.6666666666666666, unwind: %g}\n"

/* At the marks after the fall, 45000 and 2100 (maintenance R, f·R = 2R/3):
 *  0  cross: long 1 BTC at 60000, 10 ETH at 3000; quote 6000 and 2 ETH.
 *     At s0: E = 6000 + 6000 = 12000 > R = 600. After: E = 6000 + 4200 −
 *     15000 − 9000 = −13800 < f·R = (225 + 210)·2/3 = 290: the vault's
 *  1  isolated long 0.2 BTC at 60000, C 3020: liquidation price
 *     (12000 − 3020)/(0.2·0.995) = 45125.6; E = 3020 − 3000 = 20 < f·R =
 *     (0.005·9000)·2/3 = 30: the vault's, with positive equity
 *  2  isolated long 0.2 BTC at 60000, C 3040: liquidation price 45025.1;
 *     E = 40 in [30, R = 45]: breached but above f·R, to the book
 * Settlement order: the BTC longs by decreasing liquidation price (1, 2),
 * then the spanning account 0. */
static const lc_account backstop_accounts[] = {
    {.margin = LC_MARGIN_CROSS,
     .npos = 2,
     .pos = {P(BTC, 1, 1, 60000), P(ETH, 1, 10, 3000)},
     .ncol = 2,
     .col = {Q(6000), {ETH, 2}}},
    ISO(BTC, 1, 0.2, 60000, 3020),
    ISO(BTC, 1, 0.2, 60000, 3040),
};

typedef struct vault_want {
    double pnl_end, pnl_min, inventory_end, inv[2];
    long unwinds[2]; /* kind-7 events per market */
    long gone_at[2]; /* the unwind (1 = first) that sold the last crumbs; 0: none */
} vault_want;

static void backstop_case(double u, int steps, vault_want *out)
{
    char text[4096];
    snprintf(text, sizeof text, BACKSTOP_SCENARIO, steps, u);
    lc_scenario *sc = t_scenario(text);
    lc_error err = {0};
    lc_population *pop = lc_population_from_accounts(sc, 3, backstop_accounts, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_run_row row;
    lc_eventbuf ev;
    t_run_both(sc, pop, 0, &row, &ev);
    cr_assert_eq(row.truncated, 0);

    /* step 2, round 1 by hand. Only account 2 trades: BTC flow n = −0.2,
     * dJ = 0.01·n·45000/1e5 = −0.0009, x = 45000·expm1(dJ)/dJ = 44979.76,
     * after it 45000·e^dJ = 44959.52; ETH's flow is 0 (account 0's ETH went
     * to the vault): its price stays 2100 */
    const double mark[2] = {45000, 2100}, depth = 1e5;
    double dj = 0.01 * -0.2 * mark[BTC] / depth, x2 = mark[BTC] * expm1(dj) / dj;
    double price[2] = {mark[BTC] * exp(dj), mark[ETH]};
    /* account 2's settlement: equity at x 3040 + 0.2·(x − 60000) = 35.95,
     * fee min(0.002·0.2·x, 35.95) = 17.99 */
    double eq2 = 3040 + 0.2 * (x2 - 60000), fee2 = fmin(0.002 * 0.2 * x2, eq2);
    cr_assert_gt(eq2, fee2);
    static const struct {
        int origin, market, kind;
        double qty, shortfall;
    } first[] = {
        {1, BTC, 6, 0.2, 0}, /* at the mark; E = 20 >= 0: no shortfall */
        {2, BTC, LC_EVENT_LIQUIDATION, 0.2, 0},
        {0, BTC, 6, 1, 13800}, /* its negative equity on its first row */
        {0, ETH, 6, 10, 0},
    };
    cr_assert_geq(ev.n, 4);
    for (int k = 0; k < 4; k++) {
        const lc_event *e = &ev.v[k];
        double px = first[k].kind == 6 ? mark[first[k].market] : x2;
        cr_assert_eq(e->step, 2);
        cr_assert_eq(e->round, 1);
        cr_assert_eq(pop->origin[e->account], first[k].origin, "event %d", k);
        cr_assert_eq(e->market, first[k].market, "event %d", k);
        cr_assert_eq(e->kind, first[k].kind, "event %d", k);
        cr_assert(fabs(e->qty - first[k].qty) <= 1e-12 * first[k].qty, "event %d", k);
        cr_assert(fabs(e->price - px) <= 1e-9 * px, "event %d: price %.12g, want %.12g", k,
                  e->price, px);
        cr_assert(fabs(e->notional - first[k].qty * px) <= 1e-9 * first[k].qty * px);
        cr_assert(fabs(e->fee - (first[k].kind == 6 ? 0 : fee2)) <= 1e-9, "event %d: fee %.9f", k,
                  e->fee);
        cr_assert(fabs(e->shortfall - first[k].shortfall) <= 1e-9 * 13800, "event %d: %.9f", k,
                  e->shortfall);
    }
    /* /runs: the vault took 1 and 0, notional at the marks 0.2·45000 +
     * 45000 + 10·2100 = 75000; no fee from them and the fund untouched: it
     * holds 1000 + fee2, no bad debt; every position counts as liquidated,
     * the vault's at the mark */
    cr_assert_eq(lc_run_value(&row, "backstop_count"), 2);
    cr_assert(fabs(lc_run_value(&row, "backstop_notional") - 75000) <= 1e-9 * 75000);
    cr_assert(fabs(row.fees - fee2) <= 1e-9);
    cr_assert(fabs(row.insurance_end - (1000 + fee2)) <= 1e-9);
    cr_assert_eq(row.insurance_min, 1000);
    cr_assert_eq(row.bad_debt, 0);
    cr_assert_eq(row.span_liq_count, 1);
    cr_assert_eq(row.mk[BTC].liq_count_long, 3);
    cr_assert_eq(row.mk[ETH].liq_count_long, 1);
    cr_assert_eq(row.liq_count_short, 0);
    double nl_btc = 0.2 * mark[BTC] + 0.2 * x2 + 1 * mark[BTC];
    cr_assert(fabs(row.mk[BTC].liq_notional_long - nl_btc) <= 1e-9 * nl_btc);
    cr_assert(fabs(row.mk[ETH].liq_notional_long - 21000) <= 1e-9 * 21000);

    /* The vault: cash = 6000 − (60000 + 30000) (account 0) + 3020 − 12000
     * (account 1) = −92980; inventory 1 + 0.2 = 1.2 BTC, 10 + 2 = 12 ETH
     * (its position and its collateral); its value at the marks
     * −92980 + 54000 + 25200 = −13780 = −13800 + 20, the equity taken.
     * Then per step from step 3, at the step's prices: its value (for the
     * minimum), and in each market a sale n = −u·inv (the whole of it when
     * |inv|·P·(1 − u) < 1e-6) through the impact as above. */
    double cash = -92980, inv[2] = {1.2, 12}, inv0[2] = {1.2, 12};
    cr_assert(fabs(cash + inv[BTC] * mark[BTC] + inv[ETH] * mark[ETH] - (-13800 + 20)) < 1e-9);
    double vmin = fmin(0, cash + inv[BTC] * mark[BTC] + inv[ETH] * mark[ETH]);
    long at = 4, nun[2] = {0, 0};
    *out = (vault_want){0};
    for (int t = 3; t <= steps; t++) {
        vmin = fmin(vmin, cash + inv[BTC] * price[BTC] + inv[ETH] * price[ETH]);
        for (int m = 0; m < 2 && u > 0; m++) {
            if (inv[m] == 0)
                continue;
            double n = -u * inv[m];
            int crumbs = fabs(inv[m]) * price[m] * (1 - u) < 1e-6;
            if (crumbs)
                n = -inv[m];
            double d = 0.01 * n * price[m] / depth, x = price[m] * expm1(d) / d;
            cr_assert_lt(at, ev.n, "step %d market %d: no unwind event", t, m);
            const lc_event *e = &ev.v[at++];
            cr_assert_eq(e->kind, 7);
            cr_assert_eq(e->account, -1);
            cr_assert_eq(e->step, t);
            cr_assert_eq(e->round, 0);
            cr_assert_eq(e->market, m);
            cr_assert(fabs(e->qty - n) <= 1e-9 * fabs(n),
                      "step %d market %d: qty %.15g, want %.15g", t, m, e->qty, n);
            cr_assert(fabs(e->price - x) <= 1e-9 * x, "step %d market %d: x %.12g, want %.12g", t,
                      m, e->price, x);
            cr_assert(fabs(e->notional - fabs(n) * x) <= 1e-9 * fabs(n) * x);
            cr_assert_eq(e->fee, 0);
            cr_assert_eq(e->shortfall, 0);
            cash -= n * x;
            inv[m] = crumbs ? 0 : inv[m] + n;
            nun[m]++;
            /* the inventory after k unwinds: (1 − u)^k of what was taken */
            double geo = inv0[m] * pow(1 - u, (double)nun[m]);
            if (crumbs)
                out->gone_at[m] = nun[m];
            else
                cr_assert(fabs(inv[m] - geo) <= 1e-9 * geo, "market %d after %ld: %.15g vs %.15g",
                          m, nun[m], inv[m], geo);
            price[m] *= exp(d);
        }
    }
    cr_assert_eq(at, ev.n, "events left: %ld", ev.n - at);
    double vend = cash + inv[BTC] * price[BTC] + inv[ETH] * price[ETH];
    vmin = fmin(vmin, vend);
    double gross = fabs(inv[BTC]) * price[BTC] + fabs(inv[ETH]) * price[ETH];
    for (int m = 0; m < 2; m++) {
        cr_assert(fabs(row.mk[m].price_final - price[m]) <= 1e-9 * price[m],
                  "price_final %d %.12g, want %.12g", m, row.mk[m].price_final, price[m]);
        out->inv[m] = inv[m];
        out->unwinds[m] = nun[m];
    }
    double got_end = lc_run_value(&row, "vault_pnl_end"),
           got_min = lc_run_value(&row, "vault_pnl_min"),
           got_inv = lc_run_value(&row, "vault_inventory_end");
    cr_assert(fabs(got_end - vend) <= 1e-9 * fabs(vend), "vault_pnl_end %.9f, want %.9f", got_end,
              vend);
    cr_assert(fabs(got_min - vmin) <= 1e-9 * fabs(vmin), "vault_pnl_min %.9f, want %.9f", got_min,
              vmin);
    cr_assert(fabs(got_inv - gross) <= 1e-9 * gross + 1e-12, "vault_inventory_end %.9f, want %.9f",
              got_inv, gross);
    out->pnl_end = got_end;
    out->pnl_min = got_min;
    out->inventory_end = got_inv;
    lc_eventbuf_free(&ev);
    lc_population_free(pop);
    lc_scenario_free(sc);
}

/* u = 0: the vault holds. Its value at the end is the equity taken plus the
 * inventory's P&L at the final prices: −13780 + 1.2·(P − 45000) +
 * 12·(2100 − 2100) with P = 45000·e^−0.0009 = 44959.52 (account 2's impact
 * alone): −13780 − 48.58 = −13828.58, also its lowest; it still holds
 * 1.2·P + 12·2100 = 53951.42 + 25200. */
Test(spanning, backstop_vault_takes_accounts_below_two_thirds)
{
    vault_want w;
    backstop_case(0, 4, &w);
    double p = 45000 * exp(-0.0009);
    near(w.pnl_end, -13780 + 1.2 * (p - 45000), "vault_pnl_end");
    near(w.pnl_min, w.pnl_end, "vault_pnl_min");
    near(w.inventory_end, 1.2 * p + 12 * 2100, "vault_inventory_end");
    cr_assert_eq(w.unwinds[BTC] + w.unwinds[ETH], 0);
}

/* u = 0.3: 5 steps of unwind (steps 3-7) leave 0.7^5 = 0.16807 of the
 * inventory: 0.201684 BTC and 2.01684 ETH. Run on, the last crumbs go whole:
 * BTC when 1.2·0.7^k·P·0.7 < 1e-6 with P ≈ 44700, 0.7^(k+1) < 1.86e-11,
 * k + 1 >= 70 (0.7^69 = 2.1e-11, 0.7^70 = 1.4e-11): its 70th unwind
 * (step 72) sells all; ETH 12·2095·0.7^(k+1) < 1e-6, 0.7^(k+1) < 4.0e-11:
 * its 68th (step 70). By step 75 the vault holds nothing and its value is
 * its cash. */
Test(spanning, backstop_vault_unwinds_geometrically)
{
    vault_want w;
    backstop_case(0.3, 7, &w);
    cr_assert_eq(w.unwinds[BTC], 5);
    cr_assert_eq(w.unwinds[ETH], 5);
    near(w.inv[BTC], 1.2 * 0.16807, "BTC left");
    near(w.inv[ETH], 12 * 0.16807, "ETH left");
    cr_assert_eq(w.gone_at[BTC] + w.gone_at[ETH], 0);
    backstop_case(0.3, 75, &w);
    cr_assert_eq(w.gone_at[BTC], 70);
    cr_assert_eq(w.gone_at[ETH], 68);
    cr_assert_eq(w.unwinds[BTC], 70, "no unwind once it is gone");
    cr_assert_eq(w.unwinds[ETH], 68);
    cr_assert_eq(w.inv[BTC], 0);
    cr_assert_eq(w.inv[ETH], 0);
    cr_assert_eq(w.inventory_end, 0);
    cr_assert_lt(w.pnl_end, -13780, "selling into its own impact costs it");
    near(w.pnl_min, w.pnl_end, "each sale lowers its value: the lowest is the last");
}

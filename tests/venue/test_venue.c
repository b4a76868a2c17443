/* test_venue.c — closed forms and settlement of sim/venue/venue.c.
 * Liquidation and bankruptcy prices are checked against the definitions they
 * come from (equity = maintenance, equity = 0), evaluated independently;
 * settlement against the accounting identity on a grid that covers solvent,
 * fee-limited and bankrupt closes with a full, partial and empty fund.
 * Tiers by current notional: maintenance is continuous at every boundary,
 * and the closed-form liquidation price is the root a bisection finds on
 * equity − maintenance, for many random accounts on two tables. */
#define _GNU_SOURCE /* asprintf */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "support.h"
#include "venue/venue.h"

static double equity(int s, double q, double e, double c, double m)
{
    return c + s * q * (m - e);
}

Test(venue, liquidation_price_is_where_equity_meets_maintenance)
{
    const double q[] = {0.01, 1.0, 37.5}, lev[] = {2, 10, 20, 50, 125}, mmr[] = {0.004, 0.01, 0.05};
    for (int s = -1; s <= 1; s += 2)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 5; b++)
                for (int c = 0; c < 3; c++) {
                    if (mmr[c] * lev[b] >= 1)
                        continue;
                    double e = 60000, col = q[a] * e / lev[b];
                    double m = lc_liq_price(s, q[a], e, col, mmr[c]);
                    double gap = equity(s, q[a], e, col, m) - mmr[c] * q[a] * m;
                    cr_assert(fabs(gap) <= 1e-9 * q[a] * e, "gap %g (s=%d q=%g L=%g mmr=%g)", gap,
                              s, q[a], lev[b], mmr[c]);
                    /* on the safe side of it the account is not breached */
                    cr_assert(!lc_breached(s, m, m * (1 + s * 1e-9)));
                    cr_assert(lc_breached(s, m, m * (1 - s * 1e-9)));
                    cr_assert(lc_breached(s, m, m), "equity == maintenance counts as breached");
                }
}

Test(venue, liquidation_price_known_values)
{
    /* long 1 BTC at 60,000 with 10x (collateral 6,000), mmr 0.5%:
     * (60000 − 6000)/(1 − 0.005) = 54271.356783919...; short: 66000/1.005 */
    cr_assert_float_eq(lc_liq_price(1, 1, 60000, 6000, 0.005), 54000.0 / 0.995, 1e-9);
    cr_assert_float_eq(lc_liq_price(-1, 1, 60000, 6000, 0.005), 66000.0 / 1.005, 1e-9);
    cr_assert_float_eq(lc_bankruptcy_price(1, 2, 60000, 6000), 57000, 1e-9);
    cr_assert_float_eq(lc_bankruptcy_price(-1, 2, 60000, 6000), 63000, 1e-9);
    /* equity at the bankruptcy price is zero */
    cr_assert(fabs(equity(1, 2, 60000, 6000, lc_bankruptcy_price(1, 2, 60000, 6000))) < 1e-9);
}

Test(venue, settlement_balances_to_the_cent)
{
    const double xs[] = {50000, 54000, 56000, 57000, 57500, 59000, 61000, 70000};
    const double funds[] = {0, 100, 1e7};
    for (int s = -1; s <= 1; s += 2)
        for (int i = 0; i < 8; i++)
            for (int f = 0; f < 3; f++) {
                double q = 2, e = 60000, c = 6000, fee_rate = 0.005, ins = funds[f];
                double ins0 = ins;
                lc_settlement st = lc_settle(s, q, e, c, xs[i], fee_rate, &ins);
                double eq = equity(s, q, e, c, xs[i]);
                /* collateral + realised pnl = returned + fee − shortfall */
                cr_assert(fabs(c + st.pnl - (st.returned + st.fee - st.shortfall)) < 0.005);
                /* insurance_end = start + fees − covered, never negative */
                cr_assert(fabs(ins - (ins0 + st.fee - st.covered)) < 0.005);
                cr_assert(ins >= 0);
                cr_assert(st.returned >= 0 && st.fee >= 0 && st.shortfall >= 0);
                cr_assert(fabs(st.covered + st.bad_debt - st.shortfall) < 0.005);
                /* each quantity from its own definition */
                cr_assert_float_eq(st.shortfall, eq < 0 ? -eq : 0, 1e-9);
                double fee = fee_rate * q * xs[i];
                cr_assert_float_eq(st.fee, eq <= 0 ? 0 : (fee < eq ? fee : eq), 1e-9);
                cr_assert_float_eq(st.covered, fmin(st.shortfall, ins0), 1e-9);
            }
}

/* The BTCUSDT table of data/tiers, loaded through the scenario loader (which
 * checks its transcribed cum against continuity). */
static lc_scenario *btcusdt(void)
{
    FILE *f = fopen(LC_SOURCE_DIR "/data/tiers/binance_btcusdt_2021-03-18.yaml", "r");
    cr_assert_not_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *text;
    cr_assert(asprintf(&text, "price: {s0: 60000}\npopulation: {accounts: 0}\n%s", buf) > 0);
    lc_scenario *sc = t_scenario(text);
    free(text);
    return sc;
}

/* A made-up table with a falling rate and a rate jump, to exercise cum < 0. */
static const lc_tier odd[] = {
    {1000, 0.02, 40, 0}, {5000, 0.01, 50, 0}, {20000, 0.1, 5, 0}, {1e300, 0.3, 2, 0}};

Test(venue, btcusdt_table_has_its_published_shape)
{
    lc_scenario *sc = btcusdt();
    cr_assert_eq(sc->market[0].ntiers, 10);
    cr_assert_eq(sc->market[0].tiers[0].cum, 0);
    cr_assert_float_eq(sc->market[0].tiers[1].cum, 50, 1e-9);
    cr_assert_float_eq(sc->market[0].tiers[2].cum, 1300, 1e-9);
    cr_assert_float_eq(sc->market[0].tiers[9].cum, 100016300, 1e-6);
    lc_scenario_free(sc);
}

static void continuity(const lc_tier *t, int n)
{
    for (int i = 0; i < n - 1; i++) {
        double b = t[i].up_to;
        double below = b * t[i].mmr - t[i].cum, above = b * t[i + 1].mmr - t[i + 1].cum;
        cr_assert(fabs(below - above) <= 1e-9 * fmax(1, below), "boundary %g: %.10g vs %.10g", b,
                  below, above);
        /* and through lc_maintenance, a hair to each side */
        double lo = lc_maintenance(t, n, b * (1 - 1e-12)),
               hi = lc_maintenance(t, n, b * (1 + 1e-12));
        cr_assert(fabs(hi - lo) <= 1e-9 * fmax(1, below) + 2e-12 * b * t[i + 1].mmr);
        cr_assert_eq(lc_tier_at(t, n, b), i, "the boundary belongs to the lower tier");
        cr_assert_eq(lc_tier_at(t, n, b * (1 + 1e-12)), i + 1);
    }
    cr_assert_eq(lc_tier_at(t, n, 1e308), n - 1, "the last tier is open-ended");
}

Test(venue, tiered_maintenance_is_continuous_at_every_boundary)
{
    lc_scenario *sc = btcusdt();
    continuity(sc->market[0].tiers, sc->market[0].ntiers);
    lc_tier t[4];
    memcpy(t, odd, sizeof t);
    lc_tiers_fill_cum(t, 4);
    cr_assert_float_eq(t[1].cum, 1000 * (0.01 - 0.02), 1e-12, "a falling rate: cum < 0");
    continuity(t, 4);
    lc_scenario_free(sc);
}

/* Root of g(M) = equity − maintenance by bisection on [lo, hi], from the
 * definitions (lc_maintenance) alone. */
static double root(int s, double q, double e, double c, const lc_tier *t, int n)
{
    double lo = 1e-9, hi = 1e9;
    for (int k = 0; k < 200; k++) {
        double m = 0.5 * (lo + hi);
        double g = c + s * q * (m - e) - lc_maintenance(t, n, q * m);
        if ((g > 0) == (s > 0))
            hi = m;
        else
            lo = m;
    }
    return 0.5 * (lo + hi);
}

static void against_bisection(const lc_tier *t, int n, double notional_max, unsigned long seed)
{
    gsl_rng *r = lc_rng_create(seed, 7, 0);
    int seen[LC_MAX_TIERS] = {0};
    for (int k = 0; k < 20000; k++) {
        int s = gsl_rng_uniform(r) < 0.5 ? 1 : -1;
        double e = 100 * exp(0.5 * (gsl_rng_uniform(r) - 0.5));
        double notional = exp(log(100) + gsl_rng_uniform(r) * (log(notional_max) - log(100)));
        int open = lc_tier_at(t, n, notional);
        double lev = 1 + gsl_rng_uniform(r) * (t[open].max_leverage - 1);
        double q = notional / e, c = notional / lev;
        int tier;
        double m = lc_tier_liq_price(s, q, e, c, t, n, &tier);
        if (s > 0 && m <= 1e-3 * e)
            continue; /* a long near 1x: only a price near 0 liquidates it */
        double want = root(s, q, e, c, t, n);
        cr_assert(fabs(m - want) <= 1e-9 * want, "side %d q %g E %g C %g: %.12g vs bisection %.12g",
                  s, q, e, c, m, want);
        /* equity = maintenance there, and the tier reported holds q·M */
        double gap = c + s * q * (m - e) - lc_maintenance(t, n, q * m);
        cr_assert(fabs(gap) <= 1e-9 * notional, "gap %g", gap);
        cr_assert(fabs(lc_maintenance(t, n, q * m) - (q * m * t[tier].mmr - t[tier].cum)) <=
                  1e-9 * notional);
        seen[tier]++;
    }
    gsl_rng_free(r);
    for (int i = 0; i < n - 1; i++)
        cr_assert_gt(seen[i], 0, "no account liquidates in tier %d", i);
}

Test(venue, tiered_liquidation_price_is_the_root_of_equity_minus_maintenance)
{
    lc_scenario *sc = btcusdt();
    against_bisection(sc->market[0].tiers, sc->market[0].ntiers, 4.9e8, 1);
    lc_tier t[4];
    memcpy(t, odd, sizeof t);
    lc_tiers_fill_cum(t, 4);
    against_bisection(t, 4, 1e5, 2);
    lc_scenario_free(sc);
}

Test(venue, one_tier_is_the_flat_closed_form)
{
    lc_tier t[1] = {{1e300, 0.005, 100, 0}};
    int k;
    cr_assert_eq(lc_tier_liq_price(1, 1, 60000, 6000, t, 1, &k),
                 lc_liq_price(1, 1, 60000, 6000, 0.005));
    cr_assert_eq(k, 0);
    cr_assert_eq(lc_tier_liq_price(-1, 1, 60000, 6000, t, 1, &k),
                 lc_liq_price(-1, 1, 60000, 6000, 0.005));
}

Test(venue, a_transcribed_cum_must_be_continuous)
{
    const char *e = t_scenario_errors("population: {accounts: 0}\n"
                                      "venue:\n"
                                      "  tiers:\n"
                                      "    - {up_to: 50000, mmr: 0.004, max_leverage: 125}\n"
                                      "    - {up_to: 250000, mmr: 0.005, max_leverage: 100,\n"
                                      "       cum: 50}\n"
                                      "    - {up_to: 1.0e300, mmr: 0.01, max_leverage: 50,\n"
                                      "       cum: 1250}\n",
                                      NULL, 0);
    cr_assert(strstr(e, "test.yaml:8: venue.tiers[2].cum: must be 1300 for maintenance to be "
                        "continuous at notional 250000"),
              "%s", e);
    e = t_scenario_errors(
        "population: {accounts: 0}\n"
        "venue: {tiers: [{up_to: 1e300, mmr: 0.004, max_leverage: 125, cum: 3}]}\n",
        NULL, 0);
    cr_assert(strstr(e, "test.yaml:2: venue.tiers[0].cum: must be 0"), "%s", e);
}

/* A hand-built book of four shorts at mark 90 (a long went bankrupt), with
 * two tiers so that the binance ranking (which weighs maintenance) differs
 * from pnl_leverage. Per account: pnl = q(E − 90), equity = C + pnl,
 * notional = 90q; maintenance 0.005·N below 100, 0.05·N − 4.5 above.
 *        q    E    C     pnl  equity  N    pnl%    pnl_lev  binance   hyperliquid   size
 *   A    1    100  10    10   20      90   1       4.5      0.0225    (100/90)·4.5   90
 *   B    2    95   38    10   48      180  0.263   0.987    0.0247    (95/90)·3.75   180
 *   C    0.5  120  3     15   18      45   5       12.5     0.0625    (120/90)·2.5   45
 *   D    1    91   45.5  1    46.5    90   0.022   0.0425   0.0002    (91/90)·1.94   90
 * Orders (ties by index, A before D): pnl_leverage C A B D; binance C B A D;
 * hyperliquid A B C D (5, 3.96, 3.33, 1.96); size B A D C. */
Test(venue, adl_rankings_order_a_hand_built_book)
{
    lc_tier t[2] = {{100, 0.005, 100, 0}, {1e300, 0.05, 10, 0}};
    lc_tiers_fill_cum(t, 2);
    cr_assert_float_eq(t[1].cum, 4.5, 1e-12);
    const double q[4] = {1, 2, 0.5, 1}, e[4] = {100, 95, 120, 91}, c[4] = {10, 38, 3, 45.5};
    const char *want[LC_ADL_NRANKINGS] = {[LC_ADL_PNL_LEVERAGE] = "CABD",
                                          [LC_ADL_BINANCE] = "CBAD",
                                          [LC_ADL_HYPERLIQUID] = "ABCD",
                                          [LC_ADL_SIZE] = "BADC"};
    for (int how = 0; how < LC_ADL_NRANKINGS; how++) {
        double sc[4];
        for (int i = 0; i < 4; i++)
            sc[i] = lc_adl_score((lc_adl_ranking)how, -1, q[i], e[i], c[i], 90, t, 2);
        char got[5] = {0};
        for (int k = 0; k < 4; k++) { /* selection: highest score, lowest index on ties */
            int best = -1;
            for (int i = 0; i < 4; i++)
                if (!strchr(got, 'A' + i) && (best < 0 || sc[i] > sc[best]))
                    best = i;
            got[k] = (char)('A' + best);
        }
        cr_assert_str_eq(got, want[how], "%s: %s, want %s", lc_adl_rankings[how].name, got,
                         want[how]);
    }
    cr_assert_float_eq(lc_adl_score(LC_ADL_PNL_LEVERAGE, -1, 1, 100, 10, 90, t, 2), 4.5, 1e-12);
    cr_assert_float_eq(lc_adl_score(LC_ADL_BINANCE, -1, 2, 95, 38, 90, t, 2),
                       10.0 / 38 * (4.5 / 48), 1e-12);
    cr_assert_float_eq(lc_adl_score(LC_ADL_HYPERLIQUID, -1, 1, 100, 10, 90, t, 2), 5, 1e-12);
    cr_assert_eq(lc_adl_score(LC_ADL_PNL_LEVERAGE, -1, 1, 100, 10, 200, t, 2), -INFINITY,
                 "no equity: ranked last");
    for (int how = 0; how < LC_ADL_NRANKINGS; how++) /* size too (as documented) */
        cr_assert_eq(lc_adl_score((lc_adl_ranking)how, 1, 1, 60000, 600, 50000, t, 2), -INFINITY,
                     "%s: a long 9,400 under water must rank last", lc_adl_rankings[how].name);
}

/* Tier partials: closing down to the top of tier k−1 leaves q·M = up_to[k−1]
 * up to rounding; a position an ulp above it is in tier k−1 and must not
 * close a sliver of 1e-16 (a wasted round and a spurious partial). */
Test(venue, tier_partial_leaves_no_sliver)
{
    lc_tier t[3] = {{50000, 0.004, 125, 0}, {250000, 0.005, 100, 0}, {1e300, 0.01, 50, 0}};
    double mark = 58700.123, e = 60000;
    double q = 300000 / mark;
    double d = lc_partial_qty(LC_PARTIAL_TIER, 0, t, 3, 1, q, e, 8000, mark);
    double q2 = q - d;
    cr_assert_float_eq(q2 * mark, 250000, 1e-6, "down to the top of tier 1");
    for (int ulp = 0; ulp < 4; ulp++, q2 = nextafter(q2, INFINITY)) {
        double d2 = lc_partial_qty(LC_PARTIAL_TIER, 0, t, 3, 1, q2, e, 8000, mark);
        cr_assert(d2 > 1e-6 * q2, "ulp %d: closed a sliver %g of %g", ulp, d2, q2);
    }
}

/* Margin call and top-up (venue.h): the call price is where the margin ratio
 * maintenance/equity reaches `call` — the root of equity − maintenance/call,
 * found by bisection from the definitions — on the BTCUSDT table with a call
 * level above its largest mmr; k = 1 is the liquidation price bit for bit;
 * the top-up at a mark past the call price restores the target ratio. */
Test(venue, call_price_and_topup_from_the_definitions)
{
    lc_scenario *sc = btcusdt();
    const lc_tier *t = sc->market[0].tiers;
    int n = sc->market[0].ntiers;
    double call = 0.9, target = 0.3;
    gsl_rng *r = lc_rng_create(4, 7, 0);
    for (int k = 0; k < 5000; k++) {
        int s = gsl_rng_uniform(r) < 0.5 ? 1 : -1;
        double e = 100 * exp(0.5 * (gsl_rng_uniform(r) - 0.5));
        double notional = exp(log(100) + gsl_rng_uniform(r) * (log(4.9e8) - log(100)));
        double lev = 1 + gsl_rng_uniform(r) * (t[lc_tier_at(t, n, notional)].max_leverage - 1);
        double q = notional / e, c = notional / lev;
        cr_assert_eq(lc_tier_level_price(s, q, e, c, t, n, 1.0, NULL),
                     lc_tier_liq_price(s, q, e, c, t, n, NULL));
        double m = lc_tier_level_price(s, q, e, c, t, n, 1 / call, NULL);
        if (s > 0 && m <= 1e-3 * e)
            continue;
        double lo = 1e-9, hi = 1e9;
        for (int i = 0; i < 200; i++) {
            double x = 0.5 * (lo + hi);
            double g = c + s * q * (x - e) - lc_maintenance(t, n, q * x) / call;
            if ((g > 0) == (s > 0))
                hi = x;
            else
                lo = x;
        }
        double want = 0.5 * (lo + hi);
        cr_assert(fabs(m - want) <= 1e-9 * want, "side %d: call price %.12g vs %.12g", s, m, want);
        double liq = lc_tier_liq_price(s, q, e, c, t, n, NULL);
        cr_assert(s > 0 ? m >= liq : m <= liq, "the call comes before the liquidation");
        double at = s > 0 ? m * 0.999 : m * 1.001; /* just past the call */
        double add = lc_topup_amount(s, q, e, c, at, target, t, n);
        double eq = c + add + s * q * (at - e), maint = lc_maintenance(t, n, q * at);
        cr_assert(add > 0 && fabs(maint / eq - target) < 1e-9, "ratio %.12g after top-up",
                  maint / eq);
    }
    cr_assert_eq(lc_topup_amount(1, 1, 100, 50, 100, 0.5, t, n), 0, "below target: nothing");
    gsl_rng_free(r);
    lc_scenario_free(sc);
}

/* test_venue.c — closed forms and settlement of sim/venue.c.
 * Liquidation and bankruptcy prices are checked against the definitions they
 * come from (equity = maintenance, equity = 0), evaluated independently;
 * settlement against the accounting identity on a grid that covers solvent,
 * fee-limited and bankrupt closes with a full, partial and empty fund. */
#include <criterion/criterion.h>
#include <math.h>

#include "venue.h"

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

/* venue.c — closed forms and settlement (see venue.h for the formulas). */
#include "venue.h"

double lc_liq_price(int side, double q, double entry, double collateral, double mmr)
{
    return side > 0 ? (q * entry - collateral) / (q * (1.0 - mmr))
                    : (q * entry + collateral) / (q * (1.0 + mmr));
}

double lc_bankruptcy_price(int side, double q, double entry, double collateral)
{
    return side > 0 ? entry - collateral / q : entry + collateral / q;
}

lc_settlement lc_settle(int side, double q, double entry, double collateral, double x,
                        double fee_rate, double *insurance)
{
    lc_settlement s = {0};
    s.pnl = side * q * (x - entry);
    double equity = collateral + s.pnl;
    if (equity >= 0) {
        double fee = fee_rate * q * x;
        s.fee = fee < equity ? fee : equity;
        s.returned = equity - s.fee;
    } else {
        s.shortfall = -equity;
        s.covered = s.shortfall < *insurance ? s.shortfall : *insurance;
        s.bad_debt = s.shortfall - s.covered;
    }
    *insurance += s.fee - s.covered;
    return s;
}

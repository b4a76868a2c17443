/* sqrt.c — square-root impact ("square-root law") in log price.
 *
 * Convention: Q is the round's net flow in quote notional measured at the
 * round's starting price p0, Q = n·p0 for n base units (+ = buy), as in
 * linear.c. The log price moves by
 *     dJ = sign(Q) · Y · sigma_daily · sqrt(|Q| / adv),
 * adv being the average daily volume in quote and sigma_daily the daily
 * volatility of the log price (DESIGN §3; Bouchaud, Farmer & Lillo (2009),
 * "How markets slowly digest changes in supply and demand", §5; Tóth et al.
 * (2011), "Anomalous price impact and the critical nature of liquidity in
 * financial markets", Phys. Rev. X 1, 021006).
 *
 * Execution price. The flow walks the curve: after executing y of the n base
 * units (a fraction u = y/n, equal to the fraction of Q since Q is measured at
 * the fixed p0) the log price has moved a·sqrt(u), a = dJ. The VWAP over the
 * base quantity is, with s = sqrt(u) (du = 2s ds),
 *     vwap/p0 = ∫0^1 e^(a·sqrt(u)) du = 2∫0^1 s·e^(a·s) ds
 *             = 2·(a·e^a − (e^a − 1))/a²                              (1)
 *             = Σ_{m≥0} 2(m+1)·a^m/(m+2)!  = 1 + 2a/3 + a²/4 + a³/15 + …  (2)
 * As a weighted mean of e^(a·s), s in (0, 1), it lies strictly between 1 and
 * e^a. (1) cancels for small |a| (it loses about log10(2/|a|) digits), so
 * |a| < 1 uses the series (2), whose terms shrink by a factor 2|a|/3 or less
 * each and alternate in sign only for a < 0 where the sum stays above 0.52:
 * summed until a term is below 2^-60 of the sum it is correct to a few ulp.
 * For |a| >= 1, (1) loses at most a factor ~3 (near |a| = 1): below 1e-15
 * relative. For a → −∞, (1) tends to 2/a², finite (e^a underflows to 0).
 * (book.c with alpha = 2 is the same curve; tests/test_impact.c checks the
 * two against each other and against hand-computed values.) */
#include "models/model.h"

#include <math.h>

enum { Y, SIGMA_DAILY, ADV };

static const lc_param sqrt_params[] = {
    [Y] = {"Y", "1", LC_REAL, 1.0, 0, 100, 1, 0,
           "prefactor of the square-root law (empirically of order 1)"},
    [SIGMA_DAILY] = {"sigma_daily", "1/day^0.5", LC_REAL, LC_REQUIRED, 0, 10, 1, 0,
                     "daily volatility of the log price (e.g. annual / sqrt(365))"},
    [ADV] = {"adv", "quote/day", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
             "average daily traded volume"},
};

/* vwap/p0 of a square-root walk that ends at log move a: (1) or (2) above */
static double sqrt_walk_vwap_ratio(double a)
{
    if (fabs(a) >= 1.0)
        return 2.0 * (a * exp(a) - expm1(a)) / (a * a);
    double f = 0.5, sum = 0.0; /* f = a^m/(m+2)! */
    for (int m = 0; m < 60; m++) {
        double term = 2.0 * (m + 1) * f;
        sum += term;
        if (fabs(term) <= 0x1p-60 * fabs(sum))
            break;
        f *= a / (m + 3);
    }
    return sum;
}

static double sqrt_apply(void *state, const double *p, double n_base, double p0, double *vwap)
{
    (void)state;
    double q = fabs(n_base) * p0; /* quote notional at p0 */
    double dj = copysign(p[Y] * p[SIGMA_DAILY] * sqrt(q / p[ADV]), n_base);
    *vwap = dj == 0.0 ? p0 : p0 * sqrt_walk_vwap_ratio(dj);
    return dj;
}

const lc_impact_model lc_impact_sqrt = {
    .d = {"sqrt", "square-root law: log price moves Y·sigma_daily·sqrt(|Q|/adv) for net notional Q",
          sqrt_params, LC_COUNT(sqrt_params), NULL},
    .state_size = 0,
    .init = NULL,
    .apply = sqrt_apply,
};

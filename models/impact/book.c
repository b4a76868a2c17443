/* book.c — a power-law order book walked by the flow.
 *
 * Cumulative depth: moving the price by x costs D(x) = depth_1pct·(x/0.01)^alpha
 * of quote notional, x being a move of LOG price (as in linear.c, so that
 * alpha = 1 is linear exactly and buys and sells are mirror images in log
 * price). Q is the round's net flow in quote notional at the round's starting
 * price p0, Q = n·p0 for n base units (+ = buy); walking the book until D(x)
 * = |Q| moves log price by
 *     dJ = sign(Q) · 0.01 · (|Q| / depth_1pct)^(1/alpha).
 * alpha < 1: depth thins out away from the price (impact convex in Q);
 * alpha > 1: it thickens (concave; alpha = 2 is the square-root law of
 * sqrt.c with Y·sigma_daily/sqrt(adv) = 0.01/sqrt(depth_1pct)).
 *
 * Execution price. After executing a fraction u of the flow (of n, and of Q
 * since Q is measured at the fixed p0) the log price has moved a·u^(1/alpha),
 * a = dJ. The VWAP over the base quantity, with s = u^(1/alpha), is
 *     vwap/p0 = ∫0^1 e^(a·u^(1/alpha)) du = alpha·∫0^1 s^(alpha−1)·e^(a·s) ds
 *             = M(alpha, alpha+1, a)
 * (Kummer's confluent hypergeometric function; Abramowitz & Stegun 13.2.1,
 * DLMF 13.4.1), which lies strictly between 1 and e^a (a weighted mean of
 * e^(a·s)). It is summed as a series of POSITIVE terms, so without
 * cancellation (A&S 13.1.2 and Kummer's transformation 13.1.27):
 *     a > 0:  M = Σ_{k≥0} a^k/k! · alpha/(alpha + k)
 *     a < 0:  M = e^a · Σ_{k≥0} |a|^k / ((alpha+1)(alpha+2)…(alpha+k))
 * Each term carries about k rounding errors, and summation stops once the
 * terms have fallen below 2^-60 of the sum past k = 2|a| (where the ratio of
 * successive terms is below 1/2, so the tail is below the last term): the
 * relative error is below ~1e-15 for |a| <= 1 and ~1e-13 at |a| = 700.
 * For a < −700 the second series would overflow before e^a scales it back;
 * there M = Γ(alpha+1)·|a|^(−alpha)·(1 − Q(alpha, |a|)) and the regularised
 * upper incomplete gamma Q(alpha, |a|) < e^(−650) is dropped.
 * alpha = 1 takes linear.c's expressions verbatim (dJ = 0.01·Q/depth_1pct,
 * vwap = p0·expm1(dJ)/dJ), so book with alpha 1 equals linear bit for bit
 * (tests/test_impact.c). */
#include "models/model.h"

#include <math.h>

enum { DEPTH_1PCT, ALPHA };

static const lc_param book_params[] = {
    [DEPTH_1PCT] = {"depth_1pct", "quote", LC_REAL, 5.0e7, 0, 1e300, 1, 0,
                    "notional that moves the price by 1% (depth within 1%)"},
    [ALPHA] = {"alpha", "1", LC_REAL, 1.0, 0.1, 10, 0, 0,
               "shape: depth within x is depth_1pct·(x/1%)^alpha (1: linear)"},
};

/* vwap/p0 = M(alpha, alpha+1, a) of a walk ending at log move a, alpha != 1 */
static double book_walk_vwap_ratio(double alpha, double a)
{
    if (a == 0.0)
        return 1.0;
    if (a < -700.0)
        return tgamma(alpha + 1.0) * pow(-a, -alpha);
    double x = fabs(a), t = 1.0, sum = 1.0; /* k = 0 term is 1 in both series */
    for (int k = 1; k < 4000; k++) {
        double term;
        if (a > 0) {
            t *= x / k; /* a^k/k! */
            term = t * alpha / (alpha + k);
        } else {
            t *= x / (alpha + k); /* |a|^k/((alpha+1)…(alpha+k)) */
            term = t;
        }
        sum += term;
        if (k > 2.0 * x && term <= 0x1p-60 * sum)
            break;
    }
    return a > 0 ? sum : exp(a) * sum;
}

static double book_apply(void *state, const double *p, double n_base, double p0, double *vwap)
{
    (void)state;
    double alpha = p[ALPHA];
    if (alpha == 1.0) { /* linear.c, verbatim */
        double dj = 0.01 * n_base * p0 / p[DEPTH_1PCT];
        *vwap = dj == 0.0 ? p0 : p0 * expm1(dj) / dj;
        return dj;
    }
    double q = fabs(n_base) * p0; /* quote notional at p0 */
    double dj = copysign(0.01 * pow(q / p[DEPTH_1PCT], 1.0 / alpha), n_base);
    *vwap = dj == 0.0 ? p0 : p0 * book_walk_vwap_ratio(alpha, dj);
    return dj;
}

const lc_impact_model lc_impact_book = {
    .d = {"book", "power-law book: moving log price by x takes depth_1pct·(x/1%)^alpha of notional",
          book_params, LC_COUNT(book_params), NULL},
    .state_size = 0,
    .init = NULL,
    .apply = book_apply,
};

/* test_metrics.c — sim/out/metrics.c against published values and a second
 * engine: Wilson's interval against Newcombe (1998), the order-statistic
 * ranks against GSL's binomial CDF, quantile ranks in exact integers, and a
 * hand-computed table. The Python package computes the same table; the
 * analysis tests compare the two files byte for byte. */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "out/metrics.h"

Test(metrics, wilson_matches_newcombe)
{
    double p, lo, hi;
    /* Newcombe (1998), Stat. Med. 17:857, table I, method 3: 81/263 */
    lc_wilson(81, 263, &p, &lo, &hi);
    cr_assert_float_eq(lo, 0.2553, 5e-5, "lo %.5f", lo);
    cr_assert_float_eq(hi, 0.3662, 5e-5, "hi %.5f", hi);
    /* 0/10 and 10/10: exact ends; 0/10 upper = z²/(n + z²) */
    lc_wilson(0, 10, &p, &lo, &hi);
    double z2 = 1.959963984540054 * 1.959963984540054;
    cr_assert_eq(lo, 0.0);
    cr_assert_float_eq(hi, z2 / (10 + z2), 1e-15);
    lc_wilson(10, 10, &p, &lo, &hi);
    cr_assert_eq(hi, 1.0);
    cr_assert_float_eq(lo, 10 / (10 + z2), 1e-15);
    lc_wilson(0, 0, &p, &lo, &hi);
    cr_assert(isnan(p) && isnan(lo) && isnan(hi));
}

Test(metrics, quantile_ranks_are_exact_integers)
{
    cr_assert_eq(lc_quantile_rank(700, 100), 7, "0.07 x 100 is 7, not 8");
    cr_assert_eq(lc_quantile_rank(5000, 4), 2);
    cr_assert_eq(lc_quantile_rank(5100, 4), 3);
    cr_assert_eq(lc_quantile_rank(9900, 1), 1);
    cr_assert_eq(lc_quantile_rank(9500, 1000), 950);
}

/* l = largest k with P(B < k) <= 0.025, u = smallest k with P(B >= k) <= 0.025,
 * B ~ Binomial(n, q); recomputed here with GSL's CDF (a different algorithm:
 * the incomplete beta function). */
Test(metrics, order_statistic_ranks_match_gsl)
{
    static const int qs[] = {5000, 9500, 9900, 100};
    for (int iq = 0; iq < 4; iq++)
        for (long n = 1; n <= 600; n += n < 80 ? 1 : 37) {
            double q = qs[iq] / 10000.0;
            long l, u, gl = 0, gu = n + 1;
            lc_quantile_ci_ranks(qs[iq], n, &l, &u);
            for (long k = 1; k <= n; k++)
                if (gsl_cdf_binomial_P((unsigned)(k - 1), q, (unsigned)n) <= 0.025)
                    gl = k;
            for (long k = n; k >= 1; k--)
                if (gsl_cdf_binomial_Q((unsigned)(k - 1), q, (unsigned)n) <= 0.025)
                    gu = k;
            cr_assert(l == gl && u == gu, "q %d n %ld: ranks [%ld, %ld], GSL [%ld, %ld]", qs[iq], n,
                      l, u, gl, gu);
        }
    long l, u;
    lc_quantile_ci_ranks(5000, 10, &l, &u);
    cr_assert(l == 2 && u == 9, "n 10 median: [%ld, %ld]", l, u);
    /* a finite upper bound needs 0.95^n <= 0.025 (n >= 72), 0.99^n <= 0.025 (n >= 368) */
    lc_quantile_ci_ranks(9500, 71, &l, &u);
    cr_assert_eq(u, 72);
    lc_quantile_ci_ranks(9500, 72, &l, &u);
    cr_assert_eq(u, 72);
    lc_quantile_ci_ranks(9900, 367, &l, &u);
    cr_assert_eq(u, 368);
    lc_quantile_ci_ranks(9900, 368, &l, &u);
    cr_assert_eq(u, 368);
}

static const lc_metric *find(const lc_metric *rows, long n, const char *name)
{
    for (long i = 0; i < n; i++)
        if (strcmp(rows[i].metric, name) == 0)
            return &rows[i];
    cr_assert_fail("no metric %s", name);
    return NULL;
}

/* Ten runs by hand. bad debt 0,0,0,0,0,0,0,0,5,100 (2 of 10 > 0);
 * drawdown 0.1 .. 1.0 with exo drawdown half of it except one run at 0. */
Test(metrics, a_table_by_hand)
{
    double bad[10] = {0, 0, 0, 0, 100, 0, 0, 0, 5, 0}, zero[10] = {0}, ins[10], ll[10], dd[10],
           exo[10], rounds[10], trunc[10] = {0};
    for (int i = 0; i < 10; i++) {
        ins[i] = i == 4 ? 0 : 50; /* depleted once */
        ll[i] = 10.0 * (10 - i);  /* 100, 90, ..., 10 */
        dd[i] = 0.1 * (i + 1);
        exo[i] = i == 0 ? 0 : dd[i] / 2;
        rounds[i] = i < 3 ? 1 : 3;
    }
    lc_point_runs r = {7,    10,     bad,   ll,   zero, dd,   exo, ins,
                       zero, rounds, trunc, NULL, NULL, NULL, NULL};
    lc_metric *rows = NULL;
    long n = 0;
    cr_assert_eq(lc_metrics_point(&r, &rows, &n), 0);
    cr_assert_eq(rows[0].point, 7);
    cr_assert_eq(find(rows, n, "n_runs")->value, 10);
    cr_assert_eq(find(rows, n, "p_bad_debt")->value, 0.2);
    cr_assert_eq(find(rows, n, "p_insurance_depleted")->value, 0.1);
    cr_assert_eq(find(rows, n, "p_adl")->value, 0.0);
    cr_assert_eq(find(rows, n, "p_cascade")->value, 0.7);
    cr_assert_eq(find(rows, n, "bad_debt.mean")->value, 10.5);
    /* sorted bad debt 0 x8, 5, 100: q50 = x_(5) = 0, q95 = x_(10) = 100; CI ranks [2, 9] */
    const lc_metric *m = find(rows, n, "bad_debt.q50");
    cr_assert(m->value == 0 && m->lo == 0 && m->hi == 5, "%g [%g, %g]", m->value, m->lo, m->hi);
    cr_assert_eq(find(rows, n, "bad_debt.q95")->value, 100);
    cr_assert(isinf(find(rows, n, "bad_debt.q95")->hi), "10 runs cannot bound a 95% quantile");
    /* ES95: k = ceil(9.5) = 10: the largest alone; ES at 0.5 would include more */
    cr_assert_eq(find(rows, n, "bad_debt.es95")->value, 100);
    cr_assert_eq(find(rows, n, "liq_notional.q50")->value, 50);
    cr_assert_float_eq(find(rows, n, "liq_notional.mean")->value, 55, 1e-12);
    /* amplification: 9 runs with exo > 0, each exactly 2 */
    m = find(rows, n, "amplification.mean");
    cr_assert(m->value == 2 && m->n == 9);
    cr_assert_eq(find(rows, n, "amplification_undefined")->value, 1);
    cr_assert_eq(find(rows, n, "max_rounds.q50")->value, 3);
    for (long i = 0; i < n; i++) {
        cr_assert(strncmp(rows[i].metric, "cascade_steps", 13) != 0, "no events, no cascade_steps");
        cr_assert(strstr(rows[i].metric, "cdp") == NULL, "no lending protocol, no CDP metric");
    }
    free(rows);
    /* with a lending protocol: the CDPs' bad debt summarised as the venue's is (here
     * the same numbers: the same values) */
    lc_point_runs rc = r;
    rc.cdp_bad_debt = bad;
    rows = NULL;
    n = 0;
    cr_assert_eq(lc_metrics_point(&rc, &rows, &n), 0);
    cr_assert_eq(find(rows, n, "p_cdp_bad_debt")->value, 0.2);
    cr_assert_eq(find(rows, n, "cdp_bad_debt.mean")->value, 10.5);
    cr_assert_eq(find(rows, n, "cdp_bad_debt.q95")->value, 100);
    free(rows);

    /* weights all 1: the weighted table is the plain one's values (its
     * quantile and shortfall rules reduce to type 1) */
    double one[10];
    for (int i = 0; i < 10; i++)
        one[i] = 1;
    lc_point_runs rw = r;
    rw.weight = one;
    rows = NULL;
    n = 0;
    cr_assert_eq(lc_metrics_point(&rw, &rows, &n), 0);
    cr_assert_eq(find(rows, n, "ess")->value, 10);
    cr_assert_eq(find(rows, n, "weight_mean")->value, 1);
    cr_assert_eq(find(rows, n, "p_bad_debt")->value, 0.2);
    /* the normal interval of the mean of 0/1 values: 0.2 ± 1.96·sqrt(0.2·0.8·10/9/10) */
    m = find(rows, n, "p_bad_debt");
    cr_assert_float_eq(m->hi, 0.2 + 1.959963984540054 * sqrt(0.16 / 9), 1e-12);
    cr_assert_eq(find(rows, n, "bad_debt.mean")->value, 10.5);
    cr_assert_eq(find(rows, n, "bad_debt.q50")->value, 0);
    cr_assert_eq(find(rows, n, "bad_debt.q95")->value, 100);
    cr_assert_eq(find(rows, n, "bad_debt.es95")->value, 100);
    cr_assert_eq(find(rows, n, "liq_notional.q50")->value, 50);
    cr_assert_eq(find(rows, n, "amplification.mean")->value, 2);
    free(rows);

    /* weights by hand: the run with bad debt 100 weighs 0.01, the one with 5
     * weighs 3, the other eight 0.8715 each (Σ w = 10): P(bad debt) =
     * (0.01 + 3)/10; mean = (100·0.01 + 5·3)/10 = 1.6; the q95 of the
     * weighted law is 5 (the weight below 100 is 9.99 >= 9.5), and the
     * ES95 from that rank up (5 and 100) is (15 + 1)/3.01 */
    double w[10];
    for (int i = 0; i < 10; i++)
        w[i] = i == 4 ? 0.01 : i == 8 ? 3 : (10 - 3.01) / 8;
    rw.weight = w;
    rows = NULL;
    n = 0;
    cr_assert_eq(lc_metrics_point(&rw, &rows, &n), 0);
    cr_assert_float_eq(find(rows, n, "p_bad_debt")->value, 0.301, 1e-15);
    cr_assert_float_eq(find(rows, n, "bad_debt.mean")->value, 1.6, 1e-15);
    cr_assert_eq(find(rows, n, "bad_debt.q95")->value, 5);
    cr_assert_eq(find(rows, n, "bad_debt.q50")->value, 0);
    cr_assert_float_eq(find(rows, n, "bad_debt.es95")->value, 16 / 3.01, 1e-12);
    double sw2 = 0.01 * 0.01 + 9 + 8 * pow(6.99 / 8, 2);
    cr_assert_float_eq(find(rows, n, "ess")->value, 100 / sw2, 1e-12);
    free(rows);

    /* an empty point: NaN everywhere, n = 0 */
    lc_point_runs e = {0,    0,      bad,   ll,   zero, dd,   exo, ins,
                       zero, rounds, trunc, NULL, NULL, NULL, NULL};
    rows = NULL;
    n = 0;
    cr_assert_eq(lc_metrics_point(&e, &rows, &n), 0);
    cr_assert(isnan(find(rows, n, "p_bad_debt")->value));
    cr_assert(isnan(find(rows, n, "liq_notional.q99")->value));
    cr_assert_eq(find(rows, n, "n_runs")->value, 0);
    free(rows);
}

/* Newcombe's paired interval (method 10) against its published value and
 * by its identities: with no event at all it is ±(the Wilson upper bound of
 * 0/n); with φ = 0 (a·d = b·c) each
 * side is √2 × the margins' Wilson half-width; swapping the discordant
 * cells mirrors it; and over every table of n <= 12 pairs it holds Δ and
 * stays in [−1, 1]. */
Test(metrics, newcombe_paired_identities)
{
    double z2 = 1.959963984540054 * 1.959963984540054, d, lo, hi;
    /* Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables
     * (2017), ch. 8: 59, 6, 16, 80 gives −0.0621 [−0.1186, −0.0046] */
    lc_newcombe_paired(59, 6, 16, 80, &d, &lo, &hi);
    cr_assert_float_eq(d, -0.0621, 5e-5, "%.5f", d);
    cr_assert_float_eq(lo, -0.1186, 5e-5, "%.5f", lo);
    cr_assert_float_eq(hi, -0.0046, 5e-5, "%.5f", hi);
    /* no discordant pair: not a point (the uncorrected φ = 1 would make it one) */
    lc_newcombe_paired(20, 0, 0, 20, &d, &lo, &hi);
    cr_assert(d == 0 && lo < -0.01 && hi > 0.01, "[%g, %g]", lo, hi);
    lc_newcombe_paired(0, 0, 0, 100, &d, &lo, &hi);
    cr_assert(d == 0);
    cr_assert_float_eq(hi, z2 / (100 + z2), 1e-15);
    cr_assert_float_eq(lo, -z2 / (100 + z2), 1e-15);
    double p, wl, wh;
    lc_wilson(20, 40, &p, &wl, &wh);
    lc_newcombe_paired(10, 10, 10, 10, &d, &lo, &hi);
    cr_assert(d == 0);
    cr_assert_float_eq(hi, sqrt(2) * (wh - 0.5), 1e-15);
    cr_assert_float_eq(lo, -sqrt(2) * (0.5 - wl), 1e-15);
    for (long n = 1; n <= 12; n++)
        for (long a = 0; a <= n; a++)
            for (long b = 0; a + b <= n; b++)
                for (long c = 0; a + b + c <= n; c++) {
                    long e = n - a - b - c;
                    double d2, lo2, hi2;
                    lc_newcombe_paired(a, b, c, e, &d, &lo, &hi);
                    lc_newcombe_paired(a, c, b, e, &d2, &lo2, &hi2);
                    cr_assert(lo <= d && d <= hi && lo >= -1 - 1e-12 && hi <= 1 + 1e-12,
                              "(%ld %ld %ld %ld): %g [%g, %g]", a, b, c, e, d, lo, hi);
                    cr_assert(d == -d2 && fabs(lo + hi2) < 1e-15 && fabs(hi + lo2) < 1e-15,
                              "(%ld %ld %ld %ld) mirrored", a, b, c, e);
                }
    lc_newcombe_paired(0, 0, 0, 0, &d, &lo, &hi);
    cr_assert(isnan(d) && isnan(lo) && isnan(hi));
}

/* The paired table of two points by hand: 10 runs, bad debt in runs 4 and 8
 * at the baseline, in runs 4 and 6 at the point (A = 1, B = 1, C = 1); the
 * liquidated notional 10 higher in every run but one, 20 higher there. */
Test(metrics, a_paired_table_by_hand)
{
    double bb[10] = {0, 0, 0, 0, 100, 0, 0, 0, 5, 0}, bj[10] = {0, 0, 0, 0, 50, 0, 7, 0, 0, 0};
    double zero[10] = {0}, ins[10], lb[10], lj[10], dd[10], exo[10], rounds[10];
    for (int i = 0; i < 10; i++) {
        ins[i] = 50;
        lb[i] = 10.0 * i;
        lj[i] = lb[i] + (i == 3 ? 20 : 10);
        dd[i] = 0.1;
        exo[i] = i == 0 ? 0 : 0.05;
        rounds[i] = 1;
    }
    lc_point_runs b = {0,    10,     bb,   lb,   zero, dd,   exo, ins,
                       zero, rounds, zero, NULL, NULL, NULL, NULL};
    lc_point_runs j = {3,    10,     bj,   lj,   zero, dd,   exo, ins,
                       zero, rounds, zero, NULL, NULL, NULL, NULL};
    lc_metric *rows = NULL;
    long n = 0;
    cr_assert_eq(lc_metrics_paired(&j, &b, &rows, &n), 0);
    cr_assert_eq(rows[0].point, 3);
    const lc_metric *m = find(rows, n, "p_bad_debt");
    double d, lo, hi;
    lc_newcombe_paired(1, 1, 1, 7, &d, &lo, &hi);
    cr_assert(m->value == 0 && m->lo == lo && m->hi == hi && m->n == 10);
    for (long i = 0; i < n; i++)
        cr_assert(strcmp(rows[i].metric, "n_runs") &&
                      strcmp(rows[i].metric, "amplification_undefined"),
                  "no paired %s", rows[i].metric);
    /* d = 10 x9 and 20: mean 11, s² = (9·1 + 81)/9 = 10 */
    m = find(rows, n, "liq_notional.mean");
    double half = 1.959963984540054 * sqrt(10.0) / sqrt(10.0);
    cr_assert_float_eq(m->value, 11, 1e-12);
    cr_assert_float_eq(m->hi - m->value, half, 1e-12, "%g", m->hi - m->value);
    cr_assert_float_eq(m->value - m->lo, half, 1e-12);
    /* quantiles: differences of the points' own, no interval */
    m = find(rows, n, "bad_debt.q95");
    cr_assert(m->value == 50 - 100 && isnan(m->lo) && isnan(m->hi), "%g", m->value);
    m = find(rows, n, "bad_debt.es95");
    cr_assert(m->value == -50);
    /* amplification: the 9 pairs with exo_drawdown > 0 at both, each 2 − 2 */
    m = find(rows, n, "amplification.mean");
    cr_assert(m->value == 0 && m->n == 9 && m->lo == 0 && m->hi == 0);
    free(rows);
}

/* The replicates' interval of multilevel splitting by hand: three
 * replicates of 2, 1 and 3 runs, c_g = 1.5, 0, 3 (n = 6): a_g = c_g/2, the
 * estimate their mean 0.75, t on 2 degrees of freedom (4.30265273). */
Test(metrics, replicate_share_by_hand)
{
    double p, lo, hi;
    lc_replicate_share(4.5, 1.5 * 1.5 + 9.0, 3, 6, &p, &lo, &hi);
    double a[3] = {0.75, 0, 1.5}, v = 0;
    for (int g = 0; g < 3; g++)
        v += (a[g] - 0.75) * (a[g] - 0.75) / 2;
    double half = 4.30265273 * sqrt(v / 3);
    cr_assert_float_eq(p, 0.75, 1e-15);
    cr_assert_float_eq(hi, 0.75 + half, 1e-12);
    cr_assert_eq(lo, fmax(0.0, 0.75 - half));
    lc_replicate_share(0, 0, 3, 6, &p, &lo, &hi);
    cr_assert(p == 0 && lo == 0 && isnan(hi), "no run in A: [0, NaN]");
    cr_assert(fabs(lc_t975(10) - 2.228139) < 1e-5 && fabs(lc_t975(120) - 1.979930) < 1e-5);
}

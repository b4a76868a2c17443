/* metrics.h — risk metrics of a sweep point with confidence intervals.
 *
 * The definitions are those of docs/analysis.md, which the Python package
 * (analysis/liqcascade/metrics.py) implements too; a test compares the two
 * table for table. In short: probabilities with the Wilson score interval;
 * type-1 quantiles x_(k), k = ceil(q·n), with a distribution-free
 * order-statistic interval [x_(l), x_(u)] from Binomial(n, q); expected
 * shortfall = mean of x_(k..n); sums left to right in the stated order.
 * Quantile levels are integers in basis points so that k is exact. */
#ifndef LC_METRICS_H
#define LC_METRICS_H

#include <stdio.h>

/* Wilson score interval (95%) of x successes in n trials; NaN when n = 0. */
void lc_wilson(long x, long n, double *p, double *lo, double *hi);

/* A probability from runs drawn by importance sampling (docs/analysis.md):
 * sw = Σ w_i·1{A_i} and sw2 = Σ (w_i·1{A_i})² over n runs; *p = sw/n, the
 * runs' mean of w·1{A}, in its 95% normal interval p ± 1.96·s/√n (s the
 * sample standard deviation of w·1{A}, clipped at 0). With no run in A the
 * estimate is 0 and the interval [0, NaN]: the runs say nothing of how
 * small. NaN when n = 0. */
void lc_weighted_share(double sw, double sw2, long n, double *p, double *lo, double *hi);

/* A probability from runs left by multilevel splitting (engine/split.h),
 * in G replicates: sc = Σ_g c_g and sc2 = Σ_g c_g² with c_g = Σ_{i in g}
 * w_i·1{A_i} over n runs; *p = sc/n, the mean of the replicates' estimates
 * a_g = (G/n)·c_g, in its 95% interval p ± t·s/√G (s the standard deviation
 * of the a_g, t Student's 97.5% quantile on G − 1 degrees of freedom,
 * lc_t975; clipped at 0). No run in A: 0 in [0, NaN]. NaN when n = 0. */
void lc_replicate_share(double sc, double sc2, long groups, long n, double *p, double *lo,
                        double *hi);
/* Student's t 97.5% quantile on nu >= 1 degrees of freedom: the Cornish-
 * Fisher expansion in 1/nu to its fourth term (Abramowitz & Stegun 26.7.5)
 * for nu >= 10 (within 1e-5 there), a table below. */
double lc_t975(long nu);

/* Below this effective sample size `run` and `info` warn that the weighted
 * estimates rest on a few heavy runs. */
#define LC_ESS_FEW 100

/* The effective sample size of weights, (Σw)²/Σw² (Kish): the runs an
 * unweighted sample of equal precision for a mean would need. */
static inline double lc_ess(double sw, double sw2)
{
    return sw2 > 0 ? sw * sw / sw2 : 0.0;
}

/* Rank k (1-based) of the type-1 quantile at q_bp/10000 in a sample of n >= 1. */
long lc_quantile_rank(int q_bp, long n);

/* 1-based ranks [l, u] of the 95% order-statistic interval of the quantile;
 * l = 0 means unbounded below, u = n + 1 unbounded above. */
void lc_quantile_ci_ranks(int q_bp, long n, long *l, long *u);

/* One row of the metric table. */
typedef struct lc_metric {
    long point;
    char metric[40];
    double value, lo, hi; /* NaN where not defined */
    long n;               /* sample size used */
    const char *units;
} lc_metric;

/* The /runs columns of one point, in row order (n runs). cascade_steps is
 * NULL when the file has no /events, cdp_bad_debt when its scenario had no
 * lending protocol (venue.lending none: then no CDP metric is given). */
typedef struct lc_point_runs {
    long point, n;
    const double *bad_debt, *liq_long, *liq_short, *max_drawdown, *exo_drawdown;
    const double *insurance_min, *adl_count, *max_rounds, *truncated;
    const double *cascade_steps;
    const double *cdp_bad_debt;
    const double *weight;    /* NULL, or the runs' likelihood ratios (importance sampling) */
    const double *replicate; /* NULL, or with weight the runs' replicates (splitting) */
} lc_point_runs;

/* Append the metric rows of one point to *rows (realloc'd; *nrows updated).
 * With weights (docs/analysis.md, "Weighted runs"): probabilities by
 * lc_weighted_share, means the mean of w·x, type-1 quantiles of the
 * weighted distribution (the smallest x_(k) whose weight up to it is >= q
 * of the total) without an interval, expected shortfall the weighted mean
 * from that rank up, and rows weight_mean and ess. With replicates the
 * probabilities' intervals are lc_replicate_share's.
 * Returns 0, or -1 when out of memory. */
int lc_metrics_point(const lc_point_runs *r, lc_metric **rows, long *nrows);

/* Newcombe's hybrid score interval (Statistics in Medicine 17:2635, 1998,
 * method 10, with his corrected φ) of the difference of two paired
 * proportions, from the pairs
 * with the event at both (a), the first only (b), the second only (c),
 * neither (d): *delta = (b - c)/n in [*lo, *hi]; NaN when n = 0. */
void lc_newcombe_paired(long a, long b, long c, long d, double *delta, double *lo, double *hi);

/* Append the paired-difference rows of point pj against the baseline pb
 * (docs/analysis.md): row i of both is the same run (the caller pairs them;
 * the shorter n counts). Probabilities with Newcombe's interval, means with
 * the paired normal one, quantiles and shortfalls as differences without an
 * interval. Rows carry pj->point. 0, or -1 when out of memory. */
int lc_metrics_paired(const lc_point_runs *pj, const lc_point_runs *pb, lc_metric **rows,
                      long *nrows);

/* The paired table as CSV: point,baseline,metric,value,lo,hi,n,units. */
void lc_paired_csv(const lc_metric *rows, long n, long baseline, FILE *out);

/* The table as CSV, exactly as the Python package writes metrics.csv:
 * header point,metric,value,lo,hi,n,units; %.17g; inf/-inf; NaN empty. */
void lc_metrics_csv(const lc_metric *rows, long n, FILE *out);

#endif

/* metrics.c — see metrics.h; definitions in docs/analysis.md.
 * References: E. B. Wilson (1927), JASA 22:209 (score interval); the
 * order-statistic interval for a quantile is the classical distribution-free
 * one (e.g. H. A. David & H. N. Nagaraja, Order Statistics, §7.1). */
#include "out/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054 /* Φ⁻¹(0.975) */
#define ALPHA_HALF 0.025

void lc_wilson(long x, long n, double *p, double *lo, double *hi)
{
    if (n <= 0) {
        *p = *lo = *hi = NAN;
        return;
    }
    double dn = (double)n, z2 = Z95 * Z95;
    *p = (double)x / dn;
    double d = 1.0 + z2 / dn;
    double centre = (*p + z2 / (2.0 * dn)) / d;
    double half = Z95 / d * sqrt(*p * (1.0 - *p) / dn + z2 / (4.0 * dn * dn));
    *lo = x == 0 ? 0.0 : fmax(0.0, centre - half);
    *hi = x == n ? 1.0 : fmin(1.0, centre + half);
}

void lc_weighted_share(double sw, double sw2, long n, double *p, double *lo, double *hi)
{
    if (n <= 0) {
        *p = *lo = *hi = NAN;
        return;
    }
    double dn = (double)n;
    *p = sw / dn;
    if (!(sw > 0)) {
        *lo = 0;
        *hi = NAN;
        return;
    }
    double var = n > 1 ? fmax(0.0, (sw2 - dn * *p * *p) / (dn - 1.0)) : NAN;
    double half = Z95 * sqrt(var / dn);
    *lo = fmax(0.0, *p - half);
    *hi = *p + half;
}

double lc_t975(long nu)
{
    /* t_0.975 on 1 .. 9 degrees of freedom (A&S table 26.10) */
    static const double small[10] = {NAN,        12.7062047, 4.30265273, 3.18244631, 2.77644511,
                                     2.57058184, 2.44691185, 2.36462425, 2.30600414, 2.26215716};
    if (nu < 1)
        return NAN;
    if (nu < 10)
        return small[nu];
    double z = Z95, z2 = z * z, v = (double)nu;
    double g1 = (z2 + 1) * z / 4;
    double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
    double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
    double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
    return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
}

void lc_replicate_share(double sc, double sc2, long groups, long n, double *p, double *lo,
                        double *hi)
{
    if (n <= 0 || groups <= 0) {
        *p = *lo = *hi = NAN;
        return;
    }
    double g = (double)groups, a = g / (double)n; /* a_g = a·c_g */
    *p = sc / (double)n;
    if (!(sc > 0)) {
        *lo = 0;
        *hi = NAN;
        return;
    }
    double var = groups > 1 ? fmax(0.0, (a * a * sc2 - g * *p * *p) / (g - 1.0)) : NAN;
    double half = lc_t975(groups - 1) * sqrt(var / g);
    *lo = fmax(0.0, *p - half);
    *hi = *p + half;
}

long lc_quantile_rank(int q_bp, long n)
{
    return ((long)q_bp * n + 9999) / 10000;
}

void lc_quantile_ci_ranks(int q_bp, long n, long *l, long *u)
{
    /* F(j) = P(B <= j), B ~ Binomial(n, q), summed in log space, j = 0 .. n−1 */
    double q = q_bp / 10000.0;
    double a = (double)n * log1p(-q), c = log(q) - log1p(-q), f = 0;
    *l = 0;
    *u = 1;
    for (long j = 0; j < n; j++) {
        if (j > 0)
            a = a + (log((double)(n - (j - 1))) - log((double)j) + c);
        f += exp(a);
        *l += f <= ALPHA_HALF;
        *u += f < 1.0 - ALPHA_HALF;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct table {
    lc_metric **rows;
    long *n;
    int oom;
} table;

static void add(table *t, long point, const char *name, const char *suffix, double value, double lo,
                double hi, long n, const char *units)
{
    if (t->oom)
        return;
    lc_metric *r = realloc(*t->rows, (size_t)(*t->n + 1) * sizeof *r);
    if (!r) {
        t->oom = 1;
        return;
    }
    *t->rows = r;
    lc_metric *m = &r[(*t->n)++];
    *m = (lc_metric){point, "", value, lo, hi, n, units};
    snprintf(m->metric, sizeof m->metric, "%s%s%s", name, suffix ? "." : "", suffix ? suffix : "");
}

static const int levels[] = {5000, 9500, 9900};
static const char *const quantile_names[] = {"q50", "q95", "q99"};
static const char *const es_names[] = {"es95", "es99"};

/* The expected shortfall at levels[k + 1] of sorted x[0..n), n >= 1. */
static double shortfall(const double *x, long n, int k)
{
    long r = lc_quantile_rank(levels[k + 1], n);
    double s = 0;
    for (long i = r - 1; i < n; i++)
        s += x[i];
    return s / (double)(n - r + 1);
}

static double mean(const double *x, long n)
{
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += x[i]; /* row order */
    return n ? sum / (double)n : NAN;
}

/* A value with its weight, sorted by value. */
typedef struct wx {
    double x, w;
} wx;

static int cmp_wx(const void *a, const void *b)
{
    return cmp_double(&((const wx *)a)->x, &((const wx *)b)->x);
}

/* The 1-based rank of the weighted type-1 quantile at q_bp/10000 of sorted
 * v[0..n), n >= 1: the smallest k with Σ_{i<=k} w_i >= q·Σ w. */
static long weighted_rank(const wx *v, long n, double total, int q_bp)
{
    double want = q_bp / 10000.0 * total, c = 0;
    for (long i = 0; i < n; i++) {
        c += v[i].w;
        if (c >= want && v[i].w > 0)
            return i + 1;
    }
    return n;
}

/* The weighted mean of sorted v from rank r (1-based) up. */
static double weighted_tail(const wx *v, long n, long r)
{
    double sw = 0, s = 0;
    for (long i = r - 1; i < n; i++) {
        sw += v[i].w;
        s += v[i].w * v[i].x;
    }
    return sw > 0 ? s / sw : NAN;
}

/* mean, q50, q95, q99, es95, es99 of weighted v[0..n) (sorted in place);
 * the mean is (1/n)·Σ w·x, unbiased, or for a variable some runs lack
 * (conditional: amplification) the self-normalised Σ w·x / Σ w */
static void summarise_weighted(table *t, long point, const char *name, wx *v, long n,
                               int conditional, const char *units)
{
    double sum = 0, total = 0;
    for (long i = 0; i < n; i++) { /* row order */
        sum += v[i].w * v[i].x;
        total += v[i].w;
    }
    double mean = !n ? NAN : conditional ? (total > 0 ? sum / total : NAN) : sum / (double)n;
    add(t, point, name, "mean", mean, NAN, NAN, n, units);
    qsort(v, (size_t)n, sizeof *v, cmp_wx);
    for (int k = 0; k < 3; k++)
        add(t, point, name, quantile_names[k],
            n && total > 0 ? v[weighted_rank(v, n, total, levels[k]) - 1].x : NAN, NAN, NAN, n,
            units);
    for (int k = 0; k < 2; k++)
        add(t, point, name, es_names[k],
            n && total > 0 ? weighted_tail(v, n, weighted_rank(v, n, total, levels[k + 1])) : NAN,
            NAN, NAN, n, units);
}

/* mean, q50, q95, q99, es95, es99 of x[0..n) (x is sorted in place) */
static void summarise(table *t, long point, const char *name, double *x, long n, const char *units)
{
    add(t, point, name, "mean", mean(x, n), NAN, NAN, n, units);
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    for (int k = 0; k < 3; k++) {
        if (n == 0) {
            add(t, point, name, quantile_names[k], NAN, NAN, NAN, n, units);
            continue;
        }
        long l, u, r = lc_quantile_rank(levels[k], n);
        lc_quantile_ci_ranks(levels[k], n, &l, &u);
        add(t, point, name, quantile_names[k], x[r - 1], l >= 1 ? x[l - 1] : -INFINITY,
            u <= n ? x[u - 1] : INFINITY, n, units);
    }
    for (int k = 0; k < 2; k++)
        add(t, point, name, es_names[k], n > 0 ? shortfall(x, n, k) : NAN, NAN, NAN, n, units);
}

/* The probability metrics: event k of run i (k < NEVENTS; the CDP one only
 * when the scenario had a lending protocol). */
enum { NEVENTS = 6 };
static const char *const event_names[NEVENTS] = {
    "p_bad_debt", "p_insurance_depleted", "p_adl", "p_cascade", "p_truncated", "p_cdp_bad_debt"};
static int has_event(const lc_point_runs *r, int k)
{
    return k < NEVENTS - 1 || r->cdp_bad_debt;
}
static int event(const lc_point_runs *r, int k, long i)
{
    switch (k) {
    case 0:
        return r->bad_debt[i] > 0;
    case 1:
        return r->insurance_min[i] <= 0;
    case 2:
        return r->adl_count[i] > 0;
    case 3:
        return r->max_rounds[i] >= 2;
    case 4:
        return r->truncated[i] > 0;
    default:
        return r->cdp_bad_debt[i] > 0;
    }
}

/* The per-run variables summarised, in table order: variable v of run i,
 * when the run has one (amplification needs exo_drawdown > 0). */
enum { NVARS = 7, V_AMPLIFICATION = NVARS - 1 };
static const struct {
    const char *name, *units;
} vars[NVARS] = {{"bad_debt", "quote"}, {"cdp_bad_debt", "quote"}, {"liq_notional", "quote"},
                 {"max_drawdown", "1"}, {"max_rounds", "rounds"},  {"cascade_steps", "steps"},
                 {"amplification", "1"}};
static int has_var(const lc_point_runs *r, int v)
{
    return (v != 1 || r->cdp_bad_debt) && (v != 5 || r->cascade_steps);
}
static int defined(const lc_point_runs *r, int v, long i)
{
    return v != V_AMPLIFICATION || r->exo_drawdown[i] > 0;
}
static double var(const lc_point_runs *r, int v, long i)
{
    switch (v) {
    case 0:
        return r->bad_debt[i];
    case 1:
        return r->cdp_bad_debt[i];
    case 2:
        return r->liq_long[i] + r->liq_short[i];
    case 3:
        return r->max_drawdown[i];
    case 4:
        return r->max_rounds[i];
    case 5:
        return r->cascade_steps[i];
    default:
        return r->max_drawdown[i] / r->exo_drawdown[i];
    }
}

/* The weighted probability of event k (-1: every run, the weights' mean)
 * with its interval: of the runs' w·1{A}, or of the replicates' estimates
 * (lc_replicate_share; a run's replicate is its number, replicates in row
 * order). */
static void weighted_share(const lc_point_runs *r, int k, double *p, double *lo, double *hi)
{
    const double *w = r->weight, *rep = r->replicate;
    double sw = 0, sw2 = 0, cur = 0;
    long groups = 0;
    for (long i = 0; i < r->n; i++) {
        if (rep && (i == 0 || rep[i] != rep[i - 1])) { /* a replicate begins */
            sw2 += cur * cur;
            cur = 0;
            groups++;
        }
        if (k >= 0 && !event(r, k, i))
            continue;
        sw += w[i];
        if (rep)
            cur += w[i];
        else
            sw2 += w[i] * w[i];
    }
    if (rep)
        lc_replicate_share(sw, sw2 + cur * cur, groups, r->n, p, lo, hi);
    else
        lc_weighted_share(sw, sw2, r->n, p, lo, hi);
}

int lc_metrics_point(const lc_point_runs *r, lc_metric **rows, long *nrows)
{
    table t = {rows, nrows, 0};
    long n = r->n;
    const double *w = r->weight;
    add(&t, r->point, "n_runs", NULL, (double)n, NAN, NAN, n, "runs");
    if (w) {
        double sw = 0, sw2 = 0;
        for (long i = 0; i < n; i++) {
            sw += w[i];
            sw2 += w[i] * w[i];
        }
        double m, lo, hi; /* the weights' mean, 1 in expectation, with its interval */
        weighted_share(r, -1, &m, &lo, &hi);
        add(&t, r->point, "weight_mean", NULL, m, lo, hi, n, "1");
        add(&t, r->point, "ess", NULL, lc_ess(sw, sw2), NAN, NAN, n, "runs");
    }
    for (int k = 0; k < NEVENTS; k++) {
        if (!has_event(r, k))
            continue;
        double p, lo, hi;
        if (w) {
            weighted_share(r, k, &p, &lo, &hi);
        } else {
            long x = 0;
            for (long i = 0; i < n; i++)
                x += event(r, k, i);
            lc_wilson(x, n, &p, &lo, &hi);
        }
        add(&t, r->point, event_names[k], NULL, p, lo, hi, n, "1");
    }
    double *x = w ? NULL : malloc((size_t)(n > 0 ? n : 1) * sizeof *x);
    wx *v = w ? malloc((size_t)(n > 0 ? n : 1) * sizeof *v) : NULL;
    if (!x && !v)
        return -1;
    long undefined = 0;
    for (int k = 0; k < NVARS; k++) {
        if (!has_var(r, k))
            continue;
        long m = 0;
        for (long i = 0; i < n; i++)
            if (defined(r, k, i)) {
                if (w)
                    v[m++] = (wx){var(r, k, i), w[i]};
                else
                    x[m++] = var(r, k, i);
            }
        if (w)
            summarise_weighted(&t, r->point, vars[k].name, v, m, k == V_AMPLIFICATION,
                               vars[k].units);
        else
            summarise(&t, r->point, vars[k].name, x, m, vars[k].units);
        undefined = n - m; /* of the last: amplification */
    }
    add(&t, r->point, "amplification_undefined", NULL, (double)undefined, NAN, NAN, n, "runs");
    free(x);
    free(v);
    return t.oom ? -1 : 0;
}

void lc_newcombe_paired(long a, long b, long c, long d, double *delta, double *lo, double *hi)
{
    long n = a + b + c + d;
    if (n <= 0) {
        *delta = *lo = *hi = NAN;
        return;
    }
    double pj, lj, uj, pb, lb, ub;
    lc_wilson(a + b, n, &pj, &lj, &uj);
    lc_wilson(a + c, n, &pb, &lb, &ub);
    /* the correlation of the pairs, corrected as Newcombe does (k − n/2 for
     * k > n/2, 0 up to n/2): uncorrected it is 1 when no pair is discordant,
     * and the interval collapses to a point */
    double prod = (double)(a + b) * (double)(c + d) * (double)(a + c) * (double)(b + d);
    double k = (double)a * (double)d - (double)b * (double)c, half_n = (double)n / 2.0;
    double phi = prod <= 0    ? 0.0
                 : k > half_n ? (k - half_n) / sqrt(prod)
                 : k >= 0     ? 0.0
                              : k / sqrt(prod);
    *delta = (double)(b - c) / (double)n;
    /* the radicands are >= 0 in exact arithmetic (|φ| <= 1); rounding can
     * take them a hair below */
    double dl = pj - lj, du = ub - pb, el = uj - pj, eu = pb - lb;
    *lo = *delta - sqrt(fmax(0.0, dl * dl - 2.0 * phi * dl * du + du * du));
    *hi = *delta + sqrt(fmax(0.0, el * el - 2.0 * phi * el * eu + eu * eu));
}

/* The mean of the differences a[i] − b[i], i < m, with the paired normal
 * interval (docs/analysis.md, "Paired differences"). */
static void add_paired_mean(table *t, long point, const char *name, const char *suffix,
                            const double *a, const double *b, long m, const char *units)
{
    double sum = 0;
    for (long i = 0; i < m; i++)
        sum += a[i] - b[i];
    double d = m ? sum / (double)m : NAN, ss = 0;
    for (long i = 0; i < m; i++)
        ss += (a[i] - b[i] - d) * (a[i] - b[i] - d);
    double half = m >= 2 ? Z95 * sqrt(ss / (double)(m - 1)) / sqrt((double)m) : NAN;
    add(t, point, name, suffix, d, d - half, d + half, m, units);
}

/* The paired rows of variable v: the difference of the means with the
 * paired normal interval, and of each quantile and shortfall, over the
 * pairs where both runs have the variable (xj, xb: room for n). */
static void paired_variable(table *t, const lc_point_runs *pj, const lc_point_runs *pb, int v,
                            double *xj, double *xb)
{
    long m = 0;
    for (long i = 0; i < pj->n; i++)
        if (defined(pj, v, i) && defined(pb, v, i)) {
            xj[m] = var(pj, v, i);
            xb[m++] = var(pb, v, i);
        }
    const char *name = vars[v].name, *units = vars[v].units;
    add_paired_mean(t, pj->point, name, "mean", xj, xb, m, units);
    qsort(xj, (size_t)m, sizeof *xj, cmp_double);
    qsort(xb, (size_t)m, sizeof *xb, cmp_double);
    for (int k = 0; k < 3; k++) {
        long r = m ? lc_quantile_rank(levels[k], m) : 0;
        add(t, pj->point, name, quantile_names[k], m ? xj[r - 1] - xb[r - 1] : NAN, NAN, NAN, m,
            units);
    }
    for (int k = 0; k < 2; k++)
        add(t, pj->point, name, es_names[k], m ? shortfall(xj, m, k) - shortfall(xb, m, k) : NAN,
            NAN, NAN, m, units);
}

/* The paired differences of weighted runs (docs/analysis.md): each
 * probability and mean the mean of w_j·f_j − w_b·f_b over the pairs with
 * its normal interval, each quantile and shortfall the difference of the
 * weighted ones. */
static int paired_weighted(table *t, const lc_point_runs *pj, const lc_point_runs *pb, long n)
{
    double *fj = malloc((size_t)(n > 0 ? n : 1) * sizeof *fj); /* w_j·f_j */
    double *fb = malloc((size_t)(n > 0 ? n : 1) * sizeof *fb); /* w_b·f_b */
    wx *vj = malloc((size_t)(n > 0 ? n : 1) * sizeof *vj);
    wx *vb = malloc((size_t)(n > 0 ? n : 1) * sizeof *vb);
    if (!fj || !fb || !vj || !vb) {
        free(fj);
        free(fb);
        free(vj);
        free(vb);
        return -1;
    }
    const double *wj = pj->weight, *wb = pb->weight;
    for (int k = 0; k < NEVENTS; k++) {
        if (!has_event(pj, k) || !has_event(pb, k))
            continue;
        for (long i = 0; i < n; i++) {
            fj[i] = wj[i] * event(pj, k, i);
            fb[i] = wb[i] * event(pb, k, i);
        }
        add_paired_mean(t, pj->point, event_names[k], NULL, fj, fb, n, "1");
    }
    for (int v = 0; v < NVARS; v++) {
        if (!has_var(pj, v) || !has_var(pb, v))
            continue;
        long m = 0;
        for (long i = 0; i < n; i++)
            if (defined(pj, v, i) && defined(pb, v, i)) {
                vj[m] = (wx){var(pj, v, i), wj[i]};
                vb[m] = (wx){var(pb, v, i), wb[i]};
                fj[m] = wj[i] * vj[m].x;
                fb[m] = wb[i] * vb[m].x;
                m++;
            }
        const char *name = vars[v].name, *units = vars[v].units;
        add_paired_mean(t, pj->point, name, "mean", fj, fb, m, units);
        double tj = 0, tb = 0;
        for (long i = 0; i < m; i++) {
            tj += vj[i].w;
            tb += vb[i].w;
        }
        qsort(vj, (size_t)m, sizeof *vj, cmp_wx);
        qsort(vb, (size_t)m, sizeof *vb, cmp_wx);
        int ok = m > 0 && tj > 0 && tb > 0;
        for (int k = 0; k < 3; k++)
            add(t, pj->point, name, quantile_names[k],
                ok ? vj[weighted_rank(vj, m, tj, levels[k]) - 1].x -
                         vb[weighted_rank(vb, m, tb, levels[k]) - 1].x
                   : NAN,
                NAN, NAN, m, units);
        for (int k = 0; k < 2; k++)
            add(t, pj->point, name, es_names[k],
                ok ? weighted_tail(vj, m, weighted_rank(vj, m, tj, levels[k + 1])) -
                         weighted_tail(vb, m, weighted_rank(vb, m, tb, levels[k + 1]))
                   : NAN,
                NAN, NAN, m, units);
    }
    free(fj);
    free(fb);
    free(vj);
    free(vb);
    return 0;
}

int lc_metrics_paired(const lc_point_runs *pj, const lc_point_runs *pb, lc_metric **rows,
                      long *nrows)
{
    table t = {rows, nrows, 0};
    long n = pj->n < pb->n ? pj->n : pb->n;
    if (pj->weight && pb->weight)
        return paired_weighted(&t, pj, pb, n) || t.oom ? -1 : 0;
    for (int k = 0; k < NEVENTS; k++) {
        if (!has_event(pj, k) || !has_event(pb, k))
            continue;
        long cell[4] = {0}; /* both, point only, baseline only, neither */
        for (long i = 0; i < n; i++) {
            int ej = event(pj, k, i), eb = event(pb, k, i);
            cell[ej && eb ? 0 : ej ? 1 : eb ? 2 : 3]++;
        }
        double d, lo, hi;
        lc_newcombe_paired(cell[0], cell[1], cell[2], cell[3], &d, &lo, &hi);
        add(&t, pj->point, event_names[k], NULL, d, lo, hi, n, "1");
    }
    double *xj = malloc((size_t)(n > 0 ? n : 1) * sizeof *xj);
    double *xb = malloc((size_t)(n > 0 ? n : 1) * sizeof *xb);
    if (!xj || !xb) {
        free(xj);
        free(xb);
        return -1;
    }
    lc_point_runs a = *pj, b = *pb;
    a.n = b.n = n;
    for (int v = 0; v < NVARS; v++)
        if (has_var(&a, v) && has_var(&b, v))
            paired_variable(&t, &a, &b, v, xj, xb);
    free(xj);
    free(xb);
    return t.oom ? -1 : 0;
}

static void csv_num(FILE *out, double v)
{
    if (isnan(v))
        return;
    if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", out);
    else
        fprintf(out, "%.17g", v);
}

/* The rows of a table, with a baseline column after `point` when baseline
 * >= 0 (the paired table). */
static void table_csv(const lc_metric *rows, long n, long baseline, FILE *out)
{
    fputs(baseline >= 0 ? "point,baseline,metric,value,lo,hi,n,units\n"
                        : "point,metric,value,lo,hi,n,units\n",
          out);
    for (long i = 0; i < n; i++) {
        const lc_metric *m = &rows[i];
        fprintf(out, "%ld,", m->point);
        if (baseline >= 0)
            fprintf(out, "%ld,", baseline);
        fprintf(out, "%s,", m->metric);
        csv_num(out, m->value);
        fputc(',', out);
        csv_num(out, m->lo);
        fputc(',', out);
        csv_num(out, m->hi);
        fprintf(out, ",%ld,%s\n", m->n, m->units);
    }
}

void lc_metrics_csv(const lc_metric *rows, long n, FILE *out)
{
    table_csv(rows, n, -1, out);
}

void lc_paired_csv(const lc_metric *rows, long n, long baseline, FILE *out)
{
    table_csv(rows, n, baseline, out);
}

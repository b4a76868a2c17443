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

/* mean, q50, q95, q99, es95, es99 of x[0..n) (x is sorted in place) */
static void summarise(table *t, long point, const char *name, double *x, long n, const char *units)
{
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += x[i]; /* row order, before sorting */
    add(t, point, name, "mean", n ? sum / (double)n : NAN, NAN, NAN, n, units);
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    static const int levels[] = {5000, 9500, 9900};
    static const char *const qn[] = {"q50", "q95", "q99"};
    for (int k = 0; k < 3; k++) {
        if (n == 0) {
            add(t, point, name, qn[k], NAN, NAN, NAN, n, units);
            continue;
        }
        long l, u, r = lc_quantile_rank(levels[k], n);
        lc_quantile_ci_ranks(levels[k], n, &l, &u);
        add(t, point, name, qn[k], x[r - 1], l >= 1 ? x[l - 1] : -INFINITY,
            u <= n ? x[u - 1] : INFINITY, n, units);
    }
    static const char *const en[] = {"es95", "es99"};
    for (int k = 0; k < 2; k++) {
        double es = NAN;
        if (n > 0) {
            long r = lc_quantile_rank(levels[k + 1], n);
            double s = 0;
            for (long i = r - 1; i < n; i++)
                s += x[i];
            es = s / (double)(n - r + 1);
        }
        add(t, point, name, en[k], es, NAN, NAN, n, units);
    }
}

int lc_metrics_point(const lc_point_runs *r, lc_metric **rows, long *nrows)
{
    table t = {rows, nrows, 0};
    long n = r->n;
    add(&t, r->point, "n_runs", NULL, (double)n, NAN, NAN, n, "runs");
    long events[5] = {0};
    for (long i = 0; i < n; i++) {
        events[0] += r->bad_debt[i] > 0;
        events[1] += r->insurance_min[i] <= 0;
        events[2] += r->adl_count[i] > 0;
        events[3] += r->max_rounds[i] >= 2;
        events[4] += r->truncated[i] > 0;
    }
    static const char *const pnames[] = {"p_bad_debt", "p_insurance_depleted", "p_adl", "p_cascade",
                                         "p_truncated"};
    for (int k = 0; k < 5; k++) {
        double p, lo, hi;
        lc_wilson(events[k], n, &p, &lo, &hi);
        add(&t, r->point, pnames[k], NULL, p, lo, hi, n, "1");
    }
    if (r->cdp_bad_debt) { /* the lending protocol's */
        long k = 0;
        double p, lo, hi;
        for (long i = 0; i < n; i++)
            k += r->cdp_bad_debt[i] > 0;
        lc_wilson(k, n, &p, &lo, &hi);
        add(&t, r->point, "p_cdp_bad_debt", NULL, p, lo, hi, n, "1");
    }
    double *x = malloc((size_t)(n > 0 ? n : 1) * sizeof *x);
    if (!x)
        return -1;
    for (long i = 0; i < n; i++)
        x[i] = r->bad_debt[i];
    summarise(&t, r->point, "bad_debt", x, n, "quote");
    if (r->cdp_bad_debt) {
        for (long i = 0; i < n; i++)
            x[i] = r->cdp_bad_debt[i];
        summarise(&t, r->point, "cdp_bad_debt", x, n, "quote");
    }
    for (long i = 0; i < n; i++)
        x[i] = r->liq_long[i] + r->liq_short[i];
    summarise(&t, r->point, "liq_notional", x, n, "quote");
    for (long i = 0; i < n; i++)
        x[i] = r->max_drawdown[i];
    summarise(&t, r->point, "max_drawdown", x, n, "1");
    for (long i = 0; i < n; i++)
        x[i] = r->max_rounds[i];
    summarise(&t, r->point, "max_rounds", x, n, "rounds");
    if (r->cascade_steps) {
        for (long i = 0; i < n; i++)
            x[i] = r->cascade_steps[i];
        summarise(&t, r->point, "cascade_steps", x, n, "steps");
    }
    long m = 0, undefined = 0;
    for (long i = 0; i < n; i++) {
        if (r->exo_drawdown[i] > 0)
            x[m++] = r->max_drawdown[i] / r->exo_drawdown[i];
        else
            undefined++;
    }
    summarise(&t, r->point, "amplification", x, m, "1");
    add(&t, r->point, "amplification_undefined", NULL, (double)undefined, NAN, NAN, n, "runs");
    free(x);
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

void lc_metrics_csv(const lc_metric *rows, long n, FILE *out)
{
    fputs("point,metric,value,lo,hi,n,units\n", out);
    for (long i = 0; i < n; i++) {
        const lc_metric *m = &rows[i];
        fprintf(out, "%ld,%s,", m->point, m->metric);
        csv_num(out, m->value);
        fputc(',', out);
        csv_num(out, m->lo);
        fputc(',', out);
        csv_num(out, m->hi);
        fprintf(out, ",%ld,%s\n", m->n, m->units);
    }
}

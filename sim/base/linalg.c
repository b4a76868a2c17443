/* linalg.c — Cholesky of a positive semi-definite matrix (linalg.h). */
#include "base/linalg.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>

#define TOL 1e-10

int lc_cholesky_psd(const double *a, int n, double *l)
{
    for (int i = 0; i < n * n; i++)
        l[i] = 0;
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++)
            d -= l[j * n + k] * l[j * n + k];
        if (d < -TOL)
            return -1;
        double ljj = d > TOL ? sqrt(d) : 0.0;
        l[j * n + j] = ljj;
        for (int i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++)
                s -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = ljj > 0 ? s / ljj : 0.0;
        }
    }
    /* a zero pivot leaves its column 0, right only if a is PSD: check L·Lᵀ */
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int k = 0; k <= j; k++)
                s += l[i * n + k] * l[j * n + k];
            if (fabs(s - a[i * n + j]) > 1e-8)
                return -1;
        }
    return 0;
}

double lc_min_eigenvalue(const double *a, int n)
{
    gsl_matrix *m = gsl_matrix_alloc((size_t)n, (size_t)n);
    gsl_vector *ev = gsl_vector_alloc((size_t)n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc((size_t)n);
    double lo = NAN;
    if (m && ev && w) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                gsl_matrix_set(m, (size_t)i, (size_t)j, a[i * n + j]);
        if (gsl_eigen_symm(m, ev, w) == 0)
            lo = gsl_vector_min(ev);
    }
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(m);
    return lo;
}

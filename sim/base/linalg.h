/* linalg.h — the little dense linear algebra a correlation matrix needs. */
#ifndef LC_LINALG_H
#define LC_LINALG_H

/* Lower-triangular L with L·Lᵀ = a (n×n, row-major) for a symmetric
 * positive semi-definite a. A singular a (a correlation of 1, a market that
 * is a combination of others) has a zero pivot: its column of L is 0, which
 * still reproduces a. Returns 0, or -1 when a is not positive semi-definite
 * (a pivot below −tol, or L·Lᵀ differs from a by more than tol). */
int lc_cholesky_psd(const double *a, int n, double *l);

/* The smallest eigenvalue of the symmetric n×n matrix a (for messages). */
double lc_min_eigenvalue(const double *a, int n);

#endif

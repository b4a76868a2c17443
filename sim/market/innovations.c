/* innovations.c — correlated innovations of a run's markets (innovations.h). */
#include "market/innovations.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>

#include "engine/rng.h"

/* The least tilt of e that gives the tilted markets' y = L·e the means
 * theta: eta minimising |eta|² (the tilt's cost, Σ eta²/2 of Kullback-Leibler
 * divergence a step) under (L·eta)_k = theta_k for tilted k. With L_T the
 * tilted rows of L, eta = L_Tᵀ·a where (L_T·L_Tᵀ)·a = theta_T, and L_T·L_Tᵀ is
 * the tilted markets' correlation matrix. So the untilted markets' means move
 * by their regression on the tilted ones' (for all tilted, eta = L⁻¹·theta).
 * The t x t system is solved by Gaussian elimination with partial pivoting;
 * a singular one (perfectly correlated tilted markets) leaves eta 0. */
static void least_tilt(const double *l, int n, const int *tilted, const double *theta, double *eta)
{
    int idx[LC_MAX_MARKETS], t = 0;
    for (int k = 0; k < n; k++)
        if (tilted[k])
            idx[t++] = k;
    double m[LC_MAX_MARKETS][LC_MAX_MARKETS + 1];
    for (int i = 0; i < t; i++) {
        for (int j = 0; j < t; j++) {
            double s = 0;
            for (int c = 0; c < n; c++)
                s += l[idx[i] * n + c] * l[idx[j] * n + c];
            m[i][j] = s;
        }
        m[i][t] = theta[idx[i]];
    }
    for (int k = 0; k < n; k++)
        eta[k] = 0;
    for (int c = 0; c < t; c++) {
        int piv = c;
        for (int i = c + 1; i < t; i++)
            if (fabs(m[i][c]) > fabs(m[piv][c]))
                piv = i;
        if (!(fabs(m[piv][c]) > 1e-12))
            return;
        for (int j = 0; j <= t; j++) {
            double x = m[c][j];
            m[c][j] = m[piv][j];
            m[piv][j] = x;
        }
        for (int i = 0; i < t; i++) {
            if (i == c)
                continue;
            double f = m[i][c] / m[c][c];
            for (int j = c; j <= t; j++)
                m[i][j] -= f * m[c][j];
        }
    }
    for (int i = 0; i < t; i++) {
        double a = m[i][t] / m[i][i];
        for (int c = 0; c < n; c++)
            eta[c] += l[idx[i] * n + c] * a;
    }
}

static void tilt_init(lc_innovations *in, const lc_scenario *sc)
{
    const lc_rare *ra = &sc->rare;
    in->tilting = ra->method == LC_RARE_TILT;
    if (!in->tilting)
        return;
    in->window = ra->tilt_steps < sc->steps ? ra->tilt_steps : 0;
    in->active = 1;
    for (int k = 0; k < in->k; k++) {
        int on = ra->tilted[k];
        in->tilt[k] = (lc_tilt){.theta = in->k == 1 ? ra->theta[k] : 0.0,
                                .kappa = on ? ra->kappa : 1.0,
                                .log_kappa = on ? log(ra->kappa) : 0.0};
        in->d[k].tilt = &in->tilt[k];
    }
    in->joint = (lc_tilt){.kappa = ra->kappa, .log_kappa = log(ra->kappa)};
    if (in->k > 1) {
        least_tilt(sc->corr.chol, in->k, ra->tilted, ra->theta, in->eta[0]);
        least_tilt(sc->corr.stress_chol, in->k, ra->tilted, ra->theta, in->eta[1]);
    }
}

int lc_innovations_init(lc_innovations *in, const lc_scenario *sc, gsl_rng *rng)
{
    *in = (lc_innovations){.sc = sc, .k = sc->nmarkets, .rng = rng};
    for (int k = 0; k < in->k; k++)
        in->d[k] = lc_draws_own(rng);
    if (in->k == 1) {
        tilt_init(in, sc);
        return 0;
    }
    /* the two-state chain's exact transition over dt: with rates a (enter)
     * and b (exit), P(calm -> stress) = pi1·(1 − e^(−(a+b)·dt)) and
     * P(stress -> calm) = pi0·(1 − e^(−(a+b)·dt)), pi1 = a/(a+b), so the
     * chain at steps keeps the stationary law a run starts in, whatever dt */
    const lc_correlation *c = &sc->corr;
    if (c->stress == LC_STRESS_MARKOV) {
        double mix = -expm1(-(c->enter + c->exit) * sc->dt_s / LC_YEAR_S);
        double pi1 = c->enter / (c->enter + c->exit);
        in->p_enter = pi1 * mix;
        in->p_exit = (1.0 - pi1) * mix;
    }
    for (int k = 0; k < in->k; k++) {
        in->own[k] = gsl_rng_alloc(lc_rng_xoshiro256pp);
        in->common[k] = gsl_rng_alloc(lc_rng_xoshiro256pp);
        if (!in->own[k] || !in->common[k])
            return -1;
        in->d[k] = (lc_draws){in->own[k], in->common[k], 0.0, 1, 0.0, NULL};
    }
    tilt_init(in, sc);
    return 0;
}

double lc_innovations_log_weight(const lc_innovations *in)
{
    double w = in->joint.logw;
    for (int k = 0; in->tilting && k < in->k; k++)
        w += in->tilt[k].logw;
    return w;
}

void lc_innovations_release(lc_innovations *in)
{
    for (int k = 0; k < LC_MAX_MARKETS; k++) {
        gsl_rng_free(in->own[k]);
        gsl_rng_free(in->common[k]);
        in->own[k] = in->common[k] = NULL;
    }
}

void lc_innovations_untilt(lc_innovations *in)
{
    in->active = 0;
    for (int k = 0; k < in->k; k++)
        in->d[k].tilt = NULL;
}

void lc_innovations_start(lc_innovations *in, uint64_t seed, uint64_t run)
{
    in->joint.logw = 0;
    for (int k = 0; in->tilting && k < in->k; k++) {
        in->tilt[k].logw = in->tilt[k].sum_z = 0;
        in->d[k].tilt = &in->tilt[k]; /* untilted after a window, the run before */
    }
    in->active = in->tilting;
    if (in->k == 1)
        return;
    for (int k = 0; k < in->k; k++) {
        lc_rng_reset(in->own[k], seed, LC_STREAM_MARKET + (uint32_t)k, run);
        lc_rng_reset(in->common[k], seed, LC_STREAM_COMMON, run);
    }
    const lc_correlation *c = &in->sc->corr;
    in->stressed = 0;
    if (c->stress == LC_STRESS_MARKOV) /* the chain's stationary law */
        in->stressed = gsl_rng_uniform(in->rng) < c->enter / (c->enter + c->exit);
}

void lc_innovations_rekey(lc_innovations *in, uint64_t key)
{
    for (int k = 0; in->k > 1 && k < in->k; k++) {
        lc_rng_reset(in->own[k], key, LC_STREAM_MARKET + (uint32_t)k, 0);
        lc_rng_reset(in->common[k], key, LC_STREAM_COMMON, 0);
    }
}

/* z = Φ⁻¹(F_nu(t)), by the upper tail for t > 0 so that neither tail loses
 * its digits to 1 − tiny. */
static double t_to_normal(double t, double nu)
{
    return t > 0 ? gsl_cdf_ugaussian_Qinv(gsl_cdf_tdist_Q(t, nu))
                 : gsl_cdf_ugaussian_Pinv(gsl_cdf_tdist_P(t, nu));
}

void lc_innovations_draw(lc_innovations *in, long t)
{
    const lc_scenario *sc = in->sc;
    const lc_correlation *c = &sc->corr;
    int n = in->k;
    if (c->stress == LC_STRESS_MARKOV)
        in->stressed = gsl_rng_uniform(in->rng) < (in->stressed ? 1.0 - in->p_exit : in->p_enter);
    else if (c->stress == LC_STRESS_WINDOW) {
        double t0 = (double)(t - 1) * sc->dt_s; /* the step's start */
        in->stressed = t0 >= c->start && t0 < c->end;
    }
    const double *l = in->stressed ? c->stress_chol : c->chol;
    double e[LC_MAX_MARKETS];
    for (int k = 0; k < n; k++)
        e[k] = gsl_ran_gaussian_ziggurat(in->rng, 1.0);
    if (in->active) { /* e ~ N(eta, I): its ratio φ(e)/φ(e − eta) */
        const double *eta = in->eta[in->stressed];
        for (int k = 0; k < n; k++) {
            e[k] += eta[k];
            in->joint.logw += eta[k] * (0.5 * eta[k] - e[k]);
        }
    }
    double scale = 1.0;
    if (c->copula == LC_COPULA_T)
        scale = 1.0 / sqrt(gsl_ran_gamma(in->rng, 0.5 * c->nu, 2.0) / c->nu);
    for (int k = 0; k < n; k++) {
        double y = 0;
        for (int j = 0; j <= k; j++)
            y += l[k * n + j] * e[j];
        if (in->active)
            in->tilt[k].sum_z += y;
        in->d[k].z = c->copula == LC_COPULA_T ? t_to_normal(y * scale, c->nu) : y;
        in->d[k].jump = 0;
    }
    if (c->jump_rate > 0) {
        double rate = c->jump_rate * sc->dt_s / LC_YEAR_S;
        unsigned nj =
            in->active ? lc_tilt_jumps(&in->joint, in->rng, rate) : gsl_ran_poisson(in->rng, rate);
        for (int k = 0; nj && k < n; k++) {
            const lc_market_spec *ms = &sc->market[k];
            in->d[k].jump = nj * ms->jump_mean + ms->jump_sigma * sqrt((double)nj) *
                                                     gsl_ran_gaussian_ziggurat(in->rng, 1.0);
        }
    }
}

/* test_price_models.c — the price models (models/price/) against closed forms.
 *
 * Each model's init/step is called directly with the run's price stream
 * lc_rng_create/reset(seed, LC_STREAM_PRICE, run), as the engine does. Every
 * statistical check uses a fixed seed and passes iff |estimate − closed form|
 * < 4 standard errors; the SE of each is derived below, and each check is
 * sized so that a plausible wrong implementation lands many SEs away.
 *
 * Standard errors. For n iid draws x with central moments m2, m3, m4 the
 * estimators are smooth functions of sample moments, so their SE is
 * sd(IF)/sqrt(n) with the influence function IF (delta method), evaluated on
 * the sample (c = x − mean):
 *   mean      IF = c
 *   variance  IF = c² − m2
 *   skewness  g1 = m3/m2^1.5:  IF = (c³ − m3 − 3·m2·c)/m2^1.5 − 1.5·g1·(c² − m2)/m2
 *   kurtosis  K = m4/m2²:      IF = (c⁴ − m4 − 4·m3·c)/m2² − 2K·(c² − m2)/m2
 * For dependent series (GARCH, regime occupancy) independent runs are the
 * batches: a ratio of per-run means is linearised the same way across runs,
 * which accounts for any autocorrelation within a run.
 *
 * 1. Merton, log-return X over t = 1 year (8 steps of 1/8 year; the scheme is
 *    exact, so the step does not matter), sigma 0.2, lambda 1, m −0.1,
 *    delta 0.15, mu 0.1, n = 10⁶ runs. Cumulants κ2 = (σ² + λ(m² + δ²))t,
 *    κ3 = λ(m³ + 3mδ²)t, κ4 = λ(m⁴ + 6m²δ² + 3δ⁴)t give
 *      Var 0.0725, skewness κ3/κ2^1.5 = −0.3970, excess kurtosis κ4/κ2² = 0.5648,
 *      E[X] = (mu − σ²/2 − λk)t + λmt = 0.064926 with k = e^(m+δ²/2) − 1 = −0.084926,
 *      E[F_t/F_0] = E[e^X] = e^(mu·t) = 1.105171 (the compensation).
 *    SE(var) ≈ m2·sqrt(K − 1)/sqrt(n) ≈ 1.16e-4. Caught: Bernoulli(λdt) jumps
 *    instead of Poisson give Var 0.07125 (11 SE); one jump size scaled by N
 *    instead of a sum adds δ²·Σ(λdt)² = 0.0028 (24 SE); no compensation moves
 *    E[e^X] to 1.015 (SE ≈ sd(e^X)/sqrt(n) ≈ 3e-4: ~300 SE); k without the
 *    δ²/2 moves it by 1.1% (~38 SE).
 *
 * 2. GARCH(1,1), per-step variance 1e-4 (omega = 1e-4·(1 − α − β)), mu 0:
 *    E[r²] = omega/(1 − α − β) and
 *      K = κz(1 − (α+β)²)/(1 − (α+β)² − (κz − 1)α²),  κz = 3(ν − 2)/(ν − 4).
 *    400 runs × 20,000 steps each, after 1,000 burn-in steps (the fourth
 *    moment forgets the start like E[(β + αz²)²]^t ≤ 0.94^t). SE from runs as
 *    batches (delta method on B/A², A, B the means of r², r⁴).
 *    The kurtosis estimator has a finite variance only if ε has 8 moments,
 *    i.e. E[(β + αz²)⁴] < 1 (and ν > 8). Cases:
 *    a. α 0.1, β 0.85, ν = 10⁶ (Gaussian in practice): K = 3.7742,
 *       E[(β + αz²)⁴] = 0.959. A recursion without the shock (h = ω + (α+β)h)
 *       gives K = 3, dozens of SEs away.
 *    b. α 0.05, β 0.9, ν = 10: κz = 4, K = 4.3333, E[(β + αz²)⁴] = 0.876;
 *       no clustering would give 4 (~30 SE); an unscaled t (variance ν/(ν−2)
 *       = 1.25, fed back through the recursion) gives E[r²] = 1.67·h
 *       (hundreds of SEs).
 *    Not used: α 0.1, β 0.85, ν = 8 (K = 7.02): E[z⁸] is infinite, so the
 *    sample kurtosis has no standard error; at 4·10⁷ steps it read 6.76 with a
 *    naive "SE" of 0.06, a spurious 4.4-SE miss. ν = 10 with α 0.1 has
 *    E[(β + αz²)⁴] = 1.19: the same problem.
 *    c. The first step's variance: E[r₁²] = omega/(1 − α − β) by default and
 *       h0 when given; Var(r₁²) = h²(κz − 1), SE from the sample of 2·10⁵ runs.
 *
 * 3. Heston, mu 0.05, v0 0.25, κ 3, θ 0.64, ξ 0.8, ρ −0.6 (2κθ = 3.84 > ξ²:
 *    v stays positive), T = 0.5 yr in 2-hour steps (2,190), 20,000 runs:
 *      E[V_T] = θ + (v0 − θ)e^(−κT) = 0.55298,
 *      Var[V_T] = v0ξ²e^(−κT)(1 − e^(−κT))/κ + θξ²(1 − e^(−κT))²/(2κ) = 0.050446,
 *      E[ln S_T/S_0] = mu·T − ½(θT + (v0 − θ)(1 − e^(−κT))/κ) = −0.084503
 *    (mu is the price drift, the log drift is mu − v/2). SE: 1.6e-3, ~6e-4 and
 *    3.3e-3 (sample). The Euler bias is O(dt): in the mean
 *    (v0 − θ)e^(−κT)·κ²T·dt/2 ≈ 4.5e-5, in the variance ~κ·dt ≈ 7e-4
 *    relative (3.5e-5), both below 0.1 SE. Caught: a constant variance θ in
 *    the log drift gives −0.135 (15 SE); no −v/2 gives +0.025 (33 SE); ξ²
 *    where ξ belongs shrinks Var[V_T] by 36% (~50 SE).
 *    Shocks: from v before each step (the state's first double, see heston.c)
 *    the step's standardised shocks Z₁ = (r − (mu − v/2)dt)/sqrt(v·dt) and
 *    Z₂ = (Δv − κ(θ − v)dt)/(ξ·sqrt(v·dt)) are iid N(0, 1) pairs with
 *    correlation ρ: over N = 4.4·10⁷ pairs SE(var) = sqrt(2/N) and
 *    SE(corr) = (1 − ρ²)/sqrt(N) ≈ 1e-4. Caught: ρ ignored or of the wrong
 *    sign; Z₂ = ρZ₁ + (1 − ρ)Z₃ (corr −0.35, Var(Z₂) 2.9).
 *
 * 4. Regime, rates 20 (1 → 2) and 30 (2 → 1) per year: π₁ = 30/50 = 0.6.
 *    sigma_1 = sigma_2 = 0 and mu_1 = 1, mu_2 = −1 make each step's return
 *    ±dt, so the regime is read off the sign of the return.
 *    a. Step 1 with start 0 over 2·10⁵ runs: binomial, SE = sqrt(π₁π₂/n) =
 *       0.0011. Always starting in regime 1, or π₁ = rate_12/q, is caught.
 *    b. Hourly steps, 1,000 runs of one year: the fraction of steps in regime 1
 *       is π₁; switches per year 2π₁π₂·(1 − e^(−q·dt))·(steps − 1) = 23.93. The
 *       indicator is autocorrelated (time 1/q ≈ 7 days), so the SE comes from
 *       the runs as batches; theory: sd per run ≈ sqrt(2π₁π₂/(qT)) = 0.098,
 *       SE ≈ 0.0031. Rates in the wrong unit (per day) or swapped are caught.
 *    c. Weekly steps (q·dt = 0.96), 2,000 runs of 520 steps: the exact
 *       transition keeps π₁ = 0.6; the first-order per-step probability
 *       1 − e^(−rate·dt) would give 0.5786. SE from runs ≈ sqrt(π₁π₂(1+λ)/
 *       ((1−λ)N)) with λ = e^(−q·dt): 7.2e-4, so the difference is ~30 SE.
 *
 * 5. Reproducibility: the same (seed, run) gives the same path bit for bit,
 *    also when the state is reused for another run in between (init resets
 *    everything); another run gives another path. The scenario loader accepts
 *    every model by name and rejects non-stationary GARCH parameters, a
 *    regime start that needs an undefined stationary law and peg depths out
 *    of order.
 *
 * 6. Peg, x = log(P/peg) = y + j (models/price/peg.c; κ = ln 2/half_life):
 *    a. No depegs, half_life 3600 s, dt 600 s, sigma 1, from the peg, 10⁵ runs
 *       of 60 steps (10 half-lives, so Var = σ²(1 − a^(2t))/(2κ) is within
 *       2^−20 ≈ 1e-6 relative of σ²/(2κ) = 8.23e-5, far below the SE): x is
 *       Gaussian, iid across runs, so SE(sample variance) = var·sqrt(2/(N − 1))
 *       = 0.45%, SE(mean) = sqrt(var/N). Caught: an Euler step σ·sqrt(dt)
 *       (var × 2κdt/(1 − a²) = 1.12, +27 SE); (1 − a) for (1 − a²) (−105 SE);
 *       a = 1 − κ·dt (−11 SE).
 *    b. From s0 = 0.9·peg (peg 2: the level is not 1), sigma 0.5, 20,000 runs:
 *       E[x_t] = a^t·log 0.9 and Var[x_t] = σ²(1 − a^(2t))/(2κ) after t = 1, 3,
 *       6, 12, 24 steps; SE sd/sqrt(N) and var·sqrt(2/(N − 1)). a = 1 − κ·dt
 *       misses E[x_1] by 46 SE, the Euler step Var[x_1] by 13 SE.
 *    c. Depegs alone (sigma 0): rate 20/yr, depth U[0.05, 0.2], recovery half-
 *       life 1 day, dt 6 h (b = 2^(−1/4)), 2·10⁵ runs of 80 steps (20 recovery
 *       half-lives: E[j_t] = E[j]·(1 − b^t), off by 1e-6 relative):
 *       E[j] = λdt·E[L]/(1 − b) = −0.011603, Var[j] = λdt·E[L²]/(1 − b²) =
 *       9.64e-4 (L = log(1 − D); E[L], E[L²] in closed form, checked against a
 *       midpoint integral to 1e-9). The law is far from Gaussian (mostly 0,
 *       sometimes a depeg), so both SEs are the influence-function ones of the
 *       sample (mean: sd/sqrt(N) = 7.0e-5; variance: 9.7e-6). Caught: the
 *       jumps added before the decay (E[j] × b, +31 SE); −D for log(1 − D)
 *       (+12 SE); the half-life read as an e-folding time (+54 SE).
 *    d. Exact: with the market's z given, each step is (a − 1)·y + σ·sqrt((1 −
 *       a²)/(2κ))·z to 1e-12 relative.
 *    Re-run over seeds 1–20: the 14 z-scores had means within ±0.5 and
 *    standard deviations 0.80–1.28, largest |z| 2.7.
 *
 * How these were checked (not part of the suite): the file was compiled with
 * -DSEED=1..20; the 21 z-scores (estimate − closed form)/SE had means within
 * ±0.5 and standard deviations 0.56–1.24 across seeds, as honest SEs should.
 * Each of these mutations of the models failed at least one check, at the
 * distance shown: merton with Bernoulli jumps (Var −12 SE), without
 * compensation (E[X] −315 SE), one jump size scaled by N (Var +21 SE); garch
 * without the shock in the recursion (kurtosis −457 and −34 SE), with an
 * unscaled t (E[r²] +228 SE), starting at h = omega (first step −4900 SE);
 * heston without −v/2 (+33 SE), with θ for v in the log drift (−15 SE), with
 * Z₂ = ρZ₁ + (1 − ρ)Z₃ (Var[V_T] +43 SE), with ξ² for ξ (−51 SE); regime
 * with the first-order switching probabilities (weekly occupancy −33 SE),
 * always starting in regime 1 (+365 SE), with π₁ = rate_12/q (−183 SE). */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "engine/rng.h"
#include "support.h"

#ifndef SEED /* -DSEED=n repeats every check with another seed */
#define SEED 20240611u
#endif
#define DAY_S 86400.0

/* ---- helpers ------------------------------------------------------------ */

static const lc_price_model *model(const char *name)
{
    const lc_desc *d = lc_family_find(&lc_price_family, name);
    cr_assert_not_null(d, "price model %s is not registered", name);
    return lc_price_model_of(d);
}

/* p = the table's defaults (required keys NaN until set) */
static void defaults(const lc_price_model *m, double *p)
{
    for (int i = 0; i < LC_MAX_PARAMS; i++)
        p[i] = i < m->d.nparams ? m->d.params[i].def : 0.0;
}

static void setp(const lc_price_model *m, double *p, const char *name, double v)
{
    int i = lc_desc_find(&m->d, name);
    cr_assert(i >= 0, "%s has no parameter %s", m->d.name, name);
    p[i] = v;
}

static void *state_new(const lc_price_model *m)
{
    void *s = calloc(1, m->state_size ? m->state_size : 1);
    cr_assert_not_null(s);
    return s;
}

typedef struct {
    double mean, var, skew, kurt; /* kurt: m4/m2², not excess */
    double se_mean, se_var, se_skew, se_kurt;
} moments;

/* Sample moments of x[0..n) with influence-function standard errors (see top). */
static moments sample_moments(const double *x, long n)
{
    moments r = {0};
    double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i];
    double mean = s / n, m2 = 0, m3 = 0, m4 = 0;
    for (long i = 0; i < n; i++) {
        double c = x[i] - mean, c2 = c * c;
        m2 += c2;
        m3 += c2 * c;
        m4 += c2 * c2;
    }
    m2 /= n, m3 /= n, m4 /= n;
    double g1 = m3 / pow(m2, 1.5), k = m4 / (m2 * m2);
    double v_mean = 0, v_var = 0, v_skew = 0, v_kurt = 0;
    for (long i = 0; i < n; i++) {
        double c = x[i] - mean, c2 = c * c;
        double if_var = c2 - m2;
        double if_skew = (c2 * c - m3 - 3 * m2 * c) / pow(m2, 1.5) - 1.5 * g1 * if_var / m2;
        double if_kurt = (c2 * c2 - m4 - 4 * m3 * c) / (m2 * m2) - 2 * k * if_var / m2;
        v_mean += c2;
        v_var += if_var * if_var;
        v_skew += if_skew * if_skew;
        v_kurt += if_kurt * if_kurt;
    }
    r.mean = mean, r.var = m2, r.skew = g1, r.kurt = k;
    r.se_mean = sqrt(v_mean / n / n);
    r.se_var = sqrt(v_var / n / n);
    r.se_skew = sqrt(v_skew / n / n);
    r.se_kurt = sqrt(v_kurt / n / n);
    return r;
}

static void check_4se(const char *what, double est, double expect, double se)
{
    cr_log_info("%-34s closed form %10.6f  estimate %10.6f  SE %.2e  (%+.2f SE)", what, expect, est,
                se, (est - expect) / se);
    cr_assert(se > 0 && isfinite(se), "%s: no standard error", what);
    cr_assert(fabs(est - expect) < 4 * se, "%s: estimate %.6g vs closed form %.6g: %.1f SE", what,
              est, expect, fabs(est - expect) / se);
}

/* ---- 1. Merton ----------------------------------------------------------- */

Test(merton, one_year_moments_and_compensation)
{
    const lc_price_model *m = model("merton");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double mu = 0.1, sigma = 0.2, lambda = 1, jm = -0.1, jd = 0.15;
    setp(m, p, "mu", mu);
    setp(m, p, "sigma", sigma);
    setp(m, p, "lambda", lambda);
    setp(m, p, "jump_mean", jm);
    setp(m, p, "jump_sigma", jd);
    const long n = 1000000, steps = 8;
    double *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g);
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    for (long i = 0; i < n; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, 1.0, LC_YEAR_S / steps, NULL);
        double sum = 0;
        for (long t = 1; t <= steps; t++)
            sum += m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
        x[i] = sum;
        g[i] = exp(sum);
    }
    double k = expm1(jm + 0.5 * jd * jd);
    double k2 = sigma * sigma + lambda * (jm * jm + jd * jd);
    double k3 = lambda * (jm * jm * jm + 3 * jm * jd * jd);
    double k4 = lambda * (pow(jm, 4) + 6 * jm * jm * jd * jd + 3 * pow(jd, 4));
    cr_assert_float_eq(k2, 0.0725, 1e-12);
    cr_assert_float_eq(k3 / pow(k2, 1.5), -0.397, 5e-4);
    cr_assert_float_eq(k4 / (k2 * k2), 0.565, 5e-4);
    moments r = sample_moments(x, n), e = sample_moments(g, n);
    check_4se("merton E[X]", r.mean, mu - 0.5 * sigma * sigma - lambda * k + lambda * jm,
              r.se_mean);
    check_4se("merton Var[X]", r.var, k2, r.se_var);
    check_4se("merton skewness", r.skew, k3 / pow(k2, 1.5), r.se_skew);
    check_4se("merton excess kurtosis", r.kurt - 3, k4 / (k2 * k2), r.se_kurt);
    check_4se("merton E[F_t/F_0] = e^(mu t)", e.mean, exp(mu), e.se_mean);
    gsl_rng_free(rng);
    free(st);
    free(x);
    free(g);
}

/* ---- 2. GARCH ------------------------------------------------------------ */

static double garch_kurtosis(double a, double b, double nu)
{
    double kz = 3 * (nu - 2) / (nu - 4), s2 = (a + b) * (a + b);
    return kz * (1 - s2) / (1 - s2 - (kz - 1) * a * a);
}

static void garch_case(const char *label, double a, double b, double nu, double k_expect)
{
    const lc_price_model *m = model("garch");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double h = 1e-4; /* unconditional per-step variance */
    setp(m, p, "mu", 0.0);
    setp(m, p, "omega", h * (1 - a - b));
    setp(m, p, "alpha", a);
    setp(m, p, "beta", b);
    setp(m, p, "nu", nu);
    cr_assert_float_eq(garch_kurtosis(a, b, nu), k_expect, 5e-4);
    const long runs = 400, burn = 1000, len = 20000;
    double *a2 = malloc(runs * sizeof *a2), *a4 = malloc(runs * sizeof *a4);
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    for (long i = 0; i < runs; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, 1.0, 60, NULL);
        for (long t = 1; t <= burn; t++)
            m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
        double s2 = 0, s4 = 0;
        for (long t = burn + 1; t <= burn + len; t++) {
            double z2 = m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
            z2 = z2 * z2 / h; /* r²/h: mean 1 */
            s2 += z2;
            s4 += z2 * z2;
        }
        a2[i] = s2 / len;
        a4[i] = s4 / len;
    }
    /* K̂ = B/A², linearised per run: d_i = a4_i/A² − 2B·a2_i/A³ */
    double A, B, se_a, se_b;
    t_mean_se(a2, runs, &A, &se_a);
    t_mean_se(a4, runs, &B, &se_b);
    double *d = malloc(runs * sizeof *d), dm, se_k;
    for (long i = 0; i < runs; i++)
        d[i] = a4[i] / (A * A) - 2 * B * a2[i] / (A * A * A);
    t_mean_se(d, runs, &dm, &se_k);
    char what[96];
    snprintf(what, sizeof what, "garch %s E[r²]/h", label);
    check_4se(what, A, 1.0, se_a);
    snprintf(what, sizeof what, "garch %s kurtosis", label);
    check_4se(what, B / (A * A), garch_kurtosis(a, b, nu), se_k);
    gsl_rng_free(rng);
    free(st);
    free(a2);
    free(a4);
    free(d);
}

/* The innovations themselves: with alpha = beta = 0 the returns are iid
 * sqrt(omega)·z, z = T_nu·sqrt((nu − 2)/nu), so T = r/(sqrt(omega)·scale)
 * must follow Student's t: at each of nine quantiles of t_nu (GSL's CDF), the
 * fraction of 400,000 draws below it is within 4 binomial SE
 * sqrt(p(1 − p)/n) of p, for nu = 3, 6 and 30. */
Test(garch, innovations_follow_student_t)
{
    const lc_price_model *m = model("garch");
    static const double nus[] = {3, 6, 30},
                        ps[] = {0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};
    const long n = 400000;
    for (size_t k = 0; k < sizeof nus / sizeof nus[0]; k++) {
        double p[LC_MAX_PARAMS], nu = nus[k];
        defaults(m, p);
        setp(m, p, "omega", 1e-4);
        setp(m, p, "alpha", 0.0);
        setp(m, p, "beta", 0.0);
        setp(m, p, "nu", nu);
        void *st = state_new(m);
        gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, (uint64_t)k);
        m->init(st, p, 1.0, 60, NULL);
        long below[9] = {0};
        double scale = 1e-2 * sqrt((nu - 2) / nu), quantile[9];
        for (int q = 0; q < 9; q++)
            quantile[q] = gsl_cdf_tdist_Pinv(ps[q], nu);
        for (long i = 0; i < n; i++) {
            double t = m->step(st, p, i + 1, &(lc_draws){rng, rng, 0, 0, 0, NULL}) / scale;
            for (int q = 0; q < 9; q++)
                below[q] += t <= quantile[q];
        }
        for (int q = 0; q < 9; q++) {
            double f = (double)below[q] / n, se = sqrt(ps[q] * (1 - ps[q]) / n);
            cr_assert(fabs(f - ps[q]) <= 4 * se, "nu %g: P(T <= t_%g) = %.5f, want %g +- %.5f", nu,
                      ps[q], f, ps[q], 4 * se);
        }
        gsl_rng_free(rng);
        free(st);
    }
}

Test(garch, gaussian_variance_and_kurtosis)
{
    garch_case("gaussian", 0.1, 0.85, 1e6, 3.774);
}

Test(garch, student_variance_and_kurtosis)
{
    garch_case("t10", 0.05, 0.9, 10, 4.3333);
    /* the figure for t with nu = 8 (not simulated: E[z^8] is
     * infinite, see the top comment), so at least the closed form the
     * simulations are held to reproduces it */
    cr_assert_float_eq(garch_kurtosis(0.1, 0.85, 8), 7.02, 5e-3, "K(t8) = %.4f",
                       garch_kurtosis(0.1, 0.85, 8));
}

static void garch_first_step(double h0, double h_expect)
{
    const lc_price_model *m = model("garch");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double a = 0.1, b = 0.85, nu = 10;
    setp(m, p, "omega", 2e-6);
    setp(m, p, "alpha", a);
    setp(m, p, "beta", b);
    setp(m, p, "nu", nu);
    setp(m, p, "h0", h0);
    const long n = 200000;
    double *x = malloc(n * sizeof *x);
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    for (long i = 0; i < n; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, 1.0, 60, NULL);
        double r = m->step(st, p, 1, &(lc_draws){rng, rng, 0, 0, 0, NULL});
        x[i] = r * r / h_expect;
    }
    double mean, se;
    t_mean_se(x, n, &mean, &se);
    /* theory: Var(r₁²/h) = κz − 1 = 3, SE = sqrt(3/n) = 3.9e-3 */
    check_4se(h0 > 0 ? "garch E[r_1²]/h0" : "garch E[r_1²]/(omega/(1-a-b))", mean, 1.0, se);
    gsl_rng_free(rng);
    free(st);
    free(x);
}

Test(garch, first_step_variance)
{
    garch_first_step(0, 2e-6 / 0.05); /* default: the unconditional variance */
    garch_first_step(1e-3, 1e-3);     /* 25 times it */
}

/* ---- 3. Heston ----------------------------------------------------------- */

Test(heston, cir_moments_log_price_and_shocks)
{
    const lc_price_model *m = model("heston");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double mu = 0.05, v0 = 0.25, kappa = 3, theta = 0.64, xi = 0.8, rho = -0.6;
    setp(m, p, "mu", mu);
    setp(m, p, "v0", v0);
    setp(m, p, "kappa", kappa);
    setp(m, p, "theta", theta);
    setp(m, p, "xi", xi);
    setp(m, p, "rho", rho);
    const double dt_s = 2 * 3600.0, T = 0.5, dt = dt_s / LC_YEAR_S;
    const long steps = 2190, n = 20000;
    cr_assert_float_eq(steps * dt, T, 1e-12);
    double *vt = malloc(n * sizeof *vt), *ls = malloc(n * sizeof *ls);
    void *st = state_new(m);
    cr_assert(m->state_size >= sizeof(double));
    const double *v = st; /* heston.c: the state's first member is v */
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    double s11 = 0, s22 = 0, s12 = 0, s1 = 0, s2 = 0;
    long pairs = 0, nonpositive = 0;
    for (long i = 0; i < n; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, 1.0, dt_s, NULL);
        cr_assert_eq(*v, v0);
        double sum = 0;
        for (long t = 1; t <= steps; t++) {
            double before = *v;
            double r = m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
            sum += r;
            if (before <= 0) {
                nonpositive++;
                continue;
            }
            double sd = sqrt(before * dt);
            double z1 = (r - (mu - 0.5 * before) * dt) / sd;
            double z2 = (*v - before - kappa * (theta - before) * dt) / (xi * sd);
            s1 += z1, s2 += z2, s11 += z1 * z1, s22 += z2 * z2, s12 += z1 * z2;
            pairs++;
        }
        vt[i] = *v > 0 ? *v : 0;
        ls[i] = sum;
    }
    double e = exp(-kappa * T);
    double ev = theta + (v0 - theta) * e;
    double var_v =
        v0 * xi * xi * e * (1 - e) / kappa + theta * xi * xi * (1 - e) * (1 - e) / (2 * kappa);
    double els = mu * T - 0.5 * (theta * T + (v0 - theta) * (1 - e) / kappa);
    moments mv = sample_moments(vt, n), ml = sample_moments(ls, n);
    check_4se("heston E[V_T]", mv.mean, ev, mv.se_mean);
    check_4se("heston Var[V_T]", mv.var, var_v, mv.se_var);
    check_4se("heston E[ln S_T/S_0]", ml.mean, els, ml.se_mean);

    cr_log_info("heston: %ld steps with v <= 0 skipped of %ld", nonpositive, pairs + nonpositive);
    double N = (double)pairs;
    double m1 = s1 / N, m2 = s2 / N;
    double v1 = s11 / N - m1 * m1, v2 = s22 / N - m2 * m2;
    double corr = (s12 / N - m1 * m2) / sqrt(v1 * v2);
    check_4se("heston Var(Z1)", v1, 1.0, sqrt(2 / N));
    check_4se("heston Var(Z2)", v2, 1.0, sqrt(2 / N));
    check_4se("heston corr(Z1, Z2)", corr, rho, (1 - rho * rho) / sqrt(N));
    gsl_rng_free(rng);
    free(st);
    free(vt);
    free(ls);
}

/* ---- 4. Regime ----------------------------------------------------------- */

static void regime_params(const lc_price_model *m, double *p)
{
    defaults(m, p);
    setp(m, p, "mu_1", 1);
    setp(m, p, "sigma_1", 0);
    setp(m, p, "mu_2", -1);
    setp(m, p, "sigma_2", 0);
    setp(m, p, "rate_12", 20);
    setp(m, p, "rate_21", 30);
    setp(m, p, "start", 0);
}

Test(regime, stationary_start)
{
    const lc_price_model *m = model("regime");
    double p[LC_MAX_PARAMS];
    regime_params(m, p);
    const long n = 200000;
    long in1 = 0;
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    for (long i = 0; i < n; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, 1.0, 3600, NULL);
        double r = m->step(st, p, 1, &(lc_draws){rng, rng, 0, 0, 0, NULL});
        cr_assert(r != 0);
        in1 += r > 0;
    }
    double pi1 = 0.6;
    check_4se("regime P(step 1 in regime 1)", (double)in1 / n, pi1, sqrt(pi1 * (1 - pi1) / n));
    /* a fixed start puts step 1 there */
    for (int s = 1; s <= 2; s++) {
        setp(m, p, "start", s);
        for (long i = 0; i < 100; i++) {
            lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
            m->init(st, p, 1.0, 3600, NULL);
            cr_assert_eq(m->step(st, p, 1, &(lc_draws){rng, rng, 0, 0, 0, NULL}) > 0, s == 1);
        }
    }
    gsl_rng_free(rng);
    free(st);
}

/* Fraction of steps in regime 1 and switches per run over runs × len steps. */
static void regime_occupancy(double dt_s, long runs, long len, double *frac, double *se_frac,
                             double *switches, double *se_switches)
{
    const lc_price_model *m = model("regime");
    double p[LC_MAX_PARAMS];
    regime_params(m, p);
    double *f = malloc(runs * sizeof *f), *sw = malloc(runs * sizeof *sw);
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    for (long i = 0; i < runs; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, 1.0, dt_s, NULL);
        long in1 = 0, n_sw = 0;
        int last = 0;
        for (long t = 1; t <= len; t++) {
            int reg = m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL}) > 0 ? 1 : 2;
            in1 += reg == 1;
            n_sw += last && reg != last;
            last = reg;
        }
        f[i] = (double)in1 / len;
        sw[i] = (double)n_sw;
    }
    t_mean_se(f, runs, frac, se_frac);
    t_mean_se(sw, runs, switches, se_switches);
    gsl_rng_free(rng);
    free(st);
    free(f);
    free(sw);
}

Test(regime, occupancy_and_switching_hourly)
{
    const double dt_s = 3600, q = 50, pi1 = 0.6;
    const long runs = 1000, len = 8760;
    double frac, se_frac, sw, se_sw;
    regime_occupancy(dt_s, runs, len, &frac, &se_frac, &sw, &se_sw);
    check_4se("regime hourly fraction in 1", frac, pi1, se_frac);
    double per_step = 2 * pi1 * (1 - pi1) * -expm1(-q * dt_s / LC_YEAR_S);
    check_4se("regime hourly switches per year", sw, per_step * (len - 1), se_sw);
}

Test(regime, occupancy_with_coarse_steps)
{
    const double dt_s = 7 * DAY_S, pi1 = 0.6;
    double frac, se_frac, sw, se_sw;
    regime_occupancy(dt_s, 2000, 520, &frac, &se_frac, &sw, &se_sw);
    check_4se("regime weekly fraction in 1", frac, pi1, se_frac);
    /* the first-order per-step probabilities would give p21/(p12 + p21) */
    double dt = dt_s / LC_YEAR_S, p12 = -expm1(-20 * dt), p21 = -expm1(-30 * dt);
    double naive = p21 / (p12 + p21);
    cr_log_info("regime weekly: first-order switching would give %.4f (%.1f SE away)", naive,
                fabs(naive - pi1) / se_frac);
    cr_assert(fabs(naive - pi1) > 4 * se_frac, "the test cannot tell the schemes apart");
}

/* ---- 6. Peg -------------------------------------------------------------- */

/* x = log(P/peg) of each of n paths after `steps` steps of dt_s from s0, the
 * price as the engine sums it (log s0 + Σ returns) */
static void peg_paths(const double *p, double s0, double dt_s, long steps, long n, double *x)
{
    const lc_price_model *m = model("peg");
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    double peg = p[lc_desc_find(&m->d, "peg")];
    for (long i = 0; i < n; i++) {
        lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)i);
        m->init(st, p, s0, dt_s, NULL);
        double lp = log(s0);
        for (long t = 1; t <= steps; t++)
            lp += m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
        x[i] = lp - log(peg);
    }
    gsl_rng_free(rng);
    free(st);
}

static double sample_var(const double *x, long n, double *mean)
{
    double s = 0, ss = 0;
    for (long i = 0; i < n; i++)
        s += x[i];
    *mean = s / n;
    for (long i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    return ss / (n - 1);
}

Test(peg, stationary_variance_without_depegs)
{
    const lc_price_model *m = model("peg");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double h = 3600, dt_s = 600, sigma = 1.0;
    setp(m, p, "half_life", h);
    setp(m, p, "sigma", sigma);
    const long n = 100000, steps = 60; /* 10 half-lives: a^(2t) = 2^-20 */
    double *x = malloc(n * sizeof *x);
    peg_paths(p, 1.0, dt_s, steps, n, x);
    double kappa = log(2.0) * LC_YEAR_S / h, var = sigma * sigma / (2 * kappa), mean;
    double v = sample_var(x, n, &mean);
    check_4se("peg E[log(P/peg)], no depegs", mean, 0.0, sqrt(var / n));
    check_4se("peg Var[log(P/peg)] = sigma²/(2k)", v, var, var * sqrt(2.0 / (n - 1)));
    free(x);
}

Test(peg, mean_reversion_from_off_the_peg)
{
    const lc_price_model *m = model("peg");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double h = 3600, dt_s = 600, sigma = 0.5, peg = 2.0;
    setp(m, p, "peg", peg);
    setp(m, p, "half_life", h);
    setp(m, p, "sigma", sigma);
    const long n = 20000;
    static const long ts[] = {1, 3, 6, 12, 24};
    double *x = malloc(n * sizeof *x);
    double kappa = log(2.0) * LC_YEAR_S / h;
    for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
        peg_paths(p, 0.9 * peg, dt_s, ts[k], n, x);
        double a_t = pow(2.0, -(double)ts[k] * dt_s / h); /* a^t */
        double var = sigma * sigma * (1 - a_t * a_t) / (2 * kappa), mean;
        double v = sample_var(x, n, &mean);
        char what[96];
        snprintf(what, sizeof what, "peg E[log(P_%ld/peg)] = a^t·log 0.9", ts[k]);
        check_4se(what, mean, a_t * log(0.9), sqrt(var / n));
        snprintf(what, sizeof what, "peg Var[log(P_%ld/peg)]", ts[k]);
        check_4se(what, v, var, var * sqrt(2.0 / (n - 1)));
    }
    free(x);
}

/* E[L] and E[L²] of L = log(1 − D), D ~ U[lo, hi] (see models/price/peg.c) */
static void log_depth_moments(double lo, double hi, double *e1, double *e2)
{
    double wl = 1 - lo, wh = 1 - hi;
    double f1l = wl * log(wl), f1h = wh * log(wh);
    double f2l = wl * (log(wl) * log(wl) - 2 * log(wl) + 2);
    double f2h = wh * (log(wh) * log(wh) - 2 * log(wh) + 2);
    *e1 = (f1l - f1h) / (hi - lo) - 1;
    *e2 = (f2l - f2h) / (hi - lo);
}

Test(peg, stationary_depeg_mean_and_variance)
{
    const lc_price_model *m = model("peg");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double dt_s = 6 * 3600, rec = DAY_S, lambda = 20, lo = 0.05, hi = 0.2;
    setp(m, p, "half_life", 3600);
    setp(m, p, "sigma", 0);
    setp(m, p, "depeg_rate", lambda);
    setp(m, p, "depth_min", lo);
    setp(m, p, "depth_max", hi);
    setp(m, p, "recovery_half_life", rec);
    const long n = 200000, steps = 80; /* 20 recovery half-lives: b^t = 2^-20 */
    double *x = malloc(n * sizeof *x);
    peg_paths(p, 1.0, dt_s, steps, n, x);
    double e1, e2;
    log_depth_moments(lo, hi, &e1, &e2);
    /* the closed forms against a midpoint-rule integral of log(1 − u) */
    double q1 = 0, q2 = 0;
    for (int i = 0; i < 100000; i++) {
        double l = log1p(-(lo + (hi - lo) * (i + 0.5) / 100000));
        q1 += l / 100000;
        q2 += l * l / 100000;
    }
    cr_assert(fabs(e1 - q1) < 1e-9 && fabs(e2 - q2) < 1e-9,
              "E[L] %.12g vs %.12g, E[L²] %.12g vs "
              "%.12g",
              e1, q1, e2, q2);
    double ldt = lambda * dt_s / LC_YEAR_S, b = pow(2.0, -dt_s / rec);
    moments r = sample_moments(x, n);
    check_4se("peg E[j] = l·dt·E[L]/(1 - b)", r.mean, ldt * e1 / (1 - b), r.se_mean);
    check_4se("peg Var[j] = l·dt·E[L²]/(1 - b²)", r.var, ldt * e2 / (1 - b * b), r.se_var);
    free(x);
}

/* The step is exactly the OU scheme on the innovation it is given:
 * r = (a − 1)·y + sigma·sqrt((1 − a²)/(2k))·z with z the market's. */
Test(peg, uses_the_given_innovation)
{
    const lc_price_model *m = model("peg");
    double p[LC_MAX_PARAMS];
    defaults(m, p);
    const double h = 7200, dt_s = 60, sigma = 0.3;
    setp(m, p, "peg", 1.5);
    setp(m, p, "half_life", h);
    setp(m, p, "sigma", sigma);
    void *st = state_new(m);
    gsl_rng *rng = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
    m->init(st, p, 1.2, dt_s, NULL);
    double kappa = log(2.0) * LC_YEAR_S / h, a = pow(2.0, -dt_s / h);
    double c = sigma * sqrt((1 - a * a) / (2 * kappa)), y = log(1.2 / 1.5);
    static const double zs[] = {0.7, -1.3, 0.0, 2.1};
    for (int t = 1; t <= 4; t++) {
        double r = m->step(st, p, t, &(lc_draws){rng, rng, zs[t - 1], 1, 0, NULL});
        double want = (a - 1) * y + c * zs[t - 1];
        cr_assert(fabs(r - want) < 1e-12 * fabs(want), "step %d: %.17g vs %.17g", t, r, want);
        y += want;
    }
    gsl_rng_free(rng);
    free(st);
}

/* ---- 5. Reproducibility and the scenario loader --------------------------- */

static const char *const every_model[] = {"gbm", "merton", "garch", "heston", "regime", "peg"};

static void path(const lc_price_model *m, const double *p, void *st, gsl_rng *rng, long run,
                 double *out, long steps)
{
    lc_rng_reset(rng, SEED, LC_STREAM_PRICE, (uint64_t)run);
    m->init(st, p, 1.0, 60, NULL);
    for (long t = 1; t <= steps; t++)
        out[t - 1] = m->step(st, p, t, &(lc_draws){rng, rng, 0, 0, 0, NULL});
}

Test(reproducibility, same_seed_and_run_same_path)
{
    enum { STEPS = 2000 };
    static double a[STEPS], b[STEPS], c[STEPS];
    for (size_t k = 0; k < sizeof every_model / sizeof *every_model; k++) {
        const lc_price_model *m = model(every_model[k]);
        double p[LC_MAX_PARAMS];
        defaults(m, p);
        if (strcmp(m->d.name, "garch") == 0)
            setp(m, p, "omega", 6e-8);
        if (strcmp(m->d.name, "merton") == 0)
            setp(m, p, "lambda", 5000); /* jumps in a 2000-minute path */
        if (strcmp(m->d.name, "peg") == 0) {
            setp(m, p, "half_life", 3600);
            setp(m, p, "depeg_rate", 5000); /* depegs in a 2000-minute path */
        }
        void *st1 = state_new(m), *st2 = state_new(m);
        gsl_rng *r1 = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
        gsl_rng *r2 = lc_rng_create(SEED, LC_STREAM_PRICE, 0);
        path(m, p, st1, r1, 7, a, STEPS);
        path(m, p, st2, r2, 8, c, STEPS); /* another run on another state */
        path(m, p, st2, r2, 7, b, STEPS); /* reused state: init must reset it */
        cr_assert(memcmp(a, b, sizeof a) == 0, "%s: run 7 differs between two passes", m->d.name);
        cr_assert(memcmp(a, c, sizeof a) != 0, "%s: runs 7 and 8 have the same path", m->d.name);
        for (long t = 0; t < STEPS; t++)
            cr_assert(isfinite(a[t]), "%s: step %ld not finite", m->d.name, t + 1);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        free(st1);
        free(st2);
    }
}

#define POP "population: {accounts: 0}\n"

Test(scenario, loads_each_model_by_name)
{
    static const struct {
        const char *name, *yaml, *key;
        double value;
    } cases[] = {
        {"merton",
         "price: {model: merton, s0: 100, lambda: 20, jump_mean: -0.02, jump_sigma: 0.03}\n",
         "jump_mean", -0.02},
        {"garch", "price: {model: garch, s0: 100, omega: 6.0e-8, alpha: 0.1, beta: 0.85, nu: 5}\n",
         "nu", 5},
        {"heston",
         "price: {model: heston, s0: 100, v0: 0.5, kappa: 2, theta: 0.6, xi: 0.9, rho: -0.5}\n",
         "rho", -0.5},
        {"regime",
         "price: {model: regime, s0: 100, sigma_1: 0.4, sigma_2: 1.6, rate_12: 6, "
         "rate_21: 40, start: 2}\n",
         "start", 2},
        {"peg",
         "price: {model: peg, s0: 100, peg: 103, half_life: 3600, depeg_rate: 2, depth_min: 0.1, "
         "depth_max: 0.1}\n",
         "depth_max", 0.1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s" POP, cases[i].yaml);
        lc_scenario *sc = t_scenario(text);
        cr_assert_eq(sc->market[0].price.desc, &model(cases[i].name)->d);
        cr_assert_float_eq(sc->market[0].price_common[LC_PRICE_S0], 100, 0);
        int k = lc_desc_find(sc->market[0].price.desc, cases[i].key);
        cr_assert(k >= 0);
        cr_assert_eq(sc->market[0].price.p[k], cases[i].value, "%s.%s", cases[i].name,
                     cases[i].key);
        lc_scenario_free(sc);
    }
    /* defaults fill the rest; garch's omega is required */
    lc_scenario *sc = t_scenario("price: {model: merton, s0: 1}\n" POP);
    cr_assert_eq(sc->market[0].price.p[lc_desc_find(sc->market[0].price.desc, "sigma")], 0.8);
    lc_scenario_free(sc);
    const char *e = t_scenario_errors("price: {model: garch, s0: 1}\n" POP, NULL, 0);
    cr_assert(strstr(e, "price.omega"), "%s", e);
}

Test(scenario, rejects_nonstationary_garch)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse(
        "test.yaml", "price: {model: garch, s0: 100, omega: 1e-6, alpha: 0.2, beta: 0.85}\n" POP,
        NULL, 0, &err);
    cr_assert_null(sc);
    cr_assert(strstr(err.msg, "test.yaml:1: price: alpha + beta must be < 1 for a stationary "
                              "variance (got 0.2 + 0.85 = 1.05)"),
              "%s", err.msg);
    /* exactly 1 (integrated GARCH) is rejected too */
    lc_error_clear(&err);
    sc = lc_scenario_parse(
        "test.yaml", "price: {model: garch, s0: 100, omega: 1e-6, alpha: 0.25, beta: 0.75}\n" POP,
        NULL, 0, &err);
    cr_assert_null(sc);
    cr_assert(strstr(err.msg, "alpha + beta must be < 1"), "%s", err.msg);
    /* and just below is accepted */
    sc = t_scenario("price: {model: garch, s0: 100, omega: 1e-6, alpha: 0.25, beta: 0.7499}\n" POP);
    lc_scenario_free(sc);
}

Test(scenario, rejects_peg_depths_out_of_order)
{
    const char *e = t_scenario_errors(
        "price: {model: peg, s0: 1, half_life: 3600, depth_min: 0.3, depth_max: 0.2}\n" POP, NULL,
        0);
    cr_assert(strstr(e, "test.yaml:1: price: depth_min must be <= depth_max (got 0.3 > 0.2)"), "%s",
              e);
    e = t_scenario_errors("price: {model: peg, s0: 1, half_life: 3600, depth_max: 1}\n" POP, NULL,
                          0);
    cr_assert(strstr(e, "test.yaml:1: price.depth_max: must be < 1 (got 1)"), "%s", e);
    e = t_scenario_errors("price: {model: peg, s0: 1}\n" POP, NULL, 0);
    cr_assert(strstr(e, "price.half_life: required"), "%s", e);
}

Test(scenario, rejects_regime_start_without_rates)
{
    const char *e =
        t_scenario_errors("price: {model: regime, s0: 100, rate_12: 0, rate_21: 0}\n" POP, NULL, 0);
    cr_assert(strstr(e, "test.yaml:1: price: start 0 draws the first regime from the stationary "
                        "law, which needs rate_12 + rate_21 > 0"),
              "%s", e);
    lc_scenario *sc =
        t_scenario("price: {model: regime, s0: 100, rate_12: 0, rate_21: 0, start: 2}\n" POP);
    lc_scenario_free(sc);
}

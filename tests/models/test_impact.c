/* test_impact.c — the impact models (models/impact/) against their closed forms.
 *
 * Each model's apply is called directly, as the engine calls it. Expected
 * values come from outside the models' code:
 *  - literals computed with mpmath at 40 digits (quadrature of the VWAP
 *    integral ∫0^1 e^(a·u^(1/alpha)) du and, independently, hyp1f1), quoted
 *    to 22 digits;
 *  - elementary closed forms evaluated here in long double (64-bit mantissa):
 *    sqrt 2(a·e^a − (e^a − 1))/a², book alpha 3 3(e^a(a² − 2a + 2) − 2)/a³,
 *    book alpha 1/2 (a < 0) sqrt(π)·erf(sqrt|a|)/(2·sqrt|a|), and Simpson's rule
 *    for book alpha 1/2 with a > 0; each loses to cancellation at most the
 *    digits long double has beyond double for the |a| used;
 *  - the amm figures of DESIGN §3, to the cent.
 * Tolerances: dJ to 4e-16 relative (a few roundings of the same formula),
 * VWAP to 2e-14 relative (the models promise 1e-12; they reach ~1e-15 for
 * |a| <= 1 and ~1e-13 at |a| = 700, see book.c). */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "models/model.h"
#include "engine/rng.h"
#include "support.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct impact {
    const lc_impact_model *m;
    double p[LC_MAX_PARAMS];
    double state[8]; /* enough for every model's state (checked) */
} impact;

/* model name with its defaults, then "key", value pairs; init at s0 */
static impact make(const char *name, double s0, int nset, ...)
{
    impact im = {0};
    const lc_desc *d = lc_family_find(&lc_impact_family, name);
    cr_assert_not_null(d, "impact model %s is not registered", name);
    im.m = lc_impact_model_of(d);
    cr_assert_leq(im.m->state_size, sizeof im.state);
    for (int i = 0; i < d->nparams; i++)
        im.p[i] = d->params[i].def;
    va_list ap;
    va_start(ap, nset);
    for (int k = 0; k < nset; k++) {
        const char *key = va_arg(ap, const char *);
        double v = va_arg(ap, double);
        int i = lc_desc_find(d, key);
        cr_assert_geq(i, 0, "%s has no parameter %s", name, key);
        cr_assert(lc_param_in_range(&d->params[i], v), "%s.%s = %g out of range", name, key, v);
        im.p[i] = v;
    }
    va_end(ap);
    for (int i = 0; i < d->nparams; i++)
        cr_assert(!isnan(im.p[i]), "%s.%s is required", name, d->params[i].name);
    if (im.m->init)
        im.m->init(im.state, im.p, s0, 60.0);
    return im;
}

static double apply(impact *im, double n, double p0, double *vwap)
{
    return im->m->apply(im->state, im->p, n, p0, vwap);
}

/* |got - want| <= tol*|want|, with a printf-style note on failure */
static void assert_rel(double got, double want, double tol, const char *fmt, ...)
{
    if (fabs(got - want) <= tol * fabs(want))
        return;
    char note[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note, sizeof note, fmt, ap);
    va_end(ap);
    cr_assert_fail("%s: got %.17g, want %.17g (rel %.2g > %.2g)", note, got, want,
                   fabs((got - want) / want), tol);
}

#define TOL_DJ 4e-16
#define TOL_VWAP 2e-14

/* ---- sqrt --------------------------------------------------------------- */

/* vwap/p0 of the square-root walk, in long double from the closed form */
static long double sqrt_ratio_ld(long double a)
{
    return 2.0L * (a * expl(a) - expm1l(a)) / (a * a);
}

Test(impact, sqrt_closed_form)
{
    /* Y 0.8, sigma_daily 0.05, adv 1e9, p0 2000: n base gives |Q| = 2000|n|
     * and dJ = 0.04·sqrt(2000|n|/1e9); n = ∓50 → Q/adv = 1e-4 → dJ = ∓4e-4. */
    impact im = make("sqrt", 2000, 3, "Y", 0.8, "sigma_daily", 0.05, "adv", 1e9);
    static const struct {
        double n, dj, ratio; /* ratio = vwap/p0 from mpmath */
    } cases[] = {
        {-50, -4e-4, 0.9997333733290670221978},
        {50, 4e-4, 1.000266706670933688913},
        {7.8125e7, 0.5, 1.405114917199487412605}, /* Q/adv = 156.25 */
        {-7.8125e7, -0.5, 0.7216320834483989167544},
        {1.953125e9, 2.5, 6.167597101137667250274}, /* Q/adv = 3906.25 */
        {-1.953125e9, -2.5, 0.2280648015412333494101},
        {-2.8125e11, -30, 0.002222222222215775859733}, /* Q/adv = 562500 */
        {3.125e-10, 1e-9, 1.000000000666666666917},    /* Q/adv = 6.25e-16 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double x, dj = apply(&im, cases[k].n, 2000, &x);
        assert_rel(dj, cases[k].dj, TOL_DJ, "sqrt dJ, n = %g", cases[k].n);
        assert_rel(x, 2000 * cases[k].ratio, TOL_VWAP, "sqrt vwap, n = %g", cases[k].n);
        if (fabs(cases[k].dj) >= 1e-4) /* long double closed form: cancellation < 2/|a| */
            assert_rel(x, 2000 * sqrt_ratio_ld(cases[k].dj), TOL_VWAP, "sqrt vwap (ld), n = %g",
                       cases[k].n);
    }
    /* the formula on other numbers: Q = n·p0 at p0 */
    for (double n = -1e6; n <= 1e6; n += 12345.678) {
        double x, dj = apply(&im, n, 61234.5, &x);
        double want = copysign(0.8 * 0.05 * sqrt(fabs(n) * 61234.5 / 1e9), n);
        assert_rel(dj, want, TOL_DJ, "n = %g", n);
        assert_rel(x, 61234.5 * sqrt_ratio_ld(dj), TOL_VWAP, "n = %g", n);
    }
}

/* ---- book --------------------------------------------------------------- */

/* n base at p0 that walks a book (depth D, shape alpha) to log move a */
static double book_n(double depth, double alpha, double a, double p0)
{
    return copysign(depth * pow(fabs(a) / 0.01, alpha) / p0, a);
}

Test(impact, book_against_mpmath)
{
    static const struct {
        double alpha, a, ratio; /* ratio = M(alpha, alpha+1, a), mpmath */
    } cases[] = {
        {1.7, 0.03, 1.019097283422614574158},     {1.7, -0.03, 0.9813162502229249703499},
        {0.3, 0.2, 1.048888560372935103947},      {0.3, -0.2, 0.9563381417271940150446},
        {1.7, -5, 0.09754027111758850806952},     {4, 12, 42760.80862513181715673},
        {0.5, -800, 0.0313328534328875062802}, /* the a < −700 branch */
        {2.5, -1000, 1.050935853074611631121e-7},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        impact im = make("book", 2000, 2, "depth_1pct", 1e7, "alpha", cases[k].alpha);
        double n = book_n(1e7, cases[k].alpha, cases[k].a, 2000);
        double x, dj = apply(&im, n, 2000, &x);
        /* n came through pow and back: dJ to a few ulp of a */
        assert_rel(dj, cases[k].a, 8e-16, "book dJ, alpha %g", cases[k].alpha);
        /* the ratio moves by a·ratio'/ratio ≈ |a| relative per relative error of a */
        assert_rel(x, 2000 * cases[k].ratio, TOL_VWAP + 8e-16 * fabs(cases[k].a),
                   "book vwap, alpha %g, a %g", cases[k].alpha, cases[k].a);
    }
}

Test(impact, book_hand_numbers)
{
    /* depth_1pct 1e7, p0 2000, n 200 base: Q = 4e5, Q/depth = 0.04:
     * alpha 2 → 0.01·0.2 = 2e-3; alpha 0.5 → 0.01·0.0016 = 1.6e-5;
     * alpha 1 → 0.01·0.04 = 4e-4 (linear) */
    static const double alpha[] = {2, 0.5, 1}, want[] = {2e-3, 1.6e-5, 4e-4};
    for (int k = 0; k < 3; k++) {
        impact im = make("book", 2000, 2, "depth_1pct", 1e7, "alpha", alpha[k]);
        double x, dj = apply(&im, 200, 2000, &x);
        assert_rel(dj, want[k], TOL_DJ, "alpha %g", alpha[k]);
        dj = apply(&im, -200, 2000, &x);
        assert_rel(dj, -want[k], TOL_DJ, "alpha %g", alpha[k]);
    }
}

/* ∫0^1 e^(a·u²) du by Simpson's rule on 20,000 intervals (error ~h⁴·f''''/180 < 1e-16) */
static long double simpson_exp_u2(long double a)
{
    const int n = 20000;
    long double h = 1.0L / n, s = 1.0L + expl(a);
    for (int i = 1; i < n; i++) {
        long double u = i * h;
        s += (i % 2 ? 4.0L : 2.0L) * expl(a * u * u);
    }
    return s * h / 3.0L;
}

Test(impact, book_against_elementary_closed_forms)
{
    const double p0 = 3456.7, depth = 2.5e6;
    static const double as[] = {0.05, -0.05, 0.3, -0.3, 0.9, -0.9, 1.5, -1.5, 7, -7, -40};
    for (size_t k = 0; k < sizeof as / sizeof as[0]; k++) {
        long double a = as[k];
        double x;
        /* alpha 2: the square-root walk */
        impact b2 = make("book", p0, 2, "depth_1pct", depth, "alpha", 2.0);
        double dj = apply(&b2, book_n(depth, 2, as[k], p0), p0, &x);
        assert_rel(x, p0 * sqrt_ratio_ld(dj), TOL_VWAP, "alpha 2, a %g", as[k]);
        /* alpha 3: 3(e^a(a² − 2a + 2) − 2)/a³ (cancellation ~6/|a|³ < 5e4 here) */
        impact b3 = make("book", p0, 2, "depth_1pct", depth, "alpha", 3.0);
        dj = apply(&b3, book_n(depth, 3, as[k], p0), p0, &x);
        a = dj;
        assert_rel(x, p0 * 3.0L * (expl(a) * (a * a - 2 * a + 2) - 2) / (a * a * a), TOL_VWAP,
                   "alpha 3, a %g", as[k]);
        /* alpha 1/2: ∫0^1 e^(a·u²) du */
        impact bh = make("book", p0, 2, "depth_1pct", depth, "alpha", 0.5);
        dj = apply(&bh, book_n(depth, 0.5, as[k], p0), p0, &x);
        a = dj;
        if (a > 2) /* Simpson's error grows like a^4 e^a: keep to a <= 2 */
            continue;
        long double want =
            a < 0 ? sqrtl(acosl(-1.0L)) * erfl(sqrtl(-a)) / (2 * sqrtl(-a)) : simpson_exp_u2(a);
        assert_rel(x, p0 * want, TOL_VWAP, "alpha 1/2, a %g", as[k]);
    }
}

Test(impact, book_alpha_2_is_the_sqrt_law)
{
    /* 0.01·sqrt(Q/depth) = Y·sigma·sqrt(Q/adv) iff depth = adv·(0.01/(Y·sigma))² */
    impact s = make("sqrt", 100, 3, "Y", 1.0, "sigma_daily", 0.04, "adv", 3e9);
    impact b = make("book", 100, 2, "depth_1pct", 3e9 * (0.25 * 0.25), "alpha", 2.0);
    for (double n = -3e8; n <= 3e8; n += 1.01e6) {
        double xs, xb;
        double js = apply(&s, n, 97.5, &xs), jb = apply(&b, n, 97.5, &xb);
        if (n == 0)
            continue;
        assert_rel(jb, js, 1e-15, "n = %g", n);
        assert_rel(xb, xs, 2e-15, "n = %g", n);
    }
}

Test(impact, book_alpha_1_is_linear_bit_for_bit)
{
    gsl_rng *r = lc_rng_create(7, 1, 0);
    for (int k = 0; k < 20000; k++) {
        double depth = exp(10 + 10 * gsl_rng_uniform(r));
        double p0 = exp(12 * gsl_rng_uniform(r) - 2);
        double n = (gsl_rng_uniform(r) - 0.5) * exp(20 * gsl_rng_uniform(r) - 8);
        if (k % 100 == 0)
            n = 0;
        impact lin = make("linear", p0, 1, "depth_1pct", depth);
        impact bk = make("book", p0, 2, "depth_1pct", depth, "alpha", 1.0);
        double xl, xb;
        double jl = apply(&lin, n, p0, &xl), jb = apply(&bk, n, p0, &xb);
        cr_assert(memcmp(&jl, &jb, sizeof jl) == 0, "dJ %.17g vs %.17g", jl, jb);
        cr_assert(memcmp(&xl, &xb, sizeof xl) == 0, "vwap %.17g vs %.17g", xl, xb);
    }
    gsl_rng_free(r);
}

/* ---- amm ---------------------------------------------------------------- */

#define assert_cents(got, want, what)                                                              \
    cr_assert(fabs((got) - (want)) < 0.005, "%s: got %.6f, want %.2f", what, got, want)

Test(impact, amm_design_check)
{
    /* DESIGN §3: reserves 1,000 base × 2,000,000 quote (price 2,000), sell 10 */
    impact im = make("amm", 2000, 1, "liquidity", 2e6);
    double x, dj = apply(&im, -10, 2000, &x);
    assert_cents(10 * x, 19801.98, "received");
    assert_cents(x, 1980.20, "execution");
    assert_cents(2000 * exp(dj), 1960.59, "new spot");
    im = make("amm", 2000, 2, "liquidity", 2e6, "fee", 0.003);
    dj = apply(&im, -10, 2000, &x);
    assert_cents(10 * x, 19743.16, "received with fee");
    assert_cents(2000 * exp(dj), 1960.65, "new spot with fee");
    /* buying 10 base out: pays 2e6·10/990 = 20,202.02; spot 2e6·1e3/990² =
     * 2,040.61; with the 0.3% fee on the quote input: 20,202.02/0.997 =
     * 20,262.81, spot (2e6 + 20,262.81)/990 = 2,040.67 */
    im = make("amm", 2000, 1, "liquidity", 2e6);
    dj = apply(&im, 10, 2000, &x);
    assert_cents(10 * x, 20202.02, "paid");
    assert_cents(2000 * exp(dj), 2040.61, "new spot after buy");
    im = make("amm", 2000, 2, "liquidity", 2e6, "fee", 0.003);
    dj = apply(&im, 10, 2000, &x);
    assert_cents(10 * x, 20262.81, "paid with fee");
    assert_cents(2000 * exp(dj), 2040.67, "new spot after buy with fee");
}

Test(impact, amm_reserves_follow_the_price_at_constant_k)
{
    /* liquidity 2e6 at s0 2000: k = 2e9. At p0 500 the pool holds
     * sqrt(k/500) = 2,000 base and sqrt(k·500) = 1e6 quote: selling 20 base
     * (u = 1%) receives 1e6·20/2020 = 9,900.99, spot 500/1.01² = 490.15. */
    impact im = make("amm", 2000, 1, "liquidity", 2e6);
    double x, dj = apply(&im, -20, 500, &x);
    assert_cents(20 * x, 9900.99, "received at p0 500");
    assert_cents(500 * exp(dj), 490.15, "spot at p0 500");
    assert_rel(dj, -2 * log1p(0.01), 1e-15, "dJ at p0 500");
}

Test(impact, amm_round_trip_returns_to_the_price)
{
    /* without a fee the pool is one curve: buy n, then sell n at the new spot */
    impact im = make("amm", 1000, 1, "liquidity", 5e6);
    for (double n = 1; n < 4000; n *= 1.7) {
        double x1, x2, p0 = 873.2;
        double up = apply(&im, n, p0, &x1);
        double down = apply(&im, -n, p0 * exp(up), &x2);
        cr_assert(fabs(up + down) < 4e-16 * fabs(up) + 1e-16, "n %g: %.17g %.17g", n, up, down);
        /* the seller gets what the buyer paid for the same base */
        assert_rel(x2, x1, 4e-15, "n %g", n);
    }
}

Test(impact, amm_buy_beyond_the_pool_is_capped)
{
    /* p0 2000, x = 1000 base (liquidity 2e6 at s0 2000), max_take 0.999:
     * the pool gives at most 999 base; the move saturates at
     * dJ = −2·log(0.001) = 2·ln 1000 (price ×1e6); a buy of r = 2 (2,000 base)
     * pays c·y = 999·y for the pool's 999 base and e^dJ·p0 = 2e9 for each of the
     * other 1,001: vwap = p0·(999 + 1,001·1e6/1000)/2 */
    impact im = make("amm", 2000, 1, "liquidity", 2e6);
    double x, dj = apply(&im, 2000, 2000, &x);
    cr_assert(isfinite(dj) && isfinite(x));
    assert_rel(dj, 2 * log(1000.0), 1e-12, "dJ r 2");
    assert_rel(x, 2000.0 * (999 + 1.001e6) / 2, 1e-12, "vwap r 2");
    double x1, dj1 = apply(&im, 1000, 2000, &x1); /* r = 1: the whole reserve */
    cr_assert(isfinite(dj1) && isfinite(x1));
    assert_rel(dj1, 2 * log(1000.0), 1e-12, "dJ r 1");
    assert_rel(x1, 2000.0 * (999 + 0.001 * 1e6), 1e-12, "vwap r 1");
    double xc, djc = apply(&im, 999, 2000, &xc); /* r = max_take: continuous */
    assert_rel(djc, 2 * log(1000.0), 1e-12, "dJ at the cap");
    assert_rel(xc, 2000.0 * 1000, 1e-12, "vwap at the cap");
    double big, djb = apply(&im, 1e300, 2000, &big);
    cr_assert(isfinite(djb) && isfinite(big) && big > 2000, "%g %g", djb, big);
    /* a smaller cap, with a fee */
    im = make("amm", 2000, 3, "liquidity", 2e6, "max_take", 0.5, "fee", 0.01);
    dj = apply(&im, 750, 2000, &x);
    double c = 0.5 / (0.5 * 0.99); /* pool takes c·y quote for 500 base */
    assert_rel(dj, log1p(c) - log1p(-0.5), 1e-15, "dJ, cap 0.5");
    assert_rel(x, 2000 * (c + 0.25 * exp(dj)) / 0.75, 1e-14, "vwap, cap 0.5");
    /* sells need no cap: they stay finite however large */
    dj = apply(&im, -1e300, 2000, &x);
    cr_assert(isfinite(dj) && isfinite(x) && x >= 0 && dj < 0);
}

/* ---- properties common to every model ----------------------------------- */

static impact all_models(int k)
{
    switch (k) {
    case 0:
        return make("linear", 2000, 1, "depth_1pct", 1e7);
    case 1:
        return make("sqrt", 2000, 3, "Y", 0.7, "sigma_daily", 0.05, "adv", 1e9);
    case 2:
        return make("book", 2000, 2, "depth_1pct", 1e7, "alpha", 0.4);
    case 3:
        return make("book", 2000, 2, "depth_1pct", 1e7, "alpha", 1.0);
    case 4:
        return make("book", 2000, 2, "depth_1pct", 1e7, "alpha", 2.7);
    default:
        return make("amm", 2000, 1, "liquidity", 4e7);
    }
}
#define NMODELS 6

Test(impact, vwap_lies_strictly_between_start_and_end_price)
{
    for (int k = 0; k < NMODELS; k++) {
        impact im = all_models(k);
        for (double q = 1e-3; q < 1e5; q *= 1.37) /* base; |dJ| up to ~16 */
            for (int s = -1; s <= 1; s += 2) {
                double p0 = 1900, x, dj = apply(&im, s * q, p0, &x);
                double end = p0 * exp(dj);
                cr_assert(s * dj > 0, "%s n %g: dJ %g", im.m->d.name, s * q, dj);
                if (fabs(dj) < 1e-12) { /* vwap - p0 below an ulp of p0 */
                    cr_assert(fmin(p0, end) <= x && x <= fmax(p0, end));
                    continue;
                }
                cr_assert(fmin(p0, end) < x && x < fmax(p0, end),
                          "%s n %g: vwap %.17g not in (%.17g, %.17g)", im.m->d.name, s * q, x,
                          fmin(p0, end), fmax(p0, end));
            }
    }
}

Test(impact, sign_symmetry)
{
    /* the curve models are odd in n: dJ(−n) = −dJ(n), vwap/p0 = ratio(dJ) */
    for (int k = 0; k < 5; k++) {
        impact im = all_models(k);
        for (double q = 1; q < 1e5; q *= 2.3) {
            double xb, xs, jb = apply(&im, q, 2000, &xb), js = apply(&im, -q, 2000, &xs);
            cr_assert(jb == -js, "%s n %g: %.17g vs %.17g", im.m->d.name, q, jb, js);
            cr_assert(xb > 2000 && xs < 2000);
        }
    }
    /* the pool: a sell of u·x and a buy of r·x = u/(1 + u)·x move log price
     * by opposite amounts (no fee): −2·log1p(u) and −2·log1p(−r) */
    impact im = all_models(5);
    for (double u = 1e-4; u < 100; u *= 3) {
        double x0 = 4e7 / 2000; /* base reserve at p0 = s0 */
        double xb, xs;
        double js = apply(&im, -u * x0, 2000, &xs), jb = apply(&im, u / (1 + u) * x0, 2000, &xb);
        assert_rel(jb, -js, 1e-14, "u %g", u);
    }
}

Test(impact, zero_flow_moves_nothing)
{
    for (int k = 0; k <= NMODELS; k++) {
        impact im = k < NMODELS ? all_models(k) : make("none", 2000, 0);
        for (int z = 0; z < 2; z++) {
            double x = -1, dj = apply(&im, z ? -0.0 : 0.0, 2345.6, &x);
            cr_assert(dj == 0.0 && x == 2345.6, "%s: dJ %g vwap %g", im.m->d.name, dj, x);
        }
    }
}

/* ---- parameter ranges: every invalid value is rejected by the table ------ */

#define SCN(impact_yaml)                                                                           \
    "simulation: {runs: 1, steps: 1}\nprice: {s0: 100}\npopulation: {accounts: 0}\n"               \
    "impact: " impact_yaml "\n"

Test(impact, parameter_ranges_are_enforced)
{
    assert_has(t_scenario_errors(SCN("{model: sqrt, Y: 0, sigma_daily: 0.04, adv: 1e9}"), NULL, 0),
               "impact.Y: must be > 0 (got 0)");
    assert_has(t_scenario_errors(SCN("{model: sqrt, sigma_daily: -0.1, adv: 1e9}"), NULL, 0),
               "impact.sigma_daily: must be > 0 (got -0.1)");
    assert_has(
        t_scenario_errors(SCN("{model: sqrt, Y: 101, sigma_daily: 0.04, adv: 1e9}"), NULL, 0),
        "impact.Y: must be <= 100 (got 101)");
    assert_has(t_scenario_errors(SCN("{model: sqrt, sigma_daily: 11, adv: 1e9}"), NULL, 0),
               "impact.sigma_daily: must be <= 10 (got 11)");
    assert_has(t_scenario_errors(SCN("{model: sqrt, sigma_daily: 0.04, adv: 0}"), NULL, 0),
               "impact.adv: must be > 0 (got 0)");
    const char *e = t_scenario_errors(SCN("{model: sqrt}"), NULL, 0);
    assert_has(e, "impact.sigma_daily: required");
    assert_has(e, "impact.adv: required");
    assert_has(t_scenario_errors(SCN("{model: book, alpha: 0.05}"), NULL, 0),
               "impact.alpha: must be >= 0.1 (got 0.05)");
    assert_has(t_scenario_errors(SCN("{model: book, alpha: 11}"), NULL, 0),
               "impact.alpha: must be <= 10 (got 11)");
    assert_has(t_scenario_errors(SCN("{model: book, depth_1pct: -5}"), NULL, 0),
               "impact.depth_1pct: must be > 0 (got -5)");
    assert_has(t_scenario_errors(SCN("{model: amm}"), NULL, 0), "impact.liquidity: required");
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 0}"), NULL, 0),
               "impact.liquidity: must be > 0 (got 0)");
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 1e6, fee: 1}"), NULL, 0),
               "impact.fee: must be < 1 (got 1)");
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 1e6, fee: -0.01}"), NULL, 0),
               "impact.fee: must be >= 0 (got -0.01)");
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 1e6, max_take: 1}"), NULL, 0),
               "impact.max_take: must be < 1 (got 1)");
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 1e6, max_take: 0}"), NULL, 0),
               "impact.max_take: must be > 0 (got 0)");
    /* a model's keys belong to it alone */
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 1e6, alpha: 2}"), NULL, 0),
               "impact.alpha: unknown key");
    /* the common liquidity-withdrawal keys */
    assert_has(t_scenario_errors(SCN("{model: linear, withdrawal: -1}"), NULL, 0),
               "impact.withdrawal: must be >= 0 (got -1)");
    assert_has(
        t_scenario_errors(SCN("{model: sqrt, sigma_daily: 0.04, adv: 1e9, sigma_ref: 0}"), NULL, 0),
        "impact.sigma_ref: must be >= 0.0001 (got 0)");
    assert_has(t_scenario_errors(SCN("{model: amm, liquidity: 1e6, vol_half_life: 0}"), NULL, 0),
               "impact.vol_half_life: must be > 0 (got 0)");
    /* and valid ones load */
    lc_scenario *sc = t_scenario(SCN("{model: amm, liquidity: 1e6, fee: 0.003, permanent: 0.5}"));
    cr_assert_str_eq(sc->market[0].impact.desc->name, "amm");
    lc_scenario_free(sc);
}

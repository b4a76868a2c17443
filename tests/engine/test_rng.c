/* test_rng.c — random streams: the generator's definition, determinism,
 * independence of streams. Tolerances are 4 standard errors, stated. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "engine/rng.h"

Test(rng, xoshiro_output_function)
{
    /* with state {1, 2, 3, 4} the first output is rotl(1 + 4, 23) + 1 = 5·2^23 + 1 */
    gsl_rng *r = gsl_rng_alloc(lc_rng_xoshiro256pp);
    uint64_t *s = r->state;
    s[0] = 1, s[1] = 2, s[2] = 3, s[3] = 4;
    cr_assert_eq(gsl_rng_get(r), 41943041ul);
    /* next state by the published update: t = s1 << 17; s2 ^= s0; s3 ^= s1; s1 ^= s2;
     * s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45) → {7, 0, 262146, 211106232532992} */
    cr_assert_eq(s[0], 7u);
    cr_assert_eq(s[1], 0u);
    cr_assert_eq(s[2], 262146u);
    cr_assert_eq(s[3], 211106232532992ull);
    gsl_rng_free(r);
}

Test(rng, splitmix64_reference)
{
    /* SplitMix64 from state 0: first output 0xe220a8397b1dcdaf */
    uint64_t x = 0;
    cr_assert_eq(lc_splitmix64(&x), 0xe220a8397b1dcdafull);
}

Test(rng, streams_are_deterministic_and_distinct)
{
    gsl_rng *a = lc_rng_create(42, LC_STREAM_PRICE, 5), *b = lc_rng_create(42, LC_STREAM_PRICE, 5);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(gsl_rng_get(a), gsl_rng_get(b));
    cr_assert_neq(lc_stream_seed(42, LC_STREAM_PRICE, 5), lc_stream_seed(42, LC_STREAM_PRICE, 6));
    cr_assert_neq(lc_stream_seed(42, LC_STREAM_PRICE, 5), lc_stream_seed(43, LC_STREAM_PRICE, 5));
    cr_assert_neq(lc_stream_seed(42, LC_STREAM_PRICE, 0),
                  lc_stream_seed(42, LC_STREAM_POPULATION, 0));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

Test(rng, uniform_moments)
{
    /* mean of n uniforms: SE = sqrt(1/12/n); variance: SE = sqrt(1/180/n) */
    gsl_rng *r = lc_rng_create(1, LC_STREAM_PRICE, 0);
    const long n = 1000000;
    double s = 0, s2 = 0;
    for (long i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        cr_assert(u >= 0 && u < 1);
        s += u;
        s2 += u * u;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    cr_assert(fabs(mean - 0.5) < 4 * sqrt(1.0 / 12 / n), "mean %g", mean);
    cr_assert(fabs(var - 1.0 / 12) < 4 * sqrt(1.0 / 180 / n), "variance %g", var);
    gsl_rng_free(r);
}

Test(rng, adjacent_runs_are_uncorrelated)
{
    /* correlation of the first uniform of runs r and r+1 over n pairs: SE ≈ 1/sqrt(n) */
    const long n = 100000;
    double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
    gsl_rng *r = gsl_rng_alloc(lc_rng_xoshiro256pp);
    double prev = 0;
    for (long i = 0; i <= n; i++) {
        lc_rng_reset(r, 9, LC_STREAM_PRICE, (uint64_t)i);
        double u = gsl_rng_uniform(r);
        if (i > 0) {
            sx += prev, sy += u, sxy += prev * u, sxx += prev * prev, syy += u * u;
        }
        prev = u;
    }
    double cov = sxy / n - sx / n * sy / n;
    double corr = cov / sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
    cr_assert(fabs(corr) < 4 / sqrt((double)n), "correlation %g", corr);
    gsl_rng_free(r);
}

/* The hashed draws of the behaviour stream: deterministic, distinct per key
 * and per stream seed, uniform: the mean of 1e6 draws is within 4 standard
 * errors (sqrt(1/12/1e6) = 2.9e-4) of 1/2. */
Test(rng, hashed_uniforms)
{
    uint64_t a = lc_stream_seed(42, LC_STREAM_BEHAVIOUR, 0),
             b = lc_stream_seed(42, LC_STREAM_BEHAVIOUR, 1);
    cr_assert_eq(lc_hash_uniform(a, 7), lc_hash_uniform(a, 7));
    cr_assert_neq(lc_hash_uniform(a, 7), lc_hash_uniform(a, 8));
    cr_assert_neq(lc_hash_uniform(a, 7), lc_hash_uniform(b, 7));
    double sum = 0;
    for (uint64_t k = 0; k < 1000000; k++) {
        double u = lc_hash_uniform(a, k);
        cr_assert(u >= 0 && u < 1);
        sum += u;
    }
    cr_assert(fabs(sum / 1e6 - 0.5) < 4 * sqrt(1.0 / 12 / 1e6));
}

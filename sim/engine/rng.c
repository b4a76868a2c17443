/* rng.c — SplitMix64 and xoshiro256++ as a gsl_rng_type.
 *
 * SplitMix64 (Steele, Lea & Flood 2014) is a bijective mixer: adjacent
 * inputs give unrelated outputs, so (seed, stream, run) triples that differ in
 * one bit seed unrelated generators. xoshiro256++ (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", 2019) has a 2^256 − 1
 * period and passes BigCrush; it is small (32 bytes) and fast to seed, which
 * matters because every run seeds its own generator. Both are written here
 * from the published definitions. */
#include "engine/rng.h"

uint64_t lc_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t lc_stream_seed(uint64_t seed, uint32_t stream, uint64_t run)
{
    /* chain the mixer so each component passes through a full avalanche */
    uint64_t x = seed;
    uint64_t h = lc_splitmix64(&x);
    x = h ^ ((uint64_t)stream * 0xd1b54a32d192ed03ull);
    h = lc_splitmix64(&x);
    x = h ^ run;
    return lc_splitmix64(&x);
}

double lc_hash_uniform(uint64_t stream_seed, uint64_t key)
{
    uint64_t x = stream_seed;
    uint64_t h = lc_splitmix64(&x);
    x = h ^ key;
    return (double)(lc_splitmix64(&x) >> 11) * 0x1.0p-53;
}

typedef struct {
    uint64_t s[4];
} xoshiro_state;

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro_next(xoshiro_state *st)
{
    uint64_t *s = st->s;
    uint64_t result = rotl(s[0] + s[3], 23) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void xoshiro_set(void *state, unsigned long int seed)
{
    xoshiro_state *st = state;
    uint64_t x = (uint64_t)seed;
    for (int i = 0; i < 4; i++)
        st->s[i] = lc_splitmix64(&x); /* never all zero: SplitMix64 is a bijection of a counter */
}

static unsigned long int xoshiro_get(void *state)
{
    return (unsigned long int)xoshiro_next(state);
}

static double xoshiro_get_double(void *state)
{
    /* 53 high bits → [0, 1) with every value a multiple of 2^-53 */
    return (double)(xoshiro_next(state) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "xoshiro256++", 0xffffffffffffffffUL, 0, sizeof(xoshiro_state), xoshiro_set,
    xoshiro_get,    xoshiro_get_double,
};

const gsl_rng_type *lc_rng_xoshiro256pp = &xoshiro_type;

_Static_assert(sizeof(unsigned long int) == 8, "liqcascade needs 64-bit unsigned long (LP64)");

gsl_rng *lc_rng_create(uint64_t seed, uint32_t stream, uint64_t run)
{
    gsl_rng *r = gsl_rng_alloc(lc_rng_xoshiro256pp);
    if (r)
        lc_rng_reset(r, seed, stream, run);
    return r;
}

void lc_rng_reset(gsl_rng *r, uint64_t seed, uint32_t stream, uint64_t run)
{
    gsl_rng_set(r, (unsigned long int)lc_stream_seed(seed, stream, run));
}

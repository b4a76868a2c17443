/* rng.h — random streams (DESIGN §6).
 *
 * Every random number comes from a stream named by (seed, stream id, run).
 * The three are mixed with SplitMix64 into one 64-bit seed for a
 * xoshiro256++ generator, exposed as a gsl_rng so GSL's distributions draw
 * from it. Consequences the tests check: a run's numbers do not depend on the
 * thread that computes it, and run r sees the same price shocks whatever the
 * venue or population settings (common random numbers). */
#ifndef LC_RNG_H
#define LC_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

enum lc_stream {
    LC_STREAM_POPULATION = 1, /* the accounts, drawn once (run index 0) */
    LC_STREAM_PRICE = 2,      /* exogenous price shocks of a run */
    LC_STREAM_BEHAVIOUR = 3,  /* account behaviour of a run (margin top-ups), hashed per account */
    LC_STREAM_COMMON = 4,     /* read alike by every market of a run (model.h lc_draws) */
    LC_STREAM_WARMUP = 5,     /* the seed of population.warmup's one run (engine/warmup.h) */
    LC_STREAM_PILOT = 6,      /* the seed of the rare-event pilot's iteration (engine/pilot.h) */
    LC_STREAM_SPLIT = 7,      /* splitting: the keys of a trajectory's streams (engine/split.h) */
    LC_STREAM_SPLIT_DEAL = 8, /* splitting: which entrances take a clone more */
    LC_STREAM_MARKET = 16,    /* + k: market k's price model's own stream (K > 1) */
};

/* The generator type: xoshiro256++ (Blackman & Vigna 2019), 64-bit output,
 * state seeded from a 64-bit value by SplitMix64. */
extern const gsl_rng_type *lc_rng_xoshiro256pp;

uint64_t lc_splitmix64(uint64_t *x);

/* The 64-bit seed of stream (seed, stream, run). */
uint64_t lc_stream_seed(uint64_t seed, uint32_t stream, uint64_t run);

/* A uniform in [0, 1) for (stream seed, key), e.g. key = account index: a
 * counter-based draw (SplitMix64 of the two), so it depends on no order of
 * drawing — the same in every engine and thread. */
double lc_hash_uniform(uint64_t stream_seed, uint64_t key);

/* A generator for that stream; free with gsl_rng_free. NULL if out of memory. */
gsl_rng *lc_rng_create(uint64_t seed, uint32_t stream, uint64_t run);

/* Re-seed an existing generator (no allocation) to that stream. */
void lc_rng_reset(gsl_rng *r, uint64_t seed, uint32_t stream, uint64_t run);

#endif

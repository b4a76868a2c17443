/* population.h — the accounts, drawn once and shared read-only by every run.
 *
 * Struct of arrays, one entry per account. Each account's liquidation and
 * bankruptcy prices are fixed for the whole run (isolated margin, no top-ups
 * yet), so the engine keeps the accounts of each side ordered by liquidation
 * price: longs by decreasing liq_price (the first to go as the mark falls),
 * shorts by increasing liq_price. Ties are broken by account index, so the
 * order is total and every engine settles accounts in the same sequence. */
#ifndef LC_POPULATION_H
#define LC_POPULATION_H

#include <stdint.h>

#include "error.h"
#include "scenario.h"

typedef struct lc_population {
    long n;
    int8_t *side;        /* +1 long, -1 short */
    double *qty;         /* base units, > 0 */
    double *entry;       /* quote per base */
    double *collateral;  /* quote (isolated margin) */
    double *mmr;         /* maintenance-margin rate of its tier */
    double *liq_price;   /* venue.h closed form */
    double *bankruptcy_price;

    /* order of liquidation per side (indices into the arrays above) */
    long n_long, n_short;
    uint32_t *long_order;  /* n_long longs, liq_price decreasing */
    uint32_t *short_order; /* n_short shorts, liq_price increasing */
    double *long_liq;      /* liq_price in long_order, contiguous for the cursor */
    double *short_liq;     /* liq_price in short_order */

    double qty_long, qty_short; /* total base quantity per side */
} lc_population;

/* Scratch for lc_population_sort. */
typedef struct lc_keyed {
    double key;
    uint32_t idx;
} lc_keyed;

/* Sort account indices idx[0..n) of one side into settlement order: longs by
 * decreasing liquidation price, shorts by increasing, ties by index. This is
 * the one definition of the order; tmp has room for n entries. */
void lc_population_sort(const lc_population *p, int side, uint32_t *idx, long n, lc_keyed *tmp);

/* Draw scenario->accounts accounts from the population stream of the seed, or
 * read scenario->positions_file. Entries are conditioned on being solvent at
 * s0 (redrawn until not breached): an open position is one the venue has not
 * already liquidated. */
lc_population *lc_population_create(const lc_scenario *sc, lc_error *err);

/* Build a population from given accounts (tests, CSV). Arrays are copied;
 * liquidation prices are computed from the tiers' mmr already in mmr[]. */
lc_population *lc_population_from_arrays(long n, const int8_t *side, const double *qty,
                                         const double *entry, const double *collateral,
                                         const double *mmr, lc_error *err);

void lc_population_free(lc_population *pop);

#endif

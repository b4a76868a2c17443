/* engine.h — one Monte Carlo run: price path, cascades, records (DESIGN §5).
 *
 * Two engines compute the same thing and must produce identical results:
 *  - index (default): the population is stored in liquidation order, and a
 *    cursor per side advances as the mark moves, so a run costs
 *    O(steps + liquidations), reads breached accounts as contiguous memory
 *    and holds O(1) state, not O(accounts);
 *  - scan (the oracle): every live account is checked at every round.
 * Both settle a round's breached accounts in index order (longs, then shorts)
 * through the same venue functions, so their floating-point sums agree. */
#ifndef LC_ENGINE_H
#define LC_ENGINE_H

#include <gsl/gsl_rng.h>

#include "book/population.h"
#include "out/record.h"
#include "scenario/scenario.h"

typedef enum lc_engine_kind { LC_ENGINE_INDEX, LC_ENGINE_SCAN } lc_engine_kind;

/* Per-thread scratch reused across runs; owns the model states and rng. */
typedef struct lc_scratch lc_scratch;

lc_scratch *lc_scratch_create(const lc_scenario *sc, const lc_population *pop,
                              lc_engine_kind kind);
void lc_scratch_free(lc_scratch *s);

/* Simulate run `run` of sweep point `point`. series[i] receives
 * lc_scenario_series_cols(sc) values for each recorded series i (NULL: not
 * recorded); ev, if not NULL, receives every liquidation. Returns 0, or -1
 * when the run cannot give finite numbers (err names run, step and round) or
 * when out of memory (err says so). */
int lc_engine_run(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long point,
                  long run, lc_run_row *row, float *const series[LC_SERIES_N],
                  lc_eventbuf *ev, lc_error *err);

#endif

/* engine.h — one Monte Carlo run: the step loop of DESIGN §11.
 *
 * A run's stages: the markets (market/market.h) move and are marked; the
 * venue rules at work (venue/rule.h) take their step; then the cascade, in
 * rounds — a finder (finder.h) hands over the accounts breached at the
 * marks, settlement (run.h) trades their flow through each market's impact
 * model and settles them at the round's VWAP, the rules acting on the plan
 * and on each settled account — until no account is breached or max_rounds
 * rounds ran; then the step is recorded.
 *
 * Two finders compute the same thing and must produce identical results:
 * index (the cursor; default) and scan (the oracle). Both hand accounts over
 * in settlement order, so their floating-point sums agree bit for bit. */
#ifndef LC_ENGINE_H
#define LC_ENGINE_H

#include <gsl/gsl_rng.h>
#include <signal.h>

#include "book/population.h"
#include "out/record.h"
#include "scenario/scenario.h"

/* The finder a scratch uses (finder.h lc_finders): --engine index | scan. */
typedef enum lc_engine_kind { LC_ENGINE_INDEX, LC_ENGINE_SCAN, LC_ENGINE_NKINDS } lc_engine_kind;

/* Per-thread scratch reused across runs of one (scenario, population): the
 * model states, the book, the finder, the rules at work and the settlement
 * strategy, chosen once here. events: runs will record events (the plain
 * settlement path records none). NULL when out of memory. */
typedef struct lc_scratch lc_scratch;

lc_scratch *lc_scratch_create(const lc_scenario *sc, const lc_population *pop, lc_engine_kind kind,
                              int events);
void lc_scratch_free(lc_scratch *s);
/* The bytes a scratch of sc over n accounts (nspan of them spanning
 * markets) holds: what lc_scratch_create allocates, and for what grows with
 * a run's changes (changed accounts, a round's plan) room for a tenth of
 * the accounts. An estimate for the memory check (runner.h), not a bound:
 * a round liquidating more than a tenth of the book grows past it. */
double lc_scratch_bytes(const lc_scenario *sc, long n, long nspan, lc_engine_kind kind, int events);
/* Accounts that span markets evaluated at the marks by the scratch's finder,
 * over every run it made (the cost of finding them; benchmarks, the CLI). */
long lc_scratch_evaluations(const lc_scratch *s);
/* Under importance sampling, market k's Σ of its innovations y over the
 * last run's steps (market/innovations.h; the pilot's statistic). */
double lc_scratch_tilt_sum(const lc_scratch *s, int k);
/* A flag the scratch's runs look at every step and every cascade round
 * (NULL: none): when set, the run in hand ends early, so a signal is seen
 * within a round's time however long one run is. */
void lc_scratch_set_stop(lc_scratch *s, const volatile sig_atomic_t *stop);

/* Multilevel splitting (engine/split.h) runs trajectories, not runs: a
 * trajectory starts as run `root` and takes new streams (rng.h: key as the
 * seed) at the end of each of its re-keying steps, in order, so a clone is
 * its parent replayed up to the step it crossed a level, then on streams of
 * its own; and it ends at the end of the first step, from its last
 * re-keying step on, whose score (lc_rare_score_of) reaches `level`. */
typedef struct lc_rekey {
    long step;
    uint64_t key;
} lc_rekey;
typedef struct lc_lineage {
    long root;
    int n; /* re-keying steps, at[0 .. n), steps non-decreasing */
    const lc_rekey *at;
    double level; /* INFINITY: to the horizon */
} lc_lineage;
/* The lineage the scratch's next runs follow (NULL: plain runs); borrowed. */
void lc_scratch_set_lineage(lc_scratch *s, const lc_lineage *l);
/* The step at which the last run ended at its lineage's level. */
long lc_scratch_crossed(const lc_scratch *s);

/* The score of simulation.rare (scenario.h lc_rare_score) of a row, at the
 * end of a run or so far within it: market 0's fall from s0 or max
 * drawdown, the fund used, the bad debt. */
double lc_rare_score_of(const lc_scenario *sc, const lc_run_row *row);

/* Simulate run `run` of sweep point `point`. series[i] receives
 * lc_scenario_series_cols(sc) values for each recorded series i (NULL: not
 * recorded); ev, if not NULL (the scratch must have been made with events),
 * receives every event. Returns 0; 1 when the stop flag ended it early
 * (nothing of it is to be kept); 2 when it ended at its lineage's level
 * (the row holds what it reached so far); or -1 when the run cannot give finite
 * numbers (err names run, step and round) or when out of memory (err says
 * so). */
int lc_engine_run(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long point,
                  long run, lc_run_row *row, float *const series[LC_SERIES_N], lc_eventbuf *ev,
                  lc_error *err);

#endif

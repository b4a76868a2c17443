/* pilot.h — the cross-entropy pilot that chooses an importance-sampling
 * tilt (simulation.rare, theta: auto; DESIGN §15).
 *
 * The family is the scenario's tilt: market k's innovations y_k drawn with
 * mean theta_k every step (market/innovations.h). The target is the event
 * score >= level (rare.target; the scores of lc_rare_score_of). Each
 * iteration j = 1, 2, ... draws rare.pilot.runs runs at the current theta
 * from its own seed, lc_stream_seed(seed, LC_STREAM_PILOT, j), so the runs
 * that follow are independent of the pilot and their estimate is unbiased
 * whatever theta it chose. Its level gamma_j is the score its best
 * rho = rare.pilot.quantile of runs reach (capped at the target's level);
 * with W_r the runs' likelihood ratios and S_rk = Σ_t y_k of run r over
 * its T tilted steps (rare.steps, else all), the cross-entropy update
 * (Rubinstein & Kroese, The Cross-Entropy Method, 2004, §3.4: the
 * likelihood-ratio-weighted maximum-likelihood mean of the elite) is
 *   theta_k = Σ_{r: score_r >= gamma_j} W_r·S_rk / (T·Σ_{r: score_r >= gamma_j} W_r).
 * The elite are the best ceil(rho·N) runs by score, ties broken by market
 * 0's max drawdown (so with no fund used or bad debt in most runs the
 * pilot still tilts towards the larger falls that lead there), and, once
 * gamma_j reaches the target's level, every run at or above it. It stops
 * after that iteration, or after rare.pilot.iterations. */
#ifndef LC_PILOT_H
#define LC_PILOT_H

#include <stdio.h>

#include "book/population.h"
#include "engine/engine.h"

/* Choose theta for sc (rare.pilot set), over population pop, with threads
 * OpenMP threads (0: the default); writes it into sc->rare.theta and clears
 * sc->rare.pilot. Each iteration's line goes to log (NULL: none) and, in a
 * few words, to the buffer trail (for the file's attributes). stop ends it
 * early (returns 1). Returns 0, 1, or -1 with err said (out of memory, or
 * a run that cannot give finite numbers). */
int lc_pilot_run(lc_scenario *sc, const lc_population *pop, int threads, lc_engine_kind kind,
                 const volatile sig_atomic_t *stop, FILE *log, char *trail, size_t trail_size,
                 lc_error *err);

#endif

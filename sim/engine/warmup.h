/* warmup.h — the book at t = 0 after a stretch of market (population.warmup,
 * DESIGN §16).
 *
 * A drawn book is solvent at s0 but knows nothing of the market it will
 * meet: its high-leverage tail sits at the edge of liquidation and goes in
 * the first calm minutes of every run. A warmup lives through W steps before
 * t = 0 — the scenario's own price model, impact, mark and venue rules,
 * without its scripted shock (nor a scripted stress window), on one path of
 * a stream of its own (seed, LC_STREAM_WARMUP) — and keeps what survives:
 * the accounts liquidated in it are gone, partial liquidations and top-ups
 * stay. The survivors then start at s0: in each market k, with P_k the
 * market price at the warmup's end, prices are scaled by s0_k / P_k (entry)
 * and units of asset k by P_k / s0_k (position size, collateral, debt), so
 * every quote value, unrealised pnl, margin ratio and health factor is what
 * it was at P_k. Every run and sweep point sharing the population starts
 * from the same warmed book (common random numbers hold). */
#ifndef LC_WARMUP_H
#define LC_WARMUP_H

#include "base/error.h"
#include "book/population.h"
#include "scenario/scenario.h"

/* What a warmup did, for the user. */
typedef struct lc_warmup_stats {
    long drawn, kept;                 /* accounts before and after */
    double price_end[LC_MAX_MARKETS]; /* each market's price at its end */
} lc_warmup_stats;

/* The population of sc for its runs: drawn (lc_population_create) and, when
 * sc->warmup > 0, warmed. NULL with err set; st (may be NULL) receives the
 * warmup's figures (drawn = kept when there is none). */
lc_population *lc_population_for_runs(const lc_scenario *sc, lc_warmup_stats *st, lc_error *err);

/* Warm pop (drawn for sc) through sc->warmup steps: a new population, pop
 * unchanged. NULL with err set. */
lc_population *lc_population_warm(const lc_scenario *sc, const lc_population *pop,
                                  lc_warmup_stats *st, lc_error *err);

#endif

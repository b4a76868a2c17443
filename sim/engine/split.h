/* split.h — fixed-effort multilevel splitting (simulation.rare split,
 * DESIGN §15): an unbiased estimate of P(score >= target) and, by the
 * weights of the runs it leaves, of any expectation of a run.
 *
 * The levels 0 < L_0 < ... < L_{m-1} = target of a score that only grows
 * within a run (lc_rare_score_of: a fall, a drawdown, fund used, bad debt).
 * Each of `replicates` independent replicates g:
 *  - stage 0: `effort` N runs from the start (runs g·N .. g·N + N − 1);
 *  - stage l < m − 1: its N trajectories run until the score reaches L_l
 *    (its entrance: the trajectory ends there) or to the horizon; H_gl of
 *    them reach it. With H_gl = 0 the replicate ends;
 *  - stage l + 1: N clones of the H_gl entrances, each entrance ⌊N/H⌋ and
 *    N mod H entrances drawn without replacement one more (so each expects
 *    N/H: the estimate stays unbiased, L'Ecuyer, Demers & Tuffin 2007,
 *    "Rare events, splitting, and quasi-Monte Carlo", ACM TOMACS 17(2)).
 *    A clone is its entrance's trajectory replayed to the step it crossed,
 *    then on streams of its own (engine.h lc_lineage: the child key chains
 *    the parent's with the clone's index), so every trajectory, and the
 *    whole splitting, is a function of the seed alone, whatever the
 *    threads. What a run draws once for each account at its start (the
 *    top-up behaviour's uniforms, venue/topup.c) is state, not a stream:
 *    a clone keeps its root's, as its future under the model would;
 *  - the last stage's N trajectories run to the horizon.
 * The runs it leaves (the rows) are the trajectories that ran to the
 * horizon: those of stage l that did not reach L_l, and the last stage's.
 * With P_gl = Π_{j<l} H_gj/N the mass of stage l, a row of replicate g's
 * stage l has weight (n/G)·P_gl/N (n rows, G replicates), so each
 * replicate's weights sum to n/G and (1/n)·Σ w·f is the mean over the
 * replicates of their estimates of E[f]; for f = 1{score >= target} it is
 * the classical product of the stages' proportions. Intervals come from the
 * spread of the replicates' estimates (docs/analysis.md, "Weighted runs"). */
#ifndef LC_SPLIT_H
#define LC_SPLIT_H

#include <stdio.h>

#include "book/population.h"
#include "engine/engine.h"

typedef struct lc_split_traj {
    long parent;   /* the entrance it is a clone of, -1: a root */
    long root;     /* the run whose streams it starts on */
    long step;     /* its parent's crossing, where it re-keys (root: 0) */
    uint64_t key;  /* its streams' key from there (root: its chain's start) */
    double score;  /* its score where it ended (a crossing or the horizon) */
    int replicate; /* of the splitting */
    long crossed;  /* the step it reached its level; -1: ran to the horizon */
} lc_split_traj;

typedef struct lc_split_job {
    long traj; /* the row's trajectory */
    double weight;
} lc_split_job;

typedef struct lc_split {
    lc_split_traj *traj; /* every trajectory, stage by stage, replicate by replicate */
    long ntraj;
    lc_split_job *job; /* the rows, replicate by replicate, stage by stage */
    long njob;
    long *hits; /* [g·nlevels + l]: H_gl, for l < nlevels − 1 */
    long ran;   /* trajectories the stages ran (the last level's run as the rows) */
    int nlevels;
} lc_split;

/* Run the stages of sc's splitting (sc->rare.method split) over population
 * pop on threads OpenMP threads (0: the default): fills sp (free with
 * lc_split_free). A line per stage to log (NULL: none). Returns 0, 1 when
 * stop ended it, -1 with err said. */
int lc_split_run(lc_scenario *sc, const lc_population *pop, int threads, lc_engine_kind kind,
                 const volatile sig_atomic_t *stop, FILE *log, lc_split *sp, lc_error *err);
void lc_split_free(lc_split *sp);

/* levels: auto (DESIGN §15 leaves the levels to the user or a pilot): a
 * pilot splitting of one replicate of `effort` trajectories, on its own
 * seed lc_stream_seed(seed, LC_STREAM_PILOT, 0) so the estimate that
 * follows stays unbiased, chooses each level as the score the best
 * LC_SPLIT_RHO of its stage's trajectories reach (run to the horizon; if
 * that is no higher than the level before, the least score above it that
 * any reaches), until the target's `level`; writes them into
 * sc->rare.levels. A line to log, and to trail that the pilot chose them.
 * 0, 1 stopped, -1 with err (the
 * score stops climbing, out of memory, a run that failed). */
#define LC_SPLIT_RHO 0.2
int lc_split_choose_levels(lc_scenario *sc, const lc_population *pop, int threads,
                           lc_engine_kind kind, const volatile sig_atomic_t *stop, FILE *log,
                           char *trail, size_t trail_size, lc_error *err);

/* Trajectory t's lineage: its re-keyings into at[] (room for nlevels) and
 * *l, to the horizon (level INFINITY). */
void lc_split_lineage(const lc_split *sp, long t, lc_rekey *at, lc_lineage *l);

/* A few words on the splitting (the levels and each level's hits, over the
 * replicates) for the file's attributes. */
void lc_split_describe(const lc_scenario *sc, const lc_split *sp, char *buf, size_t size);

#endif

/* innovations.h — the markets' standard innovations of a run, tied by the
 * scenario's correlation (DESIGN §12).
 *
 * Each step, with K > 1 markets (into d[k]: z and jump):
 *  - the regime: with a stress section, the active matrix is the stress
 *    matrix while a two-state Markov chain is in stress (it enters at rate
 *    `enter` and leaves at rate `exit`, per year, sampled at the steps by its
 *    exact transition over dt; a run starts in the chain's stationary law,
 *    stress with probability enter/(enter + exit)) or while the step starts
 *    inside the scripted window [start, end);
 *  - y = L·e, e iid N(0, 1), L the Cholesky factor of the active matrix;
 *  - Gaussian copula: z = y. Student-t copula (nu): t = y/sqrt(W/nu) with
 *    W ~ chi²(nu) common to the markets, and z_k = Φ⁻¹(F_nu(t_k)), so each
 *    z_k is N(0, 1) exactly while the markets share the t's tail
 *    dependence, λ = 2·t_(nu+1)(−sqrt((nu + 1)(1 − ρ)/(1 + ρ)));
 *  - common jumps: n ~ Poisson(rate·dt) jumps every market takes at once,
 *    market k's log move Σ of n iid N(mean_k, sigma_k²).
 * All of it from the run's innovation stream (LC_STREAM_PRICE); market k's
 * price model draws the rest of its randomness from a stream of its own and
 * reads `common` streams seeded alike (model.h lc_draws).
 *
 * With one market nothing is drawn here: its model draws z from the run's
 * stream where it asks (lc_draws, given = 0), as it always has.
 *
 * Under importance sampling (simulation.rare tilt, DESIGN §15) y has mean
 * theta: with one market, z = e + theta (models/model.h lc_tilt_z); with
 * several, e is drawn from N(eta, I), eta the least shift (innovations.c
 * least_tilt) that gives y = L·e, L the active regime's factor, the mean
 * theta_k in each tilted market k — the untilted markets' means then move by
 * their regression on the tilted ones' (all tilted: eta = L⁻¹·theta) — and
 * the run's log likelihood ratio gains eta·(eta/2 − e); the common jump
 * counts are drawn at kappa times their rate with their ratio. The regime
 * chain and the t copula's chi-square are drawn untilted. With rare.steps
 * only the first steps are tilted: from the next on every draw takes the
 * model's law (and adds nothing to the ratio). */
#ifndef LC_INNOVATIONS_H
#define LC_INNOVATIONS_H

#include <gsl/gsl_rng.h>

#include "scenario/scenario.h"

typedef struct lc_innovations {
    const lc_scenario *sc;
    int k;                           /* markets */
    gsl_rng *rng;                    /* the run's innovation stream */
    gsl_rng *own[LC_MAX_MARKETS];    /* market k's model's stream (K > 1) */
    gsl_rng *common[LC_MAX_MARKETS]; /* the stream all markets read alike (K > 1) */
    double p_enter, p_exit;          /* per step */
    int stressed;
    lc_draws d[LC_MAX_MARKETS]; /* what market k's model draws from this step, its jump too */
    /* importance sampling (NULL d[k].tilt when off) */
    int tilting;
    long window; /* rare.steps: only steps 1 .. window are tilted (0: every step) */
    int active;  /* the step in hand is tilted */
    lc_tilt tilt[LC_MAX_MARKETS];  /* market k's: its z (one market), its model's jumps */
    double eta[2][LC_MAX_MARKETS]; /* least_tilt of theta: calm, stress (several markets) */
    lc_tilt joint; /* several markets: the ratio of e and of the common jumps (kappa) */
} lc_innovations;

/* Generators for a scenario's markets; rng is the run's stream (borrowed).
 * Returns 0, or -1 when out of memory. */
int lc_innovations_init(lc_innovations *in, const lc_scenario *sc, gsl_rng *rng);
void lc_innovations_release(lc_innovations *in);
/* Start run `run` (after rng was reset to its stream). */
void lc_innovations_start(lc_innovations *in, uint64_t seed, uint64_t run);
/* A clone of multilevel splitting (engine/split.h) takes new streams from
 * here on: the markets' own and common generators re-seeded from key (the
 * run's stream is the caller's); the state (regime, sums) is kept. */
void lc_innovations_rekey(lc_innovations *in, uint64_t key);
/* The run's log likelihood ratio (0 without a tilt) and market k's Σ y
 * over its steps so far (the pilot's statistic). */
double lc_innovations_log_weight(const lc_innovations *in);
static inline double lc_innovations_sum(const lc_innovations *in, int k)
{
    return in->tilt[k].sum_z;
}
/* Draw step t's innovations and jumps into d[] (K > 1; with one
 * market there is nothing to draw). */
void lc_innovations_draw(lc_innovations *in, long t);
/* The tilt's window has passed: the steps from here are drawn untilted. */
void lc_innovations_untilt(lc_innovations *in);
static inline void lc_innovations_step(lc_innovations *in, long t)
{
    if (in->window && t == in->window + 1)
        lc_innovations_untilt(in);
    if (in->k > 1)
        lc_innovations_draw(in, t);
}

#endif

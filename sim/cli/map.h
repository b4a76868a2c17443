/* map.h — `liqcascade map`: where leverage is at risk by price level, and
 * what a shock of each size does once the cascade has run (DESIGN §16).
 *
 * The liquidation map is read off the population at t = 0: each isolated
 * account's notional at its liquidation price, |q|·P_liq (quote), summed in
 * price bins per market and side, as CoinGlass draws it. Accounts that span
 * markets have no one liquidation price and are counted apart.
 *
 * The cascade-aware map runs the scenario's population, venue and impact on
 * a deterministic path per shock size x: every market flat at its s0 (GBM
 * with sigma 0), the chosen market moved by x (a simple return) in the
 * first step, then `settle` flat steps; one run each. For each x it reports
 * the market's price at the end, the liquidated notional, the cascade's
 * rounds and the amplification log(P_end/s0) / log(1 + x): 1 when nothing
 * is liquidated, larger when forced sales carry the price beyond the shock.
 * The critical shock is the smallest |x| of the grid, on each side, whose
 * amplification reaches `runaway`. */
#ifndef LC_MAP_H
#define LC_MAP_H

#include <signal.h>
#include <stdio.h>

#include "base/error.h"
#include "cli/probe.h"

typedef struct lc_map_opts {
    lc_probe_opts probe;
    const char *dir;    /* the output folder (created if needed) */
    int force;          /* overwrite the CSVs */
    double from, to;    /* the shocks, simple returns > -1 */
    long nshocks;       /* grid points from..to, >= 1 */
    const char *market; /* the shocked market (NULL: the first) */
    long bins;          /* price bins of the liquidation map */
    double width;       /* the map covers s0 × [1 − width, 1 + width] */
    long settle;        /* flat steps after the shock */
    double runaway;     /* amplification that marks the critical shock */
} lc_map_opts;

/* The notional at risk near the mark: of market k's isolated accounts,
 * within[side][d] (side 0 long, 1 short) sums |q|·P_liq of those whose
 * liquidation price is within 1%, 5%, 10% (d = 0, 1, 2) of s0. */
struct lc_scenario;
struct lc_population;
void lc_map_at_risk(const struct lc_scenario *sc, const struct lc_population *pop, int k,
                    double within[2][3]);

/* Write dir/liquidation_map.csv and dir/cascade_map.csv (each as a
 * temporary name, renamed when complete) and print a summary to out.
 * Returns 0, 1 on a runtime failure, 2 on a bad scenario or option. */
int lc_map(const lc_map_opts *o, FILE *out, lc_error *err);

#endif

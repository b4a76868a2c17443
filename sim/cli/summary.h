/* summary.h — the short summary `liqcascade run` prints: running totals over
 * /runs rows as they are written (memory stays O(1) in the number of runs). */
#ifndef LC_SUMMARY_H
#define LC_SUMMARY_H

#include <stdio.h>

#include "out/record.h"

/* A share of runs: Σ w·1{A} and Σ (w·1{A})² (w = 1 for plain runs: a
 * count); under splitting (its replicates in row order) w2 is Σ c_g² over
 * the replicates before the current one, whose c_g = Σ_{i in g} w·1{A} is
 * cur (out/metrics.h lc_replicate_share). */
typedef struct lc_share {
    double w, w2, cur;
} lc_share;

/* With runs drawn for rare events (simulation.rare tilt or split) every
 * share and mean is weighted by the runs' weights (docs/analysis.md);
 * maxima and the lowest fund are of the runs as drawn. With a target
 * (split: its last level; tilt: the pilot's target) the share of runs whose
 * score reached it. */
typedef struct lc_summary {
    long rows;
    int weighted, split;
    long replicates, replicate; /* split: replicates seen, the current one's number */
    long replicates_at_target;  /* ... of those before the current one, those a row of which
                                   reached the target */
    int has_target;
    double target;
    lc_share at_target;
    double sw, sw2; /* Σ w, Σ w² */
    lc_share with_liq, with_bad_debt;
    long truncated_runs;
    double liq_notional_sum, liq_notional_max;
    double bad_debt_sum, bad_debt_max;
    double dd_sum, exo_dd_sum, dd_max;
    double insurance_min;
    /* lending CDPs: runs with a liquidation and with bad debt, and sums */
    lc_share cdp_with_liq, cdp_with_bad;
    double cdp_liq_sum, cdp_repaid_sum, cdp_bad_sum, cdp_bad_max;
    const lc_scenario *sc; /* its markets' names */
    /* per market: liquidated notional and max drawdown, summed over rows */
    double mk_liq_sum[LC_MAX_MARKETS], mk_dd_sum[LC_MAX_MARKETS];
    lc_share mk_with_liq[LC_MAX_MARKETS];
} lc_summary;

void lc_summary_init(lc_summary *s, const lc_scenario *sc);
void lc_summary_add(lc_summary *s, const lc_run_row *row);
void lc_summary_print(const lc_summary *s, FILE *out);
/* Under splitting, the replicates a row of which reached the target. */
long lc_summary_target_replicates(const lc_summary *s);
/* A share's estimate and 95% interval: Wilson's of the count for plain
 * runs, the weighted mean's normal one under importance sampling
 * (out/metrics.h lc_weighted_share), the replicates' under splitting
 * (lc_replicate_share). */
void lc_summary_share(const lc_summary *s, lc_share sh, double *p, double *lo, double *hi);
/* The same as one JSON object (run --json, docs/analysis.md): each figure
 * {"value", "units"}, a share also {"lo", "hi"} (95% Wilson); per market
 * under "markets", the lending CDPs under "cdp"; null where not finite. */
void lc_summary_json(const lc_summary *s, FILE *out);
/* s as a JSON string, quoted and escaped. */
void lc_json_string(FILE *out, const char *s);

#endif

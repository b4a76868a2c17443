/* scratch.h — what one thread reuses across runs (engine.h's lc_scratch):
 * the random generator, the markets' model states, the book, the finder,
 * the rules at work and the settlement strategy, all chosen once when the
 * scratch is made for a (scenario, population). Internal to sim/engine/. */
#ifndef LC_SCRATCH_H
#define LC_SCRATCH_H

#include "engine/engine.h"
#include "engine/finder.h"
#include "engine/run.h"
#include "market/innovations.h"

struct lc_scratch {
    gsl_rng *rng;         /* the run's stream (innovations.h) */
    lc_innovations innov; /* the markets' correlated innovations */
    lc_market mk[LC_MAX_MARKETS];
    int nmk;
    int recorded[LC_SERIES_N], nrecorded; /* the series output.series records */
    long ncols;                           /* their columns (lc_scenario_series_cols) */
    lc_book *book;
    lc_finder finder;
    lc_rule_inst rules[LC_RULE_MAX];
    int nrules;
    /* per hook, the rules at work that have it, in registry order */
    lc_rule_inst *by_on_run[LC_RULE_MAX], *by_on_step[LC_RULE_MAX], *by_on_breach[LC_RULE_MAX],
        *by_on_liquidate[LC_RULE_MAX], *by_on_settle[LC_RULE_MAX], *by_on_change[LC_RULE_MAX],
        *by_on_shortfall[LC_RULE_MAX], *by_on_end[LC_RULE_MAX];
    int n_on_run, n_on_step, n_on_breach, n_on_liquidate, n_on_settle, n_on_change, n_on_shortfall,
        n_on_end;
    lc_settle_fn settle;
    int events;                        /* runs record events */
    const volatile sig_atomic_t *stop; /* lc_scratch_set_stop; never NULL */
    lc_item *plan; /* the general settlement's plan, grown to the largest round */
    long plan_cap;
    lc_trade *trades;          /* the plan's trades, max_trades per item (plan_cap items) */
    int max_trades;            /* the most trades a plan of this book's accounts may hold */
    const lc_lineage *lineage; /* lc_scratch_set_lineage: NULL, a plain run */
    long crossed;              /* the step the last run's score reached the lineage's level */
};

/* Call hook h of every rule at work that has it, in registry order. */
#define LC_RULES_EACH(s, h, ...)                                                                   \
    do {                                                                                           \
        for (int k_ = 0; k_ < (s)->n_##h; k_++)                                                    \
            (s)->by_##h[k_]->rule->h((s)->by_##h[k_], __VA_ARGS__);                                \
    } while (0)

#endif

/* probe.c — see probe.h. */
#include "cli/probe.h"

#include <stdlib.h>
#include <string.h>

#include "cli/progress.h"
#include "engine/runner.h"
#include "engine/warmup.h"
#include "out/metrics.h"
#include "venue/rule.h"

void lc_probe_free(lc_probe *p)
{
    free(p->rows);
    if (p->pop_owned)
        lc_population_free(p->pop);
    lc_scenario_free(p->sc);
    *p = (lc_probe){0};
}

int lc_probe_load(const lc_probe_opts *o, const char *const *extra, int nextra,
                  const lc_probe *lend, lc_probe *p, lc_error *err)
{
    *p = (lc_probe){0};
    const char **sets = malloc((size_t)(o->nsets + nextra + 1) * sizeof *sets);
    if (!sets) {
        lc_error_add(err, "out of memory");
        return 1;
    }
    for (int i = 0; i < o->nsets; i++)
        sets[i] = o->sets[i];
    for (int i = 0; i < nextra; i++)
        sets[o->nsets + i] = extra[i];
    p->sc = lc_scenario_load(o->scenario, sets, o->nsets + nextra, err);
    free(sets);
    if (!p->sc)
        return 2;
    if (p->sc->rare.method == LC_RARE_SPLIT) {
        lc_error_add(err,
                     "%s: simulation.rare: method split is for run (search and map probe "
                     "with plain or tilted runs)",
                     o->scenario);
        return 2;
    }
    if (lend && lend->pop) { /* the caller's book, whatever the keys (map.h) */
        p->pop = lend->pop;
    } else {
        p->pop = lc_population_for_runs(p->sc, NULL, err);
        p->pop_owned = 1;
        if (!p->pop)
            return 2;
    }
    return 0;
}

int lc_probe_run(const lc_probe_opts *o, const char *const *extra, int nextra, const lc_probe *lend,
                 lc_probe *p, lc_error *err)
{
    int rc = lc_probe_load(o, extra, nextra, lend, p, err);
    if (rc)
        return rc;
    p->rows = malloc((size_t)(p->sc->runs > 0 ? p->sc->runs : 1) * sizeof *p->rows);
    if (!p->rows) {
        lc_error_add(err, "out of memory");
        return 1;
    }
    lc_runner_opts ro = {.threads = o->threads,
                         .engine = o->engine,
                         .progress = LC_PROGRESS_OFF,
                         .stop = o->stop,
                         .rows = p->rows};
    lc_runner_stats st;
    const lc_scenario *scs[1] = {p->sc};
    const lc_population *pops[1] = {p->pop};
    if (lc_runner_run(scs, pops, 1, &ro, NULL, &st, err))
        return 1;
    if (st.interrupted) {
        lc_error_add(err, "interrupted");
        return 1;
    }
    return 0;
}

int lc_probe_rule_cell(const char *rule, const char *column)
{
    int k = lc_rule_find(rule);
    for (int c = 0; k >= 0 && c < lc_rules[k]->ncolumns; c++)
        if (strcmp(lc_rules[k]->columns[c].name, column) == 0)
            return lc_rule_cell0(k) + c;
    return -1;
}

int lc_probe_metrics(const lc_probe *p, lc_metric **rows, long *nrows)
{
    long n = p->sc->runs;
    enum { NC = 11 };
    double *col = malloc((size_t)(n > 0 ? n : 1) * NC * sizeof *col);
    if (!col)
        return -1;
    double *c[NC];
    for (int k = 0; k < NC; k++)
        c[k] = col + (size_t)k * (size_t)n;
    int adl = lc_probe_rule_cell("adl", "adl_count");
    for (long i = 0; i < n; i++) {
        const lc_run_row *r = &p->rows[i];
        c[0][i] = r->bad_debt;
        c[1][i] = r->liq_notional_long;
        c[2][i] = r->liq_notional_short;
        c[3][i] = r->max_drawdown;
        c[4][i] = r->exo_drawdown;
        c[5][i] = r->insurance_min;
        c[6][i] = adl >= 0 ? (double)r->rules[adl].i : 0;
        c[7][i] = (double)r->max_rounds;
        c[8][i] = (double)r->truncated;
        c[9][i] = r->cdp_bad_debt;
        c[10][i] = r->weight;
    }
    lc_point_runs pr = {0,
                        n,
                        c[0],
                        c[1],
                        c[2],
                        c[3],
                        c[4],
                        c[5],
                        c[6],
                        c[7],
                        c[8],
                        NULL,
                        p->sc->lending != LC_LENDING_NONE ? c[9] : NULL,
                        p->sc->rare.method == LC_RARE_TILT ? c[10] : NULL,
                        NULL};
    int rc = lc_metrics_point(&pr, rows, nrows);
    free(col);
    return rc;
}

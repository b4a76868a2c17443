/* search.c — see search.h. */
#include "cli/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "book/population.h"
#include "cli/progress.h"
#include "engine/runner.h"
#include "out/metrics.h"
#include "scenario/scenario.h"
#include "venue/rule.h"

enum { MAX_PROBES = 64, SEARCH_OK = 0, SEARCH_RUNTIME = 1, SEARCH_USAGE = 2 };

/* One probe: the key's value and the metric there with its interval. */
typedef struct probe {
    double v, value, lo, hi;
    long n;
    int pass; /* meets the target on these runs */
} probe;

typedef struct search {
    const lc_search_opts *o;
    FILE *out;
    int adl_cell; /* the adl_count cell of a /runs row */
    probe p[MAX_PROBES];
    int np;
    const char *units;
} search;

/* The /runs cell of a rule's column, as the writer lays them out. */
static int rule_cell(const char *rule, const char *column)
{
    int k = lc_rule_find(rule);
    for (int c = 0; k >= 0 && c < lc_rules[k]->ncolumns; c++)
        if (strcmp(lc_rules[k]->columns[c].name, column) == 0)
            return lc_rule_cell0(k) + c;
    return -1;
}

/* A failure of kind rc, with its message. */
static int failed(lc_error *err, int rc, const char *msg)
{
    lc_error_add(err, "%s", msg);
    return rc;
}

static int meets(const search *s, double x)
{
    return s->o->at_least ? x >= s->o->level : x <= s->o->level;
}

/* The metric table of one point's rows, and the row of the metric. */
static int metric_of(search *s, const lc_scenario *sc, const lc_run_row *rows, long n, probe *pr,
                     lc_error *err)
{
    double *col = malloc((size_t)(n > 0 ? n : 1) * 10 * sizeof *col);
    if (!col)
        return failed(err, SEARCH_RUNTIME, "out of memory");
    double *c[10];
    for (int k = 0; k < 10; k++)
        c[k] = col + (size_t)k * (size_t)n;
    for (long i = 0; i < n; i++) {
        const lc_run_row *r = &rows[i];
        c[0][i] = r->bad_debt;
        c[1][i] = r->liq_notional_long;
        c[2][i] = r->liq_notional_short;
        c[3][i] = r->max_drawdown;
        c[4][i] = r->exo_drawdown;
        c[5][i] = r->insurance_min;
        c[6][i] = s->adl_cell >= 0 ? (double)r->rules[s->adl_cell].i : 0;
        c[7][i] = (double)r->max_rounds;
        c[8][i] = (double)r->truncated;
        c[9][i] = r->cdp_bad_debt;
    }
    lc_point_runs pr_runs = {0,    n,    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
                             NULL, sc->lending != LC_LENDING_NONE ? c[9] : NULL};
    lc_metric *table = NULL;
    long nrows = 0;
    int rc = lc_metrics_point(&pr_runs, &table, &nrows) ? SEARCH_RUNTIME : SEARCH_OK;
    free(col);
    if (rc) {
        free(table);
        return failed(err, SEARCH_RUNTIME, "out of memory");
    }
    long at = -1;
    for (long i = 0; i < nrows && at < 0; i++)
        if (strcmp(table[i].metric, s->o->metric) == 0)
            at = i;
    if (at < 0) {
        lc_error_at(err, "--metric", 0, NULL, "no metric %s; the metrics (docs/analysis.md):",
                    s->o->metric);
        for (long i = 0; i < nrows; i++)
            lc_error_add(err, "  %s (%s)", table[i].metric, table[i].units);
        free(table);
        return SEARCH_USAGE;
    }
    pr->value = table[at].value;
    pr->lo = table[at].lo;
    pr->hi = table[at].hi;
    pr->n = table[at].n;
    s->units = table[at].units; /* static strings */
    pr->pass = meets(s, pr->value);
    free(table);
    return SEARCH_OK;
}

/* Run the scenario with key = v: every run, in memory. */
static int run_probe(search *s, double v, probe *pr, lc_error *err)
{
    const lc_search_opts *o = s->o;
    char set[512];
    snprintf(set, sizeof set, "%s=%.17g", o->key, v);
    const char **sets = malloc((size_t)(o->nsets + 1) * sizeof *sets);
    if (!sets)
        return failed(err, SEARCH_RUNTIME, "out of memory");
    for (int i = 0; i < o->nsets; i++)
        sets[i] = o->sets[i];
    sets[o->nsets] = set;
    lc_scenario *sc = lc_scenario_load(o->scenario, sets, o->nsets + 1, err);
    free(sets);
    if (!sc) {
        lc_error_add(err, "--key %s: the scenario is not valid at %.17g", o->key, v);
        return SEARCH_USAGE;
    }
    int rc = SEARCH_OK;
    lc_population *pop = lc_population_create(sc, err);
    if (!pop) {
        lc_error_add(err, "--key %s: no population at %.17g", o->key, v);
        rc = SEARCH_USAGE;
    }
    lc_run_row *rows = rc ? NULL : malloc((size_t)sc->runs * sizeof *rows);
    if (!rc && !rows)
        rc = failed(err, SEARCH_RUNTIME, "out of memory");
    if (!rc) {
        lc_runner_opts ro = {.threads = o->threads,
                             .engine = o->engine,
                             .progress = LC_PROGRESS_OFF,
                             .stop = o->stop,
                             .rows = rows};
        lc_runner_stats st;
        const lc_scenario *scs[1] = {sc};
        const lc_population *pops[1] = {pop};
        if (lc_runner_run(scs, pops, 1, &ro, NULL, &st, err))
            rc = SEARCH_RUNTIME;
        else if (st.interrupted)
            rc = failed(err, SEARCH_RUNTIME, "interrupted: no answer");
    }
    pr->v = v;
    if (!rc)
        rc = metric_of(s, sc, rows, sc->runs, pr, err);
    free(rows);
    lc_population_free(pop);
    lc_scenario_free(sc);
    return rc;
}

/* A probe surely on its side: its whole 95% interval is (a metric without
 * an interval never is). */
static int surely(const search *s, const probe *pr)
{
    if (isnan(pr->lo))
        return 0;
    if (pr->pass)
        return meets(s, s->o->at_least ? pr->lo : pr->hi);
    return !meets(s, s->o->at_least ? pr->hi : pr->lo);
}

static void print_probe(const search *s, const probe *pr)
{
    int w = (int)strlen(s->o->key), m = (int)strlen(s->o->metric);
    fprintf(s->out, "  %-*.6g %-*.6g [%.6g, %.6g]   %s%s\n", w < 14 ? 14 : w, pr->v, m < 12 ? 12 : m,
            pr->value, pr->lo, pr->hi,
            pr->pass ? "meets" : "fails",
            isnan(pr->lo) ? "" : surely(s, pr) ? " (surely)" : " (unsure)");
    fflush(s->out);
}

int lc_search(const lc_search_opts *o, FILE *out, lc_error *err)
{
    search s = {.o = o, .out = out, .adl_cell = rule_cell("adl", "adl_count")};
    double tol = o->tol > 0 ? o->tol : fabs(o->to - o->from) / 64;
    fprintf(out, "# search: %s over [%g, %g] for %s %s %g, on common runs\n", o->key, o->from,
            o->to, o->metric, o->at_least ? ">=" : "<=", o->level);
    int w = (int)strlen(o->key), m = (int)strlen(o->metric);
    fprintf(out, "  %-*s %-*s %-22s  target\n", w < 14 ? 14 : w, o->key, m < 12 ? 12 : m, o->metric,
            "95% interval");
    int rc;
    probe *a = &s.p[s.np++], *b = &s.p[s.np++];
    if ((rc = run_probe(&s, o->from, a, err)))
        return rc;
    print_probe(&s, a);
    if ((rc = run_probe(&s, o->to, b, err)))
        return rc;
    print_probe(&s, b);
    if (a->pass == b->pass) {
        fprintf(out,
                "%s end of the range meets the target on these runs: no crossing in [%g, %g] "
                "(widen --range%s)\n",
                a->pass ? "every" : "neither", o->from, o->to,
                a->pass ? "" : ", or the target cannot be met");
        return SEARCH_OK;
    }
    /* bisect between the failing and the passing value */
    double fail = a->pass ? b->v : a->v, pass = a->pass ? a->v : b->v;
    while (fabs(pass - fail) > tol && s.np < MAX_PROBES) {
        probe *mid = &s.p[s.np++];
        if ((rc = run_probe(&s, 0.5 * (fail + pass), mid, err)))
            return rc;
        print_probe(&s, mid);
        if (mid->pass)
            pass = mid->v;
        else
            fail = mid->v;
    }
    /* the sure bracket: the surely failing and surely passing probes nearest
     * the boundary (the range's ends when there are none) */
    double up = pass > fail ? 1 : -1; /* the passing side's direction */
    double sure_fail = NAN, sure_pass = NAN;
    int nonmonotone = 0;
    for (int i = 0; i < s.np; i++) {
        const probe *p = &s.p[i];
        double d = (p->v - fail) * up; /* > 0: on the passing side of the bracket */
        nonmonotone |= (p->pass && d < 0) || (!p->pass && d > 0);
        if (!surely(&s, p))
            continue;
        if (p->pass && (isnan(sure_pass) || (p->v - sure_pass) * up < 0))
            sure_pass = p->v;
        if (!p->pass && (isnan(sure_fail) || (p->v - sure_fail) * up > 0))
            sure_fail = p->v;
    }
    fprintf(out,
            "answer: %s = %.6g meets the target; %.6g fails (the bracket of the crossing on these "
            "%ld runs)\n",
            o->key, pass, fail, s.p[0].n);
    if (isnan(s.p[0].lo))
        fprintf(out, "  %s has no interval (docs/analysis.md): the bracket holds for these runs "
                     "only; more runs (--runs) show how it moves\n",
                o->metric);
    else if (!isnan(sure_fail) && !isnan(sure_pass))
        fprintf(out,
                "  with sampling: %.6g surely fails and %.6g surely meets it (each probe's 95%% "
                "interval\n  on its side), so the boundary lies between them\n",
                sure_fail, sure_pass);
    else
        fprintf(out,
                "  with sampling: %s; more runs (--runs) narrow the intervals\n",
                isnan(sure_pass) && isnan(sure_fail)
                    ? "no probe is surely on its side (every 95% interval straddles the level)"
                : isnan(sure_pass) ? "no probe that meets the target has its interval wholly on "
                                     "the target's side"
                                   : "no probe that fails has its interval wholly off the "
                                     "target's side");
    if (nonmonotone)
        fprintf(out, "  NOTE: the metric is not monotone in %s on these runs: a probe outside "
                     "the bracket is on the other side\n",
                o->key);
    return SEARCH_OK;
}

/* search.c — see search.h. */
#include "cli/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/probe.h"
#include "out/metrics.h"

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
    probe p[MAX_PROBES];
    int np;
} search;

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

/* Run the scenario with key = v and read the metric off its table. */
static int run_probe(search *s, double v, probe *pr, lc_error *err)
{
    const lc_search_opts *o = s->o;
    char set[512];
    snprintf(set, sizeof set, "%s=%.17g", o->key, v);
    const char *extra[1] = {set};
    lc_probe_opts po = {o->scenario, o->sets, o->nsets, o->threads, o->engine, o->stop};
    lc_probe p;
    int rc = lc_probe_run(&po, extra, 1, NULL, &p, err);
    if (rc == SEARCH_USAGE)
        lc_error_add(err, "--key %s: the scenario is not valid at %.17g", o->key, v);
    lc_metric *table = NULL;
    long nrows = 0;
    if (rc == 0 && lc_probe_metrics(&p, &table, &nrows))
        rc = failed(err, SEARCH_RUNTIME, "out of memory");
    lc_probe_free(&p);
    if (rc) {
        free(table);
        return rc;
    }
    long at = -1;
    for (long i = 0; i < nrows && at < 0; i++)
        if (strcmp(table[i].metric, o->metric) == 0)
            at = i;
    if (at < 0) {
        lc_error_at(err, "--metric", 0, NULL,
                    "no metric %s; the metrics (docs/analysis.md):", o->metric);
        for (long i = 0; i < nrows; i++)
            lc_error_add(err, "  %s (%s)", table[i].metric, table[i].units);
        free(table);
        return SEARCH_USAGE;
    }
    *pr = (probe){v, table[at].value, table[at].lo, table[at].hi, table[at].n, 0};
    pr->pass = meets(s, pr->value);
    free(table);
    return SEARCH_OK;
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
    fprintf(s->out, "  %-*.6g %-*.6g [%.6g, %.6g]   %s%s\n", w < 14 ? 14 : w, pr->v,
            m < 12 ? 12 : m, pr->value, pr->lo, pr->hi, pr->pass ? "meets" : "fails",
            isnan(pr->lo)   ? ""
            : surely(s, pr) ? " (surely)"
                            : " (unsure)");
    fflush(s->out);
}

int lc_search(const lc_search_opts *o, FILE *out, lc_error *err)
{
    search s = {.o = o, .out = out};
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
        fprintf(out,
                "  %s has no interval (docs/analysis.md): the bracket holds for these runs "
                "only; more runs (--runs) show how it moves\n",
                o->metric);
    else if (!isnan(sure_fail) && !isnan(sure_pass))
        fprintf(out,
                "  with sampling: %.6g surely fails and %.6g surely meets it (each probe's 95%% "
                "interval\n  on its side), so the boundary lies between them\n",
                sure_fail, sure_pass);
    else
        fprintf(out, "  with sampling: %s; more runs (--runs) narrow the intervals\n",
                isnan(sure_pass) && isnan(sure_fail)
                    ? "no probe is surely on its side (every 95% interval straddles the level)"
                : isnan(sure_pass) ? "no probe that meets the target has its interval wholly on "
                                     "the target's side"
                                   : "no probe that fails has its interval wholly off the "
                                     "target's side");
    /* for a probability: the runs that would put the answer's estimate
     * surely on its side, were it to hold */
    const probe *ans = NULL;
    for (int i = 0; i < s.np; i++)
        if (s.p[i].v == pass)
            ans = &s.p[i];
    if (ans && isnan(sure_pass) && !isnan(ans->lo) && strncmp(o->metric, "p_", 2) == 0) {
        long need = 0;
        for (long n = ans->n; n <= (1L << 40) && !need; n *= 2) {
            double p, lo, hi;
            lc_wilson(lround(ans->value * (double)n), n, &p, &lo, &hi);
            if (o->at_least ? lo >= o->level : hi <= o->level)
                need = n;
        }
        if (need)
            fprintf(out,
                    "  were %s = %.6g the probability there, about %ld runs would put its 95%% "
                    "interval wholly on the target's side\n",
                    o->metric, ans->value, need);
    }
    if (nonmonotone)
        fprintf(out,
                "  NOTE: the metric is not monotone in %s on these runs: a probe outside "
                "the bracket is on the other side\n",
                o->key);
    return SEARCH_OK;
}

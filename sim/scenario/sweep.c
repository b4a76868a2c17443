/* sweep.c — see sweep.h. */
#include "scenario/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split at top-level commas; returns the number of values or -1. */
static int split_values(const char *v, char ***out)
{
    int n = 0, cap = 8, depth = 0;
    char quote = 0;
    char **vals = malloc((size_t)cap * sizeof *vals);
    const char *start = v;
    for (const char *c = v;; c++) {
        if (quote) {
            if (quote == '"' && *c == '\\' && c[1])
                c++; /* an escaped character, e.g. \" */
            else if (*c == quote)
                quote = 0;
            else if (*c == '\0') { /* unterminated: one value, the YAML parser says why */
                quote = 0;
                c--; /* look at the NUL again, outside the quote */
            }
            continue;
        }
        if (*c == '"' || *c == '\'')
            quote = *c;
        else if (*c == '[' || *c == '{')
            depth++;
        else if ((*c == ']' || *c == '}') && depth > 0)
            depth--;
        if (*c == '\0' || (*c == ',' && depth == 0)) {
            if (!vals)
                return -1;
            if (n == cap) {
                char **bigger = realloc(vals, (size_t)(cap *= 2) * sizeof *vals);
                if (!bigger)
                    break;
                vals = bigger;
            }
            const char *b = start, *e = c;
            while (b < e && (*b == ' ' || *b == '\t'))
                b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (!(vals[n++] = strndup(b, (size_t)(e - b))))
                break;
            if (*c == '\0') {
                *out = vals;
                return n;
            }
            start = c + 1;
        }
    }
    while (vals && n > 0)
        free(vals[--n]);
    free(vals);
    return -1;
}

int lc_sweep_add(lc_sweep *s, const char *spec, lc_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return lc_error_at(err, "--vary", 0, NULL,
                           "expected key=v1,v2,..., e.g. --vary venue.tiers.0.mmr=0.004,0.006 "
                           "(got '%s')",
                           spec);
    for (int a = 0; a < s->naxes; a++)
        if (strlen(s->axes[a].key) == (size_t)(eq - spec) &&
            strncmp(s->axes[a].key, spec, (size_t)(eq - spec)) == 0)
            return lc_error_at(err, "--vary", 0, s->axes[a].key,
                               "varied twice: give all its values in one --vary");
    lc_sweep_axis ax = {0};
    ax.n = split_values(eq + 1, &ax.values);
    if (ax.n < 0)
        return lc_error_add(err, "out of memory");
    ax.key = strndup(spec, (size_t)(eq - spec));
    ax.num = malloc((size_t)ax.n * sizeof *ax.num);
    lc_sweep_axis *axes = realloc(s->axes, (size_t)(s->naxes + 1) * sizeof *axes);
    if (axes)
        s->axes = axes;
    int rc = 0;
    if (!ax.key || !ax.num || !axes)
        rc = lc_error_add(err, "out of memory");
    for (int i = 0; rc == 0 && i < ax.n; i++) {
        if (!ax.values[i][0])
            rc = lc_error_at(err, "--vary", 0, ax.key, "value %d of '%s' is empty", i + 1, eq + 1);
        for (int j = 0; rc == 0 && j < i; j++)
            if (strcmp(ax.values[i], ax.values[j]) == 0)
                rc = lc_error_at(err, "--vary", 0, ax.key, "value '%s' is given twice",
                                 ax.values[i]);
    }
    long points = s->naxes ? s->points : 1;
    if (rc == 0 && points * ax.n > LC_SWEEP_MAX_POINTS)
        rc = lc_error_at(err, "--vary", 0, ax.key, "the grid would have more than %ld points",
                         LC_SWEEP_MAX_POINTS);
    int numeric = 1;
    for (int i = 0; rc == 0 && i < ax.n && numeric; i++) {
        char *end;
        ax.num[i] = strtod(ax.values[i], &end);
        numeric = end != ax.values[i] && !*end && isfinite(ax.num[i]);
    }
    for (int i = 0; rc == 0 && numeric && i < ax.n; i++) /* 0.01 and 1e-2 are one value */
        for (int j = 0; rc == 0 && j < i; j++)
            if (ax.num[i] == ax.num[j])
                rc = lc_error_at(err, "--vary", 0, ax.key, "'%s' and '%s' are the same value",
                                 ax.values[j], ax.values[i]);
    if (rc == 0 && !numeric) {
        free(ax.num);
        ax.num = NULL;
    }
    if (rc) {
        for (int i = 0; i < ax.n; i++)
            free(ax.values[i]);
        free(ax.values);
        free(ax.key);
        free(ax.num);
        return rc;
    }
    s->axes[s->naxes++] = ax;
    s->points = points * ax.n;
    return 0;
}

int lc_sweep_index(const lc_sweep *s, long p, int a)
{
    long stride = 1;
    for (int b = s->naxes - 1; b > a; b--)
        stride *= s->axes[b].n;
    return (int)(p / stride % s->axes[a].n);
}

char **lc_sweep_sets(const lc_sweep *s, long p)
{
    char **sets = calloc((size_t)s->naxes + 1, sizeof *sets);
    for (int a = 0; sets && a < s->naxes; a++) {
        const lc_sweep_axis *ax = &s->axes[a];
        const char *v = ax->values[lc_sweep_index(s, p, a)];
        size_t n = strlen("--vary ") + strlen(ax->key) + 1 + strlen(v) + 1;
        if (!(sets[a] = malloc(n))) {
            lc_sweep_free_sets(sets, a);
            return NULL;
        }
        snprintf(sets[a], n, "--vary %s=%s", ax->key, v);
    }
    return sets;
}

void lc_sweep_free_sets(char **sets, int n)
{
    for (int i = 0; sets && i < n; i++)
        free(sets[i]);
    free(sets);
}

void lc_sweep_free(lc_sweep *s)
{
    for (int a = 0; a < s->naxes; a++) {
        for (int i = 0; i < s->axes[a].n; i++)
            free(s->axes[a].values[i]);
        free(s->axes[a].values);
        free(s->axes[a].key);
        free(s->axes[a].num);
    }
    free(s->axes);
    *s = (lc_sweep){0};
}

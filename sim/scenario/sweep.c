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

/* x to 15 significant digits, with no more digits than need be: what a
 * person would have typed (0.3·1/3 is 0.09999999999999999; its value here
 * is 0.1). */
static void shortest(char *buf, size_t size, double x)
{
    char full[32];
    snprintf(full, sizeof full, "%.15g", x);
    double want = strtod(full, NULL);
    for (int digits = 1; digits <= 15; digits++) {
        snprintf(buf, size, "%.*g", digits, x);
        if (strtod(buf, NULL) == want)
            return;
    }
}

/* "a:b:n" as n values (*out, *n); 0 when spec is no range (a value list),
 * 1 when it is one, -1 on an error (in err). */
static int range_values(const char *v, const char *key, char ***out, int *n, lc_error *err)
{
    char *end;
    double a = strtod(v, &end);
    if (end == v || *end != ':')
        return 0;
    const char *bs = end + 1;
    double b = strtod(bs, &end);
    if (end == bs || *end != ':')
        return 0;
    const char *ns = end + 1;
    long count = strtol(ns, &end, 10);
    if (end == ns || *end)
        return 0;
    if (!isfinite(a) || !isfinite(b) || a == b || count < 2 || count > LC_SWEEP_MAX_RANGE)
        return lc_error_at(err, "--vary", 0, key,
                           "a range is a:b:n with finite a != b and a whole n from 2 to %d "
                           "(got '%s')",
                           LC_SWEEP_MAX_RANGE, v);
    char **vals = calloc((size_t)count, sizeof *vals);
    for (long i = 0; vals && i < count; i++) {
        double x = i == count - 1 ? b : a + (b - a) * (double)i / (double)(count - 1);
        char buf[32];
        shortest(buf, sizeof buf, x);
        if (!(vals[i] = strdup(buf))) {
            while (i > 0)
                free(vals[--i]);
            free(vals);
            vals = NULL;
        }
    }
    if (!vals)
        return lc_error_add(err, "out of memory");
    *out = vals;
    *n = (int)count;
    return 1;
}

/* The product of the groups' lengths. */
static long grid_points(const lc_sweep *s)
{
    long points = 1;
    for (int a = 0; a < s->naxes; a++)
        if (s->axes[a].group == a)
            points *= s->axes[a].n;
    return points;
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
    lc_sweep_axis ax = {.group = s->naxes};
    char *key = strndup(spec, (size_t)(eq - spec));
    if (!key)
        return lc_error_add(err, "out of memory");
    int ranged = range_values(eq + 1, key, &ax.values, &ax.n, err);
    free(key);
    if (ranged < 0)
        return -1;
    if (!ranged && (ax.n = split_values(eq + 1, &ax.values)) < 0)
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
    long points = grid_points(s);
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

int lc_sweep_zip(lc_sweep *s, const char *keys, lc_error *err)
{
    int members[64] = {0}, n = 0, rc = 0;
    for (const char *k = keys; rc == 0;) {
        size_t len = strcspn(k, ",");
        int a = 0;
        while (a < s->naxes && !(strlen(s->axes[a].key) == len && !strncmp(s->axes[a].key, k, len)))
            a++;
        if (len == 0)
            rc = lc_error_at(err, "--zip", 0, NULL, "an empty key in '%s'", keys);
        else if (a == s->naxes)
            rc = lc_error_at(err, "--zip", 0, NULL, "'%.*s' is not varied: give it a --vary",
                             (int)len, k);
        else if (s->axes[a].group != a)
            rc = lc_error_at(err, "--zip", 0, s->axes[a].key, "already zipped with %s",
                             s->axes[s->axes[a].group].key);
        for (int j = 0; rc == 0 && j < n; j++)
            if (members[j] == a)
                rc = lc_error_at(err, "--zip", 0, s->axes[a].key, "named twice");
        for (int b = 0; rc == 0 && b < s->naxes; b++)
            if (b != a && s->axes[b].group == a)
                rc = lc_error_at(err, "--zip", 0, s->axes[a].key, "already zipped with %s",
                                 s->axes[b].key);
        if (rc == 0 && n == 64)
            rc = lc_error_at(err, "--zip", 0, NULL, "more than 64 keys");
        if (rc == 0 && n > 0 && s->axes[a].n != s->axes[members[0]].n)
            rc = lc_error_at(err, "--zip", 0, s->axes[a].key,
                             "has %d values and %s has %d: zipped keys move together, value by "
                             "value",
                             s->axes[a].n, s->axes[members[0]].key, s->axes[members[0]].n);
        if (rc == 0)
            members[n++] = a;
        if (!k[len])
            break;
        k += len + 1;
    }
    if (rc == 0 && n < 2)
        rc = lc_error_at(err, "--zip", 0, NULL, "ties two or more varied keys: --zip k1,k2");
    if (rc)
        return rc;
    int first = members[0];
    for (int j = 1; j < n; j++)
        first = members[j] < first ? members[j] : first;
    for (int j = 0; j < n; j++)
        s->axes[members[j]].group = first;
    s->points = grid_points(s);
    return 0;
}

int lc_sweep_index(const lc_sweep *s, long p, int a)
{
    int g = s->axes[a].group;
    long stride = 1;
    for (int b = s->naxes - 1; b > g; b--)
        if (s->axes[b].group == b)
            stride *= s->axes[b].n;
    return (int)(p / stride % s->axes[g].n);
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

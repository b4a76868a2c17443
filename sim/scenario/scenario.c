/* scenario.c — scenario files into a validated lc_scenario (DESIGN §10).
 *
 * Every key is checked against a parameter table: the model and distribution
 * tables of the registry, and the core tables below. A key that no table
 * knows is an error, with a "did you mean" when one name is close. All errors
 * are collected (not just the first), each as "file:line: key: message".
 * Defaults come from the same tables, so the resolved scenario lists every
 * key with the value a run uses, and re-loading it gives the same scenario. */
#define _DEFAULT_SOURCE /* realpath */
#include "scenario/scenario.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/linalg.h"
#include "book/dist.h"
#include "scenario/yamltree.h"

#define CK(sec, name, unit, kind, def, lo, hi, lo_open, hi_open, field, ctype, doc)                \
    {                                                                                              \
        sec, {name, unit, kind, def, lo, hi, lo_open, hi_open, doc}, offsetof(lc_scenario, field), \
            ctype                                                                                  \
    }

const lc_core_key lc_core_keys[] = {
    CK("simulation", "runs", "runs", LC_INT, 1000, 1, 1e9, 0, 0, runs, 'l',
       "independent Monte Carlo runs"),
    CK("simulation", "steps", "steps", LC_INT, 1440, 1, 1e9, 0, 0, steps, 'l',
       "time steps per run"),
    CK("simulation", "dt", "s", LC_REAL, 60, 0, 1e9, 1, 0, dt_s, 'd', "length of one step"),
    CK("simulation", "seed", "1", LC_INT, 42, 0, 9007199254740992.0, 0, 0, seed, 'u',
       "master seed: with the scenario it fixes every random number (at most 2^53)"),
    CK("simulation", "max_rounds", "rounds", LC_INT, 1000, 1, 1e9, 0, 0, max_rounds, 'l',
       "cascade rounds allowed within one step; the rest wait for the next step"),
    CK("population", "accounts", "accounts", LC_INT, LC_REQUIRED, 0, 4e9, 0, 0, accounts, 'l',
       "accounts to draw (0: price paths alone)"),
    CK("population", "long_fraction", "1", LC_REAL, 0.5, 0, 1, 0, 0, long_fraction, 'd',
       "probability that an account is long"),
    CK("population", "warmup", "steps", LC_INT, 0, 0, 1e7, 0, 0, warmup, 'l',
       "steps the drawn book lives through before t = 0 (the scenario's market without its "
       "scripted shock, its venue and impact, one path of its own stream): the accounts "
       "liquidated in them are not in the book, the rest start at s0 with their margin ratio "
       "(0: none)"),
    CK("venue", "liquidation_fee", "1", LC_REAL, 0.005, 0, 1, 0, 1, liquidation_fee, 'd',
       "fee on liquidated notional, paid to the insurance fund out of remaining equity"),
    CK("venue", "insurance_fund", "quote", LC_REAL, 1.0e7, 0, 1e300, 0, 0, insurance_fund, 'd',
       "insurance fund at t = 0; covers shortfalls until empty"),
    CK("venue", "uni_mmr", "1", LC_REAL, 1.05, 1, 100, 0, 0, uni_mmr, 'd',
       "portfolio margin (Binance uniMMR): an account is liquidated once its haircut equity "
       "over its maintenance falls to this"),
    CK("venue", "tiers_scale", "1", LC_REAL, 1, 0, 1e3, 1, 0, tiers_scale, 'd',
       "multiplies every tier's maintenance rate (and so its cum) of every market: a whole "
       "table scaled in one key; applied when read, so the resolved scenario shows the scaled "
       "tiers and 1"),
    CK("output", "every", "steps", LC_INT, 1, 1, 1e9, 0, 0, every, 'l',
       "record series every n-th step (liquidation series are summed over the n steps)"),
};
const int lc_n_core_keys = LC_COUNT(lc_core_keys);

enum { TIER_UP_TO, TIER_MMR, TIER_MAX_LEVERAGE, TIER_CUM };
const lc_param lc_tier_params[] = {
    [TIER_UP_TO] = {"up_to", "quote", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
                    "the tier holds notionals up to this (increasing across tiers; the last "
                    "tier's rate applies beyond it)"},
    [TIER_MMR] = {"mmr", "1", LC_REAL, LC_REQUIRED, 0, 1, 1, 1,
                  "maintenance-margin rate: maintenance = mmr x current notional - cum"},
    [TIER_MAX_LEVERAGE] = {"max_leverage", "x", LC_REAL, LC_REQUIRED, 1, 1e4, 0, 0,
                           "largest leverage at opening, for positions whose entry notional is "
                           "in this tier"},
    [TIER_CUM] = {"cum", "quote", LC_REAL, 0, -1e300, 1e300, 0, 0,
                  "maintenance amount; omitted: from continuity (cum_0 = 0, cum_i = cum_i-1 + "
                  "up_to_i-1 x (mmr_i - mmr_i-1)); given: must equal that to the cent"},
};
const int lc_n_tier_params = LC_COUNT(lc_tier_params);

const lc_series_desc lc_series[LC_SERIES_N] = {
    [LC_SERIES_PRICE] = {"price", "quote", "market price P = F x exp(J) at the end of the step", 1},
    [LC_SERIES_FUNDAMENTAL] = {"fundamental", "quote", "exogenous fundamental price F", 1},
    [LC_SERIES_LIQ_LONG] = {"liq_long", "quote", "notional of long liquidations in the step(s)", 1},
    [LC_SERIES_LIQ_SHORT] = {"liq_short", "quote", "notional of short liquidations in the step(s)",
                             1},
    [LC_SERIES_INSURANCE] = {"insurance", "quote", "insurance fund balance (the venue's)", 0},
    [LC_SERIES_OI] = {"oi", "quote", "open interest: (long + short quantity) x price", 1},
    [LC_SERIES_MARK] = {"mark", "quote",
                        "mark price of margin checks after the step's cascade (the market's mark)",
                        1},
};

static const char *const sections[] = {"simulation",  "price",      "impact", "markets",
                                       "correlation", "population", "venue",  "output"};

/* ---- messages ---------------------------------------------------------- */

/* The closest candidate within a few edits, or NULL. */
static const char *closest(const char *name, const char *const *cand, int n)
{
    const char *best = NULL;
    int bd = 99, limit = (int)strlen(name) / 3 + 1;
    if (limit < 2)
        limit = 2;
    for (int i = 0; i < n; i++) {
        int d = lc_edit_distance(name, cand[i]);
        if (d < bd) {
            bd = d;
            best = cand[i];
        }
    }
    return bd <= limit ? best : NULL;
}

static void join(char *buf, size_t size, const char *const *names, int n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
}

/* Report every key of map that nothing read, suggesting close names. */
static void reject_unused(lc_node *map, const char *where, const char *const *cand, int n,
                          lc_error *err)
{
    if (!map || map->kind != LC_NODE_MAP)
        return;
    for (int i = 0; i < map->n; i++) {
        if (map->used[i])
            continue;
        char key[256], known[512];
        snprintf(key, sizeof key, "%s%s%s", where, *where ? "." : "", map->keys[i]);
        const char *near = closest(map->keys[i], cand, n);
        join(known, sizeof known, cand, n);
        /* a key added by --set has no line; its value names the override */
        const char *src = map->vals[i] ? map->vals[i]->src : map->src;
        int line = map->key_lines[i] > 0 ? map->key_lines[i] : 0;
        if (near)
            lc_error_at(err, src, line, key, "unknown key (did you mean '%s'?)", near);
        else
            lc_error_at(err, src, line, key, "unknown key (known here: %s)", known);
    }
}

/* ---- values ------------------------------------------------------------ */

static int parse_number(const char *s, double *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    if (errno == ERANGE) /* finite: below the smallest normal double */
        return -2;
    *out = v;
    return 0;
}

/* *out is written only when the number is good: a caller that reads several
 * keys and reports every error never sees a value outside its bounds. */
static int check_scalar_number(const lc_node *v, const char *key, const lc_param *p, double *out,
                               lc_error *err);
static int read_scalar_number(const lc_node *v, const char *key, const lc_param *p, double *out,
                              lc_error *err)
{
    double x = 0;
    int rc = check_scalar_number(v, key, p, &x, err);
    if (rc == 0)
        *out = x;
    return rc;
}

static int check_scalar_number(const lc_node *v, const char *key, const lc_param *p, double *out,
                               lc_error *err)
{
    char range[96];
    lc_param_range_text(p, range, sizeof range);
    int parsed = v->kind == LC_NODE_SCALAR && v->plain ? parse_number(v->text, out) : -1;
    if (parsed == -2)
        return lc_error_at(err, v->src, v->line, key,
                           "%s is below 2.2e-308 in size, the smallest normal double: it would "
                           "lose its digits; give 0 or a larger number",
                           v->text);
    if (parsed)
        return lc_error_at(err, v->src, v->line, key, "must be a %s %s (got %s%s%s)",
                           p->kind == LC_INT ? "whole number" : "number", range,
                           v->kind == LC_NODE_SCALAR ? "'" : "",
                           v->kind == LC_NODE_SCALAR ? v->text
                           : v->kind == LC_NODE_MAP  ? "a map"
                                                     : "a list",
                           v->kind == LC_NODE_SCALAR ? "'" : "");
    /* A whole number is what the text says, exactly: read again in long
     * double (64 bits of mantissa here), the text must be the double it
     * gave, whole. So 2^53 + 1 in any spelling (9007199254740993.0,
     * 9.007199254740993e15, 0x20000000000001), which a double rounds to
     * 2^53, is refused rather than silently another seed; so is
     * 9007199254740992.5, which rounds to a whole double. */
    if (p->kind == LC_INT) {
        long double exact = strtold(v->text, NULL);
        if (exact != (long double)*out && fabsl(exact) > 9007199254740992.0L)
            return lc_error_at(err, v->src, v->line, key,
                               "must be a whole number of at most 2^53 = 9007199254740992, which "
                               "a double holds exactly (got %s)",
                               v->text);
        if (exact != (long double)*out || *out != floor(*out))
            return lc_error_at(err, v->src, v->line, key, "must be a whole number (got %s)",
                               v->text);
    }
    if (!lc_param_in_range(p, *out)) { /* name the bound it broke */
        int low = p->min_open ? !(*out > p->min) : !(*out >= p->min);
        lc_param one = *p;
        if (low)
            one.max = INFINITY;
        else
            one.min = -INFINITY;
        lc_param_range_text(&one, range, sizeof range);
        return lc_error_at(err, v->src, v->line, key, "must be %s (got %s)", range, v->text);
    }
    return 0;
}

/* Read parameter p of map (which may be NULL: everything defaults) into *out
 * or *list. at is where a missing required key is reported. */
static int read_param(lc_node *map, const lc_node *at, const char *where, const lc_param *p,
                      double *out, lc_list *list, lc_error *err)
{
    char key[256];
    snprintf(key, sizeof key, "%s.%s", where, p->name);
    lc_node *v = map ? lc_node_get(map, p->name) : NULL;
    if (!v) {
        if (isnan(p->def))
            return lc_error_at(err, at ? at->src : NULL, at ? at->line : 0, key, "required (%s)",
                               p->doc);
        if (p->kind == LC_LIST)
            list->n = 0;
        else
            *out = p->def;
        return 0;
    }
    if (p->kind != LC_LIST)
        return read_scalar_number(v, key, p, out, err);
    if (v->kind == LC_NODE_SCALAR) { /* "values: 10" is the list [10] */
        lc_param item = *p;
        item.kind = LC_REAL;
        list->n = 1;
        return read_scalar_number(v, key, &item, &list->v[0], err);
    }
    if (v->kind != LC_NODE_SEQ || v->n == 0 || v->n > LC_LIST_MAX)
        return lc_error_at(err, v->src, v->line, key, "must be a list of 1 to %d numbers",
                           LC_LIST_MAX);
    int rc = 0;
    lc_param item = *p;
    item.kind = LC_REAL;
    list->n = v->n;
    for (int i = 0; i < v->n; i++) {
        char ik[300];
        snprintf(ik, sizeof ik, "%s[%d]", key, i);
        rc |= read_scalar_number(v->vals[i], ik, &item, &list->v[i], err);
    }
    return rc;
}

static void store_core(lc_scenario *sc, const lc_core_key *k, double v)
{
    char *base = (char *)sc + k->offset;
    if (k->ctype == 'l')
        *(long *)(void *)base = (long)v;
    else if (k->ctype == 'u')
        *(uint64_t *)(void *)base = (uint64_t)v;
    else
        *(double *)(void *)base = v;
}

static double load_core(const lc_scenario *sc, const lc_core_key *k)
{
    const char *base = (const char *)sc + k->offset;
    if (k->ctype == 'l')
        return (double)*(const long *)(const void *)base;
    if (k->ctype == 'u')
        return (double)*(const uint64_t *)(const void *)base;
    return *(const double *)(const void *)base;
}

/* The section map under key of parent, or NULL; anything else is an error. */
static lc_node *section_map(lc_node *parent, const char *key, const char *where, lc_error *err)
{
    lc_node *n = parent ? lc_node_get(parent, key) : NULL;
    if (n && n->kind != LC_NODE_MAP) {
        lc_error_at(err, n->src, n->line, where, "must be a map of keys (got %s)",
                    n->kind == LC_NODE_SEQ ? "a list" : "a single value");
        return NULL;
    }
    return n;
}

/* Core keys of one section; appends their names to cand. */
static int read_core(lc_scenario *sc, lc_node *map, const lc_node *at, const char *section,
                     const char **cand, int *ncand, lc_error *err)
{
    int rc = 0;
    for (int i = 0; i < lc_n_core_keys; i++) {
        const lc_core_key *k = &lc_core_keys[i];
        if (strcmp(k->section, section) != 0)
            continue;
        double v = 0;
        if (read_param(map, at, section, &k->p, &v, NULL, err) == 0)
            store_core(sc, k, v);
        else
            rc = -1;
        cand[(*ncand)++] = k->p.name;
    }
    return rc;
}

static int read_family(lc_node *map, const lc_node *at, const lc_family *f, const char *where,
                       lc_choice *c, double *common, lc_error *err);

/* ---- price: path parameters, the shock overlay, prepare() ---------------- */

/* A file path written at node v into *out (malloc'd, absolute): a relative
 * path is taken against the folder of the file it was written in, or the
 * working directory for a --set override (which has no line). An existing
 * file's path is normalised (realpath), so the resolved scenario, printed or
 * kept in a result file, names the same file from any folder. */
static int resolve_path(const lc_node *v, const char *key, char **out, lc_error *err)
{
    free(*out);
    *out = NULL;
    if (v->kind != LC_NODE_SCALAR || !*v->text)
        return lc_error_at(err, v->src, v->line, key, "must be a file path");
    const char *slash = v->line > 0 && v->src ? strrchr(v->src, '/') : NULL;
    size_t dir = v->text[0] == '/' ? 0 : slash ? (size_t)(slash - v->src) + 1 : 0;
    char cwd[4096] = "";
    int need_cwd = v->text[0] != '/' && !(dir && v->src[0] == '/');
    if (need_cwd && !getcwd(cwd, sizeof cwd - 1))
        return lc_error_at(err, v->src, v->line, key, "cannot resolve a relative path: %s",
                           strerror(errno));
    if (need_cwd)
        strcat(cwd, "/");
    size_t ncwd = strlen(cwd);
    *out = malloc(ncwd + dir + strlen(v->text) + 1);
    if (!*out)
        return lc_error_add(err, "out of memory");
    memcpy(*out, cwd, ncwd);
    memcpy(*out + ncwd, v->src, dir);
    strcpy(*out + ncwd + dir, v->text);
    char *abs = realpath(*out, NULL); /* a missing file keeps its name for the loader's error */
    if (abs) {
        free(*out);
        *out = abs;
    }
    return 0;
}

/* An LC_PATH parameter into *out (see resolve_path). */
static int read_path_param(lc_node *map, const lc_node *at, const char *where, const lc_param *p,
                           char **out, lc_error *err)
{
    char key[256];
    snprintf(key, sizeof key, "%s.%s", where, p->name);
    lc_node *v = map ? lc_node_get(map, p->name) : NULL;
    if (!v) {
        free(*out);
        *out = NULL;
        return lc_error_at(err, at ? at->src : NULL, at ? at->line : 0, key, "required (%s)",
                           p->doc);
    }
    return resolve_path(v, key, out, err);
}

/* price.shock: absent (no overlay) or a family section chosen by shape;
 * where is the price section's key. */
static int read_price_shock(lc_market_spec *ms, lc_node *price, const char *where, lc_error *err)
{
    char key[96];
    snprintf(key, sizeof key, "%s.shock", where);
    ms->shock.desc = NULL;
    lc_node *m = section_map(price, "shock", key, err);
    if (!m)
        return price && lc_node_get(price, "shock") ? -1 : 0;
    return read_family(m, m, &lc_shock_family, key, &ms->shock, ms->shock_common, err);
}

/* Where a price parameter was written, for prepare()'s messages. */
typedef struct price_where {
    lc_node *map; /* the price section, or NULL */
    const lc_desc *desc;
    const char *path; /* the scenario file */
} price_where;

static void locate_price_param(const void *ctx, int param, int item, const char **src, int *line)
{
    const price_where *w = ctx;
    lc_node *v = w->map ? lc_node_get(w->map, w->desc->params[param].name) : NULL;
    if (v && item >= 0 && v->kind == LC_NODE_SEQ && item < v->n)
        v = v->vals[item];
    const lc_node *at = v ? v : w->map;
    *src = at ? at->src : w->path;
    *line = at ? at->line : 0;
}

/* Run a market's price model's prepare() once the clock (dt, steps) is
 * known; where is its price section's key. */
static int prepare_price(const lc_scenario *sc, lc_market_spec *ms, lc_node *price,
                         const char *where, lc_error *err)
{
    const lc_price_model *pm = lc_price_model_of(ms->price.desc);
    if (!pm->prepare)
        return 0;
    price_where w = {price, ms->price.desc, sc->path};
    lc_price_setup su = {&ms->price, where,     ms->price_common[LC_PRICE_S0],
                         sc->dt_s,   sc->steps, locate_price_param,
                         &w};
    return pm->prepare(&su, &ms->price_data, err);
}

/* A family section: selector picks a member; its params and the family's
 * common params are read; the member's cross-check runs. where is the
 * section's key in messages (f->section, or e.g. "markets[1].price"). */
static int read_family(lc_node *map, const lc_node *at, const lc_family *f, const char *where,
                       lc_choice *c, double *common, lc_error *err)
{
    const char *cand[LC_MAX_PARAMS * 2 + 1];
    int ncand = 0, rc = 0;
    cand[ncand++] = f->selector;
    c->desc = f->members[0];
    lc_node *sel = map ? lc_node_get(map, f->selector) : NULL;
    if (sel) {
        char key[256];
        snprintf(key, sizeof key, "%s.%s", where, f->selector);
        const lc_desc *d = sel->kind == LC_NODE_SCALAR ? lc_family_find(f, sel->text) : NULL;
        if (!d) {
            const char *names[32];
            char list[512];
            for (int i = 0; i < f->nmembers && i < 32; i++)
                names[i] = f->members[i]->name;
            join(list, sizeof list, names, f->nmembers);
            const char *near =
                sel->kind == LC_NODE_SCALAR ? closest(sel->text, names, f->nmembers) : NULL;
            lc_error_at(err, sel->src, sel->line, key, "unknown %s '%s'%s%s%s (one of: %s)",
                        f->selector, sel->kind == LC_NODE_SCALAR ? sel->text : "?",
                        near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "", list);
            return -1; /* its parameters cannot be checked without knowing it */
        }
        c->desc = d;
    }
    for (int i = 0; i < c->desc->nparams; i++) {
        if (c->desc->params[i].kind == LC_PATH)
            rc |= read_path_param(map, map ? map : at, where, &c->desc->params[i], &c->path, err);
        else
            rc |= read_param(map, map ? map : at, where, &c->desc->params[i], &c->p[i], &c->list[i],
                             err);
        cand[ncand++] = c->desc->params[i].name;
    }
    for (int i = 0; i < f->ncommon; i++) {
        rc |= read_param(map, map ? map : at, where, &f->common[i], &common[i], NULL, err);
        cand[ncand++] = f->common[i].name;
    }
    reject_unused(map, where, cand, ncand, err);
    if (rc == 0 && c->desc->check) {
        lc_error sub = {0};
        if (c->desc->check(c, where, &sub)) { /* add the section's location */
            const lc_node *loc = map ? map : at;
            char *line = sub.msg;
            for (char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
                *nl = '\0';
                lc_error_at(err, loc ? loc->src : NULL, loc ? loc->line : 0, NULL, "%s", line);
            }
            rc = -1;
        }
    }
    return rc;
}

/* ---- sections ------------------------------------------------------------ */

/* The tiers under parent (venue, or a market's map) into ms; where is their
 * key ("venue.tiers", "markets[1].tiers"). */
static int read_tiers(lc_market_spec *ms, lc_node *parent, const char *where, lc_error *err)
{
    lc_node *t = parent ? lc_node_get(parent, "tiers") : NULL;
    if (!t) { /* one tier for everything */
        ms->ntiers = 1;
        ms->tiers[0] = (lc_tier){1e300, 0.005, 100, 0};
        return 0;
    }
    if (t->kind != LC_NODE_SEQ || t->n < 1 || t->n > LC_MAX_TIERS)
        return lc_error_at(err, t->src, t->line, where,
                           "must be a list of 1 to %d tiers like {up_to: 50000, mmr: 0.004, "
                           "max_leverage: 125}",
                           LC_MAX_TIERS);
    int rc = 0;
    ms->ntiers = t->n;
    for (int i = 0; i < t->n; i++) {
        char at[96];
        snprintf(at, sizeof at, "%s[%d]", where, i);
        lc_node *m = t->vals[i];
        if (m->kind != LC_NODE_MAP) {
            rc = lc_error_at(err, m->src, m->line, at, "must be a map {up_to, mmr, max_leverage}");
            continue;
        }
        double v[4];
        const char *cand[4];
        int trc = 0;
        for (int k = 0; k < lc_n_tier_params; k++) {
            trc |= read_param(m, m, at, &lc_tier_params[k], &v[k], NULL, err);
            cand[k] = lc_tier_params[k].name;
        }
        reject_unused(m, at, cand, lc_n_tier_params, err);
        if (trc) {
            rc = -1;
            continue;
        }
        ms->tiers[i] = (lc_tier){v[TIER_UP_TO], v[TIER_MMR], v[TIER_MAX_LEVERAGE], 0};
        if (i > 0 && !(ms->tiers[i].up_to > ms->tiers[i - 1].up_to))
            rc = lc_error_at(err, m->src, m->line, at,
                             "up_to must increase from tier to tier (%g after %g)",
                             ms->tiers[i].up_to, ms->tiers[i - 1].up_to);
        /* at max leverage the initial margin 1/L must exceed the maintenance
         * rate, or a position would open already liquidated */
        if (!(v[TIER_MMR] * v[TIER_MAX_LEVERAGE] < 1))
            rc = lc_error_at(err, m->src, m->line, at,
                             "mmr x max_leverage must be < 1, or a position at max leverage "
                             "opens already liquidated (got %g x %g)",
                             v[TIER_MMR], v[TIER_MAX_LEVERAGE]);
    }
    if (rc)
        return rc;
    /* maintenance amounts from continuity; a given one must agree (a table
     * transcribed with a typo would otherwise jump at a tier boundary) */
    lc_tiers_fill_cum(ms->tiers, ms->ntiers);
    ms->mmr_max = 0;
    for (int j = 0; j < ms->ntiers; j++)
        if (ms->tiers[j].mmr > ms->mmr_max)
            ms->mmr_max = ms->tiers[j].mmr;
    for (int i = 0; i < t->n; i++) {
        lc_node *c = lc_node_get(t->vals[i], "cum");
        double want = ms->tiers[i].cum, got = c ? strtod(c->text, NULL) : want;
        if (fabs(got - want) > fmax(0.005, 1e-12 * fabs(want))) {
            char key[128];
            snprintf(key, sizeof key, "%s[%d].cum", where, i);
            if (i == 0)
                rc =
                    lc_error_at(err, c->src, c->line, key,
                                "must be 0: the first tier starts at notional 0 (got %s)", c->text);
            else
                rc = lc_error_at(err, c->src, c->line, key,
                                 "must be %.10g for maintenance to be continuous at notional %g "
                                 "(cum_%d + up_to_%d x (mmr_%d - mmr_%d)); got %s",
                                 want, ms->tiers[i - 1].up_to, i - 1, i - 1, i, i - 1, c->text);
        }
    }
    return rc;
}

static int read_series(lc_scenario *sc, lc_node *out, lc_error *err)
{
    lc_node *s = out ? lc_node_get(out, "series") : NULL;
    sc->series_mask = (1u << LC_SERIES_N) - 1;
    if (!s)
        return 0;
    const char *names[LC_SERIES_N];
    char known[256];
    for (int i = 0; i < LC_SERIES_N; i++)
        names[i] = lc_series[i].name;
    join(known, sizeof known, names, LC_SERIES_N);
    if (s->kind != LC_NODE_SEQ)
        return lc_error_at(err, s->src, s->line, "output.series",
                           "must be a list of series names, e.g. [price, liq_long] (from: %s)",
                           known);
    sc->series_mask = 0;
    int rc = 0;
    for (int i = 0; i < s->n; i++) {
        const lc_node *v = s->vals[i];
        int id = -1;
        for (int k = 0; v->kind == LC_NODE_SCALAR && k < LC_SERIES_N; k++)
            if (strcmp(v->text, names[k]) == 0)
                id = k;
        if (id < 0) {
            const char *near =
                v->kind == LC_NODE_SCALAR ? closest(v->text, names, LC_SERIES_N) : NULL;
            rc = lc_error_at(
                err, v->src, v->line, "output.series", "unknown series '%s'%s%s%s (from: %s)",
                v->kind == LC_NODE_SCALAR ? v->text : "?", near ? " (did you mean '" : "",
                near ? near : "", near ? "'?)" : "", known);
            continue;
        }
        sc->series_mask |= 1u << id;
    }
    return rc;
}

/* What weights summing to `sum` are divided by to become shares: sum, or 1
 * when they sum to 1 within rounding already (a resolved scenario's), so that
 * resolving a resolved scenario gives the same text. */
static double share_divisor(double sum)
{
    return fabs(sum - 1) > 1e-12 ? sum : 1.0;
}

/* population.markets: the share of drawn accounts trading each market, a
 * map of market name to weight (normalised to sum 1); absent: equal shares.
 * A positions file names each account's market in its market column. */
static int read_market_weights(lc_scenario *sc, lc_node *pop, lc_error *err)
{
    lc_node *w = pop ? lc_node_get(pop, "markets") : NULL;
    for (int k = 0; k < sc->nmarkets; k++)
        sc->market[k].weight = w ? 0.0 : 1.0 / sc->nmarkets;
    if (!w)
        return 0;
    if (sc->positions_file)
        return lc_error_at(err, w->src, w->line, "population.markets",
                           "cannot be given with 'file': its market column says");
    if (w->kind != LC_NODE_MAP || w->n == 0)
        return lc_error_at(err, w->src, w->line, "population.markets",
                           "must be a map of market name to weight, e.g. {BTC: 0.6, ETH: 0.4}");
    static const lc_param weight = {"weight", "1", LC_REAL, 0, 0, 1e300, 0, 0, "a share"};
    int rc = 0;
    double sum = 0;
    for (int i = 0; i < w->n; i++) {
        char key[96];
        snprintf(key, sizeof key, "population.markets.%s", w->keys[i]);
        w->used[i] = 1;
        int k = lc_scenario_market_find(sc, w->keys[i]);
        double v = 0;
        if (k < 0) {
            const char *names[LC_MAX_MARKETS];
            char known[LC_MAX_MARKETS * LC_MARKET_NAME_MAX];
            for (int j = 0; j < sc->nmarkets; j++)
                names[j] = sc->market[j].name;
            join(known, sizeof known, names, sc->nmarkets);
            const char *near = closest(w->keys[i], names, sc->nmarkets);
            if (near)
                rc = lc_error_at(err, w->vals[i]->src, w->key_lines[i], key,
                                 "no market of that name in markets: (did you mean '%s'?)", near);
            else
                rc = lc_error_at(err, w->vals[i]->src, w->key_lines[i], key,
                                 "no market of that name in markets: (known: %s)", known);
        } else if (read_scalar_number(w->vals[i], key, &weight, &v, err) == 0)
            sc->market[k].weight = v;
        else
            rc = -1;
        sum += v;
    }
    if (rc == 0 && !(sum > 0))
        rc = lc_error_at(err, w->src, w->line, "population.markets", "weights must not all be 0");
    for (int k = 0; rc == 0 && k < sc->nmarkets; k++)
        sc->market[k].weight /= share_divisor(sum);
    return rc;
}

const char *const lc_margin_kinds[LC_MARGIN_NKINDS] = {"isolated", "cross", "portfolio", "cdp"};
const char *const lc_lending_protocols[LC_LENDING_N] = {"none", "aave", "compound", "maker",
                                                        "liquity"};

enum { KIND_WEIGHT, KIND_POS_MIN, KIND_POS_MAX };
const lc_param lc_kind_params[] = {
    [KIND_WEIGHT] = {"weight", "1", LC_REAL, 1, 0, 1e300, 0, 0,
                     "share of drawn accounts of this kind (normalised over the kinds given)"},
    [KIND_POS_MIN] = {"positions_min", "positions", LC_INT, 1, 1, LC_MAX_MARKETS, 0, 0,
                      "fewest positions an account of this kind holds, each in another market"},
    [KIND_POS_MAX] = {"positions_max", "positions", LC_INT, 0, 0, LC_MAX_MARKETS, 0, 0,
                      "most positions, uniform between min and max (0: positions_min)"},
};
const int lc_n_kind_params = LC_COUNT(lc_kind_params);
const lc_param lc_collateral_rate_param = {
    "collateral_rate",
    "1",
    LC_REAL,
    1,
    0,
    1,
    0,
    0,
    "what a unit of this market's asset counts for as collateral, as a fraction of its mark "
    "(1 − haircut)"};
enum { LENDING_LT, LENDING_LTV, LENDING_BONUS };
const lc_param lc_lending_params[] = {
    [LENDING_LT] = {"lt", "1", LC_REAL, 0, 0, 1, 0, 0,
                    "liquidation threshold: a unit held by a CDP counts lt x mark toward its "
                    "health factor (Aave LT, Compound III liquidateCollateralFactor; 0: not "
                    "accepted as collateral)"},
    [LENDING_LTV] = {"ltv", "1", LC_REAL, 0, 0, 1, 0, 0,
                     "borrowing limit of drawn CDPs per unit of collateral value (<= lt; 0: "
                     "lt, and a drawn CDP breached at s0 is drawn again)"},
    [LENDING_BONUS] = {"bonus", "1", LC_REAL, 0.05, 0, 1, 0, 0,
                       "liquidation bonus: Aave seizes repaid x (1 + bonus) of it; Compound III "
                       "credits its value x (1 - bonus), bonus = 1 - liquidationFactor"},
};
const int lc_n_lending_params = LC_COUNT(lc_lending_params);

/* The values of a lending map read (lc_lending_params' order) into lt, ltv
 * and bonus: ltv 0 is lt, and an ltv above lt is an error at the map's
 * ltv key (where). Returns 0 or -1. */
static int lending_values(const lc_node *map, const char *where, const double *v, double *lt,
                          double *ltv, double *bonus, lc_error *err)
{
    *lt = v[LENDING_LT];
    *ltv = v[LENDING_LTV] > 0 ? v[LENDING_LTV] : v[LENDING_LT];
    *bonus = v[LENDING_BONUS];
    if (map && v[LENDING_LTV] > v[LENDING_LT])
        return lc_error_at(err, map->src, lc_node_key_line(map, "ltv"), where,
                           "ltv (%g) is above lt (%g): a CDP could borrow itself into "
                           "liquidation",
                           v[LENDING_LTV], v[LENDING_LT]);
    return 0;
}

/* markets[k].lending.emode (the keys of lending): the asset in Aave's
 * efficiency-mode category, with the category's lt, ltv and bonus. One
 * category per scenario: every market in it gives the same three (checked
 * by read_markets as it reads them). */
static int read_emode(lc_market_spec *ms, lc_node *lending, double bonus, const char *where,
                      lc_error *err)
{
    char key[160];
    snprintf(key, sizeof key, "%s.emode", where);
    ms->emode_lt = ms->emode_ltv = ms->emode_bonus = 0;
    lc_node *em = section_map(lending, "emode", key, err);
    if (!em) /* absent, or not a map (reported) */
        return lending && lc_node_get(lending, "emode") ? -1 : 0;
    double v[LC_COUNT(lc_lending_params)] = {0};
    const char *cand[LC_COUNT(lc_lending_params)];
    int rc = 0;
    for (int i = 0; i < lc_n_lending_params; i++) {
        rc |= read_param(em, lending, key, &lc_lending_params[i], &v[i], NULL, err);
        cand[i] = lc_lending_params[i].name;
    }
    reject_unused(em, key, cand, lc_n_lending_params, err);
    if (rc)
        return rc;
    if (!(v[LENDING_LT] > 0))
        return lc_error_at(err, em->src, em->line, key,
                           "an asset in the eMode category needs lt > 0 (its liquidation "
                           "threshold there)");
    if (!lc_node_get(em, "bonus")) /* the category's bonus, or else the asset's own */
        v[LENDING_BONUS] = bonus;
    if (lending_values(em, key, v, &ms->emode_lt, &ms->emode_ltv, &ms->emode_bonus, err)) {
        ms->emode_lt = ms->emode_ltv = ms->emode_bonus = 0;
        return -1;
    }
    return 0;
}

/* The asset named by text: a market's index, LC_QUOTE for "quote", or -2. */
static int asset_named(const lc_scenario *sc, const char *text)
{
    return strcmp(text, "quote") == 0              ? LC_QUOTE
           : lc_scenario_market_find(sc, text) < 0 ? -2
                                                   : lc_scenario_market_find(sc, text);
}

/* population.kinds.cdp.debt: the asset a CDP borrows ('quote' or a market's
 * name; quote when absent), or a map of asset to share of the CDPs. */
static int read_debt(const lc_scenario *sc, lc_account_kind *ak, lc_node *debt, const char *where,
                     lc_error *err)
{
    for (int a = 0; a <= LC_MAX_MARKETS; a++)
        ak->debt_share[a] = 0;
    ak->debt = LC_QUOTE;
    ak->debt_share[0] = 1;
    if (!debt)
        return 0;
    char key[160];
    snprintf(key, sizeof key, "%s.debt", where);
    if (debt->kind == LC_NODE_SCALAR) {
        int a = asset_named(sc, debt->text);
        if (a == -2)
            return lc_error_at(err, debt->src, debt->line, key,
                               "must be 'quote', a market's name, or a map of them to shares "
                               "(got '%s')",
                               debt->text);
        ak->debt_share[0] = 0;
        ak->debt_share[a + 1] = 1;
        ak->debt = a;
        return 0;
    }
    if (debt->kind != LC_NODE_MAP || debt->n == 0)
        return lc_error_at(err, debt->src, debt->line, key,
                           "must be 'quote', a market's name, or a map of them to shares");
    static const lc_param sh = {"share", "1", LC_REAL, 0, 0, 1e300, 0, 0, "a share"};
    double sum = 0;
    int rc = 0;
    ak->debt_share[0] = 0;
    for (int j = 0; j < debt->n; j++) {
        char kj[200];
        snprintf(kj, sizeof kj, "%s.%s", key, debt->keys[j]);
        debt->used[j] = 1;
        int a = asset_named(sc, debt->keys[j]);
        double x = 0;
        if (a == -2)
            rc = lc_error_at(err, debt->vals[j]->src, debt->key_lines[j], kj,
                             "no market of that name (or 'quote')");
        else if (read_scalar_number(debt->vals[j], kj, &sh, &x, err))
            rc = -1;
        else
            ak->debt_share[a + 1] = x;
        sum += x;
    }
    if (rc == 0 && !(sum > 0))
        return lc_error_at(err, debt->src, debt->line, key, "shares must not all be 0");
    for (int a = 0; rc == 0 && a <= LC_MAX_MARKETS; a++)
        ak->debt_share[a] /= sum;
    ak->debt = -2; /* drawn per account */
    for (int a = 0; rc == 0 && a <= LC_MAX_MARKETS; a++)
        if (ak->debt_share[a] == 1)
            ak->debt = a - 1; /* one asset after all */
    return rc;
}

/* population.kinds.cdp.emode: the share of drawn CDPs in the eMode
 * category. Aave lets a position enter a category only when everything it
 * borrows is borrowable there: here, its debt asset must be quote or in the
 * category (venue.lending must be aave: read_venue). */
static int read_kind_emode(const lc_scenario *sc, lc_account_kind *ak, lc_node *k,
                           const char *where, lc_error *err)
{
    static const lc_param ep = {
        "emode", "1", LC_REAL, 0, 0, 1, 0, 0, "share of drawn CDPs in the eMode category"};
    ak->emode = 0;
    int rc = read_param(k, k, where, &ep, &ak->emode, NULL, err);
    if (rc || !(ak->emode > 0))
        return rc;
    char key[160];
    snprintf(key, sizeof key, "%s.emode", where);
    int line = lc_node_key_line(k, "emode"), any = 0;
    for (int a = 0; a < sc->nmarkets; a++)
        any |= sc->market[a].emode_lt > 0;
    if (!any && err->len) /* a market's emode was given but refused: said already */
        return -1;
    if (!any)
        return lc_error_at(err, k->src, line, key,
                           "no market is in the eMode category: give markets[k].lending.emode "
                           "{lt, ltv, bonus} for its assets");
    for (int a = 0; a <= sc->nmarkets; a++) { /* a − 1: LC_QUOTE, then the markets */
        int owed = ak->debt == -2 ? ak->debt_share[a] > 0 : ak->debt == a - 1;
        if (owed && a > 0 && !(sc->market[a - 1].emode_lt > 0))
            return lc_error_at(err, k->src, line, key,
                               "a CDP in eMode borrows only what the category holds: its debt "
                               "%s has no markets[%d].lending.emode",
                               sc->market[a - 1].name, a - 1);
    }
    return 0;
}

/* population.kinds: a map of margin model to {weight, positions_min,
 * positions_max, collateral: {market: share}} (DESIGN §13). Absent: every
 * account is isolated. An isolated kind holds one position and quote. */
static int read_kinds(lc_scenario *sc, lc_node *pop, lc_error *err)
{
    lc_node *kinds = pop ? lc_node_get(pop, "kinds") : NULL;
    sc->nkinds = 0;
    if (!kinds)
        return 0;
    if (kinds->kind != LC_NODE_MAP || kinds->n == 0)
        return lc_error_at(err, kinds->src, kinds->line, "population.kinds",
                           "must be a map of margin model to its share, e.g. {isolated: "
                           "{weight: 0.7}, cross: {weight: 0.3, positions_min: 2}}");
    if (sc->positions_file)
        return lc_error_at(err, kinds->src, kinds->line, "population.kinds",
                           "cannot be given with 'file': the file says each account's margin");
    int rc = 0;
    double sum = 0;
    for (int i = 0; i < kinds->n; i++) {
        char where[96];
        snprintf(where, sizeof where, "population.kinds.%s", kinds->keys[i]);
        kinds->used[i] = 1;
        int m = -1;
        for (int j = 0; j < LC_MARGIN_NKINDS; j++)
            if (strcmp(kinds->keys[i], lc_margin_kinds[j]) == 0)
                m = j;
        if (m < 0) {
            char known[96];
            join(known, sizeof known, lc_margin_kinds, LC_MARGIN_NKINDS);
            rc = lc_error_at(err, kinds->vals[i]->src, kinds->key_lines[i], where,
                             "no margin model of that name (known: %s)", known);
            continue;
        }
        lc_node *k = section_map(kinds, kinds->keys[i], where, err);
        if (!k && kinds->vals[i]->kind != LC_NODE_MAP) {
            rc = -1;
            continue;
        }
        lc_account_kind *ak = &sc->kind[m];
        double v[3] = {0}; /* read_param writes only good numbers */
        for (int j = 0; j < 3; j++)
            rc |= read_param(k, kinds->vals[i], where, &lc_kind_params[j], &v[j], NULL, err);
        if (m == LC_MARGIN_CDP) { /* a lending position holds no perpetual */
            static const char *const pk[] = {"positions_min", "positions_max"};
            for (int j = 0; j < 2; j++)
                if (k && lc_node_get(k, pk[j]))
                    rc = lc_error_at(err, k->src, lc_node_key_line(k, pk[j]), where,
                                     "a cdp account holds collateral and a debt, no positions "
                                     "('%s' does not apply)",
                                     pk[j]);
            v[KIND_POS_MIN] = v[KIND_POS_MAX] = 0;
        }
        if (rc == 0 && v[KIND_POS_MAX] == 0)
            v[KIND_POS_MAX] = v[KIND_POS_MIN];
        ak->weight = v[KIND_WEIGHT];
        ak->positions_min = (long)v[KIND_POS_MIN];
        ak->positions_max = (long)v[KIND_POS_MAX];
        sum += ak->weight;
        if (rc == 0 && ak->positions_max < ak->positions_min)
            rc = lc_error_at(err, k->src, lc_node_key_line(k, "positions_max"), where,
                             "positions_max (%ld) is below positions_min (%ld)", ak->positions_max,
                             ak->positions_min);
        if (rc == 0 && ak->positions_max > sc->nmarkets)
            rc = lc_error_at(err, k->src, k->line, where,
                             "%ld positions need %ld markets, the scenario has %d (one position "
                             "per market)",
                             ak->positions_max, ak->positions_max, sc->nmarkets);
        lc_node *col = section_map(k, "collateral", where, err);
        double share = 0;
        for (int j = 0; col && j < col->n; j++) {
            char key[160];
            snprintf(key, sizeof key, "%s.collateral.%s", where, col->keys[j]);
            col->used[j] = 1;
            int a = lc_scenario_market_find(sc, col->keys[j]);
            static const lc_param sh = {"share", "1", LC_REAL, 0, 0, 1, 0, 0, "a share"};
            double x = 0;
            if (a < 0)
                rc = lc_error_at(err, col->vals[j]->src, col->key_lines[j], key,
                                 "no market of that name in markets: (collateral assets are "
                                 "markets)");
            else if (read_scalar_number(col->vals[j], key, &sh, &x, err))
                rc = -1;
            else
                ak->collateral[a] = x;
            if (rc == 0 && m == LC_MARGIN_CDP && x > 0 && !(sc->market[a].lt > 0))
                rc = lc_error_at(err, col->vals[j]->src, col->key_lines[j], key,
                                 "a CDP's collateral needs markets[%d].lending.lt > 0 (%s is not "
                                 "accepted as collateral)",
                                 a, sc->market[a].name);
            share += x;
        }
        if (rc == 0 && m == LC_MARGIN_CDP && fabs(share - 1) > 1e-12 &&
            fabs(share - 1) <= 1e-5) { /* rounded shares (three of 0.333333): made whole */
            for (int a = 0; a < sc->nmarkets; a++)
                ak->collateral[a] /= share;
            share = 1;
        }
        if (rc == 0 && share > 1 + 1e-12)
            rc = lc_error_at(err, col ? col->src : k->src, col ? col->line : k->line, where,
                             "collateral shares sum to %g, above 1 (the rest is quote)", share);
        if (rc == 0 && m == LC_MARGIN_CDP && !(fabs(share - 1) <= 1e-12))
            rc = lc_error_at(err, col ? col->src : k->src, col ? col->line : k->line, where,
                             "a cdp account's collateral shares must sum to 1 (got %g): its "
                             "collateral is markets' assets, its debt the 'debt' asset",
                             share);
        rc |=
            read_debt(sc, ak, m == LC_MARGIN_CDP && k ? lc_node_get(k, "debt") : NULL, where, err);
        if (m == LC_MARGIN_CDP)
            rc |= read_kind_emode(sc, ak, k, where, err);
        if (rc == 0 && m == LC_MARGIN_ISOLATED && (share > 0 || ak->positions_max > 1))
            rc = lc_error_at(err, k->src, k->line, where,
                             "an isolated account holds one position and quote collateral");
        /* its own notional and leverage distributions, if given */
        const lc_family *fam[2] = {&lc_notional_family, &lc_leverage_family};
        lc_choice *ch[2] = {&ak->notional, &ak->leverage};
        for (int j = 0; j < 2; j++) {
            const char *leaf = strchr(fam[j]->section, '.') + 1;
            char key[128];
            snprintf(key, sizeof key, "%s.%s", where, leaf);
            lc_node *d = section_map(k, leaf, key, err);
            if (d)
                rc |= read_family(d, k, fam[j], key, ch[j], NULL, err);
        }
        static const char *const cand[] = {"weight",     "positions_min", "positions_max",
                                           "collateral", "notional",      "leverage",
                                           "debt",       "emode"};
        reject_unused(k, where, cand, LC_COUNT(cand) - 2 * (m != LC_MARGIN_CDP), err);
    }
    if (rc == 0 && !(sum > 0))
        rc = lc_error_at(err, kinds->src, kinds->line, "population.kinds",
                         "weights must not all be 0");
    for (int m = 0; rc == 0 && m < LC_MARGIN_NKINDS; m++)
        sc->kind[m].weight /= share_divisor(sum);
    if (rc == 0)
        sc->nkinds = LC_MARGIN_NKINDS;
    return rc;
}

static int read_population(lc_scenario *sc, lc_node *root, lc_error *err)
{
    lc_node *pop = section_map(root, "population", "population", err);
    const char *cand[16] = {"file", "notional", "leverage", "entry"};
    int ncand = 4, rc = 0;
    lc_node *file = pop ? lc_node_get(pop, "file") : NULL;
    if (!file) {
        rc |= read_core(sc, pop, root, "population", cand, &ncand, err);
    } else {
        rc |= resolve_path(file, "population.file", &sc->positions_file, err);
        static const char *const drawn[] = {"accounts", "long_fraction", "notional",
                                            "leverage", "entry",         "warmup"};
        for (int i = 0; i < LC_COUNT(drawn); i++) {
            int line = lc_node_key_line(pop, drawn[i]);
            if (line && lc_node_get(pop, drawn[i]))
                rc = lc_error_at(err, pop->src, line > 0 ? line : 0, "population",
                                 "'%s' cannot be given with 'file': the file lists the accounts",
                                 drawn[i]);
        }
        sc->accounts = 0;
        sc->long_fraction = 0;
    }
    /* The draw distributions matter only when accounts are drawn; they are
     * checked whenever given, and required only then. */
    const lc_family *fam[3] = {&lc_notional_family, &lc_leverage_family, &lc_entry_family};
    lc_choice *ch[3] = {&sc->notional, &sc->leverage, &sc->entry};
    for (int i = 0; i < 3; i++) {
        const char *leaf = strchr(fam[i]->section, '.') + 1;
        lc_node *m = section_map(pop, leaf, fam[i]->section, err);
        int needed = sc->accounts > 0 && !file;
        if (m || needed || i == 2) /* entry has full defaults */
            rc |= read_family(m, pop ? pop : root, fam[i], fam[i]->section, ch[i], NULL, err);
        else
            ch[i]->desc = NULL;
    }
    rc |= read_market_weights(sc, pop, err);
    rc |= read_kinds(sc, pop, err);
    for (int k = 0; sc->warmup > 0 && k < sc->nmarkets; k++)
        if (sc->market[k].price.desc && strcmp(sc->market[k].price.desc->name, "bridge") == 0) {
            int line = pop ? lc_node_key_line(pop, "warmup") : 0;
            rc |= lc_error_at(err, pop ? pop->src : sc->path, line > 0 ? line : 0,
                              "population.warmup",
                              "the bridge model scripts the path from t = 0 (%s): a warmup has "
                              "no script to follow; use another model or no warmup",
                              sc->market[k].name);
        }
    cand[ncand++] = "markets";
    cand[ncand++] = "kinds";
    reject_unused(pop, "population", cand, ncand, err);
    return rc;
}

/* A key of map whose value is one of names (the first is the default). */
static int read_name(lc_node *map, const char *where, const char *key, const char *const *names,
                     int n, int *out, lc_error *err)
{
    lc_node *v = map ? lc_node_get(map, key) : NULL;
    *out = 0;
    if (!v)
        return 0;
    for (int i = 0; v->kind == LC_NODE_SCALAR && i < n; i++)
        if (strcmp(v->text, names[i]) == 0) {
            *out = i;
            return 0;
        }
    char full[128], known[256];
    snprintf(full, sizeof full, "%s.%s", where, key);
    join(known, sizeof known, names, n);
    const char *near = v->kind == LC_NODE_SCALAR ? closest(v->text, names, n) : NULL;
    return lc_error_at(err, v->src, v->line, full, "must be one of %s (got '%s')%s%s%s", known,
                       v->kind == LC_NODE_SCALAR ? v->text : "?", near ? " (did you mean '" : "",
                       near ? near : "", near ? "'?)" : "");
}

/* Where a rule's key was written (rule.h lc_rule_where): ctx is its map. */
static void locate_rule_key(const void *ctx, const char *key, const char **src, int *line)
{
    lc_node *m = (lc_node *)ctx;
    const lc_node *v = lc_node_get(m, key);
    *src = v ? v->src : m->src;
    *line = v ? v->line : m->line;
}

/* Venue rule k's keys (rule.h): in the venue map itself (section "venue"),
 * whose unknown-key check then knows them through cand, or in a map of its
 * own, checked here. Its cross-key check runs when its keys read cleanly and
 * its section was written. */
static int read_rule(lc_scenario *sc, int k, lc_node *venue, const char **cand, int *ncand, int cap,
                     lc_error *err)
{
    const lc_rule *ru = lc_rules[k];
    lc_rule_setting *set = &sc->rules[k];
    const char *where = ru->section, *keys[LC_RULE_MAX_NAMES + LC_MAX_PARAMS];
    int flat = strcmp(where, "venue") == 0, nkeys = 0, rc = 0;
    lc_node *m = venue;
    if (!flat) {
        const char *sub = where + strlen("venue.");
        m = section_map(venue, sub, where, err);
        if (*ncand < cap)
            cand[(*ncand)++] = sub;
    }
    for (int i = 0; i < ru->nnames; i++) { /* lc_rules_check holds n to the bound */
        const char *names[LC_RULE_MAX_CHOICES];
        for (int j = 0; j < ru->names[i].n; j++)
            names[j] = ru->names[i].names[j].name;
        rc |= read_name(m, where, ru->names[i].key, names, ru->names[i].n, &set->name[i], err);
        keys[nkeys++] = ru->names[i].key;
    }
    for (int i = 0; i < ru->d.nparams; i++) {
        rc |= read_param(m, m, where, &ru->d.params[i], &set->p[i], NULL, err);
        keys[nkeys++] = ru->d.params[i].name;
    }
    if (flat)
        for (int i = 0; i < nkeys && *ncand < cap; i++)
            cand[(*ncand)++] = keys[i];
    else
        reject_unused(m, where, keys, nkeys, err);
    if (!rc && m && ru->check)
        rc |= ru->check(set, sc, &(lc_rule_where){locate_rule_key, m}, err);
    return rc;
}

/* venue.tiers_scale: every market's maintenance rates (and so, by
 * continuity, their cum) times the scale; each tier must still open below
 * maintenance at max leverage. The scale is then 1: the tiers are what it
 * made them, as the resolved scenario prints them. */
static int scale_tiers(lc_scenario *sc, lc_node *venue, lc_error *err)
{
    double f = sc->tiers_scale;
    sc->tiers_scale = 1;
    if (f == 1)
        return 0;
    lc_node *key = venue ? lc_node_get(venue, "tiers_scale") : NULL;
    const char *src = key ? key->src : sc->path;
    int line = key ? key->line : 0, rc = 0;
    for (int k = 0; k < sc->nmarkets; k++) {
        lc_market_spec *ms = &sc->market[k];
        ms->mmr_max *= f;
        for (int i = 0; i < ms->ntiers; i++) {
            lc_tier *t = &ms->tiers[i];
            t->mmr *= f;
            t->cum *= f;
            char tier[96];
            if (sc->v1)
                snprintf(tier, sizeof tier, "venue.tiers[%d]", i);
            else
                snprintf(tier, sizeof tier, "markets[%d].tiers[%d] (%s)", k, i, ms->name);
            if (rc == 0 && !(t->mmr * t->max_leverage < 1))
                rc = lc_error_at(err, src, line, "venue.tiers_scale",
                                 "%g makes the mmr of %s %g, and mmr x max_leverage (%g) must be "
                                 "< 1, or a position at max leverage opens already liquidated",
                                 f, tier, t->mmr, t->max_leverage);
        }
    }
    return rc;
}

/* The venue: its keys and rules; in the one-market form also the market's
 * tiers and mark, which a markets: list gives per market. Read after the
 * markets: the rules' checks may read the tiers. */
static int read_venue(lc_scenario *sc, lc_node *root, lc_error *err)
{
    lc_node *venue = section_map(root, "venue", "venue", err);
    const char *cand[64] = {"tiers", "mark"};
    int ncand = 2, rc = 0;
    rc |= read_core(sc, venue, root, "venue", cand, &ncand, err);
    if (sc->v1) {
        rc |= read_tiers(&sc->market[0], venue, "venue.tiers", err);
        lc_node *m = section_map(venue, "mark", "venue.mark", err);
        rc |= read_family(m, venue ? venue : root, &lc_mark_family, "venue.mark",
                          &sc->market[0].mark, NULL, err);
    } else {
        static const char *const per_market[] = {"tiers", "mark"};
        for (int i = 0; i < 2; i++)
            if (venue && lc_node_get(venue, per_market[i]))
                rc = lc_error_at(err, venue->src, lc_node_key_line(venue, per_market[i]),
                                 per_market[i][0] == 't' ? "venue.tiers" : "venue.mark",
                                 "with a markets: list, each market has its own (markets[k].%s)",
                                 per_market[i]);
    }
    int lending = 0;
    rc |= read_name(venue, "venue", "lending", lc_lending_protocols, LC_LENDING_N, &lending, err);
    sc->lending = (lc_lending)lending;
    cand[ncand++] = "lending";
    const lc_account_kind *cdp = &sc->kind[LC_MARGIN_CDP];
    if (rc == 0 && sc->nkinds && cdp->weight > 0 && sc->lending == LC_LENDING_NONE)
        rc = lc_error_at(err, venue ? venue->src : sc->path,
                         venue ? lc_node_key_line(venue, "lending") : 0, "venue.lending",
                         "population.kinds.cdp draws lending CDPs: name the protocol that "
                         "liquidates them (aave, compound, maker or liquity)");
    if (rc == 0 && sc->nkinds && cdp->weight > 0 &&
        (sc->lending == LC_LENDING_MAKER || sc->lending == LC_LENDING_LIQUITY)) {
        int held = 0;
        for (int k = 0; k < sc->nmarkets; k++)
            held += cdp->collateral[k] > 0;
        if (held != 1 || cdp->debt != LC_QUOTE)
            rc = lc_error_at(err, venue ? venue->src : sc->path,
                             venue ? lc_node_key_line(venue, "lending") : 0, "venue.lending",
                             "%s: a %s holds one collateral and owes quote: give "
                             "population.kinds.cdp one collateral market and debt: quote",
                             lc_lending_protocols[sc->lending],
                             sc->lending == LC_LENDING_MAKER ? "vault" : "trove");
    }
    if (rc == 0 && sc->nkinds && cdp->weight > 0 && cdp->emode > 0 &&
        sc->lending != LC_LENDING_AAVE)
        rc = lc_error_at(err, venue ? venue->src : sc->path,
                         venue ? lc_node_key_line(venue, "lending") : 0, "venue.lending",
                         "population.kinds.cdp.emode is Aave's efficiency mode: it needs "
                         "venue.lending: aave (got %s)",
                         lc_lending_protocols[sc->lending]);
    for (int k = 0; rc == 0 && k < sc->nmarkets; k++) {
        const lc_market_spec *ms = &sc->market[k];
        char key[64], ekey[72];
        snprintf(key, sizeof key, "markets[%d].lending", k);
        snprintf(ekey, sizeof ekey, "%s.emode", key);
        if (ms->emode_lt > 0 && sc->lending != LC_LENDING_AAVE)
            rc = lc_error_at(err, sc->path, 0, key,
                             "emode is Aave's efficiency mode: it needs venue.lending: aave (got "
                             "%s)",
                             lc_lending_protocols[sc->lending]);
        /* Aave's PoolConfigurator (configureReserveAsCollateral, and the same
         * for an eMode category): lt·(1 + bonus) <= 1, so that a liquidation
         * never seizes more than the threshold counted */
        for (int e = 0; rc == 0 && sc->lending == LC_LENDING_AAVE && e < 2; e++) {
            double lt = e ? ms->emode_lt : ms->lt, b = e ? ms->emode_bonus : ms->bonus;
            if (lt > 0 && lt * (1 + b) > 1)
                rc = lc_error_at(err, sc->path, 0, e ? ekey : key,
                                 "%s: lt x (1 + bonus) = %g x %g = %g is above 1, which Aave "
                                 "refuses (a liquidation would seize more than the threshold "
                                 "counts)",
                                 ms->name, lt, 1 + b, lt * (1 + b));
        }
    }
    if (rc == 0) /* before the rules, whose checks may read the tiers */
        rc = scale_tiers(sc, venue, err);
    for (int k = 0; k < lc_n_rules; k++)
        rc |= read_rule(sc, k, venue, cand, &ncand, LC_COUNT(cand), err);
    reject_unused(venue, "venue", cand, ncand, err);
    return rc;
}

/* ---- markets ------------------------------------------------------------- */

int lc_scenario_market_find(const lc_scenario *sc, const char *name)
{
    for (int k = 0; k < sc->nmarkets; k++)
        if (strcmp(sc->market[k].name, name) == 0)
            return k;
    return -1;
}

/* A market's price (with its shock) and impact sections; where names the
 * price and impact keys' prefix ("" in the one-market form, "markets[k]."). */
static int read_price_impact(lc_market_spec *ms, lc_node *price, lc_node *impact, const lc_node *at,
                             const char *pre, lc_error *err)
{
    char wp[64], wi[64];
    snprintf(wp, sizeof wp, "%sprice", pre);
    snprintf(wi, sizeof wi, "%simpact", pre);
    int rc = read_price_shock(ms, price, wp, err);
    int prc = read_family(price, at, &lc_price_family, wp, &ms->price, ms->price_common, err);
    double s0 = ms->price_common[LC_PRICE_S0];
    if (prc == 0 && !(s0 >= FLT_MIN && s0 <= FLT_MAX)) { /* /series stores float32 */
        lc_node *v = price ? lc_node_get(price, "s0") : NULL;
        char key[80];
        snprintf(key, sizeof key, "%s.s0", wp);
        prc = lc_error_at(err, v ? v->src : NULL, v ? v->line : 0, key,
                          "must be within 1.2e-38 .. 3.4e38 quote, the range of the float32 "
                          "series (got %g): quote the price in another unit",
                          s0);
    }
    rc |= prc;
    rc |= read_family(impact, at, &lc_impact_family, wi, &ms->impact, ms->impact_common, err);
    return rc;
}

enum { JUMP_MEAN, JUMP_SIGMA };
const lc_param lc_common_jump_params[2] = {
    [JUMP_MEAN] = {"mean", "1", LC_REAL, 0.0, -50, 50, 0, 0,
                   "mean log-size of this market's move at a common jump"},
    [JUMP_SIGMA] = {"sigma", "1", LC_REAL, 0.0, 0, 50, 0, 0, "standard deviation of that log-size"},
};
#define jump_params lc_common_jump_params

enum { CORR_RHO, CORR_NU };
const lc_param lc_correlation_params[] = {
    [CORR_RHO] = {"rho", "1", LC_REAL, 0, -1, 1, 0, 0,
                  "one correlation for every pair of markets (or matrix: a K x K list of rows)"},
    [CORR_NU] = {"nu", "1", LC_REAL, 4, 1, 1e6, 0, 0,
                 "degrees of freedom of the t copula (>= 1: below, its chi-square underflows)"},
};
const int lc_n_correlation_params = LC_COUNT(lc_correlation_params);
const char *const lc_copulas[2] = {"gaussian", "t"};

enum { STRESS_ENTER, STRESS_EXIT, STRESS_START, STRESS_END };
const lc_param lc_stress_params[] = {
    [STRESS_ENTER] = {"enter", "1/yr", LC_REAL, 0, 0, 1e9, 0, 0,
                      "Markov regime: rate of entering stress (with exit)"},
    [STRESS_EXIT] = {"exit", "1/yr", LC_REAL, 0, 0, 1e9, 0, 0, "rate of leaving stress"},
    [STRESS_START] = {"start", "s", LC_REAL, -1, -1, 1e300, 0, 0,
                      "scripted window: stress for steps starting from this time (with end)"},
    [STRESS_END] = {"end", "s", LC_REAL, -1, -1, 1e300, 0, 0, "... until this time"},
};
const int lc_n_stress_params = LC_COUNT(lc_stress_params);
const lc_param lc_common_jumps_rate = {"rate",
                                       "1/yr",
                                       LC_REAL,
                                       0,
                                       0,
                                       1e6,
                                       0,
                                       0,
                                       "rate of jumps every market takes at once (sizes: each "
                                       "market's common_jump)"};

/* A name the HDF5 file and xarray carry as a coordinate, and a part of
 * dotted keys (markets.BTC.price.sigma): letters, digits, _ and -. */
static int good_market_name(const char *s)
{
    if (!*s || strlen(s) >= LC_MARKET_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

/* markets[k].lending.oracle: {market, rate}: the lending protocols price
 * asset k at rate × market's mark (rate 0: s0_k / s0 of that market, the
 * price at t = 0). Aave prices a liquid-staking token so (its
 * CLRatePriceCapAdapter: the token's exchange rate × the underlying's
 * feed), so a depeg of the token's market moves no health factor while the
 * underlying's fall does. */
static int read_oracle(lc_scenario *sc, int k, lc_node *const *oracle, lc_error *err)
{
    lc_node *om = oracle[k];
    char key[160];
    snprintf(key, sizeof key, "markets[%d].lending.oracle", k);
    static const lc_param rate = {"rate",
                                  "1",
                                  LC_REAL,
                                  0,
                                  0,
                                  1e300,
                                  0,
                                  0,
                                  "units of the other market's asset per unit (0: the ratio "
                                  "of the two s0)"};
    static const char *const cand[] = {"market", "rate"};
    lc_market_spec *ms = &sc->market[k];
    const lc_node *name = lc_node_get(om, "market");
    int rc = read_param(om, om, key, &rate, &ms->oracle_rate, NULL, err);
    reject_unused(om, key, cand, 2, err);
    if (!name || name->kind != LC_NODE_SCALAR)
        return lc_error_at(err, om->src, om->line, key,
                           "needs market: the name of the market whose mark, times rate, prices "
                           "%s",
                           ms->name);
    int of = lc_scenario_market_find(sc, name->text);
    if (of < 0 || of == k || oracle[of])
        return lc_error_at(err, name->src, name->line, key,
                           of < 0    ? "no market named '%s' in markets:"
                           : of == k ? "'%s' is this market: its own mark needs no oracle key"
                                     : "'%s' is priced by an oracle itself: give the market "
                                       "whose mark it follows",
                           name->text);
    if (rc)
        return rc;
    ms->oracle_of = of;
    if (!(ms->oracle_rate > 0))
        ms->oracle_rate = lc_scenario_s0(sc, k) / lc_scenario_s0(sc, of);
    return 0;
}

/* markets: a list of {name, price, impact, mark, tiers, common_jump}, or
 * (absent) the one-market form read from the top-level sections. */
static int read_markets(lc_scenario *sc, lc_node *root, lc_error *err)
{
    lc_node *list = root ? lc_node_get(root, "markets") : NULL;
    sc->v1 = !list;
    int n = list ? list->n : 1;
    if (list && (list->kind != LC_NODE_SEQ || n < 1 || n > LC_MAX_MARKETS))
        return lc_error_at(err, list->src, list->line, "markets",
                           "must be a list of 1 to %d markets like {name: BTC, price: {...}, "
                           "impact: {...}}",
                           LC_MAX_MARKETS);
    sc->market = calloc((size_t)n, sizeof *sc->market);
    if (!sc->market)
        return lc_error_add(err, "out of memory");
    sc->nmarkets = n;
    if (!list) {
        lc_market_spec *ms = &sc->market[0];
        snprintf(ms->name, sizeof ms->name, "market");
        ms->oracle_of = -1;
        ms->weight = 1.0;
        ms->collateral_rate = 1.0;
        return read_price_impact(ms, section_map(root, "price", "price", err),
                                 section_map(root, "impact", "impact", err), root, "", err);
    }
    int rc = 0;
    static const char *const given_per_market[] = {"price", "impact"};
    for (int i = 0; i < 2; i++)
        if (lc_node_get(root, given_per_market[i]))
            rc = lc_error_at(err, root->src, lc_node_key_line(root, given_per_market[i]),
                             given_per_market[i],
                             "with a markets: list, each market has its own (markets[k].%s)",
                             given_per_market[i]);
    int cat = -1;                          /* the first market in the eMode category */
    lc_node *oracle[LC_MAX_MARKETS] = {0}; /* markets[k].lending.oracle, read once all are named */
    for (int k = 0; k < n; k++) {
        lc_market_spec *ms = &sc->market[k];
        ms->oracle_of = -1;
        lc_node *m = list->vals[k];
        char pre[48], where[32];
        snprintf(where, sizeof where, "markets[%d]", k);
        snprintf(pre, sizeof pre, "%s.", where);
        if (m->kind != LC_NODE_MAP) {
            rc = lc_error_at(err, m->src, m->line, where,
                             "must be a map {name, price, impact, mark, tiers}");
            continue;
        }
        lc_node *name = lc_node_get(m, "name");
        char key[64];
        snprintf(key, sizeof key, "%sname", pre);
        if (!name)
            rc = lc_error_at(err, m->src, m->line, key, "required (the market's name, e.g. BTC)");
        else if (name->kind != LC_NODE_SCALAR || !good_market_name(name->text))
            rc = lc_error_at(err, name->src, name->line, key,
                             "must be 1 to %d letters, digits, '_' or '-' (got %s)",
                             LC_MARKET_NAME_MAX - 1,
                             name->kind == LC_NODE_SCALAR ? name->text : "a map or list");
        else {
            snprintf(ms->name, sizeof ms->name, "%s", name->text);
            for (int j = 0; j < k; j++)
                if (strcmp(sc->market[j].name, ms->name) == 0)
                    rc = lc_error_at(err, name->src, name->line, key,
                                     "'%s' names markets[%d] already", ms->name, j);
        }
        char kp[64], ki[64];
        snprintf(kp, sizeof kp, "%sprice", pre);
        snprintf(ki, sizeof ki, "%simpact", pre);
        rc |= read_price_impact(ms, section_map(m, "price", kp, err),
                                section_map(m, "impact", ki, err), m, pre, err);
        snprintf(key, sizeof key, "%stiers", pre);
        rc |= read_tiers(ms, m, key, err);
        snprintf(key, sizeof key, "%smark", pre);
        rc |= read_family(section_map(m, "mark", key, err), m, &lc_mark_family, key, &ms->mark,
                          NULL, err);
        snprintf(key, sizeof key, "%scommon_jump", pre);
        lc_node *jm = section_map(m, "common_jump", key, err);
        double jv[2];
        const char *jcand[2] = {"mean", "sigma"};
        for (int i = 0; i < 2; i++)
            rc |= read_param(jm, m, key, &jump_params[i], &jv[i], NULL, err);
        reject_unused(jm, key, jcand, 2, err);
        ms->jump_mean = jv[JUMP_MEAN];
        ms->jump_sigma = jv[JUMP_SIGMA];
        if (jm && (jv[JUMP_MEAN] != 0 || jv[JUMP_SIGMA] != 0)) {
            const lc_desc *pd = ms->price.desc;
            if (n == 1)
                rc = lc_error_at(err, jm->src, jm->line, key,
                                 "common jumps are every market's at once: they need two markets "
                                 "or more (correlation.common_jumps)");
            else if (pd && lc_price_model_of(pd)->jumps == LC_JUMPS_REFUSED)
                rc = lc_error_at(err, jm->src, jm->line, key,
                                 "a %s market's path is pinned: a common jump would break it",
                                 pd->name);
        }
        snprintf(key, sizeof key, "%s", where);
        rc |= read_param(m, m, key, &lc_collateral_rate_param, &ms->collateral_rate, NULL, err);
        snprintf(key, sizeof key, "%slending", pre);
        lc_node *lm = section_map(m, "lending", key, err);
        double lv[LC_COUNT(lc_lending_params)] = {0};
        const char *lcand[LC_COUNT(lc_lending_params) + 2];
        for (int i = 0; i < lc_n_lending_params; i++) {
            rc |= read_param(lm, m, key, &lc_lending_params[i], &lv[i], NULL, err);
            lcand[i] = lc_lending_params[i].name;
        }
        lcand[lc_n_lending_params] = "emode";
        lcand[lc_n_lending_params + 1] = "oracle";
        char okey[160];
        snprintf(okey, sizeof okey, "%s.oracle", key);
        oracle[k] = section_map(lm, "oracle", okey, err);
        if (!oracle[k] && lm && lc_node_get(lm, "oracle"))
            rc = -1;
        rc |= read_emode(ms, lm, lv[LENDING_BONUS], key, err);
        if (ms->emode_lt > 0 && cat < 0)
            cat = k;
        else if (ms->emode_lt > 0 && (ms->emode_lt != sc->market[cat].emode_lt ||
                                      ms->emode_ltv != sc->market[cat].emode_ltv ||
                                      ms->emode_bonus != sc->market[cat].emode_bonus)) {
            const lc_node *em = lc_node_get(lm, "emode");
            char ek[160];
            snprintf(ek, sizeof ek, "%s.emode", key);
            rc = lc_error_at(err, em->src, em->line, ek,
                             "one category per scenario, with one lt, ltv and bonus "
                             "(Aave's category has one of each): %s gives %g, %g, %g, "
                             "markets[%d] (%s) %g, %g, %g",
                             ms->name, ms->emode_lt, ms->emode_ltv, ms->emode_bonus, cat,
                             sc->market[cat].name, sc->market[cat].emode_lt,
                             sc->market[cat].emode_ltv, sc->market[cat].emode_bonus);
        }
        reject_unused(lm, key, lcand, lc_n_lending_params + 2, err);
        if (lending_values(lm, key, lv, &ms->lt, &ms->ltv, &ms->bonus, err))
            rc = -1;
        static const char *const cand[] = {"name",  "price",       "impact",          "mark",
                                           "tiers", "common_jump", "collateral_rate", "lending"};
        reject_unused(m, where, cand, LC_COUNT(cand), err);
    }
    for (int k = 0; rc == 0 && k < n; k++)
        if (oracle[k])
            rc = read_oracle(sc, k, oracle, err);
    return rc;
}

/* A correlation matrix at key of map: a list of K lists of K numbers, or
 * `rho` (one correlation for every pair) beside it. Checked symmetric, with
 * a unit diagonal, in [-1, 1] and positive semi-definite; its Cholesky factor
 * into chol. Returns 0, or -1 with an error naming what is wrong. */
static int read_matrix(lc_node *map, const char *where, int k, double *a, double *chol,
                       lc_error *err)
{
    lc_node *mx = lc_node_get(map, "matrix"), *rho = lc_node_get(map, "rho");
    char key[96];
    if (mx && rho)
        return lc_error_at(err, map->src, lc_node_key_line(map, "rho"), where,
                           "give matrix or rho, not both");
    if (!mx && !rho)
        return lc_error_at(err, map->src, map->line, where,
                           "needs matrix (a %dx%d list of lists) or rho (one value for every "
                           "pair)",
                           k, k);
    const lc_param *corr = &lc_correlation_params[CORR_RHO];
    if (rho) {
        double r;
        snprintf(key, sizeof key, "%s.rho", where);
        if (read_scalar_number(rho, key, corr, &r, err))
            return -1;
        for (int i = 0; i < k * k; i++)
            a[i] = i % (k + 1) == 0 ? 1.0 : r;
        mx = rho;
    } else {
        snprintf(key, sizeof key, "%s.matrix", where);
        if (mx->kind != LC_NODE_SEQ || mx->n != k)
            return lc_error_at(err, mx->src, mx->line, key,
                               "must be a list of %d rows (one per market, in markets order)", k);
        int rc = 0;
        for (int i = 0; i < k; i++) {
            lc_node *row = mx->vals[i];
            char rk[128];
            snprintf(rk, sizeof rk, "%s[%d]", key, i);
            if (row->kind != LC_NODE_SEQ || row->n != k) {
                rc = lc_error_at(err, row->src, row->line, rk, "must be a list of %d numbers", k);
                continue;
            }
            for (int j = 0; j < k; j++) {
                char ek[160];
                snprintf(ek, sizeof ek, "%s[%d]", rk, j);
                rc |= read_scalar_number(row->vals[j], ek, corr, &a[i * k + j], err);
            }
        }
        if (rc)
            return -1;
        for (int i = 0; i < k; i++) {
            if (a[i * k + i] != 1.0)
                return lc_error_at(err, mx->src, mx->line, key,
                                   "diagonal must be 1 (row %d has %g): a correlation matrix", i,
                                   a[i * k + i]);
            for (int j = 0; j < i; j++)
                if (a[i * k + j] != a[j * k + i])
                    return lc_error_at(err, mx->src, mx->line, key,
                                       "not symmetric: [%d][%d] = %g but [%d][%d] = %g", i, j,
                                       a[i * k + j], j, i, a[j * k + i]);
        }
    }
    if (lc_cholesky_psd(a, k, chol))
        return lc_error_at(err, mx->src, mx->line, key,
                           "not positive semi-definite (smallest eigenvalue %.6g): no joint law "
                           "has these correlations",
                           lc_min_eigenvalue(a, k));
    return 0;
}

static int read_correlation(lc_scenario *sc, lc_node *root, lc_error *err)
{
    lc_correlation *c = &sc->corr;
    int k = sc->nmarkets;
    lc_node *m = section_map(root, "correlation", "correlation", err);
    for (int i = 0; i < k * k; i++) /* independent markets unless told */
        c->matrix[i] = c->stress_matrix[i] = c->chol[i] = c->stress_chol[i] =
            i % (k + 1) == 0 ? 1.0 : 0.0;
    c->copula = LC_COPULA_GAUSSIAN;
    c->nu = 4;
    c->stress = LC_STRESS_NONE;
    if (!m)
        return root && lc_node_get(root, "correlation") ? -1 : 0;
    if (k < 2)
        return lc_error_at(err, m->src, m->line, "correlation",
                           "needs at least two markets (a markets: list)");
    int rc = 0;
    if (lc_node_get(m, "matrix") || lc_node_get(m, "rho"))
        rc |= read_matrix(m, "correlation", k, c->matrix, c->chol, err);
    int cop;
    rc |= read_name(m, "correlation", "copula", lc_copulas, 2, &cop, err);
    c->copula = (lc_copula)cop;
    rc |= read_param(m, m, "correlation", &lc_correlation_params[CORR_NU], &c->nu, NULL, err);
    lc_node *nu = lc_node_get(m, "nu");
    if (nu && c->copula != LC_COPULA_T)
        rc = lc_error_at(err, nu->src, nu->line, "correlation.nu",
                         "is the t copula's degrees of freedom: give copula: t, or no nu");
    lc_node *st = section_map(m, "stress", "correlation.stress", err);
    if (st) {
        rc |= read_matrix(st, "correlation.stress", k, c->stress_matrix, c->stress_chol, err);
        double v[4];
        for (int i = 0; i < 4; i++)
            rc |= read_param(st, st, "correlation.stress", &lc_stress_params[i], &v[i], NULL, err);
        int markov = lc_node_get(st, "enter") || lc_node_get(st, "exit");
        int window = lc_node_get(st, "start") || lc_node_get(st, "end");
        if (markov == window)
            rc = lc_error_at(err, st->src, st->line, "correlation.stress",
                             "needs either enter and exit (a Markov regime, rates per year) or "
                             "start and end (a scripted window, s)");
        else if (markov && !(v[0] > 0 && v[1] > 0))
            rc = lc_error_at(err, st->src, st->line, "correlation.stress",
                             "enter and exit must both be > 0 (got %g, %g)", v[0], v[1]);
        else if (window && !(v[2] >= 0 && v[3] > v[2]))
            rc = lc_error_at(err, st->src, st->line, "correlation.stress",
                             "needs 0 <= start < end (got %g, %g)", v[2], v[3]);
        c->stress = markov ? LC_STRESS_MARKOV : LC_STRESS_WINDOW;
        c->enter = v[0];
        c->exit = v[1];
        c->start = v[2];
        c->end = v[3];
        static const char *const cand[] = {"matrix", "rho", "enter", "exit", "start", "end"};
        reject_unused(st, "correlation.stress", cand, LC_COUNT(cand), err);
    }
    lc_node *cj = section_map(m, "common_jumps", "correlation.common_jumps", err);
    rc |= read_param(cj, m, "correlation.common_jumps", &lc_common_jumps_rate, &c->jump_rate, NULL,
                     err);
    static const char *const jcand[] = {"rate"};
    reject_unused(cj, "correlation.common_jumps", jcand, 1, err);
    static const char *const cand[] = {"matrix", "rho", "copula", "nu", "stress", "common_jumps"};
    reject_unused(m, "correlation", cand, LC_COUNT(cand), err);
    return rc;
}

/* ---- simulation.rare (DESIGN §15) -------------------------------------- */

const char *const lc_rare_methods[LC_RARE_N] = {"none", "tilt", "split"};
const char *const lc_rare_scores[LC_SCORE_N] = {"drawdown", "fund_used", "bad_debt", "fall"};

enum {
    RARE_THETA,
    RARE_JUMPS,
    RARE_LEVEL,
    PILOT_RUNS,
    PILOT_ITERATIONS,
    PILOT_QUANTILE,
    RARE_STEPS,
    SPLIT_EFFORT,
    SPLIT_REPLICATES
};
static const lc_param rare_params[] = {
    [RARE_THETA] = {"theta", "1", LC_REAL, 0, -20, 20, 0, 0,
                    "shift of a tilted market's standard innovation, in its standard "
                    "deviations, every step (a number for every tilted market, a list in "
                    "markets order, a map of market to number, or auto: the pilot's)"},
    [RARE_JUMPS] = {"jumps", "1", LC_REAL, 1, 0, 1e6, 1, 0,
                    "jump intensity multiplier under the tilt: the tilted markets' models' "
                    "jumps and the common jumps are drawn at this times their rate"},
    [RARE_LEVEL] = {"level", "quote | 1", LC_REAL, NAN, -1e300, 1e300, 0, 0,
                    "the target event of the pilot is score >= level (drawdown: fraction; "
                    "fund_used, bad_debt: quote)"},
    [PILOT_RUNS] = {"runs", "runs", LC_INT, 2000, 20, 1e8, 0, 0,
                    "runs of each pilot iteration (their own seeds: the pilot's random numbers "
                    "are not the runs')"},
    [PILOT_ITERATIONS] = {"iterations", "1", LC_INT, 10, 1, 100, 0, 0,
                          "most cross-entropy iterations (it stops once its level is the "
                          "target's)"},
    [PILOT_QUANTILE] = {"quantile", "1", LC_REAL, 0.1, 0, 0.5, 1, 0,
                        "elite fraction rho: an iteration's level is the score its best rho "
                        "of runs reach"},
    [RARE_STEPS] = {"steps", "steps", LC_INT, 0, 0, 1e9, 0, 0,
                    "only the first this many steps are tilted (0: every step): for an event "
                    "decided early, such as the cascade a book starts with"},
    [SPLIT_EFFORT] = {"effort", "runs", LC_INT, 1000, 10, 1e7, 0, 0,
                      "splitting: trajectories run at each level in each replicate (fixed "
                      "effort)"},
    [SPLIT_REPLICATES] = {"replicates", "1", LC_INT, 20, 10, 1e5, 0, 0,
                          "splitting: independent replicates; the intervals are of their "
                          "estimates' spread"},
};

/* The keys of method split: score, levels, effort, replicates. */
static int read_split(lc_scenario *sc, lc_node *m, lc_node *sim, lc_error *err)
{
    lc_rare *ra = &sc->rare;
    static const char *const tilt_only[] = {"theta",  "markets", "jumps",
                                            "target", "pilot",   "steps"};
    for (int i = 0; i < LC_COUNT(tilt_only); i++)
        if (lc_node_get(m, tilt_only[i])) {
            char key[64];
            snprintf(key, sizeof key, "simulation.rare.%s", tilt_only[i]);
            return lc_error_at(err, m->src, lc_node_key_line(m, tilt_only[i]), key,
                               "is for method tilt; split takes score, levels (or auto with "
                               "level), effort and replicates");
        }
    int score,
        rc = read_name(m, "simulation.rare", "score", lc_rare_scores, LC_SCORE_N, &score, err);
    if (!lc_node_get(m, "score"))
        rc = lc_error_at(err, m->src, m->line, "simulation.rare.score",
                         "required with method split (fall | drawdown | fund_used | bad_debt)");
    ra->score = (lc_rare_score)score;
    lc_node *lv = lc_node_get(m, "levels");
    if (lv && lv->kind == LC_NODE_SCALAR && strcmp(lv->text, "auto") == 0) {
        ra->auto_levels = 1;
        if (!lc_node_get(m, "level"))
            rc = lc_error_at(err, lv->src, lv->line, "simulation.rare.level",
                             "required with levels: auto (the target: the event score >= "
                             "level)");
        else
            rc |= read_param(m, m, "simulation.rare", &rare_params[RARE_LEVEL], &ra->level, NULL,
                             err);
        if (rc == 0 && !(ra->level > 0))
            rc = lc_error_at(err, m->src, lc_node_key_line(m, "level"), "simulation.rare.level",
                             "%g: must be above 0 (every score starts at 0)", ra->level);
        ra->nlevels = 1;
    } else if (lc_node_get(m, "level")) {
        return lc_error_at(err, m->src, lc_node_key_line(m, "level"), "simulation.rare.level",
                           "is the target of levels: auto (with a list of levels, the last is "
                           "the target)");
    }
    if (!ra->auto_levels) {
        if (!lv || lv->kind != LC_NODE_SEQ || lv->n < 1 || lv->n > LC_SPLIT_MAX_LEVELS)
            return lc_error_at(err, lv ? lv->src : m->src, lv ? lv->line : m->line,
                               "simulation.rare.levels",
                               "required with method split: a list of 1 to %d increasing levels "
                               "of the score above 0, the last the target's, or auto (with "
                               "level: the target)",
                               LC_SPLIT_MAX_LEVELS);
        const lc_param *p = &rare_params[RARE_LEVEL];
        for (int i = 0; i < lv->n; i++) {
            char key[64];
            snprintf(key, sizeof key, "simulation.rare.levels[%d]", i);
            rc |= read_scalar_number(lv->vals[i], key, p, &ra->levels[i], err);
            if (rc == 0 && !(ra->levels[i] > (i ? ra->levels[i - 1] : 0)))
                rc = lc_error_at(err, lv->vals[i]->src, lv->vals[i]->line, key,
                                 "%g: the levels must increase, from above 0 (every score "
                                 "starts at 0)",
                                 ra->levels[i]);
        }
        ra->nlevels = lv->n;
    }
    double effort = 0, replicates = 0;
    rc |= read_param(m, m, "simulation.rare", &rare_params[SPLIT_EFFORT], &effort, NULL, err);
    rc |=
        read_param(m, m, "simulation.rare", &rare_params[SPLIT_REPLICATES], &replicates, NULL, err);
    ra->effort = (long)effort;
    ra->replicates = (long)replicates;
    if (rc == 0 && (double)ra->effort * (double)ra->replicates * ra->nlevels > 1e9)
        rc = lc_error_at(err, m->src, m->line, "simulation.rare",
                         "effort x replicates x levels is over 1e9 trajectories");
    /* the root runs, effort x replicates: simulation.runs, when given,
     * says the effort too (the rows are the trajectories the splitting
     * leaves) */
    int given = sim && lc_node_get(sim, "runs"), says_effort = lc_node_get(m, "effort") != NULL;
    if (rc == 0 && given && !says_effort) {
        if (sc->runs % ra->replicates || sc->runs / ra->replicates < 10)
            return lc_error_at(err, sim->src, lc_node_key_line(sim, "runs"), "simulation.runs",
                               "%ld: with rare.method split the runs are effort x replicates "
                               "(%ld replicates): give a multiple of them, at least 10 a "
                               "replicate, or rare.effort",
                               sc->runs, ra->replicates);
        ra->effort = sc->runs / ra->replicates;
    }
    long roots = ra->effort * ra->replicates;
    if (rc == 0 && given && sc->runs != roots)
        return lc_error_at(err, sim->src, lc_node_key_line(sim, "runs"), "simulation.runs",
                           "%ld: with rare.method split the runs start as effort x replicates "
                           "= %ld (the rows are the trajectories the splitting leaves): give "
                           "runs = effort x replicates (--runs), or leave rare.effort out",
                           sc->runs, roots);
    sc->runs = roots;
    return rc;
}

/* theta of the tilted markets: a number for every one, a list in their
 * order, or a map of market name to number (which names the tilted ones). */
static int read_theta(lc_scenario *sc, lc_node *v, lc_error *err)
{
    lc_rare *ra = &sc->rare;
    const lc_param *p = &rare_params[RARE_THETA];
    if (v->kind == LC_NODE_SCALAR && strcmp(v->text, "auto") == 0) {
        ra->pilot = 1;
        return 0;
    }
    if (v->kind == LC_NODE_SCALAR) {
        double x = 0;
        int rc = read_scalar_number(v, "simulation.rare.theta", p, &x, err);
        for (int k = 0; k < sc->nmarkets; k++)
            ra->theta[k] = ra->tilted[k] ? x : 0.0;
        return rc;
    }
    int rc = 0, ntilted = 0;
    for (int k = 0; k < sc->nmarkets; k++)
        ntilted += ra->tilted[k];
    if (v->kind == LC_NODE_SEQ) {
        if (v->n != ntilted)
            return lc_error_at(err, v->src, v->line, "simulation.rare.theta",
                               "has %d numbers for %d tilted markets (one each, in the order of "
                               "rare.markets)",
                               v->n, ntilted);
        for (int k = 0, i = 0; k < sc->nmarkets; k++) {
            if (!ra->tilted[k])
                continue;
            char key[64];
            snprintf(key, sizeof key, "simulation.rare.theta[%d]", i);
            rc |= read_scalar_number(v->vals[i++], key, p, &ra->theta[k], err);
        }
        return rc;
    }
    for (int k = 0; k < sc->nmarkets; k++)
        ra->tilted[k] = 0;
    for (int i = 0; i < v->n; i++) {
        char key[96];
        snprintf(key, sizeof key, "simulation.rare.theta.%s", v->keys[i]);
        int k = lc_scenario_market_find(sc, v->keys[i]);
        if (k < 0) {
            rc = lc_error_at(err, v->src, v->key_lines[i], key, "names no market");
            continue;
        }
        v->used[i] = 1;
        ra->tilted[k] = 1;
        rc |= read_scalar_number(v->vals[i], key, p, &ra->theta[k], err);
    }
    return rc;
}

static int read_rare_keys(lc_scenario *sc, lc_node *m, lc_node *sim, lc_error *err);

static int read_rare(lc_scenario *sc, lc_node *sim, lc_error *err)
{
    lc_rare *ra = &sc->rare;
    *ra = (lc_rare){.kappa = 1, .level = NAN}; /* level: a target's (theta: auto) */
    for (int k = 0; k < sc->nmarkets; k++)
        ra->tilted[k] = 1;
    lc_node *m = section_map(sim, "rare", "simulation.rare", err);
    if (!m)
        return sim && lc_node_get(sim, "rare") ? -1 : 0;
    int rc = read_rare_keys(sc, m, sim, err);
    static const char *const cand[] = {"method", "theta",  "markets", "jumps",
                                       "steps",  "target", "pilot",   "score",
                                       "levels", "level",  "effort",  "replicates"};
    reject_unused(m, "simulation.rare", cand, LC_COUNT(cand), err);
    return rc;
}

static int read_rare_keys(lc_scenario *sc, lc_node *m, lc_node *sim, lc_error *err)
{
    lc_rare *ra = &sc->rare;
    int method,
        rc = read_name(m, "simulation.rare", "method", lc_rare_methods, LC_RARE_N, &method, err);
    ra->method = (lc_rare_method)method;
    if (!lc_node_get(m, "method"))
        return lc_error_at(err, m->src, m->line, "simulation.rare.method",
                           "required (tilt: importance sampling; split: multilevel splitting; "
                           "none: plain Monte Carlo)");
    if (rc)
        return rc;
    if (ra->method == LC_RARE_NONE) {
        if (m->n > 1)
            return lc_error_at(err, m->src, m->line, "simulation.rare",
                               "method none draws as plain Monte Carlo: give method tilt or "
                               "split, or no other key");
        return 0;
    }
    if (ra->method == LC_RARE_SPLIT)
        return read_split(sc, m, sim, err);
    lc_node *mk = lc_node_get(m, "markets");
    if (mk) {
        if (mk->kind != LC_NODE_SEQ || mk->n == 0)
            return lc_error_at(err, mk->src, mk->line, "simulation.rare.markets",
                               "must be a list of market names");
        for (int k = 0; k < sc->nmarkets; k++)
            ra->tilted[k] = 0;
        for (int i = 0; i < mk->n; i++) {
            const lc_node *v = mk->vals[i];
            int k = v->kind == LC_NODE_SCALAR ? lc_scenario_market_find(sc, v->text) : -1;
            if (k < 0 || ra->tilted[k])
                rc = lc_error_at(err, v->src, v->line, "simulation.rare.markets", "'%s' %s",
                                 v->kind == LC_NODE_SCALAR ? v->text : "?",
                                 k < 0 ? "names no market" : "is listed twice");
            else
                ra->tilted[k] = 1;
        }
    }
    lc_node *th = lc_node_get(m, "theta");
    if (!th)
        return lc_error_at(err, m->src, m->line, "simulation.rare.theta",
                           "required with method tilt (a number, a list, a map of market to "
                           "number, or auto)");
    if (th->kind == LC_NODE_MAP && mk)
        return lc_error_at(err, th->src, th->line, "simulation.rare.theta",
                           "a map names the tilted markets itself: give it or rare.markets, "
                           "not both");
    rc |= read_theta(sc, th, err);
    rc |= read_param(m, m, "simulation.rare", &rare_params[RARE_JUMPS], &ra->kappa, NULL, err);
    double window = 0;
    rc |= read_param(m, m, "simulation.rare", &rare_params[RARE_STEPS], &window, NULL, err);
    ra->tilt_steps = window > 0 && (long)window < sc->steps ? (long)window : sc->steps;
    for (int k = 0; k < sc->nmarkets; k++) {
        const lc_price_model *pm = lc_price_model_of(sc->market[k].price.desc);
        if (ra->tilted[k] && pm && pm->no_innovation)
            rc = lc_error_at(err, th->src, th->line, "simulation.rare.theta",
                             "market %s's price model %s draws no standard innovation: "
                             "there is nothing of it to tilt (leave it out of rare.markets)",
                             sc->market[k].name, sc->market[k].price.desc->name);
    }
    lc_node *tg = section_map(m, "target", "simulation.rare.target", err);
    lc_node *pl = section_map(m, "pilot", "simulation.rare.pilot", err);
    if (!ra->pilot) {
        lc_node *extra = tg ? tg : pl;
        if (extra)
            return lc_error_at(err, extra->src, extra->line,
                               tg ? "simulation.rare.target" : "simulation.rare.pilot",
                               "is for the pilot of theta: auto");
        return rc;
    }
    if (!tg)
        return lc_error_at(err, m->src, m->line, "simulation.rare.target",
                           "required with theta: auto (score: drawdown | fund_used | bad_debt, "
                           "level: the event score >= level the pilot tilts towards)");
    int score;
    rc |= read_name(tg, "simulation.rare.target", "score", lc_rare_scores, LC_SCORE_N, &score, err);
    if (!lc_node_get(tg, "score"))
        rc = lc_error_at(err, tg->src, tg->line, "simulation.rare.target.score",
                         "required (drawdown | fund_used | bad_debt)");
    ra->score = (lc_rare_score)score;
    rc |= read_param(tg, tg, "simulation.rare.target", &rare_params[RARE_LEVEL], &ra->level, NULL,
                     err);
    static const char *const tcand[] = {"score", "level"};
    reject_unused(tg, "simulation.rare.target", tcand, LC_COUNT(tcand), err);
    double runs = 0, iterations = 0;
    rc |= read_param(pl, m, "simulation.rare.pilot", &rare_params[PILOT_RUNS], &runs, NULL, err);
    rc |= read_param(pl, m, "simulation.rare.pilot", &rare_params[PILOT_ITERATIONS], &iterations,
                     NULL, err);
    rc |= read_param(pl, m, "simulation.rare.pilot", &rare_params[PILOT_QUANTILE],
                     &ra->pilot_quantile, NULL, err);
    ra->pilot_runs = (long)runs;
    ra->pilot_iterations = (long)iterations;
    static const char *const pcand[] = {"runs", "iterations", "quantile"};
    reject_unused(pl, "simulation.rare.pilot", pcand, LC_COUNT(pcand), err);
    return rc;
}

static int resolve(lc_scenario *sc, lc_node *root, lc_error *err)
{
    int rc = 0;
    const char *cand[8];
    int ncand = 0;
    lc_node *sim = section_map(root, "simulation", "simulation", err);
    rc |= read_core(sc, sim, root, "simulation", cand, &ncand, err);
    cand[ncand++] = "rare";

    rc |= read_markets(sc, root, err);
    if (!sc->market) /* out of memory, or no list to read */
        return -1;
    rc |= read_rare(sc, sim, err);
    reject_unused(sim, "simulation", cand, ncand, err);
    rc |= read_correlation(sc, root, err);
    rc |= read_population(sc, root, err);
    rc |= read_venue(sc, root, err);

    lc_node *out = section_map(root, "output", "output", err);
    ncand = 0;
    cand[ncand++] = "series";
    rc |= read_core(sc, out, root, "output", cand, &ncand, err);
    rc |= read_series(sc, out, err);
    reject_unused(out, "output", cand, ncand, err);
    /* the series sum liquidations over `every` steps: a tail would be lost */
    if (rc == 0 && sc->steps % sc->every != 0) {
        lc_node *ev = out ? lc_node_get(out, "every") : NULL;
        rc = lc_error_at(err, ev ? ev->src : sc->path, ev ? ev->line : 0, "output.every",
                         "must divide simulation.steps (%ld steps, every %ld)", sc->steps,
                         sc->every);
    }

    lc_node *list = lc_node_get(root, "markets");
    for (int k = 0; rc == 0 && err->count == 0 && k < sc->nmarkets; k++) {
        char where[32] = "price";
        lc_node *m = list ? list->vals[k] : root;
        if (list)
            snprintf(where, sizeof where, "markets[%d].price", k);
        rc |= prepare_price(sc, &sc->market[k], lc_node_get(m, "price"), where, err);
    }

    reject_unused(root, "", sections, LC_COUNT(sections), err);
    return rc || err->count ? -1 : 0;
}

/* ---- loading ------------------------------------------------------------- */

lc_scenario *lc_scenario_parse(const char *name, const char *text, const char *const *sets,
                               int nsets, lc_error *err)
{
    lc_scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        lc_error_add(err, "out of memory");
        return NULL;
    }
    sc->path = strdup(name);
    sc->text = strdup(text);
    if (!sc->path || !sc->text) {
        lc_error_add(err, "out of memory");
        lc_scenario_free(sc);
        return NULL;
    }
    int before = err->count;
    lc_node *root = lc_yaml_parse(sc->path, text, err);
    char **labels = calloc((size_t)nsets + 1, sizeof *labels); /* outlive the tree */
    for (int i = 0; root && labels && i < nsets; i++) {
        /* "key=value" comes from --set; "--opt key=value" names its option */
        const char *sp = strncmp(sets[i], "--", 2) == 0 ? strchr(sets[i], ' ') : NULL;
        const char *assignment = sp ? sp + 1 : sets[i];
        size_t n = strlen(sets[i]) + 7;
        if ((labels[i] = malloc(n))) {
            snprintf(labels[i], n, sp ? "%s" : "--set %s", sets[i]);
            lc_yaml_set(root, assignment, labels[i], err);
        } else
            lc_error_add(err, "out of memory");
    }
    int failed = !root || !labels || err->count > before || resolve(sc, root, err);
    lc_node_free(root);
    for (int i = 0; labels && i < nsets; i++)
        free(labels[i]);
    free(labels);
    if (failed) {
        if (!labels)
            lc_error_add(err, "out of memory");
        lc_scenario_free(sc);
        return NULL;
    }
    return sc;
}

lc_scenario *lc_scenario_load(const char *path, const char *const *sets, int nsets, lc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lc_error_at(err, path, 0, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 14, len = 0;
    char *text = malloc(cap);
    for (size_t got; text && (got = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += got;
        if (len + 1 == cap) {
            char *t = cap < ((size_t)16 << 20) ? realloc(text, cap * 2) : NULL;
            if (!t) {
                free(text);
                text = NULL;
                lc_error_at(err, path, 0, NULL, "too large for a scenario (16 MiB at most)");
                fclose(f);
                return NULL;
            }
            text = t;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!text || bad) {
        free(text);
        lc_error_at(err, path, 0, NULL, "cannot read: %s",
                    text ? strerror(errno) : "out of memory");
        return NULL;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        lc_error_at(err, path, 0, NULL, "contains a NUL byte: not a YAML text file");
        return NULL;
    }
    lc_scenario *sc = lc_scenario_parse(path, text, sets, nsets, err);
    free(text);
    return sc;
}

void lc_scenario_free(lc_scenario *sc)
{
    if (!sc)
        return;
    free(sc->path);
    free(sc->text);
    free(sc->positions_file);
    for (int k = 0; sc->market && k < sc->nmarkets; k++) {
        lc_market_spec *ms = &sc->market[k];
        if (ms->price_data && ms->price.desc && lc_price_model_of(ms->price.desc)->release)
            lc_price_model_of(ms->price.desc)->release(ms->price_data);
        free(ms->price.path);
    }
    free(sc->market);
    free(sc);
}

long lc_scenario_series_cols(const lc_scenario *sc)
{
    return sc->steps / sc->every + 1;
}

double lc_scenario_rule_number(const lc_scenario *sc, const char *rule, const char *key)
{
    int k = lc_rule_find(rule), i = k < 0 ? -1 : lc_desc_find(&lc_rules[k]->d, key);
    return i < 0 ? NAN : sc->rules[k].p[i];
}

const char *lc_scenario_rule_name(const lc_scenario *sc, const char *rule, const char *key)
{
    int k = lc_rule_find(rule);
    for (int i = 0; k >= 0 && i < lc_rules[k]->nnames; i++)
        if (strcmp(lc_rules[k]->names[i].key, key) == 0)
            return lc_rules[k]->names[i].names[sc->rules[k].name[i]].name;
    return NULL;
}

/* ---- the resolved scenario ----------------------------------------------- */

/* Shortest decimal text that reads back as exactly v. */
static void fmt_double(char *buf, size_t size, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void visit_choice(const lc_choice *c, const lc_family *f, const char *where,
                         const double *common, lc_scenario_visit_fn fn, void *ctx)
{
    char key[256];
    if (!c->desc)
        return;
    snprintf(key, sizeof key, "%s.%s", where, f->selector);
    fn(ctx, key, NULL, NULL, 0, 0, c->desc->name);
    for (int i = 0; common && i < f->ncommon; i++) {
        snprintf(key, sizeof key, "%s.%s", where, f->common[i].name);
        fn(ctx, key, f->common[i].unit, &common[i], 1, 0, NULL);
    }
    for (int i = 0; i < c->desc->nparams; i++) {
        const lc_param *p = &c->desc->params[i];
        snprintf(key, sizeof key, "%s.%s", where, p->name);
        const char *unit = lc_family_unit(f, p);
        if (p->kind == LC_PATH)
            fn(ctx, key, NULL, NULL, 0, 0, c->path);
        else if (p->kind == LC_LIST)
            fn(ctx, key, unit, c->list[i].v, c->list[i].n, 1, NULL);
        else
            fn(ctx, key, unit, &c->p[i], 1, 0, NULL);
    }
}

static void visit_core(const lc_scenario *sc, const char *section, lc_scenario_visit_fn fn,
                       void *ctx)
{
    for (int i = 0; i < lc_n_core_keys; i++) {
        const lc_core_key *k = &lc_core_keys[i];
        if (strcmp(k->section, section) != 0)
            continue;
        char key[128];
        double v = load_core(sc, k);
        snprintf(key, sizeof key, "%s.%s", section, k->p.name);
        fn(ctx, key, k->p.unit, &v, 1, 0, NULL);
    }
}

/* Tiers as columns: <where>.mmr = [mmr of tier 0, tier 1, ...]. */
static void visit_tiers(const lc_market_spec *ms, const char *where, lc_scenario_visit_fn fn,
                        void *ctx)
{
    for (int k = 0; k < lc_n_tier_params; k++) {
        double v[LC_MAX_TIERS];
        char key[96];
        for (int i = 0; i < ms->ntiers; i++)
            v[i] = k == TIER_UP_TO          ? ms->tiers[i].up_to
                   : k == TIER_MMR          ? ms->tiers[i].mmr
                   : k == TIER_MAX_LEVERAGE ? ms->tiers[i].max_leverage
                                            : ms->tiers[i].cum;
        snprintf(key, sizeof key, "%s.%s", where, lc_tier_params[k].name);
        fn(ctx, key, lc_tier_params[k].unit, v, ms->ntiers, 1, NULL);
    }
}

/* Market k's price, shock and impact; in the markets form (keys
 * markets.<name>.*) also its mark, tiers and common-jump sizes. */
static void visit_market(const lc_scenario *sc, int k, lc_scenario_visit_fn fn, void *ctx)
{
    const lc_market_spec *ms = &sc->market[k];
    char pre[64] = "", w[96];
    if (!sc->v1)
        snprintf(pre, sizeof pre, "markets.%s.", ms->name);
    snprintf(w, sizeof w, "%sprice", pre);
    visit_choice(&ms->price, &lc_price_family, w, ms->price_common, fn, ctx);
    snprintf(w, sizeof w, "%sprice.shock", pre);
    visit_choice(&ms->shock, &lc_shock_family, w, ms->shock_common, fn, ctx);
    snprintf(w, sizeof w, "%simpact", pre);
    visit_choice(&ms->impact, &lc_impact_family, w, ms->impact_common, fn, ctx);
    if (sc->v1)
        return;
    snprintf(w, sizeof w, "%smark", pre);
    visit_choice(&ms->mark, &lc_mark_family, w, NULL, fn, ctx);
    snprintf(w, sizeof w, "%stiers", pre);
    visit_tiers(ms, w, fn, ctx);
    double j[2] = {ms->jump_mean, ms->jump_sigma};
    for (int i = 0; i < 2; i++) {
        snprintf(w, sizeof w, "%scommon_jump.%s", pre, jump_params[i].name);
        fn(ctx, w, jump_params[i].unit, &j[i], 1, 0, NULL);
    }
    snprintf(w, sizeof w, "%scollateral_rate", pre);
    fn(ctx, w, lc_collateral_rate_param.unit, &ms->collateral_rate, 1, 0, NULL);
    const double lv[] = {ms->lt, ms->ltv, ms->bonus};
    const double ev[] = {ms->emode_lt, ms->emode_ltv, ms->emode_bonus};
    _Static_assert(LC_COUNT(lv) == LENDING_BONUS + 1, "one value per markets[k].lending key");
    for (int i = 0; i < lc_n_lending_params; i++) {
        snprintf(w, sizeof w, "%slending.%s", pre, lc_lending_params[i].name);
        fn(ctx, w, lc_lending_params[i].unit, &lv[i], 1, 0, NULL);
    }
    for (int i = 0; ms->emode_lt > 0 && i < lc_n_lending_params; i++) {
        snprintf(w, sizeof w, "%slending.emode.%s", pre, lc_lending_params[i].name);
        fn(ctx, w, lc_lending_params[i].unit, &ev[i], 1, 0, NULL);
    }
    if (ms->oracle_of >= 0) {
        snprintf(w, sizeof w, "%slending.oracle.market", pre);
        fn(ctx, w, NULL, NULL, 0, 0, sc->market[ms->oracle_of].name);
        snprintf(w, sizeof w, "%slending.oracle.rate", pre);
        fn(ctx, w, "1", &ms->oracle_rate, 1, 0, NULL);
    }
}

static void visit_correlation(const lc_scenario *sc, lc_scenario_visit_fn fn, void *ctx)
{
    const lc_correlation *c = &sc->corr;
    int k = sc->nmarkets;
    fn(ctx, "correlation.copula", NULL, NULL, 0, 0, c->copula == LC_COPULA_T ? "t" : "gaussian");
    if (c->copula == LC_COPULA_T) /* a Gaussian copula refuses nu */
        fn(ctx, "correlation.nu", "1", &c->nu, 1, 0, NULL);
    fn(ctx, "correlation.matrix", "1", c->matrix, k * k, 1, NULL);
    if (c->stress != LC_STRESS_NONE) {
        fn(ctx, "correlation.stress.matrix", "1", c->stress_matrix, k * k, 1, NULL);
        int markov = c->stress == LC_STRESS_MARKOV;
        fn(ctx, markov ? "correlation.stress.enter" : "correlation.stress.start",
           markov ? "1/yr" : "s", markov ? &c->enter : &c->start, 1, 0, NULL);
        fn(ctx, markov ? "correlation.stress.exit" : "correlation.stress.end",
           markov ? "1/yr" : "s", markov ? &c->exit : &c->end, 1, 0, NULL);
    }
    fn(ctx, "correlation.common_jumps.rate", "1/yr", &c->jump_rate, 1, 0, NULL);
}

/* simulation.rare: the method, and under the tilt each tilted market's
 * theta (auto and the pilot's keys until the pilot has chosen them). */
static void visit_rare(const lc_scenario *sc, lc_scenario_visit_fn fn, void *ctx)
{
    const lc_rare *ra = &sc->rare;
    if (ra->method == LC_RARE_NONE)
        return;
    fn(ctx, "simulation.rare.method", NULL, NULL, 0, 0, lc_rare_methods[ra->method]);
    if (ra->method == LC_RARE_SPLIT) {
        fn(ctx, "simulation.rare.score", NULL, NULL, 0, 0, lc_rare_scores[ra->score]);
        if (ra->auto_levels) {
            fn(ctx, "simulation.rare.levels", NULL, NULL, 0, 0, "auto");
            fn(ctx, "simulation.rare.level", rare_params[RARE_LEVEL].unit, &ra->level, 1, 0, NULL);
        } else
            fn(ctx, "simulation.rare.levels", rare_params[RARE_LEVEL].unit, ra->levels, ra->nlevels,
               1, NULL);
        double v[2] = {(double)ra->effort, (double)ra->replicates};
        fn(ctx, "simulation.rare.effort", "runs", &v[0], 1, 0, NULL);
        fn(ctx, "simulation.rare.replicates", "1", &v[1], 1, 0, NULL);
        return;
    }
    if (ra->pilot)
        fn(ctx, "simulation.rare.theta", NULL, NULL, 0, 0, "auto");
    for (int k = 0; !ra->pilot && k < sc->nmarkets; k++)
        if (ra->tilted[k]) {
            char key[96];
            snprintf(key, sizeof key, "simulation.rare.theta.%s", sc->market[k].name);
            fn(ctx, key, rare_params[RARE_THETA].unit, &ra->theta[k], 1, 0, NULL);
        }
    fn(ctx, "simulation.rare.jumps", "1", &ra->kappa, 1, 0, NULL);
    if (ra->tilt_steps < sc->steps) {
        double w = (double)ra->tilt_steps;
        fn(ctx, "simulation.rare.steps", "steps", &w, 1, 0, NULL);
    }
    if (!ra->pilot)
        return;
    char names[LC_MAX_MARKETS * LC_MARKET_NAME_MAX] = "";
    size_t used = 0;
    for (int k = 0; k < sc->nmarkets; k++)
        if (ra->tilted[k])
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? "," : "",
                                     sc->market[k].name);
    fn(ctx, "simulation.rare.markets", NULL, NULL, 0, 1, names);
    fn(ctx, "simulation.rare.target.score", NULL, NULL, 0, 0, lc_rare_scores[ra->score]);
    fn(ctx, "simulation.rare.target.level", rare_params[RARE_LEVEL].unit, &ra->level, 1, 0, NULL);
    double v[3] = {(double)ra->pilot_runs, (double)ra->pilot_iterations, ra->pilot_quantile};
    static const char *const keys[3] = {"runs", "iterations", "quantile"};
    for (int i = 0; i < 3; i++) {
        char key[64];
        snprintf(key, sizeof key, "simulation.rare.pilot.%s", keys[i]);
        fn(ctx, key, rare_params[PILOT_RUNS + i].unit, &v[i], 1, 0, NULL);
    }
}

void lc_scenario_visit(const lc_scenario *sc, lc_scenario_visit_fn fn, void *ctx)
{
    visit_core(sc, "simulation", fn, ctx);
    visit_rare(sc, fn, ctx);
    for (int k = 0; k < sc->nmarkets; k++)
        visit_market(sc, k, fn, ctx);
    if (!sc->v1 && sc->nmarkets > 1)
        visit_correlation(sc, fn, ctx);
    if (sc->positions_file) {
        fn(ctx, "population.file", NULL, NULL, 0, 0, sc->positions_file);
    } else {
        visit_core(sc, "population", fn, ctx);
        visit_choice(&sc->notional, &lc_notional_family, lc_notional_family.section, NULL, fn, ctx);
        visit_choice(&sc->leverage, &lc_leverage_family, lc_leverage_family.section, NULL, fn, ctx);
        visit_choice(&sc->entry, &lc_entry_family, lc_entry_family.section, NULL, fn, ctx);
        for (int k = 0; !sc->v1 && k < sc->nmarkets; k++) {
            char key[96];
            snprintf(key, sizeof key, "population.markets.%s", sc->market[k].name);
            fn(ctx, key, "1", &sc->market[k].weight, 1, 0, NULL);
        }
        for (int m = 0; m < sc->nkinds; m++) {
            const lc_account_kind *ak = &sc->kind[m];
            if (!(ak->weight > 0)) /* a kind not drawn */
                continue;
            double v[3] = {ak->weight, (double)ak->positions_min, (double)ak->positions_max};
            char key[128];
            for (int j = 0; j < (m == LC_MARGIN_CDP ? 1 : lc_n_kind_params); j++) {
                snprintf(key, sizeof key, "population.kinds.%s.%s", lc_margin_kinds[m],
                         lc_kind_params[j].name);
                fn(ctx, key, lc_kind_params[j].unit, &v[j], 1, 0, NULL);
            }
            if (m == LC_MARGIN_CDP && ak->debt != -2)
                fn(ctx, "population.kinds.cdp.debt", NULL, NULL, 0, 0,
                   ak->debt == LC_QUOTE ? "quote" : sc->market[ak->debt].name);
            for (int a = 0; m == LC_MARGIN_CDP && ak->debt == -2 && a <= sc->nmarkets; a++)
                if (ak->debt_share[a] > 0) {
                    snprintf(key, sizeof key, "population.kinds.cdp.debt.%s",
                             a ? sc->market[a - 1].name : "quote");
                    fn(ctx, key, "1", &ak->debt_share[a], 1, 0, NULL);
                }
            if (m == LC_MARGIN_CDP && ak->emode > 0)
                fn(ctx, "population.kinds.cdp.emode", "1", &ak->emode, 1, 0, NULL);
            for (int a = 0; a < sc->nmarkets; a++)
                if (ak->collateral[a] > 0) {
                    snprintf(key, sizeof key, "population.kinds.%s.collateral.%s",
                             lc_margin_kinds[m], sc->market[a].name);
                    fn(ctx, key, "1", &ak->collateral[a], 1, 0, NULL);
                }
            const lc_family *fam[2] = {&lc_notional_family, &lc_leverage_family};
            const lc_choice *ch[2] = {&ak->notional, &ak->leverage};
            for (int j = 0; j < 2; j++)
                if (ch[j]->desc) {
                    snprintf(key, sizeof key, "population.kinds.%s.%s", lc_margin_kinds[m],
                             strchr(fam[j]->section, '.') + 1);
                    visit_choice(ch[j], fam[j], key, NULL, fn, ctx);
                }
        }
    }
    visit_core(sc, "venue", fn, ctx);
    fn(ctx, "venue.lending", NULL, NULL, 0, 0, lc_lending_protocols[sc->lending]);
    if (sc->v1)
        visit_tiers(&sc->market[0], "venue.tiers", fn, ctx);
    for (int k = 0; k < lc_n_rules; k++) { /* names, then numbers, of each rule */
        const lc_rule *ru = lc_rules[k];
        const lc_rule_setting *set = &sc->rules[k];
        char key[128];
        for (int i = 0; i < ru->nnames; i++) {
            snprintf(key, sizeof key, "%s.%s", ru->section, ru->names[i].key);
            fn(ctx, key, NULL, NULL, 0, 0, ru->names[i].names[set->name[i]].name);
        }
        for (int i = 0; i < ru->d.nparams; i++) {
            snprintf(key, sizeof key, "%s.%s", ru->section, ru->d.params[i].name);
            fn(ctx, key, ru->d.params[i].unit, &set->p[i], 1, 0, NULL);
        }
    }
    if (sc->v1)
        visit_choice(&sc->market[0].mark, &lc_mark_family, "venue.mark", NULL, fn, ctx);
    visit_core(sc, "output", fn, ctx);
    char names[256] = "";
    size_t used = 0;
    for (int i = 0; i < LC_SERIES_N; i++)
        if (sc->series_mask >> i & 1u)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? "," : "",
                                     lc_series[i].name);
    fn(ctx, "output.series", NULL, NULL, 0, 1, names);
}

/* YAML emitter over the visit: keys arrive grouped by section, so nesting is
 * the common prefix with the previous key. Tiers (visited as columns) and the
 * series list are written in their scenario form. */
typedef struct emit {
    const lc_scenario *sc;
    char *buf;
    size_t len, cap;
    char prev[256];
    int oom;
} emit;

static void put(emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(emit *e, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->buf ? e->buf + e->len : NULL, e->buf ? e->cap - e->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (e->buf && e->len + (size_t)n < e->cap) {
            e->len += (size_t)n;
            return;
        }
        size_t cap = (e->cap ? e->cap : 4096) * 2 + (size_t)n;
        char *b = realloc(e->buf, cap);
        if (!b) {
            e->oom = 1;
            return;
        }
        e->buf = b;
        e->cap = cap;
    }
}

/* A text value as a YAML scalar: plain when YAML reads it back as the same
 * string (model names, simple paths), double-quoted with escapes otherwise
 * (paths may hold spaces, '#', ': ' or quotes), so the resolved scenario
 * loads back exactly. */
static void put_text(emit *e, const char *text)
{
    int plain = *text != '\0' && *text != '-';
    for (const char *s = text; *s && plain; s++)
        plain = isalnum((unsigned char)*s) || strchr("-_./", *s);
    if (plain) {
        put(e, "%s\n", text);
        return;
    }
    put(e, "\"");
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        if (*s == '"' || *s == '\\')
            put(e, "\\%c", *s);
        else if (*s < 0x20 || *s == 0x7f)
            put(e, "\\x%02x", *s);
        else
            put(e, "%c", *s);
    }
    put(e, "\"\n");
}

/* A market's tiers as a YAML list of maps under "tiers:" at indent. */
static void put_tiers(emit *e, const lc_market_spec *ms, int indent)
{
    put(e, "%*stiers:\n", indent, "");
    for (int i = 0; i < ms->ntiers; i++) {
        char a[40], b[40], c[40], d[40];
        fmt_double(a, sizeof a, ms->tiers[i].up_to);
        fmt_double(b, sizeof b, ms->tiers[i].mmr);
        fmt_double(c, sizeof c, ms->tiers[i].max_leverage);
        fmt_double(d, sizeof d, ms->tiers[i].cum);
        put(e, "%*s- {up_to: %s, mmr: %s, max_leverage: %s, cum: %s}\n", indent + 2, "", a, b, c,
            d);
    }
}

static void emit_key(void *ctx, const char *key, const char *unit, const double *v, int n,
                     int is_list, const char *text)
{
    emit *e = ctx;
    if (strncmp(key, "venue.tiers.", 12) == 0)
        return; /* written as a list of maps by lc_scenario_resolved_yaml */
    const char *tiers = strncmp(key, "markets.", 8) == 0 ? strstr(key, ".tiers.") : NULL;
    if (tiers && strcmp(tiers, ".tiers.up_to") != 0)
        return; /* a market's tiers are written whole at their first column */
    /* open the maps this key enters that the previous key was not in */
    char parts[8][64];
    int np = 0;
    for (const char *s = key; np < 8;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        snprintf(parts[np++], sizeof parts[0], "%.*s", (int)len, s);
        if (!dot)
            break;
        s = dot + 1;
    }
    char prevparts[8][64];
    int npp = 0;
    for (const char *s = e->prev; *s && npp < 8;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        snprintf(prevparts[npp++], sizeof prevparts[0], "%.*s", (int)len, s);
        if (!dot)
            break;
        s = dot + 1;
    }
    int common = 0;
    while (common < np - 1 && common < npp - 1 && strcmp(parts[common], prevparts[common]) == 0)
        common++;
    /* markets.<name>.* is the list markets: of maps with their name first */
    int market_list = strcmp(parts[0], "markets") == 0;
    for (int d = common; d < np - (tiers ? 2 : 1); d++) /* a market's tiers: put_tiers */
        if (market_list && d == 1)
            put(e, "  - name: %s\n", parts[d]);
        else
            put(e, "%*s%s:\n", 2 * d, "", parts[d]);
    snprintf(e->prev, sizeof e->prev, "%s", key);
    if (tiers) {
        int k = lc_scenario_market_find(e->sc, parts[1]);
        put_tiers(e, &e->sc->market[k], 2 * (np - 2));
        return;
    }
    put(e, "%*s%s: ", 2 * (np - 1), "", parts[np - 1]);
    if (text && is_list) { /* output.series, simulation.rare.markets */
        put(e, "[");
        for (const char *s = text; *s; s++)
            put(e, *s == ',' ? ", " : "%c", *s);
        put(e, "]\n");
        return;
    }
    if (text) {
        put_text(e, text);
        return;
    }
    char num[40];
    if (!unit)
        unit = "";
    if (!is_list) {
        fmt_double(num, sizeof num, v[0]);
        put(e, "%-12s # %s\n", num, unit);
        return;
    }
    /* a correlation matrix of k x k values: a list of its rows */
    int k = (int)lround(sqrt((double)n)), rows = strstr(key, ".matrix") && k * k == n;
    put(e, rows ? "[[" : "[");
    for (int i = 0; i < n; i++) {
        fmt_double(num, sizeof num, v[i]);
        put(e, "%s%s", !i ? "" : rows && i % k == 0 ? "], [" : ", ", num);
    }
    put(e, rows ? "]]  # %s\n" : "]  # %s\n", unit);
}

char *lc_scenario_resolved_yaml(const lc_scenario *sc)
{
    emit e = {.sc = sc};
    put(&e, "# resolved scenario: every key with the value used (units after #)\n");
    lc_scenario_visit(sc, emit_key, &e);
    if (!sc->v1 || e.oom) { /* a markets: list writes each market's tiers in place */
        if (e.oom)
            free(e.buf);
        return e.oom ? NULL : e.buf;
    }
    /* tiers after the other venue keys is valid YAML: append them to venue */
    emit t = {.sc = sc};
    put_tiers(&t, &sc->market[0], 2);
    /* insert tiers right after the "venue:" line */
    char *venue = e.buf ? strstr(e.buf, "\nvenue:\n") : NULL;
    if (t.oom || !venue) {
        free(e.buf);
        free(t.buf);
        return NULL;
    }
    size_t at = (size_t)(venue - e.buf) + strlen("\nvenue:\n");
    char *out = malloc(e.len + t.len + 1);
    if (out) {
        memcpy(out, e.buf, at);
        memcpy(out + at, t.buf, t.len);
        memcpy(out + at + t.len, e.buf + at, e.len - at + 1);
    }
    free(e.buf);
    free(t.buf);
    return out;
}

/* map.c — see map.h. */
#include "cli/map.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/scenario.h"

static const char *const map_files[2] = {"liquidation_map.csv", "cascade_map.csv"};

static char *join(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

/* One CSV under its temporary name, renamed into place by finish(). */
typedef struct csv_out {
    char *path, *partial;
    FILE *f;
} csv_out;

static int csv_open(csv_out *c, const char *dir, const char *name, lc_error *err)
{
    c->path = join(dir, name, "");
    c->partial = join(dir, name, ".partial");
    c->f = c->partial ? fopen(c->partial, "w") : NULL;
    if (!c->f)
        return lc_error_at(err, c->partial ? c->partial : dir, 0, NULL, "cannot write: %s",
                           strerror(errno));
    return 0;
}

static int csv_finish(csv_out *c, int ok, lc_error *err)
{
    int rc = 0;
    if (c->f) {
        int bad = ferror(c->f);
        if (fclose(c->f) != 0 || bad)
            rc = lc_error_at(err, c->partial, 0, NULL, "write failed: %s", strerror(errno));
    }
    if (ok && rc == 0 && rename(c->partial, c->path) != 0)
        rc = lc_error_at(err, c->path, 0, NULL, "cannot rename into place: %s", strerror(errno));
    if (c->partial && (!ok || rc))
        unlink(c->partial);
    free(c->path);
    free(c->partial);
    *c = (csv_out){0};
    return rc;
}

/* The folder made if needed, and the outputs checked: none may exist
 * without --force. */
static int check_dir(const lc_map_opts *o, lc_error *err)
{
    struct stat st;
    if (stat(o->dir, &st) != 0) {
        if (mkdir(o->dir, 0777) != 0)
            return lc_error_at(err, o->dir, 0, NULL, "cannot create the folder: %s",
                               strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return lc_error_at(err, o->dir, 0, NULL, "is not a folder");
    }
    for (int i = 0; i < 2 && !o->force; i++) {
        char *p = join(o->dir, map_files[i], "");
        int exists = p && lstat(p, &st) == 0;
        if (exists)
            lc_error_at(err, p, 0, NULL, "exists; use --force to overwrite");
        free(p);
        if (exists)
            return -1;
    }
    return 0;
}

void lc_map_at_risk(const lc_scenario *sc, const lc_population *pop, int k, double within[2][3])
{
    static const double level[3] = {0.01, 0.05, 0.10};
    double s0 = lc_scenario_s0(sc, k);
    for (int s = 0; s < 2; s++) {
        within[s][0] = within[s][1] = within[s][2] = 0;
        for (long i = pop->range[2 * k + s]; i < pop->range[2 * k + s + 1]; i++) {
            double p = pop->liq_price[i], dist = fabs(p / s0 - 1);
            for (int d = 0; d < 3 && isfinite(p); d++)
                within[s][d] += dist <= level[d] ? fabs(pop->qty[i]) * p : 0;
        }
    }
}

/* The liquidation map of pop: per market and side, isolated accounts'
 * |q|·P_liq in `bins` bins over s0·[1 − w, 1 + w]. */
static int liquidation_map(const lc_map_opts *o, const lc_scenario *sc, const lc_population *pop,
                           FILE *csv, FILE *out)
{
    long nb = o->bins;
    double *sum = calloc((size_t)nb * 2, sizeof *sum);
    long *count = calloc((size_t)nb * 2, sizeof *count);
    if (!sum || !count) {
        free(sum);
        free(count);
        return -1;
    }
    fputs("market,side,price_lo,price_hi,notional,accounts\n", csv);
    fprintf(out,
            "liquidation map (isolated accounts' notional at their liquidation price, "
            "within s0 x [%g, %g]):\n",
            1 - o->width, 1 + o->width);
    for (int k = 0; k < sc->nmarkets; k++) {
        double s0 = lc_scenario_s0(sc, k), lo = s0 * (1 - o->width);
        double bw = 2 * o->width * s0 / (double)nb;
        memset(sum, 0, (size_t)nb * 2 * sizeof *sum);
        memset(count, 0, (size_t)nb * 2 * sizeof *count);
        double outside[2] = {0}, within[2][3];
        lc_map_at_risk(sc, pop, k, within);
        for (int s = 0; s < 2; s++)
            for (long i = pop->range[2 * k + s]; i < pop->range[2 * k + s + 1]; i++) {
                double p = pop->liq_price[i], notional = fabs(pop->qty[i]) * p;
                if (!isfinite(p) || p <= 0)
                    continue;
                double b = floor((p - lo) / bw);
                if (!(b >= 0 && b < (double)nb)) {
                    outside[s] += notional;
                    continue;
                }
                sum[2 * (long)b + s] += notional;
                count[2 * (long)b + s]++;
            }
        for (int s = 0; s < 2; s++)
            for (long b = 0; b < nb; b++)
                fprintf(csv, "%s,%s,%.17g,%.17g,%.17g,%ld\n", sc->market[k].name,
                        s ? "short" : "long", lo + (double)b * bw, lo + (double)(b + 1) * bw,
                        sum[2 * b + s], count[2 * b + s]);
        for (int s = 0; s < 2; s++)
            fprintf(out,
                    "  %-10s %-5s within 1%%: %-10.4g 5%%: %-10.4g 10%%: %-10.4g of s0 "
                    "(outside the map: %.4g) quote\n",
                    sc->market[k].name, s ? "short" : "long", within[s][0], within[s][1],
                    within[s][2], outside[s]);
    }
    long nspan = pop->n - pop->span0;
    if (nspan > 0)
        fprintf(out,
                "  %ld accounts span markets (cross, portfolio, CDPs): no one liquidation price, "
                "not in this map; the cascade map below runs them\n",
                nspan);
    free(sum);
    free(count);
    return 0;
}

/* The price of market k for the deterministic path: flat at s0, moved by x
 * in the first step when shocked. */
static void path_set(char *buf, size_t size, const lc_scenario *sc, int k, int shocked, double x)
{
    char where[64];
    if (sc->v1)
        snprintf(where, sizeof where, "price");
    else
        snprintf(where, sizeof where, "markets.%d.price", k);
    if (shocked && x != 0)
        snprintf(buf, size,
                 "%s={model: gbm, s0: %.17g, sigma: 0, shock: {size: %.17g, start: 0, "
                 "shape: step}}",
                 where, lc_scenario_s0(sc, k), x);
    else
        snprintf(buf, size, "%s={model: gbm, s0: %.17g, sigma: 0}", where, lc_scenario_s0(sc, k));
}

typedef struct shock_row {
    double x, end, amp, liq_long, liq_short, cdp_repaid, bad_debt;
    long accounts, rounds, truncated;
} shock_row;

int lc_map(const lc_map_opts *o, FILE *out, lc_error *err)
{
    lc_probe base; /* the scenario as given: its population is the map's */
    int rc = lc_probe_load(&o->probe, NULL, 0, NULL, &base, err);
    if (rc)
        return rc;
    const lc_scenario *sc = base.sc;
    int mk = 0;
    if (o->market && (mk = lc_scenario_market_find(sc, o->market)) < 0)
        lc_error_at(err, "--market", 0, NULL, "no market %s in the scenario", o->market);
    /* the scenario and options are good: then the output folder */
    if ((o->market && mk < 0) || check_dir(o, err)) {
        lc_probe_free(&base);
        return 2;
    }
    csv_out lm = {0}, cm = {0};
    rc = csv_open(&lm, o->dir, map_files[0], err) ? 1 : 0;
    if (rc == 0 && liquidation_map(o, sc, base.pop, lm.f, out)) {
        lc_error_add(err, "out of memory");
        rc = 1;
    }
    if (csv_finish(&lm, rc == 0, err))
        rc = 1;
    if (rc == 0)
        rc = csv_open(&cm, o->dir, map_files[1], err) ? 1 : 0;
    shock_row *rows = rc ? NULL : calloc((size_t)o->nshocks, sizeof *rows);
    if (rc == 0 && !rows) {
        lc_error_add(err, "out of memory");
        rc = 1;
    }
    int nm = sc->nmarkets;
    char *sets[3 + LC_MAX_MARKETS];
    char runs[] = "simulation.runs=1", every[] = "output.every=1", steps[64];
    snprintf(steps, sizeof steps, "simulation.steps=%ld", 1 + o->settle);
    char set_buf[LC_MAX_MARKETS][512];
    for (int k = 0; k < nm; k++)
        sets[3 + k] = set_buf[k];
    sets[0] = runs;
    sets[1] = steps;
    sets[2] = every; /* whatever divided the scenario's steps */
    double s0 = lc_scenario_s0(sc, mk);
    for (long i = 0; rc == 0 && i < o->nshocks; i++) {
        /* weights of the two ends, so the ends are exact and a grid through 0
         * (e.g. -0.2:0.1:4) holds an exact 0 */
        double x = o->nshocks == 1 ? o->from
                                   : ((double)(o->nshocks - 1 - i) * o->from + (double)i * o->to) /
                                         (double)(o->nshocks - 1);
        for (int k = 0; k < nm; k++)
            path_set(sets[3 + k], 512, sc, k, k == mk, x);
        lc_probe p;
        rc = lc_probe_run(&o->probe, (const char *const *)sets, 3 + nm, &base, &p, err);
        if (rc == 2)
            lc_error_add(err, "the deterministic path of shock %.6g", x);
        if (rc == 0) {
            const lc_run_row *r = &p.rows[0];
            double end = r->mk[mk].price_final;
            rows[i] = (shock_row){x,
                                  end,
                                  x != 0 ? log(end / s0) / log1p(x) : NAN,
                                  r->liq_notional_long,
                                  r->liq_notional_short,
                                  r->cdp_repaid,
                                  r->bad_debt + r->cdp_bad_debt,
                                  (long)(r->liq_count_long + r->liq_count_short +
                                         r->span_liq_count + r->cdp_liq_count),
                                  (long)r->max_rounds,
                                  (long)r->truncated};
        }
        lc_probe_free(&p);
    }
    if (rc == 0) {
        fputs("shock,fundamental,price_end,amplification,liq_notional_long,liq_notional_short,"
              "cdp_repaid,liq_accounts,rounds,truncated,bad_debt\n",
              cm.f);
        for (long i = 0; i < o->nshocks; i++) {
            const shock_row *r = &rows[i];
            fprintf(cm.f, "%.17g,%.17g,%.17g,", r->x, s0 * (1 + r->x), r->end);
            if (!isnan(r->amp))
                fprintf(cm.f, "%.17g", r->amp);
            fprintf(cm.f, ",%.17g,%.17g,%.17g,%ld,%ld,%ld,%.17g\n", r->liq_long, r->liq_short,
                    r->cdp_repaid, r->accounts, r->rounds, r->truncated, r->bad_debt);
        }
    }
    if (csv_finish(&cm, rc == 0, err))
        rc = 1;
    if (rc == 0) {
        fprintf(out,
                "cascade map (%s moved by each shock in one step, every market else flat, "
                "%ld settling step(s)):\n  %9s %14s %13s %16s %14s %9s %7s\n",
                sc->market[mk].name, o->settle, "shock", "price_end", "amplification",
                "liq_notional", "cdp_repaid", "accounts", "rounds");
        for (long i = 0; i < o->nshocks; i++) {
            const shock_row *r = &rows[i];
            fprintf(out, "  %+8.2f%% %14.6g %13.4g %16.4g %14.4g %9ld %7ld%s\n", 100 * r->x, r->end,
                    r->amp, r->liq_long + r->liq_short, r->cdp_repaid, r->accounts, r->rounds,
                    r->truncated ? "  (hit simulation.max_rounds)" : "");
        }
        /* a mark or oracle that lags sees the shock only later */
        for (int k = 0; o->settle == 0 && k < nm; k++) {
            const char *m = sc->market[k].mark.desc ? sc->market[k].mark.desc->name : "last";
            if (strcmp(m, "last") != 0)
                fprintf(out,
                        "note: %s's mark is '%s', not the market price: give --settle S (steps) "
                        "for the cascade to follow it\n",
                        sc->market[k].name, m);
        }
        for (int side = -1; side <= 1; side += 2) {
            const shock_row *crit = NULL;
            int any = 0;
            for (long i = 0; i < o->nshocks; i++) {
                const shock_row *r = &rows[i];
                if (r->x * side <= 0)
                    continue;
                any = 1;
                if (r->amp >= o->runaway && (!crit || fabs(r->x) < fabs(crit->x)))
                    crit = r;
            }
            if (!any)
                continue;
            if (crit)
                fprintf(out,
                        "critical %s shock: %+.2f%% (the smallest in the grid whose cascade "
                        "carries the price %.3gx as far: %.6g)\n",
                        side < 0 ? "down" : "up", 100 * crit->x, crit->amp, crit->end);
            else
                fprintf(out,
                        "no %s shock of the grid is amplified %gx or more (--runaway R sets "
                        "the factor)\n",
                        side < 0 ? "down" : "up", o->runaway);
        }
        fprintf(out, "wrote %s/%s and %s/%s\n", o->dir, map_files[0], o->dir, map_files[1]);
    }
    free(rows);
    lc_probe_free(&base);
    return rc;
}

/* summary.c — see summary.h. */
#include "cli/summary.h"

#include "engine/engine.h"
#include "out/metrics.h"

#include <math.h>

void lc_summary_init(lc_summary *s, const lc_scenario *sc)
{
    const lc_rare *ra = &sc->rare;
    int split = ra->method == LC_RARE_SPLIT;
    *s = (lc_summary){.insurance_min = INFINITY,
                      .sc = sc,
                      .weighted = ra->method != LC_RARE_NONE,
                      .split = split,
                      .replicate = -1,
                      .has_target = split || (ra->method == LC_RARE_TILT && isfinite(ra->level)),
                      .target = split ? ra->levels[ra->nlevels - 1] : ra->level};
}

static void share_add(const lc_summary *s, lc_share *sh, double w, int in)
{
    if (!in)
        return;
    sh->w += w;
    if (s->split)
        sh->cur += w;
    else
        sh->w2 += w * w;
}

/* Splitting: a replicate begins, every share's c_g of the last one closes. */
static void close_replicate(lc_summary *s)
{
    lc_share *all[5 + LC_MAX_MARKETS] = {&s->with_liq, &s->with_bad_debt, &s->cdp_with_liq,
                                         &s->cdp_with_bad, &s->at_target};
    int n = 5;
    for (int k = 0; k < s->sc->nmarkets; k++)
        all[n++] = &s->mk_with_liq[k];
    s->replicates_at_target += s->replicates > 0 && s->at_target.cur > 0;
    for (int i = 0; i < n; i++) {
        all[i]->w2 += all[i]->cur * all[i]->cur;
        all[i]->cur = 0;
    }
    s->replicates++;
}

void lc_summary_add(lc_summary *s, const lc_run_row *r)
{
    double liq = r->liq_notional_long + r->liq_notional_short;
    double w = s->weighted ? r->weight : 1.0; /* a plain run's row says 1 too */
    if (s->split && r->replicate != s->replicate) {
        close_replicate(s);
        s->replicate = r->replicate;
    }
    s->rows++;
    s->sw += w;
    s->sw2 += w * w;
    share_add(s, &s->with_liq, w, liq > 0); /* whole or partial: a liquidation either way */
    share_add(s, &s->with_bad_debt, w, r->bad_debt > 0);
    s->truncated_runs += r->truncated > 0;
    s->liq_notional_sum += w * liq;
    s->liq_notional_max = fmax(s->liq_notional_max, liq);
    s->bad_debt_sum += w * r->bad_debt;
    s->bad_debt_max = fmax(s->bad_debt_max, r->bad_debt);
    s->dd_sum += w * r->max_drawdown;
    s->exo_dd_sum += w * r->exo_drawdown;
    s->dd_max = fmax(s->dd_max, r->max_drawdown);
    s->insurance_min = fmin(s->insurance_min, r->insurance_min);
    share_add(s, &s->cdp_with_liq, w, r->cdp_liq_count > 0);
    share_add(s, &s->cdp_with_bad, w, r->cdp_bad_debt > 0);
    s->cdp_liq_sum += w * (double)r->cdp_liq_count;
    s->cdp_repaid_sum += w * r->cdp_repaid;
    s->cdp_bad_sum += w * r->cdp_bad_debt;
    s->cdp_bad_max = fmax(s->cdp_bad_max, r->cdp_bad_debt);
    for (int k = 0; k < s->sc->nmarkets; k++) {
        const lc_market_row *m = &r->mk[k];
        s->mk_liq_sum[k] += w * (m->liq_notional_long + m->liq_notional_short);
        s->mk_dd_sum[k] += w * m->max_drawdown;
        share_add(s, &s->mk_with_liq[k], w, m->liq_notional_long + m->liq_notional_short > 0);
    }
    if (s->has_target)
        share_add(s, &s->at_target, w, lc_rare_score_of(s->sc, r) >= s->target);
}

long lc_summary_target_replicates(const lc_summary *s)
{
    return s->replicates_at_target + (s->replicates > 0 && s->at_target.cur > 0);
}

void lc_summary_share(const lc_summary *s, lc_share sh, double *p, double *lo, double *hi)
{
    if (s->split)
        lc_replicate_share(sh.w, sh.w2 + sh.cur * sh.cur, s->replicates, s->rows, p, lo, hi);
    else if (s->weighted)
        lc_weighted_share(sh.w, sh.w2, s->rows, p, lo, hi);
    else
        lc_wilson((long)sh.w, s->rows, p, lo, hi);
}

/* A proportion in percent with its 95% interval. */
static void pct(char *buf, size_t size, const lc_summary *s, lc_share sh)
{
    double p, lo, hi;
    lc_summary_share(s, sh, &p, &lo, &hi);
    if (s->weighted && isnan(hi))
        snprintf(buf, size, "%9.3g %% (no run saw it)", 100 * p);
    else if (s->weighted)
        snprintf(buf, size, "%9.3g %% [%.3g, %.3g]", 100 * p, 100 * lo, 100 * hi);
    else
        snprintf(buf, size, "%6.2f %% [%.2f, %.2f]", 100 * p, 100 * lo, 100 * hi);
}

void lc_summary_print(const lc_summary *s, FILE *out)
{
    long n = s->rows;
    if (n == 0) {
        fprintf(out, "  no runs completed\n");
        return;
    }
    double dn = (double)n;
    char b[64];
    pct(b, sizeof b, s, s->with_liq);
    int cdps = s->sc->lending != LC_LENDING_NONE; /* then say which are the perpetuals' */
    fprintf(out, "  %-28s%s\n", cdps ? "perp runs with a liquidation" : "runs with a liquidation",
            b);
    fprintf(out, "  liquidated notional / run   mean %.4g quote, max %.4g quote\n",
            s->liq_notional_sum / dn, s->liq_notional_max);
    pct(b, sizeof b, s, s->with_bad_debt);
    fprintf(out, "  %-28s%s; mean %.4g quote, max %.4g quote\n",
            cdps ? "perp runs with bad debt" : "runs with bad debt", b, s->bad_debt_sum / dn,
            s->bad_debt_max);
    int k = s->sc->nmarkets;
    fprintf(out,
            "  max drawdown, mean          %s %.2f %%, fundamental %.2f %% (worst run %.2f "
            "%%)\n",
            k > 1 ? s->sc->market[0].name : "market", 100.0 * s->dd_sum / dn,
            100.0 * s->exo_dd_sum / dn, 100.0 * s->dd_max);
    for (int m = 0; k > 1 && m < k; m++) {
        pct(b, sizeof b, s, s->mk_with_liq[m]);
        fprintf(out, "  %-27s liquidated in %s of runs, mean %.4g quote; drawdown %.2f %%\n",
                s->sc->market[m].name, b, s->mk_liq_sum[m] / dn, 100.0 * s->mk_dd_sum[m] / dn);
    }
    fprintf(out, "  lowest insurance fund       %.4g quote\n", s->insurance_min);
    if (s->sc->lending != LC_LENDING_NONE) { /* the lending protocol's CDPs */
        pct(b, sizeof b, s, s->cdp_with_liq);
        fprintf(out, "  %-27s %s; mean %.4g liquidations, %.4g quote of debt repaid\n",
                s->sc->lending == LC_LENDING_AAVE       ? "CDPs (aave) liquidated in"
                : s->sc->lending == LC_LENDING_COMPOUND ? "CDPs (compound) liquidated in"
                : s->sc->lending == LC_LENDING_MAKER    ? "CDPs (maker) liquidated in"
                                                        : "troves (liquity) liquidated in",
                b, s->cdp_liq_sum / dn, s->cdp_repaid_sum / dn);
        pct(b, sizeof b, s, s->cdp_with_bad);
        fprintf(out, "  runs with CDP bad debt      %s; mean %.4g quote, max %.4g quote\n", b,
                s->cdp_bad_sum / dn, s->cdp_bad_max);
    }
    if (s->truncated_runs)
        fprintf(out, "  runs that hit max_rounds    %ld (their cascades continued next step)\n",
                s->truncated_runs);
    if (s->truncated_runs == n)
        fprintf(out,
                "  warning: every run's cascade hit simulation.max_rounds (%ld): the "
                "cascades were cut short; raise max_rounds to see where they end\n",
                s->sc->max_rounds);
    if (s->has_target) {
        double p, lo, hi;
        lc_summary_share(s, s->at_target, &p, &lo, &hi);
        char what[64];
        snprintf(what, sizeof what, "P(%s >= %.4g)", lc_rare_scores[s->sc->rare.score], s->target);
        if (isnan(hi))
            fprintf(out, "  %-27s %.3g (no run reached it)\n", what, p);
        else
            fprintf(out, "  %-27s %.3g [%.3g, %.3g]\n", what, p, lo, hi);
    }
    if (s->split) {
        fprintf(out,
                "  multilevel splitting        %ld trajectories ran to the horizon, in %ld "
                "replicates\n"
                "  (weighted by the trajectories' shares of their replicate; [..] is a 95%% "
                "interval of the\n  replicates' estimates, Student's t; liqcascade info FILE "
                "gives every metric)\n",
                n, s->replicates);
        long hit = lc_summary_target_replicates(s);
        if (2 * hit < s->replicates)
            fprintf(out,
                    "  warning: only %ld of the %ld replicates reached the target: a "
                    "splitting's estimate is then\n  dominated by a few replicates, likely too "
                    "low, with an interval too narrow; more effort,\n  levels closer together, "
                    "or a score nearer the event (docs/scenario.md, simulation.rare)\n",
                    hit, s->replicates);
    } else if (s->weighted) {
        double ess = lc_ess(s->sw, s->sw2);
        fprintf(out,
                "  importance sampling         weights' mean %.4g, effective sample size %.4g "
                "of %ld runs\n",
                s->sw / dn, ess, n);
        if (ess < LC_ESS_FEW)
            fprintf(out,
                    "  warning: the weights' effective sample size is below %d: a mean or "
                    "quantile over all runs rests on a few heavy ones; the tail the tilt "
                    "aims at can still be precise (see its interval)\n",
                    LC_ESS_FEW);
        fprintf(out, "  (weighted by the runs' likelihood ratios; [..] is a 95%% normal "
                     "interval; liqcascade info FILE gives every metric)\n");
    } else
        fprintf(out,
                "  ([..] is a 95%% Wilson interval; liqcascade info FILE gives every metric)\n");
}

void lc_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* A number JSON can hold: not finite is null. */
static void json_num(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "%.17g", x);
    else
        fputs("null", out);
}

static void json_value(FILE *out, const char *name, double v, const char *units, int more)
{
    fprintf(out, "\"%s\": {\"value\": ", name);
    json_num(out, v);
    fprintf(out, ", \"units\": \"%s\"}%s", units, more ? ", " : "");
}

static void json_share(FILE *out, const lc_summary *s, const char *name, lc_share sh, int more)
{
    double p, lo, hi;
    lc_summary_share(s, sh, &p, &lo, &hi);
    fprintf(out, "\"%s\": {\"value\": ", name);
    json_num(out, p);
    fputs(", \"lo\": ", out);
    json_num(out, lo);
    fputs(", \"hi\": ", out);
    json_num(out, hi);
    fprintf(out, ", \"units\": \"1\", \"interval\": \"%s\"}%s",
            s->split      ? "replicates_t95"
            : s->weighted ? "weighted_normal95"
                          : "wilson95",
            more ? ", " : "");
}

void lc_summary_json(const lc_summary *s, FILE *out)
{
    long n = s->rows;
    double dn = n > 0 ? (double)n : NAN;
    fprintf(out, "{\"runs\": %ld, ", n);
    if (s->weighted) {
        json_value(out, "weight_mean", s->sw / dn, "1", 1);
        json_value(out, "ess", lc_ess(s->sw, s->sw2), "runs", 1);
    }
    if (s->has_target) {
        fputs("\"target\": {\"score\": ", out);
        lc_json_string(out, lc_rare_scores[s->sc->rare.score]);
        fputs(", \"level\": ", out);
        json_num(out, s->target);
        fputs(", ", out);
        json_share(out, s, "p_reached", s->at_target, s->split);
        if (s->split)
            fprintf(out, "\"replicates_reaching\": %ld", lc_summary_target_replicates(s));
        fputs("}, ", out);
    }
    json_share(out, s, "p_liquidation", s->with_liq, 1);
    json_value(out, "liq_notional_mean", s->liq_notional_sum / dn, "quote", 1);
    json_value(out, "liq_notional_max", n ? s->liq_notional_max : NAN, "quote", 1);
    json_share(out, s, "p_bad_debt", s->with_bad_debt, 1);
    json_value(out, "bad_debt_mean", s->bad_debt_sum / dn, "quote", 1);
    json_value(out, "bad_debt_max", n ? s->bad_debt_max : NAN, "quote", 1);
    json_value(out, "max_drawdown_mean", s->dd_sum / dn, "1", 1);
    json_value(out, "exo_drawdown_mean", s->exo_dd_sum / dn, "1", 1);
    json_value(out, "max_drawdown_max", n ? s->dd_max : NAN, "1", 1);
    json_value(out, "insurance_min", n ? s->insurance_min : NAN, "quote", 1);
    fprintf(out, "\"runs_at_max_rounds\": %ld, \"markets\": [", s->truncated_runs);
    for (int m = 0; m < s->sc->nmarkets; m++) {
        fputs(m ? ", {\"name\": " : "{\"name\": ", out);
        lc_json_string(out, s->sc->market[m].name); /* "market" in a v1 scenario */
        fputs(", ", out);
        json_share(out, s, "p_liquidation", s->mk_with_liq[m], 1);
        json_value(out, "liq_notional_mean", s->mk_liq_sum[m] / dn, "quote", 1);
        json_value(out, "max_drawdown_mean", s->mk_dd_sum[m] / dn, "1", 0);
        fputc('}', out);
    }
    fputc(']', out);
    if (s->sc->lending != LC_LENDING_NONE) {
        fputs(", \"cdp\": {\"protocol\": ", out);
        lc_json_string(out, lc_lending_protocols[s->sc->lending]);
        fputs(", ", out);
        json_share(out, s, "p_liquidation", s->cdp_with_liq, 1);
        json_value(out, "liquidations_mean", s->cdp_liq_sum / dn, "1", 1);
        json_value(out, "repaid_mean", s->cdp_repaid_sum / dn, "quote", 1);
        json_share(out, s, "p_bad_debt", s->cdp_with_bad, 1);
        json_value(out, "bad_debt_mean", s->cdp_bad_sum / dn, "quote", 1);
        json_value(out, "bad_debt_max", n ? s->cdp_bad_max : NAN, "quote", 0);
        fputc('}', out);
    }
    fputc('}', out);
}

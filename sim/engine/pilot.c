/* pilot.c — the cross-entropy pilot of simulation.rare (pilot.h). */
#include "engine/pilot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "engine/trials.h"

/* A pilot run by its score, ties broken by market 0's drawdown, then by
 * run index (so the order, and the elite, is the same on every machine). */
typedef struct ranked {
    double score, dd;
    long r;
} ranked;

static int cmp_best_first(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->dd != y->dd)
        return x->dd < y->dd ? 1 : -1;
    return (x->r > y->r) - (x->r < y->r);
}

/* One iteration's runs at p's theta: score[r] (with its drawdown), log
 * weight lw[r] and the sums sum[r·K + k]. */
typedef struct iteration {
    const lc_scenario *p;
    const lc_population *pop;
    ranked *score;
    double *lw, *sum;
} iteration;

static int one_run(void *ctx, lc_scratch *s, long r, lc_error *e)
{
    iteration *it = ctx;
    lc_run_row row;
    int rc = lc_engine_run(it->p, it->pop, s, 0, r, &row, NULL, NULL, e);
    if (rc)
        return rc;
    int K = it->p->nmarkets;
    it->score[r] = (ranked){lc_rare_score_of(it->p, &row), row.max_drawdown, r};
    it->lw[r] = row.log_weight;
    for (int k = 0; k < K; k++)
        it->sum[r * K + k] = lc_scratch_tilt_sum(s, k);
    return 0;
}

/* 0, 1 if stopped, -1 with err. */
static int draw(const lc_scenario *p, const lc_population *pop, int threads, lc_engine_kind kind,
                const volatile sig_atomic_t *stop, ranked *score, double *lw, double *sum,
                lc_error *err)
{
    lc_trials t; /* scratches made at this theta: the tilt is read when they are */
    if (lc_trials_open(&t, p, pop, kind, threads, stop, err))
        return -1;
    iteration it = {p, pop, score, lw, sum};
    int rc = lc_trials_run(&t, 0, p->runs, one_run, &it, "rare.pilot", err);
    lc_trials_close(&t);
    return rc;
}

int lc_pilot_run(lc_scenario *sc, const lc_population *pop, int threads, lc_engine_kind kind,
                 const volatile sig_atomic_t *stop, FILE *log, char *trail, size_t trail_size,
                 lc_error *err)
{
    lc_rare *ra = &sc->rare;
    lc_scenario p = *sc; /* shallow: the pilot's runs, seed and theta */
    p.runs = ra->pilot_runs;
    p.rare.pilot = 0;
    for (int k = 0; k < sc->nmarkets; k++)
        p.rare.theta[k] = 0;
    long n = p.runs;
    int K = sc->nmarkets;
    ranked *score = malloc((size_t)n * sizeof *score);
    double *lw = malloc((size_t)n * sizeof *lw);
    double *sum = malloc((size_t)n * (size_t)K * sizeof *sum);
    int rc = 0, reached = 0;
    size_t used = 0;
    if (trail && trail_size)
        trail[0] = '\0';
    if (!score || !lw || !sum)
        rc = lc_error_add(err, "rare.pilot: out of memory for %ld runs", n);
    for (long it = 1; rc == 0 && !reached && it <= ra->pilot_iterations; it++) {
        p.seed = lc_stream_seed(sc->seed, LC_STREAM_PILOT, (uint64_t)it);
        if ((rc = draw(&p, pop, threads, kind, stop, score, lw, sum, err)))
            break;
        qsort(score, (size_t)n, sizeof *score, cmp_best_first);
        long k = (long)ceil(ra->pilot_quantile * (double)n);
        k = k < 1 ? 1 : k > n ? n : k;
        double gamma = score[k - 1].score; /* the level the best rho reach */
        reached = gamma >= ra->level;
        long elite = k; /* the best k; once the target is reached, all at or above it */
        if (reached) {
            gamma = ra->level;
            while (elite < n && score[elite].score >= gamma)
                elite++;
        }
        double top = -INFINITY; /* the elite's largest log weight */
        for (long i = 0; i < elite; i++)
            top = fmax(top, lw[score[i].r]);
        double wsum = 0, wsum2 = 0, mass[LC_MAX_MARKETS] = {0};
        for (long i = 0; i < elite; i++) {
            long r = score[i].r;
            double w = exp(lw[r] - top); /* scaled: the ratio does not change */
            wsum += w;
            wsum2 += w * w;
            for (int j = 0; j < K; j++)
                mass[j] += w * sum[r * K + j];
        }
        for (int j = 0; j < K; j++)
            if (ra->tilted[j])
                p.rare.theta[j] = mass[j] / ((double)ra->tilt_steps * wsum);
        if (log) {
            fprintf(log,
                    "liqcascade: pilot %ld/%ld: level %s >= %.4g (target %.4g), %ld elite "
                    "runs of %ld (effective %.3g); theta",
                    it, ra->pilot_iterations, lc_rare_scores[ra->score], gamma, ra->level, elite, n,
                    wsum * wsum / wsum2);
            for (int j = 0; j < K; j++)
                if (ra->tilted[j])
                    fprintf(log, " %s %+.5g", sc->market[j].name, p.rare.theta[j]);
            fputc('\n', log);
        }
        if (trail && used < trail_size) {
            used += (size_t)snprintf(trail + used, trail_size - used, "%s%ld: level %.6g, theta",
                                     used ? "; " : "", it, gamma);
            for (int j = 0; j < K && used < trail_size; j++)
                if (ra->tilted[j])
                    used +=
                        (size_t)snprintf(trail + used, trail_size - used, " %.6g", p.rare.theta[j]);
        }
    }
    if (rc == 0 && !reached && log)
        fprintf(log,
                "liqcascade: pilot: warning: after %ld iterations its level is below the "
                "target's %.4g; the runs use the last theta (unbiased still, but the target "
                "event is rarer under it than it could be: more iterations or pilot runs)\n",
                ra->pilot_iterations, ra->level);
    if (rc == 0) {
        memcpy(ra->theta, p.rare.theta, sizeof ra->theta);
        ra->pilot = 0;
    }
    free(score);
    free(lw);
    free(sum);
    return rc;
}

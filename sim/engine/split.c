/* split.c — fixed-effort multilevel splitting (split.h). */
#include "engine/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "engine/trials.h"

void lc_split_free(lc_split *sp)
{
    free(sp->traj);
    free(sp->job);
    free(sp->hits);
    *sp = (lc_split){0};
}

void lc_split_lineage(const lc_split *sp, long t, lc_rekey *at, lc_lineage *l)
{
    int n = 0; /* its depth: the stage it starts at */
    for (long u = t; sp->traj[u].parent >= 0; u = sp->traj[u].parent)
        n++;
    int k = n;
    for (long u = t; sp->traj[u].parent >= 0; u = sp->traj[u].parent)
        at[--k] = (lc_rekey){sp->traj[u].step, sp->traj[u].key};
    *l = (lc_lineage){.root = sp->traj[t].root, .n = n, .at = at, .level = INFINITY};
}

/* A stage's trajectory i run to its level: its crossing (or -1) and score. */
typedef struct stage {
    const lc_scenario *sc;
    const lc_population *pop;
    lc_split *sp;
    double level;
} stage;

static int one_trajectory(void *ctx, lc_scratch *s, long i, lc_error *e)
{
    stage *st = ctx;
    lc_rekey at[LC_SPLIT_MAX_LEVELS];
    lc_lineage line;
    lc_split_lineage(st->sp, i, at, &line);
    line.level = st->level;
    lc_scratch_set_lineage(s, &line);
    lc_run_row row;
    int rc = lc_engine_run(st->sc, st->pop, s, 0, i, &row, NULL, NULL, e);
    lc_scratch_set_lineage(s, NULL);
    if (rc == 0 || rc == 2) {
        st->sp->traj[i].crossed = rc == 2 ? lc_scratch_crossed(s) : -1;
        st->sp->traj[i].score = lc_rare_score_of(st->sc, &row);
        rc = 0;
    }
    return rc;
}

/* Trajectories first .. first+n-1 of a stage run to level. 0, 1 if
 * stopped, -1 with err. */
static int run_stage(const lc_scenario *sc, const lc_population *pop, lc_trials *t, lc_split *sp,
                     long first, long n, double level, lc_error *err)
{
    stage st = {sc, pop, sp, level};
    return lc_trials_run(t, first, n, one_trajectory, &st, "rare.split", err);
}

/* Replicate g's clones of its entrances among its trajectories [first,
 * end) of stage l, appended at sp->ntraj (room was made): effort of them,
 * or none without an entrance. Returns the entrances H. */
static long deal(const lc_scenario *sc, lc_split *sp, gsl_rng *rng, long first, long end, int g,
                 int l, long *slot)
{
    long effort = sc->rare.effort, h = 0;
    long *entrance = slot; /* the entrances in order, then a shuffle of them */
    for (long i = first; i < end; i++)
        if (sp->traj[i].crossed >= 0)
            entrance[h++] = i;
    if (h == 0)
        return 0;
    /* clones of each: effort / h, and one more for effort mod h entrances
     * drawn without replacement (a partial Fisher-Yates shuffle) */
    long base = effort / h, extra = effort % h;
    long *order = slot + h, *clones = slot + 2 * h;
    for (long i = 0; i < h; i++) {
        order[i] = i;
        clones[i] = base;
    }
    lc_rng_reset(rng, sc->seed, LC_STREAM_SPLIT_DEAL,
                 (uint64_t)g * LC_SPLIT_MAX_LEVELS + (uint64_t)l);
    for (long i = 0; i < extra; i++) {
        long j = i + (long)gsl_rng_uniform_int(rng, (unsigned long)(h - i));
        long tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
        clones[order[i]]++;
    }
    for (long i = 0; i < h; i++) {
        const lc_split_traj *e = &sp->traj[entrance[i]];
        for (long c = 0; c < clones[i]; c++)
            sp->traj[sp->ntraj++] =
                (lc_split_traj){.parent = entrance[i],
                                .root = e->root,
                                .step = e->crossed,
                                .key = lc_stream_seed(e->key, LC_STREAM_SPLIT, (uint64_t)c),
                                .replicate = g,
                                .crossed = -1};
    }
    return h;
}

/* The rows: replicate by replicate, stage by stage, the trajectories that
 * ran to the horizon, weighted (split.h). Within a stage a replicate's
 * trajectories are consecutive, so one cursor a stage walks them. */
static int make_rows(const lc_scenario *sc, lc_split *sp, const long *stage_first, int stages,
                     lc_error *err)
{
    const lc_rare *ra = &sc->rare;
    long G = ra->replicates, N = ra->effort;
    sp->job = malloc((size_t)(sp->ntraj > 0 ? sp->ntraj : 1) * sizeof *sp->job);
    if (!sp->job)
        return lc_error_add(err, "rare.split: out of memory for %ld rows", sp->ntraj);
    long n = 0; /* the last stage's never ran: crossed -1, rows all */
    for (long t = 0; t < sp->ntraj; t++)
        n += sp->traj[t].crossed < 0;
    double scale = (double)n / (double)G;
    long at[LC_SPLIT_MAX_LEVELS]; /* each stage's cursor */
    memcpy(at, stage_first, (size_t)stages * sizeof *at);
    for (int g = 0; g < G; g++) {
        double mass = 1; /* P_gl */
        for (int l = 0; l < stages; l++) {
            long end = l + 1 < stages ? stage_first[l + 1] : sp->ntraj;
            for (; at[l] < end && sp->traj[at[l]].replicate == g; at[l]++)
                if (sp->traj[at[l]].crossed < 0)
                    sp->job[sp->njob++] = (lc_split_job){at[l], scale * mass / (double)N};
            mass *= (double)sp->hits[g * ra->nlevels + l] / (double)N;
        }
    }
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* levels: auto, stage l of the pilot: its trajectories [first, first+n)
 * run to the horizon, the level their best LC_SPLIT_RHO reach (the
 * target's, once that is reached: *last). 0, 1 stopped, -1 with err. */
static int choose_level(lc_scenario *sc, const lc_population *pop, lc_trials *t, lc_split *sp,
                        long first, long n, int l, int *last, lc_error *err)
{
    lc_rare *ra = &sc->rare;
    int rc = run_stage(sc, pop, t, sp, first, n, INFINITY, err);
    double *score = rc ? NULL : malloc((size_t)n * sizeof *score);
    if (rc || !score)
        return rc ? rc : lc_error_add(err, "rare.split: out of memory");
    for (long i = 0; i < n; i++)
        score[i] = sp->traj[first + i].score;
    qsort(score, (size_t)n, sizeof *score, cmp_desc);
    long k = (long)ceil(LC_SPLIT_RHO * (double)n);
    double level = score[(k < 1 ? 1 : k) - 1], below = l ? ra->levels[l - 1] : 0;
    if (!(level > below)) { /* fewer climb above the last: the least score of those that do */
        long c = 0;
        while (c < n && score[c] > below)
            c++;
        if (c > 0)
            level = score[c - 1];
    }
    free(score);
    *last = level >= ra->level;
    ra->levels[l] = *last ? ra->level : level;
    if (!*last && !(level > below))
        return lc_error_add(err,
                            "rare.split: levels: auto: at level %d none of the pilot's "
                            "trajectories climbs above %.6g, the level before: give the levels "
                            "(or more effort: the score does not climb towards %.6g)",
                            l + 1, below, ra->level);
    ra->nlevels = l + 1;
    return 0;
}

int lc_split_run(lc_scenario *sc, const lc_population *pop, int threads, lc_engine_kind kind,
                 const volatile sig_atomic_t *stop, FILE *log, lc_split *sp, lc_error *err)
{
    lc_rare *ra = &sc->rare;
    long G = ra->replicates, N = ra->effort;
    int choose = ra->auto_levels, m = choose ? LC_SPLIT_MAX_LEVELS : ra->nlevels;
    *sp = (lc_split){.nlevels = m};
    /* at most G·N trajectories a stage, m stages */
    sp->traj = malloc((size_t)(G * N * m) * sizeof *sp->traj);
    sp->hits = calloc((size_t)(G * m), sizeof *sp->hits);
    long *slot = malloc((size_t)(3 * N + 3) * sizeof *slot);
    gsl_rng *rng = gsl_rng_alloc(lc_rng_xoshiro256pp);
    lc_trials trials = {0};
    int rc = 0;
    if (!sp->traj || !sp->hits || !slot || !rng)
        rc = lc_error_add(err, "rare.split: out of memory for %ld trajectories", G * N * m);
    if (rc == 0)
        rc = lc_trials_open(&trials, sc, pop, kind, threads, stop, err);
    long stage_first[LC_SPLIT_MAX_LEVELS];
    int stages = 0;
    for (long r = 0; rc == 0 && r < G * N; r++) /* stage 0: the roots */
        sp->traj[sp->ntraj++] =
            (lc_split_traj){.parent = -1,
                            .root = r,
                            .key = lc_stream_seed(sc->seed, LC_STREAM_SPLIT, (uint64_t)r),
                            .replicate = (int)(r / N),
                            .crossed = -1};
    if (rc == 0)
        stage_first[stages++] = 0;
    /* stages 0 .. m-2 run to their level; the last runs as the rows (auto:
     * each stage's level chosen first, until the target's) */
    for (int l = 0; rc == 0 && l < m - 1; l++) {
        long first = stage_first[l], n = sp->ntraj - first;
        if (n == 0)
            break;
        int last = 0;
        if (choose && ((rc = choose_level(sc, pop, &trials, sp, first, n, l, &last, err)) || last))
            break;
        if ((rc = run_stage(sc, pop, &trials, sp, first, n, ra->levels[l], err)))
            break;
        long reached = 0, live = 0;
        sp->ran += n;
        stage_first[stages++] = sp->ntraj;
        for (long i = first, j; i < first + n; i = j) { /* replicate by replicate */
            int g = sp->traj[i].replicate;
            for (j = i; j < first + n && sp->traj[j].replicate == g; j++)
                ;
            long h = deal(sc, sp, rng, i, j, g, l, slot);
            sp->hits[g * m + l] = h;
            reached += h;
            live += h > 0;
        }
        if (log && choose)
            fprintf(log, "liqcascade: split pilot level %d: %s >= %.4g\n", l + 1,
                    lc_rare_scores[ra->score], ra->levels[l]);
        else if (log)
            fprintf(log,
                    "liqcascade: split level %d/%d: %s >= %.4g: %ld of %ld trajectories "
                    "reached it (%.3g of them; %ld of %ld replicates go on)\n",
                    l + 1, m, lc_rare_scores[ra->score], ra->levels[l], reached, n,
                    (double)reached / (double)n, live, G);
    }
    if (rc == 0 && choose && !(ra->nlevels > 0 && ra->levels[ra->nlevels - 1] == ra->level))
        rc = lc_error_add(err,
                          "rare.split: levels: auto: the pilot did not reach %s >= %.6g within "
                          "%d levels (its trajectories stopped at %.6g): give the levels, or "
                          "more effort",
                          lc_rare_scores[ra->score], ra->level, LC_SPLIT_MAX_LEVELS,
                          ra->nlevels > 0 ? ra->levels[ra->nlevels - 1] : 0.0);
    if (rc == 0 && !choose)
        rc = make_rows(sc, sp, stage_first, stages, err);
    lc_trials_close(&trials);
    free(slot);
    gsl_rng_free(rng);
    if (rc)
        lc_split_free(sp);
    return rc;
}

/* "SCORE levels L1 L2 ..." into buf; the bytes it took (up to size). */
static size_t levels_text(const lc_rare *ra, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "%s levels", lc_rare_scores[ra->score]);
    for (int l = 0; l < ra->nlevels && used < size; l++)
        used += (size_t)snprintf(buf + used, size - used, " %.6g", ra->levels[l]);
    return used < size ? used : size;
}

void lc_split_describe(const lc_scenario *sc, const lc_split *sp, char *buf, size_t size)
{
    const lc_rare *ra = &sc->rare;
    size_t used = levels_text(ra, buf, size);
    if (used < size)
        used += (size_t)snprintf(buf + used, size - used, "; effort %ld, %ld replicates; hits",
                                 ra->effort, ra->replicates);
    for (int l = 0; l + 1 < ra->nlevels && used < size; l++) {
        long h = 0;
        for (long g = 0; g < ra->replicates; g++)
            h += sp->hits[g * ra->nlevels + l];
        used += (size_t)snprintf(buf + used, size - used, " %ld", h);
    }
}

int lc_split_choose_levels(lc_scenario *sc, const lc_population *pop, int threads,
                           lc_engine_kind kind, const volatile sig_atomic_t *stop, FILE *log,
                           char *trail, size_t trail_size, lc_error *err)
{
    lc_scenario p = *sc; /* shallow: its seed and one replicate */
    p.seed = lc_stream_seed(sc->seed, LC_STREAM_PILOT, 0);
    p.rare.replicates = 1;
    lc_split sp;
    p.rare.nlevels = 0;
    int rc = lc_split_run(&p, pop, threads, kind, stop, log, &sp, err);
    if (rc == 0 && (double)sc->rare.effort * (double)sc->rare.replicates * p.rare.nlevels > 1e9)
        rc = lc_error_add(err,
                          "rare.split: levels: auto chose %d levels: effort x replicates x "
                          "levels is over 1e9 trajectories (less effort or fewer replicates)",
                          p.rare.nlevels);
    if (rc == 0) {
        memcpy(sc->rare.levels, p.rare.levels, sizeof sc->rare.levels);
        sc->rare.nlevels = p.rare.nlevels;
        sc->rare.auto_levels = 0;
        snprintf(trail, trail_size, "levels chosen by the pilot");
        if (log) {
            char lv[512];
            levels_text(&sc->rare, lv, sizeof lv);
            fprintf(log,
                    "liqcascade: split: levels: auto: %s (the pilot's own seed, %ld "
                    "trajectories a level)\n",
                    lv, sc->rare.effort);
        }
    }
    lc_split_free(&sp);
    return rc;
}

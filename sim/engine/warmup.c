/* warmup.c — see warmup.h. */
#include "engine/warmup.h"

#include <stdlib.h>
#include <string.h>

#include "book/book.h"
#include "engine/engine.h"
#include "engine/rng.h"
#include "engine/scratch.h"

/* Whether account a holds anything at risk: a position, or a CDP's debt. */
static int at_risk(const lc_account *a)
{
    if (a->margin != LC_MARGIN_CDP)
        return a->npos > 0;
    for (int k = 0; k < a->ncol; k++)
        if (a->col[k].amount < 0)
            return 1;
    return 0;
}

/* Account a as at s0: prices × s0/P, units × P/s0, market by market. */
static void rescale(lc_account *a, const double *f)
{
    for (int k = 0; k < a->npos; k++) {
        a->pos[k].entry *= f[a->pos[k].market];
        a->pos[k].qty /= f[a->pos[k].market];
    }
    for (int k = 0; k < a->ncol; k++)
        if (a->col[k].asset != LC_QUOTE)
            a->col[k].amount /= f[a->col[k].asset];
}

lc_population *lc_population_warm(const lc_scenario *sc, const lc_population *pop,
                                  lc_warmup_stats *st, lc_error *err)
{
    /* the warmup's scenario: one run of `warmup` steps on its own stream,
     * without the scripted shock and stress window, recording nothing */
    lc_scenario w = *sc;
    lc_market_spec mk[LC_MAX_MARKETS];
    memcpy(mk, sc->market, (size_t)sc->nmarkets * sizeof *mk);
    for (int k = 0; k < sc->nmarkets; k++)
        mk[k].shock.desc = NULL;
    w.market = mk;
    w.runs = 1;
    w.steps = sc->warmup;
    w.series_mask = 0;
    w.seed = lc_stream_seed(sc->seed, LC_STREAM_WARMUP, 0);
    if (w.corr.stress == LC_STRESS_WINDOW)
        w.corr.stress = LC_STRESS_NONE;

    lc_scratch *s = lc_scratch_create(&w, pop, LC_ENGINE_INDEX, 0);
    lc_account *acc = s ? malloc((size_t)(pop->n > 0 ? pop->n : 1) * sizeof *acc) : NULL;
    int64_t *origin = acc ? malloc((size_t)(pop->n > 0 ? pop->n : 1) * sizeof *origin) : NULL;
    if (!origin) {
        lc_error_add(err, "out of memory for the warmup of %ld accounts", pop->n);
        free(acc);
        lc_scratch_free(s);
        return NULL;
    }
    float *series[LC_SERIES_N] = {0};
    lc_run_row row;
    lc_population *out = NULL;
    if (lc_engine_run(&w, pop, s, 0, 0, &row, series, NULL, err) != 0) {
        lc_error_add(err, "population.warmup: the warmup's run failed");
        goto done;
    }
    double f[LC_MAX_MARKETS];
    for (int k = 0; k < sc->nmarkets; k++) {
        double p = row.mk[k].price_final;
        f[k] = lc_scenario_s0(sc, k) / p;
        if (st)
            st->price_end[k] = p;
    }
    long n = 0;
    for (long i = 0; i < pop->n; i++) {
        if (!lc_book_is_open(s->book, i))
            continue;
        lc_book_account(s->book, i, &acc[n]);
        if (!at_risk(&acc[n]))
            continue;
        rescale(&acc[n], f);
        origin[n++] = pop->origin[i];
    }
    out = lc_population_from_accounts(sc, n, acc, err);
    if (!out) {
        lc_error_add(err, "population.warmup: the book it left is not valid");
        goto done;
    }
    for (long i = 0; i < out->n; i++) /* the place each survivor was drawn in */
        out->origin[i] = origin[out->origin[i]];
    out->leverage_capped = pop->leverage_capped;
    if (st) {
        st->drawn = pop->n;
        st->kept = out->n;
    }
done:
    free(origin);
    free(acc);
    lc_scratch_free(s);
    return out;
}

lc_population *lc_population_for_runs(const lc_scenario *sc, lc_warmup_stats *st, lc_error *err)
{
    lc_population *pop = lc_population_create(sc, err);
    if (st && pop) {
        memset(st, 0, sizeof *st);
        st->drawn = st->kept = pop->n;
    }
    if (!pop || sc->warmup <= 0)
        return pop;
    lc_population *warm = lc_population_warm(sc, pop, st, err);
    lc_population_free(pop);
    return warm;
}

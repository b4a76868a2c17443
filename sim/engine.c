/* engine.c — one run: exogenous price, cascade rounds, settlement, records.
 *
 * Market: log P = log F + J, J = J_perm + J_trans. Each step
 *   log F += r (price model);  J_trans *= 2^(−dt/half_life);  P = e^(log F + J)
 * then the mark oracle samples P once (venue.mark; model.h), then the
 * cascade: while some account is breached at the mark (and fewer than
 * max_rounds rounds ran), the breached set B trades its net flow
 * n = Σ_short q − Σ_long q (base; + = buy) through the impact model, which
 * returns dJ and the round's VWAP X; dJ is split permanent/transient, every
 * account of B is settled at X, and P is recomputed. With mark `last` the
 * mark is P itself, re-read at every round; with an oracle it is fixed for
 * the step, so every account it breaches goes in the step's first round and
 * the price move of the cascade reaches margin checks at later steps.
 *
 * Invariants: accounts settle in index order, which population.h makes the
 * liquidation order; the two engines differ only in how they find B (cursor
 * vs. scan), so all sums are taken in the same order and the results are
 * identical bit for bit. */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "venue.h"

struct lc_scratch {
    lc_engine_kind kind;
    gsl_rng *rng;
    void *price_state, *impact_state, *mark_state;
    /* scan engine only */
    unsigned char *dead; /* account liquidated in this run */
    uint32_t *bl, *bs;   /* breached longs, shorts of the round */
};

lc_scratch *lc_scratch_create(const lc_scenario *sc, const lc_population *pop,
                              lc_engine_kind kind)
{
    lc_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const lc_price_model *pm = lc_price_model_of(sc->price.desc);
    const lc_impact_model *im = lc_impact_model_of(sc->impact.desc);
    const lc_mark_model *mm = lc_mark_model_of(sc->mark.desc);
    s->kind = kind;
    s->rng = gsl_rng_alloc(lc_rng_xoshiro256pp);
    s->price_state = calloc(1, pm->state_size ? pm->state_size : 1);
    s->impact_state = calloc(1, im->state_size ? im->state_size : 1);
    s->mark_state = calloc(1, mm->state_size ? mm->state_size : 1);
    int ok = s->rng && s->price_state && s->impact_state && s->mark_state;
    if (ok && kind == LC_ENGINE_SCAN) {
        size_t n = pop->n > 0 ? (size_t)pop->n : 1;
        s->dead = malloc(n);
        s->bl = malloc(n * sizeof *s->bl);
        s->bs = malloc(n * sizeof *s->bs);
        ok = s->dead && s->bl && s->bs;
    }
    if (!ok) {
        lc_scratch_free(s);
        return NULL;
    }
    return s;
}

void lc_scratch_free(lc_scratch *s)
{
    if (!s)
        return;
    gsl_rng_free(s->rng);
    free(s->price_state);
    free(s->impact_state);
    free(s->mark_state);
    free(s->dead);
    free(s->bl);
    free(s->bs);
    free(s);
}

/* The mutable state of one run. */
typedef struct run {
    const lc_scenario *sc;
    const lc_population *pop;
    lc_scratch *s;
    lc_run_row *row;
    lc_eventbuf *ev;
    long t, round;
    double log_f, j_perm, j_trans, p;
    int mark_live;  /* mark = p at every round (mark model `last`) */
    double mark;    /* the oracle's mark for this step (unused when live) */
    double peak, exo_peak;
    double insurance;
    double qty_long, qty_short; /* open quantity per side */
    long open_long, open_short; /* open accounts per side */
    double step_liq[2];         /* [0] long, [1] short notional since the last record */
    double step_total;          /* liquidated notional in this step */
    long cursor_long, cursor_short;
    int oom;
    const char *bad; /* why the run's numbers left the finite range, or NULL */
} run;

/* The price margin checks use now. */
static inline double mark_now(const run *r)
{
    return r->mark_live ? r->p : r->mark;
}

/* Recompute P and follow its minimum and drawdown. */
static void observe_price(run *r)
{
    r->p = exp(r->log_f + r->j_perm + r->j_trans);
    if (r->p < r->row->price_min)
        r->row->price_min = r->p;
    if (r->p > r->peak)
        r->peak = r->p;
    double dd = 1.0 - r->p / r->peak;
    if (dd > r->row->max_drawdown)
        r->row->max_drawdown = dd;
}

static void liquidate(run *r, long i, double x)
{
    const lc_population *pop = r->pop;
    int side = pop->side[i];
    double q = pop->qty[i];
    lc_settlement st = lc_settle(side, q, pop->entry[i], pop->collateral[i], x,
                                 r->sc->liquidation_fee, &r->insurance);
    double notional = q * x;
    lc_run_row *row = r->row;
    if (side > 0) {
        row->liq_count_long++;
        row->liq_notional_long += notional;
        /* exactly 0 once the side is gone, not a rounding residue below it */
        r->qty_long = --r->open_long ? r->qty_long - q : 0.0;
    } else {
        row->liq_count_short++;
        row->liq_notional_short += notional;
        r->qty_short = --r->open_short ? r->qty_short - q : 0.0;
    }
    r->step_liq[side > 0 ? 0 : 1] += notional;
    r->step_total += notional;
    row->fees += st.fee;
    row->bad_debt += st.bad_debt;
    if (r->insurance < row->insurance_min)
        row->insurance_min = r->insurance;
    if (row->first_liq_step < 0)
        row->first_liq_step = r->t;
    if (r->ev) {
        lc_event e = {row->run, row->point, r->t, r->round, i, LC_EVENT_LIQUIDATION,
                      side * q, x, notional, st.fee, st.shortfall};
        if (lc_eventbuf_push(r->ev, &e))
            r->oom = 1;
    }
}

/* The breached accounts of one side in a round, in settlement order: a list
 * of indices (scan engine) or the range first .. first+n-1 (index engine). */
typedef struct span {
    const uint32_t *list;
    long first, n;
} span;

static inline long span_at(span s, long k)
{
    return s.list ? (long)s.list[k] : s.first + k;
}

/* Trade a round's breached accounts through the impact model and settle them
 * at the round's VWAP: longs, then shorts, each in settlement order. */
static void settle_round(run *r, span longs, span shorts)
{
    const lc_population *pop = r->pop;
    double n_base = 0;
    for (long k = 0; k < longs.n; k++)
        n_base -= pop->qty[span_at(longs, k)];
    for (long k = 0; k < shorts.n; k++)
        n_base += pop->qty[span_at(shorts, k)];
    const lc_impact_model *im = lc_impact_model_of(r->sc->impact.desc);
    double x;
    double dj = im->apply(r->s->impact_state, r->sc->impact.p, n_base, r->p, &x);
    if (!isfinite(dj) || !isfinite(x)) {
        /* e.g. a short squeeze through a thin book: e^dJ overflows. Settling
         * at an infinite price would write inf/NaN as if it were a result. */
        r->bad = "the impact of a round's flow is not a finite price move";
        return;
    }
    double perm = r->sc->impact_common[LC_IMPACT_PERMANENT];
    r->j_perm += perm * dj;
    r->j_trans += (1.0 - perm) * dj;
    for (long k = 0; k < longs.n; k++)
        liquidate(r, span_at(longs, k), x);
    for (long k = 0; k < shorts.n; k++)
        liquidate(r, span_at(shorts, k), x);
    observe_price(r);
}

/* index engine: the breached accounts are the next ones of each side's
 * range (longs [0, n_long), shorts [n_long, n), both in liquidation order) */
static int round_index(run *r)
{
    const lc_population *pop = r->pop;
    const double *liq = pop->liq_price;
    long a = r->cursor_long, b = r->cursor_short;
    double m = mark_now(r);
    while (a < pop->n_long && lc_breached(1, liq[a], m))
        a++;
    while (b < pop->n && lc_breached(-1, liq[b], m))
        b++;
    if (a == r->cursor_long && b == r->cursor_short)
        return 0;
    if (r->round == r->sc->max_rounds)
        return -1;
    r->round++;
    settle_round(r, (span){NULL, r->cursor_long, a - r->cursor_long},
                 (span){NULL, r->cursor_short, b - r->cursor_short});
    r->cursor_long = a;
    r->cursor_short = b;
    return 1;
}

/* scan engine: check every live account; index order is settlement order */
static int round_scan(run *r)
{
    const lc_population *pop = r->pop;
    lc_scratch *s = r->s;
    long nl = 0, ns = 0;
    double m = mark_now(r);
    for (long i = 0; i < pop->n; i++) {
        if (s->dead[i] || !lc_breached(pop->side[i], pop->liq_price[i], m))
            continue;
        if (pop->side[i] > 0)
            s->bl[nl++] = (uint32_t)i;
        else
            s->bs[ns++] = (uint32_t)i;
    }
    if (nl == 0 && ns == 0)
        return 0;
    if (r->round == r->sc->max_rounds)
        return -1;
    r->round++;
    for (long k = 0; k < nl; k++)
        s->dead[s->bl[k]] = 1;
    for (long k = 0; k < ns; k++)
        s->dead[s->bs[k]] = 1;
    settle_round(r, (span){s->bl, 0, nl}, (span){s->bs, 0, ns});
    return 1;
}

static void record(run *r, float *const series[LC_SERIES_N], long col)
{
    double v[LC_SERIES_N] = {
        [LC_SERIES_PRICE] = r->p,
        [LC_SERIES_FUNDAMENTAL] = exp(r->log_f),
        [LC_SERIES_LIQ_LONG] = r->step_liq[0],
        [LC_SERIES_LIQ_SHORT] = r->step_liq[1],
        [LC_SERIES_INSURANCE] = r->insurance,
        [LC_SERIES_OI] = (r->qty_long + r->qty_short) * r->p,
        [LC_SERIES_MARK] = mark_now(r),
    };
    for (int i = 0; i < LC_SERIES_N; i++)
        if (series[i])
            series[i][col] = (float)v[i];
}

int lc_engine_run(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long point,
                  long run_index, lc_run_row *row, float *const series[LC_SERIES_N],
                  lc_eventbuf *ev, lc_error *err)
{
    const lc_price_model *pm = lc_price_model_of(sc->price.desc);
    const lc_impact_model *im = lc_impact_model_of(sc->impact.desc);
    const lc_mark_model *mm = lc_mark_model_of(sc->mark.desc);
    double s0 = sc->price_common[LC_PRICE_S0];
    double half_life = sc->impact_common[LC_IMPACT_HALF_LIFE];
    /* transient impact left after one step; half_life 0: none */
    double decay = half_life > 0 ? exp2(-sc->dt_s / half_life) : 0.0;

    lc_rng_reset(s->rng, sc->seed, LC_STREAM_PRICE, (uint64_t)run_index);
    pm->init(s->price_state, sc->price.p, sc->dt_s);
    if (im->init)
        im->init(s->impact_state, sc->impact.p, s0, sc->dt_s);
    mm->init(s->mark_state, sc->mark.p, s0, sc->dt_s);
    if (s->kind == LC_ENGINE_SCAN && pop->n > 0)
        memset(s->dead, 0, (size_t)pop->n);

    *row = (lc_run_row){.point = point, .run = run_index, .price_min = s0,
                        .insurance_min = sc->insurance_fund, .first_liq_step = -1};
    run r = {.sc = sc, .pop = pop, .s = s, .row = row, .ev = ev, .log_f = log(s0),
             .peak = s0, .exo_peak = s0, .insurance = sc->insurance_fund,
             .qty_long = pop->qty_long, .qty_short = pop->qty_short,
             .open_long = pop->n_long, .open_short = pop->n - pop->n_long,
             .cursor_short = pop->n_long, .mark_live = mm->live, .mark = s0};
    observe_price(&r);
    if (series)
        record(&r, series, 0);

    int (*find_round)(run *) = s->kind == LC_ENGINE_SCAN ? round_scan : round_index;
    long every = sc->every;
    for (r.t = 1; r.t <= sc->steps; r.t++) {
        r.log_f += pm->step(s->price_state, sc->price.p, r.t, s->rng);
        r.j_trans *= decay;
        double f = exp(r.log_f);
        if (f > r.exo_peak)
            r.exo_peak = f;
        if (1.0 - f / r.exo_peak > row->exo_drawdown)
            row->exo_drawdown = 1.0 - f / r.exo_peak;
        observe_price(&r);
        if (!r.mark_live) /* the oracle's one sample of the step */
            r.mark = mm->sample(s->mark_state, sc->mark.p, r.t, r.p);

        r.step_total = 0;
        int more = 0;
        if (!(isfinite(r.log_f) && r.p > 0 && isfinite(r.p)))
            r.bad = "the price model's path left the range of finite prices";
        for (r.round = 0; !r.bad && (more = find_round(&r)) > 0;)
            if (!(r.p > 0 && isfinite(r.p)))
                r.bad = "the market price left the range of finite positive prices";
        if (r.bad)
            return lc_error_add(err,
                                "run %ld, step %ld, round %ld: %s (market price %g, "
                                "fundamental %g quote); check impact depth and price "
                                "parameters",
                                run_index, r.t, r.round, r.bad, r.p, exp(r.log_f));
        if (more < 0)
            row->truncated++;
        if (r.round > row->max_rounds)
            row->max_rounds = r.round;
        if (r.step_total > row->peak_step_liq_notional)
            row->peak_step_liq_notional = r.step_total;
        if (r.t % every == 0) { /* liquidation series sum over the every steps */
            if (series)
                record(&r, series, r.t / every);
            r.step_liq[0] = r.step_liq[1] = 0;
        }
        if (r.oom)
            return lc_error_add(err, "out of memory recording events of run %ld", run_index);
    }
    row->price_final = r.p;
    row->insurance_end = r.insurance;
    row->oi_end = (r.qty_long + r.qty_short) * r.p;
    return 0;
}

/* engine.c — the step loop (engine.h, DESIGN §11) and the scratch that
 * chooses, once, what the loop calls.
 *
 * Per step: the markets move (market.h: exogenous return, decay of transient
 * impact, P, the mark's one sample); the rules' on_step (top-ups); then the
 * cascade: while the finder sees an account breached at the marks and fewer
 * than max_rounds rounds ran, it hands the round's accounts over and the
 * settlement strategy trades and settles them (run.h, settle.c). With mark
 * `last` the mark is P itself, re-read at every round; with an oracle it is
 * fixed for the step, so every account it breaches goes in the step's first
 * round and the price move of the cascade reaches margin checks at later
 * steps. Then the step is checked (finite, within float32 for /series) and
 * recorded.
 *
 * What counts from t = 0: the market price and the fund at t = 0 are
 * observed before the first step, so price_min <= s0, insurance_min <= the
 * initial fund, and the running peaks of the drawdowns start at s0. */
#include "engine/engine.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "book/rekey.h"
#include "engine/rng.h"
#include "engine/scratch.h"

/* A rule that plans, keeps words or hears of changes needs the changes
 * kept, whatever it declares. */
static int rule_mutable(const lc_rule *ru)
{
    return ru->changes_positions || ru->words || ru->on_breach || ru->on_change;
}

/* The settlement strategy: with nothing acting on settlement, no position
 * that changes and no events, nothing but lc_settle per account. */
static lc_settle_fn choose_settle(int settles, int breach, int mutable, int events, int spans)
{
    return !settles && !mutable && !events && !spans ? lc_settle_plain
           : breach || spans                         ? lc_settle_general
                                                     : lc_settle_streamed;
}

static const volatile sig_atomic_t never; /* the stop flag of a scratch given none */

lc_scratch *lc_scratch_create(const lc_scenario *sc, const lc_population *pop, lc_engine_kind kind,
                              int events)
{
    lc_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->events = events;
    s->stop = &never;
    s->rng = gsl_rng_alloc(lc_rng_xoshiro256pp);
    s->nmk = sc->nmarkets;
    s->ncols = lc_scenario_series_cols(sc);
    for (int i = 0; i < LC_SERIES_N; i++)
        if (sc->series_mask >> i & 1u)
            s->recorded[s->nrecorded++] = i;
    int ok = s->rng && lc_innovations_init(&s->innov, sc, s->rng) == 0;
    for (int k = 0; k < s->nmk; k++)
        ok = ok && lc_market_init(&s->mk[k], sc, k) == 0;
    int words = 0, mutable = 0;
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        words += ru->words;
        if (!ru->enabled(&sc->rules[k], sc))
            continue;
        lc_rule_inst *ri = &s->rules[s->nrules++];
        *ri = (lc_rule_inst){ru, &sc->rules[k], NULL, lc_rule_cell0(k), lc_rule_word0(k)};
        mutable |= rule_mutable(ru);
#define LC_HOOK_LIST(h)                                                                            \
    if (ru->h)                                                                                     \
        s->by_##h[s->n_##h++] = ri;
        LC_HOOK_LIST(on_run)
        LC_HOOK_LIST(on_step)
        LC_HOOK_LIST(on_breach)
        LC_HOOK_LIST(on_liquidate)
        LC_HOOK_LIST(on_settle)
        LC_HOOK_LIST(on_change)
        LC_HOOK_LIST(on_shortfall)
        LC_HOOK_LIST(on_end)
#undef LC_HOOK_LIST
    }
    int spans = pop->n > pop->span0;
    s->max_trades = spans ? lc_margin_cross.max_trades : lc_margin_isolated.max_trades;
    const lc_finder_type *ft = lc_finders[kind];
    if (ok)
        ok = (s->book = lc_book_create(pop, ft->dense, mutable, words)) != NULL &&
             lc_finder_init(&s->finder, ft, sc, pop, mutable) == 0;
    for (int k = 0; ok && k < s->nrules; k++) {
        lc_rule_inst *ri = &s->rules[k];
        ri->state = calloc(1, ri->rule->state_size ? ri->rule->state_size : 1);
        ok = ri->state && (!ri->rule->create || ri->rule->create(ri, sc, s->book) == 0);
    }
    int settles = s->n_on_breach || s->n_on_liquidate || s->n_on_settle;
    s->settle = choose_settle(settles, s->n_on_breach, mutable, events, spans);
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
    for (int k = 0; k < s->nrules; k++) {
        lc_rule_inst *ri = &s->rules[k];
        if (ri->state && ri->rule->destroy)
            ri->rule->destroy(ri);
        free(ri->state);
    }
    lc_finder_release(&s->finder);
    lc_book_free(s->book);
    for (int k = 0; k < s->nmk; k++)
        lc_market_release(&s->mk[k]);
    lc_innovations_release(&s->innov);
    gsl_rng_free(s->rng);
    free(s->plan);
    free(s->trades);
    free(s);
}

double lc_scratch_bytes(const lc_scenario *sc, long n, long nspan, lc_engine_kind kind, int events)
{
    int words = 0, mutable = 0, settles = 0, breach = 0, states = 0;
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        words += ru->words;
        if (!ru->enabled(&sc->rules[k], sc))
            continue;
        mutable |= rule_mutable(ru);
        settles |= ru->on_breach || ru->on_liquidate || ru->on_settle;
        breach |= ru->on_breach != NULL;
        states += ru->create != NULL;
    }
    double a = (double)n, sp = (double)nspan, grown = 0.1 * a; /* what grows: see engine.h */
    double b = 0;
    if (lc_finders[kind]->dense) { /* book.c: dead, changed, qty, col, liq, words */
        b += a * (1 + (mutable ? 2 + 3 * sizeof(double) : 0) + (size_t)words * sizeof(int64_t));
        b += a * sizeof(uint32_t); /* finder.c: list */
    } else {
        b += sp * sizeof(uint32_t); /* book.c: span_closed */
        b += (mutable || nspan ? a : 0) * sizeof(uint32_t) + (mutable ? a : 0) * sizeof(uint32_t);
        if (mutable) /* rekey.c: a slot at half load, its order and its heap item */
            b += grown * (2 * sizeof(lc_rekey_entry) + sizeof(long) + 2 * sizeof(double));
        /* slack.c: first, pending, group_of, and a key per anchor level */
        b += sp * (2 * sizeof(lc_slack_entry) + 1 + LC_SLACK_LEVELS * sizeof(lc_slack_entry));
    }
    b += a * (double)states * 48; /* rules' per-account state (adl.c, topup.c): at most 48 B */
    if (choose_settle(settles, breach, mutable, events, nspan > 0) != lc_settle_plain) {
        int trades = nspan ? lc_margin_cross.max_trades : lc_margin_isolated.max_trades;
        b += grown * (sizeof(lc_item) + (size_t)trades * sizeof(lc_trade));
    }
    return b + (double)(1 << 20); /* the models, rules and generators themselves */
}

void lc_scratch_set_stop(lc_scratch *s, const volatile sig_atomic_t *stop)
{
    s->stop = stop ? stop : &never;
}

double lc_scratch_tilt_sum(const lc_scratch *s, int k)
{
    return lc_innovations_sum(&s->innov, k);
}

void lc_scratch_set_lineage(lc_scratch *s, const lc_lineage *l)
{
    s->lineage = l;
}

long lc_scratch_crossed(const lc_scratch *s)
{
    return s->crossed;
}

double lc_rare_score_of(const lc_scenario *sc, const lc_run_row *row)
{
    switch (sc->rare.score) {
    case LC_SCORE_DRAWDOWN:
        return row->mk[0].max_drawdown;
    case LC_SCORE_FALL:
        return 1.0 - row->mk[0].price_min / lc_scenario_s0(sc, 0);
    case LC_SCORE_FUND_USED:
        return sc->insurance_fund - row->insurance_min;
    default:
        return row->bad_debt;
    }
}

long lc_scratch_evaluations(const lc_scratch *s)
{
    return s->finder.slack.evaluations;
}

/* The price below which 1 − p/peak can exceed max_dd: peak·(1 − max_dd),
 * raised by 1e-12 of itself, far beyond the rounding of either side, so
 * every price whose drawdown the division would record passes it and the
 * division is done only for those (the same numbers, bit for bit). */
static double drawdown_gate(double peak, double max_dd)
{
    return peak * (1.0 - max_dd) * (1.0 + 1e-12);
}

/* A drawdown's running peak and maximum at price x. */
static void follow_drawdown(double x, double *peak, double *gate, double *max_dd)
{
    if (x > *peak) {
        *peak = x;
        *gate = drawdown_gate(x, *max_dd);
    }
    if (x < *gate) {
        double dd = 1.0 - x / *peak;
        if (dd > *max_dd) {
            *max_dd = dd;
            *gate = drawdown_gate(*peak, dd);
        }
    }
}

/* Follow market k's price: its minimum, peak and drawdown. */
static void observe_market(lc_run *r, int k)
{
    double p = r->mk[k].p;
    lc_market_row *mr = &r->row->mk[k];
    if (p < mr->price_min)
        mr->price_min = p;
    follow_drawdown(p, &r->peak[k], &r->gate[k], &mr->max_drawdown);
}

static void observe(lc_run *r)
{
    for (int k = 0; k < r->nmk; k++)
        observe_market(r, k);
}

/* ... and the fundamental's peak and drawdown. */
static void observe_fundamental(lc_run *r, int k, double f)
{
    follow_drawdown(f, &r->exo_peak[k], &r->exo_gate[k], &r->row->mk[k].exo_drawdown);
}

/* Open interest of market k, quote. */
static double open_interest(const lc_run *r, int k)
{
    return (r->qty[k][0] + r->qty[k][1]) * r->mk[k].p;
}

/* What a run records: per plane (a series of a market, or insurance) the
 * row it fills (series[i] + k·ncols) and where its value lives in the run,
 * found once per run instead of by series and market at every column. */
typedef struct recorder {
    int n;
    struct plane {
        float *to;
        const double *at; /* the value, or NULL: open interest of market k */
        int k;
    } plane[LC_SERIES_N * LC_MAX_MARKETS];
} recorder;

static const double *series_at(const lc_run *r, int i, int k)
{
    const lc_market *m = &r->mk[k];
    switch (i) {
    case LC_SERIES_PRICE:
        return &m->p;
    case LC_SERIES_FUNDAMENTAL:
        return &m->f;
    case LC_SERIES_LIQ_LONG:
        return &r->step_liq[k][0];
    case LC_SERIES_LIQ_SHORT:
        return &r->step_liq[k][1];
    case LC_SERIES_OI:
        return NULL;
    case LC_SERIES_MARK:
        return m->mark_live ? &m->p : &m->mark;
    default: /* LC_SERIES_INSURANCE, the venue's */
        return &r->insurance;
    }
}

static void recorder_init(recorder *rec, const lc_run *r, float *const series[LC_SERIES_N])
{
    const lc_scratch *s = r->s;
    rec->n = 0;
    for (int j = 0; series && j < s->nrecorded; j++) {
        int i = s->recorded[j], n = lc_series[i].per_market ? r->nmk : 1;
        for (int k = 0; series[i] && k < n; k++)
            rec->plane[rec->n++] = (struct plane){series[i] + k * s->ncols, series_at(r, i, k), k};
    }
}

/* Column col of every recorded series: a market's series hold one row of
 * ncols values per market, insurance one. */
static void record(const lc_run *r, const recorder *rec, long col)
{
    for (int j = 0; j < rec->n; j++) {
        const struct plane *pl = &rec->plane[j];
        pl->to[col] = (float)(pl->at ? *pl->at : open_interest(r, pl->k));
    }
}

/* The accounts the last step's rounds breached but no one liquidated (a
 * lending CDP no liquidator took) are open again for this step's. */
static void reopen_deferred(lc_run *r)
{
    lc_book *b = r->book;
    for (long k = 0; k < b->ndeferred; k++) {
        lc_book_reopen(b, b->deferred[k]);
        lc_finder_reopen(&r->s->finder, b->deferred[k]);
    }
    b->ndeferred = 0;
}

/* The cascade of one step: rounds until no account is breached. Returns 0,
 * or -1 when it stopped at max_rounds with accounts still breached. */
static int cascade(lc_run *r)
{
    lc_scratch *s = r->s;
    lc_finder *f = &s->finder;
    for (r->round = 0; !r->bad && f->type->find(f, r);) {
        if (r->round == r->sc->max_rounds)
            return -1;
        r->round++;
        lc_round round;
        f->type->take(f, r, &round);
        s->settle(r, &round);
        if (r->bad || r->oom)
            break;
        if (*s->stop) { /* a step of long rounds sees a signal too */
            r->stopped = 1;
            break;
        }
        observe(r);
        for (int k = 0; k < r->nmk && !r->bad; k++)
            if (!(r->mk[k].p > 0 && isfinite(r->mk[k].p))) {
                r->bad = "the market price left the range of finite positive prices";
                r->bad_market = k;
            }
    }
    return 0;
}

/* Why the step's numbers cannot be stored, or NULL: /series is float32, and
 * a price or flow beyond its range would be stored as inf (and such a price
 * is no market anyway). */
static const char *unstorable(const lc_run *r, int k)
{
    const lc_market *m = &r->mk[k];
    if (!(m->p <= FLT_MAX && m->f <= FLT_MAX && open_interest(r, k) <= FLT_MAX &&
          r->step_liq[k][0] <= FLT_MAX && r->step_liq[k][1] <= FLT_MAX))
        return "a price or flow exceeds 3.4e38 quote, the range of the float32 series";
    if (!(m->p >= FLT_MIN && m->f >= FLT_MIN)) /* stored as 0: no price */
        return "a price fell below 1.2e-38 quote, the smallest the float32 series hold";
    if (!(fabs(r->insurance) <= FLT_MAX))
        return "the insurance fund exceeds 3.4e38 quote, the range of the float32 series";
    return NULL;
}

/* The row's totals from its markets: sums, and the price columns of
 * market 0 (the first listed). */
static void row_totals(lc_run_row *row, int nmk)
{
    const lc_market_row *m0 = &row->mk[0];
    row->price_final = m0->price_final;
    row->price_min = m0->price_min;
    row->max_drawdown = m0->max_drawdown;
    row->exo_drawdown = m0->exo_drawdown;
    row->liq_count_long = row->liq_count_short = 0;
    row->liq_notional_long = row->liq_notional_short = row->oi_end = 0;
    for (int k = 0; k < nmk; k++) {
        const lc_market_row *m = &row->mk[k];
        row->liq_count_long += m->liq_count_long;
        row->liq_count_short += m->liq_count_short;
        row->liq_notional_long += m->liq_notional_long;
        row->liq_notional_short += m->liq_notional_short;
        row->oi_end += m->oi_end;
    }
}

/* A lineage at the end of step t: its re-keyings of step t, then whether
 * the run ends here, its score at the level from the last re-keying on. */
static int line_step(lc_scratch *s, const lc_lineage *line, int *next, long t,
                     const lc_run_row *row)
{
    for (; *next < line->n && line->at[*next].step == t; ++*next) {
        lc_rng_reset(s->rng, line->at[*next].key, LC_STREAM_PRICE, 0);
        lc_innovations_rekey(&s->innov, line->at[*next].key);
    }
    if (*next < line->n || !(lc_rare_score_of(s->innov.sc, row) >= line->level))
        return 0;
    s->crossed = t;
    return 1;
}

int lc_engine_run(const lc_scenario *sc, const lc_population *pop, lc_scratch *s, long point,
                  long run_index, lc_run_row *row, float *const series[LC_SERIES_N],
                  lc_eventbuf *ev, lc_error *err)
{
    if (ev && !s->events)
        return lc_error_add(err, "run %ld: events asked of a scratch made without them", run_index);
    const lc_lineage *line = s->lineage;
    long stream_run = line ? line->root : run_index; /* a clone's streams start as its root's */
    lc_rng_reset(s->rng, sc->seed, LC_STREAM_PRICE, (uint64_t)stream_run);
    lc_innovations_start(&s->innov, sc->seed, (uint64_t)stream_run);
    s->crossed = -1;
    for (int k = 0; k < s->nmk; k++)
        lc_market_start(&s->mk[k]);
    lc_book_reset(s->book);
    *row = (lc_run_row){.point = point,
                        .run = run_index,
                        .insurance_min = sc->insurance_fund,
                        .first_liq_step = -1,
                        .weight = 1};
    lc_run r = {.sc = sc,
                .pop = pop,
                .book = s->book,
                .mk = s->mk,
                .nmk = s->nmk,
                .s = s,
                .row = row,
                .ev = ev,
                .run = stream_run,
                .insurance = sc->insurance_fund};
    for (int k = 0; k < s->nmk; k++) {
        double s0 = lc_scenario_s0(sc, k);
        row->mk[k].price_min = r.peak[k] = r.exo_peak[k] = s0;
        r.gate[k] = r.exo_gate[k] = drawdown_gate(s0, 0);
        for (int side = 0; side < 2; side++) { /* the ranges' and the spanning positions */
            r.qty[k][side] = pop->range_qty[2 * k + side] + pop->span_qty[2 * k + side];
            r.open[k][side] = pop->range[2 * k + side + 1] - pop->range[2 * k + side] +
                              pop->span_open[2 * k + side];
        }
    }
    if (s->finder.type->start)
        s->finder.type->start(&s->finder, &r);
    LC_RULES_EACH(s, on_run, &r);
    observe(&r);
    recorder rec;
    recorder_init(&rec, &r, series);
    record(&r, &rec, 0);

    lc_innovations *in = &s->innov;
    const int nmk = s->nmk;
    int next_key = 0;                            /* the lineage's next re-keying */
    long until_record = sc->every, col = 0;      /* steps to the next recorded column, its index */
    const volatile sig_atomic_t *stop = s->stop; /* read once: the loop's stores may alias it */
    int (*quiet)(const lc_finder *, const lc_run *) = s->n_on_step ? NULL : s->finder.type->quiet;
    for (r.t = 1; r.t <= sc->steps; r.t++) {
        if (*stop) /* a load and a branch: nothing beside a step */
            return 1;
        lc_innovations_step(in, r.t);
        for (int k = 0; k < nmk; k++) {
            lc_market *m = &s->mk[k];
            observe_fundamental(&r, k, lc_market_step(m, r.t, &in->d[k]));
            observe_market(&r, k);
            if (!(isfinite(m->log_f) && m->p > 0 && isfinite(m->p)) && !r.bad) {
                r.bad = "the price model's path left the range of finite prices";
                r.bad_market = k;
            }
        }
        r.step_total = 0;
        r.round = 0;
        int truncated = 0;
        /* a quiet step: no rule acts on steps, no account waits to reopen,
         * and the finder knows nothing is breached, so the cascade would
         * find nothing; skipped, the same numbers */
        if (!(quiet && !r.bad && s->book->ndeferred == 0 && quiet(&s->finder, &r))) {
            if (!r.bad) /* before the cascade: top-ups */
                LC_RULES_EACH(s, on_step, &r);
            reopen_deferred(&r);
            truncated = r.bad ? 0 : cascade(&r);
            if (r.stopped)
                return 1;
            if (r.oom)
                return lc_error_add(err,
                                    "run %ld, step %ld: out of memory for the run's events or "
                                    "changed accounts",
                                    run_index, r.t);
        }
        for (int k = 0; k < nmk; k++) { /* storable, and depth for the next step's cascade */
            if (!r.bad && (r.bad = unstorable(&r, k)))
                r.bad_market = k;
            lc_market_end_step(&s->mk[k]);
        }
        if (r.bad) {
            const lc_market *m = &s->mk[r.bad_market];
            return lc_error_add(err,
                                "run %ld, step %ld, round %ld: %s (market %s: price %g, "
                                "fundamental %g quote); check impact depth and price "
                                "parameters",
                                run_index, r.t, r.round, r.bad, sc->market[r.bad_market].name, m->p,
                                exp(m->log_f));
        }
        row->truncated += truncated < 0;
        if (r.round > row->max_rounds)
            row->max_rounds = r.round;
        if (r.step_total > row->peak_step_liq_notional)
            row->peak_step_liq_notional = r.step_total;
        if (--until_record == 0) { /* liquidation series sum over the every steps */
            until_record = sc->every;
            record(&r, &rec, ++col);
            for (int k = 0; k < nmk; k++)
                r.step_liq[k][0] = r.step_liq[k][1] = 0;
        }
        if (line && line_step(s, line, &next_key, r.t, row))
            return 2;
    }
    LC_RULES_EACH(s, on_end, &r);
    for (int k = 0; k < s->nmk; k++) {
        row->mk[k].price_final = s->mk[k].p;
        row->mk[k].oi_end = open_interest(&r, k);
    }
    row_totals(row, s->nmk);
    row->insurance_end = r.insurance;
    row->log_weight = lc_innovations_log_weight(in);
    row->weight = exp(row->log_weight);
    return 0;
}

/* engine.c — one run: exogenous price, cascade rounds, settlement, records.
 *
 * Market: log P = log F + J, J = J_perm + J_trans. Each step
 *   log F += r (price model, plus the shock overlay's increment);  J_trans *= 2^(−dt/half_life);  P = e^(log F + J)
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
 * Auto-deleveraging (venue.adl: adl): a liquidation whose shortfall exceeds
 * the insurance fund sends to the book only the part the fund can cover; the
 * rest is closed at the account's bankruptcy price against the open accounts
 * of the other side in ADL-score order (venue.h), fully or (the last one)
 * partly. The round's book flow n is computed before settlement, from every
 * breached account's whole quantity: the venue's liquidation orders meet the
 * book before it learns what the fund covers, so deleveraged quantity moves
 * the price as if traded (a conservative simplification, docs/scenario.md).
 * Partial liquidation (venue.partial): a breached account may close only
 * part of its position (venue.h lc_partial_qty, decided at the mark before
 * the round's flow is computed, so the flow is exactly what closes); the
 * rest stays open with its pnl and fee booked to its collateral. A partly
 * deleveraged, partly liquidated or topped-up account has a new quantity,
 * collateral and liquidation price: the index engine keeps it in the sparse
 * table and heaps of rekey.h, and merges those breached with its cursor
 * ranges so that a round's accounts settle in index order exactly as the
 * scan engine, which keeps full per-run arrays, settles them.
 *
 * Margin top-ups (venue.topup = {probability p, call c, delay k, target t};
 * off while p = 0): an open account is called the first time its margin
 * ratio maintenance/equity at the mark reaches c, i.e. the mark passes its
 * call price (venue.h lc_tier_level_price with factor 1/c on maintenance),
 * or when it is partly liquidated (its ratio reached 1 > c) if it was not
 * called before. A called account tops up with probability p, decided by u =
 * lc_hash_uniform(stream seed (seed, LC_STREAM_BEHAVIOUR, run), account) < p
 * — a hash of the account, not a sequential draw, so the two engines, which
 * meet calls in different orders, and any thread count agree. Its top-up
 * lands at the top-up point of step (call step + k) — or of the next step,
 * for a call made in a cascade after that point (k = 0) — if the account is
 * still open: collateral += max(0, maintenance/t − equity) at the mark (a
 * top-up of 0 is not recorded). An account is called, and so tops up, at
 * most once per run. Each step, after the mark is sampled and before the
 * cascade: (1) new calls at the mark, (2) due top-ups, in account order,
 * each re-keyed like a partial liquidation (new collateral, new liquidation
 * price). Finding calls: the scan engine tests every open uncalled account's
 * current call price; the index engine sorts the population once per scratch
 * by the call price of each account's initial state (call_ord, per side the
 * order a moving mark reaches them; not the liquidation order, as tiers and
 * collateral make the two orders differ) and moves a second cursor per side
 * along it: an account it passes is called if it is open and was never
 * re-keyed. The order lives in the scratch, not the population, because the
 * call level is a venue key a sweep may vary between points that share one
 * population; it costs O(n log n) once per scratch (per thread and point)
 * and is read-only during runs. An account re-keyed before its call (only
 * ADL does that: a partial liquidation is itself a call) has a new call
 * price; it is put once on a short list of uncalled re-keyed accounts tested
 * at every step. Both engines so call the same accounts at the same step,
 * and the sums over top-ups are taken in account order.
 *
 * Liquidity withdrawal (impact.withdrawal = w > 0; off by default): every
 * impact model's depth is scaled by
 *   m = 1/(1 + w·max(0, sigma_realised/sigma_ref − 1)),
 * which is the same as passing the model the flow n/m (depth_1pct, adv and
 * the pool's reserves all enter as flow/depth; the VWAP along the thinner
 * curve is the model's VWAP for n/m). sigma_realised² is an EWMA of the squared
 * step log-returns ρ_t = log P_t − log P_(t−1) of the market price (end of
 * step, after the cascade), v_t = λ·v_(t−1) + (1 − λ)·ρ_t²,
 * λ = 2^(−dt/vol_half_life), v_0 = sigma_ref²·dt (dt in years), so
 * sigma_realised/sigma_ref = sqrt(v/v_0). A step's cascade uses v of the step
 * before: liquidity providers react to the volatility they have seen. With
 * w = 0, m is 1 and n/m is n exactly.
 *
 * Invariants: accounts settle in index order, which population.h makes the
 * liquidation order; the two engines differ only in how they find B (cursor
 * vs. scan), so all sums are taken in the same order and the results are
 * identical bit for bit. */
#include "engine/engine.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "book/rekey.h"
#include "engine/rng.h"
#include "venue/venue.h"

/* A fund below this (quote) is the rounding dust ADL leaves in an emptied
 * fund: it is treated, and recorded in insurance_min, as 0. */
#define FUND_DUST 1e-6

/* An ADL counterparty candidate: its score and account. */
typedef struct cand {
    double score;
    uint32_t idx;
} cand;

struct lc_scratch {
    lc_engine_kind kind;
    gsl_rng *rng;
    void *price_state, *impact_state, *mark_state;
    /* scan engine only */
    unsigned char *dead; /* account liquidated in this run */
    double *cur_qty, *cur_col, *cur_liq; /* with ADL or partial: per-run state of every account */
    long *cur_cool;                      /* with partial: step a partial may happen again */
    /* scan engine, and index engine with ADL */
    uint32_t *bl, *bs; /* breached longs, shorts of the round */
    /* index engine with ADL or partial */
    lc_rekey *rk;
    uint32_t *popped; /* re-keyed accounts breached in a round */
    /* ADL: the plan of one event, and per side the ranked queue of the
     * step (a max-heap by cmp_cand), built at the step's first ADL event */
    cand *cands;
    cand *queue[2];
    long queue_n[2], queue_t[2];
    cand *skipped;
    /* partial: quantity each breached account closes in the round */
    double *dq_long, *dq_short;
    /* top-ups: pending top-ups (account, due step) in call order, which is
     * due order; scan: called flags; index: the call order of the initial
     * states per side (longs by decreasing call price, then shorts by
     * increasing), each account's place in it, and the uncalled re-keyed */
    int topup;
    uint32_t *pend_idx;
    long *pend_due;
    unsigned char *called;
    double *call_price;
    uint32_t *call_ord, *call_rank, *uncalled;
};

/* The call price of an account's state (venue.h): one function for both
 * engines and the index's precomputed initial states. */
static double call_price(const lc_scenario *sc, int side, double q, double entry, double c)
{
    return lc_tier_level_price(side, q, entry, c, sc->tiers, sc->ntiers, 1.0 / sc->topup_call,
                               NULL);
}

static int cmp_cand(const void *a, const void *b);

/* index engine with top-ups: call prices of the initial states and their
 * order per side (a cand's score is the sort key: −price for longs, which a
 * falling mark reaches from the highest call price, price for shorts) */
static int build_call_order(lc_scratch *s, const lc_scenario *sc, const lc_population *pop)
{
    cand *tmp = malloc((pop->n > 0 ? (size_t)pop->n : 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (long i = 0; i < pop->n; i++) {
        int side = pop->side[i];
        s->call_price[i] = call_price(sc, side, pop->qty[i], pop->entry[i], pop->collateral[i]);
        /* cmp_cand ranks a higher score first: longs by price, shorts by −price */
        tmp[i] = (cand){side > 0 ? s->call_price[i] : -s->call_price[i], (uint32_t)i};
    }
    qsort(tmp, (size_t)pop->n_long, sizeof *tmp, cmp_cand);
    qsort(tmp + pop->n_long, (size_t)(pop->n - pop->n_long), sizeof *tmp, cmp_cand);
    for (long k = 0; k < pop->n; k++) {
        s->call_ord[k] = tmp[k].idx;
        s->call_rank[tmp[k].idx] = (uint32_t)k;
    }
    free(tmp);
    return 0;
}

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
    size_t n = pop->n > 0 ? (size_t)pop->n : 1;
    int adl = sc->adl == LC_ADL_ON, partial = sc->partial_mode != LC_PARTIAL_NONE;
    int topup = sc->topup_probability > 0;
    int mut = adl || partial || topup; /* positions change within a run */
    if (ok && (kind == LC_ENGINE_SCAN || mut)) {
        s->bl = malloc(n * sizeof *s->bl);
        s->bs = malloc(n * sizeof *s->bs);
        ok = s->bl && s->bs;
    }
    if (ok && kind == LC_ENGINE_SCAN) {
        s->dead = malloc(n);
        ok = s->dead != NULL;
    }
    if (ok && kind == LC_ENGINE_SCAN && mut) {
        s->cur_qty = malloc(n * sizeof *s->cur_qty);
        s->cur_col = malloc(n * sizeof *s->cur_col);
        s->cur_liq = malloc(n * sizeof *s->cur_liq);
        ok = s->cur_qty && s->cur_col && s->cur_liq;
    }
    if (ok && kind == LC_ENGINE_INDEX && mut) {
        s->rk = lc_rekey_create();
        s->popped = malloc(n * sizeof *s->popped);
        ok = s->rk && s->popped;
    }
    if (ok && adl) {
        s->cands = malloc(n * sizeof *s->cands);
        s->queue[0] = malloc(n * sizeof *s->queue[0]);
        s->queue[1] = malloc(n * sizeof *s->queue[1]);
        s->skipped = malloc(n * sizeof *s->skipped);
        ok = s->cands && s->queue[0] && s->queue[1] && s->skipped;
    }
    if (ok && partial) {
        s->dq_long = malloc(n * sizeof *s->dq_long);
        s->dq_short = malloc(n * sizeof *s->dq_short);
        ok = s->dq_long && s->dq_short;
    }
    if (ok && partial && kind == LC_ENGINE_SCAN) {
        s->cur_cool = malloc(n * sizeof *s->cur_cool);
        ok = s->cur_cool != NULL;
    }
    if (ok && topup) {
        s->topup = 1;
        s->pend_idx = malloc(n * sizeof *s->pend_idx);
        s->pend_due = malloc(n * sizeof *s->pend_due);
        ok = s->pend_idx && s->pend_due;
    }
    if (ok && topup && kind == LC_ENGINE_SCAN) {
        s->called = malloc(n);
        ok = s->called != NULL;
    }
    if (ok && topup && kind == LC_ENGINE_INDEX) {
        s->call_price = malloc(n * sizeof *s->call_price);
        s->call_ord = malloc(n * sizeof *s->call_ord);
        s->call_rank = malloc(n * sizeof *s->call_rank);
        s->uncalled = malloc(n * sizeof *s->uncalled);
        ok = s->call_price && s->call_ord && s->call_rank && s->uncalled &&
             build_call_order(s, sc, pop) == 0;
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
    free(s->cur_qty);
    free(s->cur_col);
    free(s->cur_liq);
    lc_rekey_free(s->rk);
    free(s->popped);
    free(s->cands);
    free(s->queue[0]);
    free(s->queue[1]);
    free(s->skipped);
    free(s->dq_long);
    free(s->dq_short);
    free(s->cur_cool);
    free(s->pend_idx);
    free(s->pend_due);
    free(s->called);
    free(s->call_price);
    free(s->call_ord);
    free(s->call_rank);
    free(s->uncalled);
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
    double depth; /* liquidity withdrawal multiplier m of this step, 1 if off */
    /* top-ups: the run's behaviour stream seed, the call cursors of the
     * index engine (places in call_ord), pending top-ups [pend_head,
     * pend_n), uncalled re-keyed accounts of the index engine */
    uint64_t behaviour;
    long cc_long, cc_short;
    long pend_head, pend_n, n_uncalled;
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

/* Current quantity and collateral of a live account (or of one being
 * settled in this round). */
static void account(const run *r, long i, double *q, double *c)
{
    const lc_scratch *s = r->s;
    const lc_rekey_entry *e = s->rk ? lc_rekey_find(s->rk, i) : NULL;
    if (s->cur_qty) {
        *q = s->cur_qty[i];
        *c = s->cur_col[i];
    } else if (e) {
        *q = e->qty;
        *c = e->collateral;
    } else {
        *q = r->pop->qty[i];
        *c = r->pop->collateral[i];
    }
}

static void push_event(run *r, long i, lc_event_kind kind, double qty, double price, double fee,
                       double shortfall)
{
    if (!r->ev)
        return;
    lc_event e = {r->row->run, r->row->point, r->t, r->round, i, kind,
                  qty, price, fabs(qty) * price, fee, shortfall};
    if (lc_eventbuf_push(r->ev, &e))
        r->oom = 1;
}

/* Whether account i was called in this run (top-ups on): its flag (scan),
 * its rekey entry's, or for an account never re-keyed whether the call
 * cursor of its side has passed it. */
static int is_called(const run *r, long i)
{
    const lc_scratch *s = r->s;
    if (s->called)
        return s->called[i];
    const lc_rekey_entry *e = lc_rekey_find(s->rk, i);
    if (e)
        return e->called;
    return (long)s->call_rank[i] < (r->pop->side[i] > 0 ? r->cc_long : r->cc_short);
}

/* Account i is called: a top-up is due `delay` steps later if its draw says so. */
static void call(run *r, long i)
{
    lc_scratch *s = r->s;
    r->row->call_count++;
    if (s->called)
        s->called[i] = 1;
    else {
        lc_rekey_entry *e = lc_rekey_find(s->rk, i);
        if (e)
            e->called = 1;
    }
    if (lc_hash_uniform(r->behaviour, (uint64_t)i) < r->sc->topup_probability) {
        s->pend_idx[r->pend_n] = (uint32_t)i;
        s->pend_due[r->pend_n++] = r->t + r->sc->topup_delay;
    }
}

/* Account i stays open with a new quantity, collateral and liquidation
 * price: the scan engine's arrays, or the index engine's rekey table, where
 * a first entry keeps whether the account was called (and an uncalled one
 * goes on the list whose calls are checked by their new call price). */
static void rekey_live(run *r, int side, long i, double q, double c, double liq)
{
    lc_scratch *s = r->s;
    if (s->cur_qty) {
        s->cur_qty[i] = q;
        s->cur_col[i] = c;
        s->cur_liq[i] = liq;
        return;
    }
    int fresh = !lc_rekey_find(s->rk, i), called = s->topup && is_called(r, i);
    if (lc_rekey_set_live(s->rk, side, i, q, c, liq)) {
        r->oom = 1;
        return;
    }
    if (fresh) {
        lc_rekey_find(s->rk, i)->called = called;
        if (s->topup && !called)
            s->uncalled[r->n_uncalled++] = (uint32_t)i;
    }
}

/* qty leaves a side's open interest, closing `closed` of its accounts. */
static void reduce_side(run *r, int side, double qty, long closed)
{
    long *open = side > 0 ? &r->open_long : &r->open_short;
    double *total = side > 0 ? &r->qty_long : &r->qty_short;
    *open -= closed;
    /* exactly 0 once the side is gone, not a rounding residue below it */
    *total = *open ? *total - qty : 0.0;
}

/* A liquidated notional of one side (quote): the run's totals, the series'
 * flow and the step's. */
static void book_notional(run *r, int side, double notional)
{
    lc_run_row *row = r->row;
    if (side > 0)
        row->liq_notional_long += notional;
    else
        row->liq_notional_short += notional;
    r->step_liq[side > 0 ? 0 : 1] += notional;
    r->step_total += notional;
    if (row->first_liq_step < 0)
        row->first_liq_step = r->t;
}

/* What insurance_min records for a fund balance: dust is an empty fund. */
static inline double fund_reading(double insurance)
{
    return insurance > FUND_DUST ? insurance : 0.0;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Close account j of side `side` by d (<= its quantity) at price bp. */
static void deleverage(run *r, long j, int side, double d, double bp)
{
    const lc_population *pop = r->pop;
    lc_scratch *s = r->s;
    double q, c;
    account(r, j, &q, &c);
    int closed = d >= q;
    if (closed) {
        if (s->dead)
            s->dead[j] = 1;
        else {
            lc_rekey_entry *e = lc_rekey_put(s->rk, j);
            if (!e) {
                r->oom = 1;
                return;
            }
            e->state = LC_REKEY_CLOSED;
        }
    } else {
        double q2 = q - d, c2 = c - c * (d / q); /* collateral released pro rata */
        double liq = lc_tier_liq_price(side, q2, pop->entry[j], c2, r->sc->tiers,
                                       r->sc->ntiers, NULL);
        rekey_live(r, side, j, q2, c2, liq);
    }
    reduce_side(r, side, d, closed);
    r->row->adl_count++;
    r->row->adl_notional += d * bp;
    push_event(r, j, LC_EVENT_ADL, side * d, bp, 0, 0);
}

/* Whether account j of side `side` is open: what the scan engine's dead
 * flags say, or for the index engine its re-keyed state or its place past
 * the side's cursor. */
static int is_open(const run *r, long j, int side)
{
    const lc_scratch *s = r->s;
    if (s->dead)
        return !s->dead[j];
    const lc_rekey_entry *e = lc_rekey_find(s->rk, j);
    if (e)
        return e->state == LC_REKEY_LIVE;
    return j >= (side > 0 ? r->cursor_long : r->cursor_short);
}

/* The ranked queue as a binary max-heap: cmp_cand < 0 means "ranks higher". */

/* Put c at hole i and sift it down the heap h[0..n). */
static void sift_down(cand *h, long n, long i, cand c)
{
    for (;;) {
        long ch = 2 * i + 1;
        if (ch >= n)
            break;
        if (ch + 1 < n && cmp_cand(&h[ch + 1], &h[ch]) < 0)
            ch++;
        if (cmp_cand(&h[ch], &c) >= 0)
            break;
        h[i] = h[ch];
        i = ch;
    }
    h[i] = c;
}

static void queue_push(cand *h, long *n, cand c)
{
    long i = (*n)++;
    while (i > 0 && cmp_cand(&c, &h[(i - 1) / 2]) < 0) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = c;
}

static cand queue_pop(cand *h, long *n)
{
    cand top = h[0], last = h[--*n];
    if (*n > 0)
        sift_down(h, *n, 0, last);
    return top;
}

/* Rank every open account of side `side` at the current mark into its queue
 * (O(n) heap construction by sift-down). */
static void queue_build(run *r, int side)
{
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    lc_scratch *s = r->s;
    int w = side > 0;
    cand *h = s->queue[w];
    long n = 0, from = side > 0 ? 0 : pop->n_long, to = side > 0 ? pop->n_long : pop->n;
    for (long j = from; j < to; j++) {
        if (!is_open(r, j, side))
            continue;
        double q, c;
        account(r, j, &q, &c);
        double score = lc_adl_score(sc->adl_ranking, side, q, pop->entry[j], c, mark_now(r),
                                    sc->tiers, sc->ntiers);
        h[n++] = (cand){isnan(score) ? -INFINITY : score, (uint32_t)j}; /* a total order */
    }
    for (long i = n / 2 - 1; i >= 0; i--) /* heapify */
        sift_down(h, n, i, h[i]);
    s->queue_n[w] = n;
    s->queue_t[w] = r->t;
}

/* Plan the matching of up to qa of a bankrupt account of side `side`
 * against the other side at bankruptcy price bp: on return s->cands[0..*nf)
 * hold the counterparties in order with the quantity each gives up in
 * .score; returns the quantity matched.
 *
 * The ranking is refreshed once per step: the step's first ADL event ranks
 * every open account of the other side at the mark (O(n)), and the events
 * after it take counterparties from that queue in order (O(log n) each), a
 * partly filled one keeping its place. Exchanges too publish ADL queues
 * that are refreshed periodically, not at every fill. A counterparty is
 * taken only if it is still open and its equity at bp is not negative;
 * those passed over stay queued for later events. */
static double adl_plan(run *r, int side, double bp, double qa, long *nf)
{
    lc_scratch *s = r->s;
    int other = -side, w = other > 0;
    if (s->queue_t[w] != r->t)
        queue_build(r, other);
    cand *h = s->queue[w];
    double rem = qa;
    long m = 0, nskip = 0;
    while (rem > 0 && s->queue_n[w] > 0) {
        cand top = queue_pop(h, &s->queue_n[w]);
        long j = top.idx;
        if (!is_open(r, j, other))
            continue; /* closed since the queue was built: gone for good */
        double q, c;
        account(r, j, &q, &c);
        if (!(c + other * q * (bp - r->pop->entry[j]) >= 0)) {
            s->skipped[nskip++] = top; /* under water at this bp: maybe not at the next */
            continue;
        }
        double d = rem < q ? rem : q;
        s->cands[m++] = (cand){d, (uint32_t)j};
        rem -= d;
        if (d < q)
            s->skipped[nskip++] = top; /* partly filled: keeps its place */
    }
    for (long k = 0; k < nskip; k++)
        queue_push(h, &s->queue_n[w], s->skipped[k]);
    *nf = m;
    return qa - rem;
}

static void liquidate(run *r, long i, double x)
{
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    int side = pop->side[i];
    double q, c, e = pop->entry[i];
    account(r, i, &q, &c);
    /* ADL: when the fund cannot pay the shortfall, the book takes only the
     * part qm whose shortfall the fund covers (shrunk by 1e-9 so rounding
     * cannot leave a dust of bad debt; the fund keeps that dust), the rest
     * is deleveraged */
    double matched = 0, bp = e - side * c / q, qm = q;
    double equity = c + side * q * (x - e);
    long nf = 0;
    if (sc->adl == LC_ADL_ON && equity < 0 && -equity > r->insurance) {
        /* a fund below a micro-unit is dust left by earlier shrinks: 0 */
        double covered = r->insurance > FUND_DUST ? r->insurance / (-equity / q) * (1 - 1e-9) : 0;
        matched = adl_plan(r, side, bp, q - covered, &nf);
        /* fully matched: exactly the part the fund covers goes to the book
         * (q − matched would carry the rounding of q into a small qm);
         * otherwise the unmatched rest goes too, as bad debt */
        qm = matched == q - covered ? covered : q - matched;
    }
    double cm = matched > 0 ? c * (qm / q) : c;
    lc_settlement st = lc_settle(side, qm, e, cm, x, sc->liquidation_fee, &r->insurance);
    lc_run_row *row = r->row;
    if (side > 0)
        row->liq_count_long++;
    else
        row->liq_count_short++;
    book_notional(r, side, qm * x);
    reduce_side(r, side, q, 1);
    row->fees += st.fee;
    row->bad_debt += st.bad_debt;
    if (r->insurance < row->insurance_min)
        row->insurance_min = fund_reading(r->insurance);
    push_event(r, i, LC_EVENT_LIQUIDATION, side * qm, x, st.fee, st.shortfall);
    if (matched > 0) /* the deleveraged part, closed at its bankruptcy price */
        push_event(r, i, LC_EVENT_ADL, side * matched, bp, 0, 0);
    for (long m = 0; m < nf; m++) /* and its counterparties, in rank order */
        deleverage(r, r->s->cands[m].idx, -side, r->s->cands[m].score, bp);
}

/* The step from which account i may be partly liquidated again. */
static long cool_until(const run *r, long i)
{
    if (r->s->cur_cool)
        return r->s->cur_cool[i];
    const lc_rekey_entry *e = r->s->rk ? lc_rekey_find(r->s->rk, i) : NULL;
    return e ? e->cool_until : 0;
}

/* The quantity breached account i closes in this round (venue.h). */
static double closing_qty(const run *r, long i)
{
    const lc_scenario *sc = r->sc;
    double q, c;
    account(r, i, &q, &c);
    if (r->t < cool_until(r, i)) /* partly liquidated too recently: all of it */
        return q;
    return lc_partial_qty(sc->partial_mode, sc->partial_fraction, sc->tiers, sc->ntiers,
                          r->pop->side[i], q, r->pop->entry[i], c, mark_now(r));
}

/* Close d (< its quantity) of account i at x; the rest stays open with the
 * realised pnl and the fee booked to its collateral (venue.h). */
static void partial_liquidate(run *r, long i, double d, double x)
{
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    lc_scratch *s = r->s;
    int side = pop->side[i];
    double q, c, e = pop->entry[i];
    account(r, i, &q, &c);
    double equity = c + side * q * (x - e), pnl = side * d * (x - e);
    double fee = sc->liquidation_fee * d * x;
    if (!(fee < equity))
        fee = equity > 0 ? equity : 0;
    r->insurance += fee;
    double q2 = q - d, c2 = c + pnl - fee;
    double liq = lc_tier_liq_price(side, q2, e, c2, sc->tiers, sc->ntiers, NULL);
    long until = r->t + sc->partial_cooldown;
    rekey_live(r, side, i, q2, c2, liq);
    if (s->cur_qty) {
        s->cur_cool[i] = until;
        s->dead[i] = 0; /* open again */
    } else if (!r->oom)
        lc_rekey_find(s->rk, i)->cool_until = until;
    if (s->topup && !r->oom && !is_called(r, i)) /* its ratio reached 1 > call */
        call(r, i);
    r->row->partial_count++;
    book_notional(r, side, d * x);
    reduce_side(r, side, d, 0);
    r->row->fees += fee;
    push_event(r, i, LC_EVENT_PARTIAL, side * d, x, fee, 0);
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

/* The common case, with no rule that changes positions, no ADL and no
 * events: liquidate()'s settlement (lc_settle, in the same account order),
 * with the run's totals kept in local variables and added to the row once
 * per side and round. Per-account updates through the row pointers were the
 * chain that bounded the settlement (perf, docs/performance.md); both
 * engines come here for the same scenarios, so they stay identical. */
static void settle_plain(run *r, span sp, int side, double x)
{
    if (sp.n == 0)
        return;
    const lc_population *pop = r->pop;
    double rate = r->sc->liquidation_fee, ins = r->insurance, ins_min = r->row->insurance_min;
    double notional = 0, fees = 0, bad = 0, qty = 0;
    for (long k = 0; k < sp.n; k++) {
        long i = span_at(sp, k);
        double q = pop->qty[i];
        lc_settlement st = lc_settle(side, q, pop->entry[i], pop->collateral[i], x, rate, &ins);
        fees += st.fee;
        bad += st.bad_debt;
        if (ins < ins_min)
            ins_min = fund_reading(ins);
        notional += q * x;
        qty += q;
    }
    lc_run_row *row = r->row;
    r->insurance = ins;
    row->insurance_min = ins_min;
    if (side > 0)
        row->liq_count_long += sp.n;
    else
        row->liq_count_short += sp.n;
    book_notional(r, side, notional);
    reduce_side(r, side, qty, sp.n);
    row->fees += fees;
    row->bad_debt += bad;
}

/* Trade a round's breached accounts through the impact model and settle them
 * at the round's VWAP: longs, then shorts, each in settlement order. */
static void settle_round(run *r, span longs, span shorts)
{
    const lc_population *pop = r->pop;
    double n_base = 0;
    double *dl = r->s->dq_long, *ds = r->s->dq_short;
    if (dl) { /* partial liquidation: each closes its closing_qty */
        for (long k = 0; k < longs.n; k++)
            n_base -= dl[k] = closing_qty(r, span_at(longs, k));
        for (long k = 0; k < shorts.n; k++)
            n_base += ds[k] = closing_qty(r, span_at(shorts, k));
    } else if (!r->s->cur_qty && !(r->s->rk && lc_rekey_count(r->s->rk))) {
        for (long k = 0; k < longs.n; k++)
            n_base -= pop->qty[span_at(longs, k)];
        for (long k = 0; k < shorts.n; k++)
            n_base += pop->qty[span_at(shorts, k)];
    } else { /* the same sums, over current quantities */
        double q, c;
        for (long k = 0; k < longs.n; k++) {
            account(r, span_at(longs, k), &q, &c);
            n_base -= q;
        }
        for (long k = 0; k < shorts.n; k++) {
            account(r, span_at(shorts, k), &q, &c);
            n_base += q;
        }
    }
    const lc_impact_model *im = lc_impact_model_of(r->sc->impact.desc);
    double x;
    double dj = im->apply(r->s->impact_state, r->sc->impact.p, n_base / r->depth, r->p, &x);
    if (!isfinite(dj) || !isfinite(x)) {
        /* e.g. a short squeeze through a thin book: e^dJ overflows. Settling
         * at an infinite price would write inf/NaN as if it were a result. */
        r->bad = "the impact of a round's flow is not a finite price move";
        return;
    }
    double perm = r->sc->impact_common[LC_IMPACT_PERMANENT];
    r->j_perm += perm * dj;
    r->j_trans += (1.0 - perm) * dj;
    if (!dl && !r->ev && !r->s->rk && !r->s->cur_qty && r->sc->adl != LC_ADL_ON) {
        settle_plain(r, longs, 1, x);
        settle_plain(r, shorts, -1, x);
        observe_price(r);
        return;
    }
    for (int sd = 0; sd < 2; sd++) { /* longs, then shorts */
        span sp = sd ? shorts : longs;
        const double *dq = sd ? ds : dl;
        for (long k = 0; k < sp.n; k++) {
            long i = span_at(sp, k);
            double q, c;
            if (dq)
                account(r, i, &q, &c);
            if (dq && dq[k] < q)
                partial_liquidate(r, i, dq[k], x);
            else
                liquidate(r, i, x);
        }
    }
    observe_price(r);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Whether [from, to) holds an account without a rekey entry. */
static int untouched_in(const lc_rekey *rk, long from, long to)
{
    for (long j = from; j < to; j++)
        if (!lc_rekey_find(rk, j))
            return 1;
    return 0;
}

/* The breached accounts of one side: the cursor range [from, to) without
 * re-keyed accounts, merged in index order with the re-keyed ones breached
 * at mark m (popped from the heap). Returns how many were written to out. */
static long merge_side(run *r, int side, long from, long to, double m, uint32_t *out)
{
    lc_rekey *rk = r->s->rk;
    uint32_t *p = r->s->popped;
    long np = lc_rekey_pop_breached(rk, side, m, p);
    qsort(p, (size_t)np, sizeof *p, cmp_u32);
    long n = 0, k = 0;
    for (long j = from; j < to; j++) {
        if (lc_rekey_find(rk, j))
            continue;
        while (k < np && p[k] < (uint32_t)j)
            out[n++] = p[k++];
        out[n++] = (uint32_t)j;
    }
    while (k < np)
        out[n++] = p[k++];
    return n;
}

/* index engine once some accounts were re-keyed (ADL): cursor ranges
 * [cursor, a) and [cursor, b) whose original liquidation prices are breached
 * at m, minus re-keyed accounts, plus re-keyed ones breached at m. */
static int round_rekeyed(run *r, long a, long b, double m)
{
    lc_rekey *rk = r->s->rk;
    int any = untouched_in(rk, r->cursor_long, a) || untouched_in(rk, r->cursor_short, b) ||
              lc_rekey_any_breached(rk, 1, m) || lc_rekey_any_breached(rk, -1, m);
    if (!any) { /* only re-keyed accounts passed: nothing to settle */
        r->cursor_long = a;
        r->cursor_short = b;
        return 0;
    }
    if (r->round == r->sc->max_rounds)
        return -1;
    r->round++;
    long nl = merge_side(r, 1, r->cursor_long, a, m, r->s->bl);
    long ns = merge_side(r, -1, r->cursor_short, b, m, r->s->bs);
    r->cursor_long = a;
    r->cursor_short = b;
    settle_round(r, (span){r->s->bl, 0, nl}, (span){r->s->bs, 0, ns});
    return 1;
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
    lc_rekey *rk = r->s->rk;
    if (rk && lc_rekey_count(rk))
        return round_rekeyed(r, a, b, m);
    if (a == r->cursor_long && b == r->cursor_short)
        return 0;
    if (r->round == r->sc->max_rounds)
        return -1;
    r->round++;
    span longs = {NULL, r->cursor_long, a - r->cursor_long};
    span shorts = {NULL, r->cursor_short, b - r->cursor_short};
    /* past the cursors before settling: ADL takes counterparties ahead */
    r->cursor_long = a;
    r->cursor_short = b;
    settle_round(r, longs, shorts);
    return 1;
}

/* scan engine: check every live account; index order is settlement order */
static int round_scan(run *r)
{
    const lc_population *pop = r->pop;
    lc_scratch *s = r->s;
    long nl = 0, ns = 0;
    double m = mark_now(r);
    const double *liq = s->cur_liq ? s->cur_liq : pop->liq_price;
    for (long i = 0; i < pop->n; i++) {
        if (s->dead[i] || !lc_breached(pop->side[i], liq[i], m))
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

/* Top-ups, step 1: the open uncalled accounts whose call price the mark has
 * reached are called (engine.c top comment). */
static void check_calls(run *r)
{
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    lc_scratch *s = r->s;
    double m = mark_now(r);
    if (s->called) { /* scan: every open uncalled account at its current state */
        for (long i = 0; i < pop->n; i++)
            if (!s->dead[i] && !s->called[i]) {
                double cp =
                    call_price(sc, pop->side[i], s->cur_qty[i], pop->entry[i], s->cur_col[i]);
                if (lc_breached(pop->side[i], cp, m))
                    call(r, i);
            }
        return;
    }
    const double *cp = s->call_price;
    const uint32_t *ord = s->call_ord;
    while (r->cc_long < pop->n_long && lc_breached(1, cp[ord[r->cc_long]], m)) {
        long j = ord[r->cc_long++];
        if (!lc_rekey_find(s->rk, j) && j >= r->cursor_long) /* open, never re-keyed */
            call(r, j);
    }
    while (r->cc_short < pop->n && lc_breached(-1, cp[ord[r->cc_short]], m)) {
        long j = ord[r->cc_short++];
        if (!lc_rekey_find(s->rk, j) && j >= r->cursor_short)
            call(r, j);
    }
    long kept = 0;
    for (long k = 0; k < r->n_uncalled; k++) {
        long j = s->uncalled[k];
        const lc_rekey_entry *e = lc_rekey_find(s->rk, j);
        if (e->state != LC_REKEY_LIVE || e->called)
            continue; /* closed or called since: off the list */
        if (lc_breached(pop->side[j],
                        call_price(sc, pop->side[j], e->qty, pop->entry[j], e->collateral), m))
            call(r, j);
        else
            s->uncalled[kept++] = (uint32_t)j;
    }
    r->n_uncalled = kept;
}

/* Add collateral to open account i to bring its margin ratio to the target
 * at the mark (venue.h lc_topup_amount) and re-key it. */
static void topup(run *r, long i)
{
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    int side = pop->side[i];
    if (!is_open(r, i, side))
        return;
    double q, c, m = mark_now(r);
    account(r, i, &q, &c);
    double add =
        lc_topup_amount(side, q, pop->entry[i], c, m, sc->topup_target, sc->tiers, sc->ntiers);
    if (!(add > 0))
        return;
    double c2 = c + add;
    rekey_live(r, side, i, q, c2,
               lc_tier_liq_price(side, q, pop->entry[i], c2, sc->tiers, sc->ntiers, NULL));
    r->row->topup_count++;
    r->row->topup_amount += add;
    if (r->ev) {
        lc_event e = {.run = r->row->run, .point = r->row->point, .step = r->t,
                      .round = r->round, .account = i, .kind = LC_EVENT_TOPUP,
                      .price = m, .notional = add};
        if (lc_eventbuf_push(r->ev, &e))
            r->oom = 1;
    }
}

/* Top-ups, step 2: those due by now land, in account order (both engines
 * sum in the same order). Dues are pushed in non-decreasing order. */
static void land_topups(run *r)
{
    lc_scratch *s = r->s;
    long h = r->pend_head, e = h;
    while (e < r->pend_n && s->pend_due[e] <= r->t)
        e++;
    qsort(s->pend_idx + h, (size_t)(e - h), sizeof *s->pend_idx, cmp_u32);
    for (long k = h; k < e; k++)
        topup(r, s->pend_idx[k]);
    r->pend_head = e;
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
    /* liquidity withdrawal: EWMA weight and the reference per-step variance */
    double withdrawal = sc->impact_common[LC_IMPACT_WITHDRAWAL];
    double vol_keep = exp2(-sc->dt_s / sc->impact_common[LC_IMPACT_VOL_HALF_LIFE]);
    double sigma_ref = sc->impact_common[LC_IMPACT_SIGMA_REF];
    double var_ref = sigma_ref * sigma_ref * (sc->dt_s / LC_YEAR_S), var = var_ref;

    lc_rng_reset(s->rng, sc->seed, LC_STREAM_PRICE, (uint64_t)run_index);
    pm->init(s->price_state, sc->price.p, sc->dt_s, sc->price_data);
    double shock_prev = 0; /* the overlay's cumulative log move at the last step */
    if (im->init)
        im->init(s->impact_state, sc->impact.p, s0, sc->dt_s);
    mm->init(s->mark_state, sc->mark.p, s0, sc->dt_s);
    if (s->kind == LC_ENGINE_SCAN && pop->n > 0)
        memset(s->dead, 0, (size_t)pop->n);
    if (s->cur_qty && pop->n > 0) { /* the scan oracle keeps every account's state */
        memcpy(s->cur_qty, pop->qty, (size_t)pop->n * sizeof *pop->qty);
        memcpy(s->cur_col, pop->collateral, (size_t)pop->n * sizeof *pop->collateral);
        memcpy(s->cur_liq, pop->liq_price, (size_t)pop->n * sizeof *pop->liq_price);
        if (s->cur_cool)
            memset(s->cur_cool, 0, (size_t)pop->n * sizeof *s->cur_cool);
    }
    if (s->rk)
        lc_rekey_clear(s->rk);
    if (s->called && pop->n > 0)
        memset(s->called, 0, (size_t)pop->n);
    s->queue_t[0] = s->queue_t[1] = -1;

    *row = (lc_run_row){.point = point, .run = run_index, .price_min = s0,
                        .insurance_min = sc->insurance_fund, .first_liq_step = -1};
    run r = {.sc = sc, .pop = pop, .s = s, .row = row, .ev = ev, .log_f = log(s0),
             .peak = s0, .exo_peak = s0, .insurance = sc->insurance_fund,
             .qty_long = pop->qty_long, .qty_short = pop->qty_short,
             .open_long = pop->n_long, .open_short = pop->n - pop->n_long,
             .cursor_short = pop->n_long, .depth = 1.0, .mark_live = mm->live, .mark = s0,
             .cc_short = pop->n_long,
             .behaviour = lc_stream_seed(sc->seed, LC_STREAM_BEHAVIOUR, (uint64_t)run_index)};
    double log_p = r.log_f;
    observe_price(&r);
    if (series)
        record(&r, series, 0);

    int (*find_round)(run *) = s->kind == LC_ENGINE_SCAN ? round_scan : round_index;
    long every = sc->every;
    for (r.t = 1; r.t <= sc->steps; r.t++) {
        double ret = pm->step(s->price_state, sc->price.p, r.t, s->rng);
        if (sc->shock.desc) { /* deterministic overlay: its increments telescope */
            double x = lc_shock_log_move(&sc->shock, sc->shock_common, (double)r.t * sc->dt_s);
            ret += x - shock_prev;
            shock_prev = x;
        }
        r.log_f += ret;
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
        r.round = 0;
        if (s->topup && !r.bad) { /* before the cascade: calls, then due top-ups */
            check_calls(&r);
            land_topups(&r);
        }
        for (r.round = 0; !r.bad && (more = find_round(&r)) > 0;)
            if (!(r.p > 0 && isfinite(r.p)))
                r.bad = "the market price left the range of finite positive prices";
        /* /series is float32: a price or flow beyond its range would be stored
         * as inf, and such a price is no market anyway */
        if (!r.bad && !(r.p <= FLT_MAX && exp(r.log_f) <= FLT_MAX &&
                        (r.qty_long + r.qty_short) * r.p <= FLT_MAX &&
                        r.step_liq[0] <= FLT_MAX && r.step_liq[1] <= FLT_MAX &&
                        fabs(r.insurance) <= FLT_MAX))
            r.bad = "a price or flow exceeds 3.4e38 quote, the range of the float32 series";
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
        if (withdrawal > 0) { /* depth for the next step's cascade */
            /* the step's market log-return */
            double lp = r.log_f + r.j_perm + r.j_trans, mret = lp - log_p;
            log_p = lp;
            var = vol_keep * var + (1.0 - vol_keep) * mret * mret;
            r.depth = 1.0 / (1.0 + withdrawal * fmax(0.0, sqrt(var / var_ref) - 1.0));
        }
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

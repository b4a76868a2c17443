/* adl.c — auto-deleveraging as a venue rule (venue.adl: adl).
 *
 * A liquidation whose shortfall exceeds the insurance fund sends to the book
 * only the part the fund can cover; the rest is closed at the account's
 * bankruptcy price against the open accounts of the other side in ADL-score
 * order (venue.h lc_adl_score), fully or (the last one) partly. The round's
 * book flow was computed before settlement, from every breached account's
 * whole quantity (engine/settle.c), so deleveraged quantity moves the price
 * as if traded (docs/scenario.md).
 *
 * The ranking is refreshed once per step: the step's first ADL event ranks
 * every open account of the other side at the mark (O(n)) into a binary
 * max-heap, and the events after it take counterparties from that queue in
 * order (O(log n) each), a partly filled one keeping its place. Exchanges
 * too publish ADL queues that are refreshed periodically, not at every fill.
 * A counterparty is taken only if it is still open and its equity at the
 * bankruptcy price is not negative; those passed over stay queued for later
 * events.
 *
 * Across markets: an account that spans markets (venue/spanning.c) trades
 * every position to the book; if its shortfall exceeds what the fund
 * holds, the uncovered loss U is shared among its positions by their
 * closed notional, U_m = U·q_m·x_m / Σ q·x, and in each position's market
 * the other side is deleveraged, in ADL-score order, for the position's
 * quantity q_m at the price p_m = x_m + s·U_m/q_m: the price at which that
 * position's share of the loss is nil, so the counterparties closed there
 * instead of at x_m bear it (each taken only if its equity at p_m is not
 * negative). What no counterparty takes is bad debt. Events: one kind-2 row
 * per counterparty, at p_m (the bankrupt account's positions are its kind-1
 * rows).
 *
 * Events: an ADL group follows the liquidation (kind 1, its part sent to the
 * book) of a bankrupt account: a kind-2 row on that account for its
 * deleveraged part, then one kind-2 row per counterparty in rank order, all
 * at the bankrupt account's bankruptcy price; the group's signed quantities
 * sum to zero. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "engine/run.h"
#include "scenario/scenario.h"

enum { ADL_POLICY, ADL_RANKING }; /* name-valued keys */
enum { ADL_COUNT, ADL_NOTIONAL }; /* its /runs cells */
enum { ADL_EVENT = 2 };           /* its /events kind */

/* An ADL counterparty candidate: its score and account. */
typedef struct cand {
    double score;
    uint32_t idx;
} cand;

typedef struct adl_state {
    lc_adl_ranking ranking;
    /* per (market, side) range the ranked queue of the step, built at its
     * first ADL event; range r's queue lives in queue + pop->range[r] */
    cand *queue;
    long queue_n[2 * LC_MAX_MARKETS], queue_t[2 * LC_MAX_MARKETS];
    cand *skipped;
    /* the plan of the liquidation being settled: counterparties in .score
     * hold the quantity each gives up */
    cand *cands;
    long nf, account; /* account −1: no plan */
    double matched, bp;
} adl_state;

static const lc_named policies[] = {
    {"none", "a shortfall the insurance fund cannot pay is bad debt (socialised loss)"},
    {"adl", "it is deleveraged against the other side at the bankruptcy price"},
};
static const lc_rule_name names[] = {
    [ADL_POLICY] = {"adl", policies, LC_COUNT(policies)},
    [ADL_RANKING] = {"adl_ranking", lc_adl_rankings, LC_ADL_NRANKINGS},
};
static const lc_rule_column columns[] = {
    [ADL_COUNT] = {"adl_count", 'i', "accounts",
                   "auto-deleveraging fills of counterparties (0 while adl is none)"},
    [ADL_NOTIONAL] = {"adl_notional", 'd', "quote",
                      "counterparty notional closed by auto-deleveraging, at bankruptcy prices"},
};
static const lc_rule_event events[] = {
    {ADL_EVENT, "auto-deleveraging fill (price: the bankrupt account's bankruptcy price)"},
};

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
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

/* Rank every open account of range (market, side) at the current mark into
 * its queue (O(n) heap construction by sift-down). */
static void queue_build(adl_state *st, lc_run *r, int market, int side)
{
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    int w = lc_book_range_id(market, side);
    long n = 0, from, to;
    lc_book_range(r->book, market, side, &from, &to);
    cand *h = st->queue + from;
    const lc_market_spec *ms = &sc->market[market];
    for (long j = from; j < to; j++) {
        if (!lc_book_is_open(r->book, j))
            continue;
        double q, c;
        lc_book_get(r->book, j, &q, &c);
        double score = lc_adl_score(st->ranking, side, q, pop->entry[j], c, lc_run_mark(r, j),
                                    ms->tiers, ms->ntiers);
        h[n++] = (cand){isnan(score) ? -INFINITY : score, (uint32_t)j}; /* a total order */
    }
    for (long i = n / 2 - 1; i >= 0; i--) /* heapify */
        sift_down(h, n, i, h[i]);
    st->queue_n[w] = n;
    st->queue_t[w] = r->t;
}

/* Plan the matching of up to qa of a bankrupt account's position of side
 * `side` in `market` against that market's other side at bankruptcy price
 * bp: on return st->cands[0..nf) hold the counterparties in order; returns
 * the quantity matched. */
static double plan(adl_state *st, lc_run *r, int market, int side, double bp, double qa)
{
    int other = -side, w = lc_book_range_id(market, other);
    if (st->queue_t[w] != r->t)
        queue_build(st, r, market, other);
    cand *h = st->queue + r->pop->range[w];
    double rem = qa;
    long m = 0, nskip = 0;
    while (rem > 0 && st->queue_n[w] > 0) {
        cand top = queue_pop(h, &st->queue_n[w]);
        long j = top.idx;
        if (!lc_book_is_open(r->book, j))
            continue; /* closed since the queue was built: gone for good */
        double q, c;
        lc_book_get(r->book, j, &q, &c);
        if (!(c + other * q * (bp - r->pop->entry[j]) >= 0)) {
            st->skipped[nskip++] = top; /* under water at this bp: maybe not at the next */
            continue;
        }
        double d = rem < q ? rem : q;
        st->cands[m++] = (cand){d, (uint32_t)j};
        rem -= d;
        if (d < q)
            st->skipped[nskip++] = top; /* partly filled: keeps its place */
    }
    for (long k = 0; k < nskip; k++)
        queue_push(h, &st->queue_n[w], st->skipped[k]);
    st->nf = m;
    return qa - rem;
}

/* Close account j of side `side` by d (<= its quantity) at price bp. */
static void deleverage(lc_rule_inst *ri, lc_run *r, long j, int side, double d, double bp)
{
    const lc_scenario *sc = r->sc;
    double q, c;
    lc_book_get(r->book, j, &q, &c);
    int closed = d >= q;
    if (closed)
        lc_run_close(r, j);
    else {
        double q2 = q - d, c2 = c - c * (d / q); /* collateral released pro rata */
        lc_run_set_live(r, j, q2, c2,
                        lc_tier_liq_price(side, q2, r->pop->entry[j], c2,
                                          sc->market[r->pop->market[j]].tiers,
                                          sc->market[r->pop->market[j]].ntiers, NULL));
    }
    lc_run_reduce_side(r, r->pop->market[j], side, d, closed);
    lc_cell *cell = lc_rule_cells(r, ri);
    cell[ADL_COUNT].i++;
    cell[ADL_NOTIONAL].d += d * bp;
    lc_run_event(r, j, ADL_EVENT, side * d, bp, 0, 0);
}

/* When the fund cannot pay the shortfall, the book takes only the part qm
 * whose shortfall the fund covers (shrunk by 1e-9 so rounding cannot leave a
 * dust of bad debt; the fund keeps that dust); the rest is deleveraged. */
static void on_liquidate(lc_rule_inst *ri, lc_run *r, lc_item *it)
{
    adl_state *st = ri->state;
    st->account = -1;
    int side = it->side;
    double q = it->q, c = it->c, e = r->pop->entry[it->i], x = it->trade[0].x;
    double equity = c + side * q * (x - e);
    if (!(equity < 0 && -equity > r->insurance))
        return;
    /* a fund below a micro-unit is dust left by earlier shrinks: 0 */
    double covered = r->insurance > LC_FUND_DUST ? r->insurance / (-equity / q) * (1 - 1e-9) : 0;
    double bp = e - side * c / q;
    double matched = plan(st, r, it->trade[0].market, side, bp, q - covered);
    /* fully matched: exactly the part the fund covers goes to the book
     * (q − matched would carry the rounding of q into a small qm);
     * otherwise the unmatched rest goes too, as bad debt */
    it->book = matched == q - covered ? covered : q - matched;
    st->account = it->i;
    st->matched = matched;
    st->bp = bp;
}

/* After the book part was settled: the deleveraged part, closed at its
 * bankruptcy price, and its counterparties in rank order. */
static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    adl_state *st = ri->state;
    if (st->account != it->i)
        return;
    st->account = -1;
    if (st->matched > 0)
        lc_run_event(r, it->i, ADL_EVENT, it->side * st->matched, st->bp, 0, 0);
    double filled = 0;
    for (long m = 0; m < st->nf; m++) {
        deleverage(ri, r, st->cands[m].idx, -it->side, st->cands[m].score, st->bp);
        filled += st->cands[m].score;
    }
    /* the counterparties' fills are the deleveraged part, and with the part
     * sent to the book make the whole position */
    assert(fabs(filled - st->matched) <= 1e-9 * it->q);
    assert(st->matched == 0 || fabs(it->book + st->matched - it->q) <= 1e-9 * it->q);
    (void)filled;
}

/* ADL across markets (above): returns the part of `uncovered` the
 * counterparties took. */
static double on_shortfall(lc_rule_inst *ri, lc_run *r, const lc_item *it, double uncovered)
{
    adl_state *st = ri->state;
    double notional = 0, taken = 0;
    for (int k = 0; k < it->ntrade; k++)
        if (!it->trade[k].sell)
            notional += it->trade[k].qty * it->trade[k].x;
    for (int k = 0; k < it->ntrade && notional > 0; k++) {
        const lc_trade *t = &it->trade[k];
        if (t->sell || !(t->qty > 0))
            continue;
        double share = uncovered * (t->qty * t->x / notional);
        double p = t->x + t->side * share / t->qty;
        double matched = plan(st, r, t->market, t->side, p, t->qty);
        for (long m = 0; m < st->nf; m++)
            deleverage(ri, r, st->cands[m].idx, -t->side, st->cands[m].score, p);
        taken += matched == t->qty ? share : share * (matched / t->qty);
    }
    return taken;
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    adl_state *st = ri->state;
    for (int w = 0; w < 2 * LC_MAX_MARKETS; w++)
        st->queue_t[w] = -1;
    st->account = -1;
}

static int create(lc_rule_inst *ri, const lc_scenario *sc, const lc_book *book)
{
    adl_state *st = ri->state;
    size_t n = book->pop->n > 0 ? (size_t)book->pop->n : 1;
    st->ranking = (lc_adl_ranking)ri->set->name[ADL_RANKING];
    st->cands = malloc(n * sizeof *st->cands);
    st->queue = malloc(n * sizeof *st->queue);
    st->skipped = malloc(n * sizeof *st->skipped);
    return st->cands && st->queue && st->skipped ? 0 : -1;
}

static void destroy(lc_rule_inst *ri)
{
    adl_state *st = ri->state;
    free(st->cands);
    free(st->queue);
    free(st->skipped);
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)sc;
    return s->name[ADL_POLICY] == 1;
}

const lc_rule lc_rule_adl = {
    .d = {"adl", "auto-deleveraging of what the insurance fund cannot pay", NULL, 0, NULL},
    .section = "venue",
    .names = names,
    .nnames = LC_COUNT(names),
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .events = events,
    .nevents = LC_COUNT(events),
    .changes_positions = 1,
    .state_size = sizeof(adl_state),
    .enabled = enabled,
    .create = create,
    .destroy = destroy,
    .on_run = on_run,
    .on_liquidate = on_liquidate,
    .on_settle = on_settle,
    .on_shortfall = on_shortfall,
};

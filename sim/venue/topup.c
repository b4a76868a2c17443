/* topup.c — margin top-ups as a venue rule (venue.topup = {probability p,
 * call c, delay k, target t}; off while p = 0).
 *
 * An open account is called the first time its margin ratio
 * maintenance/equity at the mark reaches c, i.e. the mark passes its call
 * price (venue.h lc_tier_level_price with factor 1/c on maintenance), or
 * when it is partly liquidated (its ratio reached 1 > c) if it was not
 * called before. A called account tops up with probability p, decided by
 * u = lc_hash_uniform(stream seed (seed, LC_STREAM_BEHAVIOUR, run), account)
 * < p — a hash of the account, not a sequential draw, so the two finders,
 * which meet calls in different orders, and any thread count agree. Its
 * top-up lands at the top-up point of step (call step + k) — or of the next
 * step, for a call made in a cascade after that point (k = 0) — if the
 * account is still open: collateral += max(0, maintenance/t − equity) at the
 * mark (a top-up of 0 is not recorded). An account is called, and so tops
 * up, at most once per run. Each step, after the mark is sampled and before
 * the cascade (on_step): (1) new calls at the mark, (2) due top-ups, in
 * account order, each re-keyed like a partial liquidation.
 *
 * Finding calls: over a dense book (scan finder) every open uncalled
 * account's current call price is tested. Over a sparse book the population
 * is sorted once per scratch by the call price of each account's initial
 * state (call_ord, per side the order a moving mark reaches them; not the
 * liquidation order, as tiers and collateral make the two orders differ)
 * and a call cursor per side moves along it: an account it passes is called
 * if it is open and was never re-keyed. The order lives in the rule's
 * scratch state, not the population, because the call level is a venue key
 * a sweep may vary between points that share one population; it costs
 * O(n log n) once per scratch and is read-only during runs. An account
 * re-keyed before its call (only ADL does that: a partial liquidation is
 * itself a call) has a new call price; it is put once (on_change, fresh) on
 * a short list of uncalled re-keyed accounts tested at every step. Both
 * books so call the same accounts at the same step, and the sums over
 * top-ups are taken in account order.
 *
 * Whether an account was called is its book word over a dense book and over
 * a sparse book once it has an entry; before that, whether the call cursor
 * of its side has passed it. */
#include <stdlib.h>

#include "engine/rng.h"
#include "engine/run.h"
#include "scenario/scenario.h"

enum { TOPUP_PROBABILITY, TOPUP_CALL, TOPUP_DELAY, TOPUP_TARGET }; /* numeric keys */
enum { TOPUP_CALLS, TOPUP_COUNT, TOPUP_AMOUNT };                   /* its /runs cells */
enum { TOPUP_EVENT = 4 };                                          /* its /events kind */
enum { TOPUP_CALLED };                                             /* its book word */

static const lc_param params[] = {
    [TOPUP_PROBABILITY] = {"probability", "1", LC_REAL, 0, 0, 1, 0, 0,
                           "chance that a called account tops up, drawn once per account and "
                           "run (0: top-ups off)"},
    [TOPUP_CALL] = {"call", "1", LC_REAL, 0.8, 0, 1, 1, 1,
                    "margin ratio (maintenance / equity at the mark) at which an account is "
                    "called; must exceed every tier's mmr"},
    [TOPUP_DELAY] = {"delay", "steps", LC_INT, 0, 0, 1e9, 0, 0,
                     "steps from the call to the top-up (it lands only if still open)"},
    [TOPUP_TARGET] = {"target", "1", LC_REAL, 0.5, 0, 1, 1, 1,
                      "margin ratio the top-up restores at the mark it lands at; < call"},
};
static const lc_rule_column columns[] = {
    [TOPUP_CALLS] = {"call_count", 'i', "accounts",
                     "accounts called: margin ratio reached venue.topup.call while open (0 while "
                     "top-ups are off)"},
    [TOPUP_COUNT] = {"topup_count", 'i', "accounts",
                     "margin top-ups that landed (at most one per account and run)"},
    [TOPUP_AMOUNT] = {"topup_amount", 'd', "quote", "collateral the top-ups brought in"},
};
static const lc_rule_event events[] = {
    {TOPUP_EVENT, "margin top-up (qty 0, price the mark, notional the collateral added, round 0: "
                  "before the step's cascade)"},
};

typedef struct topup_state {
    double probability, call, target;
    long delay;
    int dense;
    /* pending top-ups (account, due step) in call order, which is due order */
    uint32_t *pend_idx;
    long *pend_due;
    long pend_head, pend_n;
    /* sparse book: call prices of the initial states, their order per side
     * (longs by decreasing call price, then shorts by increasing), each
     * account's place in it, the call cursors, the uncalled re-keyed */
    double *call_price;
    uint32_t *call_ord, *call_rank, *uncalled;
    long cc[LC_MAX_MARKETS][2], n_uncalled;
    uint64_t behaviour; /* the run's behaviour stream seed */
} topup_state;

/* The call price of account i's state (venue.h), by its market's tiers. */
static double call_price(const topup_state *st, const lc_scenario *sc, const lc_population *pop,
                         long i, double q, double c)
{
    const lc_market_spec *ms = &sc->market[pop->market[i]];
    return lc_tier_level_price(pop->side[i], q, pop->entry[i], c, ms->tiers, ms->ntiers,
                               1.0 / st->call, NULL);
}

typedef struct keyed {
    double key;
    uint32_t idx;
} keyed;

/* a higher key first, ties by lower index */
static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* sparse book: call prices of the initial states and their order within
 * each (market, side) range of the book (the sort key is the price for
 * longs, which a falling mark reaches from the highest call price, −price
 * for shorts) */
static int build_call_order(topup_state *st, const lc_scenario *sc, const lc_book *book)
{
    const lc_population *pop = book->pop;
    keyed *tmp = malloc((pop->n > 0 ? (size_t)pop->n : 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (long i = 0; i < pop->span0; i++) { /* the isolated accounts (spanning.c) */
        int side = pop->side[i];
        st->call_price[i] = call_price(st, sc, pop, i, pop->qty[i], pop->collateral[i]);
        tmp[i] = (keyed){side > 0 ? st->call_price[i] : -st->call_price[i], (uint32_t)i};
    }
    LC_BOOK_EACH_RANGE (book, m, side) {
        long from, to;
        lc_book_range(book, m, side, &from, &to);
        qsort(tmp + from, (size_t)(to - from), sizeof *tmp, cmp_keyed);
    }
    for (long k = 0; k < pop->span0; k++) {
        st->call_ord[k] = tmp[k].idx;
        st->call_rank[tmp[k].idx] = (uint32_t)k;
    }
    free(tmp);
    return 0;
}

/* Whether the call cursor of account i's side has passed it (sparse book). */
static int cursor_called(const topup_state *st, const lc_run *r, long i)
{
    return (long)st->call_rank[i] <
           st->cc[lc_book_market(r->book, i)][lc_book_side_slot(r->pop->side[i])];
}

static int is_called(const lc_rule_inst *ri, const lc_run *r, long i)
{
    const topup_state *st = ri->state;
    if (st->dense || lc_book_changed(r->book, i))
        return lc_book_word(r->book, i, ri->word0 + TOPUP_CALLED) != 0;
    return cursor_called(st, r, i);
}

/* Account i is called: a top-up is due `delay` steps later if its draw says so. */
static void call(lc_rule_inst *ri, lc_run *r, long i)
{
    topup_state *st = ri->state;
    lc_rule_cells(r, ri)[TOPUP_CALLS].i++;
    lc_book_set_word(r->book, i, ri->word0 + TOPUP_CALLED, 1);
    if (lc_hash_uniform(st->behaviour, (uint64_t)i) < st->probability) {
        st->pend_idx[st->pend_n] = (uint32_t)i;
        st->pend_due[st->pend_n++] = r->t + st->delay;
    }
}

/* Step 1: the open uncalled accounts whose call price the mark has reached
 * are called. */
static void check_calls(lc_rule_inst *ri, lc_run *r)
{
    topup_state *st = ri->state;
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    lc_book *b = r->book;
    if (st->dense) {                          /* every open uncalled account at its current state */
        for (long i = 0; i < pop->span0; i++) /* isolated accounts only */
            if (lc_book_is_open(b, i) && !is_called(ri, r, i)) {
                double q, c;
                lc_book_get(b, i, &q, &c);
                if (lc_breached(pop->side[i], call_price(st, sc, pop, i, q, c), lc_run_mark(r, i)))
                    call(ri, r, i);
            }
        return;
    }
    const double *cp = st->call_price;
    const uint32_t *ord = st->call_ord;
    LC_BOOK_EACH_RANGE (b, mk, side) {
        long from, to, *cc = &st->cc[mk][lc_book_side_slot(side)];
        lc_book_range(b, mk, side, &from, &to);
        double m = lc_run_mark_of(r, mk);
        while (*cc < to && lc_breached(side, cp[ord[*cc]], m)) {
            long j = ord[(*cc)++];
            if (!lc_book_changed(b, j) && lc_book_is_open(b, j)) /* open, never re-keyed */
                call(ri, r, j);
        }
    }
    long kept = 0;
    for (long k = 0; k < st->n_uncalled; k++) {
        long j = st->uncalled[k];
        if (!lc_book_is_open(b, j) || lc_book_word(b, j, ri->word0 + TOPUP_CALLED))
            continue; /* closed or called since: off the list */
        double q, c;
        lc_book_get(b, j, &q, &c);
        if (lc_breached(pop->side[j], call_price(st, sc, pop, j, q, c), lc_run_mark(r, j)))
            call(ri, r, j);
        else
            st->uncalled[kept++] = (uint32_t)j;
    }
    st->n_uncalled = kept;
}

/* Add collateral to open account i to bring its margin ratio to the target
 * at the mark (venue.h lc_topup_amount) and re-key it. */
static void topup(lc_rule_inst *ri, lc_run *r, long i)
{
    const topup_state *st = ri->state;
    const lc_population *pop = r->pop;
    const lc_scenario *sc = r->sc;
    int side = pop->side[i];
    if (!lc_book_is_open(r->book, i))
        return;
    double q, c, m = lc_run_mark(r, i);
    lc_book_get(r->book, i, &q, &c);
    const lc_market_spec *ms = &sc->market[pop->market[i]];
    double add = lc_topup_amount(side, q, pop->entry[i], c, m, st->target, ms->tiers, ms->ntiers);
    if (!(add > 0))
        return;
    double c2 = c + add;
    lc_run_set_live(r, i, q, c2,
                    lc_tier_liq_price(side, q, pop->entry[i], c2, ms->tiers, ms->ntiers, NULL));
    lc_cell *cell = lc_rule_cells(r, ri);
    cell[TOPUP_COUNT].i++;
    cell[TOPUP_AMOUNT].d += add;
    lc_run_push_event(r, &(lc_event){.run = r->row->run,
                                     .point = r->row->point,
                                     .step = r->t,
                                     .round = r->round,
                                     .account = i,
                                     .market = pop->market[i],
                                     .kind = TOPUP_EVENT,
                                     .price = m,
                                     .notional = add});
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Step 2: those due by now land, in account order (both books sum in the
 * same order). Dues are pushed in non-decreasing order. */
static void land_topups(lc_rule_inst *ri, lc_run *r)
{
    topup_state *st = ri->state;
    long h = st->pend_head, e = h;
    while (e < st->pend_n && st->pend_due[e] <= r->t)
        e++;
    qsort(st->pend_idx + h, (size_t)(e - h), sizeof *st->pend_idx, cmp_u32);
    for (long k = h; k < e; k++)
        topup(ri, r, st->pend_idx[k]);
    st->pend_head = e;
}

static void on_step(lc_rule_inst *ri, lc_run *r)
{
    check_calls(ri, r);
    land_topups(ri, r);
}

/* A partial liquidation is a call: its margin ratio reached 1 > call. */
static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (lc_item_partial(it) && !r->oom && !is_called(ri, r, it->i))
        call(ri, r, it->i);
}

/* A sparse entry made now keeps whether the account was called; an
 * uncalled one is tested by its new call price from now on. */
static void on_change(lc_rule_inst *ri, lc_run *r, long i, int fresh)
{
    topup_state *st = ri->state;
    if (!fresh || st->dense) /* over a dense book every account's word is kept */
        return;
    int called = cursor_called(st, r, i);
    lc_book_set_word(r->book, i, ri->word0 + TOPUP_CALLED, called);
    if (!called)
        st->uncalled[st->n_uncalled++] = (uint32_t)i;
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    topup_state *st = ri->state;
    st->pend_head = st->pend_n = st->n_uncalled = 0;
    LC_BOOK_EACH_RANGE (r->book, m, side) {
        long from, to;
        lc_book_range(r->book, m, side, &from, &to);
        st->cc[m][lc_book_side_slot(side)] = from;
    }
    st->behaviour = lc_stream_seed(r->sc->seed, LC_STREAM_BEHAVIOUR, (uint64_t)r->run);
}

static int create(lc_rule_inst *ri, const lc_scenario *sc, const lc_book *book)
{
    topup_state *st = ri->state;
    const lc_population *pop = book->pop;
    size_t n = pop->n > 0 ? (size_t)pop->n : 1;
    st->probability = ri->set->p[TOPUP_PROBABILITY];
    st->call = ri->set->p[TOPUP_CALL];
    st->delay = (long)ri->set->p[TOPUP_DELAY];
    st->target = ri->set->p[TOPUP_TARGET];
    st->dense = lc_book_dense(book);
    st->pend_idx = malloc(n * sizeof *st->pend_idx);
    st->pend_due = malloc(n * sizeof *st->pend_due);
    if (!st->pend_idx || !st->pend_due)
        return -1;
    if (st->dense)
        return 0;
    st->call_price = malloc(n * sizeof *st->call_price);
    st->call_ord = malloc(n * sizeof *st->call_ord);
    st->call_rank = malloc(n * sizeof *st->call_rank);
    st->uncalled = malloc(n * sizeof *st->uncalled);
    if (!st->call_price || !st->call_ord || !st->call_rank || !st->uncalled)
        return -1;
    return build_call_order(st, sc, book);
}

static void destroy(lc_rule_inst *ri)
{
    topup_state *st = ri->state;
    free(st->pend_idx);
    free(st->pend_due);
    free(st->call_price);
    free(st->call_ord);
    free(st->call_rank);
    free(st->uncalled);
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)sc;
    return s->p[TOPUP_PROBABILITY] > 0;
}

/* The call level must stay above every tier's rate (venue.h: k·mmr < 1 with
 * k = 1/call keeps the call price one root), and the target below it. */
static int check(const lc_rule_setting *s, const lc_scenario *sc, const lc_rule_where *at,
                 lc_error *err)
{
    const char *src;
    int line, rc = 0;
    double call = s->p[TOPUP_CALL], target = s->p[TOPUP_TARGET];
    if (!(target < call)) {
        at->locate(at->ctx, "target", &src, &line);
        rc |= lc_error_at(err, src, line, "venue.topup.target",
                          "must be < venue.topup.call (%g; the top-up lowers the ratio "
                          "below the call level), got %g",
                          call, target);
    }
    for (int k = 0; k < sc->nmarkets && !rc; k++)
        for (int i = 0; i < sc->market[k].ntiers; i++)
            if (!(sc->market[k].tiers[i].mmr < call)) {
                at->locate(at->ctx, "call", &src, &line);
                rc |= lc_error_at(err, src, line, "venue.topup.call",
                                  "must be > the mmr of every tier (%s%stier %d has %g), or the "
                                  "call level is no single price; got %g",
                                  sc->v1 ? "" : sc->market[k].name, sc->v1 ? "" : " ", i,
                                  sc->market[k].tiers[i].mmr, call);
                break;
            }
    return rc;
}

const lc_rule lc_rule_topup = {
    .d = {"topup", "margin top-ups: called accounts may add collateral after a delay", params,
          LC_COUNT(params), NULL},
    .section = "venue.topup",
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .events = events,
    .nevents = LC_COUNT(events),
    .words = 1,
    .changes_positions = 1,
    .state_size = sizeof(topup_state),
    .enabled = enabled,
    .check = check,
    .create = create,
    .destroy = destroy,
    .on_run = on_run,
    .on_step = on_step,
    .on_settle = on_settle,
    .on_change = on_change,
};

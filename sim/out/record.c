/* record.c — the column tables of /runs and /events, and run batches. */
#include "out/record.h"

#include <stdlib.h>

#define RC(name, type, units, doc) {#name, type, offsetof(lc_run_row, name), units, doc}
const lc_column lc_run_columns[] = {
    RC(point, 'i', "1", "sweep point index (row of /points)"),
    RC(run, 'i', "1", "run index; run r sees the same exogenous shocks at every point"),
    RC(price_final, 'd', "quote", "market price at the end of the last step"),
    RC(price_min, 'd', "quote", "lowest market price seen, including within cascade rounds"),
    RC(max_drawdown, 'd', "1", "largest fall of the market price from its running peak, fraction"),
    RC(exo_drawdown, 'd', "1", "largest fall of the fundamental from its running peak, fraction"),
    RC(liq_count_long, 'i', "accounts", "long accounts liquidated (closed by the venue)"),
    RC(liq_count_short, 'i', "accounts", "short accounts liquidated (closed by the venue)"),
    RC(liq_notional_long, 'd', "quote", "notional of long liquidations, full and partial, at execution price"),
    RC(liq_notional_short, 'd', "quote", "notional of short liquidations, full and partial, at execution price"),
    RC(fees, 'd', "quote", "liquidation fees paid into the insurance fund"),
    RC(insurance_end, 'd', "quote", "insurance fund at the end"),
    RC(insurance_min, 'd', "quote", "lowest insurance fund balance after any event"),
    RC(bad_debt, 'd', "quote", "shortfall the insurance fund could not cover (socialised loss)"),
    RC(adl_count, 'i', "accounts", "auto-deleveraging fills of counterparties (0 while adl is none)"),
    RC(adl_notional, 'd', "quote", "counterparty notional closed by auto-deleveraging, at bankruptcy prices"),
    RC(partial_count, 'i', "liquidations", "partial liquidations (accounts left open; their notional is in liq_notional_*)"),
    RC(call_count, 'i', "accounts", "accounts called: margin ratio reached venue.topup.call while open (0 while top-ups are off)"),
    RC(topup_count, 'i', "accounts", "margin top-ups that landed (at most one per account and run)"),
    RC(topup_amount, 'd', "quote", "collateral the top-ups brought in"),
    RC(max_rounds, 'i', "rounds", "most cascade rounds in any one step"),
    RC(first_liq_step, 'i', "steps", "step of the first liquidation (-1: none)"),
    RC(peak_step_liq_notional, 'd', "quote", "largest liquidated notional in one step"),
    RC(oi_end, 'd', "quote", "open interest at the end: (long + short quantity) x final price"),
    RC(truncated, 'i', "steps", "steps whose cascade stopped at max_rounds with accounts still breached"),
};
const int lc_n_run_columns = (int)(sizeof lc_run_columns / sizeof lc_run_columns[0]);

#define EC(name, type, units, doc) {#name, type, offsetof(lc_event, name), units, doc}
const lc_column lc_event_columns[] = {
    EC(run, 'i', "1", "run index"),
    EC(point, 'i', "1", "sweep point index"),
    EC(step, 'i', "steps", "time step (1 = first step)"),
    EC(round, 'i', "rounds", "cascade round within the step (1 = first)"),
    EC(account, 'i', "1", "account index (row of /population)"),
    EC(kind, 'i', "1", "1 = liquidation (part sent to the book), 2 = auto-deleveraging fill, 3 = partial liquidation, 4 = margin top-up (qty 0, round 0: before the step's cascade)"),
    EC(qty, 'd', "base", "quantity closed, signed by side (+ long, - short)"),
    EC(price, 'd', "quote/base", "execution price: the round's VWAP (kind 1), the bankrupt account's bankruptcy price (kind 2), the mark (kind 4)"),
    EC(notional, 'd', "quote", "|qty| x price; kind 4: the collateral added"),
    EC(fee, 'd', "quote", "liquidation fee paid to the insurance fund"),
    EC(shortfall, 'd', "quote", "loss beyond the account's collateral (0 if solvent)"),
};
const int lc_n_event_columns = (int)(sizeof lc_event_columns / sizeof lc_event_columns[0]);

int lc_eventbuf_push(lc_eventbuf *b, const lc_event *e)
{
    if (b->n == b->cap) {
        long cap = b->cap ? 2 * b->cap : 64;
        lc_event *v = realloc(b->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = *e;
    return 0;
}

void lc_eventbuf_free(lc_eventbuf *b)
{
    if (!b)
        return;
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

lc_batch *lc_batch_create(const lc_scenario *sc, long cap, int with_events)
{
    lc_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = cap;
    b->ncols = lc_scenario_series_cols(sc);
    for (int i = 0; i < LC_SERIES_N; i++)
        b->nseries += (sc->series_mask >> i) & 1u;
    b->rows = calloc((size_t)cap, sizeof *b->rows);
    b->series = calloc((size_t)cap * (size_t)(b->nseries ? b->nseries : 1) * (size_t)b->ncols,
                       sizeof *b->series);
    if (with_events)
        b->events = calloc((size_t)cap, sizeof *b->events);
    if (!b->rows || !b->series || (with_events && !b->events)) {
        lc_batch_free(b);
        return NULL;
    }
    return b;
}

void lc_batch_free(lc_batch *b)
{
    if (!b)
        return;
    if (b->events)
        for (long i = 0; i < b->cap; i++)
            lc_eventbuf_free(&b->events[i]);
    free(b->events);
    free(b->rows);
    free(b->series);
    free(b->z);
    free(b->zsize);
    free(b);
}

float *lc_batch_series(lc_batch *b, long row, int k)
{
    return b->series + ((size_t)row * (size_t)b->nseries + (size_t)k) * (size_t)b->ncols;
}

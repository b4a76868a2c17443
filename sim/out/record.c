/* record.c — the column tables of /runs and /events, and run batches. */
#include "out/record.h"

#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RC(name, type, units, doc)                                                                 \
    {                                                                                              \
#name, type, offsetof(lc_run_row, name), units, doc                                        \
    }
static const lc_column run_head[] = {
    RC(point, 'i', "1", "sweep point index (row of /points)"),
    RC(run, 'i', "1", "run index; run r sees the same exogenous shocks at every point"),
    RC(price_final, 'd', "quote", "market price at the end of the last step (the first market's)"),
    RC(price_min, 'd', "quote",
       "lowest market price seen, including within cascade rounds and t = 0 (the first "
       "market's)"),
    RC(max_drawdown, 'd', "1",
       "largest fall of the market price from its running peak (t = 0 included), fraction (the "
       "first market's)"),
    RC(exo_drawdown, 'd', "1",
       "largest fall of the fundamental from its running peak (t = 0 included), fraction (the "
       "first market's)"),
    RC(liq_count_long, 'i', "accounts",
       "long accounts liquidated (closed by the venue), every market"),
    RC(liq_count_short, 'i', "accounts",
       "short accounts liquidated (closed by the venue), every market"),
    RC(liq_notional_long, 'd', "quote",
       "notional of long liquidations, full and partial, at execution price, every market"),
    RC(liq_notional_short, 'd', "quote",
       "notional of short liquidations, full and partial, at execution price, every market"),
    RC(fees, 'd', "quote", "liquidation fees paid into the insurance fund"),
    RC(insurance_end, 'd', "quote", "insurance fund at the end"),
    RC(insurance_min, 'd', "quote",
       "lowest insurance fund balance after any event (the fund at t = 0 included)"),
    RC(bad_debt, 'd', "quote", "shortfall the insurance fund could not cover (socialised loss)"),
};
#define MC(name, type, units, doc)                                                                 \
    {                                                                                              \
#name, type, offsetof(lc_market_row, name), units, doc                                     \
    }
static const lc_column market_cols[] = {
    MC(price_final, 'd', "quote", "the market's price at the end of the last step"),
    MC(price_min, 'd', "quote", "its lowest price seen, within cascade rounds and t = 0 included"),
    MC(max_drawdown, 'd', "1", "largest fall of its price from its running peak, fraction"),
    MC(exo_drawdown, 'd', "1", "largest fall of its fundamental from its running peak, fraction"),
    MC(liq_count_long, 'i', "accounts", "its long accounts liquidated"),
    MC(liq_count_short, 'i', "accounts", "its short accounts liquidated"),
    MC(liq_notional_long, 'd', "quote", "notional of its long liquidations, at execution price"),
    MC(liq_notional_short, 'd', "quote", "notional of its short liquidations, at execution price"),
    MC(oi_end, 'd', "quote", "its open interest at the end, at its final price"),
};

const lc_column *lc_market_columns(void)
{
    return market_cols;
}

int lc_n_market_columns(void)
{
    return LC_COUNT(market_cols);
}

static const lc_column run_tail[] = {
    RC(max_rounds, 'i', "rounds", "most cascade rounds in any one step"),
    RC(first_liq_step, 'i', "steps", "step of the first liquidation (-1: none)"),
    RC(peak_step_liq_notional, 'd', "quote", "largest liquidated notional in one step"),
    RC(oi_end, 'd', "quote",
       "open interest at the end: (long + short quantity) x final price, summed over markets"),
    RC(truncated, 'i', "steps",
       "steps whose cascade stopped at max_rounds with accounts still breached"),
    RC(span_liq_count, 'i', "accounts",
       "accounts that span markets (cross, portfolio) liquidated; each of their positions "
       "closed also counts in liq_count_long / liq_count_short"),
    RC(collateral_sold, 'd', "quote",
       "collateral of liquidated accounts that span markets sold into its markets, at "
       "execution price"),
    RC(collateral_taken, 'd', "quote",
       "collateral of such accounts the venue took at the mark (no trade) to cover a deficit "
       "the sales left"),
    RC(cdp_liq_count, 'i', "liquidations",
       "liquidations of lending CDPs (an Aave liquidation call, a Compound III absorb, a "
       "Maker bark, a Liquity trove)"),
    RC(cdp_repaid, 'd', "quote",
       "CDP debt repaid (or absorbed) by their liquidations, at the oracle"),
    RC(cdp_seized, 'd', "quote",
       "CDP collateral seized, the protocol's fee included, at the oracle"),
    RC(cdp_protocol_fee, 'd', "quote",
       "of it, the protocol's share (Aave's liquidation protocol fee), at the oracle"),
    RC(cdp_bad_debt, 'd', "quote",
       "CDP debt no collateral covered: Aave's deficit, Compound III's debt beyond the "
       "absorbed collateral's credit, Maker's debt an auction sold out did not raise"),
    RC(cdp_liquidator_pnl, 'd', "quote",
       "the liquidators' profit: the CDP collateral they bought sold at its VWAP, less what "
       "they paid and their gas (Liquity: their compensation, less gas)"),
};

static const lc_column weight_cols[] = {
    RC(weight, 'd', "1",
       "likelihood ratio of the run: the density of its draws under the model's law over the "
       "law they were drawn from (importance sampling); an estimate of E[f] is the mean of "
       "weight x f over the runs"),
    RC(log_weight, 'd', "1",
       "natural log of weight, exact where weight under- or overflows a double"),
    RC(replicate, 'i', "1",
       "multilevel splitting: the independent replicate of the splitting the run belongs to "
       "(the intervals are of the replicates' estimates)"),
};

const lc_column *lc_weight_columns(void)
{
    return weight_cols;
}

int lc_n_weight_columns(lc_rare_method method)
{
    return method == LC_RARE_SPLIT ? LC_COUNT(weight_cols) : method == LC_RARE_TILT ? 2 : 0;
}

#define EC(name, type, units, doc)                                                                 \
    {                                                                                              \
#name, type, offsetof(lc_event, name), units, doc                                          \
    }
static lc_column event_cols[] = {
    EC(run, 'i', "1", "run index"),
    EC(point, 'i', "1", "sweep point index"),
    EC(step, 'i', "steps", "time step (1 = first step)"),
    EC(round, 'i', "rounds", "cascade round within the step (1 = first)"),
    EC(account, 'i', "1", "account index (row of /population)"),
    EC(market, 'i', "1",
       "the market traded (row of /markets): the account's, or the leg's of an account that "
       "spans markets"),
    EC(kind, 'i', "1", NULL), /* from the rules' tables */
    EC(qty, 'd', "base", "quantity closed, signed by side (+ long, - short)"),
    EC(price, 'd', "quote/base",
       "execution price: the round's VWAP (kind 1), the bankrupt account's bankruptcy price (kind "
       "2), the mark (kind 4)"),
    EC(notional, 'd', "quote", "|qty| x price; kind 4: the collateral added"),
    EC(fee, 'd', "quote", "liquidation fee paid to the insurance fund"),
    EC(shortfall, 'd', "quote", "loss beyond the account's collateral (0 if solvent)"),
};
enum { EVENT_KIND = 6 };

static lc_column run_cols[LC_COUNT(run_head) + LC_RULE_MAX_CELLS + LC_COUNT(run_tail)];
static int n_run_cols;
static char kind_doc[1024];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
    if (lc_rules_check()) /* the registry itself is wrong (main says how) */
        abort();
    int n = 0, cell = 0;
    for (int i = 0; i < LC_COUNT(run_head); i++)
        run_cols[n++] = run_head[i];
    size_t used =
        (size_t)snprintf(kind_doc, sizeof kind_doc,
                         "1 = liquidation (part sent to the book; one row per position of an "
                         "account that spans markets), %d = collateral sold (qty < 0), %d = "
                         "collateral taken by the venue at the mark (qty < 0), %d = a lending "
                         "CDP liquidated (qty < 0 the collateral seized, price its sale's VWAP, "
                         "fee the protocol's, shortfall the bad debt)",
                         LC_EVENT_COLLATERAL_SALE, LC_EVENT_COLLATERAL_TAKEN, LC_EVENT_CDP);
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        for (int c = 0; c < ru->ncolumns; c++, cell++) {
            const lc_rule_column *rc = &ru->columns[c];
            run_cols[n++] = (lc_column){
                rc->name, rc->type, offsetof(lc_run_row, rules) + (size_t)cell * sizeof(lc_cell),
                rc->units, rc->description};
        }
        for (int e = 0; e < ru->nevents && used < sizeof kind_doc; e++)
            used += (size_t)snprintf(kind_doc + used, sizeof kind_doc - used, ", %d = %s",
                                     ru->events[e].kind, ru->events[e].description);
    }
    for (int i = 0; i < LC_COUNT(run_tail); i++)
        run_cols[n++] = run_tail[i];
    n_run_cols = n;
    event_cols[EVENT_KIND].description = kind_doc;
}

const lc_column *lc_run_columns(void)
{
    pthread_once(&tables_once, build_tables);
    return run_cols;
}

int lc_n_run_columns(void)
{
    pthread_once(&tables_once, build_tables);
    return n_run_cols;
}

const lc_column *lc_event_columns(void)
{
    pthread_once(&tables_once, build_tables);
    return event_cols;
}

int lc_n_event_columns(void)
{
    return LC_COUNT(event_cols);
}

/* Column c of a row, as a double. */
static double column_value(const lc_column *c, const lc_run_row *row)
{
    const char *at = (const char *)row + c->offset;
    if (c->type == 'i') {
        int64_t v;
        memcpy(&v, at, sizeof v);
        return (double)v;
    }
    double v;
    memcpy(&v, at, sizeof v);
    return v;
}

double lc_run_value(const lc_run_row *row, const char *name)
{
    const lc_column *c = lc_run_columns();
    for (int i = 0; i < LC_COUNT(weight_cols); i++)
        if (strcmp(weight_cols[i].name, name) == 0)
            return column_value(&weight_cols[i], row);
    for (int i = 0; i < n_run_cols; i++)
        if (strcmp(c[i].name, name) == 0)
            return column_value(&c[i], row);
    return NAN;
}

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

double lc_batch_row_bytes(const lc_scenario *sc)
{
    double planes = 0;
    for (int i = 0; i < LC_SERIES_N; i++)
        if (sc->series_mask >> i & 1u)
            planes += lc_series[i].per_market ? sc->nmarkets : 1;
    return (double)sizeof(lc_run_row) +
           planes * (double)lc_scenario_series_cols(sc) * (double)sizeof(float);
}

lc_batch *lc_batch_create(const lc_scenario *sc, long cap, int with_events)
{
    lc_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = cap;
    b->ncols = lc_scenario_series_cols(sc);
    for (int i = 0; i < LC_SERIES_N; i++)
        if (sc->series_mask >> i & 1u) {
            b->plane0[b->nseries++] = b->nplanes;
            b->nplanes += lc_series[i].per_market ? sc->nmarkets : 1;
        }
    b->rows = calloc((size_t)cap, sizeof *b->rows);
    b->series = calloc((size_t)cap * (size_t)(b->nplanes ? b->nplanes : 1) * (size_t)b->ncols,
                       sizeof *b->series);
    if (with_events)
        b->events = calloc((size_t)cap, sizeof *b->events);
    if (!b->rows || !b->series || (with_events && !b->events)) {
        lc_batch_free(b);
        return NULL;
    }
    return b;
}

void lc_batch_release_events(lc_batch *b)
{
    if (b && b->events)
        for (long i = 0; i < b->cap; i++)
            lc_eventbuf_free(&b->events[i]);
}

void lc_batch_free(lc_batch *b)
{
    if (!b)
        return;
    lc_batch_release_events(b);
    free(b->events);
    free(b->rows);
    free(b->series);
    free(b->z);
    free(b->zsize);
    free(b->zsame);
    free(b);
}

float *lc_batch_plane(const lc_batch *b, long row, int plane)
{
    return b->series + ((size_t)row * (size_t)b->nplanes + (size_t)plane) * (size_t)b->ncols;
}

float *lc_batch_series(const lc_batch *b, long row, int k)
{
    return lc_batch_plane(b, row, b->plane0[k]);
}

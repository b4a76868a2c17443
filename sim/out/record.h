/* record.h — what one run records, and the batches the writer receives.
 *
 * A run fills one lc_run_row (its /runs row), its series rows and, when asked,
 * its events. The column tables below are the one description of /runs and
 * /events: the writer, `liqcascade info` and the tests all walk them. */
#ifndef LC_RECORD_H
#define LC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"

typedef struct lc_run_row {
    int64_t point, run;
    double price_final, price_min, max_drawdown, exo_drawdown;
    int64_t liq_count_long, liq_count_short;
    double liq_notional_long, liq_notional_short;
    double fees, insurance_end, insurance_min, bad_debt;
    int64_t adl_count;
    double adl_notional;
    int64_t partial_count;
    int64_t call_count, topup_count;
    double topup_amount;
    int64_t max_rounds, first_liq_step;
    double peak_step_liq_notional, oi_end;
    int64_t truncated;
} lc_run_row;

/* An ADL group follows the liquidation (kind 1, its part sent to the book) of
 * a bankrupt account: a kind-2 row on that account for its deleveraged part,
 * then one kind-2 row per counterparty in rank order, all at the bankrupt
 * account's bankruptcy price; the group's signed quantities sum to zero. */
/* A partial liquidation (kind 3) closes part of a position and keeps the
 * account open (venue.h). A margin top-up (kind 4) closes nothing: qty 0,
 * price the mark it landed at, notional the collateral added, round 0 (top-ups
 * land before the step's cascade). */
typedef enum lc_event_kind {
    LC_EVENT_LIQUIDATION = 1,
    LC_EVENT_ADL = 2,
    LC_EVENT_PARTIAL = 3,
    LC_EVENT_TOPUP = 4
} lc_event_kind;

typedef struct lc_event {
    int64_t run, point, step, round, account;
    int64_t kind;     /* lc_event_kind */
    double qty;       /* base units closed, signed by the account's side (+ long) */
    double price;     /* execution price, quote per base */
    double notional;  /* qty·price, quote, unsigned */
    double fee;       /* liquidation fee paid to the insurance fund, quote */
    double shortfall; /* quote the account could not cover (0 if solvent) */
} lc_event;

/* A column of /runs or /events: C type ('i' int64, 'd' double), offset. */
typedef struct lc_column {
    const char *name;
    char type;
    size_t offset;
    const char *units;
    const char *description;
} lc_column;

extern const lc_column lc_run_columns[];
extern const int lc_n_run_columns;
extern const lc_column lc_event_columns[];
extern const int lc_n_event_columns;

/* A growable list of events of one run. */
typedef struct lc_eventbuf {
    lc_event *v;
    long n, cap;
} lc_eventbuf;

int lc_eventbuf_push(lc_eventbuf *b, const lc_event *e); /* 0, or -1 out of memory */
void lc_eventbuf_free(lc_eventbuf *b);

/* Runs handed to the writer together, in run order.
 * series holds, for row i and recorded series k (k-th set bit of the
 * scenario's series_mask), ncols floats at series + (i*nseries + k)*ncols. */
typedef struct lc_batch {
    long first_row; /* global row of rows[0] (= point*runs + run) */
    long nrows;     /* rows filled, a prefix of cap */
    long cap;
    int nseries;
    long ncols;
    lc_run_row *rows;
    float *series;
    lc_eventbuf *events; /* per row; NULL when events are off */
    /* series chunks compressed ahead by the compute threads (writer.h,
     * lc_writer_compress): job j = chunk·nseries + k holds zsize[j] bytes at
     * z + j·zstride; zjobs = 0 when the writer is to compress itself */
    unsigned char *z;
    size_t zstride, *zsize;
    long zjobs, zcap;
} lc_batch;

lc_batch *lc_batch_create(const lc_scenario *sc, long cap, int with_events);
void lc_batch_free(lc_batch *b);
float *lc_batch_series(lc_batch *b, long row, int k);

#endif

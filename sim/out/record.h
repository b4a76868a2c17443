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
#include "venue/rule.h"

/* What a run records per market (the /runs columns <name>.<market>, DESIGN
 * §17); the row's totals are their sums, its price columns market 0's. */
typedef struct lc_market_row {
    double price_final, price_min, max_drawdown, exo_drawdown;
    int64_t liq_count_long, liq_count_short;
    double liq_notional_long, liq_notional_short, oi_end;
} lc_market_row;

typedef struct lc_run_row {
    int64_t point, run;
    double price_final, price_min, max_drawdown, exo_drawdown;
    int64_t liq_count_long, liq_count_short;
    double liq_notional_long, liq_notional_short;
    double fees, insurance_end, insurance_min, bad_debt;
    int64_t span_liq_count;  /* accounts that span markets liquidated */
    double collateral_sold;  /* quote: their collateral sold into its markets */
    double collateral_taken; /* quote at the marks: their collateral the venue took */
    /* lending CDPs (venue/cdp.h): liquidations, and in quote at the oracle
     * what they repaid, seized (protocol fee included), paid the protocol,
     * left as bad debt; the liquidators' pnl at their trades' prices */
    int64_t cdp_liq_count;
    double cdp_repaid, cdp_seized, cdp_protocol_fee, cdp_bad_debt, cdp_liquidator_pnl;
    int64_t max_rounds, first_liq_step;
    double peak_step_liq_notional, oi_end;
    int64_t truncated;
    /* importance sampling (simulation.rare tilt): the run's likelihood
     * ratio, the density of the model's law of its draws over the tilted
     * law's, and its log; 1 and 0 for a run drawn from the model's law.
     * Multilevel splitting (simulation.rare split): the trajectory's share
     * of its replicate's mass, and the replicate (engine/split.h) */
    double weight, log_weight;
    int64_t replicate;
    lc_cell rules[LC_RULE_MAX_CELLS]; /* the rules' columns, registry order (rule.h) */
    lc_market_row mk[LC_MAX_MARKETS];
} lc_run_row;

/* The core's event kind; the venue rules declare theirs (rule.h: ADL 2,
 * partial liquidation 3, margin top-up 4; venue/adl.c, partial.c, topup.c
 * say what their rows hold). */
typedef enum lc_event_kind {
    LC_EVENT_LIQUIDATION = 1,     /* a position closed (an account's, or one of a spanning one's) */
    LC_EVENT_COLLATERAL_SALE = 5, /* collateral of a spanning account sold into its market */
    LC_EVENT_COLLATERAL_TAKEN = 8, /* ... taken by the venue at the mark to cover a deficit */
    LC_EVENT_CDP = 9 /* a lending CDP liquidated (venue/cdp.h: Aave liquidation, Compound absorb) */
} lc_event_kind;

typedef struct lc_event {
    int64_t run, point, step, round, account;
    int64_t market;   /* the account's market (row of /markets) */
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

/* The columns of /runs (the core's, with the rules' after bad_debt, in
 * registry order) and of /events (whose kind column lists every rule's
 * kinds). Built from the tables once, on first use; thread-safe. */
const lc_column *lc_run_columns(void);
int lc_n_run_columns(void);
const lc_column *lc_event_columns(void);
int lc_n_event_columns(void);
/* The per-market columns of /runs (<name>.<market>), offsets into an
 * lc_market_row. */
const lc_column *lc_market_columns(void);
int lc_n_market_columns(void);
/* The columns /runs has when its runs were drawn for rare events: weight
 * and log_weight (simulation.rare tilt), and replicate too (split). An
 * unweighted file has none. */
const lc_column *lc_weight_columns(void);
int lc_n_weight_columns(lc_rare_method method);
/* The value of /runs column `name` in a row (tests, summaries; the weight
 * columns too); NAN if none. */
double lc_run_value(const lc_run_row *row, const char *name);

/* A growable list of events of one run. */
typedef struct lc_eventbuf {
    lc_event *v;
    long n, cap;
} lc_eventbuf;

int lc_eventbuf_push(lc_eventbuf *b, const lc_event *e); /* 0, or -1 out of memory */
void lc_eventbuf_free(lc_eventbuf *b);

/* Runs handed to the writer together, in run order.
 * series holds per row nplanes planes of ncols floats: recorded series k
 * (k-th set bit of the scenario's series_mask) has one plane per market
 * (lc_series_desc.per_market) or one, from plane plane0[k]; plane p of row i
 * is at series + (i*nplanes + p)*ncols. */
typedef struct lc_batch {
    long first_row; /* global row of rows[0] (= point*runs + run) */
    long nrows;     /* rows filled, a prefix of cap */
    long cap;
    int nseries, nplanes;
    int plane0[LC_SERIES_N];
    long ncols;
    lc_run_row *rows;
    float *series;
    lc_eventbuf *events; /* per row; NULL when events are off */
    /* series chunks compressed ahead by the compute threads (writer.h,
     * lc_writer_compress): job j = chunk·nplanes + plane holds zsize[j] bytes at
     * z + j·zstride; zjobs = 0 when the writer is to compress itself.
     * zsame[j] >= 0: the chunk's plane of job j is bit for bit the plane
     * of that earlier job of the same chunk (a fundamental that no trade
     * moved from the price), whose stream it takes, -1 otherwise */
    unsigned char *z;
    size_t zstride, *zsize;
    long zjobs, zcap, *zsame;
} lc_batch;

lc_batch *lc_batch_create(const lc_scenario *sc, long cap, int with_events);
/* The bytes one row of a batch of sc holds: its /runs row and its series. */
double lc_batch_row_bytes(const lc_scenario *sc);
void lc_batch_free(lc_batch *b);
/* Free the batch's event buffers (kept otherwise for the next runs): what a
 * batch written holds no longer. */
void lc_batch_release_events(lc_batch *b);
/* Recorded series k of a row: its planes, market after market. */
float *lc_batch_series(const lc_batch *b, long row, int k);
float *lc_batch_plane(const lc_batch *b, long row, int plane);

#endif

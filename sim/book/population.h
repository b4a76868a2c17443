/* population.h — the accounts, drawn once and shared read-only by every run.
 *
 * Struct of arrays, one entry per account, stored in liquidation order:
 * grouped in ranges per (market, side) — per market, its longs by
 * decreasing liq_price (the first to go as the mark falls), then its shorts
 * by increasing liq_price; ties are broken by `origin`, the account's place
 * in the order drawn or read. With one market the longs are [0, n_long) and
 * the shorts [n_long, n). Liquidation prices are fixed for a run (isolated margin) unless a
 * venue rule changes an account (ADL, partial liquidation, margin top-ups:
 * the engine re-keys those, rekey.h), so the accounts a falling mark
 * breaches are otherwise always the next ones of the long range, and the
 * engine reads them as contiguous memory. The index of an account in these
 * arrays is its "account" everywhere (events, /population), and the order is
 * the one settlement order every engine uses. */
#ifndef LC_POPULATION_H
#define LC_POPULATION_H

#include <stdint.h>

#include "base/error.h"
#include "market/limits.h"
#include "scenario/scenario.h"

/* A perpetual position, and a balance of an asset (collateral or debt). */
typedef struct lc_position {
    int market, side;  /* side +1 long, -1 short */
    double qty, entry; /* base units > 0; quote per base */
} lc_position;

typedef struct lc_balance {
    int asset;     /* LC_QUOTE or the market whose base asset it is */
    double amount; /* units of the asset, >= 0 */
} lc_balance;

typedef struct lc_population {
    long n;
    int8_t *side;       /* +1 long, -1 short */
    uint8_t *market;    /* the market the account trades (0 .. nmarkets-1) */
    double *qty;        /* base units, > 0 */
    double *entry;      /* quote per base */
    double *collateral; /* quote (isolated margin) */
    double *mmr;        /* maintenance rate of the tier holding q·liq_price */
    double *cum;        /* quote: maintenance amount of that tier */
    double *liq_price;  /* venue.h closed form with (mmr, cum) */
    double *bankruptcy_price;

    int64_t *origin; /* place in the order drawn (or CSV data row, from 0) */
    long n_long, n_short;
    long leverage_capped; /* drawn above their tier's max_leverage, opened at it */
    /* the ranges: (market m, side slot s: 0 long, 1 short) holds accounts
     * [range[2m + s], range[2m + s + 1]) */
    int nmarkets;
    long range[2 * LC_MAX_MARKETS + 1];
    double range_qty[2 * LC_MAX_MARKETS]; /* total base quantity of each range */

    double qty_long, qty_short; /* total base quantity per side */

    /* Accounts that span markets (DESIGN §13): cross or portfolio margin
     * with several positions or collateral in markets' assets. They are
     * [span0, n), after every range (range[2·nmarkets] = span0), in origin
     * order. Spanning account i (j = i − span0) holds the positions
     * span_pos[span_pos0[j] .. span_pos0[j + 1]) and the balances
     * span_col[span_col0[j] .. span_col0[j + 1]); its per-account entries
     * above describe its first position, with collateral its quote balance
     * and liq_price, bankruptcy_price NAN (it has no one level). */
    long span0;
    uint8_t *span_margin; /* lc_margin_kind, per spanning account */
    uint8_t *span_emode;  /* 1: a CDP in the eMode category (venue/cdp.h) */
    int emode_any;        /* some account is (else span_emode is not read) */
    /* their positions' base quantity and count per (market, side) range id */
    double span_qty[2 * LC_MAX_MARKETS];
    long span_open[2 * LC_MAX_MARKETS];
    uint32_t *span_pos0, *span_col0;
    lc_position *span_pos;
    lc_balance *span_col;
    long span_npos, span_ncol;
    long span_pos_cap, span_col_cap; /* of span_pos, span_col while accounts are added */
} lc_population;

/* Whether account i spans markets, and its margin model. */
static inline int lc_population_spans(const lc_population *p, long i)
{
    return i >= p->span0;
}
static inline int lc_population_margin(const lc_population *p, long i)
{
    return i >= p->span0 ? p->span_margin[i - p->span0] : 0 /* LC_MARGIN_ISOLATED */;
}
static inline int lc_population_emode(const lc_population *p, long i)
{
    return p->emode_any && i >= p->span0 ? p->span_emode[i - p->span0] : 0;
}

/* Draw scenario->accounts accounts from the population stream of the seed, or
 * read scenario->positions_file. Entries are conditioned on being solvent at
 * s0 (redrawn until not breached): an open position is one the venue has not
 * already liquidated. */
lc_population *lc_population_create(const lc_scenario *sc, lc_error *err);
/* The bytes a population of sc with n accounts holds at its peak (while
 * lc_population_create orders it), for the memory check (runner.h). */
double lc_population_bytes(const lc_scenario *sc, long n);

/* Build a population from given accounts (tests). Arrays are copied (origin
 * = their index), cum = 0 (a flat rate mmr per account), liquidation prices
 * computed, and accounts put in order. market may be NULL (every account on
 * market 0); nmarkets >= 1. */
lc_population *lc_population_from_arrays(long n, const int8_t *side, const double *qty,
                                         const double *entry, const double *collateral,
                                         const double *mmr, lc_error *err);
lc_population *lc_population_from_arrays_k(long n, int nmarkets, const uint8_t *market,
                                           const int8_t *side, const double *qty,
                                           const double *entry, const double *collateral,
                                           const double *mmr, lc_error *err);

/* Build a population from given accounts (tests, positions files), each
 * with its margin model (lc_account.margin): an isolated account (or a cross
 * one with one position and only quote collateral, the same E and R) holds
 * one position and its quote, with (mmr, cum) of its tier by the
 * scenario's tiers; any other spans markets. origin = the index in acc. No
 * solvency check. NULL with a message on bad data or no memory. */
struct lc_account;
lc_population *lc_population_from_accounts(const lc_scenario *sc, long n,
                                           const struct lc_account *acc, lc_error *err);

void lc_population_free(lc_population *pop);

/* The values of every key that shapes the population of sc, as text (caller
 * frees; NULL when out of memory): scenarios with equal signatures draw the
 * same population, so sweep points that agree on it share one. With
 * population.warmup every key does but the runs' count and length, the
 * output and the scripted shock (engine/warmup.h). */
char *lc_population_signature(const lc_scenario *sc);

#endif

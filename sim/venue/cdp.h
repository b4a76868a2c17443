/* cdp.h — lending CDPs (DESIGN §14): the `cdp` margin model and what the
 * lending protocols' rules (venue/aave.c, venue/compound.c) share.
 *
 * A CDP holds no position: its collateral is balances b > 0 in markets'
 * assets, its debts balances b < 0 in quote or markets' assets
 * (population.h). Each is valued at its market's mark, which is the
 * protocol's oracle: `last` (the market), `delayed` or `ema` (a delayed
 * feed), `fixed` (an exchange-rate oracle that ignores the market, as Aave's
 * for liquid-staking tokens). With lt_a = markets[a].lending.lt (for a
 * CDP in the eMode category, markets[a].lending.emode.lt where the asset
 * is in the category: lc_cdp_lt):
 *   equity       E = Σ_collateral b·M_a·lt_a
 *   requirement  R = Σ_debt |b|·M_a   (quote: 1)
 *   health       HF = E/R; breached at HF <= 1, i.e. E <= R (Aave's test is
 *                HF < 1: the two differ only at HF = 1 exactly)
 * S = E − R is linear in each mark, with net_a = Σ b·M_a·(lt_a if b > 0,
 * else 1) per asset: the slack finder's exposure (spanning.h) is
 * X = Σ_a |net_a|, which bounds the loss of S when every mark moves by a
 * factor within [e^−ρ, e^ρ]: the finders need nothing else.
 *
 * A breached CDP goes to its round like any account that spans markets; the
 * protocol's rule (on_breach) takes its item over: it decides what is
 * repaid and seized, writes the trades (the liquidator's sale of the
 * collateral it receives, and its purchase of a debt that is a market's
 * asset), and settles the item in on_settle. An item no rule takes (no
 * liquidator acts: latency, capacity, profit) waits, closed until the next
 * step (lc_run_defer, run.h). The core /runs columns cdp_* sum what every protocol
 * moved (lc_cdp_record). */
#ifndef LC_CDP_H
#define LC_CDP_H

#include "engine/run.h"
#include "venue/spanning.h"

/* The health factor's parts of a CDP's balances at the marks (emode: the
 * CDP is in the eMode category). */
lc_span_eval lc_cdp_evaluate(const lc_scenario *sc, int emode, const lc_balance *col, int ncol,
                             const double *marks);

/* The oracle price of an asset (LC_QUOTE: 1): lc_lending_price at the
 * run's marks. */
static inline double lc_cdp_price(const lc_run *r, int asset)
{
    return asset == LC_QUOTE
               ? 1.0
               : lc_lending_rate(r->sc, asset) * lc_run_mark_of(r, lc_lending_market(r->sc, asset));
}

/* The account's largest balance by value at the oracle: collateral (sign
 * +1) or debt (-1), the first of equals; -1 if none. */
int lc_cdp_largest(const lc_run *r, const lc_account *a, int sign);

/* A protocol's per-item record of a round's plan (item k's at (*v)[k]):
 * *v grown to hold n of `size` bytes. Returns 0, or -1 out of memory (then
 * r->oom is set). */
int lc_cdp_items(lc_run *r, void **v, long *cap, long n, size_t size);

/* What one liquidation of a CDP moved, for the row and the event: values in
 * quote at the oracle; `market` the collateral's, `units` of it seized
 * (liquidator's share and protocol fee), `x` the price its sale executed at
 * (the oracle's when the protocol keeps it). */
typedef struct lc_cdp_fill {
    int market;
    double units, x;
    double repaid, seized, fee, bad_debt;
    double liquidator_pnl; /* the liquidator's proceeds − cost − gas */
} lc_cdp_fill;

/* Add a liquidation of account i to the run's cdp_* columns and its event
 * (kind LC_EVENT_CDP, out/record.h). */
void lc_cdp_record(lc_run *r, long i, const lc_cdp_fill *f);

#endif

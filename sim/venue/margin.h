/* margin.h — margin models (DESIGN §13): how an account's prices become its
 * equity E and requirement R (breached when E <= R), what a breach makes it
 * trade (its liquidation plan), and how the trades are settled.
 *
 * A margin model is a const descriptor like a price model: `isolated`
 * (venue/isolated.c: one perpetual position with its own quote collateral,
 * the closed forms of venue.h), `cross` and `portfolio` (venue/spanning.c:
 * several positions and collateral assets, spanning.h) and `cdp`
 * (venue/cdp.h: a lending position's collateral and debts, liquidated by
 * the rule of the protocol venue.lending names), all over the lc_account
 * view (book.h). A plan holds one trade per position closed or collateral
 * sold (or debt bought back), each in its own market. */
#ifndef LC_MARGIN_H
#define LC_MARGIN_H

#include "book/book.h"

struct lc_run;
struct lc_item;
struct lc_trade;
struct lc_scenario;

typedef struct lc_margin_model {
    const char *name, *doc;
    int max_trades; /* the most trades one plan may hold */
    /* Equity and requirement (quote) at marks[market]. */
    double (*equity)(const lc_account *a, const double *marks, const struct lc_scenario *sc);
    double (*requirement)(const lc_account *a, const double *marks, const struct lc_scenario *sc);
    /* The plan of breached account it->i: fills the item and its trades,
     * closing everything; returns the number of trades. */
    int (*plan)(const struct lc_run *r, struct lc_item *it, struct lc_trade *trades);
    /* Settle the item once its trades have their execution prices. */
    void (*settle)(struct lc_run *r, struct lc_item *it);
} lc_margin_model;

extern const lc_margin_model lc_margin_isolated, lc_margin_cross, lc_margin_portfolio,
    lc_margin_cdp;
/* Every margin model, indexed by lc_margin_kind. */
extern const lc_margin_model *const lc_margin_models[];

#endif

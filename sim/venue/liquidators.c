/* liquidators.c — the liquidators of lending CDPs (liquidators.h): the
 * settings' table as a venue rule (venue.liquidators) and what the
 * protocols' rules ask of them. */
#include "venue/liquidators.h"

#include <math.h>

#include "scenario/scenario.h"

enum { LQ_CAPACITY, LQ_LATENCY, LQ_GAS, LQ_MIN_PROFIT }; /* numeric keys */
enum { LQ_SINCE, LQ_LAST };                              /* its book words */

static const lc_param params[] = {
    [LQ_CAPACITY] = {"capacity", "quote", LC_REAL, 1e300, 0, 1e300, 0, 0,
                     "debt the liquidators repay (Aave) or collateral they buy (Compound III's "
                     "storefront) per step, all together (1e300: no limit)"},
    [LQ_LATENCY] = {"latency", "steps", LC_INT, 0, 0, 1e9, 0, 0,
                    "steps a CDP stays breached before a liquidator acts (0: in the step it is "
                    "breached)"},
    [LQ_GAS] = {"gas", "quote", LC_REAL, 0, 0, 1e300, 0, 0,
                "a liquidator's cost per liquidation (gas, priority fee)"},
    [LQ_MIN_PROFIT] = {"min_profit", "1", LC_REAL, 0, 0, 1e300, 0, 0,
                       "profit a liquidator needs beyond its cost, as a fraction of the debt it "
                       "repays (or the quote it pays)"},
};

/* Its settings are the protocols' to use: the rule itself never runs. */
static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)sc;
    (void)s;
    return 0;
}

const lc_rule lc_rule_liquidators = {
    .d = {"liquidators",
          "the agents who liquidate lending CDPs: capacity per step, latency, gas and a profit "
          "threshold (used by the lending protocol's rule)",
          params, LC_COUNT(params), NULL},
    .section = "venue.liquidators",
    .words = 2,
    .enabled = enabled,
};

void lc_liquidators_init(lc_liquidators *lq, const lc_scenario *sc)
{
    int k = lc_rule_find("liquidators");
    const double *p = sc->rules[k].p;
    *lq = (lc_liquidators){.capacity = p[LQ_CAPACITY],
                           .latency = (long)p[LQ_LATENCY],
                           .gas = p[LQ_GAS],
                           .min_profit = p[LQ_MIN_PROFIT],
                           .word0 = lc_rule_word0(k),
                           .step = -1};
}

int lc_liquidators_ready(lc_liquidators *lq, lc_run *r, long i)
{
    if (lq->latency == 0)
        return 1;
    int64_t since = lc_book_word(r->book, i, lq->word0 + LQ_SINCE);
    int64_t last = lc_book_word(r->book, i, lq->word0 + LQ_LAST);
    if (since == 0 || last < r->t - 1) /* a new breach: since is stored + 1 */
        since = r->t + 1;
    if (lc_book_set_word(r->book, i, lq->word0 + LQ_SINCE, since) ||
        lc_book_set_word(r->book, i, lq->word0 + LQ_LAST, r->t)) {
        r->oom = 1;
        return 0;
    }
    return r->t >= since - 1 + lq->latency;
}

double lc_liquidators_left(lc_liquidators *lq, const lc_run *r)
{
    if (lq->step != r->t) {
        lq->step = r->t;
        lq->left = lq->capacity;
    }
    return lq->left;
}

void lc_liquidators_use(lc_liquidators *lq, double quote)
{
    lq->left = lq->left > quote ? lq->left - quote : 0;
}

double lc_liquidators_quote(const lc_run *r, int m, double n_base)
{
    double x;
    return lc_market_quote(&r->mk[m], n_base, &x) ? NAN : x;
}

/* partial.c — partial liquidation as a venue rule (venue.partial).
 *
 * A breached account may close only part of its position: lc_partial_qty
 * (venue.h) decides at the mark, before the round's flow is computed, so the
 * flow is exactly what closes; the rest stays open with its pnl and fee
 * booked to its collateral (engine/settle.c), with a new liquidation price.
 * An account partly liquidated less than `cooldown` steps before closes its
 * whole rest; the step from which it may be partly liquidated again is its
 * book word. */
#include "engine/run.h"
#include "scenario/scenario.h"

enum { PARTIAL_MODE };                       /* name-valued key */
enum { PARTIAL_FRACTION, PARTIAL_COOLDOWN }; /* numeric keys */
enum { PARTIAL_COUNT };                      /* its /runs cell */
enum { PARTIAL_EVENT = 3 };                  /* its /events kind */
enum { PARTIAL_COOL_UNTIL };                 /* its book word */

static const lc_param params[] = {
    [PARTIAL_FRACTION] = {"fraction", "1", LC_REAL, 0.2, 0, 1, 1, 1,
                          "mode fraction: part of the quantity closed per partial liquidation"},
    [PARTIAL_COOLDOWN] = {"cooldown", "steps", LC_INT, 0, 0, 1e9, 0, 0,
                          "a breach within this many steps after a partial liquidation closes "
                          "the whole rest (0: partial again at once)"},
};
static const lc_rule_name names[] = {
    [PARTIAL_MODE] = {"mode", lc_partial_modes, LC_PARTIAL_NMODES},
};
static const lc_rule_column columns[] = {
    [PARTIAL_COUNT] = {"partial_count", 'i', "liquidations",
                       "partial liquidations (accounts left open; their notional is in "
                       "liq_notional_*)"},
};
static const lc_rule_event events[] = {
    {PARTIAL_EVENT, "partial liquidation (the account stays open)"},
};

/* The quantity each breached account closes in the round. */
static void on_breach(lc_rule_inst *ri, lc_run *r, lc_item *plan, long n)
{
    const lc_scenario *sc = r->sc;
    lc_partial_mode mode = (lc_partial_mode)ri->set->name[PARTIAL_MODE];
    double fraction = ri->set->p[PARTIAL_FRACTION];
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        if (it->margin != &lc_margin_isolated || it->taken)
            continue; /* an isolated position's rule (spanning accounts close whole) */
        if (r->t < lc_book_word(r->book, it->i, ri->word0 + PARTIAL_COOL_UNTIL))
            continue; /* partly liquidated too recently: all of it */
        const lc_market_spec *ms = &sc->market[lc_book_market(r->book, it->i)];
        it->trade[0].qty = lc_partial_qty(mode, fraction, ms->tiers, ms->ntiers, it->side, it->q,
                                          r->pop->entry[it->i], it->c, lc_run_mark(r, it->i));
    }
}

static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (!lc_item_partial(it))
        return;
    lc_book_set_word(r->book, it->i, ri->word0 + PARTIAL_COOL_UNTIL,
                     r->t + (long)ri->set->p[PARTIAL_COOLDOWN]);
    lc_rule_cells(r, ri)[PARTIAL_COUNT].i++;
    lc_run_event(r, it->i, PARTIAL_EVENT, it->side * it->trade[0].qty, it->trade[0].x, it->fee, 0);
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)sc;
    return s->name[PARTIAL_MODE] != LC_PARTIAL_NONE;
}

const lc_rule lc_rule_partial = {
    .d = {"partial", "partial liquidation: a breached account closes part of its position", params,
          LC_COUNT(params), NULL},
    .section = "venue.partial",
    .names = names,
    .nnames = LC_COUNT(names),
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .events = events,
    .nevents = LC_COUNT(events),
    .words = 1,
    .changes_positions = 1,
    .enabled = enabled,
    .on_breach = on_breach,
    .on_settle = on_settle,
};

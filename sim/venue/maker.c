/* maker.c — Maker's Liquidations 2.0 for lending CDPs (venue.maker; on when
 * venue.lending is maker): a vault barked into a Dutch auction that takers
 * buy from. Every formula is makerdao/dss (commit fa4f6630): dog.sol bark
 * (l.170–237), clip.sol kick (l.229–266), redo and status (l.270–308,
 * l.440–457), take (l.327–416), abaci.sol's price curves (l.85–87,
 * l.173–174, l.259–260); the defaults are ETH-A's (makerdao/spells-mainnet
 * src/test/config.sol, the spell of 2025-06-26), in real numbers.
 *
 * A vault holds one collateral (its ilk: markets[k].lending, with lt = 1/mat
 * and bonus = chop − 1) and a quote (DAI) debt. Unsafe when
 * ink·price·lt < debt (dog.sol l.181: ink·spot < art·rate, spot =
 * price/mat): the cdp margin model's HF <= 1 (cdp.h). After the
 * liquidators' latency (a keeper barks it):
 *  - bark: room = min(hole_total − Dirt, hole − dirt of its market); the
 *    debt taken dart = min(debt, room/chop); a rest below `dust` goes
 *    too, a dart below dust waits; the collateral taken dink =
 *    ink·dart/debt; no room: it waits. The vault keeps the rest (open);
 *  - kick: tab = dart·chop, lot = dink, top = price·buf; the keeper gets
 *    tip + chip·tab (paid by the protocol: maker_incentives);
 *  - the auction's price at dur seconds since its kick (or its last
 *    redo): stairstep top·cut^⌊dur/step⌋, linear top·(1 − dur/tau) (0 from
 *    tau), exponential top·cut^dur; it needs a redo when dur > tail or
 *    price/top < cusp: top = price now·buf, dur 0, and the keeper's
 *    incentive again if the tab and lot·price are >= chost = dust·chop;
 *  - at every step, before its cascade, takers (the liquidators: capacity,
 *    gas, min_profit) buy from each auction in kick order when selling
 *    along the market's impact curve pays: a slice of the lot at the
 *    auction's price, owe = slice·price, at most the tab (then slice =
 *    tab/price); a take that would leave a tab below chost = dust·chop
 *    leaves exactly chost; they sell the slice into its market (impact,
 *    and the step's cascade). The tab paid off, the rest of the lot goes
 *    back to the vault's owner; the lot sold out with tab left, the debt
 *    not raised, max(0, dart − raised), is bad debt (cdp_bad_debt).
 * Without takers an auction resets at its cusp and never clears; with a
 * linear curve and no cusp (cusp 0, tail large) its price runs to zero, and
 * a late taker buys the lot for nearly nothing (Black Thursday's zero bids
 * came from Liquidations 1.0's English auctions, which are not modelled:
 * docs/validation.md). Recorded: cdp_* (repaid = dart moved to the
 * auction, seized = dink at the oracle), the auctions kicked, redone,
 * takes, DAI raised, incentives, and what is still in auction at the end;
 * events kind 9 per bark (price the oracle), kind 11 per take (the
 * auction's price; notional the DAI paid). */
#include <math.h>
#include <stdlib.h>

#include "engine/run.h"
#include "scenario/scenario.h"
#include "venue/cdp.h"
#include "venue/liquidators.h"

enum { MK_CURVE };
enum { MK_STAIRSTEP, MK_LINEAR, MK_EXPONENTIAL, MK_NCURVES };
enum {
    MK_BUF,
    MK_TAIL,
    MK_CUSP,
    MK_CUT,
    MK_STEP,
    MK_TAU,
    MK_CHIP,
    MK_TIP,
    MK_HOLE,
    MK_HOLE_TOTAL,
    MK_DUST
};
enum {
    MK_KICKS,
    MK_REDOS,
    MK_TAKES,
    MK_RAISED,
    MK_INCENTIVES,
    MK_OPEN_END,
    MK_TAB_END,
    MK_RETURNED
};
enum { TAKE_EVENT = 11 };

static const lc_named curves[] = {
    {"stairstep", "price = top·cut^floor(dur/step) (StairstepExponentialDecrease; ETH-A's)"},
    {"linear", "price = top·(1 − dur/tau), 0 from tau (LinearDecrease)"},
    {"exponential", "price = top·cut^dur, dur in seconds (ExponentialDecrease)"},
};
static const lc_rule_name names[] = {
    [MK_CURVE] = {"curve", curves, MK_NCURVES},
};
static const lc_param params[] = {
    [MK_BUF] = {"buf", "1", LC_REAL, 1.10, 1e-9, 1e6, 1, 0,
                "an auction starts at the oracle price times this (clip.buf; ETH-A 1.10)"},
    [MK_TAIL] = {"tail", "s", LC_REAL, 7200, 0, 1e300, 0, 0,
                 "an auction older than this needs a redo (clip.tail; ETH-A 7,200 s)"},
    [MK_CUSP] = {"cusp", "1", LC_REAL, 0.45, 0, 1, 0, 0,
                 "an auction whose price fell below this fraction of its start needs a redo "
                 "(clip.cusp; ETH-A 0.45)"},
    [MK_CUT] = {"cut", "1", LC_REAL, 0.99, 0, 1, 0, 1,
                "the price's factor per step (stairstep) or per second (exponential) "
                "(abaci.cut; ETH-A 0.99)"},
    [MK_STEP] = {"step", "s", LC_REAL, 90, 1e-9, 1e300, 1, 0,
                 "seconds between the stairstep's cuts (abaci.step; ETH-A 90)"},
    [MK_TAU] = {"tau", "s", LC_REAL, 3600, 1e-9, 1e300, 1, 0,
                "seconds the linear curve takes to reach 0 (abaci.tau)"},
    [MK_CHIP] = {"chip", "1", LC_REAL, 0.001, 0, 1, 0, 0,
                 "the keeper's incentive per kick or redo, as a fraction of the tab (clip.chip; "
                 "ETH-A 0.1%)"},
    [MK_TIP] = {"tip", "quote", LC_REAL, 250, 0, 1e300, 0, 0,
                "the keeper's flat incentive per kick or redo (clip.tip; ETH-A 250 DAI)"},
    [MK_HOLE] = {"hole", "quote", LC_REAL, 4e7, 0, 1e300, 0, 0,
                 "most tab in auction at once per market (dog.ilk.hole; ETH-A 40M DAI)"},
    [MK_HOLE_TOTAL] = {"hole_total", "quote", LC_REAL, 1.5e8, 0, 1e300, 0, 0,
                       "most tab in auction at once, every market (dog.Hole; 150M DAI)"},
    [MK_DUST] = {"dust", "quote", LC_REAL, 7500, 0, 1e300, 0, 0,
                 "the smallest debt a vault or an auction may be left with (vat.dust; ETH-A "
                 "7,500 DAI)"},
};
static const lc_rule_column columns[] = {
    [MK_KICKS] = {"maker_kicks", 'i', "auctions", "Maker auctions started (vaults barked)"},
    [MK_REDOS] = {"maker_redos", 'i', "auctions", "auction resets at tail or cusp"},
    [MK_TAKES] = {"maker_takes", 'i', "takes", "purchases from auctions"},
    [MK_RAISED] = {"maker_raised", 'd', "quote", "DAI the takers paid"},
    [MK_INCENTIVES] = {"maker_incentives", 'd', "quote",
                       "keepers' incentives (tip + chip x tab per kick and redo), paid by the "
                       "protocol"},
    [MK_OPEN_END] = {"maker_auctions_end", 'i', "auctions", "auctions still running at the end"},
    [MK_TAB_END] = {"maker_tab_end", 'd', "quote", "their tab left at the end"},
    [MK_RETURNED] = {"maker_returned", 'd', "quote",
                     "collateral left in auctions whose tab was paid, returned to the vaults' "
                     "owners, at the market price then (cdp_seized counts the whole lot)"},
};
static const lc_rule_event events[] = {
    {TAKE_EVENT, "Maker auction take: collateral bought (qty < 0) at the auction's price; "
                 "notional the DAI paid, shortfall the bad debt when it ends the auction"},
};

typedef struct auction {
    long i;          /* the vault */
    int market;      /* its collateral's */
    double lot, tab; /* units of collateral left, quote to raise */
    double due;      /* the debt it took over (dart), quote */
    double raised;   /* quote paid so far */
    double top, tic; /* its starting price and time (s) */
} auction;

typedef struct maker {
    lc_liquidators lq;
    auction *a;
    long n, cap;
    double dirt[LC_MAX_MARKETS], dirt_total; /* tab in auction */
    const lc_item *plan;
    struct bark {
        double dart, dink; /* debt and collateral the bark takes */
        int c, d;          /* their balances */
    } * barks;
    long nbarks;
} maker;

static int create(lc_rule_inst *ri, const lc_scenario *sc, const lc_book *book)
{
    (void)book;
    lc_liquidators_init(&((maker *)ri->state)->lq, sc);
    return 0;
}

static void destroy(lc_rule_inst *ri)
{
    maker *st = ri->state;
    free(st->a);
    free(st->barks);
}

static void on_run(lc_rule_inst *ri, lc_run *r)
{
    (void)r;
    maker *st = ri->state;
    st->lq.step = -1;
    st->n = 0;
    st->dirt_total = 0;
    for (int k = 0; k < LC_MAX_MARKETS; k++)
        st->dirt[k] = 0;
}

/* The auction's price dur seconds after its start (abaci.sol). */
static double price_at(const lc_rule_setting *set, double top, double dur)
{
    const double *p = set->p;
    switch (set->name[MK_CURVE]) {
    case MK_LINEAR:
        return dur >= p[MK_TAU] ? 0 : top * (p[MK_TAU] - dur) / p[MK_TAU];
    case MK_EXPONENTIAL:
        return top * pow(p[MK_CUT], dur);
    default:
        return top * pow(p[MK_CUT], floor(dur / p[MK_STEP]));
    }
}

static void on_breach(lc_rule_inst *ri, lc_run *r, lc_item *plan, long n)
{
    maker *st = ri->state;
    const double *p = ri->set->p;
    if (lc_cdp_items(r, (void **)&st->barks, &st->nbarks, n, sizeof *st->barks))
        return;
    st->plan = plan;
    double dirt[LC_MAX_MARKETS], total = st->dirt_total; /* as this round's barks leave them */
    for (int k = 0; k < r->nmk; k++)
        dirt[k] = st->dirt[k];
    for (long k = 0; k < n; k++) {
        lc_item *it = &plan[k];
        if (it->margin != &lc_margin_cdp || it->taken || !lc_liquidators_ready(&st->lq, r, it->i))
            continue;
        lc_account a;
        lc_book_account(r->book, it->i, &a);
        /* its collateral and its debt (one of each: scenario.c and population.c
         * refuse other vaults) */
        int c = lc_cdp_largest(r, &a, 1), d = lc_cdp_largest(r, &a, -1);
        if (c < 0 || d < 0)
            continue;
        int m = a.col[c].asset;
        double chop = 1 + r->sc->market[m].bonus,
               debt = -a.col[d].amount * lc_cdp_price(r, a.col[d].asset);
        double room = fmin(p[MK_HOLE_TOTAL] - total, p[MK_HOLE] - dirt[m]);
        if (!(room > 0))
            continue; /* the hole is full: it waits */
        double dart = fmin(debt, room / chop);
        if (dart < debt) {
            if (debt - dart < p[MK_DUST])
                dart = debt; /* a dusty rest goes too */
            else if (dart < p[MK_DUST])
                continue;
        }
        st->barks[k] = (struct bark){dart, a.col[c].amount * dart / debt, c, d};
        dirt[m] += dart * chop;
        total += dart * chop;
        it->taken = 1; /* nothing trades now: the auction sells it */
    }
}

static void on_settle(lc_rule_inst *ri, lc_run *r, const lc_item *it)
{
    if (!it->taken || it->margin != &lc_margin_cdp)
        return;
    maker *st = ri->state;
    const double *p = ri->set->p;
    const struct bark *b = &st->barks[it - st->plan];
    lc_cell *cells = lc_rule_cells(r, ri);
    if (st->n == st->cap) {
        long cap = st->cap ? 2 * st->cap : 64;
        auction *v = realloc(st->a, (size_t)cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return;
        }
        st->a = v;
        st->cap = cap;
    }
    lc_account a;
    lc_book_account(r->book, it->i, &a);
    int m = a.col[b->c].asset;
    double chop = 1 + r->sc->market[m].bonus, price = lc_cdp_price(r, m);
    double tab = b->dart * chop, debt = -a.col[b->d].amount;
    st->a[st->n++] = (auction){.i = it->i,
                               .market = m,
                               .lot = b->dink,
                               .tab = tab,
                               .due = b->dart,
                               .top = price * p[MK_BUF],
                               .tic = (double)r->t * r->sc->dt_s};
    st->dirt[m] += tab;
    st->dirt_total += tab;
    cells[MK_KICKS].i++;
    cells[MK_INCENTIVES].d += p[MK_TIP] + p[MK_CHIP] * tab;
    lc_cdp_record(r, it->i,
                  &(lc_cdp_fill){.market = m,
                                 .units = b->dink,
                                 .x = price,
                                 .repaid = b->dart,
                                 .seized = b->dink * price});
    if (b->dart < debt) { /* a partial bark: the vault keeps the rest */
        a.col[b->c].amount -= b->dink;
        a.col[b->d].amount = -(debt - b->dart);
        lc_run_span_keep(r, it->i, a.col, a.ncol);
    }
}

/* Auction au ends (removed by on_step's compaction): the dirt of its tab
 * left released; what it did not raise of its debt is bad debt, returned. */
static double finish(maker *st, lc_run *r, auction *au)
{
    double bad = au->lot == 0 && au->raised < au->due ? au->due - au->raised : 0;
    st->dirt[au->market] -= au->tab;
    st->dirt_total -= au->tab;
    r->row->cdp_bad_debt += bad;
    au->i = -1;
    return bad;
}

/* The auctions, in kick order: redo when needed, then the takers. */
static void on_step(lc_rule_inst *ri, lc_run *r)
{
    maker *st = ri->state;
    const double *p = ri->set->p;
    lc_cell *cells = lc_rule_cells(r, ri);
    double now = (double)r->t * r->sc->dt_s;
    for (long k = 0; k < st->n && !r->bad; k++) {
        auction *au = &st->a[k];
        int m = au->market;
        double price = price_at(ri->set, au->top, now - au->tic);
        if (now - au->tic > p[MK_TAIL] || price < p[MK_CUSP] * au->top) { /* redo */
            au->tic = now;
            au->top = lc_cdp_price(r, m) * p[MK_BUF];
            price = au->top;
            cells[MK_REDOS].i++;
            /* the keeper is paid for a redo only of an auction worth it (clip.sol
             * l.299–305: tab >= chost and lot·price >= chost) */
            double chost = p[MK_DUST] * (1 + r->sc->market[m].bonus);
            if (au->tab >= chost && au->lot * lc_cdp_price(r, m) >= chost)
                cells[MK_INCENTIVES].d += p[MK_TIP] + p[MK_CHIP] * au->tab;
        }
        /* a taker: the most of the lot its capacity pays for, halved until
         * its sale pays (liquidators.h) */
        double left = lc_liquidators_left(&st->lq, r), slice = au->lot;
        if (price > 0 && slice * price > left)
            slice = left / price;
        for (int h = 0; h < LC_LIQUIDATOR_HALVINGS && slice > 0; h++, slice /= 2) {
            double s = slice, owe = s * price, chost = p[MK_DUST] * (1 + r->sc->market[m].bonus);
            if (owe > au->tab) {
                owe = au->tab;
                s = price > 0 ? owe / price : au->lot;
            } else if (owe < au->tab && s < au->lot && au->tab - owe < chost) {
                if (!(au->tab > chost))
                    continue; /* only the whole lot may be bought */
                owe = au->tab - chost;
                s = owe / price;
            }
            if (!(s > 0) || !lc_liquidators_pays(&st->lq, s * lc_liquidators_quote(r, m, -s), owe))
                continue;
            double x;
            if (lc_market_trade(&r->mk[m], -s, &x)) {
                r->bad = "the impact of a Maker auction taker's sale is not a finite price move";
                r->bad_market = m;
                return;
            }
            lc_market_reprice(&r->mk[m]);
            lc_liquidators_use(&st->lq, owe);
            double tab0 = au->tab;
            au->lot = s >= au->lot ? 0 : au->lot - s;
            au->tab = owe >= au->tab ? 0 : au->tab - owe;
            au->raised += owe;
            cells[MK_TAKES].i++;
            cells[MK_RAISED].d += owe;
            r->row->cdp_liquidator_pnl += s * x - owe - st->lq.gas;
            st->dirt[m] -= tab0 - au->tab;
            st->dirt_total -= tab0 - au->tab;
            if (au->tab == 0 && au->lot > 0) /* the rest of the lot goes back to the owner */
                cells[MK_RETURNED].d += au->lot * r->mk[m].p;
            long i = au->i;
            double bad = au->tab == 0 || au->lot == 0 ? finish(st, r, au) : 0;
            lc_run_event_at(r, i, m, TAKE_EVENT, -s, price, 0, bad);
            break;
        }
    }
    long n = 0; /* the auctions that ended out, in kick order */
    for (long k = 0; k < st->n; k++)
        if (st->a[k].i >= 0)
            st->a[n++] = st->a[k];
    st->n = n;
}

static void on_end(lc_rule_inst *ri, lc_run *r)
{
    maker *st = ri->state;
    lc_cell *cells = lc_rule_cells(r, ri);
    double tab = 0;
    for (long k = 0; k < st->n; k++)
        tab += st->a[k].tab;
    cells[MK_OPEN_END].i = st->n;
    cells[MK_TAB_END].d = tab;
}

static int enabled(const lc_rule_setting *s, const lc_scenario *sc)
{
    (void)s;
    return sc->lending == LC_LENDING_MAKER;
}

const lc_rule lc_rule_maker = {
    .d = {"maker",
          "Maker Liquidations 2.0: vaults barked into Dutch auctions (stairstep, linear or "
          "exponential price, reset at tail or cusp) that takers buy from",
          params, LC_COUNT(params), NULL},
    .section = "venue.maker",
    .names = names,
    .nnames = LC_COUNT(names),
    .columns = columns,
    .ncolumns = LC_COUNT(columns),
    .events = events,
    .nevents = LC_COUNT(events),
    .changes_positions = 1,
    .state_size = sizeof(maker),
    .enabled = enabled,
    .create = create,
    .destroy = destroy,
    .on_run = on_run,
    .on_step = on_step,
    .on_breach = on_breach,
    .on_settle = on_settle,
    .on_end = on_end,
};

/* population.c — drawing or reading the accounts (see population.h).
 *
 * Drawn accounts use only the population stream of the seed, in a fixed order
 * per account (side, notional, leverage, entry), so the population is a pure
 * function of the scenario. Per account:
 *   notional N ~ notional dist; opening tier = first with N <= up_to
 *   leverage L ~ leverage dist, capped at the opening tier's max_leverage
 *   entry E = s0 · (entry dist), redrawn while the account would already be
 *   breached at s0;   q = N / E,  C = N / L;
 *   (mmr, cum) = the tier of the notional q·liq at the liquidation price
 *   (maintenance by current notional, venue.h lc_tier_liq_price). */
#include "book/population.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/book.h"
#include "book/dist.h"
#include "engine/rng.h"
#include "venue/spanning.h"
#include "venue/venue.h"

#define ENTRY_ATTEMPTS 1000
#define CSV_LINE_MAX 65536 /* characters of one positions line, its newline excluded */

void lc_population_free(lc_population *p)
{
    if (!p)
        return;
    free(p->side);
    free(p->market);
    free(p->qty);
    free(p->entry);
    free(p->collateral);
    free(p->mmr);
    free(p->cum);
    free(p->liq_price);
    free(p->bankruptcy_price);
    free(p->origin);
    free(p->span_margin);
    free(p->span_emode);
    free(p->span_pos0);
    free(p->span_col0);
    free(p->span_pos);
    free(p->span_col);
    free(p);
}

static lc_population *alloc_population(long n)
{
    lc_population *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    size_t m = n > 0 ? (size_t)n : 1;
    p->n = n;
    p->side = malloc(m * sizeof *p->side);
    p->market = calloc(m, sizeof *p->market);
    p->qty = malloc(m * sizeof *p->qty);
    p->entry = malloc(m * sizeof *p->entry);
    p->collateral = malloc(m * sizeof *p->collateral);
    p->mmr = malloc(m * sizeof *p->mmr);
    p->cum = malloc(m * sizeof *p->cum);
    p->liq_price = malloc(m * sizeof *p->liq_price);
    p->bankruptcy_price = malloc(m * sizeof *p->bankruptcy_price);
    p->origin = malloc(m * sizeof *p->origin);
    /* while accounts are added, the margin and leg offsets of every account
     * (finish() keeps those of the spanning ones) */
    p->span_margin = calloc(m, sizeof *p->span_margin);
    p->span_emode = calloc(m, sizeof *p->span_emode);
    p->span_pos0 = calloc(m + 1, sizeof *p->span_pos0);
    p->span_col0 = calloc(m + 1, sizeof *p->span_col0);
    if (!p->side || !p->market || !p->qty || !p->entry || !p->collateral || !p->mmr || !p->cum ||
        !p->liq_price || !p->bankruptcy_price || !p->origin || !p->span_margin || !p->span_emode ||
        !p->span_pos0 || !p->span_col0) {
        lc_population_free(p);
        return NULL;
    }
    return p;
}

/* The sort key of an account: side (longs first), then the liquidation
 * price in settlement order (decreasing for longs, increasing for shorts),
 * as one unsigned integer whose order is that order. A double's bits map to
 * an order-preserving integer by flipping the sign bit of non-negatives and
 * every bit of negatives; −0 is folded into +0 first so that they tie. */
static uint64_t order_key(double key)
{
    if (key == 0)
        key = 0.0;
    uint64_t b;
    memcpy(&b, &key, sizeof b);
    return b >> 63 ? ~b : b | (UINT64_C(1) << 63);
}

/* Stable LSD radix sort of idx[0..n) by key[] (8 passes of 8 bits; a pass
 * whose byte is the same for every key is skipped). Stability keeps equal
 * keys in input order, which is origin order (origin is the input index),
 * the documented tie-break. O(n) against qsort's O(n log n) calls of a
 * comparison function: at 1M accounts it was two thirds of the set-up. */
static void radix_sort(uint64_t *key, uint32_t *idx, uint64_t *key2, uint32_t *idx2, long n)
{
    for (int shift = 0; shift < 64; shift += 8) {
        long count[257] = {0};
        for (long i = 0; i < n; i++)
            count[(key[i] >> shift & 0xff) + 1]++;
        int skip = 0;
        for (int d = 1; d <= 256 && !skip; d++)
            skip = count[d] == n;
        if (skip)
            continue;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (long i = 0; i < n; i++) {
            long at = count[key[i] >> shift & 0xff]++;
            key2[at] = key[i];
            idx2[at] = idx[i];
        }
        memcpy(key, key2, (size_t)n * sizeof *key);
        memcpy(idx, idx2, (size_t)n * sizeof *idx);
    }
}

/* Reorder one array of n elements of `size` bytes: new k holds old perm[k]. */
static void permute(void *arr, size_t size, const uint32_t *perm, long n, void *tmp)
{
    char *a = arr, *t = tmp;
    for (long k = 0; k < n; k++)
        memcpy(t + (size_t)k * size, a + (size_t)perm[k] * size, size);
    memcpy(a, t, (size_t)n * size);
}

#define PERMUTE(arr) permute((arr), sizeof *(arr), perm, p->n, tmp)

/* Compute liquidation and bankruptcy prices, then sort the accounts into
 * liquidation order (population.h). */
#ifndef NDEBUG
/* What population.h promises (debug builds assert it): per (market, side)
 * range, longs by non-increasing liquidation price, shorts by
 * non-decreasing. */
static int in_liquidation_order(const lc_population *p)
{
    for (int r = 0; r < 2 * p->nmarkets; r++)
        for (long i = p->range[r]; i < p->range[r + 1]; i++) {
            int is_long = r % 2 == 0;
            if (p->market[i] != r / 2 || (p->side[i] > 0) != is_long)
                return 0;
            if (i > p->range[r] && (is_long ? p->liq_price[i] > p->liq_price[i - 1]
                                            : p->liq_price[i] < p->liq_price[i - 1]))
                return 0;
        }
    for (long i = p->range[2 * p->nmarkets]; i < p->n; i++)
        if (i > p->range[2 * p->nmarkets] && p->origin[i] < p->origin[i - 1])
            return 0; /* the spanning accounts, in the order added */
    return p->range[2 * p->nmarkets] == p->span0;
}
#endif

/* Keep the leg offsets and margins of the spanning accounts only, which
 * perm puts at [span0, n) in the order they were added. */
static void compact_spanning(lc_population *p, const uint32_t *perm)
{
    long ns = p->n - p->span0;
    uint32_t endp = p->span_pos0[p->n], endc = p->span_col0[p->n];
    for (long j = 0; j < ns; j++) {
        long i = perm[p->span0 + j];
        p->span_margin[j] = p->span_margin[i];
        p->span_emode[j] = p->span_emode[i];
        p->span_pos0[j] = p->span_pos0[i];
        p->span_col0[j] = p->span_col0[i];
    }
    p->span_pos0[ns] = endp;
    p->span_col0[ns] = endc;
    p->span_npos = endp;
    p->span_ncol = endc;
}

static int finish(lc_population *p, lc_error *err)
{
    p->n_long = p->n_short = 0;
    p->qty_long = p->qty_short = 0;
    for (int r = 0; r < 2 * LC_MAX_MARKETS; r++) {
        p->range_qty[r] = p->span_qty[r] = 0;
        p->span_open[r] = 0;
    }
    size_t m = p->n > 0 ? (size_t)p->n : 1;
    /* key, perm and their sort buffers; tmp (one array's worth) for permuting */
    uint64_t *key = malloc(2 * m * sizeof *key);
    uint32_t *perm = malloc(2 * m * sizeof *perm);
    double *tmp = malloc(m * sizeof *tmp);
    if (!key || !perm || !tmp) {
        free(key);
        free(perm);
        free(tmp);
        return lc_error_add(err, "out of memory ordering %ld accounts", p->n);
    }
    long niso = 0;
    for (long i = 0; i < p->n; i++) {
        if (p->span_margin[i]) { /* an account that spans markets: no one level */
            p->liq_price[i] = p->bankruptcy_price[i] = NAN;
            for (uint32_t k = p->span_pos0[i]; k < p->span_pos0[i + 1]; k++) {
                const lc_position *ps = &p->span_pos[k];
                int r = 2 * ps->market + (ps->side > 0 ? 0 : 1);
                p->span_qty[r] += ps->qty;
                p->span_open[r]++;
                *(ps->side > 0 ? &p->qty_long : &p->qty_short) += ps->qty;
            }
            continue;
        }
        double liq = lc_liq_price_cum(p->side[i], p->qty[i], p->entry[i], p->collateral[i],
                                      p->mmr[i], p->cum[i]);
        p->liq_price[i] = liq;
        p->bankruptcy_price[i] =
            lc_bankruptcy_price(p->side[i], p->qty[i], p->entry[i], p->collateral[i]);
        int is_long = p->side[i] > 0;
        /* longs by decreasing liq (ascending −liq), then shorts by increasing
         * liq: the side goes in a last, most significant pass below */
        key[niso] = order_key(is_long ? -liq : liq);
        perm[niso++] = (uint32_t)i;
        p->range_qty[2 * p->market[i] + !is_long] += p->qty[i];
        if (is_long) {
            p->n_long++;
            p->qty_long += p->qty[i];
        } else {
            p->n_short++;
            p->qty_short += p->qty[i];
        }
    }
    if (!isfinite(p->qty_long + p->qty_short)) {
        free(key);
        free(perm);
        free(tmp);
        return lc_error_add(err, "population: total quantity is not finite (notional "
                                 "distribution without a finite cap?)");
    }
    radix_sort(key, perm, key + m, perm + m, niso);
    /* then by range, stably (a counting sort): per market, the longs, then
     * the shorts; the spanning accounts after every range, as added */
    long count[2 * LC_MAX_MARKETS + 1] = {0};
    for (long k = 0; k < niso; k++) {
        long j = perm[k];
        count[2 * p->market[j] + (p->side[j] > 0 ? 0 : 1) + 1]++;
    }
    for (int r = 0; r < 2 * p->nmarkets; r++)
        count[r + 1] += count[r];
    for (int r = 0; r <= 2 * p->nmarkets; r++)
        p->range[r] = count[r];
    for (long k = 0; k < niso; k++) {
        long j = perm[k];
        perm[m + count[2 * p->market[j] + (p->side[j] > 0 ? 0 : 1)]++] = (uint32_t)j;
    }
    memcpy(perm, perm + m, (size_t)niso * sizeof *perm);
    p->span0 = niso;
    for (long i = 0, k = niso; i < p->n; i++)
        if (p->span_margin[i])
            perm[k++] = (uint32_t)i;
    PERMUTE(p->side);
    PERMUTE(p->market);
    PERMUTE(p->qty);
    PERMUTE(p->entry);
    PERMUTE(p->collateral);
    PERMUTE(p->mmr);
    PERMUTE(p->cum);
    PERMUTE(p->liq_price);
    PERMUTE(p->bankruptcy_price);
    PERMUTE(p->origin);
    compact_spanning(p, perm);
    free(key);
    free(perm);
    free(tmp);
    assert(in_liquidation_order(p));
    return 0;
}

lc_population *lc_population_from_arrays(long n, const int8_t *side, const double *qty,
                                         const double *entry, const double *collateral,
                                         const double *mmr, lc_error *err)
{
    return lc_population_from_arrays_k(n, 1, NULL, side, qty, entry, collateral, mmr, err);
}

lc_population *lc_population_from_arrays_k(long n, int nmarkets, const uint8_t *market,
                                           const int8_t *side, const double *qty,
                                           const double *entry, const double *collateral,
                                           const double *mmr, lc_error *err)
{
    lc_population *p = alloc_population(n);
    if (!p) {
        lc_error_add(err, "out of memory for %ld accounts", n);
        return NULL;
    }
    p->nmarkets = nmarkets;
    size_t m = (size_t)n;
    if (n > 0 && market)
        memcpy(p->market, market, m * sizeof *market);
    if (n > 0) {
        memcpy(p->side, side, m * sizeof *side);
        memcpy(p->qty, qty, m * sizeof *qty);
        memcpy(p->entry, entry, m * sizeof *entry);
        memcpy(p->collateral, collateral, m * sizeof *collateral);
        memcpy(p->mmr, mmr, m * sizeof *mmr);
    }
    for (long i = 0; i < n; i++) {
        p->origin[i] = i;
        p->cum[i] = 0;
    }
    if (finish(p, err)) {
        lc_population_free(p);
        return NULL;
    }
    return p;
}

/* One account from its notional, leverage and entry; -1 with a message on
 * bad data (where: "file:line" or NULL for drawn accounts). */
static int place(const lc_scenario *sc, lc_population *p, long i, int market, int side,
                 double notional, double leverage, double entry, const char *src, int line,
                 lc_error *err)
{
    const lc_market_spec *ms = &sc->market[market];
    /* the entry notional's tier sets max_leverage (venue.h lc_tier_at);
     * beyond the last up_to there is no tier to open in */
    if (!(notional <= ms->tiers[ms->ntiers - 1].up_to))
        return lc_error_at(err, src, line, sc->v1 ? "venue.tiers" : ms->name,
                           "notional %g is above the last tier's up_to (%g); add a tier "
                           "(up_to: 1.0e300 takes everything)",
                           notional, ms->tiers[ms->ntiers - 1].up_to);
    int t = lc_tier_at(ms->tiers, ms->ntiers, notional);
    double cap = ms->tiers[t].max_leverage;
    if (leverage > cap) {
        if (src) /* a snapshot is data: say so rather than silently change it */
            return lc_error_at(err, src, line, NULL,
                               "leverage %g exceeds max_leverage %g of tier %d", leverage, cap, t);
        leverage = cap;
    }
    p->side[i] = (int8_t)side;
    p->market[i] = (uint8_t)market;
    p->origin[i] = i;
    p->entry[i] = entry;
    p->qty[i] = notional / entry;
    p->collateral[i] = notional / leverage;
    int k;
    lc_tier_liq_price(side, p->qty[i], entry, p->collateral[i], ms->tiers, ms->ntiers, &k);
    p->mmr[i] = ms->tiers[k].mmr;
    p->cum[i] = ms->tiers[k].cum;
    return 0;
}

/* An array *v of *cap elements of `size` bytes made to hold `need`
 * (doubling); 0, or -1 (memory, *v unchanged). */
static int grow(void **v, long *cap, long need, size_t size)
{
    if (need <= *cap)
        return 0;
    long c = 2 * *cap + need + 64;
    void *w = realloc(*v, (size_t)c * size);
    if (!w)
        return -1;
    *v = w;
    *cap = c;
    return 0;
}

/* Add account i that spans markets: its margin model (a CDP: in the eMode
 * category or not), positions and balances (appended to the legs); its
 * per-account entries describe its first position. Returns 0 or -1 (memory). */
static int add_spanning(lc_population *p, long i, int margin, int emode, const lc_position *pos,
                        int npos, const lc_balance *col, int ncol)
{
    uint32_t at = p->span_pos0[i], ac = p->span_col0[i];
    if (grow((void **)&p->span_pos, &p->span_pos_cap, at + npos, sizeof *p->span_pos) ||
        grow((void **)&p->span_col, &p->span_col_cap, ac + ncol, sizeof *p->span_col))
        return -1;
    if (npos) /* a CDP has none (and may pass NULL) */
        memcpy(p->span_pos + at, pos, (size_t)npos * sizeof *pos);
    memcpy(p->span_col + ac, col, (size_t)ncol * sizeof *col);
    p->span_pos0[i + 1] = at + (uint32_t)npos;
    p->span_col0[i + 1] = ac + (uint32_t)ncol;
    double quote = 0;
    for (int k = 0; k < ncol; k++)
        if (col[k].asset == LC_QUOTE)
            quote += col[k].amount;
    p->span_margin[i] = (uint8_t)margin;
    p->span_emode[i] = (uint8_t)(margin == LC_MARGIN_CDP && emode);
    p->emode_any |= p->span_emode[i];
    if (npos > 0) {
        p->side[i] = (int8_t)pos[0].side;
        p->market[i] = (uint8_t)pos[0].market;
        p->qty[i] = pos[0].qty;
        p->entry[i] = pos[0].entry;
    } else { /* a CDP: no position; its market is its first collateral's */
        int a = 0;
        for (int k = ncol - 1; k >= 0; k--)
            if (col[k].asset != LC_QUOTE && col[k].amount > 0)
                a = col[k].asset;
        p->side[i] = 0;
        p->market[i] = (uint8_t)a;
        p->qty[i] = 0;
        p->entry[i] = NAN;
    }
    p->collateral[i] = quote;
    p->mmr[i] = p->cum[i] = 0;
    p->origin[i] = i;
    return 0;
}

/* An account added without legs (isolated) keeps the leg offsets running. */
static void no_legs(lc_population *p, long i)
{
    p->span_margin[i] = LC_MARGIN_ISOLATED;
    p->span_emode[i] = 0;
    p->span_pos0[i + 1] = p->span_pos0[i];
    p->span_col0[i + 1] = p->span_col0[i];
}

/* Whether an account of this margin and these legs is isolated in shape:
 * one position and quote collateral under isolated or cross margin. */
static int isolated_shape(int margin, int npos, const lc_balance *col, int ncol)
{
    return margin != LC_MARGIN_PORTFOLIO && npos == 1 && ncol <= 1 &&
           (ncol == 0 || col[0].asset == LC_QUOTE);
}

/* The notional and leverage distributions of a kind: its own, or the
 * population's. */
static const lc_choice *kind_notional(const lc_scenario *sc, const lc_account_kind *ak)
{
    return ak && ak->notional.desc ? &ak->notional : &sc->notional;
}
static const lc_choice *kind_leverage(const lc_scenario *sc, const lc_account_kind *ak)
{
    return ak && ak->leverage.desc ? &ak->leverage : &sc->leverage;
}

/* Account i isolated in `market` at an entry of s0 × the entry draw, redrawn
 * (up to ENTRY_ATTEMPTS times) until the account is solvent at s0: 0 when
 * placed, 1 when no draw was, -1 on an error (place's). */
static int place_solvent(const lc_scenario *sc, lc_population *p, long i, int market, int side,
                         double notional, double leverage, gsl_rng *r, lc_error *err)
{
    double s0 = lc_scenario_s0(sc, market);
    no_legs(p, i);
    for (int a = 0; a < ENTRY_ATTEMPTS; a++) {
        double entry = s0 * lc_dist_draw(&sc->entry, r);
        if (place(sc, p, i, market, side, notional, leverage, entry, NULL, 0, err))
            return -1;
        double liq =
            lc_liq_price_cum(side, p->qty[i], entry, p->collateral[i], p->mmr[i], p->cum[i]);
        if (!lc_breached(side, liq, s0)) {
            const lc_market_spec *ms = &sc->market[market];
            p->leverage_capped +=
                leverage > ms->tiers[lc_tier_at(ms->tiers, ms->ntiers, notional)].max_leverage;
            return 0;
        }
    }
    return 1;
}

static int draw_isolated(const lc_scenario *sc, const lc_account_kind *ak, lc_population *p, long i,
                         gsl_rng *r, lc_error *err)
{
    /* the market by population.markets' weights: one uniform, drawn only
     * when there is a choice, so one market draws as it always has */
    int market = 0;
    if (sc->nmarkets > 1) {
        double u = gsl_rng_uniform(r), acc = 0;
        for (market = 0; market < sc->nmarkets - 1; market++)
            if (u < (acc += sc->market[market].weight))
                break;
        while (!(sc->market[market].weight > 0)) /* u beyond the rounded sum */
            market--;
    }
    int side = gsl_rng_uniform(r) < sc->long_fraction ? 1 : -1;
    double notional = lc_dist_draw(kind_notional(sc, ak), r);
    double leverage = lc_dist_draw(kind_leverage(sc, ak), r);
    int rc = place_solvent(sc, p, i, market, side, notional, leverage, r, err);
    if (rc <= 0)
        return rc;
    return lc_error_at(err, sc->path, 0, "population.entry",
                       "no entry price in %d draws leaves an account of leverage %g solvent at "
                       "s0; narrow the entry distribution",
                       ENTRY_ATTEMPTS, leverage);
}

/* An account of kind `margin` (population.kinds): npos positions in
 * markets drawn without replacement by population.markets' weights, each
 * with its side, notional and entry as an isolated account's; leverage L
 * (capped by the tightest max_leverage of the positions' opening tiers)
 * gives the collateral value V = Σ notional / L at s0, split by the kind's
 * shares into the markets' assets, the rest quote. Entries are redrawn
 * until the account is not breached at s0. A cross account with one
 * position and only quote collateral is an isolated account (the same E
 * and R) and is stored as one, on the cursor. */
static int draw_spanning(const lc_scenario *sc, lc_population *p, long i, int margin, gsl_rng *r,
                         lc_error *err)
{
    const lc_account_kind *ak = &sc->kind[margin];
    char where[64];
    snprintf(where, sizeof where, "population.kinds.%s", lc_margin_kinds[margin]);
    long npos = ak->positions_min;
    if (ak->positions_max > npos)
        npos += (long)gsl_rng_uniform_int(r, (unsigned long)(ak->positions_max - npos + 1));
    double w[LC_MAX_MARKETS], wsum = 0;
    int held = 0;
    for (int k = 0; k < sc->nmarkets; k++) {
        w[k] = sc->market[k].weight;
        wsum += w[k];
        held += w[k] > 0;
    }
    if (held < npos)
        return lc_error_at(err, sc->path, 0, where,
                           "%ld positions, one per market, but only %d markets have a weight > 0 "
                           "in population.markets",
                           npos, held);
    lc_position pos[LC_MAX_MARKETS];
    double notional[LC_MAX_MARKETS], cap = INFINITY, value = 0;
    for (int k = 0; k < npos; k++) {
        double u = gsl_rng_uniform(r) * wsum, acc = 0;
        int m = 0;
        for (m = 0; m < sc->nmarkets - 1; m++)
            if (w[m] > 0 && u < (acc += w[m]))
                break;
        while (!(w[m] > 0))
            m--;
        wsum -= w[m];
        w[m] = 0;
        const lc_market_spec *ms = &sc->market[m];
        int side = gsl_rng_uniform(r) < sc->long_fraction ? 1 : -1;
        notional[k] = lc_dist_draw(kind_notional(sc, ak), r);
        if (!(notional[k] <= ms->tiers[ms->ntiers - 1].up_to))
            return lc_error_at(err, sc->path, 0, sc->v1 ? "venue.tiers" : ms->name,
                               "notional %g is above the last tier's up_to (%g); add a tier "
                               "(up_to: 1.0e300 takes everything)",
                               notional[k], ms->tiers[ms->ntiers - 1].up_to);
        double c = ms->tiers[lc_tier_at(ms->tiers, ms->ntiers, notional[k])].max_leverage;
        cap = c < cap ? c : cap;
        pos[k] = (lc_position){m, side, 0, 0};
    }
    double leverage = lc_dist_draw(kind_leverage(sc, ak), r);
    int capped = leverage > cap;
    if (capped)
        leverage = cap;
    for (int k = 0; k < npos; k++)
        value += notional[k] / leverage;
    lc_balance col[LC_ACCOUNT_MAX_LEGS];
    int ncol = 0;
    double quote = value, marks[LC_MAX_MARKETS];
    for (int a = 0; a < sc->nmarkets; a++) {
        marks[a] = lc_scenario_s0(sc, a);
        if (ak->collateral[a] > 0) {
            col[ncol++] = (lc_balance){a, value * ak->collateral[a] / marks[a]};
            quote -= value * ak->collateral[a];
        }
    }
    if (quote > 0 || ncol == 0)
        col[ncol++] = (lc_balance){LC_QUOTE, quote > 0 ? quote : 0};
    if (isolated_shape(margin, (int)npos, col, ncol)) {
        int rc = place_solvent(sc, p, i, pos[0].market, pos[0].side, notional[0], leverage, r, err);
        p->leverage_capped += rc == 0 && capped;
        if (rc <= 0)
            return rc;
    } else {
        for (int a = 0; a < ENTRY_ATTEMPTS; a++) {
            for (int k = 0; k < npos; k++) {
                pos[k].entry = marks[pos[k].market] * lc_dist_draw(&sc->entry, r);
                pos[k].qty = notional[k] / pos[k].entry;
            }
            lc_span_eval e = lc_span_evaluate(sc, margin, 0, pos, (int)npos, col, ncol, marks);
            if (e.slack > 0) {
                p->leverage_capped += capped;
                return add_spanning(p, i, margin, 0, pos, (int)npos, col, ncol)
                           ? lc_error_add(err, "out of memory for the accounts' positions")
                           : 0;
            }
        }
    }
    return lc_error_at(err, sc->path, 0, "population.entry",
                       "no entry prices in %d draws leave a %s account of leverage %g solvent "
                       "at s0; narrow the entry distribution",
                       ENTRY_ATTEMPTS, lc_margin_kinds[margin], leverage);
}

/* A CDP (population.kinds.cdp): collateral of value V (the notional draw,
 * quote at s0) split by the kind's shares into the markets' assets, and a
 * debt in the kind's debt asset of value D = V·(1 − 1/L) for the leverage
 * draw L (a loop of L times the equity V − D), capped at the borrowing limit
 * Σ V_a·ltv_a. A draw breached at s0 (health factor <= 1: only with
 * ltv = lt) is drawn again. */
static int draw_cdp(const lc_scenario *sc, lc_population *p, long i, gsl_rng *r, lc_error *err)
{
    const lc_account_kind *ak = &sc->kind[LC_MARGIN_CDP];
    double marks[LC_MAX_MARKETS] = {0}, leverage = 0;
    for (int a = 0; a < sc->nmarkets; a++)
        marks[a] = lc_scenario_s0(sc, a);
    /* in the eMode category by its share (a uniform drawn only when given) */
    int emode = ak->emode > 0 && gsl_rng_uniform(r) < ak->emode;
    for (int t = 0; t < ENTRY_ATTEMPTS; t++) {
        double value = lc_dist_draw(kind_notional(sc, ak), r), limit = 0;
        leverage = lc_dist_draw(kind_leverage(sc, ak), r);
        lc_balance col[LC_ACCOUNT_MAX_LEGS];
        int ncol = 0;
        for (int a = 0; a < sc->nmarkets; a++)
            if (ak->collateral[a] > 0) {
                /* units at the protocols' price (lc_lending_price) */
                col[ncol++] =
                    (lc_balance){a, value * ak->collateral[a] / lc_lending_price(sc, a, marks)};
                limit += value * ak->collateral[a] * lc_lending_ltv(sc, emode, a);
            }
        double debt = value * (1 - 1 / leverage);
        if (debt > limit)
            debt = limit;
        int asset = ak->debt; /* drawn (one uniform) only for a map of debt assets */
        if (asset == -2) {
            double u = gsl_rng_uniform(r), acc = 0;
            for (asset = 0; asset < sc->nmarkets; asset++)
                if (u < (acc += ak->debt_share[asset]))
                    break;
            while (!(ak->debt_share[asset] > 0)) /* u beyond the rounded sum */
                asset--;
            asset -= 1;
        }
        col[ncol++] = (lc_balance){asset, -debt / lc_lending_price(sc, asset, marks)};
        if (lc_span_evaluate(sc, LC_MARGIN_CDP, emode, NULL, 0, col, ncol, marks).slack > 0)
            return add_spanning(p, i, LC_MARGIN_CDP, emode, NULL, 0, col, ncol)
                       ? lc_error_add(err, "out of memory for the accounts' balances")
                       : 0;
    }
    return lc_error_at(err, sc->path, 0, "population.kinds.cdp",
                       "no draw in %d leaves a CDP solvent at s0 (the last: leverage %g); give "
                       "markets[k].lending.ltv below lt, or lower leverages",
                       ENTRY_ATTEMPTS, leverage);
}

static int draw(const lc_scenario *sc, lc_population *p, lc_error *err)
{
    gsl_rng *r = lc_rng_create(sc->seed, LC_STREAM_POPULATION, 0);
    if (!r)
        return lc_error_add(err, "out of memory");
    int rc = 0;
    for (long i = 0; i < p->n && rc == 0; i++) {
        /* the kind by population.kinds' weights, drawn only when kinds are
         * given: without them accounts draw as they always have */
        int kind = LC_MARGIN_ISOLATED;
        if (sc->nkinds) {
            double u = gsl_rng_uniform(r), acc = 0;
            for (kind = 0; kind < LC_MARGIN_NKINDS - 1; kind++)
                if (u < (acc += sc->kind[kind].weight))
                    break;
            while (!(sc->kind[kind].weight > 0))
                kind--;
        }
        rc = kind == LC_MARGIN_ISOLATED
                 ? draw_isolated(sc, sc->nkinds ? &sc->kind[kind] : NULL, p, i, r, err)
             : kind == LC_MARGIN_CDP ? draw_cdp(sc, p, i, r, err)
                                     : draw_spanning(sc, p, i, kind, r, err);
    }
    gsl_rng_free(r);
    return rc;
}

/* Account i with one position and quote collateral c: its tier by the
 * scenario's tiers. */
static void put_isolated(const lc_scenario *sc, lc_population *p, long i, const lc_position *ps,
                         double c)
{
    const lc_market_spec *ms = &sc->market[ps->market];
    no_legs(p, i);
    p->side[i] = (int8_t)ps->side;
    p->market[i] = (uint8_t)ps->market;
    p->origin[i] = i;
    p->entry[i] = ps->entry;
    p->qty[i] = ps->qty;
    p->collateral[i] = c;
    int k;
    lc_tier_liq_price(ps->side, ps->qty, ps->entry, c, ms->tiers, ms->ntiers, &k);
    p->mmr[i] = ms->tiers[k].mmr;
    p->cum[i] = ms->tiers[k].cum;
}

/* Why a cdp account's balances are not a CDP of sc, or NULL: collateral
 * (amount > 0) in markets accepted as collateral, debts (amount < 0) in
 * quote or markets, at least one of each, no positions. */
static const char *cdp_shape_error(const lc_scenario *sc, const lc_account *a)
{
    int held = 0, owed = 0;
    if (a->npos)
        return "a cdp account holds collateral and debts, no positions";
    for (int k = 0; k < a->ncol; k++) {
        const lc_balance *b = &a->col[k];
        if (b->amount > 0 && (b->asset == LC_QUOTE || !(sc->market[b->asset].lt > 0)))
            return "a CDP's collateral must be a market's asset with lending.lt > 0";
        held += b->amount > 0;
        owed += b->amount < 0;
        if (b->amount < 0 && b->asset != LC_QUOTE &&
            (sc->lending == LC_LENDING_MAKER || sc->lending == LC_LENDING_LIQUITY))
            return "a Maker vault or Liquity trove owes quote (DAI, LUSD) only";
    }
    if (held > 1 && (sc->lending == LC_LENDING_MAKER || sc->lending == LC_LENDING_LIQUITY))
        return "a Maker vault or Liquity trove holds one collateral";
    return held && owed ? NULL : "a cdp account needs collateral and a debt";
}

lc_population *lc_population_from_accounts(const lc_scenario *sc, long n, const lc_account *acc,
                                           lc_error *err)
{
    lc_population *p = alloc_population(n);
    if (!p) {
        lc_error_add(err, "out of memory for %ld accounts", n);
        return NULL;
    }
    p->nmarkets = sc->nmarkets;
    for (long i = 0; i < n; i++) {
        const lc_account *a = &acc[i];
        int cdp = a->margin == LC_MARGIN_CDP;
        int bad = (!cdp && a->npos < 1) || a->npos > LC_MAX_MARKETS ||
                  a->ncol > LC_ACCOUNT_MAX_LEGS || a->margin < 0 || a->margin >= LC_MARGIN_NKINDS;
        for (int k = 0; !bad && k < a->npos; k++)
            bad = a->pos[k].market < 0 || a->pos[k].market >= sc->nmarkets ||
                  (a->pos[k].side != 1 && a->pos[k].side != -1) || !(a->pos[k].qty > 0) ||
                  !(a->pos[k].entry > 0);
        for (int k = 0; !bad && k < a->ncol; k++) /* debts (< 0) are a CDP's */
            bad = a->col[k].asset < LC_QUOTE || a->col[k].asset >= sc->nmarkets ||
                  !(cdp ? isfinite(a->col[k].amount) : a->col[k].amount >= 0);
        if (bad || (cdp && cdp_shape_error(sc, a)) ||
            (a->margin == LC_MARGIN_ISOLATED && !isolated_shape(0, a->npos, a->col, a->ncol))) {
            lc_error_add(err,
                         "account %ld: not a valid account (positions 1 to %d in the "
                         "scenario's markets, balances >= 0; isolated: one position and "
                         "quote; cdp: collateral and debts, %s)",
                         i, LC_MAX_MARKETS, cdp && !bad ? cdp_shape_error(sc, a) : "no position");
            lc_population_free(p);
            return NULL;
        }
        if (isolated_shape(a->margin, a->npos, a->col, a->ncol)) {
            put_isolated(sc, p, i, &a->pos[0], a->ncol ? a->col[0].amount : 0);
        } else if (add_spanning(p, i, a->margin, a->emode, a->pos, a->npos, a->col, a->ncol)) {
            lc_error_add(err, "out of memory for the accounts' positions");
            lc_population_free(p);
            return NULL;
        }
    }
    if (finish(p, err)) {
        lc_population_free(p);
        return NULL;
    }
    return p;
}

/* ---- positions files (CSV) ---------------------------------------------------
 * A header line naming the columns (any order), then one record per line;
 * '#' starts a comment, blank lines are skipped, a UTF-8 byte-order mark is
 * allowed. Two forms:
 *  - one account per line (isolated): side, notional, leverage, entry and,
 *    with several markets, market (a market's name); side is long/short or
 *    +1/-1;
 *  - one leg per line, when the header names `account`: account (an id; an
 *    account's lines are consecutive), margin (isolated, cross, portfolio;
 *    the same on each of its lines), leg (position or collateral), market (a
 *    market's name; for collateral also `quote`), side (positions), notional
 *    (positions, quote), entry (positions, quote per base) and amount
 *    (collateral: units of the asset). An isolated account is one position
 *    and one quote collateral line. */

typedef struct csv {
    FILE *f;
    const char *path;
    char *line;
    int lineno;
    enum { CSV_MAX_FIELDS = 64 } max;
    char *fields[CSV_MAX_FIELDS];
    int nf, header_fields;
} csv;

/* The next record into c->fields: 1, 0 at the end, -1 with a message. */
static int csv_next(csv *c, lc_error *err)
{
    while (fgets(c->line, CSV_LINE_MAX + 2, c->f)) {
        c->lineno++;
        size_t len = strlen(c->line);
        if (len > CSV_LINE_MAX || (len == CSV_LINE_MAX + 1 && c->line[len - 1] != '\n'))
            return lc_error_at(err, c->path, c->lineno, NULL,
                               "longer than %d characters: not a positions file?", CSV_LINE_MAX);
        char *text = c->line;
        if (c->lineno == 1 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
            text += 3; /* UTF-8 byte-order mark, as spreadsheets write it */
        text[strcspn(text, "\r\n#")] = '\0';
        if (!text[strspn(text, " \t,")])
            continue;
        /* split at every comma: an empty field stays a field, so a missing
         * value is reported rather than shifting the columns after it */
        c->nf = 0;
        for (char *t = text; t; c->nf++) {
            if (c->nf == CSV_MAX_FIELDS)
                return lc_error_at(err, c->path, c->lineno, NULL, "more than %d columns",
                                   CSV_MAX_FIELDS);
            char *comma = strchr(t, ',');
            if (comma)
                *comma = '\0';
            t += strspn(t, " \t");
            for (char *e = t + strlen(t); e > t && (e[-1] == ' ' || e[-1] == '\t');)
                *--e = '\0';
            c->fields[c->nf] = t;
            t = comma ? comma + 1 : NULL;
        }
        if (c->header_fields && c->nf != c->header_fields)
            return lc_error_at(err, c->path, c->lineno, NULL,
                               "%d fields, the header has %d (a comma inside a number?)", c->nf,
                               c->header_fields);
        return 1;
    }
    return 0;
}

/* The columns of the header record: col[k] = the field named names[k], or
 * -1. Returns 0, or -1 for a column named twice. */
static int csv_header(csv *c, const char *const *names, int n, int *col, lc_error *err)
{
    c->header_fields = c->nf;
    for (int k = 0; k < n; k++) {
        col[k] = -1;
        for (int j = 0; j < c->nf; j++)
            if (strcmp(c->fields[j], names[k]) == 0) {
                if (col[k] >= 0)
                    return lc_error_at(err, c->path, c->lineno, names[k],
                                       "column named twice (columns %d and %d)", col[k] + 1, j + 1);
                col[k] = j;
            }
    }
    return 0;
}

/* Field k of the record as a side (+1, -1), or 0 if it is none. */
static int csv_side(const char *s)
{
    if (strcmp(s, "long") == 0 || strcmp(s, "1") == 0 || strcmp(s, "+1") == 0)
        return 1;
    if (strcmp(s, "short") == 0 || strcmp(s, "-1") == 0)
        return -1;
    return 0;
}

/* A number > 0 (>= 0 when zero_ok) from s into *v, or -1 with a message. */
static int csv_number(const csv *c, const char *s, const char *key, int zero_ok, double *v,
                      lc_error *err)
{
    char *end;
    *v = strtod(s, &end);
    if (!*s || *end || !isfinite(*v) || !(*v > 0 || (zero_ok && *v == 0)))
        return lc_error_at(err, c->path, c->lineno, key, "must be a number %s (got '%s')",
                           zero_ok ? ">= 0" : "> 0", s);
    return 0;
}

/* The one-account-per-line form, after its header. */
static lc_population *read_accounts(const lc_scenario *sc, csv *c, lc_error *err)
{
    static const char *const names[5] = {"side", "notional", "leverage", "entry", "market"};
    int col[5], rc = csv_header(c, names, 5, col, err);
    for (int k = 0; k < 5 && rc == 0; k++)
        if ((k < 4 || sc->nmarkets > 1) && col[k] < 0)
            rc = lc_error_at(err, c->path, c->lineno, NULL,
                             "header must name the columns side, notional, leverage, entry%s "
                             "(missing '%s'), or account, margin, leg, market, side, notional, "
                             "entry, amount (one line per leg)",
                             sc->nmarkets > 1 ? ", market" : "", names[k]);
    long cap = 1024, n = 0;
    lc_population *p = rc ? NULL : alloc_population(cap);
    int oom = rc == 0 && !p;
    while (!oom && rc == 0 && (rc = csv_next(c, err)) == 1) {
        rc = 0;
        double v[4];
        v[0] = csv_side(c->fields[col[0]]);
        if (v[0] == 0)
            rc = lc_error_at(err, c->path, c->lineno, names[0],
                             "must be long, short, 1 or -1 (got '%s')", c->fields[col[0]]);
        for (int k = 1; k < 4 && rc == 0; k++)
            rc = csv_number(c, c->fields[col[k]], names[k], 0, &v[k], err);
        int market = 0;
        if (rc == 0 && col[4] >= 0 && (market = lc_scenario_market_find(sc, c->fields[col[4]])) < 0)
            rc = lc_error_at(err, c->path, c->lineno, "market",
                             "no market named '%s' in the scenario", c->fields[col[4]]);
        if (rc)
            break;
        if (n == cap) {
            lc_population *bigger = alloc_population(cap * 2);
            if (bigger) {
#define MOVE(a) memcpy(bigger->a, p->a, (size_t)n * sizeof *p->a)
                MOVE(side);
                MOVE(market);
                MOVE(qty);
                MOVE(entry);
                MOVE(collateral);
                MOVE(mmr);
                MOVE(cum);
                MOVE(origin);
                MOVE(span_margin);
                MOVE(span_emode);
                bigger->emode_any = p->emode_any;
                memcpy(bigger->span_pos0, p->span_pos0, (size_t)(n + 1) * sizeof *p->span_pos0);
                memcpy(bigger->span_col0, p->span_col0, (size_t)(n + 1) * sizeof *p->span_col0);
#undef MOVE
            }
            if (!bigger) {
                oom = 1;
                break;
            }
            lc_population_free(p);
            p = bigger;
            cap *= 2;
        }
        no_legs(p, n);
        rc = place(sc, p, n, market, (int)v[0], v[1], v[2], v[3], c->path, c->lineno, err);
        double s0 = lc_scenario_s0(sc, market);
        double liq = rc ? 0
                        : lc_liq_price_cum(p->side[n], p->qty[n], p->entry[n], p->collateral[n],
                                           p->mmr[n], p->cum[n]);
        if (rc == 0 && lc_breached(p->side[n], liq, s0))
            rc = lc_error_at(err, c->path, c->lineno, NULL,
                             "this account is already past its liquidation price %g at s0 = %g",
                             liq, s0);
        n++;
    }
    if (oom)
        lc_error_add(err, "%s: out of memory", c->path);
    if (oom || rc) {
        lc_population_free(p);
        return NULL;
    }
    p->n = n;
    p->nmarkets = sc->nmarkets;
    if (finish(p, err)) {
        lc_population_free(p);
        return NULL;
    }
    return p;
}

/* An account's id and first line (positions by legs). */
typedef struct csv_id {
    char id[64];
    int line;
} csv_id;

static int cmp_id(const void *a, const void *b)
{
    const csv_id *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Every account's lines are consecutive: an id seen again after another
 * account's is an error naming both lines. Sorts ids. */
static int unique_ids(const csv *c, csv_id *ids, long n, lc_error *err)
{
    if (n < 2)
        return 0;
    qsort(ids, (size_t)n, sizeof *ids, cmp_id);
    for (long k = 1; k < n; k++)
        if (strcmp(ids[k].id, ids[k - 1].id) == 0)
            return lc_error_at(err, c->path, ids[k].line, "account",
                               "account %s again (its lines start on line %d): an account's "
                               "lines are consecutive",
                               ids[k].id, ids[k - 1].line);
    return 0;
}

/* The one-leg-per-line form, after its header: accounts gathered, then
 * lc_population_from_accounts; each checked solvent at s0. */
static lc_population *read_legs(const lc_scenario *sc, csv *c, lc_error *err)
{
    enum { ACCOUNT, MARGIN, LEG, MARKET, SIDE, NOTIONAL, ENTRY, AMOUNT, NCOLS };
    static const char *const names[NCOLS] = {"account", "margin",   "leg",   "market",
                                             "side",    "notional", "entry", "amount"};
    int col[NCOLS], rc = csv_header(c, names, NCOLS, col, err);
    for (int k = 0; k < NCOLS && rc == 0; k++)
        if (col[k] < 0)
            rc = lc_error_at(err, c->path, c->lineno, NULL,
                             "a positions file by legs names the columns account, margin, leg, "
                             "market, side, notional, entry, amount (missing '%s')",
                             names[k]);
    long cap = 0, n = 0;
    lc_account *acc = NULL;
    int *first_line = NULL;
    csv_id *acc_ids = NULL;
    char id[64] = "";
    double s0[LC_MAX_MARKETS];
    for (int k = 0; k < sc->nmarkets; k++)
        s0[k] = lc_scenario_s0(sc, k);
    while (rc == 0 && (rc = csv_next(c, err)) == 1) {
        rc = 0;
        const char *const *f = (const char *const *)c->fields;
        int margin = -1;
        for (int m = 0; m < LC_MARGIN_NKINDS; m++)
            if (strcmp(f[col[MARGIN]], lc_margin_kinds[m]) == 0)
                margin = m;
        if (margin < 0) {
            rc =
                lc_error_at(err, c->path, c->lineno, "margin",
                            "must be isolated, cross, portfolio or cdp (got '%s')", f[col[MARGIN]]);
            break;
        }
        if (!*f[col[ACCOUNT]] || strlen(f[col[ACCOUNT]]) >= sizeof id) {
            rc = lc_error_at(err, c->path, c->lineno, "account",
                             "must be an id of 1 to %d "
                             "characters",
                             (int)sizeof id - 1);
            break;
        }
        if (n == 0 || strcmp(id, f[col[ACCOUNT]]) != 0) { /* a new account */
            if (n == cap) {
                long nc = cap ? 2 * cap : 1024;
                lc_account *a2 = realloc(acc, (size_t)nc * sizeof *acc);
                int *l2 = a2 ? realloc(first_line, (size_t)nc * sizeof *first_line) : NULL;
                if (a2)
                    acc = a2;
                if (l2)
                    first_line = l2;
                csv_id *i2 = l2 ? realloc(acc_ids, (size_t)nc * sizeof *acc_ids) : NULL;
                if (!i2) {
                    rc = lc_error_add(err, "%s: out of memory", c->path);
                    break;
                }
                acc_ids = i2;
                cap = nc;
            }
            snprintf(id, sizeof id, "%s", f[col[ACCOUNT]]);
            snprintf(acc_ids[n].id, sizeof acc_ids[n].id, "%s", id);
            acc_ids[n].line = c->lineno;
            acc[n] = (lc_account){.i = n, .margin = margin};
            first_line[n++] = c->lineno;
        }
        lc_account *a = &acc[n - 1];
        if (a->margin != margin) {
            rc = lc_error_at(err, c->path, c->lineno, "margin",
                             "account %s is %s on line %d: one margin per account", id,
                             lc_margin_kinds[a->margin], first_line[n - 1]);
            break;
        }
        int position = strcmp(f[col[LEG]], "position") == 0;
        int debt = strcmp(f[col[LEG]], "debt") == 0;
        if (!position && !debt && strcmp(f[col[LEG]], "collateral") != 0) {
            rc = lc_error_at(err, c->path, c->lineno, "leg",
                             "must be position, collateral or debt (got '%s')", f[col[LEG]]);
            break;
        }
        if (debt != (margin == LC_MARGIN_CDP) && (debt || position)) {
            rc = lc_error_at(err, c->path, c->lineno, "leg",
                             debt ? "a debt is a lending CDP's: its account's margin is cdp"
                                  : "a cdp account holds collateral and debts, no positions");
            break;
        }
        /* a field the leg does not use must be empty: a value there is a
         * line written for the other kind of leg */
        static const int position_only[] = {SIDE, NOTIONAL, ENTRY};
        int stray = position ? (*f[col[AMOUNT]] ? AMOUNT : -1) : -1;
        for (int k = 0; !position && k < 3; k++)
            if (*f[col[position_only[k]]])
                stray = position_only[k];
        if (stray >= 0) {
            rc = lc_error_at(err, c->path, c->lineno, names[stray],
                             "must be empty on a %s line (got '%s')", f[col[LEG]], f[col[stray]]);
            break;
        }
        int market = position || strcmp(f[col[MARKET]], "quote") != 0
                         ? lc_scenario_market_find(sc, f[col[MARKET]])
                         : LC_QUOTE;
        if (market < 0 && !(market == LC_QUOTE && !position)) {
            rc = lc_error_at(err, c->path, c->lineno, "market",
                             "no market named '%s' in the scenario%s", f[col[MARKET]],
                             position ? "" : " (a balance in quote is 'quote')");
            break;
        }
        if (position) {
            int side = csv_side(f[col[SIDE]]);
            double notional, entry;
            if (!side)
                rc = lc_error_at(err, c->path, c->lineno, "side",
                                 "must be long, short, 1 or -1 (got '%s')", f[col[SIDE]]);
            rc = rc ? rc : csv_number(c, f[col[NOTIONAL]], "notional", 0, &notional, err);
            rc = rc ? rc : csv_number(c, f[col[ENTRY]], "entry", 0, &entry, err);
            for (int k = 0; rc == 0 && k < a->npos; k++)
                if (a->pos[k].market == market)
                    rc = lc_error_at(err, c->path, c->lineno, "market",
                                     "account %s holds a position in %s already: one per market",
                                     id, f[col[MARKET]]);
            if (rc)
                break;
            a->pos[a->npos++] = (lc_position){market, side, notional / entry, entry};
        } else {
            double amount;
            if ((rc = csv_number(c, f[col[AMOUNT]], "amount", !debt, &amount, err)))
                break;
            /* a debt is a balance below 0, kept apart from collateral in the
             * same asset (the health factor weighs them differently) */
            int k = 0;
            while (k < a->ncol && (a->col[k].asset != market || (a->col[k].amount < 0) != debt))
                k++;
            if (k == a->ncol)
                a->col[a->ncol++] = (lc_balance){market, 0};
            a->col[k].amount += debt ? -amount : amount;
        }
    }
    if (rc == 0)
        rc = unique_ids(c, acc_ids, n, err);
    for (long k = 0; rc == 0 && k < n; k++) { /* each account whole and solvent at s0 */
        const lc_account *a = &acc[k];
        int bad_iso = a->margin == LC_MARGIN_ISOLATED &&
                      (a->npos != 1 || a->ncol > 1 || (a->ncol && a->col[0].asset != LC_QUOTE));
        const char *bad_cdp = a->margin == LC_MARGIN_CDP ? cdp_shape_error(sc, a) : NULL;
        if ((a->npos == 0 && a->margin != LC_MARGIN_CDP) || bad_iso || bad_cdp) {
            rc = lc_error_at(err, c->path, first_line[k], NULL, "account of this line: %s",
                             bad_cdp        ? bad_cdp
                             : a->npos == 0 ? "no position"
                                            : "an isolated account is one "
                                              "position and quote collateral");
            break;
        }
        lc_span_eval e =
            lc_span_evaluate(sc, a->margin, a->emode, a->pos, a->npos, a->col, a->ncol, s0);
        if (!(e.slack > 0))
            rc = lc_error_at(err, c->path, first_line[k], NULL,
                             "the account of this line is already breached at s0 (equity %g, "
                             "requirement %g quote)",
                             e.equity, e.requirement);
    }
    lc_population *p = rc ? NULL : lc_population_from_accounts(sc, n, acc, err);
    free(acc);
    free(first_line);
    free(acc_ids);
    return p;
}

static lc_population *read_csv(const lc_scenario *sc, lc_error *err)
{
    csv c = {.path = sc->positions_file};
    if (!(c.f = fopen(c.path, "r"))) {
        lc_error_at(err, c.path, 0, NULL, "cannot open positions file");
        return NULL;
    }
    /* lines are read into a bounded buffer: a file with no newline must not
     * grow memory until it runs out */
    c.line = malloc(CSV_LINE_MAX + 2);
    lc_population *p = NULL;
    int rc = c.line ? csv_next(&c, err) : -1;
    if (!c.line)
        lc_error_add(err, "%s: out of memory", c.path);
    else if (rc == 0)
        lc_error_at(err, c.path, 0, NULL, "empty: expected a header line and accounts");
    else if (rc == 1) {
        int by_legs = 0;
        for (int j = 0; j < c.nf; j++)
            by_legs |= strcmp(c.fields[j], "account") == 0;
        p = by_legs ? read_legs(sc, &c, err) : read_accounts(sc, &c, err);
    }
    free(c.line);
    fclose(c.f);
    return p;
}

double lc_population_bytes(const lc_scenario *sc, long n)
{
    const lc_population *p = NULL; /* for the sizes of its arrays' elements */
    double per = sizeof *p->side + sizeof *p->market + sizeof *p->qty + sizeof *p->entry +
                 sizeof *p->collateral + sizeof *p->mmr + sizeof *p->cum + sizeof *p->liq_price +
                 sizeof *p->bankruptcy_price + sizeof *p->origin + sizeof *p->span_margin +
                 sizeof *p->span_emode + sizeof *p->span_pos0 + sizeof *p->span_col0;
    per += 2 * sizeof(uint64_t) + 2 * sizeof(uint32_t) + sizeof(double); /* finish()'s sort */
    double legs = 0; /* per account: the kinds' positions and balances, at twice (growth) */
    for (int k = 0; k < sc->nkinds; k++) {
        const lc_account_kind *ak = &sc->kind[k];
        if (k == LC_MARGIN_ISOLATED || ak->weight <= 0)
            continue;
        int balances = 1;
        for (int m = 0; m < sc->nmarkets; m++)
            balances += ak->collateral[m] > 0;
        legs += ak->weight * 2 *
                ((double)ak->positions_max * sizeof(lc_position) + balances * sizeof(lc_balance));
    }
    return (double)n * (per + legs);
}

lc_population *lc_population_create(const lc_scenario *sc, lc_error *err)
{
    if (sc->positions_file)
        return read_csv(sc, err);
    lc_population *p = alloc_population(sc->accounts);
    if (!p) {
        lc_error_add(err, "out of memory for %ld accounts", sc->accounts);
        return NULL;
    }
    p->nmarkets = sc->nmarkets;
    if (draw(sc, p, err) || finish(p, err)) {
        lc_population_free(p);
        return NULL;
    }
    return p;
}

/* What shapes a population: its own section, the tiers (leverage caps,
 * maintenance and so liquidation prices), the price it is opened at and the
 * seed of its stream. */
static int shapes_population(const char *key)
{
    const char *m = strncmp(key, "markets.", 8) == 0 ? strchr(key + 8, '.') : NULL;
    return strncmp(key, "population.", 11) == 0 || strncmp(key, "venue.tiers.", 12) == 0 ||
           strcmp(key, "price.s0") == 0 || strcmp(key, "simulation.seed") == 0 ||
           (m && (strncmp(m, ".tiers.", 7) == 0 || strcmp(m, ".price.s0") == 0));
}

/* With a warmup the book at t = 0 is what the market, venue and impact
 * left of it: every key shapes it but the runs' count and length, what is
 * recorded, and the scripted shock (the warmup runs without it). */
static int shapes_warmup(const char *key)
{
    const char *m = strncmp(key, "markets.", 8) == 0 ? strchr(key + 8, '.') : NULL;
    return strcmp(key, "simulation.runs") != 0 && strcmp(key, "simulation.steps") != 0 &&
           strncmp(key, "output.", 7) != 0 && strncmp(key, "price.shock", 11) != 0 &&
           !(m && strncmp(m, ".price.shock", 12) == 0);
}

typedef struct signature {
    char *acc;
    int warmup;
} signature;

static void signature_key(void *ctx, const char *key, const char *unit, const double *v, int n,
                          int is_list, const char *text)
{
    (void)unit, (void)is_list;
    signature *sg = ctx;
    char **acc = &sg->acc;
    if (!*acc || !(shapes_population(key) || (sg->warmup && shapes_warmup(key))))
        return;
    size_t len = strlen(*acc), add = strlen(key) + (text ? strlen(text) : 0) + 28 * (size_t)n + 4;
    char *b = realloc(*acc, len + add);
    if (!b) {
        free(*acc);
        *acc = NULL;
        return;
    }
    *acc = b;
    len += (size_t)sprintf(b + len, "%s=%s", key, text ? text : "");
    for (int i = 0; v && i < n; i++)
        len += (size_t)sprintf(b + len, "%.17g,", v[i]);
    strcpy(b + len, ";");
}

char *lc_population_signature(const lc_scenario *sc)
{
    signature sg = {calloc(1, 1), sc->warmup > 0};
    lc_scenario_visit(sc, signature_key, &sg);
    return sg.acc;
}

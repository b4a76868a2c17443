/* rekey.c — sparse table and heaps of re-keyed accounts (see rekey.h).
 * Open addressing with linear probing on the account index; the occupied
 * slots are also listed so that clearing costs O(used). Heaps are binary
 * min-heaps on key = −liq (longs: the highest liquidation price breaches
 * first as the mark falls) or liq (shorts). */
#include "book/rekey.h"

#include <stdlib.h>
#include <string.h>

#include "venue/venue.h"

typedef struct item {
    double key;
    uint32_t idx, version;
} item;

typedef struct heap {
    item *v;
    long n, cap;
} heap;

struct lc_rekey {
    lc_rekey_entry *slot;
    long cap, used;
    long *order;             /* occupied slots, in insertion order */
    heap h[LC_REKEY_RANGES]; /* per (market, side) range: [2·market] longs, [2·market + 1] shorts */
};

lc_rekey *lc_rekey_create(void)
{
    return calloc(1, sizeof(lc_rekey));
}

void lc_rekey_free(lc_rekey *k)
{
    if (!k)
        return;
    free(k->slot);
    free(k->order);
    for (int r = 0; r < LC_REKEY_RANGES; r++)
        free(k->h[r].v);
    free(k);
}

void lc_rekey_clear(lc_rekey *k)
{
    for (long i = 0; i < k->used; i++)
        k->slot[k->order[i]].idx1 = 0;
    k->used = 0;
    for (int r = 0; r < LC_REKEY_RANGES; r++)
        k->h[r].n = 0;
}

long lc_rekey_count(const lc_rekey *k)
{
    return k->used;
}

static long probe(const lc_rekey *k, uint32_t idx1)
{
    uint64_t h = idx1 * 0x9E3779B97F4A7C15ull;
    long mask = k->cap - 1;
    for (long s = (long)(h >> 32) & mask;; s = (s + 1) & mask)
        if (k->slot[s].idx1 == idx1 || k->slot[s].idx1 == 0)
            return s;
}

lc_rekey_entry *lc_rekey_find(const lc_rekey *k, long idx)
{
    if (k->used == 0)
        return NULL;
    long s = probe(k, (uint32_t)idx + 1);
    return k->slot[s].idx1 ? &k->slot[s] : NULL;
}

lc_rekey_entry *lc_rekey_entry_at(const lc_rekey *k, long i)
{
    return &k->slot[k->order[i]];
}

static int grow(lc_rekey *k)
{
    long cap = k->cap ? 2 * k->cap : 64;
    lc_rekey_entry *slot = calloc((size_t)cap, sizeof *slot);
    long *order = malloc((size_t)cap * sizeof *order);
    if (!slot || !order) {
        free(slot);
        free(order);
        return -1;
    }
    lc_rekey old = *k;
    k->slot = slot;
    k->order = order;
    k->cap = cap;
    k->used = 0;
    for (long i = 0; i < old.used; i++) { /* keep insertion order */
        lc_rekey_entry *e = &old.slot[old.order[i]];
        long s = probe(k, e->idx1);
        k->slot[s] = *e;
        k->order[k->used++] = s;
    }
    free(old.slot);
    free(old.order);
    return 0;
}

lc_rekey_entry *lc_rekey_put(lc_rekey *k, long idx)
{
    if (2 * (k->used + 1) > k->cap && grow(k))
        return NULL;
    uint32_t idx1 = (uint32_t)idx + 1;
    long s = probe(k, idx1);
    if (!k->slot[s].idx1) {
        k->slot[s] = (lc_rekey_entry){.idx1 = idx1};
        k->order[k->used++] = s;
    }
    return &k->slot[s];
}

static int heap_push(heap *h, item it)
{
    if (h->n == h->cap) {
        long cap = h->cap ? 2 * h->cap : 16;
        item *v = realloc(h->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    long i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2].key > it.key) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = it;
    return 0;
}

static void heap_pop(heap *h)
{
    item last = h->v[--h->n];
    long i = 0;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1].key < h->v[c].key)
            c++;
        if (!(h->v[c].key < last.key))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
}

int lc_rekey_set_live(lc_rekey *k, int range, int side, long idx, double qty, double collateral,
                      double liq)
{
    lc_rekey_entry *e = lc_rekey_put(k, idx);
    if (!e)
        return -1;
    e->state = LC_REKEY_LIVE;
    e->version++;
    e->qty = qty;
    e->collateral = collateral;
    e->liq = liq;
    return heap_push(&k->h[range], (item){side > 0 ? -liq : liq, (uint32_t)idx, e->version});
}

/* Drop stale items from the top; return the top live one or NULL. */
static const item *top(lc_rekey *k, heap *h)
{
    while (h->n > 0) {
        const lc_rekey_entry *e = lc_rekey_find(k, h->v[0].idx);
        if (e && e->state == LC_REKEY_LIVE && e->version == h->v[0].version)
            return &h->v[0];
        heap_pop(h);
    }
    return NULL;
}

int lc_rekey_any_breached(lc_rekey *k, int range, int side, double mark)
{
    const item *t = top(k, &k->h[range]);
    return t && lc_breached(side, side > 0 ? -t->key : t->key, mark);
}

long lc_rekey_pop_breached(lc_rekey *k, int range, int side, double mark, uint32_t *out)
{
    heap *h = &k->h[range];
    long n = 0;
    for (const item *t; (t = top(k, h)) && lc_breached(side, side > 0 ? -t->key : t->key, mark);) {
        uint32_t idx = t->idx;
        lc_rekey_find(k, idx)->state = LC_REKEY_CLOSED;
        heap_pop(h);
        out[n++] = idx;
    }
    return n;
}

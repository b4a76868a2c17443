/* test_rekey.c — the sparse table and heaps of re-keyed accounts
 * (sim/book/rekey.c) against a plain array model: many random puts, re-keys and
 * closes across table growth, then the accounts breached at a sweep of marks
 * must be exactly the live ones past their latest liquidation price, each
 * once, stale heap items dropped. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "book/rekey.h"
#include "engine/rng.h"

#define N 5000

Test(rekey, heaps_pop_exactly_the_live_breached_accounts)
{
    gsl_rng *r = lc_rng_create(3, 5, 0);
    lc_rekey *k = lc_rekey_create();
    static double liq[N];
    static int state[N], side[N];             /* 0 untouched, 1 live, 2 closed */
    for (int round = 0; round < 2; round++) { /* the second after a clear */
        lc_rekey_clear(k);
        cr_assert_eq(lc_rekey_count(k), 0);
        for (int i = 0; i < N; i++)
            state[i] = 0, side[i] = i % 2 ? 1 : -1;
        for (int op = 0; op < 20000; op++) {
            long i = (long)gsl_rng_uniform_int(r, N);
            if (gsl_rng_uniform(r) < 0.2) {
                lc_rekey_entry *e = lc_rekey_put(k, i);
                cr_assert_not_null(e);
                e->state = LC_REKEY_CLOSED;
                state[i] = 2;
            } else {
                liq[i] = 50 + 100 * gsl_rng_uniform(r);
                cr_assert_eq(lc_rekey_set_live(k, side[i] > 0 ? 0 : 1, side[i], i, 1, 1, liq[i]),
                             0);
                state[i] = 1;
            }
        }
        for (int i = 0; i < N; i++) {
            lc_rekey_entry *e = lc_rekey_find(k, i);
            cr_assert_eq(e != NULL, state[i] != 0, "account %d", i);
            if (e)
                cr_assert_eq(e->state, state[i]);
        }
        static uint32_t out[N];
        static int seen[N];
        for (int i = 0; i < N; i++)
            seen[i] = 0;
        for (double m = 150; m >= 50; m -= 7) { /* longs breach as the mark falls */
            long n = lc_rekey_pop_breached(k, 0, 1, m, out);
            for (long j = 0; j < n; j++) {
                cr_assert(side[out[j]] > 0 && state[out[j]] == 1 && liq[out[j]] >= m);
                cr_assert_eq(seen[out[j]]++, 0, "popped twice");
            }
            cr_assert(!lc_rekey_any_breached(k, 0, 1, m));
        }
        for (double m = 50; m <= 150; m += 7) { /* shorts as it rises */
            long n = lc_rekey_pop_breached(k, 1, -1, m, out);
            for (long j = 0; j < n; j++) {
                cr_assert(side[out[j]] < 0 && state[out[j]] == 1 && liq[out[j]] <= m);
                cr_assert_eq(seen[out[j]]++, 0, "popped twice");
            }
        }
        for (int i = 0; i < N; i++) {
            int breached = state[i] == 1 && (side[i] > 0 ? liq[i] >= 50 - 1e-9 : liq[i] <= 148);
            if (side[i] > 0 && state[i] == 1 && liq[i] >= 52) /* within the sweep */
                cr_assert_eq(seen[i], 1, "long %d (liq %g) never popped", i, liq[i]);
            if (!breached)
                cr_assert_eq(seen[i], 0);
            if (seen[i])
                cr_assert_eq(lc_rekey_find(k, i)->state, LC_REKEY_CLOSED, "popped = closed");
        }
    }
    lc_rekey_free(k);
    lc_rekey_free(NULL);
    gsl_rng_free(r);
}

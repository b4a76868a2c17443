/* test_book.c — the two overlays of book.h give the same answers: a random
 * sequence of what the finders and rules do to a run's accounts (take the
 * next accounts of a side, close one off the book, re-key one, set a rule
 * word of a re-keyed one) is applied to a dense and a sparse book, and after
 * every operation both agree on every account: open or not, quantity,
 * collateral and words of the open ones. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "book/book.h"

Test(book, dense_and_sparse_agree)
{
    enum { N = 60 };
    int8_t side[N];
    double q[N], e[N], c[N], mmr[N];
    for (int i = 0; i < N; i++) {
        side[i] = i % 3 ? 1 : -1;
        q[i] = 1 + i % 7;
        e[i] = 100;
        c[i] = 5 + i % 11;
        mmr[i] = 0.01;
    }
    lc_error err = {0};
    lc_population *pop = lc_population_from_arrays(N, side, q, e, c, mmr, &err);
    cr_assert_not_null(pop, "%s", err.msg);
    lc_book *d = lc_book_create(pop, 1, 1, 2), *s = lc_book_create(pop, 0, 1, 2);
    cr_assert(d && s);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int run = 0; run < 3; run++) {
        lc_book_reset(d);
        lc_book_reset(s);
        int live[N] = {0}; /* re-keyed and open: words may be set */
        for (int op = 0; op < 400; op++) {
            long i = (long)gsl_rng_uniform_int(r, N);
            switch (gsl_rng_uniform_int(r, 4)) {
            case 0: { /* the cursor takes the next account of a side */
                int sd = gsl_rng_uniform_int(r, 2) ? 1 : -1;
                long from, end, j = lc_book_frontier(s, 0, sd);
                lc_book_range(s, 0, sd, &from, &end);
                if (j < end) {
                    lc_book_advance(s, 0, sd, j + 1);
                    if (!lc_book_changed(s, j)) /* the cursor skips changed ones */
                        lc_book_take(d, j);
                }
                break;
            }
            case 1: /* closed off the book (an ADL fill) */
                if (lc_book_is_open(d, i)) {
                    cr_assert_eq(lc_book_close(d, i), 0);
                    cr_assert_eq(lc_book_close(s, i), 0);
                    live[i] = 0;
                }
                break;
            case 2: { /* re-keyed with a new state (partial, ADL, top-up) */
                double q2 = 1 + gsl_rng_uniform(r), c2 = 10 * gsl_rng_uniform(r);
                if (!lc_book_is_open(d, i))
                    break;
                int fresh_d, fresh_s;
                cr_assert_eq(lc_book_set_live(d, i, q2, c2, 90, &fresh_d), 0);
                cr_assert_eq(lc_book_set_live(s, i, q2, c2, 90, &fresh_s), 0);
                cr_assert_eq(fresh_d, fresh_s, "first change in the run, in both");
                live[i] = 1;
                break;
            }
            default: /* a rule word of a re-keyed account */
                if (live[i]) {
                    int w = gsl_rng_uniform_int(r, 2);
                    long v = op + 1;
                    lc_book_set_word(d, i, w, v);
                    lc_book_set_word(s, i, w, v);
                }
            }
            for (long j = 0; j < N; j++) {
                cr_assert_eq(lc_book_is_open(d, j), lc_book_is_open(s, j), "run %d op %d acct %ld",
                             run, op, j);
                cr_assert_eq(lc_book_changed(d, j), lc_book_changed(s, j), "run %d op %d acct %ld",
                             run, op, j);
                if (!lc_book_is_open(d, j))
                    continue; /* what a closed account holds is nobody's business */
                double qd, cd, qs, cs;
                lc_book_get(d, j, &qd, &cd);
                lc_book_get(s, j, &qs, &cs);
                cr_assert(qd == qs && cd == cs, "acct %ld: %g/%g vs %g/%g", j, qd, cd, qs, cs);
                for (int w = 0; w < 2; w++)
                    if (live[j])
                        cr_assert_eq(lc_book_word(d, j, w), lc_book_word(s, j, w));
            }
        }
    }
    gsl_rng_free(r);
    lc_book_free(d);
    lc_book_free(s);
    lc_population_free(pop);
}

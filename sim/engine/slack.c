/* slack.c — the slack set of the cursor finder (finder.h, DESIGN §13):
 * accounts that span markets, found without evaluating every one at every
 * round.
 *
 * The clock D of a run is the sum, over the finder's calls, of
 * max_k |log M_k − log M_k at the previous call| (from the marks at t = 0):
 * a monotone measure of how far prices have moved. By the triangle
 * inequality no mark has moved by more than D − D0 in log since clock
 * reading D0. An account evaluated at D0 with slack S > 0 and exposure X
 * cannot be breached before every mark has moved by its safety radius ρ
 * (venue/spanning.h), so it is evaluated again only once D >= D0 + ρ, its
 * key. The keys at the t = 0 marks are the same in every run: they are
 * sorted once per scratch (again only if a run starts at other marks) and
 * read by a cursor; the keys of accounts evaluated in the run go into a
 * min-heap. A run so costs O(evaluations · log), the evaluations being the
 * accounts whose key the clock passed (the benchmarks report them). The
 * breached ones are handed to the round and closed by its take; those a
 * round never took (max_rounds) are due again at the next find. The
 * scan finder, which evaluates every open account at every round, gives
 * identical datasets (tests/engine/test_engine.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/finder.h"

lc_span_eval lc_run_span_evaluate(const lc_run *r, long i)
{
    double marks[LC_MAX_MARKETS];
    for (int k = 0; k < r->nmk; k++)
        marks[k] = lc_run_mark_of(r, k);
    return lc_span_evaluate_account(r->sc, r->pop, i, marks);
}

int lc_slack_init(lc_slack *s, const lc_population *pop)
{
    *s = (lc_slack){.n = pop->n - pop->span0};
    for (int k = 0; k < LC_MAX_MARKETS; k++)
        s->marks0[k] = NAN;
    if (s->n == 0)
        return 0;
    size_t n = (size_t)s->n;
    s->first = malloc(n * sizeof *s->first);
    s->heap = malloc(n * sizeof *s->heap);
    s->pending = malloc(n * sizeof *s->pending);
    return s->first && s->heap && s->pending ? 0 : -1;
}

void lc_slack_release(lc_slack *s)
{
    free(s->first);
    free(s->heap);
    free(s->pending);
    *s = (lc_slack){0};
}

static int cmp_entry(const void *a, const void *b)
{
    const lc_slack_entry *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void heap_push(lc_slack *s, lc_slack_entry e)
{
    long i = s->nheap++;
    while (i > 0 && e.key < s->heap[(i - 1) / 2].key) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
}

static lc_slack_entry heap_pop(lc_slack *s)
{
    lc_slack_entry top = s->heap[0], last = s->heap[--s->nheap];
    long i = 0, n = s->nheap;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && s->heap[c + 1].key < s->heap[c].key)
            c++;
        if (!(s->heap[c].key < last.key))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n > 0)
        s->heap[i] = last;
    return top;
}

void lc_slack_start(lc_slack *s, lc_run *r)
{
    const lc_population *pop = r->pop;
    double marks[LC_MAX_MARKETS];
    int same = 1;
    for (int k = 0; k < r->nmk; k++) {
        marks[k] = lc_run_mark_of(r, k);
        same &= marks[k] == s->marks0[k];
        s->log_mark[k] = log(marks[k]);
    }
    s->clock = 0;
    s->front = 0;
    s->nheap = 0;
    s->held = 0;
    if (same || s->n == 0)
        return;
    /* the keys at these marks, sorted (once per scratch: every run starts
     * at the same marks) */
    for (long j = 0; j < s->n; j++) {
        long i = pop->span0 + j;
        lc_span_eval e = lc_span_evaluate_account(r->sc, pop, i, marks);
        s->first[j] = (lc_slack_entry){e.slack > 0 ? lc_span_radius(e) : 0, (uint32_t)i};
    }
    qsort(s->first, (size_t)s->n, sizeof *s->first, cmp_entry);
    memcpy(s->marks0, marks, sizeof marks);
}

/* Evaluate account i at the marks: breached into out, else its next key
 * into pending. */
static void evaluate(lc_slack *s, lc_run *r, const double *marks, uint32_t i, uint32_t *out,
                     long *nout, long *npending)
{
    if (!lc_book_is_open(r->book, i))
        return;
    lc_span_eval e = lc_span_evaluate_account(r->sc, r->pop, i, marks);
    s->evaluations++;
    if (!(e.slack > 0)) {
        out[(*nout)++] = i;
        return;
    }
    double rho = lc_span_radius(e);
    if (rho < INFINITY) /* no exposure: no price moves it */
        s->pending[(*npending)++] = (lc_slack_entry){s->clock + rho, i};
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

long lc_slack_find(lc_slack *s, lc_run *r, uint32_t *out)
{
    if (s->n == 0)
        return 0;
    double marks[LC_MAX_MARKETS], d = 0;
    for (int k = 0; k < r->nmk; k++) {
        marks[k] = lc_run_mark_of(r, k);
        double l = log(marks[k]), dl = fabs(l - s->log_mark[k]);
        if (dl > d)
            d = dl;
        s->log_mark[k] = l;
    }
    s->clock += d;
    /* the breached of the last find that no round took (max_rounds): due now */
    for (long k = 0; k < s->held; k++)
        heap_push(s, (lc_slack_entry){-INFINITY, out[k]});
    s->held = 0;
    long nout = 0, npending = 0;
    while (s->front < s->n && s->first[s->front].key <= s->clock)
        evaluate(s, r, marks, s->first[s->front++].i, out, &nout, &npending);
    while (s->nheap > 0 && s->heap[0].key <= s->clock)
        evaluate(s, r, marks, heap_pop(s).i, out, &nout, &npending);
    for (long k = 0; k < npending; k++)
        heap_push(s, s->pending[k]);
    qsort(out, (size_t)nout, sizeof *out, cmp_u32);
    s->held = nout;
    return nout;
}

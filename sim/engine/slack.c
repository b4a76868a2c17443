/* slack.c — the slack set of the cursor finder (finder.h, DESIGN §13):
 * accounts that span markets, found without evaluating every one at every
 * round.
 *
 * An account evaluated at log marks y with slack S > 0 and exposure X cannot
 * be breached while every log mark stays within its safety radius ρ of y
 * (venue/spanning.h): while |x − y|∞ < ρ, the norm taken over the markets
 * it holds a leg in (no other mark moves its E or R). It need not be
 * evaluated again before that. Accounts that hold the same markets form a
 * group (LC_SLACK_GROUPS at most; the rest measure every market, which is
 * safe) with its own cursor and levels below, so an account without SOL is
 * not re-evaluated for SOL's moves. To find the accounts whose time has come
 * without looking at each, they wait against anchors: with an anchor a (log marks) and the
 * current distance d = |x − a|∞, the triangle inequality gives
 * |x − y|∞ <= d + |y − a|∞, so the account is safe while d < κ with
 * κ = ρ − |y − a|∞. Accounts wait in a min-heap of κ and those with κ <= d
 * are evaluated; d need not be monotone.
 *  - At t = 0 every account is evaluated at the t = 0 marks, which are the
 *    same in every run: their radii are sorted once per scratch (again only
 *    if a run starts at other marks) and read by a cursor, the anchor being
 *    those marks. An account whose radius the run's prices never reach is
 *    never evaluated.
 *  - An account evaluated later waits on one of LC_SLACK_LEVELS levels, by
 *    its radius: level l moves its anchor to the marks whenever they are
 *    farther than τ_l = 1e-4·4^l from it, and an account goes to the
 *    highest level with τ_l <= ρ/4, so that κ >= ρ − τ_l >= 3ρ/4: it waits
 *    at least most of its radius. Moving an anchor by δ lowers every κ of
 *    the level by at most δ; it is taken as exactly δ, stored as the
 *    level's offset (keys are κ + offset), so the move costs O(1).
 * Where prices wander, a clock that sums every move (the path length) grows
 * like the number of steps while the distance from an anchor grows like
 * its square root: the anchors re-evaluate an account about as often as its
 * radius is really crossed. A run costs O(evaluations · log); the CLI and
 * bench/spanning report the evaluations. The breached accounts are handed
 * to the round and closed by its take; those a round never took
 * (max_rounds) are due again at the next find. The scan finder, which
 * evaluates every open account at every round, gives identical datasets
 * (tests/engine/test_engine.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/finder.h"

#define TAU0 1e-4 /* level 0's anchor distance (log); level l's is TAU0·4^l */

/* The markets account i holds a leg in. */
static uint32_t mask_of(const lc_population *pop, long i)
{
    int npos, ncol;
    const lc_position *pos = lc_span_positions(pop, i, &npos);
    const lc_balance *col = lc_span_balances(pop, i, &ncol);
    uint32_t m = 0;
    for (int k = 0; k < npos; k++)
        m |= 1u << pos[k].market;
    for (int k = 0; k < ncol; k++)
        if (col[k].asset != LC_QUOTE)
            m |= 1u << col[k].asset;
    return m;
}

static int group_find(lc_slack *s, uint32_t mask)
{
    for (int g = 0; g < s->ngroup; g++)
        if (s->group[g].mask == mask)
            return g;
    return -1;
}

int lc_slack_init(lc_slack *s, const lc_population *pop)
{
    *s = (lc_slack){.n = pop->n - pop->span0, .span0 = pop->span0};
    for (int k = 0; k < LC_MAX_MARKETS; k++)
        s->marks0[k] = NAN;
    if (s->n == 0)
        return 0;
    size_t n = (size_t)s->n;
    s->first = malloc(n * sizeof *s->first);
    /* a find's pending: the accounts due again (held, reopened), then at
     * most one evaluation per account */
    s->pending = malloc(2 * n * sizeof *s->pending);
    s->group_of = malloc(n);
    s->group = calloc(LC_SLACK_GROUPS, sizeof *s->group);
    s->due = malloc(n * sizeof *s->due);
    s->version = malloc(n * sizeof *s->version);
    s->version_run = calloc(n, sizeof *s->version_run);
    s->due_at = calloc(n, sizeof *s->due_at);
    s->finds = 1;
    if (!s->first || !s->pending || !s->group_of || !s->group || !s->due || !s->version ||
        !s->version_run || !s->due_at)
        return -1;
    uint32_t all = pop->nmarkets >= 32 ? ~0u : (1u << pop->nmarkets) - 1;
    for (long j = 0; j < s->n; j++) {
        uint32_t m = mask_of(pop, pop->span0 + j);
        int g = group_find(s, m);
        if (g < 0 && s->ngroup < LC_SLACK_GROUPS - 1)
            s->group[g = s->ngroup++].mask = m;
        if (g < 0) { /* too many kinds of holdings: the rest measure every market */
            g = group_find(s, all);
            if (g < 0)
                s->group[g = s->ngroup++].mask = all;
        }
        s->group_of[j] = (uint8_t)g;
    }
    for (int g = 0; g < s->ngroup; g++) {
        lc_slack_group *gr = &s->group[g];
        for (int k = 0; k < pop->nmarkets; k++)
            if (gr->mask >> k & 1u)
                gr->m[gr->nm++] = k;
        for (int l = 0; l < LC_SLACK_LEVELS; l++)
            gr->level[l].tau = TAU0 * ldexp(1.0, 2 * l);
    }
    return 0;
}

void lc_slack_release(lc_slack *s)
{
    free(s->first);
    free(s->pending);
    free(s->group_of);
    free(s->due);
    free(s->version);
    free(s->version_run);
    free(s->due_at);
    for (int g = 0; s->group && g < s->ngroup; g++)
        for (int l = 0; l < LC_SLACK_LEVELS; l++)
            free(s->group[g].level[l].heap);
    free(s->group);
    *s = (lc_slack){0};
}

static int cmp_entry(const void *a, const void *b)
{
    const lc_slack_entry *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int heap_push(lc_slack_level *h, lc_slack_entry e)
{
    if (h->nheap == h->cap) {
        long cap = h->cap ? 2 * h->cap : 1024;
        lc_slack_entry *v = realloc(h->heap, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        h->heap = v;
        h->cap = cap;
    }
    long i = h->nheap++;
    while (i > 0 && e.key < h->heap[(i - 1) / 2].key) {
        h->heap[i] = h->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->heap[i] = e;
    return 0;
}

static lc_slack_entry heap_pop(lc_slack_level *h)
{
    lc_slack_entry top = h->heap[0], last = h->heap[--h->nheap];
    long i = 0, n = h->nheap;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h->heap[c + 1].key < h->heap[c].key)
            c++;
        if (!(h->heap[c].key < last.key))
            break;
        h->heap[i] = h->heap[c];
        i = c;
    }
    if (n > 0)
        h->heap[i] = last;
    return top;
}

/* |x − a|∞ over the markets m[0 .. k). */
static double distance(const double *x, const double *a, const int *m, int k)
{
    double d = 0;
    for (int j = 0; j < k; j++) {
        double e = fabs(x[m[j]] - a[m[j]]);
        if (e > d)
            d = e;
    }
    return d;
}

/* A new value of `finds`: no account is due under it (after 2^32 of them
 * the marks are cleared once). */
static void next_due_tag(lc_slack *s)
{
    if (++s->finds == 0 && s->due_at) {
        memset(s->due_at, 0, (size_t)s->n * sizeof *s->due_at);
        s->finds = 1;
    }
}

void lc_slack_start(lc_slack *s, lc_run *r)
{
    const lc_population *pop = r->pop;
    double marks[LC_MAX_MARKETS] = {0};
    int same = 1;
    lc_run_marks(r, marks);
    for (int k = 0; k < r->nmk; k++)
        same &= marks[k] == s->marks0[k];
    s->held = 0;
    s->ndue = 0;
    next_due_tag(s);                           /* nothing is due */
    if (s->version_run && ++s->run_tag == 0) { /* after 2^32 runs: clear once */
        memset(s->version_run, 0, (size_t)s->n * sizeof *s->version_run);
        s->run_tag = 1;
    }
    for (int g = 0; g < s->ngroup; g++) {
        lc_slack_group *gr = &s->group[g];
        gr->front = gr->first0;
        for (int l = 0; l < LC_SLACK_LEVELS; l++) {
            lc_slack_level *h = &gr->level[l];
            h->nheap = 0;
            h->offset = 0;
            for (int k = 0; k < r->nmk; k++)
                h->anchor[k] = log(marks[k]);
        }
    }
    if (same || s->n == 0)
        return;
    /* the radii at these marks, by group, each sorted (once per scratch:
     * every run starts at the same marks) */
    long count[LC_SLACK_GROUPS + 1] = {0};
    for (long j = 0; j < s->n; j++)
        count[s->group_of[j] + 1]++;
    for (int g = 0; g < s->ngroup; g++)
        count[g + 1] += count[g];
    for (int g = 0; g < s->ngroup; g++) {
        s->group[g].first0 = s->group[g].front = count[g];
        s->group[g].first1 = count[g + 1];
    }
    for (long j = 0; j < s->n; j++) {
        long i = pop->span0 + j;
        lc_span_eval e = lc_span_evaluate_account(r->sc, pop, i, marks);
        s->first[count[s->group_of[j]]++] = (lc_slack_entry){lc_span_radius(e), (uint32_t)i, 0};
    }
    for (int g = 0; g < s->ngroup; g++)
        qsort(s->first + s->group[g].first0, (size_t)(s->group[g].first1 - s->group[g].first0),
              sizeof *s->first, cmp_entry);
    memcpy(s->marks0, marks, (size_t)r->nmk * sizeof *marks);
    for (int k = 0; k < r->nmk; k++)
        s->log0[k] = log(marks[k]);
}

/* The version of spanning account i's legs in this run. */
static uint32_t version_of(const lc_slack *s, long j)
{
    return s->version_run[j] == s->run_tag ? s->version[j] : 0;
}

void lc_finder_reopen(lc_finder *f, long i)
{
    lc_slack *s = &f->slack;
    if (f->type->dense || s->n == 0) /* the scan finder sees the book's open flags */
        return;
    long j = i - s->span0;
    s->version[j] = version_of(s, j) + 1;
    s->version_run[j] = s->run_tag;
    if (s->due_at[j] != s->finds) {
        s->due_at[j] = s->finds;
        s->due[s->ndue++] = (uint32_t)i;
    }
}

/* Evaluate the entry's account at the marks, unless the entry is stale or
 * the account closed: breached into out, else its radius into pending. */
static void evaluate(lc_slack *s, lc_run *r, const double *marks, lc_slack_entry en, uint32_t *out,
                     long *nout, long *npending)
{
    uint32_t i = en.i;
    if (!lc_book_is_open(r->book, i) || en.version != version_of(s, i - r->pop->span0))
        return;
    lc_span_eval e = lc_span_evaluate_book(r->sc, r->book, i, marks);
    s->evaluations++;
    if (!(e.slack > 0)) {
        out[(*nout)++] = i;
        return;
    }
    double rho = lc_span_radius(e);
    if (rho < INFINITY) /* no exposure: no price moves it */
        s->pending[(*npending)++] = (lc_slack_entry){rho, i, en.version};
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The level an account of radius rho waits on: the highest with τ <= ρ/4. */
static int level_of(const lc_slack_group *g, double rho)
{
    int l = 0;
    while (l + 1 < LC_SLACK_LEVELS && g->level[l + 1].tau <= rho / 4)
        l++;
    return l;
}

long lc_slack_find(lc_slack *s, lc_run *r, uint32_t *out)
{
    if (s->n == 0)
        return 0;
    int nk = r->nmk;
    double marks[LC_MAX_MARKETS], x[LC_MAX_MARKETS];
    lc_run_marks(r, marks);
    for (int k = 0; k < nk; k++)
        x[k] = log(marks[k]);
    /* the breached of the last find that no round took (max_rounds): due now */
    long nout = 0, npending = 0, span0 = r->pop->span0;
    for (long k = 0; k < s->held; k++)
        s->pending[npending++] = (lc_slack_entry){0, out[k], version_of(s, out[k] - span0)};
    for (long k = 0; k < s->ndue; k++) /* open again after their round */
        s->pending[npending++] = (lc_slack_entry){0, s->due[k], version_of(s, s->due[k] - span0)};
    s->held = s->ndue = 0;
    next_due_tag(s);
    long again = npending;
    for (int g = 0; g < s->ngroup; g++) {
        lc_slack_group *gr = &s->group[g];
        double d[LC_SLACK_LEVELS];
        for (int l = 0; l < LC_SLACK_LEVELS; l++) {
            lc_slack_level *h = &gr->level[l];
            d[l] = distance(x, h->anchor, gr->m, gr->nm);
            if (d[l] > h->tau) { /* move the anchor here: every κ falls by d */
                h->offset += d[l];
                memcpy(h->anchor, x, (size_t)nk * sizeof *x);
                d[l] = 0;
            }
        }
        double d0 = distance(x, s->log0, gr->m, gr->nm);
        while (gr->front < gr->first1 && s->first[gr->front].key <= d0)
            evaluate(s, r, marks, s->first[gr->front++], out, &nout, &npending);
        for (int l = 0; l < LC_SLACK_LEVELS; l++) {
            lc_slack_level *h = &gr->level[l];
            while (h->nheap > 0 && h->heap[0].key - h->offset <= d[l])
                evaluate(s, r, marks, heap_pop(h), out, &nout, &npending);
        }
    }
    for (long k = 0; k < again; k++) /* held, reopened: evaluated again now, like the rest */
        evaluate(s, r, marks, s->pending[k], out, &nout, &npending);
    for (long k = again; k < npending; k++) {
        lc_slack_entry e = s->pending[k];
        lc_slack_group *gr = &s->group[s->group_of[e.i - r->pop->span0]];
        lc_slack_level *h = &gr->level[level_of(gr, e.key)];
        /* κ = ρ − |y − a|∞ over its markets, y the marks now; stored with the
         * level's offset */
        double kappa = e.key - distance(x, h->anchor, gr->m, gr->nm);
        if (heap_push(h, (lc_slack_entry){kappa + h->offset, e.i, e.version}))
            r->oom = 1;
    }
    qsort(out, (size_t)nout, sizeof *out, cmp_u32);
    s->held = nout;
    return nout;
}

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
 * Accounts that only falls (or only rises) can breach (lc_span_reach: a CDP
 * with quote debts, a cross account long only) wait on the moves their way
 * alone: their radius is the exact one of that direction — for one
 * collateral and a quote debt log(M/P_liq), the closed form of its
 * liquidation price, so the t = 0 cursor reads them in liquidation order as
 * the marks fall, as the isolated accounts' cursors do — and the distances
 * are one-sided: max_m (a_m − x_m)⁺ for falls, with κ = ρ − max_m (y_m −
 * a_m)⁺ (a fall from y passes the anchor first). So a rise never
 * re-evaluates a borrower. Each level has a heap and an offset per
 * direction; `first` is sorted per group and direction.
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

/* The markets whose marks move account i's E or R: those it holds a leg
 * in, a CDP's collateral and debts by the market their oracle reads
 * (lc_lending_market). */
static uint32_t mask_of(const lc_scenario *sc, const lc_population *pop, long i)
{
    int cdp = lc_population_margin(pop, i) == LC_MARGIN_CDP;
    int npos, ncol;
    const lc_position *pos = lc_span_positions(pop, i, &npos);
    const lc_balance *col = lc_span_balances(pop, i, &ncol);
    uint32_t m = 0;
    for (int k = 0; k < npos; k++)
        m |= 1u << pos[k].market;
    for (int k = 0; k < ncol; k++)
        if (col[k].asset != LC_QUOTE)
            m |= 1u << (cdp ? lc_lending_market(sc, col[k].asset) : col[k].asset);
    return m;
}

static int group_find(lc_slack *s, uint32_t mask)
{
    for (int g = 0; g < s->ngroup; g++)
        if (s->group[g].mask == mask)
            return g;
    return -1;
}

int lc_slack_init(lc_slack *s, const lc_scenario *sc, const lc_population *pop)
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
    s->pending_dir = malloc(2 * n);
    s->group_of = malloc(n);
    s->group = calloc(LC_SLACK_GROUPS, sizeof *s->group);
    s->due = malloc(n * sizeof *s->due);
    s->version = malloc(n * sizeof *s->version);
    s->version_run = calloc(n, sizeof *s->version_run);
    s->due_at = calloc(n, sizeof *s->due_at);
    s->finds = 1;
    if (!s->first || !s->pending || !s->pending_dir || !s->group_of || !s->group || !s->due ||
        !s->version || !s->version_run || !s->due_at)
        return -1;
    uint32_t all = pop->nmarkets >= 32 ? ~0u : (1u << pop->nmarkets) - 1;
    for (long j = 0; j < s->n; j++) {
        uint32_t m = mask_of(sc, pop, pop->span0 + j);
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
    free(s->pending_dir);
    free(s->group_of);
    free(s->due);
    free(s->version);
    free(s->version_run);
    free(s->due_at);
    for (int g = 0; s->group && g < s->ngroup; g++)
        for (int l = 0; l < LC_SLACK_LEVELS; l++)
            for (int d = 0; d < LC_REACH_NDIRS; d++)
                free(s->group[g].level[l].heap[d].e);
    free(s->group);
    *s = (lc_slack){0};
}

static int heap_push(lc_slack_heap *h, lc_slack_entry e)
{
    if (h->n == h->cap) {
        long cap = h->cap ? 2 * h->cap : 1024;
        lc_slack_entry *v = realloc(h->e, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        h->e = v;
        h->cap = cap;
    }
    long i = h->n++;
    while (i > 0 && e.key < h->e[(i - 1) / 2].key) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = e;
    return 0;
}

static lc_slack_entry heap_pop(lc_slack_heap *h)
{
    lc_slack_entry top = h->e[0], last = h->e[--h->n];
    long i = 0, n = h->n;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h->e[c + 1].key < h->e[c].key)
            c++;
        if (!(h->e[c].key < last.key))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (n > 0)
        h->e[i] = last;
    return top;
}

/* Sort v[0 .. n) by key, ties in the order given: a least-significant-digit radix sort on the keys'
 * bits, which order as unsigned integers for keys >= 0 (INFINITY
 * included), a byte per pass, into tmp (n entries) and back. Passes whose
 * byte is the same in every key are skipped. */
static void sort_entries(lc_slack_entry *v, long n, lc_slack_entry *tmp)
{
    lc_slack_entry *from = v, *to = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        long count[257] = {0};
        for (long k = 0; k < n; k++) {
            uint64_t b;
            memcpy(&b, &from[k].key, sizeof b);
            count[(b >> shift & 0xff) + 1]++;
        }
        int one = 0;
        for (int c = 1; c <= 256; c++)
            one |= count[c] == n;
        if (one)
            continue;
        for (int c = 0; c < 256; c++)
            count[c + 1] += count[c];
        for (long k = 0; k < n; k++) {
            uint64_t b;
            memcpy(&b, &from[k].key, sizeof b);
            to[count[b >> shift & 0xff]++] = from[k];
        }
        lc_slack_entry *t = from;
        from = to;
        to = t;
    }
    if (from != v && n > 0)
        memcpy(v, from, (size_t)n * sizeof *v);
}

/* The distances of log marks x from a over the markets m[0 .. k), per
 * direction of the move: d[LC_REACH_FALLS] = max (a − x)⁺, how far some
 * mark fell below a; d[LC_REACH_RISES] = max (x − a)⁺; d[LC_REACH_EITHER]
 * = |x − a|∞, the larger. */
static void distances(const double *x, const double *a, const int *m, int k,
                      double d[LC_REACH_NDIRS])
{
    double fell = 0, rose = 0;
    for (int j = 0; j < k; j++) {
        double e = x[m[j]] - a[m[j]];
        if (-e > fell)
            fell = -e;
        if (e > rose)
            rose = e;
    }
    d[LC_REACH_FALLS] = fell;
    d[LC_REACH_RISES] = rose;
    d[LC_REACH_EITHER] = fell > rose ? fell : rose;
}

/* The distance an account waiting on moves in direction dir has already
 * used when it starts waiting at y against anchor a (d: y's distances
 * from a): a fall from y passes first through what y rose above a. */
static double used(const double d[LC_REACH_NDIRS], int dir)
{
    return dir == LC_REACH_FALLS   ? d[LC_REACH_RISES]
           : dir == LC_REACH_RISES ? d[LC_REACH_FALLS]
                                   : d[LC_REACH_EITHER];
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
        memcpy(gr->front, gr->first0, sizeof gr->front);
        for (int l = 0; l < LC_SLACK_LEVELS; l++) {
            lc_slack_level *h = &gr->level[l];
            for (int d = 0; d < LC_REACH_NDIRS; d++) {
                h->heap[d].n = 0;
                h->offset[d] = 0;
            }
            for (int k = 0; k < r->nmk; k++)
                h->anchor[k] = log(marks[k]);
        }
    }
    if (same || s->n == 0)
        return;
    /* the radii at these marks, by group and direction, each sorted (once
     * per scratch: every run starts at the same marks) */
    enum { NSLICE = LC_SLACK_GROUPS * LC_REACH_NDIRS };
    long count[NSLICE + 1] = {0};
    for (long j = 0; j < s->n; j++) {
        long i = pop->span0 + j;
        lc_reach_dir dir;
        double rho = lc_span_reach(lc_span_evaluate_account(r->sc, pop, i, marks), &dir);
        s->pending[j] = (lc_slack_entry){rho, (uint32_t)i, 0};
        s->pending_dir[j] = (uint8_t)(s->group_of[j] * LC_REACH_NDIRS + dir);
        count[s->pending_dir[j] + 1]++;
    }
    for (int c = 0; c < NSLICE; c++)
        count[c + 1] += count[c];
    for (int g = 0; g < s->ngroup; g++)
        for (int d = 0; d < LC_REACH_NDIRS; d++) {
            lc_slack_group *gr = &s->group[g];
            gr->first0[d] = gr->front[d] = count[g * LC_REACH_NDIRS + d];
            gr->first1[d] = count[g * LC_REACH_NDIRS + d + 1];
        }
    for (long j = 0; j < s->n; j++) /* in index order within each slice */
        s->first[count[s->pending_dir[j]]++] = s->pending[j];
    for (int g = 0; g < s->ngroup; g++)
        for (int d = 0; d < LC_REACH_NDIRS; d++) {
            const lc_slack_group *gr = &s->group[g];
            sort_entries(s->first + gr->first0[d], gr->first1[d] - gr->first0[d], s->pending);
        }
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
 * the account closed: breached into out, else its radius and direction
 * into pending. */
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
    lc_reach_dir dir;
    double rho = lc_span_reach(e, &dir);
    if (rho < INFINITY) { /* else no price move can breach it */
        s->pending_dir[*npending] = (uint8_t)dir;
        s->pending[(*npending)++] = (lc_slack_entry){rho, i, en.version};
    }
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
        double d[LC_SLACK_LEVELS][LC_REACH_NDIRS];
        for (int l = 0; l < LC_SLACK_LEVELS; l++) {
            lc_slack_level *h = &gr->level[l];
            distances(x, h->anchor, gr->m, gr->nm, d[l]);
            if (d[l][LC_REACH_EITHER] > h->tau) { /* move the anchor here: every κ falls */
                for (int dir = 0; dir < LC_REACH_NDIRS; dir++) { /* by the move its way */
                    h->offset[dir] += d[l][dir];
                    d[l][dir] = 0;
                }
                memcpy(h->anchor, x, (size_t)nk * sizeof *x);
            }
        }
        double d0[LC_REACH_NDIRS];
        distances(x, s->log0, gr->m, gr->nm, d0);
        for (int dir = 0; dir < LC_REACH_NDIRS; dir++) {
            long *front = &gr->front[dir];
            while (*front < gr->first1[dir] && s->first[*front].key <= d0[dir])
                evaluate(s, r, marks, s->first[(*front)++], out, &nout, &npending);
            for (int l = 0; l < LC_SLACK_LEVELS; l++) {
                lc_slack_level *h = &gr->level[l];
                lc_slack_heap *hp = &h->heap[dir];
                while (hp->n > 0 && hp->e[0].key - h->offset[dir] <= d[l][dir])
                    evaluate(s, r, marks, heap_pop(hp), out, &nout, &npending);
            }
        }
    }
    for (long k = 0; k < again; k++) /* held, reopened: evaluated again now, like the rest */
        evaluate(s, r, marks, s->pending[k], out, &nout, &npending);
    for (long k = again; k < npending; k++) {
        lc_slack_entry e = s->pending[k];
        int dir = s->pending_dir[k];
        lc_slack_group *gr = &s->group[s->group_of[e.i - r->pop->span0]];
        lc_slack_level *h = &gr->level[level_of(gr, e.key)];
        /* κ = ρ less what y, the marks now, already used of the way from the
         * anchor (used()); stored with the level's offset */
        double dy[LC_REACH_NDIRS];
        distances(x, h->anchor, gr->m, gr->nm, dy);
        double kappa = e.key - used(dy, dir);
        if (heap_push(&h->heap[dir], (lc_slack_entry){kappa + h->offset[dir], e.i, e.version}))
            r->oom = 1;
    }
    qsort(out, (size_t)nout, sizeof *out, cmp_u32);
    s->held = nout;
    return nout;
}

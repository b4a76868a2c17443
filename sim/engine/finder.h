/* finder.h — which accounts are breached at the marks (DESIGN §11).
 *
 * A finder hands a round its breached accounts, one group per (market,
 * side) range in settlement order (run.h), and takes them off the book.
 * Every finder must give identical datasets:
 *  - cursor ("index", the default): the population is stored in liquidation
 *    order per range, so the accounts a moving mark breaches are the next
 *    ones of each range; the sparse book's frontier is the cursor, and
 *    accounts changed by rules come from the book's index of changed
 *    accounts, merged in index order. A run costs O(steps + liquidations ·
 *    log), not O(steps · accounts);
 *    Accounts that span markets (population.h) have no one level: they are
 *    the slack set (slack.c), re-evaluated only when the marks have moved
 *    far enough to possibly breach them;
 *  - scan (the oracle): every open account is tested at every round against
 *    its current liquidation price, and every open account that spans
 *    markets evaluated at the marks, over a dense book.
 * A round's spanning accounts come last, one group of market -1, in index
 * order. A finder is one file and one line in lc_finders (finder.c). */
#ifndef LC_FINDER_H
#define LC_FINDER_H

#include <stdint.h>

#include "engine/engine.h"
#include "engine/run.h"
#include "venue/spanning.h"

typedef struct lc_finder lc_finder;

typedef struct lc_finder_type {
    const char *name, *doc; /* the name is --engine's value */
    int dense;              /* the book overlay it reads: dense (1) or sparse (0) */
    /* A run starts, its marks at t = 0 set (NULL: nothing to do). */
    void (*start)(lc_finder *f, lc_run *r);
    /* Whether some open account is breached at the marks now. */
    int (*find)(lc_finder *f, lc_run *r);
    /* After find said yes: the breached accounts, one group per range in
     * settlement order, taken off the book (closed until settled). */
    void (*take)(lc_finder *f, lc_run *r, lc_round *out);
    /* Optional (NULL: never): 1 when find would now say no and change
     * nothing the run reads, known cheaply. The engine then skips the
     * step's cascade (the common step, when nothing can be breached). */
    int (*quiet)(const lc_finder *f, const lc_run *r);
} lc_finder_type;

/* The slack set of the cursor finder (slack.c): each open account that
 * spans markets waits, with a key, on one of the clocks of price movement
 * until the marks may have moved far enough to breach it. */
typedef struct lc_slack_entry {
    double key;
    uint32_t i;
    uint32_t version; /* of the account's legs it was made for (an older one is stale) */
} lc_slack_entry;
#define LC_SLACK_LEVELS 8
typedef struct lc_slack_heap { /* keys: a min-heap */
    lc_slack_entry *e;
    long n, cap;
} lc_slack_heap;
/* A level's accounts wait in one heap per direction of the moves that can
 * breach them (lc_reach_dir), each with its own offset. */
typedef struct lc_slack_level {
    double anchor[LC_MAX_MARKETS]; /* log marks it measures from */
    double offset[LC_REACH_NDIRS]; /* its moves of anchor so far (log), per direction */
    double tau;                    /* it moves its anchor once the marks are this far */
    lc_slack_heap heap[LC_REACH_NDIRS];
} lc_slack_level;
/* The accounts that hold legs in the same markets: their distances are
 * measured over those markets only. */
#define LC_SLACK_GROUPS 64 /* groups at most; accounts beyond share an all-markets one */
typedef struct lc_slack_group {
    uint32_t mask;             /* its markets, bit m for market m */
    int nm, m[LC_MAX_MARKETS]; /* the same as a list */
    /* its slices of `first`, one per direction, and their cursors */
    long first0[LC_REACH_NDIRS], first1[LC_REACH_NDIRS], front[LC_REACH_NDIRS];
    lc_slack_level level[LC_SLACK_LEVELS]; /* its accounts evaluated since t = 0 */
} lc_slack_group;
typedef struct lc_slack {
    long n, span0;                 /* spanning accounts: [span0, span0 + n) */
    lc_slack_entry *first;         /* every one's radius at the t = 0 marks, by group, */
                                   /* direction, then radius */
    double marks0[LC_MAX_MARKETS]; /* the marks `first` was made at (NAN: not yet) */
    double log0[LC_MAX_MARKETS];   /* their logs: `first`'s anchor, never moved */
    lc_slack_group *group;
    int ngroup;
    uint8_t *group_of;       /* per spanning account */
    lc_slack_entry *pending; /* this find's evaluations: (radius, account) */
    uint8_t *pending_dir;    /* ... and the direction of each radius */
    long held;               /* breached at the last find, not yet taken by a round */
    /* accounts open again after their round (their legs changed, or they
     * waited a step): evaluated at the next find. version[j] counts the
     * reopenings of spanning account j in the run (0 while version_run[j]
     * is not the run's tag): entries of older versions are stale. */
    uint32_t *due, *version, *version_run, run_tag;
    long ndue;
    /* due_at[j] == finds: j is due already (a reopening between two finds
     * is listed once; the version read at the find is the latest) */
    uint32_t *due_at, finds;
    long evaluations; /* accounts evaluated, every run of the scratch (scan counts its own) */
} lc_slack;

struct lc_finder {
    const lc_finder_type *type;
    uint32_t *list;             /* the round's accounts: range (m, side) from its first index */
    uint32_t *popped;           /* cursor: changed accounts breached in the round */
    long to[LC_MAX_MARKETS][2]; /* cursor: each range's end at the marks; scan: counts */
    long nspan;                 /* the round's spanning accounts, at list + pop->span0 */
    lc_slack slack;             /* cursor only */
};

/* The slack set (slack.c) over pop's spanning accounts: made, released,
 * started for a run, and searched: the accounts due on the clock are
 * evaluated at the marks and the breached ones written to out (index
 * order; the same buffer at every call); returns how many. The round's take
 * closes them and calls lc_slack_taken. */
int lc_slack_init(lc_slack *s, const lc_scenario *sc, const lc_population *pop);
void lc_slack_release(lc_slack *s);
void lc_slack_start(lc_slack *s, lc_run *r);
long lc_slack_find(lc_slack *s, lc_run *r, uint32_t *out);
/* The round's spanning accounts (f->nspan at list + span0, index order),
 * closed, as the round's last group. */
void lc_finder_take_spanning(lc_finder *f, lc_run *r, lc_round *out);
static inline void lc_slack_taken(lc_slack *s)
{
    s->held = 0;
}
/* Account i that spans markets, taken by a round, is open again (its legs
 * may have changed): the finder evaluates it at its next find. */
void lc_finder_reopen(lc_finder *f, long i);

extern const lc_finder_type lc_finder_cursor, lc_finder_scan;

/* Every finder, indexed by lc_engine_kind. */
extern const lc_finder_type *const lc_finders[LC_ENGINE_NKINDS];
/* The kind of the finder called name, or LC_ENGINE_NKINDS if none is. */
lc_engine_kind lc_finder_kind(const char *name);

/* Buffers for a finder over pop (mutable: rules may change positions).
 * Returns 0 or -1 (memory). */
int lc_finder_init(lc_finder *f, const lc_finder_type *t, const lc_scenario *sc,
                   const lc_population *pop, int mutable);
void lc_finder_release(lc_finder *f);

#endif

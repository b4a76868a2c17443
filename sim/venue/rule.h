/* rule.h — venue rules as modules (DESIGN §11): the descriptor every rule
 * fills, the settings the scenario resolves for it, and the registry.
 *
 * A rule is what a model is (models/model.h): a const descriptor with a
 * name, a doc line, a parameter table, the size of its per-scratch state and
 * function pointers. Its keys live under `section` ("venue.partial" is a map
 * of its own; "venue" puts them beside the core venue keys, as venue.adl
 * does); the same table drives scenario validation, the resolved scenario,
 * `liqcascade models`, docs/models.md and the HDF5 attributes. A rule also
 * declares the /runs columns and the /events kinds it adds: the writer and
 * `info` walk the tables of out/record.h, which list them after the core.
 * Adding a rule is one file plus one line in the registry (rules.c).
 *
 * Hooks (each optional; engine/engine.c is the step loop that calls them,
 * engine/run.h the run they see — the one place where venue/ works on the
 * engine's state):
 *   on_run       a run starts (clear per-run state)
 *   on_step      after the step's market moves and marks, before its cascade
 *   on_breach    the round's plan is made: each breached account's margin
 *                model closes everything, unless a rule says less (partial
 *                liquidation lowers a trade's quantity)
 *   on_liquidate an isolated account is about to be closed whole at its
 *                trade's price: a rule may keep part of it off the book (ADL)
 *   on_settle    an account of the plan was settled (whole or in part)
 *   on_change    an open account's position or collateral changed (it has a
 *                new liquidation price); `fresh` the first time in the run
 *   on_shortfall an account that spans markets was settled with a shortfall
 *                the insurance fund could not pay (`uncovered`, quote): a
 *                rule may take part of it from other accounts (ADL across
 *                markets) and returns how much; the rest is bad debt
 *   on_end       the run's last step is done (totals of the run)
 * A hook may change open accounts outside the round (ADL's counterparties)
 * but never an account of the round that has not settled yet: the round's
 * flow was computed from them (the streamed path re-reads each as it
 * settles, the planned one asserts it unchanged).
 * Hooks run in registry order. A rule whose `enabled` says no for the
 * scenario's settings is not instantiated: it costs nothing. A rule with
 * none of the settlement hooks (on_breach, on_liquidate, on_settle) and
 * `changes_positions` 0 keeps the plain settlement path. */
#ifndef LC_RULE_H
#define LC_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/param.h"
#include "venue/venue.h"

#define LC_RULE_MAX 16         /* rules in the registry */
#define LC_RULE_MAX_NAMES 4    /* name-valued keys one rule may have */
#define LC_RULE_MAX_CHOICES 16 /* values one name-valued key may take */
#define LC_RULE_MAX_CELLS 32   /* /runs columns all rules together may add */
#define LC_RULE_MAX_WORDS 4    /* per-account words all rules together may keep */
/* (lc_rules_check, called when the tables are first used, holds the
 * registry to these bounds) */

/* A /runs cell a venue rule adds (its column's type says which member). */
typedef union lc_cell {
    int64_t i;
    double d;
} lc_cell;

/* A key whose value is one of `names` (the first is the default). */
typedef struct lc_rule_name {
    const char *key;
    const lc_named *names;
    int n;
} lc_rule_name;

/* The resolved settings of one rule: the index of each name-valued key's
 * value, and the numbers of its parameter table. */
typedef struct lc_rule_setting {
    int name[LC_RULE_MAX_NAMES];
    double p[LC_MAX_PARAMS];
} lc_rule_setting;

/* A /runs column or an /events kind a rule adds. */
typedef struct lc_rule_column {
    const char *name;
    char type; /* 'i' int64, 'd' double */
    const char *units, *description;
} lc_rule_column;
typedef struct lc_rule_event {
    int kind; /* the value of /events/kind: fixed, unique across rules */
    const char *description;
} lc_rule_event;

/* Where a setting was written, for cross-key messages: *src and *line of key
 * `key` of the rule's section (the section itself when the key is absent). */
typedef struct lc_rule_where {
    void (*locate)(const void *ctx, const char *key, const char **src, int *line);
    const void *ctx;
} lc_rule_where;

struct lc_run;
struct lc_scenario;
struct lc_book;
struct lc_item;
struct lc_rule_inst;

typedef struct lc_rule {
    lc_desc d;           /* name, doc, numeric parameter table (d.check unused) */
    const char *section; /* "venue" or "venue.<map>" */
    const lc_rule_name *names;
    int nnames;
    const lc_rule_column *columns;
    int ncolumns;
    const lc_rule_event *events;
    int nevents;
    int words;             /* per-account words it keeps in the book (book.h) */
    int changes_positions; /* it may change open accounts (then the book is mutable) */
    size_t state_size;     /* bytes of per-scratch state */
    /* Whether these settings (or the scenario's: venue.lending) switch the
     * rule on. */
    int (*enabled)(const lc_rule_setting *s, const struct lc_scenario *sc);
    /* Checks across keys or against the rest of the scenario, after every
     * value passed its table (NULL: none). Return 0 or -1. */
    int (*check)(const lc_rule_setting *s, const struct lc_scenario *sc, const lc_rule_where *at,
                 lc_error *err);
    /* Set up the state (zeroed, state_size bytes) for a scratch over the
     * book; free what it allocated in destroy. Return 0 or -1 (memory). */
    int (*create)(struct lc_rule_inst *ri, const struct lc_scenario *sc,
                  const struct lc_book *book);
    void (*destroy)(struct lc_rule_inst *ri);
    void (*on_run)(struct lc_rule_inst *ri, struct lc_run *r);
    void (*on_step)(struct lc_rule_inst *ri, struct lc_run *r);
    void (*on_breach)(struct lc_rule_inst *ri, struct lc_run *r, struct lc_item *plan, long n);
    void (*on_liquidate)(struct lc_rule_inst *ri, struct lc_run *r, struct lc_item *it);
    void (*on_settle)(struct lc_rule_inst *ri, struct lc_run *r, const struct lc_item *it);
    void (*on_change)(struct lc_rule_inst *ri, struct lc_run *r, long i, int fresh);
    double (*on_shortfall)(struct lc_rule_inst *ri, struct lc_run *r, const struct lc_item *it,
                           double uncovered);
    void (*on_end)(struct lc_rule_inst *ri, struct lc_run *r);
} lc_rule;

/* A rule at work in one scratch: its settings, state, and the places the
 * registry gave it among the /runs cells and the book's per-account words. */
typedef struct lc_rule_inst {
    const lc_rule *rule;
    const lc_rule_setting *set;
    void *state;
    int cell0, word0;
} lc_rule_inst;

/* The registry: every rule, in the order their hooks run. */
extern const lc_rule *const lc_rules[];
extern const int lc_n_rules;

/* Index of the rule called name, or -1. */
int lc_rule_find(const char *name);

/* The first /runs cell and per-account word of rule k (registry order). */
int lc_rule_cell0(int k);
int lc_rule_word0(int k);

/* The registry within the bounds above and its event kinds unique, or a
 * message saying which rule breaks which (a programming error, not input:
 * callers abort with it). NULL when fine. */
const char *lc_rules_check(void);

/* A rule's /runs cells in the run's row (engine/settle.c). */
lc_cell *lc_rule_cells(const struct lc_run *r, const lc_rule_inst *ri);

#endif

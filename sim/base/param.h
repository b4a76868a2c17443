/* param.h — parameter tables: the one description of every tunable number.
 *
 * A table entry gives a key's name, unit, default, allowed range and one-line
 * doc. The same tables drive scenario validation, `liqcascade models`,
 * docs/models.md and the HDF5 attributes, so a parameter is described once.
 *
 * Values are stored as doubles in an array indexed by the entry's position in
 * its table (a model reads p[0], p[1], ... through its own enum). Integer
 * parameters are doubles that validation has checked to be whole numbers;
 * list parameters (LC_LIST) are stored in the lc_list of the same index; a
 * path parameter (LC_PATH, at most one per table) is stored in lc_choice.path. */
#ifndef LC_PARAM_H
#define LC_PARAM_H

#include <math.h>
#include <stddef.h>

#define LC_MAX_PARAMS 12 /* parameters one model or distribution may have */
#define LC_LIST_MAX 64   /* values one list parameter may hold */

typedef enum lc_kind {
    LC_REAL, /* any finite number in range */
    LC_INT,  /* a whole number in range */
    LC_LIST, /* a list of LC_LIST_MAX numbers at most, each in range */
    LC_PATH  /* a file path, relative to the scenario file's folder (range unused) */
} lc_kind;

/* Range flags: bounds are inclusive unless the matching *_open flag is set. */
typedef struct lc_param {
    const char *name; /* key inside its section, e.g. "sigma" */
    const char *unit; /* "1/yr^0.5", "quote", "s", "1" for dimensionless */
    lc_kind kind;
    double def;      /* default; NAN: the key is required */
    double min, max; /* allowed range */
    int min_open, max_open;
    const char *doc; /* one line, no trailing period */
} lc_param;

#define LC_REQUIRED NAN

typedef struct lc_list {
    int n;
    double v[LC_LIST_MAX];
} lc_list;

/* The common head of every pluggable thing chosen by name (price and impact
 * models, population distributions, mark-price models): its name, its doc and
 * its parameter table. Descriptors are const and static; they own nothing. */
struct lc_choice;
struct lc_error;
typedef struct lc_desc {
    const char *name;
    const char *doc;
    const lc_param *params;
    int nparams;
    /* Optional checks across parameters (e.g. min < max) after each value
     * passed its range. Messages use `where` ("price", "population.notional")
     * as the key prefix; return 0 or -1. */
    int (*check)(const struct lc_choice *c, const char *where, struct lc_error *err);
} lc_desc;

/* A chosen descriptor with its resolved parameter values. */
typedef struct lc_choice {
    const lc_desc *desc;
    double p[LC_MAX_PARAMS];
    lc_list list[LC_MAX_PARAMS]; /* used only by LC_LIST parameters */
    char *path;                  /* the LC_PATH parameter, made absolute; owned by the scenario */
} lc_choice;

/* Index of the parameter called name in desc's table, or -1. */
int lc_desc_find(const lc_desc *desc, const char *name);

/* Human-readable range, e.g. "> 0", "in [0, 1]", "in (0, 1e+300]". */
void lc_param_range_text(const lc_param *p, char *buf, size_t size);

/* Whether v satisfies the table's kind and range (lists are checked per value). */
int lc_param_in_range(const lc_param *p, double v);

#define LC_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

#endif

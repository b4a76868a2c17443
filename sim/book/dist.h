/* dist.h — the distributions a population is drawn from (DESIGN §10):
 * notional (quote), leverage (×) and entry price relative to s0.
 * Each is a descriptor with a parameter table, chosen by `dist:`; each slot
 * (notional, leverage, entry) is a family that admits some of them. */
#ifndef LC_DIST_H
#define LC_DIST_H

#include <gsl/gsl_rng.h>

#include "models/model.h"

typedef struct lc_dist {
    lc_desc d;
    double (*draw)(const lc_choice *c, gsl_rng *rng);
} lc_dist;

extern const lc_family lc_notional_family; /* population.notional */
extern const lc_family lc_leverage_family; /* population.leverage */
extern const lc_family lc_entry_family;    /* population.entry    */

/* Draw one value from a resolved choice whose desc is an lc_dist. */
double lc_dist_draw(const lc_choice *c, gsl_rng *rng);

#endif

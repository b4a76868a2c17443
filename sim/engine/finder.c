/* finder.c — the registry of finders and the buffers they use (finder.h). */
#include "engine/finder.h"

#include <stdlib.h>
#include <string.h>

const lc_finder_type *const lc_finders[LC_ENGINE_NKINDS] = {
    [LC_ENGINE_INDEX] = &lc_finder_cursor,
    [LC_ENGINE_SCAN] = &lc_finder_scan,
};

lc_engine_kind lc_finder_kind(const char *name)
{
    for (int k = 0; k < LC_ENGINE_NKINDS; k++)
        if (strcmp(lc_finders[k]->name, name) == 0)
            return (lc_engine_kind)k;
    return LC_ENGINE_NKINDS;
}

int lc_finder_init(lc_finder *f, const lc_finder_type *t, const lc_scenario *sc,
                   const lc_population *pop, int mutable)
{
    size_t n = pop->n > 0 ? (size_t)pop->n : 1;
    *f = (lc_finder){.type = t};
    int spans = pop->n > pop->span0;
    if ((t->dense || mutable || spans) && !(f->list = malloc(n * sizeof *f->list)))
        return -1;
    if (!t->dense && mutable && !(f->popped = malloc(n * sizeof *f->popped)))
        return -1;
    return t->dense ? 0 : lc_slack_init(&f->slack, sc, pop);
}

void lc_finder_release(lc_finder *f)
{
    free(f->list);
    free(f->popped);
    f->list = f->popped = NULL;
    lc_slack_release(&f->slack);
}

void lc_finder_take_spanning(lc_finder *f, lc_run *r, lc_round *out)
{
    if (f->nspan == 0)
        return;
    const uint32_t *list = f->list + r->pop->span0;
    for (long k = 0; k < f->nspan; k++)
        lc_book_take(r->book, list[k]);
    out->g[out->n++] = (lc_group){LC_SPAN_GROUP, 0, {list, 0, f->nspan}};
}

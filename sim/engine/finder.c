/* finder.c — the buffers every finder uses (finder.h). */
#include <stdlib.h>

#include "engine/finder.h"

int lc_finder_init(lc_finder *f, const lc_finder_type *t, const lc_population *pop, int mutable)
{
    size_t n = pop->n > 0 ? (size_t)pop->n : 1;
    *f = (lc_finder){.type = t};
    if (t->dense || mutable) {
        f->bl = malloc(n * sizeof *f->bl);
        f->bs = malloc(n * sizeof *f->bs);
        if (!f->bl || !f->bs)
            return -1;
    }
    if (!t->dense && mutable && !(f->popped = malloc(n * sizeof *f->popped)))
        return -1;
    return 0;
}

void lc_finder_release(lc_finder *f)
{
    free(f->bl);
    free(f->bs);
    free(f->popped);
    f->bl = f->bs = f->popped = NULL;
}

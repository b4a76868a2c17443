/* param.c — helpers over parameter tables (see param.h). */
#include "base/param.h"

#include <stdio.h>
#include <string.h>

int lc_desc_find(const lc_desc *desc, const char *name)
{
    for (int i = 0; i < desc->nparams; i++)
        if (strcmp(desc->params[i].name, name) == 0)
            return i;
    return -1;
}

void lc_param_range_text(const lc_param *p, char *buf, size_t size)
{
    int lo = isfinite(p->min) && p->min > -1e300;
    int hi = isfinite(p->max) && p->max < 1e300;
    if (lo && hi)
        snprintf(buf, size, "in %c%.6g, %.6g%c", p->min_open ? '(' : '[', p->min, p->max,
                 p->max_open ? ')' : ']');
    else if (lo)
        snprintf(buf, size, "%s %.6g", p->min_open ? ">" : ">=", p->min);
    else if (hi)
        snprintf(buf, size, "%s %.6g", p->max_open ? "<" : "<=", p->max);
    else
        snprintf(buf, size, "any finite number");
}

/* A bound of ±1e300 in a table means "none" (lc_param_range_text says "any
 * finite number", "> 0", ...), so it is not one here either: what the
 * message and `liqcascade models` say is the limit that holds. */
int lc_param_in_range(const lc_param *p, double v)
{
    if (!isfinite(v))
        return 0;
    if (p->kind == LC_INT && v != floor(v))
        return 0;
    int lo = isfinite(p->min) && p->min > -1e300, hi = isfinite(p->max) && p->max < 1e300;
    if (lo && (p->min_open ? !(v > p->min) : !(v >= p->min)))
        return 0;
    if (hi && (p->max_open ? !(v < p->max) : !(v <= p->max)))
        return 0;
    return 1;
}

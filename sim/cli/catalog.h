/* catalog.h — the reference of every model and key (`liqcascade models`). */
#ifndef LC_CATALOG_H
#define LC_CATALOG_H

#include <stdio.h>

/* Text for the terminal, or markdown (docs/models.md) when md is set. */
void lc_catalog_print(FILE *out, int md);

#endif

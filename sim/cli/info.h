/* info.h — `liqcascade info`: what is in a result file (sim/cli/info.c). */
#ifndef LC_INFO_H
#define LC_INFO_H

#include <stdio.h>

#include "base/error.h"

/* Print the file's attributes, markets (schema 2), datasets, a summary of
 * /runs (per market for schema 2) and the risk metrics (metrics_csv: the
 * metric table alone, as CSV). Reads schema 1 and 2 (docs/schema.md); sizes
 * are the datasets' own, never an attribute's. A file that is not
 * liqcascade's, or has an attribute info reads that is not a scalar of the
 * expected class (an array, a compound, ...), is refused: nothing is
 * printed. Returns 0, or -1 with err naming the file (and the attribute). */
int lc_info_print(const char *path, int metrics_csv, FILE *out, lc_error *err);

#endif

/* info.h — `liqcascade info`: what is in a result file (sim/cli/info.c). */
#ifndef LC_INFO_H
#define LC_INFO_H

#include <stdio.h>

#include "base/error.h"

/* What lc_info_print prints: everything for a reader, or one table as CSV
 * (the metric table; the paired differences against a baseline point). */
typedef enum { LC_INFO_ALL, LC_INFO_METRICS, LC_INFO_PAIRED } lc_info_what;

/* Print the file's attributes, markets (schema 2), datasets, a summary of
 * /runs (per market for schema 2), the risk metrics and, for a sweep, the
 * paired differences of every point against point `baseline` (an error
 * when the file has no such point; LC_INFO_ALL then prints the rest without
 * that table, and fails). Reads schema 1 and 2 (docs/schema.md); sizes
 * are the datasets' own, never an attribute's. A file that is not
 * liqcascade's, or has an attribute info reads that is not a scalar of the
 * expected class (an array, a compound, ...), is refused: nothing is
 * printed. Returns 0, -1 with err naming the file (and the attribute), or 1
 * with err naming --baseline when LC_INFO_ALL printed all but the paired table. */
int lc_info_print(const char *path, lc_info_what what, long baseline, FILE *out, lc_error *err);

#endif

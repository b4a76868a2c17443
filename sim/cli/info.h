/* info.h — `liqcascade info`: what is in a result file (sim/cli/info.c). */
#ifndef LC_INFO_H
#define LC_INFO_H

#include <stdio.h>

#include "base/error.h"

/* Print the file's attributes, datasets and risk metrics (metrics_csv: the
 * metric table alone, as CSV). Returns 0, or -1 with err naming the file. */
int lc_info_print(const char *path, int metrics_csv, FILE *out, lc_error *err);

#endif

/* error.h — how fallible functions report what went wrong.
 *
 * Functions that can fail return int (0 = ok, -1 = failed) and append one or
 * more messages to an lc_error. Messages name the file, line and key where
 * there is one: "crash.yaml:12: price.sigma: must be > 0 (got -0.3)".
 * Only main() prints them and chooses the exit code. An lc_error is a plain
 * value: zero-initialise it ({0}) before use; it owns no memory. */
#ifndef LC_ERROR_H
#define LC_ERROR_H

#include <stddef.h>

#define LC_ERROR_MAX 4096

typedef struct lc_error {
    int count;              /* messages appended so far */
    size_t len;             /* bytes used in msg, excluding the NUL */
    char msg[LC_ERROR_MAX]; /* messages, one per line, each ending in '\n' */
} lc_error;

/* Append one message (a newline is added). Never fails: an overlong message is
 * cut and marked with "...". Returns -1 so callers can `return lc_error_add(..)`. */
int lc_error_add(lc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same, with "FILE:LINE: KEY: " in front; file may be NULL, line <= 0 and
 * key NULL leave out their part. */
int lc_error_at(lc_error *err, const char *file, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void lc_error_clear(lc_error *err);

#endif

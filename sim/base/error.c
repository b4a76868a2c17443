/* error.c — message accumulation for lc_error (see error.h). */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void append(lc_error *err, const char *prefix, const char *fmt, va_list ap)
{
    if (!err)
        return;
    size_t room = sizeof err->msg - err->len;
    if (room < 5) /* full: keep what is there, the first errors matter most */
        return;
    char *p = err->msg + err->len;
    int n = snprintf(p, room, "%s", prefix);
    if (n < 0)
        n = 0;
    if ((size_t)n < room)
        n += vsnprintf(p + n, room - (size_t)n, fmt, ap);
    if ((size_t)n + 2 > room) { /* cut: mark it and end the line */
        memcpy(err->msg + sizeof err->msg - 5, "...\n", 5);
        err->len = sizeof err->msg - 1;
    } else {
        p[n] = '\n';
        p[n + 1] = '\0';
        err->len += (size_t)n + 1;
    }
    err->count++;
}

int lc_error_add(lc_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(err, "", fmt, ap);
    va_end(ap);
    return -1;
}

int lc_error_at(lc_error *err, const char *file, int line, const char *key, const char *fmt, ...)
{
    char prefix[512];
    size_t n = 0;
    if (file)
        n += (size_t)snprintf(prefix + n, sizeof prefix - n, "%s:", file);
    if (file && line > 0 && n < sizeof prefix)
        n += (size_t)snprintf(prefix + n, sizeof prefix - n, "%d:", line);
    if (n && n < sizeof prefix)
        n += (size_t)snprintf(prefix + n, sizeof prefix - n, " ");
    if (key && n < sizeof prefix)
        snprintf(prefix + n, sizeof prefix - n, "%s: ", key);
    else if (n >= sizeof prefix)
        prefix[sizeof prefix - 1] = '\0';
    else
        prefix[n] = '\0';
    va_list ap;
    va_start(ap, fmt);
    append(err, prefix, fmt, ap);
    va_end(ap);
    return -1;
}

void lc_error_clear(lc_error *err)
{
    if (!err)
        return;
    err->count = 0;
    err->len = 0;
    err->msg[0] = '\0';
}

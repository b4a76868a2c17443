/* progress.c — see progress.h. */
#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

double lc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lc_progress_start(lc_progress *p, long total, long per_point, int mode)
{
    *p = (lc_progress){.mode = mode, .total = total, .per_point = per_point};
    p->start_s = p->last_s = lc_now_s();
}

/* The terminal's width in characters. */
static int columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n > 0 ? n : 80;
}

void lc_progress_text(const lc_progress *p, long done, double now, int cols, int bar, char *out,
                      int size)
{
    double frac = p->total > 0 ? (double)done / (double)p->total : 1.0;
    double el = now - p->start_s, rate = el > 0 ? (double)done / el : 0;
    char eta[48] = "--:--", point[64] = "";
    if (rate > 0) {
        long s = (long)((double)(p->total - done) / rate + 0.5);
        snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    }
    long points = p->per_point > 0 ? (p->total + p->per_point - 1) / p->per_point : 0;
    if (points > 1) {
        long k = done / p->per_point + 1;
        snprintf(point, sizeof point, "  point %ld of %ld", k > points ? points : k, points);
    }
    char text[512];
    /* what matters most first: a narrow terminal cuts from the end */
    snprintf(text, sizeof text, "%ld/%ld runs (%.0f%%)  ETA %s%s  %.1f runs/s", done, p->total,
             100 * frac, eta, point, rate);
    if (cols > size - 1)
        cols = size - 1;
    if (cols < 1)
        cols = 1;
    int len = (int)strlen(text), width = bar ? cols - len - 6 : 0; /* "  [" "] " and a margin */
    if (width > 30)
        width = 30;
    if (width >= 5) {
        char b[32];
        int fill = (int)(frac * width);
        for (int i = 0; i < width; i++)
            b[i] = i < fill ? '#' : '.';
        b[width] = '\0';
        snprintf(out, (size_t)cols + 1, "  [%s] %s", b, text);
    } else {
        snprintf(out, (size_t)cols + 1, "  %s", text); /* no room for a bar: cut */
    }
}

static void draw(lc_progress *p, long done, double now)
{
    char line[512];
    if (p->mode == LC_PROGRESS_TTY) {
        lc_progress_text(p, done, now, columns() - 1, 1, line, sizeof line);
        fprintf(stderr, "\r%s\033[K", line); /* erase what a longer line left */
    } else {
        lc_progress_text(p, done, now, (int)sizeof line - 1, 0, line, sizeof line);
        fprintf(stderr, "progress:%s\n", line + 1);
    }
    fflush(stderr);
}

void lc_progress_update(lc_progress *p, long done)
{
    if (p->mode == LC_PROGRESS_OFF)
        return;
    double now = lc_now_s();
    if (now - p->last_s < (p->mode == LC_PROGRESS_TTY ? 0.1 : LC_PROGRESS_PLAIN_S))
        return;
    p->last_s = now;
    draw(p, done, now);
}

void lc_progress_finish(lc_progress *p, long done)
{
    if (p->mode == LC_PROGRESS_TTY) {
        draw(p, done, lc_now_s());
        fputc('\n', stderr);
    } else if (p->mode == LC_PROGRESS_PLAIN && p->last_s > p->start_s) {
        draw(p, done, lc_now_s()); /* a closing line, if any was printed */
    }
}

/* progress.c — see progress.h. */
#include "cli/progress.h"

#include <stdio.h>
#include <time.h>

double lc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lc_progress_start(lc_progress *p, long total, int enabled)
{
    p->enabled = enabled;
    p->total = total;
    p->start_s = p->last_s = lc_now_s();
}

static void draw(lc_progress *p, long done, double now)
{
    const int width = 30;
    double frac = p->total > 0 ? (double)done / (double)p->total : 1.0;
    double el = now - p->start_s, rate = el > 0 ? (double)done / el : 0;
    char bar[64];
    int fill = (int)(frac * width);
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    char eta[32] = "--:--";
    if (rate > 0) {
        long s = (long)((double)(p->total - done) / rate + 0.5);
        snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    }
    fprintf(stderr, "\r  [%s] %ld/%ld runs  %.1f runs/s  ETA %s ", bar, done, p->total, rate, eta);
    fflush(stderr);
}

void lc_progress_update(lc_progress *p, long done)
{
    if (!p->enabled)
        return;
    double now = lc_now_s();
    if (now - p->last_s < 0.1)
        return;
    p->last_s = now;
    draw(p, done, now);
}

void lc_progress_finish(lc_progress *p, long done)
{
    if (!p->enabled)
        return;
    draw(p, done, lc_now_s());
    fputc('\n', stderr);
}

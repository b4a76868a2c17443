/* progress.h — a progress line on stderr for long runs: runs done, rate, ETA.
 * Drawn only when stderr is a terminal (and not --quiet); redrawn at most
 * ten times a second; safe to call from one thread at a time. */
#ifndef LC_PROGRESS_H
#define LC_PROGRESS_H

typedef struct lc_progress {
    int enabled;
    long total;
    double start_s, last_s;
} lc_progress;

void lc_progress_start(lc_progress *p, long total, int enabled);
void lc_progress_update(lc_progress *p, long done);
void lc_progress_finish(lc_progress *p, long done);

/* Monotonic seconds. */
double lc_now_s(void);

#endif

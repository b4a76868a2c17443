/* progress.h — progress of a long run on stderr: runs done, the sweep point,
 * rate, ETA. Two modes (lc_progress_start's `mode`):
 *  - LC_PROGRESS_TTY: one line redrawn in place at most ten times a second,
 *    cut to the terminal's width (TIOCGWINSZ, else $COLUMNS, else 80) so it
 *    never wraps: the bar shrinks, then goes;
 *  - LC_PROGRESS_PLAIN (stderr is not a terminal: a log, CI): a plain line
 *    every LC_PROGRESS_PLAIN_S seconds, nothing for shorter runs.
 * Safe to call from one thread at a time. */
#ifndef LC_PROGRESS_H
#define LC_PROGRESS_H

enum { LC_PROGRESS_OFF, LC_PROGRESS_TTY, LC_PROGRESS_PLAIN };
#define LC_PROGRESS_PLAIN_S 10.0

typedef struct lc_progress {
    int mode;
    long total;
    long per_point; /* runs per sweep point (0: no points shown) */
    double start_s, last_s;
} lc_progress;

void lc_progress_start(lc_progress *p, long total, long per_point, int mode);
void lc_progress_update(lc_progress *p, long done);
void lc_progress_finish(lc_progress *p, long done);
/* The text of the progress of `done` runs at `now`, cut to `cols`
 * characters (at least 1): what either mode prints (tty: with the bar). */
void lc_progress_text(const lc_progress *p, long done, double now, int cols, int bar, char *out,
                      int size);

/* Monotonic seconds. */
double lc_now_s(void);

#endif

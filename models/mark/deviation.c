/* deviation.c — a push oracle with a deviation threshold and a heartbeat, in
 * the manner of Chainlink price feeds.
 *
 * At each step's sample P_t the oracle publishes (mark = P_t) when
 *   |P_t − mark| > threshold·mark     (the price moved enough), or
 *   (t − t_last)·dt >= heartbeat      (it has been quiet for too long);
 * otherwise the mark stays. mark_0 = s0, t_last = 0. heartbeat 0 publishes
 * every step (the same as delayed with k = 0). */
#include "models/model.h"

#include <math.h>

enum { THRESHOLD, HEARTBEAT };

static const lc_param deviation_params[] = {
    [THRESHOLD] = {"threshold", "1", LC_REAL, 0.005, 0, 1, 0, 1,
                   "relative move from the current mark that triggers an update"},
    [HEARTBEAT] = {"heartbeat", "s", LC_REAL, 3600, 0, 1e9, 0, 0,
                   "longest time between updates (0: update every step)"},
};

typedef struct {
    double dt_s, mark;
    long t_last;
} deviation_state;

static double deviation_init(void *state, const double *p, double s0, double dt_s)
{
    (void)p;
    deviation_state *s = state;
    *s = (deviation_state){dt_s, s0, 0};
    return s0;
}

static double deviation_sample(void *state, const double *p, long t, double market)
{
    deviation_state *s = state;
    if (fabs(market - s->mark) > p[THRESHOLD] * s->mark ||
        (double)(t - s->t_last) * s->dt_s >= p[HEARTBEAT]) {
        s->mark = market;
        s->t_last = t;
    }
    return s->mark;
}

const lc_mark_model lc_mark_deviation = {
    .d = {"deviation",
          "push oracle: updates when the market moved more than threshold from the mark, "
          "or when heartbeat seconds passed",
          deviation_params, LC_COUNT(deviation_params), NULL},
    .live = 0,
    .state_size = sizeof(deviation_state),
    .init = deviation_init,
    .sample = deviation_sample,
};

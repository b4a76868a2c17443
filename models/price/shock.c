/* shock.c — a scripted move overlaid on any price model (price.shock).
 *
 * For "the price falls 15% in 20 minutes" scenarios:
 *   price: {model: garch, ..., shock: {size: -0.15, start: 3600, duration: 1200}}
 * The overlay's cumulative log move by time t is
 *   X(t) = log(1 + size) · g(t − start),
 * g rising from 0 (before start) to 1 (move done) by the chosen shape. Step k
 * (time (k−1)·dt .. k·dt) adds X(k·dt) − X((k−1)·dt) to the base model's
 * log-return, so the increments over the window telescope to exactly
 * log(1 + size) (up to rounding of the sum): with the base model's noise
 * removed (gbm, sigma 0) the price at the end of the window is s0·(1 + size)
 * (s0 again for a dip, whose g returns to 0).
 *
 * Conventions:
 * - size is the total SIMPLE return of the move (−0.15: down 15%), > −1;
 *   the log move is log1p(size).
 * - start and duration are in seconds from t = 0 and need not be on step
 *   boundaries: steps are sampled at their ends, and a step that straddles
 *   the window gets the part of the move inside it.
 * - A window that ends after the last step is cut: only the part inside the
 *   simulation happens (the overlay never moves the price after the run ends).
 * - The overlay is deterministic: it draws no random numbers, so the base
 *   model's path (the PRICE stream) is the same with and without it, and
 *   run r compares like with like across shocks (common random numbers).
 * - With model bridge, the pins fix the base path; the price at a pin is the
 *   pin price times e^X(t) of the overlay's move up to then.
 *
 * Shapes: linear g = u, u = clamp((t − start)/duration, 0, 1) (constant speed);
 * exp g = (1 − e^(−rate·u))/(1 − e^(−rate)) (fast at first, then slowing: a
 * crash that decelerates; rate → 0 is linear); step g = 1 once t > start (the
 * whole move in the step that ends first after start); dip, a move that comes
 * back: with tau = t − start, g = tau/fall for tau < fall, 1 for the next
 * hold seconds, then 1 − (tau − fall − hold)/recover down to 0, and 0 once
 * tau ≥ fall + hold + recover (recover 0: g stays 1, the move is never undone).
 * With recover > 0 the increments over the window telescope to 0 (the price
 * returns to where the base model has it), and the lowest price factor e^X is
 * 1 + size, reached during the hold. A scripted depeg is a dip: USDC's 0.8774
 * low on 2023-03-11 is size −0.1226 on a peg of 1,
 *   shock: {shape: dip, size: -0.1226, start: ..., fall: ..., hold: ..., recover: ...}. */
#include "models/model.h"

#include <math.h>

enum { DURATION, RATE };
enum { FALL, HOLD, RECOVER };

static const lc_param linear_params[] = {
    [DURATION] = {"duration", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
                  "length of the window over which the move happens"},
};

static const lc_param exp_params[] = {
    [DURATION] = {"duration", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 1, 0,
                  "length of the window over which the move happens"},
    [RATE] = {"rate", "1", LC_REAL, 5.0, 0, 700, 1, 0,
              "decay over the window: the move left after fraction u of it is e^(-rate·u), "
              "rescaled to end at 0"},
};

static const lc_param dip_params[] = {
    [FALL] = {"fall", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 0, 0,
              "time from start to the full move, at constant speed (0: at once)"},
    [HOLD] = {"hold", "s", LC_REAL, 0.0, 0, 1e300, 0, 0, "time the full move is held"},
    [RECOVER] = {"recover", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 0, 0,
                 "time to undo the move after the hold, at constant speed (0: never undone)"},
};

static double clamp01(double u)
{
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

static double linear_profile(const double *p, double tau_s)
{
    return clamp01(tau_s / p[DURATION]);
}

static double exp_profile(const double *p, double tau_s)
{
    double u = clamp01(tau_s / p[DURATION]);
    return u >= 1 ? 1 : expm1(-p[RATE] * u) / expm1(-p[RATE]);
}

static double step_profile(const double *p, double tau_s)
{
    (void)p;
    return tau_s > 0 ? 1 : 0;
}

static double dip_profile(const double *p, double tau_s)
{
    if (tau_s <= 0)
        return 0;
    if (tau_s < p[FALL])
        return tau_s / p[FALL];
    double back = tau_s - p[FALL] - p[HOLD]; /* time since the hold ended */
    if (back <= 0 || p[RECOVER] == 0)
        return 1;
    return back < p[RECOVER] ? 1 - back / p[RECOVER] : 0;
}

static const lc_shock_shape shock_linear = {
    {"linear", "the move at constant speed over the window", linear_params, LC_COUNT(linear_params),
     NULL},
    linear_profile,
};

static const lc_shock_shape shock_exp = {
    {"exp", "front-loaded: fast at the start of the window, slowing towards its end", exp_params,
     LC_COUNT(exp_params), NULL},
    exp_profile,
};

static const lc_shock_shape shock_step = {
    {"step", "the whole move in one step: the first that ends after start", NULL, 0, NULL},
    step_profile,
};

static const lc_shock_shape shock_dip = {
    {"dip", "a move that comes back: linear fall, hold, linear recovery (a scripted depeg)",
     dip_params, LC_COUNT(dip_params), NULL},
    dip_profile,
};

/* the first member is the default shape */
static const lc_desc *const shock_shapes[] = {&shock_linear.d, &shock_exp.d, &shock_step.d,
                                              &shock_dip.d};

static const lc_param shock_common[] = {
    [LC_SHOCK_SIZE] =
        {"size", "1", LC_REAL, LC_REQUIRED, -1, 1e6, 1, 0,
         "total simple return of the move (-0.15: the price falls 15%; for a dip, at its low)"},
    [LC_SHOCK_START] = {"start", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 0, 0, "time the move begins"},
};

const lc_family lc_shock_family = {
    "price.shock",
    "shape",
    "optional scripted move overlaid on any price model: its per-step log increments are "
    "added to the model's log-returns and sum to log(1 + size) over the window (0 for a dip)",
    shock_shapes,
    LC_COUNT(shock_shapes),
    shock_common,
    LC_COUNT(shock_common),
    NULL,
};

double lc_shock_log_move(const lc_choice *c, const double *common, double t_s)
{
    const lc_shock_shape *s = (const lc_shock_shape *)(const void *)c->desc;
    double g = s->profile(c->p, t_s - common[LC_SHOCK_START]);
    return g == 0 ? 0 : log1p(common[LC_SHOCK_SIZE]) * g;
}

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
 * removed (gbm, sigma 0) the price at the end of the window is s0·(1 + size).
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
 * whole move in the step that ends first after start). */
#include "models/model.h"

#include <math.h>

enum { DURATION, RATE };

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

/* the first member is the default shape */
static const lc_desc *const shock_shapes[] = {&shock_linear.d, &shock_exp.d, &shock_step.d};

static const lc_param shock_common[] = {
    [LC_SHOCK_SIZE] = {"size", "1", LC_REAL, LC_REQUIRED, -1, 1e6, 1, 0,
                       "total simple return of the move (-0.15: the price falls 15%)"},
    [LC_SHOCK_START] = {"start", "s", LC_REAL, LC_REQUIRED, 0, 1e300, 0, 0, "time the move begins"},
};

const lc_family lc_shock_family = {
    "price.shock",
    "shape",
    "optional scripted move overlaid on any price model: its per-step log increments are "
    "added to the model's log-returns and sum to log(1 + size) over the window",
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

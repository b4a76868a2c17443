/* market.c — one market's price, impact and mark through a run (market.h). */
#include "market/market.h"

#include <math.h>
#include <stdlib.h>

static void *state_of(size_t size)
{
    return calloc(1, size ? size : 1);
}

int lc_market_init(lc_market *m, const lc_scenario *sc, int k)
{
    const lc_market_spec *ms = &sc->market[k];
    *m = (lc_market){.sc = sc,
                     .ms = ms,
                     .pm = lc_price_model_of(ms->price.desc),
                     .im = lc_impact_model_of(ms->impact.desc),
                     .mm = lc_mark_model_of(ms->mark.desc)};
    m->price_state = state_of(m->pm->state_size);
    m->impact_state = state_of(m->im->state_size);
    m->mark_state = state_of(m->mm->state_size);
    double half_life = ms->impact_common[LC_IMPACT_HALF_LIFE];
    /* transient impact left after one step; half_life 0: none */
    m->decay = half_life > 0 ? exp2(-sc->dt_s / half_life) : 0.0;
    m->perm = ms->impact_common[LC_IMPACT_PERMANENT];
    m->withdrawal = ms->impact_common[LC_IMPACT_WITHDRAWAL];
    m->vol_keep = exp2(-sc->dt_s / ms->impact_common[LC_IMPACT_VOL_HALF_LIFE]);
    double sigma_ref = ms->impact_common[LC_IMPACT_SIGMA_REF];
    m->var_ref = sigma_ref * sigma_ref * (sc->dt_s / LC_YEAR_S);
    m->mark_live = m->mm->live;
    if (!(m->price_state && m->impact_state && m->mark_state)) {
        lc_market_release(m);
        return -1;
    }
    return 0;
}

void lc_market_release(lc_market *m)
{
    free(m->price_state);
    free(m->impact_state);
    free(m->mark_state);
    m->price_state = m->impact_state = m->mark_state = NULL;
}

void lc_market_start(lc_market *m)
{
    const lc_scenario *sc = m->sc;
    const lc_market_spec *ms = m->ms;
    double s0 = ms->price_common[LC_PRICE_S0];
    m->pm->init(m->price_state, ms->price.p, s0, sc->dt_s, ms->price_data);
    if (m->im->init)
        m->im->init(m->impact_state, ms->impact.p, s0, sc->dt_s);
    double mark0 = m->mm->init(m->mark_state, ms->mark.p, s0, sc->dt_s);
    m->log_f = log(s0);
    m->j_perm = m->j_trans = 0;
    m->p = m->f = exp(m->log_f);
    m->mark = mark0;
    m->depth = 1.0;
    m->shock_prev = 0;
    m->log_p = m->log_f;
    m->var = m->var_ref;
}

double lc_market_step(lc_market *m, long t, const lc_draws *d)
{
    const lc_market_spec *ms = m->ms;
    double ret = m->pm->step(m->price_state, ms->price.p, t, d);
    if (ms->shock.desc) { /* deterministic overlay: its increments telescope */
        double x = lc_shock_log_move(&ms->shock, ms->shock_common, (double)t * m->sc->dt_s);
        ret += x - m->shock_prev;
        m->shock_prev = x;
    }
    m->log_f += ret + (m->pm->jumps == LC_JUMPS_ADDED ? d->jump : 0.0);
    m->j_trans *= m->decay;
    m->f = exp(m->log_f);
    /* one exp while the book has not been moved: log F + 0 + 0 is log F
     * exactly, so this is the same number as the general form */
    m->p = m->j_perm == 0 && m->j_trans == 0 ? m->f : exp(m->log_f + m->j_perm + m->j_trans);
    if (!m->mark_live) /* the oracle's one sample of the step */
        m->mark = m->mm->sample(m->mark_state, ms->mark.p, t, m->p);
    return m->f;
}

int lc_market_trade(lc_market *m, double n_base, double *vwap)
{
    double x;
    double dj = m->im->apply(m->impact_state, m->ms->impact.p, n_base / m->depth, m->p, &x);
    if (!isfinite(dj) || !isfinite(x))
        return -1;
    m->j_perm += m->perm * dj;
    m->j_trans += (1.0 - m->perm) * dj;
    *vwap = x;
    return 0;
}

int lc_market_quote(const lc_market *m, double n_base, double *vwap)
{
    /* every impact model's apply reads its state, never writes it */
    double dj = m->im->apply(m->impact_state, m->ms->impact.p, n_base / m->depth, m->p, vwap);
    return isfinite(dj) && isfinite(*vwap) ? 0 : -1;
}

double lc_market_reprice(lc_market *m)
{
    return m->p = exp(m->log_f + m->j_perm + m->j_trans);
}

void lc_market_end_step(lc_market *m)
{
    if (!(m->withdrawal > 0))
        return;
    double lp = m->log_f + m->j_perm + m->j_trans, ret = lp - m->log_p; /* the step's */
    m->log_p = lp;
    m->var = m->vol_keep * m->var + (1.0 - m->vol_keep) * ret * ret;
    m->depth = 1.0 / (1.0 + m->withdrawal * fmax(0.0, sqrt(m->var / m->var_ref) - 1.0));
}

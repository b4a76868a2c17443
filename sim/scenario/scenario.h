/* scenario.h — a resolved, validated scenario (DESIGN §10).
 *
 * lc_scenario_load() reads a YAML file with libyaml's document loader (every
 * node keeps its line), applies --set overrides, checks every key against the
 * parameter tables (type, range, unknown keys with "did you mean"), applies
 * defaults and fills an lc_scenario. After that the struct is plain,
 * immutable data shared read-only by every run. */
#ifndef LC_SCENARIO_H
#define LC_SCENARIO_H

#include <stdint.h>

#include "base/error.h"
#include "market/limits.h"
#include "models/model.h"
#include "venue/rule.h"
#include "venue/venue.h"

#define LC_MAX_TIERS 32

typedef enum lc_series_id {
    LC_SERIES_PRICE,
    LC_SERIES_FUNDAMENTAL,
    LC_SERIES_LIQ_LONG,
    LC_SERIES_LIQ_SHORT,
    LC_SERIES_INSURANCE,
    LC_SERIES_OI,
    LC_SERIES_MARK,
    LC_SERIES_N
} lc_series_id;

/* One market of a run (DESIGN §12): its price model (and shock overlay),
 * impact model, mark oracle and the tiers of the perpetuals on it. A v1
 * scenario (top-level price and impact, venue.tiers, venue.mark) is one
 * market named "market". */
#define LC_MARKET_NAME_MAX 32
typedef struct lc_market_spec {
    char name[LC_MARKET_NAME_MAX];
    /* price: model choice + common keys (price.s0) */
    lc_choice price;
    double price_common[LC_MAX_PARAMS];
    void *price_data; /* what the model's prepare() built (a returns file, pins); or NULL */
    /* price.shock: overlay (shape + size, start); shock.desc NULL when absent */
    lc_choice shock;
    double shock_common[LC_MAX_PARAMS];
    /* impact: model choice + common keys (permanent, half_life) */
    lc_choice impact;
    double impact_common[LC_MAX_PARAMS];
    lc_choice mark;              /* mark-price model (lc_mark_model) and its parameters */
    lc_tier tiers[LC_MAX_TIERS]; /* increasing up_to; cum filled by continuity */
    int ntiers;
    double mmr_max; /* the highest tier rate: the slope bound of maintenance */
    /* the log-size of this market's move at a common jump: N(mean, sigma²) */
    double jump_mean, jump_sigma;
    double weight; /* share of drawn accounts trading it (population.markets), sums to 1 */
    /* what one unit of its asset counts for as collateral of an account that
     * spans markets, as a fraction of its mark (a haircut of 1 − rate) */
    double collateral_rate;
    /* as collateral or debt of a lending CDP (markets[k].lending, DESIGN
     * §14; its oracle is the market's mark): the liquidation threshold (a
     * unit of it counts lt·mark toward the health factor; 0: not accepted as
     * collateral), the borrowing limit of drawn CDPs (ltv ≤ lt; 0: lt) and
     * the liquidation bonus (Aave: seized = repaid·(1 + bonus); Compound
     * III: 1 − liquidationFactor) */
    double lt, ltv, bonus;
    /* the same in Aave's efficiency mode (markets[k].lending.emode): for
     * CDPs in the scenario's one eMode category, whose collateral in this
     * asset counts emode_lt (and pays emode_bonus) instead; the asset is in
     * the category when emode_lt > 0 */
    double emode_lt, emode_ltv, emode_bonus;
    /* the lending protocols' oracle of this asset (markets[k].lending.oracle):
     * oracle_rate × the mark of market oracle_of (an exchange-rate oracle:
     * Aave's wstETH = stETH per wstETH × ETH/USD), or, oracle_of = -1, the
     * market's own mark. Perpetuals are marked by the market's mark either way. */
    int oracle_of;
    double oracle_rate;
} lc_market_spec;

/* The margin model of an account (DESIGN §13, venue/margin.h): isolated
 * (one position, its own quote collateral), cross (one account value
 * against the maintenance of every position), portfolio (Binance's
 * uniMMR: liquidated at E/R <= venue.uni_mmr) or cdp (a lending position:
 * collateral and debts, liquidated at health factor <= 1 by the protocol
 * venue.lending names, DESIGN §14). */
typedef enum lc_margin_kind {
    LC_MARGIN_ISOLATED,
    LC_MARGIN_CROSS,
    LC_MARGIN_PORTFOLIO,
    LC_MARGIN_CDP,
    LC_MARGIN_NKINDS
} lc_margin_kind;
extern const char *const lc_margin_kinds[LC_MARGIN_NKINDS];

/* The lending protocol that liquidates the CDPs of a run (venue.lending):
 * each is a venue rule (venue/aave.c, compound.c, maker.c, liquity.c). */
typedef enum lc_lending {
    LC_LENDING_NONE,
    LC_LENDING_AAVE,
    LC_LENDING_COMPOUND,
    LC_LENDING_MAKER,
    LC_LENDING_LIQUITY,
    LC_LENDING_N
} lc_lending;
extern const char *const lc_lending_protocols[LC_LENDING_N];

/* One kind of drawn account (population.kinds.<margin>): its share of the
 * accounts, how many positions it holds (each in a different market) and
 * how its collateral is split by value at s0 among the markets' assets (the
 * rest is quote). */
typedef struct lc_account_kind {
    double weight; /* normalised over the kinds given; 0: none of this kind */
    long positions_min, positions_max;
    double collateral[LC_MAX_MARKETS];
    /* cdp: the asset it borrows (LC_QUOTE, -1, or a market), -2 when drawn
     * per account by debt_share (index asset + 1: 0 quote), summing to 1 */
    int debt;
    double debt_share[LC_MAX_MARKETS + 1];
    /* cdp: the share of drawn CDPs in the eMode category (venue.lending aave) */
    double emode;
    /* its own notional and leverage distributions (desc NULL: the
     * population's) */
    lc_choice notional, leverage;
} lc_account_kind;

/* How the markets' standard innovations are tied (correlation:, DESIGN §12):
 * a correlation matrix (its Cholesky factor kept), a Gaussian or Student-t
 * copula, an optional stress matrix entered and left by a two-state Markov
 * chain (rates per year) or in a scripted window, and common jumps. */
typedef enum { LC_COPULA_GAUSSIAN, LC_COPULA_T } lc_copula;
typedef enum { LC_STRESS_NONE, LC_STRESS_MARKOV, LC_STRESS_WINDOW } lc_stress_kind;
typedef struct lc_correlation {
    lc_copula copula;
    double nu; /* t copula's degrees of freedom */
    double matrix[LC_MAX_MARKETS * LC_MAX_MARKETS], chol[LC_MAX_MARKETS * LC_MAX_MARKETS];
    lc_stress_kind stress;
    double stress_matrix[LC_MAX_MARKETS * LC_MAX_MARKETS];
    double stress_chol[LC_MAX_MARKETS * LC_MAX_MARKETS];
    double enter, exit; /* Markov: rates into and out of stress, 1/yr */
    double start, end;  /* window: step t is stressed when start <= (t − 1)·dt < end, s */
    double jump_rate;   /* common jumps, 1/yr (0: none) */
} lc_correlation;

/* simulation.rare (DESIGN §15): how the runs are drawn for rare events.
 * tilt: importance sampling. Market k's standard innovation is drawn from
 * N(theta[k], 1) (with several markets, the correlated Gaussian y_k of
 * market/innovations.h has mean theta[k], and an untilted market's mean
 * moves by its regression on the tilted ones'), the jump counts of the tilted
 * markets' models and of the common jumps from kappa times their rate; each
 * run's likelihood ratio goes to /runs/weight. theta: auto chooses theta by
 * the cross-entropy method (engine/pilot.h) for the target event
 * score >= level before the runs. split: fixed-effort multilevel
 * splitting on the levels of a score (engine/split.h); its runs are the
 * trajectories it leaves, weighted, in replicates. */
typedef enum { LC_RARE_NONE, LC_RARE_TILT, LC_RARE_SPLIT, LC_RARE_N } lc_rare_method;
#define LC_SPLIT_MAX_LEVELS 32
typedef enum {
    LC_SCORE_DRAWDOWN,
    LC_SCORE_FUND_USED,
    LC_SCORE_BAD_DEBT,
    LC_SCORE_FALL, /* market 0's fall from s0, 1 − price_min/s0 */
    LC_SCORE_N
} lc_rare_score;
extern const char *const lc_rare_methods[LC_RARE_N];
extern const char *const lc_rare_scores[LC_SCORE_N];
typedef struct lc_rare {
    lc_rare_method method;
    double theta[LC_MAX_MARKETS]; /* per market (0: untilted) */
    int tilted[LC_MAX_MARKETS];   /* market k is one of rare.markets (default: all) */
    double kappa;                 /* rare.jumps: jump-intensity multiplier (1: untilted) */
    long tilt_steps;              /* rare.steps: the first steps tilted (>= steps: all of them) */
    int pilot;                    /* theta: auto */
    lc_rare_score score;          /* the target event: score >= level */
    double level;
    long pilot_runs, pilot_iterations;
    double pilot_quantile; /* the elite fraction rho of each iteration */
    /* split (engine/split.h): the levels of score, the last the target's */
    double levels[LC_SPLIT_MAX_LEVELS];
    int nlevels;
    int auto_levels; /* levels: auto — a pilot chooses them up to `level` (engine/split.h) */
    long effort, replicates; /* trajectories a level in each replicate; replicates */
} lc_rare;

typedef struct lc_scenario {
    char *path; /* file it was read from, for messages */
    char *text; /* the file's text as given (stored in /scenario) */

    /* simulation */
    long runs;
    long steps;
    double dt_s;
    uint64_t seed;
    long max_rounds;
    lc_rare rare;

    /* markets: market[0 .. nmarkets-1]; v1: the scenario was written in the
     * one-market form (top-level price and impact, venue.tiers, venue.mark) */
    int nmarkets, v1;
    lc_market_spec *market;
    lc_correlation corr; /* used when nmarkets > 1 */

    /* population: drawn (accounts > 0, no file) or read from file */
    long accounts;
    double long_fraction;
    long warmup; /* population.warmup: steps lived through before t = 0 (0: none) */
    lc_choice notional, leverage, entry;
    char *positions_file; /* NULL: draw; else CSV path, resolved against the scenario's folder */
    /* population.kinds, indexed by lc_margin_kind; nkinds 0: every account
     * isolated (drawn as before kinds existed) */
    lc_account_kind kind[LC_MARGIN_NKINDS];
    int nkinds;

    /* venue */
    double liquidation_fee; /* fraction of closed notional */
    double insurance_fund;  /* quote, at t = 0 */
    double uni_mmr;         /* portfolio margin: liquidated at E/R <= uni_mmr */
    lc_lending lending;     /* the protocol of the CDP accounts (venue.lending) */
    double tiers_scale;     /* venue.tiers_scale, 1 once applied to the tiers (scenario.c) */
    lc_rule_setting rules[LC_RULE_MAX]; /* each venue rule's settings, registry order */

    /* output */
    unsigned series_mask; /* bit i: series i is recorded */
    long every;           /* record every n-th step */
} lc_scenario;

/* Asset a's liquidation threshold, borrowing limit and liquidation bonus
 * for a CDP in (emode 1) or out of the eMode category. Aave v3.3
 * (aave-v3-origin GenericLogic.calculateUserAccountData and
 * LiquidationLogic.executeLiquidationCall): a position in category c counts
 * the category's liquidationThreshold, ltv and liquidationBonus for every
 * collateral in c's collateral bitmap, and the reserve's own for the rest. */
static inline int lc_lending_in_emode_(const lc_scenario *sc, int emode, int a)
{
    return emode && sc->market[a].emode_lt > 0;
}
static inline double lc_lending_lt(const lc_scenario *sc, int emode, int a)
{
    return lc_lending_in_emode_(sc, emode, a) ? sc->market[a].emode_lt : sc->market[a].lt;
}
static inline double lc_lending_ltv(const lc_scenario *sc, int emode, int a)
{
    return lc_lending_in_emode_(sc, emode, a) ? sc->market[a].emode_ltv : sc->market[a].ltv;
}
static inline double lc_lending_bonus(const lc_scenario *sc, int emode, int a)
{
    return lc_lending_in_emode_(sc, emode, a) ? sc->market[a].emode_bonus : sc->market[a].bonus;
}

/* The lending protocols' oracle of asset a (not LC_QUOTE): rate ×
 * the mark of market lc_lending_market (rate 1: its own mark). */
static inline int lc_lending_market(const lc_scenario *sc, int a)
{
    return a >= 0 && sc->market[a].oracle_of >= 0 ? sc->market[a].oracle_of : a;
}
static inline double lc_lending_rate(const lc_scenario *sc, int a)
{
    return sc->market[a].oracle_of >= 0 ? sc->market[a].oracle_rate : 1.0;
}
/* The protocols' price of asset a (LC_QUOTE: 1) at the markets' marks. */
static inline double lc_lending_price(const lc_scenario *sc, int a, const double *marks)
{
    return a < 0 ? 1.0 : lc_lending_rate(sc, a) * marks[lc_lending_market(sc, a)];
}

/* Market k's price at t = 0 (quote), and the tiers of perpetuals on it. */
static inline double lc_scenario_s0(const lc_scenario *sc, int k)
{
    return sc->market[k].price_common[LC_PRICE_S0];
}

/* The market named name, or -1. */
int lc_scenario_market_find(const lc_scenario *sc, const char *name);

/* Load path, apply the `sets` overrides ("key=value", value parsed as YAML;
 * "--opt key=value" is the same, with errors labelled by the option instead
 * of --set),
 * validate and resolve. On failure returns NULL with every error found in err. */
lc_scenario *lc_scenario_load(const char *path, const char *const *sets, int nsets, lc_error *err);

/* The same from text in memory (name is used in messages and as the base for
 * relative paths). */
lc_scenario *lc_scenario_parse(const char *name, const char *text, const char *const *sets,
                               int nsets, lc_error *err);

void lc_scenario_free(lc_scenario *sc);

/* The resolved scenario as YAML: every key with its value, defaults filled.
 * Loading this text gives the same scenario back. Caller frees. */
char *lc_scenario_resolved_yaml(const lc_scenario *sc);

/* Visit every resolved key as (dotted key, unit, values, count, is_list) or,
 * for names (models, distributions, enums), (dotted key, NULL, NULL, 0, 0,
 * text). is_list marks keys that hold a list whatever its length (tiers,
 * discrete values), so a one-element list stays a list. Used for the YAML
 * dump and the HDF5 attributes of /scenario_resolved. */
typedef void (*lc_scenario_visit_fn)(void *ctx, const char *key, const char *unit, const double *v,
                                     int n, int is_list, const char *text);
void lc_scenario_visit(const lc_scenario *sc, lc_scenario_visit_fn fn, void *ctx);

/* Number of recorded columns per series row: steps/every + 1 (t = 0 included). */
long lc_scenario_series_cols(const lc_scenario *sc);

/* Name, unit and description of each series (index lc_series_id). */
typedef struct lc_series_desc {
    const char *name;
    const char *units;
    const char *description;
    int per_market; /* one row per market ([row, market, time]); else the venue's [row, time] */
} lc_series_desc;
extern const lc_series_desc lc_series[LC_SERIES_N];

/* The fixed (non-model) keys of each section, for validation and docs. */
typedef struct lc_core_key {
    const char *section; /* "simulation", "population", "venue", "output" */
    lc_param p;
    size_t offset; /* into lc_scenario */
    char ctype;    /* 'l' long, 'd' double, 'u' uint64_t */
} lc_core_key;
extern const lc_core_key lc_core_keys[];
extern const int lc_n_core_keys;
extern const lc_param lc_tier_params[]; /* up_to, mmr, max_leverage, cum */
extern const int lc_n_tier_params;
extern const lc_family lc_mark_family; /* venue.mark */
/* The keys of markets[k].common_jump (mean, sigma), correlation (rho, nu; copula
 * one of lc_copulas), correlation.stress (enter, exit, start, end; its rho or
 * matrix as correlation's) and correlation.common_jumps.rate. */
extern const lc_param lc_common_jump_params[2];
extern const lc_param lc_correlation_params[];
extern const int lc_n_correlation_params;
extern const char *const lc_copulas[2];
extern const lc_param lc_stress_params[];
extern const int lc_n_stress_params;
extern const lc_param lc_common_jumps_rate;
/* The keys of population.kinds.<margin> (weight, positions_min,
 * positions_max; collateral is a map of market name to share) and
 * markets[k].collateral_rate. */
extern const lc_param lc_kind_params[];
extern const int lc_n_kind_params;
extern const lc_param lc_collateral_rate_param;
/* The keys of markets[k].lending (lt, ltv, bonus). */
extern const lc_param lc_lending_params[];
extern const int lc_n_lending_params;

/* The value of a rule's numeric key, or the name a name-valued key holds
 * (e.g. ("partial", "cooldown"), ("adl", "adl_ranking")); NAN / NULL if none. */
double lc_scenario_rule_number(const lc_scenario *sc, const char *rule, const char *key);
const char *lc_scenario_rule_name(const lc_scenario *sc, const char *rule, const char *key);

#endif

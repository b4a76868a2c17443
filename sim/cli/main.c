/* main.c — the command line (DESIGN §9). The only code that prints errors and
 * chooses exit codes: 0 ok, 1 runtime failure, 2 bad usage or scenario,
 * 130 interrupted (the completed runs are kept, status=interrupted). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/catalog.h"
#include "cli/info.h"
#include "cli/progress.h"
#include "cli/map.h"
#include "cli/search.h"
#include "engine/finder.h"
#include "lc_commit.h" /* LC_GIT_COMMIT */
#include "out/metrics.h"
#include "book/population.h"
#include "engine/ranks.h"
#include "engine/pilot.h"
#include "engine/split.h"
#include "engine/runner.h"
#include "engine/warmup.h"
#include "scenario/scenario.h"
#include "cli/summary.h"
#include "scenario/sweep.h"
#include "market/market.h"
#include "out/writer.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t stop_requested;
/* The .partial being written (empty: none), for a second signal to remove. */
static char partial_path[4096];

/* The first SIGINT or SIGTERM stops the work (the completed runs are kept);
 * a second, of either kind, removes the .partial and ends the process by
 * that signal, at once. Only async-signal-safe calls. In a job of several
 * ranks a second signal is no request: Ctrl-C reaches the ranks as SIGINT
 * and then, from mpirun, as SIGTERM (and mpirun's SIGKILL follows anyway). */
static void on_signal(int sig)
{
    if (stop_requested && lc_ranks() == 1) { /* lc_ranks reads a static int */
        if (partial_path[0])
            unlink(partial_path);
        signal(sig, SIG_DFL);
        raise(sig); /* delivered once the handler returns: the signal is blocked in it */
        return;
    }
    stop_requested = 1;
}

static const char *const main_help =
    "liqcascade %s — Monte Carlo liquidation-cascade simulator\n"
    "\n"
    "usage:\n"
    "  liqcascade run SCENARIO [-o OUT.h5] [options]   simulate, write one HDF5 file\n"
    "  liqcascade sweep SCENARIO --vary key=v1,v2,...  the same runs at every point of a grid\n"
    "  liqcascade validate SCENARIO [--set key=value]  print the resolved scenario, or the errors\n"
    "  liqcascade info OUT.h5                          what is in a result file\n"
    "  liqcascade map SCENARIO [-o DIR]                liquidation map and cascade curve\n"
    "  liqcascade search SCENARIO --key K --range A:B --metric M --at-most X\n"
    "                                                  where a metric crosses a level\n"
    "  liqcascade models [--markdown]                  every model, distribution and key\n"
    "  liqcascade report OUT.h5 [-o DIR]               the HTML report (analysis/, Python)\n"
    "\n"
    "`liqcascade COMMAND --help` explains each command. Scenario keys: docs/scenario.md;\n"
    "the HDF5 layout: docs/schema.md. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or\n"
    "scenario, 130 interrupted.\n"
    "\n"
    "On several machines: the MPI build (make mpi) runs run and sweep under mpirun or srun,\n"
    "the ranks sharing the runs, rank 0 writing the one file, the same as one process's\n"
    "(README, \"On a cluster\").\n";

static const char *const run_help =
    "usage: liqcascade run SCENARIO [-o OUT.h5] [options]\n"
    "\n"
    "Simulate every run of SCENARIO and write OUT.h5 (default: the scenario's name with .h5,\n"
    "in the current folder). The file is written as OUT.h5.partial and renamed when complete;\n"
    "a failed run leaves no OUT.h5. Ctrl-C stops early and keeps the completed runs\n"
    "(status=interrupted, exit 130); a second Ctrl-C quits at once, leaving nothing.\n"
    "Before the runs it warns when 1%% or more of the accounts had their leverage capped at\n"
    "their tier's max_leverage, when a side's open interest closed at once would fill beyond\n"
    "half (or 1.5x) of s0 (in a sweep, for each point), and, with --events, when the events\n"
    "may pass 1 GB; after them, when every run's cascade (of a point) hit\n"
    "simulation.max_rounds. -q silences them with the summary. Progress: on a terminal one line\n"
    "(runs, sweep point, rate, ETA) cut to its width; into a file or pipe a plain line\n"
    "every 10 s.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5    result file\n"
    "      --runs N           same as --set simulation.runs=N\n"
    "      --steps N          same as --set simulation.steps=N\n"
    "      --seed S           same as --set simulation.seed=S\n"
    "      --set key=value    override any scenario key, e.g. --set price.sigma=1.2,\n"
    "                         --set venue.tiers.0.mmr=0.005 (value is YAML: [a, b], {k: v});\n"
    "                         a market of a markets: list by its index: markets.1.price.sigma\n"
    "  -t, --threads T        OpenMP threads (default: all cores; under mpirun, of each rank);\n"
    "                         results do not depend on it, nor on the ranks\n"
    "      --engine E         index (default) or scan (checks every account: the slow oracle)\n"
    "      --batch N          runs computed per batch (default: about 8 MiB of series);\n"
    "                         bounds memory, never changes results\n"
    "      --max-memory SIZE  refuse to start when the estimate exceeds SIZE (e.g. 8G, 500M;\n"
    "                         default: the memory available, /proc/meminfo); docs/limits.md\n"
    "      --events           also write /events: every liquidation\n"
    "      --population       also write /population: every account\n"
    "  -f, --force            overwrite OUT.h5 if it exists\n"
    "  -q, --quiet            no progress line, summary or warnings\n"
    "      --json             also print the summary as JSON on stdout (every figure with\n"
    "                         its units, shares with 95%% intervals; docs/analysis.md)\n"
    "  -h, --help             this text\n";

static const char *const sweep_help =
    "usage: liqcascade sweep SCENARIO --vary key=v1,v2,... [--vary ...] [-o OUT.h5] [options]\n"
    "\n"
    "Run SCENARIO at every point of the grid of the varied keys (the cartesian product,\n"
    "first --vary varying slowest) and write one file: /points has a row per point with\n"
    "the values, /runs and /series a row per (point, run) with row = point x runs + run.\n"
    "Run r uses the same random numbers at every point (common random numbers), so the\n"
    "differences between points are the effect of the keys, not Monte Carlo noise.\n"
    "\n"
    "  --vary venue.liquidation_fee=0.005,0.01 --vary venue.tiers.0.mmr=0.004,0.005,0.006\n"
    "  --vary 'population.leverage={dist: fixed, value: 20},{dist: fixed, value: 50}'\n"
    "  --vary venue.tiers_scale=0.5:2:7           a:b:n: n values evenly from a to b\n"
    "  --vary markets.0.price.sigma=0.6:1.2:4 --vary markets.1.price.sigma=0.8:1.6:4\n"
    "      --zip markets.0.price.sigma,markets.1.price.sigma\n"
    "                                              --zip: the keys move together (4 points,\n"
    "                                              not 16); give each --zip its keys\n"
    "\n"
    "Values are YAML, split at commas outside brackets and quotes. Keys that shape the file\n"
    "(simulation.runs, steps, dt, seed; output) cannot vary. Points whose population keys\n"
    "agree share one population, drawn once; each distinct population is held in memory\n"
    "for the whole sweep (about 75 MB per million accounts). Every option of `run` applies (see\n"
    "liqcascade run --help); --population needs the same population at every point.\n";

static const char *const validate_help =
    "usage: liqcascade validate SCENARIO [--set key=value]...\n"
    "\n"
    "Check SCENARIO (and draw its population, which catches tier and entry errors), then\n"
    "print the resolved scenario: every key with the value a run would use. The output is\n"
    "itself a scenario that reproduces the run. On errors, print each as\n"
    "FILE:LINE: KEY: MESSAGE and exit 2.\n";

static const char *const info_help =
    "usage: liqcascade info OUT.h5 [--metrics | --paired] [--baseline B]\n"
    "\n"
    "Print what a result file holds: version and schema (v2, or v1 from before markets),\n"
    "status, size of the run, the markets, datasets with their units, a summary of every\n"
    "/runs column (per-market columns as a table by market), and the risk metrics of every\n"
    "sweep point with 95%% intervals: probabilities of bad debt, insurance depletion, ADL and\n"
    "cascades (Wilson), mean, 50/95/99%% quantiles (order-statistic intervals) and expected\n"
    "shortfall of bad debt, liquidated notional, drawdown, cascade rounds and amplification\n"
    "(definitions: docs/analysis.md).\n"
    "\n"
    "For a sweep it then prints the paired differences of every point against a baseline\n"
    "point: each run is the same market at every point (common random numbers), so the\n"
    "difference run by run isolates the keys' effect and its interval is far narrower than\n"
    "the points' own (Newcombe's interval for probabilities, the paired normal interval for\n"
    "means; quantiles get no interval).\n"
    "\n"
    "  --metrics      print only the metric table, as CSV (point,metric,value,lo,hi,n,units),\n"
    "                 the same table the Python package writes to metrics.csv\n"
    "  --paired       print only the paired differences, as CSV\n"
    "                 (point,baseline,metric,value,lo,hi,n,units), as the report's paired.csv\n"
    "  --baseline B   the point the differences are taken against (default 0)\n";

static const char *const search_help =
    "usage: liqcascade search SCENARIO --key K --range A:B --metric M (--at-most X | --at-least "
    "X)\n"
    "                         [--tol T] [--runs N] [--set key=value]... [--threads N]\n"
    "\n"
    "Find where metric M crosses level X as key K moves over [A, B]: e.g. the smallest\n"
    "maintenance rate with P(bad debt) <= 1%%:\n"
    "  liqcascade search scenarios/margin-study.yaml --key venue.tiers.0.mmr \\\n"
    "      --range 0.002:0.006 --metric p_bad_debt --at-most 0.01\n"
    "Bisection on common runs: every probe runs the same runs (the scenario's seed), so the\n"
    "metric is a function of K alone on that sample; probes halve the bracket until it is\n"
    "narrower than T (default |B - A|/64). Nothing is written: each probe prints K, the metric\n"
    "and its 95%% interval; the answer is the bracket on these runs, and, with sampling, the\n"
    "nearest probes whose whole interval lies on their side (the boundary is between them).\n"
    "M is any metric of `liqcascade info --metrics` but those needing --events\n"
    "(cascade_steps); docs/analysis.md defines them.\n";

static const char *const map_help =
    "usage: liqcascade map SCENARIO [-o DIR] [--shocks A:B:N] [--market NAME] [--bins N]\n"
    "                      [--width W] [--settle S] [--runaway R] [--set key=value]... [--force]\n"
    "\n"
    "Where leverage is at risk by price level, and what shocks do once the cascade has run.\n"
    "Writes into DIR (default: the scenario's name with -map), each file complete or absent:\n"
    "  liquidation_map.csv  per market and side, isolated accounts' notional at their\n"
    "                       liquidation price (|q| x P_liq, quote) in N price bins (default\n"
    "                       120) over s0 x [1 - W, 1 + W] (default W 0.3): the CoinGlass map\n"
    "  cascade_map.csv      per shock x of the grid (default -0.3:-0.01:30): the scenario's\n"
    "                       population, venue and impact on a deterministic path (every market\n"
    "                       flat at s0, the shocked one moved by x in one step, then S flat\n"
    "                       steps, default 0): the price at the end, liquidated notional and\n"
    "                       accounts, cascade rounds, bad debt, and the amplification\n"
    "                       log(P_end/s0)/log(1 + x) (1: no cascade)\n"
    "  liquidation_map.png, amplification.png  the figures (Python; --no-figures skips them)\n"
    "and prints the map's notional within 1%%, 5%%, 10%% of s0 and the critical shock: the\n"
    "smallest of the grid whose amplification reaches R (default 2), on each side.\n"
    "Accounts that span markets have no one liquidation price and are left out of the map\n"
    "(not of the cascade). docs/analysis.md says how to read both.\n";

static const char *const report_help =
    "usage: liqcascade report OUT.h5 [-o DIR] [--point P] [--metric M]... [--dpi N] [--force]\n"
    "\n"
    "Write the HTML report of a result file (DIR/index.html, metrics.csv, the figures):\n"
    "runs the Python package's report, `python3 -m liqcascade.report` with these\n"
    "arguments, using the package of this build's source tree (%s) ahead of any\n"
    "installed one. The interpreter is $LIQCASCADE_PYTHON, else /usr/bin/python3 (Debian's,\n"
    "with python3-h5py, -numpy, -pandas, -matplotlib). docs/analysis.md says what it shows.\n"
    "Files already in DIR under the report's names are replaced only with --force.\n";

static const char *const models_help =
    "usage: liqcascade models [--markdown]\n"
    "\n"
    "Print every price and impact model, population distribution and scenario key with\n"
    "its unit, default, allowed range and meaning, from the tables the validator uses.\n"
    "--markdown prints docs/models.md.\n";

typedef struct cli {
    const char *scenario, *out;
    const char **sets;
    int nsets;
    const char **vary; /* sweep: the --vary arguments */
    int nvary;
    const char **zip; /* sweep: the --zip arguments */
    int nzip;
    int threads, events, population, force, quiet, markdown, metrics, json;
    int paired; /* info --paired: the paired differences as CSV */
    /* search: --key, --range, --metric, --at-most/--at-least, --tol */
    const char *key, *metric;
    double from, to, level, tol;
    int has_range, has_level, at_least;
    /* map: --shocks (from, to, nshocks), --market, --bins, --width, --settle, --runaway */
    long nshocks, bins, settle;
    const char *market;
    double width, runaway;
    int no_figures;
    long baseline; /* info --baseline: the point they are taken against */
    long batch;
    double max_memory; /* --max-memory, bytes; 0: what the system has available */
    double budget;     /* the memory budget (read_budget): bytes, 0 when unknown */
    const char *budget_source;
    lc_engine_kind engine;
    const char *argv0; /* how the user called us, for the "next:" hint */
    char *command;     /* the whole command line, shell-quoted (/ attribute `command`) */
    char *owned[32];   /* --set strings built from --runs/--steps/--seed */
    int nowned;
} cli;

/* argv as one line a shell reads back to the same words: the program by its
 * base name, each other word in single quotes when it holds anything beyond
 * [A-Za-z0-9_./:=,+@%-]. NULL when out of memory. */
static char *command_line(int argc, char **argv)
{
    size_t size = 1;
    for (int i = 0; i < argc; i++)
        size += 4 * strlen(argv[i]) + 3;
    char *s = malloc(size), *at = s;
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (i == 0) {
            const char *slash = strrchr(w, '/');
            w = slash ? slash + 1 : w;
        }
        int plain = *w != 0;
        for (const char *q = w; *q && plain; q++)
            plain = isalnum((unsigned char)*q) || strchr("_./:=,+@%-", *q);
        if (i)
            *at++ = ' ';
        if (plain) {
            at = stpcpy(at, w);
            continue;
        }
        *at++ = '\'';
        for (const char *q = w; *q; q++) {
            if (*q == '\'')
                at = stpcpy(at, "'\\''"); /* end the quote, a quoted ', quote again */
            else
                *at++ = *q;
        }
        *at++ = '\'';
    }
    *at = 0;
    return s;
}

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "liqcascade %s: %s\n(see: liqcascade %s --help)\n", cmd, msg, cmd);
    return EXIT_USAGE;
}

static int add_set(cli *c, const char *s)
{
    const char **v = realloc(c->sets, (size_t)(c->nsets + 1) * sizeof *v);
    if (!v)
        return -1;
    c->sets = v;
    c->sets[c->nsets++] = s;
    return 0;
}

/* "8G", "500M", "1.5T", "4096": bytes (K, M, G, T: powers of 1024; an
 * optional "iB" or "B" after them). */
static int parse_size(const char *s, double *bytes)
{
    if ((!isdigit((unsigned char)s[0]) && s[0] != '.') || strpbrk(s, "xX")) /* no sign, hex, inf */
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0) || !isfinite(v) || (end[0] == 'x' || end[0] == 'X'))
        return -1;
    const char *units = "KMGT", *u = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (*end && !u)
        return -1;
    if (u) {
        v *= pow(1024, (double)(u - units + 1));
        end++;
        if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
            end += strlen(end);
    }
    if (*end || v > 1e18)
        return -1;
    *bytes = v;
    return 0;
}

/* Parse options of a subcommand; returns -1 to continue, else an exit code. */
static int parse(int argc, char **argv, const char *cmd, const char *help, cli *c)
{
    enum {
        O_RUNS = 256,
        O_STEPS,
        O_SEED,
        O_SET,
        O_ENGINE,
        O_EVENTS,
        O_POP,
        O_MD,
        O_BATCH,
        O_VARY,
        O_METRICS,
        O_MAXMEM,
        O_ZIP,
        O_JSON,
        O_PAIRED,
        O_BASELINE,
        O_KEY,
        O_RANGE,
        O_METRIC,
        O_AT_MOST,
        O_AT_LEAST,
        O_TOL,
        O_SHOCKS,
        O_MARKET,
        O_BINS,
        O_WIDTH,
        O_SETTLE,
        O_RUNAWAY,
        O_NO_FIGURES
    };
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"threads", required_argument, 0, 't'},
                                         {"force", no_argument, 0, 'f'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {"runs", required_argument, 0, O_RUNS},
                                         {"steps", required_argument, 0, O_STEPS},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"set", required_argument, 0, O_SET},
                                         {"engine", required_argument, 0, O_ENGINE},
                                         {"events", no_argument, 0, O_EVENTS},
                                         {"population", no_argument, 0, O_POP},
                                         {"markdown", no_argument, 0, O_MD},
                                         {"batch", required_argument, 0, O_BATCH},
                                         {"vary", required_argument, 0, O_VARY},
                                         {"zip", required_argument, 0, O_ZIP},
                                         {"metrics", no_argument, 0, O_METRICS},
                                         {"paired", no_argument, 0, O_PAIRED},
                                         {"baseline", required_argument, 0, O_BASELINE},
                                         {"key", required_argument, 0, O_KEY},
                                         {"range", required_argument, 0, O_RANGE},
                                         {"metric", required_argument, 0, O_METRIC},
                                         {"at-most", required_argument, 0, O_AT_MOST},
                                         {"at-least", required_argument, 0, O_AT_LEAST},
                                         {"tol", required_argument, 0, O_TOL},
                                         {"shocks", required_argument, 0, O_SHOCKS},
                                         {"market", required_argument, 0, O_MARKET},
                                         {"bins", required_argument, 0, O_BINS},
                                         {"width", required_argument, 0, O_WIDTH},
                                         {"settle", required_argument, 0, O_SETTLE},
                                         {"runaway", required_argument, 0, O_RUNAWAY},
                                         {"no-figures", no_argument, 0, O_NO_FIGURES},
                                         {"max-memory", required_argument, 0, O_MAXMEM},
                                         {"json", no_argument, 0, O_JSON},
                                         {0, 0, 0, 0}};
    int is_run = strcmp(cmd, "run") == 0 || strcmp(cmd, "sweep") == 0;
    int is_search = strcmp(cmd, "search") == 0;
    int is_map = strcmp(cmd, "map") == 0;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":o:t:fqh", opts, NULL)) != -1;) {
        const char *bad = NULL;
        switch (ch) {
        case 'h':
            printf(help, LC_VERSION);
            return 0;
        case 'o':
            c->out = optarg;
            bad = is_run || is_map ? NULL : "-o";
            break;
        case 't': {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 4096)
                return usage_error(cmd, "--threads takes a whole number from 1 to 4096");
            c->threads = (int)t;
            bad = is_run || is_search || is_map ? NULL : "--threads";
            break;
        }
        case O_BATCH: {
            char *end;
            long b = strtol(optarg, &end, 10);
            if (*end || b < 1 || b > 1L << 30)
                return usage_error(cmd, "--batch takes a whole number of runs, at least 1");
            c->batch = b;
            bad = is_run ? NULL : "--batch";
            break;
        }
        case O_MAXMEM:
            if (parse_size(optarg, &c->max_memory))
                return usage_error(cmd, "--max-memory takes a size in bytes (up to 1e18) with an "
                                        "optional K, M, G or T (powers of 1024), e.g. 8G");
            bad = is_run || strcmp(cmd, "validate") == 0 ? NULL : "--max-memory";
            break;
        case 'f':
            c->force = 1;
            bad = is_run || is_map ? NULL : "--force";
            break;
        case 'q':
            c->quiet = 1;
            bad = is_run ? NULL : "--quiet";
            break;
        case O_EVENTS:
            c->events = 1;
            bad = is_run ? NULL : "--events";
            break;
        case O_POP:
            c->population = 1;
            bad = is_run ? NULL : "--population";
            break;
        case O_JSON:
            c->json = 1;
            bad = is_run ? NULL : "--json";
            break;
        case O_METRICS:
            c->metrics = 1;
            bad = strcmp(cmd, "info") == 0 ? NULL : "--metrics";
            break;
        case O_KEY:
            c->key = optarg;
            bad = is_search ? NULL : "--key";
            break;
        case O_METRIC:
            c->metric = optarg;
            bad = is_search ? NULL : "--metric";
            break;
        case O_RANGE: {
            char *end, *colon = strchr(optarg, ':');
            c->from = colon ? strtod(optarg, &end) : NAN;
            int ok = colon && end == colon;
            c->to = ok ? strtod(colon + 1, &end) : NAN;
            if (!ok || *end || colon[1] == 0 || !isfinite(c->from) || !isfinite(c->to) ||
                c->from == c->to)
                return usage_error(cmd, "--range takes two different numbers A:B, e.g. 0.002:0.02");
            c->has_range = 1;
            bad = is_search ? NULL : "--range";
            break;
        }
        case O_AT_MOST:
        case O_AT_LEAST:
        case O_TOL: {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || !*optarg || !isfinite(v) || (ch == O_TOL && !(v > 0)))
                return usage_error(cmd, ch == O_TOL ? "--tol takes a positive number"
                                                    : "--at-most/--at-least take a number");
            if (ch == O_TOL)
                c->tol = v;
            else {
                if (c->has_level)
                    return usage_error(cmd, "give one of --at-most and --at-least, once");
                c->level = v;
                c->has_level = 1;
                c->at_least = ch == O_AT_LEAST;
            }
            bad = is_search         ? NULL
                  : ch == O_TOL     ? "--tol"
                  : ch == O_AT_MOST ? "--at-most"
                                    : "--at-least";
            break;
        }
        case O_SHOCKS: {
            char *end, *c1 = strchr(optarg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            c->from = c1 ? strtod(optarg, &end) : NAN;
            int ok = c1 && c2 && end == c1;
            c->to = ok ? strtod(c1 + 1, &end) : NAN;
            ok = ok && end == c2;
            long n = ok ? strtol(c2 + 1, &end, 10) : 0;
            if (!ok || *end || !c2[1] || !(c->from > -1 && c->to > -1) || !isfinite(c->from) ||
                !isfinite(c->to) || n < 1 || n > 100000 || (n > 1 && c->from == c->to))
                return usage_error(cmd,
                                   "--shocks takes A:B:N, N shocks from A to B (simple returns "
                                   "> -1), e.g. -0.3:-0.01:30");
            c->nshocks = n;
            bad = is_map ? NULL : "--shocks";
            break;
        }
        case O_MARKET:
            c->market = optarg;
            bad = is_map ? NULL : "--market";
            break;
        case O_NO_FIGURES:
            c->no_figures = 1;
            bad = is_map ? NULL : "--no-figures";
            break;
        case O_BINS:
        case O_SETTLE: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || !*optarg || v < (ch == O_BINS ? 1 : 0) || v > 1000000)
                return usage_error(cmd, ch == O_BINS ? "--bins takes a whole number from 1"
                                                     : "--settle takes a whole number of steps");
            *(ch == O_BINS ? &c->bins : &c->settle) = v;
            bad = is_map ? NULL : ch == O_BINS ? "--bins" : "--settle";
            break;
        }
        case O_WIDTH:
        case O_RUNAWAY: {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || !*optarg || !(ch == O_WIDTH ? v > 0 && v <= 1 : v > 1 && isfinite(v)))
                return usage_error(cmd, ch == O_WIDTH ? "--width takes a number in (0, 1]"
                                                      : "--runaway takes a factor above 1");
            *(ch == O_WIDTH ? &c->width : &c->runaway) = v;
            bad = is_map ? NULL : ch == O_WIDTH ? "--width" : "--runaway";
            break;
        }
        case O_PAIRED:
            c->paired = 1;
            bad = strcmp(cmd, "info") == 0 ? NULL : "--paired";
            break;
        case O_BASELINE: {
            char *end;
            long b = strtol(optarg, &end, 10);
            if (*end || !*optarg || b < 0 || b > 1L << 40)
                return usage_error(cmd, "--baseline takes a point's index (0, 1, ...)");
            c->baseline = b;
            bad = strcmp(cmd, "info") == 0 ? NULL : "--baseline";
            break;
        }
        case O_MD:
            c->markdown = 1;
            bad = strcmp(cmd, "models") == 0 ? NULL : "--markdown";
            break;
        case O_ENGINE:
            c->engine = lc_finder_kind(optarg);
            is_run |= is_search || is_map; /* --engine applies to these too */
            if (c->engine == LC_ENGINE_NKINDS)
                return usage_error(cmd, "--engine is index or scan");
            bad = is_run ? NULL : "--engine";
            break;
        case O_RUNS:
        case O_STEPS:
        case O_SEED: {
            const char *key = ch == O_RUNS    ? "simulation.runs"
                              : ch == O_STEPS ? "simulation.steps"
                                              : "simulation.seed";
            size_t len = strlen(key) + strlen(optarg) + 2;
            if (c->nowned == LC_COUNT(c->owned))
                return usage_error(cmd, "too many --runs/--steps/--seed options");
            char *s = malloc(len);
            if (!s || add_set(c, s)) {
                free(s);
                return EXIT_RUNTIME;
            }
            snprintf(s, len, "%s=%s", key, optarg);
            c->owned[c->nowned++] = s;
            bad = strcmp(cmd, "info") == 0 || strcmp(cmd, "models") == 0 ? "--runs/--steps/--seed"
                                                                         : NULL;
            break;
        }
        case O_VARY:
        case O_ZIP: {
            const char ***list = ch == O_VARY ? &c->vary : &c->zip;
            int *n = ch == O_VARY ? &c->nvary : &c->nzip;
            const char **v = realloc(*list, (size_t)(*n + 1) * sizeof *v);
            if (!v)
                return EXIT_RUNTIME;
            *list = v;
            v[(*n)++] = optarg;
            bad = strcmp(cmd, "sweep") == 0 ? NULL : ch == O_VARY ? "--vary" : "--zip";
            break;
        }
        case O_SET:
            if (add_set(c, optarg))
                return EXIT_RUNTIME;
            bad = strcmp(cmd, "info") == 0 || strcmp(cmd, "models") == 0 ? "--set" : NULL;
            break;
        case ':': {
            char msg[128];
            snprintf(msg, sizeof msg, "%s needs a value", argv[optind - 1]);
            return usage_error(cmd, msg);
        }
        default: {
            char msg[128];
            snprintf(msg, sizeof msg, "unknown option '%s'", argv[optind - 1]);
            return usage_error(cmd, msg);
        }
        }
        if (bad) {
            char msg[128];
            snprintf(msg, sizeof msg, "%s does not apply to '%s'", bad, cmd);
            return usage_error(cmd, msg);
        }
    }
    int want = strcmp(cmd, "models") == 0 ? 0 : 1;
    if (argc - optind != want)
        return usage_error(cmd, want ? (argc - optind ? "expected one file" : "missing the file")
                                     : "takes no file");
    if (want)
        c->scenario = argv[optind];
    return -1;
}

static void print_errors(const lc_error *err)
{
    fputs(err->msg, stderr);
}

/* Default output: basename of the scenario without extension, plus .h5. */
static char *default_out(const char *scenario)
{
    const char *base = strrchr(scenario, '/');
    base = base ? base + 1 : scenario;
    size_t n = strcspn(base, ".");
    char *out = malloc(n + 4);
    if (out)
        snprintf(out, n + 4, "%.*s.h5", (int)n, base);
    return out;
}

/* "N accounts (L long, S short)", and how many span markets, by margin. */
static void describe_population(FILE *f, const lc_population *pop)
{
    long count[LC_MARGIN_NKINDS] = {0};
    for (long j = 0; j < pop->n - pop->span0; j++)
        count[pop->span_margin[j]]++;
    fprintf(f, "%ld accounts (%ld long, %ld short%s", pop->n, pop->n_long, pop->n_short,
            pop->n > pop->span0 ? " isolated" : "");
    for (int m = 1; m < LC_MARGIN_NKINDS; m++)
        if (count[m])
            fprintf(f, ", %ld %s", count[m], lc_margin_kinds[m]);
    fprintf(f, ")");
}

/* What the warmup left of the drawn book. */
static void describe_warmup(FILE *f, const char *prefix, const lc_scenario *sc,
                            const lc_warmup_stats *ws)
{
    fprintf(f, "%spopulation.warmup: %ld steps kept %ld of %ld accounts (", prefix, sc->warmup,
            ws->kept, ws->drawn);
    for (int k = 0; k < sc->nmarkets; k++)
        fprintf(f, "%s%s ended at %.4g x s0", k ? ", " : "", sc->market[k].name,
                ws->price_end[k] / lc_scenario_s0(sc, k));
    fprintf(f, "; rescaled to s0)\n");
}

/* How close the book starts to liquidation: per market and side, the
 * notional (|q| x P_liq) of isolated accounts within 1%, 5%, 10% of s0. */
static void describe_at_risk(FILE *f, const lc_scenario *sc, const lc_population *pop)
{
    if (pop->span0 == 0)
        return;
    fprintf(f, "# at risk at t = 0: notional whose liquidation price is within 1%% / 5%% / 10%% "
               "of s0, quote (liqcascade map draws all of it)\n");
    for (int k = 0; k < sc->nmarkets; k++) {
        double w[2][3], oi[2] = {0};
        lc_map_at_risk(sc, pop, k, w);
        for (int s = 0; s < 2; s++) {
            for (long i = pop->range[2 * k + s]; i < pop->range[2 * k + s + 1]; i++)
                oi[s] += fabs(pop->qty[i]) * pop->liq_price[i];
            fprintf(
                f,
                "#   %-10s %-5s %10.4g / %10.4g / %10.4g  (%.1f%% / %.1f%% / %.1f%% of the side)\n",
                sc->market[k].name, s ? "short" : "long", w[s][0], w[s][1], w[s][2],
                oi[s] > 0 ? 100 * w[s][0] / oi[s] : 0, oi[s] > 0 ? 100 * w[s][1] / oi[s] : 0,
                oi[s] > 0 ? 100 * w[s][2] / oi[s] : 0);
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The lending CDPs at s0: collateral and debt, and how close they start to
 * liquidation: health factor quantiles, and the debt of those at HF below
 * 1/(1 − x) for x = 5%, 10%, 20% (for a quote debt: a fall of x in every
 * mark breaches them). */
static void describe_cdps(FILE *f, const lc_scenario *sc, const lc_population *pop)
{
    long n = 0;
    for (long i = pop->span0; i < pop->n; i++)
        n += lc_population_margin(pop, i) == LC_MARGIN_CDP;
    double *hf = n ? malloc((size_t)n * sizeof *hf) : NULL;
    if (!hf)
        return;
    double marks[LC_MAX_MARKETS], coll = 0, debt = 0, near[3] = {0};
    static const double fall[3] = {0.05, 0.10, 0.20};
    for (int k = 0; k < sc->nmarkets; k++)
        marks[k] = lc_scenario_s0(sc, k);
    long m = 0;
    for (long i = pop->span0; i < pop->n; i++) {
        if (lc_population_margin(pop, i) != LC_MARGIN_CDP)
            continue;
        int nc;
        const lc_balance *col = lc_span_balances(pop, i, &nc);
        for (int k = 0; k < nc; k++) {
            double v = col[k].amount * lc_lending_price(sc, col[k].asset, marks);
            *(v > 0 ? &coll : &debt) += fabs(v);
        }
        lc_span_eval e = lc_span_evaluate_account(sc, pop, i, marks);
        hf[m++] = e.equity / e.requirement;
        for (int j = 0; j < 3; j++)
            near[j] += e.equity / e.requirement < 1 / (1 - fall[j]) ? e.requirement : 0;
    }
    qsort(hf, (size_t)m, sizeof *hf, cmp_double);
    fprintf(f,
            "# cdps: %ld (%s), collateral %.4g quote, debt %.4g quote at s0; health factor "
            "q05 %.3f, q50 %.3f, q95 %.3f;\n"
            "#   debt at HF below 1.053 / 1.111 / 1.25 (a 5%% / 10%% / 20%% fall, for a quote "
            "debt): %.4g / %.4g / %.4g quote\n",
            m, lc_lending_protocols[sc->lending], coll, debt, hf[(long)(0.05 * (double)(m - 1))],
            hf[(m - 1) / 2], hf[(long)(0.95 * (double)(m - 1))], near[0], near[1], near[2]);
    free(hf);
}

/* The memory budget, read once before anything is allocated (read again
 * after drawing, what the system has available would no longer count the
 * population the estimate holds): --max-memory, else what the system says
 * is available (MemAvailable of /proc/meminfo: free memory and what the
 * kernel can reclaim); 0 when neither is known (no check). */
static void read_budget(cli *c)
{
    c->budget_source = "--max-memory";
    c->budget = c->max_memory;
    if (c->budget > 0)
        return;
    c->budget_source = "available (MemAvailable in /proc/meminfo)";
    FILE *f = fopen("/proc/meminfo", "r");
    double kib = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    c->budget = kib * 1024;
}

/* What a simulation of points holds (docs/limits.md): the program itself,
 * the distinct populations, a scratch per thread, the batches in flight and
 * /population as it is written. Events are bounded apart (event_bytes). */
typedef struct mem_estimate {
    double base, pops, out, total;
    lc_memory run;
} mem_estimate;

#define MEM_BASE ((double)(64 << 20)) /* the binary, its libraries, HDF5's caches */
/* The events one batch may hold before it takes no further run: a quarter
 * of what the estimate leaves of the budget, within these. */
#define EVENTS_MIN ((double)(16 << 20))
#define EVENTS_MAX ((double)(256 << 20))

/* n[p], nspan[p]: point p's accounts and spanning accounts; first[q]: the
 * first point of distinct population q (of nowned). */
static void estimate_memory(const cli *c, lc_scenario **sc, long points, const long *n,
                            const long *nspan, const long *first, long nowned, mem_estimate *e)
{
    *e = (mem_estimate){.base = MEM_BASE};
    lc_runner_opts ro = {
        .threads = c->threads, .engine = c->engine, .events = c->events, .batch_rows = c->batch};
    lc_runner_memory((const lc_scenario *const *)sc, n, nspan, points, &ro, &e->run);
    for (long q = 0; q < nowned; q++)
        e->pops += lc_population_bytes(sc[first[q]], n[first[q]]);
    if (c->population) /* writer.c: the columns of /population/legs, a byte of margin */
        e->out = (double)n[0] * (4 * 8 + 2 + 1) * 2;
    if (c->events) /* the two batches' events, at their least (event_bound) */
        e->out += 2 * EVENTS_MIN;
    e->total = e->base + e->pops + e->out + e->run.batches +
               (double)e->run.threads * (e->run.scratch + e->run.events);
}

static void human_bytes(char *buf, size_t size, double b)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) {
        b /= 1024;
        i++;
    }
    snprintf(buf, size, "%.1f %s", b, u[i]);
}

/* Refuse, before the work that would need it, an estimate beyond the
 * budget, naming what takes the memory and what would take less. */
static int check_memory(const cli *c, const mem_estimate *e, const lc_scenario *sc, lc_error *err)
{
    double budget = c->budget;
    if (budget <= 0 || e->total <= budget)
        return 0;
    char need[32], have[32], pops[32], scratch[32], batches[32], events[80] = "";
    human_bytes(need, sizeof need, e->total);
    human_bytes(have, sizeof have, budget);
    human_bytes(pops, sizeof pops, e->pops + e->out);
    human_bytes(scratch, sizeof scratch, e->run.scratch);
    human_bytes(batches, sizeof batches, e->run.batches);
    if (e->run.events > 0) {
        char ev[32];
        human_bytes(ev, sizeof ev, e->run.events);
        snprintf(events, sizeof events, " and %s of events (--events)", ev);
    }
    return lc_error_at(err, c->scenario, 0, NULL,
                       "needs about %s of memory, more than the %s %s: populations %s, "
                       "%ld thread(s) x %s of scratch%s, batches of runs and series %s "
                       "(%ld steps, output.every %ld). Fewer accounts, threads, steps or "
                       "output.series, or a larger output.every, need less; --max-memory "
                       "SIZE sets the budget (docs/limits.md)",
                       need, have, c->budget_source, pops, e->run.threads, scratch, events, batches,
                       sc->steps, sc->every);
}

/* A point's accounts before its population is drawn: the drawn count (a
 * file's is known once read: 0 here), and the share of them that span. */
static void expected_accounts(const lc_scenario *sc, long *n, long *nspan)
{
    *n = sc->positions_file ? 0 : sc->accounts;
    double share = 0;
    for (int k = 0; k < sc->nkinds; k++)
        share += k == LC_MARGIN_ISOLATED ? 0 : sc->kind[k].weight;
    *nspan = (long)ceil(share * (double)*n);
}

static int cmd_validate(cli *c)
{
    lc_error err = {0};
    read_budget(c);
    lc_scenario *sc = lc_scenario_load(c->scenario, c->sets, c->nsets, &err);
    long n = 0, nspan = 0, first = 0;
    mem_estimate mem;
    if (sc) { /* drawing the population needs its memory */
        expected_accounts(sc, &n, &nspan);
        estimate_memory(c, &sc, 1, &n, &nspan, &first, 1, &mem);
    }
    lc_warmup_stats ws;
    lc_population *pop =
        sc && !check_memory(c, &mem, sc, &err) ? lc_population_for_runs(sc, &ws, &err) : NULL;
    if (!pop) {
        print_errors(&err);
        lc_scenario_free(sc);
        return EXIT_USAGE;
    }
    char *yaml = lc_scenario_resolved_yaml(sc);
    if (!yaml) {
        fprintf(stderr, "liqcascade: out of memory\n");
        lc_population_free(pop);
        lc_scenario_free(sc);
        return EXIT_RUNTIME;
    }
    fputs(yaml, stdout);
    printf("# population: ");
    describe_population(stdout, pop);
    printf("\n");
    if (sc->warmup > 0)
        describe_warmup(stdout, "# ", sc, &ws);
    for (int k = 0; sc->nmarkets > 1 && k < sc->nmarkets; k++)
        printf("#   %s: %ld long, %ld short\n", sc->market[k].name,
               pop->range[2 * k + 1] - pop->range[2 * k],
               pop->range[2 * k + 2] - pop->range[2 * k + 1]);
    describe_cdps(stdout, sc, pop);
    describe_at_risk(stdout, sc, pop);
    n = pop->n;
    nspan = pop->n - pop->span0;
    estimate_memory(c, &sc, 1, &n, &nspan, &first, 1, &mem);
    char need[32], per[32];
    human_bytes(need, sizeof need, mem.total);
    human_bytes(per, sizeof per, mem.run.scratch);
    printf("# memory: about %s to run with %ld thread(s), %s each (docs/limits.md)\n", need,
           mem.run.threads, per);
    free(yaml);
    lc_population_free(pop);
    lc_scenario_free(sc);
    return 0;
}

/* Load the scenario of every point (one for `run`), check that the points
 * agree on what shapes the file and that the memory suffices, and draw
 * their populations, sharing one among points whose population keys agree:
 * the distinct populations go to owned[0..*nowned), and pop[p] points at
 * point p's. Returns 0 or an exit code; *mem: the estimate once drawn. */
static int load_points(cli *c, const lc_sweep *sw, long points, const char *path, lc_scenario **sc,
                       lc_population **pop, lc_population **owned, long *nowned, mem_estimate *mem,
                       lc_error *err)
{
    const char **sets = malloc((size_t)(c->nsets + (sw ? sw->naxes : 0) + 1) * sizeof *sets);
    char **sigs = calloc((size_t)points, sizeof *sigs);  /* of the distinct populations */
    long *of = calloc((size_t)points, sizeof *of);       /* point p's distinct population */
    long *first = calloc((size_t)points, sizeof *first); /* distinct population q's first point */
    long *n = calloc((size_t)points, sizeof *n), *nspan = calloc((size_t)points, sizeof *nspan);
    long ndistinct = 0;
    int rc = sets && sigs && of && first && n && nspan ? 0 : EXIT_RUNTIME;
    if (rc)
        lc_error_add(err, "out of memory");
    for (long p = 0; rc == 0 && p < points; p++) {
        char **vary = sw ? lc_sweep_sets(sw, p) : NULL;
        int nvary = sw ? sw->naxes : 0;
        if (sw && !vary) {
            rc = EXIT_RUNTIME;
            lc_error_add(err, "out of memory");
            break;
        }
        for (int i = 0; i < c->nsets; i++)
            sets[i] = c->sets[i];
        for (int i = 0; i < nvary; i++)
            sets[c->nsets + i] = vary[i];
        sc[p] = lc_scenario_load(c->scenario, sets, c->nsets + nvary, err);
        if (!sc[p] && sw) { /* name the point whose values broke the scenario */
            lc_error_add(err, "--vary: sweep point %ld of %ld is not a valid scenario:", p, points);
            for (int i = 0; i < nvary; i++)
                lc_error_add(err, "  %s", vary[i] + strlen("--vary "));
        }
        lc_sweep_free_sets(vary, nvary);
        if (!sc[p]) {
            rc = EXIT_USAGE;
            break;
        }
        const lc_scenario *a = sc[0], *b = sc[p];
        if (a->runs != b->runs || a->steps != b->steps || a->dt_s != b->dt_s ||
            a->every != b->every || a->series_mask != b->series_mask || a->seed != b->seed) {
            rc = EXIT_USAGE;
            lc_error_at(err, "--vary", 0, NULL,
                        "simulation.runs, steps, dt and seed and the output keys shape the "
                        "file and must be the same at every point (point %ld differs)",
                        p);
            break;
        }
        int same_markets = a->nmarkets == b->nmarkets;
        for (int k = 0; same_markets && k < a->nmarkets; k++)
            same_markets = strcmp(a->market[k].name, b->market[k].name) == 0;
        if (!same_markets) {
            rc = EXIT_USAGE;
            lc_error_at(err, "--vary", 0, NULL,
                        "the markets (how many, their names and order) shape the file and must "
                        "be the same at every point (point %ld differs)",
                        p);
            break;
        }
        char *sig = lc_population_signature(sc[p]);
        if (!sig) {
            rc = EXIT_RUNTIME;
            lc_error_add(err, "out of memory");
            break;
        }
        long q = 0;
        while (q < ndistinct && strcmp(sigs[q], sig) != 0)
            q++;
        if (q < ndistinct) {
            free(sig);
        } else {
            sigs[ndistinct] = sig;
            first[ndistinct++] = p;
        }
        of[p] = q;
        expected_accounts(sc[p], &n[p], &nspan[p]);
        if (c->population && q != 0) {
            rc = EXIT_USAGE;
            lc_error_at(
                err, "--population", 0, NULL,
                "the varied keys change the population (point %ld), and /population "
                "holds one: vary no population or tier key%s, or drop --population",
                p, sc[p]->warmup > 0 ? " (with population.warmup: no key the warmup sees)" : "");
            break;
        }
    }
    struct stat st;
    if (rc == 0 && !c->force && lstat(path, &st) == 0) { /* the scenario is good: the output */
        lc_error_at(err, path, 0, NULL, "exists; use --force to overwrite");
        rc = EXIT_USAGE;
    }
    if (rc == 0 && lc_writer_check_path(path, err)) /* a name no file can have */
        rc = EXIT_USAGE;
    if (rc == 0) { /* before drawing: a drawn population's size is known */
        estimate_memory(c, sc, points, n, nspan, first, ndistinct, mem);
        if (check_memory(c, mem, sc[0], err))
            rc = EXIT_USAGE;
    }
    int tty = !c->quiet && isatty(STDERR_FILENO);
    for (long q = 0; rc == 0 && q < ndistinct; q++) {
        if (tty) { /* a phase of its own: seconds for millions of accounts */
            fprintf(stderr, "\r  drawing accounts...\033[K"); /* fits any terminal */
            fflush(stderr);
        }
        lc_warmup_stats ws;
        owned[q] = lc_population_for_runs(sc[first[q]], &ws, err);
        if (tty)
            fprintf(stderr, "\r\033[K");
        if (owned[q] && sc[first[q]]->warmup > 0 && !c->quiet)
            describe_warmup(stderr, "note: ", sc[first[q]], &ws);
        if (!owned[q]) {
            rc = EXIT_USAGE; /* population errors are scenario errors */
            break;
        }
        (*nowned)++;
    }
    for (long p = 0; rc == 0 && p < points; p++) {
        pop[p] = owned[of[p]];
        n[p] = pop[p]->n;
        nspan[p] = pop[p]->n - pop[p]->span0;
    }
    if (rc == 0) { /* drawn or read: the sizes themselves */
        estimate_memory(c, sc, points, n, nspan, first, ndistinct, mem);
        if (check_memory(c, mem, sc[0], err))
            rc = EXIT_USAGE;
    }
    for (long q = 0; sigs && q < ndistinct; q++)
        free(sigs[q]);
    free(sigs);
    free(sets);
    free(of);
    free(first);
    free(n);
    free(nspan);
    return rc;
}

/* One line per point: the varied values and the headline risk figures.
 * P(bad debt) carries its Wilson interval (metrics.h), which stays honest
 * at 0 and 1 where a standard error collapses. */
static void print_sweep_table(const lc_sweep *sw, const lc_summary *sum, long points, long runs,
                              FILE *out)
{
    int width[64];
    int naxes = sw->naxes < 64 ? sw->naxes : 64;
    for (int a = 0; a < naxes; a++) {
        width[a] = (int)strlen(sw->axes[a].key);
        for (int i = 0; i < sw->axes[a].n; i++)
            if ((int)strlen(sw->axes[a].values[i]) > width[a])
                width[a] = (int)strlen(sw->axes[a].values[i]);
        if (width[a] > 40)
            width[a] = 40;
    }
    fprintf(out, "  %5s", "point");
    for (int a = 0; a < naxes; a++)
        fprintf(out, "  %*.*s", width[a], width[a], sw->axes[a].key);
    fprintf(out, "  %6s  %8s  %13s  %20s  %13s  %9s\n", "runs", "P(liq) %", "liq/run quote",
            "P(bad debt) % [95%]", "bad debt/run", "mean dd %");
    long fewest = runs;
    for (long p = 0; p < points; p++) {
        const lc_summary *s = &sum[p];
        fewest = s->rows < fewest ? s->rows : fewest;
        fprintf(out, "  %5ld", p);
        for (int a = 0; a < naxes; a++)
            fprintf(out, "  %*.*s", width[a], width[a],
                    sw->axes[a].values[lc_sweep_index(sw, p, a)]);
        if (s->rows == 0) {
            fprintf(out, "  %6d  not run\n", 0);
            continue;
        }
        double n = (double)s->rows, pb, lo, hi;
        lc_summary_share(s, s->with_bad_debt, &pb, &lo, &hi);
        char pbad[40];
        snprintf(pbad, sizeof pbad, s->weighted ? "%.3g [%.3g, %.3g]" : "%.2f [%.2f, %.2f]",
                 100 * pb, 100 * lo, 100 * hi);
        fprintf(out, "  %6ld  %8.2f  %13.4g  %20s  %13.4g  %9.2f\n", s->rows,
                100.0 * s->with_liq.w / n, s->liq_notional_sum / n, pbad, s->bad_debt_sum / n,
                100 * s->dd_sum / n);
    }
    int cut = 0; /* the points where every run's cascade hit max_rounds */
    for (long p = 0; p < points; p++)
        if (sum[p].rows > 0 && sum[p].truncated_runs == sum[p].rows)
            fprintf(out, "%s %ld",
                    cut++ ? ","
                          : "  warning: every run's cascade hit "
                            "simulation.max_rounds at point(s)",
                    p);
    if (cut)
        fprintf(out, ": the cascades were cut short; raise max_rounds to see where they end\n");
    if (fewest == runs)
        fprintf(out, "  (every point ran the same runs with the same price shocks)\n");
    else if (fewest == 0)
        fprintf(out, "  (interrupted: some points did not run; those that did ran different\n"
                     "   runs, so their differences mix the keys' effect with sampling)\n");
    else
        fprintf(out,
                "  (interrupted: the points ran different runs, so their differences mix\n"
                "   the keys' effect with sampling; compare them on runs 0..%ld, which\n"
                "   every point has, or rerun)\n",
                fewest - 1);
}

/* Before the runs, what a user would want to know before waiting for them
 * (issue "Studies", item 8): accounts whose leverage was capped at their
 * tier (1% of them or more); a market whose longs (or shorts), sold at once, would move its
 * price by half or more through its impact model (open interest that
 * dwarfs the depth: every cascade will run to the end of the book). `where`
 * names the sweep point ("" for a run); pop_seen: an earlier point shares
 * the population (its leverage note was given). */
static void warn_before(const lc_scenario *sc, const lc_population *pop, const char *where,
                        int pop_seen)
{
    /* of a population, once: points that share one share its accounts */
    if (!pop_seen && pop->leverage_capped > 0 && 100 * pop->leverage_capped >= pop->n)
        fprintf(stderr,
                "note: %s%ld of %ld accounts (%.3g%%) drew a leverage above their tier's "
                "max_leverage and were opened at it (population.leverage against the tiers)\n",
                where, pop->leverage_capped, pop->n,
                100.0 * (double)pop->leverage_capped / (double)pop->n);
    for (int k = 0; k < sc->nmarkets; k++) {
        double q[2]; /* each side's open interest, base (as a run starts: engine.c) */
        for (int side = 0; side < 2; side++)
            q[side] = pop->range_qty[2 * k + side] + pop->span_qty[2 * k + side];
        lc_market m;
        if (lc_market_init(&m, sc, k))
            return;
        lc_market_start(&m);
        double s0 = lc_scenario_s0(sc, k);
        for (int side = 0; side < 2; side++) {
            double vwap = NAN, n = side == 0 ? -q[0] : q[1]; /* longs sell, shorts buy */
            if (!(q[side] > 0) || lc_market_quote(&m, n, &vwap) != 0)
                continue;
            double x = vwap / s0; /* the fill as a multiple of s0 */
            if (!(side == 0 ? x <= 0.5 : !(x < 1.5)))
                continue;
            char at[48];
            if (isfinite(x) && x < 1e6)
                snprintf(at, sizeof at, "%.3g x s0", x);
            else
                snprintf(at, sizeof at, "more than 1e6 x s0");
            fprintf(stderr,
                    "warning: %s%s: its %s' %.4g base closed at once would fill at %s (the "
                    "impact model's depth is small against the open interest: a cascade there "
                    "can run through the whole book)\n",
                    where, sc->nmarkets > 1 ? sc->market[k].name : "the market",
                    side == 0 ? "longs" : "shorts", q[side], at);
        }
        lc_market_release(&m);
    }
}

/* A digest of the job a rank is about to simulate (engine/ranks.h,
 * lc_ranks_agree): the binary's commit, the command line, the scenario
 * file's bytes and every point's population as drawn (sizes, quantities,
 * liquidation prices: a libm of its own would show there). */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (; n >= 8; n -= 8, c += 8) { /* a word at a time: a 1M book in a few ms */
        uint64_t w;
        memcpy(&w, c, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; n > 0; n--, c++)
        h = (h ^ *c) * 0x100000001b3ull;
    return h;
}

static uint64_t job_digest(const cli *c, const lc_population *const *pops, long points)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = mix(h, LC_GIT_COMMIT, strlen(LC_GIT_COMMIT));
    if (c->command)
        h = mix(h, c->command, strlen(c->command));
    FILE *f = fopen(c->scenario, "rb");
    unsigned char buf[1 << 14];
    for (size_t n; f && (n = fread(buf, 1, sizeof buf, f)) > 0;)
        h = mix(h, buf, n);
    if (f)
        fclose(f);
    for (long p = 0; p < points; p++) {
        const lc_population *pop = pops[p];
        h = mix(h, &pop->n, sizeof pop->n);
        h = mix(h, pop->qty, (size_t)pop->n * sizeof *pop->qty);
        h = mix(h, pop->liq_price, (size_t)pop->n * sizeof *pop->liq_price);
    }
    return h;
}

/* run/sweep --json: the summary of every point, on stdout. */
static void print_json(const lc_sweep *sw, const lc_summary *sum, long points, const char *path,
                       const lc_runner_stats *st)
{
    printf("{\"liqcascade\": ");
    lc_json_string(stdout, LC_VERSION);
    printf(", \"command\": \"%s\", \"file\": ", sw ? "sweep" : "run");
    lc_json_string(stdout, path);
    printf(", \"status\": \"%s\", \"runs_done\": %ld, \"seconds\": %.6g, \"points\": [",
           st->interrupted ? "interrupted" : "complete", st->rows_done, st->seconds);
    for (long p = 0; p < points; p++) {
        printf("%s{\"point\": %ld, \"keys\": {", p ? ", " : "", p);
        for (int a = 0; sw && a < sw->naxes; a++) {
            printf(a ? ", " : "");
            lc_json_string(stdout, sw->axes[a].key);
            printf(": ");
            lc_json_string(stdout, sw->axes[a].values[lc_sweep_index(sw, p, a)]);
        }
        printf("}, \"summary\": ");
        lc_summary_json(&sum[p], stdout);
        printf("}");
    }
    printf("]}\n");
    fflush(stdout);
}

/* `run` (sw NULL) and `sweep`: simulate every run of every point into one file. */
static int simulate(cli *c, const lc_sweep *sw)
{
    lc_error err = {0};
    read_budget(c);
    long points = sw ? sw->points : 1;
    lc_scenario **scs = calloc((size_t)points, sizeof *scs);
    lc_population **pops = calloc((size_t)points, sizeof *pops);
    lc_population **owned = calloc((size_t)points, sizeof *owned);
    long nowned = 0;
    lc_summary *sum = malloc((size_t)points * sizeof *sum);
    char *out = NULL;
    lc_writer *w = NULL;
    lc_split split = {0}; /* simulation.rare split: its trajectories and rows */
    int rc = EXIT_RUNTIME, agreed = 0;
    if (!scs || !pops || !owned || !sum) {
        lc_error_add(&err, "out of memory for %ld points", points);
        goto done;
    }
    out = c->out ? NULL : default_out(c->scenario);
    const char *path = c->out ? c->out : out;
    struct stat stbuf;
    if (!path) {
        lc_error_add(&err, "out of memory");
        goto done;
    }
    /* from here a signal stops the work, not the process: before any output
     * is made (a second signal ends the process at once) */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask); /* neither interrupts the other's handler */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    mem_estimate mem;
    /* the scenario of every point, then the output path, then the memory,
     * then the populations: each error before the work it would waste */
    if ((rc = load_points(c, sw, points, path, scs, pops, owned, &nowned, &mem, &err)))
        goto done;
    if (stop_requested) { /* during the set-up: nothing was written */
        fprintf(stderr, "liqcascade: interrupted before the first run; nothing written\n");
        rc = EXIT_INTERRUPTED;
        goto done;
    }
    rc = EXIT_RUNTIME;
    char pilot_trail[1024] = ""; /* the pilot's iterations, or the splitting's levels */
    if (scs[0]->rare.pilot) {    /* theta: auto — every point takes point 0's */
        int pr = lc_pilot_run(scs[0], pops[0], c->threads, c->engine, &stop_requested,
                              c->quiet ? NULL : stderr, pilot_trail, sizeof pilot_trail, &err);
        if (pr == 1) {
            fprintf(stderr, "liqcascade: interrupted in the pilot; nothing written\n");
            rc = EXIT_INTERRUPTED;
        }
        if (pr)
            goto done;
        for (long p = 1; p < points; p++) {
            memcpy(scs[p]->rare.theta, scs[0]->rare.theta, sizeof scs[p]->rare.theta);
            scs[p]->rare.pilot = 0;
        }
    }
    if (scs[0]->rare.method == LC_RARE_SPLIT) { /* the stages first; the rows are what they leave */
        if (points > 1 || lc_ranks() > 1) {
            lc_error_add(&err, "simulation.rare: method split runs one scenario in one process: "
                               "not a sweep's points, nor MPI ranks (not built yet)");
            rc = EXIT_USAGE;
            goto done;
        }
        double t0 = lc_now_s();
        int sr = scs[0]->rare.auto_levels
                     ? lc_split_choose_levels(scs[0], pops[0], c->threads, c->engine,
                                              &stop_requested, c->quiet ? NULL : stderr,
                                              pilot_trail, sizeof pilot_trail, &err)
                     : 0;
        if (sr == 0)
            sr = lc_split_run(scs[0], pops[0], c->threads, c->engine, &stop_requested,
                              c->quiet ? NULL : stderr, &split, &err);
        if (sr == 0 && !c->quiet)
            fprintf(stderr,
                    "liqcascade: splitting's stages: %ld trajectories in %.3g s; its %ld rows "
                    "now run again to the horizon, with the output asked for\n",
                    split.ran, lc_now_s() - t0, split.njob);
        if (sr == 1) {
            fprintf(stderr, "liqcascade: interrupted in the splitting's stages; nothing written\n");
            rc = EXIT_INTERRUPTED;
        }
        if (sr)
            goto done;
        scs[0]->runs = split.njob;
        char said[sizeof pilot_trail]; /* after the pilot's levels, if any, the splitting's */
        lc_split_describe(scs[0], &split, said, sizeof said);
        size_t had = strlen(pilot_trail);
        snprintf(pilot_trail + had, sizeof pilot_trail - had, "%s%s", had ? "; " : "", said);
    }
    const lc_scenario *sc = scs[0];
    const lc_population *pop = pops[0];
    lc_writer_opts wo = {.path = path,
                         .rare_pilot = pilot_trail,
                         .force = c->force,
                         .with_events = c->events,
                         .with_population = c->population,
                         .points = points,
                         .engine = lc_finders[c->engine]->name,
                         .sweep = sw,
                         .command = c->command,
                         .claimed = partial_path,
                         .claimed_size = sizeof partial_path};
    if (lc_rank() == 0 && !(w = lc_writer_create(&wo, sc, pop, &err)))
        goto done; /* the other ranks hear of it below */

    int threads = c->threads > 0 ? c->threads : omp_get_max_threads();
    int tty = isatty(STDERR_FILENO);
    /* the batches' events: a quarter of what the estimate leaves of the
     * budget (two batches, each with its runs in flight), within EVENTS_MIN
     * and EVENTS_MAX; the estimate counted them at EVENTS_MIN */
    double event_bytes = (c->budget - mem.total) / 4;
    event_bytes = event_bytes < EVENTS_MIN ? EVENTS_MIN : fmin(event_bytes, EVENTS_MAX);
    if (c->events)
        mem.total += 2 * (event_bytes - EVENTS_MIN);
    if (!c->quiet) {
        if (sw) {
            fprintf(stderr, "liqcascade: sweep of %ld points (", points);
            for (int g = 0; g < sw->naxes; g++) { /* each group, its zipped keys together */
                if (sw->axes[g].group != g)
                    continue;
                fprintf(stderr, "%s%s", g ? " x " : "", sw->axes[g].key);
                for (int a = g + 1; a < sw->naxes; a++)
                    if (sw->axes[a].group == g)
                        fprintf(stderr, " with %s", sw->axes[a].key);
                fprintf(stderr, ": %d values", sw->axes[g].n);
            }
            fprintf(stderr, "), %ld runs each, ", sc->runs);
        } else {
            fprintf(stderr, "liqcascade: %ld runs x ", sc->runs);
        }
        fprintf(stderr, "%ld steps of %g s over ", sc->steps, sc->dt_s);
        describe_population(stderr, pop);
        for (int k = 0; sc->nmarkets > 1 && k < sc->nmarkets; k++)
            fprintf(stderr, "%s %s", k ? "," : " on", sc->market[k].name);
        char need[32];
        human_bytes(need, sizeof need, mem.total);
        if (lc_ranks() > 1)
            fprintf(stderr, ", %d MPI ranks x %d threads, about %s of memory a rank\n", lc_ranks(),
                    threads, need);
        else
            fprintf(stderr, ", %d threads, about %s of memory\n", threads, need);
        double ev = 0; /* every point's warnings, named when there are several */
        for (long p = 0; p < points; p++) {
            char at[48] = "";
            if (points > 1)
                snprintf(at, sizeof at, "point %ld: ", p);
            int seen = 0; /* an earlier point's population, its leverage note given */
            for (long q = 0; q < p && !seen; q++)
                seen = pops[q] == pops[p];
            warn_before(scs[p], pops[p], at, seen);
            ev += (double)scs[p]->runs * (double)pops[p]->n * (double)sizeof(lc_event);
        }
        if (c->events && ev > 1024.0 * 1024 * 1024) {
            char size[32];
            human_bytes(size, sizeof size, ev);
            fprintf(stderr,
                    "note: --events: one event per liquidation; if every account were "
                    "liquidated in every run, about %s before compression, but most runs "
                    "liquidate a small share of the book (partial liquidations, ADL fills "
                    "and top-ups add one event each)\n",
                    size);
        }
    }
    for (long p = 0; p < points; p++)
        lc_summary_init(&sum[p], scs[p]);
    lc_runner_opts ro = {.threads = threads,
                         .engine = c->engine,
                         .events = c->events,
                         .progress = c->quiet ? LC_PROGRESS_OFF
                                     : tty    ? LC_PROGRESS_TTY
                                              : LC_PROGRESS_PLAIN,
                         .stop = &stop_requested,
                         .batch_rows = c->batch,
                         .summary = sum,
                         .event_bytes = (size_t)event_bytes,
                         .split = split.job ? &split : NULL};
    lc_runner_stats st;
    agreed = 1; /* every rank is set up (or none starts) */
    uint64_t job = lc_ranks() > 1 ? job_digest(c, (const lc_population *const *)pops, points) : 0;
    if (!lc_ranks_agree(1, job, &err))
        goto done;
    if (lc_runner_run((const lc_scenario *const *)scs, (const lc_population *const *)pops, points,
                      &ro, w, &st, &err))
        goto done;
    if (lc_rank() > 0) { /* its runs are in rank 0's file */
        rc = st.interrupted ? EXIT_INTERRUPTED : 0;
        goto done;
    }
    int finished = lc_writer_finish(w, !st.interrupted, &err);
    partial_path[0] = '\0'; /* renamed or removed */
    w = NULL;
    if (finished)
        goto done;
    rc = st.interrupted ? EXIT_INTERRUPTED : 0;
    if (!c->quiet) {
        char size[32] = "?";
        if (stat(path, &stbuf) == 0)
            human_bytes(size, sizeof size, (double)stbuf.st_size);
        double rate = st.seconds > 0 ? (double)st.rows_done / st.seconds : 0;
        fprintf(stderr, "%s %ld of %ld runs in %.3g s (%.1f runs/s, %.3g account-steps/s)\n",
                st.interrupted ? "interrupted after" : "done:", st.rows_done, sc->runs * points,
                st.seconds, rate, rate * (double)sc->steps * (double)pop->n);
        long nspan = pop->n - pop->span0;
        if (nspan > 0 && st.rows_done > 0)
            fprintf(stderr,
                    "      %ld accounts span markets: evaluated %.3g times each per run "
                    "(--engine %s)\n",
                    nspan, (double)st.evaluations / ((double)nspan * (double)st.rows_done),
                    lc_finders[c->engine]->name);
        fprintf(stderr, "wrote %s (%s%s)\n", path, size,
                st.interrupted ? ", status=interrupted" : "");
        if (sw)
            print_sweep_table(sw, sum, points, sc->runs, stderr);
        else
            lc_summary_print(&sum[0], stderr);
        fprintf(stderr,
                "next: %s info %s\n"
                "      /usr/bin/python3 -c \"import h5py; f = h5py.File('%s'); "
                "print(f['runs']['liq_notional_long'][:5])\"\n",
                c->argv0, path, path);
    }
    if (c->json && (rc == 0 || rc == EXIT_INTERRUPTED))
        print_json(sw, sum, points, path, &st);
done:
    if (!agreed) /* failed in the set-up: the other ranks must not start */
        lc_ranks_agree(0, 0, &err);
    if (rc == EXIT_RUNTIME || rc == EXIT_USAGE)
        print_errors(&err);
    partial_path[0] = '\0';
    lc_writer_abort(w);
    lc_split_free(&split);
    for (long p = 0; scs && p < points; p++)
        lc_scenario_free(scs[p]);
    for (long q = 0; q < nowned; q++)
        lc_population_free(owned[q]);
    free(scs);
    free(pops);
    free(owned);
    free(sum);
    free(out);
    return rc;
}

static int cmd_run(cli *c)
{
    return simulate(c, NULL);
}

static int cmd_sweep(cli *c)
{
    lc_error err = {0};
    lc_sweep sw = {0};
    int rc = 0;
    for (int i = 0; i < c->nvary && rc == 0; i++)
        rc = lc_sweep_add(&sw, c->vary[i], &err);
    for (int i = 0; i < c->nzip && rc == 0; i++)
        rc = lc_sweep_zip(&sw, c->zip[i], &err);
    if (rc == 0 && sw.naxes == 0)
        rc =
            lc_error_at(&err, "--vary", 0, NULL, "a sweep needs at least one --vary key=v1,v2,...");
    if (rc) {
        print_errors(&err);
        lc_sweep_free(&sw);
        return EXIT_USAGE;
    }
    rc = simulate(c, &sw);
    lc_sweep_free(&sw);
    return rc;
}

static int cmd_info(cli *c)
{
    lc_error err = {0};
    if (c->metrics && c->paired)
        return usage_error("info", "--metrics and --paired each print one table; choose one");
    lc_info_what what = c->metrics ? LC_INFO_METRICS : c->paired ? LC_INFO_PAIRED : LC_INFO_ALL;
    if (lc_info_print(c->scenario, what, c->baseline, stdout, &err)) {
        print_errors(&err);
        return EXIT_RUNTIME;
    }
    return 0;
}

static int cmd_search(cli *c)
{
    if (!c->key || !c->has_range || !c->metric || !c->has_level)
        return usage_error("search", "needs --key, --range, --metric and one of --at-most and "
                                     "--at-least");
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        return EXIT_RUNTIME;
    lc_search_opts o = {.scenario = c->scenario,
                        .sets = c->sets,
                        .nsets = c->nsets,
                        .key = c->key,
                        .from = c->from,
                        .to = c->to,
                        .tol = c->tol,
                        .metric = c->metric,
                        .level = c->level,
                        .at_least = c->at_least,
                        .threads = c->threads,
                        .engine = c->engine,
                        .stop = &stop_requested};
    lc_error err = {0};
    int rc = lc_search(&o, stdout, &err);
    if (rc)
        print_errors(&err);
    return stop_requested ? EXIT_INTERRUPTED : rc;
}

/* Run `python -m module args...` with the package of this build's source
 * tree ahead of any installed one: in place of this process (wait 0, for
 * `report`), or as a child, returning its exit code (-1: it could not run).
 * prog, when not NULL, is how the module names itself in usage errors. */
static int run_python(const char *module, const char *prog, int argc, char **argv, int wait)
{
    const char *py = getenv("LIQCASCADE_PYTHON");
    if (!py || !*py)
        py = "/usr/bin/python3";
    const char *old = getenv("PYTHONPATH");
    size_t n = strlen(LC_ANALYSIS_DIR) + (old ? strlen(old) + 1 : 0) + 1;
    char *path = malloc(n);
    char **args = calloc((size_t)argc + 4, sizeof *args);
    int rc = -1;
    if (!path || !args) {
        fprintf(stderr, "liqcascade: out of memory\n");
        goto done;
    }
    snprintf(path, n, "%s%s%s", LC_ANALYSIS_DIR, old && *old ? ":" : "", old ? old : "");
    args[0] = (char *)py;
    args[1] = "-m";
    args[2] = (char *)module;
    for (int i = 0; i < argc; i++)
        args[3 + i] = argv[i];
    fflush(stdout);
    fflush(stderr);
    pid_t pid = wait ? fork() : 0;
    if (pid == 0) {
        setenv("PYTHONPATH", path, 1);
        if (prog) /* its usage errors name the command the user typed */
            setenv("LIQCASCADE_PROG", prog, 1);
        execvp(py, args); /* a bare name is looked up on PATH */
        fprintf(stderr,
                "liqcascade: cannot run %s: %s (set LIQCASCADE_PYTHON to a Python 3 with "
                "h5py, numpy, pandas and matplotlib)\n",
                py, strerror(errno));
        if (wait)
            _exit(127);
        goto done;
    }
    int status;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
        rc = WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
done:
    free(path);
    free(args);
    return rc;
}

/* `report`: hand the arguments to the Python report (it parses them). */
static int cmd_report(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
        printf(report_help, LC_ANALYSIS_DIR);
        return argc < 1 ? EXIT_USAGE : 0;
    }
    run_python("liqcascade.report", "liqcascade report", argc, argv, 0);
    return EXIT_RUNTIME; /* it did not start */
}

/* Default folder of `map`: the scenario's base name without extension, plus -map. */
static char *default_map_dir(const char *scenario)
{
    char *out = default_out(scenario); /* name.h5 */
    size_t n = out ? strlen(out) : 0;
    char *dir = out ? malloc(n + 2) : NULL;
    if (dir) {
        memcpy(dir, out, n - 3);
        strcpy(dir + n - 3, "-map");
    }
    free(out);
    return dir;
}

static int cmd_map(cli *c)
{
    if (signal(SIGINT, on_signal) == SIG_ERR || signal(SIGTERM, on_signal) == SIG_ERR)
        return EXIT_RUNTIME;
    char *dir = c->out ? NULL : default_map_dir(c->scenario);
    lc_map_opts o = {
        .probe = {c->scenario, c->sets, c->nsets, c->threads, c->engine, &stop_requested},
        .dir = c->out ? c->out : dir,
        .force = c->force,
        .from = c->nshocks ? c->from : -0.30,
        .to = c->nshocks ? c->to : -0.01,
        .nshocks = c->nshocks ? c->nshocks : 30,
        .market = c->market,
        .bins = c->bins ? c->bins : 120,
        .width = c->width > 0 ? c->width : 0.30,
        .settle = c->settle,
        .runaway = c->runaway > 0 ? c->runaway : 2};
    lc_error err = {0};
    int rc = o.dir ? lc_map(&o, stdout, &err) : EXIT_RUNTIME;
    if (rc)
        print_errors(&err);
    if (rc == 0 && !c->no_figures) {
        char runaway[32];
        snprintf(runaway, sizeof runaway, "%.17g", o.runaway);
        char *args[] = {(char *)o.dir, "--runaway", runaway};
        int py = run_python("liqcascade.mapplot", NULL, 3, args, 1);
        if (py != 0)
            fprintf(stderr,
                    "liqcascade map: no figures (python -m liqcascade.mapplot %s %s); the CSVs "
                    "are complete\n",
                    o.dir, py < 0 ? "could not run" : "failed");
    }
    free(dir);
    return stop_requested ? EXIT_INTERRUPTED : rc;
}

static int cli_main(int argc, char **argv);

/* The processes a launcher started this one among, when more than one
 * (Open MPI's mpirun, PMI's srun), as its text; else NULL. */
static const char *launcher_ranks(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atol(v) > 1)
            return v;
    }
    return NULL;
}

/* With MPI (engine/ranks.h), every rank runs the same command line; rank 0
 * alone speaks and writes, the others compute their share of the runs. */
int main(int argc, char **argv)
{
    if (lc_ranks_init(&argc, &argv)) {
        fprintf(stderr, "liqcascade: cannot start MPI\n");
        return EXIT_RUNTIME;
    }
    const char *launched = launcher_ranks();
    if (lc_ranks() == 1 && launched) { /* N copies of one job would write one file */
        fprintf(stderr,
                "liqcascade: started as one of %s processes of a parallel job, but this "
                "binary %s: each process would run the whole job into the same file. Run "
                "the MPI build (make mpi: build-mpi/liqcascade)%s, or start one process\n",
                launched,
#ifdef LC_MPI
                "sees a job of one rank (the launcher and MPI do not agree)",
                " with a launcher it knows (srun --mpi=pmix)"
#else
                "was built without MPI", ""
#endif
        );
        lc_ranks_finish();
        return EXIT_USAGE;
    }
    if (lc_rank() > 0) { /* what they would print, rank 0 prints */
        FILE *out = freopen("/dev/null", "w", stdout), *errs = freopen("/dev/null", "w", stderr);
        (void)out;
        (void)errs;
    }
    int rc = EXIT_USAGE;
    if (lc_ranks() > 1 && (argc < 2 || (strcmp(argv[1], "run") && strcmp(argv[1], "sweep"))))
        fprintf(stderr,
                "liqcascade: %s runs on one process: start it without mpirun (or with -np 1); "
                "run and sweep share their runs among the ranks of a job\n",
                argc < 2 ? "liqcascade" : argv[1]);
    else
        rc = cli_main(argc, argv);
    lc_ranks_finish();
    return rc;
}

static int cli_main(int argc, char **argv)
{
    lc_hdf5_setup();
    const char *broken = lc_rules_check(); /* a programming error, caught at once */
    if (broken) {
        fprintf(stderr, "liqcascade: %s\n", broken);
        return 1;
    }
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        printf(main_help, LC_VERSION);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "report") == 0)
        return cmd_report(argc - 2, argv + 2);
    if (strcmp(argv[1], "--version") == 0) {
        printf("liqcascade %s (%s)\n", LC_VERSION, LC_GIT_COMMIT);
        return 0;
    }
    static const struct {
        const char *name, *help;
        int (*fn)(cli *);
    } cmds[] = {{"run", run_help, cmd_run},
                {"sweep", sweep_help, cmd_sweep},
                {"validate", validate_help, cmd_validate},
                {"info", info_help, cmd_info},
                {"search", search_help, cmd_search},
                {"map", map_help, cmd_map},
                {"models", models_help, NULL}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        cli c = {0};
        c.argv0 = argv[0];
        c.command = command_line(argc, argv);
        int rc = parse(argc - 1, argv + 1, cmds[i].name, cmds[i].help, &c);
        if (rc < 0) {
            if (cmds[i].fn)
                rc = cmds[i].fn(&c);
            else {
                lc_catalog_print(stdout, c.markdown);
                rc = 0;
            }
        }
        free(c.sets);
        free(c.vary);
        free(c.zip);
        free(c.command);
        for (int k = 0; k < c.nowned; k++)
            free(c.owned[k]);
        return rc;
    }
    fprintf(stderr, "liqcascade: unknown command '%s'\n(see: liqcascade --help)\n", argv[1]);
    return EXIT_USAGE;
}

/* main.c — the command line (DESIGN §9). The only code that prints errors and
 * chooses exit codes: 0 ok, 1 runtime failure, 2 bad usage or scenario,
 * 130 interrupted (the completed runs are kept, status=interrupted). */
#include <getopt.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "lc_commit.h" /* LC_GIT_COMMIT */
#include "population.h"
#include "runner.h"
#include "scenario.h"
#include "summary.h"
#include "writer.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char *const main_help =
    "liqcascade %s — Monte Carlo liquidation-cascade simulator\n"
    "\n"
    "usage:\n"
    "  liqcascade run SCENARIO [-o OUT.h5] [options]   simulate, write one HDF5 file\n"
    "  liqcascade validate SCENARIO [--set key=value]  print the resolved scenario, or the errors\n"
    "  liqcascade info OUT.h5                          what is in a result file\n"
    "  liqcascade models [--markdown]                  every model, distribution and key\n"
    "\n"
    "`liqcascade COMMAND --help` explains each command. Scenario keys: docs/scenario.md;\n"
    "the HDF5 layout: docs/schema.md. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or\n"
    "scenario, 130 interrupted.\n";

static const char *const run_help =
    "usage: liqcascade run SCENARIO [-o OUT.h5] [options]\n"
    "\n"
    "Simulate every run of SCENARIO and write OUT.h5 (default: the scenario's name with .h5,\n"
    "in the current folder). The file is written as OUT.h5.partial and renamed when complete;\n"
    "a failed run leaves no OUT.h5. Ctrl-C stops early and keeps the completed runs\n"
    "(status=interrupted, exit 130); a second Ctrl-C quits at once.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5    result file\n"
    "      --runs N           same as --set simulation.runs=N\n"
    "      --steps N          same as --set simulation.steps=N\n"
    "      --seed S           same as --set simulation.seed=S\n"
    "      --set key=value    override any scenario key, e.g. --set price.sigma=1.2,\n"
    "                         --set venue.tiers.0.mmr=0.005 (value is YAML: [a, b], {k: v})\n"
    "  -t, --threads T        OpenMP threads (default: all cores); results do not depend on it\n"
    "      --engine E         index (default) or scan (checks every account: the slow oracle)\n"
    "      --batch N          runs computed per batch (default: about 32 MiB of series);\n"
    "                         bounds memory, never changes results\n"
    "      --events           also write /events: every liquidation\n"
    "      --population       also write /population: every account\n"
    "  -f, --force            overwrite OUT.h5 if it exists\n"
    "  -q, --quiet            no progress line and no summary\n"
    "  -h, --help             this text\n";

static const char *const validate_help =
    "usage: liqcascade validate SCENARIO [--set key=value]...\n"
    "\n"
    "Check SCENARIO (and draw its population, which catches tier and entry errors), then\n"
    "print the resolved scenario: every key with the value a run would use. The output is\n"
    "itself a scenario that reproduces the run. On errors, print each as\n"
    "FILE:LINE: KEY: MESSAGE and exit 2.\n";

static const char *const info_help =
    "usage: liqcascade info OUT.h5\n"
    "\n"
    "Print what a result file holds: version, status, size of the run, datasets with\n"
    "their units, and a summary of every /runs column.\n";

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
    int threads, events, population, force, quiet, markdown;
    long batch;
    lc_engine_kind engine;
    const char *argv0; /* how the user called us, for the "next:" hint */
    char *owned[32]; /* --set strings built from --runs/--steps/--seed */
    int nowned;
} cli;

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

/* Parse options of a subcommand; returns -1 to continue, else an exit code. */
static int parse(int argc, char **argv, const char *cmd, const char *help, cli *c)
{
    enum { O_RUNS = 256, O_STEPS, O_SEED, O_SET, O_ENGINE, O_EVENTS, O_POP, O_MD, O_BATCH };
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"threads", required_argument, 0, 't'},
        {"force", no_argument, 0, 'f'},        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {"runs", required_argument, 0, O_RUNS},
        {"steps", required_argument, 0, O_STEPS}, {"seed", required_argument, 0, O_SEED},
        {"set", required_argument, 0, O_SET},  {"engine", required_argument, 0, O_ENGINE},
        {"events", no_argument, 0, O_EVENTS},  {"population", no_argument, 0, O_POP},
        {"markdown", no_argument, 0, O_MD},    {"batch", required_argument, 0, O_BATCH},
        {0, 0, 0, 0}};
    int is_run = strcmp(cmd, "run") == 0;
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
            bad = is_run ? NULL : "-o";
            break;
        case 't': {
            char *end;
            long t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 4096)
                return usage_error(cmd, "--threads takes a whole number from 1 to 4096");
            c->threads = (int)t;
            bad = is_run ? NULL : "--threads";
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
        case 'f': c->force = 1; bad = is_run ? NULL : "--force"; break;
        case 'q': c->quiet = 1; bad = is_run ? NULL : "--quiet"; break;
        case O_EVENTS: c->events = 1; bad = is_run ? NULL : "--events"; break;
        case O_POP: c->population = 1; bad = is_run ? NULL : "--population"; break;
        case O_MD: c->markdown = 1; bad = strcmp(cmd, "models") == 0 ? NULL : "--markdown"; break;
        case O_ENGINE:
            if (strcmp(optarg, "index") == 0)
                c->engine = LC_ENGINE_INDEX;
            else if (strcmp(optarg, "scan") == 0)
                c->engine = LC_ENGINE_SCAN;
            else
                return usage_error(cmd, "--engine is index or scan");
            bad = is_run ? NULL : "--engine";
            break;
        case O_RUNS:
        case O_STEPS:
        case O_SEED: {
            const char *key = ch == O_RUNS ? "simulation.runs" : ch == O_STEPS ? "simulation.steps"
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
            bad = strcmp(cmd, "info") == 0 || strcmp(cmd, "models") == 0 ? "--runs/--steps/--seed" : NULL;
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

static int cmd_validate(cli *c)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_load(c->scenario, c->sets, c->nsets, &err);
    lc_population *pop = sc ? lc_population_create(sc, &err) : NULL;
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
    printf("# population: %ld accounts (%ld long, %ld short)\n", pop->n, pop->n_long, pop->n_short);
    free(yaml);
    lc_population_free(pop);
    lc_scenario_free(sc);
    return 0;
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

static int cmd_run(cli *c)
{
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_load(c->scenario, c->sets, c->nsets, &err);
    if (!sc) {
        print_errors(&err);
        return EXIT_USAGE;
    }
    char *out = c->out ? NULL : default_out(c->scenario);
    const char *path = c->out ? c->out : out;
    struct stat stbuf;
    if (path && !c->force && lstat(path, &stbuf) == 0) { /* say so before any work */
        fprintf(stderr, "%s: exists; use --force to overwrite\n", path);
        free(out);
        lc_scenario_free(sc);
        return EXIT_USAGE;
    }
    int rc = EXIT_RUNTIME;
    lc_population *pop = lc_population_create(sc, &err);
    lc_writer *w = NULL;
    if (!pop) {
        rc = EXIT_USAGE; /* population errors are scenario errors */
        goto done;
    }
    lc_writer_opts wo = {path, c->force, c->events, c->population, 1,
                         c->engine == LC_ENGINE_SCAN ? "scan" : "index"};
    if (!(w = lc_writer_create(&wo, sc, pop, &err)))
        goto done;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal ends the process */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int threads = c->threads > 0 ? c->threads : omp_get_max_threads();
    int tty = isatty(STDERR_FILENO);
    if (!c->quiet)
        fprintf(stderr,
                "liqcascade: %ld runs x %ld steps of %g s over %ld accounts (%ld long, %ld short), "
                "%d threads\n",
                sc->runs, sc->steps, sc->dt_s, pop->n, pop->n_long, pop->n_short, threads);
    lc_summary sum;
    lc_summary_init(&sum);
    lc_runner_opts ro = {threads, c->engine, c->events, tty && !c->quiet, &stop_requested, c->batch, &sum};
    lc_runner_stats st;
    const lc_scenario *scs[1] = {sc};
    const lc_population *pops[1] = {pop};
    if (lc_runner_run(scs, pops, 1, &ro, w, &st, &err))
        goto done;
    if (lc_writer_finish(w, !st.interrupted, &err)) {
        w = NULL;
        goto done;
    }
    w = NULL;
    rc = st.interrupted ? EXIT_INTERRUPTED : 0;
    if (!c->quiet) {
        char size[32] = "?";
        if (stat(path, &stbuf) == 0)
            human_bytes(size, sizeof size, (double)stbuf.st_size);
        double rate = st.seconds > 0 ? (double)st.rows_done / st.seconds : 0;
        fprintf(stderr, "%s %ld of %ld runs in %.1f s (%.1f runs/s, %.3g account-steps/s)\n",
                st.interrupted ? "interrupted after" : "done:", st.rows_done, sc->runs,
                st.seconds, rate, rate * (double)sc->steps * (double)pop->n);
        fprintf(stderr, "wrote %s (%s%s)\n", path, size,
                st.interrupted ? ", status=interrupted" : "");
        lc_summary_print(&sum, stderr);
        fprintf(stderr,
                "next: %s info %s\n"
                "      /usr/bin/python3 -c \"import h5py; f = h5py.File('%s'); "
                "print(f['runs']['liq_notional_long'][:5])\"\n",
                c->argv0, path, path);
    }
done:
    if (rc == EXIT_RUNTIME || rc == EXIT_USAGE)
        print_errors(&err);
    lc_writer_abort(w);
    lc_population_free(pop);
    lc_scenario_free(sc);
    free(out);
    return rc;
}

static int cmd_info(cli *c)
{
    lc_error err = {0};
    if (lc_info_print(c->scenario, stdout, &err)) {
        print_errors(&err);
        return EXIT_RUNTIME;
    }
    return 0;
}

int main(int argc, char **argv)
{
    lc_hdf5_setup();
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        printf(main_help, LC_VERSION);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("liqcascade %s (%s)\n", LC_VERSION, LC_GIT_COMMIT);
        return 0;
    }
    static const struct {
        const char *name, *help;
        int (*fn)(cli *);
    } cmds[] = {{"run", run_help, cmd_run},
                {"validate", validate_help, cmd_validate},
                {"info", info_help, cmd_info},
                {"models", models_help, NULL}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        cli c = {0};
        c.argv0 = argv[0];
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
        for (int k = 0; k < c.nowned; k++)
            free(c.owned[k]);
        return rc;
    }
    fprintf(stderr, "liqcascade: unknown command '%s'\n(see: liqcascade --help)\n", argv[1]);
    return EXIT_USAGE;
}

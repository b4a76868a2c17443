/* catalog.c — the printed reference of every model and key, from the tables.
 *
 * `liqcascade models` prints it as text; `liqcascade models --markdown` prints
 * docs/models.md, which a test keeps identical to this output. Nothing here
 * is written by hand: a new model or key appears once it is in a table. */
#include "cli/catalog.h"

#include <string.h>

#include "book/dist.h"
#include "scenario/scenario.h"
#include "venue/margin.h"

static void fmt_value(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "required");
    else
        snprintf(buf, size, "%.6g", v);
}

static void print_param(FILE *out, const char *unit, const lc_param *p, int md)
{
    char def[32], range[96];
    fmt_value(def, sizeof def, p->def);
    if (p->kind == LC_LIST)
        snprintf(def, sizeof def, "%s", isnan(p->def) ? "required" : "[]");
    lc_param_range_text(p, range, sizeof range);
    if (p->kind == LC_PATH)
        snprintf(range, sizeof range, "relative to the scenario file");
    const char *kind = p->kind == LC_INT    ? "integer"
                       : p->kind == LC_LIST ? "list"
                       : p->kind == LC_PATH ? "file path,"
                                            : "number";
    if (md)
        fprintf(out, "| `%s` | %s | %s | %s %s | %s |\n", p->name, unit, def, kind, range, p->doc);
    else
        fprintf(out, "      %-16s %-11s default %-10s %s %s\n        %s\n", p->name, unit, def,
                kind, range, p->doc);
}

static void table_head(FILE *out, int md)
{
    if (md)
        fprintf(out, "| key | unit | default | allowed | meaning |\n|---|---|---|---|---|\n");
}

/* A venue rule (venue/rule.h): its name-valued keys with their choices, its
 * numeric keys, and the /runs columns and /events kinds it adds. */
static void print_rule(FILE *out, const lc_rule *ru, int md)
{
    if (md)
        fprintf(out, "\n#### Rule `%s` — %s\n\nKeys under `%s`.\n", ru->d.name, ru->d.doc,
                ru->section);
    else
        fprintf(out, "    rule %s (keys under %s): %s\n", ru->d.name, ru->section, ru->d.doc);
    for (int i = 0; i < ru->nnames; i++) {
        const lc_rule_name *nm = &ru->names[i];
        if (md)
            fprintf(out, "\n`%s` is one of (default `%s`):\n\n| value | meaning |\n|---|---|\n",
                    nm->key, nm->names[0].name);
        else
            fprintf(out, "      %s: one of (default %s)\n", nm->key, nm->names[0].name);
        for (int j = 0; j < nm->n; j++)
            fprintf(out, md ? "| `%s` | %s |\n" : "        %-14s %s\n", nm->names[j].name,
                    nm->names[j].doc);
    }
    if (ru->d.nparams) {
        if (md)
            fprintf(out, "\n");
        table_head(out, md);
        for (int i = 0; i < ru->d.nparams; i++)
            print_param(out, ru->d.params[i].unit, &ru->d.params[i], md);
    }
    if (ru->ncolumns == 0 && ru->nevents == 0) { /* its keys are read by other rules */
        fprintf(out, md ? "\nAdds no /runs column (its keys are used by the lending protocols' "
                          "rules).\n"
                        : "      adds no /runs column (its keys: the lending protocols')\n");
        return;
    }
    if (md)
        fprintf(out, "\nAdds /runs columns:");
    else
        fprintf(out, "      adds /runs columns:");
    for (int i = 0; i < ru->ncolumns; i++)
        fprintf(out, md ? " `%s` (%s)%s" : " %s (%s)%s", ru->columns[i].name, ru->columns[i].units,
                i + 1 < ru->ncolumns ? "," : "");
    for (int i = 0; i < ru->nevents; i++)
        fprintf(out, md ? "; /events kind %d: %s" : "; /events kind %d: %s", ru->events[i].kind,
                ru->events[i].description);
    fprintf(out, md ? ".\n" : "\n");
}

/* markets: and correlation: (DESIGN §12), from their tables in scenario.c. */
static void print_markets(FILE *out, int md)
{
    if (md)
        fprintf(out,
                "### `markets`\n\n"
                "A list of 1 to %d markets in place of the one-market form's `price`, "
                "`impact`, `venue.tiers` and `venue.mark`. Each entry has `name` (letters, "
                "digits, `_`, `-`; unique), `price` (with its `shock`), `impact`, `mark` and "
                "`tiers`, each taking the keys of that section, and `common_jump`:\n\n",
                LC_MAX_MARKETS);
    else
        fprintf(out,
                "\n  markets: a list of 1 to %d markets in place of price, impact, venue.tiers "
                "and venue.mark;\n    each {name, price (with shock), impact, mark, tiers} "
                "taking those sections' keys, and common_jump:\n",
                LC_MAX_MARKETS);
    table_head(out, md);
    for (int i = 0; i < 2; i++)
        print_param(out, lc_common_jump_params[i].unit, &lc_common_jump_params[i], md);
    print_param(out, lc_collateral_rate_param.unit, &lc_collateral_rate_param, md);
    if (md)
        fprintf(out, "\n`population.markets`: a map of market name to weight, the share of "
                     "drawn accounts trading it (default: equal shares).\n\n"
                     "`population.kinds`: a map of margin model (`isolated`, `cross`, "
                     "`portfolio`; margin models below) to the accounts of that kind (absent: "
                     "every account isolated); each may have `collateral`, a map of market "
                     "name to the share of the account's collateral value at s0 held in that "
                     "market's asset (the rest is quote), and its own `notional` and "
                     "`leverage` (distributions as `population`'s):\n\n");
    else
        fprintf(out, "    population.markets: {name: weight, ...}, the share of drawn accounts "
                     "per market (default equal)\n"
                     "    population.kinds: {isolated|cross|portfolio: {...}}, the kinds of "
                     "account (default: all isolated);\n      collateral: {market: share}, "
                     "of the collateral value at s0 (the rest quote); its own notional,\n"
                     "      leverage (as population's); and:\n");
    table_head(out, md);
    for (int i = 0; i < lc_n_kind_params; i++)
        print_param(out, lc_kind_params[i].unit, &lc_kind_params[i], md);
    if (md)
        fprintf(out, "\n### `correlation`\n\n"
                     "Of the markets' standard innovations (two markets or more). `copula` is "
                     "`gaussian` (default) or `t`; `matrix` (a K x K list of rows, symmetric, "
                     "unit diagonal, positive semi-definite) or:\n\n");
    else
        fprintf(out, "\n  correlation: of the markets' innovations (two markets or more); copula "
                     "gaussian (default) or t;\n    matrix (K x K rows: symmetric, unit "
                     "diagonal, PSD) or:\n");
    table_head(out, md);
    for (int i = 0; i < lc_n_correlation_params; i++)
        print_param(out, lc_correlation_params[i].unit, &lc_correlation_params[i], md);
    if (md)
        fprintf(out, "\n`correlation.stress`: its own `matrix` or `rho`, and either a Markov "
                     "regime or a window:\n\n");
    else
        fprintf(out, "    stress: its own matrix or rho, and a Markov regime or a window:\n");
    table_head(out, md);
    for (int i = 0; i < lc_n_stress_params; i++)
        print_param(out, lc_stress_params[i].unit, &lc_stress_params[i], md);
    if (md)
        fprintf(out, "\n`correlation.common_jumps`:\n\n");
    else
        fprintf(out, "    common_jumps:\n");
    table_head(out, md);
    print_param(out, lc_common_jumps_rate.unit, &lc_common_jumps_rate, md);
    if (md)
        fprintf(out, "\n");
}

void lc_catalog_print(FILE *out, int md)
{
    if (md)
        fprintf(out, "# Models and keys\n\n"
                     "Generated by `liqcascade models --markdown` from the parameter tables in "
                     "the code; do not edit by hand (a test compares them).\n\n"
                     "Units: quote = quote currency; s = seconds; 1/yr and 1/sqrt(yr) are "
                     "annualised over 365 days; x = leverage multiple; 1 = dimensionless.\n\n");
    else
        fprintf(out,
                "liqcascade %s: every model, distribution and scenario key\n"
                "(units: quote currency; s = seconds; yr = 365 days; x = leverage; 1 = "
                "dimensionless)\n",
                LC_VERSION);

    const char *sections[] = {"simulation", "population", "venue", "output"};
    if (md)
        fprintf(out, "## Fixed keys\n\n");
    else
        fprintf(out, "\nFixed keys\n");
    for (int s = 0; s < LC_COUNT(sections); s++) {
        if (md)
            fprintf(out, "### `%s`\n\n", sections[s]);
        else
            fprintf(out, "\n  %s:\n", sections[s]);
        table_head(out, md);
        for (int i = 0; i < lc_n_core_keys; i++)
            if (strcmp(lc_core_keys[i].section, sections[s]) == 0)
                print_param(out, lc_core_keys[i].p.unit, &lc_core_keys[i].p, md);
        if (strcmp(sections[s], "venue") == 0) {
            if (md)
                fprintf(out, "\nEach entry of `venue.tiers` (a list, ordered by `up_to`):\n\n");
            else
                fprintf(out, "    tiers: list of\n");
            table_head(out, md);
            for (int i = 0; i < lc_n_tier_params; i++)
                print_param(out, lc_tier_params[i].unit, &lc_tier_params[i], md);
            for (int k = 0; k < lc_n_rules; k++)
                print_rule(out, lc_rules[k], md);
        }
        if (md)
            fprintf(out, "\n");
    }

    print_markets(out, md);
    if (md)
        fprintf(out, "## Margin models — chosen per account by `population.kinds` (or a "
                     "positions file's `margin` column)\n\n");
    else
        fprintf(out, "\nmargin models (population.kinds, or a positions file's margin column):\n");
    for (int m = 0; m < LC_MARGIN_NKINDS; m++)
        fprintf(out, md ? "- `%s`: %s.\n" : "    %s — %s\n", lc_margin_models[m]->name,
                lc_margin_models[m]->doc);
    if (md)
        fprintf(out, "\n");

    for (const lc_family *const *fp = lc_families; *fp; fp++) {
        const lc_family *f = *fp;
        if (md)
            fprintf(out, "## `%s` — chosen by `%s`\n\n%s.\n\n", f->section, f->selector, f->doc);
        else
            fprintf(out, "\n%s (choose with %s.%s): %s\n", f->section, f->section, f->selector,
                    f->doc);
        if (f->ncommon) {
            if (md)
                fprintf(out, "Keys every %s takes:\n\n", f->selector);
            else
                fprintf(out, "    keys every %s takes:\n", f->selector);
            table_head(out, md);
            for (int i = 0; i < f->ncommon; i++)
                print_param(out, f->common[i].unit, &f->common[i], md);
            if (md)
                fprintf(out, "\n");
        }
        for (int m = 0; m < f->nmembers; m++) {
            const lc_desc *d = f->members[m];
            if (md)
                fprintf(out, "### `%s: %s`\n\n%s.\n\n", f->selector, d->name, d->doc);
            else
                fprintf(out, "    %s: %s — %s\n", f->selector, d->name, d->doc);
            if (d->nparams)
                table_head(out, md);
            for (int i = 0; i < d->nparams; i++)
                print_param(out, lc_family_unit(f, &d->params[i]), &d->params[i], md);
            if (md)
                fprintf(out, d->nparams ? "\n" : "No parameters.\n\n");
        }
    }
}

/* test_rules.c — the registry of venue rules (sim/venue/rule.h, rules.c):
 * the tables every consumer walks agree with each other and with the file
 * format, and each rule's keys round-trip through the resolved scenario. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "book/rekey.h"
#include "out/record.h"
#include "support.h"
#include "venue/rule.h"

#define BASE                                                                                       \
    "simulation: {runs: 2, steps: 5, dt: 60, seed: 1}\n"                                           \
    "price: {model: gbm, s0: 100, sigma: 0.5}\n"                                                   \
    "population:\n"                                                                                \
    "  accounts: 10\n"                                                                             \
    "  notional: {dist: fixed, value: 1000}\n"                                                     \
    "  leverage: {dist: fixed, value: 10}\n"

/* The event kinds docs/schema.md documents for each rule. */
Test(rules, event_kinds_are_the_documented_ones_and_unique)
{
    static const struct {
        const char *rule;
        int kind;
    } want[] = {{"adl", 2}, {"partial", 3}, {"topup", 4}, {"compound", 10}, {"maker", 11}};
    int seen[64] = {0};
    for (int k = 0; k < lc_n_rules; k++)
        for (int e = 0; e < lc_rules[k]->nevents; e++) {
            int kind = lc_rules[k]->events[e].kind;
            cr_assert(kind > LC_EVENT_LIQUIDATION && kind < 64, "%s: kind %d", lc_rules[k]->d.name,
                      kind);
            cr_assert_eq(seen[kind]++, 0, "kind %d declared twice", kind);
        }
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int k = lc_rule_find(want[i].rule);
        cr_assert_geq(k, 0, "no rule %s", want[i].rule);
        cr_assert_eq(lc_rules[k]->nevents, 1);
        cr_assert_eq(lc_rules[k]->events[0].kind, want[i].kind);
    }
    const char *doc = lc_event_columns()[6].description;
    cr_assert_str_eq(lc_event_columns()[6].name, "kind");
    cr_assert(strstr(doc, "2 = auto-deleveraging") && strstr(doc, "3 = partial") &&
                  strstr(doc, "4 = margin top-up"),
              "%s", doc);
}

/* The rules' columns sit after bad_debt in registry order, each at its own
 * cell, and the cells and words fit their limits. */
Test(rules, columns_and_words_fit_and_follow_the_registry)
{
    const lc_column *c = lc_run_columns();
    int n = lc_n_run_columns(), at = -1, cells = 0, words = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(c[i].name, "bad_debt") == 0)
            at = i + 1;
    cr_assert_gt(at, 0);
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        cr_assert_eq(lc_rule_cell0(k), cells);
        cr_assert_eq(lc_rule_word0(k), words);
        for (int j = 0; j < ru->ncolumns; j++, at++) {
            cr_assert_str_eq(c[at].name, ru->columns[j].name);
            cr_assert_eq(c[at].type, ru->columns[j].type);
            cr_assert_eq(c[at].offset,
                         offsetof(lc_run_row, rules) + (size_t)(cells + j) * sizeof(lc_cell));
        }
        cells += ru->ncolumns;
        words += ru->words;
    }
    cr_assert_str_eq(c[at].name, "max_rounds", "the core's tail follows the rules");
    cr_assert_leq(cells, LC_RULE_MAX_CELLS);
    cr_assert_leq(words, LC_RULE_MAX_WORDS);
    cr_assert_leq(words, LC_REKEY_WORDS);
    lc_run_row row = {.bad_debt = 7};
    row.rules[lc_rule_cell0(lc_rule_find("topup")) + 2].d = 12.5;
    cr_assert_eq(lc_run_value(&row, "bad_debt"), 7);
    cr_assert_eq(lc_run_value(&row, "topup_amount"), 12.5);
    cr_assert(isnan(lc_run_value(&row, "no_such_column")));
}

/* With every key at its default a rule is off: a scenario that names no
 * rule instantiates none (and takes the plain settlement path). */
Test(rules, defaults_switch_every_rule_off)
{
    lc_scenario *sc = t_scenario(BASE);
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        lc_rule_setting set = {0};
        for (int i = 0; i < ru->d.nparams; i++)
            set.p[i] = ru->d.params[i].def;
        cr_assert_not(ru->enabled(&set, sc), "%s is on by default", ru->d.name);
        cr_assert_not(ru->enabled(&sc->rules[k], sc), "%s is on in a plain scenario", ru->d.name);
    }
    lc_scenario_free(sc);
}

/* Every rule key is in the resolved scenario under its section, and a
 * non-default value survives the round trip. */
Test(rules, keys_round_trip_through_the_resolved_scenario)
{
    lc_scenario *sc = t_scenario(BASE "venue:\n  adl: adl\n  adl_ranking: size\n"
                                      "  partial: {mode: tier, fraction: 0.3, cooldown: 4}\n"
                                      "  topup: {probability: 0.25, call: 0.9, delay: 3, "
                                      "target: 0.4}\n"
                                      "  backstop: {fraction: 0.6667, unwind: 0.1}\n"
                                      "  lending: aave\n"
                                      "  aave: {close_factor: 0.4, protocol_fee: 0.2}\n"
                                      "  liquidators: {capacity: 1.0e6, latency: 2, gas: 5, "
                                      "min_profit: 0.01}\n");
    char *y = lc_scenario_resolved_yaml(sc);
    lc_scenario *back = t_scenario(y);
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        /* a rule without hooks never runs (the liquidators: the protocols read its keys) */
        int hooks = ru->on_run || ru->on_step || ru->on_breach || ru->on_liquidate ||
                    ru->on_settle || ru->on_change || ru->on_shortfall || ru->on_end;
        /* of the lending protocols, venue.lending's only */
        int protocol = 0;
        for (int j = 1; j < LC_LENDING_N; j++)
            protocol = strcmp(ru->d.name, lc_lending_protocols[j]) == 0 ? j : protocol;
        int on = hooks && (!protocol || protocol == (int)back->lending);
        cr_assert(ru->enabled(&back->rules[k], back) == on, "%s", ru->d.name);
        for (int i = 0; i < ru->nnames; i++) {
            cr_assert(strstr(y, ru->names[i].key), "%s missing in\n%s", ru->names[i].key, y);
            cr_assert_eq(back->rules[k].name[i], sc->rules[k].name[i]);
        }
        for (int i = 0; i < ru->d.nparams; i++)
            cr_assert_eq(back->rules[k].p[i], sc->rules[k].p[i], "%s.%s", ru->section,
                         ru->d.params[i].name);
    }
    cr_assert_str_eq(lc_scenario_rule_name(back, "adl", "adl_ranking"), "size");
    cr_assert_eq(lc_scenario_rule_number(back, "partial", "cooldown"), 4);
    cr_assert_eq(lc_scenario_rule_number(back, "topup", "target"), 0.4);
    cr_assert_null(lc_scenario_rule_name(back, "adl", "no_such_key"));
    cr_assert(isnan(lc_scenario_rule_number(back, "no_such_rule", "x")));
    free(y);
    lc_scenario_free(back);
    lc_scenario_free(sc);
}

/* A rule's cross-key check reports the key's own line. */
Test(rules, cross_key_checks_name_the_line)
{
    {
        const char *e = t_scenario_errors(BASE "venue:\n  topup:\n    probability: 0.5\n"
                                               "    call: 0.6\n    target: 0.7\n",
                                          NULL, 0);
        cr_assert(strstr(e, "test.yaml:11: venue.topup.target: must be < venue.topup.call"), "%s",
                  e);
    }
}

/* rules.c — the registry of venue rules (rule.h): one line per rule; the
 * order is the order their hooks run and their /runs columns appear. */
#include <stdio.h>
#include <string.h>

#include "venue/rule.h"

extern const lc_rule lc_rule_backstop, lc_rule_adl, lc_rule_partial, lc_rule_topup,
    lc_rule_liquidators, lc_rule_aave, lc_rule_compound, lc_rule_maker, lc_rule_liquity;

const lc_rule *const lc_rules[] = {
    &lc_rule_backstop, /* first: a taken account is no other rule's */
    &lc_rule_adl,         &lc_rule_partial, &lc_rule_topup,
    &lc_rule_liquidators, /* its settings: the lending protocols' liquidators */
    &lc_rule_aave,        /* the lending protocols: venue.lending switches one on */
    &lc_rule_compound,    &lc_rule_maker,   &lc_rule_liquity,
};
const int lc_n_rules = LC_COUNT(lc_rules);

_Static_assert(LC_COUNT(lc_rules) <= LC_RULE_MAX, "raise LC_RULE_MAX");

const char *lc_rules_check(void)
{
    static char msg[256];
    int cells = 0, words = 0, kinds[64] = {0};
    /* the core's: LC_EVENT_COLLATERAL_SALE, _TAKEN, LC_EVENT_CDP (out/record.h) */
    kinds[5] = kinds[8] = kinds[9] = 1;
    for (int k = 0; k < lc_n_rules; k++) {
        const lc_rule *ru = lc_rules[k];
        cells += ru->ncolumns;
        words += ru->words;
        if (ru->nnames > LC_RULE_MAX_NAMES || ru->d.nparams > LC_MAX_PARAMS)
            snprintf(msg, sizeof msg, "rule %s: more keys than LC_RULE_MAX_NAMES/LC_MAX_PARAMS",
                     ru->d.name);
        for (int i = 0; i < ru->nnames; i++)
            if (ru->names[i].n > LC_RULE_MAX_CHOICES)
                snprintf(msg, sizeof msg, "rule %s: %s has more than LC_RULE_MAX_CHOICES values",
                         ru->d.name, ru->names[i].key);
        for (int e = 0; e < ru->nevents; e++) {
            int kind = ru->events[e].kind;
            if (kind < 2 || kind >= 64 || kinds[kind]++)
                snprintf(msg, sizeof msg,
                         "rule %s: event kind %d is taken (1, 5, 8 and 9 are the core's) or out of "
                         "2..63",
                         ru->d.name, kind);
        }
        if (cells > LC_RULE_MAX_CELLS || words > LC_RULE_MAX_WORDS)
            snprintf(msg, sizeof msg,
                     "rule %s: the rules' /runs columns (%d) or book words (%d) exceed "
                     "LC_RULE_MAX_CELLS/LC_RULE_MAX_WORDS",
                     ru->d.name, cells, words);
        if (msg[0])
            return msg;
    }
    return NULL;
}

int lc_rule_find(const char *name)
{
    for (int k = 0; k < lc_n_rules; k++)
        if (strcmp(lc_rules[k]->d.name, name) == 0)
            return k;
    return -1;
}

int lc_rule_cell0(int k)
{
    int n = 0;
    for (int j = 0; j < k; j++)
        n += lc_rules[j]->ncolumns;
    return n;
}

int lc_rule_word0(int k)
{
    int n = 0;
    for (int j = 0; j < k; j++)
        n += lc_rules[j]->words;
    return n;
}

/* rules.c — the registry of venue rules (rule.h): one line per rule; the
 * order is the order their hooks run and their /runs columns appear. */
#include <string.h>

#include "venue/rule.h"

extern const lc_rule lc_rule_adl, lc_rule_partial, lc_rule_topup;

const lc_rule *const lc_rules[] = {
    &lc_rule_adl,
    &lc_rule_partial,
    &lc_rule_topup,
};
const int lc_n_rules = LC_COUNT(lc_rules);

_Static_assert(LC_COUNT(lc_rules) <= LC_RULE_MAX, "raise LC_RULE_MAX");

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

/* yamltree.h — a small tree of YAML nodes that remember where they came from.
 *
 * Built with libyaml's document loader, so every node keeps its line; --set
 * overrides graft nodes parsed from the override's text, whose `src` names
 * the override instead of the file. Validation marks the map keys it reads
 * (`used`), and whatever is left unmarked is an unknown key. */
#ifndef LC_YAMLTREE_H
#define LC_YAMLTREE_H

#include "base/error.h"

typedef enum lc_node_kind { LC_NODE_SCALAR, LC_NODE_MAP, LC_NODE_SEQ } lc_node_kind;

typedef struct lc_node {
    lc_node_kind kind;
    const char *src; /* file name or "--set key=value" (borrowed, outlives the tree) */
    int line;        /* 1-based; 0 when src is an override */
    char *text;      /* scalar value */
    int plain;       /* scalar was written without quotes */
    int n;           /* map pairs or sequence items */
    int cap;         /* room allocated in keys/key_lines/used/vals (>= n) */
    char **keys;     /* map keys */
    int *key_lines;
    unsigned char *used;
    struct lc_node **vals; /* map values or sequence items */
} lc_node;

/* Parse one YAML document. An empty document gives an empty map. */
lc_node *lc_yaml_parse(const char *src, const char *text, lc_error *err);

/* Apply "dotted.key=value" (value parsed as YAML, e.g. 0.3, [a, b], {k: v});
 * numeric path parts index sequences (venue.tiers.0.mmr). `label` (e.g.
 * "--set price.sigma=0.3") names the override in messages and must outlive
 * the tree: nodes borrow it as their src. */
int lc_yaml_set(lc_node *root, const char *assignment, const char *label, lc_error *err);

/* Value of key in a map (marking it used), or NULL. A linear search: validation
 * asks for a fixed set of known keys per map, so a huge map costs O(keys) in
 * all; duplicate keys are caught while parsing, with a hash set. */
lc_node *lc_node_get(lc_node *map, const char *key);
/* Line of key in map (0 if absent). */
int lc_node_key_line(const lc_node *map, const char *key);

void lc_node_free(lc_node *node);

/* Levenshtein distance, for "did you mean". */
int lc_edit_distance(const char *a, const char *b);

#endif

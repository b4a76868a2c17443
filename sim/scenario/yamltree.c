/* yamltree.c — YAML documents into lc_node trees (see yamltree.h).
 * Reference: libyaml's document API (yaml_parser_load, yaml_document_get_node). */
#include "scenario/yamltree.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64 /* guards against alias cycles and absurd nesting */
/* Aliases share nodes in the YAML document but are copied here: a few lines
 * of nested aliases ("billion laughs") would expand exponentially. A scenario
 * has a few hundred nodes; allow far more, refuse the explosion. */
#define MAX_NODES 1000000L

static lc_node *node_new(lc_node_kind kind, const char *src, int line)
{
    lc_node *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->src = src;
        n->line = line;
    }
    return n;
}

void lc_node_free(lc_node *node)
{
    if (!node)
        return;
    for (int i = 0; i < node->n; i++) {
        if (node->keys)
            free(node->keys[i]);
        lc_node_free(node->vals[i]);
    }
    free(node->keys);
    free(node->key_lines);
    free(node->used);
    free(node->vals);
    free(node->text);
    free(node);
}

/* Room for one more child. Capacity doubles, so n children cost O(n) copying
 * (growing by one each time is quadratic wherever realloc copies). */
static int grow(lc_node *n)
{
    if (n->n >= n->cap) {
        if (n->cap > INT_MAX / 2)
            return -1;
        size_t k = n->cap ? 2 * (size_t)n->cap : 4;
        lc_node **v = realloc(n->vals, k * sizeof *v);
        if (!v)
            return -1;
        n->vals = v;
        if (n->kind == LC_NODE_MAP) {
            char **keys = realloc(n->keys, k * sizeof *keys);
            if (!keys)
                return -1;
            n->keys = keys;
            int *lines = realloc(n->key_lines, k * sizeof *lines);
            if (!lines)
                return -1;
            n->key_lines = lines;
            unsigned char *used = realloc(n->used, k);
            if (!used)
                return -1;
            n->used = used;
        }
        n->cap = (int)k;
    }
    if (n->kind == LC_NODE_MAP)
        n->used[n->n] = 0;
    return 0;
}

/* Duplicate keys are found with a hash set of the keys read so far, one per
 * map while it is converted: O(1) per key, where comparing each key with all
 * earlier ones took 21.7 s for 80,000 keys. Keys compare as C strings, as
 * find_key does. */
typedef struct key_set {
    size_t mask; /* slots - 1, slots a power of two at least twice the keys */
    int *slot;   /* index into map->keys, or -1 */
} key_set;

static size_t key_hash(const char *s)
{
    size_t h = (size_t)14695981039346656037ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

static int key_set_init(key_set *ks, size_t keys)
{
    size_t slots = 16;
    while (slots < 2 * keys) {
        if (slots > SIZE_MAX / 4 / sizeof *ks->slot)
            return -1;
        slots *= 2;
    }
    ks->mask = slots - 1;
    ks->slot = malloc(slots * sizeof *ks->slot);
    if (!ks->slot)
        return -1;
    for (size_t i = 0; i < slots; i++)
        ks->slot[i] = -1;
    return 0;
}

/* Index of key in map if present; otherwise *free_slot is where it goes. */
static int key_set_find(const key_set *ks, const lc_node *map, const char *key, size_t *free_slot)
{
    size_t i = key_hash(key) & ks->mask;
    while (ks->slot[i] >= 0) {
        if (strcmp(map->keys[ks->slot[i]], key) == 0)
            return ks->slot[i];
        i = (i + 1) & ks->mask;
    }
    *free_slot = i;
    return -1;
}

static lc_node *convert(yaml_document_t *doc, yaml_node_t *yn, const char *src, int line_offset,
                        int depth, const char *path, long *nodes, lc_error *err)
{
    int line = src && line_offset >= 0 ? (int)yn->start_mark.line + 1 + line_offset : 0;
    if (depth > MAX_DEPTH) {
        lc_error_at(err, src, line, NULL, "nesting deeper than %d (alias cycle?)", MAX_DEPTH);
        return NULL;
    }
    if (++*nodes > MAX_NODES) {
        lc_error_at(err, src, line, NULL,
                    "more than %ld values once aliases are expanded (nested aliases?)", MAX_NODES);
        return NULL;
    }
    lc_node *n = NULL;
    key_set ks = {0, NULL};
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        n = node_new(LC_NODE_SCALAR, src, line);
        if (!n || !(n->text = strndup((const char *)yn->data.scalar.value, yn->data.scalar.length)))
            goto oom;
        n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return n;
    case YAML_SEQUENCE_NODE:
        n = node_new(LC_NODE_SEQ, src, line);
        if (!n)
            goto oom;
        for (yaml_node_item_t *it = yn->data.sequence.items.start; it < yn->data.sequence.items.top;
             it++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s[%d]", path, n->n);
            lc_node *c = convert(doc, yaml_document_get_node(doc, *it), src, line_offset, depth + 1,
                                 sub, nodes, err);
            if (!c || grow(n)) {
                lc_node_free(c);
                goto fail;
            }
            n->vals[n->n++] = c;
        }
        return n;
    case YAML_MAPPING_NODE:
        n = node_new(LC_NODE_MAP, src, line);
        if (!n ||
            key_set_init(&ks, (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start)))
            goto oom;
        for (yaml_node_pair_t *p = yn->data.mapping.pairs.start; p < yn->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            int kline = src && line_offset >= 0 ? (int)k->start_mark.line + 1 + line_offset : 0;
            if (k->type != YAML_SCALAR_NODE) {
                lc_error_at(err, src, kline, NULL, "a key must be a plain name");
                goto fail;
            }
            const char *kt = (const char *)k->data.scalar.value;
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", kt);
            size_t at = 0;
            int first = key_set_find(&ks, n, kt, &at);
            if (first >= 0) {
                lc_error_at(err, src, kline, sub, "duplicate key (first at line %d)",
                            n->key_lines[first]);
                goto fail;
            }
            lc_node *c = convert(doc, yaml_document_get_node(doc, p->value), src, line_offset,
                                 depth + 1, sub, nodes, err);
            if (!c || grow(n)) {
                lc_node_free(c);
                goto fail;
            }
            n->keys[n->n] = strndup(kt, k->data.scalar.length);
            n->key_lines[n->n] = kline ? kline : -1; /* -1: present, no line */
            n->vals[n->n++] = c;
            if (!n->keys[n->n - 1])
                goto oom;
            ks.slot[at] = n->n - 1;
        }
        free(ks.slot);
        return n;
    default:
        lc_error_at(err, src, line, NULL, "empty YAML node");
        lc_node_free(n);
        return NULL;
    }
oom:
    lc_error_add(err, "out of memory reading %s", src ? src : "YAML");
fail:
    free(ks.slot);
    lc_node_free(n);
    return NULL;
}

/* Parse text; line_offset < 0 means lines are not meaningful (overrides). */
static lc_node *parse(const char *src, const char *text, int line_offset, lc_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        lc_error_add(err, "out of memory (YAML parser)");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    lc_node *root = NULL;
    if (!yaml_parser_load(&parser, &doc)) {
        int line = line_offset >= 0 ? (int)parser.problem_mark.line + 1 : 0;
        lc_error_at(err, src, line, NULL, "YAML syntax: %s%s%s",
                    parser.problem ? parser.problem : "unreadable", parser.context ? " " : "",
                    parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top)
        root = node_new(LC_NODE_MAP, src, 1);
    else
        root = convert(&doc, top, src, line_offset, 0, "", &(long){0}, err);
    /* a second document in the same file is an error: say so rather than ignore it */
    yaml_document_t doc2;
    if (root && yaml_parser_load(&parser, &doc2)) {
        if (yaml_document_get_root_node(&doc2)) {
            lc_error_at(err, src, line_offset >= 0 ? (int)doc2.start_mark.line + 1 : 0, NULL,
                        "more than one YAML document ('---'); a scenario is one document");
            lc_node_free(root);
            root = NULL;
        }
        yaml_document_delete(&doc2);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return root;
}

lc_node *lc_yaml_parse(const char *src, const char *text, lc_error *err)
{
    lc_node *root = parse(src, text, 0, err);
    if (root && root->kind != LC_NODE_MAP) {
        lc_error_at(err, src, root->line, NULL,
                    "a scenario is a map of sections (simulation, price, ...)");
        lc_node_free(root);
        return NULL;
    }
    return root;
}

static int find_key(const lc_node *map, const char *key)
{
    if (!map || map->kind != LC_NODE_MAP)
        return -1;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return i;
    return -1;
}

lc_node *lc_node_get(lc_node *map, const char *key)
{
    int i = find_key(map, key);
    if (i < 0)
        return NULL;
    map->used[i] = 1;
    return map->vals[i];
}

int lc_node_key_line(const lc_node *map, const char *key)
{
    int i = find_key(map, key);
    return i < 0 ? 0 : map->key_lines[i];
}

static int is_index(const char *s, long *out)
{
    if (!*s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0)
        return 0;
    *out = v;
    return 1;
}

int lc_yaml_set(lc_node *root, const char *assignment, const char *label, lc_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return lc_error_at(err, "--set", 0, NULL,
                           "expected key=value, e.g. --set price.sigma=0.6 (got '%s')", assignment);
    lc_node *value = parse(label, eq + 1, -1, err);
    if (!value)
        return -1;
    if (!*(eq + 1) || (value->kind == LC_NODE_MAP && value->n == 0)) {
        lc_node_free(value);
        return lc_error_at(err, label, 0, NULL, "missing value after '='");
    }
    size_t plen = (size_t)(eq - assignment);
    int empty_part = assignment[0] == '.' || assignment[plen - 1] == '.';
    for (size_t i = 0; i + 1 < plen; i++)
        empty_part |= assignment[i] == '.' && assignment[i + 1] == '.';
    if (empty_part) {
        lc_node_free(value);
        return lc_error_at(err, label, 0, NULL,
                           "'%.*s' has an empty part: keys are names joined by single dots",
                           (int)plen, assignment);
    }
    char *path = strndup(assignment, plen);
    if (!path) {
        lc_node_free(value);
        return lc_error_add(err, "out of memory");
    }
    lc_node *cur = root;
    int rc = 0;
    char *save = NULL;
    char *part = strtok_r(path, ".", &save);
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        long idx;
        if (cur->kind == LC_NODE_SEQ && is_index(part, &idx)) {
            if (idx >= cur->n) {
                rc = lc_error_at(err, label, 0, NULL,
                                 "index %ld is past the end of the list (%d items)", idx, cur->n);
                break;
            }
            if (!next) {
                lc_node_free(cur->vals[idx]);
                cur->vals[idx] = value;
                value = NULL;
                break;
            }
            cur = cur->vals[idx];
        } else if (cur->kind == LC_NODE_MAP) {
            int i = find_key(cur, part);
            if (i < 0) { /* create the key: validation rejects it if unknown */
                lc_node *child = next ? node_new(LC_NODE_MAP, label, 0) : NULL;
                char *k = strndup(part, strlen(part));
                if ((next && !child) || !k || grow(cur)) {
                    lc_node_free(child);
                    free(k);
                    rc = lc_error_add(err, "out of memory");
                    break;
                }
                i = cur->n++;
                cur->keys[i] = k;
                cur->key_lines[i] = -1;
                cur->vals[i] = child;
            }
            if (!next) {
                lc_node_free(cur->vals[i]);
                cur->vals[i] = value;
                value = NULL;
                break;
            }
            cur = cur->vals[i];
        } else {
            rc = lc_error_at(err, label, 0, NULL, "'%s' is inside a %s, not a map", part,
                             cur->kind == LC_NODE_SEQ ? "list (use a number to index it)"
                                                      : "single value");
            break;
        }
        part = next;
    }
    free(path);
    lc_node_free(value);
    return rc;
}

int lc_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

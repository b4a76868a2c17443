/* fuzz.h — what the libFuzzer harnesses of tests/fuzz/ share (issue "Hostile
 * inputs"): the input as a NUL-terminated string, a private temporary file
 * holding it, and the abort that turns a broken property into a crash
 * libFuzzer reports. Built only with -DLC_FUZZ=ON (clang); `make fuzz`. */
#ifndef LC_FUZZ_H
#define LC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a string (caller frees); bytes after a NUL are dropped. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        abort();
    memcpy(t, data, size);
    t[size] = '\0';
    return t;
}

/* The input written to this process's own file (one path per process, so
 * parallel fuzzers do not share it); returns the path. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/lc-fuzz-%ld%s", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    return path;
}

/* A property the code promises does not hold: crash, so libFuzzer keeps the input. */
#define FUZZ_REQUIRE(cond, what)                                                                   \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: %s\n", what);                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#ifdef LC_SCENARIO_H
/* The resolved YAML of a scenario that loaded loads back and resolves to
 * the same text; frees sc. */
static inline void fuzz_round_trip(lc_scenario *sc)
{
    char *y = lc_scenario_resolved_yaml(sc);
    FUZZ_REQUIRE(y, "resolved YAML out of memory");
    lc_error err = {0};
    lc_scenario *back = lc_scenario_parse("resolved.yaml", y, NULL, 0, &err);
    FUZZ_REQUIRE(back, "the resolved scenario does not load back");
    char *y2 = lc_scenario_resolved_yaml(back);
    FUZZ_REQUIRE(y2 && strcmp(y, y2) == 0, "the resolved scenario changes when reloaded");
    free(y2);
    lc_scenario_free(back);
    free(y);
    lc_scenario_free(sc);
}
#endif

#endif

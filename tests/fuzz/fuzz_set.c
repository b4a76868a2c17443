/* fuzz_set.c — `--set key=value` overrides (one per input line) on a small
 * three-market scenario: any override is applied or refused with a message,
 * and what is applied survives the resolved round trip. */
#include "scenario/scenario.h"

#include "fuzz.h"

static const char base[] =
    "simulation: {runs: 2, steps: 10, dt: 60, seed: 1}\n"
    "markets:\n"
    "  - {name: A, price: {model: gbm, s0: 100, sigma: 0.5}, impact: {model: linear, "
    "depth_1pct: 1e6}}\n"
    "  - {name: B, price: {model: peg, s0: 1}, impact: {model: sqrt, adv: 1e7}}\n"
    "  - {name: C, price: {model: garch, s0: 20}, impact: {model: none}}\n"
    "correlation: {rho: 0.5}\n"
    "population:\n"
    "  accounts: 10\n"
    "  notional: {dist: fixed, value: 1000}\n"
    "  leverage: {dist: fixed, value: 5}\n"
    "  kinds: {isolated: {weight: 1}, cross: {weight: 1, positions_min: 2}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    const char *sets[16];
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < 16; line = strtok(NULL, "\n"))
        sets[n++] = line;
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("fuzz.yaml", base, sets, n, &err);
    if (sc)
        fuzz_round_trip(sc);
    free(text);
    return 0;
}

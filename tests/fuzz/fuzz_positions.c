/* fuzz_positions.c — a positions file (either form: an account per line, or
 * a leg per line) read for a three-market scenario: any file is read or
 * refused with a message; one that is read holds accounts solvent at s0. */
#include "book/population.h"
#include "fuzz.h"
#include "scenario/scenario.h"
#include "venue/spanning.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".csv");
    char text[1024];
    snprintf(text, sizeof text,
             "markets:\n"
             "  - {name: A, price: {s0: 100}, tiers: [{up_to: 1e6, mmr: 0.01, max_leverage: "
             "50}, {up_to: 1e300, mmr: 0.05, max_leverage: 10}]}\n"
             "  - {name: B, price: {s0: 1}, collateral_rate: 0.9}\n"
             "  - {name: C, price: {s0: 5000}}\n"
             "population: {file: %s}\n",
             path);
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("fuzz.yaml", text, NULL, 0, &err);
    FUZZ_REQUIRE(sc, "the harness's scenario does not load");
    lc_error perr = {0};
    lc_population *p = lc_population_create(sc, &perr);
    if (p) {
        double s0[3] = {100, 1, 5000};
        for (long i = p->span0; i < p->n; i++)
            FUZZ_REQUIRE(lc_span_evaluate_account(sc, p, i, s0).slack > 0,
                         "an account read is breached at s0");
        lc_population_free(p);
    }
    lc_scenario_free(sc);
    unlink(path);
    return 0;
}

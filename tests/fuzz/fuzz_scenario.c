/* fuzz_scenario.c — the scenario loader and validation on any text, and the
 * resolved-YAML round trip: a scenario that loads must give back a resolved
 * text that loads to the same resolved text. */
#include "scenario/scenario.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("fuzz.yaml", text, NULL, 0, &err);
    if (sc)
        fuzz_round_trip(sc);
    free(text);
    return 0;
}

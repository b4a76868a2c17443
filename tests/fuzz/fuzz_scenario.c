/* fuzz_scenario.c — the scenario loader and validation on any text, and the
 * resolved-YAML round trip: a scenario that loads must give back a resolved
 * text that loads to the same resolved text. */
#include "fuzz.h"
#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("fuzz.yaml", text, NULL, 0, &err);
    if (sc) {
        char *y = lc_scenario_resolved_yaml(sc);
        FUZZ_REQUIRE(y, "resolved YAML out of memory");
        lc_error err2 = {0};
        lc_scenario *back = lc_scenario_parse("resolved.yaml", y, NULL, 0, &err2);
        FUZZ_REQUIRE(back, "the resolved scenario does not load back");
        char *y2 = lc_scenario_resolved_yaml(back);
        FUZZ_REQUIRE(y2 && strcmp(y, y2) == 0, "the resolved scenario changes when reloaded");
        free(y2);
        lc_scenario_free(back);
        free(y);
        lc_scenario_free(sc);
    }
    free(text);
    return 0;
}

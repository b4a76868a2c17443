/* fuzz_returns.c — a returns file for the bootstrap price model: any file is
 * taken or refused with a message. */
#include "fuzz.h"
#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".returns.csv");
    char text[512];
    snprintf(text, sizeof text,
             "price: {model: bootstrap, s0: 100, file: %s}\n"
             "population: {accounts: 0}\n",
             path);
    lc_error err = {0};
    lc_scenario *sc = lc_scenario_parse("fuzz.yaml", text, NULL, 0, &err);
    lc_scenario_free(sc);
    unlink(path);
    return 0;
}

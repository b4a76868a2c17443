/* fuzz_info.c — `liqcascade info` on any bytes as a result file (mutations
 * of real result files in the corpus): printed or refused, never a crash or
 * an unbounded loop. */
#include "cli/info.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".h5");
    FILE *out = fopen("/dev/null", "w");
    FUZZ_REQUIRE(out, "/dev/null");
    lc_error err = {0};
    lc_info_print(path, LC_INFO_ALL, 0, out, &err);
    lc_error_clear(&err);
    lc_info_print(path, LC_INFO_METRICS, 0, out, &err);
    lc_info_print(path, LC_INFO_PAIRED, 1, out, &err);
    fclose(out);
    unlink(path);
    return 0;
}

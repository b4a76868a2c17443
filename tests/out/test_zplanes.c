/* test_zplanes.c — the series chunks' zlib streams (out/zplanes.h), alone:
 * every mix of plane kinds at the sizes around the coder's limits decodes,
 * by libdeflate's zlib decoder, to the planes; the stream ends where the
 * decoder says and never passes lc_zplanes_bound; a smaller cap is refused. */
#include <criterion/criterion.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "out/zplanes.h"

enum { RANDOM, ZEROS, PERIODIC, HIGH_NOISE, RUNS, KINDS };

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17; /* xorshift64 */
    return *x;
}

static void fill(unsigned char *p, size_t n, int kind, uint64_t *x)
{
    for (size_t i = 0; i < n; i++)
        switch (kind) {
        case RANDOM:
            p[i] = (unsigned char)(next(x) >> 56);
            break;
        case ZEROS:
            p[i] = 0;
            break;
        case PERIODIC: /* periods 1 .. 11, beyond the farthest distance sought */
            p[i] = (unsigned char)(i % (1 + n % 11) * 23);
            break;
        case HIGH_NOISE: /* entropy 7: coded, then stored as shorter */
            p[i] = (unsigned char)(0x80u | next(x) >> 57);
            break;
        default: /* runs of random lengths 1 .. 600 */
            p[i] = i == 0 || next(x) % 300 ? (i ? p[i - 1] : 7) : (unsigned char)(next(x) >> 56);
        }
}

Test(zplanes, every_mix_decodes_within_the_bound)
{
    static const size_t sizes[] = {0,   1,   2,   7,    8,     9,     15,    16,    17,
                                   257, 258, 259, 1000, 65534, 65535, 65536, 65537, 131071};
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    cr_assert_not_null(d);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    const size_t guard = 64;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s], cap = lc_zplanes_bound(n);
        unsigned char *sh = malloc(4 * n + 1), *out = malloc(cap + guard),
                      *back = malloc(4 * n + 1);
        cr_assert(sh && out && back);
        for (int mix = 0; mix < KINDS * KINDS; mix++) {
            /* planes 0, 1 of one kind, 2, 3 of another: each kind last too */
            int kind[4] = {mix % KINDS, mix % KINDS, mix / KINDS, (mix + mix / KINDS) % KINDS};
            for (int q = 0; q < 4; q++)
                fill(sh + (size_t)q * n, n, kind[q], &x);
            memset(out, 0xa5, cap + guard);
            size_t len = lc_zplanes(sh, n, out, cap);
            cr_assert(len > 0 && len <= cap, "n %zu mix %d: %zu of %zu", n, mix, len, cap);
            for (size_t g = cap; g < cap + guard; g++)
                cr_assert_eq(out[g], 0xa5, "n %zu mix %d: a byte past the cap", n, mix);
            size_t in = 0, got = 0;
            enum libdeflate_result r =
                libdeflate_zlib_decompress_ex(d, out, len, back, 4 * n, &in, &got);
            cr_assert_eq(r, LIBDEFLATE_SUCCESS, "n %zu mix %d", n, mix);
            cr_assert_eq(in, len, "n %zu mix %d: the stream ends at %zu, not %zu", n, mix, in, len);
            cr_assert_eq(got, 4 * n);
            cr_assert(memcmp(back, sh, 4 * n) == 0, "n %zu mix %d: the planes come back", n, mix);
            if (n >= 1000 && kind[0] == ZEROS && kind[2] == ZEROS && kind[3] == ZEROS)
                cr_assert(len < n / 10, "n %zu: zeros coded small (%zu)", n, len);
        }
        cr_assert_eq(lc_zplanes(sh, n, out, cap - 1), 0, "n %zu: a cap below the bound", n);
        free(sh);
        free(out);
        free(back);
    }
    libdeflate_free_decompressor(d);
}

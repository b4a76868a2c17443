/* zplanes.c — a chunk's byte planes as a zlib stream (zplanes.h).
 *
 * Each plane is its own deflate block or blocks, so the planes may mix in
 * any order: stored (RFC 1951 3.2.4) when its sampled entropy says deflate
 * could save little, else fixed Huffman codes (3.2.6) with a greedy search
 * of matches at distances 1 .. LC_ZPLANES_DIST inside the plane. A plane
 * whose coding would come out longer than storing it (bytes that repeat
 * too rarely to pay for the 9-bit literals) is stored after all. The last
 * block of the last plane is final; the Adler-32 of the 4n bytes ends the
 * stream (RFC 1950). */
#include "out/zplanes.h"

#include <libdeflate.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define STORED_MAX 65535u /* bytes of one stored block */
#define MATCH_MIN 3
#define MATCH_MAX 258
/* Above this sampled entropy (bits per byte) a plane is stored: coding
 * could save at most (8 − 7.5)/8 of it, at the cost of its whole search. */
#define STORE_ENTROPY 7.5

/* The order-0 entropy of a plane, bits per byte, from every 16th byte. */
static double plane_entropy(const unsigned char *p, size_t n)
{
    uint32_t count[256] = {0};
    size_t m = 0;
    for (size_t i = 0; i < n; i += 16, m++)
        count[p[i]]++;
    double h = 0;
    for (int v = 0; v < 256; v++)
        if (count[v]) {
            double q = (double)count[v] / (double)m;
            h -= q * log2(q);
        }
    return h;
}

/* The fixed codes, reversed (deflate sends a Huffman code's most
 * significant bit first into a stream that fills bytes from the least),
 * with their extra bits folded in: a literal, a match length, a distance. */
typedef struct codes {
    uint16_t lit[257], len[MATCH_MAX + 1], dist[LC_ZPLANES_DIST + 1];
    uint8_t nlit[257], nlen[MATCH_MAX + 1], ndist[LC_ZPLANES_DIST + 1];
} codes;

static uint32_t reversed(uint32_t code, int k)
{
    uint32_t r = 0;
    for (int i = 0; i < k; i++)
        r |= (code >> i & 1u) << (k - 1 - i);
    return r;
}

/* Literal/length symbol v (0 .. 285) of the fixed code: its bits and length. */
static void fixed_symbol(int v, uint16_t *bits, uint8_t *n)
{
    uint32_t code = v < 144   ? 0x30u + (uint32_t)v
                    : v < 256 ? 0x190u + (uint32_t)(v - 144)
                    : v < 280 ? (uint32_t)(v - 256)
                              : 0xc0u + (uint32_t)(v - 280);
    int k = v < 144 ? 8 : v < 256 ? 9 : v < 280 ? 7 : 8;
    *bits = (uint16_t)reversed(code, k);
    *n = (uint8_t)k;
}

/* The first distance of distance code c (0 .. 29; RFC 1951 3.2.5). */
static int dist_base(int c)
{
    return c < 2 ? c + 1 : 1 + ((2 | (c & 1)) << ((c >> 1) - 1));
}

static void make_codes(codes *c)
{
    static const short base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                   31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const unsigned char extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                            2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    for (int v = 0; v <= 256; v++)
        fixed_symbol(v, &c->lit[v], &c->nlit[v]);
    for (int len = MATCH_MIN, s = 0; len <= MATCH_MAX; len++) {
        while (s < 28 && base[s + 1] <= len)
            s++;
        uint16_t b;
        uint8_t k;
        fixed_symbol(257 + s, &b, &k);
        c->len[len] = (uint16_t)(b | (len - base[s]) << k);
        c->nlen[len] = (uint8_t)(k + extra[s]);
    }
    for (int d = 1; d <= LC_ZPLANES_DIST; d++) {
        int code = 0;
        while (dist_base(code + 1) <= d)
            code++;
        int ex = code < 2 ? 0 : (code >> 1) - 1, first = dist_base(code);
        c->dist[d] = (uint16_t)(reversed((uint32_t)code, 5) | (uint32_t)(d - first) << 5);
        c->ndist[d] = (uint8_t)(5 + ex);
    }
}

typedef struct bits {
    unsigned char *o, *end; /* end: one past the last byte o may write */
    uint64_t acc;
    int n; /* bits in acc */
} bits;

/* v's low k (<= 32) bits, least significant first; 0, or -1 past end. */
static int put(bits *b, uint64_t v, int k)
{
    b->acc |= v << b->n;
    b->n += k;
    if (b->n >= 32) {
        if (b->o + 4 > b->end)
            return -1;
        for (int q = 0; q < 4; q++)
            b->o[q] = (unsigned char)(b->acc >> (8 * q));
        b->o += 4;
        b->acc >>= 32;
        b->n -= 32;
    }
    return 0;
}

/* Pad to a byte and write out what acc holds. */
static int align(bits *b)
{
    int pad = (8 - b->n % 8) % 8;
    b->n += pad;
    for (; b->n > 0; b->n -= 8, b->acc >>= 8) {
        if (b->o >= b->end)
            return -1;
        *b->o++ = (unsigned char)b->acc;
    }
    b->n = 0;
    b->acc = 0;
    return 0;
}

/* p[0 .. n) as stored blocks (one, empty, for n = 0). */
static int stored(bits *b, const unsigned char *p, size_t n, int final)
{
    size_t at = 0;
    do {
        size_t len = n - at < STORED_MAX ? n - at : STORED_MAX;
        if (put(b, (uint64_t)(final && at + len == n), 3) || align(b) || b->o + 4 + len > b->end)
            return -1;
        unsigned char head[4] = {(unsigned char)len, (unsigned char)(len >> 8), (unsigned char)~len,
                                 (unsigned char)(~len >> 8)};
        memcpy(b->o, head, 4);
        memcpy(b->o + 4, p + at, len);
        b->o += 4 + len;
        at += len;
    } while (at < n);
    return 0;
}

/* Whether a word's lowest-addressed byte is its least significant, which
 * the 8-byte comparisons below need (else a byte at a time). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FAST 1
#else
#define FAST 0
#endif

/* How many bytes p[i ..] repeats of p[i − d ..], up to lim. */
static size_t common(const unsigned char *p, size_t i, size_t d, size_t lim)
{
    size_t k = 0;
    for (; FAST && k + 8 <= lim; k += 8) {
        uint64_t x, y;
        memcpy(&x, p + i + k, 8);
        memcpy(&y, p + i - d + k, 8);
        if (x != y)
            return k + (size_t)__builtin_ctzll(x ^ y) / 8;
    }
    while (k < lim && p[i + k] == p[i - d + k])
        k++;
    return k;
}

/* The longest match of p[i ..] (i >= LC_ZPLANES_DIST, i + 8 <= n) at
 * distances 1 .. LC_ZPLANES_DIST, up to lim: the first 8 bytes compared at
 * every distance at once, without a branch (which byte first differs is
 * the lowest set byte of the XOR), then the best distance's match
 * extended. *at is its distance. */
static size_t longest(const unsigned char *p, size_t i, size_t lim, size_t *at)
{
    uint64_t x;
    memcpy(&x, p + i, 8);
    size_t best = 0, where = 1;
    for (size_t d = 1; d <= LC_ZPLANES_DIST; d++) {
        uint64_t y, z;
        memcpy(&y, p + i - d, 8);
        z = x ^ y;
        size_t len = z ? (size_t)__builtin_ctzll(z) / 8 : 8;
        where = len > best ? d : where;
        best = len > best ? len : best;
    }
    *at = where;
    best = best < lim ? best : lim;
    return best == 8 && lim > 8 ? 8 + common(p, i + 8, where, lim - 8) : best;
}

/* The same near the plane's ends, where the 8 bytes at every distance are
 * not there to load: each distance by common, up to lim. */
static size_t longest_slow(const unsigned char *p, size_t i, size_t lim, size_t *at)
{
    size_t best = 0;
    *at = 1;
    for (size_t d = 1; d <= LC_ZPLANES_DIST && d <= i; d++) {
        size_t len = common(p, i, d, lim);
        if (len > best)
            best = len, *at = d;
    }
    return best;
}

/* p[0 .. n) as one fixed-code block, or -1 when it would pass stop (the
 * length storing it costs) or the end of the output. */
static int coded(bits *b, const codes *c, const unsigned char *p, size_t n, int final,
                 const unsigned char *stop)
{
    if (put(b, (uint64_t) final | 1u << 1, 3)) /* BFINAL, BTYPE 01 */
        return -1;
    for (size_t i = 0; i < n;) {
        size_t lim = n - i < MATCH_MAX ? n - i : MATCH_MAX, at;
        size_t best = FAST && i >= LC_ZPLANES_DIST && i + 8 <= n ? longest(p, i, lim, &at)
                                                                 : longest_slow(p, i, lim, &at);
        int e;
        if (best >= MATCH_MIN) {
            e = put(b, c->len[best] | (uint64_t)c->dist[at] << c->nlen[best],
                    c->nlen[best] + c->ndist[at]);
            i += best;
        } else {
            e = put(b, c->lit[p[i]], c->nlit[p[i]]);
            i++;
        }
        if (e || b->o > stop)
            return -1;
    }
    return put(b, c->lit[256], c->nlit[256]); /* end of block */
}

size_t lc_zplanes_bound(size_t n)
{
    size_t blocks = n / STORED_MAX + 1;
    return 2 + 4 * (n + 5 * blocks + 8) + 4;
}

size_t lc_zplanes(const unsigned char *sh, size_t n, unsigned char *out, size_t cap)
{
    if (cap < lc_zplanes_bound(n))
        return 0;
    codes c;
    make_codes(&c);
    out[0] = 0x78; /* CMF: deflate, 32 KiB window */
    out[1] = 0x01; /* FLG: fastest, no dictionary; (CMF·256 + FLG) % 31 == 0 */
    bits b = {out + 2, out + cap - 4, 0, 0};
    for (int q = 0; q < 4; q++) {
        const unsigned char *p = sh + (size_t)q * n;
        int final = q == 3;
        if (plane_entropy(p, n) <= STORE_ENTROPY) {
            bits keep = b;
            /* storing costs the bytes and 5 a block: code only what is shorter */
            const unsigned char *stop = b.o + n + 5 * (n / STORED_MAX + 1);
            if (coded(&b, &c, p, n, final, stop) == 0)
                continue;
            b = keep;
        }
        if (stored(&b, p, n, final))
            return 0;
    }
    if (align(&b))
        return 0;
    uint32_t a = libdeflate_adler32(1, sh, 4 * n);
    for (int k = 3; k >= 0; k--)
        *b.o++ = (unsigned char)(a >> (8 * k));
    return (size_t)(b.o - out);
}

/* zplanes.h — the zlib stream (RFC 1950) of a /series chunk's byte planes,
 * as HDF5's shuffle filter lays them out, without a general compressor.
 *
 * A chunk of n floats is 4 planes of n bytes (byte q of every float). A
 * price path's low mantissa bytes look random; its high bytes, and every
 * byte of the liquidated flow or the insurance fund, repeat what came one
 * to a few bytes before. So each plane is either a stored block (random
 * bytes: a copy) or a block of deflate's fixed Huffman codes (RFC 1951
 * 3.2.6) whose matches are sought only at distances 1 to LC_ZPLANES_DIST:
 * runs, and a price hovering between two or three values. That is most of
 * what a general deflater finds in such planes at a fraction of its search
 * (docs/performance.md has the sizes and times beside libdeflate's), and
 * any inflater reads it: HDF5's deflate filter, h5py, zlib, libdeflate. */
#ifndef LC_ZPLANES_H
#define LC_ZPLANES_H

#include <stddef.h>

#define LC_ZPLANES_DIST 8 /* the farthest match sought, bytes back */

/* The least cap lc_zplanes needs for planes of n bytes: every plane stored. */
size_t lc_zplanes_bound(size_t n);

/* Write the zlib stream of the 4 planes sh[0 .. 4n) to out; returns its
 * length, or 0 when cap is below lc_zplanes_bound(n). */
size_t lc_zplanes(const unsigned char *sh, size_t n, unsigned char *out, size_t cap);

#endif

/*
 * st_cdc.h - content-defined chunking (pure code).
 *
 * A file is cut into chunks at points chosen by its content, not by offset,
 * so that an insert or a delete moves only the cuts near it: the chunks
 * before and after it are the same bytes as before and dedup across
 * versions and devices finds them.
 *
 * The cut points come from FastCDC's gear hash, h = (h << 1) + gear[byte],
 * whose top bits depend on the last 64 bytes only; a cut falls after a byte
 * where the top bits of h are all zero.  Normalized chunking (FastCDC,
 * level 2) uses two masks: below ST_CDC_AVG a cut needs 15 zero bits (rare),
 * above it only 11 (likely), which pulls chunk sizes in towards ST_CDC_AVG.
 * No cut is looked for in the first ST_CDC_MIN bytes of a chunk, and one is
 * forced at ST_CDC_MAX.
 *
 * The gear table and the constants are part of the format: every device
 * must cut the same bytes at the same places, so changing either one makes
 * every stored chunk unreachable by dedup.
 */
#ifndef STORE_ST_CDC_H
#define STORE_ST_CDC_H

#include <stddef.h>
#include <stdint.h>

/* Smallest chunk (but the last of a file): below this the per-chunk cost
 * (a hash, an index row, a round trip) outweighs what dedup saves, and
 * skipping the first 2 KiB of each chunk skips a quarter of the hashing. */
#define ST_CDC_MIN (2u * 1024)

/* Aimed-for average: 8 KiB keeps a 1 GiB file at ~128k chunks in the index
 * while an edit still costs only a chunk or two of transfer. */
#define ST_CDC_AVG (8u * 1024)

/* Largest chunk: caps one chunk's buffer and transfer, and bounds what a
 * run with no cut point (zeros, a repeated pattern) costs per chunk. */
#define ST_CDC_MAX (64u * 1024)

/* The gear table: splitmix64 from the seed 0x5369676e706f7374 ("Signpost"),
 * the first 256 outputs in order.  Constant; exported for the test. */
extern const uint64_t st_cdc_gear[256];

/* Length of the first chunk of buf[0..len), as if the input ends at len:
 * len when len <= ST_CDC_MIN, else in [ST_CDC_MIN, ST_CDC_MAX] and at most
 * len.  The cut depends only on the bytes before it, so cutting the rest of
 * the buffer after it gives the chunking of the whole. */
size_t st_cdc_cut(const uint8_t *buf, size_t len);

/* For streaming: like st_cdc_cut, but when more input follows (!eof) and
 * buf[0..len) holds no cut yet, 0: read more and call again with the same
 * start.  At eof the rest is a chunk of its own. */
size_t st_cdc_next(const uint8_t *buf, size_t len, int eof);

#endif

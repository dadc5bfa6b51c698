/*
 * st_hlc.h - hybrid logical clock (pure code).
 *
 * A stamp is a u64: the wall clock in milliseconds since the Unix epoch in
 * the top 48 bits, a counter in the low 16.  now() never returns a stamp at
 * or below one it returned or observed, so a device's own ops are strictly
 * ordered and an op stamped after it saw another sorts after it.
 */
#ifndef STORE_ST_HLC_H
#define STORE_ST_HLC_H

#include <stdint.h>

#include "core/error.h"

/* A peer's stamp more than this ahead of our wall clock is refused: a clock
 * that far off (or a hostile peer) must not drag every later write with it. */
#define ST_HLC_MAX_SKEW_MS (5ull * 60 * 1000)

#define ST_HLC_MS(h) ((h) >> 16)

struct st_hlc {
	uint64_t last;
};

/* The wall clock in ms since the Unix epoch: the one place the store reads it. */
uint64_t st_wall_ms(void);

/* A new stamp for a local write at wall-clock time wall_ms. */
uint64_t st_hlc_now(struct st_hlc *c, uint64_t wall_ms);

/* Take in a stamp seen on a peer's op.  0, or SP_ELIMIT when it is more
 * than ST_HLC_MAX_SKEW_MS ahead of wall_ms (the clock is not moved). */
int st_hlc_observe(struct st_hlc *c, uint64_t stamp, uint64_t wall_ms) SP_MUST_CHECK;

#endif

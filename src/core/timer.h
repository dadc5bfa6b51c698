/*
 * timer.h - uv timers whose period comes from a named interval (loop code).
 *
 * Apart from interval.h so that the interval registry stays pure: protocol
 * code can hold a struct sp_interval without seeing libuv.
 */
#ifndef SP_TIMER_H
#define SP_TIMER_H

#include <uv.h>

#include "interval.h"

/*
 * Start a one-shot uv timer for iv, plus a random jitter of up to
 * jitter_pct percent of the interval (retries back off with jitter).
 */
int sp_timer_start(uv_timer_t *t, uv_timer_cb cb, const struct sp_interval *iv,
		   unsigned jitter_pct);

/* Start a repeating timer with period iv->ms. */
int sp_timer_repeat(uv_timer_t *t, uv_timer_cb cb, const struct sp_interval *iv);

#endif

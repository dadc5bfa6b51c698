/* timer.c - uv timers from named intervals, with jitter; see timer.h. */
#include <sodium.h>

#include "timer.h"

int sp_timer_start(uv_timer_t *t, uv_timer_cb cb, const struct sp_interval *iv,
		   unsigned jitter_pct)
{
	uint64_t ms = iv->ms;
	if (jitter_pct > 0 && ms > 0) {
		uint64_t span = ms * jitter_pct / 100;
		if (span > 0)
			ms += randombytes_uniform(span > UINT32_MAX ? UINT32_MAX : (uint32_t)span);
	}
	return uv_timer_start(t, cb, ms, 0);
}

int sp_timer_repeat(uv_timer_t *t, uv_timer_cb cb, const struct sp_interval *iv)
{
	return uv_timer_start(t, cb, iv->ms, iv->ms);
}

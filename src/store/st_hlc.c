/*
 * st_hlc.c - hybrid logical clock (pure code).  st_hlc.h says what a stamp is.
 */
#include <time.h>

#include "store/st_hlc.h"

uint64_t st_hlc_now(struct st_hlc *c, uint64_t wall_ms)
{
	uint64_t wall = wall_ms << 16;

	/* The wall clock wins when it is ahead; otherwise count on from the last
	 * stamp (the clock stepped back, or several writes fell in one ms). */
	c->last = wall > c->last ? wall : c->last + 1;
	return c->last;
}

int st_hlc_observe(struct st_hlc *c, uint64_t stamp, uint64_t wall_ms)
{
	if (ST_HLC_MS(stamp) > wall_ms + ST_HLC_MAX_SKEW_MS)
		return SP_ELIMIT;
	if (stamp > c->last)
		c->last = stamp;
	return 0;
}

uint64_t st_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

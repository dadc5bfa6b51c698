/*
 * interval.h - named time intervals that tests can shorten.
 *
 * Every timer in Signpost takes its period from a struct sp_interval defined
 * next to the code that uses it, with the reason for its value in the comment
 * and in `why`.  A plane lists its intervals in its struct sp_plane; signpostd
 * registers them at start and then applies overrides from the environment
 * variable SIGNPOST_INTERVALS ("name=ms,name=ms"), so an integration test can
 * rekey every two seconds without a special build.  Unknown names are errors.
 * Pure: the registry has no libuv; timer.h starts uv timers from intervals.
 */
#ifndef SP_INTERVAL_H
#define SP_INTERVAL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct sp_interval {
	const char *name;	/* e.g. "tunnel.rekey-after" */
	uint64_t ms;		/* current value; starts as the default */
	const char *why;	/* one sentence: where the default comes from */
};

/* Make intervals known to sp_interval_override(); keeps the pointers. */
void sp_interval_register(struct sp_interval *const *ivs, size_t n);

/* Apply "name=ms[,name=ms...]".  Returns SP_ECONFIG naming the bad item. */
int sp_interval_override(const char *spec) SP_MUST_CHECK;

/* Find a registered interval by name, NULL if none. */
struct sp_interval *sp_interval_find(const char *name);

#endif

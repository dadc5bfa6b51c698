/*
 * st_pair.h - two sync sessions joined in memory (pure code), for the
 * tests and the benchmark: what one side writes is delivered to the other
 * in flights, so a run counts bytes and one-way trips exactly as a network
 * would, without one.
 */
#ifndef STORE_ST_PAIR_H
#define STORE_ST_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "store/st_session.h"

struct st_pair {
	struct st_session *s[2];
	uint64_t bytes[2];		/* written by side 0, side 1 */
	uint64_t flights;		/* steps in which something travelled */
	int err;			/* first error of either side */
};

/* Start both sessions (cfg[0] should be the initiator). */
int st_pair_open(struct st_pair *p, struct st_replica r0, const struct st_session_cfg *c0,
		 struct st_replica r1, const struct st_session_cfg *c1) SP_MUST_CHECK;
void st_pair_close(struct st_pair *p);

/*
 * One flight: what each side has pending (at most max bytes of it; 0: all)
 * goes to the other at once.  Returns 1 if anything moved, 0 if both were
 * quiet, or the first error.
 */
int st_pair_step(struct st_pair *p, size_t max);

/* Steps until both are quiet (or max_flights): 0 or the first error. */
int st_pair_run(struct st_pair *p, size_t max_flights);

/* Round trips of a run: flights in one direction then back count as one. */
static inline uint64_t st_pair_round_trips(const struct st_pair *p)
{
	return (p->flights + 1) / 2;
}

#endif

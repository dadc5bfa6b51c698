/*
 * counter.h - the receive-side replay window for transport counters.
 *
 * A bitmap of TUN_COUNTER_BITS_TOTAL bits used as a ring (RFC 6479): it
 * accepts each counter at most once, any counter ahead of the greatest seen,
 * and counters up to TUN_COUNTER_WINDOW_SIZE behind it.  Pure, no locks: one
 * owner (the loop thread) per window.
 */
#ifndef TUN_COUNTER_H
#define TUN_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "tunnel/messages.h"

struct tun_counter {
	uint64_t next;		/* greatest counter accepted so far, plus one; 0 = none */
	uint64_t bitmap[TUN_COUNTER_BITS_TOTAL / 64];
};

/* Empty window: every counter below TUN_REJECT_AFTER_MESSAGES is acceptable. */
void tun_counter_init(struct tun_counter *c);

/*
 * Would n be accepted?  Does not change the window: call before
 * authenticating a packet so that forged packets never move the window.
 */
bool tun_counter_check(const struct tun_counter *c, uint64_t n);

/*
 * Accept n and record it: true if n is new and inside the window (and below
 * TUN_REJECT_AFTER_MESSAGES), false for a duplicate or a counter too old.
 * Call only after the packet authenticated.
 */
bool tun_counter_validate(struct tun_counter *c, uint64_t n);

#endif

/*
 * ratelimiter.h - per-source rate limit of handshake messages (pure: no
 * clock, no sockets; `now` is ns monotonic passed in).
 *
 * As WireGuard's ratelimiter.c: a token bucket per source, refilled at
 * TUN_RL_PER_SECOND with a burst of TUN_RL_BURST, per IPv4 address (/32) or
 * IPv6 /64 (one host usually owns a whole /64), in core's keyed per-prefix
 * limiter (core/ratelimit.h: fixed table, keyed hash).  An entry whose bucket
 * has refilled is free again.  A source that finds no free entry in its set
 * is refused, so a host with many addresses cannot grow the table or evict
 * busy entries.
 */
#ifndef TUN_RATELIMITER_H
#define TUN_RATELIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "core/ratelimit.h"

/* Handshake messages per second per source, and the burst (WireGuard's values). */
#define TUN_RL_PER_SECOND 20
#define TUN_RL_BURST 5
/* Table slots (a power of two): the most sources tracked at once. */
#define TUN_RL_SLOTS 4096

struct tun_ratelimiter {
	struct sp_rl t;		/* core's limiter, refusing when a set is busy */
};

/* Allocate the table and a random hash key.  0 or -ENOMEM. */
int tun_ratelimiter_init(struct tun_ratelimiter *rl) SP_MUST_CHECK;
/* Free the table; safe on a zeroed or already deinitialised limiter. */
void tun_ratelimiter_deinit(struct tun_ratelimiter *rl);
/*
 * May one more handshake message from src (AF_INET or AF_INET6 sockaddr)
 * be processed at `now`?  Takes a token when it returns true.  Other
 * families are refused.
 */
bool tun_ratelimiter_allow(struct tun_ratelimiter *rl, const struct sockaddr *src, uint64_t now);

#endif

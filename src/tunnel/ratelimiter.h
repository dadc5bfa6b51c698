/*
 * ratelimiter.h - per-source rate limit of handshake messages (pure: no
 * clock, no sockets; `now` is ns monotonic passed in).
 *
 * As WireGuard's ratelimiter.c: a token bucket per source, refilled at
 * TUN_RL_PER_SECOND with a burst of TUN_RL_BURST, keyed by a keyed hash
 * (SipHash, random key per table) of the source: the IPv4 address (/32) or
 * the IPv6 /64 (one host usually owns a whole /64).  The table has a fixed
 * number of slots allocated once; an entry idle for a second is free again.
 * A source that finds no free slot in its probe window is refused, so a
 * host with many addresses cannot grow the table or evict busy entries.
 */
#ifndef TUN_RATELIMITER_H
#define TUN_RATELIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"

/* Handshake messages per second per source, and the burst (WireGuard's values). */
#define TUN_RL_PER_SECOND 20
#define TUN_RL_BURST 5
/* Table slots (a power of two): the most sources tracked at once. */
#define TUN_RL_SLOTS 4096
/* Slots probed from a source's hash before it is refused. */
#define TUN_RL_PROBES 16

struct tun_rl_entry {
	uint64_t last;		/* ns of the last packet; 0: free */
	uint64_t tokens;	/* ns worth of credit, at most burst * cost */
	uint8_t key[17];	/* family byte, then 4 (IPv4) or 8 (IPv6 /64) address bytes */
};

struct tun_ratelimiter {
	uint8_t hash_key[16];		/* SipHash key, random */
	struct tun_rl_entry *slots;	/* TUN_RL_SLOTS */
	size_t used;			/* slots ever taken (at most TUN_RL_SLOTS) */
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

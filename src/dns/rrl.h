/*
 * rrl.h - response rate limiting for the authoritative server.
 *
 * A token bucket per source prefix (IPv4 /24, IPv6 /56) holding one second
 * of responses, in core's keyed per-prefix limiter (core/ratelimit.h: fixed
 * size chosen at init, keyed hash, the least recently seen prefix of a set
 * evicted).  This module adds RRL's own policy: off at rate 0, and slip.
 *
 * Pure: no clock, no loop.  The caller passes `now` in milliseconds from any
 * monotonic clock.  Only UDP answers are limited; TCP proves the source.
 */
#ifndef DNS_RRL_H
#define DNS_RRL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "core/ratelimit.h"

/* Default number of buckets: 16 K prefixes. */
#define DNS_RRL_BUCKETS 16384u
/* The prefixes limited together: one site's /24 or /56. */
#define DNS_RRL_V4_BITS 24
#define DNS_RRL_V6_BITS 56

enum dns_rrl_verdict {
	DNS_RRL_PASS = 0,	/* send the answer */
	DNS_RRL_DROP,		/* send nothing */
	DNS_RRL_SLIP,		/* send a truncated answer (TC=1) so a real client retries on TCP */
};

struct dns_rrl {
	struct sp_rl t;		/* the buckets: core's keyed per-prefix limiter, evicting */
	uint32_t rate;		/* responses per second per prefix; 0: off */
	uint32_t slip;		/* every slip-th limited response is slipped; 0: never */
	uint64_t n_dropped, n_slipped;
};

/*
 * Set up a table of n_buckets (rounded up to a power of two, at least 64).
 * rate 0 turns limiting off.  Returns 0 or -ENOMEM.
 */
int dns_rrl_init(struct dns_rrl *r, size_t n_buckets, uint32_t rate, uint32_t slip) SP_MUST_CHECK;

/* Change rate and slip (on reload); the buckets are kept. */
void dns_rrl_set(struct dns_rrl *r, uint32_t rate, uint32_t slip);

/* Free the table; safe on a zeroed or already deinit'd struct. */
void dns_rrl_deinit(struct dns_rrl *r);

/*
 * Account one response to the source sa (AF_INET or AF_INET6; anything else
 * passes) at time now_ms and say what to do with it.
 */
enum dns_rrl_verdict dns_rrl_check(struct dns_rrl *r, const struct sockaddr *sa, uint64_t now_ms);

#endif

/*
 * rrl.h - response rate limiting for the authoritative server.
 *
 * A token bucket per source prefix (IPv4 /24, IPv6 /56), in a table of
 * fixed size chosen at init: a flood of spoofed sources can evict buckets
 * but never make the table grow.  Slots are found by a keyed hash (SipHash
 * with a random key), so an attacker cannot aim collisions at a victim.
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

/* Default number of buckets: 16 K prefixes, 512 KB of state. */
#define DNS_RRL_BUCKETS 16384u

enum dns_rrl_verdict {
	DNS_RRL_PASS = 0,	/* send the answer */
	DNS_RRL_DROP,		/* send nothing */
	DNS_RRL_SLIP,		/* send a truncated answer (TC=1) so a real client retries on TCP */
};

struct dns_rrl_bucket {
	uint8_t prefix[8];	/* family tag, then the prefix bytes; all zero: unused */
	uint64_t last_ms;	/* time of the last refill */
	uint64_t tokens;	/* in thousandths of a response */
	uint32_t limited;	/* responses limited since the bucket was last full */
};

struct dns_rrl {
	struct dns_rrl_bucket *b;
	size_t n;		/* power of two */
	uint32_t rate;		/* responses per second per prefix; 0: off */
	uint32_t slip;		/* every slip-th limited response is slipped; 0: never */
	uint8_t hkey[16];	/* SipHash key, random per table */
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

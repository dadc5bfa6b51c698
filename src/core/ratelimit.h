/*
 * ratelimit.h - the one keyed per-prefix rate limiter (RRL, denial signing,
 * handshakes; later STUN and control).
 *
 * A token bucket per source prefix (IPv4 /v4_bits, IPv6 /v6_bits), in a
 * table of fixed size allocated once: a flood of spoofed sources can take
 * slots but never make the table grow, and nothing is allocated per packet.
 * The table is set-associative (SP_RL_WAYS entries per set); the set is found
 * by a keyed hash (SipHash, random key per table), so an attacker cannot aim
 * collisions at a victim's prefix.  A prefix not in its set takes a free
 * entry, or one whose bucket has refilled completely (forgetting it loses
 * nothing), or else, by policy, the least recently seen entry of the set
 * (evict) or nothing (refuse: a host with many addresses cannot push out
 * busy sources).
 *
 * Pure: no clock, no loop.  The caller passes `now` in nanoseconds from any
 * monotonic clock; a clock that steps back refills nothing.  Arithmetic is
 * exact integer: a token is 10^9 units of credit and a nanosecond brings
 * `rate` units.  The policy around a verdict (RRL's slip, a global budget)
 * stays with the caller; sp_rl_bucket is a single bucket for such budgets.
 */
#ifndef SP_RATELIMIT_H
#define SP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"

/* Entries per set: one probe touches at most this many (about 3 cache lines). */
#define SP_RL_WAYS 4u

struct sp_rl_conf {
	uint32_t rate;		/* tokens per second, at least 1 */
	uint32_t burst;		/* bucket size in tokens, at least 1 */
	uint8_t v4_bits;	/* IPv4 prefix length keyed on, 0..32 */
	uint8_t v6_bits;	/* IPv6 prefix length keyed on, 0..128 */
	bool refuse_when_full;	/* a set full of busy prefixes refuses newcomers (else evicts) */
};

/* One bucket: alone for a global budget, or an entry's state in the table. */
struct sp_rl_bucket {
	uint64_t last_ns;	/* time of the last refill */
	uint64_t credit;	/* units: 10^9 per token */
};

struct sp_rl_entry {
	uint64_t key[2];	/* the masked address */
	struct sp_rl_bucket b;
	uint32_t limited;	/* takes refused since the bucket was last full (RRL's slip) */
	uint8_t family;		/* 4 or 6; 0: free */
};

struct sp_rl {
	struct sp_rl_entry *e;
	size_t n;		/* entries, a power of two, a multiple of SP_RL_WAYS */
	struct sp_rl_conf c;
	uint64_t full_ns;	/* an empty bucket is full again after this */
	uint32_t mask4;		/* the IPv4 prefix mask, as the address is loaded */
	uint64_t mask6[2];	/* the IPv6 prefix mask, likewise */
	uint8_t hkey[16];	/* SipHash key, random per table, wiped at deinit */
	size_t used;		/* entries ever taken (at most n) */
	uint64_t n_evicted;	/* busy entries replaced by a newcomer (evict policy) */
	uint64_t n_refused;	/* newcomers refused (refuse policy) */
};

enum sp_rl_verdict {
	SP_RL_PASS = 0,		/* a token was taken */
	SP_RL_LIMITED,		/* the prefix's bucket is empty */
	SP_RL_REFUSED,		/* no entry for a new prefix (refuse policy) */
	SP_RL_NOT_IP,		/* the address is neither AF_INET nor AF_INET6 */
};

/*
 * Allocate a table of at least `slots` entries (rounded up to a power of
 * two, at least 64, at most 2^24) for conf (rate and burst forced to at
 * least 1, prefix lengths to their family's maximum).  0 or -ENOMEM.
 */
int sp_rl_init(struct sp_rl *rl, size_t slots, const struct sp_rl_conf *conf) SP_MUST_CHECK;

/* Free the table and wipe the key; safe on a zeroed or already deinit'd table. */
void sp_rl_deinit(struct sp_rl *rl);

/*
 * Change rate and burst (a reload); the entries and their credit are kept
 * (credit above the new burst is cut on the next take).
 */
void sp_rl_set_rate(struct sp_rl *rl, uint32_t rate, uint32_t burst);

/*
 * Take one token from the bucket of sa's prefix at now_ns (a new prefix
 * starts with a full bucket).  If entry is not NULL it is set to the
 * prefix's entry (or NULL when there is none), valid until the next call on
 * the table: callers read `limited`.
 */
enum sp_rl_verdict sp_rl_take(struct sp_rl *rl, const struct sockaddr *sa, uint64_t now_ns,
			      struct sp_rl_entry **entry);

/* A single bucket, full at now_ns, for rate and burst from conf. */
void sp_rl_bucket_init(struct sp_rl_bucket *b, const struct sp_rl_conf *conf, uint64_t now_ns);

/* Take one token from a single bucket; false if it is empty. */
bool sp_rl_bucket_take(struct sp_rl_bucket *b, const struct sp_rl_conf *conf, uint64_t now_ns);

#endif

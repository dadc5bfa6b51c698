/*
 * answer.h - responses to standard queries for one zone.
 *
 * The hot path: dns_query_parse() then dns_answer().  Answers are built once
 * per (qname, qtype, DO, EDNS present, CO) and kept in wire form in the zone's answer
 * cache; a hit copies the bytes and patches the ID, the RD bit and the case
 * of the qname (0x20), with no allocation.  The cache is flushed on every
 * zone change.  Answers for names that do not exist are kept in a small region
 * of their own, so a flood of random names cannot evict the answers for real
 * names.  Negative answers with DO set carry a compact-denial NSEC
 * (denial.h) signed at query time when not cached, subject to the denial
 * rate limit (SERVFAIL beyond it).
 */
#ifndef DNS_ANSWER_H
#define DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "dns/query.h"
#include "dns/zone.h"

/* Entries in the answer cache (each holds one response); oldest-slot replacement. */
#define DNS_ANSWER_CACHE_SLOTS 65536
/*
 * Of those, the slots for answers about names that do not exist (NXDOMAIN,
 * compact denial with NXNAME): enough that a resolver's retries and repeated
 * typos are served without a new signature, few enough that the rest stays
 * for names that exist.
 */
#define DNS_ANSWER_NEG_SLOTS 4096

struct dns_answer_ctx {
	uint64_t now_ms;	/* wall clock, unix milliseconds (signing, rate limit) */
	bool tcp;		/* no UDP size limit (cap still applies, max 65535) */
	/*
	 * The query's source, or NULL.  When set, fresh denial signatures are
	 * also limited per source prefix (/24, /56) to a share of the zone's
	 * denial rate (DNS_ANSWER_DENY_SHARE_DIV), so one prefix sending random
	 * names cannot take the whole budget from everyone else.
	 */
	const struct sockaddr *peer;
};

/* A source prefix may use 1/this of the denial signing rate (at least 1/s). */
#define DNS_ANSWER_DENY_SHARE_DIV 4
/* Prefixes tracked at once (core/ratelimit.h; a newcomer evicts the least recently seen of its set). */
#define DNS_ANSWER_DENY_SHARES 1024

/*
 * Write the response to q (parsed from a message for this zone) into out.
 * Handles: q->rcode FORMERR/BADVERS, opcode other than QUERY (NOTIMP),
 * class other than IN (REFUSED), qname outside the zone (REFUSED; the
 * server may check dns_zone_contains() first), AXFR/IXFR (NOTIMP: the
 * transfer code handles them before), positive answers, CNAME, NODATA and
 * non-existent names (SOA in authority; compact denial with DO), DNSSEC
 * records with DO, ANY (one RRset, RFC 8482).  Over UDP the response is at
 * most 512 bytes without EDNS, else min(client payload, zone payload); when
 * larger it is cut to header + question (+ OPT) with TC set.  An OPT is
 * echoed whenever the query had one.  Returns 0 with *len set, or
 * SP_ETRUNC if cap < 512 (nothing sensible fits).
 */
int dns_answer(struct dns_zone *z, const struct dns_query *q, uint8_t *out, size_t cap,
	       size_t *len, const struct dns_answer_ctx *ctx) SP_MUST_CHECK;

/*
 * A bare response with rcode (REFUSED, NOTIMP, FORMERR, SERVFAIL...): header
 * copied from q (ID, opcode, RD, CD), the question if it parsed, an OPT if the
 * query had one (payload, extended rcode for BADVERS).  For the server's own
 * refusals and for opcodes it does not handle.
 */
int dns_answer_error(const struct dns_query *q, uint8_t rcode, uint16_t udp_payload,
		     uint8_t *out, size_t cap, size_t *len) SP_MUST_CHECK;

#endif

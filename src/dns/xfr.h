/*
 * xfr.h - zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995).
 *
 * Pure: a query in, a sequence of answer messages out through a callback
 * (each at most 65535 bytes, for the server to write on TCP with the
 * two-byte length).  Access: the source address must be a [secondary] of
 * the configuration (see acl.h) and, when the zone has a TSIG key, the
 * request must be signed with it; every message is then TSIG-signed
 * (RFC 8945 5.3.1).  Refusals are answered with one message (REFUSED,
 * NOTAUTH with the TSIG error, or FORMERR).
 *
 * IXFR is answered from the engine's journal when it holds every change
 * since the client's serial; otherwise with a full zone (AXFR form, RFC
 * 1995 4); a client that is up to date gets the single SOA.  IXFR over UDP
 * is answered with the single current SOA (RFC 1995 2: the client then
 * retries over TCP).
 */
#ifndef DNS_XFR_H
#define DNS_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "dns/acl.h"
#include "dns/tsig.h"

struct dns_zone;

#define DNS_TYPE_IXFR 251
#define DNS_TYPE_AXFR 252
#define DNS_XFR_MSG_MAX 65535		/* TCP message limit */
#define DNS_XFR_MSG_TARGET 16384	/* fill each message up to about this */

/* Called once per answer message, in order; non-zero stops the transfer. */
typedef int (*dns_xfr_emit_fn)(void *ctx, const uint8_t *msg, size_t len);

/* Is this query (header + question) an AXFR or IXFR?  Cheap, for the server. */
bool dns_xfr_is_xfr(const uint8_t *q, size_t qlen);

/*
 * Answer an AXFR/IXFR query q[0..qlen) from `from`.  tcp false: IXFR gets
 * the single current SOA, AXFR gets NOTIMP (RFC 5936 4.2: AXFR over UDP is
 * not defined).  The same access checks apply in both cases.
 * Returns 0 when every message was emitted, the callback's non-zero value,
 * or an error (SP_ENOTFOUND etc.) after emitting a refusal if possible.
 */
int dns_xfr_answer(struct dns_zone *z, const uint8_t *q, size_t qlen,
		   const struct sockaddr *from, bool tcp, const struct dns_acl *acl,
		   const struct dns_tsig_key *key, uint64_t now_wall,
		   dns_xfr_emit_fn emit, void *ctx);

#endif

/*
 * update.h - RFC 2136 dynamic UPDATE, authenticated by TSIG (RFC 8945).
 *
 * Pure: a request in, an answer out, the zone changed through the engine's
 * changeset (all or nothing).  Policy:
 *   - the request must be TSIG-signed with the zone's key; an unsigned
 *     UPDATE is REFUSED, a bad one gets NOTAUTH with BADKEY/BADSIG
 *     (unsigned) or BADTIME (signed), see tsig.h;
 *   - the zone section must name our zone (else NOTAUTH, RFC 2136 3.1.1);
 *   - prerequisites (RFC 2136 2.4, 3.2) are checked against the zone;
 *   - updates to SOA, DNSKEY at the apex, RRSIG, NSEC, NSEC3, NSEC3PARAM,
 *     CDS and CDNSKEY are REFUSED: the engine owns the serial and signing;
 *   - every change is applied in one commit, which bumps the serial and
 *     re-signs; a request that changes nothing leaves the zone alone.
 */
#ifndef DNS_UPDATE_H
#define DNS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "dns/tsig.h"

struct dns_zone;

#define DNS_OPCODE_UPDATE 5
#define DNS_UPDATE_MAX_RRS 1000		/* most prerequisite + update RRs we take */

/*
 * Handle one UPDATE request req[0..len) from `from` (for the log).
 * key: the zone's TSIG key (NULL: every UPDATE is REFUSED).
 * now_wall: seconds since the epoch (TSIG time check, signatures).
 * Writes the answer to out[0..cap) and sets *out_len (0: drop, for a
 * message too broken to answer).  *changed is set when the zone was
 * changed (the caller then sends NOTIFY).  Returns 0 when an answer (of
 * any RCODE) was made, or an error for the log (the answer may still be set).
 */
int dns_update_handle(struct dns_zone *z, const uint8_t *req, size_t len,
		      const struct sockaddr *from, const struct dns_tsig_key *key,
		      uint64_t now_wall, uint8_t *out, size_t cap, size_t *out_len,
		      bool *changed);

#endif

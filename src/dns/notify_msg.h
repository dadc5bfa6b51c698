/*
 * notify_msg.h - NOTIFY messages (RFC 1996), pure; the sender is notify.h.
 */
#ifndef DNS_NOTIFY_MSG_H
#define DNS_NOTIFY_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dns/tsig.h"

#define DNS_OPCODE_NOTIFY 4

/*
 * Build a NOTIFY for zone (wire name) with the SOA RR soa_rr (wire format,
 * uncompressed, owner included; NULL: no answer section) and message id.
 * Signed with key if non-NULL (st receives the request MAC).
 */
int dns_notify_create(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
		      const uint8_t *zone, size_t zone_len, const uint8_t *soa_rr,
		      size_t soa_rr_len, const struct dns_tsig_key *key, uint64_t now_wall,
		      struct dns_tsig_state *st) SP_MUST_CHECK;

/*
 * Check a reply to the NOTIFY with this id (and state st if it was
 * signed).  0: it acknowledges; SP_EPROTO, SP_EAUTH, SP_EMALFORMED otherwise.
 */
int dns_notify_consume_reply(const uint8_t *msg, size_t len, uint16_t id,
			     const uint8_t *zone, size_t zone_len, struct dns_tsig_state *st,
			     uint64_t now_wall) SP_MUST_CHECK;

#endif

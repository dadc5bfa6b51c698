/*
 * notify_msg.c - NOTIFY messages (RFC 1996), pure: build one, check its
 * reply.  The sender that owns the sockets and retries is notify.c.
 */
#include "dns/notify_msg.h"

#include <string.h>

#include "dns/msgscan.h"
#include "dns/wire.h"

int dns_notify_create(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
		      const uint8_t *zone, size_t zone_len, const uint8_t *soa_rr,
		      size_t soa_rr_len, const struct dns_tsig_key *key, uint64_t now_wall,
		      struct dns_tsig_state *st)
{
	memset(st, 0, sizeof(*st));
	if (zone_len == 0 || zone_len > 255 || DNS_HEADER_LEN + zone_len + 4 + soa_rr_len > cap)
		return SP_ETRUNC;
	memset(buf, 0, DNS_HEADER_LEN);
	dns__put16(buf, id);
	buf[2] = (uint8_t)(DNS_OPCODE_NOTIFY << 3 | 0x04);	/* opcode NOTIFY, AA */
	dns__put16(buf + 4, 1);
	dns__put16(buf + 6, soa_rr != NULL && soa_rr_len > 0 ? 1 : 0);
	size_t n = DNS_HEADER_LEN;
	memcpy(buf + n, zone, zone_len);
	n += zone_len;
	dns__put16(buf + n, 6);		/* SOA */
	dns__put16(buf + n + 2, 1);	/* IN */
	n += 4;
	if (soa_rr != NULL && soa_rr_len > 0) {
		memcpy(buf + n, soa_rr, soa_rr_len);
		n += soa_rr_len;
	}
	*len = n;
	if (key == NULL)
		return 0;
	return dns_tsig_sign_request(buf, len, cap, key, now_wall, st);
}

int dns_notify_consume_reply(const uint8_t *msg, size_t len, uint16_t id,
			     const uint8_t *zone, size_t zone_len, struct dns_tsig_state *st,
			     uint64_t now_wall)
{
	struct dns__scan sc;
	if (dns__msg_scan(msg, len, &sc) != 0)
		return SP_EMALFORMED;
	if (dns__get16(msg) != id || !(msg[2] & 0x80) || ((msg[2] >> 3) & 0x0f) != DNS_OPCODE_NOTIFY)
		return SP_EPROTO;
	if (sc.qdcount == 1) {
		uint8_t name[DNS_NAME_MAXLEN];
		struct dns_wire w;
		dns_wire_init_msg(&w, msg, len, DNS_HEADER_LEN);
		size_t nl = dns_wire_question(&w, name, NULL, NULL, NULL);
		if (w.err)
			return SP_EMALFORMED;
		if (nl != zone_len || memcmp(name, zone, nl) != 0)
			return SP_EPROTO;
	}
	if (st != NULL && st->present) {
		int err = dns_tsig_verify_reply(msg, len, st, now_wall);
		if (err != 0)
			return err;
	}
	return (msg[3] & 0x0f) == 0 ? 0 : SP_EPROTO;
}

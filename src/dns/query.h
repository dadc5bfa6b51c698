/*
 * query.h - the hot-path parse of an incoming DNS message.
 *
 * Parses the header, exactly one question and the OPT record by hand (no
 * ldns, no allocation): everything the answer path needs.  Other records in
 * the additional section are skipped but noted (TSIG position for the
 * transfer/UPDATE code).  Pure: bytes in, struct out.
 */
#ifndef DNS_QUERY_H
#define DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

/* Header bits (second 16-bit word of the header). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
/* EDNS flags (RFC 6891 DO; RFC 9824 CO "compact answers OK"). */
#define DNS_EDNS_DO 0x8000
#define DNS_EDNS_CO 0x4000

enum dns_opcode { DNS_OP_QUERY = 0, DNS_OP_NOTIFY = 4, DNS_OP_UPDATE = 5 };
enum dns_rcode {
	DNS_RC_NOERROR = 0, DNS_RC_FORMERR = 1, DNS_RC_SERVFAIL = 2, DNS_RC_NXDOMAIN = 3,
	DNS_RC_NOTIMP = 4, DNS_RC_REFUSED = 5, DNS_RC_NOTAUTH = 9, DNS_RC_NOTZONE = 10,
	DNS_RC_BADVERS = 16,	/* extended: needs an OPT record */
};

/* Payload limits: RFC 1035 without EDNS; DNS flag day 2020 default with EDNS. */
#define DNS_UDP_PAYLOAD_NOEDNS 512
#define DNS_UDP_PAYLOAD_DEFAULT 1232

struct dns_query {
	uint16_t id;
	uint16_t flags;		/* raw header flags word */
	uint8_t opcode;
	uint16_t qdcount, ancount, nscount, arcount;

	/* The question (valid when has_question). */
	bool has_question;
	uint8_t qname[DNS_NAME_MAXLEN];	/* lowercased, uncompressed wire */
	uint8_t qname_len;
	uint8_t qname_labels;
	uint16_t qname_off;	/* offset of the qname in the packet (never compressed) */
	uint8_t qname_orig[DNS_NAME_MAXLEN];	/* as sent, for 0x20 case echo */
	uint16_t qtype, qclass;
	uint16_t question_end;	/* offset just past the question */

	/* EDNS (valid when edns). */
	bool edns;
	uint8_t edns_version;
	uint16_t edns_payload;	/* as sent, raised to 512 if lower */
	uint16_t edns_flags;	/* DO, CO, ... */
	bool do_bit;

	/* Other additional records. */
	bool has_tsig;		/* TSIG present (must be the last record) */
	uint16_t tsig_off;	/* offset of the TSIG RR's owner name */
	bool has_other_additional;

	/*
	 * Verdict: DNS_RC_NOERROR when the message is fine for answering;
	 * DNS_RC_FORMERR (malformed question/records, qdcount != 1 for QUERY,
	 * several OPT, OPT not root), DNS_RC_BADVERS (EDNS version > 0).
	 */
	uint8_t rcode;
};

/*
 * Parse a received message.  Returns 0 if a response may be sent (look at
 * q->rcode), SP_EMALFORMED if it must be dropped silently: shorter than a
 * header, or a response (QR set).  Never reads past len.
 */
int dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q) SP_MUST_CHECK;

#endif

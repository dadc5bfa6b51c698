/* query.c - hand parse of header, question and OPT (the hot path). */
#include "dns/query.h"

#include <stddef.h>
#include <string.h>

#define DNS_TYPE_OPT 41
#define DNS_TYPE_TSIG 250

/* Skip one resource record (answer or authority section); errors stick in w. */
static void skip_rr(struct dns_wire *w)
{
	uint8_t name[DNS_NAME_MAXLEN];
	(void)dns_wire_name(w, name, false, NULL);
	dns_wire_skip(w, 8);	/* type, class, TTL */
	uint16_t rdlen = dns_wire_u16(w);
	dns_wire_skip(w, rdlen);
}

/* The additional section: at most one OPT (owner root), TSIG only last. */
static void parse_additional(struct dns_wire *w, struct dns_query *q)
{
	uint8_t name[DNS_NAME_MAXLEN];
	for (unsigned i = 0; i < q->arcount; i++) {
		size_t start = w->pos;
		size_t namelen = dns_wire_name(w, name, false, NULL);
		uint16_t type = dns_wire_u16(w);
		uint16_t klass = dns_wire_u16(w);
		uint32_t ttl = dns_wire_u32(w);
		uint16_t rdlen = dns_wire_u16(w);
		dns_wire_skip(w, rdlen);
		if (w->err) {
			q->rcode = DNS_RC_FORMERR;
			return;
		}
		if (type == DNS_TYPE_OPT) {
			if (q->edns || namelen != 1) {
				q->rcode = DNS_RC_FORMERR;	/* RFC 6891 6.1.1 */
				return;
			}
			q->edns = true;
			q->edns_payload = klass < DNS_UDP_PAYLOAD_NOEDNS ? DNS_UDP_PAYLOAD_NOEDNS : klass;
			q->edns_version = (uint8_t)(ttl >> 16);
			q->edns_flags = (uint16_t)ttl;
			q->do_bit = (ttl & DNS_EDNS_DO) != 0;
		} else if (type == DNS_TYPE_TSIG) {
			if (i + 1 != q->arcount) {
				q->rcode = DNS_RC_FORMERR;	/* RFC 8945 5.1: TSIG is last */
				return;
			}
			q->has_tsig = true;
			q->tsig_off = (uint16_t)start;
		} else {
			q->has_other_additional = true;
		}
	}
}

int dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	struct dns_wire w;
	memset(q, 0, offsetof(struct dns_query, qname));
	q->has_question = false;
	q->qname_len = 0;
	q->qname[0] = 0;	/* FORMERR before the question: resp_init reads an empty name */
	q->edns = q->do_bit = q->has_tsig = q->has_other_additional = false;
	q->edns_version = 0;
	q->edns_payload = 0;
	q->edns_flags = 0;
	q->tsig_off = 0;
	q->rcode = DNS_RC_NOERROR;
	q->qtype = q->qclass = 0;
	q->question_end = DNS_HEADER_LEN;

	if (len < DNS_HEADER_LEN || len > 65535)
		return SP_EMALFORMED;
	dns_wire_init(&w, pkt, len);
	q->id = dns_wire_u16(&w);
	q->flags = dns_wire_u16(&w);
	q->opcode = (uint8_t)((q->flags >> 11) & 0xf);
	q->qdcount = dns_wire_u16(&w);
	q->ancount = dns_wire_u16(&w);
	q->nscount = dns_wire_u16(&w);
	q->arcount = dns_wire_u16(&w);
	if (q->flags & DNS_FLAG_QR)
		return SP_EMALFORMED;	/* never answer a response: reflection loops */

	/* QUERY and NOTIFY carry exactly one question; UPDATE's zone section too. */
	if (q->qdcount != 1) {
		if (q->qdcount > 1 || q->opcode == DNS_OP_QUERY)
			q->rcode = DNS_RC_FORMERR;
		if (q->qdcount == 0)
			goto rest;
		return 0;
	}
	q->qname_off = (uint16_t)w.pos;
	/* The question name is never compressed: nothing precedes it to point to. */
	size_t n = dns_wire_name(&w, q->qname, true, &q->qname_labels);
	if (!w.err && w.pos - q->qname_off != n) {
		q->rcode = DNS_RC_FORMERR;	/* a pointer could only lead into the header */
		return 0;
	}
	q->qtype = dns_wire_u16(&w);
	q->qclass = dns_wire_u16(&w);
	if (w.err) {
		q->rcode = DNS_RC_FORMERR;
		return 0;
	}
	q->qname_len = (uint8_t)n;
	memcpy(q->qname_orig, pkt + q->qname_off, n);
	q->has_question = true;
	q->question_end = (uint16_t)w.pos;
rest:
	/* Skip answer and authority (a QUERY normally has none; UPDATE does). */
	for (unsigned i = 0; i < (unsigned)q->ancount + q->nscount && !w.err; i++)
		skip_rr(&w);
	if (w.err) {
		q->rcode = DNS_RC_FORMERR;
		return 0;
	}
	parse_additional(&w, q);
	if (q->rcode == DNS_RC_NOERROR && q->edns && q->edns_version > 0)
		q->rcode = DNS_RC_BADVERS;
	return 0;
}

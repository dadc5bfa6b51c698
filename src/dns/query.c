/* query.c - hand parse of header, question and OPT (the hot path), on the one wire reader. */
#include "dns/query.h"

#include <stddef.h>
#include <string.h>

#define DNS_TYPE_OPT 41
#define DNS_TYPE_TSIG 250

/* The additional section: at most one OPT (owner root), TSIG only last. */
static void parse_additional(struct dns_wire *w, struct dns_query *q)
{
	struct dns_rr_hdr rr;
	for (unsigned i = 0; i < q->arcount; i++) {
		if (dns_wire_rr(w, &rr, NULL) != 0) {
			q->rcode = DNS_RC_FORMERR;
			return;
		}
		if (rr.type == DNS_TYPE_OPT) {
			if (q->edns || rr.owner_len != 1) {
				q->rcode = DNS_RC_FORMERR;	/* RFC 6891 6.1.1 */
				return;
			}
			q->edns = true;
			q->edns_payload = rr.klass < DNS_UDP_PAYLOAD_NOEDNS ? DNS_UDP_PAYLOAD_NOEDNS
									    : rr.klass;
			q->edns_version = (uint8_t)(rr.ttl >> 16);
			q->edns_flags = (uint16_t)rr.ttl;
			q->do_bit = (rr.ttl & DNS_EDNS_DO) != 0;
		} else if (rr.type == DNS_TYPE_TSIG) {
			if (i + 1 != q->arcount) {
				q->rcode = DNS_RC_FORMERR;	/* RFC 8945 5.1: TSIG is last */
				return;
			}
			q->has_tsig = true;
			q->tsig_off = (uint16_t)rr.off;
		} else {
			q->has_other_additional = true;
		}
	}
}

int dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	struct dns_wire w;
	struct dns_hdr h;
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
	dns_wire_header(&w, &h);
	q->id = h.id;
	q->flags = h.flags;
	q->opcode = (uint8_t)((q->flags >> 11) & 0xf);
	q->qdcount = h.qdcount;
	q->ancount = h.ancount;
	q->nscount = h.nscount;
	q->arcount = h.arcount;
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
	/*
	 * Only the header precedes the question name, and the reader refuses
	 * pointers into it: the name sits uncompressed at qname_off.
	 */
	size_t n = dns_wire_question(&w, q->qname, &q->qname_labels, &q->qtype, &q->qclass);
	if (w.err) {
		q->qtype = q->qclass = 0;
		q->rcode = DNS_RC_FORMERR;
		return 0;
	}
	q->qname_len = (uint8_t)n;
	memcpy(q->qname_orig, pkt + q->qname_off, n);
	q->has_question = true;
	q->question_end = (uint16_t)w.pos;
rest:;
	/* Skip answer and authority (a QUERY normally has none; UPDATE does). */
	struct dns_rr_hdr rr;
	for (unsigned i = 0; i < (unsigned)q->ancount + q->nscount; i++) {
		if (dns_wire_rr(&w, &rr, NULL) != 0) {
			q->rcode = DNS_RC_FORMERR;
			return 0;
		}
	}
	parse_additional(&w, q);
	if (q->rcode == DNS_RC_NOERROR && q->edns && q->edns_version > 0)
		q->rcode = DNS_RC_BADVERS;
	return 0;
}

/*
 * xfr.c - AXFR (RFC 5936) and IXFR (RFC 1995) out.
 *
 * The engine gives the whole answer body as an RR list (dns_zone_axfr,
 * dns_zone_ixfr); this file checks access, packs the RRs into messages of
 * about DNS_XFR_MSG_TARGET bytes (never above 64 KiB with the TSIG RR),
 * signs each one, and hands them to the server's callback.
 */
#include "dns/xfr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "core/log.h"
#include "dns/msgscan.h"
#include "dns/zone.h"

enum { RC_FORMERR = 1, RC_SERVFAIL = 2, RC_NOTIMP = 4, RC_REFUSED = 5, RC_NOTAUTH = 9 };

/* Room kept at the end of each message for the TSIG RR (names of up to 255 bytes). */
#define XFR_TSIG_RESERVE 600

struct xfr_query {
	struct dns__scan sc;
	uint8_t qname[DNS_NAME_MAXLEN];
	size_t qname_len;
	uint16_t qtype, qclass;
};

static int parse_query(const uint8_t *q, size_t qlen, struct xfr_query *xq)
{
	if (dns__msg_scan(q, qlen, &xq->sc) != 0 || xq->sc.qdcount != 1)
		return SP_EMALFORMED;
	struct dns_wire w;
	dns_wire_init_msg(&w, q, qlen, DNS_HEADER_LEN);
	xq->qname_len = dns_wire_question(&w, xq->qname, NULL, &xq->qtype, &xq->qclass);
	return w.err ? SP_EMALFORMED : 0;
}

bool dns_xfr_is_xfr(const uint8_t *q, size_t qlen)
{
	struct dns_wire w;
	struct dns_hdr h;
	uint16_t t;
	dns_wire_init(&w, q, qlen);
	dns_wire_header(&w, &h);
	if (w.err || h.qdcount != 1)
		return false;
	(void)dns_wire_question(&w, NULL, NULL, &t, NULL);
	return !w.err && (t == DNS_TYPE_AXFR || t == DNS_TYPE_IXFR);
}

/* Serial arithmetic (RFC 1982): is a newer than b? */
static bool serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) > 0;
}

/* One answer message being filled. */
struct packer {
	const uint8_t *q;
	const struct xfr_query *xq;
	struct dns_tsig_state *st;
	uint64_t now;
	dns_xfr_emit_fn emit;
	void *ctx;
	uint8_t msg[DNS_XFR_MSG_MAX];
	size_t len;
	uint16_t ancount;
	unsigned n_msgs;
};

static int packer_start(struct packer *pk)
{
	/* The question goes in the first message only (RFC 5936 2.2.1 allows that). */
	bool first = pk->n_msgs == 0;
	pk->ancount = 0;
	return dns__reply_start(pk->q, first ? pk->xq->sc.question_end : DNS_HEADER_LEN,
				first ? 1 : 0, 0, pk->msg, sizeof(pk->msg), &pk->len);
}

static int packer_flush(struct packer *pk)
{
	dns__put16(pk->msg + 6, pk->ancount);
	int err = dns_tsig_sign(pk->msg, &pk->len, sizeof(pk->msg), pk->st, pk->now);
	if (err != 0)
		return err;
	pk->n_msgs++;
	err = pk->emit(pk->ctx, pk->msg, pk->len);
	if (err != 0)
		return err;
	return packer_start(pk);
}

/* Pack every RR of list into messages and emit them. */
static int pack_list(struct packer *pk, const ldns_rr_list *list)
{
	ldns_buffer *b = ldns_buffer_new(4096);
	if (b == NULL)
		return -ENOMEM;
	int err = packer_start(pk);
	for (size_t i = 0; i < ldns_rr_list_rr_count(list) && err == 0; i++) {
		ldns_buffer_clear(b);
		if (ldns_rr2buffer_wire(b, ldns_rr_list_rr(list, i), LDNS_SECTION_ANSWER) !=
		    LDNS_STATUS_OK) {
			err = SP_ELDNS;
			break;
		}
		size_t n = ldns_buffer_position(b);
		size_t limit = sizeof(pk->msg) - XFR_TSIG_RESERVE;
		if (pk->ancount > 0 && (pk->len + n > limit || pk->len >= DNS_XFR_MSG_TARGET))
			err = packer_flush(pk);
		if (err != 0)
			break;
		if (pk->len + n > limit || pk->ancount == 0xffff) {
			err = SP_ETRUNC;
			break;
		}
		memcpy(pk->msg + pk->len, ldns_buffer_begin(b), n);
		pk->len += n;
		pk->ancount++;
	}
	if (err == 0 && pk->ancount > 0)
		err = packer_flush(pk);
	ldns_buffer_free(b);
	return err;
}

/* A one-message answer with this rcode (and the TSIG the request asks for). */
static int refuse(const uint8_t *q, const struct xfr_query *xq, uint8_t rcode,
		  struct dns_tsig_state *st, uint64_t now, dns_xfr_emit_fn emit, void *ctx)
{
	uint8_t out[1024];
	size_t len;
	bool with_q = xq->sc.question_end <= sizeof(out) - XFR_TSIG_RESERVE;
	int err = dns__reply_start(q, with_q ? xq->sc.question_end : DNS_HEADER_LEN, with_q ? 1 : 0,
				   rcode, out, sizeof(out), &len);
	if (err == 0)
		err = dns_tsig_sign(out, &len, sizeof(out), st, now);
	if (err == 0)
		err = emit(ctx, out, len);
	return err;
}

/* The client's serial from the IXFR query's authority SOA, or an error. */
static int ixfr_client_serial(const uint8_t *q, size_t qlen, uint32_t *serial)
{
	ldns_pkt *p = NULL;
	int err = SP_EMALFORMED;
	if (ldns_wire2pkt(&p, q, qlen) != LDNS_STATUS_OK)
		return SP_EMALFORMED;
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	if (ldns_rr_list_rr_count(auth) == 1) {
		const ldns_rr *soa = ldns_rr_list_rr(auth, 0);
		if (ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(soa) == 7) {
			*serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
			err = 0;
		}
	}
	ldns_pkt_free(p);
	return err;
}

/* The current SOA alone, as a list the caller frees (no zone copy: SOA polls are frequent). */
static int current_soa(const struct dns_zone *z, ldns_rr_list **out)
{
	int err = dns_zone_lookup(z, dns_zone_origin(z), LDNS_RR_TYPE_SOA, out);
	if (err == 0 && ldns_rr_list_rr_count(*out) != 1) {
		ldns_rr_list_deep_free(*out);
		*out = NULL;
		err = SP_ENOTFOUND;
	}
	return err;
}

int dns_xfr_answer(struct dns_zone *z, const uint8_t *q, size_t qlen,
		   const struct sockaddr *from, bool tcp, const struct dns_acl *acl,
		   const struct dns_tsig_key *key, uint64_t now_wall,
		   dns_xfr_emit_fn emit, void *ctx)
{
	struct xfr_query xq;
	struct dns_tsig_state st;
	char who[80];

	memset(&st, 0, sizeof(st));
	if (qlen < DNS_HEADER_LEN || (q[2] & 0x80))
		return SP_EMALFORMED;
	dns_acl_addr_str(from, who, sizeof(who));
	if (parse_query(q, qlen, &xq) != 0) {
		memset(&xq, 0, sizeof(xq));
		xq.sc.question_end = DNS_HEADER_LEN;
		(void)refuse(q, &xq, RC_FORMERR, &st, now_wall, emit, ctx);
		return SP_EMALFORMED;
	}
	const char *kind = xq.qtype == DNS_TYPE_AXFR ? "AXFR" : "IXFR";

	int err = dns_tsig_verify(q, qlen, key, key ? 1 : 0, now_wall, &st);
	if (err == SP_EMALFORMED) {
		memset(&st, 0, sizeof(st));
		(void)refuse(q, &xq, RC_FORMERR, &st, now_wall, emit, ctx);
		return err;
	}
	if (err == SP_EAUTH) {
		sp_debug("dns: %s from %s refused: TSIG error %u", kind, who, st.error);
		(void)refuse(q, &xq, RC_NOTAUTH, &st, now_wall, emit, ctx);
		return err;
	}
	if (err != 0)
		return err;
	if (!dns_acl_allows(acl, from) || (key != NULL && !st.present)) {
		sp_debug("dns: %s from %s refused: %s", kind, who,
			  st.present || key == NULL ? "not a [secondary]" : "not TSIG-signed");
		(void)refuse(q, &xq, RC_REFUSED, &st, now_wall, emit, ctx);
		return SP_EAUTH;
	}
	if (xq.qclass != 1 || xq.qname_len != dns_name_len(dns_zone_origin_wire(z)) ||
	    memcmp(xq.qname, dns_zone_origin_wire(z), xq.qname_len) != 0) {
		(void)refuse(q, &xq, RC_NOTAUTH, &st, now_wall, emit, ctx);
		return SP_ENOTFOUND;
	}
	if (!tcp && xq.qtype == DNS_TYPE_AXFR) {
		(void)refuse(q, &xq, RC_NOTIMP, &st, now_wall, emit, ctx);
		return SP_EPROTO;
	}

	ldns_rr_list *list = NULL;
	uint32_t client = 0, cur = dns_zone_serial(z);
	const char *form = "AXFR";
	if (xq.qtype == DNS_TYPE_IXFR) {
		if (ixfr_client_serial(q, qlen, &client) != 0) {
			(void)refuse(q, &xq, RC_FORMERR, &st, now_wall, emit, ctx);
			return SP_EMALFORMED;
		}
		if (!tcp || !serial_gt(cur, client)) {
			/* Up to date, or UDP: the single SOA (RFC 1995 2, 4). */
			form = "SOA";
			err = current_soa(z, &list);
		} else {
			form = "IXFR";
			err = dns_zone_ixfr(z, client, &list);
			if (err == SP_ENOTFOUND) {
				form = "AXFR";
				err = dns_zone_axfr(z, &list);
			}
		}
	} else {
		err = dns_zone_axfr(z, &list);
	}
	if (err != 0) {
		sp_warn("dns: %s to %s: %s", kind, who, sp_strerror(err));
		(void)refuse(q, &xq, RC_SERVFAIL, &st, now_wall, emit, ctx);
		return err;
	}

	struct packer *pk = calloc(1, sizeof(*pk));
	if (pk == NULL) {
		ldns_rr_list_deep_free(list);
		return -ENOMEM;
	}
	pk->q = q;
	pk->xq = &xq;
	pk->st = &st;
	pk->now = now_wall;
	pk->emit = emit;
	pk->ctx = ctx;
	err = pack_list(pk, list);
	if (err == 0)
		sp_info("dns: %s to %s%s: %s of %zu RRs in %u message(s), serial %u -> %u", kind,
			who, st.present ? " (TSIG)" : "", form, ldns_rr_list_rr_count(list),
			pk->n_msgs, client, cur);
	else
		sp_warn("dns: %s to %s stopped: %s", kind, who, err > 0 ? "write" : sp_strerror(err));
	free(pk);
	ldns_rr_list_deep_free(list);
	return err;
}

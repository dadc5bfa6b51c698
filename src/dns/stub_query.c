/*
 * stub_query.c - one client query through the stub resolver.
 *
 * Steps:  FORWARD  a name outside our zones: the client's message goes to an
 *                  upstream resolver unchanged but for a fresh random ID; the
 *                  reply is relayed with the client's ID and without AD (we
 *                  did not validate it).
 *         KEYS     the zone's DNSKEY RRset is not cached: ask the zone's
 *                  signpost and validate it against the anchor.
 *         ANSWER   ask the zone's signpost (DO set, RD clear), validate with
 *                  the cached keys, answer with AD only if secure, SERVFAIL if
 *                  bogus.  A bogus answer with keys from the cache refetches
 *                  the keys once (the zone may have rolled them).
 *
 * Each step builds one message (a fresh random ID) and hands it to an
 * exchange (stub_xchg.c), which calls dns_stub__query_got() with the reply
 * or dns_stub__query_unreachable() when no server answered.
 *
 * A lookup of another plane (resolver.h) is the same query with a callback
 * instead of a client: the steps are KEYS and ANSWER, and where a client
 * would get its reply, resolver.c calls back with a status and the
 * validated RRset.
 * A validated AAAA answered to a client is announced as SP_EV_NAME_ANSWERED.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "core/service.h"
#include "dns/msgscan.h"
#include "dns/stub_int.h"

/* RFC 8914 4.23: no authoritative server (or upstream) could be reached. */
#define EDE_NO_REACHABLE_AUTHORITY 22


static uint32_t wall_now(void)
{
	return (uint32_t)time(NULL);
}

/* ---- the end of a query ---- */

static void query_closed(uv_handle_t *h)
{
	struct dns_stub_query *q = h->data;
	struct dns_stub *stub = q->stub;
	ldns_rr_free(q->question);
	free(q->req);
	free(q->msg);
	free(q);
	dns_stub__release(stub);
}

void dns_stub__query_finish(struct dns_stub_query *q)
{
	struct dns_stub *stub = q->stub;
	if (q->prev)
		q->prev->next = q->next;
	else
		stub->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	stub->n_queries--;
	if (q->lookup)
		stub->n_lookups--;
	if (q->conn && q->conn->pending > 0)
		q->conn->pending--;
	dns_stub__xchg_close(q->att);
	q->att = NULL;
	dns_stub__zone_unref(q->zone);
	q->zone = NULL;
	uv_timer_stop(&q->timer);
	uv_close((uv_handle_t *)&q->timer, query_closed);
}

void dns_stub__queries_abort(struct dns_stub *stub)
{
	while (stub->queries != NULL)
		dns_stub__query_finish(stub->queries);
}

void dns_stub__queries_forget_conn(struct dns_stub *stub, struct dns_stub_conn *conn)
{
	for (struct dns_stub_query *q = stub->queries; q; q = q->next) {
		if (q->conn == conn) {
			q->conn = NULL;
			q->orphan = true;
		}
	}
	conn->pending = 0;
}

static void send_client(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	if (!q->orphan)
		dns_stub__reply(q->stub, (const struct sockaddr *)&q->client, q->conn, msg, len,
				q->udp_max);
}

/* A reply to the client from a fresh packet: header bits, question, EDNS. */
static ldns_pkt *reply_new(const struct dns_stub_query *q, ldns_pkt_rcode rcode, bool ad)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *qr = ldns_rr_clone(q->question);
	if (p == NULL || qr == NULL || !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, qr)) {
		ldns_rr_free(qr);
		ldns_pkt_free(p);
		return NULL;
	}
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, q->rd);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_cd(p, q->cd);
	ldns_pkt_set_ad(p, ad);
	ldns_pkt_set_rcode(p, rcode);
	if (q->edns) {
		ldns_pkt_set_edns_udp_size(p, DNS_STUB_PAYLOAD);
		ldns_pkt_set_edns_do(p, q->want_do);
	}
	return p;
}

static void send_pkt(struct dns_stub_query *q, ldns_pkt *p)
{
	uint8_t *w = NULL;
	size_t len = 0;
	if (p != NULL && ldns_pkt2wire(&w, p, &len) == LDNS_STATUS_OK)
		send_client(q, w, len);
	free(w);
	ldns_pkt_free(p);
}

/* Attach an RFC 8914 Extended DNS Error (code and text) to an EDNS reply. */
static void add_ede(ldns_pkt *p, int code, const char *text)
{
	uint8_t d[2 + 120];
	size_t n = strnlen(text, sizeof(d) - 2);
	d[0] = (uint8_t)(code >> 8);
	d[1] = (uint8_t)code;
	memcpy(d + 2, text, n);
	ldns_edns_option *o = ldns_edns_new_from_data(LDNS_EDNS_EDE, 2 + n, d);
	ldns_edns_option_list *l = ldns_edns_option_list_new();
	if (o == NULL || l == NULL || !ldns_edns_option_list_push(l, o)) {
		ldns_edns_deep_free(o);
		ldns_edns_option_list_deep_free(l);
		return;
	}
	ldns_pkt_set_edns_option_list(p, l);
}

/*
 * SERVFAIL to the client; with EDNS it says why (ede < 0: no EDE).  A
 * lookup gets status instead.
 */
static void servfail_why(struct dns_stub_query *q, int status, int ede, const char *why)
{
	if (q->lookup) {
		dns_stub__lookup_done(q, status, NULL);
		return;
	}
	ldns_pkt *p = reply_new(q, LDNS_RCODE_SERVFAIL, false);
	if (p != NULL && q->edns && ede >= 0)
		add_ede(p, ede, why);
	q->stub->n.servfail++;
	send_pkt(q, p);
	dns_stub__query_finish(q);
}

static void servfail(struct dns_stub_query *q, int status)
{
	servfail_why(q, status, DNS_V_EDE_NONE, "");
}

static bool is_dnssec_type(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
}

/* In a validated answer's authority section only the SOA and NSEC records (and their RRSIGs) were checked. */
static bool validated_authority(const ldns_rr *rr)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (t == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr) != NULL)
		t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
	return t == LDNS_RR_TYPE_SOA || t == LDNS_RR_TYPE_NSEC;
}

ldns_rr_list *dns_stub__answer_rrset(const ldns_rr_list *an, const ldns_rdf *name, ldns_rr_type t)
{
	ldns_rr_list *out = ldns_rr_list_new();
	size_t n = ldns_rr_list_rr_count(an);
	const ldns_rdf *at = name;
	/* Each hop follows one CNAME of the section: at most n hops, no loop. */
	for (size_t hop = 0; out != NULL && at != NULL && hop <= n; hop++) {
		const ldns_rdf *next = NULL;
		for (size_t i = 0; i < n; i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_dname_compare(ldns_rr_owner(rr), at) != 0)
				continue;
			if (ldns_rr_get_type(rr) == t) {
				ldns_rr *c = ldns_rr_clone(rr);
				if (c == NULL || !ldns_rr_list_push_rr(out, c)) {
					ldns_rr_free(c);
					ldns_rr_list_deep_free(out);
					return NULL;
				}
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && next == NULL) {
				next = ldns_rr_rdf(rr, 0);
			}
		}
		if (ldns_rr_list_rr_count(out) > 0)
			break;
		at = next;
	}
	return out;
}

/*
 * A client got a validated AAAA of own or friend zone: tell the other
 * planes (the control plane asks the zone's signpost for a path), with the
 * record's owner (the device's name, after any CNAME) and first address.
 */
static void name_answered(struct dns_stub_query *q, const ldns_pkt *from)
{
	ldns_rr_list *l = dns_stub__answer_rrset(ldns_pkt_answer(from),
						 ldns_rr_owner(q->question), LDNS_RR_TYPE_AAAA);
	ldns_rr *rr = l != NULL && ldns_rr_list_rr_count(l) > 0 ? ldns_rr_list_rr(l, 0) : NULL;
	const ldns_rdf *a = rr != NULL ? ldns_rr_rdf(rr, 0) : NULL;
	if (a != NULL && ldns_rdf_size(a) == 16) {
		struct sp_event ev = { .type = SP_EV_NAME_ANSWERED };
		ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(rr));
		char *text = NULL;
		if (owner != NULL) {
			ldns_dname2canonical(owner);
			text = ldns_rdf2str(owner);
		}
		if (text != NULL && strlen(text) < sizeof(ev.u.name.fqdn)) {
			memcpy(ev.u.name.fqdn, text, strlen(text) + 1);
			memcpy(ev.u.name.addr, ldns_rdf_data(a), 16);
			q->stub->n.names_answered++;
			sp_event_emit(q->stub->node, &ev);
		}
		free(text);
		ldns_rdf_deep_free(owner);
	}
	ldns_rr_list_deep_free(l);
}

/*
 * Relay the signpost's answer: its records, our header; DNSSEC records only
 * for DO.  A secure answer (v) carries only what was validated, with TTLs
 * no longer than the signatures allow, and AD when the client wants it.
 */
static void answer_client(struct dns_stub_query *q, const ldns_pkt *from,
			  const struct dns_validate_verdict *v)
{
	bool secure = v != NULL && v->sec == DNS_V_SECURE;
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(from);
	/*
	 * RFC 9824 compact denial answers a missing name NOERROR with an NXNAME
	 * NSEC; once that proof validated, the client gets NXDOMAIN back.
	 */
	if (secure && v->nxname && rcode == LDNS_RCODE_NOERROR)
		rcode = LDNS_RCODE_NXDOMAIN;
	ldns_pkt *p = reply_new(q, rcode, secure && (q->want_do || q->want_ad));
	static const ldns_pkt_section secs[] = { LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
						 LDNS_SECTION_ADDITIONAL };
	ldns_rr_type qtype = ldns_rr_get_type(q->question);
	if (secure && qtype == LDNS_RR_TYPE_AAAA && rcode == LDNS_RCODE_NOERROR)
		name_answered(q, from);
	for (size_t s = 0; p != NULL && s < 3; s++) {
		if (secure && secs[s] == LDNS_SECTION_ADDITIONAL)
			break;
		const ldns_rr_list *l = ldns_pkt_get_section_clone(from, secs[s]);
		for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
			ldns_rr *rr = ldns_rr_list_rr(l, i);
			ldns_rr_type t = ldns_rr_get_type(rr);
			bool keep = t != LDNS_RR_TYPE_OPT && t != LDNS_RR_TYPE_TSIG &&
				    (q->want_do || !is_dnssec_type(t) || t == qtype) &&
				    (!secure || secs[s] != LDNS_SECTION_AUTHORITY ||
				     validated_authority(rr));
			if (secure && ldns_rr_ttl(rr) > v->ttl)
				ldns_rr_set_ttl(rr, v->ttl);
			if (!keep || !ldns_pkt_push_rr(p, secs[s], rr))
				ldns_rr_free(rr);
		}
		ldns_rr_list_free((ldns_rr_list *)l);
	}
	send_pkt(q, p);
}

/* ---- what arrives ---- */

static void got_keys(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	struct dns_stub_zone *z = q->zone;
	struct dns_validate_keys *keys = NULL;
	struct dns_validate_verdict v;
	int rc = dns_validate_dnskey(z->anchor, msg, len, wall_now(), &keys, &v);
	if (rc != 0) {
		servfail(q, rc);
		return;
	}
	if (v.sec != DNS_V_SECURE) {
		char *name = ldns_rdf2str(z->name);
		sp_log_rl(SP_LOG_WARNING, "dns stub: zone %s: DNSKEY set is bogus: %s", name ? name : "?", v.reason);
		free(name);
		q->stub->n.bogus++;
		servfail_why(q, SP_EBOGUS, v.ede, v.reason);
		return;
	}
	uint32_t ttl = v.ttl < 1 ? 1 : v.ttl > DNS_STUB_KEY_TTL_MAX ? DNS_STUB_KEY_TTL_MAX : v.ttl;
	dns_validate_keys_free(z->keys);
	z->keys = keys;
	z->keys_expire_ms = uv_now(q->stub->loop) + (uint64_t)ttl * 1000;
	q->step = DNS_STUB_ANSWER;
	dns_stub__step_begin(q);
}

int dns_stub__parse(const uint8_t *msg, size_t len, ldns_pkt **p)
{
	*p = NULL;
	/* The one reader's rule first: ldns alone would follow forward pointers. */
	if (!dns__msg_check(msg, len) || ldns_wire2pkt(p, msg, len) != LDNS_STATUS_OK) {
		ldns_pkt_free(*p);
		*p = NULL;
		return SP_EMALFORMED;
	}
	return 0;
}

static void got_answer(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	struct dns_stub_zone *z = q->zone;
	ldns_pkt *p = NULL;
	if (dns_stub__parse(msg, len, &p) != 0) {
		servfail(q, SP_EMALFORMED);
		return;
	}
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(p);
	if (q->lookup && rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		/* A refusal or failure of the server is not a validation failure. */
		ldns_pkt_free(p);
		dns_stub__lookup_done(q, SP_EPROTO, NULL);
		return;
	}
	struct dns_validate_verdict v = { .sec = DNS_V_INSECURE, .ede = DNS_V_EDE_NONE };
	bool checked = false;
	if (z->anchor != NULL && !q->cd) {
		if (z->keys == NULL) {
			/* Another query dropped the keys meanwhile. */
			v.sec = DNS_V_BOGUS;
			snprintf(v.reason, sizeof(v.reason), "no validated keys");
		} else {
			int rc = dns_validate_answer_pkt(z->keys, p, wall_now(), &v);
			if (rc != 0) {
				ldns_pkt_free(p);
				servfail(q, rc);
				return;
			}
		}
		if (v.sec == DNS_V_BOGUS && !q->keys_fetched) {
			/* Maybe the zone rolled its keys since we cached them: once more, fresh. */
			ldns_pkt_free(p);
			dns_validate_keys_free(z->keys);
			z->keys = NULL;
			q->step = DNS_STUB_KEYS;
			dns_stub__step_begin(q);
			return;
		}
		if (v.sec == DNS_V_BOGUS) {
			char *name = ldns_rdf2str(ldns_rr_owner(q->question));
			sp_log_rl(SP_LOG_INFO, "dns stub: %s: bogus answer: %s", name ? name : "?", v.reason);
			free(name);
			ldns_pkt_free(p);
			q->stub->n.bogus++;
			servfail_why(q, SP_EBOGUS, v.ede, v.reason);
			return;
		}
		checked = true;
		if (v.sec == DNS_V_SECURE)
			q->stub->n.secure++;
		else
			q->stub->n.insecure++;
	}
	if (q->lookup) {
		dns_stub__lookup_answer(q, p, checked ? &v : NULL);	/* its end: finishes q */
		ldns_pkt_free(p);
		return;
	}
	answer_client(q, p, checked ? &v : NULL);
	ldns_pkt_free(p);
	dns_stub__query_finish(q);
}

static void got_forwarded(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	uint8_t *copy = malloc(len);
	if (copy != NULL) {
		memcpy(copy, msg, len);
		copy[0] = (uint8_t)(q->id >> 8);
		copy[1] = (uint8_t)q->id;
		/* AD is ours to give, and we did not validate this answer. */
		copy[3] &= (uint8_t)~0x20;
		send_client(q, copy, len);
		free(copy);
	}
	dns_stub__query_finish(q);
}

void dns_stub__query_got(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	if (q->step == DNS_STUB_FORWARD)
		got_forwarded(q, msg, len);
	else if (q->step == DNS_STUB_KEYS)
		got_keys(q, msg, len);
	else
		got_answer(q, msg, len);
}

void dns_stub__query_unreachable(struct dns_stub_query *q, const char *why)
{
	servfail_why(q, -ETIMEDOUT, EDE_NO_REACHABLE_AUTHORITY, why);
}

void dns_stub__step_begin(struct dns_stub_query *q)
{
	uint16_t xid = (uint16_t)randombytes_uniform(65536);
	free(q->msg);
	q->msg = NULL;
	q->tries = 0;
	if (q->step == DNS_STUB_FORWARD) {
		q->msg = malloc(q->req_len);
		if (q->msg == NULL) {
			servfail(q, -ENOMEM);
			return;
		}
		memcpy(q->msg, q->req, q->req_len);
		q->msg_len = q->req_len;
		q->msg[0] = (uint8_t)(xid >> 8);
		q->msg[1] = (uint8_t)xid;
	} else {
		if (q->step == DNS_STUB_KEYS)
			q->keys_fetched = true;
		ldns_rdf *name = ldns_rdf_clone(q->step == DNS_STUB_KEYS ? q->zone->name
								      : ldns_rr_owner(q->question));
		ldns_rr_type t = q->step == DNS_STUB_KEYS ? LDNS_RR_TYPE_DNSKEY
						      : ldns_rr_get_type(q->question);
		ldns_pkt *p = name ? ldns_pkt_query_new(name, t, LDNS_RR_CLASS_IN, 0) : NULL;
		if (p != NULL) {
			ldns_pkt_set_id(p, xid);
			ldns_pkt_set_edns_udp_size(p, DNS_STUB_PAYLOAD);
			ldns_pkt_set_edns_do(p, true);
			/* CD: we validate ourselves; a validating signpost must not hide bogus data. */
			ldns_pkt_set_cd(p, true);
		}
		if (p == NULL || ldns_pkt2wire(&q->msg, p, &q->msg_len) != LDNS_STATUS_OK) {
			ldns_pkt_free(p);
			servfail(q, -ENOMEM);
			return;
		}
		ldns_pkt_free(p);
	}
	q->qend = dns_stub__question_end(q->msg, q->msg_len);
	if (q->qend == 0) {
		servfail(q, SP_EMALFORMED);
		return;
	}
	dns_stub__xchg_start(q, false);
}

/* ---- a new client query ---- */

/* Header-only error reply to a message we will not parse further. */
static void reply_error(struct dns_stub *stub, const uint8_t *msg, const struct sockaddr *from,
			struct dns_stub_conn *conn, uint8_t rcode)
{
	uint8_t r[12];
	memcpy(r, msg, 12);
	r[2] = (uint8_t)((msg[2] & 0x79) | 0x80);	/* QR, keep opcode and RD */
	r[3] = (uint8_t)(0x80 | rcode);			/* RA */
	memset(r + 4, 0, 8);
	dns_stub__reply(stub, from, conn, r, sizeof(r), 512);
}

void dns_stub__query_link(struct dns_stub *stub, struct dns_stub_query *q)
{
	uv_timer_init(stub->loop, &q->timer);
	q->timer.data = q;
	stub->live++;
	q->next = stub->queries;
	if (q->next)
		q->next->prev = q;
	stub->queries = q;
	stub->n_queries++;
}

static struct dns_stub_query *query_new(struct dns_stub *stub, const ldns_pkt *p,
					const struct sockaddr *from, struct dns_stub_conn *conn)
{
	struct dns_stub_query *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->stub = stub;
	q->question = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(p), 0));
	if (q->question == NULL) {
		free(q);
		return NULL;
	}
	q->conn = conn;
	if (from != NULL)
		memcpy(&q->client, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								      : sizeof(struct sockaddr_in));
	q->id = ldns_pkt_id(p);
	q->rd = ldns_pkt_rd(p);
	q->cd = ldns_pkt_cd(p);
	q->want_ad = ldns_pkt_ad(p);
	q->edns = ldns_pkt_edns(p);
	q->want_do = q->edns && ldns_pkt_edns_do(p);
	size_t payload = ldns_pkt_edns_udp_size(p);
	q->udp_max = conn ? DNS_STUB_MSG_MAX : !q->edns || payload < 512 ? 512
				: payload > 4096 ? 4096 : payload;
	dns_stub__query_link(stub, q);
	if (conn)
		conn->pending++;
	return q;
}

void dns_stub__query(struct dns_stub *stub, const uint8_t *msg, size_t len,
		     const struct sockaddr *from, struct dns_stub_conn *conn)
{
	ldns_pkt *p = NULL;
	if (len < 12 || (msg[2] & 0x80))
		return;		/* not a query: never answer an answer */
	stub->n.queries++;
	if (((msg[2] >> 3) & 0x0f) != LDNS_PACKET_QUERY) {
		reply_error(stub, msg, from, conn, LDNS_RCODE_NOTIMPL);
		return;
	}
	if (dns_stub__parse(msg, len, &p) != 0 || ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1) {
		ldns_pkt_free(p);
		reply_error(stub, msg, from, conn, LDNS_RCODE_FORMERR);
		return;
	}
	if (stub->n_queries >= DNS_STUB_MAX_PENDING) {
		ldns_pkt_free(p);
		stub->n.refused_busy++;
		reply_error(stub, msg, from, conn, LDNS_RCODE_SERVFAIL);
		return;
	}
	struct dns_stub_query *q = query_new(stub, p, from, conn);
	ldns_pkt_free(p);
	if (q == NULL) {
		reply_error(stub, msg, from, conn, LDNS_RCODE_SERVFAIL);
		return;
	}
	const ldns_rr *qr = q->question;
	struct dns_stub_zone *z = ldns_rr_get_class(qr) == LDNS_RR_CLASS_IN
		? dns_stub__zone_lookup(stub, ldns_rr_owner(qr)) : NULL;
	if (z == NULL) {
		q->step = DNS_STUB_FORWARD;
		q->req = malloc(len);
		if (q->req == NULL) {
			servfail(q, -ENOMEM);
			return;
		}
		memcpy(q->req, msg, len);
		q->req_len = len;
		stub->n.forwarded++;
	} else {
		z->refs++;
		q->zone = z;
		bool fresh = z->keys != NULL && uv_now(stub->loop) < z->keys_expire_ms;
		q->step = z->anchor == NULL || q->cd || fresh ? DNS_STUB_ANSWER : DNS_STUB_KEYS;
	}
	dns_stub__step_begin(q);
}


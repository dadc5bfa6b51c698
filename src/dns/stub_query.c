/*
 * stub_query.c - one client query through the stub resolver.
 *
 * Steps:  FORWARD  a name outside our zones: the client's message goes to an
 *                  upstream resolver unchanged but for a fresh random ID; the
 *                  reply is relayed with the client's ID.
 *         KEYS     the zone's DNSKEY RRset is not cached: ask the zone's
 *                  signpost and validate it against the anchor.
 *         ANSWER   ask the zone's signpost (DO set, RD clear), validate with
 *                  the cached keys, answer with AD only if secure, SERVFAIL if
 *                  bogus.  A bogus answer with keys from the cache refetches
 *                  the keys once (the zone may have rolled them).
 *
 * An exchange sends over UDP from a fresh connected socket (random port, the
 * kernel filters other sources), accepts only a reply with our random ID and
 * our question, falls back to TCP on TC, and moves to the next server when
 * dns.stub-query-timeout expires; the number of tries is bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "dns/stub_int.h"

#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))

enum step { STEP_FORWARD, STEP_KEYS, STEP_ANSWER };

struct attempt {
	struct dns_stub_query *q;	/* NULL once abandoned */
	uint8_t *rbuf;			/* the stub's receive buffer (UDP) */
	bool tcp;
	union {
		uv_handle_t h;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} u;
	uv_connect_t connect;
	uv_write_t write;
	uint8_t *out;			/* TCP: length-prefixed message */
	uint8_t *in;			/* TCP: reply being read */
	size_t in_len;
};

struct dns_stub_query {
	struct dns_stub *stub;
	struct dns_stub_query *prev, *next;
	uv_timer_t timer;
	/* the client */
	struct dns_stub_conn *conn;	/* TCP client, or NULL */
	bool orphan;			/* the client is gone */
	struct sockaddr_storage client;
	uint16_t id;
	bool rd, cd, want_do, want_ad, edns;
	size_t udp_max;
	ldns_rr *question;		/* the client's question, its case kept */
	uint8_t *req;			/* the client's message (FORWARD) */
	size_t req_len;
	/* the exchange */
	enum step step;
	struct dns_stub_zone *zone;	/* a reference, or NULL for FORWARD */
	uint8_t *msg;
	size_t msg_len, qend;
	struct attempt *att;
	unsigned tries;
	size_t server;
	bool keys_fetched;		/* this query already fetched the zone's keys */
};

static void step_begin(struct dns_stub_query *q);
static void attempt_start(struct dns_stub_query *q, bool tcp);

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

static void attempt_closed(uv_handle_t *h)
{
	struct attempt *a = h->data;
	free(a->out);
	free(a->in);
	free(a);
}

static void attempt_close(struct attempt *a)
{
	if (a == NULL)
		return;
	a->q = NULL;
	uv_close(&a->u.h, attempt_closed);
}

static void finish(struct dns_stub_query *q)
{
	struct dns_stub *stub = q->stub;
	if (q->prev)
		q->prev->next = q->next;
	else
		stub->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	stub->n_queries--;
	if (q->conn && q->conn->pending > 0)
		q->conn->pending--;
	attempt_close(q->att);
	q->att = NULL;
	dns_stub__zone_unref(q->zone);
	q->zone = NULL;
	uv_timer_stop(&q->timer);
	uv_close((uv_handle_t *)&q->timer, query_closed);
}

void dns_stub__queries_abort(struct dns_stub *stub)
{
	while (stub->queries != NULL)
		finish(stub->queries);
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

static void servfail(struct dns_stub_query *q)
{
	q->stub->n.servfail++;
	send_pkt(q, reply_new(q, LDNS_RCODE_SERVFAIL, false));
	finish(q);
}

static bool is_dnssec_type(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
}

/* Relay the signpost's answer: its records, our header; DNSSEC records only for DO. */
static void answer_client(struct dns_stub_query *q, const ldns_pkt *from, bool ad)
{
	ldns_pkt *p = reply_new(q, ldns_pkt_get_rcode(from), ad && (q->want_do || q->want_ad));
	static const ldns_pkt_section secs[] = { LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
						 LDNS_SECTION_ADDITIONAL };
	ldns_rr_type qtype = ldns_rr_get_type(q->question);
	for (size_t s = 0; p != NULL && s < 3; s++) {
		const ldns_rr_list *l = ldns_pkt_get_section_clone(from, secs[s]);
		for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
			ldns_rr *rr = ldns_rr_list_rr(l, i);
			ldns_rr_type t = ldns_rr_get_type(rr);
			if (t == LDNS_RR_TYPE_OPT || t == LDNS_RR_TYPE_TSIG ||
			    (!q->want_do && is_dnssec_type(t) && t != qtype) ||
			    !ldns_pkt_push_rr(p, secs[s], rr))
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
	if (dns_validate_dnskey(z->anchor, msg, len, wall_now(), &keys, &v) != 0) {
		servfail(q);
		return;
	}
	if (v.sec != DNS_V_SECURE) {
		char *name = ldns_rdf2str(z->name);
		sp_warn("dns stub: zone %s: DNSKEY set is bogus: %s", name ? name : "?", v.reason);
		free(name);
		q->stub->n.bogus++;
		servfail(q);
		return;
	}
	uint32_t ttl = v.ttl < 1 ? 1 : v.ttl > DNS_STUB_KEY_TTL_MAX ? DNS_STUB_KEY_TTL_MAX : v.ttl;
	dns_validate_keys_free(z->keys);
	z->keys = keys;
	z->keys_expire_ms = uv_now(q->stub->loop) + (uint64_t)ttl * 1000;
	q->step = STEP_ANSWER;
	step_begin(q);
}

static void got_answer(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	struct dns_stub_zone *z = q->zone;
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK) {
		servfail(q);
		return;
	}
	bool ad = false;
	if (z->anchor != NULL && !q->cd) {
		struct dns_validate_verdict v;
		if (z->keys == NULL) {
			/* Another query dropped the keys meanwhile. */
			v.sec = DNS_V_BOGUS;
			snprintf(v.reason, sizeof(v.reason), "no validated keys");
		} else if (dns_validate_answer_pkt(z->keys, p, wall_now(), &v) != 0) {
			ldns_pkt_free(p);
			servfail(q);
			return;
		}
		if (v.sec == DNS_V_BOGUS && !q->keys_fetched) {
			/* Maybe the zone rolled its keys since we cached them: once more, fresh. */
			ldns_pkt_free(p);
			dns_validate_keys_free(z->keys);
			z->keys = NULL;
			q->step = STEP_KEYS;
			step_begin(q);
			return;
		}
		if (v.sec == DNS_V_BOGUS) {
			char *name = ldns_rdf2str(ldns_rr_owner(q->question));
			sp_info("dns stub: %s: bogus answer: %s", name ? name : "?", v.reason);
			free(name);
			ldns_pkt_free(p);
			q->stub->n.bogus++;
			servfail(q);
			return;
		}
		ad = v.sec == DNS_V_SECURE;
		if (ad)
			q->stub->n.secure++;
		else
			q->stub->n.insecure++;
	}
	answer_client(q, p, ad);
	ldns_pkt_free(p);
	finish(q);
}

static void got_forwarded(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	uint8_t *copy = malloc(len);
	if (copy != NULL) {
		memcpy(copy, msg, len);
		copy[0] = (uint8_t)(q->id >> 8);
		copy[1] = (uint8_t)q->id;
		send_client(q, copy, len);
		free(copy);
	}
	finish(q);
}

/* Is msg the reply to what we sent: our ID, QR, our question (any case)? */
static bool is_our_reply(const struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	if (len < q->qend || len < 12 || memcmp(msg, q->msg, 2) != 0 || !(msg[2] & 0x80))
		return false;
	for (size_t i = 4; i < q->qend; i++) {
		uint8_t a = msg[i], b = q->msg[i];
		if (i < 6 && a != b)
			return false;
		if (i >= 12 && a != b && !(a >= 'A' && a <= 'Z' && a + 32 == b) &&
		    !(b >= 'A' && b <= 'Z' && b + 32 == a))
			return false;
	}
	return true;
}

static void deliver(struct dns_stub_query *q, const uint8_t *msg, size_t len)
{
	struct attempt *a = q->att;
	q->att = NULL;
	uv_timer_stop(&q->timer);
	if (q->step == STEP_FORWARD)
		got_forwarded(q, msg, len);
	else if (q->step == STEP_KEYS)
		got_keys(q, msg, len);
	else
		got_answer(q, msg, len);
	attempt_close(a);	/* msg may live in a's buffer: close only now */
}

/* The reply is usable, or truncated (then TCP at the same server). */
static void on_reply(struct attempt *a, const uint8_t *msg, size_t len)
{
	struct dns_stub_query *q = a->q;
	if (!is_our_reply(q, msg, len))
		return;		/* not ours: keep waiting for the real one */
	bool tc = (msg[2] & 0x02) != 0;
	if (tc && !a->tcp && !(q->step == STEP_FORWARD && q->conn == NULL)) {
		attempt_close(a);
		q->att = NULL;
		attempt_start(q, true);
		return;
	}
	deliver(q, msg, len);
}

static void next_server(struct dns_stub_query *q)
{
	attempt_close(q->att);
	q->att = NULL;
	q->server++;
	attempt_start(q, false);
}

static void on_timeout(uv_timer_t *t)
{
	next_server(container_of(t, struct dns_stub_query, timer));
}

/* ---- UDP and TCP exchanges ---- */

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct attempt *a = h->data;
	*buf = uv_buf_init((char *)a->rbuf, DNS_STUB_MSG_MAX);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		     unsigned flags)
{
	struct attempt *a = h->data;
	if (a->q == NULL || nread <= 0 || (flags & UV_UDP_PARTIAL))
		return;
	on_reply(a, (const uint8_t *)buf->base, (size_t)nread);
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct attempt *a = h->data;
	if (a->in == NULL)
		a->in = malloc(2 + DNS_STUB_MSG_MAX);
	if (a->in == NULL || a->in_len >= 2 + DNS_STUB_MSG_MAX) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)a->in + a->in_len, (unsigned)(2 + DNS_STUB_MSG_MAX - a->in_len));
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct attempt *a = s->data;
	struct dns_stub_query *q = a->q;
	if (q == NULL)
		return;
	if (nread < 0) {
		next_server(q);
		return;
	}
	a->in_len += (size_t)nread;
	if (a->in_len < 2)
		return;
	size_t mlen = ((size_t)a->in[0] << 8) | a->in[1];
	if (a->in_len < 2 + mlen)
		return;
	if (!is_our_reply(q, a->in + 2, mlen)) {
		next_server(q);
		return;
	}
	deliver(q, a->in + 2, mlen);
}

static void tcp_written(uv_write_t *w, int status)
{
	struct attempt *a = w->data;
	if (a->q != NULL && status < 0)
		next_server(a->q);
}

static void tcp_connected(uv_connect_t *c, int status)
{
	struct attempt *a = c->data;
	if (a->q == NULL)
		return;
	if (status < 0) {
		next_server(a->q);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)a->out, (unsigned)(a->q->msg_len + 2));
	a->write.data = a;
	if (uv_write(&a->write, (uv_stream_t *)&a->u.tcp, &b, 1, tcp_written) != 0 ||
	    uv_read_start((uv_stream_t *)&a->u.tcp, tcp_alloc, tcp_read) != 0)
		next_server(a->q);
}

static const struct dns_stub_server *servers_of(const struct dns_stub_query *q, size_t *n)
{
	if (q->step == STEP_FORWARD) {
		*n = q->stub->conf.n_upstream;
		return q->stub->conf.upstream;
	}
	*n = q->zone->n_servers;
	return q->zone->servers;
}

static void attempt_start(struct dns_stub_query *q, bool tcp)
{
	size_t n;
	const struct dns_stub_server *srv = servers_of(q, &n);
	unsigned max = n > DNS_STUB_TRIES_MIN ? (unsigned)n : DNS_STUB_TRIES_MIN;
	if (n == 0 || q->tries >= max) {
		servfail(q);
		return;
	}
	q->tries++;
	srv = &srv[q->server % n];
	struct attempt *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		servfail(q);
		return;
	}
	a->q = q;
	a->tcp = tcp;
	a->rbuf = q->stub->rbuf;
	q->att = a;
	int rc;
	if (!tcp) {
		uv_udp_init(q->stub->loop, &a->u.udp);
		a->u.h.data = a;
		uv_buf_t b = uv_buf_init((char *)q->msg, (unsigned)q->msg_len);
		rc = uv_udp_connect(&a->u.udp, (const struct sockaddr *)&srv->sa);
		if (rc == 0)
			rc = uv_udp_recv_start(&a->u.udp, udp_alloc, udp_recv);
		if (rc == 0) {
			rc = uv_udp_try_send(&a->u.udp, &b, 1, NULL);
			rc = rc < 0 ? rc : 0;
		}
	} else {
		uv_tcp_init(q->stub->loop, &a->u.tcp);
		a->u.h.data = a;
		a->out = malloc(q->msg_len + 2);
		rc = a->out ? 0 : UV_ENOMEM;
		if (rc == 0) {
			a->out[0] = (uint8_t)(q->msg_len >> 8);
			a->out[1] = (uint8_t)q->msg_len;
			memcpy(a->out + 2, q->msg, q->msg_len);
			a->connect.data = a;
			rc = uv_tcp_connect(&a->connect, &a->u.tcp, (const struct sockaddr *)&srv->sa,
					    tcp_connected);
		}
	}
	if (rc != 0)
		sp_debug("dns stub: send failed: %s", uv_strerror(rc));
	/* A failed send waits for the timer like a lost packet: retries stay bounded. */
	if (sp_timer_start(&q->timer, on_timeout, &dns_stub__query_timeout, 10) != 0)
		sp_warn("dns stub: cannot start the query timer");
}

/* Build what we send for the current step, then send it. */
static void step_begin(struct dns_stub_query *q)
{
	uint16_t xid = (uint16_t)randombytes_uniform(65536);
	free(q->msg);
	q->msg = NULL;
	q->tries = 0;
	if (q->step == STEP_FORWARD) {
		q->msg = malloc(q->req_len);
		if (q->msg == NULL) {
			servfail(q);
			return;
		}
		memcpy(q->msg, q->req, q->req_len);
		q->msg_len = q->req_len;
		q->msg[0] = (uint8_t)(xid >> 8);
		q->msg[1] = (uint8_t)xid;
	} else {
		if (q->step == STEP_KEYS)
			q->keys_fetched = true;
		ldns_rdf *name = ldns_rdf_clone(q->step == STEP_KEYS ? q->zone->name
								      : ldns_rr_owner(q->question));
		ldns_rr_type t = q->step == STEP_KEYS ? LDNS_RR_TYPE_DNSKEY
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
			servfail(q);
			return;
		}
		ldns_pkt_free(p);
	}
	q->qend = dns_stub__question_end(q->msg, q->msg_len);
	if (q->qend == 0) {
		servfail(q);
		return;
	}
	attempt_start(q, false);
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
	uv_timer_init(stub->loop, &q->timer);
	q->timer.data = q;
	stub->live++;
	q->next = stub->queries;
	if (q->next)
		q->next->prev = q;
	stub->queries = q;
	stub->n_queries++;
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
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK ||
	    ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1) {
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
		? dns_stub__zone_find(&stub->conf, ldns_rr_owner(qr)) : NULL;
	if (z == NULL) {
		q->step = STEP_FORWARD;
		q->req = malloc(len);
		if (q->req == NULL) {
			servfail(q);
			return;
		}
		memcpy(q->req, msg, len);
		q->req_len = len;
		stub->n.forwarded++;
	} else {
		z->refs++;
		q->zone = z;
		bool fresh = z->keys != NULL && uv_now(stub->loop) < z->keys_expire_ms;
		q->step = z->anchor == NULL || q->cd || fresh ? STEP_ANSWER : STEP_KEYS;
	}
	step_begin(q);
}

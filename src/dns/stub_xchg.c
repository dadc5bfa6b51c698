/*
 * stub_xchg.c - one exchange of the stub with a server: a zone's signpost
 * or an upstream resolver.
 *
 * The message goes over UDP from a fresh connected socket (a random port;
 * the kernel drops datagrams from other sources); only a reply with our
 * random ID, QR set and our question (in any case) is taken.  A truncated
 * reply moves the exchange to TCP at the same server.  When
 * dns.stub-query-timeout expires (or the server fails), the next server is
 * tried; the tries are bounded (at least DNS_STUB_TRIES_MIN, or one per
 * server), then the query gets SERVFAIL.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dns/stub_int.h"

#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))

struct dns_stub_xchg {
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

static void attempt_closed(uv_handle_t *h)
{
	struct dns_stub_xchg *a = h->data;
	free(a->out);
	free(a->in);
	free(a);
}

void dns_stub__xchg_close(struct dns_stub_xchg *a)
{
	if (a == NULL)
		return;
	a->q = NULL;
	uv_close(&a->u.h, attempt_closed);
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
	struct dns_stub_xchg *a = q->att;
	q->att = NULL;
	uv_timer_stop(&q->timer);
	dns_stub__query_got(q, msg, len);
	dns_stub__xchg_close(a);	/* msg may live in a's buffer: close only now */
}

/* The reply is usable, or truncated (then TCP at the same server). */
static void on_reply(struct dns_stub_xchg *a, const uint8_t *msg, size_t len)
{
	struct dns_stub_query *q = a->q;
	if (!is_our_reply(q, msg, len))
		return;		/* not ours: keep waiting for the real one */
	bool tc = (msg[2] & 0x02) != 0;
	if (tc && !a->tcp && !(q->step == DNS_STUB_FORWARD && q->conn == NULL)) {
		dns_stub__xchg_close(a);
		q->att = NULL;
		dns_stub__xchg_start(q, true);
		return;
	}
	deliver(q, msg, len);
}

static void next_server(struct dns_stub_query *q)
{
	dns_stub__xchg_close(q->att);
	q->att = NULL;
	q->server++;
	dns_stub__xchg_start(q, false);
}

static void on_timeout(uv_timer_t *t)
{
	next_server(container_of(t, struct dns_stub_query, timer));
}

/* ---- UDP and TCP exchanges ---- */

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct dns_stub_xchg *a = h->data;
	*buf = uv_buf_init((char *)a->rbuf, DNS_STUB_MSG_MAX);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		     unsigned flags)
{
	struct dns_stub_xchg *a = h->data;
	if (a->q == NULL || nread <= 0 || (flags & UV_UDP_PARTIAL))
		return;
	on_reply(a, (const uint8_t *)buf->base, (size_t)nread);
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct dns_stub_xchg *a = h->data;
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
	struct dns_stub_xchg *a = s->data;
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
	struct dns_stub_xchg *a = w->data;
	if (a->q != NULL && status < 0)
		next_server(a->q);
}

static void tcp_connected(uv_connect_t *c, int status)
{
	struct dns_stub_xchg *a = c->data;
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
	if (q->step == DNS_STUB_FORWARD) {
		*n = q->stub->conf.n_upstream;
		return q->stub->conf.upstream;
	}
	*n = q->zone->n_servers;
	return q->zone->servers;
}

void dns_stub__xchg_start(struct dns_stub_query *q, bool tcp)
{
	size_t n;
	const struct dns_stub_server *srv = servers_of(q, &n);
	unsigned max = n > DNS_STUB_TRIES_MIN ? (unsigned)n : DNS_STUB_TRIES_MIN;
	if (n == 0 || q->tries >= max) {
		dns_stub__query_unreachable(q, n ? "no server answered" : "no server configured");
		return;
	}
	q->tries++;
	srv = &srv[q->server % n];
	struct dns_stub_xchg *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		dns_stub__query_unreachable(q, "out of memory");
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


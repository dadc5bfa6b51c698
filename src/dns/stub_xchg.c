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
#include "core/stream.h"
#include "dns/stub_int.h"

#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))

struct dns_stub_xchg {
	struct dns_stub_query *q;	/* NULL once abandoned */
	uint8_t *rbuf;			/* the stub's receive buffer (UDP) */
	bool tcp;
	union {
		uv_udp_t udp;
		struct sp_stream st;	/* TCP: the shared stream helper frames the reply */
	} u;
	uv_connect_t connect;
};

static void attempt_closed(uv_handle_t *h)
{
	free(h->data);
}

void dns_stub__xchg_close(struct dns_stub_xchg *a)
{
	if (a == NULL)
		return;
	a->q = NULL;
	if (a->tcp)
		sp_stream_close(&a->u.st, SP_STREAM_LOCAL);
	else
		uv_close((uv_handle_t *)&a->u.udp, attempt_closed);
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

static struct dns_stub_xchg *xchg_of(struct sp_stream *st)
{
	return container_of(st, struct dns_stub_xchg, u.st);
}

/* The first whole message on the connection is the reply, or the server is no good. */
static void tcp_frame(struct sp_stream *st, const uint8_t *frame, size_t len)
{
	struct dns_stub_xchg *a = xchg_of(st);
	struct dns_stub_query *q = a->q;
	if (q == NULL)
		return;
	if (!is_our_reply(q, frame + 2, len - 2)) {
		next_server(q);
		return;
	}
	deliver(q, frame + 2, len - 2);
}

/* The server closed, reset or failed a write before answering: try the next one. */
static void tcp_close(struct sp_stream *st, enum sp_stream_why why)
{
	struct dns_stub_xchg *a = xchg_of(st);
	(void)why;
	if (a->q != NULL)
		next_server(a->q);
}

static void tcp_closed(struct sp_stream *st)
{
	free(xchg_of(st));
}

static const struct sp_stream_ops tcp_ops = {
	.frame = sp_stream_frame_u16,
	.on_frame = tcp_frame,
	.on_close = tcp_close,
	.on_closed = tcp_closed,
};

static void tcp_connected(uv_connect_t *c, int status)
{
	struct dns_stub_xchg *a = c->data;
	struct dns_stub_query *q = a->q;
	if (q == NULL)
		return;
	if (status < 0) {
		next_server(q);
		return;
	}
	uint8_t head[2] = { (uint8_t)(q->msg_len >> 8), (uint8_t)q->msg_len };
	uv_buf_t b[2] = { uv_buf_init((char *)head, 2),
			  uv_buf_init((char *)q->msg, (unsigned)q->msg_len) };
	int rc = sp_stream_writev(&a->u.st, b, 2);
	if (rc == 0)
		rc = sp_stream_start(&a->u.st);
	/* A failed write closed the stream, and its close moved on already. */
	if (rc != 0 && a->q != NULL)
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
		a->u.udp.data = a;
		uv_buf_t b = uv_buf_init((char *)q->msg, (unsigned)q->msg_len);
		rc = uv_udp_connect(&a->u.udp, (const struct sockaddr *)&srv->sa);
		if (rc == 0)
			rc = uv_udp_recv_start(&a->u.udp, udp_alloc, udp_recv);
		if (rc == 0) {
			rc = uv_udp_try_send(&a->u.udp, &b, 1, NULL);
			rc = rc < 0 ? rc : 0;
		}
	} else {
		const struct sp_stream_conf conf = { .ops = &tcp_ops, .rbuf_max = 2 + DNS_STUB_MSG_MAX };
		rc = sp_stream_init(&a->u.st, q->stub->loop, SP_STREAM_TCP, &conf, a);
		if (rc != 0) {
			q->att = NULL;	/* nothing to close: the timer moves on */
			free(a);
		} else {
			a->connect.data = a;
			rc = uv_tcp_connect(&a->connect, &a->u.st.u.tcp,
					    (const struct sockaddr *)&srv->sa, tcp_connected);
		}
	}
	if (rc != 0)
		sp_debug("dns stub: send failed: %s", uv_strerror(rc));
	/* A failed send waits for the timer like a lost packet: retries stay bounded. */
	if (sp_timer_start(&q->timer, on_timeout, &dns_stub__query_timeout, 10) != 0)
		sp_warn("dns stub: cannot start the query timer");
}


/*
 * stub.c - the device stub resolver: listeners, clients, lifecycle.
 *
 * Timers (all in stub_query.c and here):
 *   dns.stub-query-timeout  one exchange with a signpost or upstream; on
 *                           expiry the next server is tried.
 *   dns.stub-tcp-idle       a client TCP connection with nothing to do.
 *
 * Teardown follows the node's two phases: dns_stub_stop() marks the stub
 * stopping and closes every handle; each close callback releases one count
 * of stub->live, and the last one frees the stub.  Without listeners (role
 * signpost: the resolver only) the queries' timers are the only handles.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "dns/stub_int.h"
#include "dns/wire.h"

struct sp_interval dns_stub__query_timeout = {
	"dns.stub-query-timeout", 1500,
	"a signpost or resolver that has not answered in 1.5 s has likely lost the packet: ask again"
};
struct sp_interval dns_stub__tcp_idle = {
	"dns.stub-tcp-idle", 10000,
	"RFC 7766 suggests closing idle client connections after a few seconds; 10 s as servers do"
};

struct sp_interval *const dns_stub_intervals[] = { &dns_stub__query_timeout, &dns_stub__tcp_idle };
const size_t dns_stub_n_intervals = sizeof(dns_stub_intervals) / sizeof(dns_stub_intervals[0]);

#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))

size_t dns_stub__question_end(const uint8_t *msg, size_t len)
{
	/* The one question walker; the stub only ever has messages with one question. */
	if (len < DNS_HEADER_LEN || ((msg[4] << 8) | msg[5]) != 1)
		return 0;
	return dns_wire_question_end(msg, len);
}

void dns_stub__release(struct dns_stub *stub)
{
	if (--stub->live > 0 || !stub->stopping)
		return;
	dns_stub__conf_clear(&stub->conf);
	dns_stub__friends_clear(stub);
	ldns_rdf_deep_free(stub->own_zone);
	free(stub);
}

/* ---- replies ---- */

void dns_stub__reply(struct dns_stub *stub, const struct sockaddr *to, struct dns_stub_conn *conn,
		     const uint8_t *msg, size_t len, size_t udp_max)
{
	uint8_t tc[512];
	if (conn == NULL && len > udp_max) {
		/* Too big for the client's UDP: header and question, TC set (RFC 1035 4.2.1). */
		size_t qend = dns_stub__question_end(msg, len);
		if (qend == 0 || qend > sizeof(tc))
			return;
		memcpy(tc, msg, qend);
		tc[2] |= 0x02;
		memset(tc + 6, 0, 6);
		msg = tc;
		len = qend;
	}
	if (conn == NULL) {
		uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
		(void)uv_udp_try_send(&stub->udp, &b, 1, to);	/* a full socket drops, as UDP may */
		return;
	}
	if (!sp_stream_is_open(&conn->st) || len > DNS_STUB_MSG_MAX)
		return;
	uint8_t head[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	uv_buf_t b[2] = { uv_buf_init((char *)head, 2), uv_buf_init((char *)msg, (unsigned)len) };
	/* A failed write has closed the connection: its client asks again, as after any loss. */
	if (sp_stream_writev(&conn->st, b, 2) != 0)
		sp_debug("dns stub: cannot answer a TCP client");
}

/* ---- UDP listener ---- */

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct dns_stub *stub = container_of(h, struct dns_stub, udp);
	*buf = uv_buf_init((char *)stub->rbuf, sizeof(stub->rbuf));
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		     unsigned flags)
{
	struct dns_stub *stub = container_of(h, struct dns_stub, udp);
	if (nread <= 0 || from == NULL || (flags & UV_UDP_PARTIAL) || stub->stopping)
		return;
	dns_stub__query(stub, (const uint8_t *)buf->base, (size_t)nread, from, NULL);
}

/* ---- TCP clients ---- */

static struct dns_stub_conn *conn_of(struct sp_stream *st)
{
	return container_of(st, struct dns_stub_conn, st);
}

/* First phase: unlinked, and its queries answer nobody. */
static void conn_on_close(struct sp_stream *st, enum sp_stream_why why)
{
	struct dns_stub_conn *c = conn_of(st);
	struct dns_stub *stub = c->stub;
	(void)why;
	for (struct dns_stub_conn **pp = &stub->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			stub->n_conns--;
			break;
		}
	}
	dns_stub__queries_forget_conn(stub, c);
}

static void conn_on_closed(struct sp_stream *st)
{
	struct dns_stub_conn *c = conn_of(st);
	struct dns_stub *stub = c->stub;
	free(c);
	dns_stub__release(stub);
}

static void conn_close(struct dns_stub_conn *c)
{
	sp_stream_close(&c->st, SP_STREAM_LOCAL);
}

/* Idle with nothing to send: kept while answers are on their way from the servers. */
static bool conn_on_idle(struct sp_stream *st)
{
	return conn_of(st)->pending > 0;
}

static void conn_on_frame(struct sp_stream *st, const uint8_t *frame, size_t len)
{
	struct dns_stub_conn *c = conn_of(st);
	if (len - 2 >= 12)
		dns_stub__query(c->stub, frame + 2, len - 2, NULL, c);
}

static const struct sp_stream_ops conn_ops = {
	.frame = sp_stream_frame_u16,
	.on_frame = conn_on_frame,
	.on_idle = conn_on_idle,
	.on_close = conn_on_close,
	.on_closed = conn_on_closed,
};

static void tcp_accept(uv_stream_t *server, int status)
{
	struct dns_stub *stub = container_of(server, struct dns_stub, tcp);
	if (status < 0 || stub->stopping)
		return;
	struct dns_stub_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	const struct sp_stream_conf conf = {
		.ops = &conn_ops,
		.rbuf_max = 2 + DNS_STUB_MSG_MAX,	/* one length-prefixed message at most */
		.pause_bytes = DNS_STUB_TCP_PAUSE_BYTES,
		.pause_writes = DNS_STUB_TCP_PAUSE_WRITES,
		.idle_ms = dns_stub__tcp_idle.ms,
		.stats = &stub->tcp_closes,
	};
	if (sp_stream_init(&c->st, stub->loop, SP_STREAM_TCP, &conf, c) != 0) {
		free(c);
		return;
	}
	c->stub = stub;
	stub->live++;
	c->next = stub->conns;
	stub->conns = c;
	stub->n_conns++;
	if (sp_stream_accept(&c->st, server) != 0 || stub->n_conns > DNS_STUB_MAX_TCP ||
	    sp_stream_start(&c->st) != 0)
		conn_close(c);
}

/* ---- lifecycle ---- */

int dns_stub_check(const struct sp_config *cfg)
{
	struct dns_stub_conf c;
	int rc = dns_stub__conf_read(cfg, &c);
	if (rc == 0)
		dns_stub__conf_clear(&c);
	return rc;
}

static void listener_closed(uv_handle_t *h)
{
	dns_stub__release(h->data);
}

static void describe(const struct sockaddr_storage *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		uv_ip6_name(s6, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		uv_ip4_name(s4, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(out, len, "%s:%u", host, port);
	}
}

static void log_zones(const struct dns_stub *stub)
{
	for (size_t i = 0; i < stub->conf.n_zones; i++) {
		char *z = ldns_rdf2str(stub->conf.zones[i]->name);
		sp_info("dns stub: zone %s %s", z ? z : "?",
			stub->conf.zones[i]->anchor ? "validated with its trust anchor"
						    : "relayed unvalidated (no trust-anchor)");
		free(z);
	}
}

/* Role signpost: the resolver service without listeners (the DNS port is the server's). */
static int resolver_only(struct dns_stub *stub, struct dns_stub **out)
{
	int rc = dns_stub__resolver_provide(stub);
	if (rc != 0) {
		stub->stopping = true;
		stub->live = 1;
		dns_stub__release(stub);
		return rc;
	}
	sp_info("dns stub: resolver only (no listener); %zu friend zone(s) configured",
		stub->conf.n_zones);
	log_zones(stub);
	*out = stub;
	return 0;
}

int dns_stub_start(struct sp_node *node, bool listen, struct dns_stub **out)
{
	char where[80];
	int rc;
	struct dns_stub *stub = calloc(1, sizeof(*stub));
	if (stub == NULL)
		return -ENOMEM;
	if (sodium_init() < 0) {
		free(stub);
		return SP_ECRYPTO;
	}
	stub->node = node;
	stub->loop = node->loop;
	rc = dns_stub__conf_read(node->cfg, &stub->conf);
	if (rc != 0) {
		free(stub);
		return rc;
	}
	const char *own = sp_cfg_str(sp_config_get(node->cfg, "node"), "zone");
	stub->own_zone = own != NULL ? ldns_dname_new_frm_str(own) : NULL;
	if (stub->own_zone != NULL)
		ldns_dname2canonical(stub->own_zone);
	if (!listen)
		return resolver_only(stub, out);
	describe(&stub->conf.listen, where, sizeof(where));
	uv_udp_init(stub->loop, &stub->udp);
	uv_tcp_init(stub->loop, &stub->tcp);
	stub->udp.data = stub;
	stub->tcp.data = stub;
	stub->live = 2;
	stub->listening = true;
	const struct sockaddr *la = (const struct sockaddr *)&stub->conf.listen;
	/* No SO_REUSEADDR: another local socket must not share (and steal) our port. */
	rc = uv_udp_bind(&stub->udp, la, 0);
	if (rc == 0)
		rc = uv_udp_recv_start(&stub->udp, udp_alloc, udp_recv);
	if (rc == 0)
		rc = uv_tcp_bind(&stub->tcp, la, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&stub->tcp, 64, tcp_accept);
	if (rc != 0) {
		sp_err("dns stub: cannot listen on %s: %s", where, uv_strerror(rc));
		dns_stub_stop(stub);
		return sp_from_uv(rc);
	}
	rc = dns_stub__resolver_provide(stub);
	if (rc != 0) {
		dns_stub_stop(stub);
		return rc;
	}
	sp_info("dns stub: listening on %s (UDP, TCP); %zu zone(s), %zu upstream(s)", where,
		stub->conf.n_zones, stub->conf.n_upstream);
	log_zones(stub);
	*out = stub;
	return 0;
}

int dns_stub_prepare(struct dns_stub *stub, const struct sp_config *cfg, void **pending)
{
	struct dns_stub_conf *c = calloc(1, sizeof(*c));
	*pending = NULL;
	if (c == NULL)
		return -ENOMEM;
	int rc = dns_stub__conf_read(cfg, c);
	if (rc != 0) {
		free(c);
		return rc;
	}
	if (stub->listening && (c->listen_len != stub->conf.listen_len ||
				memcmp(&c->listen, &stub->conf.listen, c->listen_len) != 0)) {
		const struct sp_config_section *d = sp_config_get(cfg, "dns");
		sp_config_error(cfg, d, "stub-listen",
				"stub-listen/stub-port cannot change on reload; restart signpostd");
		dns_stub__conf_clear(c);
		free(c);
		return SP_ECONFIG;
	}
	*pending = c;
	return 0;
}

void dns_stub_commit(struct dns_stub *stub, void *pending)
{
	struct dns_stub_conf *c = pending;
	if (c == NULL)
		return;
	/* Queries in flight hold references to the zones they use. */
	dns_stub__conf_clear(&stub->conf);
	stub->conf = *c;
	free(c);
	sp_info("dns stub: reloaded: %zu zone(s), %zu upstream(s)", stub->conf.n_zones,
		stub->conf.n_upstream);
}

void dns_stub_abort(struct dns_stub *stub, void *pending)
{
	struct dns_stub_conf *c = pending;
	(void)stub;
	if (c == NULL)
		return;
	dns_stub__conf_clear(c);
	free(c);
}

void dns_stub_stop(struct dns_stub *stub)
{
	if (stub == NULL || stub->stopping)
		return;
	stub->stopping = true;
	/* Withdrawn first: a plane that looks it up from now on finds nothing. */
	dns_stub__resolver_withdraw(stub);
	/* The stub's own count for this call, so the last release (here or later) frees it. */
	stub->live++;
	dns_stub__queries_abort(stub);
	while (stub->conns != NULL)
		conn_close(stub->conns);
	if (stub->listening) {
		uv_close((uv_handle_t *)&stub->udp, listener_closed);
		uv_close((uv_handle_t *)&stub->tcp, listener_closed);
	}
	dns_stub__release(stub);
}

void dns_stub_status(struct dns_stub *stub, struct sp_status *st)
{
	char where[80];
	if (stub == NULL)
		return;
	describe(&stub->conf.listen, where, sizeof(where));
	sp_status_add(st, "stub-listen", "%s", stub->listening ? where : "none (resolver only)");
	sp_status_add(st, "stub-zones", "%zu", stub->conf.n_zones);
	sp_status_add(st, "stub-upstreams", "%zu", stub->conf.n_upstream);
	sp_status_add(st, "stub-queries", "%llu", (unsigned long long)stub->n.queries);
	sp_status_add(st, "stub-forwarded", "%llu", (unsigned long long)stub->n.forwarded);
	sp_status_add(st, "stub-secure", "%llu", (unsigned long long)stub->n.secure);
	sp_status_add(st, "stub-insecure", "%llu", (unsigned long long)stub->n.insecure);
	sp_status_add(st, "stub-bogus", "%llu", (unsigned long long)stub->n.bogus);
	sp_status_add(st, "stub-servfail", "%llu", (unsigned long long)stub->n.servfail);
	sp_status_add(st, "stub-pending", "%zu", stub->n_queries);
	sp_status_add(st, "stub-tcp-clients", "%zu", stub->n_conns);
	sp_stream_stats_status(&stub->tcp_closes, "stub-tcp", st);
	sp_status_add(st, "resolver-friends", "%zu", stub->n_friends);
	sp_status_add(st, "resolver-lookups", "%llu", (unsigned long long)stub->n.lookups);
	sp_status_add(st, "resolver-lookups-ok", "%llu", (unsigned long long)stub->n.lookups_ok);
	sp_status_add(st, "resolver-lookups-failed", "%llu",
		      (unsigned long long)stub->n.lookups_failed);
	sp_status_add(st, "resolver-pending", "%zu", stub->n_lookups);
	sp_status_add(st, "stub-names-answered", "%llu",
		      (unsigned long long)stub->n.names_answered);
}

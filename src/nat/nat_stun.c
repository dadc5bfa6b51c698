/*
 * nat_stun.c - the STUN server and client of the NAT plane (loop code), on
 * the node's shared UDP socket: one SP_KIND_STUN handler sends requests to
 * the server half and answers (success, error) to the client half, which
 * matches them to its queries by transaction id.
 *
 * SERVER (signpost, [nat] stun-server).  A binding request passes the
 * per-prefix limiter (NAT_STUN_RATE) and is answered by stun_answer (pure,
 * stun.h: the size rule, 420s) from the address it was sent to (the
 * transport's sticky source).  With [nat] stun-other-address a second
 * socket is bound there on the node's port + 1: it is OTHER-ADDRESS, it
 * answers requests itself (RFC 3489 ones too: the shared socket's
 * classifier passes only RFC 8489 messages), and it sends the answers to
 * CHANGE-REQUEST "change IP and port" (RFC 5780 test II).  "IP only" goes
 * from the shared socket with the other address as source, "port only"
 * from a wildcard socket on the other port (test III).
 *
 * CLIENT.  nat_stun_query sends a binding request with a random
 * transaction id and FINGERPRINT and retransmits it (NAT_STUN_TRIES, the
 * RTO doubling from nat.stun-rto).  A device asks its STUN servers ([nat]
 * stun-servers, else its signpost's control endpoint, which is a STUN
 * server too) at start and every nat.stun-refresh, and each answer is a
 * server-reflexive candidate of the plane.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/timer.h"
#include "nat/nat_int.h"
#include "nat/nat_schema.h"
#include "nat/stun.h"

struct sp_interval nat_iv_stun_rto = { "nat.stun-rto", 500,
	"RFC 8489's initial STUN retransmission timeout (doubles at each try)" };
struct sp_interval nat_iv_stun_refresh = { "nat.stun-refresh", 180000,
	"a device asks for its public address again: NAT mappings and addresses change" };

/*
 * Tries per query.  RFC 8489 says Rc = 7 (39.5 s at 500 ms); 4 tries take
 * 0.5 + 1 + 2 + 4 = 7.5 s, which bounds `signpost netcheck` and a device's
 * start, and a lost answer is asked again at the next refresh anyway.
 */
#define NAT_STUN_TRIES 4
/* Requests answered per source prefix (IPv4 /32, IPv6 /64): a client needs a few per minute. */
#define NAT_STUN_RATE 20
#define NAT_STUN_BURST 40
/* Our requests are padded (RFC 5780 PADDING) to this size when asking for RFC 5780 details. */
#define NAT_STUN_PAD 128
/* What the server calls itself (SOFTWARE, only when it fits: stun.h). */
#define NAT_STUN_SOFTWARE "signpost"

static uint64_t now_ns(void)
{
	return uv_hrtime();
}

/* ---- server ---- */

static void answer_request(struct nat *nat, struct sp_dgram *d)
{
	struct nat_stun_srv *s = &nat->srv;
	s->requests++;
	if (!s->on) {
		s->dropped++;
		return;
	}
	if (sp_rl_take(&s->rl, &d->src->sa, d->now, NULL) != SP_RL_PASS) {
		s->limited++;
		return;
	}
	union sp_endpoint origin;
	memset(&origin, 0, sizeof(origin));
	if (d->local && d->local->addr.sa.sa_family != 0) {
		origin = d->local->addr;
		sp_endpoint_set_port(&origin, sp_transport_port(nat->transport));
	}
	struct stun_answer_ctx ctx = {
		.src = d->src,
		.origin = origin.sa.sa_family ? &origin : NULL,
		.other = s->other_on ? &s->other : NULL,
		.software = NAT_STUN_SOFTWARE,
	};
	/*
	 * Where a changed answer leaves from: IP and port, the other socket;
	 * IP only, the shared socket with the other address as its source
	 * (IP_PKTINFO); port only, the wildcard socket on the other port (the
	 * kernel picks the source: the address of the route back, which is the
	 * one asked on a host whose second address is an alias).
	 */
	union sp_endpoint ip_only, port_only;
	if (s->other_on) {
		ctx.changed[(STUN_CHANGE_IP | STUN_CHANGE_PORT) >> 1] = &s->other;
		ip_only = s->other;
		sp_endpoint_set_port(&ip_only, sp_transport_port(nat->transport));
		ctx.changed[STUN_CHANGE_IP >> 1] = &ip_only;
		if (s->port_on && origin.sa.sa_family == s->other.sa.sa_family) {
			port_only = origin;
			sp_endpoint_set_port(&port_only, sp_endpoint_port(&s->other));
			ctx.changed[STUN_CHANGE_PORT >> 1] = &port_only;
		}
	}
	uint8_t out[STUN_MSG_MAX];
	size_t n;
	uint32_t change;
	enum stun_verdict v = stun_answer(d->buf, d->len, &ctx, out, &n, &change);
	if (v == STUN_DROP) {
		s->dropped++;
		return;
	}
	if (out[0] & 0x01 && out[1] & 0x10)
		s->errors_420++;
	int rc;
	if (v == STUN_ANSWER_CHANGED && change == STUN_CHANGE_IP) {
		struct sp_local src = { .addr = s->other };
		sp_endpoint_set_port(&src.addr, 0);
		rc = sp_transport_send(nat->transport, d->src, &src, out, n);
		if (rc == 0)
			s->changed++;
	} else if (v == STUN_ANSWER_CHANGED) {
		uv_buf_t b = uv_buf_init((char *)out, (unsigned)n);
		uv_udp_t *via = change == STUN_CHANGE_PORT ? &s->port_sock : &s->other_sock;
		rc = uv_udp_try_send(via, &b, 1, &d->src->sa);
		rc = rc < 0 ? rc : 0;
		if (rc == 0)
			s->changed++;
	} else {
		struct sp_local src = d->local ? *d->local : (struct sp_local){ 0 };
		rc = sp_transport_send(nat->transport, d->src, &src, out, n);
	}
	if (rc)
		s->tx_errors++;
	else
		s->answered++;
}

static void other_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char rx[STUN_MSG_MAX + 1];	/* one loop thread; +1 tells an oversized one */
	buf->base = rx;
	buf->len = sizeof(rx);
}

/* A datagram to the other address: answered here, without CHANGE-REQUEST (RFC 3489 too). */
static void other_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		       const struct sockaddr *addr, unsigned flags)
{
	struct nat *nat = h->data;
	struct nat_stun_srv *s = &nat->srv;
	if (nread <= 0 || addr == NULL || (size_t)nread > STUN_MSG_MAX ||
	    (flags & UV_UDP_PARTIAL))
		return;
	union sp_endpoint src;
	if (sp_endpoint_from_sa(&src, addr, sizeof(struct sockaddr_in6)) != 0)
		return;
	s->requests++;
	if (sp_rl_take(&s->rl, &src.sa, now_ns(), NULL) != SP_RL_PASS) {
		s->limited++;
		return;
	}
	struct stun_answer_ctx ctx = { .src = &src, .origin = &s->other,
				       .software = NAT_STUN_SOFTWARE };
	uint8_t out[STUN_MSG_MAX];
	size_t n;
	uint32_t change;
	if (stun_answer((const uint8_t *)buf->base, (size_t)nread, &ctx, out, &n, &change) ==
	    STUN_DROP) {
		s->dropped++;
		return;
	}
	uv_buf_t b = uv_buf_init((char *)out, (unsigned)n);
	if (uv_udp_try_send(&s->other_sock, &b, 1, addr) < 0)
		s->tx_errors++;
	else
		s->answered++;
}

static int other_open(struct nat *nat, const union sp_endpoint *addr)
{
	struct nat_stun_srv *s = &nat->srv;
	s->other = *addr;
	uint16_t port = sp_transport_port(nat->transport);
	sp_endpoint_set_port(&s->other, port == 65535 ? 0 : (uint16_t)(port + 1));
	int rc = uv_udp_init(nat->node->loop, &s->other_sock);
	if (rc)
		return rc;
	s->other_sock.data = nat;
	s->other_on = true;	/* from here on the handle must be closed */
	/* REUSEADDR: the wildcard socket below shares the port (both must set it). */
	rc = uv_udp_bind(&s->other_sock, &s->other.sa, UV_UDP_REUSEADDR);
	if (rc == 0) {
		struct sockaddr_storage ss;
		int len = sizeof(ss);
		rc = uv_udp_getsockname(&s->other_sock, (struct sockaddr *)&ss, &len);
		if (rc == 0)
			rc = sp_endpoint_from_sa(&s->other, (struct sockaddr *)&ss, (socklen_t)len);
	}
	if (rc == 0)
		rc = uv_udp_recv_start(&s->other_sock, other_alloc, other_recv);
	if (rc)
		return rc;
	/* Port only: the wildcard of the other address's family on the other port (send only). */
	union sp_endpoint any;
	memset(&any, 0, sizeof(any));
	any.sa.sa_family = s->other.sa.sa_family;
	sp_endpoint_set_port(&any, sp_endpoint_port(&s->other));
	if (uv_udp_init(nat->node->loop, &s->port_sock) != 0)
		return 0;
	s->port_sock.data = nat;
	s->port_on = true;
	int prc = uv_udp_bind(&s->port_sock, &any.sa, UV_UDP_REUSEADDR |
			      (any.sa.sa_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0));
	if (prc) {
		sp_notice("nat: no CHANGE-REQUEST 'port only' (port %u: %s)",
			  sp_endpoint_port(&s->other), sp_strerror(prc));
		s->port_on = false;
		s->port_closing = true;
	}
	return 0;
}

/* ---- client ---- */

static void stun_tick(uv_timer_t *t);

static void arm(struct nat *nat)
{
	uint64_t next = UINT64_MAX, now = now_ns();
	for (size_t i = 0; i < NAT_STUN_QUERIES_MAX; i++)
		if (nat->cli.q[i].used && nat->cli.q[i].due_ns < next)
			next = nat->cli.q[i].due_ns;
	if (next == UINT64_MAX) {
		uv_timer_stop(&nat->cli.timer);
		return;
	}
	uint64_t ms = next > now ? (next - now + 999999) / 1000000 : 0;
	uv_timer_start(&nat->cli.timer, stun_tick, ms, 0);
}

static int send_try(struct nat *nat, struct nat_query *q)
{
	uint8_t buf[STUN_MSG_MAX];
	size_t n;
	int rc = stun_binding_request(buf, sizeof(buf), q->txid, q->change, q->pad, NULL, &n);
	if (rc == 0)
		rc = sp_transport_send(nat->transport, &q->server, NULL, buf, n);
	q->tries++;
	q->sent_ns = now_ns();
	q->due_ns = q->sent_ns + q->rto_ns;
	q->rto_ns *= 2;
	return rc;
}

static void finish(struct nat *nat, struct nat_query *q, struct nat_stun_result *r)
{
	nat_stun_fn cb = q->cb;
	void *arg = q->arg;
	r->server = q->server;
	r->tries = q->tries;
	memset(q, 0, sizeof(*q));
	if (r->status == 0)
		nat->cli.answers++;
	else if (r->status == -ETIMEDOUT)
		nat->cli.timeouts++;
	else
		nat->cli.errors++;
	if (cb)
		cb(arg, r);
}

static void stun_tick(uv_timer_t *t)
{
	struct nat *nat = t->data;
	uint64_t now = now_ns();
	for (size_t i = 0; i < NAT_STUN_QUERIES_MAX; i++) {
		struct nat_query *q = &nat->cli.q[i];
		if (!q->used || q->due_ns > now)
			continue;
		if (q->tries >= NAT_STUN_TRIES) {
			struct nat_stun_result r = { .status = -ETIMEDOUT };
			finish(nat, q, &r);
		} else if (send_try(nat, q) != 0) {
			sp_log_rl(SP_LOG_DEBUG, "nat: a STUN request was not sent%s", "");
		}
	}
	arm(nat);
}

static void answer_in(struct nat *nat, struct sp_dgram *d)
{
	struct nat_query *q = NULL;
	if (d->len < STUN_HEADER_LEN)
		return;
	for (size_t i = 0; i < NAT_STUN_QUERIES_MAX && q == NULL; i++)
		if (nat->cli.q[i].used && sodium_memcmp(nat->cli.q[i].txid, d->buf + 4, 16) == 0)
			q = &nat->cli.q[i];
	struct stun_msg m;
	if (q == NULL || stun_parse(d->buf, d->len, &m) != 0 || m.legacy ||
	    m.method != STUN_BINDING) {
		nat->cli.stray++;
		return;
	}
	struct nat_stun_result r = { 0 };
	r.rtt_ns = d->now > q->sent_ns ? d->now - q->sent_ns : 0;
	r.origin = m.has_origin ? m.origin : *d->src;
	if (m.has_other)
		r.other = m.other;
	if (d->local && d->local->addr.sa.sa_family != 0) {
		r.local = d->local->addr;
		sp_endpoint_set_port(&r.local, sp_transport_port(nat->transport));
	}
	if (m.cls == STUN_ERROR) {
		r.status = SP_EPROTO;
		r.error_code = m.has_error ? m.error_code : 0;
	} else if (m.has_xor_mapped) {
		r.mapped = m.xor_mapped;
	} else if (m.has_mapped) {
		r.mapped = m.mapped;
	} else {
		nat->cli.stray++;	/* a success without an address answers nothing */
		return;
	}
	finish(nat, q, &r);
}

static void on_dgram(void *arg, struct sp_dgram *d);

/*
 * The STUN handler is registered when the node serves STUN or asks a
 * server itself, else at its first query: a node that does neither leaves
 * STUN datagrams to the transport's "unhandled" count, as before.
 */
static int ensure_registered(struct nat *nat)
{
	if (nat->registered)
		return 0;
	int rc = sp_transport_register(nat->transport, SP_KIND_STUN, on_dgram, NULL, nat);
	if (rc == 0)
		nat->registered = true;
	return rc;
}

static int query(struct nat *nat, const union sp_endpoint *server, uint32_t change, size_t pad,
		 nat_stun_fn cb, void *arg)
{
	if (nat == NULL || nat->transport == NULL || !nat->timers_ready)
		return -ENOTCONN;
	int rc = ensure_registered(nat);
	if (rc)
		return rc;
	if (server == NULL ||
	    (server->sa.sa_family != AF_INET && server->sa.sa_family != AF_INET6) ||
	    sp_endpoint_port(server) == 0)
		return -EINVAL;
	struct nat_query *q = NULL;
	for (size_t i = 0; i < NAT_STUN_QUERIES_MAX && q == NULL; i++)
		if (!nat->cli.q[i].used)
			q = &nat->cli.q[i];
	if (q == NULL)
		return SP_ELIMIT;
	memset(q, 0, sizeof(*q));
	q->used = true;
	q->txid[0] = 0x21;
	q->txid[1] = 0x12;
	q->txid[2] = 0xa4;
	q->txid[3] = 0x42;
	randombytes_buf(q->txid + 4, 12);
	q->server = *server;
	q->change = change & (NAT_STUN_CHANGE_IP | NAT_STUN_CHANGE_PORT);
	q->pad = pad;
	q->cb = cb;
	q->arg = arg;
	q->rto_ns = nat_iv_stun_rto.ms * 1000000u;
	nat->cli.queries++;
	(void)send_try(nat, q);	/* a refused send is retried on schedule */
	arm(nat);
	return 0;
}

int nat_stun_query(struct nat *nat, const union sp_endpoint *server, nat_stun_fn cb, void *arg)
{
	return query(nat, server, 0, 0, cb, arg);
}

int nat_stun_query_change(struct nat *nat, const union sp_endpoint *server, unsigned change,
			  nat_stun_fn cb, void *arg)
{
	/* Padded: an RFC 5780 answer (OTHER-ADDRESS, RESPONSE-ORIGIN) must fit the size rule. */
	return query(nat, server, change, NAT_STUN_PAD, cb, arg);
}

void nat_stun_cancel(struct nat *nat, void *arg)
{
	for (size_t i = 0; nat && i < NAT_STUN_QUERIES_MAX; i++)
		if (nat->cli.q[i].used && nat->cli.q[i].arg == arg)
			memset(&nat->cli.q[i], 0, sizeof(nat->cli.q[i]));
}

/* ---- discovery ---- */

enum nat_mapping nat_mapping(const struct nat *nat)
{
	return nat ? nat->cli.mapping : NAT_MAPPING_UNKNOWN;
}

const char *nat_mapping_name(enum nat_mapping m)
{
	switch (m) {
	case NAT_MAPPING_INDEPENDENT:
		return "endpoint-independent";
	case NAT_MAPPING_DEPENDENT:
		return "endpoint-dependent";
	default:
		return "unknown";
	}
}

/*
 * The mapping from what the destinations saw: another public endpoint for
 * another destination is a dependent mapping.  A change is an event: the
 * control plane tells its candidates again (a dependent NAT is marked).
 */
static void judge_mapping(struct nat *nat)
{
	const struct nat_stun_cli *c = &nat->cli;
	const union sp_endpoint *first = NULL;
	enum nat_mapping m = NAT_MAPPING_UNKNOWN;
	for (size_t i = 0; i <= c->n_servers; i++) {
		const union sp_endpoint *e = i < c->n_servers ? &c->mapped[i] : &c->other_mapped;
		if (e->sa.sa_family == 0)
			continue;
		if (!first)
			first = e;
		else if (!sp_endpoint_equal(first, e))
			m = NAT_MAPPING_DEPENDENT;
		else if (m == NAT_MAPPING_UNKNOWN)
			m = NAT_MAPPING_INDEPENDENT;
	}
	if (m == c->mapping)
		return;
	nat->cli.mapping = m;
	sp_notice("nat: mapping %s", nat_mapping_name(m));
	struct sp_event ev = { .type = SP_EV_CANDIDATES_CHANGED };
	sp_event_emit(nat->node, &ev);
}

static void other_discovered(void *arg, const struct nat_stun_result *r)
{
	struct nat *nat = arg;
	if (r->status != 0)
		return;
	nat->cli.other_mapped = r->mapped;
	judge_mapping(nat);
}

static void discovered(void *arg, const struct nat_stun_result *r)
{
	struct nat *nat = arg;
	if (r->status != 0)
		return;
	for (size_t i = 0; i < nat->cli.n_servers; i++) {
		if (!sp_endpoint_equal(&nat->cli.servers[i], &r->server))
			continue;
		const union sp_endpoint *old =
			nat->cli.mapped[i].sa.sa_family ? &nat->cli.mapped[i] : NULL;
		union sp_endpoint prev = nat->cli.mapped[i];
		nat->cli.mapped[i] = r->mapped;
		nat__candidate_set(nat, old ? &prev : NULL, &r->mapped, now_ns());
		if (i == 0 && r->other.sa.sa_family == r->server.sa.sa_family) {
			/* RFC 5780 test II: the server's other IP, its first port. */
			union sp_endpoint o = r->other;
			sp_endpoint_set_port(&o, sp_endpoint_port(&r->server));
			if (nat_stun_query_change(nat, &o, 0, other_discovered, nat) != 0)
				sp_log_rl(SP_LOG_INFO, "nat: STUN query not started%s", "");
		}
	}
	judge_mapping(nat);
}

static void discover(struct nat *nat)
{
	/* Padded: so that the server can name its OTHER-ADDRESS within its size rule. */
	for (size_t i = 0; i < nat->cli.n_servers; i++)
		if (nat_stun_query_change(nat, &nat->cli.servers[i], 0, discovered, nat) != 0)
			sp_log_rl(SP_LOG_INFO, "nat: STUN query not started%s", "");
}

static void refresh_tick(uv_timer_t *t)
{
	discover(t->data);
}

/* ---- the handler and the plane's half ---- */

static void on_dgram(void *arg, struct sp_dgram *d)
{
	struct nat *nat = arg;
	uint16_t cls = (uint16_t)((d->buf[0] << 8 | d->buf[1]) & STUN_CLASS_MASK);
	if (cls == STUN_REQUEST)
		answer_request(nat, d);
	else if (cls == STUN_SUCCESS || cls == STUN_ERROR)
		answer_in(nat, d);
	else
		nat->srv.dropped++;	/* indications: nothing to do */
}

int nat__stun_start(struct nat *nat)
{
	const struct sp_config *cfg = nat->node->cfg;
	const struct sp_config_section *c = sp_config_get(cfg, "nat");
	int rc = uv_timer_init(nat->node->loop, &nat->cli.timer);
	if (rc == 0)
		rc = uv_timer_init(nat->node->loop, &nat->cli.refresh);
	if (rc)
		return rc;
	nat->cli.timer.data = nat;
	nat->cli.refresh.data = nat;
	nat->timers_ready = true;
	nat->srv.on = nat_schema_flag(cfg, "stun-server", "signpost");
	if (nat->srv.on) {
		rc = ensure_registered(nat);
		if (rc)
			return rc;
		static const struct sp_rl_conf rl = { .rate = NAT_STUN_RATE, .burst = NAT_STUN_BURST,
						      .v4_bits = 32, .v6_bits = 64 };
		rc = sp_rl_init(&nat->srv.rl, 1024, &rl);
		if (rc)
			return rc;
		nat->srv.rl_ready = true;
		const union sp_endpoint *other = sp_cfg_endpoint(c, "stun-other-address");
		if (other) {
			rc = other_open(nat, other);
			char s[SP_ENDPOINT_STRLEN];
			if (rc) {
				sp_err("nat: cannot open the STUN other address %s: %s",
				       sp_endpoint_format(&nat->srv.other, s), sp_strerror(rc));
				return rc;
			}
			sp_notice("nat: STUN other address %s", sp_endpoint_format(&nat->srv.other, s));
		}
	}
	/* Whom to ask: [nat] stun-servers, else a device's signpost. */
	size_t n = 0;
	const union sp_endpoint *eps = sp_cfg_endpoints(c, "stun-servers", &n);
	if (n == 0 && !nat->is_signpost) {
		eps = sp_cfg_endpoints(sp_config_get(cfg, "control"), "signpost", &n);
	}
	for (size_t i = 0; i < n && nat->cli.n_servers < NAT_STUN_SERVERS_MAX; i++)
		if (sp_endpoint_port(&eps[i]) != 0)
			nat->cli.servers[nat->cli.n_servers++] = eps[i];
	if (nat->cli.n_servers) {
		discover(nat);
		rc = sp_timer_repeat(&nat->cli.refresh, refresh_tick, &nat_iv_stun_refresh);
		if (rc)
			return rc;
	}
	return 0;
}

void nat__stun_stop(struct nat *nat)
{
	if (nat->registered)
		sp_transport_unregister(nat->transport, SP_KIND_STUN, nat);
	nat->registered = false;
	for (size_t i = 0; i < NAT_STUN_QUERIES_MAX; i++)
		memset(&nat->cli.q[i], 0, sizeof(nat->cli.q[i]));	/* no callback after stop */
	if (nat->timers_ready) {
		nat->closing += 2;
		uv_close((uv_handle_t *)&nat->cli.timer, nat__handle_closed);
		uv_close((uv_handle_t *)&nat->cli.refresh, nat__handle_closed);
		nat->timers_ready = false;
	}
	if (nat->srv.other_on) {
		nat->closing++;
		uv_close((uv_handle_t *)&nat->srv.other_sock, nat__handle_closed);
		nat->srv.other_on = false;
	}
	if (nat->srv.port_on || nat->srv.port_closing) {
		nat->closing++;
		uv_close((uv_handle_t *)&nat->srv.port_sock, nat__handle_closed);
		nat->srv.port_on = false;
		nat->srv.port_closing = false;
	}
	if (nat->srv.rl_ready)
		sp_rl_deinit(&nat->srv.rl);
	nat->srv.rl_ready = false;
}

void nat__stun_status(struct nat *nat, struct sp_status *st)
{
	const struct nat_stun_srv *s = &nat->srv;
	const struct nat_stun_cli *c = &nat->cli;
	char e[SP_ENDPOINT_STRLEN];
	sp_status_add(st, "stun-server", "%s", s->on ? "on" : "off");
	if (s->on) {
		sp_status_add(st, "stun-other-address", "%s",
			      s->other_on ? sp_endpoint_format(&s->other, e) : "none");
		sp_status_add(st, "stun-requests", "%llu", (unsigned long long)s->requests);
		sp_status_add(st, "stun-answered", "%llu", (unsigned long long)s->answered);
		sp_status_add(st, "stun-answered-changed", "%llu", (unsigned long long)s->changed);
		sp_status_add(st, "stun-errors-420", "%llu", (unsigned long long)s->errors_420);
		sp_status_add(st, "stun-rate-limited", "%llu", (unsigned long long)s->limited);
		sp_status_add(st, "stun-dropped", "%llu", (unsigned long long)s->dropped);
	}
	for (size_t i = 0; i < c->n_servers; i++) {
		char key[48], m[SP_ENDPOINT_STRLEN];
		snprintf(key, sizeof(key), "stun-server-%zu", i + 1);
		sp_status_add(st, key, "%s mapped %s", sp_endpoint_format(&c->servers[i], e),
			      c->mapped[i].sa.sa_family ? sp_endpoint_format(&c->mapped[i], m)
							: "unknown");
	}
	sp_status_add(st, "stun-queries", "%llu", (unsigned long long)c->queries);
	sp_status_add(st, "stun-answers", "%llu", (unsigned long long)c->answers);
	sp_status_add(st, "stun-timeouts", "%llu", (unsigned long long)c->timeouts);
	sp_status_add(st, "stun-error-answers", "%llu", (unsigned long long)c->errors);
	sp_status_add(st, "stun-stray", "%llu", (unsigned long long)c->stray);
}

/*
 * cp_tlsroute.c - control messages over TLS where UDP does not get through
 * (loop code; the carrier is cp_tls.c).
 *
 * A signpost listens on [control] tls-port (443) as well as on its UDP
 * port.  A device whose REGISTERs get no answer over UDP opens a TLS
 * connection to its signpost at that port and from then on reaches every
 * signpost that way (the network blocks UDP).  Frames are the very sealed
 * datagrams of the UDP path and go through the same input (box, replay,
 * dispatch), so nothing is trusted for coming over TLS; the certificate is
 * not checked (cp_tls.h says why).
 *
 * Routes: the node whose sealed frame arrived on a connection (or that a
 * device connected to) is reached through it.  cp__send() asks
 * cp__tls_route() first: a device behind a UDP-blocking network is then
 * answered, relayed to and told of its friends over its connection, by the
 * same code that uses UDP for everyone else.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "control/cp_int.h"
#include "control/cp_tls.h"
#include "core/log.h"
#include "core/status.h"

struct cp_route {
	uint8_t ed[32];
	struct cp_tls_conn *conn;	/* NULL: free */
};

struct cp_tlsr {
	struct cp_tls_server *srv;	/* signpost */
	struct cp_route route[CP_TLS_CONNS_MAX];
	size_t top;			/* no route at or past this index: cp__send asks per datagram */
	uint64_t frames_in, frames_out, dropped;
};

static struct cp_route *route_of(struct cp_tlsr *r, const uint8_t ed[32])
{
	for (size_t i = 0; i < r->top; i++)
		if (r->route[i].conn && memcmp(r->route[i].ed, ed, 32) == 0)
			return &r->route[i];
	return NULL;
}

static void route_set(struct cp_tlsr *r, const uint8_t ed[32], struct cp_tls_conn *c)
{
	struct cp_route *rt = route_of(r, ed);
	for (size_t i = 0; !rt && i < CP_TLS_CONNS_MAX; i++)
		if (!r->route[i].conn)
			rt = &r->route[i];
	if (!rt)
		return;	/* as many routes as connections: cannot happen */
	memcpy(rt->ed, ed, 32);
	rt->conn = c;
	if ((size_t)(rt - r->route) >= r->top)
		r->top = (size_t)(rt - r->route) + 1;
}

struct cp_tls_conn *cp__tls_route(struct cp_plane *cp, const uint8_t ed[32])
{
	struct cp_route *rt = cp->tls ? route_of(cp->tls, ed) : NULL;
	return rt ? rt->conn : NULL;
}

int cp__tls_send(struct cp_plane *cp, struct cp_tls_conn *c, const uint8_t *buf, size_t len)
{
	int rc = cp_tls_send(c, buf, len);
	if (rc == 0)
		cp->tls->frames_out++;
	else
		cp->tls->dropped++;
	return rc;
}

static void on_frame(struct cp_tls_conn *c, const uint8_t *frame, size_t len, void *arg)
{
	struct cp_plane *cp = arg;
	union sp_endpoint src;
	if (cp_tls_conn_peer(c, &src) != 0)
		memset(&src, 0, sizeof(src));
	cp->tls->frames_in++;
	if (cp__input(cp, frame, len, &src, uv_hrtime(), c) != 0)
		return;	/* counted by the plane */
}

/* The frames of one TLS record were read: what they queued goes, relayed input into TUN. */
static void on_batch(struct cp_tls_conn *c, void *arg)
{
	(void)c;
	cp__flush(arg);
}

void cp__tls_learn(struct cp_plane *cp, const uint8_t ed[32], struct cp_tls_conn *conn)
{
	if (cp->tls)
		route_set(cp->tls, ed, conn);
}

static void on_state(struct cp_tls_conn *c, enum cp_tls_event ev, enum cp_tls_why why, void *arg)
{
	struct cp_plane *cp = arg;
	if (ev != CP_TLS_CLOSED || !cp->tls)
		return;
	for (size_t i = 0; i < CP_TLS_CONNS_MAX; i++)
		if (cp->tls->route[i].conn == c) {
			char who[SP_ENDPOINT_STRLEN] = "?";
			union sp_endpoint ep;
			if (cp_tls_conn_peer(c, &ep) == 0)
				sp_endpoint_format(&ep, who);
			sp_info("control: TLS connection with %s closed (%s)", who, cp_tls_why_name(why));
			cp->tls->route[i].conn = NULL;
		}
	while (cp->tls->top > 0 && !cp->tls->route[cp->tls->top - 1].conn)
		cp->tls->top--;
}

int cp__tls_connect(struct cp_plane *cp, const uint8_t ed[32], const union sp_endpoint *udp_ep)
{
	if (!cp->tls || cp__tls_route(cp, ed))
		return 0;
	union sp_endpoint ep = *udp_ep;
	sp_endpoint_set_port(&ep, cp->tls_port);
	struct cp_tls_conn *c = NULL;
	int rc = cp_tls_connect(cp->node->loop, &ep, on_frame, on_state, cp, &c);
	if (rc)
		return rc;
	cp_tls_conn_set_batch_fn(c, on_batch);
	route_set(cp->tls, ed, c);
	char who[SP_ENDPOINT_STRLEN];
	sp_notice("control: reaching %s over TLS (UDP gets no answer)", sp_endpoint_format(&ep, who));
	return 0;
}

int cp__tls_start(struct cp_plane *cp)
{
	cp->tls = calloc(1, sizeof(*cp->tls));
	if (!cp->tls)
		return -ENOMEM;
	if (!cp->is_signpost || cp->tls_port == 0)
		return 0;
	/* Every address of the host, like the UDP socket. */
	union sp_endpoint any;
	int rc = sp_endpoint_parse("::", true, cp->tls_port, &any);
	if (rc == 0)
		rc = cp_tls_listen(cp->node->loop, &any, on_frame, cp, &cp->tls->srv);
	if (rc) {
		/* Not fatal: UDP serves everyone whose network lets it through. */
		sp_warn("control: no TLS relay on TCP port %u: %s", cp->tls_port, sp_strerror(rc));
		cp->tls->srv = NULL;
		return 0;
	}
	cp_tls_server_set_state_fn(cp->tls->srv, on_state);
	cp_tls_server_set_batch_fn(cp->tls->srv, on_batch);
	sp_notice("control: TLS relay on TCP port %u", cp->tls_port);
	return 0;
}

void cp__tls_stop(struct cp_plane *cp)
{
	struct cp_tlsr *r = cp->tls;
	if (!r)
		return;
	cp->tls = NULL;	/* the close callbacks below find no routes to clear */
	for (size_t i = 0; i < CP_TLS_CONNS_MAX; i++)
		if (r->route[i].conn && !r->srv)
			cp_tls_close(r->route[i].conn);	/* a device's own connections */
	cp_tls_server_close(r->srv);
	free(r);
}

void cp__tls_status(struct cp_plane *cp, struct sp_status *st)
{
	struct cp_tlsr *r = cp->tls;
	if (!r)
		return;
	size_t n = 0;
	for (size_t i = 0; i < CP_TLS_CONNS_MAX; i++)
		n += r->route[i].conn != NULL;
	if (r->srv)
		sp_status_add(st, "tls-port", "%u", cp->tls_port);
	sp_status_add(st, "tls-routes", "%zu", n);
	sp_status_add(st, "tls-frames-in", "%llu", (unsigned long long)r->frames_in);
	sp_status_add(st, "tls-frames-out", "%llu", (unsigned long long)r->frames_out);
	sp_status_add(st, "tls-dropped", "%llu", (unsigned long long)r->dropped);
}

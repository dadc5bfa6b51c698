/*
 * cp_spray.c - the many-probes technique (loop code): a direct path between
 * a device behind an endpoint-dependent NAT (the HARD side: its NAT gives
 * each destination a public port of its own) and one behind an
 * endpoint-independent NAT that filters (the EASY side: port-restricted).
 *
 * Neither side can know the port the hard NAT will give the flow toward the
 * other, so both guess many times and count on a collision (the birthday
 * bound).  The hard side opens SPRAY_SOCKETS sockets and probes the easy
 * side's public endpoint from each: SPRAY_SOCKETS mappings on its NAT, each
 * letting the easy side's endpoint in.  The easy side probes SPRAY_PROBES
 * random ports of the hard side's public address from its own socket: each
 * probe opens its filter for that port.  When a probe lands on one of the
 * hard side's mappings, the hard side answers from that socket and both have
 * a direct path: the easy side the usual one (the PONG's source, cp_path.c),
 * the hard side a TUN_PATH_SOCKET on the winning socket, which from then on
 * carries the tunnel; the other sockets close.  With R = 64,512 ports (1024
 * to 65535, where Linux's NAT picks them), P(no hit) = (1 - S/R)^P: S = 256
 * and P = 1,000 leave 2% (the figure usually quoted), P = 2,048 leave 0.03%.
 *
 * Who is which: a device's NAT plane learns its mapping (nat_mapping()); a
 * dependent one adds its public address with port 0 to its candidates
 * (CP_EP_ANYPORT, cp_device.c).  A device that is not dependent itself and
 * sees a port-0 candidate sprays it; a dependent device whose peer has no
 * port-0 candidate opens the sockets.  Two dependent NATs cannot meet (no
 * direct path exists between them: the relay stays), two independent ones
 * need none of this.
 *
 * Both wait SPRAY_AFTER first: ordinary probing finds a public or full-cone
 * peer within a round trip (and the peer-reflexive candidate of a hard side
 * facing one), and then nothing of this runs.  The easy side waits
 * SPRAY_DELAY more, for the hard side's mappings to exist.
 *
 * Bounds: one hard-side spray searching at a time on a device (SPRAY_SOCKETS
 * file descriptors), for SPRAY_FOR; a winner keeps one descriptor for the
 * tunnel's life.  SPRAY_PROBES probes on the easy side, SPRAY_PER_TICK each
 * tick.  Only datagrams from the peer's address are
 * looked at on the spray sockets, and control messages are authenticated
 * (cp__open) like any.  The probes are padded to a PONG's size, since a
 * node answers no larger than it was asked.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cp_device.h"
#include "control/cp_wire.h"
#include "core/classify.h"
#include "core/log.h"
#include "nat/nat.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"

#define MS 1000000ull
#define SPRAY_SOCKETS 256	/* hard side: mappings made on its NAT */
#define SPRAY_PROBES 2048	/* easy side: random ports tried (see the bound above) */
#define SPRAY_PER_TICK 256	/* a tick is 250 ms (cp_path.c): about 1,000 probes a second */
#define SPRAY_AFTER (1000 * MS)	/* ordinary probes first: they need a round trip or two */
#define SPRAY_DELAY (250 * MS)	/* the easy side waits for the hard side's mappings to exist */
#define SPRAY_FOR (6000 * MS)	/* the hard side's sockets wait this long for a hit */
#define SPRAY_PORT_MIN 1024	/* Linux NAT keeps a port's class: ours are above 1023 */
#define SPRAY_PORTS (65536u - SPRAY_PORT_MIN)
#define SPRAY_RX 2048		/* a WireGuard datagram of the tunnel's MTU fits */
/* A probe's size: what a PONG (tx id and an endpoint) needs, so the answer is never larger. */
#define SPRAY_PAD (CP_MSG_MIN + 8 + CP_EP_WIRE)

struct cp_spray {
	struct cp_want *w;		/* NULL once the want let go: freed when the handles closed */
	uv_udp_t sock[SPRAY_SOCKETS];
	unsigned n;			/* sockets initialised */
	unsigned open;			/* handles not closed yet */
	int winner;			/* the socket a probe landed on, -1 before */
	union sp_endpoint peer;		/* the easy side's endpoint (the winner's answerer) */
	struct tun_path path;		/* the winner's TUN_PATH_SOCKET */
	uint64_t until;			/* ns: no hit by then, the spray ends */
	uint8_t rx[SPRAY_RX];
};

static unsigned searching;		/* hard-side sprays without a winner (one at a time) */

static bool same_ip(const union sp_endpoint *a, const struct sockaddr *b)
{
	if (a->sa.sa_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return memcmp(&a->in4.sin_addr, &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return b->sa_family == AF_INET6 &&
	       memcmp(&a->in6.sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* Seal m for the want's peer and send it from spray socket k to dst. */
static int sock_send(struct cp_spray *s, unsigned k, const union sp_endpoint *dst,
		     struct cp_msg *m, size_t min_len)
{
	uint8_t buf[CP_MSG_MAX];
	size_t n = 0;
	int rc = cp__seal(s->w->d->cp, s->w->ed, m, min_len, buf, &n);
	if (rc)
		return rc;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
	rc = uv_udp_try_send(&s->sock[k], &b, 1, &dst->sa);
	return rc < 0 ? rc : 0;
}

static void on_closed(uv_handle_t *h)
{
	struct cp_spray *s = h->data;
	if (--s->open == 0 && s->w == NULL) {
		sodium_memzero(s->rx, sizeof(s->rx));
		free(s);
	}
}

static void close_sock(struct cp_spray *s, unsigned k)
{
	if (!uv_is_closing((uv_handle_t *)&s->sock[k]))
		uv_close((uv_handle_t *)&s->sock[k], on_closed);
}

/* The tunnel's datagrams on the winning socket. */
static int path_send(void *arg, struct tun_path *path, const uint8_t *buf, size_t len)
{
	struct cp_spray *s = arg;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int rc = uv_udp_try_send(&s->sock[s->winner], &b, 1, &path->dst.sa);
	return rc < 0 ? rc : 0;
}

/* The tunnel moves to the winning socket (once the tunnel peer exists). */
static void attach(struct cp_spray *s, uint64_t now)
{
	struct cp_want *w = s->w;
	struct tun_peer *p = w->direct ? NULL : cp__want_peer(w);
	if (!p)
		return;
	const union sp_endpoint *src = &s->peer;
	unsigned k = (unsigned)s->winner;
	tun_peer_set_path(p, &s->path);
	w->direct_ep = *src;
	w->direct = true;
	w->last_pong = now;
	w->next_check = now + CP_DIRECT_CHECK;
	w->d->direct_found++;
	char ep[SP_ENDPOINT_STRLEN];
	sp_notice("control: direct path to %s at %s, %llu ms after the tunnel came up "
		  "(many probes: socket %u of %u)", w->fqdn, sp_endpoint_format(src, ep),
		  (unsigned long long)((now - w->up_ns) / MS), k + 1, s->n);
}

/* A probe landed on socket k from src: the other sockets close. */
static void won(struct cp_spray *s, unsigned k, const union sp_endpoint *src, uint64_t now)
{
	if (s->winner >= 0)
		return;
	s->winner = (int)k;
	searching--;
	s->peer = *src;
	for (unsigned i = 0; i < s->n; i++)
		if (i != k)
			close_sock(s, i);
	tun_path_init_socket(&s->path, src, path_send, s);
	attach(s, now);
}

/* A control message from the peer on socket k: PINGs are answered there, PONGs counted. */
static void control_in(struct cp_spray *s, unsigned k, const union sp_endpoint *src,
		       size_t len, uint64_t now)
{
	struct cp_want *w = s->w;
	struct cp_msg m;
	uint8_t sender[32];
	if (cp__open(w->d->cp, s->rx, len, now, sender, &m) != 0)
		return;	/* counted */
	if (sodium_memcmp(sender, w->ed, 32) != 0) {
		w->d->cp->st.rx_unexpected++;
	} else if (m.type == CP_PING) {
		struct cp_msg r = { .type = CP_PONG };
		r.u.pong.tx_id = m.u.ping.tx_id;
		r.u.pong.observed = *src;
		if (sock_send(s, k, src, &r, 0) == 0)
			won(s, k, src, now);
	} else if (m.type == CP_PONG) {
		if (m.u.pong.tx_id == w->probe_tx)
			won(s, k, src, now);
		if (s->winner == (int)k) {
			struct cp_in in = { sender, src, len, now, NULL };
			cp__path_pong(w->d, &in, &m);	/* last_pong, `signpost ping` */
		}
	} else {
		w->d->cp->st.rx_unexpected++;
	}
	cp_msg_wipe(&m);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)hint;
	struct cp_spray *s = h->data;
	*buf = uv_buf_init((char *)s->rx, sizeof(s->rx));
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
		    unsigned flags)
{
	(void)buf;
	struct cp_spray *s = h->data;
	if (nread <= 0 || !addr || (flags & UV_UDP_PARTIAL) || !s->w || !same_ip(&s->peer, addr))
		return;
	unsigned k = (unsigned)(h - s->sock);
	union sp_endpoint src;
	socklen_t sl = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in);
	if (sp_endpoint_from_sa(&src, addr, sl) != 0)
		return;
	uint64_t now = uv_hrtime();
	enum sp_class c = sp_classify(s->rx, (size_t)nread);
	if (c == (enum sp_class)SP_KIND_CONTROL) {
		control_in(s, k, &src, (size_t)nread, now);
	} else if (c == (enum sp_class)SP_KIND_WIREGUARD && s->winner == (int)k) {
		struct tun_peers *ps = tun_peers_get(s->w->d->cp->node);
		if (ps) {
			tun_path_input(ps->dev, &s->path, s->rx, (size_t)nread, tun_now());
			tun_path_input_flush(ps->dev);
		}
	}
}

/* Open the hard side's sockets and probe the easy side's endpoint from each. */
static void open_hard(struct cp_want *w, const union sp_endpoint *to, uint64_t now)
{
	if (searching > 0 || to->sa.sa_family != AF_INET)
		return;
	struct cp_spray *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->w = w;
	s->winner = -1;
	s->peer = *to;
	s->until = now + SPRAY_FOR;
	searching++;
	w->spray = s;
	struct sockaddr_in any = { .sin_family = AF_INET };
	unsigned probed = 0;
	for (; s->n < SPRAY_SOCKETS; s->n++) {
		uv_udp_t *u = &s->sock[s->n];
		if (uv_udp_init(w->d->cp->node->loop, u) != 0)
			break;
		u->data = s;
		s->open++;
		if (uv_udp_bind(u, (const struct sockaddr *)&any, 0) != 0 ||
		    uv_udp_recv_start(u, on_alloc, on_recv) != 0) {
			close_sock(s, s->n++);
			break;	/* out of descriptors: spray with what there is */
		}
		struct cp_msg m = { .type = CP_PING };
		m.u.ping.tx_id = w->probe_tx;
		probed += sock_send(s, s->n, to, &m, SPRAY_PAD) == 0;
	}
	char ep[SP_ENDPOINT_STRLEN];
	sp_info("control: many probes to %s: %u sockets probed %s", w->fqdn, probed,
		sp_endpoint_format(to, ep));
}

/* An address no peer can reach from outside its network (RFC 1918, RFC 6598). */
static bool private_v4(const union sp_endpoint *e)
{
	const uint8_t *a = (const uint8_t *)&e->in4.sin_addr;
	return e->sa.sa_family != AF_INET || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64);
}

void cp__spray_plan(struct cp_want *w, uint64_t now)
{
	/* A device whose UDP is blocked (it reaches its signpost over TLS) has nothing to spray with. */
	if (w->direct || w->spray || w->n_cand == 0 || w->d->via_tls)
		return;
	const union sp_endpoint *anyport = NULL;
	for (size_t k = 0; k < w->n_cand && !anyport; k++)
		if (sp_endpoint_port(&w->cand[k]) == 0)
			anyport = &w->cand[k];
	bool me_hard = nat_mapping(nat_get(w->d->cp->node)) == NAT_MAPPING_DEPENDENT;
	w->spray_hard = false;
	memset(&w->spray_to, 0, sizeof(w->spray_to));
	if (anyport && !me_hard) {
		/* The easy side: spray the hard side's address once its mappings exist. */
		w->spray_to = *anyport;
		w->spray_sent = 0;
		w->spray_at = now + SPRAY_AFTER + SPRAY_DELAY;
	} else if (me_hard && !anyport && !private_v4(&w->cand[0])) {
		w->spray_hard = true;
		w->spray_at = now + SPRAY_AFTER;
	}
}

void cp__spray_tick(struct cp_want *w, uint64_t now)
{
	struct cp_spray *s = w->spray;
	if (s && s->winner >= 0 && !w->direct)
		attach(s, now);	/* it landed before the tunnel peer was made */
	if (w->spray_hard && !w->direct && now >= w->spray_at) {
		/* The hard side: the first candidate is the address its signpost saw. */
		w->spray_hard = false;
		open_hard(w, &w->cand[0], now);
	}
	if (s && s->winner < 0 && now >= s->until) {
		sp_info("control: many probes to %s: no probe landed in %llu ms; the relay stays",
			w->fqdn, (unsigned long long)(SPRAY_FOR / MS));
		cp__spray_stop(w);
	}
	if (w->direct || w->spray_to.sa.sa_family == 0 || now < w->spray_at ||
	    w->spray_sent >= SPRAY_PROBES)
		return;
	/* The easy side's burst: random ports of the hard side's address. */
	struct cp_msg m = { .type = CP_PING };
	m.u.ping.tx_id = w->probe_tx;
	unsigned burst = SPRAY_PROBES - w->spray_sent < SPRAY_PER_TICK ? SPRAY_PROBES - w->spray_sent
									: SPRAY_PER_TICK;
	union sp_endpoint to = w->spray_to;
	for (unsigned i = 0; i < burst; i++) {
		sp_endpoint_set_port(&to, (uint16_t)(SPRAY_PORT_MIN + randombytes_uniform(SPRAY_PORTS)));
		if (cp__send(w->d->cp, w->ed, &to, &m, SPRAY_PAD, CP_NO_LIMIT) != 0)
			break;
	}
	w->spray_sent += burst;
	if (w->spray_sent >= SPRAY_PROBES) {
		char ep[SP_ENDPOINT_STRLEN];
		sp_info("control: many probes to %s: %u ports of %s tried", w->fqdn, w->spray_sent,
			sp_endpoint_format(&w->spray_to, ep));
	}
}

bool cp__spray_send(struct cp_want *w, struct cp_msg *m, size_t min_len)
{
	struct cp_spray *s = w->spray;
	if (!s || s->winner < 0)
		return false;
	if (sock_send(s, (unsigned)s->winner, &s->peer, m, min_len) != 0)
		sp_log_rl(SP_LOG_DEBUG, "control: a probe on the many-probes socket was not sent");
	return true;
}

void cp__spray_stop(struct cp_want *w)
{
	struct cp_spray *s = w->spray;
	memset(&w->spray_to, 0, sizeof(w->spray_to));
	if (!s)
		return;
	struct tun_peer *p = cp__want_peer(w);
	if (p && tun_peer_path(p) == &s->path)
		tun_peer_set_path(p, &w->relay);	/* never a path that is going away */
	w->spray = NULL;
	w->spray_hard = false;
	s->w = NULL;
	if (s->winner < 0)
		searching--;
	for (unsigned i = 0; i < s->n; i++)
		close_sock(s, i);
	if (s->open == 0)
		free(s);
}

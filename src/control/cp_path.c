/*
 * cp_path.c - the paths of a device's tunnel (loop code): the relay path it
 * starts on, paced probes of the peer's candidate endpoints, the direct path
 * once one answers, the fall-back to the relay when the direct path goes
 * silent, and `signpost ping NAME`.
 *
 * Probing is symmetric: the signpost sends CALL_ME_MAYBE to one side and
 * CONNECT_ACK to the other at the same moment, both then PING each other's
 * candidates every PROBE_EVERY for PROBE_FOR, so their first probes cross and
 * open both NATs' mappings (endpoint-independent ones: hole punching; hard
 * NATs come with the NAT plane).  The first PONG from a candidate makes that
 * address the direct path.  A direct path is checked every DIRECT_CHECK; after
 * DIRECT_SILENT without a PONG the data goes back to the relay, which was
 * kept, at once, and probing starts again.  A tunnel still relayed probes
 * again every control.reprobe: a blackhole that lifted, or a NAT that lets
 * the probes through now, gives the direct path back.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cp_device.h"
#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"

#define MS 1000000ull
#define PROBE_EVERY (250 * MS)	/* 20 probes a candidate in PROBE_FOR (the tick's period) */
#define PROBE_FOR (5000 * MS)	/* both sides start within a round trip of the signpost */
#define DIRECT_CHECK CP_DIRECT_CHECK	/* a direct path is re-probed this often ... */
#define DIRECT_SILENT (6000 * MS)	/* ... and given up after 3 probes unanswered */
#define PING_EVERY (1000 * MS)	/* `signpost ping`: like ping(8) */
#define PING_WAIT (10000 * MS)	/* for the tunnel to come up before the first ping */
#define PING_TIMEOUT (2000 * MS)	/* a pong later than this is counted lost */
#define PING_MAX_COUNT 1000

struct sp_interval cp_iv_reprobe = { "control.reprobe", 30000,
	"a relayed tunnel probes for a direct path again (a lifted blackhole, a changed NAT): "
	"20 small probes a candidate" };

/* A `signpost ping` request: its pings are PINGs with tx ids tx_base + seq. */
struct cp_pingreq {
	struct cp_pingreq *next;
	struct cp_device *d;
	struct sp_ctl_req *req;
	char fqdn[256];
	bool json;
	unsigned count, sent, got;
	uint64_t tx_base, started, next_at, sent_at[8];
	char last_path[SP_ENDPOINT_STRLEN + 272];	/* "relay NAME (ADDR:PORT)" */
	uv_timer_t timer;
	bool closing;
};

/* A probe to `to` on the node's socket, whatever the path. */
static void probe_send_to(struct cp_want *w, const union sp_endpoint *to)
{
	struct cp_msg m = { .type = CP_PING };
	m.u.ping.tx_id = w->probe_tx;
	/* Padded: the peer may not know us yet, and answers no larger than it got. */
	if (cp__send(w->d->cp, w->ed, to, &m, CP_PAD_MIN, CP_NO_LIMIT) != 0)
		sp_log_rl(SP_LOG_DEBUG, "control: a path probe was not sent");
}

/* A probe along the path: a hard side's direct path is its many-probes socket. */
static void probe_send(struct cp_want *w, const union sp_endpoint *to)
{
	struct cp_msg m = { .type = CP_PING };
	m.u.ping.tx_id = w->probe_tx;
	if (!w->direct || !cp__spray_send(w, &m, CP_PAD_MIN))
		probe_send_to(w, to);
}

void cp__path_probe(struct cp_want *w, uint64_t now)
{
	if (w->probe_tx == 0)
		randombytes_buf(&w->probe_tx, sizeof(w->probe_tx));
	if (w->direct)
		return;
	w->probe_until = now + PROBE_FOR;
	w->next_probe = now;
	cp__spray_plan(w, now);
}

void cp__path_start(struct cp_want *w, uint64_t now)
{
	if (now >= w->probe_until)	/* not begun at the CONNECT_ACK already */
		cp__path_probe(w, now);
	cp__path_tick(w->d, now);	/* the first round now, not a tick later */
}

/* The direct path's peer is at another address now (its network changed): no relay between. */
static void moved(struct cp_want *w, const union sp_endpoint *to, const char *why)
{
	char a[SP_ENDPOINT_STRLEN], b[SP_ENDPOINT_STRLEN];
	sp_notice("control: direct path to %s moved from %s to %s (%s)", w->fqdn,
		  sp_endpoint_format(&w->direct_ep, a), sp_endpoint_format(to, b), why);
	w->direct_ep = *to;
}

static void go_relay(struct cp_want *w, struct tun_peer *p, uint64_t now)
{
	cp__spray_stop(w);
	tun_peer_set_path(p, &w->relay);
	w->direct = false;
	w->d->direct_lost++;
	char ep[SP_ENDPOINT_STRLEN];
	sp_notice("control: direct path to %s at %s silent for %llu ms: back to the relay", w->fqdn,
		  sp_endpoint_format(&w->direct_ep, ep),
		  (unsigned long long)((now - w->last_pong) / MS));
	cp__path_probe(w, now);
}

void cp__path_tick(struct cp_device *d, uint64_t now)
{
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &d->want[i];
		/* Probes start when the candidates are known, before the key check ends. */
		if (w->state != W_UP && w->state != W_CHECK_KEY)
			continue;
		cp__spray_tick(w, now);
		if (w->direct) {
			if (now < w->next_check)
				continue;
			struct tun_peer *p = cp__want_peer(w);
			if (p && now - w->last_pong > DIRECT_SILENT) {
				go_relay(w, p, now);
				continue;
			}
			if (p && !w->spray && p->direct.dst.sa.sa_family &&
			    !sp_endpoint_equal(&p->direct.dst, &w->direct_ep))
				moved(w, &p->direct.dst, "the tunnel roamed there");
			w->next_check = now + DIRECT_CHECK;
			probe_send(w, &w->direct_ep);
			continue;
		}
		if (now >= w->probe_until && w->state == W_UP &&
		    now - w->probe_until >= cp_iv_reprobe.ms * MS) {
			/* Relayed since the last round: another round (no many probes: cp_spray.c). */
			w->probe_until = now + PROBE_FOR;
			w->next_probe = now;
		}
		if (now >= w->probe_until || now < w->next_probe)
			continue;
		w->next_probe = now + PROBE_EVERY;
		for (size_t k = 0; k < w->n_cand; k++)
			if (sp_endpoint_port(&w->cand[k]) != 0)	/* port 0: cp_spray.c's */
				probe_send(w, &w->cand[k]);
	}
}

/*
 * A PING straight from the peer of a relayed tunnel: its NAT opened a mapping
 * toward us, at in->src (ICE's peer-reflexive candidate; a symmetric NAT's
 * only usable one).  Probe it back; its PONG makes the path direct.
 */
void cp__path_pinged(struct cp_device *d, const struct cp_in *in)
{
	/*
	 * Also while its key is checked: the peer's first probes come then, and
	 * if it goes direct on our PONG it stops probing, so its mapping would
	 * be learnt only from its next direct-path check, seconds later.
	 */
	struct cp_want *w = cp__want_by_key(d, in->sender);
	if (!w || (w->state != W_UP && w->state != W_CHECK_KEY) || w->spray)
		return;
	if (w->direct) {
		/* From another address while direct: the peer's network changed.  Its PONG moves the path. */
		if (!sp_endpoint_equal(&w->direct_ep, in->src))
			probe_send_to(w, in->src);
		return;
	}
	bool known = false;
	for (size_t k = 0; k < w->n_cand; k++)
		known |= sp_endpoint_equal(&w->cand[k], in->src);
	if (!known) {
		if (w->n_cand == CP_EP_MAX)
			w->n_cand--;	/* the last one makes room: it came last */
		w->cand[w->n_cand++] = *in->src;
	}
	probe_send(w, in->src);
}

static void ping_pong(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m);

void cp__path_pong(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m)
{
	struct cp_want *w = cp__want_by_key(d, in->sender);
	if (!w || w->state != W_UP)
		return;
	if (m->u.pong.tx_id != w->probe_tx || in->relay) {
		ping_pong(d, in, m);
		return;
	}
	w->last_pong = in->now;
	struct tun_peer *p = cp__want_peer(w);
	if (w->direct) {
		if (p && !w->spray && !sp_endpoint_equal(&w->direct_ep, in->src)) {
			tun_peer_set_direct(p, in->src, NULL);
			moved(w, in->src, "it answered there");
		}
		return;
	}
	if (!p)
		return;
	/* The peer answered at this address: its data goes there; the relay stays in reserve. */
	w->direct_ep = *in->src;
	tun_peer_set_direct(p, in->src, NULL);
	tun_peer_set_path(p, NULL);
	w->direct = true;
	/*
	 * The first check soon: the peer may have answered our probe before it
	 * knew the tunnel (it stops nothing, but learns our mapping only from a
	 * probe of ours that arrives once it does).
	 */
	w->next_check = in->now + PROBE_EVERY;
	d->direct_found++;
	char ep[SP_ENDPOINT_STRLEN];
	sp_notice("control: direct path to %s at %s, %llu ms after the tunnel came up", w->fqdn,
		  sp_endpoint_format(in->src, ep), (unsigned long long)((in->now - w->up_ns) / MS));
}

/*
 * A RELAY for this want: a WireGuard datagram goes to the tunnel on the
 * want's relay path; a control message inside (a PING or PONG along the
 * relayed path) must be sealed by the peer the signpost names.
 */
void cp__path_relayed(struct cp_device *d, struct cp_want *w, const struct cp_in *in,
		      uint8_t *payload, size_t len)
{
	if (len >= CP_MAGIC_LEN && memcmp(payload, CP_MAGIC, CP_MAGIC_LEN) == 0) {
		uint8_t sender[32];
		struct cp_msg im;
		if (cp__open(d->cp, payload, len, in->now, sender, &im) != 0)
			return;
		struct cp_in inner = { sender, in->src, len, in->now, in->sender };
		if (memcmp(sender, w->ed, 32) != 0)
			d->cp->st.rx_unexpected++;
		else if (im.type == CP_PING)
			cp__answer_ping(d->cp, &inner, &im);
		else if (im.type == CP_PONG)
			cp__path_pong(d, &inner, &im);
		cp_msg_wipe(&im);
		return;
	}
	struct tun_peers *ps = tun_peers_get(d->cp->node);
	if (!ps)
		return;
	d->relayed_in++;
	d->cp->rx_relayed = true;	/* into the TUN device at cp__flush() */
	tun_path_input(ps->dev, &w->relay, payload, len, tun_now());
}

/* ---- signpost ping NAME [-c N] ---- */

static void ping_finish(struct cp_pingreq *pr, int status);

static void path_text(const struct cp_want *w, bool relayed, char *out, size_t cap)
{
	char ep[SP_ENDPOINT_STRLEN];
	if (relayed)
		snprintf(out, cap, "relay %s (%s)", w->z->target[0] ? w->z->target : w->z->zone,
			 sp_endpoint_format(&w->z->ep, ep));
	else
		snprintf(out, cap, "%s", sp_endpoint_format(&w->direct_ep, ep));
}

static void ping_pong(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m)
{
	for (struct cp_pingreq *pr = d->pings; pr; pr = pr->next) {
		uint64_t seq = m->u.pong.tx_id - pr->tx_base;
		struct cp_want *w = cp__want_by_name(d, pr->fqdn);
		if (pr->closing || seq >= pr->sent || !w || memcmp(w->ed, in->sender, 32) != 0)
			continue;
		uint64_t sent = pr->sent_at[seq % 8];
		if (sent == 0 || in->now - sent > PING_TIMEOUT)
			return;	/* late, or answered already */
		pr->sent_at[seq % 8] = 0;
		pr->got++;
		char path[sizeof(pr->last_path)], a[INET6_ADDRSTRLEN];
		path_text(w, in->relay != NULL, path, sizeof(path));
		inet_ntop(AF_INET6, w->addr, a, sizeof(a));
		double ms = (double)(in->now - sent) / 1e6;
		int rc = 0;
		if (pr->last_path[0] && strcmp(pr->last_path, path) != 0)
			rc = pr->json ? sp_ctl_req_printf(pr->req, "{\"path_changed\":\"%s\"}\n", path)
				      : sp_ctl_req_printf(pr->req, "path changed: now via %s\n", path);
		snprintf(pr->last_path, sizeof(pr->last_path), "%s", path);
		if (rc == 0)
			rc = pr->json ? sp_ctl_req_printf(pr->req,
				"{\"from\":\"%s\",\"addr\":\"%s\",\"via\":\"%s\",\"relayed\":%s,"
				"\"seq\":%llu,\"ms\":%.3f}\n", w->fqdn, a, path,
				in->relay ? "true" : "false", (unsigned long long)seq, ms)
				      : sp_ctl_req_printf(pr->req, "pong from %s (%s) via %s in %.2f ms\n",
					  w->fqdn, a, path, ms);
		if (rc)
			ping_finish(pr, rc);
		return;
	}
}

static void ping_send(struct cp_pingreq *pr, struct cp_want *w, uint64_t now)
{
	struct cp_msg m = { .type = CP_PING };
	m.u.ping.tx_id = pr->tx_base + pr->sent;
	pr->sent_at[pr->sent % 8] = now;
	pr->sent++;
	struct cp_plane *cp = pr->d->cp;
	int rc = 0;
	if (!w->direct)
		rc = cp__send_via(cp, w->ed, w->z->ed, &w->z->ep, &m, CP_PAD_MIN);
	else if (!cp__spray_send(w, &m, CP_PAD_MIN))
		rc = cp__send(cp, w->ed, &w->direct_ep, &m, CP_PAD_MIN, CP_NO_LIMIT);
	if (rc)
		sp_log_rl(SP_LOG_INFO, "control: ping to %s not sent: %s", w->fqdn, sp_strerror(rc));
}

static void on_ping_timer(uv_timer_t *t)
{
	struct cp_pingreq *pr = t->data;
	uint64_t now = uv_hrtime();
	struct cp_want *w = cp__want_by_name(pr->d, pr->fqdn);
	/* The previous ping, unanswered in time, is lost. */
	if (pr->sent && pr->sent_at[(pr->sent - 1) % 8] &&
	    now - pr->sent_at[(pr->sent - 1) % 8] >= PING_TIMEOUT) {
		pr->sent_at[(pr->sent - 1) % 8] = 0;
		if (sp_ctl_req_printf(pr->req, pr->json ? "{\"lost\":%u}\n" : "no pong (seq %u)\n",
				      pr->sent - 1) != 0)
			return ping_finish(pr, -EPIPE);
	}
	if (pr->sent >= pr->count) {
		if (pr->sent == 0 || pr->sent_at[(pr->sent - 1) % 8] == 0)
			return ping_finish(pr, pr->got ? 0 : -ETIMEDOUT);
		return;	/* the last one may still answer */
	}
	if (!w || w->state == W_FAILED) {
		if (sp_ctl_req_printf(pr->req, "no tunnel to %s: %s\n", pr->fqdn,
				      w && w->why ? w->why : "not a name of my zone or a friend's") != 0)
			return ping_finish(pr, -EPIPE);
		return ping_finish(pr, SP_ENOTFOUND);
	}
	if (w->state != W_UP) {
		if (now - pr->started > PING_WAIT) {
			if (sp_ctl_req_printf(pr->req, "no tunnel to %s after %llu s (%s)\n", pr->fqdn,
					      (unsigned long long)(PING_WAIT / 1000 / MS),
					      cp__want_state_name(w)) != 0)
				return ping_finish(pr, -EPIPE);
			return ping_finish(pr, -ETIMEDOUT);
		}
		return;	/* the tunnel is being made */
	}
	if (now >= pr->next_at) {
		pr->next_at = now + PING_EVERY;
		ping_send(pr, w, now);
	}
}

static void on_ping_closed(uv_handle_t *h)
{
	free(h->data);
}

static void ping_unlink(struct cp_pingreq *pr)
{
	for (struct cp_pingreq **pp = &pr->d->pings; *pp; pp = &(*pp)->next)
		if (*pp == pr) {
			*pp = pr->next;
			break;
		}
	pr->closing = true;
	uv_close((uv_handle_t *)&pr->timer, on_ping_closed);
}

static void ping_finish(struct cp_pingreq *pr, int status)
{
	if (pr->closing)
		return;
	struct sp_ctl_req *req = pr->req;
	if (sp_ctl_req_printf(req, pr->json ? "{\"sent\":%u,\"received\":%u}\n" :
					      "%u pings, %u pongs\n", pr->sent, pr->got) != 0)
		status = status ? status : -EPIPE;
	ping_unlink(pr);
	sp_ctl_req_finish(req, status);
}

static void on_ping_cancel(struct sp_ctl_req *req, void *arg)
{
	(void)req;
	ping_unlink(arg);
}

static int cmd_ping(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	struct cp_device *d = arg;
	char *end = NULL;
	long count = argc >= 3 ? strtol(argv[2], &end, 10) : 0;
	bool json = argc == 4 && strcmp(argv[3], "json") == 0;
	if (argc < 3 || argc > 4 || (argc == 4 && !json) || !end || *end || count < 1 ||
	    count > PING_MAX_COUNT) {
		sp_buf_printf(out, "usage: ping NAME COUNT [json] (COUNT 1..%d)\n", PING_MAX_COUNT);
		return -EINVAL;
	}
	struct cp_pingreq *pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	/* A bare label is a device of my own zone. */
	const char *name = argv[1];
	size_t n = strlen(name);
	if (strchr(name, '.') == NULL)
		cp__fqdn(pr->fqdn, sizeof(pr->fqdn), name, d->cp->zone);
	else
		snprintf(pr->fqdn, sizeof(pr->fqdn), "%s%s", name, name[n - 1] == '.' ? "" : ".");
	for (char *c = pr->fqdn; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	uint64_t now = uv_hrtime();
	struct cp_want *w = cp__want_by_name(d, pr->fqdn);
	if (!w || w->state == W_FAILED)
		w = cp__want_for_name(d, pr->fqdn, now);
	if (!w) {
		sp_buf_printf(out, "ping: %s is not a device of my zone or a friend's\n", pr->fqdn);
		free(pr);
		return SP_ENOTFOUND;
	}
	pr->d = d;
	pr->req = req;
	pr->json = json;
	pr->count = (unsigned)count;
	pr->started = now;
	randombytes_buf(&pr->tx_base, sizeof(pr->tx_base));
	pr->tx_base &= ~0xffffull;	/* seq fits below */
	uv_timer_init(d->cp->node->loop, &pr->timer);
	pr->timer.data = pr;
	pr->next = d->pings;
	d->pings = pr;
	sp_ctl_req_on_cancel(req, on_ping_cancel, pr);
	if (uv_timer_start(&pr->timer, on_ping_timer, 0, 100) != 0) {
		ping_unlink(pr);
		sp_buf_printf(out, "ping: no timer\n");
		return SP_EUV;
	}
	return SP_CTL_LATER;
}

int cp__ping_register(struct cp_device *d)
{
	return sp_ctl_register(d->cp->node, "ping", cmd_ping, d);
}

void cp__ping_stop(struct cp_device *d)
{
	while (d->pings)
		ping_finish(d->pings, -ESHUTDOWN);
}

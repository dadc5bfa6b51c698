/*
 * cp_device.c - the device role of the control plane (loop code).
 *
 * Registration: REGISTER to the own signpost at start, every
 * control.register (it also holds the NAT mapping open), and at once when a
 * local address changes; the first one proves the enrollment token.
 *
 * Connections: a name the stub answered (SP_EV_NAME_ANSWERED) or a packet
 * to an overlay address with no peer (SP_EV_NO_PEER) starts a *want*, one
 * explicit state machine per remote device:
 *
 *   FIND_SIGNPOST  the zone's signpost: own (configured) or a friend's
 *                  (_signpost._udp SRV, its address and KEY, all validated)
 *   CONNECT        CONNECT sent to that signpost, repeated each
 *                  control.retry up to CONNECT_TRIES
 *   CHECK_KEY      accepted: the key it named is checked against the
 *                  device's validated KEY record
 *   UP             a tunnel peer (owner control) keyed with it, its data on
 *                  the relay path through that signpost, PINGs to each
 *                  candidate; a PONG moves the data to the direct path.
 *                  The CONNECT is repeated each control.register so the
 *                  signpost keeps relaying (and learns a changed address)
 *   FAILED         refused or unreachable: logged, tried again on the next
 *                  trigger after RETRY_AFTER
 *
 * A CALL_ME_MAYBE from the own signpost makes a want that is UP at once
 * (the signpost checked policy and the caller's key).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <ldns/ldns.h>
#include <net/if.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/cp_device.h"
#include "core/keys.h"
#include "core/log.h"
#include "core/status.h"
#include "core/timer.h"
#include "dns/hostkey.h"
#include "dns/resolver.h"
#include "nat/nat.h"
#include "tunnel/device.h"
#include "tunnel/overlay.h"
#include "tunnel/path.h"
#include "tunnel/peers.h"

struct sp_interval cp_iv_register = { "control.register", 25000,
	"a device re-registers: holds NAT mappings open (UDP timeouts are 30 s and more)" };
struct sp_interval cp_iv_retry = { "control.retry", 1000,
	"a CONNECT without answer is sent again" };
struct sp_interval cp_iv_addr_check = { "control.addr-check", 2000,
	"local addresses are compared, a change re-registers at once" };

static const char *const want_names[] = { "free", "finding-signpost", "connecting",
					  "checking-key", "up", "failed" };

const char *cp__want_state_name(const struct cp_want *w)
{
	return want_names[w->state];
}

/* ---- helpers ---- */

static struct tun_peers *peers(struct cp_device *d)
{
	return tun_peers_get(d->cp->node);
}

struct tun_peer *cp__want_peer(struct cp_want *w)
{
	struct tun_peers *ps = peers(w->d);
	struct tun_peer *p = NULL;
	struct tun_peer_spec spec = { .flags = TUN_PEER_UPDATE_ONLY };
	if (!ps || !w->peer || cp__ed_to_x(w->ed, spec.public_key) != 0 ||
	    tun_peers_set(ps, SP_OWNER_CONTROL, &spec, &p) != 0)
		return NULL;
	return p;
}

static void want_drop_peer(struct cp_want *w)
{
	cp__spray_stop(w);	/* its sockets close whether the tunnel came up or not */
	struct tun_peers *ps = peers(w->d);
	uint8_t x[32];
	if (!w->peer || !ps || cp__ed_to_x(w->ed, x) != 0)
		return;
	struct tun_peer *p = cp__want_peer(w);
	if (p)
		tun_peer_set_path(p, NULL);
	if (tun_peers_remove(ps, SP_OWNER_CONTROL, x) != 0)
		sp_info("control: peer %s was gone already", w->fqdn);
	w->peer = false;
}

static void want_free(struct cp_want *w)
{
	want_drop_peer(w);
	memset(w, 0, sizeof(*w));
}

static void want_fail(struct cp_want *w, const char *why, uint64_t now)
{
	if (w->state != W_FAILED)
		sp_notice("control: no tunnel to %s: %s", w->fqdn[0] ? w->fqdn : "(by address)", why);
	want_drop_peer(w);
	w->state = W_FAILED;
	w->why = why;
	w->failed_ns = now;
}

static struct cp_want *want_slot(struct cp_device *d)
{
	struct cp_want *old = NULL;
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		if (d->want[i].state == W_FREE)
			return &d->want[i];
		if (d->want[i].state == W_FAILED &&
		    (!old || d->want[i].failed_ns < old->failed_ns))
			old = &d->want[i];
	}
	if (old)
		want_free(old);
	return old;
}

struct cp_want *cp__want_by_key(struct cp_device *d, const uint8_t ed[32])
{
	for (size_t i = 0; i < CP_WANTS_MAX; i++)
		if (d->want[i].state >= W_CHECK_KEY && d->want[i].state != W_FAILED &&
		    memcmp(d->want[i].ed, ed, 32) == 0)
			return &d->want[i];
	return NULL;
}

struct cp_want *cp__want_by_name(struct cp_device *d, const char *fqdn)
{
	for (size_t i = 0; i < CP_WANTS_MAX; i++)
		if (d->want[i].state != W_FREE && strcasecmp(d->want[i].fqdn, fqdn) == 0)
			return &d->want[i];
	return NULL;
}

static struct cp_zsp *zone_of_fqdn(struct cp_device *d, const char *fqdn)
{
	char label[64], zone[256];
	if (!cp__split(fqdn, label, zone))
		return NULL;
	for (size_t i = 0; i < CP_ZONES_MAX; i++)
		if (d->zones[i].state != Z_FREE && strcasecmp(d->zones[i].zone, zone) == 0)
			return &d->zones[i];
	return NULL;
}

static struct cp_zsp *zone_of_addr(struct cp_device *d, const uint8_t addr[16])
{
	for (size_t i = 0; i < CP_ZONES_MAX; i++)
		if (d->zones[i].state != Z_FREE && memcmp(d->zones[i].prefix, addr, 6) == 0)
			return &d->zones[i];
	return NULL;
}

static struct cp_zsp *zone_by_key(struct cp_device *d, const uint8_t ed[32])
{
	for (size_t i = 0; i < CP_ZONES_MAX; i++)
		if (d->zones[i].state == Z_READY && memcmp(d->zones[i].ed, ed, 32) == 0)
			return &d->zones[i];
	return NULL;
}

/* ---- registration ---- */

/*
 * The candidates this device gives: the NAT plane's first (a port mapping,
 * the address STUN saw), then the host's addresses (not loopback, not
 * link-local, not overlay) with our port.
 */
static uint8_t local_endpoints(struct cp_device *d, union sp_endpoint out[CP_EP_MAX])
{
	struct ifaddrs *ifa = NULL, *i;
	struct nat *nat = nat_get(d->cp->node);
	uint8_t n = nat ? (uint8_t)nat_candidates(nat, out, CP_EP_MAX / 2) : 0;
	uint16_t port = sp_transport_port(d->cp->transport);
	/* An endpoint-dependent NAT: its public address, port 0, asks peers to spray it. */
	for (uint8_t k = 0; k < n && nat_mapping(nat) == NAT_MAPPING_DEPENDENT; k++)
		if (out[k].sa.sa_family == AF_INET) {
			out[n] = out[k];
			sp_endpoint_set_port(&out[n++], 0);
			break;
		}
	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i && n < CP_EP_MAX - 1; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
			continue;
		union sp_endpoint e;
		socklen_t sl = i->ifa_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							    sizeof(struct sockaddr_in);
		if (sp_endpoint_from_sa(&e, i->ifa_addr, sl) != 0)
			continue;
		if (e.sa.sa_family == AF_INET6 &&
		    (IN6_IS_ADDR_LINKLOCAL(&e.in6.sin6_addr) || e.in6.sin6_addr.s6_addr[0] == 0xfd))
			continue;
		sp_endpoint_set_port(&e, port);
		out[n++] = e;
	}
	freeifaddrs(ifa);
	return n;
}

/*
 * REGISTERs unanswered over UDP before the device tries TLS (the network
 * blocks UDP, or a firewall drops it): 3 at control.retry apart at start.
 */
#define REG_TRIES_UDP 3

static void send_register(struct cp_device *d)
{
	struct cp_zsp *z = &d->zones[0];
	d->reg_unanswered++;
	d->last_reg = uv_hrtime();
	struct cp_msg m = { .type = CP_REGISTER };
	struct cp_register *r = &m.u.reg;
	snprintf(r->name, sizeof(r->name), "%s", d->cp->name);
	if (d->has_token && !d->token_refused) {
		r->has_token = true;
		memcpy(r->token_id, d->token.id, 16);
		memcpy(r->token_secret, d->token.secret, 32);
	}
	r->n_ep = d->n_local;
	memcpy(r->ep, d->local, sizeof(r->ep));
	if (cp__send(d->cp, z->ed, &z->ep, &m, CP_PAD_MIN, CP_NO_LIMIT) != 0)
		sp_log_rl(SP_LOG_INFO, "control: register not sent to the signpost");
	sodium_memzero(r->token_secret, sizeof(r->token_secret));
}

static void on_register_ack(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m)
{
	const struct cp_register_ack *a = &m->u.reg_ack;
	d->reg_unanswered = 0;
	char obs[SP_ENDPOINT_STRLEN];
	sp_endpoint_format(&a->observed, obs);
	if (a->status != CP_OK) {
		/* A refused token stays the reason shown (later registers carry none). */
		if (d->token_refused && a->status == CP_E_UNKNOWN_DEVICE)
			return;
		if (a->status != d->last_status)
			sp_err("control: the signpost refused registration%s: %s",
			       d->has_token ? " (enrollment)" : "", cp_status_str(a->status));
		d->last_status = a->status;
		if (d->has_token && a->status >= CP_E_TOKEN_REUSED &&
		    a->status <= CP_E_TOKEN_FORGED)
			d->token_refused = true;
		return;
	}
	if (d->has_token) {
		/* Enrolled: the token is spent, its secret goes. */
		sp_notice("control: enrolled as %s.%s (token spent)", d->cp->name, d->cp->zone);
		cp_token_wipe(&d->token);
		d->has_token = false;
		d->enrolled_now = true;
		if (unlink(d->token_path) != 0)
			sp_warn("control: cannot remove %s", d->token_path);
	}
	if (d->last_status != CP_OK || d->last_ack_wall == 0 ||
	    !sp_endpoint_equal(&d->observed, &a->observed))
		sp_info("control: registered with the signpost, seen as %s", obs);
	d->last_status = CP_OK;
	d->observed = a->observed;
	d->last_ack_wall = (int64_t)time(NULL);
	(void)in;
}

/* ---- the zone's signpost, for friend zones ---- */

static void connect_send(struct cp_want *w, uint64_t now);
static void zone_ready(struct cp_zsp *z, bool ok, uint64_t now)
{
	z->state = ok ? Z_READY : Z_FAILED;
	if (!ok)
		z->failed_ns = now;
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &z->d->want[i];
		if (w->z != z || w->state != W_FIND_SIGNPOST)
			continue;
		if (ok) {
			w->state = W_CONNECT;
			w->tries = 0;
			connect_send(w, now);
		} else {
			want_fail(w, "its zone's signpost cannot be found (_signpost._udp SRV)", now);
		}
	}
}

static void zsp_key_done(void *arg, int status, const ldns_rr_list *rrset)
{
	struct cp_zsp *z = arg;
	bool ok = false;
	for (size_t i = 0; status == 0 && i < ldns_rr_list_rr_count(rrset) && !ok; i++)
		ok = dns_hostkey_parse(ldns_rr_list_rr(rrset, i), z->ed) == 0;
	if (!ok)
		sp_notice("control: %s: no validated KEY of its signpost %s: %s", z->zone, z->target,
			  status ? sp_strerror(status) : "none");
	else
		sp_info("control: %s: signpost %s found, validated", z->zone, z->target);
	zone_ready(z, ok, uv_hrtime());
}

static void zsp_addr_done(void *arg, int status, const ldns_rr_list *rrset);

static int zsp_lookup(struct cp_zsp *z, const char *name, uint16_t type, dns_resolver_cb cb)
{
	struct dns_resolver *r = dns_resolver_get(z->d->cp->node);
	return r ? dns_resolver_lookup(r, name, type, cb, z) : SP_ESTATE;
}

static void zsp_addr6_done(void *arg, int status, const ldns_rr_list *rrset)
{
	zsp_addr_done(arg, status == 0 ? 0 : -ENOENT, rrset);
}

static void zsp_addr_done(void *arg, int status, const ldns_rr_list *rrset)
{
	struct cp_zsp *z = arg;
	if (status == SP_ENOTFOUND) {
		/* No A: try AAAA (the second pass ends with -ENOENT when there is none either). */
		if (zsp_lookup(z, z->target, LDNS_RR_TYPE_AAAA, zsp_addr6_done) != 0)
			zone_ready(z, false, uv_hrtime());
		return;
	}
	ldns_rr *rr = status == 0 && ldns_rr_list_rr_count(rrset) ? ldns_rr_list_rr(rrset, 0) : NULL;
	ldns_rdf *a = rr ? ldns_rr_rdf(rr, 0) : NULL;
	memset(&z->ep, 0, sizeof(z->ep));
	if (a && ldns_rdf_get_type(a) == LDNS_RDF_TYPE_A && ldns_rdf_size(a) == 4) {
		z->ep.in4.sin_family = AF_INET;
		memcpy(&z->ep.in4.sin_addr, ldns_rdf_data(a), 4);
	} else if (a && ldns_rdf_get_type(a) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(a) == 16) {
		z->ep.in6.sin6_family = AF_INET6;
		memcpy(&z->ep.in6.sin6_addr, ldns_rdf_data(a), 16);
	}
	if (z->ep.sa.sa_family == 0) {
		sp_notice("control: %s: no address of its signpost %s", z->zone, z->target);
		zone_ready(z, false, uv_hrtime());
		return;
	}
	sp_endpoint_set_port(&z->ep, z->port);
	if (zsp_lookup(z, z->target, LDNS_RR_TYPE_KEY, zsp_key_done) != 0)
		zone_ready(z, false, uv_hrtime());
}

static void zsp_srv_done(void *arg, int status, const ldns_rr_list *rrset)
{
	struct cp_zsp *z = arg;
	ldns_rr *rr = status == 0 && ldns_rr_list_rr_count(rrset) ? ldns_rr_list_rr(rrset, 0) : NULL;
	char *target = rr && ldns_rr_rd_count(rr) == 4 ? ldns_rdf2str(ldns_rr_rdf(rr, 3)) : NULL;
	if (!target || strlen(target) >= sizeof(z->target)) {
		free(target);
		sp_notice("control: %s: no validated _signpost._udp SRV: %s", z->zone,
			  status ? sp_strerror(status) : "empty");
		zone_ready(z, false, uv_hrtime());
		return;
	}
	snprintf(z->target, sizeof(z->target), "%s", target);
	free(target);
	z->port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
	if (zsp_lookup(z, z->target, LDNS_RR_TYPE_A, zsp_addr_done) != 0)
		zone_ready(z, false, uv_hrtime());
}

static void zsp_find(struct cp_zsp *z, uint64_t now)
{
	char srv[300];
	snprintf(srv, sizeof(srv), "_signpost._udp.%s", z->zone);
	z->state = Z_FINDING;
	if (zsp_lookup(z, srv, LDNS_RR_TYPE_SRV, zsp_srv_done) != 0)
		zone_ready(z, false, now);
}

/* ---- wants ---- */

static int relay_send(void *arg, struct tun_path *path, const uint8_t *buf, size_t len)
{
	(void)path;
	struct cp_want *w = arg;
	if (len > CP_RELAY_MAX || !w->z)
		return -EMSGSIZE;
	int rc = cp__send_rdata(w->d->cp, w->z->ed, &w->z->ep, w->ed, buf, len);
	if (rc == 0)
		w->d->relayed_out++;
	return rc;
}

static void relay_flush(void *arg, struct tun_path *path)
{
	(void)path;
	struct cp_want *w = arg;
	cp__flush(w->d->cp);
}

/* Key the tunnel peer with the validated key; its data starts on the relay path. */
static void want_up(struct cp_want *w, uint64_t now)
{
	struct tun_peers *ps = peers(w->d);
	if (!ps) {
		want_fail(w, "the tunnel is off on this device", now);
		return;
	}
	/*
	 * In two steps: the peer and its relay path first, then its address,
	 * whose packets waiting for a peer (nopeer.c) go out at once, and must
	 * find a path to send the handshake on.
	 */
	struct tun_peer_spec spec = {
		.flags = TUN_PEER_SET_KEEPALIVE,
		.keepalive = PEER_KEEPALIVE,
	};
	struct tun_peer *p = NULL;
	int rc = cp__ed_to_x(w->ed, spec.public_key);
	if (rc == 0)
		rc = tun_peers_set(ps, SP_OWNER_CONTROL, &spec, &p);
	if (rc || !p) {
		want_fail(w, rc == -EBUSY ? "a peer with its key is configured by hand" :
					    "the tunnel refused the peer", now);
		return;
	}
	bool was_up = w->state == W_UP;
	w->peer = true;
	w->state = W_UP;
	if (!was_up)
		w->up_ns = now;
	if (!w->direct) {
		tun_path_init_relay(&w->relay, &w->z->ep, relay_send, relay_flush, w);
		/* The peer's host route gets an MTU with room for the RELAY around each datagram. */
		w->relay.overhead = CP_RELAY_OVERHEAD;
		tun_peer_set_path(p, &w->relay);
	}
	cp__path_start(w, now);
	struct tun_peer_aip aip = { .family = AF_INET6, .cidr = 128 };
	memcpy(aip.addr, w->addr, 16);
	spec.flags = TUN_PEER_REPLACE_AIPS | TUN_PEER_UPDATE_ONLY;
	spec.aips = &aip;
	spec.n_aips = 1;
	if (tun_peers_set(ps, SP_OWNER_CONTROL, &spec, &p) != 0) {
		want_fail(w, "the tunnel refused its overlay address", now);
		return;
	}
	if (!was_up) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, w->addr, a, sizeof(a));
		sp_notice("control: tunnel to %s (%s) %s, relayed by the signpost of %s until a "
			  "direct path answers", w->fqdn, a, w->incoming ? "offered" : "ready",
			  w->z->zone);
	}
}

static void key_checked(void *arg, int status, const ldns_rr_list *rrset)
{
	struct cp_want *w = arg;
	uint64_t now = uv_hrtime();
	if (w->state != W_CHECK_KEY)
		return;
	if (status == 0 && cp__rrset_has_key(rrset, w->ed)) {
		for (size_t i = 0; i < CP_WANTS_MAX; i++) {
			struct cp_want *o = &w->d->want[i];
			if (o != w && o->state == W_UP && memcmp(o->ed, w->ed, 32) == 0) {
				want_free(w);	/* its CALL_ME_MAYBE made the tunnel meanwhile */
				return;
			}
		}
		want_up(w, now);
		return;
	}
	want_fail(w, status ? "its KEY record does not validate" :
			      "the signpost named a key that is not its validated KEY record", now);
}

static void connect_send(struct cp_want *w, uint64_t now)
{
	struct cp_device *d = w->d;
	struct cp_msg m = { .type = CP_CONNECT };
	struct cp_connect *c = &m.u.connect;
	if (w->tries == 0 && w->state != W_UP)
		randombytes_buf(&w->req_id, sizeof(w->req_id));
	c->req_id = w->req_id;
	char label[64], zone[256];
	if (w->fqdn[0] && cp__split(w->fqdn, label, zone))
		snprintf(c->target, sizeof(c->target), "%s", label);
	else
		memcpy(c->target_addr, w->addr, 16);
	cp__fqdn(c->from_name, sizeof(c->from_name), d->cp->name, d->cp->zone);
	c->n_ep = d->n_local;
	memcpy(c->ep, d->local, sizeof(c->ep));
	w->tries++;
	w->next_ns = now + cp_iv_retry.ms * 1000000ull;
	d->connects++;
	/* Where UDP is blocked, a friend's signpost is reached over TLS too. */
	if (d->via_tls && cp__tls_connect(d->cp, w->z->ed, &w->z->ep) != 0)
		sp_log_rl(SP_LOG_INFO, "control: no TLS connection to the signpost of %s", w->z->zone);
	if (cp__send(d->cp, w->z->ed, &w->z->ep, &m, CP_PAD_MIN, CP_NO_LIMIT) != 0)
		sp_log_rl(SP_LOG_INFO, "control: connect not sent to the signpost of %s", w->z->zone);
}

static void on_connect_ack(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m)
{
	const struct cp_connect_ack *a = &m->u.connect_ack;
	uint64_t now = in->now;
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &d->want[i];
		if ((w->state != W_CONNECT && w->state != W_UP) || w->req_id != a->req_id ||
		    !w->z || memcmp(w->z->ed, in->sender, 32) != 0)
			continue;
		if (a->status != CP_OK) {
			/*
			 * A tunnel in use survives a passing answer (a restarted
			 * signpost that has not heard from the target yet); a
			 * refusal closes it (revoked, no longer a friend).
			 */
			if (w->state == W_UP && (a->status == CP_E_OFFLINE || a->status == CP_E_BUSY))
				return;
			d->connects_refused++;
			want_fail(w, cp_status_str(a->status), now);
			return;
		}
		char label[64], zone[256];
		if (!cp__split(a->name, label, zone) || strcasecmp(zone, w->z->zone) != 0 ||
		    (w->state == W_UP && memcmp(w->ed, a->key, 32) != 0)) {
			want_fail(w, "the signpost answered for a name outside its zone", now);
			return;
		}
		w->tries = 0;
		bool changed = w->n_cand != a->n_ep;
		for (size_t k = 0; !changed && k < a->n_ep; k++)
			changed = !sp_endpoint_equal(&w->cand[k], &a->ep[k]);
		w->n_cand = a->n_ep;
		memcpy(w->cand, a->ep, sizeof(w->cand));
		if (w->state == W_UP) {
			if (changed)
				cp__path_probe(w, now);	/* a refresh with new candidates */
			return;
		}
		snprintf(w->fqdn, sizeof(w->fqdn), "%s", a->name);
		memcpy(w->ed, a->key, 32);
		if (tun_overlay_check(zone, a->key, a->overlay) != 0) {
			want_fail(w, "its overlay address does not belong to its key", now);
			return;
		}
		memcpy(w->addr, a->overlay, 16);
		w->state = W_CHECK_KEY;
		cp__path_probe(w, now);	/* the peer starts now too: the probes must cross */
		struct dns_resolver *r = dns_resolver_get(d->cp->node);
		if (!r || dns_resolver_lookup(r, w->fqdn, LDNS_RR_TYPE_KEY, key_checked, w) != 0)
			want_fail(w, "its KEY record cannot be looked up", now);
		return;
	}
	d->cp->st.rx_unexpected++;
}

static void want_start(struct cp_device *d, const char *fqdn, const uint8_t addr[16],
		       struct cp_zsp *z, uint64_t now)
{
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &d->want[i];
		if (w->state == W_FREE)
			continue;
		bool same = (fqdn && fqdn[0] && strcasecmp(w->fqdn, fqdn) == 0) ||
			    (addr && memcmp(w->addr, addr, 16) == 0);
		if (!same)
			continue;
		if (w->state != W_FAILED || now - w->failed_ns < RETRY_AFTER_NS)
			return;	/* in hand, or failed a moment ago */
		want_free(w);
		break;
	}
	struct cp_want *w = want_slot(d);
	if (!w) {
		sp_log_rl(SP_LOG_WARNING, "control: %d tunnels wanted already", CP_WANTS_MAX);
		return;
	}
	memset(w, 0, sizeof(*w));
	w->d = d;
	w->z = z;
	w->since_ns = now;
	if (fqdn)
		snprintf(w->fqdn, sizeof(w->fqdn), "%s", fqdn);
	if (addr)
		memcpy(w->addr, addr, 16);
	if (z->state == Z_READY) {
		w->state = W_CONNECT;
		connect_send(w, now);
	} else {
		w->state = W_FIND_SIGNPOST;
		if (z->state != Z_FINDING && (z->state != Z_FAILED || now - z->failed_ns > RETRY_AFTER_NS))
			zsp_find(z, now);
		else if (z->state == Z_FAILED)
			want_fail(w, "its zone's signpost cannot be found", now);
	}
}

struct cp_want *cp__want_for_name(struct cp_device *d, const char *fqdn, uint64_t now)
{
	struct cp_zsp *z = zone_of_fqdn(d, fqdn);
	if (!z)
		return NULL;
	want_start(d, fqdn, NULL, z, now);
	return cp__want_by_name(d, fqdn);
}

static void on_name_answered(void *arg, const struct sp_event *ev)
{
	struct cp_device *d = arg;
	char own[256];
	cp__fqdn(own, sizeof(own), d->cp->name, d->cp->zone);
	if (strcasecmp(ev->u.name.fqdn, own) == 0)
		return;
	struct cp_zsp *z = zone_of_fqdn(d, ev->u.name.fqdn);
	if (z)
		want_start(d, ev->u.name.fqdn, ev->u.name.addr, z, uv_hrtime());
}

/* A port mapping made or lost, a new public address: the signpost hears it now. */
static void on_candidates(void *arg, const struct sp_event *ev)
{
	(void)ev;
	struct cp_device *d = arg;
	d->n_local = local_endpoints(d, d->local);
	send_register(d);
}

static void on_no_peer(void *arg, const struct sp_event *ev)
{
	struct cp_device *d = arg;
	struct cp_zsp *z = zone_of_addr(d, ev->u.addr.addr);
	if (z)
		want_start(d, NULL, ev->u.addr.addr, z, uv_hrtime());
}

/* ---- messages from the signposts and peers ---- */

static void on_call_me_maybe(struct cp_device *d, const struct cp_in *in, const struct cp_msg *m)
{
	const struct cp_call_me_maybe *k = &m->u.cmm;
	struct cp_want *w = cp__want_by_key(d, k->key);
	/* Both ends may be connecting at once: the want this device started becomes this one. */
	for (size_t i = 0; !w && i < CP_WANTS_MAX; i++) {
		struct cp_want *o = &d->want[i];
		if (o->state != W_FREE && o->state != W_FAILED && memcmp(o->addr, k->overlay, 16) == 0)
			w = o;
	}
	if (!w) {
		w = want_slot(d);
		if (!w)
			return;
		memset(w, 0, sizeof(*w));
		w->d = d;
		w->incoming = true;
		w->since_ns = in->now;
	}
	w->z = &d->zones[0];	/* my signpost relays for whoever it lets in */
	snprintf(w->fqdn, sizeof(w->fqdn), "%s", k->name);
	memcpy(w->ed, k->key, 32);
	memcpy(w->addr, k->overlay, 16);
	w->n_cand = k->n_ep;
	memcpy(w->cand, k->ep, sizeof(w->cand));
	want_up(w, in->now);
}

static void on_relay(struct cp_device *d, const struct cp_in *in, struct cp_msg *m)
{
	struct cp_want *w = cp__want_by_key(d, m->u.relay.peer);
	if (!w || w->state != W_UP || !w->z || memcmp(w->z->ed, in->sender, 32) != 0) {
		d->cp->st.rx_unexpected++;
		return;
	}
	cp__path_relayed(d, w, in, m->u.relay.payload, m->u.relay.len);
}

void cp__device_forwarded(struct cp_device *d, const struct cp_fwd *f, const union sp_endpoint *src,
			  uint64_t now, struct cp_tls_conn *conn)
{
	/*
	 * Only from the signpost that relays this want, where it is (or on its
	 * TLS connection): the frame is not authenticated, its payload is.
	 */
	struct cp_want *w = cp__want_by_key(d, f->origin);
	bool from_relay = w && w->state == W_UP && w->z && memcmp(w->z->ed, f->sender, 32) == 0 &&
			  (conn ? cp__tls_route(d->cp, w->z->ed) == conn
				: sp_endpoint_equal(&w->z->ep, src));
	if (!from_relay) {
		d->cp->st.rx_unexpected++;
		return;
	}
	uint8_t payload[CP_RELAY_MAX];	/* decrypted in place: the frame's buffer is not ours */
	memcpy(payload, f->payload, f->len);
	struct cp_in in = { f->sender, src, f->len + CP_FWD_HDR_LEN, now, NULL };
	cp__path_relayed(d, w, &in, payload, f->len);
}

static void on_revoke(struct cp_device *d, const struct cp_msg *m)
{
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &d->want[i];
		if (w->state != W_FREE && memcmp(w->ed, m->u.revoke.key, 32) == 0) {
			sp_notice("control: %s was revoked by the signpost: session closed", w->fqdn);
			want_free(w);
			d->revoked++;
		}
	}
}

/*
 * Every part of a friends list is in: a zone no longer listed is no friend
 * any more.  Its sessions close (its devices were let in by the policy that
 * came with it) and the resolver forgets it.
 */
static void friends_complete(struct cp_device *d, struct dns_resolver *r)
{
	for (size_t k = 1; k < CP_ZONES_MAX; k++) {
		struct cp_zsp *z = &d->zones[k];
		if (z->state == Z_FREE || d->zone_listed[k])
			continue;
		for (size_t i = 0; i < CP_WANTS_MAX; i++) {
			struct cp_want *w = &d->want[i];
			char label[64], zone[256];
			bool in_zone = w->z == z || (cp__split(w->fqdn, label, zone) &&
						     strcasecmp(zone, z->zone) == 0);
			if (w->state == W_FREE || !in_zone)
				continue;
			sp_notice("control: %s is no friend any more: session with %s closed", z->zone,
				  w->fqdn);
			want_free(w);
		}
		if (dns_resolver_friend_remove(r, z->zone) != 0)
			sp_info("control: the resolver did not know %s", z->zone);
		dns_resolver_cancel(r, NULL, z);
		memset(z, 0, sizeof(*z));
	}
}

/* A friends list, in parts: applied to the resolver when every part of a generation is in. */
static void on_friends(struct cp_device *d, const struct cp_msg *m)
{
	const struct cp_friends *f = &m->u.friends;
	struct dns_resolver *r = dns_resolver_get(d->cp->node);
	if (!r || f->parts == 0 || f->part >= f->parts || f->parts > 8)
		return;
	if (f->generation != d->friends_gen || f->part == 0) {
		d->friends_gen = f->generation;
		d->friends_parts_seen = 0;
		memset(d->zone_listed, 0, sizeof(d->zone_listed));
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct cp_friend *e = &f->f[i];
		struct cp_zsp *z = NULL;
		for (size_t k = 1; k < CP_ZONES_MAX && !z; k++)
			if (d->zones[k].state != Z_FREE && strcasecmp(d->zones[k].zone, e->zone) == 0)
				z = &d->zones[k];
		for (size_t k = 1; k < CP_ZONES_MAX && !z; k++)
			if (d->zones[k].state == Z_FREE)
				z = &d->zones[k];
		if (!z)
			break;
		int rc = dns_resolver_friend_set(r, e->zone, e->anchor, e->ep, e->n_ep);
		if (rc) {
			sp_log_rl(SP_LOG_WARNING, "control: friend zone %s not usable: %s", e->zone,
				  sp_strerror(rc));
			continue;
		}
		if (z->state == Z_FREE) {
			memset(z, 0, sizeof(*z));
			z->d = d;
			snprintf(z->zone, sizeof(z->zone), "%s", e->zone);
			z->state = Z_FAILED;	/* found on the first want */
			z->failed_ns = 0;
			if (tun_overlay_prefix(e->zone, z->prefix) != 0)
				memset(z->prefix, 0, 16);
			sp_info("control: friend zone %s from the signpost", e->zone);
		}
		z->failed_ns = 0;
		d->zone_listed[z - d->zones] = true;
	}
	d->friends_parts_seen |= (uint8_t)(1u << f->part);
	if (d->friends_parts_seen == (uint8_t)((1u << f->parts) - 1))
		friends_complete(d, r);
}

void cp__device_input(struct cp_plane *cp, const struct cp_in *in, struct cp_msg *m)
{
	struct cp_device *d = cp->dev;
	bool from_own = memcmp(in->sender, d->zones[0].ed, 32) == 0;
	switch (m->type) {
	case CP_REGISTER_ACK:
		if (from_own)
			return on_register_ack(d, in, m);
		break;
	case CP_CONNECT_ACK:
		return on_connect_ack(d, in, m);
	case CP_CALL_ME_MAYBE:
		if (from_own)
			return on_call_me_maybe(d, in, m);
		break;
	case CP_RELAY:
		if (zone_by_key(d, in->sender))
			return on_relay(d, in, m);
		break;
	case CP_PONG:
		return cp__path_pong(d, in, m);
	case CP_REVOKE:
		if (from_own)
			return on_revoke(d, m);
		break;
	case CP_FRIENDS:
		if (from_own)
			return on_friends(d, m);
		break;
	default:
		break;
	}
	cp->st.rx_unexpected++;
}

/* ---- timers ---- */

static void on_register_timer(uv_timer_t *t)
{
	struct cp_device *d = t->data;
	d->n_local = local_endpoints(d, d->local);
	send_register(d);
	uint64_t now = uv_hrtime();
	/* Wants in use repeat their CONNECT: the signpost keeps relaying and hears of changes. */
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &d->want[i];
		if (w->state == W_UP && !w->incoming && w->z && w->z->state == Z_READY)
			connect_send(w, now);
	}
}

static bool same_locals(const union sp_endpoint *a, uint8_t na, const union sp_endpoint *b,
			uint8_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!sp_endpoint_equal(&a[i], &b[i]))
			return false;
	return true;
}

/*
 * Until the signpost first answers, REGISTER again each control.retry.  If
 * UDP never got an answer (REG_TRIES_UDP), the network blocks it: from then
 * on every signpost is reached over TLS, a lost connection made again at
 * most each TLS_RETRY.  (A device that was answered over UDP stays on UDP
 * through a signpost's outage.)
 */
#define TLS_RETRY_NS (5000ull * 1000000ull)

static void register_watch(struct cp_device *d, uint64_t now)
{
	struct cp_zsp *z = &d->zones[0];
	bool want_tls = d->via_tls || (d->last_ack_wall == 0 && d->reg_unanswered >= REG_TRIES_UDP);
	if (want_tls && d->cp->tls_port && !cp__tls_route(d->cp, z->ed) && now >= d->next_tls_try) {
		d->next_tls_try = now + TLS_RETRY_NS;
		if (cp__tls_connect(d->cp, z->ed, &z->ep) == 0) {
			d->via_tls = true;
			send_register(d);
		}
		return;
	}
	if (d->last_ack_wall == 0 && now - d->last_reg >= cp_iv_retry.ms * 1000000ull)
		send_register(d);
}

static void on_tick(uv_timer_t *t)
{
	struct cp_device *d = t->data;
	uint64_t now = uv_hrtime();
	register_watch(d, now);
	cp__path_tick(d, now);
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		struct cp_want *w = &d->want[i];
		if (w->state != W_CONNECT || now < w->next_ns)
			continue;
		if (w->tries >= CONNECT_TRIES)
			want_fail(w, "its signpost does not answer", now);
		else
			connect_send(w, now);
	}
	if (now - d->last_addr_check >= cp_iv_addr_check.ms * 1000000ull) {
		d->last_addr_check = now;
		union sp_endpoint cur[CP_EP_MAX];
		uint8_t n = local_endpoints(d, cur);
		if (!same_locals(cur, n, d->local, d->n_local)) {
			sp_notice("control: local addresses changed: registering again");
			memcpy(d->local, cur, sizeof(cur));
			d->n_local = n;
			send_register(d);
			for (size_t i = 0; i < CP_WANTS_MAX; i++)
				if (d->want[i].state == W_UP && !d->want[i].incoming)
					connect_send(&d->want[i], now);
		}
	}
}

static int load_token(struct cp_device *d, const char *path)
{
	char text[CP_TOKEN_TEXT_MAX];
	snprintf(d->token_path, sizeof(d->token_path), "%s", path);
	int rc = sp_secret_file_read(path, text, sizeof(text));
	if (rc == -ENOENT)
		return 0;	/* enrolled already: the token went when it was spent */
	if (rc < 0) {
		sp_err("control: %s: %s", path, sp_strerror(rc));
		return rc;
	}
	text[strcspn(text, "\r\n")] = '\0';
	rc = cp_token_decode(text, &d->token);
	sodium_memzero(text, sizeof(text));
	if (rc) {
		sp_err("control: %s: not a Signpost token", path);
		return SP_ECONFIG;
	}
	d->has_token = true;
	if (d->token.expiry < (uint64_t)time(NULL))
		sp_warn("control: the token in %s has expired; the signpost will refuse it", path);
	return 0;
}

int cp__device_start(struct cp_plane *cp)
{
	const struct sp_config_section *c = sp_config_get(cp->node->cfg, "control");
	struct cp_device *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cp = cp;
	cp->dev = d;
	struct cp_zsp *z = &d->zones[0];
	z->d = d;
	z->own = true;
	z->state = Z_READY;
	snprintf(z->zone, sizeof(z->zone), "%s", cp->zone);
	z->ep = *sp_cfg_endpoint(c, "signpost");
	int rc = sp_key_from_b64(sp_cfg_str(c, "signpost-key"), z->ed);
	if (rc == 0)
		rc = tun_overlay_prefix(cp->zone, z->prefix);
	const char *tf = sp_cfg_str(c, "token-file");
	if (rc == 0 && tf)
		rc = load_token(d, tf);
	if (rc)
		return rc;
	d->n_local = local_endpoints(d, d->local);
	d->last_addr_check = uv_hrtime();
	d->sub_name = sp_event_subscribe(cp->node, SP_EV_NAME_ANSWERED, on_name_answered, d);
	d->sub_nopeer = sp_event_subscribe(cp->node, SP_EV_NO_PEER, on_no_peer, d);
	d->sub_cands = sp_event_subscribe(cp->node, SP_EV_CANDIDATES_CHANGED, on_candidates, d);
	if (d->sub_name < 0 || d->sub_nopeer < 0 || d->sub_cands < 0)
		return SP_ELIMIT;
	uv_timer_init(cp->node->loop, &d->reg_timer);
	uv_timer_init(cp->node->loop, &d->tick_timer);
	d->timers_open = 2;
	d->reg_timer.data = d->tick_timer.data = d;
	rc = sp_timer_repeat(&d->reg_timer, on_register_timer, &cp_iv_register);
	if (rc == 0)
		rc = uv_timer_start(&d->tick_timer, on_tick, 250, 250) == 0 ? 0 : SP_EUV;
	if (rc == 0)
		rc = cp__ping_register(d);
	if (rc)
		return rc;
	send_register(d);
	return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct cp_device *d = h->data;
	if (--d->timers_open == 0)
		free(d);
}

void cp__device_stop(struct cp_plane *cp)
{
	struct cp_device *d = cp->dev;
	if (!d)
		return;
	struct dns_resolver *r = dns_resolver_get(cp->node);
	for (size_t i = 0; r && i < CP_WANTS_MAX; i++)
		dns_resolver_cancel(r, NULL, &d->want[i]);
	for (size_t i = 0; r && i < CP_ZONES_MAX; i++)
		dns_resolver_cancel(r, NULL, &d->zones[i]);
	cp__ping_stop(d);
	for (size_t i = 0; i < CP_WANTS_MAX; i++)
		if (d->want[i].state != W_FREE)
			want_free(&d->want[i]);
	if (d->sub_name > 0)
		sp_event_unsubscribe(cp->node, d->sub_name);
	if (d->sub_nopeer > 0)
		sp_event_unsubscribe(cp->node, d->sub_nopeer);
	if (d->sub_cands > 0)
		sp_event_unsubscribe(cp->node, d->sub_cands);
	cp_token_wipe(&d->token);
	cp->dev = NULL;
	if (d->timers_open == 0) {
		free(d);
		return;
	}
	uv_close((uv_handle_t *)&d->reg_timer, on_timer_closed);
	uv_close((uv_handle_t *)&d->tick_timer, on_timer_closed);
}

void cp__device_status(struct cp_plane *cp, struct sp_status *st)
{
	struct cp_device *d = cp->dev;
	char obs[SP_ENDPOINT_STRLEN] = "-";
	if (d->observed.sa.sa_family)
		sp_endpoint_format(&d->observed, obs);
	sp_status_add(st, "registered", "%s", d->last_status == CP_OK && d->last_ack_wall ?
						      "yes" : d->last_ack_wall ? "refused" : "not yet");
	if (d->last_status != CP_OK)
		sp_status_add(st, "refusal", "%s", cp_status_str(d->last_status));
	if (d->last_ack_wall)
		sp_status_add(st, "last-ack", "%llds ago",
			      (long long)((int64_t)time(NULL) - d->last_ack_wall));
	sp_status_add(st, "seen-as", "%s", obs);
	sp_status_add(st, "signpost-via", "%s", d->via_tls && cp__tls_route(d->cp, d->zones[0].ed) ?
						      "tls" : "udp");
	sp_status_add(st, "enrollment", "%s", d->has_token ? "pending (token)" : "done");
	sp_status_add(st, "connects", "%llu", (unsigned long long)d->connects);
	sp_status_add(st, "connects-refused", "%llu", (unsigned long long)d->connects_refused);
	sp_status_add(st, "relayed-in", "%llu", (unsigned long long)d->relayed_in);
	sp_status_add(st, "relayed-out", "%llu", (unsigned long long)d->relayed_out);
	sp_status_add(st, "revoked-peers", "%llu", (unsigned long long)d->revoked);
	sp_status_add(st, "direct-paths-found", "%llu", (unsigned long long)d->direct_found);
	sp_status_add(st, "direct-paths-lost", "%llu", (unsigned long long)d->direct_lost);
	uint64_t now = uv_hrtime();
	for (size_t i = 0; i < CP_WANTS_MAX; i++) {
		const struct cp_want *w = &d->want[i];
		if (w->state == W_FREE)
			continue;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, w->addr, a, sizeof(a));
		char key[300];
		snprintf(key, sizeof(key), "peer %s", w->fqdn[0] ? w->fqdn : a);
		sp_status_add(st, key, "%s %s%s%s%s", a,
			      want_names[w->state],
			      w->state == W_UP ? (w->direct ? " direct" :
						   now < w->probe_until ? " relayed (probing)" :
									  " relayed") : "",
			      w->state == W_FAILED && w->why ? ": " : "",
			      w->state == W_FAILED && w->why ? w->why : "");
	}
}

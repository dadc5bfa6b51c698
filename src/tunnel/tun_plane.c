/*
 * tun_plane.c - the tunnel plane: configuration, start/reload/stop, status
 * and the "wg-quick" control command.  The device itself is device.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/overlay.h"
#include "tunnel/peers.h"
#include "tunnel/tundev.h"
#include "tunnel/tun_schema.h"
#include "tunnel/tunnel.h"

/*
 * What [tunnel] overlay-route means when unset.  A device reaches overlay
 * addresses of its own zone and of its friends' zones (each zone a /48 of
 * fd00::/8, overlay.h), so all of fd00::/8 goes into the TUN device, where a
 * packet to an address without a peer waits for one (nopeer.c).  A
 * signpost relays sessions on its UDP socket and routes only its [peer]
 * allowed-ips; its own /48 is on-link through its address.
 */
#define OVERLAY_ROUTE_DEVICE "fd00::/8"

/* Persistent keepalive printed for stock clients: under common 30 s NAT timeouts. */
#define WGQUICK_KEEPALIVE 25
#define MAX_ROUTES 4096

struct route {
	uint8_t addr[16];
	uint8_t family, plen;
};

struct plane {
	struct sp_node *node;
	struct tun_device *dev;		/* NULL when disabled */
	struct sp_transport *transport;	/* the node's UDP socket (SP_SVC_TRANSPORT), with dev */
	struct tun_peers peers;		/* SP_SVC_PEERS, while dev runs */
	bool enabled;
	uint8_t overlay[16];
	struct route *routes;		/* routes we added: [peer] allowed-ips, overlay-route */
	size_t n_routes;
	/* as configured at start: changing these takes a restart */
	char ifname_cfg[IFNAMSIZ];	/* "" when the device picked the name */
	long long mtu_cfg, port_cfg;
};

/* One [peer] section, resolved by prepare (keys read, prefixes parsed). */
struct peer_spec {
	uint8_t pk[32], psk[32];
	bool has_psk, has_ep;
	union sp_endpoint ep;
	uint16_t keepalive;
	unsigned line;
	size_t aip_first, aip_count;	/* slice of pending.routes */
};

/* A prepared reload (or the start): everything commit needs, nothing that can fail. */
struct pending {
	struct peer_spec *peers;
	size_t n_peers;
	struct route *routes;		/* every [peer] allowed-ips entry, then overlay-route; MAX_ROUTES slots */
	struct tun_peer_aip *aips;	/* the same entries as the peer service takes them */
	size_t n_routes;
};

/* ---- configuration helpers ---- */

typedef int (*prefix_cb)(int family, const uint8_t *addr, uint8_t plen, void *arg);

/* Walk "a/len, b/len" (already validated by the config loader). */
static int each_prefix(const char *list, prefix_cb cb, void *arg)
{
	if (!list)
		return 0;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		char item[80];
		size_t n = strcspn(p, ", ");
		if (n >= sizeof(item))
			return SP_ECONFIG;
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		char *slash = strchr(item, '/');
		if (!slash)
			return SP_ECONFIG;
		*slash = '\0';
		long plen = strtol(slash + 1, NULL, 10);
		uint8_t a[16] = { 0 };
		int fam = inet_pton(AF_INET, item, a) == 1 ? AF_INET
			  : inet_pton(AF_INET6, item, a) == 1 ? AF_INET6 : 0;
		if (!fam || plen < 0 || plen > (fam == AF_INET ? 32 : 128))
			return SP_ECONFIG;
		int rc = cb(fam, a, (uint8_t)plen, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int count_cb(int family, const uint8_t *addr, uint8_t plen, void *arg)
{
	(void)family, (void)addr, (void)plen;
	(*(size_t *)arg)++;
	return 0;
}

/* The overlay-route prefixes of cfg: the option, else the role's default (NULL: none). */
static const char *overlay_routes(const struct sp_config *cfg)
{
	const char *v = sp_cfg_str(sp_config_get(cfg, "tunnel"), "overlay-route");
	if (v)
		return v;
	const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
	return role && strcmp(role, "device") == 0 ? OVERLAY_ROUTE_DEVICE : NULL;
}

/* Read and decode a peer's preshared-key-file: 0 (has = false without one) or an error. */
static int peer_psk(const struct sp_config_section *s, uint8_t psk[32], bool *has)
{
	const char *path = sp_cfg_str(s, "preshared-key-file");
	*has = false;
	if (!path)
		return 0;
	char buf[256];
	int rc = sp_secret_file_read(path, buf, sizeof(buf));
	if (rc == 0 && sp_key_from_b64(buf, psk) != 0)
		rc = SP_EKEYFORMAT;
	sodium_memzero(buf, sizeof(buf));
	if (rc)
		sodium_memzero(psk, 32);
	*has = rc == 0;
	return rc;
}

static int tun_check(const struct sp_config *cfg)
{
	const struct sp_config_section *t = sp_config_get(cfg, "tunnel");
	int bad = 0;
	const char *ifname = sp_cfg_str(t, "interface");
	if (ifname && strlen(ifname) >= IFNAMSIZ) {
		sp_config_error(cfg, t, "interface", "at most %d characters", IFNAMSIZ - 1);
		bad = 1;
	}
	size_t total = 0;
	for (const struct sp_config_section *p = sp_config_next(cfg, "peer", NULL); p;
	     p = sp_config_next(cfg, "peer", p)) {
		const char *ep = sp_cfg_str(p, "endpoint");
		union sp_endpoint e;
		if (ep && tun_uapi_parse_endpoint(ep, strlen(ep), &e) != 0) {
			sp_config_error(cfg, p, "endpoint", "not a numeric address:port");
			bad = 1;
		}
		if (each_prefix(sp_cfg_str(p, "allowed-ips"), count_cb, &total) != 0) {
			sp_config_error(cfg, p, "allowed-ips", "not a list of prefixes");
			bad = 1;
		}
		/* A peer configured with a PSK never runs without it: refuse the file. */
		uint8_t psk[32];
		bool has;
		int rc = peer_psk(p, psk, &has);
		sodium_memzero(psk, sizeof(psk));
		if (rc) {
			sp_config_error(cfg, p, "preshared-key-file",
					"cannot use %s: %s (a 0600 file of base64, 32 bytes)",
					sp_cfg_str(p, "preshared-key-file"), sp_strerror(rc));
			bad = 1;
		}
	}
	if (each_prefix(overlay_routes(cfg), count_cb, &total) != 0) {
		sp_config_error(cfg, t, "overlay-route", "not a list of prefixes");
		bad = 1;
	}
	if (total > MAX_ROUTES) {
		sp_config_error(cfg, t, "enabled", "more than %d allowed-ips and overlay routes in all",
				MAX_ROUTES);
		bad = 1;
	}
	return bad ? SP_ECONFIG : 0;
}

/* ---- peers from [peer] sections: prepare (can fail) and commit (cannot) ---- */

struct route_ctx {
	struct route *routes;
	size_t n;
};

static int route_cb(int family, const uint8_t *addr, uint8_t plen, void *arg)
{
	struct route_ctx *c = arg;
	if (c->n >= MAX_ROUTES)
		return SP_ELIMIT;
	struct route *r = &c->routes[c->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->addr, addr, family == AF_INET ? 4 : 16);
	r->family = (uint8_t)family;
	r->plen = plen;
	return 0;
}

static bool same_route(const struct route *a, const struct route *b)
{
	return a->family == b->family && a->plen == b->plen && memcmp(a->addr, b->addr, 16) == 0;
}

static void pending_free(struct pending *pd)
{
	if (!pd)
		return;
	if (pd->peers)
		sodium_memzero(pd->peers, pd->n_peers * sizeof(*pd->peers));
	free(pd->peers);
	free(pd->routes);
	free(pd->aips);
	free(pd);
}

/* Refuse a change of a start-time option (file:line of the new value). */
static bool changed(const struct sp_config *cfg, const struct sp_config_section *t,
		    const char *opt, bool differs)
{
	if (differs)
		sp_config_error(cfg, t, opt, "cannot change while running; restart signpostd to change it");
	return differs;
}

static bool is_config_peer(const struct pending *pd, const struct tun_peer *p)
{
	for (size_t i = 0; i < pd->n_peers; i++)
		if (sodium_memcmp(pd->peers[i].pk, p->public_key, 32) == 0)
			return true;
	return false;
}

/*
 * Build the peer set of cfg: keys, PSKs, endpoints, allowed IPs, and check
 * the limits, without touching the device.  *out stays NULL when the tunnel
 * is off.
 */
static int tun_prepare(void *state, const struct sp_config *cfg, void **out)
{
	struct plane *pl = state;
	const struct sp_config_section *t = sp_config_get(cfg, "tunnel");
	*out = NULL;
	const char *ifname = sp_cfg_str(t, "interface");
	bool bad = changed(cfg, t, "enabled", sp_cfg_bool(t, "enabled") != pl->enabled);
	if (!pl->dev)
		return bad ? SP_ECONFIG : 0;
	bad |= changed(cfg, t, "interface", strcmp(ifname ? ifname : "", pl->ifname_cfg) != 0);
	bad |= changed(cfg, t, "mtu", sp_cfg_int(t, "mtu") != pl->mtu_cfg);
	bad |= changed(cfg, t, "listen-port", sp_cfg_int(t, "listen-port") != pl->port_cfg);
	if (bad)
		return SP_ECONFIG;
	struct pending *pd = calloc(1, sizeof(*pd));
	size_t n = 0;
	for (const struct sp_config_section *s = sp_config_next(cfg, "peer", NULL); s;
	     s = sp_config_next(cfg, "peer", s))
		n++;
	if (!pd || !(pd->routes = calloc(MAX_ROUTES, sizeof(*pd->routes))) ||
	    !(pd->peers = calloc(n ? n : 1, sizeof(*pd->peers)))) {
		pending_free(pd);
		return -ENOMEM;
	}
	struct route_ctx rc_ = { pd->routes, 0 };
	int rc = 0;
	for (const struct sp_config_section *s = sp_config_next(cfg, "peer", NULL); s && !rc;
	     s = sp_config_next(cfg, "peer", s)) {
		struct peer_spec *ps = &pd->peers[pd->n_peers];
		memset(ps, 0, sizeof(*ps));
		ps->line = s->line;
		if (sp_key_from_b64(sp_cfg_str(s, "public-key"), ps->pk) != 0) {
			sp_config_error(cfg, s, "public-key", "not a base64 key of 32 bytes");
			rc = SP_ECONFIG;
			break;
		}
		if (sodium_memcmp(ps->pk, pl->dev->st.public_key, 32) == 0)
			continue;	/* our own key, as wireguard-go ignores it */
		int r = peer_psk(s, ps->psk, &ps->has_psk);
		if (r) {
			sp_config_error(cfg, s, "preshared-key-file", "cannot use %s: %s",
					sp_cfg_str(s, "preshared-key-file"), sp_strerror(r));
			rc = SP_ECONFIG;
			break;
		}
		const char *ep = sp_cfg_str(s, "endpoint");
		if (ep && tun_uapi_parse_endpoint(ep, strlen(ep), &ps->ep) != 0) {
			sp_config_error(cfg, s, "endpoint", "not a numeric address:port");
			rc = SP_ECONFIG;
			break;
		}
		ps->has_ep = ep != NULL;
		ps->keepalive = (uint16_t)sp_cfg_int(s, "persistent-keepalive");
		ps->aip_first = rc_.n;
		if (each_prefix(sp_cfg_str(s, "allowed-ips"), route_cb, &rc_) != 0) {
			sp_config_error(cfg, s, "allowed-ips", "not a list of prefixes, or over %d in all",
					MAX_ROUTES);
			rc = SP_ECONFIG;
			break;
		}
		ps->aip_count = rc_.n - ps->aip_first;
		pd->n_peers++;
	}
	/* The overlay routes after the peers' (no peer takes them: not in any aip slice). */
	if (!rc && each_prefix(overlay_routes(cfg), route_cb, &rc_) != 0) {
		sp_config_error(cfg, t, "overlay-route", "not a list of prefixes, or over %d in all",
				MAX_ROUTES);
		rc = SP_ECONFIG;
	}
	pd->n_routes = rc_.n;
	if (!rc && !(pd->aips = calloc(pd->n_routes + 1, sizeof(*pd->aips))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < pd->n_routes; i++) {
		memcpy(pd->aips[i].addr, pd->routes[i].addr, 16);
		pd->aips[i].family = pd->routes[i].family;
		pd->aips[i].cidr = pd->routes[i].plen;
	}
	/* The peer limit, counting the run-time peers (UAPI, other planes), which stay. */
	size_t total = 0;
	for (struct tun_peer *p = pl->dev->peers; p && !rc; p = p->next_peer)
		if (p->owner != SP_OWNER_CONFIG && !is_config_peer(pd, p))
			total++;
	if (!rc && total + pd->n_peers > TUN_MAX_PEERS) {
		sp_config_error(cfg, t, "enabled", "more than %d peers", TUN_MAX_PEERS);
		rc = SP_ECONFIG;
	}
	if (rc) {
		pending_free(pd);
		return rc;
	}
	*out = pd;
	return 0;
}

static void tun_abort(void *state, void *pending)
{
	(void)state;
	pending_free(pending);
}

/*
 * One prepared peer onto the device through the peer service, as owner
 * config (keeping the handshake and sessions of an existing one, and taking
 * over a peer that a run-time owner made: peers.h).
 */
static void commit_peer(struct plane *pl, const struct pending *pd, const struct peer_spec *ps)
{
	struct tun_peer_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.public_key, ps->pk, 32);
	spec.flags = TUN_PEER_SET_PSK | TUN_PEER_SET_KEEPALIVE | TUN_PEER_REPLACE_AIPS;
	if (ps->has_psk)
		memcpy(spec.psk, ps->psk, 32);
	if (ps->has_ep) {
		spec.flags |= TUN_PEER_SET_ENDPOINT;
		memcpy(&spec.endpoint, &ps->ep, sizeof(ps->ep));
	}
	spec.keepalive = ps->keepalive;
	spec.aips = pd->aips + ps->aip_first;
	spec.n_aips = ps->aip_count;
	int rc = tun_peers_set(&pl->peers, SP_OWNER_CONFIG, &spec, NULL);
	sodium_memzero(spec.psk, sizeof(spec.psk));
	if (rc)
		/* only -ENOMEM or an allowed-ips entry is left here: prepare checked the rest */
		sp_err("tunnel: [peer] line %u not fully applied: %s", ps->line, sp_strerror(rc));
}

/*
 * Switch to a prepared peer set: remove config peers that are gone (peers
 * of every other owner are left alone, sessions and all), add new ones,
 * update changed ones, and sync the kernel routes (a failed route is
 * logged, not fatal).
 */
static void tun_commit(void *state, void *pending)
{
	struct plane *pl = state;
	struct pending *pd = pending;
	if (!pd)
		return;
	struct tun_device *dev = pl->dev;
	for (struct tun_peer *p = dev->peers, *next; p; p = next) {
		next = p->next_peer;
		if (p->owner == SP_OWNER_CONFIG && !is_config_peer(pd, p))
			tun_peer_remove(p);
	}
	for (size_t i = 0; i < pd->n_peers; i++)
		commit_peer(pl, pd, &pd->peers[i]);
	/* Routes: drop the ones no longer wanted, (re)add the wanted ones. */
	for (size_t i = 0; i < pl->n_routes; i++) {
		bool keep = false;
		for (size_t j = 0; j < pd->n_routes && !keep; j++)
			keep = same_route(&pl->routes[i], &pd->routes[j]);
		if (!keep && tun_dev_del_route(dev->ifname, pl->routes[i].family,
					       pl->routes[i].addr, pl->routes[i].plen, 0) != 0)
			sp_debug("tunnel: a route via %s was already gone", dev->ifname);
	}
	for (size_t j = 0; j < pd->n_routes; j++) {
		int rc = tun_dev_add_route(dev->ifname, pd->routes[j].family, pd->routes[j].addr,
					   pd->routes[j].plen, 0);
		if (rc)
			sp_warn("tunnel: cannot add a route via %s: %s", dev->ifname, sp_strerror(rc));
	}
	free(pl->routes);
	pl->routes = pd->routes;
	pl->n_routes = pd->n_routes;
	pd->routes = NULL;
	pending_free(pd);
}

/* ---- wg-quick ---- */

/*
 * wg-quick NAME [DEVICE-PUBLIC-KEY|-] [HOST:PORT]: a configuration for a stock
 * WireGuard client.  The device's Ed25519 public key gives its overlay
 * address and WireGuard public key; its private key never comes here: the
 * reply carries TUN_WGQUICK_KEY_PLACEHOLDER, which `signpost wg-quick --key-file`
 * replaces on the device's side.
 */
static int wg_quick(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	struct sp_node *node = sp_ctl_req_node(req);
	struct plane *pl = arg;
	if (argc < 2 || argc > 4) {
		sp_buf_printf(out, "usage: wg-quick NAME [DEVICE-PUBLIC-KEY|-] [HOST:PORT]\n");
		return SP_ECONFIG;
	}
	const struct sp_config_section *n = sp_config_get(node->cfg, "node");
	const struct sp_config_section *t = sp_config_get(node->cfg, "tunnel");
	const char *zone = sp_cfg_str(n, "zone");
	uint8_t prefix[16], ed_pk[SP_KEY_LEN], x_pk[SP_KEY_LEN], a[16];
	if (tun_overlay_prefix(zone, prefix) != 0)
		return SP_ECONFIG;
	char pfx[INET6_ADDRSTRLEN], addr[INET6_ADDRSTRLEN] = "", b64[SP_KEY_B64_LEN];
	inet_ntop(AF_INET6, prefix, pfx, sizeof(pfx));
	bool have_key = argc >= 3 && strcmp(argv[2], "-") != 0;
	if (have_key) {
		if (sp_key_from_b64(argv[2], ed_pk) != 0 ||
		    crypto_sign_ed25519_pk_to_curve25519(x_pk, ed_pk) != 0 ||
		    tun_overlay_addr(zone, ed_pk, a) != 0) {
			sp_buf_printf(out, "wg-quick: not a device public key (signpost pubkey)\n");
			return SP_EKEYFORMAT;
		}
		inet_ntop(AF_INET6, a, addr, sizeof(addr));
	}
	sp_buf_printf(out, "# WireGuard configuration for %s.%s, joining the overlay of %s\n",
		      argv[1], zone, zone);
	sp_buf_printf(out, "[Interface]\nPrivateKey = %s\n", TUN_WGQUICK_KEY_PLACEHOLDER);
	if (have_key) {
		sp_buf_printf(out, "Address = %s/128\n", addr);
		sp_key_to_b64(x_pk, b64);
		sp_buf_printf(out, "# add to this signpost's configuration:\n"
				   "#   [peer]\n#   public-key = %s\n#   allowed-ips = %s/128\n",
			      b64, addr);
	} else {
		sp_buf_printf(out, "Address = <the device's overlay address in %s/48>/128\n", pfx);
	}
	if (strcmp(sp_cfg_str(n, "role"), "signpost") == 0) {
		const struct sp_config_section *d = sp_config_get(node->cfg, "dns");
		if (sp_cfg_bool(d, "enabled") && sp_cfg_str(d, "listen"))
			sp_buf_printf(out, "# DNS = %s (the signpost's name server, if reachable)\n",
				      sp_cfg_str(d, "listen"));
	}
	sp_key_to_b64(sp_keys_x_public(node->keys), b64);
	sp_buf_printf(out, "\n[Peer]\nPublicKey = %s\n", b64);
	unsigned port = pl->dev ? pl->dev->listen_port : (unsigned)sp_cfg_int(t, "listen-port");
	if (argc >= 4)
		sp_buf_printf(out, "Endpoint = %s\n", argv[3]);
	else
		sp_buf_printf(out, "Endpoint = <this signpost's public address>:%u\n", port);
	sp_buf_printf(out, "AllowedIPs = %s/48\nPersistentKeepalive = %d\n", pfx, WGQUICK_KEEPALIVE);
	return out->oom ? -ENOMEM : 0;
}

/* ---- lifecycle ---- */

static void on_dev_closed(struct tun_device *dev)
{
	free(dev);
}

/* Undo a start that failed half-way (the node does not call stop for it). */
static int start_failed(struct plane *pl, void **state, int rc)
{
	tun_peers_deinit(&pl->peers);
	if (pl->dev)
		tun_device_close(pl->dev);	/* frees itself when its handles closed */
	sp_service_withdraw(pl->node, SP_SVC_TRANSPORT, pl->transport);
	sp_transport_close(pl->transport);
	free(pl->routes);
	free(pl);
	*state = NULL;
	return rc;
}

static int tun_start(struct sp_node *node, void **state)
{
	struct plane *pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->node = node;
	*state = pl;
	const struct sp_config *cfg = node->cfg;
	const struct sp_config_section *t = sp_config_get(cfg, "tunnel");
	pl->enabled = sp_cfg_bool(t, "enabled");
	if (pl->enabled) {
		const char *zone = sp_cfg_str(sp_config_get(cfg, "node"), "zone");
		int rc = tun_overlay_addr(zone, sp_keys_ed_public(node->keys), pl->overlay);
		if (rc)
			return start_failed(pl, state, rc);
		/* The node's UDP port is the tunnel's listen-port: the transport starts with it. */
		rc = sp_transport_new(node->loop, node, (uint16_t)sp_cfg_int(t, "listen-port"),
				      &pl->transport);
		if (rc == 0)
			rc = sp_service_provide(node, SP_SVC_TRANSPORT, pl->transport);
		if (rc)
			return start_failed(pl, state, rc);
		struct tun_device *dev = calloc(1, sizeof(*dev));
		if (!dev)
			return start_failed(pl, state, -ENOMEM);
		/* The handshake asks key custody for every static DH: no key held here. */
		rc = tun_device_init(dev, node->loop, node->keys, sp_cfg_str(t, "interface"),
				     (size_t)sp_cfg_int(t, "mtu"), pl->transport);
		dev->node = node;
		dev->on_closed = on_dev_closed;
		if (rc) {
			if (dev->open_handles)
				tun_device_close(dev);
			else
				free(dev);
			return start_failed(pl, state, rc);
		}
		pl->dev = dev;
		rc = tun_dev_add_addr(dev->ifname, AF_INET6, pl->overlay, 48);
		if (rc == 0)
			rc = tun_dev_set_up(dev->ifname, true);
		if (rc) {
			sp_err("tunnel: cannot configure %s: %s", dev->ifname, sp_strerror(rc));
			return start_failed(pl, state, rc);
		}
		/* The peer service exists before anything (the UAPI, the file) adds a peer. */
		rc = tun_peers_init(&pl->peers, dev, node);
		if (rc)
			return start_failed(pl, state, rc);
		rc = tun_uapi_server_start(dev);
		if (rc)
			return start_failed(pl, state, rc);
		const char *ifn = sp_cfg_str(t, "interface");
		snprintf(pl->ifname_cfg, sizeof(pl->ifname_cfg), "%s", ifn ? ifn : "");
		pl->mtu_cfg = sp_cfg_int(t, "mtu");
		pl->port_cfg = sp_cfg_int(t, "listen-port");
		void *pd = NULL;
		rc = tun_prepare(pl, cfg, &pd);
		if (rc)
			return start_failed(pl, state, rc);
		tun_commit(pl, pd);
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, pl->overlay, a, sizeof(a));
		sp_notice("tunnel: %s up, %s/48, UDP port %u, %zu peers", dev->ifname, a,
			  dev->listen_port, dev->n_peers);
	}
	int rc = sp_ctl_register(node, "wg-quick", wg_quick, pl);
	if (rc)
		sp_warn("tunnel: cannot register wg-quick: %s", sp_strerror(rc));
	return 0;
}

static void tun_stop(void *state)
{
	struct plane *pl = state;
	if (!pl)
		return;
	tun_peers_deinit(&pl->peers);		/* withdrawn before the peers go */
	if (pl->dev)
		tun_device_close(pl->dev);	/* frees itself when its handles closed */
	sp_service_withdraw(pl->node, SP_SVC_TRANSPORT, pl->transport);
	sp_transport_close(pl->transport);
	free(pl->routes);
	free(pl);
}

static void tun_status(void *state, struct sp_status *st)
{
	struct plane *pl = state;
	if (!pl || !pl->dev) {
		sp_status_add(st, "state", "off");
		return;
	}
	struct tun_device *d = pl->dev;
	char a[INET6_ADDRSTRLEN], b64[SP_KEY_B64_LEN];
	sp_status_add(st, "state", "up");
	sp_status_add(st, "interface", "%s", d->ifname);
	inet_ntop(AF_INET6, pl->overlay, a, sizeof(a));
	sp_status_add(st, "address", "%s/48", a);
	sp_status_add(st, "listen-port", "%u", d->listen_port);
	sp_key_to_b64(d->st.public_key, b64);
	sp_status_add(st, "public-key", "%s", b64);
	sp_status_add(st, "peers", "%zu", d->n_peers);
	char owners[128];
	size_t o = 0;
	for (int i = 0; i < SP_OWNER_MAX && o < sizeof(owners); i++)
		o += (size_t)snprintf(owners + o, sizeof(owners) - o, "%s%s=%zu", i ? " " : "",
				      sp_owner_name((enum sp_owner)i),
				      tun_peers_count(&pl->peers, (enum sp_owner)i));
	sp_status_add(st, "peers-by-owner", "%s", owners);
	sp_status_add(st, "handshakes", "%llu", (unsigned long long)d->stats.hs_done);
	sp_status_add(st, "handshake-retries", "%llu", (unsigned long long)d->stats.hs_retries);
	sp_status_add(st, "handshakes-ratelimited", "%llu",
		      (unsigned long long)d->stats.hs_ratelimited);
	sp_status_add(st, "rx-replayed", "%llu", (unsigned long long)d->stats.rx_replay);
	sp_status_add(st, "rx-unauthenticated", "%llu", (unsigned long long)d->stats.rx_auth_fail);
	sp_status_add(st, "rx-unknown-index", "%llu", (unsigned long long)d->stats.rx_no_key);
	sp_status_add(st, "initiations-replayed", "%llu", (unsigned long long)d->stats.hs_replay);
	sp_status_add(st, "bad-mac1", "%llu", (unsigned long long)d->stats.hs_bad_mac);
	sp_status_add(st, "cookie-replies-sent", "%llu", (unsigned long long)d->stats.cookies_sent);
	sp_status_add(st, "cookie-replies-received", "%llu",
		      (unsigned long long)d->stats.cookies_received);
	/* "demuxed", as before the transport: datagrams on the port that are not WireGuard. */
	const struct sp_classify_stats *ks = &sp_transport_stats(pl->transport)->kinds;
	sp_status_add(st, "demuxed", "%llu",
		      (unsigned long long)(ks->received[SP_KIND_STUN] + ks->received[SP_KIND_CONTROL] +
					   ks->received[SP_KIND_UNKNOWN]));
	sp_status_add(st, "tx-dropped", "%llu", (unsigned long long)d->stats.tx_dropped);
	/* packets that waited for a peer (nopeer.c); ages first, so the counts are current */
	tun__pending_expire(d);
	const struct tun_pend_stats *pq = &d->pend.st;
	sp_status_add(st, "pending-waiting", "%zu", tun_pend_count(&d->pend));
	sp_status_add(st, "pending-destinations", "%zu", tun_pend_dests(&d->pend));
	sp_status_add(st, "pending-queued", "%llu", (unsigned long long)pq->queued);
	sp_status_add(st, "pending-sent", "%llu", (unsigned long long)pq->sent);
	sp_status_add(st, "pending-dropped", "%llu", (unsigned long long)pq->dropped);
	sp_status_add(st, "pending-expired", "%llu", (unsigned long long)pq->expired);
	sp_status_add(st, "no-peer-events", "%llu", (unsigned long long)pq->events);
	sp_transport_status(pl->transport, st);
	unsigned i = 0;
	for (struct tun_peer *p = d->peers; p && i < 16; p = p->next_peer, i++) {
		char k[48], ep[64] = "(none)";
		sp_key_to_b64(p->public_key, b64);
		snprintf(k, sizeof(k), "peer%u", i);
		if (p->direct.dst.sa.sa_family &&
		    tun_uapi_format_endpoint(&p->direct.dst, ep, sizeof(ep)) < 0)
			strcpy(ep, "?");
		sp_status_add(st, k, "%s endpoint %s latest-handshake %lld rx %llu tx %llu", b64, ep,
			      (long long)p->last_handshake.tv_sec, (unsigned long long)p->rx_bytes,
			      (unsigned long long)p->tx_bytes);
	}
}

const struct sp_plane tun_plane = {
	.name = "tunnel", .sections = tun_schema, .check = tun_check, .start = tun_start, .prepare = tun_prepare,
	.commit = tun_commit, .abort = tun_abort,
	.stop = tun_stop, .status = tun_status,
	.intervals = tun_intervals, .n_intervals = TUN_N_INTERVALS,
};

/* path.c - a tunnel peer's direct and relay paths; see path.h.  Loop code. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/log.h"
#include "core/service.h"
#include "tunnel/device.h"
#include "tunnel/path.h"
#include "tunnel/tundev.h"

void tun_path_init_relay(struct tun_path *path, const union sp_endpoint *relay,
			 tun_path_send_fn send, tun_path_flush_fn flush, void *arg)
{
	memset(path, 0, sizeof(*path));
	path->kind = TUN_PATH_RELAY;
	if (relay)
		path->dst = *relay;
	path->send = send;
	path->flush = flush;
	path->arg = arg;
}

int tun__path_hold(struct tun_path *path, const uint8_t *buf, size_t len)
{
	return path->send ? path->send(path->arg, path, buf, len) : -EDESTADDRREQ;
}

void tun_path_init_socket(struct tun_path *path, const union sp_endpoint *peer,
			  tun_path_send_fn send, void *arg)
{
	tun_path_init_relay(path, peer, send, NULL, arg);
	path->kind = TUN_PATH_SOCKET;
}

bool tun_path_usable(const struct tun_path *path)
{
	return path->kind != TUN_PATH_DIRECT ? path->send != NULL : path->dst.sa.sa_family != 0;
}

int tun_path_send(struct tun_device *dev, struct tun_path *path, const uint8_t *buf, size_t len)
{
	if (path->kind != TUN_PATH_DIRECT) {
		int rc = tun__path_hold(path, buf, len);
		if (rc == 0 && path->flush)
			path->flush(path->arg, path);
		return rc;
	}
	if (path->dst.sa.sa_family == 0)
		return -EDESTADDRREQ;
	return sp_transport_send(dev->transport, &path->dst, &path->src, buf, len);
}

void tun_path_input(struct tun_device *dev, struct tun_path *path, uint8_t *buf, size_t len,
		    uint64_t now)
{
	static const struct sp_local none;
	struct tun_rx rx = { .src = &path->dst, .local = &none, .via = path };
	tun__rx_datagram(dev, &rx, buf, len, now);
}

void tun_path_input_flush(struct tun_device *dev)
{
	tun__rx_flush(dev);
}

struct tun_path *tun_peer_path(struct tun_peer *peer)
{
	return peer->path ? peer->path : &peer->direct;
}

/* Tell the other planes where the peer's datagrams go now. */
static void path_changed(struct tun_peer *peer)
{
	struct tun_device *dev = peer->dev;
	if (!dev->node)
		return;
	const struct tun_path *p = tun_peer_path(peer);
	struct sp_event ev = { .type = SP_EV_PATH_CHANGED };
	memcpy(ev.u.peer.public_key, peer->public_key, sizeof(ev.u.peer.public_key));
	ev.u.peer.path = p->dst;
	ev.u.peer.relayed = p->kind == TUN_PATH_RELAY;
	sp_event_emit(dev->node, &ev);
}

struct route_mtu {
	struct tun_device *dev;
	uint32_t mtu;		/* 0: back to the interface's */
};

/* Host routes only: a peer's wider allowed IPs (a whole network) keep their own routes. */
static int route_mtu_one(int family, const uint8_t *addr, uint8_t cidr, void *ctx)
{
	struct route_mtu *r = ctx;
	if (!((family == AF_INET6 && cidr == 128) || (family == AF_INET && cidr == 32)) ||
	    !r->dev->ifname[0])
		return 0;
	int rc = r->mtu ? tun_dev_set_route_mtu(r->dev->ifname, family, addr, cidr, r->mtu)
			: tun_dev_del_route(r->dev->ifname, family, addr, cidr, 0);
	if (rc != 0 && rc != -ESRCH)
		sp_debug("tunnel: route MTU %u for a peer: %s", r->mtu, sp_strerror(rc));
	return 0;
}

/* The preferred path's overhead changed: set (or clear) the MTU of the peer's host routes. */
static void peer_routes_mtu(struct tun_peer *peer, uint16_t overhead)
{
	struct tun_device *dev = peer->dev;
	struct route_mtu r = { dev, 0 };
	if (overhead && dev->mtu > overhead + 1280u)
		r.mtu = (uint32_t)(dev->mtu - overhead);
	(void)tun_aip_walk_peer(&dev->aip, peer, route_mtu_one, &r);
}

static uint16_t path_overhead(const struct tun_path *p)
{
	return p && p->kind == TUN_PATH_RELAY ? p->overhead : 0;
}

void tun_peer_set_path(struct tun_peer *peer, struct tun_path *path)
{
	if (path == &peer->direct)
		path = NULL;
	if (peer->path == path)
		return;
	uint16_t before = path_overhead(peer->path), after = path_overhead(path);
	peer->path = path;
	if (before != after)
		peer_routes_mtu(peer, after);
	path_changed(peer);
}

void tun__peer_routes_apply(struct tun_peer *peer)
{
	uint16_t over = path_overhead(peer->path);
	if (over)
		peer_routes_mtu(peer, over);
}

void tun__peer_routes_reset(struct tun_peer *peer)
{
	if (path_overhead(peer->path))
		peer_routes_mtu(peer, 0);
}

void tun_peer_set_direct(struct tun_peer *peer, const union sp_endpoint *dst,
			 const struct sp_local *src)
{
	struct tun_path *d = &peer->direct;
	/* Roaming calls this for every authenticated datagram: change only what changed. */
	if (src) {
		if (d->src.ifindex != src->ifindex || !sp_endpoint_equal(&d->src.addr, &src->addr))
			d->src = *src;
	} else {
		memset(&d->src, 0, sizeof(d->src));
	}
	if (sp_endpoint_equal(&d->dst, dst))
		return;
	d->kind = TUN_PATH_DIRECT;
	d->dst = *dst;
	path_changed(peer);
}

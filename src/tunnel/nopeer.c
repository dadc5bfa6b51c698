/*
 * nopeer.c - TUN packets for which no peer exists yet (loop code; the table
 * itself is pending.c, pure).
 *
 * The send path hands a packet whose destination no peer's allowed IPs hold
 * to tun__no_peer: it waits in the device's table (16 destinations x 8
 * packets) and the node hears SP_EV_NO_PEER (at most once per
 * tunnel.no-peer-event per destination), so that the control plane can ask
 * a signpost for a path to that address.  When a peer gets an allowed IP
 * that holds a waiting destination (tun_peers_set: config, UAPI, control),
 * tun__pending_release gives it the packets through the normal send path:
 * staged on the peer, sent at once on a session, or a handshake started.
 *
 * TCP super-packets read with IFF_VNET_HDR are cut into segments before they
 * reach here (send.c read_vnet), so each segment waits as one packet and a
 * 64 KiB burst keeps only its last 8 (TCP retransmits the rest); the slots
 * need only hold one MTU-sized packet.
 *
 * Ages are checked whenever the table is touched (a packet held, a peer
 * set, status read) instead of by a timer: a packet older than
 * tunnel.pending-expiry is never sent, and the counters are up to date
 * whenever anyone can see them, with no handle to close.
 */
#include <string.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"

struct sp_interval tun_iv_pending_expiry = { "tunnel.pending-expiry", 5000,
	"packets wait this long for a peer: a path found later is too late for the first SYN "
	"(TCP retries after 1 s, then 2 s), and a short queue holds no stale traffic" };
struct sp_interval tun_iv_no_peer_event = { "tunnel.no-peer-event", 1000,
	"SP_EV_NO_PEER at most this often per destination: one connect per second is enough "
	"to open a path, and a flood of packets does not flood the control plane" };

static uint64_t expiry_ns(void)
{
	return tun_iv_pending_expiry.ms * TUN_MSEC;
}

void tun__no_peer(struct tun_device *dev, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint8_t addr[16];
	bool emit = false;
	if (tun_pend_dst_of(pkt, len, addr) != 0 || !tun_pend_wanted(addr)) {
		dev->stats.tx_dropped++;
		return;
	}
	int rc = tun_pend_hold(&dev->pend, addr, pkt, len, now, expiry_ns(),
			       tun_iv_no_peer_event.ms * TUN_MSEC, &emit);
	if (rc) {
		sp_log_rl(SP_LOG_DEBUG, "tunnel: a packet for no peer not kept: %s", sp_strerror(rc));
		return;
	}
	struct tun_peers *ps = dev->svc;
	if (!emit || !ps || !ps->node)
		return;
	struct sp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = SP_EV_NO_PEER;
	memcpy(ev.u.addr.addr, addr, sizeof(ev.u.addr.addr));
	sp_event_emit(ps->node, &ev);
}

/* Peers that were given packets by one release (at most one per destination). */
struct release {
	struct tun_device *dev;
	struct tun_peer *to[TUN_PEND_DESTS];
	unsigned n;
};

static void *find_peer(void *arg, const uint8_t addr[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct release *r = arg;
	struct tun_peer *p = memcmp(addr, v4mapped, sizeof(v4mapped)) == 0
				     ? tun_aip_lookup4(&r->dev->aip, addr + 12)
				     : tun_aip_lookup6(&r->dev->aip, addr);
	return p && !p->dead ? p : NULL;
}

static void stage_on(void *arg, void *to, const uint8_t *pkt, size_t len)
{
	struct release *r = arg;
	struct tun_peer *p = to;
	tun_peer_stage(p, pkt, len);
	for (unsigned i = 0; i < r->n; i++)
		if (r->to[i] == p)
			return;
	if (r->n < TUN_PEND_DESTS)
		r->to[r->n++] = p;
}

void tun__pending_release(struct tun_device *dev)
{
	if (tun_pend_dests(&dev->pend) == 0)
		return;
	struct release r = { .dev = dev };
	uint64_t now = tun_now();
	size_t n = tun_pend_release(&dev->pend, find_peer, stage_on, &r, now, expiry_ns());
	if (n)
		sp_debug("tunnel: %zu waiting packets go to %u peers", n, r.n);
	/* As the send path does with a staged packet: a session sends, none starts a handshake. */
	for (unsigned i = 0; i < r.n; i++) {
		struct tun_peer *p = r.to[i];
		if (tun__kp_usable(p->current, now))
			tun_peer_send_staged(p);
		else
			tun_send_initiation(p, false);
	}
}

void tun__pending_expire(struct tun_device *dev)
{
	tun_pend_expire(&dev->pend, tun_now(), expiry_ns());
}

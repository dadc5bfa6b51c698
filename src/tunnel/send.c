/*
 * send.c - the send path: TUN packets to encrypted datagrams (in place, in
 * batches the transport sends with sendmmsg and GSO), handshake initiations
 * and keepalives, each along the peer's preferred path (path.h).  Loop code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <linux/virtio_net.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"

int tun__send_reply(struct tun_device *dev, const struct tun_rx *rx, const uint8_t *buf,
		    size_t len)
{
	if (rx->via)
		return tun_path_send(dev, rx->via, buf, len);
	/* From the address the request came to: a reply from another one would be dropped. */
	struct sp_local src = *rx->local;
	return sp_transport_send(dev->transport, rx->src, &src, buf, len);
}

/* The peer's preferred path, if it can carry anything. */
static struct tun_path *usable_path(struct tun_peer *peer)
{
	struct tun_path *p = tun_peer_path(peer);
	return tun_path_usable(p) ? p : NULL;
}

void tun_send_initiation(struct tun_peer *peer, bool is_retry)
{
	struct tun_device *dev = peer->dev;
	uint64_t now = tun_now();
	uint64_t rt = tun_iv_rekey_timeout.ms * TUN_MSEC;
	/*
	 * A new handshake (not a retransmission) gets the full number of
	 * attempts again, as in WireGuard; otherwise, after one give-up, every
	 * later handshake would give up at its first retransmission.
	 */
	if (!is_retry)
		peer->handshake_attempts = 0;
	if (!is_retry && peer->last_initiation_sent && now - peer->last_initiation_sent < rt)
		return;
	struct tun_path *path = usable_path(peer);
	if (!path || peer->dead)
		return;
	peer->last_initiation_sent = now;
	struct tun_msg_initiation msg;
	struct timespec wall;
	uint8_t ts[TUN_TIMESTAMP_LEN];
	clock_gettime(CLOCK_REALTIME, &wall);
	tun_tai64n(ts, &wall);
	tun__index_del(dev, peer->hs.local_index);
	uint32_t idx = tun__index_add(dev, peer, NULL);
	if (tun_noise_create_initiation(&peer->hs, &msg, idx, ts) != 0 ||
	    tun_cookie_add_macs(&peer->cookie, (uint8_t *)&msg, sizeof(msg), now) != 0) {
		tun__index_del(dev, idx);
		peer->hs.local_index = 0;
		sodium_memzero(&msg, sizeof(msg));
		return;
	}
	int rc = tun_path_send(dev, path, (const uint8_t *)&msg, sizeof(msg));
	if (rc)
		sp_debug("tunnel: sending an initiation: %s", sp_strerror(rc));
	tun_timers_any_authenticated_packet_traversal(peer);
	tun_timers_any_authenticated_packet_sent(peer);
	tun_timers_handshake_initiated(peer);
}

/* Encrypt the packet at buf + 16 (plain_len bytes) on kp; returns the datagram length or 0. */
static size_t seal(struct tun_peer *peer, struct tun_noise_keypair *kp, uint8_t *buf,
		   size_t plain_len, uint64_t now)
{
	size_t out = 0;
	if (tun_noise_encrypt(kp, buf, peer->dev->buf_size, plain_len, peer->dev->mtu, now, &out))
		return 0;
	return out;
}

/* After a packet went out on kp: counters, timers, and rekey if it is time. */
static void sent_on(struct tun_peer *peer, struct tun_noise_keypair *kp, size_t len,
		    bool is_data, uint64_t now)
{
	peer->tx_bytes += len;
	if (is_data)
		tun_timers_data_sent(peer);
	tun_timers_any_authenticated_packet_sent(peer);
	tun_timers_any_authenticated_packet_traversal(peer);
	if (kp == peer->current && tun__kp_should_rekey_send(kp, now))
		tun_send_initiation(peer, false);
}

void tun_send_keepalive(struct tun_peer *peer)
{
	uint64_t now = tun_now();
	struct tun_noise_keypair *kp = peer->current;
	struct tun_path *path = usable_path(peer);
	if (!tun__kp_usable(kp, now) || !path) {
		tun_send_initiation(peer, false);
		return;
	}
	uint8_t buf[TUN_MSG_DATA_MIN_LEN + TUN_MESSAGE_PADDING_MULTIPLE];
	size_t out = 0;
	if (tun_noise_encrypt(kp, buf, sizeof(buf), 0, 0, now, &out) != 0)
		return;
	if (tun_path_send(peer->dev, path, buf, out) == 0)
		sent_on(peer, kp, out, false, now);
}

void tun_peer_send_staged(struct tun_peer *peer)
{
	uint64_t now = tun_now();
	size_t cap = peer->dev->buf_size;
	while (peer->staged_count > 0) {
		struct tun_noise_keypair *kp = peer->current;
		struct tun_path *path = usable_path(peer);
		if (!tun__kp_usable(kp, now) || !path)
			return;
		uint8_t *slot = peer->staged + (size_t)peer->staged_head * cap;
		size_t len = seal(peer, kp, slot, peer->staged_len[peer->staged_head], now);
		peer->staged_head = (peer->staged_head + 1) % TUN_STAGED_MAX;
		peer->staged_count--;
		if (len && tun_path_send(peer->dev, path, slot, len) == 0)
			sent_on(peer, kp, len, true, now);
	}
}

/* A batch of datagrams on their way to the transport (sendmmsg, GSO trains). */
struct txb {
	struct sp_tx tx[TUN_BATCH];
	struct tun_peer *who[TUN_BATCH];
	struct tun_noise_keypair *kps[TUN_BATCH];
	unsigned n;
	struct tun_path *held[TUN_BATCH];	/* relay paths holding datagrams of this batch */
	unsigned n_held;
	uint64_t now;
};

/* A relayed datagram: its relay may hold it until the batch's end (txb_finish). */
static void txb_hold(struct tun_device *dev, struct txb *b, struct tun_peer *peer,
		     struct tun_noise_keypair *kp, struct tun_path *path, const uint8_t *buf,
		     size_t len)
{
	if (tun__path_hold(path, buf, len) != 0) {
		dev->stats.tx_dropped++;
		return;
	}
	sent_on(peer, kp, len, true, b->now);
	unsigned i = 0;
	while (i < b->n_held && b->held[i] != path)
		i++;
	if (i == b->n_held && path->flush) {
		if (b->n_held == TUN_BATCH)
			path->flush(path->arg, path);	/* cannot be remembered: flush it now */
		else
			b->held[b->n_held++] = path;
	}
}

/* Send the batch; what the kernel did not take is dropped, as WireGuard does. */
static void txb_flush(struct tun_device *dev, struct txb *b)
{
	if (b->n == 0)
		return;
	unsigned sent = sp_transport_send_batch(dev->transport, b->tx, b->n);
	dev->stats.tx_dropped += b->n - sent;
	for (unsigned k = 0; k < sent; k++)
		sent_on(b->who[k], b->kps[k], b->tx[k].len, true, b->now);
	b->n = 0;
}

/* The end of a batch: the direct datagrams, then the relay paths' held ones. */
static void txb_finish(struct tun_device *dev, struct txb *b)
{
	txb_flush(dev, b);
	for (unsigned i = 0; i < b->n_held; i++)
		b->held[i]->flush(b->held[i]->arg, b->held[i]);
	b->n_held = 0;
}

/* Where the next packet goes: the plaintext slot of the next batch buffer. */
static uint8_t *txb_slot(struct tun_device *dev, struct txb *b)
{
	if (b->n == TUN_BATCH)
		txb_flush(dev, b);
	return dev->tx_bufs + (size_t)b->n * dev->buf_size + TUN_MSG_DATA_HEADER_LEN;
}

/* The packet in the next slot is complete: route, encrypt in place, queue (or stage). */
static void txb_commit(struct tun_device *dev, struct txb *b, size_t plen)
{
	uint8_t *buf = dev->tx_bufs + (size_t)b->n * dev->buf_size;
	uint8_t *pkt = buf + TUN_MSG_DATA_HEADER_LEN;
	struct tun_peer *peer = tun_aip_lookup_dst(&dev->aip, pkt, plen);
	if (!peer) {
		/* maybe a path to it is being made: the packet waits (nopeer.c) */
		tun__no_peer(dev, pkt, plen, b->now);
		return;
	}
	struct tun_noise_keypair *kp = peer->current;
	struct tun_path *path = usable_path(peer);
	if (!tun__kp_usable(kp, b->now) || !path) {
		tun_peer_stage(peer, pkt, plen);
		tun_send_initiation(peer, false);
		return;
	}
	size_t len = seal(peer, kp, buf, plen, b->now);
	if (len == 0) {
		dev->stats.tx_dropped++;
		return;
	}
	if (path->kind != TUN_PATH_DIRECT) {
		/* The relay copies the datagram (into its own framing): the slot is free again. */
		txb_hold(dev, b, peer, kp, path, buf, len);
		return;
	}
	unsigned n = b->n;
	b->tx[n] = (struct sp_tx){ .buf = buf, .len = len, .dst = &path->dst, .src = &path->src };
	b->who[n] = peer;
	b->kps[n] = kp;
	b->n++;
}

/* One read with a virtio header: a plain packet, or a TCP super-packet cut into segments. */
static bool read_vnet(struct tun_device *dev, struct txb *b, size_t pktcap)
{
	struct virtio_net_hdr h;
	uint8_t *big = dev->tso_buf;
	struct iovec iov[2] = { { &h, sizeof(h) }, { big, TUN_TSO_MAX } };
	ssize_t r = readv(dev->tun_fd, iov, 2);
	if (r < (ssize_t)sizeof(h))
		return false;
	size_t len = (size_t)r - sizeof(h);
	if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (len > pktcap)
			return true;
		if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    tun__csum_complete(big, len, h.csum_start, h.csum_offset) != 0)
			return true;
		memcpy(txb_slot(dev, b), big, len);
		txb_commit(dev, b, len);
		return true;
	}
	size_t iphl, hl;
	if ((h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    (h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV6) {
		dev->stats.tx_dropped++;
		return true;
	}
	if (!tun__tso_shape(big, len, &iphl, &hl) || h.gso_size == 0 || hl + h.gso_size > pktcap) {
		dev->stats.tx_dropped++;
		return true;
	}
	for (unsigned i = 0; i < TUN_TSO_MAX; i++) {
		size_t seg = tun__tso_build(big, len, iphl, hl, h.gso_size, i, txb_slot(dev, b));
		if (seg == 0)
			break;
		txb_commit(dev, b, seg);
	}
	return true;
}

void tun__tun_readable(struct tun_device *dev)
{
	struct txb b;
	b.n = 0;
	b.n_held = 0;
	b.now = tun_now();
	size_t pktcap = dev->buf_size - TUN_MSG_DATA_HEADER_LEN - TUN_MESSAGE_PADDING_MULTIPLE -
			TUN_AUTHTAG_LEN;
	for (unsigned tries = 0; tries < TUN_BATCH; tries++) {
		if (dev->vnet_hdr) {
			if (!read_vnet(dev, &b, pktcap))
				break;
			continue;
		}
		uint8_t *pkt = txb_slot(dev, &b);
		ssize_t r = read(dev->tun_fd, pkt, pktcap);
		if (r <= 0)
			break;
		txb_commit(dev, &b, (size_t)r);
	}
	txb_finish(dev, &b);
}

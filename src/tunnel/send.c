/*
 * send.c - the send path: TUN packets to encrypted datagrams (in place, in
 * batches with sendmmsg), handshake initiations and keepalives.  Loop code.
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

/* Address of an endpoint in the socket's family (IPv4 is v4-mapped on a dual-stack socket). */
static socklen_t sockaddr_for(const struct tun_device *dev, const union tun_uapi_endpoint *ep,
			      struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	if (ep->sa.sa_family == AF_INET6) {
		if (dev->udp_family != AF_INET6)
			return 0;
		*out = ep->in6;
		return sizeof(*out);
	}
	if (ep->sa.sa_family != AF_INET)
		return 0;
	if (dev->udp_family == AF_INET) {
		memcpy(out, &ep->in4, sizeof(ep->in4));
		return sizeof(ep->in4);
	}
	out->sin6_family = AF_INET6;
	out->sin6_port = ep->in4.sin_port;
	out->sin6_addr.s6_addr[10] = 0xff;
	out->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&out->sin6_addr.s6_addr[12], &ep->in4.sin_addr, 4);
	return sizeof(*out);
}

int tun__send_to(struct tun_device *dev, const uint8_t *buf, size_t len,
		 const union tun_uapi_endpoint *ep)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sockaddr_for(dev, ep, &sa);
	if (sl == 0 || dev->udp_fd < 0)
		return -EDESTADDRREQ;
	if (sendto(dev->udp_fd, buf, len, 0, (struct sockaddr *)&sa, sl) < 0)
		return -errno;
	return 0;
}

int tun_device_send_raw(struct tun_device *dev, const uint8_t *buf, size_t len,
			const struct sockaddr *dst)
{
	union tun_uapi_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	if (dst->sa_family == AF_INET)
		ep.in4 = *(const struct sockaddr_in *)dst;
	else if (dst->sa_family == AF_INET6)
		ep.in6 = *(const struct sockaddr_in6 *)dst;
	else
		return -EAFNOSUPPORT;
	return tun__send_to(dev, buf, len, &ep);
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
	if (peer->endpoint.sa.sa_family == 0 || peer->dead)
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
	int rc = tun__send_to(dev, (const uint8_t *)&msg, sizeof(msg), &peer->endpoint);
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
	if (!tun__kp_usable(kp, now) || peer->endpoint.sa.sa_family == 0) {
		tun_send_initiation(peer, false);
		return;
	}
	uint8_t buf[TUN_MSG_DATA_MIN_LEN + TUN_MESSAGE_PADDING_MULTIPLE];
	size_t out = 0;
	if (tun_noise_encrypt(kp, buf, sizeof(buf), 0, 0, now, &out) != 0)
		return;
	if (tun__send_to(peer->dev, buf, out, &peer->endpoint) == 0)
		sent_on(peer, kp, out, false, now);
}

void tun_peer_send_staged(struct tun_peer *peer)
{
	uint64_t now = tun_now();
	size_t cap = peer->dev->buf_size;
	while (peer->staged_count > 0) {
		struct tun_noise_keypair *kp = peer->current;
		if (!tun__kp_usable(kp, now) || peer->endpoint.sa.sa_family == 0)
			return;
		uint8_t *slot = peer->staged + (size_t)peer->staged_head * cap;
		size_t len = seal(peer, kp, slot, peer->staged_len[peer->staged_head], now);
		peer->staged_head = (peer->staged_head + 1) % TUN_STAGED_MAX;
		peer->staged_count--;
		if (len && tun__send_to(peer->dev, slot, len, &peer->endpoint) == 0)
			sent_on(peer, kp, len, true, now);
	}
}

/* A batch of datagrams on their way to sendmmsg. */
struct txb {
	struct mmsghdr msgs[TUN_BATCH];
	struct iovec iov[TUN_BATCH];
	struct sockaddr_in6 names[TUN_BATCH];
	struct tun_peer *who[TUN_BATCH];
	struct tun_noise_keypair *kps[TUN_BATCH];
	unsigned n;
	uint64_t now;
};

/* sendmmsg a run of prepared messages; returns how many were sent. */
static unsigned send_msgs(struct tun_device *dev, struct mmsghdr *m, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		int s = sendmmsg(dev->udp_fd, m + done, n - done, 0);
		if (s <= 0)
			break;
		done += (unsigned)s;
	}
	return done;
}

/*
 * Send the batch.  Runs of datagrams to one endpoint with one length (the
 * last may be shorter) go as one UDP GSO message (UDP_SEGMENT): one trip
 * through the kernel's stack for the whole run.  If the kernel refuses GSO,
 * the device falls back to one message per datagram for good.
 */
static void txb_flush(struct tun_device *dev, struct txb *b)
{
	if (b->n == 0)
		return;
	struct mmsghdr gm[TUN_BATCH];
	unsigned first[TUN_BATCH + 1];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[TUN_BATCH];
	unsigned ng = 0, i = 0;
	while (i < b->n) {
		unsigned j = i + 1;
		size_t seg = b->iov[i].iov_len, total = seg;
		if (!dev->udp_gso_off) {
			while (j < b->n && b->msgs[j].msg_hdr.msg_namelen == b->msgs[i].msg_hdr.msg_namelen &&
			       memcmp(&b->names[j], &b->names[i], b->msgs[i].msg_hdr.msg_namelen) == 0 &&
			       b->iov[j].iov_len <= seg && total + b->iov[j].iov_len <= 65000) {
				total += b->iov[j].iov_len;
				j++;
				if (b->iov[j - 1].iov_len < seg)
					break;	/* a shorter one ends the run */
			}
		}
		gm[ng].msg_hdr = b->msgs[i].msg_hdr;
		gm[ng].msg_hdr.msg_iov = &b->iov[i];
		gm[ng].msg_hdr.msg_iovlen = j - i;
		gm[ng].msg_len = 0;
		if (j - i > 1) {
			gm[ng].msg_hdr.msg_control = ctl[ng].buf;
			gm[ng].msg_hdr.msg_controllen = sizeof(ctl[ng].buf);
			struct cmsghdr *c = CMSG_FIRSTHDR(&gm[ng].msg_hdr);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			uint16_t g = (uint16_t)seg;
			memcpy(CMSG_DATA(c), &g, sizeof(g));
		}
		first[ng++] = i;
		i = j;
	}
	first[ng] = b->n;
	unsigned sent = send_msgs(dev, gm, ng);
	if (sent < ng && ng < b->n && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
		/* no UDP GSO here (e.g. an old kernel): plain messages from now on */
		dev->udp_gso_off = true;
		unsigned rest = send_msgs(dev, b->msgs + first[sent], b->n - first[sent]);
		for (unsigned k = 0; k < first[sent] + rest; k++)
			sent_on(b->who[k], b->kps[k], b->iov[k].iov_len, true, b->now);
		dev->stats.tx_dropped += b->n - first[sent] - rest;
		b->n = 0;
		return;
	}
	/* The socket buffer is full or the route is gone: drop the rest, as WireGuard does. */
	dev->stats.tx_dropped += b->n - first[sent];
	for (unsigned k = 0; k < first[sent]; k++)
		sent_on(b->who[k], b->kps[k], b->iov[k].iov_len, true, b->now);
	b->n = 0;
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
		dev->stats.tx_dropped++;
		return;
	}
	struct tun_noise_keypair *kp = peer->current;
	if (!tun__kp_usable(kp, b->now) || peer->endpoint.sa.sa_family == 0) {
		tun_peer_stage(peer, pkt, plen);
		tun_send_initiation(peer, false);
		return;
	}
	size_t len = seal(peer, kp, buf, plen, b->now);
	if (len == 0) {
		dev->stats.tx_dropped++;
		return;
	}
	unsigned n = b->n;
	socklen_t sl = sockaddr_for(dev, &peer->endpoint, &b->names[n]);
	b->iov[n] = (struct iovec){ .iov_base = buf, .iov_len = len };
	b->msgs[n].msg_hdr = (struct msghdr){ .msg_name = &b->names[n], .msg_namelen = sl,
					      .msg_iov = &b->iov[n], .msg_iovlen = 1 };
	b->msgs[n].msg_len = 0;
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
	txb_flush(dev, &b);
}

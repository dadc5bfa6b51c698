/*
 * send.c - the send path: TUN packets to encrypted datagrams (in place, in
 * batches with sendmmsg), handshake initiations and keepalives.  Loop code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
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

void tun__tun_readable(struct tun_device *dev)
{
	struct mmsghdr msgs[TUN_BATCH];
	struct iovec iov[TUN_BATCH];
	struct sockaddr_in6 names[TUN_BATCH];
	struct tun_peer *who[TUN_BATCH];
	struct tun_noise_keypair *kps[TUN_BATCH];
	uint64_t now = tun_now();
	unsigned n = 0;
	size_t pktcap = dev->buf_size - TUN_MSG_DATA_HEADER_LEN - TUN_MESSAGE_PADDING_MULTIPLE -
			TUN_AUTHTAG_LEN;

	for (unsigned tries = 0; tries < TUN_BATCH; tries++) {
		uint8_t *buf = dev->tx_bufs + (size_t)n * dev->buf_size;
		ssize_t r = read(dev->tun_fd, buf + TUN_MSG_DATA_HEADER_LEN, pktcap);
		if (r <= 0)
			break;
		uint8_t *pkt = buf + TUN_MSG_DATA_HEADER_LEN;
		struct tun_peer *peer = tun_aip_lookup_dst(&dev->aip, pkt, (size_t)r);
		if (!peer) {
			dev->stats.tx_dropped++;
			continue;
		}
		struct tun_noise_keypair *kp = peer->current;
		if (!tun__kp_usable(kp, now) || peer->endpoint.sa.sa_family == 0) {
			tun_peer_stage(peer, pkt, (size_t)r);
			tun_send_initiation(peer, false);
			continue;
		}
		size_t len = seal(peer, kp, buf, (size_t)r, now);
		if (len == 0) {
			dev->stats.tx_dropped++;
			continue;
		}
		socklen_t sl = sockaddr_for(dev, &peer->endpoint, &names[n]);
		iov[n] = (struct iovec){ .iov_base = buf, .iov_len = len };
		msgs[n].msg_hdr = (struct msghdr){ .msg_name = &names[n], .msg_namelen = sl,
						   .msg_iov = &iov[n], .msg_iovlen = 1 };
		msgs[n].msg_len = 0;
		who[n] = peer;
		kps[n] = kp;
		n++;
	}
	unsigned done = 0;
	while (done < n) {
		int s = sendmmsg(dev->udp_fd, msgs + done, n - done, 0);
		if (s <= 0) {
			/* The socket buffer is full or the route is gone: drop the rest, as WireGuard does. */
			dev->stats.tx_dropped += n - done;
			break;
		}
		done += (unsigned)s;
	}
	for (unsigned i = 0; i < done; i++)
		sent_on(who[i], kps[i], iov[i].iov_len, true, now);
}

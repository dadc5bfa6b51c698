/*
 * receive.c - the receive path: datagrams from the node's UDP socket in
 * batches (recvmmsg), demultiplexed by their first bytes: WireGuard types
 * 1..4 here, STUN (magic cookie 0x2112A442 at offset 4) and signpost control
 * messages to the device's hook.  Data is decrypted in place and written to
 * the TUN device.  Loop code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"

/* The address bytes the cookie is bound to: IP address then port, network order. */
static size_t src_bytes(const struct sockaddr_in6 *sa, uint8_t out[TUN_COOKIE_SRC_MAX])
{
	if (sa->sin6_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		memcpy(out, &s4->sin_addr, 4);
		memcpy(out + 4, &s4->sin_port, 2);
		return 6;
	}
	memcpy(out, &sa->sin6_addr, 16);
	memcpy(out + 16, &sa->sin6_port, 2);
	return 18;
}

static void send_cookie_reply(struct tun_device *dev, const uint8_t *msg, size_t len,
			      const struct sockaddr_in6 *from, const uint8_t *src, size_t src_len,
			      uint64_t now)
{
	struct tun_msg_cookie reply;
	if (tun_cookie_create_reply(&dev->checker, &reply, msg, len, src, src_len, now) != 0)
		return;
	union tun_uapi_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	ep.in6 = *from;
	if (tun__send_to(dev, (const uint8_t *)&reply, sizeof(reply), &ep) == 0)
		dev->stats.cookies_sent++;
}

/* Check the MACs; under load, answer without a valid mac2 by a cookie reply.  true: go on. */
static bool macs_ok(struct tun_device *dev, const uint8_t *msg, size_t len,
		    const struct sockaddr_in6 *from, uint64_t now)
{
	uint8_t src[TUN_COOKIE_SRC_MAX];
	size_t sl = src_bytes(from, src);
	bool under_load = tun__under_load(dev, now);
	enum tun_cookie_mac_state m = tun_cookie_validate(&dev->checker, msg, len, src, sl,
							  under_load, now);
	if (m == TUN_MAC_INVALID) {
		dev->stats.hs_bad_mac++;
		return false;
	}
	if (under_load && m != TUN_MAC_VALID_WITH_COOKIE) {
		send_cookie_reply(dev, msg, len, from, src, sl, now);
		return false;
	}
	/*
	 * A source that answers cookies still costs us X25519 and AEAD work per
	 * message: under load, each source gets a bounded rate (WireGuard's
	 * ratelimiter).  The mac2 proved the source address is real.
	 */
	if (under_load && !tun_ratelimiter_allow(&dev->rl, (const struct sockaddr *)from, now)) {
		dev->stats.hs_ratelimited++;
		return false;
	}
	return true;
}

static void on_initiation(struct tun_device *dev, const uint8_t *msg, size_t len,
			  const struct sockaddr_in6 *from, uint64_t now)
{
	if (!macs_ok(dev, msg, len, from, now))
		return;
	struct tun_noise_initiation_ctx ctx;
	if (tun_noise_consume_initiation_begin(&dev->st, msg, len, &ctx) != 0)
		return;
	struct tun_peer *peer = tun_peer_find(dev, ctx.remote_static);
	if (!peer) {
		tun_noise_initiation_ctx_wipe(&ctx);
		return;
	}
	uint32_t old = peer->hs.local_index;
	int rc = tun_noise_consume_initiation_finish(&ctx, &peer->hs, now);
	if (rc) {
		if (rc == SP_EREPLAY || rc == SP_ELIMIT)
			dev->stats.hs_replay++;
		return;
	}
	tun__index_del(dev, old);
	tun_peer_set_endpoint(peer, (const struct sockaddr *)from);
	tun_timers_any_authenticated_packet_received(peer);
	tun_timers_any_authenticated_packet_traversal(peer);

	struct tun_msg_response resp;
	uint32_t idx = tun__index_add(dev, peer, NULL);
	if (tun_noise_create_response(&peer->hs, &resp, idx) != 0 ||
	    tun_cookie_add_macs(&peer->cookie, (uint8_t *)&resp, sizeof(resp), now) != 0 ||
	    tun_peer_begin_session(peer, now) != 0) {
		tun__index_del(dev, idx);
		peer->hs.local_index = 0;
		tun_noise_handshake_clear(&peer->hs);
		return;
	}
	if (tun__send_to(dev, (const uint8_t *)&resp, sizeof(resp), &peer->endpoint) == 0) {
		tun_timers_any_authenticated_packet_sent(peer);
		tun_timers_any_authenticated_packet_traversal(peer);
	}
}

static void on_response(struct tun_device *dev, const uint8_t *msg, size_t len,
			const struct sockaddr_in6 *from, uint64_t now)
{
	if (!macs_ok(dev, msg, len, from, now))
		return;
	uint32_t idx = tun_msg_receiver_index(msg, TUN_MSG_RESPONSE);
	struct tun_index_entry *e = tun__index_find(dev, idx);
	if (!e || e->is_keypair)
		return;
	struct tun_peer *peer = e->peer;
	if (peer->hs.state != TUN_HS_CREATED_INITIATION || peer->hs.local_index != idx)
		return;
	if (tun_noise_consume_response(&peer->hs, msg, len) != 0)
		return;
	if (tun_peer_begin_session(peer, now) != 0)
		return;
	tun_peer_set_endpoint(peer, (const struct sockaddr *)from);
	tun_timers_handshake_complete(peer);
	tun_timers_any_authenticated_packet_received(peer);
	tun_timers_any_authenticated_packet_traversal(peer);
	/* Confirm the session to the responder: staged data, or a keepalive. */
	if (peer->staged_count > 0)
		tun_peer_send_staged(peer);
	else
		tun_send_keepalive(peer);
}

static void on_cookie(struct tun_device *dev, const uint8_t *msg, size_t len, uint64_t now)
{
	struct tun_index_entry *e = tun__index_find(dev, tun_msg_receiver_index(msg, TUN_MSG_COOKIE));
	if (!e)
		return;
	if (tun_cookie_consume_reply(&e->peer->cookie, msg, len, now) == 0)
		dev->stats.cookies_received++;
}

/* Length of the IP packet at p (the plaintext may carry padding), 0 if not IP. */
static size_t ip_len(const uint8_t *p, size_t n)
{
	if (n >= 20 && (p[0] >> 4) == 4) {
		size_t l = ((size_t)p[2] << 8) | p[3];
		return (l >= 20 && l <= n) ? l : 0;
	}
	if (n >= 40 && (p[0] >> 4) == 6) {
		size_t l = 40 + (((size_t)p[4] << 8) | p[5]);
		return l <= n ? l : 0;
	}
	return 0;
}

static void on_data(struct tun_device *dev, uint8_t *msg, size_t len,
		    const struct sockaddr_in6 *from, uint64_t now)
{
	struct tun_index_entry *e = tun__index_find(dev, tun_msg_receiver_index(msg, TUN_MSG_DATA));
	if (!e || !e->is_keypair) {
		dev->stats.rx_no_key++;
		return;
	}
	struct tun_peer *peer = e->peer;
	struct tun_noise_keypair *kp = e->kp;
	if (!tun__kp_usable(kp, now)) {
		dev->stats.rx_no_key++;
		return;
	}
	size_t plain = 0;
	int rc = tun_noise_decrypt(kp, msg, len, now, &plain, NULL);
	if (rc) {
		if (rc == SP_EREPLAY)
			dev->stats.rx_replay++;
		else
			dev->stats.rx_auth_fail++;
		return;
	}
	if (kp == peer->next) {
		tun_peer_received_with_keypair(peer, kp);
		tun_timers_handshake_complete(peer);
		tun_peer_send_staged(peer);
	}
	tun_peer_set_endpoint(peer, (const struct sockaddr *)from);
	peer->rx_bytes += len;
	tun_timers_any_authenticated_packet_received(peer);
	tun_timers_any_authenticated_packet_traversal(peer);
	if (kp == peer->current && tun__kp_should_rekey_recv(kp, now))
		tun_send_initiation(peer, false);
	if (plain == 0)
		return;	/* keepalive */
	uint8_t *pkt = msg + TUN_MSG_DATA_HEADER_LEN;
	size_t l = ip_len(pkt, plain);
	if (l == 0 || tun_aip_lookup_src(&dev->aip, pkt, l) != peer) {
		dev->stats.rx_auth_fail++;
		return;
	}
	tun__rx_deliver(dev, pkt, l);
	tun_timers_data_received(peer);
}

static bool is_stun(const uint8_t *b, size_t len)
{
	return len >= 20 && (b[0] & 0xc0) == 0 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xa4 &&
	       b[7] == 0x42;
}

static void demux(struct tun_device *dev, uint8_t *buf, size_t len,
		  const struct sockaddr_in6 *from, socklen_t fromlen, uint64_t now)
{
	switch (tun_msg_classify(buf, len)) {
	case TUN_MSG_INITIATION:
		on_initiation(dev, buf, len, from, now);
		return;
	case TUN_MSG_RESPONSE:
		on_response(dev, buf, len, from, now);
		return;
	case TUN_MSG_COOKIE:
		on_cookie(dev, buf, len, now);
		return;
	case TUN_MSG_DATA:
		on_data(dev, buf, len, from, now);
		return;
	default:
		break;
	}
	dev->stats.demuxed++;
	if (dev->hook)
		dev->hook(dev->hook_arg, buf, len, (const struct sockaddr *)from, fromlen);
	else
		sp_debug("tunnel: dropping a %zu-byte %s datagram (no handler yet)", len,
			 is_stun(buf, len) ? "STUN" : "non-WireGuard");
}

/* Turn a v4-mapped source back into a plain IPv4 address. */
static void unmap(struct sockaddr_in6 *sa, socklen_t *len)
{
	if (sa->sin6_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr))
		return;
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = sa->sin6_port };
	memcpy(&s4.sin_addr, &sa->sin6_addr.s6_addr[12], 4);
	memset(sa, 0, sizeof(*sa));
	memcpy(sa, &s4, sizeof(s4));
	*len = sizeof(s4);
}

void tun__udp_readable(struct tun_device *dev)
{
	struct mmsghdr msgs[TUN_BATCH];
	struct iovec iov[TUN_BATCH];
	struct sockaddr_in6 names[TUN_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl[TUN_BATCH];
	/* Bounded: a few batches per wakeup, then let the loop serve the TUN side. */
	for (int round = 0; round < 4; round++) {
		for (unsigned i = 0; i < TUN_BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = dev->rx_bufs + (size_t)i * dev->rx_buf_size,
						 .iov_len = dev->rx_buf_size };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &names[i],
							   .msg_namelen = sizeof(names[i]),
							   .msg_iov = &iov[i], .msg_iovlen = 1,
							   .msg_control = ctl[i].buf,
							   .msg_controllen = sizeof(ctl[i].buf) };
			msgs[i].msg_len = 0;
		}
		int n = recvmmsg(dev->udp_fd, msgs, TUN_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t now = tun_now();
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			socklen_t fl = msgs[i].msg_hdr.msg_namelen;
			unmap(&names[i], &fl);
			/* A GRO read holds datagrams of gso_size bytes (the last may be shorter). */
			size_t len = msgs[i].msg_len, seg = len;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
				int g;
				if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
				    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
					memcpy(&g, CMSG_DATA(c), sizeof(g));
					if (g > 0)
						seg = (size_t)g;
				}
			}
			uint8_t *base = iov[i].iov_base;
			for (size_t off = 0; off < len; off += seg) {
				size_t n1 = len - off < seg ? len - off : seg;
				demux(dev, base + off, n1, &names[i], fl, now);
				if (dev->closing)
					return;
			}
		}
		tun__rx_flush(dev);
		if (n < TUN_BATCH)
			return;
	}
}

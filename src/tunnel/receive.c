/*
 * receive.c - the receive path: the WireGuard datagrams the node's transport
 * hands over (in batches, each with the local address it arrived on, see
 * core/transport.h; the transport checked the type and exact length), and
 * those that came through a relay path (tun_path_input).  Data is decrypted
 * in place and written to the TUN device, coalesced until the batch ends.
 * Loop code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"

/* The address bytes the cookie is bound to: IP address then port, network order. */
static size_t src_bytes(const union sp_endpoint *sa, uint8_t out[TUN_COOKIE_SRC_MAX])
{
	if (sa->sa.sa_family == AF_INET) {
		memcpy(out, &sa->in4.sin_addr, 4);
		memcpy(out + 4, &sa->in4.sin_port, 2);
		return 6;
	}
	memcpy(out, &sa->in6.sin6_addr, 16);
	memcpy(out + 16, &sa->in6.sin6_port, 2);
	return 18;
}

static void send_cookie_reply(struct tun_device *dev, const uint8_t *msg, size_t len,
			      const struct tun_rx *rx, const uint8_t *src, size_t src_len,
			      uint64_t now)
{
	struct tun_msg_cookie reply;
	if (tun_cookie_create_reply(&dev->checker, &reply, msg, len, src, src_len, now) != 0)
		return;
	if (tun__send_reply(dev, rx, (const uint8_t *)&reply, sizeof(reply)) == 0)
		dev->stats.cookies_sent++;
}

/* A peer's message authenticated: roaming moves its direct path there (not for relayed ones). */
static void roam(struct tun_peer *peer, const struct tun_rx *rx)
{
	if (!rx->via)
		tun_peer_set_direct(peer, rx->src, rx->local);
}

/* Check the MACs; under load, answer without a valid mac2 by a cookie reply.  true: go on. */
static bool macs_ok(struct tun_device *dev, const uint8_t *msg, size_t len,
		    const struct tun_rx *from, uint64_t now)
{
	uint8_t src[TUN_COOKIE_SRC_MAX];
	size_t sl = src_bytes(from->src, src);
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
	if (under_load && !tun_ratelimiter_allow(&dev->rl, &from->src->sa, now)) {
		dev->stats.hs_ratelimited++;
		return false;
	}
	return true;
}

static void on_initiation(struct tun_device *dev, const uint8_t *msg, size_t len,
			  const struct tun_rx *from, uint64_t now)
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
	roam(peer, from);
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
	/* The response goes back the way the initiation came (direct: from the address it came to). */
	struct tun_path *back = from->via ? from->via : &peer->direct;
	if (tun_path_send(dev, back, (const uint8_t *)&resp, sizeof(resp)) == 0) {
		tun_timers_any_authenticated_packet_sent(peer);
		tun_timers_any_authenticated_packet_traversal(peer);
	}
}

static void on_response(struct tun_device *dev, const uint8_t *msg, size_t len,
			const struct tun_rx *from, uint64_t now)
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
	roam(peer, from);
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
		    const struct tun_rx *from, uint64_t now)
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
	roam(peer, from);
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

void tun__rx_datagram(struct tun_device *dev, const struct tun_rx *rx, uint8_t *buf, size_t len,
		      uint64_t now)
{
	switch (tun_msg_classify(buf, len)) {
	case TUN_MSG_INITIATION:
		on_initiation(dev, buf, len, rx, now);
		return;
	case TUN_MSG_RESPONSE:
		on_response(dev, buf, len, rx, now);
		return;
	case TUN_MSG_COOKIE:
		on_cookie(dev, buf, len, now);
		return;
	case TUN_MSG_DATA:
		on_data(dev, buf, len, rx, now);
		return;
	default:
		return;	/* relayed bytes that are no WireGuard message */
	}
}

void tun__recv(void *arg, struct sp_dgram *d)
{
	struct tun_device *dev = arg;
	struct tun_rx rx = { .src = d->src, .local = d->local, .via = NULL };
	tun__rx_datagram(dev, &rx, d->buf, d->len, d->now);
}

void tun__recv_batch_end(void *arg)
{
	tun__rx_flush(arg);
}

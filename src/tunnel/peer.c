/*
 * peer.c - peers of the tunnel device: lifetime, keypair rotation, endpoint,
 * staged packets.  Loop code.  Who may add, change and remove a peer is
 * peers.c (the owners); this file is the mechanism.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"

int tun_peer_new(struct tun_device *dev, const uint8_t public_key[TUN_KEY_LEN],
		 const uint8_t *psk, struct tun_peer **out)
{
	if (dev->n_peers >= TUN_MAX_PEERS)
		return SP_ELIMIT;
	struct tun_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dev = dev;
	memcpy(p->public_key, public_key, TUN_KEY_LEN);
	int rc = tun_noise_handshake_init(&p->hs, &dev->st, public_key, psk);
	if (rc == 0)
		rc = tun_cookie_maker_init(&p->cookie, public_key);
	if (rc == 0)
		rc = tun_timers_init(p);
	if (rc) {
		tun_noise_handshake_deinit(&p->hs);
		tun_cookie_maker_deinit(&p->cookie);
		free(p);
		return rc;
	}
	p->next_peer = dev->peers;
	if (dev->peers)
		dev->peers->prev_peer = p;
	dev->peers = p;
	dev->n_peers++;
	dev->open_handles++;	/* released when the peer's memory goes */
	*out = p;
	return 0;
}

struct tun_peer *tun_peer_find(struct tun_device *dev, const uint8_t public_key[TUN_KEY_LEN])
{
	for (struct tun_peer *p = dev->peers; p; p = p->next_peer)
		if (sodium_memcmp(p->public_key, public_key, TUN_KEY_LEN) == 0)
			return p;
	return NULL;
}

static void drop_keypair(struct tun_peer *peer, struct tun_noise_keypair **slot)
{
	struct tun_noise_keypair *kp = *slot;
	if (!kp)
		return;
	tun__index_del(peer->dev, kp->local_index);
	tun_noise_keypair_wipe(kp);
	kp->local_index = 0;
	*slot = NULL;
}

void tun_peer_zero_keys(struct tun_peer *peer)
{
	/* No keys, no session: a peer that was up goes down (SP_EV_PEER_DOWN). */
	tun__peer_session_down(peer);
	drop_keypair(peer, &peer->current);
	drop_keypair(peer, &peer->previous);
	drop_keypair(peer, &peer->next);
	tun__index_del(peer->dev, peer->hs.local_index);
	tun_noise_handshake_clear(&peer->hs);
	peer->hs.local_index = 0;
}

static void on_peer_handle_closed(uv_handle_t *h)
{
	struct tun_peer *p = h->data;
	if (--p->open_handles > 0)
		return;
	struct tun_device *dev = p->dev;
	sodium_memzero(p->slots, sizeof(p->slots));
	free(p->staged);
	sodium_memzero(p, sizeof(*p));
	free(p);
	if (--dev->open_handles == 0 && dev->on_closed)
		dev->on_closed(dev);
}

void tun_peer_remove(struct tun_peer *peer)
{
	if (peer->dead)
		return;
	struct tun_device *dev = peer->dev;
	peer->dead = true;
	if (peer->prev_peer)
		peer->prev_peer->next_peer = peer->next_peer;
	else
		dev->peers = peer->next_peer;
	if (peer->next_peer)
		peer->next_peer->prev_peer = peer->prev_peer;
	dev->n_peers--;
	tun__peer_routes_reset(peer);	/* before its allowed IPs go: they name the routes */
	tun_aip_remove_peer(&dev->aip, peer);
	tun_peer_zero_keys(peer);
	tun_noise_handshake_deinit(&peer->hs);
	tun_cookie_maker_deinit(&peer->cookie);
	tun_peer_purge_staged(peer);
	peer->path = NULL;	/* a relay path is its owner's */
	tun_timers_close(peer, on_peer_handle_closed);
}

static struct tun_noise_keypair *free_slot(struct tun_peer *peer)
{
	for (int i = 0; i < 3; i++) {
		struct tun_noise_keypair *k = &peer->slots[i];
		if (k != peer->current && k != peer->previous && k != peer->next)
			return k;
	}
	return NULL;
}

int tun_peer_begin_session(struct tun_peer *peer, uint64_t now)
{
	struct tun_device *dev = peer->dev;
	bool initiator = peer->hs.state == TUN_HS_CONSUMED_RESPONSE;
	/* Make room first: the slot that is dropped by the rotation takes the new keys. */
	if (initiator) {
		drop_keypair(peer, &peer->previous);
		if (peer->next) {
			peer->previous = peer->next;
			peer->next = NULL;
			drop_keypair(peer, &peer->current);
		}
	} else {
		drop_keypair(peer, &peer->next);
		drop_keypair(peer, &peer->previous);
	}
	struct tun_noise_keypair *kp = free_slot(peer);
	uint32_t index = peer->hs.local_index;
	int rc = tun_noise_begin_session(&peer->hs, kp, now);
	if (rc) {
		tun__index_del(dev, index);
		return rc;
	}
	tun__index_set_keypair(dev, kp->local_index, kp);
	if (initiator) {
		if (peer->current)
			peer->previous = peer->current;
		peer->current = kp;
	} else {
		peer->next = kp;
	}
	clock_gettime(CLOCK_REALTIME, &peer->last_handshake);
	dev->stats.hs_done++;
	tun_timers_session_derived(peer);
	return 0;
}

void tun_peer_received_with_keypair(struct tun_peer *peer, struct tun_noise_keypair *kp)
{
	if (kp != peer->next)
		return;
	/* The initiator confirmed the responder's new session: it becomes current. */
	drop_keypair(peer, &peer->previous);
	peer->previous = peer->current;
	peer->current = kp;
	peer->next = NULL;
}

void tun_peer_set_endpoint(struct tun_peer *peer, const struct sockaddr *sa)
{
	union sp_endpoint ep;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	/* dual-stack sources come v4-mapped: sp_endpoint keeps IPv4 peers as IPv4 */
	if (sp_endpoint_from_sa(&ep, sa, len) != 0)
		return;
	tun_peer_set_direct(peer, &ep, NULL);
}

void tun_peer_stage(struct tun_peer *peer, const uint8_t *pkt, size_t len)
{
	size_t cap = peer->dev->buf_size;
	/* the packet sits after the data header, with room for padding and tag */
	if (len + TUN_MSG_DATA_OVERHEAD + TUN_MESSAGE_PADDING_MULTIPLE > cap || len > UINT16_MAX)
		return;
	if (!peer->staged) {
		peer->staged = malloc(cap * TUN_STAGED_MAX);
		if (!peer->staged)
			return;
	}
	if (peer->staged_count == TUN_STAGED_MAX) {
		/* full: drop the oldest */
		peer->staged_head = (peer->staged_head + 1) % TUN_STAGED_MAX;
		peer->staged_count--;
		peer->dev->stats.tx_dropped++;
	}
	unsigned i = (peer->staged_head + peer->staged_count) % TUN_STAGED_MAX;
	memcpy(peer->staged + (size_t)i * cap + TUN_MSG_DATA_HEADER_LEN, pkt, len);
	peer->staged_len[i] = (uint16_t)len;
	peer->staged_count++;
}

void tun_peer_purge_staged(struct tun_peer *peer)
{
	peer->staged_head = peer->staged_count = 0;
}

/*
 * peer.h - one WireGuard peer of the tunnel device (loop code).
 *
 * A peer holds its handshake, up to three keypairs (WireGuard's current,
 * previous and next), its paths (path.h: the direct one follows the latest
 * authenticated packet, roaming; another plane may prefer a relay), its timers (timers.c) and a small bounded queue of
 * packets staged while no session exists.  Peers live on the device's list
 * and are freed in two phases: tun_peer_remove() unlinks and closes the
 * timers; the memory goes when the last close callback ran.
 */
#ifndef TUN_PEER_H
#define TUN_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "core/service.h"
#include "tunnel/cookie.h"
#include "tunnel/noise.h"
#include "tunnel/path.h"
#include "tunnel/uapi.h"

struct tun_device;

/* Packets kept while a handshake is under way (WireGuard keeps 128). */
#define TUN_STAGED_MAX 128

enum { TUN_PEER_TIMERS = 5 };

struct tun_peer {
	struct tun_device *dev;
	struct tun_peer *prev_peer, *next_peer;	/* device list */
	uint8_t public_key[TUN_KEY_LEN];
	struct tun_noise_handshake hs;
	struct tun_cookie_maker cookie;
	struct tun_noise_keypair slots[3];	/* storage for the three below */
	struct tun_noise_keypair *current, *previous, *next;
	struct tun_path direct;			/* dst.sa.sa_family 0: no address known */
	struct tun_path *path;			/* preferred (another plane's); NULL: direct */
	uint16_t keepalive;			/* persistent keepalive, seconds; 0 off */
	uint64_t rx_bytes, tx_bytes;
	struct timespec last_handshake;		/* wall clock; 0 = never */
	uint64_t last_initiation_sent;		/* ns monotonic; 0 = never */
	unsigned handshake_attempts;
	bool need_another_keepalive;
	enum sp_owner owner;			/* who made it (peers.h: the rules) */
	bool up;				/* has a session: PEER_UP sent, not yet DOWN */
	bool dead;				/* unlinked, closing */
	unsigned open_handles;
	/* timers.c */
	uv_timer_t t_retransmit, t_keepalive, t_new_handshake, t_zero_keys, t_persistent;
	/* staged packets: a ring of TUN_STAGED_MAX buffers, allocated on first use */
	uint8_t *staged;
	uint16_t staged_len[TUN_STAGED_MAX];
	unsigned staged_head, staged_count;
};

/*
 * A new peer with this public key, on the device's list (no endpoint, no
 * allowed IPs).  Returns 0, SP_ELIMIT past the peer limit, -ENOMEM.
 */
int tun_peer_new(struct tun_device *dev, const uint8_t public_key[TUN_KEY_LEN],
		 const uint8_t *psk, struct tun_peer **out) SP_MUST_CHECK;
/* Unlink the peer, drop its indices, allowed IPs and keys; free when its timers closed. */
void tun_peer_remove(struct tun_peer *peer);
/* The peer with this public key, or NULL. */
struct tun_peer *tun_peer_find(struct tun_device *dev, const uint8_t public_key[TUN_KEY_LEN]);

/* Wipe every keypair and the handshake in progress, dropping their indices. */
void tun_peer_zero_keys(struct tun_peer *peer);
/* Install a new session keypair from the peer's completed handshake (rotation per WireGuard). */
int tun_peer_begin_session(struct tun_peer *peer, uint64_t now) SP_MUST_CHECK;
/* A data message arrived on kp: make a confirmed `next` keypair current. */
void tun_peer_received_with_keypair(struct tun_peer *peer, struct tun_noise_keypair *kp);
/* Set the direct path's address, with no known source (UAPI, config; roaming: path.h). */
void tun_peer_set_endpoint(struct tun_peer *peer, const struct sockaddr *sa);

/* Queue a plaintext IP packet until a session exists (oldest dropped when full). */
void tun_peer_stage(struct tun_peer *peer, const uint8_t *pkt, size_t len);
/* Send every staged packet if a usable keypair exists. */
void tun_peer_send_staged(struct tun_peer *peer);
/* Drop the staged packets. */
void tun_peer_purge_staged(struct tun_peer *peer);

/* send.c: start a handshake (rate-limited to one per rekey-timeout unless retry). */
void tun_send_initiation(struct tun_peer *peer, bool is_retry);
/* send.c: an empty data message (keepalive) on the current keypair, if any. */
void tun_send_keepalive(struct tun_peer *peer);

/* timers.c: start the peer's timer handles (0 or a libuv error). */
int tun_timers_init(struct tun_peer *peer) SP_MUST_CHECK;
/* timers.c: stop and close them; close_cb runs once per handle. */
void tun_timers_close(struct tun_peer *peer, uv_close_cb close_cb);
/* Timer hooks, named for the event that calls them (as WireGuard's timers.c). */
void tun_timers_data_sent(struct tun_peer *peer);
void tun_timers_data_received(struct tun_peer *peer);
void tun_timers_any_authenticated_packet_sent(struct tun_peer *peer);
void tun_timers_any_authenticated_packet_received(struct tun_peer *peer);
void tun_timers_handshake_initiated(struct tun_peer *peer);
void tun_timers_handshake_complete(struct tun_peer *peer);
void tun_timers_session_derived(struct tun_peer *peer);
void tun_timers_any_authenticated_packet_traversal(struct tun_peer *peer);

#endif

/*
 * device.h - the tunnel device: the loop side of the WireGuard data plane.
 *
 * One struct tun_device per node: the TUN fd (uv_poll; IFF_VNET_HDR with TSO
 * reads and coalesced GSO writes, gro.c), the peers and their paths
 * (path.h), the table of local indices (handshake or keypair), the cookie
 * checker and the load detector, the UAPI socket server.  The device owns no
 * socket: it is the WireGuard handler of the node's transport
 * (core/transport.h), which hands it WireGuard datagrams in batches (with
 * the local address each arrived on) and sends its batches as GSO trains.
 * Everything runs on the loop thread.
 */
#ifndef TUN_DEVICE_H
#define TUN_DEVICE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/interval.h"
#include "core/transport.h"
#include "core/keystore.h"
#include "tunnel/allowedips.h"
#include "tunnel/cookie.h"
#include "tunnel/noise.h"
#include "tunnel/path.h"
#include "tunnel/pending.h"
#include "tunnel/peer.h"
#include "tunnel/ratelimiter.h"

/* Most peers on one device (each takes up to four indices). */
#define TUN_MAX_PEERS 1024
/* Index table slots: a power of two, at least twice 4 * TUN_MAX_PEERS. */
#define TUN_INDEX_SLOTS 8192
/* Datagrams or TUN packets handled per batch. */
#define TUN_BATCH 64
/*
 * Handshake messages per second above which the device counts as under load
 * and answers initiations without a valid mac2 with cookie replies
 * (WireGuard uses a queue depth; a rate is what a single loop thread sees).
 */
#define TUN_LOAD_HANDSHAKES_PER_SEC 100

struct tun_index_entry {
	uint32_t index;			/* 0: empty slot */
	bool is_keypair;
	struct tun_peer *peer;
	struct tun_noise_keypair *kp;	/* when is_keypair */
};

/* Counters shown by `signpost status` (tests read them). */
struct tun_stats {
	uint64_t rx_replay;		/* data messages dropped as replays */
	uint64_t rx_auth_fail;		/* data messages that did not authenticate */
	uint64_t rx_no_key;		/* data messages for an unknown index */
	uint64_t hs_replay;		/* initiations dropped as replays (or floods) */
	uint64_t hs_bad_mac;		/* handshake messages with a bad mac1 */
	uint64_t hs_done;		/* handshakes completed */
	uint64_t hs_retries;		/* initiations retransmitted (t_retransmit) */
	uint64_t hs_ratelimited;	/* handshake messages over a source's rate under load */
	uint64_t cookies_sent;		/* cookie replies sent under load */
	uint64_t cookies_received;
	uint64_t tx_dropped;		/* packets dropped on send, or to an address no peer
					   can hold (the others wait: pend, "pending-*") */
};

struct tun_device {
	uv_loop_t *loop;
	struct sp_keys *keys;		/* the node's key custody (not owned): st's DH */
	struct tun_noise_static st;
	struct tun_cookie_checker checker;
	struct tun_aip aip;
	struct tun_peer *peers;		/* list head */
	size_t n_peers;
	struct tun_index_entry *index;	/* TUN_INDEX_SLOTS */
	/* TUN */
	char ifname[IFNAMSIZ];
	int tun_fd;
	uv_poll_t tun_poll;
	bool tun_poll_on;
	size_t mtu;
	/* UDP: the node's transport (not owned), and where the device's events go */
	struct sp_transport *transport;
	struct sp_node *node;		/* NULL: no events (tests) */
	uint16_t listen_port;		/* the transport's port as of the last set (UAPI get) */
	bool vnet_hdr;			/* TUN opened with IFF_VNET_HDR (gro.c) */
	uint8_t *tso_buf;		/* TUN_TSO_MAX: one read, maybe a TCP super-packet */
	/* receive coalescing (gro.c): the packet being built, up to 64 KiB */
	uint8_t *gro_buf;
	size_t gro_len, gro_segs, gro_iphl, gro_hl, gro_mss;
	uint32_t gro_next_seq;
	bool gro_last_short, gro_psh;
	/* send batch buffers, TUN_BATCH of buf_size each (the transport has the receive ones) */
	size_t buf_size;
	uint8_t *tx_bufs;
	/* load detection */
	uint64_t load_window_start;	/* ns */
	unsigned load_count, load_prev;
	uint64_t under_load_until;	/* ns */
	struct tun_ratelimiter rl;	/* per-source handshake rate, applied under load */
	struct tun_stats stats;
	/* packets to no peer, waiting for one (nopeer.c; slots allocated on first use) */
	struct tun_pend pend;
	/* UAPI server (uapi_server.c) */
	struct tun_uapi_server *uapi;
	struct tun_peers *svc;		/* peers.h: the peer service (events); may be NULL */
	/* Called when the last handle closed (device may then be freed). */
	void (*on_closed)(struct tun_device *dev);
	unsigned open_handles;
	bool closing;
};

/* Named intervals (timers.c); shortened by tests with SIGNPOST_INTERVALS. */
extern struct sp_interval tun_iv_rekey_after, tun_iv_reject_after, tun_iv_rekey_attempt,
	tun_iv_rekey_timeout, tun_iv_keepalive, tun_iv_zero_keys;
/* nopeer.c: how long a packet waits for a peer, and the SP_EV_NO_PEER pace per destination. */
extern struct sp_interval tun_iv_pending_expiry, tun_iv_no_peer_event;
#define TUN_N_INTERVALS 8
extern struct sp_interval *const tun_intervals[TUN_N_INTERVALS];

/* Monotonic time in ns, as the pure protocol code takes it. */
uint64_t tun_now(void);

/*
 * Set the device up: identity from key custody (keys, kept by pointer: the
 * handshake asks it for every static DH; the device never holds the private
 * key), TUN interface `ifname` with `mtu` (opened, not yet configured with
 * addresses), and the device registered as the WireGuard handler of
 * transport (the caller's, which must outlive the device).  Returns 0 or an
 * error; on error the caller runs tun_device_close() if dev->open_handles,
 * else frees dev.
 */
int tun_device_init(struct tun_device *dev, uv_loop_t *loop, struct sp_keys *keys,
		    const char *ifname, size_t mtu, struct sp_transport *transport) SP_MUST_CHECK;
/*
 * Begin asynchronous teardown (the device leaves the transport at once);
 * dev->on_closed(dev) runs when every handle closed.
 */
void tun_device_close(struct tun_device *dev);

/* Rebind the transport to another port (0: pick); it emits SP_EV_PORT_CHANGED. */
int tun_device_set_listen_port(struct tun_device *dev, uint16_t port) SP_MUST_CHECK;

/* Index table: allocate a fresh random local index for peer (kp NULL: handshake). */
uint32_t tun__index_add(struct tun_device *dev, struct tun_peer *peer,
			struct tun_noise_keypair *kp);
/* Point an existing index at a keypair (handshake -> session). */
void tun__index_set_keypair(struct tun_device *dev, uint32_t index, struct tun_noise_keypair *kp);
/* Drop an index (0 is ignored). */
void tun__index_del(struct tun_device *dev, uint32_t index);
/* Find an index, NULL if unknown. */
struct tun_index_entry *tun__index_find(struct tun_device *dev, uint32_t index);

/* Is the device under load (answer initiations with cookies)?  Counts one handshake message. */
bool tun__under_load(struct tun_device *dev, uint64_t now);

/* Where a received datagram came from. */
struct tun_rx {
	const union sp_endpoint *src;	/* the sender (the relay, for relayed datagrams) */
	const struct sp_local *local;	/* our address it arrived on */
	struct tun_path *via;		/* NULL: directly from the network */
};

/* send.c: a reply to the datagram rx describes, along the way it came; 0 or -errno. */
int tun__send_reply(struct tun_device *dev, const struct tun_rx *rx, const uint8_t *buf,
		    size_t len);
/* send.c: the TUN fd is readable: read, encrypt and send a batch. */
void tun__tun_readable(struct tun_device *dev);
/* receive.c: the transport's WireGuard handler and its end of batch (TUN flush). */
void tun__recv(void *dev, struct sp_dgram *d);
void tun__recv_batch_end(void *dev);
/* receive.c: handle one WireGuard datagram (classified, exact length) from rx. */
void tun__rx_datagram(struct tun_device *dev, const struct tun_rx *rx, uint8_t *buf, size_t len,
		      uint64_t now);
/* Does our keypair need a rekey or is it unusable?  (intervals, not only protocol constants) */
bool tun__kp_usable(const struct tun_noise_keypair *kp, uint64_t now);
bool tun__kp_should_rekey_send(const struct tun_noise_keypair *kp, uint64_t now);
bool tun__kp_should_rekey_recv(const struct tun_noise_keypair *kp, uint64_t now);

/* Largest read from the TUN device with offloads (a 64 KiB TCP super-packet). */
#define TUN_TSO_MAX 65536
/*
 * nopeer.c: a packet from the TUN device that no peer's allowed IPs hold:
 * kept in dev->pend (SP_EV_NO_PEER to the node, paced), or counted in
 * tx_dropped when its destination can never have a peer (multicast, ...).
 */
void tun__no_peer(struct tun_device *dev, const uint8_t *pkt, size_t len, uint64_t now);
/* nopeer.c: give waiting packets to the peers that now hold their destinations (peers.c). */
void tun__pending_release(struct tun_device *dev);
/* nopeer.c: drop the waiting packets that are too old (before status shows the counters). */
void tun__pending_expire(struct tun_device *dev);

/* gro.c: headers of a TCP super-packet to segment; false if it is not one we cut. */
bool tun__tso_shape(const uint8_t *pkt, size_t len, size_t *iphl, size_t *hl);
/* gro.c: build segment i of a super-packet into out; its length, 0 past the end. */
size_t tun__tso_build(const uint8_t *pkt, size_t len, size_t iphl, size_t hl, size_t mss,
		      unsigned i, uint8_t *out);
/* gro.c: fill in a checksum the kernel left partial (NEEDS_CSUM); 0 or -EINVAL. */
int tun__csum_complete(uint8_t *pkt, size_t len, size_t start, size_t offset);
/* gro.c: one IP packet into the TUN device (with an empty virtio header if needed). */
int tun__tun_write(struct tun_device *dev, const uint8_t *pkt, size_t len);
/* gro.c: deliver a received, authenticated IP packet: merged with the previous if it can be. */
void tun__rx_deliver(struct tun_device *dev, const uint8_t *pkt, size_t len);
/* gro.c: write the packet being built, if any (end of a receive batch). */
void tun__rx_flush(struct tun_device *dev);

/*
 * uapi_apply.c: the reply to a UAPI get (*out: heap text with the private key
 * in it, for the caller to wipe and free), and a set request applied (0 or
 * the negative errno of its errno= line).
 */
int tun__uapi_get(struct tun_device *dev, char **out, size_t *len) SP_MUST_CHECK;
int tun__uapi_set(struct tun_device *dev, const char *text, size_t len) SP_MUST_CHECK;

/* uapi_server.c: listen on /var/run/wireguard/IFNAME.sock. */
int tun_uapi_server_start(struct tun_device *dev) SP_MUST_CHECK;
/* Close the listener and connections, remove the socket file. */
void tun_uapi_server_stop(struct tun_device *dev);

#endif

/*
 * path.h - the ways a tunnel peer's datagrams can take (loop code).
 *
 * A peer sends through a path, never to a bare address:
 *   - its DIRECT path: the peer's address and the sticky local source, the
 *     address of ours its latest authenticated datagram arrived on (roaming
 *     updates both, as WireGuard updates its endpoint);
 *   - RELAY paths, made by another plane (later: through a signpost): the
 *     plane gives a send function, and hands the datagrams that come back
 *     through the relay to tun_path_input().
 * Which path is PREFERRED (carries data and new handshakes) is decided by
 * another plane with tun_peer_set_path(); by default it is the direct path.
 * A reply to a handshake message (response, cookie reply) goes back along
 * the path the message came on.  SP_EV_PATH_CHANGED is emitted when the
 * preferred path changes, or the direct path's address does.  Nothing of
 * the WireGuard protocol changes: a relay carries the same datagrams.
 *
 * The path lives in the tunnel, not core: it is a tunnel peer's notion (it
 * feeds the WireGuard receive path and is chosen per peer); the transport
 * underneath knows only addresses.
 */
#ifndef TUN_PATH_H
#define TUN_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/transport.h"

struct tun_device;
struct tun_peer;
struct tun_path;

enum tun_path_kind {
	TUN_PATH_DIRECT = 0,
	TUN_PATH_RELAY,		/* through a relay: the owner's send, its framing's overhead */
	TUN_PATH_SOCKET,	/* direct, but on another plane's socket (the owner's send):
				 * the many-probes technique's winning socket */
};

/*
 * A relay path's send: one WireGuard datagram to the peer; 0 or a negative
 * error.  If the path has a flush function, send may hold the datagram until
 * flush runs: the tunnel calls it after each datagram it sends alone and at
 * the end of each send batch (so a batch of relayed datagrams can leave in
 * one system call, as a direct path's do).
 */
typedef int (*tun_path_send_fn)(void *arg, struct tun_path *path, const uint8_t *buf,
				size_t len);
typedef void (*tun_path_flush_fn)(void *arg, struct tun_path *path);

struct tun_path {
	enum tun_path_kind kind;
	union sp_endpoint dst;		/* direct, socket: the peer; relay: the relay */
	struct sp_local src;		/* direct: sticky source (family 0: the kernel picks) */
	tun_path_send_fn send;		/* relay only */
	tun_path_flush_fn flush;	/* relay only, may be NULL: send does not hold datagrams */
	void *arg;			/* relay only: the owner's */
	/*
	 * Relay only: bytes the relay adds around each datagram.  While the path
	 * is preferred, the peer's host routes get the interface's MTU less this,
	 * so that its datagrams are not IP-fragmented on the way to the relay.
	 */
	uint16_t overhead;
};

/* A relay path through relay (a signpost) with the owner's send and flush (may be NULL). */
void tun_path_init_relay(struct tun_path *path, const union sp_endpoint *relay,
			 tun_path_send_fn send, tun_path_flush_fn flush, void *arg);
/* A direct path to peer that the owner sends on its own socket (no flush). */
void tun_path_init_socket(struct tun_path *path, const union sp_endpoint *peer,
			  tun_path_send_fn send, void *arg);

/* Does the path have somewhere to send (a direct path with an address, or a relay)? */
bool tun_path_usable(const struct tun_path *path);

/*
 * Send one datagram along path: the transport for a direct path, the owner's
 * send and then its flush for a relay.
 */
int tun_path_send(struct tun_device *dev, struct tun_path *path, const uint8_t *buf, size_t len)
	SP_MUST_CHECK;
/* send.c's batches: the owner's send alone (its flush comes at the batch's end). */
int tun__path_hold(struct tun_path *path, const uint8_t *buf, size_t len) SP_MUST_CHECK;

/*
 * A WireGuard datagram that arrived through the relay path `path`: handled
 * as if it came from the network (buf is decrypted in place), except that
 * roaming does not move the direct path to it.  now: tun_now().  Its packet
 * may wait in the receive coalescing (gro.c) until tun_path_input_flush(),
 * which the caller runs at the end of its batch of datagrams.
 */
void tun_path_input(struct tun_device *dev, struct tun_path *path, uint8_t *buf, size_t len,
		    uint64_t now);
void tun_path_input_flush(struct tun_device *dev);

/* The path the peer's data takes: the preferred one, or the direct one. */
struct tun_path *tun_peer_path(struct tun_peer *peer);
/*
 * Prefer path (NULL: the direct path) for the peer's data and handshakes.
 * The path stays owned by the caller, who sets NULL again before freeing
 * it (and before the peer is removed, tun_peer_remove forgets it too).
 */
void tun_peer_set_path(struct tun_peer *peer, struct tun_path *path);
/* peers.c, allowed IPs added: a relayed peer's new host routes get the relay's MTU. */
void tun__peer_routes_apply(struct tun_peer *peer);
/* peer.c, removing a peer: drop the MTU its relay path gave its host routes. */
void tun__peer_routes_reset(struct tun_peer *peer);
/*
 * Set the direct path to dst (roaming, UAPI, configuration).  src is the
 * local address it came to (NULL: none known, the kernel picks).
 */
void tun_peer_set_direct(struct tun_peer *peer, const union sp_endpoint *dst,
			 const struct sp_local *src);

#endif

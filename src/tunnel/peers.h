/*
 * peers.h - the tunnel's peers as a service for the other planes
 * (SP_SVC_PEERS, loop code).
 *
 * Every peer has an OWNER (enum sp_owner, core/service.h): the part of the
 * node that made it.  A [peer] section makes config peers, the stock `wg`
 * tool (UAPI) makes uapi peers, later planes make control or nat peers.
 * The rules, one place for all of them:
 *
 *   - A reload (SIGHUP) adds, changes and removes only config peers; a peer
 *     of any other owner keeps its keys, session and settings.
 *   - Configuration takes over: a [peer] section for a key that a run-time
 *     owner made turns that peer into a config peer (its session is kept);
 *     when the section goes, so does the peer.
 *   - The UAPI is the administrator's tool: `wg set` may change or remove any
 *     peer; changing one keeps its owner (a config peer it changed gets the
 *     file's values back on the next reload).  `replace_peers` (wg setconf)
 *     removes the config and uapi peers only, not a run-time plane's.
 *   - Any other owner (control, nat, test) changes and removes only its own
 *     peers: another owner's peer gives -EBUSY.
 *
 * Events (sp_event_emit, delivered on a later loop turn): SP_EV_PEER_UP when
 * a peer without a session completes a handshake (its session is up; later
 * rekeys do not repeat it), SP_EV_PEER_DOWN when such a peer's keys are
 * wiped (no new session within 3 * reject-after, tunnel.zero-keys) or the
 * peer is removed.  They come in pairs: DOWN only after UP.
 */
#ifndef TUN_PEERS_H
#define TUN_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/endpoint.h"
#include "core/service.h"
#include "tunnel/messages.h"

struct sp_node;
struct tun_device;
struct tun_peer;

/* The service handle: embedded in the tunnel plane, one per device. */
struct tun_peers {
	struct tun_device *dev;
	struct sp_node *node;	/* events go here; NULL (unit tests): no events */
	bool provided;		/* registered as SP_SVC_PEERS */
};

/* One allowed-IPs change: addr holds 4 (AF_INET) or 16 (AF_INET6) bytes. */
struct tun_peer_aip {
	uint8_t addr[16];
	uint8_t family;
	uint8_t cidr;
	bool remove;		/* remove this prefix instead of adding it */
};

/* Which fields of a tun_peer_spec to apply (others are left as they are). */
enum {
	TUN_PEER_SET_PSK = 1 << 0,		/* psk (all zero: none) */
	TUN_PEER_SET_ENDPOINT = 1 << 1,		/* endpoint */
	TUN_PEER_SET_KEEPALIVE = 1 << 2,	/* keepalive */
	TUN_PEER_REPLACE_AIPS = 1 << 3,		/* drop every allowed IP before aips[] */
	TUN_PEER_UPDATE_ONLY = 1 << 4,		/* do not create the peer */
};

/* A peer to add or update. */
struct tun_peer_spec {
	uint8_t public_key[TUN_KEY_LEN];
	uint32_t flags;				/* TUN_PEER_* */
	uint8_t psk[TUN_KEY_LEN];		/* secret */
	union sp_endpoint endpoint;
	uint16_t keepalive;			/* persistent keepalive, seconds; 0 off */
	const struct tun_peer_aip *aips;	/* applied in order */
	size_t n_aips;
};

/*
 * Set up the handle for dev; with a node, provide it as SP_SVC_PEERS and
 * emit events there.  0, or -EEXIST when another handle is provided.
 */
int tun_peers_init(struct tun_peers *ps, struct tun_device *dev, struct sp_node *node)
	SP_MUST_CHECK;
/* Withdraw the service and stop events (before the device closes). */
void tun_peers_deinit(struct tun_peers *ps);
/* The node's peer service, NULL when the tunnel is off. */
struct tun_peers *tun_peers_get(const struct sp_node *node);

/*
 * Add the peer spec->public_key for owner, or update it (the owner rules
 * above).  A changed peer keeps its handshake and sessions; a new one starts
 * with none.  *out (may be NULL) gets the peer, NULL when UPDATE_ONLY found
 * none.  Packets from the TUN device that wait for an address the peer now
 * holds (nopeer.c, any owner's peer) go to it, as if just sent (staged
 * until its handshake completes).  Returns 0; -EINVAL for our own key or a bad owner; -EBUSY for
 * another owner's peer; SP_ELIMIT past TUN_MAX_PEERS; -ENOMEM.  An
 * allowed-IPs entry that fails is skipped, the others applied, and the first
 * error returned (the other fields are applied anyway).
 */
int tun_peers_set(struct tun_peers *ps, enum sp_owner owner, const struct tun_peer_spec *spec,
		  struct tun_peer **out) SP_MUST_CHECK;
/* Remove a peer (owner rules above).  0, SP_ENOTFOUND, -EBUSY. */
int tun_peers_remove(struct tun_peers *ps, enum sp_owner owner,
		     const uint8_t public_key[TUN_KEY_LEN]) SP_MUST_CHECK;
/* Remove every peer that `wg setconf` replaces: the config and uapi ones. */
void tun_peers_remove_replaceable(struct tun_peers *ps);

/*
 * The peer whose allowed IPs hold this overlay address (longest prefix), so
 * its public key names who is on the other end of a connection; NULL for
 * none.  An IPv4-mapped address (::ffff:a.b.c.d) is looked up as IPv4.
 */
const struct tun_peer *tun_whois(const struct tun_peers *ps, const uint8_t overlay_addr[16]);
/* The peer with this key, or NULL. */
const struct tun_peer *tun_peers_find(const struct tun_peers *ps,
				      const uint8_t public_key[TUN_KEY_LEN]);
/* Peers of one owner (SP_OWNER_MAX: all of them). */
size_t tun_peers_count(const struct tun_peers *ps, enum sp_owner owner);

/* What a peer is, for other planes (they do not read struct tun_peer). */
const uint8_t *tun_peer_public_key(const struct tun_peer *p);
enum sp_owner tun_peer_owner(const struct tun_peer *p);
/* Has it a session (between PEER_UP and PEER_DOWN)? */
bool tun_peer_is_up(const struct tun_peer *p);

/* timers.c / peer.c: a handshake completed, or the keys were wiped (events). */
void tun__peer_session_up(struct tun_peer *p);
void tun__peer_session_down(struct tun_peer *p);

#endif

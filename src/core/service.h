/*
 * service.h - typed services and events between planes (loop code).
 *
 * Planes never read each other's state or call each other's loop code.
 * Instead a plane PROVIDES a service, an object behind an ops table declared
 * in the provider's public header, and other planes LOOK IT UP by its id:
 *
 *   SP_SVC_KEYS       struct sp_keys        (core/keys.h)     the node's key custody
 *   SP_SVC_TRANSPORT  struct sp_transport   (core/transport.h) the node's UDP socket(s)
 *   SP_SVC_PEERS      struct tun_peers      (tunnel/peers.h)   tunnel peers of other planes
 *   SP_SVC_ZONE       struct dns_zone_svc   (dns/zone_svc.h)   the authoritative zone
 *   SP_SVC_RESOLVER   struct dns_resolver   (dns/resolver.h)   validated lookups, friend zones
 *   SP_SVC_NAT        struct nat            (nat/nat.h)        public addresses, STUN queries
 *
 * Each header has a typed lookup, e.g. sp_keys_get(node).  A service exists
 * from its provider's start() until its stop(); a consumer looks it up when
 * it needs it (or in its own start(), for planes started later) and must
 * cope with NULL (the providing plane is disabled).
 *
 * EVENTS are small fixed-size notifications (peer up/down, path changed,
 * zone changed, port changed).  sp_event_emit() copies the event into a
 * bounded queue; subscribers run on a later loop iteration, never inside the
 * emitter's stack, so no plane re-enters another.  A full queue drops the
 * event and counts it (status shows "events-dropped").
 */
#ifndef SP_SERVICE_H
#define SP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "error.h"

struct sp_node;

enum sp_service_id {
	SP_SVC_KEYS,
	SP_SVC_TRANSPORT,
	SP_SVC_PEERS,
	SP_SVC_ZONE,
	SP_SVC_RESOLVER,
	SP_SVC_NAT,
	SP_SVC_MAX
};

/* Provide a service (obj stays owned by the provider).  -EEXIST if provided already. */
int sp_service_provide(struct sp_node *node, enum sp_service_id id, void *obj) SP_MUST_CHECK;
/* Withdraw it (the provider's stop()).  Only the object that was provided is removed. */
void sp_service_withdraw(struct sp_node *node, enum sp_service_id id, void *obj);
/* The provided object, or NULL. */
void *sp_service_get(const struct sp_node *node, enum sp_service_id id);

enum sp_event_type {
	SP_EV_PEER_UP,		/* a tunnel peer completed a handshake (peer) */
	SP_EV_PEER_DOWN,	/* a peer's session ended or the peer was removed (peer) */
	SP_EV_PATH_CHANGED,	/* a peer's preferred or direct path changed (peer, path) */
	SP_EV_ZONE_CHANGED,	/* the zone got a new serial (zone) */
	SP_EV_PORT_CHANGED,	/* the transport's UDP port changed (port) */
	SP_EV_NAME_ANSWERED,	/* the stub answered a validated AAAA of own/friend zone (name) */
	SP_EV_NO_PEER,		/* a TUN packet to an address no peer holds waits (addr) */
	SP_EV_CANDIDATES_CHANGED, /* the NAT plane's candidates changed (nat_candidates) */
	SP_EV_MAX
};

/* Owner of a tunnel peer: which part of the node made it. */
enum sp_owner {
	SP_OWNER_CONFIG = 0,	/* a [peer] section; a reload changes only these */
	SP_OWNER_UAPI,		/* the `wg` tool */
	SP_OWNER_CONTROL,	/* the control plane (run-time peers) */
	SP_OWNER_NAT,
	SP_OWNER_TEST,		/* tests */
	SP_OWNER_MAX
};

struct sp_event {
	enum sp_event_type type;
	union {
		struct {
			uint8_t public_key[32];	/* the peer's WireGuard key */
			enum sp_owner owner;
			union sp_endpoint path;	/* PATH_CHANGED: where packets go now */
			bool relayed;		/* PATH_CHANGED: through a relay */
		} peer;
		struct {
			uint32_t serial;
		} zone;
		struct {
			uint16_t old_port, new_port;
		} port;
		struct {
			char fqdn[256];		/* the AAAA's owner, lower case, final dot */
			uint8_t addr[16];	/* its first address */
		} name;
		struct {
			uint8_t addr[16];	/* IPv6, or IPv4 v4-mapped */
		} addr;
	} u;
};

typedef void (*sp_event_fn)(void *arg, const struct sp_event *ev);

/* Most subscriptions per node, and events waiting for delivery. */
#define SP_EVENT_SUBS_MAX 32
#define SP_EVENT_QUEUE_MAX 256

/* Subscribe fn to one event type.  Returns a subscription id > 0, or an error. */
int sp_event_subscribe(struct sp_node *node, enum sp_event_type type, sp_event_fn fn,
		       void *arg) SP_MUST_CHECK;
/* Drop a subscription (its callbacks do not run afterwards, even for queued events). */
void sp_event_unsubscribe(struct sp_node *node, int id);
/* Queue an event for every subscriber of its type. */
void sp_event_emit(struct sp_node *node, const struct sp_event *ev);

const char *sp_event_name(enum sp_event_type type);
const char *sp_owner_name(enum sp_owner owner);

/* node.c: set up and tear down (the delivery timer). */
int sp__services_init(struct sp_node *node) SP_MUST_CHECK;
void sp__services_close(struct sp_node *node);

#endif

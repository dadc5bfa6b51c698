/*
 * dns.h - the DNS planes as seen by the node.
 *
 * dns_auth_plane (role = signpost): the authoritative server of [node] zone
 * (server.h) with online signing (zone.h), UPDATE, transfers and NOTIFY,
 * the control command "zone" (add, del, show), and the zone as a service
 * (zone_svc.h, SP_SVC_ZONE) with SP_EV_ZONE_CHANGED on every new serial.
 * dns_stub_plane (role = device): the local validating stub resolver
 * (stub.h); in both roles it provides validated lookups and run-time friend
 * zones to other planes (resolver.h, SP_SVC_RESOLVER), on a signpost with no
 * listener.  The auth plane does nothing outside its role; [dns] enabled =
 * no starts neither.  They share the pure message layer and nothing of each other's.
 */
#ifndef DNS_H
#define DNS_H

#include "core/node.h"

/*
 * The planes' operations for signpostd, in this order (auth first: the
 * reference lists its [dns] options first).  Not const: the interval lists
 * are gathered at program start from the planes' parts.
 */
extern struct sp_plane dns_auth_plane;
extern struct sp_plane dns_stub_plane;

#endif

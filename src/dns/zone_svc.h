/*
 * zone_svc.h - the authoritative zone as a node service (SP_SVC_ZONE).
 *
 * The authoritative DNS plane (dns_auth_plane.c) provides it from start()
 * until stop() on a signpost with [dns] enabled; other planes (enrollment
 * will publish a device's AAAA and KEY) look it up with dns_zone_svc_get()
 * and never touch the plane's state.  Every change goes through the same
 * atomic changeset path as `signpost zone add/del` and UPDATE: signed at
 * once, one serial bump, journalled for IXFR, NOTIFY to the secondaries,
 * written back to the zone file (zone-sync), and SP_EV_ZONE_CHANGED emitted
 * with the new serial (service.h).  Names are absolute ldns dnames.
 *
 * Loop code: call on the loop thread, like everything of the node.
 */
#ifndef DNS_ZONE_SVC_H
#define DNS_ZONE_SVC_H

#include <stdint.h>
#include <ldns/ldns.h>

#include "core/error.h"

struct sp_node;
struct dns_changeset;

/* What the provider implements; ctx is its own state. */
struct dns_zone_svc_ops {
	uint32_t (*serial)(void *ctx);
	const ldns_rdf *(*origin)(void *ctx);
	int (*lookup)(void *ctx, const ldns_rdf *owner, ldns_rr_type type, ldns_rr_list **out);
	int (*each_type)(void *ctx, ldns_rr_type type, ldns_rr_list **out);
	int (*apply)(void *ctx, const struct dns_changeset *cs, uint32_t *serial);
};

struct dns_zone_svc {
	const struct dns_zone_svc_ops *ops;
	void *ctx;
};

/* The node's zone service, or NULL (a device, or [dns] enabled = no). */
struct dns_zone_svc *dns_zone_svc_get(const struct sp_node *node);

/* The current SOA serial. */
uint32_t dns_zone_svc_serial(const struct dns_zone_svc *zs);
/* The zone's origin (borrowed, valid while the service is provided). */
const ldns_rdf *dns_zone_svc_origin(const struct dns_zone_svc *zs);

/*
 * The unsigned records at owner of type (ANY, 255: every type) as a deep
 * copy in *out (caller frees; out may be NULL to test existence).  0, or
 * SP_ENOTFOUND when there is none.
 */
int dns_zone_svc_lookup(const struct dns_zone_svc *zs, const ldns_rdf *owner, ldns_rr_type type,
			ldns_rr_list **out) SP_MUST_CHECK;

/*
 * Every unsigned record of type (not ANY) anywhere in the zone, apex
 * included, in canonical order of the owners, as a deep copy in *out
 * (caller frees; out may be NULL to test existence).  0, SP_ENOTFOUND when
 * there is none, -ENOMEM.  The signpost lists its devices this way: one
 * KEY record (flags 512, protocol 3, algorithm 15) per device name.
 */
int dns_zone_svc_each_type(const struct dns_zone_svc *zs, ldns_rr_type type, ldns_rr_list **out)
	SP_MUST_CHECK;

/*
 * Apply a changeset all or nothing (zone.h: dns_zone_apply's rules and
 * refusals).  *serial (if not NULL) gets the serial afterwards; an
 * effectless changeset leaves it alone.  cs stays the caller's.
 */
int dns_zone_svc_apply(const struct dns_zone_svc *zs, const struct dns_changeset *cs,
		       uint32_t *serial) SP_MUST_CHECK;
/* Add one record (rr is taken, also on failure). */
int dns_zone_svc_add(const struct dns_zone_svc *zs, ldns_rr *rr, uint32_t *serial) SP_MUST_CHECK;
/* Delete the RRset owner/type, or every RRset at owner for ANY (255) or 0. */
int dns_zone_svc_del(const struct dns_zone_svc *zs, const ldns_rdf *owner, ldns_rr_type type,
		     uint32_t *serial) SP_MUST_CHECK;

#endif

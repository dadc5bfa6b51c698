/*
 * plane.h - the DNS plane's state, shared by dns_plane.c and ctl_zone.c
 * (internal to src/dns).
 */
#ifndef DNS_PLANE_H
#define DNS_PLANE_H

#include <stdbool.h>
#include <uv.h>

#include "core/node.h"
#include "dns/acl.h"
#include "dns/tsig.h"

struct dns_zone;
struct dns_server;
struct dns_notify;
struct dns_stub;

struct dns_plane_state {
	struct sp_node *node;
	bool device;			/* role = device: only the stub runs */
	bool enabled;
	/* role = signpost */
	struct dns_zone *zone;
	struct dns_server *server;
	struct dns_notify *notify;
	struct dns_acl acl;
	struct dns_tsig_key tsig;	/* secret: wiped at stop */
	struct dns_tsig_replay *replay;	/* signed requests seen (tsig.replay points here) */
	bool have_tsig;
	uv_timer_t maintain;
	uv_timer_t sync;		/* writes run-time changes back to zone-file */
	char *zone_file;		/* [dns] zone-file, when zone-sync is on */
	bool dirty;			/* changes not yet written back */
	unsigned closing;		/* async closes still to run before the free */
	uint64_t updates, xfrs;
	/* role = device */
	struct dns_stub *stub;
};

/* Write the zone's unsigned content to path atomically.  0 or an error (logged). */
int dns__zone_write(const struct dns_zone *z, const char *path) SP_MUST_CHECK;

/* Register the "zone" control command (ctl_zone.c) for a signpost. */
int dns__ctl_zone_register(struct dns_plane_state *p) SP_MUST_CHECK;

#endif

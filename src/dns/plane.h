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
	bool have_tsig;
	uv_timer_t maintain;
	unsigned closing;		/* async closes still to run before the free */
	uint64_t updates, xfrs;
	/* role = device */
	struct dns_stub *stub;
};

/* Register the "zone" control command (ctl_zone.c) for a signpost. */
int dns__ctl_zone_register(struct dns_plane_state *p) SP_MUST_CHECK;

#endif

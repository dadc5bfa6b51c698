/*
 * stub.h - the device role's local stub resolver (loop code).
 *
 * A UDP and TCP listener on [dns] stub-listen:stub-port.  Names in the node's
 * own zone and in every [friend] zone are asked of that zone's signpost
 * directly (DO set), validated with the zone's trust anchor (validate.h),
 * and answered with AD only when they validated; a bogus answer becomes
 * SERVFAIL.  Every other name is forwarded unchanged to [dns] upstream
 * (default: the nameservers of /etc/resolv.conf) and the reply relayed
 * without AD.  SERVFAILs carry an RFC 8914 Extended DNS Error saying why.
 *
 * The stub plane (dns_stub_plane.c) calls these for role = device, and
 * for role = signpost without the listeners: there the stub only answers
 * other planes' lookups (resolver.h).
 */
#ifndef DNS_STUB_H
#define DNS_STUB_H

#include <stdbool.h>

#include "core/config.h"
#include "core/node.h"

struct dns_stub;

/* Check the device-side DNS options (anchors parse, zones match).  No side effects. */
int dns_stub_check(const struct sp_config *cfg) SP_MUST_CHECK;

/*
 * Start on node->loop and provide SP_SVC_RESOLVER (resolver.h); with listen,
 * bind the listeners and serve clients too (role device).  Without it (role
 * signpost) no socket is opened but the queries' own.  *out owns everything.
 */
int dns_stub_start(struct sp_node *node, bool listen, struct dns_stub **out) SP_MUST_CHECK;

/*
 * Reload in two phases (struct sp_plane): prepare() reads cfg into *pending
 * without changing what runs, and refuses (file:line, SP_ECONFIG) a new
 * stub-listen/stub-port, which needs a restart; commit() switches zones,
 * anchors and upstreams whole (the key cache is dropped) and cannot fail;
 * abort() drops *pending.
 */
int dns_stub_prepare(struct dns_stub *stub, const struct sp_config *cfg, void **pending)
	SP_MUST_CHECK;
void dns_stub_commit(struct dns_stub *stub, void *pending);
void dns_stub_abort(struct dns_stub *stub, void *pending);

/* Begin asynchronous teardown; memory is freed when the last handle closes.  NULL is fine. */
void dns_stub_stop(struct dns_stub *stub);

/* Add "stub-*" keys (listen address, zones, counters) to the status section. */
void dns_stub_status(struct dns_stub *stub, struct sp_status *st);

/* Timers of the stub, for the plane's struct sp_plane.intervals. */
extern struct sp_interval *const dns_stub_intervals[];
extern const size_t dns_stub_n_intervals;

#endif

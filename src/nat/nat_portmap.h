/*
 * nat_portmap.h - port mapping on the default gateway (loop code): PCP
 * (RFC 6887), then NAT-PMP (RFC 6886), then UPnP IGD (miniupnpc), for the
 * node's UDP port, to the same external port when the gateway allows it.
 *
 * A mapping is renewed at half its lifetime and deleted on stop.  The result
 * goes to on_mapped(arg, mapped endpoint or NULL when lost, protocol name:
 * "pcp", "nat-pmp" or "upnp"), always from the loop thread.
 */
#ifndef NAT_NAT_PORTMAP_H
#define NAT_NAT_PORTMAP_H

#include <stdint.h>
#include <uv.h>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/interval.h"

struct sp_status;
struct nat_portmap;

typedef void (*nat_portmap_fn)(void *arg, const union sp_endpoint *mapped, const char *protocol);

/* Which protocols to try ([nat] port-mapping: yes/auto = all, in the order above). */
enum nat_portmap_mode {
	NAT_PM_ANY,
	NAT_PM_PCP,
	NAT_PM_NATPMP,
	NAT_PM_UPNP,
};

/* The intervals (tests shorten them through SIGNPOST_INTERVALS or directly). */
extern struct sp_interval nat_iv_portmap_lifetime, nat_iv_pcp_rto, nat_iv_natpmp_rto,
	nat_iv_portmap_retry;

/* "pcp", "nat-pmp", "upnp", "yes"/"auto" (NAT_PM_ANY).  0 or -EINVAL. */
int nat_portmap_mode_parse(const char *text, enum nat_portmap_mode *out) SP_MUST_CHECK;

/*
 * Start mapping UDP port `port` of this host.  gateway: the PCP/NAT-PMP
 * server (NULL: the default IPv4 gateway from /proc/net/route).  The object
 * lives until nat_portmap_stop.  0, -ENOMEM, -ENETUNREACH (no default
 * gateway and a mode that needs one), or a libuv error as -errno.
 */
int nat_portmap_start(uv_loop_t *loop, uint16_t port, enum nat_portmap_mode mode,
		      const union sp_endpoint *gateway, nat_portmap_fn on_mapped, void *arg,
		      struct nat_portmap **out) SP_MUST_CHECK;

/*
 * Stop: on_mapped is never called again; a mapping is deleted on the
 * gateway (bounded: a few retransmissions over about a second for
 * PCP/NAT-PMP, miniupnpc's own socket timeouts for UPnP) and the object
 * frees itself when its handles closed and its worker returned, so the loop
 * runs dry on its own.  NULL is accepted.
 */
void nat_portmap_stop(struct nat_portmap *pm);

/*
 * One line for netcheck: what port mapping found, in words, e.g. "pcp: mapped
 * 100.64.0.2:41641 (7140 s left)", "trying nat-pmp", "none found (pcp, nat-pmp,
 * upnp tried; last: ...)", or "off ([nat] port-mapping = no)" for pm NULL.
 */
void nat_portmap_describe(const struct nat_portmap *pm, char *buf, size_t len);

/* Status lines: port-mapping-state, -protocol, -external, -lifetime-left, -renewals, -failures. */
void nat_portmap_status(const struct nat_portmap *pm, struct sp_status *st);

#endif

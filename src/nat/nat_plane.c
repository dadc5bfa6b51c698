/*
 * nat_plane.c - the NAT plane (loop code): the node's public addresses
 * (candidates), the STUN server and client (nat_stun.c) on the node's one
 * UDP socket, and later port mapping.
 *
 * The socket: the tunnel (started before us) owns it on a device.  A
 * signpost without TUN has none yet when we start, so the plane opens it on
 * [tunnel] listen-port (the node's one UDP port, whichever plane opens it)
 * and provides it as SP_SVC_TRANSPORT; the control plane, started after us,
 * then uses that one (it opens its own only when there is none).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/reply.h"
#include "nat/nat_int.h"
#include "nat/nat_schema.h"

extern struct sp_interval nat_iv_stun_rto, nat_iv_stun_refresh;
static struct sp_interval *const nat_intervals[] = { &nat_iv_stun_rto, &nat_iv_stun_refresh,
	&nat_iv_portmap_lifetime, &nat_iv_pcp_rto, &nat_iv_natpmp_rto, &nat_iv_portmap_retry };

struct nat *nat_get(const struct sp_node *node)
{
	return sp_service_get(node, SP_SVC_NAT);
}

size_t nat_candidates(struct nat *nat, union sp_endpoint *out, size_t max)
{
	size_t n = 0;
	/* A mapped endpoint first: the gateway forwards to it whoever sends. */
	if (nat && nat->mapped.sa.sa_family != 0 && n < max)
		out[n++] = nat->mapped;
	for (size_t i = 0; nat && i < nat->n_cand && n < max; i++)
		if (!sp_endpoint_equal(&nat->cand[i].ep, &nat->mapped))
			out[n++] = nat->cand[i].ep;
	return n;
}

void nat__candidate_set(struct nat *nat, const union sp_endpoint *old,
			const union sp_endpoint *ep, uint64_t now)
{
	size_t i;
	for (i = 0; i < nat->n_cand; i++)
		if (sp_endpoint_equal(&nat->cand[i].ep, ep))
			break;
	bool changed = false;
	if (i < nat->n_cand) {
		nat->cand[i].seen_ns = now;	/* confirmed again */
	} else {
		/* Replace the old address of this source, else add, else replace the stalest. */
		for (i = 0; old && i < nat->n_cand; i++)
			if (sp_endpoint_equal(&nat->cand[i].ep, old))
				break;
		if (!old || i == nat->n_cand) {
			if (nat->n_cand < NAT_CANDIDATES_MAX) {
				i = nat->n_cand++;
			} else {
				i = 0;
				for (size_t j = 1; j < nat->n_cand; j++)
					if (nat->cand[j].seen_ns < nat->cand[i].seen_ns)
						i = j;
			}
		}
		nat->cand[i].ep = *ep;
		nat->cand[i].seen_ns = now;
		changed = true;
	}
	/* Most recently confirmed first. */
	while (i > 0 && nat->cand[i].seen_ns > nat->cand[i - 1].seen_ns) {
		__typeof__(nat->cand[0]) t = nat->cand[i];
		nat->cand[i] = nat->cand[i - 1];
		nat->cand[i - 1] = t;
		i--;
	}
	if (changed) {
		char s[SP_ENDPOINT_STRLEN];
		sp_notice("nat: public address %s", sp_endpoint_format(ep, s));
		struct sp_event ev = { .type = SP_EV_CANDIDATES_CHANGED };
		sp_event_emit(nat->node, &ev);
	}
}

void nat__on_mapped(void *arg, const union sp_endpoint *mapped, const char *protocol)
{
	struct nat *nat = arg;
	char s[SP_ENDPOINT_STRLEN];
	bool had = nat->mapped.sa.sa_family != 0;
	if (mapped && had && sp_endpoint_equal(mapped, &nat->mapped))
		return;
	if (mapped)
		nat->mapped = *mapped;
	else
		memset(&nat->mapped, 0, sizeof(nat->mapped));
	snprintf(nat->mapped_by, sizeof(nat->mapped_by), "%s", protocol ? protocol : "");
	if (mapped)
		sp_notice("nat: port mapping %s by %s", sp_endpoint_format(mapped, s),
			  protocol ? protocol : "?");
	else if (had)
		sp_notice("nat: port mapping lost (%s)", protocol ? protocol : "?");
	struct sp_event ev = { .type = SP_EV_CANDIDATES_CHANGED };
	sp_event_emit(nat->node, &ev);
}

static int nat_check(const struct sp_config *cfg)
{
	const struct sp_config_section *c = sp_config_get(cfg, "nat");
	const union sp_endpoint *other = sp_cfg_endpoint(c, "stun-other-address");
	if (other && other->sa.sa_family != AF_INET && other->sa.sa_family != AF_INET6) {
		sp_config_error(cfg, c, "stun-other-address", "needs an IPv4 or IPv6 address");
		return SP_ECONFIG;
	}
	return 0;
}

/*
 * A reload may not change [nat]: the sockets, the server and the servers
 * asked are set up at start.  Refused with the option's file:line.
 */
static int nat_prepare(void *state, const struct sp_config *cfg, void **pending)
{
	struct nat *nat = state;
	static const char *const opts[] = { "enabled", "stun-server", "stun-servers",
					    "stun-other-address", "port-mapping" };
	const struct sp_config_section *a = sp_config_get(nat->node->cfg, "nat");
	const struct sp_config_section *b = sp_config_get(cfg, "nat");
	*pending = NULL;
	int rc = 0;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *x = sp_cfg_str(a, opts[i]), *y = sp_cfg_str(b, opts[i]);
		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0)) {
			sp_config_error(cfg, b, opts[i],
					"cannot change while running; restart signpostd to change it");
			rc = SP_ECONFIG;
		}
	}
	return rc;
}

static void nat_commit(void *state, void *pending)
{
}

static void nat_abort(void *state, void *pending)
{
}

static void nat_release(struct nat *nat)
{
	if (nat->provided)
		sp_service_withdraw(nat->node, SP_SVC_NAT, nat);
	nat->provided = false;
	if (nat->transport && nat->own_transport) {
		sp_service_withdraw(nat->node, SP_SVC_TRANSPORT, nat->transport);
		sp_transport_close(nat->transport);
	}
	nat->transport = NULL;
	nat->own_transport = false;
}

/*
 * [nat] port-mapping: auto (yes on a device), yes (every protocol), one of
 * pcp, nat-pmp, upnp, or no.  The node's UDP port is mapped to the same
 * external port if the gateway allows; nat__on_mapped makes it a candidate.
 * A failure to start is not fatal: the node works without a mapping.
 */
static void portmap_start(struct nat *nat)
{
	const char *v = sp_cfg_str(sp_config_get(nat->node->cfg, "nat"), "port-mapping");
	enum nat_portmap_mode mode;
	if (v == NULL || strcmp(v, "no") == 0 || (strcmp(v, "auto") == 0 && nat->is_signpost))
		return;
	if (nat_portmap_mode_parse(v, &mode) != 0)
		return;
	int rc = nat_portmap_start(nat->node->loop, sp_transport_port(nat->transport), mode, NULL,
				   nat__on_mapped, nat, &nat->portmap);
	if (rc)
		sp_warn("nat: port mapping off: %s", sp_strerror(rc));
}

static int nat_start(struct sp_node *node, void **state)
{
	*state = NULL;
	const struct sp_config_section *c = sp_config_get(node->cfg, "nat");
	struct nat *nat = calloc(1, sizeof(*nat));
	if (!nat)
		return -ENOMEM;
	nat->node = node;
	*state = nat;
	const char *role = sp_cfg_str(sp_config_get(node->cfg, "node"), "role");
	nat->is_signpost = role && strcmp(role, "signpost") == 0;
	nat->enabled = sp_cfg_bool(c, "enabled");
	if (!nat->enabled) {
		snprintf(nat->off_reason, sizeof(nat->off_reason), "[nat] enabled = no");
		return 0;
	}
	nat->transport = sp_transport_get(node);
	if (nat->transport == NULL) {
		long long port = sp_cfg_int(sp_config_get(node->cfg, "tunnel"), "listen-port");
		int rc = sp_transport_new(node->loop, node, (uint16_t)port, &nat->transport);
		if (rc) {
			/* Not fatal, as for control: DNS still serves; status says why. */
			sp_err("nat: off: cannot open UDP port %lld: %s", port, sp_strerror(rc));
			snprintf(nat->off_reason, sizeof(nat->off_reason), "UDP port %lld: %s", port,
				 sp_strerror(rc));
			nat->transport = NULL;
			nat->enabled = false;
			return 0;
		}
		nat->own_transport = true;
		rc = sp_service_provide(node, SP_SVC_TRANSPORT, nat->transport);
		if (rc) {
			sp_transport_close(nat->transport);
			nat->transport = NULL;
			nat->own_transport = false;
			return rc;
		}
	}
	int rc = sp_service_provide(node, SP_SVC_NAT, nat);
	if (rc == 0) {
		nat->provided = true;
		rc = nat__stun_start(nat);
	}
	if (rc == 0)
		rc = nat__ctl_start(nat);
	if (rc) {
		sp_err("nat: cannot start: %s", sp_strerror(rc));
		nat__stun_stop(nat);
		nat_release(nat);
		nat->enabled = false;
		snprintf(nat->off_reason, sizeof(nat->off_reason), "%s", sp_strerror(rc));
		return 0;	/* not fatal, as for control: the rest of the node serves */
	}
	sp_notice("nat: UDP port %u%s", sp_transport_port(nat->transport),
		  nat->own_transport ? " (own socket)" : "");
	portmap_start(nat);
	return 0;
}

void nat__handle_closed(uv_handle_t *h)
{
	struct nat *nat = h->data;
	if (--nat->closing == 0 && nat->stopped)
		free(nat);
}

static void nat_stop(void *state)
{
	struct nat *nat = state;
	if (!nat)
		return;
	/* The module deletes the mapping and frees itself; it never calls us again. */
	nat_portmap_stop(nat->portmap);
	nat->portmap = NULL;
	nat__stun_stop(nat);
	nat_release(nat);
	nat->stopped = true;
	if (nat->closing == 0)
		free(nat);
}

static void nat_status(void *state, struct sp_status *st)
{
	struct nat *nat = state;
	if (!nat || !nat->enabled) {
		sp_status_add(st, "state", "off%s%s", nat && nat->off_reason[0] ? ": " : "",
			      nat ? nat->off_reason : "");
		return;
	}
	sp_status_add(st, "state", "up");
	if (nat->own_transport)
		sp_transport_status(nat->transport, st);
	char s[SP_ENDPOINT_STRLEN];
	sp_status_add(st, "public-address", "%s",
		      nat->n_cand ? sp_endpoint_format(&nat->cand[0].ep, s) : "unknown");
	sp_status_add(st, "port-mapping", "%s%s%s",
		      nat->mapped.sa.sa_family ? sp_endpoint_format(&nat->mapped, s) : "none",
		      nat->mapped_by[0] ? " by " : "", nat->mapped.sa.sa_family ? nat->mapped_by : "");
	union sp_endpoint c[NAT_CANDIDATES_MAX + 1];
	sp_status_add(st, "candidates", "%zu", nat_candidates(nat, c, NAT_CANDIDATES_MAX + 1));
	sp_status_add(st, "mapping", "%s", nat_mapping_name(nat_mapping(nat)));
	if (nat->portmap)
		nat_portmap_status(nat->portmap, st);
	nat__stun_status(nat, st);
}

const struct sp_plane nat_plane = {
	.name = "nat",
	.sections = nat_schema,
	.check = nat_check,
	.start = nat_start,
	.prepare = nat_prepare,
	.commit = nat_commit,
	.abort = nat_abort,
	.stop = nat_stop,
	.status = nat_status,
	.intervals = nat_intervals,
	.n_intervals = sizeof(nat_intervals) / sizeof(nat_intervals[0]),
};

/*
 * dns_stub_plane.c - the validating resolver as a struct sp_plane: for role
 * = device the local stub resolver (stub.h) with its listeners; for role =
 * signpost the same resolver without listeners (the authoritative server,
 * dns_auth_plane.c, owns the DNS port), for other planes' lookups of friend
 * zones.  Both provide SP_SVC_RESOLVER (resolver.h).  [dns] enabled = no
 * starts nothing, in either role.  Timers: the stub's, which stub.c describes.
 */
#include "dns/dns.h"
#include "dns/dns_schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/stub.h"

struct dns_stub_plane {
	bool in_role;		/* role = device or signpost */
	bool listen;		/* role = device: the stub's listeners too */
	bool enabled;		/* [dns] enabled (read by both DNS planes) */
	struct dns_stub *stub;	/* NULL unless in role and enabled */
};

static bool role_is_device(const struct sp_config *cfg)
{
	const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
	return role != NULL && strcmp(role, "device") == 0;
}

static bool role_is_signpost(const struct sp_config *cfg)
{
	const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
	return role != NULL && strcmp(role, "signpost") == 0;
}

static bool in_role(const struct sp_config *cfg)
{
	return role_is_device(cfg) || role_is_signpost(cfg);
}

static bool runs(const struct sp_config *cfg)
{
	return in_role(cfg) && sp_cfg_bool(sp_config_get(cfg, "dns"), "enabled");
}

static int stub_plane_check(const struct sp_config *cfg)
{
	return runs(cfg) ? dns_stub_check(cfg) : 0;
}

static int stub_plane_start(struct sp_node *node, void **state)
{
	struct dns_stub_plane *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->in_role = in_role(node->cfg);
	p->listen = role_is_device(node->cfg);
	p->enabled = sp_cfg_bool(sp_config_get(node->cfg, "dns"), "enabled");
	if (p->in_role && p->enabled) {
		int err = dns_stub_start(node, p->listen, &p->stub);
		if (err < 0) {
			free(p);
			return err;
		}
	}
	*state = p;
	return 0;
}

/* Reload: the stub swaps zones, anchors and upstreams whole (stub.h). */
static int stub_plane_prepare(void *state, const struct sp_config *cfg, void **pending)
{
	struct dns_stub_plane *p = state;
	const struct sp_config_section *d = sp_config_get(cfg, "dns");

	*pending = NULL;
	if (p == NULL || !p->in_role)
		return 0;
	if (sp_cfg_bool(d, "enabled") != p->enabled) {
		sp_config_error(cfg, d, "enabled", "cannot change on reload; restart signpostd");
		return SP_ECONFIG;
	}
	if (p->stub == NULL)
		return 0;
	return dns_stub_prepare(p->stub, cfg, pending);
}

static void stub_plane_commit(void *state, void *pending)
{
	struct dns_stub_plane *p = state;

	if (p != NULL && p->stub != NULL && pending != NULL)
		dns_stub_commit(p->stub, pending);
}

static void stub_plane_abort(void *state, void *pending)
{
	struct dns_stub_plane *p = state;

	if (p != NULL && p->stub != NULL && pending != NULL)
		dns_stub_abort(p->stub, pending);
}

static void stub_plane_stop(void *state)
{
	struct dns_stub_plane *p = state;

	if (p == NULL)
		return;
	dns_stub_stop(p->stub);	/* frees itself when its handles have closed */
	free(p);
}

static void stub_plane_status(void *state, struct sp_status *st)
{
	struct dns_stub_plane *p = state;

	if (p != NULL && !p->in_role) {
		sp_status_add(st, "state", "not in this role");
		return;
	}
	if (p == NULL || p->stub == NULL) {
		sp_status_add(st, "state", "off");
		return;
	}
	sp_status_add(st, "state", p->listen ? "stub" : "resolver");
	dns_stub_status(p->stub, st);
}

struct sp_plane dns_stub_plane = {
	.name = "dns-stub", .sections = dns_stub_schema, .check = stub_plane_check,
	.start = stub_plane_start, .prepare = stub_plane_prepare, .commit = stub_plane_commit,
	.abort = stub_plane_abort, .stop = stub_plane_stop, .status = stub_plane_status,
	.intervals = dns_stub_intervals,
};

/* The stub's interval count lives in stub.c: not a constant expression here. */
__attribute__((constructor)) static void dns_stub_plane_intervals(void)
{
	dns_stub_plane.n_intervals = dns_stub_n_intervals;
}

/*
 * nat_schema.c - the NAT plane's section of signpost.conf: [nat].
 * Every option has a default that works: a signpost answers STUN on its UDP
 * port, a device asks its signpost (whose control endpoint is a STUN server
 * too) and tries port mapping toward its gateway.  Pure.
 */
#include <stddef.h>
#include <string.h>

#include "nat/nat_schema.h"

static const char *const auto_yes_no[] = { "auto", "yes", "no", NULL };
/* port-mapping: one protocol may be forced (tests, or a gateway known to speak only one). */
static const char *const portmap_modes[] = { "auto", "yes", "no", "pcp", "nat-pmp", "upnp", NULL };

static const struct sp_opt nat_opts[] = {
	{ "enabled", SP_T_BOOL, "yes", 0, 0, NULL, false,
	  "discover this node's public addresses (STUN, port mapping) and answer STUN" },
	{ "stun-server", SP_T_ENUM, "auto", 0, 0, auto_yes_no, false,
	  "answer STUN binding requests on the node's UDP port (auto: yes on a signpost)" },
	{ "stun-servers", SP_T_ENDPOINTS, NULL, 0, 0, NULL, false,
	  "STUN servers this node asks for its public address (default: a device asks its "
	  "signpost's control endpoint)" },
	{ "stun-other-address", SP_T_IP, NULL, 0, 0, NULL, false,
	  "a second address of this host: STUN answers CHANGE-REQUEST from it (RFC 5780 "
	  "behaviour discovery) and names it in OTHER-ADDRESS" },
	{ "port-mapping", SP_T_ENUM, "auto", 0, 0, portmap_modes, false,
	  "ask the default gateway for a port mapping of the node's UDP port: yes tries PCP, "
	  "NAT-PMP, then UPnP IGD; pcp, nat-pmp or upnp only that one (auto: yes on a device)" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema nat_schema[] = {
	{ "nat", false, "NAT traversal: the public address by STUN, port mapping, a STUN server.",
	  nat_opts },
	{ NULL, false, NULL, NULL },
};

bool nat_schema_flag(const struct sp_config *cfg, const char *option, const char *on_role)
{
	const char *v = sp_cfg_str(sp_config_get(cfg, "nat"), option);
	if (v == NULL || strcmp(v, "auto") == 0) {
		const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
		return role != NULL && strcmp(role, on_role) == 0;
	}
	return strcmp(v, "yes") == 0;
}

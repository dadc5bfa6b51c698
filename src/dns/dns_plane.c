/* dns_plane.c - placeholder: the DNS plane is not built yet. */
#include "dns/dns.h"

static int dns_check(const struct sp_config *cfg) { return 0; }
static int dns_start(struct sp_node *node, void **state) { *state = NULL; return 0; }
static int dns_reload(void *state, const struct sp_config *cfg) { return 0; }
static void dns_stop(void *state) { }
static void dns_status(void *state, struct sp_status *st) { sp_status_add(st, "state", "off"); }

const struct sp_plane dns_plane = {
	.name = "dns", .check = dns_check, .start = dns_start, .reload = dns_reload,
	.stop = dns_stop, .status = dns_status,
};

/* tun_plane.c - placeholder: the tunnel plane is not built yet. */
#include "tunnel/tunnel.h"

static int tun_check(const struct sp_config *cfg) { return 0; }
static int tun_start(struct sp_node *node, void **state) { *state = NULL; return 0; }
static int tun_reload(void *state, const struct sp_config *cfg) { return 0; }
static void tun_stop(void *state) { }
static void tun_status(void *state, struct sp_status *st) { sp_status_add(st, "state", "off"); }

const struct sp_plane tun_plane = {
	.name = "tunnel", .check = tun_check, .start = tun_start, .reload = tun_reload,
	.stop = tun_stop, .status = tun_status,
};

/*
 * tun_schema.c - the tunnel plane's sections of signpost.conf: [tunnel] and
 * [peer].  Composed into the one schema by core (config.h).
 */
#include <stddef.h>

#include "core/config.h"
#include "tunnel/tun_schema.h"

static const struct sp_opt tunnel_opts[] = {
	{ "enabled", SP_T_BOOL, "no", 0, 0, NULL, false, "run the WireGuard data plane" },
	{ "interface", SP_T_STRING, "sp0", 0, 0, NULL, false, "name of the TUN interface" },
	{ "listen-port", SP_T_INT, "51820", 0, 65535, NULL, false,
	  "UDP port of the node's one socket (WireGuard, STUN, control); 0 picks one" },
	{ "mtu", SP_T_INT, "1420", 1280, 9000, NULL, false, "MTU of the TUN interface" },
	/* NULL default: the default depends on the role (tun_plane.c overlay_routes) */
	{ "overlay-route", SP_T_PREFIXES, NULL, 0, 0, NULL, false,
	  "prefixes routed into the TUN interface, so that packets to overlay addresses of "
	  "the own zone and of friends' zones reach the tunnel (and wait there for a peer); "
	  "unset: fd00::/8 in role device, none in role signpost" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt peer_opts[] = {
	{ "public-key", SP_T_KEY, NULL, 0, 0, NULL, true, "the peer's WireGuard (X25519) public key" },
	{ "endpoint", SP_T_ENDPOINT, NULL, 0, 0, NULL, false, "where to send the first handshake" },
	{ "allowed-ips", SP_T_PREFIXES, NULL, 0, 0, NULL, false,
	  "overlay prefixes routed to this peer and accepted from it" },
	{ "persistent-keepalive", SP_T_INT, "0", 0, 65535, NULL, false,
	  "seconds between keepalives to hold NAT mappings open; 0 is off" },
	{ "preshared-key-file", SP_T_PATH, NULL, 0, 0, NULL, false,
	  "optional 32-byte preshared key (base64, 0600)" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema tun_schema[] = {
	{ "tunnel", false, "The WireGuard-protocol data plane.", tunnel_opts },
	{ "peer", true, "A tunnel peer.", peer_opts },
	{ NULL, false, NULL, NULL },
};

/*
 * config_schema.c - every section and option of signpost.conf.
 *
 * This table is the single source of truth: parsing, defaults, --check and
 * the README's configuration reference (`signpostd --config-reference`)
 * all come from it.  Keep help texts to one sentence.
 */
#include <stddef.h>

#include "config.h"

static const char *const roles[] = { "signpost", "device", NULL };
static const char *const levels[] = { "error", "warning", "notice", "info", "debug", NULL };
static const char *const algorithms[] = { "ed25519", "ecdsap256sha256", NULL };

static const struct sp_opt node_opts[] = {
	{ "role", SP_T_ENUM, NULL, 0, 0, roles, true,
	  "signpost: authoritative server of the zone; device: a member of it" },
	{ "zone", SP_T_DNAME, NULL, 0, 0, NULL, true, "the user's zone, e.g. alice.example." },
	{ "name", SP_T_STRING, NULL, 0, 0, NULL, false,
	  "this node's label in the zone (devices: required by `signpost init device`)" },
	{ "key-file", SP_T_PATH, "node.key", 0, 0, NULL, false,
	  "the node's Ed25519 private key (base64, mode 0600)" },
	{ "control-socket", SP_T_PATH, "signpost.sock", 0, 0, NULL, false,
	  "Unix socket for the `signpost` CLI (created mode 0600)" },
	{ "log-level", SP_T_ENUM, "info", 0, 0, levels, false, "least severe level that is logged" },
	{ "syslog", SP_T_BOOL, "no", 0, 0, NULL, false, "also log to syslog (daemon facility)" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt dns_opts[] = {
	{ "enabled", SP_T_BOOL, "yes", 0, 0, NULL, false,
	  "serve the zone (signpost) or run the stub resolver (device)" },
	{ "listen", SP_T_IPLIST, "127.0.0.1", 0, 0, NULL, false,
	  "addresses the authoritative server listens on (UDP and TCP)" },
	{ "port", SP_T_INT, "53", 1, 65535, NULL, false, "port of the authoritative server" },
	{ "zone-file", SP_T_PATH, "zone.db", 0, 0, NULL, false,
	  "master file loaded at start (written by `signpost init signpost`)" },
	{ "zone-sync", SP_T_BOOL, "yes", 0, 0, NULL, false,
	  "write run-time changes back to zone-file (atomically, within a second of a change)" },
	{ "ksk-file", SP_T_PATH, "ksk.key", 0, 0, NULL, false, "key-signing key (private, 0600)" },
	{ "zsk-file", SP_T_PATH, "zsk.key", 0, 0, NULL, false, "zone-signing key (private, 0600)" },
	{ "algorithm", SP_T_ENUM, "ed25519", 0, 0, algorithms, false,
	  "DNSSEC algorithm of keys made by `signpost init` (15 or 13)" },
	{ "tsig-key-file", SP_T_PATH, "tsig.key", 0, 0, NULL, false,
	  "TSIG key in BIND format for UPDATE and transfers (usable by nsupdate -k)" },
	{ "udp-payload", SP_T_INT, "1232", 512, 4096, NULL, false,
	  "largest UDP answer sent to an EDNS client (bytes)" },
	{ "rrl-rate", SP_T_INT, "20", 0, 1000000, NULL, false,
	  "responses per second per source prefix before rate limiting; 0 turns RRL off" },
	{ "rrl-slip", SP_T_INT, "2", 0, 10, NULL, false,
	  "every Nth limited response is sent truncated instead of dropped; 0 drops all" },
	{ "tcp-clients", SP_T_INT, "128", 1, 65536, NULL, false, "most TCP connections at once" },
	{ "tcp-idle-timeout", SP_T_INT, "10", 1, 3600, NULL, false,
	  "seconds before an idle TCP connection is closed" },
	{ "denial-sign-rate", SP_T_INT, "2000", 1, 1000000, NULL, false,
	  "fresh signatures per second for negative answers; excess gets SERVFAIL" },
	{ "stub-listen", SP_T_IP, "127.0.0.1", 0, 0, NULL, false,
	  "address of the device's local stub resolver" },
	{ "stub-port", SP_T_INT, "53", 1, 65535, NULL, false, "port of the local stub resolver" },
	{ "upstream", SP_T_ENDPOINTS, NULL, 0, 0, NULL, false,
	  "resolvers for names outside our zones (default: nameservers of /etc/resolv.conf)" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt secondary_opts[] = {
	{ "address", SP_T_IP, NULL, 0, 0, NULL, true,
	  "secondary server allowed to transfer the zone" },
	{ "port", SP_T_INT, "53", 1, 65535, NULL, false, "port NOTIFY is sent to" },
	{ "notify", SP_T_BOOL, "yes", 0, 0, NULL, false, "send NOTIFY when the zone changes" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt friend_opts[] = {
	{ "zone", SP_T_DNAME, NULL, 0, 0, NULL, true, "the friend's zone" },
	{ "signpost", SP_T_ENDPOINTS, NULL, 0, 0, NULL, true,
	  "address:port of the friend's signpost (its DNS server)" },
	{ "trust-anchor", SP_T_TEXT, NULL, 0, 0, NULL, true,
	  "DS or DNSKEY record of the friend's zone, as printed by `signpost ds`" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt signpost_opts[] = {
	{ "address", SP_T_ENDPOINT, NULL, 0, 0, NULL, false,
	  "the user's signpost (tunnel endpoint) as seen by this device" },
	{ "dns", SP_T_ENDPOINT, NULL, 0, 0, NULL, false, "the signpost's DNS server" },
	{ "public-key", SP_T_KEY, NULL, 0, 0, NULL, false, "the signpost's node public key" },
	{ "trust-anchor", SP_T_TEXT, NULL, 0, 0, NULL, false,
	  "DS or DNSKEY record of the own zone, as printed by `signpost ds`; the stub validates with it" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt tunnel_opts[] = {
	{ "enabled", SP_T_BOOL, "no", 0, 0, NULL, false, "run the WireGuard data plane" },
	{ "interface", SP_T_STRING, "sp0", 0, 0, NULL, false, "name of the TUN interface" },
	{ "listen-port", SP_T_INT, "51820", 0, 65535, NULL, false,
	  "UDP port of the node's one socket (WireGuard, STUN, control); 0 picks one" },
	{ "mtu", SP_T_INT, "1420", 1280, 9000, NULL, false, "MTU of the TUN interface" },
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

const struct sp_section_schema sp_config_schema[] = {
	{ "node", false, "Who this node is.", node_opts },
	{ "dns", false, "The DNS plane: authoritative server, or stub resolver on devices.", dns_opts },
	{ "secondary", true, "A secondary name server that may transfer the zone.", secondary_opts },
	{ "friend", true, "A friend's zone that the stub resolver validates.", friend_opts },
	{ "signpost", false, "The user's signpost, as seen from a device.", signpost_opts },
	{ "tunnel", false, "The WireGuard-protocol data plane.", tunnel_opts },
	{ "peer", true, "A tunnel peer.", peer_opts },
	{ NULL, false, NULL, NULL },
};

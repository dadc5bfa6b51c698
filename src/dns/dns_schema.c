/*
 * dns_schema.c - the DNS planes' sections of signpost.conf: [dns] (shared by
 * the authoritative server and the stub), [secondary], [friend] and
 * [signpost].  Composed into the one schema by core (config.h).
 */
#include <stddef.h>

#include "core/config.h"
#include "dns/dns_schema.h"

static const char *const algorithms[] = { "ed25519", "ecdsap256sha256", NULL };

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

static const struct sp_opt stub_signpost_opts[] = {
	{ "address", SP_T_ENDPOINT, NULL, 0, 0, NULL, false,
	  "the user's signpost (tunnel endpoint) as seen by this device" },
	{ "dns", SP_T_ENDPOINT, NULL, 0, 0, NULL, false, "the signpost's DNS server" },
	{ "public-key", SP_T_KEY, NULL, 0, 0, NULL, false, "the signpost's node public key" },
	{ "trust-anchor", SP_T_TEXT, NULL, 0, 0, NULL, false,
	  "DS or DNSKEY record of the own zone, as printed by `signpost ds`; the stub validates with it" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema dns_schema[] = {
	{ "dns", false, "The DNS plane: authoritative server, or stub resolver on devices.", dns_opts },
	{ "secondary", true, "A secondary name server that may transfer the zone.", secondary_opts },
	{ "friend", true, "A friend's zone that the stub resolver validates.", friend_opts },
	{ "signpost", false, "The user's signpost, as seen from a device.", stub_signpost_opts },
	{ NULL, false, NULL, NULL },
};

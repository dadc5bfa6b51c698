/*
 * auth_schema.c - the authoritative server's sections of signpost.conf:
 * its options of [dns] (with `enabled`, which the stub plane reads too)
 * and [secondary].  The stub's options of [dns] follow these in the same
 * section (stub_schema.c); core composes both into the one schema
 * (config.h), so the order here is the order of the reference.
 */
#include <stddef.h>

#include "core/config.h"
#include "dns/dns_schema.h"

static const char *const algorithms[] = { "ed25519", "ecdsap256sha256", NULL };

static const struct sp_opt auth_dns_opts[] = {
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
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

static const struct sp_opt secondary_opts[] = {
	{ "address", SP_T_IP, NULL, 0, 0, NULL, true,
	  "secondary server allowed to transfer the zone" },
	{ "port", SP_T_INT, "53", 1, 65535, NULL, false, "port NOTIFY is sent to" },
	{ "notify", SP_T_BOOL, "yes", 0, 0, NULL, false, "send NOTIFY when the zone changes" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema dns_auth_schema[] = {
	{ "dns", false, "The DNS plane: authoritative server, or stub resolver on devices.",
	  auth_dns_opts },
	{ "secondary", true, "A secondary name server that may transfer the zone.", secondary_opts },
	{ NULL, false, NULL, NULL },
};

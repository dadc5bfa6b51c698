/*
 * stub_schema.c - the device stub resolver's sections of signpost.conf: its
 * options of [dns] (after the authoritative server's, auth_schema.c),
 * [friend] and [signpost].  Composed into the one schema by core (config.h).
 */
#include <stddef.h>

#include "core/config.h"
#include "dns/dns_schema.h"

static const struct sp_opt stub_dns_opts[] = {
	{ "stub-listen", SP_T_IP, "127.0.0.1", 0, 0, NULL, false,
	  "address of the device's local stub resolver" },
	{ "stub-port", SP_T_INT, "53", 1, 65535, NULL, false, "port of the local stub resolver" },
	{ "upstream", SP_T_ENDPOINTS, NULL, 0, 0, NULL, false,
	  "resolvers for names outside our zones (default: nameservers of /etc/resolv.conf)" },
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

/* The help of [dns] comes from its first declaration (auth_schema.c). */
const struct sp_section_schema dns_stub_schema[] = {
	{ "dns", false, "The DNS plane: authoritative server, or stub resolver on devices.",
	  stub_dns_opts },
	{ "friend", true, "A friend's zone that the stub resolver validates.", friend_opts },
	{ "signpost", false, "The user's signpost, as seen from a device.", stub_signpost_opts },
	{ NULL, false, NULL, NULL },
};

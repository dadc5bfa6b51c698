/*
 * plane.h - the authoritative DNS plane's state and configuration, shared by
 * dns_auth_plane.c, auth_conf.c, zone_svc.c, ctl_zone.c and zone_sync.c
 * (internal to src/dns).
 */
#ifndef DNS_PLANE_H
#define DNS_PLANE_H

#include <stdbool.h>
#include <uv.h>

#include "core/node.h"
#include "dns/acl.h"
#include "dns/dnskey.h"
#include "dns/server.h"
#include "dns/tsig.h"
#include "dns/zone_svc.h"

struct dns_zone;
struct dns_server;
struct dns_notify;
struct dns_changeset;

/*
 * Where the running zone came from: a reload builds a new zone only when
 * one of these changed (the zone-file path, a key file's path or its key).
 */
struct dns_zone_origin_conf {
	char *zone_file, *ksk_file, *zsk_file;
};

struct dns_auth {
	struct sp_node *node;
	bool in_role;			/* role = signpost; otherwise start() did nothing */
	bool enabled;
	struct dns_zone *zone;
	struct dns_zone_origin_conf from;
	struct dns_server *server;
	struct dns_notify *notify;
	struct dns_acl acl;
	struct dns_tsig_key tsig;	/* secret: wiped at stop */
	struct dns_tsig_replay *replay;	/* signed requests seen (tsig.replay points here) */
	bool have_tsig;
	struct dns_zone_svc svc;	/* SP_SVC_ZONE, provided while serving */
	bool svc_provided;
	uv_timer_t maintain;
	uv_timer_t sync;		/* writes run-time changes back to zone-file */
	char *zone_file;		/* [dns] zone-file, when zone-sync is on */
	bool dirty;			/* changes not yet written back */
	unsigned closing;		/* async closes still to run before the free */
	uint64_t updates, xfrs;
};

/* Write the zone's unsigned content to path atomically.  0 or an error (logged). */
int dns__zone_write(const struct dns_zone *z, const char *path) SP_MUST_CHECK;

/* Register the "zone" control command (ctl_zone.c) for a signpost. */
int dns__ctl_zone_register(struct dns_auth *p) SP_MUST_CHECK;

/*
 * Apply cs to the running zone, all or nothing, signed at the current
 * time: the one path of `signpost zone add/del` and the zone service.
 * *serial (if not NULL) gets the serial after it.  cs is not consumed.
 */
int dns__auth_apply(struct dns_auth *p, const struct dns_changeset *cs, uint32_t *serial)
	SP_MUST_CHECK;

/* Fill p->svc (zone_svc.c); provided by the plane once the zone serves. */
void dns__zone_svc_init(struct dns_auth *p);

/* ---- configuration (auth_conf.c) ---- */

#define DNS_AUTH_LISTEN_MAX 16

/* What [dns] asks of the server, the answers and the denial budget. */
struct dns_auth_conf {
	union sp_endpoint addrs[DNS_AUTH_LISTEN_MAX];
	struct dns_server_conf srv;
	uint16_t udp_payload;
	uint32_t denial_rate;
};

/* Authoritative planes serving in this process (0: check() runs offline). */
extern unsigned dns__auth_serving;
/* Zone files loaded and signed by this process, kept or thrown away (status "zone-loads"). */
extern uint64_t dns__zone_loads;

/* role = signpost? */
bool dns__auth_in_role(const struct sp_config *cfg);
/* [dns] listen and limits into *pc (which points into itself).  0 or SP_ECONFIG (logged). */
int dns__auth_conf_read(const struct sp_config *cfg, struct dns_auth_conf *pc) SP_MUST_CHECK;
/* The zone keys of cfg into ks (mode and format checked, logged); cheap. */
int dns__auth_keys_load(const struct sp_config *cfg, struct dns_keyset *ks) SP_MUST_CHECK;
/* Keys and zone file into a new signed zone: the expensive step (counted). */
int dns__auth_zone_open(const struct sp_config *cfg, struct dns_zone **out) SP_MUST_CHECK;
/* Does the zone sign with exactly the keys of ks? */
bool dns__auth_keys_same(const struct dns_zone *z, const struct dns_keyset *ks);
/* The TSIG key, if its file exists (*have false otherwise: UPDATE refused). */
int dns__auth_tsig_open(const struct sp_config *cfg, struct dns_tsig_key *key, bool *have)
	SP_MUST_CHECK;
/* Remember, compare and forget which files cfg's zone comes from. */
int dns__zone_from_set(struct dns_zone_origin_conf *f, const struct sp_config *cfg) SP_MUST_CHECK;
bool dns__zone_from_same(const struct dns_zone_origin_conf *f, const struct sp_config *cfg);
void dns__zone_from_free(struct dns_zone_origin_conf *f);
/* struct sp_plane.check of the authoritative plane. */
int dns__auth_check(const struct sp_config *cfg);

#endif

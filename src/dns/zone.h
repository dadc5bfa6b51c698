/*
 * zone.h - the authoritative zone database with online signing.
 *
 * A dns_zone holds the unsigned content (from the master file, plus records
 * added at run time), the keys, and a built, signed "version": per name the
 * RRsets with their RRSIGs, and a full NSEC chain (used only for AXFR/IXFR so
 * that secondaries get a complete, verifiable zone; answers from the signpost
 * itself use compact denial, see denial.h).  Every change goes through a
 * changeset applied all-or-nothing; it bumps the SOA serial once, reuses the
 * signatures of unchanged RRsets, re-signs the changed ones, flushes the
 * answer cache, appends a journal entry (for IXFR) and calls the listener.
 *
 * Threading: a zone is used by one thread at a time (the DNS loop).
 * Time: every call that signs takes `now` (unix seconds) from the caller.
 * Wildcards are served literally (no synthesis); there are no delegations.
 */
#ifndef DNS_ZONE_H
#define DNS_ZONE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns/dnskey.h"

struct dns_zone;
struct dns_changeset;

/* Journal bound: total RRs kept across entries; the oldest entries go first. */
#define DNS_JOURNAL_MAX_RRS 20000

/* Counters for `signpost status` (monotonic since dns_zone_new). */
struct dns_zone_stats {
	uint64_t answers_cached;	/* answered from the prebuilt answer cache */
	uint64_t answers_built;		/* cache misses: answer built from the zone */
	uint64_t sigs_made;		/* RRSIGs made for zone RRsets (load, changes, refresh) */
	uint64_t sigs_denial;		/* RRSIGs made at query time for denials */
	uint64_t denial_limited;	/* denials refused (SERVFAIL) by the rate limit */
	uint64_t changes;		/* changesets applied (serial bumps) */
	uint32_t serial;		/* current SOA serial */
	uint32_t names, rrsets;		/* size of the current version */
};

/* Called after every serial change (apply, refresh), e.g. to send NOTIFY. */
typedef void (*dns_zone_listener)(void *arg, uint32_t old_serial, uint32_t new_serial);

/*
 * New empty zone for origin (absolute, e.g. "alice.example."); takes
 * ownership of keys (wiped on free; keys->n may be 0 for an unsigned zone).
 * The zone has no content until dns_zone_load_*() succeeds.
 */
int dns_zone_new(struct dns_zone **out, const char *origin, struct dns_keyset *keys)
	SP_MUST_CHECK;
void dns_zone_free(struct dns_zone *z);

/*
 * Load a master file ($ORIGIN, SOA, NS, ... ; RRSIG/NSEC/DNSKEY-at-apex in
 * the file are ignored: DNSKEYs come from the keys) and sign it at now.
 * Replaces any content; the SOA serial is kept as written (raised to at least
 * the previous serial + 1 on a reload).  SP_ELDNS (logged with line number)
 * on a parse error, SP_ECONFIG if the file lacks SOA/NS or has names outside.
 */
int dns_zone_load_file(struct dns_zone *z, const char *path, time_t now) SP_MUST_CHECK;
int dns_zone_load_text(struct dns_zone *z, const char *text, time_t now) SP_MUST_CHECK;

const ldns_rdf *dns_zone_origin(const struct dns_zone *z);
/* Origin as lowercase uncompressed wire name. */
const uint8_t *dns_zone_origin_wire(const struct dns_zone *z);
uint32_t dns_zone_serial(const struct dns_zone *z);
/* The current SOA RR (borrowed: valid until the next change), NULL before loading. */
const ldns_rr *dns_zone_soa(const struct dns_zone *z);
const struct dns_keyset *dns_zone_keys(const struct dns_zone *z);
/* Is the wire name (any case) at or below the origin? */
bool dns_zone_contains(const struct dns_zone *z, const uint8_t *name);
void dns_zone_set_listener(struct dns_zone *z, dns_zone_listener cb, void *arg);
void dns_zone_stats(const struct dns_zone *z, struct dns_zone_stats *st);

/*
 * Answer-path settings: UDP payload we offer (dns.udp-payload, default
 * 1232) and the denial signing budget (dns.denial-sign-rate per second, the
 * bucket holds one second's worth).
 */
void dns_zone_set_udp_payload(struct dns_zone *z, uint16_t payload);
void dns_zone_set_denial_rate(struct dns_zone *z, uint32_t per_second);
/* Journal bound in RRs (default DNS_JOURNAL_MAX_RRS); older entries are dropped first. */
void dns_zone_set_journal_limit(struct dns_zone *z, size_t max_rrs);

/* ---- Changes ---------------------------------------------------------- */

struct dns_changeset *dns_changeset_new(void);
void dns_changeset_free(struct dns_changeset *cs);
/* Operations run in the order added (RFC 2136 3.4.2).  All take ownership. */
int dns_changeset_add(struct dns_changeset *cs, ldns_rr *rr) SP_MUST_CHECK;
/* Delete the RR with this owner, type and RDATA (TTL ignored). */
int dns_changeset_del_rr(struct dns_changeset *cs, ldns_rr *rr) SP_MUST_CHECK;
/* Delete the RRset owner/type, or every RRset at owner when type is ANY (255) or 0. */
int dns_changeset_del_rrset(struct dns_changeset *cs, ldns_rdf *owner, ldns_rr_type type)
	SP_MUST_CHECK;
size_t dns_changeset_count(const struct dns_changeset *cs);

/*
 * Apply cs at now, all or nothing.  RFC 2136 rules: adding an RR already
 * present is a no-op (a new TTL applies to the whole RRset); deleting the
 * apex SOA or the last apex NS is ignored; adding a SOA replaces it (the
 * serial is still computed by us).  Refused (SP_EPROTO, nothing changed):
 * names outside the zone, RRSIG/NSEC/NSEC3/NSEC3PARAM, DNSKEY at the apex,
 * class other than IN, CNAME beside other data, NS below the apex and DS
 * (no delegations).  If the content changes,
 * the serial becomes max(old + 1, now) in serial arithmetic, and
 * *new_serial (if not NULL) gets it; an effectless changeset returns 0 and
 * leaves the serial alone.  cs is not consumed.
 */
int dns_zone_apply(struct dns_zone *z, const struct dns_changeset *cs, time_t now,
		   uint32_t *new_serial) SP_MUST_CHECK;

/*
 * Periodic upkeep (call e.g. every few minutes): re-sign RRsets whose
 * signatures have less than SIG_REFRESH left; if any, bump the serial,
 * journal it and notify like a change.  Returns the number re-signed, or <0.
 */
int dns_zone_maintain(struct dns_zone *z, time_t now) SP_MUST_CHECK;

/* ---- Reading ---------------------------------------------------------- */

/*
 * Unsigned data at owner: type ANY (255) means every type.  Returns 0 and,
 * if out is not NULL, a deep copy (caller frees) when at least one RR
 * matches; SP_ENOTFOUND otherwise.  For UPDATE prerequisites.
 */
int dns_zone_lookup(const struct dns_zone *z, const ldns_rdf *owner, ldns_rr_type type,
		    ldns_rr_list **out) SP_MUST_CHECK;
/*
 * Every unsigned RR of type (not ANY) anywhere in the zone, apex included, in
 * canonical order of their owners, as a deep copy in *out (caller frees;
 * out may be NULL to test existence).  0, or SP_ENOTFOUND when there is
 * none; -ENOMEM.  E.g. the signpost lists its devices by their KEY records.
 */
int dns_zone_each_type(const struct dns_zone *z, ldns_rr_type type, ldns_rr_list **out)
	SP_MUST_CHECK;
/* Does any RR exist at owner (exactly there, not counting names below)? */
bool dns_zone_name_exists(const struct dns_zone *z, const ldns_rdf *owner);

/*
 * The whole signed zone for AXFR, as a deep copy the caller frees: SOA
 * first, then every other RR (incl. DNSKEY, NSEC chain, RRSIGs) in canonical
 * order, then the SOA again (RFC 5936 framing).  `ldns-verify-zone` passes on it.
 */
int dns_zone_axfr(const struct dns_zone *z, ldns_rr_list **out) SP_MUST_CHECK;

/*
 * The IXFR answer body (RFC 1995) from from_serial to the current serial, as
 * a deep copy: current SOA, then per journal entry: old SOA, removed RRs,
 * new SOA, added RRs; then the current SOA.  Signed data (RRSIG/NSEC
 * changes) is included.  If from_serial == current: just the current SOA.
 * SP_ENOTFOUND if the journal does not reach back to from_serial (the caller
 * falls back to AXFR).
 */
int dns_zone_ixfr(const struct dns_zone *z, uint32_t from_serial, ldns_rr_list **out)
	SP_MUST_CHECK;

/* The unsigned content in presentation format (for `signpost zone show`); caller frees. */
char *dns_zone_to_text(const struct dns_zone *z);

#endif

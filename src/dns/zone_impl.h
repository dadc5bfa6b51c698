/*
 * zone_impl.h - internals of dns_zone shared by zone.c, zversion.c, answer.c
 * and journal.c.  Not for other modules: use zone.h and answer.h.
 */
#ifndef DNS_ZONE_IMPL_H
#define DNS_ZONE_IMPL_H

#include "core/ratelimit.h"
#include "dns/denial.h"
#include "dns/sign.h"
#include "dns/wire.h"
#include "dns/zone.h"

/* One RRset with its signatures (one per signing key). */
struct dns__rrset {
	uint16_t type;
	ldns_rr_list *rrs;		/* owned */
	ldns_rr *sigs[DNS_KEYS_MAX];	/* owned */
	unsigned nsig;
	uint32_t sig_expire;		/* earliest expiration among sigs */
	uint8_t *canon;			/* TTL + sorted canonical RDATA: detects change */
	size_t canon_len;
	/*
	 * Answer-path wire form, made on first use: per record (RRs, then
	 * RRSIGs) a u16 length and TYPE CLASS TTL RDLENGTH RDATA (no owner).
	 */
	uint8_t *blob;
	uint32_t blob_len;
};

/* All RRsets at one owner name. */
struct dns__node {
	ldns_rdf *owner;		/* owned, lowercase */
	const uint8_t *wire;		/* = ldns_rdf_data(owner) */
	struct dns__rrset *sets;	/* sorted by type */
	unsigned nsets;
	struct dns__rrset nsec;		/* chain NSEC for AXFR (rrs NULL if unsigned zone) */
	/* Compact-denial NSEC RRSIG RDATA for NODATA here, made on first use. */
	uint8_t *deny_sig[DNS_KEYS_MAX];
	uint16_t deny_sig_len[DNS_KEYS_MAX];
	unsigned ndeny;
	uint32_t deny_expire;
};

/* An immutable, fully signed state of the zone. */
struct dns__version {
	struct dns__node *nodes;	/* canonical order */
	size_t nnodes;
	size_t nrrsets;
	uint32_t serial;
	const ldns_rr *soa;		/* points into the apex node */
	uint32_t neg_ttl;		/* min(SOA TTL, SOA MINIMUM), RFC 9077 */
	uint32_t min_expire;		/* earliest signature expiration */
};

struct dns__jentry {
	uint32_t from, to;
	ldns_rr_list *removed;		/* old SOA first */
	ldns_rr_list *added;		/* new SOA first */
	struct dns__jentry *next;
};

struct dns__acache_entry {
	uint32_t hash;
	uint16_t qtype;
	uint8_t kflags;
	uint8_t qname_len;
	uint8_t qname[DNS_NAME_MAXLEN];
	uint16_t len;
	uint8_t wire[];
};

struct dns_zone {
	ldns_rdf *origin;
	uint8_t origin_wire[DNS_NAME_MAXLEN];
	struct dns_keyset keys;
	ldns_rr_list *content;		/* unsigned RRs incl. SOA and DNSKEYs */
	struct dns__version *v;		/* NULL until loaded */

	struct dns__jentry *jhead, *jtail;
	size_t jrrs;
	size_t jmax;			/* bound on jrrs */

	struct dns__acache_entry **acache;	/* DNS_ANSWER_CACHE_SLOTS, lazily */
	uint8_t acache_key[16];			/* SipHash key: slots cannot be aimed at */
	uint8_t *scratch;			/* 65535 bytes for building answers */

	dns_zone_listener listener;
	void *listener_arg;
	uint16_t udp_payload;
	uint32_t denial_rate;
	struct sp_rl_bucket bucket;	/* the zone's denial signing budget (answer.c) */
	bool bucket_ready;
	/* Per source prefix share of the denial budget (answer.c), lazily allocated. */
	struct sp_rl shares;
	struct dns_zone_stats st;
};

/* Build a signed version of content (sorted in place), reusing old's signatures. */
int dns__version_build(struct dns_zone *z, const struct dns__version *old, time_t now,
		       struct dns__version **out) SP_MUST_CHECK;
void dns__version_free(struct dns__version *v);
/* Node with exactly this lowercase wire owner, or NULL; *ins = insertion index. */
const struct dns__node *dns__version_find(const struct dns__version *v, const uint8_t *name,
					  size_t *ins);
/* Every RR of v (data, DNSKEY, NSEC, RRSIG) as borrowed pointers, canonical order. */
ldns_rr_list *dns__version_rrs(const struct dns__version *v);

/* Journal: record the change old -> new; trims to DNS_JOURNAL_MAX_RRS. */
int dns__journal_add(struct dns_zone *z, const struct dns__version *old,
		     const struct dns__version *nv) SP_MUST_CHECK;
void dns__journal_clear(struct dns_zone *z);

void dns__acache_flush(struct dns_zone *z);

/*
 * Make content (owned on success) the zone's content: build and sign a new
 * version, journal the difference (if journal), flush the answer cache and
 * tell the listener.  On failure nothing changes and content stays the caller's.
 */
int dns__zone_commit(struct dns_zone *z, ldns_rr_list *content, time_t now, bool journal)
	SP_MUST_CHECK;

#endif

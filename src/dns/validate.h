/*
 * validate.h - pure DNSSEC validation for the device stub resolver.
 *
 * Bytes and trust anchors in, a verdict out: no sockets, no clock (the
 * caller passes `now`), no globals.  ldns parses and verifies signatures.
 *
 * Two steps, as a validator walks one zone:
 *   1. dns_validate_dnskey(): the zone's DNSKEY RRset (an answer to
 *      "ZONE DNSKEY" with DO) against the configured anchor (DS digest match
 *      or DNSKEY equality); a key that matches the anchor must sign the set.
 *      The result is the zone's validated key set.
 *   2. dns_validate_answer(): any answer from the zone against that key set:
 *      every answer RRset signed, CNAME chains inside the zone, wildcard
 *      expansions proven, negative answers proven by NSEC (classic chains,
 *      RFC 4470 minimally covering "white lies", and RFC 9824 compact denial
 *      with the NXNAME type).  Signature periods are checked against `now`.
 *      A secure verdict covers the answer section and, for a negative
 *      answer, the SOA and NSEC records of the authority section: callers
 *      should drop everything else (the additional section is never checked).
 */
#ifndef DNS_VALIDATE_H
#define DNS_VALIDATE_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum dns_validate_security {
	DNS_V_SECURE = 0,		/* validated: AD may be set */
	DNS_V_INSECURE,		/* provably not signed (a delegation we do not follow): no AD */
	DNS_V_BOGUS,		/* failed validation: SERVFAIL */
};

/* RFC 8914 Extended DNS Error codes a bogus verdict carries. */
enum dns_validate_ede {
	DNS_V_EDE_NONE = -1,
	DNS_V_EDE_BOGUS = 6,
	DNS_V_EDE_SIG_EXPIRED = 7,
	DNS_V_EDE_SIG_NOT_YET = 8,
	DNS_V_EDE_DNSKEY_MISSING = 9,
	DNS_V_EDE_RRSIGS_MISSING = 10,
	DNS_V_EDE_NSEC_MISSING = 12,
};

struct dns_validate_verdict {
	enum dns_validate_security sec;
	int ede;		/* enum dns_validate_ede for bogus, DNS_V_EDE_NONE otherwise */
	uint32_t ttl;		/* secure: seconds the data may be cached (TTLs, sig expiry) */
	bool nxname;		/* secure: an RFC 9824 NXNAME proof says the name does not exist */
	char reason[160];	/* bogus/insecure: why, for the log */
	unsigned sig_failures;	/* internal: signature checks of this answer that failed */
};

/*
 * Signature checks (one RRSIG against one DNSKEY of its key tag) that may
 * fail in one answer before it is bogus: a zone with many keys of one tag,
 * or many RRSIGs, cannot make us spend unbounded CPU (KeyTrap, CVE-2023-50387).
 */
#define DNS_VALIDATE_MAX_SIG_FAILURES 8

/* A trust anchor: the zone and its DS and/or DNSKEY records. */
struct dns_validate_anchor {
	ldns_rdf *zone;
	ldns_rr_list *rrs;
};

/* A zone's validated DNSKEY RRset: the zone keys usable for its answers. */
struct dns_validate_keys {
	ldns_rdf *zone;
	ldns_rr_list *keys;	/* zone keys (flag 256), not revoked */
	uint32_t ttl;		/* how long the set may be cached */
};

/*
 * Parse an anchor for zone (text, e.g. "alice.example.") from text: one or
 * more DS or DNSKEY records in presentation format, separated by newlines or
 * ';' (a piece that does not start with an absolute name, such as ldns's
 * ";{id = ...}" key comment, is a comment).  Every owner must be the zone.  On error returns SP_EMALFORMED and
 * writes a message to err.  *out is owned by the caller.
 */
int dns_validate_anchor_parse(const char *zone, const char *text, struct dns_validate_anchor **out,
		     char *err, size_t errlen) SP_MUST_CHECK;
void dns_validate_anchor_free(struct dns_validate_anchor *ta);
/* True when both anchors hold the same zone and records. */
bool dns_validate_anchor_equal(const struct dns_validate_anchor *a, const struct dns_validate_anchor *b);

/*
 * Validate the DNSKEY answer pkt[0..len) for ta->zone.  Always fills *v;
 * on DNS_V_SECURE also sets *keys (owned by the caller), else leaves it NULL.
 * Returns 0, or -ENOMEM.
 */
int dns_validate_dnskey(const struct dns_validate_anchor *ta, const uint8_t *pkt, size_t len,
			uint32_t now, struct dns_validate_keys **keys, struct dns_validate_verdict *v) SP_MUST_CHECK;

/*
 * Validate the answer pkt[0..len) (its own question is the one checked; the
 * caller has matched it to what it asked) with the zone's key set.  Always
 * fills *v.  Returns 0, or -ENOMEM.
 */
int dns_validate_answer(const struct dns_validate_keys *keys, const uint8_t *pkt, size_t len,
			uint32_t now, struct dns_validate_verdict *v) SP_MUST_CHECK;

/* The same on a packet the caller has already parsed. */
int dns_validate_answer_pkt(const struct dns_validate_keys *keys, const ldns_pkt *pkt, uint32_t now,
			    struct dns_validate_verdict *v) SP_MUST_CHECK;

/* Free a key set; NULL is fine. */
void dns_validate_keys_free(struct dns_validate_keys *ks);

#endif

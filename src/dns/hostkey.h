/*
 * hostkey.h - a node's Ed25519 key as a KEY record (RFC 2535 3.1, RFC 3445).
 *
 * A device's (and the signpost's own) node key is published at its own name,
 * NAME.ZONE, as "KEY 512 3 15 <base64 of the 32-byte Ed25519 public key>":
 * flags 512 (name type 10: the key of a host, not of a zone or a user),
 * protocol 3 (DNSSEC, the only one RFC 3445 leaves) and algorithm 15.  It is
 * ordinary zone data, signed by the ZSK like an AAAA.  A DNSKEY RRset below
 * the apex would not do: validators accept a DNSKEY RRset only when it is
 * signed by a key of its own set (BIND's delv: "no valid signature found"),
 * which is only true at a zone apex.  The zone's own DNSKEYs stay there.
 *
 * Pure functions: no state, no I/O.
 */
#ifndef DNS_HOSTKEY_H
#define DNS_HOSTKEY_H

#include <stdint.h>

#include <ldns/ldns.h>

#include "core/error.h"

#define DNS_HOSTKEY_FLAGS 512	/* RFC 2535 3.1.2: NAMTYP 10, a host ("entity") key */
#define DNS_HOSTKEY_PROTOCOL 3	/* DNSSEC (RFC 3445 section 4) */
#define DNS_HOSTKEY_ALG 15	/* Ed25519 (RFC 8080) */
#define DNS_HOSTKEY_LEN 32

/*
 * The KEY RR "owner ttl IN KEY 512 3 15 <ed_pk>" in *out (caller frees with
 * ldns_rr_free; owner is copied).  0, -EINVAL for an owner that is not an
 * absolute name, -ENOMEM.
 */
int dns_hostkey_rr(const ldns_rdf *owner, uint32_t ttl, const uint8_t ed_pk[DNS_HOSTKEY_LEN],
		   ldns_rr **out) SP_MUST_CHECK;

/*
 * The Ed25519 key of a host KEY RR: type KEY, class IN, flags 512, protocol 3,
 * algorithm 15 and exactly 32 bytes of key, else SP_EMALFORMED (ed_pk left
 * alone).  Validation is the caller's: this only reads the record.
 */
int dns_hostkey_parse(const ldns_rr *rr, uint8_t ed_pk[DNS_HOSTKEY_LEN]) SP_MUST_CHECK;

/*
 * The first host KEY at owner (any case) in list, its key in ed_pk: 0, or
 * SP_ENOTFOUND when list holds none there (KEY records of other flags,
 * protocols or algorithms are skipped).
 */
int dns_hostkey_find(const ldns_rr_list *list, const ldns_rdf *owner,
		     uint8_t ed_pk[DNS_HOSTKEY_LEN]) SP_MUST_CHECK;

#endif

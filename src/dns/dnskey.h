/*
 * dnskey.h - the zone's DNSSEC keys (KSK and ZSK, or one CSK).
 *
 * Key files are BIND private-key files as ldns_key2str() writes them
 * ("Private-key-format: v1.x", "Algorithm: 15 (ED25519)" or
 * "13 (ECDSAP256SHA256)", "PrivateKey: <base64>"), mode 0600.  A private
 * file carries no flags: the KSK file gets 257, the ZSK file 256.
 * Ed25519 signs with libsodium (from the 32-byte seed in the file), ECDSA
 * P-256 with OpenSSL through ldns.  Secrets are wiped on free.
 */
#ifndef DNS_DNSKEY_H
#define DNS_DNSKEY_H

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "core/error.h"

#define DNS_KEYS_MAX 4
#define DNS_KEY_FLAGS_ZSK 256
#define DNS_KEY_FLAGS_KSK 257	/* ZONE | SEP */

struct dns_key {
	uint8_t alg;		/* 15 or 13 */
	uint16_t flags;		/* 256 or 257 */
	uint16_t tag;		/* RFC 4034 appendix B key tag */
	ldns_rr *dnskey;	/* owner = zone origin, TTL 3600 */
	uint8_t ed_sk[64];	/* Ed25519: libsodium secret (seed || pk); secret */
	ldns_key *lk;		/* ECDSA: ldns key holding the EVP key; NULL for Ed25519 */
};

struct dns_keyset {
	struct dns_key key[DNS_KEYS_MAX];
	unsigned n;
};

/*
 * Load one private key file for zone origin (e.g. "alice.example.") with
 * the given DNSKEY flags and append it to ks.  SP_EKEYPERM if the mode is
 * looser than 0600, SP_EKEYFORMAT for contents we cannot use, SP_ELIMIT if
 * ks is full.  Errors are logged with the path.
 */
int dns_keyset_load_file(struct dns_keyset *ks, const ldns_rdf *origin, const char *path,
			 uint16_t flags) SP_MUST_CHECK;
/* Same from the text of a key file (tests; no mode check). */
int dns_keyset_load_text(struct dns_keyset *ks, const ldns_rdf *origin, const char *text,
			 uint16_t flags) SP_MUST_CHECK;
/* Convenience: KSK file (257) then ZSK file (256); zsk_path may be NULL (CSK). */
int dns_keyset_load(struct dns_keyset *ks, const ldns_rdf *origin, const char *ksk_path,
		    const char *zsk_path) SP_MUST_CHECK;
/* Wipe secrets and free ldns objects; ks may then be reused. */
void dns_keyset_deinit(struct dns_keyset *ks);

/* The DNSKEY RRs of the set (caller owns the returned deep copy). */
ldns_rr_list *dns_keyset_dnskeys(const struct dns_keyset *ks);
/* DS (SHA-256) of each SEP key (caller owns). */
ldns_rr_list *dns_keyset_ds(const struct dns_keyset *ks);
/* True if key signs the DNSKEY RRset (SEP) / all other RRsets (non-SEP, or a lone CSK). */
bool dns_key_signs_dnskey(const struct dns_keyset *ks, unsigned i);
bool dns_key_signs_zone(const struct dns_keyset *ks, unsigned i);

#endif

/*
 * sign.h - making RRSIGs (RFC 4034 3.1.8.1) on wire-format data.
 *
 * The signer works on canonical wire data, so the answer path can sign a
 * freshly made denial NSEC without building ldns objects; dns_sign_rrset()
 * wraps it for ldns RRsets.  Ed25519 goes through libsodium
 * (crypto_sign_detached), ECDSA P-256 through OpenSSL.
 */
#ifndef DNS_SIGN_H
#define DNS_SIGN_H

#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns/dnskey.h"

/*
 * Validity window of every signature we make:
 * - inception is backdated so that validators whose clock runs somewhat
 *   behind ours (or that cached the key a bit earlier) still accept it;
 * - lifetime is long enough that a secondary which cannot reach us for a
 *   week keeps serving valid data;
 * - a signature is refreshed once less than SIG_REFRESH remains, which
 *   leaves every cached copy (TTLs are far shorter) a week of validity.
 */
#define SIG_INCEPTION_BACKDATE (60 * 60)	/* 1 hour, seconds */
#define SIG_LIFETIME (14 * 24 * 60 * 60)	/* 14 days, seconds */
#define SIG_REFRESH (7 * 24 * 60 * 60)		/* re-sign when < 7 days remain */

/* Largest signature we make (ECDSA P-256 and Ed25519: 64 bytes). */
#define DNS_SIG_MAXLEN 64

/* RRSIG fields other than the signature itself. */
struct dns_sig_hdr {
	uint16_t type_covered;
	uint8_t labels;
	uint32_t orig_ttl;
	uint32_t expiration, inception;
};

/*
 * Sign one RRset given in canonical wire form: owner is a lowercase wire
 * name, rdata[i]/rdlen[i] the canonical RDATA of each RR already in
 * canonical (sorted, de-duplicated) order, class IN.  Writes the RRSIG
 * RDATA (header, signer = key's owner, signature) to out and its length to
 * *outlen.  Returns 0, SP_ETRUNC, or SP_ECRYPTO.
 */
int dns_sign_wire(const struct dns_key *key, const uint8_t *signer, const uint8_t *owner,
		  const struct dns_sig_hdr *h, const uint8_t *const *rdata, const uint16_t *rdlen,
		  unsigned n, uint8_t *out, size_t cap, size_t *outlen) SP_MUST_CHECK;

/*
 * Sign an ldns RRset (one owner, type, class; TTL of the first RR) at time
 * now: inception now - SIG_INCEPTION_BACKDATE, expiration now + SIG_LIFETIME.
 * *rrsig gets a new RRSIG RR (caller owns).
 */
int dns_sign_rrset(const struct dns_key *key, const ldns_rr_list *rrset, time_t now,
		   ldns_rr **rrsig) SP_MUST_CHECK;

/* Serial number arithmetic (RFC 1982): a > b. */
static inline int dns_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

#endif

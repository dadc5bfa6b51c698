/*
 * tsig.h - TSIG (RFC 8945) with HMAC-SHA256, over wire-format messages.
 *
 * Pure code: bytes in, bytes out.  A server verifies a request with
 * dns_tsig_verify(), which fills a struct dns_tsig_state, builds its answer
 * and passes the same state to dns_tsig_sign() so that the answer carries
 * the TSIG RR that RFC 8945 asks for:
 *   - a request that verified: the answer is signed (request MAC, answer,
 *     TSIG variables);
 *   - BADKEY or BADSIG (RFC 8945 5.2.1, 5.2.2): the answer carries an
 *     unsigned TSIG RR (MAC size 0) with that error, RCODE NOTAUTH;
 *   - BADTIME (5.2.3): the answer is signed with the request's key, Time
 *     Signed is the client's time and Other Data the server's time.
 * Checks run in the order of RFC 8945 5.2: key, MAC, then time (never the
 * time before the MAC, so an attacker learns nothing from BADTIME).
 *
 * Multi-message answers (AXFR/IXFR, RFC 8945 5.3.1): call dns_tsig_sign()
 * on each message in order with the same state; from the second message on
 * it chains the prior MAC and covers only the timers, as the RFC says.
 */
#ifndef DNS_TSIG_H
#define DNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define DNS_TSIG_MAC_LEN 32		/* HMAC-SHA256 output */
#define DNS_TSIG_SECRET_MAX 128		/* longest secret we accept (bytes) */
#define DNS_TSIG_FUDGE 300		/* seconds; RFC 8945 6 recommends 300 */

/* TSIG error codes carried in the TSIG RR (RFC 8945 3, IANA registry). */
enum dns_tsig_error {
	DNS_TSIG_NOERROR = 0,
	DNS_TSIG_BADSIG = 16,
	DNS_TSIG_BADKEY = 17,
	DNS_TSIG_BADTIME = 18,
	DNS_TSIG_BADTRUNC = 22,
};

#define DNS_RCODE_NOTAUTH 9
#define DNS_RCODE_FORMERR 1
#define DNS_TYPE_TSIG 250

/* Signed requests remembered for replay detection (one fudge window). */
#define DNS_TSIG_REPLAY_MAX 1024

/*
 * The MACs of accepted signed requests, each kept until its Time Signed +
 * Fudge has passed (after that the time check refuses a repeat anyway).
 * Owned by the server, pointed to by its key.
 */
struct dns_tsig_replay {
	struct {
		uint8_t mac[16];	/* first half of the verified MAC */
		uint64_t until;		/* Time Signed + Fudge */
	} e[DNS_TSIG_REPLAY_MAX];
};

/* A shared key.  The secret is wiped by dns_tsig_key_wipe(). */
struct dns_tsig_key {
	uint8_t name[256];		/* owner name, wire format, lower case */
	size_t name_len;
	char name_text[256];		/* presentation, with final dot */
	uint8_t secret[DNS_TSIG_SECRET_MAX];
	size_t secret_len;
	struct dns_tsig_replay *replay;	/* not owned; NULL: no replay check */
};

/*
 * What dns_tsig_verify() learnt about a request; dns_tsig_sign() answers
 * from it.  For a multi-message answer it also carries the prior MAC.
 */
struct dns_tsig_state {
	bool present;			/* the request had a TSIG RR */
	const struct dns_tsig_key *key;	/* matching key (NULL on BADKEY) */
	uint16_t error;			/* enum dns_tsig_error to answer with */
	uint8_t key_name[256];		/* key name as sent, lower case (for BADKEY) */
	size_t key_name_len;
	uint8_t alg_name[256];		/* algorithm name as sent, lower case */
	size_t alg_name_len;
	uint64_t time_signed;		/* client's Time Signed */
	uint16_t fudge;
	uint16_t orig_id;
	uint8_t mac[DNS_TSIG_MAC_LEN];	/* request MAC, then each prior MAC */
	size_t mac_len;
	size_t unsigned_len;		/* length of the request without its TSIG RR */
	unsigned n_signed;		/* messages of this answer signed so far */
};

/*
 * Load a key file in BIND's format, as written by `tsig-keygen` and read by
 * `nsupdate -k`:  key "name" { algorithm hmac-sha256; secret "base64"; };
 * The file must be a regular file of mode 0600 or stricter (SP_EKEYPERM).
 * Only the first key is read; its algorithm must be hmac-sha256.
 * Returns 0, SP_EKEYPERM, SP_EKEYFORMAT or -errno.
 */
int dns_tsig_key_load(const char *path, struct dns_tsig_key *out) SP_MUST_CHECK;

/* Build a key from a name ("key.example." or without dot) and base64 secret. */
int dns_tsig_key_init(struct dns_tsig_key *k, const char *name, const char *secret_b64)
	SP_MUST_CHECK;

/* Wipe the secret (sodium_memzero).  Accepts NULL. */
void dns_tsig_key_wipe(struct dns_tsig_key *k);

/*
 * Verify the TSIG RR of a request msg[0..len) against keys[0..nkeys).
 * now is the server's wall clock (seconds since the epoch).
 * Returns:
 *   0              no TSIG RR (st->present false), or it verified;
 *   SP_EAUTH       st->error is BADKEY, BADSIG, BADTIME or BADTRUNC: answer
 *                  NOTAUTH and pass st to dns_tsig_sign(), which does the rest;
 *   SP_EMALFORMED  TSIG RR not last, more than one, or bad RDATA: FORMERR
 *                  (RFC 8945 5.2 / 5.4), answer without TSIG.
 * st is always initialised.
 */
int dns_tsig_verify(const uint8_t *msg, size_t len, const struct dns_tsig_key *keys,
		    size_t nkeys, uint64_t now, struct dns_tsig_state *st) SP_MUST_CHECK;

/*
 * Replay check for a request that dns_tsig_verify() accepted (returned 0
 * with st->present): refuse an exact repeat of a signed request still inside
 * its time window, else remember it in key->replay.  Uses only the request's
 * own Time Signed and Fudge for expiry, so clock skew changes nothing.  On a
 * repeat, or when every slot holds a live request, returns SP_EAUTH with
 * st->error BADTIME (answer NOTAUTH, signed, as for a time error).  Returns 0
 * when key->replay is NULL.
 */
int dns_tsig_replay_check(const struct dns_tsig_key *key, struct dns_tsig_state *st,
			  uint64_t now) SP_MUST_CHECK;

/*
 * Append the TSIG RR to an answer msg[0..*len) (capacity cap), as the
 * request's state st asks (see the top of this file), and bump ARCOUNT.
 * The answer's header ID must already be the request's.  Does nothing and
 * returns 0 when the request had no TSIG.  Updates st->mac to the MAC just
 * made so that the next message of a transfer chains to it.
 * Returns 0, SP_ETRUNC (no room; *len unchanged) or SP_ECRYPTO.
 */
int dns_tsig_sign(uint8_t *msg, size_t *len, size_t cap, struct dns_tsig_state *st,
		  uint64_t now) SP_MUST_CHECK;

/*
 * Sign a request (client side: NOTIFY, tests): fresh state, Time Signed =
 * now.  st receives the request MAC, to check the reply with
 * dns_tsig_verify_reply().
 */
int dns_tsig_sign_request(uint8_t *msg, size_t *len, size_t cap, const struct dns_tsig_key *key,
			  uint64_t now, struct dns_tsig_state *st) SP_MUST_CHECK;

/*
 * Verify a reply to a request we signed (st from dns_tsig_sign_request),
 * including the time check.  Returns 0 if signed and valid, SP_EAUTH
 * otherwise (an unsigned reply too), SP_EMALFORMED if the RR is broken.
 */
int dns_tsig_verify_reply(const uint8_t *msg, size_t len, struct dns_tsig_state *st,
			  uint64_t now) SP_MUST_CHECK;

#endif

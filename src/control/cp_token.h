/*
 * cp_token.h - the enrollment token's text codec (pure code).
 *
 * `signpost enroll NAME` prints a one-time token that carries everything a
 * device needs to join: text "spt1-" then base64url without padding
 * (libsodium's URLSAFE_NO_PADDING variant) of
 *
 *   version(1) = 1
 *   expiry(u64 BE, Unix seconds)
 *   id[16] secret[32] signpost_ed[32]
 *   zone (string)  name (string)
 *   n(1, <= CP_EP_MAX) endpoints (the signpost's control endpoints)
 *   anchor (string: DS text)
 *
 * with strings and endpoints as in cp_msg.h.  The signpost keeps only the
 * id and BLAKE2b-256(secret) (cp_token_secret_hash); the device proves the
 * token with id and secret in its first REGISTER.
 */
#ifndef CP_TOKEN_H
#define CP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "control/cp_msg.h"

#define CP_TOKEN_PREFIX "spt1-"
#define CP_TOKEN_PREFIX_LEN 5
#define CP_TOKEN_VERSION 1
/* Largest binary token: version, expiry, id, secret, key, two names, the
 * endpoint list and the anchor. */
#define CP_TOKEN_BIN_MAX (1 + 8 + CP_TOKEN_ID_LEN + CP_TOKEN_SECRET_LEN + CP_KEY_LEN + \
			  2 * (1 + CP_NAME_MAX) + 1 + CP_EP_MAX * CP_EP_WIRE + 1 + CP_ANCHOR_MAX)
/* Largest token text, NUL included: prefix + ceil(4/3 x binary) + 1. */
#define CP_TOKEN_TEXT_MAX (CP_TOKEN_PREFIX_LEN + (CP_TOKEN_BIN_MAX * 4 + 2) / 3 + 1)
#define CP_TOKEN_HASH_LEN 32

struct cp_token {
	uint64_t expiry;			/* Unix seconds */
	uint8_t id[CP_TOKEN_ID_LEN];
	uint8_t secret[CP_TOKEN_SECRET_LEN];	/* wipe with cp_token_wipe */
	uint8_t signpost_ed[CP_KEY_LEN];	/* the signpost's Ed25519 key */
	char zone[CP_NAME_MAX + 1];		/* FQDN with final dot */
	char name[CP_NAME_MAX + 1];		/* the device's label */
	uint8_t n_ep;
	union sp_endpoint ep[CP_EP_MAX];	/* the signpost's control endpoints */
	char anchor[CP_ANCHOR_MAX + 1];		/* the zone's DS text */
};

/*
 * Write the token text (NUL-terminated) into out[0..cap); cap >=
 * CP_TOKEN_TEXT_MAX always suffices.  Returns 0, -EINVAL (a string too long
 * or with a forbidden byte, an endpoint count over CP_EP_MAX, an invalid
 * endpoint) or SP_ETRUNC.  The binary copy of the secret is wiped.
 */
int cp_token_encode(const struct cp_token *t, char *out, size_t cap) SP_MUST_CHECK;

/*
 * Parse token text into t (zeroed first, wiped on failure).  Strict: the
 * prefix, canonical base64url without padding, version 1, every length
 * bounded, nothing left over; trailing ASCII whitespace (a newline from a
 * file) is ignored.  Returns 0 or -EINVAL, never crashes on junk.
 */
int cp_token_decode(const char *text, struct cp_token *t) SP_MUST_CHECK;

/* BLAKE2b-256 of the secret: what the signpost stores in STATE/tokens.
 * Compare stored hashes with sodium_memcmp.  Returns 0 or SP_ECRYPTO. */
int cp_token_secret_hash(const uint8_t secret[CP_TOKEN_SECRET_LEN],
			 uint8_t out[CP_TOKEN_HASH_LEN]) SP_MUST_CHECK;

/* Wipe the whole token (secret included); t may be NULL. */
void cp_token_wipe(struct cp_token *t);

#endif

/*
 * cookie.h - WireGuard's DoS protection: mac1, mac2 and cookie replies.
 *
 * Checker (our side, one per device): validates mac1 of every handshake
 * message sent to us (key HASH("mac1----" || our public key)) and, when the
 * caller decides it is under load, mac2 = MAC(cookie, msg) where the cookie
 * is MAC(secret, source address bytes) under a random secret rotated every
 * TUN_COOKIE_SECRET_MAX_AGE; it builds cookie replies (XChaCha20-Poly1305
 * under HASH("cookie--" || our public key), random nonce, AD = the mac1 of
 * the message answered).
 *
 * Maker (one per peer): adds mac1 and, while it holds a fresh cookie, mac2 to
 * our outgoing handshake messages, and consumes the peer's cookie replies.
 *
 * The source address bytes are opaque here (at most TUN_COOKIE_SRC_MAX bytes);
 * the loop code passes the same encoding each time, e.g. the IP address in
 * network order followed by the port in network order.  Pure: time comes in
 * as `now` (ns, monotonic); the only other input is libsodium's randombytes.
 */
#ifndef TUN_COOKIE_H
#define TUN_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "tunnel/messages.h"

#define TUN_COOKIE_SRC_MAX 32

struct tun_cookie_checker {
	uint8_t mac1_key[TUN_HASH_LEN];		/* HASH("mac1----" || our public) */
	uint8_t cookie_key[TUN_HASH_LEN];	/* secret: HASH("cookie--" || our public) */
	uint8_t secret[TUN_HASH_LEN];		/* secret: random, rotated */
	uint64_t secret_birthdate;		/* ns */
	bool secret_valid;
	bool has_identity;
};

struct tun_cookie_maker {
	uint8_t mac1_key[TUN_HASH_LEN];		/* HASH("mac1----" || peer public) */
	uint8_t cookie_key[TUN_HASH_LEN];	/* HASH("cookie--" || peer public) */
	uint8_t cookie[TUN_COOKIE_LEN];		/* secret: latest cookie from the peer */
	uint64_t cookie_birthdate;		/* ns */
	bool cookie_valid;
	uint8_t last_mac1_sent[TUN_MAC_LEN];	/* AD the peer's cookie reply must carry */
	bool have_sent_mac1;
};

/* Result of validating the MACs of a received handshake message. */
enum tun_cookie_mac_state {
	TUN_MAC_INVALID = 0,		/* drop: bad mac1 (or bad length/type) */
	TUN_MAC_VALID_NO_COOKIE,	/* mac1 good; mac2 not checked or not good */
	TUN_MAC_VALID_WITH_COOKIE,	/* mac1 and mac2 good: the source address is proven */
};

/* Checker for our public key.  Returns 0 or SP_ECRYPTO. */
int tun_cookie_checker_init(struct tun_cookie_checker *c,
			    const uint8_t our_public[TUN_KEY_LEN]) SP_MUST_CHECK;
/* Wipe the checker. */
void tun_cookie_checker_deinit(struct tun_cookie_checker *c);

/*
 * Validate mac1 (and mac2 if check_cookie) of a received initiation or
 * response, `msg` of `len` bytes (148 or 92; any other length is INVALID).
 * src/src_len: the sender's address bytes.  May rotate the secret (random).
 */
enum tun_cookie_mac_state tun_cookie_validate(struct tun_cookie_checker *c,
					      const uint8_t *msg, size_t len,
					      const uint8_t *src, size_t src_len,
					      bool check_cookie, uint64_t now);

/*
 * Build the cookie reply to `msg` (an initiation or response of `len` bytes
 * whose mac1 was valid): receiver index = the message's sender index, a fresh
 * random nonce, the cookie for src encrypted with AD = msg's mac1.
 */
int tun_cookie_create_reply(struct tun_cookie_checker *c, struct tun_msg_cookie *out,
			    const uint8_t *msg, size_t len,
			    const uint8_t *src, size_t src_len, uint64_t now) SP_MUST_CHECK;

/* Maker for a peer's public key.  Returns 0 or SP_ECRYPTO. */
int tun_cookie_maker_init(struct tun_cookie_maker *m,
			  const uint8_t peer_public[TUN_KEY_LEN]) SP_MUST_CHECK;
/* Wipe the maker. */
void tun_cookie_maker_deinit(struct tun_cookie_maker *m);

/*
 * Fill in mac1 and mac2 of an outgoing initiation or response (`msg`, `len`
 * 148 or 92; SP_EMALFORMED otherwise).  mac2 is zeros unless a cookie younger
 * than COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY is held.  Remembers mac1
 * for the peer's cookie reply.
 */
int tun_cookie_add_macs(struct tun_cookie_maker *m, uint8_t *msg, size_t len,
			uint64_t now) SP_MUST_CHECK;

/*
 * Consume a cookie reply from the peer (the caller found the peer by the
 * reply's receiver index).  SP_EMALFORMED (length/type), SP_ESTATE (we sent
 * no message it could answer, or already took a cookie for it), SP_EAUTH.
 * On success the cookie is stored with birthdate now.
 */
int tun_cookie_consume_reply(struct tun_cookie_maker *m, const uint8_t *msg,
			     size_t len, uint64_t now) SP_MUST_CHECK;

#endif

/*
 * hash.h - the BLAKE2s primitives of the WireGuard protocol, over OpenSSL 3.
 *
 * HASH = BLAKE2s-256, MAC = keyed BLAKE2s-128, HMAC = HMAC-BLAKE2s-256, KDFn as
 * in the WireGuard paper (HKDF with HMAC-BLAKE2s).  The EVP objects are
 * fetched once, process-wide, on first use (thread-safe); the only thing of
 * the per-packet transport path here is the shared ChaCha20-Poly1305 cipher
 * object (tun__aead_cipher()).  Every function returns 0 or SP_ECRYPTO.
 */
#ifndef TUN_HASH_H
#define TUN_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "core/error.h"
#include "tunnel/messages.h"

/*
 * Initialise libsodium and fetch the OpenSSL objects.  Safe to call any
 * number of times from any thread; every other tun_ function that needs it
 * calls it too.  Returns 0 or SP_ECRYPTO.
 */
int tun_crypto_init(void) SP_MUST_CHECK;

/*
 * The OpenSSL ChaCha20-Poly1305 (IETF) cipher, fetched once with the other
 * objects; NULL when tun_crypto_init() fails.  Shared read-only: callers make
 * their own EVP_CIPHER_CTX from it (the transport keypairs do, once each).
 */
const EVP_CIPHER *tun__aead_cipher(void);

/* out = HASH(a || b); b may be NULL with blen 0. */
int tun__hash(uint8_t out[TUN_HASH_LEN], const void *a, size_t alen,
	      const void *b, size_t blen) SP_MUST_CHECK;

/* out = MAC(key, in): keyed BLAKE2s with a 16-byte output; keylen 1..32. */
int tun__mac(uint8_t out[TUN_MAC_LEN], const uint8_t *key, size_t keylen,
	     const void *in, size_t inlen) SP_MUST_CHECK;

/* out = HMAC-BLAKE2s(key, in) with a 32-byte key. */
int tun__hmac(uint8_t out[TUN_HASH_LEN], const uint8_t key[TUN_HASH_LEN],
	      const void *in, size_t inlen) SP_MUST_CHECK;

/*
 * (t1, t2, t3) = KDFn(ck, in): t1 always; t2 and t3 may be NULL for KDF1 and
 * KDF2.  Outputs may alias ck.  Intermediate secrets are wiped.
 */
int tun__kdf(uint8_t t1[TUN_HASH_LEN], uint8_t *t2, uint8_t *t3,
	     const uint8_t ck[TUN_HASH_LEN], const void *in, size_t inlen) SP_MUST_CHECK;

/* The initial chaining key HASH(CONSTRUCTION) and hash HASH(ck || IDENTIFIER). */
int tun__initial_ck_hash(uint8_t ck[TUN_HASH_LEN], uint8_t h[TUN_HASH_LEN]) SP_MUST_CHECK;

#endif

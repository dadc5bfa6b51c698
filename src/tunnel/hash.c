/*
 * hash.c - BLAKE2s, keyed BLAKE2s and HMAC-BLAKE2s over OpenSSL 3, and the
 * WireGuard KDF built from them.
 *
 * The EVP_MD, EVP_MAC and EVP_CIPHER objects are fetched once per process
 * (pthread_once) and shared read-only; each hash call makes its own
 * short-lived context, which is fine for handshake traffic.  The transport
 * path only takes the ChaCha20-Poly1305 cipher object from here, once per
 * keypair (transport.c keeps its contexts).
 */
#include "tunnel/hash.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

static struct {
	EVP_MD *blake2s;
	EVP_MAC *b2mac;
	EVP_MAC *hmac;
	EVP_CIPHER *chacha;
	uint8_t initial_ck[TUN_HASH_LEN];
	uint8_t initial_hash[TUN_HASH_LEN];
	int status;
} crypto;

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static int hash_with(const EVP_MD *md, uint8_t out[TUN_HASH_LEN], const void *a, size_t alen,
		     const void *b, size_t blen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, md, NULL) == 1 &&
		 EVP_DigestUpdate(ctx, a, alen) == 1 &&
		 (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
		 EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == TUN_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : SP_ECRYPTO;
}

static void crypto_fetch(void)
{
	crypto.status = SP_ECRYPTO;
	if (sodium_init() < 0)
		return;
	crypto.blake2s = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	crypto.b2mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	crypto.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	crypto.chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (crypto.blake2s == NULL || crypto.b2mac == NULL || crypto.hmac == NULL ||
	    crypto.chacha == NULL)
		return;
	/* The protocol's initial chaining key and hash, computed once. */
	static const char construction[] = TUN_NOISE_CONSTRUCTION;
	static const char identifier[] = TUN_NOISE_IDENTIFIER;
	if (hash_with(crypto.blake2s, crypto.initial_ck, construction,
		      sizeof(construction) - 1, NULL, 0) != 0 ||
	    hash_with(crypto.blake2s, crypto.initial_hash, crypto.initial_ck, TUN_HASH_LEN,
		      identifier, sizeof(identifier) - 1) != 0)
		return;
	crypto.status = 0;
}

int tun_crypto_init(void)
{
	if (pthread_once(&crypto_once, crypto_fetch) != 0)
		return SP_ECRYPTO;
	return crypto.status;
}

const EVP_CIPHER *tun__aead_cipher(void)
{
	return tun_crypto_init() == 0 ? crypto.chacha : NULL;
}

int tun__hash(uint8_t out[TUN_HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	if (tun_crypto_init() != 0)
		return SP_ECRYPTO;
	return hash_with(crypto.blake2s, out, a, alen, b, blen);
}

static int mac_run(EVP_MAC *mac, const OSSL_PARAM *params, uint8_t *out, size_t outlen,
		   const uint8_t *key, size_t keylen, const void *in, size_t inlen)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	size_t n = 0;
	int ok = ctx != NULL && EVP_MAC_init(ctx, key, keylen, params) == 1 &&
		 EVP_MAC_update(ctx, in, inlen) == 1 &&
		 EVP_MAC_final(ctx, out, &n, outlen) == 1 && n == outlen;
	/* The context holds the key schedule: OpenSSL cleanses it on free. */
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : SP_ECRYPTO;
}

int tun__mac(uint8_t out[TUN_MAC_LEN], const uint8_t *key, size_t keylen,
	     const void *in, size_t inlen)
{
	if (tun_crypto_init() != 0 || keylen == 0 || keylen > 32)
		return SP_ECRYPTO;
	size_t size = TUN_MAC_LEN;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_construct_end(),
	};
	return mac_run(crypto.b2mac, params, out, TUN_MAC_LEN, key, keylen, in, inlen);
}

int tun__hmac(uint8_t out[TUN_HASH_LEN], const uint8_t key[TUN_HASH_LEN],
	      const void *in, size_t inlen)
{
	if (tun_crypto_init() != 0)
		return SP_ECRYPTO;
	char digest[] = "BLAKE2S-256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	return mac_run(crypto.hmac, params, out, TUN_HASH_LEN, key, TUN_HASH_LEN, in, inlen);
}

int tun__kdf(uint8_t t1[TUN_HASH_LEN], uint8_t *t2, uint8_t *t3,
	     const uint8_t ck[TUN_HASH_LEN], const void *in, size_t inlen)
{
	uint8_t prk[TUN_HASH_LEN], out[TUN_HASH_LEN + 1], t1v[TUN_HASH_LEN];
	int err;

	/* prk = HMAC(ck, in); t1 = HMAC(prk, 0x1); ti = HMAC(prk, t(i-1) || i). */
	err = tun__hmac(prk, ck, in, inlen);
	if (err != 0)
		goto out;
	out[0] = 1;
	err = tun__hmac(out, prk, out, 1);
	if (err != 0)
		goto out;
	memcpy(t1v, out, TUN_HASH_LEN);
	if (t2 != NULL) {
		out[TUN_HASH_LEN] = 2;
		err = tun__hmac(out, prk, out, TUN_HASH_LEN + 1);
		if (err != 0)
			goto out;
		memcpy(t2, out, TUN_HASH_LEN);
	}
	if (t3 != NULL) {
		if (t2 == NULL) {
			err = SP_ECRYPTO;
			goto out;
		}
		out[TUN_HASH_LEN] = 3;
		err = tun__hmac(out, prk, out, TUN_HASH_LEN + 1);
		if (err != 0)
			goto out;
		memcpy(t3, out, TUN_HASH_LEN);
	}
	/* Written last so that t1 may alias ck. */
	memcpy(t1, t1v, TUN_HASH_LEN);
out:
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(out, sizeof(out));
	sodium_memzero(t1v, sizeof(t1v));
	return err;
}

int tun__initial_ck_hash(uint8_t ck[TUN_HASH_LEN], uint8_t h[TUN_HASH_LEN])
{
	int err = tun_crypto_init();
	if (err != 0)
		return err;
	memcpy(ck, crypto.initial_ck, TUN_HASH_LEN);
	memcpy(h, crypto.initial_hash, TUN_HASH_LEN);
	return 0;
}

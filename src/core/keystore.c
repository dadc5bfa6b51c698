/* keystore.c - key custody; see keystore.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keystore.h"

struct sp_keys {
	uint8_t ed_pk[SP_KEY_LEN];
	uint8_t x_pk[SP_KEY_LEN];
	/* Secrets live in one sodium_malloc'd page, PROT_NONE between calls. */
	struct sp_keypair *secret;
};

static const struct sp_keypair *unlock(struct sp_keys *k)
{
	sodium_mprotect_readonly(k->secret);
	return k->secret;
}

static void lock(struct sp_keys *k)
{
	sodium_mprotect_noaccess(k->secret);
}

int sp_keys_from_pair(struct sp_keypair *kp, struct sp_keys **out)
{
	struct sp_keys *k = calloc(1, sizeof(*k));
	if (k == NULL || sodium_init() < 0)
		goto fail;
	k->secret = sodium_malloc(sizeof(*k->secret));
	if (k->secret == NULL)
		goto fail;
	memcpy(k->secret, kp, sizeof(*kp));
	memcpy(k->ed_pk, kp->ed_pk, SP_KEY_LEN);
	memcpy(k->x_pk, kp->x_pk, SP_KEY_LEN);
	sp_key_wipe(kp);
	lock(k);
	*out = k;
	return 0;
fail:
	free(k);
	sp_key_wipe(kp);
	return -ENOMEM;
}

int sp_keys_load(const char *path, struct sp_keys **out)
{
	struct sp_keypair kp;
	int rc = sp_key_load(path, &kp);
	if (rc) {
		sp_key_wipe(&kp);
		return rc;
	}
	return sp_keys_from_pair(&kp, out);
}

void sp_keys_free(struct sp_keys *keys)
{
	if (keys == NULL)
		return;
	sodium_free(keys->secret);	/* wipes */
	free(keys);
}

const uint8_t *sp_keys_ed_public(const struct sp_keys *keys) { return keys->ed_pk; }
const uint8_t *sp_keys_x_public(const struct sp_keys *keys) { return keys->x_pk; }

int sp_keys_sign(struct sp_keys *keys, const uint8_t *msg, size_t len, uint8_t sig[SP_SIG_LEN])
{
	int rc = crypto_sign_detached(sig, NULL, msg, len, unlock(keys)->ed_sk);
	lock(keys);
	return rc == 0 ? 0 : SP_ECRYPTO;
}

int sp_keys_dh(struct sp_keys *keys, const uint8_t peer_x[SP_KEY_LEN], uint8_t out[SP_KEY_LEN])
{
	int rc = crypto_scalarmult(out, unlock(keys)->x_sk, peer_x);
	lock(keys);
	if (rc != 0) {
		sodium_memzero(out, SP_KEY_LEN);
		return SP_ECRYPTO;
	}
	return 0;
}

int sp_keys_seal(struct sp_keys *keys, const uint8_t peer_x[SP_KEY_LEN],
		 const uint8_t nonce[SP_BOX_NONCE_LEN], const uint8_t *msg, size_t len, uint8_t *out)
{
	int rc = crypto_box_easy(out, msg, len, nonce, peer_x, unlock(keys)->x_sk);
	lock(keys);
	return rc == 0 ? 0 : SP_ECRYPTO;
}

int sp_keys_open(struct sp_keys *keys, const uint8_t peer_x[SP_KEY_LEN],
		 const uint8_t nonce[SP_BOX_NONCE_LEN], const uint8_t *box, size_t len, uint8_t *out)
{
	if (len < SP_BOX_MAC_LEN)
		return SP_EMALFORMED;
	int rc = crypto_box_open_easy(out, box, len, nonce, peer_x, unlock(keys)->x_sk);
	lock(keys);
	return rc == 0 ? 0 : SP_EAUTH;
}

bool sp_keys_is_wireguard_private(struct sp_keys *keys, const uint8_t candidate[SP_KEY_LEN])
{
	bool same = sodium_memcmp(unlock(keys)->x_sk, candidate, SP_KEY_LEN) == 0;
	lock(keys);
	return same;
}

int sp_keys_export_wireguard(struct sp_keys *keys, uint8_t out[SP_KEY_LEN])
{
	memcpy(out, unlock(keys)->x_sk, SP_KEY_LEN);
	lock(keys);
	return 0;
}

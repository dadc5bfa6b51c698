/*
 * noise.c - the WireGuard handshake, Noise_IKpsk2:
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss, {t}
 *   <- e, ee, se, psk, {}
 *
 * Each step works on local copies of the chaining key and hash and commits
 * them to the handshake only when the whole message was built or verified,
 * so a bad message never changes the state.  Every local secret is wiped at
 * the `out` label of its function.  The static private key is never here:
 * the three DH computations with it (es on the responder, se on the
 * initiator, and the precomputed ss) go through the identity's callback.  Transport (encrypt/decrypt) is in
 * transport.c.
 */
#include "tunnel/noise.h"

#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "tunnel/hash.h"

static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

/* out = DH(priv, pub); fails on a low-order public key (all-zero result). */
static int dh(uint8_t out[TUN_KEY_LEN], const uint8_t priv[TUN_KEY_LEN],
	      const uint8_t pub[TUN_KEY_LEN])
{
	return crypto_scalarmult(out, priv, pub) == 0 ? 0 : SP_EAUTH;
}

/* h = HASH(h || data). */
static int mix_hash(uint8_t h[TUN_HASH_LEN], const void *data, size_t len)
{
	return tun__hash(h, h, TUN_HASH_LEN, data, len);
}

/* out = DH(our static private key, pub), asked of the identity's holder. */
static int static_dh(const struct tun_noise_static *st, uint8_t out[TUN_KEY_LEN],
		     const uint8_t pub[TUN_KEY_LEN])
{
	if (st->dh(st->dh_ctx, pub, out) != 0) {
		sodium_memzero(out, TUN_KEY_LEN);
		return SP_EAUTH;
	}
	return 0;
}

/* (ck, key) = KDF2(ck, shared) and wipe shared, unless err: the end of every mix_dh. */
static int mix_shared(uint8_t ck[TUN_HASH_LEN], uint8_t *key, uint8_t shared[TUN_KEY_LEN],
		      int err)
{
	if (err == 0)
		err = tun__kdf(ck, key, NULL, ck, shared, TUN_KEY_LEN);
	sodium_memzero(shared, TUN_KEY_LEN);
	return err;
}

/* (ck, key) = KDF2(ck, DH(priv, pub)); key may be NULL for KDF1. */
static int mix_dh(uint8_t ck[TUN_HASH_LEN], uint8_t *key, const uint8_t priv[TUN_KEY_LEN],
		  const uint8_t pub[TUN_KEY_LEN])
{
	uint8_t shared[TUN_KEY_LEN];
	return mix_shared(ck, key, shared, dh(shared, priv, pub));
}

/* (ck, key) = KDF2(ck, DH(our static key, pub)). */
static int mix_static_dh(uint8_t ck[TUN_HASH_LEN], uint8_t *key,
			 const struct tun_noise_static *st, const uint8_t pub[TUN_KEY_LEN])
{
	uint8_t shared[TUN_KEY_LEN];
	return mix_shared(ck, key, shared, static_dh(st, shared, pub));
}

/* out = AEAD(key, 0, in, ad = h): len + 16 bytes. */
static void seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[TUN_KEY_LEN],
		 const uint8_t h[TUN_HASH_LEN])
{
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, h, TUN_HASH_LEN, NULL,
						  zero_nonce, key);
}

/* out = AEAD-open(key, 0, in of len bytes incl. tag, ad = h). */
static int open_sealed(uint8_t *out, const uint8_t *in, size_t len,
		       const uint8_t key[TUN_KEY_LEN], const uint8_t h[TUN_HASH_LEN])
{
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len, h, TUN_HASH_LEN,
						      zero_nonce, key) != 0)
		return SP_EAUTH;
	return 0;
}

int tun_noise_static_init(struct tun_noise_static *st, const uint8_t public_key[TUN_KEY_LEN],
			  tun_noise_dh_fn dh_fn, void *dh_ctx)
{
	int err = tun_crypto_init();
	memset(st, 0, sizeof(*st));
	if (err != 0)
		return err;
	if (dh_fn == NULL)
		return SP_ECRYPTO;
	memcpy(st->public_key, public_key, TUN_KEY_LEN);
	st->dh = dh_fn;
	st->dh_ctx = dh_ctx;
	st->has_identity = true;
	return 0;
}

int tun_noise_dh_raw(void *ctx, const uint8_t pub[TUN_KEY_LEN], uint8_t out[TUN_KEY_LEN])
{
	return crypto_scalarmult(out, ctx, pub) == 0 ? 0 : SP_ECRYPTO;
}

int tun_noise_static_init_raw(struct tun_noise_static *st, const uint8_t private_key[TUN_KEY_LEN])
{
	uint8_t pub[TUN_KEY_LEN];
	memset(st, 0, sizeof(*st));
	if (crypto_scalarmult_base(pub, private_key) != 0)
		return SP_ECRYPTO;
	/* the callback's ctx is not const: it is the caller's key, only read */
	return tun_noise_static_init(st, pub, tun_noise_dh_raw, (void *)private_key);
}

void tun_noise_static_deinit(struct tun_noise_static *st)
{
	if (st != NULL)
		sodium_memzero(st, sizeof(*st));
}

int tun_noise_handshake_rekey_static(struct tun_noise_handshake *hs)
{
	tun_noise_handshake_clear(hs);
	hs->static_static_ok = false;
	sodium_memzero(hs->precomputed_static_static, TUN_KEY_LEN);
	if (hs->local == NULL || !hs->local->has_identity)
		return 0;
	if (static_dh(hs->local, hs->precomputed_static_static, hs->remote_static) == 0)
		hs->static_static_ok = true;
	return 0;
}

int tun_noise_handshake_init(struct tun_noise_handshake *hs, const struct tun_noise_static *local,
			     const uint8_t remote_static[TUN_KEY_LEN],
			     const uint8_t preshared_key[TUN_KEY_LEN])
{
	int err = tun_crypto_init();
	sodium_memzero(hs, sizeof(*hs));
	if (err != 0)
		return err;
	hs->local = local;
	memcpy(hs->remote_static, remote_static, TUN_KEY_LEN);
	tun_noise_handshake_set_psk(hs, preshared_key);
	return tun_noise_handshake_rekey_static(hs);
}

void tun_noise_handshake_set_psk(struct tun_noise_handshake *hs,
				 const uint8_t preshared_key[TUN_KEY_LEN])
{
	if (preshared_key != NULL)
		memcpy(hs->preshared_key, preshared_key, TUN_KEY_LEN);
	else
		sodium_memzero(hs->preshared_key, TUN_KEY_LEN);
}

void tun_noise_handshake_clear(struct tun_noise_handshake *hs)
{
	sodium_memzero(hs->remote_ephemeral, TUN_KEY_LEN);
	sodium_memzero(hs->ephemeral_private, TUN_KEY_LEN);
	sodium_memzero(hs->hash, TUN_HASH_LEN);
	sodium_memzero(hs->chaining_key, TUN_HASH_LEN);
	hs->local_index = 0;
	hs->remote_index = 0;
	hs->state = TUN_HS_ZEROED;
}

void tun_noise_handshake_deinit(struct tun_noise_handshake *hs)
{
	if (hs != NULL)
		sodium_memzero(hs, sizeof(*hs));
}

/*
 * Commit a message just created: its chaining key, hash and ephemeral key
 * become the handshake's.  Called only once the whole message was built, so
 * a failed step leaves hs as it was.
 */
static void commit_created(struct tun_noise_handshake *hs, const uint8_t ck[TUN_HASH_LEN],
			   const uint8_t h[TUN_HASH_LEN], const uint8_t e_priv[TUN_KEY_LEN],
			   uint32_t local_index, enum tun_noise_state state)
{
	memcpy(hs->chaining_key, ck, TUN_HASH_LEN);
	memcpy(hs->hash, h, TUN_HASH_LEN);
	memcpy(hs->ephemeral_private, e_priv, TUN_KEY_LEN);
	hs->local_index = local_index;
	hs->state = state;
}

/* Wipe a create step's local secrets, and its half-built message on failure. */
static void wipe_created(int err, void *msg, size_t msg_len, uint8_t ck[TUN_HASH_LEN],
			 uint8_t h[TUN_HASH_LEN], uint8_t key[TUN_KEY_LEN],
			 uint8_t e_priv[TUN_KEY_LEN])
{
	if (err != 0)
		sodium_memzero(msg, msg_len);
	sodium_memzero(ck, TUN_HASH_LEN);
	sodium_memzero(h, TUN_HASH_LEN);
	sodium_memzero(key, TUN_KEY_LEN);
	sodium_memzero(e_priv, TUN_KEY_LEN);
}

int tun_noise_create_initiation(struct tun_noise_handshake *hs, struct tun_msg_initiation *msg,
				uint32_t local_index, const uint8_t timestamp[TUN_TIMESTAMP_LEN])
{
	uint8_t ck[TUN_HASH_LEN], h[TUN_HASH_LEN], key[TUN_KEY_LEN], e_priv[TUN_KEY_LEN];
	int err;

	if (hs->local == NULL || !hs->local->has_identity)
		return SP_ESTATE;
	if (!hs->static_static_ok)
		return SP_ECRYPTO;
	tun_noise_handshake_clear(hs);
	memset(msg, 0, sizeof(*msg));

	err = tun__initial_ck_hash(ck, h);
	if (err != 0)
		goto out;
	err = mix_hash(h, hs->remote_static, TUN_KEY_LEN);
	if (err != 0)
		goto out;

	/* e */
	randombytes_buf(e_priv, sizeof(e_priv));
	if (crypto_scalarmult_base(msg->unencrypted_ephemeral, e_priv) != 0) {
		err = SP_ECRYPTO;
		goto out;
	}
	err = tun__kdf(ck, NULL, NULL, ck, msg->unencrypted_ephemeral, TUN_KEY_LEN);
	if (err == 0)
		err = mix_hash(h, msg->unencrypted_ephemeral, TUN_KEY_LEN);
	/* es */
	if (err == 0)
		err = mix_dh(ck, key, e_priv, hs->remote_static);
	if (err != 0) {
		err = SP_ECRYPTO;
		goto out;
	}
	/* s */
	seal(msg->encrypted_static, hs->local->public_key, TUN_KEY_LEN, key, h);
	err = mix_hash(h, msg->encrypted_static, sizeof(msg->encrypted_static));
	/* ss */
	if (err == 0)
		err = tun__kdf(ck, key, NULL, ck, hs->precomputed_static_static, TUN_KEY_LEN);
	if (err != 0)
		goto out;
	/* {t} */
	seal(msg->encrypted_timestamp, timestamp, TUN_TIMESTAMP_LEN, key, h);
	err = mix_hash(h, msg->encrypted_timestamp, sizeof(msg->encrypted_timestamp));
	if (err != 0)
		goto out;

	tun_put_le32(&msg->header.type, TUN_MSG_INITIATION);
	tun_put_le32(&msg->sender_index, local_index);
	commit_created(hs, ck, h, e_priv, local_index, TUN_HS_CREATED_INITIATION);
out:
	wipe_created(err, msg, sizeof(*msg), ck, h, key, e_priv);
	return err;
}

void tun_noise_initiation_ctx_wipe(struct tun_noise_initiation_ctx *ctx)
{
	if (ctx != NULL)
		sodium_memzero(ctx, sizeof(*ctx));
}

int tun_noise_consume_initiation_begin(const struct tun_noise_static *local, const uint8_t *msg,
				       size_t len, struct tun_noise_initiation_ctx *ctx)
{
	struct tun_msg_initiation m;
	uint8_t key[TUN_KEY_LEN];
	int err;

	tun_noise_initiation_ctx_wipe(ctx);
	if (local == NULL || !local->has_identity)
		return SP_ESTATE;
	if (msg == NULL || tun_msg_classify(msg, len) != TUN_MSG_INITIATION)
		return SP_EMALFORMED;
	memcpy(&m, msg, sizeof(m));

	err = tun__initial_ck_hash(ctx->chaining_key, ctx->hash);
	if (err == 0)
		err = mix_hash(ctx->hash, local->public_key, TUN_KEY_LEN);
	/* e */
	if (err == 0)
		err = tun__kdf(ctx->chaining_key, NULL, NULL, ctx->chaining_key,
			       m.unencrypted_ephemeral, TUN_KEY_LEN);
	if (err == 0)
		err = mix_hash(ctx->hash, m.unencrypted_ephemeral, TUN_KEY_LEN);
	if (err != 0)
		goto out;
	/* es: a low-order ephemeral key is refused here (SP_EAUTH) */
	err = mix_static_dh(ctx->chaining_key, key, local, m.unencrypted_ephemeral);
	if (err != 0)
		goto out;
	/* s */
	err = open_sealed(ctx->remote_static, m.encrypted_static, sizeof(m.encrypted_static),
			  key, ctx->hash);
	if (err == 0)
		err = mix_hash(ctx->hash, m.encrypted_static, sizeof(m.encrypted_static));
	if (err != 0)
		goto out;

	memcpy(ctx->remote_ephemeral, m.unencrypted_ephemeral, TUN_KEY_LEN);
	memcpy(ctx->encrypted_timestamp, m.encrypted_timestamp, sizeof(ctx->encrypted_timestamp));
	ctx->remote_index = tun_le32(&m.sender_index);
	ctx->local = local;
	ctx->ready = true;
out:
	if (err != 0)
		tun_noise_initiation_ctx_wipe(ctx);
	sodium_memzero(key, sizeof(key));
	return err;
}

int tun_noise_consume_initiation_finish(struct tun_noise_initiation_ctx *ctx,
					struct tun_noise_handshake *hs, uint64_t now)
{
	uint8_t key[TUN_KEY_LEN], t[TUN_TIMESTAMP_LEN];
	int err;

	memset(t, 0, sizeof(t));
	if (!ctx->ready || hs == NULL || hs->local != ctx->local) {
		err = SP_ESTATE;
		goto out;
	}
	if (sodium_memcmp(hs->remote_static, ctx->remote_static, TUN_KEY_LEN) != 0) {
		err = SP_ENOTFOUND;
		goto out;
	}
	if (!hs->static_static_ok) {
		err = SP_EAUTH;
		goto out;
	}
	/* ss */
	err = tun__kdf(ctx->chaining_key, key, NULL, ctx->chaining_key,
		       hs->precomputed_static_static, TUN_KEY_LEN);
	if (err != 0)
		goto out;
	/* {t} */
	err = open_sealed(t, ctx->encrypted_timestamp, sizeof(ctx->encrypted_timestamp), key,
			  ctx->hash);
	if (err == 0)
		err = mix_hash(ctx->hash, ctx->encrypted_timestamp,
			       sizeof(ctx->encrypted_timestamp));
	if (err != 0)
		goto out;

	/* Big-endian TAI64N compares as bytes: only strictly newer is accepted. */
	if (memcmp(t, hs->latest_timestamp, TUN_TIMESTAMP_LEN) <= 0) {
		err = SP_EREPLAY;
		goto out;
	}
	if (hs->last_initiation_consumption != 0 &&
	    now < hs->last_initiation_consumption + TUN_NSEC_PER_SEC / TUN_INITIATIONS_PER_SECOND) {
		err = SP_ELIMIT;
		goto out;
	}

	tun_noise_handshake_clear(hs);
	memcpy(hs->remote_ephemeral, ctx->remote_ephemeral, TUN_KEY_LEN);
	memcpy(hs->chaining_key, ctx->chaining_key, TUN_HASH_LEN);
	memcpy(hs->hash, ctx->hash, TUN_HASH_LEN);
	memcpy(hs->latest_timestamp, t, TUN_TIMESTAMP_LEN);
	hs->remote_index = ctx->remote_index;
	hs->last_initiation_consumption = now;
	hs->state = TUN_HS_CONSUMED_INITIATION;
out:
	tun_noise_initiation_ctx_wipe(ctx);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(t, sizeof(t));
	return err;
}

int tun_noise_consume_initiation(const struct tun_noise_static *local, const uint8_t *msg,
				 size_t len, uint64_t now, tun_noise_lookup_fn lookup, void *arg,
				 struct tun_noise_handshake **hs_out)
{
	struct tun_noise_initiation_ctx ctx;
	struct tun_noise_handshake *hs;
	int err;

	*hs_out = NULL;
	err = tun_noise_consume_initiation_begin(local, msg, len, &ctx);
	if (err != 0)
		return err;
	hs = lookup(arg, ctx.remote_static);
	if (hs == NULL) {
		tun_noise_initiation_ctx_wipe(&ctx);
		return SP_ENOTFOUND;
	}
	err = tun_noise_consume_initiation_finish(&ctx, hs, now);
	if (err == 0)
		*hs_out = hs;
	return err;
}

/*
 * The response half shared by both sides: from (ck, h) after the
 * initiation, mix e_r, ee, se and psk into ck/h and return the key of the
 * empty AEAD.  ee and se are DH(e_priv, e_pub) and DH(s_priv, e_pub) or
 * their mirror images, so each side passes its own pairs.  se is the
 * responder's ephemeral key with the initiator's static key (se_priv), or
 * on the initiator its static key with the responder's ephemeral key: then
 * se_priv is NULL and se_static computes it.
 */
static int response_mix(uint8_t ck[TUN_HASH_LEN], uint8_t h[TUN_HASH_LEN],
			uint8_t key[TUN_KEY_LEN], const uint8_t e_r_pub[TUN_KEY_LEN],
			const uint8_t ee_priv[TUN_KEY_LEN], const uint8_t ee_pub[TUN_KEY_LEN],
			const uint8_t *se_priv, const struct tun_noise_static *se_static,
			const uint8_t se_pub[TUN_KEY_LEN], const uint8_t psk[TUN_KEY_LEN])
{
	uint8_t tau[TUN_HASH_LEN];
	int err;

	/* e */
	err = tun__kdf(ck, NULL, NULL, ck, e_r_pub, TUN_KEY_LEN);
	if (err == 0)
		err = mix_hash(h, e_r_pub, TUN_KEY_LEN);
	/* ee, se */
	if (err == 0)
		err = mix_dh(ck, NULL, ee_priv, ee_pub);
	if (err == 0)
		err = se_priv != NULL ? mix_dh(ck, NULL, se_priv, se_pub)
				      : mix_static_dh(ck, NULL, se_static, se_pub);
	/* psk */
	if (err == 0)
		err = tun__kdf(ck, tau, key, ck, psk, TUN_KEY_LEN);
	if (err == 0)
		err = mix_hash(h, tau, TUN_HASH_LEN);
	sodium_memzero(tau, sizeof(tau));
	return err;
}

int tun_noise_create_response(struct tun_noise_handshake *hs, struct tun_msg_response *msg,
			      uint32_t local_index)
{
	uint8_t ck[TUN_HASH_LEN], h[TUN_HASH_LEN], key[TUN_KEY_LEN], e_priv[TUN_KEY_LEN];
	int err;

	memset(msg, 0, sizeof(*msg));
	if (hs->state != TUN_HS_CONSUMED_INITIATION || hs->local == NULL ||
	    !hs->local->has_identity)
		return SP_ESTATE;
	memcpy(ck, hs->chaining_key, TUN_HASH_LEN);
	memcpy(h, hs->hash, TUN_HASH_LEN);

	randombytes_buf(e_priv, sizeof(e_priv));
	if (crypto_scalarmult_base(msg->unencrypted_ephemeral, e_priv) != 0) {
		err = SP_ECRYPTO;
		goto out;
	}
	err = response_mix(ck, h, key, msg->unencrypted_ephemeral, e_priv, hs->remote_ephemeral,
			   e_priv, NULL, hs->remote_static, hs->preshared_key);
	if (err != 0)
		goto out;
	/* {} */
	seal(msg->encrypted_nothing, (const uint8_t *)"", 0, key, h);
	err = mix_hash(h, msg->encrypted_nothing, sizeof(msg->encrypted_nothing));
	if (err != 0)
		goto out;

	tun_put_le32(&msg->header.type, TUN_MSG_RESPONSE);
	tun_put_le32(&msg->sender_index, local_index);
	tun_put_le32(&msg->receiver_index, hs->remote_index);
	commit_created(hs, ck, h, e_priv, local_index, TUN_HS_CREATED_RESPONSE);
out:
	wipe_created(err, msg, sizeof(*msg), ck, h, key, e_priv);
	return err;
}

int tun_noise_consume_response(struct tun_noise_handshake *hs, const uint8_t *msg, size_t len)
{
	struct tun_msg_response m;
	uint8_t ck[TUN_HASH_LEN], h[TUN_HASH_LEN], key[TUN_KEY_LEN];
	int err;

	if (msg == NULL || tun_msg_classify(msg, len) != TUN_MSG_RESPONSE)
		return SP_EMALFORMED;
	memcpy(&m, msg, sizeof(m));
	if (hs->state != TUN_HS_CREATED_INITIATION || hs->local == NULL ||
	    !hs->local->has_identity || tun_le32(&m.receiver_index) != hs->local_index)
		return SP_ESTATE;
	memcpy(ck, hs->chaining_key, TUN_HASH_LEN);
	memcpy(h, hs->hash, TUN_HASH_LEN);

	err = response_mix(ck, h, key, m.unencrypted_ephemeral, hs->ephemeral_private,
			   m.unencrypted_ephemeral, NULL, hs->local,
			   m.unencrypted_ephemeral, hs->preshared_key);
	if (err != 0) {
		err = SP_EAUTH;
		goto out;
	}
	/* {} */
	uint8_t nothing[1];
	err = open_sealed(nothing, m.encrypted_nothing, sizeof(m.encrypted_nothing), key, h);
	if (err == 0)
		err = mix_hash(h, m.encrypted_nothing, sizeof(m.encrypted_nothing));
	if (err != 0)
		goto out;

	memcpy(hs->remote_ephemeral, m.unencrypted_ephemeral, TUN_KEY_LEN);
	memcpy(hs->chaining_key, ck, TUN_HASH_LEN);
	memcpy(hs->hash, h, TUN_HASH_LEN);
	hs->remote_index = tun_le32(&m.sender_index);
	hs->state = TUN_HS_CONSUMED_RESPONSE;
out:
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(key, sizeof(key));
	return err;
}

/* A ChaCha20-Poly1305 context with its key set, for encrypting (enc 1) or decrypting (0). */
static EVP_CIPHER_CTX *aead_ctx_new(const uint8_t key[TUN_KEY_LEN], int enc)
{
	const EVP_CIPHER *cipher = tun__aead_cipher();
	EVP_CIPHER_CTX *ctx = cipher != NULL ? EVP_CIPHER_CTX_new() : NULL;

	if (ctx == NULL)
		return NULL;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, key, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_get_key_length(ctx) != TUN_KEY_LEN ||
	    EVP_CIPHER_CTX_get_iv_length(ctx) != 12) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int tun_noise_begin_session(struct tun_noise_handshake *hs, struct tun_noise_keypair *kp,
			    uint64_t now)
{
	uint8_t t1[TUN_KEY_LEN], t2[TUN_KEY_LEN];
	EVP_CIPHER_CTX *send_ctx = NULL, *recv_ctx = NULL;
	bool initiator;
	int err;

	if (hs->state == TUN_HS_CONSUMED_RESPONSE)
		initiator = true;
	else if (hs->state == TUN_HS_CREATED_RESPONSE)
		initiator = false;
	else
		return SP_ESTATE;

	/* (T_send_i = T_recv_r, T_recv_i = T_send_r) = KDF2(C, empty) */
	err = tun__kdf(t1, t2, NULL, hs->chaining_key, NULL, 0);
	if (err == 0) {
		send_ctx = aead_ctx_new(initiator ? t1 : t2, 1);
		recv_ctx = aead_ctx_new(initiator ? t2 : t1, 0);
		if (send_ctx == NULL || recv_ctx == NULL)
			err = SP_ECRYPTO;
	}
	sodium_memzero(kp, sizeof(*kp));
	if (err != 0) {
		/* EVP_CIPHER_CTX_free cleanses the key schedule; NULL is fine. */
		EVP_CIPHER_CTX_free(send_ctx);
		EVP_CIPHER_CTX_free(recv_ctx);
		goto out;
	}
	tun_counter_init(&kp->recv_counter);
	memcpy(kp->send_key, initiator ? t1 : t2, TUN_KEY_LEN);
	memcpy(kp->recv_key, initiator ? t2 : t1, TUN_KEY_LEN);
	kp->send_ctx = send_ctx;
	kp->recv_ctx = recv_ctx;
	kp->send_counter = 0;
	kp->birthdate = now;
	kp->local_index = hs->local_index;
	kp->remote_index = hs->remote_index;
	kp->is_initiator = initiator;
	kp->valid = true;
	tun_noise_handshake_clear(hs);
out:
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	return err;
}

void tun_tai64n(uint8_t out[TUN_TIMESTAMP_LEN], const struct timespec *wall)
{
	/* TAI64 label 2^62 + 10 (TAI-UTC offset as wireguard uses it) + Unix seconds. */
	uint64_t secs = htobe64(UINT64_C(0x400000000000000a) + (uint64_t)wall->tv_sec);
	uint32_t nsec = htobe32((uint32_t)wall->tv_nsec & ~UINT32_C(0xffffff));
	memcpy(out, &secs, 8);
	memcpy(out + 8, &nsec, 4);
}

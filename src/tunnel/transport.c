/*
 * transport.c - transport data messages: encrypt and decrypt in place with
 * ChaCha20-Poly1305 (IETF) through OpenSSL's EVP, the 64-bit counter as
 * nonce, and the replay window.  This is the per-packet path: each keypair
 * keeps one EVP_CIPHER_CTX per direction, keyed once by
 * tun_noise_begin_session(); a packet only sets the nonce.  No allocation.
 * The key-age rules are here too, with the ages passed in: timers.c calls
 * them with the tunnel.* intervals.
 */
#include "tunnel/noise.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#define DATA_NONCE_LEN 12

/* Nonce: four zero bytes, then the counter little-endian. */
static void data_nonce(uint8_t nonce[DATA_NONCE_LEN], uint64_t counter)
{
	memset(nonce, 0, 4);
	tun_put_le64(nonce + 4, counter);
}

/* Seal len bytes at p in place and write the tag at p + len. */
static int aead_seal(EVP_CIPHER_CTX *ctx, uint8_t *p, size_t len, uint64_t counter)
{
	uint8_t nonce[DATA_NONCE_LEN];
	int n = 0, fin = 0;

	data_nonce(nonce, counter);
	if (len > INT_MAX || EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
	    (len > 0 && (EVP_EncryptUpdate(ctx, p, &n, p, (int)len) != 1 || (size_t)n != len)) ||
	    EVP_EncryptFinal_ex(ctx, p + len, &fin) != 1 || fin != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TUN_AUTHTAG_LEN, p + len) != 1)
		return SP_ECRYPTO;
	return 0;
}

/*
 * Open len bytes at p in place, the tag at p + len.  0 only when the tag
 * verifies; before that the bytes at p are not to be used.
 */
static int aead_open(EVP_CIPHER_CTX *ctx, uint8_t *p, size_t len, uint64_t counter)
{
	uint8_t nonce[DATA_NONCE_LEN];
	int n = 0, fin = 0;

	data_nonce(nonce, counter);
	if (len > INT_MAX || EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TUN_AUTHTAG_LEN, p + len) != 1 ||
	    (len > 0 && (EVP_DecryptUpdate(ctx, p, &n, p, (int)len) != 1 || (size_t)n != len)) ||
	    EVP_DecryptFinal_ex(ctx, p + len, &fin) != 1 || fin != 0)
		return SP_EAUTH;
	return 0;
}

static uint64_t keypair_age(const struct tun_noise_keypair *kp, uint64_t now)
{
	return now > kp->birthdate ? now - kp->birthdate : 0;
}

void tun_noise_keypair_wipe(struct tun_noise_keypair *kp)
{
	if (kp == NULL)
		return;
	/* EVP_CIPHER_CTX_free cleanses the contexts (key schedule); NULL is fine. */
	EVP_CIPHER_CTX_free(kp->send_ctx);
	EVP_CIPHER_CTX_free(kp->recv_ctx);
	kp->send_ctx = NULL;
	kp->recv_ctx = NULL;
	sodium_memzero(kp->send_key, sizeof(kp->send_key));
	sodium_memzero(kp->recv_key, sizeof(kp->recv_key));
	kp->valid = false;
}

const struct tun_noise_ages tun_noise_protocol_ages = {
	.rekey_after_time = TUN_REKEY_AFTER_TIME,
	.reject_after_time = TUN_REJECT_AFTER_TIME,
	.keepalive_timeout = TUN_KEEPALIVE_TIMEOUT,
	.rekey_timeout = TUN_REKEY_TIMEOUT,
};

bool tun_noise_keypair_expired(const struct tun_noise_keypair *kp, uint64_t now,
			       const struct tun_noise_ages *ages)
{
	return !kp->valid || keypair_age(kp, now) >= ages->reject_after_time;
}

bool tun_noise_keypair_usable(const struct tun_noise_keypair *kp, uint64_t now,
			      const struct tun_noise_ages *ages)
{
	return !tun_noise_keypair_expired(kp, now, ages) &&
	       kp->send_counter < TUN_REJECT_AFTER_MESSAGES;
}

bool tun_noise_keypair_should_rekey_send(const struct tun_noise_keypair *kp, uint64_t now,
					 const struct tun_noise_ages *ages)
{
	if (!kp->valid)
		return false;
	return kp->send_counter >= TUN_REKEY_AFTER_MESSAGES ||
	       (kp->is_initiator && keypair_age(kp, now) >= ages->rekey_after_time);
}

bool tun_noise_keypair_should_rekey_recv(const struct tun_noise_keypair *kp, uint64_t now,
					 const struct tun_noise_ages *ages)
{
	uint64_t reject = ages->reject_after_time;
	uint64_t margin = ages->keepalive_timeout + ages->rekey_timeout;
	/* Shortened intervals (tests) may leave no margin: rekey at half the life then. */
	uint64_t limit = reject > margin ? reject - margin : reject / 2;
	return kp->valid && kp->is_initiator && keypair_age(kp, now) >= limit;
}

int tun_noise_encrypt(struct tun_noise_keypair *kp, uint8_t *buf, size_t cap, size_t plain_len,
		      size_t mtu, uint64_t now, size_t *out_len)
{
	size_t padded;

	*out_len = 0;
	if (!kp->valid || kp->send_ctx == NULL)
		return SP_ESTATE;
	if (keypair_age(kp, now) >= TUN_REJECT_AFTER_TIME ||
	    kp->send_counter >= TUN_REJECT_AFTER_MESSAGES)
		return SP_EEXPIRED;
	if (cap < TUN_MSG_DATA_OVERHEAD || plain_len > cap - TUN_MSG_DATA_OVERHEAD)
		return SP_ETRUNC;

	/* Pad to 16, but not past the MTU when the packet itself fits it. */
	padded = plain_len + (TUN_MESSAGE_PADDING_MULTIPLE - 1);
	padded -= padded % TUN_MESSAGE_PADDING_MULTIPLE;
	if (mtu > 0 && plain_len <= mtu && padded > mtu)
		padded = mtu;
	if (padded > cap - TUN_MSG_DATA_OVERHEAD)
		return SP_ETRUNC;

	uint8_t *payload = buf + TUN_MSG_DATA_HEADER_LEN;
	memset(payload + plain_len, 0, padded - plain_len);
	uint64_t counter = kp->send_counter++;
	if (aead_seal(kp->send_ctx, payload, padded, counter) != 0)
		return SP_ECRYPTO;
	tun_put_le32(buf + offsetof(struct tun_msg_data, header), TUN_MSG_DATA);
	tun_put_le32(buf + offsetof(struct tun_msg_data, receiver_index), kp->remote_index);
	tun_put_le64(buf + offsetof(struct tun_msg_data, counter), counter);
	*out_len = TUN_MSG_DATA_OVERHEAD + padded;
	return 0;
}

int tun_noise_decrypt(struct tun_noise_keypair *kp, uint8_t *msg, size_t len, uint64_t now,
		      size_t *plain_len, uint64_t *counter_out)
{
	*plain_len = 0;
	if (msg == NULL || tun_msg_classify(msg, len) != TUN_MSG_DATA)
		return SP_EMALFORMED;
	if (!kp->valid || kp->recv_ctx == NULL || tun_msg_receiver_index(msg, TUN_MSG_DATA) != kp->local_index)
		return SP_ESTATE;
	if (keypair_age(kp, now) >= TUN_REJECT_AFTER_TIME)
		return SP_EEXPIRED;
	uint64_t counter = tun_le64(msg + offsetof(struct tun_msg_data, counter));
	/* Cheap check first; the window only moves after authentication. */
	if (!tun_counter_check(&kp->recv_counter, counter))
		return SP_EREPLAY;

	size_t clen = len - TUN_MSG_DATA_MIN_LEN;
	uint8_t *payload = msg + TUN_MSG_DATA_HEADER_LEN;
	/* The tag is verified before the window moves and before anything is returned. */
	if (aead_open(kp->recv_ctx, payload, clen, counter) != 0)
		return SP_EAUTH;
	if (!tun_counter_validate(&kp->recv_counter, counter))
		return SP_EREPLAY;
	*plain_len = clen;
	if (counter_out != NULL)
		*counter_out = counter;
	return 0;
}

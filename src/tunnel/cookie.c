/*
 * cookie.c - mac1/mac2 and cookie replies (WireGuard paper, section 5.4.7).
 *
 *   mac1   = MAC(HASH("mac1----" || S_pub of the receiver), msg up to mac1)
 *   cookie = MAC(R_changing, source address bytes)     (R rotated every 2 min)
 *   mac2   = MAC(cookie, msg up to mac2)
 *   reply  = XAEAD(HASH("cookie--" || S_pub of the responder), random nonce,
 *                  cookie, AD = mac1 of the message answered)
 */
#include "tunnel/cookie.h"

#include <string.h>

#include <sodium.h>

#include "tunnel/hash.h"

/* Byte offsets of mac1 and mac2 in a handshake message of len bytes. */
#define MAC1_OFFSET(len) ((len) - sizeof(struct tun_msg_macs))
#define MAC2_OFFSET(len) ((len) - TUN_MAC_LEN)

static bool is_handshake(const uint8_t *msg, size_t len)
{
	if (msg == NULL)
		return false;
	enum tun_msg_type t = tun_msg_classify(msg, len);
	return t == TUN_MSG_INITIATION || t == TUN_MSG_RESPONSE;
}

static int label_key(uint8_t out[TUN_HASH_LEN], const char label[8],
		     const uint8_t pub[TUN_KEY_LEN])
{
	return tun__hash(out, label, 8, pub, TUN_KEY_LEN);
}

int tun_cookie_checker_init(struct tun_cookie_checker *c, const uint8_t our_public[TUN_KEY_LEN])
{
	int err;

	sodium_memzero(c, sizeof(*c));
	err = label_key(c->mac1_key, TUN_LABEL_MAC1, our_public);
	if (err == 0)
		err = label_key(c->cookie_key, TUN_LABEL_COOKIE, our_public);
	if (err != 0) {
		sodium_memzero(c, sizeof(*c));
		return err;
	}
	c->has_identity = true;
	return 0;
}

void tun_cookie_checker_deinit(struct tun_cookie_checker *c)
{
	if (c != NULL)
		sodium_memzero(c, sizeof(*c));
}

/* The cookie for src under the current secret, rotating it when it is too old. */
static int make_cookie(struct tun_cookie_checker *c, uint8_t cookie[TUN_COOKIE_LEN],
		       const uint8_t *src, size_t src_len, uint64_t now)
{
	if (src_len > TUN_COOKIE_SRC_MAX || (src == NULL && src_len != 0))
		return SP_EMALFORMED;
	if (!c->secret_valid || now < c->secret_birthdate ||
	    now - c->secret_birthdate >= TUN_COOKIE_SECRET_MAX_AGE) {
		randombytes_buf(c->secret, sizeof(c->secret));
		c->secret_birthdate = now;
		c->secret_valid = true;
	}
	return tun__mac(cookie, c->secret, sizeof(c->secret), src_len ? src : (const uint8_t *)"",
			src_len);
}

enum tun_cookie_mac_state tun_cookie_validate(struct tun_cookie_checker *c, const uint8_t *msg,
					      size_t len, const uint8_t *src, size_t src_len,
					      bool check_cookie, uint64_t now)
{
	uint8_t mac[TUN_MAC_LEN], cookie[TUN_COOKIE_LEN];
	enum tun_cookie_mac_state ret = TUN_MAC_INVALID;

	if (!c->has_identity || !is_handshake(msg, len))
		return TUN_MAC_INVALID;
	if (tun__mac(mac, c->mac1_key, TUN_HASH_LEN, msg, MAC1_OFFSET(len)) != 0 ||
	    sodium_memcmp(mac, msg + MAC1_OFFSET(len), TUN_MAC_LEN) != 0)
		goto out;
	ret = TUN_MAC_VALID_NO_COOKIE;
	if (!check_cookie)
		goto out;
	if (make_cookie(c, cookie, src, src_len, now) != 0 ||
	    tun__mac(mac, cookie, TUN_COOKIE_LEN, msg, MAC2_OFFSET(len)) != 0)
		goto out;
	if (sodium_memcmp(mac, msg + MAC2_OFFSET(len), TUN_MAC_LEN) == 0)
		ret = TUN_MAC_VALID_WITH_COOKIE;
out:
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(mac, sizeof(mac));
	return ret;
}

int tun_cookie_create_reply(struct tun_cookie_checker *c, struct tun_msg_cookie *out,
			    const uint8_t *msg, size_t len, const uint8_t *src, size_t src_len,
			    uint64_t now)
{
	uint8_t cookie[TUN_COOKIE_LEN];
	int err;

	memset(out, 0, sizeof(*out));
	if (!c->has_identity)
		return SP_ESTATE;
	if (!is_handshake(msg, len))
		return SP_EMALFORMED;
	err = make_cookie(c, cookie, src, src_len, now);
	if (err != 0)
		goto out;
	/* Initiations and responses both carry their sender index at offset 4. */
	tun_put_le32(&out->header.type, TUN_MSG_COOKIE);
	tun_put_le32(&out->receiver_index, tun_le32(msg + sizeof(struct tun_msg_header)));
	randombytes_buf(out->nonce, sizeof(out->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->encrypted_cookie, NULL, cookie,
						   sizeof(cookie), msg + MAC1_OFFSET(len),
						   TUN_MAC_LEN, NULL, out->nonce, c->cookie_key);
out:
	sodium_memzero(cookie, sizeof(cookie));
	return err;
}

int tun_cookie_maker_init(struct tun_cookie_maker *m, const uint8_t peer_public[TUN_KEY_LEN])
{
	int err;

	sodium_memzero(m, sizeof(*m));
	err = label_key(m->mac1_key, TUN_LABEL_MAC1, peer_public);
	if (err == 0)
		err = label_key(m->cookie_key, TUN_LABEL_COOKIE, peer_public);
	if (err != 0)
		sodium_memzero(m, sizeof(*m));
	return err;
}

void tun_cookie_maker_deinit(struct tun_cookie_maker *m)
{
	if (m != NULL)
		sodium_memzero(m, sizeof(*m));
}

int tun_cookie_add_macs(struct tun_cookie_maker *m, uint8_t *msg, size_t len, uint64_t now)
{
	int err;

	if (!is_handshake(msg, len))
		return SP_EMALFORMED;
	err = tun__mac(msg + MAC1_OFFSET(len), m->mac1_key, TUN_HASH_LEN, msg, MAC1_OFFSET(len));
	if (err != 0)
		return err;
	memcpy(m->last_mac1_sent, msg + MAC1_OFFSET(len), TUN_MAC_LEN);
	m->have_sent_mac1 = true;

	/* A cookie is only good while the peer's secret it came from is still current. */
	if (m->cookie_valid && now >= m->cookie_birthdate &&
	    now - m->cookie_birthdate < TUN_COOKIE_SECRET_MAX_AGE - TUN_COOKIE_SECRET_LATENCY)
		return tun__mac(msg + MAC2_OFFSET(len), m->cookie, TUN_COOKIE_LEN, msg,
				MAC2_OFFSET(len));
	memset(msg + MAC2_OFFSET(len), 0, TUN_MAC_LEN);
	return 0;
}

int tun_cookie_consume_reply(struct tun_cookie_maker *m, const uint8_t *msg, size_t len,
			     uint64_t now)
{
	struct tun_msg_cookie reply;
	uint8_t cookie[TUN_COOKIE_LEN];
	int err = 0;

	if (msg == NULL || tun_msg_classify(msg, len) != TUN_MSG_COOKIE)
		return SP_EMALFORMED;
	if (!m->have_sent_mac1)
		return SP_ESTATE;
	memcpy(&reply, msg, sizeof(reply));
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL, reply.encrypted_cookie,
						       sizeof(reply.encrypted_cookie),
						       m->last_mac1_sent, TUN_MAC_LEN,
						       reply.nonce, m->cookie_key) != 0) {
		err = SP_EAUTH;
		goto out;
	}
	memcpy(m->cookie, cookie, TUN_COOKIE_LEN);
	m->cookie_birthdate = now;
	m->cookie_valid = true;
	/* One reply per message sent: a second copy of this reply is refused. */
	m->have_sent_mac1 = false;
out:
	sodium_memzero(cookie, sizeof(cookie));
	return err;
}

/*
 * cp_msg.c - the control plane's datagrams: header, box, plaintext header
 * and padding (the bodies are cp_body.c's).  See cp_msg.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "control/cp_msg.h"
#include "control/cp_wire.h"

#if CP_BOX_OVERHEAD != crypto_box_MACBYTES || CP_NONCE_LEN != crypto_box_NONCEBYTES || \
	CP_KEY_LEN != crypto_box_BEFORENMBYTES
#error "cp_msg.h sizes disagree with libsodium's crypto_box"
#endif

/* Offsets of the cleartext header. */
#define OFF_VERSION 4
#define OFF_TYPE 5
#define OFF_RESERVED 6
#define OFF_SENDER 8
#define OFF_NONCE 40

/* The first 40 bytes of every frame: magic, version, type, reserved, sender. */
static void put_header(uint8_t *out, uint8_t type, const uint8_t sender[CP_KEY_LEN])
{
	memcpy(out, CP_MAGIC, CP_MAGIC_LEN);
	out[OFF_VERSION] = CP_VERSION;
	out[OFF_TYPE] = type;
	out[OFF_RESERVED] = 0;
	out[OFF_RESERVED + 1] = 0;
	memcpy(out + OFF_SENDER, sender, CP_KEY_LEN);
}

/* Does buf start a frame of this (unboxed) type?  strict: and its reserved bytes are zero. */
static bool frame_of(const uint8_t *buf, size_t len, uint8_t type, bool strict)
{
	if (len <= OFF_TYPE || memcmp(buf, CP_MAGIC, CP_MAGIC_LEN) != 0 ||
	    buf[OFF_VERSION] != CP_VERSION || buf[OFF_TYPE] != type)
		return false;
	return !strict || (len >= OFF_SENDER && buf[OFF_RESERVED] == 0 && buf[OFF_RESERVED + 1] == 0);
}

int cp_box_key(const uint8_t x25519_shared[32], uint8_t key[CP_KEY_LEN])
{
	static const uint8_t zero16[16];

	/* crypto_box_beforenm refuses an all-zero DH output (a low-order
	 * point); so do we, since the key would then be public. */
	if (sodium_is_zero(x25519_shared, 32)) {
		sodium_memzero(key, CP_KEY_LEN);
		return SP_ECRYPTO;
	}
	if (crypto_core_hsalsa20(key, zero16, x25519_shared, NULL) != 0) {
		sodium_memzero(key, CP_KEY_LEN);
		return SP_ECRYPTO;
	}
	return 0;
}

int cp_msg_peek(const uint8_t *buf, size_t len, uint8_t sender_ed[CP_KEY_LEN],
		enum cp_type *type)
{
	if (buf == NULL || len < CP_MSG_MIN || len > CP_MSG_MAX)
		return SP_EMALFORMED;
	if (memcmp(buf, CP_MAGIC, CP_MAGIC_LEN) != 0)
		return SP_EMALFORMED;
	if (buf[OFF_VERSION] != CP_VERSION)
		return SP_EPROTO;
	if (buf[OFF_TYPE] < CP_TYPE_MIN || buf[OFF_TYPE] > CP_TYPE_MAX)
		return SP_EMALFORMED;
	if (buf[OFF_RESERVED] != 0 || buf[OFF_RESERVED + 1] != 0)
		return SP_EMALFORMED;
	if (sender_ed)
		memcpy(sender_ed, buf + OFF_SENDER, CP_KEY_LEN);
	if (type)
		*type = (enum cp_type)buf[OFF_TYPE];
	return 0;
}

/*
 * The nonce the box uses: BLAKE2b-192 of the cleartext header, so that the
 * MAC authenticates the header (the random nonce field keeps it unique).
 */
static int box_nonce(const uint8_t hdr[CP_HDR_LEN], uint8_t nonce[CP_NONCE_LEN])
{
	return crypto_generichash(nonce, CP_NONCE_LEN, hdr, CP_HDR_LEN, NULL, 0) == 0
		? 0 : SP_ECRYPTO;
}

int cp__msg_box(const uint8_t key[CP_KEY_LEN], uint8_t *out, size_t cap, const uint8_t *plain,
		size_t plain_len, size_t *out_len)
{
	uint8_t nonce[CP_NONCE_LEN];
	size_t total = CP_HDR_LEN + CP_BOX_OVERHEAD + plain_len;

	if (total > cap || total > CP_MSG_MAX)
		return SP_ETRUNC;
	if (box_nonce(out, nonce) != 0)
		return SP_ECRYPTO;
	if (crypto_box_easy_afternm(out + CP_HDR_LEN, plain, plain_len, nonce, key) != 0)
		return SP_ECRYPTO;
	*out_len = total;
	return 0;
}

/*
 * The header's random nonce field, from a pool refilled 4 KiB at a time: the
 * field is public (it is sent in clear) and only has to be unpredictable and
 * unique, and one getrandom() per datagram was a tenth of a relay's cost.
 * Per thread, so that the planes' workers may seal too.
 */
static void nonce_field(uint8_t out[CP_NONCE_LEN])
{
	static _Thread_local uint8_t pool[4096];
	static _Thread_local size_t left;
	if (left < CP_NONCE_LEN) {
		randombytes_buf(pool, sizeof(pool));
		left = sizeof(pool);
	}
	memcpy(out, pool + sizeof(pool) - left, CP_NONCE_LEN);
	left -= CP_NONCE_LEN;
}

int cp_msg_seal(const uint8_t key[CP_KEY_LEN], const uint8_t sender_ed[CP_KEY_LEN],
		const struct cp_msg *m, size_t min_len, uint8_t *out, size_t cap,
		size_t *out_len)
{
	uint8_t plain[CP_MSG_MAX - CP_HDR_LEN - CP_BOX_OVERHEAD];
	size_t body_len = 0, plain_len;
	int err;

	*out_len = 0;
	if (min_len > CP_MSG_MAX)
		return -EINVAL;
	if (m->type < CP_TYPE_MIN || m->type > CP_TYPE_MAX)
		return -EINVAL;
	err = cp_body_encode(m, plain + CP_PLAIN_HDR, sizeof(plain) - CP_PLAIN_HDR, &body_len);
	if (err != 0)
		goto out;
	plain[0] = (uint8_t)m->type;
	plain[1] = 0;
	cp__put16(plain + 2, (uint16_t)body_len);
	cp__put64(plain + 4, m->counter);
	plain_len = CP_PLAIN_HDR + body_len;
	if (CP_HDR_LEN + CP_BOX_OVERHEAD + plain_len < min_len) {
		size_t pad = min_len - (CP_HDR_LEN + CP_BOX_OVERHEAD + plain_len);
		memset(plain + plain_len, 0, pad);
		plain_len += pad;
	}
	if (CP_HDR_LEN + CP_BOX_OVERHEAD + plain_len > cap) {
		err = SP_ETRUNC;
		goto out;
	}
	put_header(out, (uint8_t)m->type, sender_ed);
	nonce_field(out + OFF_NONCE);
	err = cp__msg_box(key, out, cap, plain, plain_len, out_len);
	sodium_memzero(plain, plain_len);	/* what was written */
	return err;
out:
	sodium_memzero(plain, sizeof(plain));
	return err;
}

int cp_msg_open(const uint8_t key[CP_KEY_LEN], const uint8_t *buf, size_t len,
		struct cp_msg *m)
{
	uint8_t plain[CP_MSG_MAX - CP_HDR_LEN - CP_BOX_OVERHEAD];
	uint8_t nonce[CP_NONCE_LEN];
	enum cp_type type;
	size_t plain_len, body_len;
	int err;

	memset(m, 0, offsetof(struct cp_msg, u));	/* the body: cp_body_decode */
	err = cp_msg_peek(buf, len, NULL, &type);
	if (err != 0)
		return err;
	plain_len = len - CP_HDR_LEN - CP_BOX_OVERHEAD;
	if (box_nonce(buf, nonce) != 0)
		return SP_ECRYPTO;
	if (crypto_box_open_easy_afternm(plain, buf + CP_HDR_LEN, len - CP_HDR_LEN, nonce,
					 key) != 0) {
		err = SP_EAUTH;
		goto out;
	}
	/* Authenticated from here: a violation is the sender's bug (or a
	 * different implementation), not noise, hence SP_EPROTO. */
	if (plain[0] != (uint8_t)type || plain[1] != 0) {
		err = SP_EPROTO;
		goto out;
	}
	body_len = cp__get16(plain + 2);
	if (body_len > plain_len - CP_PLAIN_HDR) {
		err = SP_EPROTO;
		goto out;
	}
	if (!sodium_is_zero(plain + CP_PLAIN_HDR + body_len,
			    plain_len - CP_PLAIN_HDR - body_len)) {
		err = SP_EPROTO;
		goto out;
	}
	err = cp_body_decode(type, plain + CP_PLAIN_HDR, body_len, m);
	if (err != 0)
		goto out;
	m->counter = cp__get64(plain + 4);
out:
	sodium_memzero(plain, plain_len);	/* what was decrypted */
	if (err != 0)
		cp_msg_wipe(m);
	return err;
}

int cp_fwd_write(uint8_t *out, size_t cap, const uint8_t sender[CP_KEY_LEN],
		 const uint8_t origin[CP_KEY_LEN], const uint8_t *payload, size_t len,
		 size_t *out_len)
{
	*out_len = 0;
	if (len == 0 || len > CP_RELAY_MAX)
		return -EINVAL;
	if (CP_FWD_HDR_LEN + len > cap)
		return SP_ETRUNC;
	put_header(out, CP_RELAYED, sender);
	memcpy(out + OFF_SENDER + CP_KEY_LEN, origin, CP_KEY_LEN);
	memcpy(out + CP_FWD_HDR_LEN, payload, len);
	*out_len = CP_FWD_HDR_LEN + len;
	return 0;
}

bool cp_fwd_is(const uint8_t *buf, size_t len)
{
	return frame_of(buf, len, CP_RELAYED, false);
}

int cp_fwd_parse(const uint8_t *buf, size_t len, struct cp_fwd *f)
{
	memset(f, 0, sizeof(*f));
	if (!frame_of(buf, len, CP_RELAYED, true) || len <= CP_FWD_HDR_LEN ||
	    len > CP_FWD_HDR_LEN + CP_RELAY_MAX)
		return SP_EMALFORMED;
	f->sender = buf + OFF_SENDER;
	f->origin = buf + OFF_SENDER + CP_KEY_LEN;
	f->payload = buf + CP_FWD_HDR_LEN;
	f->len = len - CP_FWD_HDR_LEN;
	return 0;
}

int cp_rdata_key(const uint8_t box[CP_KEY_LEN], const uint8_t sender[CP_KEY_LEN],
		 uint8_t key[CP_KEY_LEN])
{
	static const char label[] = "signpost relay data v1";
	uint8_t in[sizeof(label) - 1 + CP_KEY_LEN];
	memcpy(in, label, sizeof(label) - 1);
	memcpy(in + sizeof(label) - 1, sender, CP_KEY_LEN);
	return crypto_generichash(key, CP_KEY_LEN, in, sizeof(in), box, CP_KEY_LEN) == 0
		? 0 : SP_ECRYPTO;
}

#if crypto_aead_xchacha20poly1305_ietf_NPUBBYTES != CP_NONCE_LEN || \
	crypto_aead_xchacha20poly1305_ietf_ABYTES != CP_BOX_OVERHEAD
#error "RELAY_DATA's nonce and tag are XChaCha20-Poly1305's"
#endif

int cp_rdata_seal(const uint8_t key[CP_KEY_LEN], const uint8_t sender[CP_KEY_LEN],
		  const uint8_t dest[CP_KEY_LEN], uint64_t counter, const uint8_t *payload,
		  size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	*out_len = 0;
	if (len == 0 || len > CP_RELAY_MAX)
		return -EINVAL;
	if (CP_RDATA_OVERHEAD + len > cap)
		return SP_ETRUNC;
	put_header(out, CP_RELAY_DATA, sender);
	nonce_field(out + OFF_NONCE);
	memcpy(out + CP_HDR_LEN, payload, len);
	uint8_t plain[CP_RDATA_SEALED];
	memcpy(plain, dest, CP_KEY_LEN);
	cp__put64(plain + CP_KEY_LEN, counter);
	uint8_t *ct = out + CP_HDR_LEN + len;
	int rc = crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
		ct, ct + CP_RDATA_SEALED, NULL, plain, sizeof(plain), out, CP_HDR_LEN + len, NULL,
		out + OFF_NONCE, key);
	if (rc != 0)
		return SP_ECRYPTO;
	*out_len = CP_RDATA_OVERHEAD + len;
	return 0;
}

bool cp_rdata_is(const uint8_t *buf, size_t len)
{
	return frame_of(buf, len, CP_RELAY_DATA, false);
}

int cp_rdata_open(const uint8_t key[CP_KEY_LEN], const uint8_t *buf, size_t len,
		  struct cp_rdata *r)
{
	memset(r, 0, sizeof(*r));
	if (!frame_of(buf, len, CP_RELAY_DATA, true) || len <= CP_RDATA_OVERHEAD ||
	    len > CP_RDATA_OVERHEAD + CP_RELAY_MAX)
		return SP_EMALFORMED;
	size_t n = len - CP_RDATA_OVERHEAD;
	const uint8_t *ct = buf + CP_HDR_LEN + n;
	uint8_t plain[CP_RDATA_SEALED];
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
		    plain, NULL, ct, CP_RDATA_SEALED, ct + CP_RDATA_SEALED, buf, CP_HDR_LEN + n,
		    buf + OFF_NONCE, key) != 0)
		return SP_EAUTH;
	r->sender = buf + OFF_SENDER;
	memcpy(r->dest, plain, CP_KEY_LEN);
	r->counter = cp__get64(plain + CP_KEY_LEN);
	r->payload = buf + CP_HDR_LEN;
	r->len = n;
	return 0;
}

size_t cp_msg_used(const struct cp_msg *m)
{
	const size_t u = offsetof(struct cp_msg, u);
	switch (m->type) {
	case CP_REGISTER: return u + sizeof(m->u.reg);
	case CP_REGISTER_ACK: return u + sizeof(m->u.reg_ack);
	case CP_CONNECT: return u + sizeof(m->u.connect);
	case CP_CONNECT_ACK: return u + sizeof(m->u.connect_ack);
	case CP_CALL_ME_MAYBE: return u + sizeof(m->u.cmm);
	case CP_PING: return u + sizeof(m->u.ping);
	case CP_PONG: return u + sizeof(m->u.pong);
	case CP_RELAY:
		return u + offsetof(struct cp_relay, payload) +
		       (m->u.relay.len <= CP_RELAY_MAX ? m->u.relay.len : CP_RELAY_MAX);
	case CP_REVOKE: return u + sizeof(m->u.revoke);
	case CP_FRIENDS: return u + sizeof(m->u.friends);
	}
	return sizeof(*m);
}

void cp_msg_wipe(struct cp_msg *m)
{
	if (m)
		sodium_memzero(m, cp_msg_used(m));
}

const char *cp_status_str(enum cp_status s)
{
	switch (s) {
	case CP_OK: return "ok";
	case CP_E_TOKEN_REUSED: return "token already used";
	case CP_E_TOKEN_EXPIRED: return "token expired";
	case CP_E_TOKEN_FORGED: return "token not issued by this signpost (forged)";
	case CP_E_UNKNOWN_DEVICE: return "device not enrolled at this signpost";
	case CP_E_REVOKED: return "device revoked";
	case CP_E_NAME_TAKEN: return "name already taken by another device";
	case CP_E_REFUSED: return "refused by the signpost's policy";
	case CP_E_NO_SUCH_NAME: return "no such device";
	case CP_E_OFFLINE: return "device offline";
	case CP_E_BUSY: return "signpost busy, try again later";
	}
	return "unknown status";
}

const char *cp_type_str(enum cp_type t)
{
	switch (t) {
	case CP_REGISTER: return "register";
	case CP_REGISTER_ACK: return "register-ack";
	case CP_CONNECT: return "connect";
	case CP_CONNECT_ACK: return "connect-ack";
	case CP_CALL_ME_MAYBE: return "call-me-maybe";
	case CP_PING: return "ping";
	case CP_PONG: return "pong";
	case CP_RELAY: return "relay";
	case CP_REVOKE: return "revoke";
	case CP_FRIENDS: return "friends";
	}
	return "unknown";
}

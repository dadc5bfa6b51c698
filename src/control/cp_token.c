/*
 * cp_token.c - enrollment token text: "spt1-" + base64url (no padding) of
 * the binary token (cp_token.h).  The binary form goes through the same
 * cursors as control bodies, so strings and endpoints obey one rule.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "control/cp_token.h"
#include "control/cp_wire.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

int cp_token_encode(const struct cp_token *t, char *out, size_t cap)
{
	uint8_t bin[CP_TOKEN_BIN_MAX];
	struct cp__wr w;
	int err = 0;

	if (out && cap)
		out[0] = '\0';
	cp__wr_init(&w, bin, sizeof(bin));
	cp__wr_u8(&w, CP_TOKEN_VERSION);
	cp__wr_u64(&w, t->expiry);
	cp__wr_bytes(&w, t->id, sizeof(t->id));
	cp__wr_bytes(&w, t->secret, sizeof(t->secret));
	cp__wr_bytes(&w, t->signpost_ed, sizeof(t->signpost_ed));
	cp__wr_str(&w, t->zone, CP_NAME_MAX, CP__STR_NAME);
	cp__wr_str(&w, t->name, CP_NAME_MAX, CP__STR_NAME);
	cp__wr_eps(&w, t->ep, t->n_ep, 0);
	cp__wr_str(&w, t->anchor, CP_ANCHOR_MAX, CP__STR_TEXT);
	if (w.err != 0) {
		/* The binary form is bounded by construction: only bad input. */
		err = w.err == SP_ETRUNC ? -EINVAL : w.err;
		goto out;
	}
	size_t need = CP_TOKEN_PREFIX_LEN + sodium_base64_ENCODED_LEN(w.pos, B64);
	if (out == NULL || cap < need) {
		err = SP_ETRUNC;
		goto out;
	}
	memcpy(out, CP_TOKEN_PREFIX, CP_TOKEN_PREFIX_LEN);
	sodium_bin2base64(out + CP_TOKEN_PREFIX_LEN, cap - CP_TOKEN_PREFIX_LEN, bin, w.pos, B64);
out:
	sodium_memzero(bin, sizeof(bin));
	return err;
}

/* The base64url alphabet.  Checked here, not left to libsodium: 1.0.18's
 * sodium_base642bin decodes a 0xff byte as if it were a letter. */
static bool is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int cp_token_decode(const char *text, struct cp_token *t)
{
	uint8_t bin[CP_TOKEN_BIN_MAX];
	size_t bin_len = 0, len;
	struct cp__rd r;
	int err = -EINVAL;

	memset(t, 0, sizeof(*t));
	if (text == NULL)
		return -EINVAL;
	len = strlen(text);
	while (len > 0 && is_space(text[len - 1]))
		len--;
	/* Longer than any token (NUL excluded), or no payload at all. */
	if (len <= CP_TOKEN_PREFIX_LEN || len > CP_TOKEN_TEXT_MAX - 1)
		return -EINVAL;
	if (memcmp(text, CP_TOKEN_PREFIX, CP_TOKEN_PREFIX_LEN) != 0)
		return -EINVAL;
	for (size_t i = CP_TOKEN_PREFIX_LEN; i < len; i++)
		if (!is_b64url(text[i]))
			return -EINVAL;
	/* Padding was refused above; non-zero leftover bits fail here. */
	if (sodium_base642bin(bin, sizeof(bin), text + CP_TOKEN_PREFIX_LEN,
			      len - CP_TOKEN_PREFIX_LEN, NULL, &bin_len, NULL, B64) != 0)
		goto out;
	cp__rd_init(&r, bin, bin_len);
	if (cp__rd_u8(&r) != CP_TOKEN_VERSION)
		goto out;
	t->expiry = cp__rd_u64(&r);
	cp__rd_bytes(&r, t->id, sizeof(t->id));
	cp__rd_bytes(&r, t->secret, sizeof(t->secret));
	cp__rd_bytes(&r, t->signpost_ed, sizeof(t->signpost_ed));
	cp__rd_str(&r, t->zone, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_str(&r, t->name, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_eps(&r, t->ep, &t->n_ep, 0);
	cp__rd_str(&r, t->anchor, CP_ANCHOR_MAX, CP__STR_TEXT);
	cp__rd_end(&r);
	if (r.err == 0)
		err = 0;
out:
	sodium_memzero(bin, sizeof(bin));
	if (err != 0)
		cp_token_wipe(t);
	return err;
}

int cp_token_secret_hash(const uint8_t secret[CP_TOKEN_SECRET_LEN],
			 uint8_t out[CP_TOKEN_HASH_LEN])
{
	return crypto_generichash(out, CP_TOKEN_HASH_LEN, secret, CP_TOKEN_SECRET_LEN, NULL, 0) == 0
		? 0 : SP_ECRYPTO;
}

void cp_token_wipe(struct cp_token *t)
{
	if (t)
		sodium_memzero(t, sizeof(*t));
}

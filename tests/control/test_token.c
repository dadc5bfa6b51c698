/*
 * test_token.c - the enrollment token text: round trip (full and minimal
 * tokens), canonical text, trailing newline ignored, and refusals of junk,
 * a wrong prefix, truncation at every length, one extra character, padding,
 * non-canonical base64, another version, bad fields; the secret hash is
 * BLAKE2b-256; wipe clears the secret.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "control/cp_token.h"
#include "cp_samples.h"

static void sample(struct cp_token *t, uint8_t n_ep)
{
	memset(t, 0, sizeof(*t));
	t->expiry = 1767229200;
	cps_fill(t->id, sizeof(t->id), 0x10);
	cps_fill(t->secret, sizeof(t->secret), 0x20);
	cps_fill(t->signpost_ed, sizeof(t->signpost_ed), 0x30);
	strcpy(t->zone, "alice.example.");
	strcpy(t->name, "laptop");
	cps_eps(t->ep, &t->n_ep, n_ep);
	strcpy(t->anchor, "alice.example. IN DS 2371 15 2 "
			  "1F987CC6583E92DF0890718C42A34E93BA8EC5BD9B7A8A2F2DDC8A8E5A2F0E7C");
}

static void test_round_trip(void **state)
{
	for (uint8_t n = 0; n <= CP_EP_MAX; n++) {
		struct cp_token t, got, again;
		char text[CP_TOKEN_TEXT_MAX], text2[CP_TOKEN_TEXT_MAX];
		sample(&t, n);
		assert_int_equal(cp_token_encode(&t, text, sizeof(text)), 0);
		assert_memory_equal(text, "spt1-", 5);
		assert_int_equal(cp_token_decode(text, &got), 0);
		assert_memory_equal(&t, &got, sizeof(t));
		/* Canonical: encoding what was decoded gives the same text. */
		assert_int_equal(cp_token_encode(&got, text2, sizeof(text2)), 0);
		assert_string_equal(text, text2);
		/* A newline (or CRLF) from a file is ignored. */
		char withnl[CP_TOKEN_TEXT_MAX + 4];
		snprintf(withnl, sizeof(withnl), "%s\r\n", text);
		assert_int_equal(cp_token_decode(withnl, &again), 0);
		assert_memory_equal(&t, &again, sizeof(t));
	}
}

static void test_largest_token_fits(void **state)
{
	struct cp_token t, got;
	char text[CP_TOKEN_TEXT_MAX];
	sample(&t, CP_EP_MAX);
	memset(t.zone, 'z', CP_NAME_MAX);
	memset(t.name, 'n', CP_NAME_MAX);
	memset(t.anchor, 'A', CP_ANCHOR_MAX);
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), 0);
	assert_int_equal(strlen(text), CP_TOKEN_TEXT_MAX - 1);
	assert_int_equal(cp_token_decode(text, &got), 0);
	assert_memory_equal(&t, &got, sizeof(t));
	assert_int_equal(cp_token_encode(&t, text, CP_TOKEN_TEXT_MAX - 1), SP_ETRUNC);
	assert_int_equal(cp_token_encode(&t, NULL, 0), SP_ETRUNC);
}

static void test_encode_refuses_invalid(void **state)
{
	struct cp_token t;
	char text[CP_TOKEN_TEXT_MAX];
	sample(&t, 2);
	t.n_ep = CP_EP_MAX + 1;
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), -EINVAL);
	sample(&t, 2);
	memset(t.zone, 'z', sizeof(t.zone));
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), -EINVAL);
	sample(&t, 2);
	strcpy(t.name, "two words");
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), -EINVAL);
	sample(&t, 2);
	t.anchor[3] = '\n';
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), -EINVAL);
	sample(&t, 2);
	t.ep[1].sa.sa_family = AF_UNSPEC;
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), -EINVAL);
}

static void bad(const char *text)
{
	struct cp_token got;
	memset(&got, 0x77, sizeof(got));
	if (cp_token_decode(text, &got) != -EINVAL)
		fail_msg("accepted: %.80s", text);
	/* Nothing half-decoded left (the secret above all). */
	assert_true(sodium_is_zero((const unsigned char *)&got, sizeof(got)));
}

/* base64url (no padding) of bin, behind the prefix. */
static void wrap(char *out, size_t cap, const uint8_t *bin, size_t len)
{
	memcpy(out, "spt1-", 5);
	sodium_bin2base64(out + 5, cap - 5, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_junk_refused(void **state)
{
	struct cp_token t;
	char text[CP_TOKEN_TEXT_MAX], cut[CP_TOKEN_TEXT_MAX + 16];
	size_t len;

	assert_int_equal(cp_token_decode(NULL, &t), -EINVAL);
	bad("");
	bad("spt1-");
	bad("spt1");
	bad("hello world");
	bad("spt1-!!!!");
	bad("spt1-AAAA");
	sample(&t, 3);
	assert_int_equal(cp_token_encode(&t, text, sizeof(text)), 0);
	len = strlen(text);

	/* Wrong prefixes. */
	memcpy(cut, text, len + 1);
	cut[3] = '2';
	bad(cut);
	cut[3] = '1';
	cut[0] = 'S';
	bad(cut);
	bad(text + 5);
	/* Truncated at every length. */
	for (size_t l = 0; l < len; l++) {
		memcpy(cut, text, l);
		cut[l] = '\0';
		bad(cut);
	}
	/* One more character, padding, standard-alphabet characters, a space
	 * inside, leading space. */
	snprintf(cut, sizeof(cut), "%sA", text);
	bad(cut);
	snprintf(cut, sizeof(cut), "%s=", text);
	bad(cut);
	memcpy(cut, text, len + 1);
	cut[20] = '+';
	bad(cut);
	cut[20] = '/';
	bad(cut);
	cut[20] = ' ';
	bad(cut);
	cut[20] = '\xff';	/* libsodium 1.0.18 decodes it (found by fuzz_control_token) */
	bad(cut);
	cut[20] = '=';
	bad(cut);
	snprintf(cut, sizeof(cut), " %s", text);
	bad(cut);
	/* Non-canonical last character (leftover bits set). */
	uint8_t bin[CP_TOKEN_BIN_MAX];
	size_t blen;
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), text + 5, len - 5, NULL, &blen, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	if (blen % 3 != 0) {
		memcpy(cut, text, len + 1);
		static const char alpha[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = strchr(alpha, cut[len - 1]);
		assert_non_null(p);
		cut[len - 1] = alpha[(p - alpha) ^ 1];
		bad(cut);
	}
	/* Another version; an over-long count; a zero port; trailing bytes. */
	uint8_t m[CP_TOKEN_BIN_MAX + 1];
	memcpy(m, bin, blen);
	m[0] = 2;
	wrap(cut, sizeof(cut), m, blen);
	bad(cut);
	memcpy(m, bin, blen);
	size_t n_off = 1 + 8 + 16 + 32 + 32 + 1 + strlen(t.zone) + 1 + strlen(t.name);
	assert_int_equal(m[n_off], 3);
	m[n_off] = CP_EP_MAX + 1;
	wrap(cut, sizeof(cut), m, blen);
	bad(cut);
	memcpy(m, bin, blen);
	m[n_off + 2] = m[n_off + 3] = 0;
	wrap(cut, sizeof(cut), m, blen);
	bad(cut);
	memcpy(m, bin, blen);
	m[blen] = 0;
	wrap(cut, sizeof(cut), m, blen + 1);
	bad(cut);
	/* The untouched binary still decodes (so the refusals are honest). */
	wrap(cut, sizeof(cut), bin, blen);
	assert_int_equal(cp_token_decode(cut, &t), 0);
	/* Longer than any token. */
	static char huge[8192];
	memset(huge, 'A', sizeof(huge) - 1);
	memcpy(huge, "spt1-", 5);
	bad(huge);
	/* Trailing spaces past the longest token then more text. */
	memset(huge, ' ', sizeof(huge) - 1);
	memcpy(huge, text, len);
	huge[sizeof(huge) - 2] = 'x';
	bad(huge);
}

static void test_secret_hash_and_wipe(void **state)
{
	struct cp_token t;
	uint8_t h[CP_TOKEN_HASH_LEN], ref[32];
	sample(&t, 1);
	assert_int_equal(cp_token_secret_hash(t.secret, h), 0);
	assert_int_equal(crypto_generichash(ref, 32, t.secret, 32, NULL, 0), 0);
	assert_memory_equal(h, ref, 32);
	t.secret[0] ^= 1;
	assert_int_equal(cp_token_secret_hash(t.secret, ref), 0);
	assert_memory_not_equal(h, ref, 32);
	cp_token_wipe(&t);
	assert_true(sodium_is_zero((const unsigned char *)&t, sizeof(t)));
	cp_token_wipe(NULL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_largest_token_fits),
		cmocka_unit_test(test_encode_refuses_invalid),
		cmocka_unit_test(test_junk_refused),
		cmocka_unit_test(test_secret_hash_and_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

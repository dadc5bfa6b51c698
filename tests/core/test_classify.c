/* test_classify.c - the transport's classifier (classify.h): each kind, exact WireGuard lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/classify.h"

static uint8_t buf[2048];

/* A WireGuard-looking message: type byte, three zero bytes, then filler. */
static size_t wg(uint8_t type, size_t len)
{
	memset(buf, 0xab, sizeof(buf));
	buf[0] = type;
	buf[1] = buf[2] = buf[3] = 0;
	return len;
}

/* A STUN message: binding request with a body of body bytes (cookie optional). */
static size_t stun(size_t body, int cookie)
{
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x00;
	buf[1] = 0x01;
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	if (cookie) {
		buf[4] = 0x21;
		buf[5] = 0x12;
		buf[6] = 0xa4;
		buf[7] = 0x42;
	}
	for (size_t i = 8; i < 20; i++)
		buf[i] = (uint8_t)(i * 7);	/* transaction id */
	return SP_STUN_HEADER_LEN + body;
}

static void test_wireguard_exact_lengths(void **state)
{
	(void)state;
	struct sp_classify_stats st;
	memset(&st, 0, sizeof(st));
	const struct {
		uint8_t type;
		size_t len;
	} fixed[] = { { 1, 148 }, { 2, 92 }, { 3, 64 } };
	for (size_t i = 0; i < 3; i++) {
		size_t n = wg(fixed[i].type, fixed[i].len);
		assert_int_equal(sp_classify_count(&st, buf, n), SP_CLASS_WIREGUARD);
		n = wg(fixed[i].type, fixed[i].len - 1);
		assert_int_equal(sp_classify_count(&st, buf, n), SP_CLASS_BAD_LENGTH);
		n = wg(fixed[i].type, fixed[i].len + 1);
		assert_int_equal(sp_classify_count(&st, buf, n), SP_CLASS_BAD_LENGTH);
		/* and far off: a data-sized one of a handshake type */
		n = wg(fixed[i].type, 1452);
		assert_int_equal(sp_classify_count(&st, buf, n), SP_CLASS_BAD_LENGTH);
	}
	assert_int_equal(st.received[SP_KIND_WIREGUARD], 3);
	assert_int_equal(st.bad_length, 9);

	/* Data: at least 32 bytes (header 16 + tag 16, a keepalive), any length above. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(sp_classify_count(&st, buf, wg(4, 32)), SP_CLASS_WIREGUARD);
	assert_int_equal(sp_classify_count(&st, buf, wg(4, 31)), SP_CLASS_BAD_LENGTH);
	assert_int_equal(sp_classify_count(&st, buf, wg(4, 33)), SP_CLASS_WIREGUARD);
	assert_int_equal(sp_classify_count(&st, buf, wg(4, 48)), SP_CLASS_WIREGUARD);
	/*
	 * Not a multiple of 16: a full-MTU packet on MTU 1420 is sent unpadded
	 * (1420 + 32 = 1452) by wireguard-go and the Linux module; it must pass.
	 */
	assert_int_equal(sp_classify_count(&st, buf, wg(4, 1452)), SP_CLASS_WIREGUARD);
	assert_int_equal(sp_classify_count(&st, buf, wg(4, 4)), SP_CLASS_BAD_LENGTH);
	assert_int_equal(st.received[SP_KIND_WIREGUARD], 4);
	assert_int_equal(st.bad_length, 2);

	/* A type byte with a nonzero reserved byte is not WireGuard at all. */
	buf[0] = 1;
	buf[1] = 0;
	buf[2] = 1;
	buf[3] = 0;
	assert_int_equal(sp_classify(buf, 148), SP_CLASS_UNKNOWN);
	/* Types 0 and 5 do not exist. */
	assert_int_equal(sp_classify(buf, wg(0, 148)), SP_CLASS_UNKNOWN);
	assert_int_equal(sp_classify(buf, wg(5, 148)), SP_CLASS_UNKNOWN);
}

static void test_stun(void **state)
{
	(void)state;
	struct sp_classify_stats st;
	memset(&st, 0, sizeof(st));
	assert_int_equal(sp_classify_count(&st, buf, stun(0, 1)), SP_CLASS_STUN);
	assert_int_equal(sp_classify_count(&st, buf, stun(8, 1)), SP_CLASS_STUN);
	/* RFC 3489 (no magic cookie): not STUN here. */
	assert_int_equal(sp_classify_count(&st, buf, stun(8, 0)), SP_CLASS_UNKNOWN);
	/* Length field that disagrees with the datagram, or not a multiple of 4. */
	size_t n = stun(8, 1);
	assert_int_equal(sp_classify(buf, n + 4), SP_CLASS_UNKNOWN);
	n = stun(6, 1);
	assert_int_equal(sp_classify(buf, n), SP_CLASS_UNKNOWN);
	/* Top two bits set: never STUN. */
	n = stun(0, 1);
	buf[0] = 0x40;
	assert_int_equal(sp_classify(buf, n), SP_CLASS_UNKNOWN);
	/* Shorter than the header. */
	n = stun(0, 1);
	assert_int_equal(sp_classify(buf, 19), SP_CLASS_UNKNOWN);
	assert_int_equal(st.received[SP_KIND_STUN], 2);
	assert_int_equal(st.received[SP_KIND_UNKNOWN], 1);
}

static void test_control(void **state)
{
	(void)state;
	struct sp_classify_stats st;
	memset(&st, 0, sizeof(st));
	memset(buf, 0, sizeof(buf));
	memcpy(buf, SP_CTL_MAGIC, SP_CTL_MAGIC_LEN);
	assert_int_equal((uint8_t)SP_CTL_MAGIC[0], 0xf5);
	assert_int_equal(sp_classify_count(&st, buf, 4), SP_CLASS_CONTROL);
	assert_int_equal(sp_classify_count(&st, buf, 200), SP_CLASS_CONTROL);
	assert_int_equal(sp_classify_count(&st, buf, 3), SP_CLASS_UNKNOWN);
	buf[3] = 'X';
	assert_int_equal(sp_classify_count(&st, buf, 200), SP_CLASS_UNKNOWN);
	assert_int_equal(st.received[SP_KIND_CONTROL], 2);
	assert_int_equal(st.received[SP_KIND_UNKNOWN], 2);
}

static void test_unknown_and_tiny(void **state)
{
	(void)state;
	struct sp_classify_stats st;
	memset(&st, 0, sizeof(st));
	/* Empty: unknown (buf may be NULL). */
	assert_int_equal(sp_classify_count(&st, NULL, 0), SP_CLASS_UNKNOWN);
	/* One byte: a WireGuard type is a bad length, anything else unknown. */
	uint8_t one = 1;
	assert_int_equal(sp_classify_count(&st, &one, 1), SP_CLASS_BAD_LENGTH);
	one = 4;
	assert_int_equal(sp_classify_count(&st, &one, 1), SP_CLASS_BAD_LENGTH);
	one = 0x45;	/* an IPv4 header's first byte */
	assert_int_equal(sp_classify_count(&st, &one, 1), SP_CLASS_UNKNOWN);
	one = 0xf5;
	assert_int_equal(sp_classify_count(&st, &one, 1), SP_CLASS_UNKNOWN);
	/* Random text. */
	const char *dns = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
	assert_int_equal(sp_classify_count(&st, (const uint8_t *)dns, 12), SP_CLASS_UNKNOWN);
	assert_int_equal(st.received[SP_KIND_UNKNOWN], 4);
	assert_int_equal(st.bad_length, 2);
	assert_int_equal(st.received[SP_KIND_WIREGUARD], 0);

	assert_string_equal(sp_kind_name(SP_KIND_WIREGUARD), "wireguard");
	assert_string_equal(sp_kind_name(SP_KIND_STUN), "stun");
	assert_string_equal(sp_kind_name(SP_KIND_CONTROL), "control");
	assert_string_equal(sp_kind_name(SP_KIND_UNKNOWN), "unknown");
	assert_string_equal(sp_kind_name(SP_KIND_MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wireguard_exact_lengths),
		cmocka_unit_test(test_stun),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_unknown_and_tiny),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

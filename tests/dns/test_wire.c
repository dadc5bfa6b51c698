/* test_wire.c - cursors, name decompression (loops, forward pointers), name order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/wire.h"

static void test_sticky_read(void **state)
{
	const uint8_t b[] = { 1, 2, 3 };
	struct dns_wire w;
	dns_wire_init(&w, b, sizeof(b));
	assert_int_equal(dns_wire_u16(&w), 0x0102);
	assert_int_equal(dns_wire_u16(&w), 0);	/* short: error, zero */
	assert_int_equal(w.err, SP_EMALFORMED);
	assert_int_equal(dns_wire_u8(&w), 0);	/* sticky even though one byte is left */
	assert_int_equal(dns_wire_left(&w), 0);
}

static void test_sticky_write(void **state)
{
	uint8_t b[5];
	struct dns_wbuf w;
	dns_wbuf_init(&w, b, sizeof(b));
	dns_wbuf_u32(&w, 0x01020304);
	dns_wbuf_u16(&w, 5);
	assert_int_equal(w.err, SP_ETRUNC);
	dns_wbuf_u8(&w, 9);
	assert_int_equal(w.pos, 4);
}

static void test_names(void **state)
{
	/* "a.b." at 0, then a pointer name "c" + ptr(0) at 5. */
	const uint8_t m[] = { 1, 'A', 1, 'b', 0, 1, 'c', 0xc0, 0x00, 0xc0, 0x05 };
	uint8_t out[DNS_NAME_MAXLEN], labels;
	struct dns_wire w;
	dns_wire_init(&w, m, sizeof(m));
	assert_int_equal(dns_wire_name(&w, out, true, &labels), 5);
	assert_memory_equal(out, "\001a\001b", 5);
	assert_int_equal(labels, 2);
	assert_int_equal(dns_wire_name(&w, out, false, &labels), 7);
	assert_memory_equal(out, "\001c\001A\001b", 7);
	assert_int_equal(w.pos, 9);
	assert_int_equal(dns_wire_name(&w, out, false, &labels), 7);	/* pointer to a pointer */
	assert_int_equal(w.pos, 11);
	assert_int_equal(w.err, 0);
}

static void test_name_attacks(void **state)
{
	uint8_t out[DNS_NAME_MAXLEN];
	struct dns_wire w;
	/* Self pointer. */
	const uint8_t self[] = { 0xc0, 0x00 };
	dns_wire_init(&w, self, sizeof(self));
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 0);
	assert_int_equal(w.err, SP_EMALFORMED);
	/* Forward pointer. */
	const uint8_t fwd[] = { 0xc0, 0x02, 0 };
	dns_wire_init(&w, fwd, sizeof(fwd));
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 0);
	/* Two pointers pointing at each other (reached from later in the message). */
	const uint8_t loop[] = { 0xc0, 0x02, 0xc0, 0x00, 0xc0, 0x02 };
	dns_wire_init(&w, loop, sizeof(loop));
	w.pos = 4;
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 0);
	/* Label runs past the end. */
	const uint8_t cut[] = { 5, 'a', 'b' };
	dns_wire_init(&w, cut, sizeof(cut));
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 0);
	/* Reserved label type 0x40. */
	const uint8_t ext[] = { 0x41, 'a', 0 };
	dns_wire_init(&w, ext, sizeof(ext));
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 0);
	/* Longer than 255 bytes: 5 labels of 63. */
	uint8_t big[5 * 64 + 1];
	for (int i = 0; i < 5; i++) {
		big[i * 64] = 63;
		memset(big + i * 64 + 1, 'x', 63);
	}
	big[5 * 64] = 0;
	dns_wire_init(&w, big, sizeof(big));
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 0);
	/* Exactly 255 is fine: 3 x 63 + 1 x 61 labels + root = 4*1 + 250 + 1 = 255. */
	uint8_t max[255];
	for (int i = 0; i < 3; i++) {
		max[i * 64] = 63;
		memset(max + i * 64 + 1, 'y', 63);
	}
	max[192] = 61;
	memset(max + 193, 'z', 61);
	max[254] = 0;
	dns_wire_init(&w, max, sizeof(max));
	assert_int_equal(dns_wire_name(&w, out, true, NULL), 255);
}

static void test_name_order(void **state)
{
	/* RFC 4034 6.1 example order. */
	const uint8_t *order[] = {
		(const uint8_t *)"\007example\0",
		(const uint8_t *)"\001a\007example\0",
		(const uint8_t *)"\010yljkjljk\001a\007example\0",
		(const uint8_t *)"\001Z\001a\007example\0",
		(const uint8_t *)"\004zABC\001a\007EXAMPLE\0",
		(const uint8_t *)"\001z\007example\0",
		(const uint8_t *)"\001\001\001z\007example\0",
		(const uint8_t *)"\001*\001z\007example\0",
		(const uint8_t *)"\001\200\001z\007example\0",
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i + 1 < n; i++) {
		assert_true(dns_name_cmp(order[i], order[i + 1]) < 0);
		assert_true(dns_name_cmp(order[i + 1], order[i]) > 0);
	}
	assert_int_equal(dns_name_cmp(order[3], (const uint8_t *)"\001z\001A\007exAMPLE\0"), 0);
	assert_true(dns_name_is_sub((const uint8_t *)"\001a\007EXAMPLE\0", (const uint8_t *)"\007example\0"));
	assert_true(dns_name_is_sub((const uint8_t *)"\007example\0", (const uint8_t *)"\007example\0"));
	assert_false(dns_name_is_sub((const uint8_t *)"\010xexample\0", (const uint8_t *)"\007example\0"));
	assert_int_equal(dns_name_labels((const uint8_t *)"\0"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sticky_read),
		cmocka_unit_test(test_sticky_write),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_attacks),
		cmocka_unit_test(test_name_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

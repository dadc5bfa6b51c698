/* test_wire.c - cursors, the one name reader (loops, forward pointers, bounds), walkers, name order. */
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

/* A message: a header (QDCOUNT 1), then body at offset 12; its length. */
static size_t msg_with(uint8_t *m, size_t cap, const uint8_t *body, size_t n)
{
	assert_true(DNS_HEADER_LEN + n <= cap);
	memset(m, 0, DNS_HEADER_LEN);
	m[5] = 1;
	memcpy(m + DNS_HEADER_LEN, body, n);
	return DNS_HEADER_LEN + n;
}

/* The name at off of message m, read as every walker reads it (past the header). */
static size_t msg_name(const uint8_t *m, size_t len, size_t off, int *err)
{
	uint8_t out[DNS_NAME_MAXLEN];
	struct dns_wire w;
	dns_wire_init_msg(&w, m, len, off);
	size_t n = dns_wire_name(&w, out, true, NULL);
	*err = w.err;
	return n;
}

/* The reader refuses the name at off, with the sticky error set. */
static bool refused_at(const uint8_t *m, size_t len, size_t off)
{
	int err;
	return msg_name(m, len, off, &err) == 0 && err == SP_EMALFORMED;
}

static void test_forward_pointers(void **state)
{
	uint8_t m[64];
	int err;
	/* 12: ptr 14; 14: "c."; 17: ptr 12; 19: ptr 14. */
	const uint8_t b[] = { 0xc0, 14, 1, 'c', 0, 0xc0, 12, 0xc0, 14 };
	size_t len = msg_with(m, sizeof(m), b, sizeof(b));
	assert_int_equal(msg_name(m, len, 14, &err), 3);
	assert_int_equal(err, 0);
	assert_int_equal(msg_name(m, len, 19, &err), 3);	/* backward: fine */
	assert_int_equal(err, 0);
	assert_true(refused_at(m, len, 12));	/* forward */
	/*
	 * 17 -> 12 -> 14: 14 is before the name's start but after the previous
	 * target, so that hop goes forward: refused (each hop must go down).
	 */
	assert_true(refused_at(m, len, 17));
	/* A pointer to the name's own start. */
	const uint8_t self[] = { 0xc0, 12 };
	len = msg_with(m, sizeof(m), self, sizeof(self));
	assert_true(refused_at(m, len, 12));
}

static void test_pointer_loops(void **state)
{
	uint8_t m[64];
	/* 12 -> 14 -> 12 -> ...: reached from 16, the second hop is refused. */
	const uint8_t loop[] = { 0xc0, 14, 0xc0, 12, 0xc0, 14 };
	size_t len = msg_with(m, sizeof(m), loop, sizeof(loop));
	assert_true(refused_at(m, len, 16));
	/* A label then a pointer back to that label: "a.a.a..." for ever. */
	const uint8_t spin[] = { 1, 'a', 0xc0, 12 };
	len = msg_with(m, sizeof(m), spin, sizeof(spin));
	assert_true(refused_at(m, len, 12));
}

static void test_hop_bound(void **state)
{
	/* 12: root; then pointer k (at 13 + 2(k-1)) points at pointer k-1 (or the root). */
	uint8_t m[DNS_HEADER_LEN + 1 + 2 * (DNS_MAX_PTR_HOPS + 1)];
	memset(m, 0, DNS_HEADER_LEN);
	m[12] = 0;
	size_t prev = 12;
	for (unsigned k = 1; k <= DNS_MAX_PTR_HOPS + 1; k++) {
		size_t at = 13 + 2 * (k - 1);
		m[at] = (uint8_t)(0xc0 | prev >> 8);
		m[at + 1] = (uint8_t)prev;
		prev = at;
	}
	int err;
	size_t last_ok = 13 + 2 * (DNS_MAX_PTR_HOPS - 1);
	assert_int_equal(msg_name(m, sizeof(m), last_ok, &err), 1);	/* exactly the bound */
	assert_int_equal(err, 0);
	assert_int_equal(msg_name(m, sizeof(m), last_ok + 2, &err), 0);	/* one hop more */
	assert_int_equal(err, SP_EMALFORMED);
}

/* Fill body with labels of 63 then one of last, then root; its length. */
static size_t long_name(uint8_t *body, unsigned n63, unsigned last)
{
	size_t o = 0;
	for (unsigned i = 0; i < n63; i++) {
		body[o++] = 63;
		memset(body + o, 'x', 63);
		o += 63;
	}
	body[o++] = (uint8_t)last;
	memset(body + o, 'y', last);
	o += last;
	body[o++] = 0;
	return o;
}

static void test_name_length_bound(void **state)
{
	uint8_t body[600], m[700];
	int err;
	/* Uncompressed: 3 x 63 + 61 = 255 octets, 3 x 63 + 62 = 256. */
	size_t n = long_name(body, 3, 61);
	assert_int_equal(n, 255);
	size_t len = msg_with(m, sizeof(m), body, n);
	assert_int_equal(msg_name(m, len, 12, &err), 255);
	assert_int_equal(err, 0);
	n = long_name(body, 3, 62);
	assert_int_equal(n, 256);
	len = msg_with(m, sizeof(m), body, n);
	assert_true(refused_at(m, len, 12));
	/* Through a pointer: "a" + a 253-octet name = 255; "a" + 254 = 256. */
	for (unsigned last = 59; last <= 60; last++) {
		n = long_name(body, 3, last);
		body[n] = 1;
		body[n + 1] = 'a';
		body[n + 2] = 0xc0;
		body[n + 3] = 12;
		len = msg_with(m, sizeof(m), body, n + 4);
		size_t got = msg_name(m, len, 12 + n, &err);
		if (n + 2 <= DNS_NAME_MAXLEN) {
			assert_int_equal(n + 2, 255);
			assert_int_equal(got, 255);
			assert_int_equal(err, 0);
		} else {
			assert_int_equal(n + 2, 256);
			assert_int_equal(got, 0);
			assert_int_equal(err, SP_EMALFORMED);
		}
	}
	/* A label of 63 is fine, 64 is not a label (0x40: an obsolete label type). */
	const uint8_t l63[] = { 63 };
	memcpy(body, l63, 1);
	memset(body + 1, 'q', 63);
	body[64] = 0;
	len = msg_with(m, sizeof(m), body, 65);
	assert_int_equal(msg_name(m, len, 12, &err), 65);
	body[0] = 64;
	body[64] = 'q';
	body[65] = 0;
	len = msg_with(m, sizeof(m), body, 66);
	assert_true(refused_at(m, len, 12));
}

static void test_pointer_into_header(void **state)
{
	uint8_t m[64];
	/* The question name a pointer to offset 4 (QDCOUNT's bytes). */
	const uint8_t q[] = { 0xc0, 4, 0, 1, 0, 1 };
	size_t len = msg_with(m, sizeof(m), q, sizeof(q));
	assert_true(refused_at(m, len, 12));
	/* An answer's owner pointing into the header: the RR walker refuses it. */
	const uint8_t later[] = { 0, 0, 1, 0, 1, 0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	len = msg_with(m, sizeof(m), later, sizeof(later));
	m[7] = 1;	/* ANCOUNT */
	struct dns_wire w;
	struct dns_hdr h;
	struct dns_rr_hdr rr;
	dns_wire_init(&w, m, len);
	dns_wire_header(&w, &h);
	assert_int_equal(h.ancount, 1);
	assert_int_equal(dns_wire_question(&w, NULL, NULL, NULL, NULL), 1);
	assert_int_equal(dns_wire_rr(&w, &rr, NULL), SP_EMALFORMED);
	/* The same RR with its owner pointing at the question's root name: fine. */
	m[18] = 12;
	dns_wire_init(&w, m, len);
	dns_wire_header(&w, &h);
	(void)dns_wire_question(&w, NULL, NULL, NULL, NULL);
	assert_int_equal(dns_wire_rr(&w, &rr, NULL), 0);
	assert_int_equal(rr.owner_len, 1);
	len = msg_with(m, sizeof(m), q, sizeof(q));
	assert_int_equal(dns_wire_question_end(m, len), 0);
}

static void test_truncation(void **state)
{
	uint8_t m[64];
	/* "www.example." cut inside "example". */
	const uint8_t b[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a' };
	size_t len = msg_with(m, sizeof(m), b, sizeof(b));
	assert_true(refused_at(m, len, 12));
	/* One octet short: a label of 2 with one octet after it. */
	const uint8_t one[] = { 2, 'a' };
	len = msg_with(m, sizeof(m), one, sizeof(one));
	assert_true(refused_at(m, len, 12));
	/* Cut inside a pointer. */
	const uint8_t p[] = { 0, 1, 'a', 0xc0 };
	len = msg_with(m, sizeof(m), p, sizeof(p));
	assert_true(refused_at(m, len, 13));
	/* A whole name but no QCLASS: the question walker refuses, and the error sticks. */
	const uint8_t q[] = { 1, 'a', 0, 0, 1, 0 };
	len = msg_with(m, sizeof(m), q, sizeof(q));
	struct dns_wire w;
	uint16_t t = 9, c = 9;
	dns_wire_init_msg(&w, m, len, 12);
	assert_int_equal(dns_wire_question(&w, NULL, NULL, &t, &c), 0);
	assert_int_equal(w.err, SP_EMALFORMED);
	assert_int_equal(dns_wire_u8(&w), 0);
	assert_int_equal(dns_wire_question_end(m, len), 0);
	m[len] = 1;
	assert_int_equal(dns_wire_question_end(m, len + 1), len + 1);
}

static void test_rr_walker(void **state)
{
	uint8_t m[64];
	/* Question "a." A IN, then an RR: owner ptr 12, A IN TTL 300, RDLENGTH 4. */
	const uint8_t b[] = { 1, 'a', 0, 0, 1, 0, 1,
			      0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1 };
	size_t len = msg_with(m, sizeof(m), b, sizeof(b));
	struct dns_wire w;
	struct dns_hdr h;
	struct dns_rr_hdr rr;
	uint8_t name[DNS_NAME_MAXLEN];
	dns_wire_init(&w, m, len);
	dns_wire_header(&w, &h);
	assert_int_equal(dns_wire_question(&w, name, NULL, NULL, NULL), 3);
	assert_int_equal(dns_wire_rr(&w, &rr, name), 0);
	assert_int_equal(rr.off, 19);
	assert_int_equal(rr.owner_len, 3);
	assert_memory_equal(name, "\001a", 3);
	assert_int_equal(rr.type, 1);
	assert_int_equal(rr.klass, 1);
	assert_int_equal(rr.ttl, 300);
	assert_int_equal(rr.rdlen, 4);
	assert_int_equal(rr.rdata, 31);
	assert_int_equal(w.pos, len);
	/* RDLENGTH one more than what is there. */
	m[30] = 5;
	dns_wire_init(&w, m, len);
	dns_wire_header(&w, &h);
	(void)dns_wire_question(&w, NULL, NULL, NULL, NULL);
	assert_int_equal(dns_wire_rr(&w, &rr, NULL), SP_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sticky_read),
		cmocka_unit_test(test_sticky_write),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_attacks),
		cmocka_unit_test(test_name_order),
		cmocka_unit_test(test_forward_pointers),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_hop_bound),
		cmocka_unit_test(test_name_length_bound),
		cmocka_unit_test(test_pointer_into_header),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_rr_walker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

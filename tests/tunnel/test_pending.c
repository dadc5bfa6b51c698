/*
 * test_pending.c - the table of packets waiting for a peer (pending.c),
 * pure: destinations of IPv4 and IPv6 packets, which addresses may wait,
 * 8 packets per destination with the oldest dropped, 16 destinations with
 * the first-created evicted, expiry by age, the once-per-gap event, release
 * to a receiver in arrival order, and the counters of each case.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "tunnel/pending.h"

#define MS 1000000ull
#define AGE (5000 * MS)
#define GAP (1000 * MS)

/* An IPv6 packet to dst, 60 bytes, byte 40 tags it. */
static size_t pkt6(uint8_t *p, const char *dst, uint8_t tag)
{
	memset(p, 0, 60);
	p[0] = 0x60;
	assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
	p[40] = tag;
	return 60;
}

static const uint8_t *a6(const char *text)
{
	static uint8_t a[4][16];
	static unsigned n;
	uint8_t *r = a[n++ % 4];
	assert_int_equal(inet_pton(AF_INET6, text, r), 1);
	return r;
}

static void test_dst_and_wanted(void **state)
{
	(void)state;
	uint8_t p[60], addr[16];
	pkt6(p, "fd12:3456:789a::1", 0);
	assert_int_equal(tun_pend_dst_of(p, 60, addr), 0);
	assert_memory_equal(addr, a6("fd12:3456:789a::1"), 16);
	assert_int_equal(tun_pend_dst_of(p, 39, addr), -EINVAL);
	/* IPv4 comes out v4-mapped */
	uint8_t q[20] = { 0x45 };
	q[16] = 10, q[17] = 1, q[18] = 2, q[19] = 3;
	assert_int_equal(tun_pend_dst_of(q, 20, addr), 0);
	assert_memory_equal(addr, a6("::ffff:10.1.2.3"), 16);
	assert_int_equal(tun_pend_dst_of(q, 19, addr), -EINVAL);
	q[0] = 0x55;
	assert_int_equal(tun_pend_dst_of(q, 20, addr), -EINVAL);

	assert_true(tun_pend_wanted(a6("fd00::1")));
	assert_true(tun_pend_wanted(a6("2001:db8::1")));
	assert_true(tun_pend_wanted(a6("::ffff:10.1.2.3")));
	assert_false(tun_pend_wanted(a6("ff02::16")));
	assert_false(tun_pend_wanted(a6("ff02::2")));
	assert_false(tun_pend_wanted(a6("fe80::1")));
	assert_false(tun_pend_wanted(a6("::")));
	assert_false(tun_pend_wanted(a6("::1")));
	assert_false(tun_pend_wanted(a6("::ffff:224.0.0.251")));
	assert_false(tun_pend_wanted(a6("::ffff:255.255.255.255")));
	assert_false(tun_pend_wanted(a6("::ffff:127.0.0.1")));
}

struct rx {
	void *to;
	unsigned n;
	uint8_t tags[64];
	const uint8_t *want;	/* the one destination find gives a receiver; NULL: all */
};

static void *find(void *arg, const uint8_t addr[16])
{
	struct rx *r = arg;
	if (r->want && memcmp(addr, r->want, 16) != 0)
		return NULL;
	return r->to;
}

static void out(void *arg, void *to, const uint8_t *pkt, size_t len)
{
	struct rx *r = arg;
	assert_ptr_equal(to, r->to);
	assert_int_equal(len, 60);
	r->tags[r->n++] = pkt[40];
}

static void test_per_destination_limit(void **state)
{
	(void)state;
	struct tun_pend t;
	tun_pend_init(&t, 1500);
	uint8_t p[60], addr[16];
	bool emit;
	uint64_t now = 1000 * MS;
	for (uint8_t i = 0; i < 10; i++) {
		pkt6(p, "fd01::5", i);
		assert_int_equal(tun_pend_dst_of(p, 60, addr), 0);
		assert_int_equal(tun_pend_hold(&t, addr, p, 60, now + i * MS, AGE, GAP, &emit), 0);
		/* the first packet asks for the event, the others (within a second) do not */
		assert_int_equal(emit, i == 0);
	}
	assert_int_equal(t.st.queued, 10);
	assert_int_equal(t.st.dropped, 2);
	assert_int_equal(t.st.events, 1);
	assert_int_equal(tun_pend_count(&t), 8);
	assert_int_equal(tun_pend_dests(&t), 1);
	/* a second later the event is due again */
	pkt6(p, "fd01::5", 10);
	assert_int_equal(tun_pend_hold(&t, addr, p, 60, now + GAP + 5 * MS, AGE, GAP, &emit), 0);
	assert_true(emit);
	assert_int_equal(t.st.dropped, 3);
	/* released oldest first: 3..10 (0, 1, 2 were pushed out) */
	struct rx r = { .to = &t };
	assert_int_equal(tun_pend_release(&t, find, out, &r, now + GAP + 6 * MS, AGE), 8);
	assert_int_equal(r.n, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(r.tags[i], i + 3);
	assert_int_equal(t.st.sent, 8);
	assert_int_equal(tun_pend_count(&t), 0);
	assert_int_equal(tun_pend_dests(&t), 0);
	/* too big, and a table without slots, refuse (counted) */
	assert_int_equal(tun_pend_hold(&t, addr, p, 1501, now, AGE, GAP, NULL), SP_ELIMIT);
	assert_int_equal(t.st.dropped, 4);
	tun_pend_deinit(&t);
	struct tun_pend z;
	tun_pend_init(&z, 0);
	assert_int_equal(tun_pend_hold(&z, addr, p, 60, now, AGE, GAP, NULL), SP_ELIMIT);
	assert_null(z.slots);
	tun_pend_deinit(&z);
}

static void test_destination_eviction(void **state)
{
	(void)state;
	struct tun_pend t;
	tun_pend_init(&t, 1500);
	uint8_t p[60], addr[16];
	char name[64];
	bool emit;
	uint64_t now = 7 * MS;
	/* 16 destinations with 2 packets each */
	for (unsigned d = 0; d < TUN_PEND_DESTS; d++) {
		snprintf(name, sizeof(name), "fd02::%x", d + 1);
		for (unsigned k = 0; k < 2; k++) {
			pkt6(p, name, (uint8_t)d);
			assert_int_equal(tun_pend_dst_of(p, 60, addr), 0);
			assert_int_equal(tun_pend_hold(&t, addr, p, 60, now, AGE, GAP, &emit), 0);
			assert_int_equal(emit, k == 0);
		}
	}
	assert_int_equal(tun_pend_dests(&t), 16);
	assert_int_equal(tun_pend_count(&t), 32);
	assert_int_equal(t.st.dropped, 0);
	/* the 17th evicts the first-created (fd02::1) with its two packets */
	pkt6(p, "fd02::100", 0xaa);
	assert_int_equal(tun_pend_dst_of(p, 60, addr), 0);
	assert_int_equal(tun_pend_hold(&t, addr, p, 60, now + MS, AGE, GAP, &emit), 0);
	assert_true(emit);
	assert_int_equal(tun_pend_dests(&t), 16);
	assert_int_equal(tun_pend_count(&t), 31);
	assert_int_equal(t.st.dropped, 2);
	struct rx r = { .to = &t, .want = a6("fd02::1") };
	assert_int_equal(tun_pend_release(&t, find, out, &r, now + MS, AGE), 0);
	/* the next eviction takes fd02::2, the then first-created */
	pkt6(p, "fd02::101", 0xbb);
	assert_int_equal(tun_pend_dst_of(p, 60, addr), 0);
	assert_int_equal(tun_pend_hold(&t, addr, p, 60, now + MS, AGE, GAP, NULL), 0);
	r.want = a6("fd02::2");
	assert_int_equal(tun_pend_release(&t, find, out, &r, now + MS, AGE), 0);
	assert_int_equal(t.st.dropped, 4);
	/* the others are still there: fd02::3 gives two packets, tagged 2 */
	r.want = a6("fd02::3");
	assert_int_equal(tun_pend_release(&t, find, out, &r, now + MS, AGE), 2);
	assert_int_equal(r.tags[0], 2);
	assert_int_equal(r.tags[1], 2);
	r.want = a6("fd02::100");
	assert_int_equal(tun_pend_release(&t, find, out, &r, now + MS, AGE), 1);
	assert_int_equal(r.tags[2], 0xaa);
	assert_int_equal(tun_pend_dests(&t), 14);
	tun_pend_deinit(&t);
	assert_null(t.slots);
	assert_int_equal(tun_pend_count(&t), 0);
}

static void test_expiry(void **state)
{
	(void)state;
	struct tun_pend t;
	tun_pend_init(&t, 1500);
	uint8_t p[60], addr[16];
	bool emit;
	uint64_t now = 0;	/* a clock that starts at 0 still gives the first event */
	pkt6(p, "fd03::1", 1);
	assert_int_equal(tun_pend_dst_of(p, 60, addr), 0);
	assert_int_equal(tun_pend_hold(&t, addr, p, 60, now, AGE, GAP, &emit), 0);
	assert_true(emit);
	pkt6(p, "fd03::1", 2);
	assert_int_equal(tun_pend_hold(&t, addr, p, 60, now + 3000 * MS, AGE, GAP, &emit), 0);
	assert_true(emit);
	/* at 5 s the first is too old, the second not */
	tun_pend_expire(&t, now + AGE, AGE);
	assert_int_equal(t.st.expired, 1);
	assert_int_equal(tun_pend_count(&t), 1);
	assert_int_equal(tun_pend_dests(&t), 1);
	/* just before 8 s the second is still there; at 8 s it goes and so does the destination */
	tun_pend_expire(&t, now + 3000 * MS + AGE - 1, AGE);
	assert_int_equal(tun_pend_count(&t), 1);
	struct rx r = { .to = &t };
	assert_int_equal(tun_pend_release(&t, find, out, &r, now + 3000 * MS + AGE, AGE), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(t.st.expired, 2);
	assert_int_equal(t.st.sent, 0);
	assert_int_equal(tun_pend_dests(&t), 0);
	/* a new packet after the destination went: an event again */
	assert_int_equal(tun_pend_hold(&t, addr, p, 60, now + 9000 * MS, AGE, GAP, &emit), 0);
	assert_true(emit);
	assert_int_equal(t.st.events, 3);
	assert_int_equal(t.st.queued, 3);
	tun_pend_deinit(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dst_and_wanted),
		cmocka_unit_test(test_per_destination_limit),
		cmocka_unit_test(test_destination_eviction),
		cmocka_unit_test(test_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

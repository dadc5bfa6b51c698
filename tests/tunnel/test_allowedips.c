/* test_allowedips.c - the allowed-IPs trie against hand cases and a brute-force reference. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "tunnel/allowedips.h"

static int P1, P2, P3, P4;	/* peers are opaque: only their addresses matter */

static void ins(struct tun_aip *t, const char *text, int cidr, void *peer)
{
	uint8_t a[16];
	int fam = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(fam, text, a), 1);
	assert_int_equal(tun_aip_insert(t, fam, a, (uint8_t)cidr, peer), 0);
}

static void *look(const struct tun_aip *t, const char *text)
{
	uint8_t a[16];
	if (strchr(text, ':')) {
		assert_int_equal(inet_pton(AF_INET6, text, a), 1);
		return tun_aip_lookup6(t, a);
	}
	assert_int_equal(inet_pton(AF_INET, text, a), 1);
	return tun_aip_lookup4(t, a);
}

static int rem(struct tun_aip *t, const char *text, int cidr, void *peer)
{
	uint8_t a[16];
	int fam = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(fam, text, a), 1);
	return tun_aip_remove(t, fam, a, (uint8_t)cidr, peer);
}

static void test_empty(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	assert_null(look(&t, "10.0.0.1"));
	assert_null(look(&t, "fd00::1"));
	assert_int_equal(tun_aip_count(&t, NULL), 0);
	tun_aip_deinit(&t);
}

static void test_overlap_v4(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	ins(&t, "10.0.0.0", 8, &P1);
	ins(&t, "10.1.0.0", 16, &P2);
	ins(&t, "10.1.2.0", 24, &P3);
	ins(&t, "10.1.2.3", 32, &P4);
	assert_ptr_equal(look(&t, "10.9.9.9"), &P1);
	assert_ptr_equal(look(&t, "10.1.9.9"), &P2);
	assert_ptr_equal(look(&t, "10.1.2.9"), &P3);
	assert_ptr_equal(look(&t, "10.1.2.3"), &P4);
	assert_null(look(&t, "11.0.0.1"));
	/* IPv6 is a separate table. */
	assert_null(look(&t, "::a01:203"));
	/* Host bits are ignored: 10.1.2.77/24 is 10.1.2.0/24. */
	ins(&t, "10.1.2.77", 24, &P1);
	assert_ptr_equal(look(&t, "10.1.2.9"), &P1);
	assert_int_equal(tun_aip_count(&t, NULL), 4);
	/* Remove the middle one: the shorter prefix shows through. */
	assert_int_equal(rem(&t, "10.1.0.0", 16, &P2), 0);
	assert_ptr_equal(look(&t, "10.1.9.9"), &P1);
	assert_int_equal(rem(&t, "10.1.0.0", 16, &P2), SP_ENOTFOUND);
	/* Wrong owner is not removed. */
	assert_int_equal(rem(&t, "10.1.2.3", 32, &P1), SP_ENOTFOUND);
	assert_ptr_equal(look(&t, "10.1.2.3"), &P4);
	tun_aip_deinit(&t);
}

static void test_default_routes(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	ins(&t, "0.0.0.0", 0, &P1);
	ins(&t, "::", 0, &P2);
	assert_ptr_equal(look(&t, "1.2.3.4"), &P1);
	assert_ptr_equal(look(&t, "255.255.255.255"), &P1);
	assert_ptr_equal(look(&t, "2001:db8::1"), &P2);
	assert_ptr_equal(look(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), &P2);
	ins(&t, "fd00::", 8, &P3);
	ins(&t, "fd12:3456:789a::1", 128, &P4);
	assert_ptr_equal(look(&t, "fd12:3456:789a::1"), &P4);
	assert_ptr_equal(look(&t, "fd12:3456:789a::2"), &P3);
	assert_ptr_equal(look(&t, "fe00::"), &P2);
	/* A /128 and its neighbour differing in the very last bit. */
	ins(&t, "fd12:3456:789a::", 128, &P1);
	assert_ptr_equal(look(&t, "fd12:3456:789a::"), &P1);
	assert_ptr_equal(look(&t, "fd12:3456:789a::1"), &P4);
	assert_int_equal(rem(&t, "::", 0, NULL), 0);
	assert_null(look(&t, "2001:db8::1"));
	assert_ptr_equal(look(&t, "1.2.3.4"), &P1);
	assert_int_equal(tun__aip_check(&t), 0);
	tun_aip_deinit(&t);
}

static void test_move_and_remove_peer(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	ins(&t, "192.168.0.0", 16, &P1);
	ins(&t, "192.168.4.0", 24, &P1);
	ins(&t, "fd00::", 64, &P1);
	ins(&t, "fd00::", 48, &P2);
	ins(&t, "192.168.4.0", 24, &P2);	/* moves to P2 */
	assert_ptr_equal(look(&t, "192.168.4.1"), &P2);
	assert_int_equal(tun_aip_count(&t, &P1), 2);
	assert_int_equal(tun_aip_count(&t, &P2), 2);
	assert_int_equal(tun_aip_remove_peer(&t, &P1), 2);
	assert_null(look(&t, "192.168.5.1"));
	assert_ptr_equal(look(&t, "192.168.4.1"), &P2);
	assert_ptr_equal(look(&t, "fd00::1"), &P2);
	assert_int_equal(tun_aip_remove_peer(&t, &P1), 0);
	assert_int_equal(tun_aip_remove_peer(&t, &P2), 2);
	assert_int_equal(tun_aip_count(&t, NULL), 0);
	assert_null(t.root4);
	assert_null(t.root6);
	assert_int_equal(tun__aip_check(&t), 0);
	tun_aip_deinit(&t);
}

static void test_bad_args(void **state)
{
	struct tun_aip t;
	uint8_t a[16] = { 0 };
	tun_aip_init(&t);
	assert_int_equal(tun_aip_insert(&t, AF_INET, a, 33, &P1), -EINVAL);
	assert_int_equal(tun_aip_insert(&t, AF_INET6, a, 129, &P1), -EINVAL);
	assert_int_equal(tun_aip_insert(&t, AF_UNIX, a, 8, &P1), -EINVAL);
	assert_int_equal(tun_aip_insert(&t, AF_INET, a, 8, NULL), -EINVAL);
	assert_int_equal(tun_aip_remove(&t, AF_INET, a, 40, NULL), -EINVAL);
	assert_int_equal(tun_aip_count(&t, NULL), 0);
	tun_aip_deinit(&t);
}

static void test_packets(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	ins(&t, "10.0.0.2", 32, &P1);
	ins(&t, "10.0.0.1", 32, &P2);
	ins(&t, "fd00::2", 128, &P3);
	ins(&t, "fd00::1", 128, &P4);
	uint8_t v4[20] = { 0x45 };
	inet_pton(AF_INET, "10.0.0.1", v4 + 12);
	inet_pton(AF_INET, "10.0.0.2", v4 + 16);
	assert_ptr_equal(tun_aip_lookup_dst(&t, v4, sizeof(v4)), &P1);
	assert_ptr_equal(tun_aip_lookup_src(&t, v4, sizeof(v4)), &P2);
	assert_null(tun_aip_lookup_dst(&t, v4, 19));
	uint8_t v6[40] = { 0x60 };
	inet_pton(AF_INET6, "fd00::1", v6 + 8);
	inet_pton(AF_INET6, "fd00::2", v6 + 24);
	assert_ptr_equal(tun_aip_lookup_dst(&t, v6, sizeof(v6)), &P3);
	assert_ptr_equal(tun_aip_lookup_src(&t, v6, sizeof(v6)), &P4);
	assert_null(tun_aip_lookup_src(&t, v6, 39));
	v6[0] = 0x50;
	assert_null(tun_aip_lookup_dst(&t, v6, sizeof(v6)));
	assert_null(tun_aip_lookup_dst(&t, NULL, 0));
	tun_aip_deinit(&t);
}

struct walk_ctx {
	int n, v4, v6;
	int stop_after;
};

static int walk_cb(int family, const uint8_t *addr, uint8_t cidr, void *ctx)
{
	struct walk_ctx *w = ctx;
	char text[64];
	inet_ntop(family, addr, text, sizeof(text));
	if (family == AF_INET) {
		assert_string_equal(text, "172.16.0.0");
		assert_int_equal(cidr, 12);
		w->v4++;
	} else {
		assert_string_equal(text, "fd01:203:405::");
		assert_int_equal(cidr, 48);
		w->v6++;
	}
	return ++w->n == w->stop_after ? 7 : 0;
}

static void test_walk(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	ins(&t, "172.16.9.9", 12, &P1);	/* host bits dropped in the dump */
	ins(&t, "fd01:203:405:607::", 48, &P1);
	ins(&t, "10.0.0.0", 8, &P2);
	struct walk_ctx w = { 0 };
	assert_int_equal(tun_aip_walk_peer(&t, &P1, walk_cb, &w), 0);
	assert_int_equal(w.v4, 1);
	assert_int_equal(w.v6, 1);
	struct walk_ctx s = { .stop_after = 1 };
	assert_int_equal(tun_aip_walk_peer(&t, &P1, walk_cb, &s), 7);
	assert_int_equal(s.n, 1);
	tun_aip_deinit(&t);
}

static void test_limit(void **state)
{
	struct tun_aip t;
	tun_aip_init(&t);
	for (uint32_t i = 0; i < TUN_AIP_MAX_ENTRIES; i++) {
		uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		assert_int_equal(tun_aip_insert(&t, AF_INET, a, 32, &P1), 0);
	}
	uint8_t extra[16] = { 0xfd };
	assert_int_equal(tun_aip_insert(&t, AF_INET6, extra, 64, &P2), SP_ELIMIT);
	/* Moving an existing prefix allocates nothing and stays allowed. */
	uint8_t first[4] = { 10, 0, 0, 0 };
	assert_int_equal(tun_aip_insert(&t, AF_INET, first, 32, &P2), 0);
	assert_int_equal(tun_aip_count(&t, &P2), 1);
	assert_int_equal(tun__aip_check(&t), 0);
	assert_int_equal(tun_aip_remove_peer(&t, &P1), TUN_AIP_MAX_ENTRIES - 1);
	assert_int_equal(tun_aip_insert(&t, AF_INET6, extra, 64, &P2), 0);
	tun_aip_deinit(&t);
}

/* Reference: a flat list searched exhaustively. */
struct ref_entry {
	int family;
	uint8_t addr[16];
	uint8_t cidr;
	void *peer;
};

static int prefix_has(const uint8_t *p, const uint8_t *a, unsigned cidr)
{
	for (unsigned i = 0; i < cidr; i++) {
		unsigned b = 0x80u >> (i % 8);
		if ((p[i / 8] & b) != (a[i / 8] & b))
			return 0;
	}
	return 1;
}

static void *ref_lookup(const struct ref_entry *r, size_t n, int family, const uint8_t *a)
{
	int best = -1;
	void *owner = NULL;
	for (size_t i = 0; i < n; i++) {
		if (r[i].family == family && r[i].peer != NULL && (int)r[i].cidr > best &&
		    prefix_has(r[i].addr, a, r[i].cidr)) {
			best = r[i].cidr;
			owner = r[i].peer;
		}
	}
	return owner;
}

static int ref_same(const struct ref_entry *e, int family, const uint8_t *a, unsigned cidr)
{
	return e->family == family && e->cidr == cidr && prefix_has(e->addr, a, cidr);
}

/* Addresses clustered in a small space so that prefixes really overlap. */
static void rand_addr(uint8_t *a, int family)
{
	size_t n = family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		a[i] = (uint8_t)rand();
	a[0] = (uint8_t)(0xf0 | (rand() & 1));
	if (rand() & 1)
		a[n - 1] &= 0x0f;
}

static void test_random_vs_reference(void **state)
{
	enum { NPEERS = 8, ROUNDS = 3000, PROBES = 20000 };
	static char peers[NPEERS];
	static struct ref_entry ref[ROUNDS];
	size_t nref = 0;
	struct tun_aip t;
	tun_aip_init(&t);
	srand(12345);
	for (int round = 0; round < ROUNDS; round++) {
		int family = (rand() & 1) ? AF_INET : AF_INET6;
		unsigned maxbits = family == AF_INET ? 32 : 128;
		uint8_t a[16] = { 0 };
		rand_addr(a, family);
		unsigned cidr = (unsigned)rand() % (maxbits + 1);
		void *peer = &peers[rand() % NPEERS];
		int op = rand() % 10;
		if (op < 8) {
			assert_int_equal(tun_aip_insert(&t, family, a, (uint8_t)cidr, peer), 0);
			size_t i;
			for (i = 0; i < nref; i++)
				if (ref_same(&ref[i], family, a, cidr))
					break;
			if (i == nref) {
				ref[nref].family = family;
				memcpy(ref[nref].addr, a, 16);
				ref[nref].cidr = (uint8_t)cidr;
				nref++;
			}
			ref[i].peer = peer;
		} else if (op == 8) {
			/* remove one existing entry by its prefix */
			if (nref == 0)
				continue;
			struct ref_entry *e = &ref[(size_t)rand() % nref];
			int r = tun_aip_remove(&t, e->family, e->addr, e->cidr, NULL);
			assert_int_equal(r, e->peer != NULL ? 0 : SP_ENOTFOUND);
			e->peer = NULL;
		} else if (round % 50 == 0) {
			size_t expect = 0;
			for (size_t i = 0; i < nref; i++)
				if (ref[i].peer == peer) {
					ref[i].peer = NULL;
					expect++;
				}
			assert_int_equal(tun_aip_remove_peer(&t, peer), expect);
		}
		assert_int_equal(tun__aip_check(&t), 0);
	}
	size_t live = 0;
	for (size_t i = 0; i < nref; i++)
		live += ref[i].peer != NULL;
	assert_int_equal(tun_aip_count(&t, NULL), live);
	for (int p = 0; p < PROBES; p++) {
		int family = (p & 1) ? AF_INET : AF_INET6;
		uint8_t a[16] = { 0 };
		if (p % 3 == 0 && nref > 0) {
			/* probe inside a known prefix */
			struct ref_entry *e = &ref[(size_t)rand() % nref];
			family = e->family;
			rand_addr(a, family);
			for (unsigned i = 0; i < e->cidr; i++) {
				unsigned b = 0x80u >> (i % 8);
				a[i / 8] = (uint8_t)((a[i / 8] & ~b) | (e->addr[i / 8] & b));
			}
		} else {
			rand_addr(a, family);
		}
		void *want = ref_lookup(ref, nref, family, a);
		void *got = family == AF_INET ? tun_aip_lookup4(&t, a) : tun_aip_lookup6(&t, a);
		assert_ptr_equal(got, want);
	}
	/* Removing every peer leaves empty tries: no bare node is leaked. */
	for (int i = 0; i < NPEERS; i++)
		tun_aip_remove_peer(&t, &peers[i]);
	assert_null(t.root4);
	assert_null(t.root6);
	assert_int_equal(tun_aip_count(&t, NULL), 0);
	tun_aip_deinit(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_overlap_v4),
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test(test_move_and_remove_peer),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_random_vs_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_overlay.c - overlay prefix and address derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "tunnel/overlay.h"

static const uint8_t PK1[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t PK2[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11 };

static void test_prefix_layout(void **state)
{
	uint8_t p[16], h[crypto_generichash_BYTES];
	assert_int_equal(tun_overlay_prefix("alice.example.", p), 0);
	assert_int_equal(p[0], 0xfd);
	/* Independent computation of the documented layout. */
	crypto_generichash(h, sizeof(h), (const uint8_t *)"alice.example.", 14, NULL, 0);
	assert_memory_equal(p + 1, h, 5);
	for (int i = 6; i < 16; i++)
		assert_int_equal(p[i], 0);
}

static void test_canonical(void **state)
{
	uint8_t a[16], b[16], c[16];
	char out[TUN_OVERLAY_ZONE_MAX + 1];
	assert_int_equal(tun_overlay_zone_canonical("Alice.EXAMPLE", out), 14);
	assert_string_equal(out, "alice.example.");
	assert_int_equal(tun_overlay_prefix("alice.example.", a), 0);
	assert_int_equal(tun_overlay_prefix("Alice.Example", b), 0);
	assert_int_equal(tun_overlay_prefix("ALICE.EXAMPLE.", c), 0);
	assert_memory_equal(a, b, 16);
	assert_memory_equal(a, c, 16);
	assert_int_equal(tun_overlay_zone_canonical("", out), SP_EMALFORMED);
	assert_int_equal(tun_overlay_zone_canonical(".", out), SP_EMALFORMED);
	assert_int_equal(tun_overlay_zone_canonical(NULL, out), SP_EMALFORMED);
	assert_int_equal(tun_overlay_zone_canonical("a..b", out), SP_EMALFORMED);
	assert_int_equal(tun_overlay_zone_canonical(".a", out), SP_EMALFORMED);
	assert_int_equal(tun_overlay_zone_canonical("a b.c", out), SP_EMALFORMED);
	assert_int_equal(tun_overlay_zone_canonical("a.b..", out), SP_EMALFORMED);
	char label[70];
	memset(label, 'x', 64);
	strcpy(label + 64, ".ex");
	assert_int_equal(tun_overlay_zone_canonical(label, out), SP_EMALFORMED);
	memset(label, 'x', 63);
	strcpy(label + 63, ".ex");	/* a label of 63 bytes is the most allowed */
	assert_true(tun_overlay_zone_canonical(label, out) > 0);
	char longname[300];
	for (int i = 0; i < 300; i += 2) {
		longname[i] = 'a';
		longname[i + 1] = '.';
	}
	longname[253] = '\0';	/* 127 labels: 253 characters, legal */
	assert_int_equal(tun_overlay_zone_canonical(longname, out), 254);
	longname[253] = 'a';
	longname[254] = '\0';
	assert_int_equal(tun_overlay_zone_canonical(longname, out), SP_EMALFORMED);
}

static void test_zones_differ(void **state)
{
	uint8_t a[16], b[16];
	assert_int_equal(tun_overlay_prefix("alice.example.", a), 0);
	assert_int_equal(tun_overlay_prefix("bob.example.", b), 0);
	assert_memory_not_equal(a, b, 6);
	assert_int_equal(tun_overlay_prefix("alice.example.com.", b), 0);
	assert_memory_not_equal(a, b, 6);
}

static void test_addr(void **state)
{
	uint8_t p[16], a1[16], a1b[16], a2[16], h[crypto_generichash_BYTES];
	assert_int_equal(tun_overlay_prefix("alice.example.", p), 0);
	assert_int_equal(tun_overlay_addr("alice.example.", PK1, a1), 0);
	assert_int_equal(tun_overlay_addr("Alice.Example", PK1, a1b), 0);
	assert_memory_equal(a1, a1b, 16);	/* deterministic */
	assert_memory_equal(a1, p, 8);		/* /48 prefix and subnet 0 */
	crypto_generichash(h, sizeof(h), PK1, 32, NULL, 0);
	assert_memory_equal(a1 + 8, h, 8);
	assert_int_equal(tun_overlay_addr("alice.example.", PK2, a2), 0);
	assert_memory_equal(a1, a2, 8);
	assert_memory_not_equal(a1 + 8, a2 + 8, 8);
	assert_int_equal(tun_overlay_addr("bob.example.", PK1, a2), 0);
	assert_memory_not_equal(a1, a2, 6);
	assert_memory_equal(a1 + 8, a2 + 8, 8);
	assert_int_equal(tun_overlay_addr("", PK1, a2), SP_EMALFORMED);
}

static void test_check(void **state)
{
	uint8_t a[16];
	assert_int_equal(tun_overlay_addr("alice.example.", PK1, a), 0);
	assert_int_equal(tun_overlay_check("alice.example.", PK1, a), 0);
	assert_int_equal(tun_overlay_check("alice.example.", PK2, a), SP_EAUTH);
	assert_int_equal(tun_overlay_check("bob.example.", PK1, a), SP_EAUTH);
	a[15] ^= 1;
	assert_int_equal(tun_overlay_check("alice.example.", PK1, a), SP_EAUTH);
	assert_int_equal(tun_overlay_check("a..", PK1, a), SP_EMALFORMED);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_layout),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_zones_differ),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

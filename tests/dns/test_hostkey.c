/*
 * test_hostkey.c - a node's Ed25519 key as a KEY record (hostkey.h): made,
 * printed as "KEY 512 3 15 <base64>", read back from text and from wire, and
 * every other flags/protocol/algorithm/length/type/class refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <sodium.h>

#include "dns/hostkey.h"

#define B64 "P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs="

static void key_bytes(uint8_t pk[32])
{
	size_t got = 0;
	assert_int_equal(sodium_base642bin(pk, 32, B64, strlen(B64), NULL, &got, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(got, 32);
}

static ldns_rr *rr_of(const char *s)
{
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, s, 3600, NULL, NULL), LDNS_STATUS_OK);
	return rr;
}

static void test_make_and_read(void **state)
{
	(void)state;
	uint8_t pk[32], got[32];
	key_bytes(pk);
	ldns_rdf *owner = ldns_dname_new_frm_str("laptop.example.test.");
	ldns_rr *rr = NULL;
	assert_int_equal(dns_hostkey_rr(owner, 300, pk, &rr), 0);
	char *text = ldns_rr2str(rr);
	assert_string_equal(text, "laptop.example.test.\t300\tIN\tKEY\t512 3 15 " B64 "\n");
	free(text);

	/* The same record from the text a user types (`signpost zone add`). */
	ldns_rr *typed = rr_of("laptop.example.test. 300 IN KEY 512 3 15 " B64);
	assert_int_equal(ldns_rr_compare(rr, typed), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(dns_hostkey_parse(typed, got), 0);
	assert_memory_equal(got, pk, 32);

	/* And from the wire, as a resolver gets it. */
	uint8_t *wire = NULL;
	size_t len = 0, pos = 0;
	assert_int_equal(ldns_rr2wire(&wire, rr, LDNS_SECTION_ANSWER, &len), LDNS_STATUS_OK);
	ldns_rr *back = NULL;
	assert_int_equal(ldns_wire2rr(&back, wire, len, &pos, LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
	memset(got, 0, sizeof(got));
	assert_int_equal(dns_hostkey_parse(back, got), 0);
	assert_memory_equal(got, pk, 32);
	free(wire);

	/* An owner that is not absolute is refused. */
	ldns_rdf *rel = ldns_dname_new_frm_str("laptop");
	ldns_rr *none = (ldns_rr *)&none;
	if (rel != NULL && !ldns_dname_absolute(rel)) {
		assert_int_equal(dns_hostkey_rr(rel, 300, pk, &none), -EINVAL);
		assert_null(none);
	}
	ldns_rdf_deep_free(rel);

	ldns_rr_free(back);
	ldns_rr_free(typed);
	ldns_rr_free(rr);
	ldns_rdf_deep_free(owner);
}

static void test_refusals(void **state)
{
	(void)state;
	static const char *bad[] = {
		"a.example.test. 300 IN DNSKEY 0 3 15 " B64,	/* the old device DNSKEY */
		"a.example.test. 300 IN KEY 256 3 15 " B64,	/* a zone key */
		"a.example.test. 300 IN KEY 0 3 15 " B64,	/* a user key */
		"a.example.test. 300 IN KEY 512 2 15 " B64,	/* protocol email */
		"a.example.test. 300 IN KEY 512 3 13 " B64,	/* ECDSA */
		"a.example.test. 300 IN KEY 512 3 15 P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVQ==",
		"a.example.test. 300 IN KEY 512 3 15 P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfsAAAAA",
		"a.example.test. 300 CH KEY 512 3 15 " B64,
	};
	uint8_t got[32], zero[32] = { 0 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ldns_rr *rr = rr_of(bad[i]);
		memset(got, 0, sizeof(got));
		assert_int_equal(dns_hostkey_parse(rr, got), SP_EMALFORMED);
		assert_memory_equal(got, zero, 32);
		ldns_rr_free(rr);
	}
	assert_int_equal(dns_hostkey_parse(NULL, got), SP_EMALFORMED);
}

static void test_find(void **state)
{
	(void)state;
	uint8_t pk[32], got[32];
	key_bytes(pk);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr_of("nas.example.test. 300 IN AAAA fd00::1"));
	ldns_rr_list_push_rr(l, rr_of("nas.example.test. 300 IN KEY 256 3 15 " B64));
	ldns_rr_list_push_rr(l, rr_of("other.example.test. 300 IN KEY 512 3 15 "
				      "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="));
	ldns_rdf *nas = ldns_dname_new_frm_str("NAS.Example.Test.");
	assert_int_equal(dns_hostkey_find(l, nas, got), SP_ENOTFOUND);
	ldns_rr_list_push_rr(l, rr_of("nas.example.test. 300 IN KEY 512 3 15 " B64));
	memset(got, 0, sizeof(got));
	assert_int_equal(dns_hostkey_find(l, nas, got), 0);
	assert_memory_equal(got, pk, 32);
	assert_int_equal(dns_hostkey_find(NULL, nas, got), SP_ENOTFOUND);
	ldns_rdf_deep_free(nas);
	ldns_rr_list_deep_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_read),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

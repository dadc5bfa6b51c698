/*
 * test_stub_conf.c - the stub resolver's view of the configuration:
 * zones with their servers and anchors, upstreams, zone lookup, and the
 * errors `signpostd --check` reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
#include "dns/dns_schema.h"
#include "dns/stub_int.h"

#define DS_A "a.example. 3600 IN DS 4242 15 2 " \
	"0011223344556677889900112233445566778899001122334455667788990011"
#define KEY_F "friend.example. 3600 IN DNSKEY 257 3 15 " \
	"l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="

static struct sp_config *parse(const char *text)
{
	struct sp_config *cfg = NULL;
	assert_int_equal(sp_config_parse("test.conf", text, strlen(text), &cfg), 0);
	return cfg;
}

static const char good[] =
	"[node]\nrole = device\nzone = a.example.\nname = laptop\n"
	"[dns]\nstub-listen = 127.0.0.1\nstub-port = 5353\nupstream = 192.0.2.1:53, [2001:db8::1]:5300\n"
	"[signpost]\ndns = 192.0.2.10:53\ntrust-anchor = " DS_A "\n"
	"[friend]\nzone = friend.example.\nsignpost = 192.0.2.20:53, 192.0.2.21:5353\n"
	"trust-anchor = " KEY_F "\n"
	"[friend]\nzone = sub.friend.example.\nsignpost = 192.0.2.30:53\n"
	"trust-anchor = sub.friend.example. IN DS 1 15 2 00112233\n";

static void test_good(void **state)
{
	struct sp_config *cfg = parse(good);
	struct dns_stub_conf c;
	assert_int_equal(dns_stub_check(cfg), 0);
	assert_int_equal(dns_stub__conf_read(cfg, &c), 0);
	assert_int_equal(c.n_zones, 3);
	assert_int_equal(c.n_upstream, 2);
	assert_int_equal(c.upstream[1].sa.ss_family, AF_INET6);
	assert_int_equal(c.zones[1]->n_servers, 2);
	assert_non_null(c.zones[0]->anchor);

	/* Longest match: sub.friend.example. wins over friend.example. */
	ldns_rdf *n = ldns_dname_new_frm_str("NAS.Sub.Friend.Example.");
	struct dns_stub_zone *z = dns_stub__zone_find(&c, n);
	assert_non_null(z);
	assert_int_equal(z->n_servers, 1);
	ldns_rdf_deep_free(n);
	n = ldns_dname_new_frm_str("laptop.a.example.");
	assert_ptr_equal(dns_stub__zone_find(&c, n), c.zones[0]);
	ldns_rdf_deep_free(n);
	n = ldns_dname_new_frm_str("www.example.org.");
	assert_null(dns_stub__zone_find(&c, n));
	ldns_rdf_deep_free(n);
	n = ldns_dname_new_frm_str("xa.example.");	/* a suffix by text, not by label */
	assert_null(dns_stub__zone_find(&c, n));
	ldns_rdf_deep_free(n);

	dns_stub__conf_clear(&c);
	sp_config_free(cfg);
}

/* Each of these must fail the check (and not crash). */
static void test_bad(void **state)
{
	static const char *const bad[] = {
		/* the anchor is garbage */
		"[node]\nrole = device\nzone = a.example.\n"
		"[friend]\nzone = f.example.\nsignpost = 192.0.2.1:53\ntrust-anchor = hello world\n",
		/* the anchor is for another zone */
		"[node]\nrole = device\nzone = a.example.\n"
		"[friend]\nzone = f.example.\nsignpost = 192.0.2.1:53\ntrust-anchor = " DS_A "\n",
		/* the same zone twice */
		"[node]\nrole = device\nzone = a.example.\n"
		"[signpost]\ndns = 192.0.2.10:53\n"
		"[friend]\nzone = a.example.\nsignpost = 192.0.2.1:53\ntrust-anchor = " DS_A "\n",
		/* an own-zone anchor with nobody to ask */
		"[node]\nrole = device\nzone = a.example.\n[signpost]\ntrust-anchor = " DS_A "\n",
		/* an anchor that is not DS or DNSKEY */
		"[node]\nrole = device\nzone = a.example.\n"
		"[signpost]\ndns = 192.0.2.10:53\ntrust-anchor = a.example. IN A 192.0.2.1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sp_config *cfg = parse(bad[i]);
		assert_int_equal(dns_stub_check(cfg), SP_ECONFIG);
		sp_config_free(cfg);
	}
}

/* No own-zone server: the own zone is not special, names go upstream. */
static void test_no_signpost(void **state)
{
	struct sp_config *cfg = parse("[node]\nrole = device\nzone = a.example.\n"
				      "[dns]\nupstream = 192.0.2.1:53\n");
	struct dns_stub_conf c;
	assert_int_equal(dns_stub__conf_read(cfg, &c), 0);
	assert_int_equal(c.n_zones, 0);
	assert_int_equal(c.n_upstream, 1);
	dns_stub__conf_clear(&c);
	sp_config_free(cfg);
}

static void test_question_end(void **state)
{
	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				     1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 28, 0, 1 };
	assert_int_equal(dns_stub__question_end(q, sizeof(q)), sizeof(q));
	assert_int_equal(dns_stub__question_end(q, sizeof(q) - 1), 0);
	uint8_t c[sizeof(q)];
	memcpy(c, q, sizeof(q));
	c[12] = 0xc0;	/* compression pointer in the question */
	assert_int_equal(dns_stub__question_end(c, sizeof(c)), 0);
	c[12] = 1;
	c[5] = 2;	/* two questions */
	assert_int_equal(dns_stub__question_end(c, sizeof(c)), 0);
}

/* On a signpost [signpost] is not the own zone's server: only [friend] zones count. */
static void test_signpost_role(void **state)
{
	static const char text[] =
		"[node]\nrole = signpost\nzone = a.example.\n"
		"[signpost]\ndns = 192.0.2.10:53\ntrust-anchor = " DS_A "\n"
		"[friend]\nzone = friend.example.\nsignpost = 192.0.2.20:53\n"
		"trust-anchor = " KEY_F "\n";
	struct sp_config *cfg = parse(text);
	struct dns_stub_conf c;
	assert_int_equal(dns_stub_check(cfg), 0);
	assert_int_equal(dns_stub__conf_read(cfg, &c), 0);
	assert_int_equal(c.n_zones, 1);
	ldns_rdf *n = ldns_dname_new_frm_str("laptop.a.example.");
	assert_null(dns_stub__zone_find(&c, n));
	ldns_rdf_deep_free(n);
	dns_stub__conf_clear(&c);
	sp_config_free(cfg);
}

/* The one zone parser of [friend] sections and run-time friends. */
static void test_zone_new(void **state)
{
	struct dns_stub_server srv = { .len = sizeof(struct sockaddr_in) };
	struct dns_stub_zone *z = NULL;
	char err[200];
	assert_int_equal(dns_stub__zone_new("friend.example.", KEY_F, &srv, 1, &z, err, sizeof(err)),
			 0);
	assert_non_null(z->anchor);
	assert_int_equal(z->n_servers, 1);
	dns_stub__zone_unref(z);
	assert_int_equal(dns_stub__zone_new("other.example.", KEY_F, &srv, 1, &z, err, sizeof(err)),
			 SP_EMALFORMED);
	assert_null(z);
	assert_non_null(strstr(err, "owner"));
	assert_int_equal(dns_stub__zone_new(NULL, KEY_F, &srv, 1, &z, err, sizeof(err)), -EINVAL);
	assert_int_equal(dns_stub__zone_new("friend.example.", KEY_F, &srv, DNS_STUB_MAX_SERVERS + 1,
					    &z, err, sizeof(err)), -EINVAL);
	assert_null(z);
}

int main(void)
{
	/* The DNS planes' sections, composed as signpostd does. */
	static const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema };
	if (sp_config_schema_compose(frags, 2) != 0)
		return 1;
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_no_signpost),
		cmocka_unit_test(test_question_end),
		cmocka_unit_test(test_signpost_role),
		cmocka_unit_test(test_zone_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_rrl.c - response rate limiting: buckets per prefix, slip, bounded table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dns/rrl.h"

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 v6(const char *a)
{
	struct sockaddr_in6 s;
	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_off_passes_all(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(dns_rrl_init(&r, 64, 0, 2), 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	dns_rrl_deinit(&r);
	dns_rrl_deinit(&r); /* twice is harmless */
}

static void test_burst_then_slip_pattern(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(dns_rrl_init(&r, 64, 5, 2), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dns_rrl_check(&r, SA(a), 1000), DNS_RRL_PASS);
	/* Limited from now on: every second limited response slips. */
	assert_int_equal(dns_rrl_check(&r, SA(a), 1000), DNS_RRL_DROP);
	assert_int_equal(dns_rrl_check(&r, SA(a), 1000), DNS_RRL_SLIP);
	assert_int_equal(dns_rrl_check(&r, SA(a), 1000), DNS_RRL_DROP);
	assert_int_equal(dns_rrl_check(&r, SA(a), 1000), DNS_RRL_SLIP);
	assert_int_equal(r.n_dropped, 2);
	assert_int_equal(r.n_slipped, 2);
	dns_rrl_deinit(&r);
}

static void test_slip_zero_drops_all(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in a = v4("198.51.100.7");
	assert_int_equal(dns_rrl_init(&r, 64, 1, 0), 0);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	for (int i = 0; i < 50; i++)
		assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_DROP);
	dns_rrl_deinit(&r);
}

static void test_refill_over_time(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(dns_rrl_init(&r, 64, 5, 1), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	assert_int_not_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	/* 5 per second: one token back after 200 ms, not after 100 ms. */
	assert_int_not_equal(dns_rrl_check(&r, SA(a), 100), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(a), 200), DNS_RRL_PASS);
	assert_int_not_equal(dns_rrl_check(&r, SA(a), 200), DNS_RRL_PASS);
	/* A clock that goes backwards refills nothing. */
	assert_int_not_equal(dns_rrl_check(&r, SA(a), 50), DNS_RRL_PASS);
	/* A full second later the whole burst is back, and no more. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(dns_rrl_check(&r, SA(a), 5000), DNS_RRL_PASS);
	assert_int_not_equal(dns_rrl_check(&r, SA(a), 5000), DNS_RRL_PASS);
	dns_rrl_deinit(&r);
}

static void test_prefixes_v4(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in a = v4("192.0.2.1"), same = v4("192.0.2.200"), other = v4("192.0.3.1");
	assert_int_equal(dns_rrl_init(&r, 1024, 3, 0), 0);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(same), 0), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	/* The /24 shares one bucket of 3. */
	assert_int_equal(dns_rrl_check(&r, SA(same), 0), DNS_RRL_DROP);
	/* Another /24 is untouched. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(dns_rrl_check(&r, SA(other), 0), DNS_RRL_PASS);
	dns_rrl_deinit(&r);
}

static void test_prefixes_v6(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in6 a = v6("2001:db8:1:100::1"), same = v6("2001:db8:1:1ff:ffff::9"),
			    other = v6("2001:db8:1:200::1");
	assert_int_equal(dns_rrl_init(&r, 1024, 2, 0), 0);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(same), 0), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_DROP);
	assert_int_equal(dns_rrl_check(&r, SA(other), 0), DNS_RRL_PASS);
	/* Unknown families are not limited. */
	struct sockaddr un = { .sa_family = AF_UNIX };
	for (int i = 0; i < 10; i++)
		assert_int_equal(dns_rrl_check(&r, &un, 0), DNS_RRL_PASS);
	dns_rrl_deinit(&r);
}

static void test_table_is_bounded(void **state)
{
	struct dns_rrl r;
	assert_int_equal(dns_rrl_init(&r, 10, 1, 2), 0);
	assert_int_equal(r.t.n, 64);
	/* A spoofed flood from 100 000 prefixes evicts buckets but never grows the table. */
	for (uint32_t i = 0; i < 100000; i++) {
		struct sockaddr_in s;
		memset(&s, 0, sizeof(s));
		s.sin_family = AF_INET;
		s.sin_addr.s_addr = htonl(0x0a000000u + (i << 8));
		(void)dns_rrl_check(&r, SA(s), i);
	}
	assert_int_equal(r.t.n, 64);
	/* A source that keeps asking is still limited in the churn. */
	struct sockaddr_in a = v4("203.0.113.5");
	int passed = 0;
	for (int i = 0; i < 100; i++)
		passed += dns_rrl_check(&r, SA(a), 200000) == DNS_RRL_PASS;
	assert_int_equal(passed, 1);
	dns_rrl_deinit(&r);
}

static void test_reload_keeps_state(void **state)
{
	struct dns_rrl r;
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(dns_rrl_init(&r, 64, 2, 0), 0);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_DROP);
	dns_rrl_set(&r, 0, 0);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_PASS);
	dns_rrl_set(&r, 2, 1);
	assert_int_equal(dns_rrl_check(&r, SA(a), 0), DNS_RRL_SLIP);
	dns_rrl_deinit(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_passes_all),
		cmocka_unit_test(test_burst_then_slip_pattern),
		cmocka_unit_test(test_slip_zero_drops_all),
		cmocka_unit_test(test_refill_over_time),
		cmocka_unit_test(test_prefixes_v4),
		cmocka_unit_test(test_prefixes_v6),
		cmocka_unit_test(test_table_is_bounded),
		cmocka_unit_test(test_reload_keeps_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

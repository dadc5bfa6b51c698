/*
 * test_ratelimit.c - core's keyed per-prefix limiter: exact refill, burst,
 * prefix lengths (including ones that cut a byte), families kept apart,
 * evict and refuse policies on a full set, a random-source flood that never
 * grows the table, a rate change that keeps the entries, the `limited`
 * counter, and the single bucket.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/ratelimit.h"

#define SEC 1000000000ull
#define SA(x) ((const struct sockaddr *)&(x))

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 v6(const char *a)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };
	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

static unsigned passes(struct sp_rl *rl, const struct sockaddr *sa, unsigned n, uint64_t now)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += sp_rl_take(rl, sa, now, NULL) == SP_RL_PASS;
	return ok;
}

static void test_burst_and_exact_refill(void **state)
{
	struct sp_rl rl;
	const struct sp_rl_conf c = { .rate = 3, .burst = 4, .v4_bits = 32, .v6_bits = 128 };
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(sp_rl_init(&rl, 64, &c), 0);
	assert_int_equal(passes(&rl, SA(a), 10, 7 * SEC), 4);
	/* 3 per second: one token is 333333333.3 ns away, no sooner. */
	assert_int_equal(sp_rl_take(&rl, SA(a), 7 * SEC + 333333333, NULL), SP_RL_LIMITED);
	assert_int_equal(sp_rl_take(&rl, SA(a), 7 * SEC + 333333334, NULL), SP_RL_PASS);
	/* Over 60 s at one try per ms, 3 per second pass (plus nothing more). */
	unsigned ok = 0;
	for (uint64_t ms = 1; ms <= 60000; ms++)
		ok += sp_rl_take(&rl, SA(a), 7 * SEC + 333333334 + ms * 1000000, NULL) == SP_RL_PASS;
	assert_in_range(ok, 179, 181);
	/* The clock stepping back gives nothing and takes nothing. */
	struct sockaddr_in b = v4("192.0.2.2");
	assert_int_equal(passes(&rl, SA(b), 4, 100 * SEC), 4);
	assert_int_equal(passes(&rl, SA(b), 4, 50 * SEC), 0);
	assert_int_equal(passes(&rl, SA(b), 1, 100 * SEC + SEC / 3 + 1), 1);
	sp_rl_deinit(&rl);
	sp_rl_deinit(&rl);	/* twice is harmless */
}

static void test_prefix_lengths(void **state)
{
	struct sp_rl rl;
	/* /20 and /60: the mask cuts inside a byte. */
	const struct sp_rl_conf c = { .rate = 1, .burst = 2, .v4_bits = 20, .v6_bits = 60 };
	assert_int_equal(sp_rl_init(&rl, 256, &c), 0);
	struct sockaddr_in a = v4("10.1.16.1"), same = v4("10.1.31.255"), other = v4("10.1.32.1");
	assert_int_equal(passes(&rl, SA(a), 1, SEC), 1);
	assert_int_equal(passes(&rl, SA(same), 5, SEC), 1);
	assert_int_equal(passes(&rl, SA(other), 5, SEC), 2);
	struct sockaddr_in6 x = v6("2001:db8:0:10::1"), xs = v6("2001:db8:0:1f:ffff::1"),
			    y = v6("2001:db8:0:20::1");
	assert_int_equal(passes(&rl, SA(x), 1, SEC), 1);
	assert_int_equal(passes(&rl, SA(xs), 5, SEC), 1);
	assert_int_equal(passes(&rl, SA(y), 5, SEC), 2);
	/* The same bytes in the other family are another source. */
	struct sockaddr_in6 m = v6("a01:1000::");
	assert_int_equal(passes(&rl, SA(m), 5, SEC), 2);
	/* Not IP: said so, no entry. */
	struct sockaddr u = { .sa_family = AF_UNIX };
	struct sp_rl_entry *e = (struct sp_rl_entry *)1;
	assert_int_equal(sp_rl_take(&rl, &u, SEC, &e), SP_RL_NOT_IP);
	assert_null(e);
	assert_int_equal(rl.used, 5);	/* a, other, x, y, m: the others shared */
	sp_rl_deinit(&rl);
}

static void test_full_ipv6_addresses(void **state)
{
	struct sp_rl rl;
	/* Past /64 the second half of the address is keyed (and hashed) too. */
	const struct sp_rl_conf c = { .rate = 1, .burst = 1, .v4_bits = 32, .v6_bits = 128 };
	assert_int_equal(sp_rl_init(&rl, 64, &c), 0);
	struct sockaddr_in6 a = v6("2001:db8::1"), b = v6("2001:db8::2"), a2 = v6("2001:db8::1");
	assert_int_equal(passes(&rl, SA(a), 3, SEC), 1);
	assert_int_equal(passes(&rl, SA(b), 3, SEC), 1);
	assert_int_equal(passes(&rl, SA(a2), 3, SEC), 0);
	assert_int_equal(rl.used, 2);
	sp_rl_deinit(&rl);
}

static void test_limited_counter(void **state)
{
	struct sp_rl rl;
	const struct sp_rl_conf c = { .rate = 10, .burst = 1, .v4_bits = 24, .v6_bits = 56 };
	struct sockaddr_in a = v4("198.51.100.1");
	struct sp_rl_entry *e = NULL;
	assert_int_equal(sp_rl_init(&rl, 64, &c), 0);
	assert_int_equal(sp_rl_take(&rl, SA(a), SEC, &e), SP_RL_PASS);
	assert_non_null(e);
	assert_int_equal(e->limited, 0);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(sp_rl_take(&rl, SA(a), SEC, &e), SP_RL_LIMITED);
		assert_int_equal(e->limited, i);
	}
	/* Full again (100 ms at 10/s refills the burst of 1): the count starts over. */
	assert_int_equal(sp_rl_take(&rl, SA(a), SEC + SEC / 10, &e), SP_RL_PASS);
	assert_int_equal(e->limited, 0);
	sp_rl_deinit(&rl);
}

/* n IPv4 /32 sources, all new, at one instant; returns how many passed. */
static unsigned flood(struct sp_rl *rl, uint32_t base, uint32_t n, uint64_t now)
{
	unsigned ok = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(base + i) };
		ok += sp_rl_take(rl, SA(s), now, NULL) == SP_RL_PASS;
	}
	return ok;
}

static void test_refuse_when_full(void **state)
{
	struct sp_rl rl;
	const struct sp_rl_conf c = { .rate = 20, .burst = 5, .v4_bits = 32, .v6_bits = 64,
				      .refuse_when_full = true };
	assert_int_equal(sp_rl_init(&rl, 1024, &c), 0);
	assert_int_equal(rl.n, 1024);
	struct sockaddr_in busy = v4("203.0.113.9");
	assert_int_equal(passes(&rl, SA(busy), 2, SEC), 2);
	unsigned ok = flood(&rl, 0x0a000000u, 100000, SEC);
	assert_true(ok <= 1023);
	assert_true(ok >= 1024 / 2);	/* the sets fill before they refuse */
	assert_true(rl.n_refused >= 100000 - 1023);
	assert_true(rl.used <= rl.n);
	/* The busy source kept its entry and its credit. */
	assert_int_equal(passes(&rl, SA(busy), 10, SEC), 3);
	/* A full refill later (250 ms) every entry is forgettable: newcomers get in. */
	struct sockaddr_in late = v4("198.51.100.7");
	assert_int_equal(passes(&rl, SA(late), 10, SEC + SEC / 4 + 1), 5);
	sp_rl_deinit(&rl);
}

static void test_evict_when_full(void **state)
{
	struct sp_rl rl;
	const struct sp_rl_conf c = { .rate = 1, .burst = 1, .v4_bits = 32, .v6_bits = 64 };
	assert_int_equal(sp_rl_init(&rl, 10, &c), 0);
	assert_int_equal(rl.n, 64);	/* at least 64 */
	/* Newcomers are always tracked (each gets its first token): the oldest go. */
	assert_int_equal(flood(&rl, 0x0a000000u, 100000, SEC), 100000);
	assert_true(rl.n_evicted >= 100000 - 64);
	assert_int_equal(rl.n, 64);
	assert_true(rl.used <= 64);
	/* In the churn, a source that keeps asking is still limited. */
	struct sockaddr_in a = v4("192.0.2.77");
	assert_int_equal(passes(&rl, SA(a), 100, 2 * SEC), 1);
	sp_rl_deinit(&rl);
}

static void test_rate_change_keeps_entries(void **state)
{
	struct sp_rl rl;
	const struct sp_rl_conf c = { .rate = 2, .burst = 2, .v4_bits = 24, .v6_bits = 56 };
	struct sockaddr_in a = v4("192.0.2.1");
	assert_int_equal(sp_rl_init(&rl, 64, &c), 0);
	assert_int_equal(passes(&rl, SA(a), 5, SEC), 2);
	sp_rl_set_rate(&rl, 10, 10);
	/* Still empty at the same instant; 100 ms later one token at the new rate. */
	assert_int_equal(passes(&rl, SA(a), 5, SEC), 0);
	assert_int_equal(passes(&rl, SA(a), 5, SEC + SEC / 10), 1);
	/* Rate 0 and burst 0 mean 1. */
	sp_rl_set_rate(&rl, 0, 0);
	assert_int_equal(rl.c.rate, 1);
	assert_int_equal(rl.c.burst, 1);
	sp_rl_deinit(&rl);
}

static void test_single_bucket(void **state)
{
	struct sp_rl_bucket b;
	const struct sp_rl_conf c = { .rate = 1000000, .burst = 1000000 };
	sp_rl_bucket_init(&b, &c, 5 * SEC);
	unsigned ok = 0;
	for (unsigned i = 0; i < 1500000; i++)
		ok += sp_rl_bucket_take(&b, &c, 5 * SEC);
	assert_int_equal(ok, 1000000);
	/* 1 µs brings one token at a million per second. */
	assert_false(sp_rl_bucket_take(&b, &c, 5 * SEC + 999));
	assert_true(sp_rl_bucket_take(&b, &c, 5 * SEC + 1000));
	assert_false(sp_rl_bucket_take(&b, &c, 5 * SEC + 1000));
	/* Never more than the burst, however long the pause. */
	ok = 0;
	for (unsigned i = 0; i < 1500000; i++)
		ok += sp_rl_bucket_take(&b, &c, 3600 * SEC);
	assert_int_equal(ok, 1000000);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_exact_refill),
		cmocka_unit_test(test_prefix_lengths),
		cmocka_unit_test(test_full_ipv6_addresses),
		cmocka_unit_test(test_limited_counter),
		cmocka_unit_test(test_refuse_when_full),
		cmocka_unit_test(test_evict_when_full),
		cmocka_unit_test(test_rate_change_keeps_entries),
		cmocka_unit_test(test_single_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

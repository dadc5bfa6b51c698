/*
 * test_ratelimiter.c - per-source handshake rate limit: the burst, the
 * refill rate, independent sources, IPv6 grouped by /64, idle entries
 * reused, a bounded table that refuses new sources when full, and no
 * allocation per source.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "tunnel/ratelimiter.h"

#define SEC 1000000000ull
#define COST (SEC / TUN_RL_PER_SECOND)

static struct sockaddr_in v4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 v6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

static unsigned allowed(struct tun_ratelimiter *rl, const void *sa, unsigned n, uint64_t now)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += tun_ratelimiter_allow(rl, sa, now);
	return ok;
}

static void test_burst_then_rate(void **state)
{
	struct tun_ratelimiter rl;
	assert_int_equal(tun_ratelimiter_init(&rl), 0);
	struct sockaddr_in a = v4("192.0.2.1", 51820);
	uint64_t t = 5 * SEC;
	/* a burst of 5 at one instant, then nothing */
	assert_int_equal(allowed(&rl, &a, 100, t), TUN_RL_BURST);
	/* one more after one packet's worth of time, not before */
	assert_false(tun_ratelimiter_allow(&rl, (struct sockaddr *)&a, t + COST - 1));
	assert_true(tun_ratelimiter_allow(&rl, (struct sockaddr *)&a, t + 2 * COST));
	/* a flood over 10 s, one message per ms: about 20 per second get through */
	unsigned ok = 0;
	uint64_t start = t + 3 * SEC;
	for (uint64_t ms = 0; ms < 10000; ms++)
		ok += tun_ratelimiter_allow(&rl, (struct sockaddr *)&a, start + ms * 1000000ull);
	assert_in_range(ok, 10 * TUN_RL_PER_SECOND, 10 * TUN_RL_PER_SECOND + TUN_RL_BURST + 1);
	/* the source port does not matter */
	struct sockaddr_in c1 = v4("192.0.2.9", 1), c2 = v4("192.0.2.9", 2);
	assert_int_equal(allowed(&rl, &c1, 10, t), TUN_RL_BURST);
	assert_false(tun_ratelimiter_allow(&rl, (struct sockaddr *)&c2, t));
	tun_ratelimiter_deinit(&rl);
	tun_ratelimiter_deinit(&rl);	/* twice is safe */
}

static void test_sources_independent(void **state)
{
	struct tun_ratelimiter rl;
	assert_int_equal(tun_ratelimiter_init(&rl), 0);
	struct sockaddr_in a = v4("192.0.2.1", 1), b = v4("192.0.2.2", 1);
	uint64_t t = SEC;
	assert_int_equal(allowed(&rl, &a, 50, t), TUN_RL_BURST);
	/* a flooding source does not starve another one */
	assert_int_equal(allowed(&rl, &b, 1, t), 1);
	/* IPv6: one /64 is one source, another /64 is another */
	struct sockaddr_in6 x1 = v6("2001:db8:1:2::1", 1), x2 = v6("2001:db8:1:2:ffff::9", 2),
			    y = v6("2001:db8:1:3::1", 1);
	assert_int_equal(allowed(&rl, &x1, 3, t), 3);
	assert_int_equal(allowed(&rl, &x2, 10, t), TUN_RL_BURST - 3);
	assert_int_equal(allowed(&rl, &y, 10, t), TUN_RL_BURST);
	/* an IPv4 address and an IPv6 prefix with the same first bytes differ */
	struct sockaddr_in6 m = v6("c000:201::", 1);
	assert_int_equal(allowed(&rl, &m, 10, t), TUN_RL_BURST);
	/* not IP: refused */
	struct sockaddr u = { .sa_family = AF_UNIX };
	assert_false(tun_ratelimiter_allow(&rl, &u, t));
	tun_ratelimiter_deinit(&rl);
}

static void test_table_bounded(void **state)
{
	struct tun_ratelimiter rl;
	assert_int_equal(tun_ratelimiter_init(&rl), 0);
	uint64_t t = 10 * SEC;
	/* far more sources than slots at one instant: the table never grows */
	unsigned ok = 0;
	for (uint32_t i = 0; i < 4 * TUN_RL_SLOTS; i++) {
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u + i) };
		ok += tun_ratelimiter_allow(&rl, (struct sockaddr *)&s, t);
	}
	assert_true(rl.t.used <= TUN_RL_SLOTS);
	assert_true(ok <= TUN_RL_SLOTS);
	assert_true(ok >= TUN_RL_SLOTS / 2);	/* the table fills well before refusing */
	/* a source tracked at t still has its bucket (not evicted by the flood of new ones) */
	struct sockaddr_in first = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u) };
	assert_int_equal(allowed(&rl, &first, 10, t), TUN_RL_BURST - 1);
	/* a second later every entry is idle: new sources get slots again */
	struct sockaddr_in late = v4("198.51.100.7", 1);
	assert_int_equal(allowed(&rl, &late, 10, t + SEC), TUN_RL_BURST);
	assert_true(rl.t.used <= TUN_RL_SLOTS);
	tun_ratelimiter_deinit(&rl);
}

static void test_time_zero_and_backwards(void **state)
{
	struct tun_ratelimiter rl;
	assert_int_equal(tun_ratelimiter_init(&rl), 0);
	struct sockaddr_in a = v4("203.0.113.5", 1);
	assert_int_equal(allowed(&rl, &a, 10, 0), TUN_RL_BURST);
	/* a clock that goes back gives no credit */
	assert_int_equal(allowed(&rl, &a, 10, 0), 0);
	tun_ratelimiter_deinit(&rl);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_sources_independent),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_time_zero_and_backwards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

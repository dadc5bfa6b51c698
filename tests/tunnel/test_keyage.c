/*
 * test_keyage.c - the WireGuard key-age rules exist once: the timers' checks
 * that the send and receive paths call (tun__kp_*, timers.c, with the
 * tunnel.* intervals) answer as the pure, tested rules of transport.c.  The
 * cases where the two copies used to disagree are here: a send counter of
 * exactly REKEY_AFTER_MESSAGES (timers.c said no, transport.c yes), and an
 * invalid keypair (timers.c asked for a rekey, transport.c did not); plus
 * shortened intervals, which both now honour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tunnel/device.h"

#define SEC TUN_NSEC_PER_SEC

static struct tun_noise_keypair kp_at(uint64_t birth, bool initiator, uint64_t sent)
{
	struct tun_noise_keypair kp;
	memset(&kp, 0, sizeof(kp));
	kp.valid = true;
	kp.birthdate = birth;
	kp.is_initiator = initiator;
	kp.send_counter = sent;
	return kp;
}

/* Both copies agree on kp at now, with the ages the intervals give. */
static void agree(const struct tun_noise_keypair *kp, uint64_t now,
		  const struct tun_noise_ages *ages)
{
	assert_int_equal(tun__kp_should_rekey_send(kp, now),
			 tun_noise_keypair_should_rekey_send(kp, now, ages));
	assert_int_equal(tun__kp_should_rekey_recv(kp, now),
			 tun_noise_keypair_should_rekey_recv(kp, now, ages));
	assert_int_equal(tun__kp_usable(kp, now),
			 tun_noise_keypair_usable(kp, now, ages));
	assert_int_equal(tun__kp_usable(kp, now), !tun_noise_keypair_expired(kp, now, ages) &&
							   kp->send_counter < TUN_REJECT_AFTER_MESSAGES);
}

static void test_previous_disagreements(void **state)
{
	(void)state;
	const struct tun_noise_ages *pa = &tun_noise_protocol_ages;
	uint64_t t0 = 1000 * SEC;

	/* exactly REKEY_AFTER_MESSAGES sent: both ask for a rekey now */
	struct tun_noise_keypair kp = kp_at(t0, false, TUN_REKEY_AFTER_MESSAGES);
	assert_true(tun_noise_keypair_should_rekey_send(&kp, t0, pa));
	assert_true(tun__kp_should_rekey_send(&kp, t0));
	kp.send_counter = TUN_REKEY_AFTER_MESSAGES - 1;
	assert_false(tun__kp_should_rekey_send(&kp, t0));
	agree(&kp, t0, pa);

	/* an invalid (wiped) keypair: neither asks for a rekey, neither uses it */
	kp = kp_at(t0, true, 0);
	kp.valid = false;
	assert_false(tun_noise_keypair_should_rekey_send(&kp, t0, pa));
	assert_false(tun__kp_should_rekey_send(&kp, t0));
	assert_false(tun__kp_should_rekey_recv(&kp, t0 + 170 * SEC));
	assert_false(tun__kp_usable(&kp, t0));
	agree(&kp, t0 + 170 * SEC, pa);
	/* no keypair at all: the loop's NULL is "no" too */
	assert_false(tun__kp_should_rekey_send(NULL, t0));
	assert_false(tun__kp_usable(NULL, t0));
}

static void test_protocol_ages(void **state)
{
	(void)state;
	const struct tun_noise_ages *pa = &tun_noise_protocol_ages;
	uint64_t t0 = 1000 * SEC;
	/* sweep ages and counters over every limit, both roles */
	static const uint64_t ages_s[] = { 0, 119, 120, 121, 164, 165, 179, 180, 181, 600 };
	static const uint64_t sent[] = { 0, TUN_REKEY_AFTER_MESSAGES - 1, TUN_REKEY_AFTER_MESSAGES,
					 TUN_REKEY_AFTER_MESSAGES + 1, TUN_REJECT_AFTER_MESSAGES - 1,
					 TUN_REJECT_AFTER_MESSAGES };
	for (size_t i = 0; i < sizeof(ages_s) / sizeof(ages_s[0]); i++)
		for (size_t j = 0; j < sizeof(sent) / sizeof(sent[0]); j++)
			for (int ini = 0; ini < 2; ini++) {
				struct tun_noise_keypair kp = kp_at(t0, ini, sent[j]);
				agree(&kp, t0 + ages_s[i] * SEC, pa);
			}
	/* the protocol's numbers, through the timers' wrappers */
	struct tun_noise_keypair kp = kp_at(t0, true, 0);
	assert_false(tun__kp_should_rekey_send(&kp, t0 + 119 * SEC));
	assert_true(tun__kp_should_rekey_send(&kp, t0 + 120 * SEC));
	assert_false(tun__kp_should_rekey_recv(&kp, t0 + 164 * SEC));
	assert_true(tun__kp_should_rekey_recv(&kp, t0 + 165 * SEC));
	assert_true(tun__kp_usable(&kp, t0 + 179 * SEC));
	assert_false(tun__kp_usable(&kp, t0 + 180 * SEC));
	/* a clock before the birthdate is age 0, not a huge age */
	assert_true(tun__kp_usable(&kp, t0 - SEC));
}

static void test_shortened_intervals(void **state)
{
	(void)state;
	/* SIGNPOST_INTERVALS as the rekey test sets them */
	uint64_t saved[4] = { tun_iv_rekey_after.ms, tun_iv_reject_after.ms, tun_iv_keepalive.ms,
			      tun_iv_rekey_timeout.ms };
	tun_iv_rekey_after.ms = 3000;
	tun_iv_reject_after.ms = 5000;
	tun_iv_keepalive.ms = 2000;
	tun_iv_rekey_timeout.ms = 1000;
	struct tun_noise_ages a = { 3 * SEC, 5 * SEC, 2 * SEC, 1 * SEC };
	uint64_t t0 = 1000 * SEC;
	struct tun_noise_keypair kp = kp_at(t0, true, 0);
	for (uint64_t ms = 0; ms <= 7000; ms += 250)
		agree(&kp, t0 + ms * TUN_MSEC, &a);
	assert_true(tun__kp_should_rekey_send(&kp, t0 + 3 * SEC));
	assert_true(tun__kp_should_rekey_recv(&kp, t0 + 2 * SEC));	/* 5 - 2 - 1 */
	assert_false(tun__kp_usable(&kp, t0 + 5 * SEC));
	/* no margin left (keepalive + rekey-timeout >= reject-after): half the life */
	tun_iv_keepalive.ms = 4000;
	a.keepalive_timeout = 4 * SEC;
	assert_false(tun__kp_should_rekey_recv(&kp, t0 + 2 * SEC));
	assert_true(tun__kp_should_rekey_recv(&kp, t0 + 2500 * TUN_MSEC));
	for (uint64_t ms = 0; ms <= 7000; ms += 250)
		agree(&kp, t0 + ms * TUN_MSEC, &a);
	/* an interval above the protocol's constant is capped at it */
	tun_iv_rekey_after.ms = 1000000;
	assert_true(tun__kp_should_rekey_send(&kp, t0 + TUN_REKEY_AFTER_TIME));
	tun_iv_rekey_after.ms = saved[0];
	tun_iv_reject_after.ms = saved[1];
	tun_iv_keepalive.ms = saved[2];
	tun_iv_rekey_timeout.ms = saved[3];
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_previous_disagreements),
		cmocka_unit_test(test_protocol_ages),
		cmocka_unit_test(test_shortened_intervals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

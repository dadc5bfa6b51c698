/*
 * test_cookie.c - mac1, mac2 and the cookie reply round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "tunnel/cookie.h"
#include "tunnel/hash.h"
#include "tunnel/noise.h"

#define SEC TUN_NSEC_PER_SEC

struct fixture {
	struct tun_noise_static ini, resp;
	uint8_t ini_sk[32], resp_sk[32];	/* the test holds the raw keys */
	struct tun_noise_handshake hs;		/* initiator -> responder */
	struct tun_cookie_maker maker;		/* initiator's maker for the responder */
	struct tun_cookie_checker checker;	/* responder's checker */
	struct tun_msg_initiation init;
	uint64_t now;
};

static const uint8_t src[] = { 192, 0, 2, 1, 0x30, 0x39 };
static const uint8_t other_src[] = { 192, 0, 2, 2, 0x30, 0x39 };

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	uint8_t k[32], ts[12] = { 0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 1 };
	memset(k, 0x31, 32);
	memcpy(f->ini_sk, k, 32);
	assert_int_equal(tun_noise_static_init_raw(&f->ini, f->ini_sk), 0);
	memset(k, 0x32, 32);
	memcpy(f->resp_sk, k, 32);
	assert_int_equal(tun_noise_static_init_raw(&f->resp, f->resp_sk), 0);
	assert_int_equal(tun_noise_handshake_init(&f->hs, &f->ini, f->resp.public_key, NULL), 0);
	assert_int_equal(tun_cookie_maker_init(&f->maker, f->resp.public_key), 0);
	assert_int_equal(tun_cookie_checker_init(&f->checker, f->resp.public_key), 0);
	assert_int_equal(tun_noise_create_initiation(&f->hs, &f->init, 0x01020304, ts), 0);
	f->now = 5000 * SEC;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tun_cookie_checker_deinit(&f->checker);
	tun_cookie_maker_deinit(&f->maker);
	tun_noise_handshake_deinit(&f->hs);
	test_free(f);
	return 0;
}

static void test_mac1(void **state)
{
	struct fixture *f = *state;
	uint8_t *m = (uint8_t *)&f->init;
	uint8_t want[16], key[32];

	assert_int_equal(tun_cookie_add_macs(&f->maker, m, sizeof(f->init), f->now), 0);
	/* mac1 = MAC(HASH("mac1----" || S_pub_r), msg[0:116]) */
	assert_int_equal(tun__hash(key, "mac1----", 8, f->resp.public_key, 32), 0);
	assert_int_equal(tun__mac(want, key, 32, m, 116), 0);
	assert_memory_equal(f->init.macs.mac1, want, 16);
	static const uint8_t zero[16];
	assert_memory_equal(f->init.macs.mac2, zero, 16);

	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), src, sizeof(src),
					     false, f->now), TUN_MAC_VALID_NO_COOKIE);
	/* under load, without a cookie: still only mac1 */
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), src, sizeof(src),
					     true, f->now), TUN_MAC_VALID_NO_COOKIE);
	/* a checker for another key, a wrong length, a bad mac1 */
	struct tun_cookie_checker other;
	assert_int_equal(tun_cookie_checker_init(&other, f->ini.public_key), 0);
	assert_int_equal(tun_cookie_validate(&other, m, sizeof(f->init), src, sizeof(src), false,
					     f->now), TUN_MAC_INVALID);
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init) - 1, src, sizeof(src),
					     false, f->now), TUN_MAC_INVALID);
	f->init.macs.mac1[3] ^= 1;
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), src, sizeof(src),
					     false, f->now), TUN_MAC_INVALID);
	assert_int_equal(tun_cookie_add_macs(&f->maker, m, 100, f->now), SP_EMALFORMED);
}

static void test_cookie_round_trip(void **state)
{
	struct fixture *f = *state;
	uint8_t *m = (uint8_t *)&f->init;
	struct tun_msg_cookie reply;

	/* A reply before we sent anything is refused. */
	assert_int_equal(tun_cookie_add_macs(&f->maker, m, sizeof(f->init), f->now), 0);
	assert_int_equal(tun_cookie_create_reply(&f->checker, &reply, m, sizeof(f->init), src,
						 sizeof(src), f->now), 0);
	assert_int_equal(sizeof(reply), 64);
	assert_int_equal(tun_msg_classify((uint8_t *)&reply, sizeof(reply)), TUN_MSG_COOKIE);
	assert_int_equal(tun_msg_receiver_index((uint8_t *)&reply, TUN_MSG_COOKIE), 0x01020304);

	/* tampered reply: auth fails and does not consume the chance */
	struct tun_msg_cookie bad = reply;
	bad.encrypted_cookie[0] ^= 1;
	assert_int_equal(tun_cookie_consume_reply(&f->maker, (uint8_t *)&bad, sizeof(bad), f->now),
			 SP_EAUTH);
	bad = reply;
	bad.nonce[23] ^= 1;
	assert_int_equal(tun_cookie_consume_reply(&f->maker, (uint8_t *)&bad, sizeof(bad), f->now),
			 SP_EAUTH);
	assert_int_equal(tun_cookie_consume_reply(&f->maker, (uint8_t *)&reply, 63, f->now),
			 SP_EMALFORMED);
	assert_int_equal(tun_cookie_consume_reply(&f->maker, (uint8_t *)&reply, sizeof(reply),
						  f->now), 0);
	/* the same reply twice: refused */
	assert_int_equal(tun_cookie_consume_reply(&f->maker, (uint8_t *)&reply, sizeof(reply),
						  f->now), SP_ESTATE);

	/* The next message carries a mac2 the checker accepts from that source only. */
	f->now += SEC;
	assert_int_equal(tun_cookie_add_macs(&f->maker, m, sizeof(f->init), f->now), 0);
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), src, sizeof(src),
					     true, f->now), TUN_MAC_VALID_WITH_COOKIE);
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), other_src,
					     sizeof(other_src), true, f->now),
			 TUN_MAC_VALID_NO_COOKIE);
	/* a flipped mac2 */
	f->init.macs.mac2[0] ^= 1;
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), src, sizeof(src),
					     true, f->now), TUN_MAC_VALID_NO_COOKIE);

	/* The maker stops using the cookie after 2 min - 5 s. */
	uint64_t later = f->now + TUN_COOKIE_SECRET_MAX_AGE - TUN_COOKIE_SECRET_LATENCY;
	assert_int_equal(tun_cookie_add_macs(&f->maker, m, sizeof(f->init), later), 0);
	static const uint8_t zero[16];
	assert_memory_equal(f->init.macs.mac2, zero, 16);

	/* The checker's secret rotates: an old cookie then fails. */
	assert_int_equal(tun_cookie_add_macs(&f->maker, m, sizeof(f->init), f->now), 0);
	assert_int_not_equal(memcmp(f->init.macs.mac2, zero, 16), 0);
	uint64_t rotated = f->now + TUN_COOKIE_SECRET_MAX_AGE;
	assert_int_equal(tun_cookie_validate(&f->checker, m, sizeof(f->init), src, sizeof(src),
					     true, rotated), TUN_MAC_VALID_NO_COOKIE);
}

static void test_response_reply(void **state)
{
	struct fixture *f = *state;
	struct tun_msg_cookie reply;
	uint8_t junk[92];

	/* only handshake messages get replies */
	memset(junk, 0, sizeof(junk));
	junk[0] = 4;
	assert_int_equal(tun_cookie_create_reply(&f->checker, &reply, junk, sizeof(junk), src,
						 sizeof(src), f->now), SP_EMALFORMED);
	junk[0] = 2;
	assert_int_equal(tun_cookie_create_reply(&f->checker, &reply, junk, sizeof(junk), src, 33,
						 f->now), SP_EMALFORMED);
	assert_int_equal(tun_cookie_create_reply(&f->checker, &reply, junk, sizeof(junk), src,
						 sizeof(src), f->now), 0);
	/* the maker never sent this mac1 (all zeros): no cookie */
	assert_int_equal(tun_cookie_consume_reply(&f->maker, (uint8_t *)&reply, sizeof(reply),
						  f->now), SP_ESTATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mac1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_reply, setup, teardown),
	};
	if (tun_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

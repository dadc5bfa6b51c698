/*
 * test_noise.c - the WireGuard handshake and transport between two
 * in-memory peers, checked against the protocol's known values.
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
#include "tunnel/messages.h"
#include "tunnel/noise.h"

#define SEC TUN_NSEC_PER_SEC

/* Two peers, each with its identity, its handshake with the other and mac makers. */
struct peer {
	struct tun_noise_static st;
	uint8_t sk[TUN_KEY_LEN];	/* the test holds the raw key; st asks it through a callback */
	struct tun_noise_handshake hs;
	struct tun_cookie_checker checker;
	struct tun_cookie_maker maker;
	struct tun_noise_keypair kp;
	uint32_t next_index;
};

struct pair {
	struct peer a, b;
	uint64_t now;
	uint8_t ts[TUN_TIMESTAMP_LEN];
};

static void hex_to(uint8_t *out, const char *hex, size_t len)
{
	size_t n = 0;
	assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &n, NULL), 0);
	assert_int_equal(n, len);
}

static void peer_setup(struct peer *p, uint8_t seed, uint32_t first_index)
{
	memset(p->sk, seed, sizeof(p->sk));
	assert_int_equal(tun_noise_static_init_raw(&p->st, p->sk), 0);
	assert_int_equal(tun_cookie_checker_init(&p->checker, p->st.public_key), 0);
	p->next_index = first_index;
}

static void link_peers(struct peer *p, struct peer *other, const uint8_t *psk)
{
	assert_int_equal(tun_noise_handshake_init(&p->hs, &p->st, other->st.public_key, psk), 0);
	assert_int_equal(tun_cookie_maker_init(&p->maker, other->st.public_key), 0);
}

static struct pair *pair_new(const uint8_t *psk_a, const uint8_t *psk_b)
{
	struct pair *pr = test_calloc(1, sizeof(*pr));
	assert_non_null(pr);
	peer_setup(&pr->a, 0x11, 1000);
	peer_setup(&pr->b, 0x22, 2000);
	link_peers(&pr->a, &pr->b, psk_a);
	link_peers(&pr->b, &pr->a, psk_b);
	pr->now = 1000 * SEC;
	struct timespec wall = { .tv_sec = 1700000000, .tv_nsec = 0 };
	tun_tai64n(pr->ts, &wall);
	return pr;
}

static void pair_free(struct pair *pr)
{
	/* The keypairs own OpenSSL contexts: wipe frees them (a zeroed one is fine). */
	tun_noise_keypair_wipe(&pr->a.kp);
	tun_noise_keypair_wipe(&pr->b.kp);
	tun_noise_static_deinit(&pr->a.st);
	tun_noise_static_deinit(&pr->b.st);
	tun_noise_handshake_deinit(&pr->a.hs);
	tun_noise_handshake_deinit(&pr->b.hs);
	test_free(pr);
}

/* Advance the clock and the TAI64N timestamp by one second. */
static void tick(struct pair *pr)
{
	pr->now += SEC;
	uint64_t secs = 0;
	for (int i = 0; i < 8; i++)
		secs = secs << 8 | pr->ts[i];
	secs++;
	for (int i = 7; i >= 0; i--, secs >>= 8)
		pr->ts[i] = (uint8_t)secs;
}

static struct tun_noise_handshake *lookup_one(void *arg, const uint8_t key[TUN_KEY_LEN])
{
	struct peer *p = arg;
	return memcmp(p->hs.remote_static, key, TUN_KEY_LEN) == 0 ? &p->hs : NULL;
}

static struct tun_noise_handshake *lookup_none(void *arg, const uint8_t key[TUN_KEY_LEN])
{
	return NULL;
}

/* i initiates to r: full handshake, both keypairs set. */
static void handshake(struct pair *pr, struct peer *i, struct peer *r)
{
	struct tun_msg_initiation init;
	struct tun_msg_response resp;
	struct tun_noise_handshake *found = NULL;

	uint32_t ii = i->next_index++, ri = r->next_index++;
	assert_int_equal(tun_noise_create_initiation(&i->hs, &init, ii, pr->ts), 0);
	assert_int_equal(i->hs.state, TUN_HS_CREATED_INITIATION);
	assert_int_equal(tun_cookie_add_macs(&i->maker, (uint8_t *)&init, sizeof(init), pr->now), 0);
	assert_int_equal(tun_msg_classify((uint8_t *)&init, sizeof(init)), TUN_MSG_INITIATION);
	assert_int_equal(tun_cookie_validate(&r->checker, (uint8_t *)&init, sizeof(init), NULL, 0,
					     false, pr->now),
			 TUN_MAC_VALID_NO_COOKIE);
	assert_int_equal(tun_noise_consume_initiation(&r->st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, r, &found),
			 0);
	assert_ptr_equal(found, &r->hs);
	assert_int_equal(r->hs.state, TUN_HS_CONSUMED_INITIATION);
	assert_int_equal(r->hs.remote_index, ii);

	assert_int_equal(tun_noise_create_response(&r->hs, &resp, ri), 0);
	assert_int_equal(tun_cookie_add_macs(&r->maker, (uint8_t *)&resp, sizeof(resp), pr->now), 0);
	assert_int_equal(tun_msg_receiver_index((uint8_t *)&resp, TUN_MSG_RESPONSE), ii);
	tun_noise_keypair_wipe(&r->kp);	/* a session may be installed only into a wiped keypair */
	assert_int_equal(tun_noise_begin_session(&r->hs, &r->kp, pr->now), 0);
	assert_int_equal(r->hs.state, TUN_HS_ZEROED);

	assert_int_equal(tun_cookie_validate(&i->checker, (uint8_t *)&resp, sizeof(resp), NULL, 0,
					     false, pr->now),
			 TUN_MAC_VALID_NO_COOKIE);
	assert_int_equal(tun_noise_consume_response(&i->hs, (uint8_t *)&resp, sizeof(resp)), 0);
	tun_noise_keypair_wipe(&i->kp);
	assert_int_equal(tun_noise_begin_session(&i->hs, &i->kp, pr->now), 0);

	assert_true(i->kp.is_initiator);
	assert_false(r->kp.is_initiator);
	assert_int_equal(i->kp.local_index, ii);
	assert_int_equal(i->kp.remote_index, ri);
	assert_int_equal(r->kp.local_index, ri);
	assert_int_equal(r->kp.remote_index, ii);
	assert_memory_equal(i->kp.send_key, r->kp.recv_key, TUN_KEY_LEN);
	assert_memory_equal(i->kp.recv_key, r->kp.send_key, TUN_KEY_LEN);
	assert_memory_not_equal(i->kp.send_key, i->kp.recv_key, TUN_KEY_LEN);
}

/* Send one packet of len bytes from s to d and check it arrives intact. */
static void transfer(struct pair *pr, struct peer *s, struct peer *d, size_t len)
{
	uint8_t buf[2048], plain[1500];
	size_t out = 0, got = 0;
	uint64_t ctr = 0, expect = s->kp.send_counter;

	assert_true(len <= sizeof(plain));
	randombytes_buf(plain, len);
	memcpy(buf + TUN_MSG_DATA_HEADER_LEN, plain, len);
	assert_int_equal(tun_noise_encrypt(&s->kp, buf, sizeof(buf), len, 0, pr->now, &out), 0);
	assert_int_equal(out, TUN_MSG_DATA_OVERHEAD + ((len + 15) / 16) * 16);
	assert_int_equal(tun_msg_classify(buf, out), TUN_MSG_DATA);
	assert_int_equal(tun_msg_receiver_index(buf, TUN_MSG_DATA), d->kp.local_index);
	assert_int_equal(tun_noise_decrypt(&d->kp, buf, out, pr->now, &got, &ctr), 0);
	assert_int_equal(ctr, expect);
	assert_int_equal(got, out - TUN_MSG_DATA_OVERHEAD);
	assert_memory_equal(buf + TUN_MSG_DATA_HEADER_LEN, plain, len);
	for (size_t k = len; k < got; k++)
		assert_int_equal(buf[TUN_MSG_DATA_HEADER_LEN + k], 0);
}

static void test_known_values(void **state)
{
	uint8_t ck[32], h[32], want[32], abc[32];

	/* BLAKE2s-256("abc"), RFC 7693 Appendix B. */
	hex_to(want, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", 32);
	assert_int_equal(tun__hash(abc, "abc", 3, NULL, 0), 0);
	assert_memory_equal(abc, want, 32);

	/*
	 * Keyed BLAKE2s with a 16-byte digest (not a truncated 32-byte one) and
	 * HMAC-BLAKE2s, key 00..1f, message "abc"; values from Python's hashlib
	 * (an independent implementation).
	 */
	uint8_t key[32], mac[16], hm[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(tun__mac(mac, key, 32, "abc", 3), 0);
	hex_to(want, "61ba5f165c194692e09d12520cc4c74a", 16);
	assert_memory_equal(mac, want, 16);
	assert_int_equal(tun__hmac(hm, key, "abc", 3), 0);
	hex_to(want, "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f", 32);
	assert_memory_equal(hm, want, 32);

	/*
	 * Initial chaining key HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s") and
	 * hash HASH(ck || "WireGuard v1 zx2c4 Jason@zx2c4.com"), as hard-coded
	 * by wireguard-rs (src/handshake/noise.rs, INITIAL_CK and INITIAL_HS).
	 */
	assert_int_equal(tun__initial_ck_hash(ck, h), 0);
	hex_to(want, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", 32);
	assert_memory_equal(ck, want, 32);
	hex_to(want, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3", 32);
	assert_memory_equal(h, want, 32);
	assert_string_equal(TUN_NOISE_CONSTRUCTION, "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");
	assert_string_equal(TUN_NOISE_IDENTIFIER, "WireGuard v1 zx2c4 Jason@zx2c4.com");
	assert_string_equal(TUN_LABEL_MAC1, "mac1----");
	assert_string_equal(TUN_LABEL_COOKIE, "cookie--");

	/* Wire sizes and offsets (https://www.wireguard.com/protocol/). */
	assert_int_equal(sizeof(struct tun_msg_initiation), 148);
	assert_int_equal(sizeof(struct tun_msg_response), 92);
	assert_int_equal(sizeof(struct tun_msg_cookie), 64);
	assert_int_equal(sizeof(struct tun_msg_data), 16);
	assert_int_equal(offsetof(struct tun_msg_initiation, macs), 116);
	assert_int_equal(offsetof(struct tun_msg_response, macs), 60);
	assert_int_equal(offsetof(struct tun_msg_data, counter), 8);
	assert_int_equal(TUN_REJECT_AFTER_MESSAGES, UINT64_MAX - 8192 + 64 - 1);
	assert_true(TUN_REKEY_AFTER_TIME == 120 * SEC && TUN_REJECT_AFTER_TIME == 180 * SEC);
}

/* HMAC-BLAKE2s against RFC 2104 built by hand over the plain hash. */
static void test_hmac_kdf(void **state)
{
	uint8_t key[32], ipad[64], opad[64], inner[32], want[32], got[32];
	const char *msg = "hello wireguard";
	uint8_t buf[64 + 32];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	memset(ipad, 0x36, 64);
	memset(opad, 0x5c, 64);
	for (int i = 0; i < 32; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	assert_int_equal(tun__hash(inner, ipad, 64, msg, strlen(msg)), 0);
	memcpy(buf, opad, 64);
	memcpy(buf + 64, inner, 32);
	assert_int_equal(tun__hash(want, buf, 96, NULL, 0), 0);
	assert_int_equal(tun__hmac(got, key, msg, strlen(msg)), 0);
	assert_memory_equal(got, want, 32);

	/* KDF: t1 = HMAC(HMAC(ck, in), 0x1), t2 = HMAC(prk, t1 || 0x2). */
	uint8_t prk[32], t1[32], t2[32], t3[32], e[33];
	assert_int_equal(tun__hmac(prk, key, msg, strlen(msg)), 0);
	e[0] = 1;
	assert_int_equal(tun__hmac(want, prk, e, 1), 0);
	assert_int_equal(tun__kdf(t1, t2, t3, key, msg, strlen(msg)), 0);
	assert_memory_equal(t1, want, 32);
	memcpy(e, t1, 32);
	e[32] = 2;
	assert_int_equal(tun__hmac(want, prk, e, 33), 0);
	assert_memory_equal(t2, want, 32);
	memcpy(e, t2, 32);
	e[32] = 3;
	assert_int_equal(tun__hmac(want, prk, e, 33), 0);
	assert_memory_equal(t3, want, 32);
}

static void test_handshake_both_ways(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);

	handshake(pr, &pr->a, &pr->b);
	transfer(pr, &pr->a, &pr->b, 1);
	transfer(pr, &pr->b, &pr->a, 100);
	transfer(pr, &pr->a, &pr->b, 1420);
	transfer(pr, &pr->b, &pr->a, 0);
	transfer(pr, &pr->a, &pr->b, 16);

	tick(pr);
	handshake(pr, &pr->b, &pr->a);
	transfer(pr, &pr->a, &pr->b, 64);
	transfer(pr, &pr->b, &pr->a, 65);
	pair_free(pr);
}

static void test_preshared_key(void **state)
{
	uint8_t psk[32], other[32];
	memset(psk, 0x5a, 32);
	memset(other, 0xa5, 32);

	struct pair *pr = pair_new(psk, psk);
	handshake(pr, &pr->a, &pr->b);
	transfer(pr, &pr->a, &pr->b, 200);
	transfer(pr, &pr->b, &pr->a, 200);
	pair_free(pr);

	/* Mismatched psk: the initiator refuses the response. */
	pr = pair_new(psk, other);
	struct tun_msg_initiation init;
	struct tun_msg_response resp;
	struct tun_noise_handshake *found;
	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 1, pr->ts), 0);
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, &pr->b, &found), 0);
	assert_int_equal(tun_noise_create_response(&pr->b.hs, &resp, 2), 0);
	assert_int_equal(tun_noise_consume_response(&pr->a.hs, (uint8_t *)&resp, sizeof(resp)),
			 SP_EAUTH);
	assert_int_equal(pr->a.hs.state, TUN_HS_CREATED_INITIATION);
	pair_free(pr);
}

static void test_initiation_replay(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);
	struct tun_msg_initiation init, old;
	struct tun_noise_handshake *found;
	uint8_t ts_old[TUN_TIMESTAMP_LEN];

	memcpy(ts_old, pr->ts, sizeof(ts_old));
	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &old, 1, ts_old), 0);
	tick(pr);
	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 2, pr->ts), 0);
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, &pr->b, &found), 0);
	/* The same initiation again, long after: replay. */
	pr->now += 10 * SEC;
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, &pr->b, &found),
			 SP_EREPLAY);
	/* An older (but never seen) initiation: also refused. */
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&old, sizeof(old),
						      pr->now, lookup_one, &pr->b, &found),
			 SP_EREPLAY);
	assert_int_equal(pr->b.hs.remote_index, 2);

	/* A fresh one within 1/50 s of the last accepted: flood. */
	tick(pr);
	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 3, pr->ts), 0);
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, &pr->b, &found), 0);
	tick(pr);
	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 4, pr->ts), 0);
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now - SEC + 1000, lookup_one, &pr->b,
						      &found),
			 SP_ELIMIT);
	/* Unknown initiator. */
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_none, NULL, &found),
			 SP_ENOTFOUND);
	assert_null(found);
	/* Not lengthwise an initiation. */
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init) - 1,
						      pr->now, lookup_one, &pr->b, &found),
			 SP_EMALFORMED);
	pair_free(pr);
}

/* Every single byte flip of an initiation fails mac1 or the handshake. */
static void test_initiation_tamper(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);
	struct tun_msg_initiation init;
	uint8_t bad[sizeof(init)];
	struct tun_noise_handshake *found;

	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 7, pr->ts), 0);
	assert_int_equal(tun_cookie_add_macs(&pr->a.maker, (uint8_t *)&init, sizeof(init), pr->now), 0);
	for (size_t i = 0; i < sizeof(init); i++) {
		/* mac2 is not checked unless under load. */
		if (i >= offsetof(struct tun_msg_initiation, macs.mac2))
			break;
		memcpy(bad, &init, sizeof(init));
		bad[i] ^= 0x01;
		enum tun_cookie_mac_state ms = tun_cookie_validate(&pr->b.checker, bad, sizeof(bad),
								   NULL, 0, false, pr->now);
		assert_int_equal(ms, TUN_MAC_INVALID);
		/* And without mac1, the Noise layer itself refuses all but the indices and MACs. */
		int err = tun_noise_consume_initiation(&pr->b.st, bad, sizeof(bad), pr->now,
						       lookup_one, &pr->b, &found);
		if ((i >= 4 && i < 8) || i >= offsetof(struct tun_msg_initiation, macs)) {
			/* sender index and mac1: covered by mac1 only; forget the accepted one */
			assert_int_equal(err, 0);
			assert_int_equal(tun_noise_handshake_init(&pr->b.hs, &pr->b.st,
								  pr->a.st.public_key, NULL), 0);
			continue;
		}
		assert_int_not_equal(err, 0);
		assert_int_equal(pr->b.hs.state, TUN_HS_ZEROED);
	}
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, &pr->b, &found), 0);
	pair_free(pr);
}

/* Every single byte flip of a response fails, and leaves the initiator's state as it was. */
static void test_response_tamper(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);
	struct tun_msg_initiation init;
	struct tun_msg_response resp;
	uint8_t bad[sizeof(resp)];
	struct tun_noise_handshake *found;

	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 7, pr->ts), 0);
	assert_int_equal(tun_noise_consume_initiation(&pr->b.st, (uint8_t *)&init, sizeof(init),
						      pr->now, lookup_one, &pr->b, &found), 0);
	assert_int_equal(tun_noise_create_response(&pr->b.hs, &resp, 9), 0);
	assert_int_equal(tun_cookie_add_macs(&pr->b.maker, (uint8_t *)&resp, sizeof(resp), pr->now), 0);
	struct tun_noise_handshake saved = pr->a.hs;

	for (size_t i = 0; i < offsetof(struct tun_msg_response, macs.mac2); i++) {
		memcpy(bad, &resp, sizeof(resp));
		bad[i] ^= 0x80;
		int mac = tun_cookie_validate(&pr->a.checker, bad, sizeof(bad), NULL, 0, false,
					      pr->now);
		int err = tun_noise_consume_response(&pr->a.hs, bad, sizeof(bad));
		/* The sender index and the MACs are not under the AEAD; mac1 covers them. */
		assert_true(mac == TUN_MAC_INVALID);
		if ((i >= 4 && i < 8) || i >= offsetof(struct tun_msg_response, macs)) {
			if (err == 0)
				pr->a.hs = saved;
			continue;
		}
		assert_int_not_equal(err, 0);
		assert_memory_equal(&pr->a.hs, &saved, sizeof(saved));
	}
	assert_int_equal(tun_noise_consume_response(&pr->a.hs, (uint8_t *)&resp, sizeof(resp)), 0);
	/* A second copy is out of state. */
	assert_int_equal(tun_noise_consume_response(&pr->a.hs, (uint8_t *)&resp, sizeof(resp)),
			 SP_ESTATE);
	pair_free(pr);
}

static void test_state_checks(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);
	struct tun_msg_response resp;
	struct tun_noise_keypair kp;

	assert_int_equal(tun_noise_create_response(&pr->a.hs, &resp, 1), SP_ESTATE);
	assert_int_equal(tun_noise_begin_session(&pr->a.hs, &kp, pr->now), SP_ESTATE);

	/* A low-order peer key: no handshake possible. */
	struct tun_noise_handshake hs;
	uint8_t zero[32] = { 0 };
	struct tun_msg_initiation init;
	assert_int_equal(tun_noise_handshake_init(&hs, &pr->a.st, zero, NULL), 0);
	assert_int_equal(tun_noise_create_initiation(&hs, &init, 1, pr->ts), SP_ECRYPTO);
	tun_noise_handshake_deinit(&hs);

	/* An initiation with a low-order ephemeral key is refused. */
	assert_int_equal(tun_noise_create_initiation(&pr->a.hs, &init, 1, pr->ts), 0);
	memset(init.unencrypted_ephemeral, 0, 32);
	struct tun_noise_initiation_ctx ctx;
	assert_int_equal(tun_noise_consume_initiation_begin(&pr->b.st, (uint8_t *)&init,
							    sizeof(init), &ctx), SP_EAUTH);
	assert_false(ctx.ready);
	pair_free(pr);
}

static void test_transport_checks(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);
	uint8_t buf[256], copy[256];
	size_t out, got;

	handshake(pr, &pr->a, &pr->b);
	/* keepalive: 32 bytes */
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 0, 0, pr->now, &out), 0);
	assert_int_equal(out, 32);
	memcpy(copy, buf, out);
	assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, out, pr->now, &got, NULL), 0);
	assert_int_equal(got, 0);
	/* replayed data packet */
	assert_int_equal(tun_noise_decrypt(&pr->b.kp, copy, out, pr->now, &got, NULL), SP_EREPLAY);

	/* every flipped byte (after the type) fails: index -> state, counter/body -> auth/replay */
	memset(buf + 16, 0xab, 100);
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 100, 0, pr->now, &out), 0);
	assert_int_equal(out, 16 + 112 + 16);
	for (size_t i = 4; i < out; i++) {
		memcpy(copy, buf, out);
		copy[i] ^= 0x04;
		assert_int_not_equal(tun_noise_decrypt(&pr->b.kp, copy, out, pr->now, &got, NULL), 0);
	}
	memcpy(copy, buf, out);
	assert_int_equal(tun_noise_decrypt(&pr->b.kp, copy, out, pr->now, &got, NULL), 0);
	assert_int_equal(got, 112);

	/* too short, wrong type */
	assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, 31, pr->now, &got, NULL), SP_EMALFORMED);
	buf[0] = 3;
	assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, out, pr->now, &got, NULL), SP_EMALFORMED);

	/* padding capped by the MTU; buffer too small */
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 99, 100, pr->now, &out), 0);
	assert_int_equal(out, 16 + 100 + 16);
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, 16 + 96 + 16, 97, 0, pr->now, &out),
			 SP_ETRUNC);
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, 10, 0, 0, pr->now, &out), SP_ETRUNC);

	/* rekey hints and expiry, with the protocol's ages */
	const struct tun_noise_ages *ages = &tun_noise_protocol_ages;
	assert_false(tun_noise_keypair_should_rekey_send(&pr->a.kp, pr->now, ages));
	assert_true(tun_noise_keypair_should_rekey_send(&pr->a.kp, pr->now + TUN_REKEY_AFTER_TIME, ages));
	assert_false(tun_noise_keypair_should_rekey_send(&pr->b.kp, pr->now + TUN_REKEY_AFTER_TIME, ages));
	assert_true(tun_noise_keypair_should_rekey_recv(&pr->a.kp, pr->now + 165 * SEC, ages));
	assert_false(tun_noise_keypair_should_rekey_recv(&pr->a.kp, pr->now + 164 * SEC, ages));
	uint64_t late = pr->now + TUN_REJECT_AFTER_TIME;
	assert_true(tun_noise_keypair_expired(&pr->a.kp, late, ages));
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 10, 0, late, &out),
			 SP_EEXPIRED);
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 10, 0, pr->now, &out), 0);
	assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, out, late, &got, NULL), SP_EEXPIRED);
	pr->a.kp.send_counter = TUN_REJECT_AFTER_MESSAGES;
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 10, 0, pr->now, &out),
			 SP_EEXPIRED);
	pr->a.kp.send_counter = TUN_REKEY_AFTER_MESSAGES;
	assert_true(tun_noise_keypair_should_rekey_send(&pr->a.kp, pr->now, ages));

	tun_noise_keypair_wipe(&pr->b.kp);
	assert_int_equal(tun_noise_encrypt(&pr->b.kp, buf, sizeof(buf), 10, 0, pr->now, &out),
			 SP_ESTATE);
	pair_free(pr);
}

/* Out-of-order delivery within the window is accepted exactly once. */
static void test_transport_reorder(void **state)
{
	struct pair *pr = pair_new(NULL, NULL);
	uint8_t pkts[8][64];
	size_t lens[8], got;

	handshake(pr, &pr->a, &pr->b);
	for (int i = 0; i < 8; i++) {
		memset(pkts[i] + 16, i, 16);
		assert_int_equal(tun_noise_encrypt(&pr->a.kp, pkts[i], 64, 16, 0, pr->now, &lens[i]), 0);
	}
	static const int order[8] = { 3, 0, 7, 1, 2, 6, 5, 4 };
	for (int k = 0; k < 8; k++) {
		uint8_t copy[64];
		memcpy(copy, pkts[order[k]], lens[order[k]]);
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, copy, lens[order[k]], pr->now, &got,
						   NULL), 0);
		assert_int_equal(copy[16], order[k]);
	}
	for (int k = 0; k < 8; k++)
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, pkts[k], lens[k], pr->now, &got, NULL),
				 SP_EREPLAY);
	pair_free(pr);
}

/* The reference: libsodium's IETF ChaCha20-Poly1305 of p (len bytes) under key and counter. */
static void ref_seal(uint8_t *out, const uint8_t *p, size_t len, const uint8_t key[32],
		     uint64_t counter)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = { 0 };
	unsigned long long clen = 0;

	tun_put_le64(nonce + 4, counter);
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, p, len, NULL, 0,
								   NULL, nonce, key), 0);
	assert_int_equal(clen, len + TUN_AUTHTAG_LEN);
}

/*
 * The OpenSSL transport path is byte-identical to libsodium both ways, for
 * lengths 0 .. 1440 (odd lengths through the MTU cap on padding), with a
 * counter whose every byte differs; tampering fails and changes nothing.
 */
static void test_transport_matches_libsodium(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 63, 64, 255, 1000, 1419, 1420, 1421,
				       1423, 1424, 1440 };
	struct pair *pr = pair_new(NULL, NULL);
	uint8_t buf[2048], ref[2048], plain[1500], pkt[2048];
	size_t out = 0, got = 0;
	uint64_t ctr = 0;

	handshake(pr, &pr->a, &pr->b);
	assert_non_null(pr->a.kp.send_ctx);
	assert_non_null(pr->a.kp.recv_ctx);
	pr->a.kp.send_counter = UINT64_C(0x0102030405060708);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];
		uint64_t c = pr->a.kp.send_counter;

		/* Encrypt: our datagram's body equals libsodium's ciphertext || tag. */
		randombytes_buf(plain, len);
		memset(buf, 0x5a, sizeof(buf));
		memcpy(buf + TUN_MSG_DATA_HEADER_LEN, plain, len);
		assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), len, len, pr->now,
						   &out), 0);
		assert_int_equal(out, TUN_MSG_DATA_OVERHEAD + len);	/* mtu = len: no padding */
		assert_int_equal(tun_le64(buf + 8), c);
		ref_seal(ref, plain, len, pr->a.kp.send_key, c);
		assert_memory_equal(buf + TUN_MSG_DATA_HEADER_LEN, ref, len + TUN_AUTHTAG_LEN);
		/* ... and with the usual padding to 16 (mtu 0): libsodium of the padded text. */
		size_t padded = (len + 15) / 16 * 16;
		memcpy(buf + TUN_MSG_DATA_HEADER_LEN, plain, len);
		assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), len, 0, pr->now,
						   &out), 0);
		assert_int_equal(out, TUN_MSG_DATA_OVERHEAD + padded);
		memset(plain + len, 0, padded - len);
		ref_seal(ref, plain, padded, pr->a.kp.send_key, c + 1);
		assert_memory_equal(buf + TUN_MSG_DATA_HEADER_LEN, ref, padded + TUN_AUTHTAG_LEN);
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, out, pr->now, &got, &ctr), 0);
		assert_int_equal(ctr, c + 1);
		assert_int_equal(got, padded);
		assert_memory_equal(buf + TUN_MSG_DATA_HEADER_LEN, plain, padded);

		/* Decrypt: a datagram sealed by libsodium opens, once. */
		uint64_t rc = pr->a.kp.send_counter++;	/* next in a's sequence, skipped by a */
		tun_put_le32(pkt, TUN_MSG_DATA);
		tun_put_le32(pkt + 4, pr->b.kp.local_index);
		tun_put_le64(pkt + 8, rc);
		ref_seal(pkt + TUN_MSG_DATA_HEADER_LEN, plain, len, pr->b.kp.recv_key, rc);
		size_t plen = TUN_MSG_DATA_OVERHEAD + len;

		/* Tampering (body, tag, counter) fails with SP_EAUTH and moves nothing. */
		size_t spots[] = { TUN_MSG_DATA_HEADER_LEN, TUN_MSG_DATA_HEADER_LEN + len / 2,
				   plen - TUN_AUTHTAG_LEN, plen - 1, 8, 15 };
		for (size_t t = 0; t < sizeof(spots) / sizeof(spots[0]); t++) {
			memcpy(buf, pkt, plen);
			buf[spots[t]] ^= 0x80;
			got = 12345;
			assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, plen, pr->now, &got, &ctr),
					 SP_EAUTH);
			assert_int_equal(got, 0);
		}
		/* The libsodium key itself under another key or nonce: fails too. */
		memcpy(buf, pkt, plen);
		ref_seal(buf + TUN_MSG_DATA_HEADER_LEN, plain, len, pr->b.kp.send_key, rc);
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, plen, pr->now, &got, NULL),
				 SP_EAUTH);
		memcpy(buf, pkt, plen);
		ref_seal(buf + TUN_MSG_DATA_HEADER_LEN, plain, len, pr->b.kp.recv_key, rc + 1);
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, plen, pr->now, &got, NULL),
				 SP_EAUTH);
		/* The window did not move: the genuine packet opens now, then is a replay. */
		memcpy(buf, pkt, plen);
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, plen, pr->now, &got, &ctr), 0);
		assert_int_equal(got, len);
		assert_int_equal(ctr, rc);
		assert_memory_equal(buf + TUN_MSG_DATA_HEADER_LEN, plain, len);
		memcpy(buf, pkt, plen);
		assert_int_equal(tun_noise_decrypt(&pr->b.kp, buf, plen, pr->now, &got, NULL),
				 SP_EREPLAY);
	}

	/* Wipe frees the contexts, zeroes the keys, and may be repeated. */
	uint8_t zero[TUN_KEY_LEN] = { 0 };
	tun_noise_keypair_wipe(&pr->a.kp);
	assert_null(pr->a.kp.send_ctx);
	assert_null(pr->a.kp.recv_ctx);
	assert_memory_equal(pr->a.kp.send_key, zero, TUN_KEY_LEN);
	assert_memory_equal(pr->a.kp.recv_key, zero, TUN_KEY_LEN);
	tun_noise_keypair_wipe(&pr->a.kp);
	assert_int_equal(tun_noise_encrypt(&pr->a.kp, buf, sizeof(buf), 10, 0, pr->now, &out),
			 SP_ESTATE);
	memcpy(buf, pkt, TUN_MSG_DATA_OVERHEAD);
	tun_put_le32(buf + 4, pr->a.kp.local_index);
	assert_int_equal(tun_noise_decrypt(&pr->a.kp, buf, TUN_MSG_DATA_OVERHEAD, pr->now, &got,
					   NULL), SP_ESTATE);
	pair_free(pr);
}

static void test_tai64n(void **state)
{
	uint8_t t[12], u[12];
	struct timespec w = { .tv_sec = 0, .tv_nsec = 0 };
	tun_tai64n(t, &w);
	static const uint8_t epoch[12] = { 0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0 };
	assert_memory_equal(t, epoch, 12);
	/* Nanoseconds are rounded down to 2^24 ns: two times in one slot compare equal. */
	w.tv_sec = 1700000000;
	w.tv_nsec = 0x1000000 + 5;
	tun_tai64n(t, &w);
	w.tv_nsec = 0x1000000 + 0xfffff0;
	tun_tai64n(u, &w);
	assert_memory_equal(t, u, 12);
	assert_int_equal(t[8], 0x01);
	assert_int_equal(t[9], 0x00);
	w.tv_nsec = 0x2000000;
	tun_tai64n(u, &w);
	assert_true(memcmp(t, u, 12) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_hmac_kdf),
		cmocka_unit_test(test_handshake_both_ways),
		cmocka_unit_test(test_preshared_key),
		cmocka_unit_test(test_initiation_replay),
		cmocka_unit_test(test_initiation_tamper),
		cmocka_unit_test(test_response_tamper),
		cmocka_unit_test(test_state_checks),
		cmocka_unit_test(test_transport_checks),
		cmocka_unit_test(test_transport_reorder),
		cmocka_unit_test(test_transport_matches_libsodium),
		cmocka_unit_test(test_tai64n),
	};
	if (tun_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

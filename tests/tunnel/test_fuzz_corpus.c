/*
 * test_fuzz_corpus.c - builds the seed corpora of the tunnel fuzz targets
 * (valid messages of the fixed deterministic identities, and mutations of
 * them) and checks that the valid seeds are accepted by the same steps the
 * fuzz targets run.
 *
 * To (re)write the committed corpora after a protocol change:
 *   SP_TUNNEL_CORPUS_DIR=tests/fuzz/corpus BUILD/tunnel_test_fuzz_corpus
 * which writes tunnel_{initiation,response,cookie,data}/ under that directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../fuzz/fuzz_tunnel_common.h"

static int seeds_written;

/* Write one seed if SP_TUNNEL_CORPUS_DIR is set. */
static void seed(const char *corpus, const char *name, const void *data, size_t len)
{
	const char *dir = getenv("SP_TUNNEL_CORPUS_DIR");
	char path[512];

	if (dir == NULL || *dir == '\0')
		return;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, corpus);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, corpus, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len > 0)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	seeds_written++;
}

/* Region of a message for the flip mutations. */
struct region {
	const char *name;
	size_t off;
};

/*
 * Mutations of a valid message `msg`: truncations, one extra byte, other
 * type values, all-zero and all-0xff bodies, and one flipped byte in each
 * named region.
 */
static void mutations(const char *corpus, const uint8_t *msg, size_t len,
		      const struct region *regions, size_t nregions)
{
	uint8_t buf[2048];
	char name[64];

	assert_true(len + 1 <= sizeof(buf));
	seed(corpus, "empty", "", 0);
	seed(corpus, "one-byte", msg, 1);
	seed(corpus, "header-only", msg, 4);
	seed(corpus, "short-by-one", msg, len - 1);
	memcpy(buf, msg, len);
	buf[len] = 0;
	seed(corpus, "long-by-one", buf, len + 1);
	static const uint8_t types[] = { 0, 1, 2, 3, 4, 5, 0xff };
	for (size_t i = 0; i < sizeof(types); i++) {
		if (types[i] == msg[0])
			continue;
		memcpy(buf, msg, len);
		buf[0] = types[i];
		snprintf(name, sizeof(name), "type-%u", types[i]);
		seed(corpus, name, buf, len);
	}
	memcpy(buf, msg, len);
	buf[1] = 1;	/* type field must be 1 byte + 3 zero bytes */
	seed(corpus, "type-high-byte", buf, len);
	memset(buf, 0, len);
	memcpy(buf, msg, 4);
	seed(corpus, "zero-body", buf, len);
	memset(buf, 0xff, len);
	memcpy(buf, msg, 4);
	seed(corpus, "ff-body", buf, len);
	for (size_t r = 0; r < nregions; r++) {
		memcpy(buf, msg, len);
		buf[regions[r].off] ^= 0x01;
		snprintf(name, sizeof(name), "flip-%s", regions[r].name);
		seed(corpus, name, buf, len);
	}
}

static void test_initiation_seeds(void **state)
{
	struct fz_world w;
	struct tun_msg_initiation init;
	struct tun_noise_handshake *hs;

	fz_world_init(&w);
	fz_make_initiation(&w, &init);
	/* the fuzz target's path: mac1 valid, consumed */
	assert_int_equal(tun_cookie_validate(&w.resp_checker, (uint8_t *)&init, sizeof(init), fz_src,
					     sizeof(fz_src), false, w.now), TUN_MAC_VALID_NO_COOKIE);
	assert_int_equal(tun_noise_consume_initiation(&w.resp, (uint8_t *)&init, sizeof(init), w.now,
						      fz_lookup, &w, &hs), 0);
	seed("tunnel_initiation", "valid", &init, sizeof(init));

	static const struct region regions[] = {
		{ "sender", 4 }, { "ephemeral", 8 }, { "static", 40 }, { "static-tag", 87 },
		{ "timestamp", 88 }, { "timestamp-tag", 115 }, { "mac1", 116 }, { "mac2", 132 },
	};
	mutations("tunnel_initiation", (uint8_t *)&init, sizeof(init), regions,
		  sizeof(regions) / sizeof(regions[0]));

	/* a low-order ephemeral key */
	struct tun_msg_initiation bad = init;
	memset(bad.unencrypted_ephemeral, 0, TUN_KEY_LEN);
	seed("tunnel_initiation", "ephemeral-zero", &bad, sizeof(bad));

	/* with a valid mac2 (the initiator holds a cookie) */
	struct tun_msg_cookie reply;
	assert_int_equal(tun_cookie_create_reply(&w.resp_checker, &reply, (uint8_t *)&init,
						 sizeof(init), fz_src, sizeof(fz_src), w.now), 0);
	assert_int_equal(tun_cookie_consume_reply(&w.ini_maker, (uint8_t *)&reply, sizeof(reply),
						  w.now), 0);
	w.timestamp[11] = 0x10;
	assert_int_equal(tun_noise_create_initiation(&w.ini_hs, &init, 99, w.timestamp), 0);
	assert_int_equal(tun_cookie_add_macs(&w.ini_maker, (uint8_t *)&init, sizeof(init), w.now), 0);
	assert_int_equal(tun_cookie_validate(&w.resp_checker, (uint8_t *)&init, sizeof(init), fz_src,
					     sizeof(fz_src), true, w.now),
			 TUN_MAC_VALID_WITH_COOKIE);
	seed("tunnel_initiation", "valid-with-mac2", &init, sizeof(init));

	/* from an identity the responder does not know */
	struct tun_noise_static stranger;
	struct tun_noise_handshake shs;
	struct tun_cookie_maker smk;
	uint8_t k[32];
	memset(k, 0x53, sizeof(k));
	assert_int_equal(tun_noise_static_init_raw(&stranger, k), 0);
	assert_int_equal(tun_noise_handshake_init(&shs, &stranger, w.resp.public_key, NULL), 0);
	assert_int_equal(tun_cookie_maker_init(&smk, w.resp.public_key), 0);
	assert_int_equal(tun_noise_create_initiation(&shs, &init, 5, w.timestamp), 0);
	assert_int_equal(tun_cookie_add_macs(&smk, (uint8_t *)&init, sizeof(init), w.now), 0);
	assert_int_equal(tun_noise_consume_initiation(&w.resp, (uint8_t *)&init, sizeof(init),
						      w.now, fz_lookup, &w, &hs), SP_ENOTFOUND);
	seed("tunnel_initiation", "unknown-peer", &init, sizeof(init));
	/* to another responder (mac1 and the static key fail) */
	assert_int_equal(tun_noise_handshake_init(&shs, &stranger, w.ini.public_key, NULL), 0);
	assert_int_equal(tun_noise_create_initiation(&shs, &init, 6, w.timestamp), 0);
	seed("tunnel_initiation", "wrong-responder", &init, sizeof(init));
	tun_noise_handshake_deinit(&shs);
	tun_noise_static_deinit(&stranger);
}

static void test_response_seeds(void **state)
{
	struct fz_world w;
	struct tun_msg_initiation init;
	struct tun_msg_response resp;
	struct tun_noise_keypair ikp, rkp;

	fz_world_init(&w);
	assert_int_equal(fz_handshake(&w, &init, &resp, &ikp, &rkp), 0);
	/* The fuzz target's path in a fresh world: the same initiation, so it accepts resp. */
	fz_world_init(&w);
	fz_make_initiation(&w, &init);
	assert_int_equal(tun_cookie_validate(&w.ini_checker, (uint8_t *)&resp, sizeof(resp), fz_src,
					     sizeof(fz_src), false, w.now), TUN_MAC_VALID_NO_COOKIE);
	assert_int_equal(tun_noise_consume_response(&w.ini_hs, (uint8_t *)&resp, sizeof(resp)), 0);
	seed("tunnel_response", "valid", &resp, sizeof(resp));

	static const struct region regions[] = {
		{ "sender", 4 }, { "receiver", 8 }, { "ephemeral", 12 }, { "ephemeral-last", 43 },
		{ "empty-tag", 44 }, { "empty-tag-last", 59 }, { "mac1", 60 }, { "mac2", 76 },
	};
	mutations("tunnel_response", (uint8_t *)&resp, sizeof(resp), regions,
		  sizeof(regions) / sizeof(regions[0]));
	struct tun_msg_response bad = resp;
	memset(bad.unencrypted_ephemeral, 0, TUN_KEY_LEN);
	seed("tunnel_response", "ephemeral-zero", &bad, sizeof(bad));
	bad = resp;
	tun_put_le32(&bad.receiver_index, 0);
	seed("tunnel_response", "receiver-zero", &bad, sizeof(bad));
	seed("tunnel_response", "an-initiation", &init, sizeof(init));
	tun_noise_keypair_wipe(&ikp);
	tun_noise_keypair_wipe(&rkp);
}

static void test_cookie_seeds(void **state)
{
	struct fz_world w;
	struct tun_msg_initiation init;
	struct tun_msg_cookie reply;

	fz_world_init(&w);
	fz_make_initiation(&w, &init);
	assert_int_equal(tun_cookie_create_reply(&w.resp_checker, &reply, (uint8_t *)&init,
						 sizeof(init), fz_src, sizeof(fz_src), w.now), 0);
	/* The fuzz target's path in a fresh world: accepted, then mac2 is valid. */
	fz_world_init(&w);
	fz_make_initiation(&w, &init);
	assert_int_equal(tun_cookie_consume_reply(&w.ini_maker, (uint8_t *)&reply, sizeof(reply),
						  w.now), 0);
	assert_int_equal(tun_cookie_add_macs(&w.ini_maker, (uint8_t *)&init, sizeof(init), w.now), 0);
	assert_int_equal(tun_cookie_validate(&w.resp_checker, (uint8_t *)&init, sizeof(init), fz_src,
					     sizeof(fz_src), true, w.now),
			 TUN_MAC_VALID_WITH_COOKIE);
	seed("tunnel_cookie", "valid", &reply, sizeof(reply));

	static const struct region regions[] = {
		{ "receiver", 4 }, { "nonce", 8 }, { "nonce-last", 31 }, { "cookie", 32 },
		{ "cookie-tag", 48 }, { "cookie-tag-last", 63 },
	};
	mutations("tunnel_cookie", (uint8_t *)&reply, sizeof(reply), regions,
		  sizeof(regions) / sizeof(regions[0]));
	/* a genuine reply to another message (wrong AD) */
	struct tun_msg_initiation other = init;
	other.macs.mac1[0] ^= 0x55;
	assert_int_equal(tun_cookie_create_reply(&w.resp_checker, &reply, (uint8_t *)&other,
						 sizeof(other), fz_src, sizeof(fz_src), w.now), 0);
	seed("tunnel_cookie", "reply-to-other-message", &reply, sizeof(reply));
}

static void test_data_seeds(void **state)
{
	struct fz_world w;
	struct tun_msg_initiation init;
	struct tun_msg_response resp;
	struct tun_noise_keypair ikp, rkp, check;
	uint8_t buf[1600], first[128];
	size_t out, plain, first_len = 0;
	char name[64];

	fz_world_init(&w);
	assert_int_equal(fz_handshake(&w, &init, &resp, &ikp, &rkp), 0);
	static const size_t sizes[] = { 0, 1, 20, 40, 100, 1280, 1420 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf + TUN_MSG_DATA_HEADER_LEN, 0x45, sizes[i]);
		assert_int_equal(tun_noise_encrypt(&ikp, buf, sizeof(buf), sizes[i], 0, w.now, &out), 0);
		check = rkp;
		uint8_t copy[1600];
		memcpy(copy, buf, out);
		assert_int_equal(tun_noise_decrypt(&check, copy, out, w.now, &plain, NULL), 0);
		snprintf(name, sizeof(name), "valid-to-responder-%zu", sizes[i]);
		seed("tunnel_data", name, buf, out);
		if (i == 3) {
			assert_true(out <= sizeof(first));
			memcpy(first, buf, out);
			first_len = out;
		}
	}
	for (size_t i = 0; i < 3; i++) {
		memset(buf + TUN_MSG_DATA_HEADER_LEN, 0x60, 60);
		assert_int_equal(tun_noise_encrypt(&rkp, buf, sizeof(buf), 60, 0, w.now, &out), 0);
		snprintf(name, sizeof(name), "valid-to-initiator-%zu", i);
		seed("tunnel_data", name, buf, out);
	}
	/* a large counter, still valid and in the window */
	ikp.send_counter = 1ULL << 40;
	assert_int_equal(tun_noise_encrypt(&ikp, buf, sizeof(buf), 0, 0, w.now, &out), 0);
	seed("tunnel_data", "valid-counter-2e40", buf, out);

	static const struct region regions[] = {
		{ "receiver", 4 }, { "counter", 8 }, { "counter-high", 15 }, { "payload", 16 },
		{ "tag", 16 + 48 }, { "tag-last", 16 + 48 + 15 },
	};
	assert_int_equal(first_len, 16 + 48 + 16);
	mutations("tunnel_data", first, first_len, regions, sizeof(regions) / sizeof(regions[0]));
	tun_put_le64(first + 8, UINT64_MAX);
	seed("tunnel_data", "counter-max", first, first_len);
	tun_noise_keypair_wipe(&ikp);
	tun_noise_keypair_wipe(&rkp);
}

static int report(void **state)
{
	if (seeds_written > 0)
		printf("wrote %d seed files\n", seeds_written);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initiation_seeds),
		cmocka_unit_test(test_response_seeds),
		cmocka_unit_test(test_cookie_seeds),
		cmocka_unit_test(test_data_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, report);
}

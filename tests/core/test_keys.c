/* test_keys.c - identity keys: generation, conversion, files and their modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/keys.h"
#include "core/log.h"

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/sp-keys-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || sodium_init() < 0)
		return -1;
	sp_log_init("test", SP_LOG_ERR, true, false);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

/* The pair derived from a seed matches libsodium's own results, and the X25519 form too. */
static void test_conversion_matches_libsodium(void **state)
{
	uint8_t seed[32], pk[32], sk[64], xpk[32], xsk[32], xpk_from_sk[32];
	for (int round = 0; round < 32; round++) {
		randombytes_buf(seed, sizeof(seed));
		struct sp_keypair kp;
		assert_int_equal(sp_key_from_seed(&kp, seed), 0);
		assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
		assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, pk), 0);
		assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsk, sk), 0);
		assert_memory_equal(kp.ed_pk, pk, 32);
		assert_memory_equal(kp.ed_sk, sk, 64);
		assert_memory_equal(kp.x_pk, xpk, 32);
		assert_memory_equal(kp.x_sk, xsk, 32);
		/* The X25519 public key is the one the X25519 secret yields (what WireGuard checks). */
		crypto_scalarmult_base(xpk_from_sk, kp.x_sk);
		assert_memory_equal(kp.x_pk, xpk_from_sk, 32);
		sp_key_wipe(&kp);
		uint8_t zero[sizeof(kp)] = { 0 };
		assert_memory_equal(&kp, zero, sizeof(kp));
	}
}

/* A known Ed25519 vector (RFC 8032, test 1): seed -> public key. */
static void test_rfc8032_vector(void **state)
{
	static const char *seed_hex =
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
	static const char *pk_hex =
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	uint8_t seed[32], pk[32];
	assert_int_equal(sodium_hex2bin(seed, 32, seed_hex, 64, NULL, NULL, NULL), 0);
	assert_int_equal(sodium_hex2bin(pk, 32, pk_hex, 64, NULL, NULL, NULL), 0);
	struct sp_keypair kp;
	assert_int_equal(sp_key_from_seed(&kp, seed), 0);
	assert_memory_equal(kp.ed_pk, pk, 32);
	sp_key_wipe(&kp);
}

static void test_generate_distinct(void **state)
{
	struct sp_keypair a, b;
	assert_int_equal(sp_key_generate(&a), 0);
	assert_int_equal(sp_key_generate(&b), 0);
	assert_memory_not_equal(a.seed, b.seed, 32);
	assert_memory_not_equal(a.ed_pk, b.ed_pk, 32);
	sp_key_wipe(&a);
	sp_key_wipe(&b);
}

static void test_b64_round_trip_and_errors(void **state)
{
	uint8_t key[32], back[32];
	char text[SP_KEY_B64_LEN];
	randombytes_buf(key, sizeof(key));
	sp_key_to_b64(key, text);
	assert_int_equal(strlen(text), 44);
	assert_int_equal(sp_key_from_b64(text, back), 0);
	assert_memory_equal(key, back, 32);
	char padded[64];
	snprintf(padded, sizeof(padded), "  %s\n", text);
	assert_int_equal(sp_key_from_b64(padded, back), 0);
	assert_int_equal(sp_key_from_b64("", back), SP_EKEYFORMAT);
	assert_int_equal(sp_key_from_b64("abc", back), SP_EKEYFORMAT);
	/* 33 bytes of base64: one too many. */
	assert_int_equal(sp_key_from_b64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", back),
			 SP_EKEYFORMAT);
	text[10] = '!';
	assert_int_equal(sp_key_from_b64(text, back), SP_EKEYFORMAT);
}

static void test_file_save_load_and_mode(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/node.key", tmpdir);
	struct sp_keypair kp, back;
	assert_int_equal(sp_key_generate(&kp), 0);
	assert_int_equal(sp_key_save(path, &kp), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sp_key_load(path, &back), 0);
	assert_memory_equal(kp.ed_sk, back.ed_sk, 64);
	/* Never overwrites. */
	assert_int_not_equal(sp_key_save(path, &kp), 0);
	/* A key file readable by others is refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(sp_key_load(path, &back), SP_EKEYPERM);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(sp_key_load(path, &back), SP_EKEYPERM);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(sp_key_load(path, &back), 0);
	unlink(path);
	assert_true(sp_key_load(path, &back) < 0);
	sp_key_wipe(&kp);
	sp_key_wipe(&back);
}

static void test_file_garbage_refused(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/bad.key", tmpdir);
	assert_int_equal(sp_secret_file_write(path, "not a key\n"), 0);
	struct sp_keypair kp;
	assert_int_equal(sp_key_load(path, &kp), SP_EKEYFORMAT);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversion_matches_libsodium),
		cmocka_unit_test(test_rfc8032_vector),
		cmocka_unit_test(test_generate_distinct),
		cmocka_unit_test(test_b64_round_trip_and_errors),
		cmocka_unit_test(test_file_save_load_and_mode),
		cmocka_unit_test(test_file_garbage_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

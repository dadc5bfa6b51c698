/*
 * test_corpus.c - the committed seeds of the control fuzz targets
 * (tests/fuzz/corpus/control_*, written by tests/fuzz/gen_control_corpus.py)
 * mean what their names say: every valid-* body decodes and every bad-*
 * body is refused; every sealed-* datagram and plain-<type>-* plaintext
 * opens with the fixed key and the other plain-* do not; every valid-* token decodes and every bad-*
 * does not.  So the corpora start the fuzzers past the parsers' first
 * checks, and a codec change that breaks the generator's idea of the
 * format fails here.
 */
#include <dirent.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "control/cp_token.h"
#include "control/cp_wire.h"
#include "../fuzz/fuzz_control_common.h"

static char corpus[4096];

static size_t slurp(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	assert_true(n < cap);
	fclose(f);
	return n;
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Folder names: control_<name>. */
static const char *names[] = { "", "register", "register_ack", "connect", "connect_ack",
			       "call_me_maybe", "ping", "pong", "relay", "revoke", "friends" };

static void test_body_seeds(void **state)
{
	for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
		char dir[64];
		unsigned valid = 0, invalid = 0;
		snprintf(dir, sizeof(dir), "control_%s", names[t]);
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", corpus, dir);
		DIR *d = opendir(path);
		assert_non_null(d);
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			static uint8_t buf[4096];
			static struct cp_msg m;
			if (e->d_name[0] == '.')
				continue;
			size_t n = slurp(dir, e->d_name, buf, sizeof(buf));
			int err = cp_body_decode((enum cp_type)t, buf, n, &m);
			if (starts(e->d_name, "valid-")) {
				if (err != 0)
					fail_msg("%s/%s refused", dir, e->d_name);
				valid++;
			} else if (starts(e->d_name, "bad-")) {
				if (err == 0)
					fail_msg("%s/%s accepted", dir, e->d_name);
				invalid++;
			}
		}
		closedir(d);
		assert_true(valid >= 1);
		assert_true(invalid >= 5);
	}
}

static void test_open_seeds(void **state)
{
	char path[8192];
	unsigned sealed = 0, plain = 0;
	snprintf(path, sizeof(path), "%s/control_open", corpus);
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		static uint8_t buf[4096], dg[CP_MSG_MAX];
		static struct cp_msg m;
		if (e->d_name[0] == '.')
			continue;
		size_t n = slurp("control_open", e->d_name, buf, sizeof(buf));
		if (starts(e->d_name, "sealed-")) {
			assert_int_equal(buf[0], 0);
			if (cp_msg_open(fz_cp_key, buf + 1, n - 1, &m) != 0)
				fail_msg("%s does not open", e->d_name);
			if (strstr(e->d_name, "-padded"))
				assert_true(n - 1 >= CP_PAD_MIN);
			sealed++;
		} else if (starts(e->d_name, "plain-")) {
			assert_int_equal(buf[0], 1);
			memset(dg, 0, CP_HDR_LEN);
			memcpy(dg, CP_MAGIC, CP_MAGIC_LEN);
			dg[4] = CP_VERSION;
			dg[5] = buf[1];
			size_t dl;
			assert_int_equal(cp__msg_box(fz_cp_key, dg, sizeof(dg), buf + 2, n - 2, &dl), 0);
			int err = cp_msg_open(fz_cp_key, dg, dl, &m);
			/* plain-<type>-... are genuine; the other plain-* are not. */
			bool genuine = strcmp(e->d_name, "plain-pad-zero") == 0;
			for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
				char p[64];
				snprintf(p, sizeof(p), "plain-%s-", names[t]);
				genuine |= starts(e->d_name, p);
			}
			if (genuine != (err == 0))
				fail_msg("%s: open gives %d", e->d_name, err);
			plain++;
		} else {
			assert_int_not_equal(n > 0 ? cp_msg_open(fz_cp_key, buf + 1, n - 1, &m) : -1, 0);
		}
	}
	closedir(d);
	assert_int_equal(sealed, 2 * 22);
	assert_true(plain >= 22);
}

static void test_token_seeds(void **state)
{
	char path[8192];
	unsigned valid = 0, invalid = 0;
	snprintf(path, sizeof(path), "%s/control_token", corpus);
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		static char buf[8192];
		static struct cp_token t;
		if (e->d_name[0] == '.')
			continue;
		size_t n = slurp("control_token", e->d_name, (uint8_t *)buf, sizeof(buf) - 1);
		buf[n] = '\0';
		int err = cp_token_decode(buf, &t);
		if (starts(e->d_name, "valid")) {
			if (err != 0)
				fail_msg("%s refused", e->d_name);
			valid++;
		} else {
			if (err == 0)
				fail_msg("%s accepted", e->d_name);
			invalid++;
		}
	}
	closedir(d);
	assert_true(valid >= 3);
	assert_true(invalid >= 5);
}

/* Call fn with each seed of corpus/dir (its name, bytes and length). */
typedef void seed_fn(const char *name, const uint8_t *buf, size_t n, unsigned counts[2]);
static void each_seed(const char *dir, seed_fn *fn, unsigned counts[2])
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", corpus, dir);
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		static uint8_t buf[4096];
		if (e->d_name[0] != '.')
			fn(e->d_name, buf, slurp(dir, e->d_name, buf, sizeof(buf)), counts);
	}
	closedir(d);
}

/* RELAYED frames: valid-* parse and write back to their bytes, bad-* do not parse. */
static void fwd_seed(const char *name, const uint8_t *buf, size_t n, unsigned counts[2])
{
	static uint8_t out[CP_MSG_MAX];
	struct cp_fwd f;
	size_t len;
	int err = cp_fwd_parse(buf, n, &f);
	if (starts(name, "valid-")) {
		if (err != 0)
			fail_msg("control_fwd/%s refused", name);
		assert_int_equal(cp_fwd_write(out, sizeof(out), f.sender, f.origin, f.payload, f.len,
					      &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, buf, n);
		counts[0]++;
	} else if (starts(name, "bad-")) {
		if (err == 0)
			fail_msg("control_fwd/%s accepted", name);
		counts[1]++;
	}
}

static void test_fwd_seeds(void **state)
{
	unsigned counts[2] = { 0, 0 };
	each_seed("control_fwd", fwd_seed, counts);
	assert_true(counts[0] >= 3);
	assert_true(counts[1] >= 5);
}

/* RELAY_DATA frames: the generator's sealed-* open with the key C derives; dgram-* do not. */
static void rdata_seed(const char *name, const uint8_t *buf, size_t n, unsigned counts[2])
{
	uint8_t key[CP_KEY_LEN];
	struct cp_rdata r;
	assert_int_equal(cp_rdata_key(fz_cp_key, fz_cp_sender, key), 0);
	if (starts(name, "sealed-")) {
		if (cp_rdata_open(key, buf + 1, n - 1, &r) != 0)
			fail_msg("control_rdata/%s does not open", name);
		assert_memory_equal(r.sender, fz_cp_sender, CP_KEY_LEN);
		counts[0]++;
	} else if (starts(name, "dgram-")) {
		if (cp_rdata_open(key, buf + 1, n - 1, &r) == 0)
			fail_msg("control_rdata/%s opens", name);
		counts[1]++;
	}
}

static void test_rdata_seeds(void **state)
{
	unsigned counts[2] = { 0, 0 };
	each_seed("control_rdata", rdata_seed, counts);
	assert_true(counts[0] >= 2);
	assert_true(counts[1] >= 4);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char here[4096];
	snprintf(here, sizeof(here), "%s", __FILE__);
	snprintf(corpus, sizeof(corpus), "%s/../fuzz/corpus", dirname(here));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_seeds),
		cmocka_unit_test(test_open_seeds),
		cmocka_unit_test(test_token_seeds),
		cmocka_unit_test(test_fwd_seeds),
		cmocka_unit_test(test_rdata_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

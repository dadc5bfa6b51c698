/*
 * test_files.c - files as chunks: put and get give the same bytes, an edit
 * in the middle stores only a few new chunks, a replica that lacks chunks
 * lists them and gets the file once they arrive, and hostile manifests are
 * refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "store/st_db.h"
#include "store/st_files.h"
#include "store/st_pair.h"

static const uint8_t dev_a[ST_ID_LEN] = { 0xa }, dev_b[ST_ID_LEN] = { 0xb };
static char dir[] = "/tmp/sp-test-files-XXXXXX";

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(*n + 1);
	assert_int_equal(fread(p, 1, *n, f), *n);
	fclose(f);
	return p;
}

static uint64_t chunks_of(struct st_db *db)
{
	struct st_db_stats st;
	assert_int_equal(st_db_stats(db, &st), 0);
	return st.chunks;
}

/* Ask for a missing chunk; stop the walk when the session's queue is full. */
static int want(void *arg, const uint8_t hash[ST_HASH_LEN])
{
	int rc = st_session_want_chunk(arg, hash);
	return rc == SP_ELIMIT ? 1 : rc;
}

static void put_edit_sync_get(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	char src[256], dst[256];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	size_t n = 3u << 20;
	uint8_t *data = malloc(n + 100);
	/* Fixed bytes: which cuts an insert moves depends on the content, and the test must not. */
	static const uint8_t seed[randombytes_SEEDBYTES] = { 's', 'p' };
	randombytes_buf_deterministic(data, n + 100, seed);
	write_file(src, data, n);

	struct st_db *a, *b;
	assert_int_equal(st_db_open(":memory:", dev_a, &a), 0);
	assert_int_equal(st_db_open(":memory:", dev_b, &b), 0);
	assert_int_equal(st_files_put(a, "photo.jpg", src, 1, NULL, NULL), 0);
	uint64_t c1 = chunks_of(a);
	assert_true(c1 > 300);
	assert_int_equal(st_files_get(a, "photo.jpg", dst, NULL, NULL), 0);
	size_t got_n;
	uint8_t *got = read_file(dst, &got_n);
	assert_int_equal(got_n, n);
	assert_memory_equal(got, data, n);
	free(got);

	/* 100 bytes inserted in the middle: a few data chunks (normalized chunking may move the
	 * next cut or two) and one index chunk are new, of some 330. */
	memmove(data + n / 2 + 100, data + n / 2, n / 2);
	memset(data + n / 2, 0x5a, 100);
	write_file(src, data, n + 100);
	assert_int_equal(st_files_put(a, "photo.jpg", src, 2, NULL, NULL), 0);
	uint64_t c2 = chunks_of(a);
	printf("a 100-byte insert stored %llu new chunks of %llu\n", (unsigned long long)(c2 - c1),
	       (unsigned long long)c1);
	assert_true(c2 - c1 >= 2 && c2 - c1 <= 6);

	/* b gets the manifest by sync, lacks every chunk, fetches them, gets the file. */
	struct st_session_cfg ca = { .send = 1, .accept = 1, .initiator = 1 },
			      cb = { .send = 1, .accept = 1 };
	memcpy(ca.peer, dev_b, ST_ID_LEN);
	memcpy(cb.peer, dev_a, ST_ID_LEN);
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, st_db_replica(a), &ca, st_db_replica(b), &cb), 0);
	assert_int_equal(st_pair_run(&p, 100), 0);
	assert_int_equal(st_files_get(b, "photo.jpg", dst, NULL, NULL), -EAGAIN);
	size_t missing = 1;
	for (int round = 0; round < 20 && missing; round++) {
		assert_int_equal(st_files_missing(b, "photo.jpg", NULL, NULL, &missing), 0);
		/* Ask for at most a queue's worth, as the plane does. */
		int rc = st_files_missing(b, "photo.jpg", want, p.s[1], &missing);
		assert_true(rc == 0 || rc == 1);
		assert_int_equal(st_pair_run(&p, 1000), 0);
		assert_int_equal(st_files_missing(b, "photo.jpg", NULL, NULL, &missing), 0);
	}
	assert_int_equal(missing, 0);
	assert_int_equal(st_files_get(b, "photo.jpg", dst, NULL, NULL), 0);
	got = read_file(dst, &got_n);
	assert_int_equal(got_n, n + 100);
	assert_memory_equal(got, data, n + 100);
	free(got);
	st_pair_close(&p);
	st_db_close(a);
	st_db_close(b);
	free(data);
	unlink(src);
	unlink(dst);
	rmdir(dir);
}

static void manifests_checked(void **state)
{
	(void)state;
	struct st_manifest m;
	const char *ok = "{\"size\":0,\"chunks\":0,\"index\":[]}";
	assert_int_equal(st_manifest_parse(ok, strlen(ok), &m), 0);
	st_manifest_free(&m);
	static const char *const bad[] = {
		"{\"size\":1,\"chunks\":0,\"index\":[]}",			/* bytes without chunks */
		"{\"size\":5,\"chunks\":1,\"index\":[]}",			/* chunks without index */
		"{\"size\":5,\"chunks\":1,\"index\":[\"zz\"]}",
		"{\"chunks\":1,\"size\":5,\"index\":[]}",
		"{\"size\":99999999999999999999,\"chunks\":1,\"index\":[]}",
		"{\"size\":0,\"chunks\":0,\"index\":[]} ",
		"[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(st_manifest_parse(bad[i], strlen(bad[i]), &m), SP_EMALFORMED);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_edit_sync_get),
		cmocka_unit_test(manifests_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

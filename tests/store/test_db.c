/*
 * test_db.c - the SQLite replica: reads show the resolved state, concurrent
 * writes stay visible as conflicts until a write that saw both, ops apply in
 * any order and any number of times to one state, and hostile ops change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "store/st_db.h"

static const uint8_t dev_a[ST_ID_LEN] = { 0xa }, dev_b[ST_ID_LEN] = { 0xb },
		     dev_c[ST_ID_LEN] = { 0xc };

static struct st_db *open_mem(const uint8_t *dev)
{
	struct st_db *db;
	assert_int_equal(st_db_open(":memory:", dev, &db), 0);
	return db;
}

static int put(struct st_db *db, const char *coll, const char *key, const char *json, uint64_t t)
{
	return st_db_put(db, coll, key, json, strlen(json), 0, t, NULL);
}

/* The winner's JSON of coll/key into a static buffer, or NULL. */
static char got[4096];
static int got_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		  size_t n_conflicts)
{
	(void)coll, (void)key;
	*(size_t *)arg = n_conflicts;
	snprintf(got, sizeof(got), "%.*s", (int)v->len, v->json);
	return 0;
}

static const char *get(struct st_db *db, const char *coll, const char *key, size_t *conflicts)
{
	size_t n = 0;
	if (st_db_get(db, coll, key, got_cb, &n) != 0)
		return NULL;
	if (conflicts)
		*conflicts = n;
	return got;
}

static int copy_op(void *arg, uint64_t seq, const uint8_t *op, size_t len)
{
	(void)seq;
	struct st_replica *to = arg;
	int rc = to->vt->apply(to->ctx, op, len, NULL);
	return rc < 0 ? rc : 0;
}

/* Give to every op of from (both directions make a full sync). */
static void send_all(struct st_db *from, struct st_db *to)
{
	struct st_replica f = st_db_replica(from), t = st_db_replica(to);
	uint64_t last;
	assert_int_equal(f.vt->ops_since(f.ctx, 0, NULL, SIZE_MAX, copy_op, &t, &last), 0);
}

static void put_get_update_delete(void **state)
{
	(void)state;
	struct st_db *db = open_mem(dev_a);
	assert_int_equal(put(db, "notes", "shop", "{\"t\":\"milk\"}", 1000), 0);
	size_t c = 9;
	assert_string_equal(get(db, "notes", "shop", &c), "{\"t\":\"milk\"}");
	assert_int_equal(c, 0);
	assert_int_equal(put(db, "notes", "shop", "{\"t\":\"eggs\"}", 1001), 0);
	assert_string_equal(get(db, "notes", "shop", &c), "{\"t\":\"eggs\"}");
	assert_int_equal(c, 0);	/* a local update saw the old value: no conflict */
	assert_int_equal(st_db_del(db, "notes", "shop", 0, 1002, NULL), 0);
	assert_null(get(db, "notes", "shop", NULL));
	struct st_db_stats s;
	assert_int_equal(st_db_stats(db, &s), 0);
	assert_int_equal(s.ops, 3);
	assert_int_equal(s.docs, 0);
	assert_int_equal(s.conflicts, 0);
	st_db_close(db);
}

static void refuses_bad_writes(void **state)
{
	(void)state;
	struct st_db *db = open_mem(dev_a);
	assert_int_equal(put(db, "notes", "k", "{bad}", 1), SP_EMALFORMED);
	assert_int_equal(put(db, "_files", "k", "{}", 1), SP_EMALFORMED);
	assert_int_equal(st_db_put(db, "_files", "k", "{}", 2, ST_DB_RESERVED, 1, NULL), 0);
	assert_int_equal(put(db, "no spaces", "k", "{}", 1), SP_EMALFORMED);
	assert_int_equal(put(db, "notes", "", "{}", 1), SP_EMALFORMED);
	struct st_db_stats s;
	assert_int_equal(st_db_stats(db, &s), 0);
	assert_int_equal(s.ops, 1);
	st_db_close(db);
}

static int count_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		    size_t n_conflicts)
{
	(void)coll, (void)key, (void)v, (void)n_conflicts;
	(*(int *)arg)++;
	return 0;
}

static void concurrent_writes_conflict_then_settle(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
	assert_int_equal(put(a, "notes", "trip", "{\"v\":\"laptop\"}", 5000), 0);
	send_all(a, b);
	/* Apart: both edit the same key. */
	assert_int_equal(put(a, "notes", "trip", "{\"v\":\"a-edit\"}", 6000), 0);
	assert_int_equal(put(b, "notes", "trip", "{\"v\":\"b-edit\"}", 6000), 0);
	send_all(a, b);
	send_all(b, a);
	size_t ca, cb;
	char wa[sizeof(got)];
	snprintf(wa, sizeof(wa), "%s", get(a, "notes", "trip", &ca));
	assert_string_equal(wa, get(b, "notes", "trip", &cb));
	assert_int_equal(ca, 1);
	assert_int_equal(cb, 1);
	/* Same stamp: the device id breaks the tie, the same way everywhere. */
	assert_string_equal(wa, "{\"v\":\"b-edit\"}");
	int n = 0;
	assert_int_equal(st_db_conflicts(a, count_cb, &n), 0);
	assert_int_equal(n, 2);	/* winner and loser, both listed */
	/* A write that has seen both settles it, on both sides after sync. */
	assert_int_equal(put(a, "notes", "trip", "{\"v\":\"merged\"}", 7000), 0);
	send_all(a, b);
	assert_string_equal(get(b, "notes", "trip", &cb), "{\"v\":\"merged\"}");
	assert_int_equal(cb, 0);
	n = 0;
	assert_int_equal(st_db_conflicts(b, count_cb, &n), 0);
	assert_int_equal(n, 0);
	st_db_close(a);
	st_db_close(b);
}

/* A digest of what a replica shows: every present key's winner and heads. */
static void shown_digest(struct st_db *db, uint8_t out[32])
{
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(st_db_sqlite(db),
		"SELECT coll, key, json FROM docs ORDER BY coll, key", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < 3; i++)
			crypto_generichash_update(&h, sqlite3_column_text(s, i),
						  (size_t)sqlite3_column_bytes(s, i) + 1);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(st_db_sqlite(db),
		"SELECT id FROM heads ORDER BY id", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		crypto_generichash_update(&h, sqlite3_column_blob(s, 0), ST_ID_LEN);
	sqlite3_finalize(s);
	crypto_generichash_final(&h, out, 32);
}

struct opset {
	uint8_t *op[600];
	size_t len[600], n;
};

static int collect(void *arg, uint64_t seq, const uint8_t *op, size_t len)
{
	(void)seq;
	struct opset *s = arg;
	s->op[s->n] = malloc(len);
	memcpy(s->op[s->n], op, len);
	s->len[s->n++] = len;
	return 0;
}

static void any_order_any_repeat_same_state(void **state)
{
	(void)state;
	unsigned seed = 20261204;
	srand(seed);
	struct st_db *w[3] = { open_mem(dev_a), open_mem(dev_b), open_mem(dev_c) };
	/* Three writers on a few keys, syncing now and then, so ops see some heads. */
	static const char *keys[] = { "k1", "k2", "k3", "k4" };
	for (int i = 0; i < 150; i++) {
		struct st_db *d = w[rand() % 3];
		const char *k = keys[rand() % 4];
		char json[32];
		snprintf(json, sizeof(json), "{\"i\":%d}", i);
		if (rand() % 5 == 0)
			assert_int_equal(st_db_del(d, "c", k, 0, 1000 + (uint64_t)i, NULL), 0);
		else
			assert_int_equal(put(d, "c", k, json, 1000 + (uint64_t)i), 0);
		if (rand() % 10 == 0)
			send_all(w[rand() % 3], w[rand() % 3]);
	}
	struct opset all = { .n = 0 };
	for (int r = 0; r < 3; r++) {
		struct st_replica rp = st_db_replica(w[r]);
		uint64_t last;
		assert_int_equal(rp.vt->ops_since(rp.ctx, 0, NULL, SIZE_MAX, collect, &all, &last), 0);
	}
	/* Replay into fresh replicas in shuffled orders, with duplicates. */
	uint8_t want[32], digest[32];
	for (int trial = 0; trial < 4; trial++) {
		struct st_db *d = open_mem(dev_a);
		struct st_replica rp = st_db_replica(d);
		size_t order[600];
		for (size_t i = 0; i < all.n; i++)
			order[i] = i;
		for (size_t i = all.n; i > 1; i--) {
			size_t j = (size_t)rand() % i, t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < all.n; i++) {
			assert_true(rp.vt->apply(rp.ctx, all.op[order[i]], all.len[order[i]], NULL) >= 0);
			if (rand() % 4 == 0)	/* a duplicate: already held */
				assert_int_equal(rp.vt->apply(rp.ctx, all.op[order[i]],
							      all.len[order[i]], NULL), 1);
		}
		shown_digest(d, trial == 0 ? want : digest);
		if (trial)
			assert_memory_equal(want, digest, 32);
		st_db_close(d);
	}
	for (size_t i = 0; i < all.n; i++)
		free(all.op[i]);
	for (int r = 0; r < 3; r++)
		st_db_close(w[r]);
}

static void hostile_ops_change_nothing(void **state)
{
	(void)state;
	struct st_db *db = open_mem(dev_a);
	struct st_replica rp = st_db_replica(db);
	uint8_t junk[64] = { 1, 2, 3 };
	assert_int_equal(rp.vt->apply(rp.ctx, junk, sizeof(junk), NULL), SP_EMALFORMED);
	/* A well-formed op stamped an hour ahead of every clock is refused. */
	struct st_db *b = open_mem(dev_b);
	uint64_t future = (uint64_t)time(NULL) * 1000 + 3600 * 1000;
	assert_int_equal(put(b, "notes", "x", "{}", future), 0);
	struct opset s = { .n = 0 };
	struct st_replica bp = st_db_replica(b);
	uint64_t last;
	assert_int_equal(bp.vt->ops_since(bp.ctx, 0, NULL, SIZE_MAX, collect, &s, &last), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(rp.vt->apply(rp.ctx, s.op[0], s.len[0], NULL), SP_ELIMIT);
	free(s.op[0]);
	assert_int_equal(rp.vt->max_seq(rp.ctx), 0);
	/* A chunk whose bytes do not match its hash is refused. */
	uint8_t hash[ST_HASH_LEN] = { 0 };
	assert_int_equal(rp.vt->chunk_put(rp.ctx, hash, junk, sizeof(junk)), SP_EAUTH);
	crypto_generichash(hash, sizeof(hash), junk, sizeof(junk), NULL, 0);
	assert_int_equal(rp.vt->chunk_put(rp.ctx, hash, junk, sizeof(junk)), 0);
	assert_int_equal(rp.vt->chunk_has(rp.ctx, hash), 1);
	st_db_close(b);
	st_db_close(db);
}

static void search_cursor_filter_and_owner(void **state)
{
	(void)state;
	char path[] = "/tmp/signpost-test-db-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	struct st_db *db;
	assert_int_equal(st_db_open(path, dev_a, &db), 0);
	assert_int_equal(put(db, "notes", "n1", "{\"text\":\"buy oat milk\"}", 1), 0);
	assert_int_equal(put(db, "notes", "n2", "{\"text\":\"call the plumber\"}", 2), 0);
	assert_int_equal(put(db, "places", "home", "{\"text\":\"milk bar corner\"}", 3), 0);
	int n = 0;
	assert_int_equal(st_db_search(db, "milk", 10, count_cb, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(st_db_ls(db, "notes", count_cb, &n), 0);
	assert_int_equal(n, 2);
	/* An update replaces the searchable text. */
	assert_int_equal(put(db, "notes", "n1", "{\"text\":\"buy bread\"}", 4), 0);
	n = 0;
	assert_int_equal(st_db_search(db, "milk", 10, count_cb, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(st_db_search(db, "\"unclosed", 10, count_cb, &n), SP_EMALFORMED);

	/* Filter: a friend sharing only places sees one op. */
	struct st_replica rp = st_db_replica(db);
	const char *only[] = { "places" };
	struct st_filter f = { only, 1 };
	struct opset s = { .n = 0 };
	uint64_t last;
	assert_int_equal(rp.vt->ops_since(rp.ctx, 0, &f, SIZE_MAX, collect, &s, &last), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(last, 4);
	free(s.op[0]);
	uint8_t ep[ST_EPOCH_LEN] = { 7 }, ep2[ST_EPOCH_LEN] = { 8 }, got_ep[ST_EPOCH_LEN];
	uint64_t seq = 9;
	assert_int_equal(rp.vt->cursor_get(rp.ctx, dev_b, got_ep, &seq), SP_ENOTFOUND);
	assert_int_equal(rp.vt->cursor_put(rp.ctx, dev_b, ep, 40), 0);
	assert_int_equal(rp.vt->cursor_put(rp.ctx, dev_b, ep, 30), 0);	/* never moves back */
	assert_int_equal(rp.vt->cursor_get(rp.ctx, dev_b, got_ep, &seq), 0);
	assert_int_equal(seq, 40);
	assert_memory_equal(got_ep, ep, ST_EPOCH_LEN);
	/* A new epoch of the peer (its database was recreated) replaces the old. */
	assert_int_equal(rp.vt->cursor_put(rp.ctx, dev_b, ep2, 3), 0);
	assert_int_equal(rp.vt->cursor_get(rp.ctx, dev_b, got_ep, &seq), 0);
	assert_int_equal(seq, 3);
	assert_memory_equal(got_ep, ep2, ST_EPOCH_LEN);
	st_db_close(db);

	/* The database belongs to its device; its epoch survives a reopen. */
	assert_int_equal(st_db_open(path, dev_b, &db), SP_ESTATE);
	assert_int_equal(st_db_open(path, dev_a, &db), 0);
	assert_string_equal(get(db, "notes", "n1", NULL), "{\"text\":\"buy bread\"}");
	st_db_close(db);
	char wal[64];
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get_update_delete),
		cmocka_unit_test(refuses_bad_writes),
		cmocka_unit_test(concurrent_writes_conflict_then_settle),
		cmocka_unit_test(any_order_any_repeat_same_state),
		cmocka_unit_test(hostile_ops_change_nothing),
		cmocka_unit_test(search_cursor_filter_and_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

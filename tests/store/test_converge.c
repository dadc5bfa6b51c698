/*
 * test_converge.c - three replicas write concurrently while a seeded
 * scheduler runs sync sessions between them: several at once (so ops
 * arrive twice, by different paths), delivered in random slices, cut off
 * at random points (partitions), with writes landing mid-session.  After
 * healing, all three hold the same ops and the same resolved documents,
 * and every write is either a head (the winner or a visible conflict) or
 * was seen by a later write: nothing vanished.
 *
 *   STORE_SEEDS=N   how many seeds (default 40); STORE_SEED=S runs one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "core/log.h"
#include "store/st_db.h"
#include "store/st_pair.h"

#define N_REP 3
#define N_KEYS 12		/* few keys: concurrent writes to one key are common */
#define ROUNDS 60
#define MAX_WRITES 2000
#define MAX_LINKS 4

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct world {
	struct st_db *db[N_REP];
	uint8_t dev[N_REP][ST_ID_LEN];
	uint8_t written[MAX_WRITES][ST_ID_LEN];
	size_t n_written;
	uint64_t clock;
	struct link {
		struct st_pair p;
		int a, b, open;
	} link[MAX_LINKS];
};

static void write_one(struct world *w, int r)
{
	char key[16], json[64];
	snprintf(key, sizeof(key), "k%u", rnd(N_KEYS));
	uint8_t *id = w->written[w->n_written];
	/* Clocks of the three devices drift a little apart. */
	uint64_t t = w->clock + rnd(50);
	int rc;
	if (rnd(5) == 0) {
		rc = st_db_del(w->db[r], "notes", key, 0, t, id);
	} else {
		snprintf(json, sizeof(json), "{\"by\":%d,\"n\":%zu}", r, w->n_written);
		rc = st_db_put(w->db[r], "notes", key, json, strlen(json), 0, t, id);
	}
	assert_int_equal(rc, 0);
	if (w->n_written + 1 < MAX_WRITES)
		w->n_written++;
	w->clock += 1 + rnd(3);
	for (int i = 0; i < MAX_LINKS; i++)
		if (w->link[i].open && (w->link[i].a == r || w->link[i].b == r))
			assert_int_equal(st_session_notify(w->link[i].p.s[w->link[i].a == r ? 0 : 1]), 0);
}

static void link_open(struct world *w, int i, int a, int b)
{
	struct st_session_cfg ca = { .send = 1, .accept = 1, .initiator = 1 },
			      cb = { .send = 1, .accept = 1 };
	memcpy(ca.peer, w->dev[b], ST_ID_LEN);
	memcpy(cb.peer, w->dev[a], ST_ID_LEN);
	/* Some sessions ignore cursors: both paths get exercised. */
	ca.no_cursor = cb.no_cursor = rnd(3) == 0;
	assert_int_equal(st_pair_open(&w->link[i].p, st_db_replica(w->db[a]), &ca,
				      st_db_replica(w->db[b]), &cb), 0);
	w->link[i].a = a;
	w->link[i].b = b;
	w->link[i].open = 1;
}

static void link_close(struct world *w, int i)
{
	st_pair_close(&w->link[i].p);
	w->link[i].open = 0;
}

/* A whole session a <-> b until both are quiet; the replicas end identical. */
static void heal(struct world *w, int a, int b)
{
	struct st_pair p;
	struct st_session_cfg ca = { .send = 1, .accept = 1, .initiator = 1 },
			      cb = { .send = 1, .accept = 1 };
	memcpy(ca.peer, w->dev[b], ST_ID_LEN);
	memcpy(cb.peer, w->dev[a], ST_ID_LEN);
	assert_int_equal(st_pair_open(&p, st_db_replica(w->db[a]), &ca, st_db_replica(w->db[b]), &cb), 0);
	assert_int_equal(st_pair_run(&p, 10000), 0);
	assert_int_equal(st_session_state(p.s[0]), ST_S_LIVE);
	assert_true(st_session_stats(p.s[0])->identical);
	st_pair_close(&p);
}

/* A digest of the resolved documents and every key's heads. */
static void state_digest(struct st_db *db, uint8_t out[32])
{
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	sqlite3_stmt *s;
	const char *q[] = { "SELECT coll, key, json FROM docs ORDER BY coll, key",
			    "SELECT coll, key, id FROM heads ORDER BY coll, key, id" };
	for (int k = 0; k < 2; k++) {
		assert_int_equal(sqlite3_prepare_v2(st_db_sqlite(db), q[k], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			for (int c = 0; c < 3; c++) {
				const void *p = sqlite3_column_blob(s, c);
				int n = sqlite3_column_bytes(s, c);
				crypto_generichash_update(&h, p, (size_t)n);
				crypto_generichash_update(&h, (const uint8_t *)"|", 1);
			}
		sqlite3_finalize(s);
	}
	crypto_generichash_final(&h, out, 32);
}

static int held_as(struct st_db *db, const char *sql, const uint8_t id[ST_ID_LEN])
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(st_db_sqlite(db), sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, id, ST_ID_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return rc;
}

static void run_seed(uint64_t seed)
{
	struct world *w = calloc(1, sizeof(*w));
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	w->clock = 1764806400000ull;
	for (int r = 0; r < N_REP; r++) {
		w->dev[r][0] = (uint8_t)(0xa + r);
		assert_int_equal(st_db_open(":memory:", w->dev[r], &w->db[r]), 0);
	}
	for (int round = 0; round < ROUNDS; round++) {
		int writes = (int)rnd(6);
		for (int i = 0; i < writes; i++)
			write_one(w, (int)rnd(N_REP));
		int i = (int)rnd(MAX_LINKS);
		if (!w->link[i].open && rnd(2)) {
			int a = (int)rnd(N_REP), b = (int)((a + 1 + rnd(N_REP - 1)) % N_REP);
			link_open(w, i, a, b);
		}
		for (int k = 0; k < MAX_LINKS; k++) {
			if (!w->link[k].open)
				continue;
			int steps = (int)rnd(4);
			for (int s = 0; s < steps; s++) {
				/* Slices of random size: frames arrive split and merged. */
				int rc = st_pair_step(&w->link[k].p, 1 + rnd(3000));
				if (rc < 0)
					fprintf(stderr, "seed %llu: %s / %s\n", (unsigned long long)seed,
						st_session_error(w->link[k].p.s[0]),
						st_session_error(w->link[k].p.s[1]));
				assert_true(rc >= 0);
				if (rnd(8) == 0)
					write_one(w, w->link[k].a);
			}
			if (rnd(10) == 0)
				link_close(w, k);	/* a partition, mid-sync or not */
		}
	}
	for (int k = 0; k < MAX_LINKS; k++)
		if (w->link[k].open)
			link_close(w, k);
	/* Heal: a ring of whole sessions, twice, carries everything everywhere. */
	for (int pass = 0; pass < 2; pass++)
		for (int r = 0; r < N_REP; r++)
			heal(w, r, (r + 1) % N_REP);

	uint8_t d0[32], d[32];
	struct st_db_stats s0, s;
	state_digest(w->db[0], d0);
	assert_int_equal(st_db_stats(w->db[0], &s0), 0);
	for (int r = 1; r < N_REP; r++) {
		state_digest(w->db[r], d);
		assert_memory_equal(d, d0, 32);
		assert_int_equal(st_db_stats(w->db[r], &s), 0);
		assert_int_equal(s.ops, s0.ops);
		assert_int_equal(s.conflicts, s0.conflicts);
	}
	assert_int_equal(s0.ops, w->n_written);
	for (size_t i = 0; i < w->n_written; i++)
		assert_true(held_as(w->db[0], "SELECT 1 FROM heads WHERE id = ?1", w->written[i]) ||
			    held_as(w->db[0], "SELECT 1 FROM seen WHERE id = ?1", w->written[i]));
	printf("seed %llu: %zu writes, %llu conflicted keys, identical on %d replicas\n",
	       (unsigned long long)seed, w->n_written, (unsigned long long)s0.conflicts, N_REP);
	for (int r = 0; r < N_REP; r++)
		st_db_close(w->db[r]);
	free(w);
}

static void converge_many_seeds(void **state)
{
	(void)state;
	const char *one = getenv("STORE_SEED"), *many = getenv("STORE_SEEDS");
	if (one) {
		run_seed(strtoull(one, NULL, 10));
		return;
	}
	int n = many ? atoi(many) : 40;
	for (int i = 1; i <= n; i++)
		run_seed((uint64_t)i);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	sp_log_set_level(SP_LOG_WARNING);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(converge_many_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
